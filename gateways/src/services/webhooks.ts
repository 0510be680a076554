/**
 * Per-org webhooks: an org admin registers a URL and a secret; every export event the org may see (the policy's
 * view of the org as a whole: its auditors') is POSTed there, signed.
 *
 * Delivery goes through an outbox. The outbox writer follows the read model with a cursor of its own
 * (webhook_cursor): for each new block it inserts one row per (active webhook, event) and advances the cursor in
 * the same transaction, so a crash neither loses nor repeats an event (the (webhook, event) pair is unique too).
 * The worker claims due rows with a lease (FOR UPDATE SKIP LOCKED: several gateway processes on one database
 * share the work), POSTs them (no redirects followed, a timeout), and on a 2xx marks the row delivered, never to be
 * sent again; on anything else it schedules the next attempt by `backoffMs`, up to `maxAttempts`. Every attempt is
 * written to webhook_deliveries, which admins read. A receiver still dedupes by `X-Coffee-Event-Id`: a crash
 * between its 2xx and our commit sends that event once more.
 *
 * Signature: `X-Coffee-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`; the receiver
 * recomputes it over the raw body and refuses an old `t` (replays).
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { openKey, sealKey } from '../auth/custody.ts';
import { query, withTx } from '../db/pool.ts';
import { AppError } from '../errors.ts';
import { type EventFeed, type FeedEvent, eventsBetween, visibleTo } from '../events/feed.ts';
import { checkpoint } from '../events/projector.ts';
import { audit } from './audit.ts';
import type { Caller, Deps } from './deps.ts';

// ------------------------------------------------------------------ pure parts

/** The signature header's value for a body sent at `t` (unix seconds). */
export function signatureHeader(secret: string, t: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/**
 * What a receiver does: true when the header's `v1` is the HMAC of `<t>.<body>` and `t` is within
 * `toleranceSeconds` of `now` (unix seconds).
 */
export function verifySignature(
  secret: string,
  header: string,
  body: string,
  now: number,
  toleranceSeconds = 300,
): boolean {
  const parts = new Map(
    header.split(',').map((kv) => {
      const i = kv.indexOf('=');
      return [kv.slice(0, i).trim(), kv.slice(i + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(now - t) > toleranceSeconds || !/^[0-9a-f]{64}$/.test(v1))
    return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 3_600_000, maxAttempts: 12 };

/**
 * The wait after failed attempt `attempt` (1-based): base·2^(attempt-1), capped, with up to 20 % random
 * jitter subtracted (receivers coming back are not hit by every gateway at the same instant); `random` in [0, 1).
 * With the defaults: about 1 s, 2 s, 4 s … 34 min, then 1 h; 12 attempts span about 2.3 h.
 */
export function backoffMs(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random = 0): number {
  const raw = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (1 - 0.2 * random));
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Loopback: 127.0.0.0/8, ::1, localhost. */
function isLoopback(hostname: string): boolean {
  if (LOOPBACK_NAMES.has(hostname)) return true;
  return isIP(hostname) === 4 && hostname.startsWith('127.');
}

/**
 * A webhook URL we will call, or why not: https anywhere, or plain http to a loopback address only (a receiver
 * on the gateway's host); no credentials in the URL, no fragment.
 */
export function webhookUrlProblem(raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'not an absolute URL';
  }
  if (raw.length > 2048) return 'longer than 2048 characters';
  if (u.username || u.password) return 'credentials in the URL are not allowed (use the signing secret)';
  if (u.hash) return 'a fragment is not allowed';
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:' && isLoopback(u.hostname)) return undefined;
  return 'must be https://, or http:// to a loopback address (127.0.0.0/8, ::1, localhost)';
}

/** What a webhook receives for one event (its body; the event id is also the X-Coffee-Event-Id header). */
export function webhookBody(org: string, e: FeedEvent): Record<string, unknown> {
  return { type: 'export.event', org, ...e.event };
}

// ------------------------------------------------------------------ service (routes)

export interface WebhookView {
  id: string;
  url: string;
  description: string | null;
  active: boolean;
  createdAt: string;
  createdBy: string | null;
}

interface WebhookRow {
  id: string;
  url: string;
  description: string | null;
  active: boolean;
  created_at: Date;
  created_by_name: string | null;
}

const view = (r: WebhookRow): WebhookView => ({
  id: r.id,
  url: r.url,
  description: r.description,
  active: r.active,
  createdAt: r.created_at.toISOString(),
  createdBy: r.created_by_name,
});

export class WebhookService {
  readonly #deps: Deps;
  /** Told when outbox rows may be due (a registration, a new block): the worker looks at once. */
  onChange: () => void = () => undefined;

  constructor(deps: Deps) {
    this.#deps = deps;
  }

  async create(
    caller: Caller,
    body: { url: string; secret?: string; description?: string },
  ): Promise<WebhookView & { secret?: string }> {
    const problem = webhookUrlProblem(body.url);
    if (problem)
      throw new AppError(400, 'VALIDATION_FAILED', `invalid webhook url: ${problem}`, {
        errors: [{ path: 'body.url', message: problem }],
      });
    const id = randomUUID();
    const generated = body.secret === undefined;
    const secret = body.secret ?? randomBytes(32).toString('base64url');
    const sealed = sealKey(this.#deps.config.custodyKey, `webhook:${id}`, secret);
    const row = await withTx(this.#deps.pool, async (c) => {
      await c.query(
        `INSERT INTO webhooks(id, url, description, secret_ciphertext, secret_iv, secret_tag, created_by)
         VALUES ($1,$2,$3,$4,$5,$6,$7)`,
        [id, body.url, body.description ?? null, sealed.ciphertext, sealed.iv, sealed.tag, caller.userId],
      );
      await audit(c, caller, { action: 'webhooks.create', target: id, outcome: 'OK' });
      return (await c.query<WebhookRow>(`${SELECT_WEBHOOKS} WHERE w.id = $1`, [id])).rows[0]!;
    });
    this.onChange();
    // A generated secret is shown once, here; it is stored sealed with the custody key.
    return generated ? { ...view(row), secret } : view(row);
  }

  async list(): Promise<{ items: WebhookView[] }> {
    const r = await query<WebhookRow>(this.#deps.pool, `${SELECT_WEBHOOKS} ORDER BY w.created_at`);
    return { items: r.rows.map(view) };
  }

  async setActive(caller: Caller, id: string, active: boolean): Promise<WebhookView> {
    return withTx(this.#deps.pool, async (c) => {
      const r = await c.query('UPDATE webhooks SET active = $2 WHERE id = $1', [id, active]);
      if (r.rowCount === 0) throw new AppError(404, 'WEBHOOK_NOT_FOUND', `no webhook ${id}`);
      // A disabled webhook's undelivered events are dropped (marked failed), not sent when it is enabled again.
      if (!active)
        await c.query(
          `UPDATE webhook_outbox SET state = 'failed', lease_until = NULL WHERE webhook_id = $1 AND state = 'pending'`,
          [id],
        );
      await audit(c, caller, {
        action: active ? 'webhooks.enable' : 'webhooks.disable',
        target: id,
        outcome: 'OK',
      });
      return view((await c.query<WebhookRow>(`${SELECT_WEBHOOKS} WHERE w.id = $1`, [id])).rows[0]!);
    });
  }

  /** The delivery log of one webhook, newest first, `limit` per page, `cursor` = the last id seen. */
  async deliveries(
    id: string,
    q: { limit: number; cursor?: string },
  ): Promise<{ items: Record<string, unknown>[]; nextCursor: string | null }> {
    const exists = await query(this.#deps.pool, 'SELECT 1 FROM webhooks WHERE id = $1', [id]);
    if (exists.rowCount === 0) throw new AppError(404, 'WEBHOOK_NOT_FOUND', `no webhook ${id}`);
    const r = await query<{
      id: string;
      event_id: string;
      attempt: number;
      at: Date;
      status_code: number | null;
      error: string | null;
      duration_ms: number;
      outcome: string;
    }>(
      this.#deps.pool,
      `SELECT id, event_id, attempt, at, status_code, error, duration_ms, outcome FROM webhook_deliveries
        WHERE webhook_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint) ORDER BY id DESC LIMIT $3`,
      [id, q.cursor ?? null, q.limit + 1],
    );
    const rows = r.rows.slice(0, q.limit);
    return {
      items: rows.map((d) => ({
        id: d.id,
        eventId: d.event_id,
        attempt: d.attempt,
        at: d.at.toISOString(),
        statusCode: d.status_code,
        error: d.error,
        durationMs: d.duration_ms,
        outcome: d.outcome,
      })),
      nextCursor: r.rows.length > q.limit ? (rows[rows.length - 1]?.id ?? null) : null,
    };
  }
}

const SELECT_WEBHOOKS = `SELECT w.id, w.url, w.description, w.active, w.created_at, u.username AS created_by_name
  FROM webhooks w LEFT JOIN users u ON u.id = w.created_by`;

// ------------------------------------------------------------------ dispatcher (outbox writer + worker)

export interface DispatcherOptions {
  backoff?: BackoffPolicy;
  timeoutMs?: number;
  /** How often the worker looks for due rows when nothing woke it. */
  pollMs?: number;
  /** Rows claimed per round. */
  batch?: number;
}

const CURSOR = 'webhook-outbox';
/** Delivered and failed outbox rows, with their delivery log, are kept this long. */
const RETENTION_DAYS = 30;
const PRUNE_EVERY_MS = 3_600_000;

interface Claimed {
  id: string;
  webhook_id: string;
  event_id: string;
  payload: Record<string, unknown>;
  attempts: number;
  url: string;
  secret_ciphertext: Buffer;
  secret_iv: Buffer;
  secret_tag: Buffer;
}

export class WebhookDispatcher {
  readonly #deps: Deps;
  readonly #feed: EventFeed;
  readonly #logger: Logger;
  readonly #o: Required<DispatcherOptions>;
  #stopped = false;
  #unsubscribe: (() => void) | undefined;
  #writing: Promise<void> = Promise.resolve();
  #worker: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #woken = false;
  readonly #inFlight = new Set<AbortController>();

  constructor(deps: Deps, feed: EventFeed, o: DispatcherOptions = {}) {
    this.#deps = deps;
    this.#feed = feed;
    this.#logger = deps.logger;
    this.#o = {
      backoff: o.backoff ?? DEFAULT_BACKOFF,
      timeoutMs: o.timeoutMs ?? 10_000,
      pollMs: o.pollMs ?? 1000,
      batch: o.batch ?? 20,
    };
  }

  async start(): Promise<void> {
    // The first start on a database begins at the read model's checkpoint: history is not sent to webhooks.
    await query(
      this.#deps.pool,
      'INSERT INTO webhook_cursor(name, next_block) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING',
      [CURSOR, (await checkpoint(this.#deps.pool)).toString()],
    );
    await this.#feed.start();
    this.#unsubscribe = this.#feed.subscribe((_events, upto) => this.#enqueueWrite(upto));
    // Blocks projected while this process was down (or before the feed started) are written now.
    this.#enqueueWrite(this.#feed.position);
    this.#worker = this.#work();
  }

  /** Wakes the worker (a new webhook, a new outbox row). */
  nudge(): void {
    this.#woken = true;
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    for (const c of this.#inFlight) c.abort();
    this.nudge();
    await this.#writing.catch(() => undefined);
    await this.#worker;
  }

  #enqueueWrite(upto: bigint): void {
    this.#writing = this.#writing
      .then(() => this.#writeOutbox(upto))
      .then(
        (n) => {
          if (n > 0) this.nudge();
        },
        (e: unknown) => this.#logger.warn({ err: (e as Error).message }, 'webhooks: outbox write failed'),
      );
  }

  /** Outbox rows for the events of blocks [cursor, upto], and the cursor moved past them, in one transaction. */
  async #writeOutbox(upto: bigint): Promise<number> {
    if (this.#stopped) return 0;
    const mspId = this.#deps.config.org.mspId;
    return withTx(this.#deps.pool, async (c) => {
      const cur = await c.query<{ next_block: string }>(
        'SELECT next_block FROM webhook_cursor WHERE name = $1 FOR UPDATE',
        [CURSOR],
      );
      const next = BigInt(cur.rows[0]?.next_block ?? '0');
      if (upto < next) return 0;
      const hooks = await c.query<{ id: string }>('SELECT id FROM webhooks WHERE active');
      let written = 0;
      if (hooks.rows.length > 0) {
        // The org as a whole: what its auditors may see (every org has auditors; policy.ts).
        const events = (await eventsBetween(c, next - 1n, upto)).filter((e) =>
          visibleTo({ mspId, role: 'auditor' }, e),
        );
        for (const h of hooks.rows)
          for (const e of events) {
            const r = await c.query(
              `INSERT INTO webhook_outbox(webhook_id, event_id, payload) VALUES ($1, $2, $3)
               ON CONFLICT (webhook_id, event_id) DO NOTHING`,
              [h.id, e.event.id, JSON.stringify(webhookBody(this.#deps.config.org.id, e))],
            );
            written += r.rowCount ?? 0;
          }
      }
      await c.query('UPDATE webhook_cursor SET next_block = $2 WHERE name = $1', [
        CURSOR,
        (upto + 1n).toString(),
      ]);
      return written;
    });
  }

  async #work(): Promise<void> {
    let prunedAt = 0;
    while (!this.#stopped) {
      let claimed: Claimed[] = [];
      try {
        if (Date.now() - prunedAt > PRUNE_EVERY_MS) {
          prunedAt = Date.now();
          await this.#prune();
        }
        claimed = await this.#claim();
        await Promise.all(claimed.map((row) => this.#deliver(row)));
      } catch (e: unknown) {
        if (!this.#stopped)
          this.#logger.warn({ err: (e as Error).message }, 'webhooks: delivery round failed');
      }
      if (claimed.length === this.#o.batch || this.#stopped) continue;
      if (this.#woken) {
        this.#woken = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, this.#o.pollMs).unref();
      });
      this.#wake = undefined;
      this.#woken = false;
    }
  }

  /** Finished rows (and their delivery log) older than RETENTION_DAYS go; pending ones stay whatever their age. */
  async #prune(): Promise<void> {
    await this.#deps.pool.query(
      `DELETE FROM webhook_outbox WHERE state <> 'pending' AND created_at < now() - make_interval(days => $1)`,
      [RETENTION_DAYS],
    );
  }

  /** Due rows, leased to this process for longer than one attempt can take. */
  async #claim(): Promise<Claimed[]> {
    const leaseSeconds = Math.ceil(this.#o.timeoutMs / 1000) + 30;
    const r = await this.#deps.pool.query<Claimed>(
      `WITH due AS (
         SELECT o.id FROM webhook_outbox o
          WHERE o.state = 'pending' AND o.next_attempt_at <= now()
            AND (o.lease_until IS NULL OR o.lease_until < now())
          ORDER BY o.id LIMIT $1 FOR UPDATE SKIP LOCKED)
       UPDATE webhook_outbox o SET attempts = o.attempts + 1,
              lease_until = now() + make_interval(secs => $2)
         FROM due, webhooks w
        WHERE o.id = due.id AND w.id = o.webhook_id
       RETURNING o.id, o.webhook_id, o.event_id, o.payload, o.attempts, w.url,
                 w.secret_ciphertext, w.secret_iv, w.secret_tag`,
      [this.#o.batch, leaseSeconds],
    );
    return r.rows;
  }

  async #deliver(row: Claimed): Promise<void> {
    const secret = openKey(this.#deps.config.custodyKey, `webhook:${row.webhook_id}`, {
      ciphertext: row.secret_ciphertext,
      iv: row.secret_iv,
      tag: row.secret_tag,
    });
    const body = JSON.stringify(row.payload);
    const t = Math.floor(Date.now() / 1000);
    const started = Date.now();
    const ctl = new AbortController();
    this.#inFlight.add(ctl);
    const timer = setTimeout(() => ctl.abort(), this.#o.timeoutMs);
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(row.url, {
        method: 'POST',
        // A redirect is an answer like any other non-2xx: never followed (it could point anywhere).
        redirect: 'manual',
        signal: ctl.signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': `coffee-export-gateway/${this.#deps.config.org.id}`,
          'x-coffee-event-id': row.event_id,
          'x-coffee-delivery-attempt': String(row.attempts),
          'x-coffee-signature': signatureHeader(secret, t, body),
        },
        body,
      });
      statusCode = res.status;
      await res.body?.cancel().catch(() => undefined);
    } catch (e: unknown) {
      error = ctl.signal.aborted
        ? `no answer within ${this.#o.timeoutMs} ms`
        : ((e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message);
    } finally {
      clearTimeout(timer);
      this.#inFlight.delete(ctl);
    }
    const durationMs = Date.now() - started;
    const ok = statusCode !== null && statusCode >= 200 && statusCode < 300;
    const last = row.attempts >= this.#o.backoff.maxAttempts;
    const outcome = ok ? 'delivered' : last ? 'failed' : 'retry';
    const waitMs = backoffMs(row.attempts, this.#o.backoff, Math.random());
    await withTx(this.#deps.pool, async (c) => {
      await c.query(
        `UPDATE webhook_outbox SET lease_until = NULL,
                state = CASE $2 WHEN 'delivered' THEN 'delivered' WHEN 'failed' THEN 'failed' ELSE 'pending' END,
                delivered_at = CASE WHEN $2 = 'delivered' THEN now() END,
                next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
          WHERE id = $1`,
        [row.id, outcome, waitMs],
      );
      await c.query(
        `INSERT INTO webhook_deliveries(outbox_id, webhook_id, event_id, attempt, status_code, error, duration_ms, outcome)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
        [row.id, row.webhook_id, row.event_id, row.attempts, statusCode, error, durationMs, outcome],
      );
    });
    const log = ok ? this.#logger.debug.bind(this.#logger) : this.#logger.warn.bind(this.#logger);
    log(
      { webhook: row.webhook_id, eventId: row.event_id, attempt: row.attempts, statusCode, error, outcome },
      'webhook delivery',
    );
  }
}
