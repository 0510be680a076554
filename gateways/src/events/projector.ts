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
import { Counter, type Registry } from 'prom-client';
import { withTx } from '../db/pool.ts';
import type { CoffeeLedger, FabricIdentity } from '../fabric/ledger.ts';
import {
  EUDR_READ_MODEL_TABLES,
  type EudrWrite,
  applyEudrWrites,
  eudrWrites,
  isEudrEvent,
} from './eudr-projection.ts';

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
  /** EUDR events only: the plot, lot-link and package records the transaction wrote (eudr-projection.ts). */
  eudr?: EudrWrite[];
}

/**
 * A payload the projector could not read, in a valid transaction: a transaction it cannot decode (skipped), a
 * chaincode event payload that is not a JSON object (the event projects with an empty payload), or an export
 * record or tracking log in the write set that is not a JSON object (left out of the projection).
 */
export interface BadPayload {
  blockNumber: bigint;
  txIndex: number;
  /** Empty when the transaction's header itself could not be read. */
  txId: string;
  part: 'transaction' | 'event' | 'write';
  chaincode?: string;
  reason: string;
}

export type BadPayloadReporter = (bad: Omit<BadPayload, 'blockNumber' | 'txIndex' | 'txId'>) => void;

export const BAD_PAYLOADS_METRIC = 'coffee_projector_bad_payloads_total';

/** The counter of unreadable payloads, registered once per registry (several projectors may share one). */
export function badPayloadsCounter(registry?: Registry): Counter<'part'> {
  const existing = registry?.getSingleMetric(BAD_PAYLOADS_METRIC);
  if (existing instanceof Counter) return existing;
  return new Counter({
    name: BAD_PAYLOADS_METRIC,
    help: 'Transactions, chaincode event payloads and written records the projector could not parse and skipped',
    labelNames: ['part'],
    registers: registry ? [registry] : [],
  });
}

export const PROJECTOR_ERRORS_METRIC = 'coffee_projector_errors_total';

/** The projector's failed rounds, registered once per registry (server.ts' projector and the app share it). */
export function projectorErrorsCounter(registry?: Registry): Counter {
  const existing = registry?.getSingleMetric(PROJECTOR_ERRORS_METRIC);
  if (existing instanceof Counter) return existing;
  return new Counter({
    name: PROJECTOR_ERRORS_METRIC,
    help: 'Projector rounds that failed (peer stream or Postgres) and were retried from the checkpoint',
    registers: registry ? [registry] : [],
  });
}

