/**
 * Replicas of the documents this org may read, pinned on its own kubo node, so that a document stays available to
 * every org of its audience while the node of the org that uploaded it is down (docs/gateways.md; fault case 10 of
 * the fault suite). Without them only the uploader's node holds a document until someone else fetches it.
 *
 * The replicator follows the read model: every few seconds it reads the export records projected since its last
 * pass (keyset on last_block, export_id) and pins each document whose type's audience (`documentAudience`,
 * @coffee/consortium's policy.ts) includes this org; kubo fetches it from the private swarm. A replica is the same
 * encrypted envelope, already wrapped for this org's key, so it exposes nothing this org could not fetch anyway. A
 * pin that cannot be had yet (its only holder is down) is retried with a growing delay; pins are idempotent, so a
 * restarted gateway simply goes over the read model again.
 *
 * A document no node holds waits out its whole pin timeout, and a run of such documents (an org's node down for an
 * hour, records naming content that never existed) must not hold a new upload's replica back: that replica is what
 * keeps the document when its uploader's node is lost (docs/operations.md, RPO). So several pins run at once, a new
 * document gets a short first attempt (an available one arrives within it), and retries run in a lane of their own
 * beside the scan for new documents, with the full timeout.
 */
import { documentAudience } from '@coffee/consortium';
import type pg from 'pg';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';

export interface ReplicaDocument {
  readonly cid: string;
  readonly type: string;
}

/** Export records projected after a keyset position, in (last_block, export_id) order. */
export interface ReplicaRow {
  readonly exportId: string;
  readonly lastBlock: bigint;
  readonly documents: readonly ReplicaDocument[];
}

export type ReplicaSource = (
  after: { block: bigint; exportId: string },
  limit: number,
) => Promise<readonly ReplicaRow[]>;

export interface Pinner {
  pin(cid: string, timeoutMs?: number): Promise<void>;
}

/** The read model's export records (their documents) after a keyset position. */
export function readModelDocuments(pool: pg.Pool): ReplicaSource {
  return async (after, limit) => {
    const r = await pool.query<{ export_id: string; last_block: string; documents: unknown }>(
      `SELECT export_id, last_block::text, record->'documents' AS documents FROM rm_exports
       WHERE (last_block, export_id) > ($1::bigint, $2) ORDER BY last_block, export_id LIMIT $3`,
      [after.block.toString(), after.exportId, limit],
    );
    return r.rows.map((row) => ({
      exportId: row.export_id,
      lastBlock: BigInt(row.last_block),
      documents: (Array.isArray(row.documents) ? (row.documents as unknown[]) : []).flatMap((d) => {
        const { cid, type } = (d ?? {}) as { cid?: unknown; type?: unknown };
        return typeof cid === 'string' && typeof type === 'string' ? [{ cid, type }] : [];
      }),
    }));
  };
}

export const REPLICAS_METRIC = 'coffee_document_replicas_total';

export interface ReplicatorOptions {
  readonly source: ReplicaSource;
  readonly pinner: Pinner;
  /** This org's MSP id: documents whose audience includes it are pinned here. */
  readonly mspId: string;
  readonly logger?: Logger;
  readonly metrics?: Registry;
  /** Pause between passes (default 2 s). */
  readonly intervalMs?: number;
  /** Time one retried pin may take (fetching from the swarm) before it is retried later (default 15 s). */
  readonly pinTimeoutMs?: number;
  /** Time a new document's first pin may take before it goes to the retry lane (default 3 s). */
  readonly firstPinTimeoutMs?: number;
  /** Pins in flight at once, in the scan and in the retry lane each (default 8). */
  readonly concurrency?: number;
  /** First retry delay of a failed pin, doubled each time up to 5 minutes (default 5 s). */
  readonly retryMs?: number;
  readonly now?: () => number;
  /**
   * The last block the projector applied in this process (ProjectionWatch.applied): a pass that finds it where the
   * previous one did skips reading the read model. Without it every pass reads it.
   */
  readonly progress?: () => bigint;
}

const PAGE = 200;
const MAX_RETRY_MS = 5 * 60_000;

export class DocumentReplicator {
  readonly #o: ReplicatorOptions;
  #after = { block: -1n, exportId: '' };
  readonly #pinned = new Set<string>();
  readonly #failed = new Map<string, { due: number; delay: number }>();
  readonly #counter: Counter<'outcome'>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  /** The retry lane in progress (at most one). */
  #retrying: Promise<void> | undefined;
  #stopped = false;
  /** The projector's progress at the last read of the read model (undefined: never read). */
  #scannedAt: bigint | undefined;

