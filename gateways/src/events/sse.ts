/**
 * `GET /api/v1/events`: a Server-Sent Events stream of the export events the caller may see.
 *
 * - Authenticated like every route (the Authorization header): the portal reads it with fetch() streaming, which
 *   can send the header, so no token ever travels in a URL and no ticket scheme is needed.
 * - Each event passes `visibleTo` (the need-to-know policy of the reads) for the caller as a viewer, fixed when
 *   the stream opens; it carries only `LiveEvent`'s fields.
 * - `Last-Event-ID` (header, as EventSource resends it): the events after it that the read model holds are sent
 *   first (up to REPLAY_LIMIT; past that an `event: reset` tells the client to reload instead).
 * - A comment line every `heartbeatMs` keeps proxies from timing the stream out; the stream ends when the access
 *   token expires (`event: reauth`: reconnect with a fresh token), when the gateway shuts down, or when the
 *   client goes away. At most `maxPerUser` streams per user at once (429 beyond).
 * - The caller is checked again every `recheckMs` as every request checks it (token revoked by a logout, password
 *   changed, user suspended, role changed): a stream that would no longer be opened ends with `event: reauth`, so
 *   a suspended user stops receiving events within seconds, not at the token's expiry.
 */
import type { Response } from 'express';
import type { Viewer } from '@coffee/consortium';
import type pg from 'pg';
import { AppError } from '../errors.ts';
import type { Caller } from '../services/deps.ts';
import {
  type EventFeed,
  type FeedEvent,
  type LiveEvent,
  eventsAfter,
  parseEventId,
  visibleTo,
} from './feed.ts';

export const REPLAY_LIMIT = 500;

/** One SSE message (pure): `id`, `event` and one `data:` line per line of the JSON (it has none, but be exact). */
export function sseMessage(event: string, data: unknown, id?: string): string {
  const lines = JSON.stringify(data)
    .split(/\r\n|\r|\n/)
    .map((l) => `data: ${l}\n`)
    .join('');
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\n${lines}\n`;
}

/** The events of a batch this viewer may receive, as they are sent (pure). */
export function filterFor(viewer: Viewer, events: readonly FeedEvent[]): LiveEvent[] {
  return events.filter((e) => visibleTo(viewer, e)).map((e) => e.event);
}

export interface SseOptions {
  heartbeatMs: number;
  maxPerUser: number;
  recheckMs: number;
}

/** Whether the stream's caller would still be let in now (a new authentication with the same token). */
export type Recheck = () => Promise<boolean>;

interface Stream {
  res: Response;
  close(reason: string): void;
}

export class SseHub {
  readonly #feed: EventFeed;
  readonly #pool: pg.Pool;
  readonly #o: SseOptions;
  readonly #byUser = new Map<string, Set<Stream>>();
  #closed = false;

  constructor(feed: EventFeed, pool: pg.Pool, o: Partial<SseOptions> = {}) {
    this.#feed = feed;
    this.#pool = pool;
    this.#o = {
      heartbeatMs: o.heartbeatMs ?? 15_000,
      maxPerUser: o.maxPerUser ?? 5,
      recheckMs: o.recheckMs ?? 5_000,
    };
  }

  /** Streams open now (for /metrics). */
  get open(): number {
    let n = 0;
    for (const s of this.#byUser.values()) n += s.size;
    return n;
  }

  /**
   * Serves one stream until it ends. The viewer is decided before (a role that reads no exports was refused
   * with 403 by the route).
   */
  async serve(
    caller: Caller,
    viewer: Viewer,
    res: Response,
    lastEventId: string | undefined,
    recheck?: Recheck,
  ): Promise<void> {
    if (this.#closed) throw new AppError(503, 'SHUTTING_DOWN', 'the gateway is shutting down');
    const mine = this.#byUser.get(caller.userId) ?? new Set<Stream>();
    if (mine.size >= this.#o.maxPerUser)
      throw new AppError(
        429,
        'TOO_MANY_STREAMS',
        `at most ${this.#o.maxPerUser} event streams per user at once; close one first`,
      );
    await this.#feed.start();

    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    res.write(`retry: 3000\n: connected\n\n`);

    let ended: () => void = () => undefined;
    const done = new Promise<void>((r) => (ended = r));
    // Live events that arrive while a reconnecting client's catch-up is read wait here, then go out in order.
    let pending: LiveEvent[] | undefined = [];
    let lastSent: string | undefined;
    const send = (events: readonly LiveEvent[]): void => {
      if (res.writableEnded || res.destroyed) return;
      for (const e of events) {
        res.write(sseMessage('export', e, e.id));
        lastSent = e.id;
      }
    };
    const unsubscribe = this.#feed.subscribe((batch) => {
      const visible = filterFor(viewer, batch);
      if (visible.length === 0) return;
      if (pending) pending.push(...visible);
      else send(visible);
    });
    const heartbeat = setInterval(() => {
      if (!res.writableEnded && !res.destroyed) res.write(': hb\n\n');
    }, this.#o.heartbeatMs);
    const expiresInMs = caller.token ? caller.token.exp * 1000 - Date.now() : undefined;
    const expiry =
      expiresInMs !== undefined
        ? setTimeout(() => stream.close('reauth'), Math.max(0, Math.min(expiresInMs, 2_147_000_000)))
        : undefined;
    let checking = false;
    const rechecks = recheck
      ? setInterval(() => {
          if (checking) return;
          checking = true;
          void recheck()
            .catch(() => false)
            .then((ok) => {
              if (!ok) stream.close('reauth');
            })
            .finally(() => (checking = false));
        }, this.#o.recheckMs)
      : undefined;
    const stream: Stream = {
      res,
      close: (reason: string) => {
        if (!res.writableEnded && !res.destroyed) {
          res.write(sseMessage(reason, { reason }));
          res.end();
        }
        cleanup();
      },
    };
    let cleaned = false;
    const cleanup = (): void => {
      if (cleaned) return;
      cleaned = true;
      unsubscribe();
      clearInterval(heartbeat);
      if (rechecks) clearInterval(rechecks);
      if (expiry) clearTimeout(expiry);
      mine.delete(stream);
      if (mine.size === 0) this.#byUser.delete(caller.userId);
      ended();
    };
    mine.add(stream);
    this.#byUser.set(caller.userId, mine);
    res.on('close', cleanup);

    const from = parseEventId(lastEventId);
    if (from) {
      try {
        const upto = this.#feed.position;
        const missed = await eventsAfter(this.#pool, from, upto, REPLAY_LIMIT + 1);
        if (missed.length > REPLAY_LIMIT) {
          // Too far behind to catch up event by event: the client reloads its views instead.
          res.write(sseMessage('reset', { reason: 'too many missed events; reload' }));
        } else send(filterFor(viewer, missed));
      } catch {
        res.write(sseMessage('reset', { reason: 'missed events could not be read; reload' }));
      }
    }
    const queued = pending;
    pending = undefined;
    // Live events already covered by the catch-up are not sent twice.
    const after = parseEventId(lastSent);
    send(
      queued.filter((e) => {
        const id = parseEventId(e.id)!;
        return !after || id.block > after.block || (id.block === after.block && id.txIndex > after.txIndex);
      }),
    );
    await done;
  }

  /** Ends every stream (`event: shutdown`) and refuses new ones: the server can then close at once. */
  closeAll(): void {
    this.#closed = true;
    for (const set of [...this.#byUser.values()]) for (const s of [...set]) s.close('shutdown');
  }
}