/** A JSON object, or why the bytes are not one. */
function jsonObject(bytes: Uint8Array): { value: Record<string, unknown> } | { reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e: unknown) {
    return { reason: `not JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return {
      reason: `not a JSON object (${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value})`,
    };
  return { value: value as Record<string, unknown> };
}

/** A composite key `\u0000<type>\u0000<attribute>\u0000` of one attribute: [type, attribute]. */
function compositeKey(key: string): [string, string] | undefined {
  const parts = key.split('\u0000');
  return parts.length === 4 && parts[0] === '' && parts[3] === '' ? [parts[1]!, parts[2]!] : undefined;
}

/** coffee-export's export records and tracking logs in a chaincode action's write set. */
function exportWrites(resultsBytes: Uint8Array, report: BadPayloadReporter): BlockEvent['writes'] {
  const out: BlockEvent['writes'] = [];
  const rwset = ledger.rwset.TxReadWriteSet.deserializeBinary(resultsBytes);
  for (const ns of rwset.getNsRwsetList()) {
    if (ns.getNamespace() !== 'coffee-export') continue;
    const kv = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8());
    for (const w of kv.getWritesList()) {
      if (w.getIsDelete()) continue;
      const [type, exportId] = compositeKey(w.getKey()) ?? [];
      if (!exportId || (type !== 'export' && type !== 'tracking')) continue;
      // The chaincode writes only canonical JSON objects: anything else is reported and left out (the event
      // still projects).
      const parsed = jsonObject(w.getValue_asU8());
      if ('value' in parsed)
        out.push({ exportId, kind: type === 'export' ? 'record' : 'tracking', value: parsed.value });
      else
        report({
          part: 'write',
          chaincode: 'coffee-export',
          reason: `${type} ${exportId}: ${parsed.reason}`,
        });
    }
  }
  return out;
}

/** The chaincode events of one valid transaction (reporting what it cannot read). */
function eventsOfTransaction(
  envBytes: Uint8Array,
  txIndex: number,
  onTxId: (txId: string) => void,
  report: BadPayloadReporter,
): BlockEvent[] {
  const payload = common.Payload.deserializeBinary(
    common.Envelope.deserializeBinary(envBytes).getPayload_asU8(),
  );
  const header = common.ChannelHeader.deserializeBinary(
    payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array(),
  );
  onTxId(header.getTxId());
  if (header.getType() !== common.HeaderType.ENDORSER_TRANSACTION) return [];
  const out: BlockEvent[] = [];
  const tx = peer.Transaction.deserializeBinary(payload.getData_asU8());
  for (const action of tx.getActionsList()) {
    const cap = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8());
    const prp = peer.ProposalResponsePayload.deserializeBinary(
      cap.getAction()?.getProposalResponsePayload_asU8() ?? new Uint8Array(),
    );
    const cca = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
    const ev = peer.ChaincodeEvent.deserializeBinary(cca.getEvents_asU8());
    const name = ev.getEventName();
    const chaincode = ev.getChaincodeId();
    if (!name || !PROJECTED_CHAINCODES.has(chaincode)) continue;
    // An unreadable payload still projects the event (with an empty payload): it happened on the ledger.
    const parsed = jsonObject(ev.getPayload_asU8());
    if ('reason' in parsed) report({ part: 'event', chaincode, reason: `event ${name}: ${parsed.reason}` });
    out.push({
      txIndex,
      txId: header.getTxId(),
      chaincode,
      name,
      payload: 'value' in parsed ? parsed.value : {},
      writes: exportWrites(cca.getResults_asU8(), report),
      ...(isEudrEvent(name) ? { eudr: eudrWrites(cca.getResults_asU8(), report) } : {}),
    });
  }
  return out;
}

/**
 * Chaincode events of the block's valid endorser transactions, in block order. Nothing unreadable stops the
 * projection: each payload that cannot be parsed is told to `onBadPayload` and skipped (a transaction that
 * cannot be decoded at all contributes no events; an event whose payload is not a JSON object projects with an
 * empty one; a written record that is not a JSON object is left out).
 */
export function eventsOfBlock(
  block: common.Block,
  onBadPayload: (bad: BadPayload) => void = () => undefined,
): BlockEvent[] {
  const blockNumber = BigInt(block.getHeader()?.getNumber() ?? 0);
  const data = block.getData()?.getDataList_asU8() ?? [];
  const flags =
    block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER] ??
    new Uint8Array();
  const out: BlockEvent[] = [];
  data.forEach((envBytes, txIndex) => {
    if (flags[txIndex] !== peer.TxValidationCode.VALID) return;
    let txId = '';
    const report: BadPayloadReporter = (bad) => onBadPayload({ blockNumber, txIndex, txId, ...bad });
    try {
      out.push(...eventsOfTransaction(envBytes, txIndex, (id) => (txId = id), report));
    } catch (e: unknown) {
      report({ part: 'transaction', reason: e instanceof Error ? e.message : String(e) });
    }
  });
  return out;
}

async function applyEvent(c: pg.PoolClient, blockNumber: bigint, ev: BlockEvent): Promise<void> {
  const p = ev.payload;
  const exportId = ev.chaincode === 'coffee-export' && typeof p.exportId === 'string' ? p.exportId : null;
  await c.query({
    name: 'rm-insert-event',
    text: 'INSERT INTO rm_events(block_number, tx_index, tx_id, chaincode, event_name, export_id, payload) VALUES ($1,$2,$3,$4,$5,$6,$7)',
    values: [blockNumber.toString(), ev.txIndex, ev.txId, ev.chaincode, ev.name, exportId, JSON.stringify(p)],
  });
  // EUDR writes have rows of their own; they never move an export's status or last action.
  if (ev.chaincode === 'coffee-export' && isEudrEvent(ev.name)) {
    await applyEudrWrites(c, blockNumber, ev.txId, ev.eudr ?? []);
    return;
  }
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
  await c.query({
    name: 'rm-upsert-export',
    text: `INSERT INTO rm_exports(export_id, exporter_id, status, contract, permit_number, created_at, updated_at, last_action, last_tx_id, last_block, event_count, reached, repatriation_due_at, delinquent, record, tracking)
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
    values: [
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
  });
}

