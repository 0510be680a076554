/**
 * Live export events, as the read model learns of them. The projector applies each block in one SQL transaction
 * and then advances the in-process ProjectionWatch; this feed waits on that watch (no Postgres polling while a
 * projector runs here), reads the new blocks' export events from rm_events once, and hands each to every
 * subscriber (the SSE streams, the webhook outbox writer). Filtering by the need-to-know policy is done per
 * subscriber with `visibleTo`, from the same `canSeeExport` the reads use.
 */
import { canSeeExport, type LiveEvent, type Viewer } from '@coffee/consortium';
import type pg from 'pg';
import type { Logger } from 'pino';
import { checkpoint, type ProjectionWatch } from './projector.ts';

/** One export event as a subscriber receives it (@coffee/consortium: the portal reads the same shape). */
export type { LiveEvent };

/** A live event with the facts the visibility decision needs (never sent to a client). */
export interface FeedEvent {
  event: LiveEvent;
  facts: { exporterId: string; reached: string };
}

export function eventId(blockNumber: bigint | string, txIndex: number): string {
  return `${String(blockNumber)}-${txIndex}`;
}

/** Parses `<block>-<txIndex>` (a client's Last-Event-ID); undefined when it is not one. */
export function parseEventId(id: string | undefined): { block: bigint; txIndex: number } | undefined {
  const m = /^(\d{1,19})-(\d{1,9})$/.exec(id?.trim() ?? '');
  if (!m) return undefined;
  return { block: BigInt(m[1]!), txIndex: Number(m[2]) };
}

/** May this viewer receive this event? Exactly when it may see the export (policy.ts, as every read decides). */
export function visibleTo(viewer: Viewer, e: FeedEvent): boolean {
  return canSeeExport(viewer, e.facts);
}

/** A row of rm_events joined with the export's current read-model row (fallbacks for events without facts). */
export interface EventRow {
  block_number: string;
  tx_index: number;
  tx_id: string;
  event_name: string;
  export_id: string;
  payload: Record<string, unknown>;
  exporter_id: string | null;
  reached: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The feed event of one row (pure: the payload's own facts first, the read model's second). */
export function feedEventOf(r: EventRow): FeedEvent {
  const p = r.payload;
  return {
    event: {
      id: eventId(r.block_number, r.tx_index),
      exportId: r.export_id,
      status: str(p.toStatus),
      previousStatus: str(p.fromStatus),
      action: str(p.action) ?? r.event_name,
      txId: r.tx_id,
      blockNumber: String(r.block_number),
      at: str(p.at),
    },
    facts: {
      exporterId: str(p.exporterId) ?? r.exporter_id ?? '',
      // A tracking event carries no `reached`; the read model's (never going back) stands in.
      reached: str(p.reached) ?? r.reached ?? 'DRAFT',
    },
  };
}

const EVENTS_SQL = `
  SELECT e.block_number, e.tx_index, e.tx_id, e.event_name, e.export_id, e.payload, x.exporter_id, x.reached
    FROM rm_events e LEFT JOIN rm_exports x ON x.export_id = e.export_id
   WHERE e.chaincode = 'coffee-export' AND e.export_id IS NOT NULL`;

/** Export events of blocks in (afterBlock, uptoBlock], in ledger order. */
export async function eventsBetween(
  db: pg.Pool | pg.PoolClient,
  afterBlock: bigint,
  uptoBlock: bigint,
): Promise<FeedEvent[]> {
  const r = await db.query<EventRow>(
    `${EVENTS_SQL} AND e.block_number > $1 AND e.block_number <= $2 ORDER BY e.block_number, e.tx_index`,
    [afterBlock.toString(), uptoBlock.toString()],
  );
  return r.rows.map(feedEventOf);
}

/** Export events after one event id, up to a block, at most `limit` (a reconnecting client's catch-up). */
export async function eventsAfter(
  db: pg.Pool,
  after: { block: bigint; txIndex: number },
  uptoBlock: bigint,
  limit: number,
): Promise<FeedEvent[]> {
  const r = await db.query<EventRow>(
    `${EVENTS_SQL} AND (e.block_number, e.tx_index) > ($1::bigint, $2::int) AND e.block_number <= $3
     ORDER BY e.block_number, e.tx_index LIMIT $4`,
    [after.block.toString(), after.txIndex, uptoBlock.toString(), limit],
  );
  return r.rows.map(feedEventOf);
}

export type FeedListener = (events: readonly FeedEvent[], uptoBlock: bigint) => void;

/**
 * Follows the projection and tells listeners of every new block's export events. Starts at the read model's
 * checkpoint (history is not replayed to listeners; a reconnecting SSE client asks for it by Last-Event-ID).
 */
export class EventFeed {
  readonly #pool: pg.Pool;
  readonly #watch: ProjectionWatch | undefined;
  readonly #logger: Logger;
  readonly #listeners = new Set<FeedListener>();
  /** The last block whose events were handed out (-1: none yet). */
  #position = -1n;
  #running: Promise<void> | undefined;
  #stopped = false;
  #wake: (() => void) | undefined;

  constructor(pool: pg.Pool, watch: ProjectionWatch | undefined, logger: Logger) {
    this.#pool = pool;
    this.#watch = watch;
    this.#logger = logger;
  }

  /** The last block handed to listeners: a new subscriber's catch-up ends here, live events start after it. */
  get position(): bigint {
    return this.#position;
  }

  subscribe(listener: FeedListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts following (idempotent); resolves once the starting position is known. */
  async start(): Promise<void> {
    if (this.#running || this.#stopped) return;
    this.#position = (await checkpoint(this.#pool)) - 1n;
    this.#running ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#running;
  }

  /**
   * The last applied block, once it is past our position or a while has passed: the watch wakes us as soon as the
   * projector in this process applies the next block (whatever it had applied before we started); without one,
   * Postgres is asked once a second. The checkpoint is read either way (one query per wake-up).
   */
  async #nextHeight(): Promise<bigint> {
    const watch = this.#watch;
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      if (watch) void watch.reached(this.#position + 1n, 5000).then(() => resolve());
      else setTimeout(resolve, 1000).unref();
    });
    this.#wake = undefined;
    return (await checkpoint(this.#pool)) - 1n;
  }

  async #run(): Promise<void> {
    let backoff = 500;
    while (!this.#stopped) {
      try {
        const height = await this.#nextHeight();
        if (this.#stopped || height <= this.#position) continue;
        const events = await eventsBetween(this.#pool, this.#position, height);
        this.#position = height;
        for (const l of this.#listeners) {
          try {
            l(events, height);
          } catch (e: unknown) {
            this.#logger.warn({ err: (e as Error).message }, 'events: a listener failed');
          }
        }
        backoff = 500;
      } catch (e: unknown) {
        if (this.#stopped) break;
        this.#logger.warn({ err: (e as Error).message }, 'events: reading new blocks failed; retrying');
        await new Promise((r) => setTimeout(r, backoff).unref());
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }
}