  constructor(o: ReplicatorOptions) {
    this.#o = o;
    const existing = o.metrics?.getSingleMetric(REPLICAS_METRIC);
    this.#counter =
      existing instanceof Counter
        ? existing
        : new Counter({
            name: REPLICAS_METRIC,
            help: "Pins of other orgs' documents on this org's IPFS node (replicas of its audience's documents), by outcome",
            labelNames: ['outcome'],
            registers: o.metrics ? [o.metrics] : [],
          });
  }

  /** Documents pinned here by this replicator (or found pinned already). */
  get pinned(): number {
    return this.#pinned.size;
  }

  /** Documents waiting for a retry. */
  get pending(): number {
    return this.#failed.size;
  }

  start(): void {
    if (this.#timer || this.#stopped) return;
    const tick = (): void => {
      // The retry lane is not waited for: the next scan comes after the interval whatever the retries do.
      this.#running = this.#scan()
        .then(() => void this.#retries())
        .catch((e: unknown) => {
          this.#o.logger?.warn({ err: (e as Error).message }, 'document replicas: pass failed, retrying');
        })
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, this.#o.intervalMs ?? 2000);
        });
    };
    this.#timer = setTimeout(tick, 0);
  }

  /** Stops after the pin in progress, waiting for it at most `waitMs` (a pin may wait for its timeout). */
  async stop(waitMs = 2000): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([this.#running, this.#retrying]),
      new Promise((r) => (timer = setTimeout(r, waitMs))),
    ]);
    clearTimeout(timer);
  }

  /** One pass: every record projected since the last pass, then the failed pins that are due. */
  async pass(): Promise<void> {
    await this.#scan();
    await this.#retries();
  }

  /** The failed pins that are due, in the retry lane (joined when one runs already). */
  #retries(): Promise<void> {
    const now = this.#o.now ?? Date.now;
    this.#retrying ??= this.#pinAll(
      [...this.#failed].filter(([, r]) => r.due <= now()).map(([cid]) => cid),
      this.#o.pinTimeoutMs ?? 15_000,
    ).finally(() => (this.#retrying = undefined));
    return this.#retrying;
  }

  /** Pins these documents, `concurrency` at a time. */
  async #pinAll(cids: readonly string[], timeoutMs: number): Promise<void> {
    const queue = [...cids];
    const worker = async (): Promise<void> => {
      for (let cid = queue.shift(); cid !== undefined && !this.#stopped; cid = queue.shift())
        await this.#pin(cid, timeoutMs);
    };
    await Promise.all(Array.from({ length: Math.min(queue.length, this.#o.concurrency ?? 8) }, worker));
  }

  /** The documents of every record projected since the last scan, each pinned once. */
  async #scan(): Promise<void> {
    const progress = this.#o.progress?.();
    if (progress !== undefined && this.#scannedAt !== undefined && progress <= this.#scannedAt) return;
    this.#scannedAt = progress;
    for (;;) {
      const rows = await this.#o.source(this.#after, PAGE);
      const fresh = new Set<string>();
      for (const row of rows)
        for (const doc of row.documents)
          if (this.#mine(doc) && !this.#pinned.has(doc.cid) && !this.#failed.has(doc.cid)) fresh.add(doc.cid);
      await this.#pinAll([...fresh], this.#o.firstPinTimeoutMs ?? 3000);
      if (this.#stopped) return;
      const last = rows.at(-1);
      if (last) this.#after = { block: last.lastBlock, exportId: last.exportId };
      if (rows.length < PAGE) return;
    }
  }

  #mine(doc: ReplicaDocument): boolean {
    return (documentAudience(doc.type) as readonly string[]).includes(this.#o.mspId);
  }

  async #pin(cid: string, timeoutMs: number): Promise<void> {
    const now = this.#o.now ?? Date.now;
    try {
      await this.#o.pinner.pin(cid, timeoutMs);
      this.#pinned.add(cid);
      this.#failed.delete(cid);
      this.#counter.inc({ outcome: 'pinned' });
    } catch (e: unknown) {
      const before = this.#failed.get(cid);
      const delay = before ? Math.min(before.delay * 2, MAX_RETRY_MS) : (this.#o.retryMs ?? 5000);
      this.#failed.set(cid, { due: now() + delay, delay });
      this.#counter.inc({ outcome: 'failed' });
      if (!before)
        this.#o.logger?.warn(
          { cid, err: (e as Error).message },
          'document replicas: could not pin yet, will retry',
        );
    }
  }
}
