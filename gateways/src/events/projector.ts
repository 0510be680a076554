/**
 * The read model projector: reads blocks from the org's own peer (starting at the checkpoint), takes the
 * chaincode events of valid transactions, and applies each block in ONE Postgres transaction that also
 * advances the checkpoint (next block). A crash at any point leaves either the whole block or none of it, so
 * a restart neither loses nor duplicates rows; replaying from block 0 rebuilds the identical read model
 * (every row is a pure function of the events; no wall-clock values).
 *
 * Several projectors on one database are safe: each block's transaction locks the checkpoint row and only
 * applies the block if the checkpoint is exactly that block; otherwise it restarts from the checkpoint.
 */
import { common, ledger, peer } from '@hyperledger/fabric-protos';
import type pg from 'pg';
import type { Logger } from 'pino';
import { withTx } from '../db/pool.ts';
import type { CoffeeLedger, FabricIdentity } from '../fabric/ledger.ts';

export const CHECKPOINT = 'read-model';
const PROJECTED_CHAINCODES = new Set(['coffee-export', 'user-management']);

export interface BlockEvent {
  txIndex: number;
  txId: string;
  chaincode: string;
  name: string;
  payload: Record<string, unknown>;
  /** The export records and tracking logs this transaction wrote (its public write set, as committed). */
  writes: { exportId: string; kind: 'record' | 'tracking'; value: Record<string, unknown> }[];
}

/** A composite key `\u0000<type>\u0000<attribute>\u0000` of one attribute: [type, attribute]. */
function compositeKey(key: string): [string, string] | undefined {
  const parts = key.split('\u0000');
  return parts.length === 4 && parts[0] === '' && parts[3] === '' ? [parts[1]!, parts[2]!] : undefined;
}

/** coffee-export's export records and tracking logs in a chaincode action's write set. */
function exportWrites(resultsBytes: Uint8Array): BlockEvent['writes'] {
  const out: BlockEvent['writes'] = [];
  const rwset = ledger.rwset.TxReadWriteSet.deserializeBinary(resultsBytes);
  for (const ns of rwset.getNsRwsetList()) {
    if (ns.getNamespace() !== 'coffee-export') continue;
    const kv = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8());
    for (const w of kv.getWritesList()) {
      if (w.getIsDelete()) continue;
      const [type, exportId] = compositeKey(w.getKey()) ?? [];
      if (!exportId || (type !== 'export' && type !== 'tracking')) continue;
      try {
        const value = JSON.parse(Buffer.from(w.getValue_asU8()).toString('utf8')) as Record<string, unknown>;
        out.push({ exportId, kind: type === 'export' ? 'record' : 'tracking', value });
      } catch {
        // Not JSON: not one of ours (the chaincode writes only canonical JSON); the event still projects.
      }
    }
  }
  return out;
}

/** Chaincode events of the block's valid endorser transactions, in block order. */
export function eventsOfBlock(block: common.Block): BlockEvent[] {
  const data = block.getData()?.getDataList_asU8() ?? [];
  const flags =
    block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER] ??
    new Uint8Array();
  const out: BlockEvent[] = [];
  data.forEach((envBytes, txIndex) => {
    if (flags[txIndex] !== peer.TxValidationCode.VALID) return;
    const payload = common.Payload.deserializeBinary(
      common.Envelope.deserializeBinary(envBytes).getPayload_asU8(),
    );
    const header = common.ChannelHeader.deserializeBinary(
      payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array(),
    );
    if (header.getType() !== common.HeaderType.ENDORSER_TRANSACTION) return;
    const tx = peer.Transaction.deserializeBinary(payload.getData_asU8());
    for (const action of tx.getActionsList()) {
      const cap = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8());
      const prp = peer.ProposalResponsePayload.deserializeBinary(
        cap.getAction()?.getProposalResponsePayload_asU8() ?? new Uint8Array(),
      );
      const cca = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
      const ev = peer.ChaincodeEvent.deserializeBinary(cca.getEvents_asU8());
      const name = ev.getEventName();
      if (!name || !PROJECTED_CHAINCODES.has(ev.getChaincodeId())) continue;
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(Buffer.from(ev.getPayload_asU8()).toString('utf8')) as Record<string, unknown>;
      } catch {
        parsed = {};
      }
      out.push({
        txIndex,
        txId: header.getTxId(),
        chaincode: ev.getChaincodeId(),
        name,
        payload: parsed,
        writes: exportWrites(cca.getResults_asU8()),
      });
    }
  });
  return out;
}