/** Applies one block (and advances the checkpoint) atomically; false if the checkpoint is elsewhere. */
export async function applyBlock(
  pool: pg.Pool,
  blockNumber: bigint,
  events: readonly BlockEvent[],
): Promise<boolean> {
  return withTx(pool, async (c) => {
    // The read model and its checkpoint are rebuilt from the ledger: a block whose commit a crash loses (at most
    // WAL writer delay's worth, all or nothing with its checkpoint) is projected again from the checkpoint. So this
    // transaction does not wait for its WAL flush, one fsync less per block on every org's database. Users,
    // sessions, the audit log and the outbox keep the server's default.
    await c.query('SET LOCAL synchronous_commit = off');
    const cp = await c.query<{ next_block: string }>({
      name: 'rm-lock-checkpoint',
      text: 'SELECT next_block FROM projector_checkpoint WHERE name = $1 FOR UPDATE',
      values: [CHECKPOINT],
    });
    const next = BigInt(cp.rows[0]?.next_block ?? '0');
    if (next !== blockNumber) return false;
    for (const ev of events) await applyEvent(c, blockNumber, ev);
    await c.query({
      name: 'rm-advance-checkpoint',
      text: 'INSERT INTO projector_checkpoint(name, next_block) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET next_block = $2',
      values: [CHECKPOINT, (blockNumber + 1n).toString()],
    });
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
    for (const table of EUDR_READ_MODEL_TABLES) await c.query(`DELETE FROM ${table}`);
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
  /** Where coffee_projector_bad_payloads_total is registered (the gateway's /metrics registry). */
  metrics?: Registry;
}

/** The projector loop: follows the chain until stopped; reconnects from the checkpoint after any failure. */
export class Projector {
  readonly #o: ProjectorOptions;
  #stopped = false;
  #iterator: { close(): void } | undefined;
  #done: Promise<void> | undefined;
  #lastApplied = -1n;
  readonly #badPayloads: Counter<'part'>;
  readonly #errors: Counter;

  constructor(o: ProjectorOptions) {
    this.#o = o;
    this.#badPayloads = badPayloadsCounter(o.metrics);
    this.#errors = projectorErrorsCounter(o.metrics);
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
          const bad: BadPayload[] = [];
          const applied = await applyBlock(
            pool,
            number,
            eventsOfBlock(block, (b) => bad.push(b)),
          );
          if (!applied) break; // someone else moved the checkpoint: restart from it
          // Told once the block is applied (a block read again after a failure is not counted twice).
          for (const b of bad) this.#reportBadPayload(b);
          this.#lastApplied = number;
          this.#o.watch?.advance(number);
          if (this.#o.blockDelayMs) await new Promise((r) => setTimeout(r, this.#o.blockDelayMs));
          if (this.#stopped) break;
        }
        blocks.close();
      } catch (e: unknown) {
        if (this.#stopped) break;
        this.#errors.inc();
        logger.warn({ err: (e as Error).message }, 'projector: retrying from the checkpoint');
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  #reportBadPayload(b: BadPayload): void {
    this.#badPayloads.inc({ part: b.part });
    this.#o.logger.warn(
      {
        block: b.blockNumber.toString(),
        txIndex: b.txIndex,
        txId: b.txId,
        part: b.part,
        chaincode: b.chaincode,
        reason: b.reason,
      },
      'projector: skipped a payload it cannot parse',
    );
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#iterator?.close();
    await this.#done?.catch(() => undefined);
    this.#o.watch?.release();
  }
}