async function applyEvent(c: pg.PoolClient, blockNumber: bigint, ev: BlockEvent): Promise<void> {
  const p = ev.payload;
  const exportId = ev.chaincode === 'coffee-export' && typeof p.exportId === 'string' ? p.exportId : null;
  await c.query(
    'INSERT INTO rm_events(block_number, tx_index, tx_id, chaincode, event_name, export_id, payload) VALUES ($1,$2,$3,$4,$5,$6,$7)',
    [blockNumber.toString(), ev.txIndex, ev.txId, ev.chaincode, ev.name, exportId, JSON.stringify(p)],
  );
  if (!exportId) return;
  const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
  const at = str(p.at);
  const status = typeof p.toStatus === 'string' ? p.toStatus : null;
  const permit = typeof p.permitNumber === 'string' ? p.permitNumber : null;
  // `reached` decides who may see the export (policy.ts); events carry it, and it never goes back.
  const reached = typeof p.reached === 'string' ? p.reached : null;
  const due = typeof p.repatriationDueAt === 'string' ? p.repatriationDueAt : null;
  const delinquent =
    ev.name === 'ExportDelinquent' ? true : ev.name === 'ExportDelinquencyCleared' ? false : null;
  const record = ev.writes.find((w) => w.exportId === exportId && w.kind === 'record')?.value;
  const tracking = ev.writes.find((w) => w.exportId === exportId && w.kind === 'tracking')?.value;
  await c.query(
    `INSERT INTO rm_exports(export_id, exporter_id, status, contract, permit_number, created_at, updated_at, last_action, last_tx_id, last_block, event_count, reached, repatriation_due_at, delinquent, record, tracking)
     VALUES ($1, $2, COALESCE($3, 'UNKNOWN'), $4, $5, $6, $6, $7, $8, $9, 1, COALESCE($10, 'DRAFT'), $11, COALESCE($12, false), $13, $14)
     ON CONFLICT (export_id) DO UPDATE SET
       status = COALESCE($3, rm_exports.status),
       contract = COALESCE($4, rm_exports.contract),
       permit_number = COALESCE($5, rm_exports.permit_number),
       updated_at = $6, last_action = $7, last_tx_id = $8, last_block = $9,
       event_count = rm_exports.event_count + 1,
       reached = COALESCE($10, rm_exports.reached),
       repatriation_due_at = COALESCE($11, rm_exports.repatriation_due_at),
       delinquent = COALESCE($12, rm_exports.delinquent),
       record = COALESCE($13, rm_exports.record),
       tracking = COALESCE($14, rm_exports.tracking)`,
    [
      exportId,
      str(p.exporterId),
      status,
      p.contract === undefined ? null : JSON.stringify(p.contract),
      permit,
      at,
      str(p.action, ev.name),
      ev.txId,
      blockNumber.toString(),
      reached,
      due,
      delinquent,
      record === undefined ? null : JSON.stringify(record),
      tracking === undefined ? null : JSON.stringify(tracking),
    ],
  );
}

/** Applies one block (and advances the checkpoint) atomically; false if the checkpoint is elsewhere. */
export async function applyBlock(
  pool: pg.Pool,
  blockNumber: bigint,
  events: readonly BlockEvent[],
): Promise<boolean> {
  return withTx(pool, async (c) => {
    const cp = await c.query<{ next_block: string }>(
      'SELECT next_block FROM projector_checkpoint WHERE name = $1 FOR UPDATE',
      [CHECKPOINT],
    );
    const next = BigInt(cp.rows[0]?.next_block ?? '0');
    if (next !== blockNumber) return false;
    for (const ev of events) await applyEvent(c, blockNumber, ev);
    await c.query(
      'INSERT INTO projector_checkpoint(name, next_block) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET next_block = $2',
      [CHECKPOINT, (blockNumber + 1n).toString()],
    );
    return true;
  });
}

export async function checkpoint(pool: pg.Pool): Promise<bigint> {
  const r = await pool.query<{ next_block: string }>(
    'SELECT next_block FROM projector_checkpoint WHERE name = $1',
    [CHECKPOINT],
  );
  return BigInt(r.rows[0]?.next_block ?? '0');
}

/** Empties the read model and its checkpoint in one transaction (reprojection from block 0). */
export async function resetReadModel(pool: pg.Pool): Promise<void> {
  await withTx(pool, async (c) => {
    await c.query('SELECT next_block FROM projector_checkpoint WHERE name = $1 FOR UPDATE', [CHECKPOINT]);
    await c.query('DELETE FROM rm_events');
    await c.query('DELETE FROM rm_exports');
    await c.query(
      'INSERT INTO projector_checkpoint(name, next_block) VALUES ($1, 0) ON CONFLICT (name) DO UPDATE SET next_block = 0',
      [CHECKPOINT],
    );
  });
}

/**
 * The projector's progress, in-process: a request that must see its own write in the read model waits on this
 * instead of polling Postgres (read-your-writes without a query every few milliseconds per request).
 */
export class ProjectionWatch {
  #applied = -1n;
  readonly #waiters = new Set<{ block: bigint; done: (ok: boolean) => void }>();

  get applied(): bigint {
    return this.#applied;
  }

  advance(block: bigint): void {
    if (block <= this.#applied) return;
    this.#applied = block;
    for (const w of this.#waiters) if (w.block <= block) w.done(true);
  }

  /** True once `block` has been applied here, false after `timeoutMs`. */
  reached(block: bigint, timeoutMs: number): Promise<boolean> {
    if (block <= this.#applied) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        block,
        done: (ok: boolean): void => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => waiter.done(false), timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** Releases every waiter (false): the projector stops. */
  release(): void {
    for (const w of this.#waiters) w.done(false);
  }
}

export interface ProjectorOptions {
  pool: pg.Pool;
  ledger: CoffeeLedger;
  identity: FabricIdentity;
  logger: Logger;
  /** Optional pause after each block (tests use it to SIGKILL mid-projection). */
  blockDelayMs?: number;
  /** Told of every block applied (the gateway's read-your-writes wait). */
  watch?: ProjectionWatch;
}

/** The projector loop: follows the chain until stopped; reconnects from the checkpoint after any failure. */
export class Projector {
  readonly #o: ProjectorOptions;
  #stopped = false;
  #iterator: { close(): void } | undefined;
  #done: Promise<void> | undefined;
  #lastApplied = -1n;

  constructor(o: ProjectorOptions) {
    this.#o = o;
  }

  start(): void {
    this.#done ??= this.#run();
  }

  /** Resolves once every block below `height` has been applied. */
  async waitFor(height: bigint, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await checkpoint(this.#o.pool)) < height) {
      if (Date.now() > deadline) throw new Error(`projector did not reach block ${height}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  get lastApplied(): bigint {
    return this.#lastApplied;
  }

  async #run(): Promise<void> {
    const { pool, ledger, identity, logger } = this.#o;
    let backoff = 500;
    while (!this.#stopped) {
      try {
        const start = await checkpoint(pool);
        const blocks = await ledger.ledger.network(identity).getBlockEvents({ startBlock: start });
        this.#iterator = blocks;
        backoff = 500;
        for await (const block of blocks) {
          const number = BigInt(block.getHeader()?.getNumber() ?? 0);
          const applied = await applyBlock(pool, number, eventsOfBlock(block));
          if (!applied) break; // someone else moved the checkpoint: restart from it
          this.#lastApplied = number;
          this.#o.watch?.advance(number);
          if (this.#o.blockDelayMs) await new Promise((r) => setTimeout(r, this.#o.blockDelayMs));
          if (this.#stopped) break;
        }
        blocks.close();
      } catch (e: unknown) {
        if (this.#stopped) break;
        logger.warn({ err: (e as Error).message }, 'projector: retrying from the checkpoint');
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#iterator?.close();
    await this.#done?.catch(() => undefined);
    this.#o.watch?.release();
  }
}
