/**
 * The projector reads blocks it did not write: a payload it cannot parse is logged (block, tx id, reason) and
 * counted in coffee_projector_bad_payloads_total, and projection goes on. Blocks are built here from the
 * protos; the projector runs on an in-memory checkpoint (no peer, no Postgres).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { common, ledger, peer } from '@hyperledger/fabric-protos';
import type pg from 'pg';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  BAD_PAYLOADS_METRIC,
  badPayloadsCounter,
  eventsOfBlock,
  ProjectionWatch,
  Projector,
  type BadPayload,
} from '../src/events/projector.ts';
import type { CoffeeLedger } from '../src/fabric/ledger.ts';

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

interface TxSpec {
  txId: string;
  event?: { chaincode?: string; name: string; payload: string };
  writes?: { key: string; value: string }[];
  /** Raw envelope bytes instead of a well-formed transaction. */
  raw?: Uint8Array;
  valid?: boolean;
}

function envelope(t: TxSpec): Uint8Array {
  if (t.raw) return t.raw;
  const ev = new peer.ChaincodeEvent();
  if (t.event) {
    ev.setChaincodeId(t.event.chaincode ?? 'coffee-export');
    ev.setTxId(t.txId);
    ev.setEventName(t.event.name);
    ev.setPayload(utf8(t.event.payload));
  }
  const kv = new ledger.rwset.kvrwset.KVRWSet();
  kv.setWritesList(
    (t.writes ?? []).map((w) => {
      const write = new ledger.rwset.kvrwset.KVWrite();
      write.setKey(w.key);
      write.setValue(utf8(w.value));
      return write;
    }),
  );
  const ns = new ledger.rwset.NsReadWriteSet();
  ns.setNamespace('coffee-export');
  ns.setRwset(kv.serializeBinary());
  const rwset = new ledger.rwset.TxReadWriteSet();
  rwset.setNsRwsetList([ns]);
  const cca = new peer.ChaincodeAction();
  cca.setEvents(ev.serializeBinary());
  cca.setResults(rwset.serializeBinary());
  const prp = new peer.ProposalResponsePayload();
  prp.setExtension$(cca.serializeBinary());
  const endorsed = new peer.ChaincodeEndorsedAction();
  endorsed.setProposalResponsePayload(prp.serializeBinary());
  const cap = new peer.ChaincodeActionPayload();
  cap.setAction(endorsed);
  const action = new peer.TransactionAction();
  action.setPayload(cap.serializeBinary());
  const tx = new peer.Transaction();
  tx.setActionsList([action]);
  const ch = new common.ChannelHeader();
  ch.setType(common.HeaderType.ENDORSER_TRANSACTION);
  ch.setTxId(t.txId);
  const header = new common.Header();
  header.setChannelHeader(ch.serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(tx.serializeBinary());
  const env = new common.Envelope();
  env.setPayload(payload.serializeBinary());
  return env.serializeBinary();
}

function block(number: number, txs: TxSpec[]): common.Block {
  const b = new common.Block();
  const header = new common.BlockHeader();
  header.setNumber(number);
  b.setHeader(header);
  const data = new common.BlockData();
  data.setDataList(txs.map(envelope));
  b.setData(data);
  const flags = new Uint8Array(
    txs.map((t) =>
      t.valid === false ? peer.TxValidationCode.MVCC_READ_CONFLICT : peer.TxValidationCode.VALID,
    ),
  );
  const metadata = new common.BlockMetadata();
  const list: Uint8Array[] = [new Uint8Array(), new Uint8Array(), new Uint8Array(), new Uint8Array()];
  list[common.BlockMetadataIndex.TRANSACTIONS_FILTER] = flags;
  metadata.setMetadataList(list);
  b.setMetadata(metadata);
  return b;
}

const exportKey = (id: string): string => `\u0000export\u0000${id}\u0000`;

/** One block with a readable transaction and one of each unreadable payload. */
function mixedBlock(number: number): common.Block {
  return block(number, [
    {
      txId: 'tx-good',
      event: { name: 'ExportCreated', payload: '{"exportId":"EX-1","toStatus":"DRAFT"}' },
      writes: [{ key: exportKey('EX-1'), value: '{"exportId":"EX-1","status":"DRAFT"}' }],
    },
    { txId: 'tx-bad-event', event: { name: 'ExportShipped', payload: '{not json' } },
    { txId: 'tx-null-event', event: { name: 'ExportShipped', payload: 'null' } },
    {
      txId: 'tx-bad-write',
      event: { name: 'ExportUpdated', payload: '{"exportId":"EX-2"}' },
      writes: [{ key: exportKey('EX-2'), value: '\u0000binary' }],
    },
    { txId: 'tx-garbage', raw: new Uint8Array([0x0a, 0xff, 0xff, 0xff]) },
    // Invalid transactions are not read at all: nothing to report.
    { txId: 'tx-invalid', raw: new Uint8Array([0xff]), valid: false },
  ]);
}

describe('eventsOfBlock: unreadable payloads', () => {
  it('reports each one with block, tx and reason, and still yields every readable event', () => {
    const bad: BadPayload[] = [];
    const events = eventsOfBlock(mixedBlock(7), (b) => bad.push(b));
    assert.deepEqual(
      events.map((e) => [e.txId, e.name, e.payload]),
      [
        ['tx-good', 'ExportCreated', { exportId: 'EX-1', toStatus: 'DRAFT' }],
        ['tx-bad-event', 'ExportShipped', {}],
        ['tx-null-event', 'ExportShipped', {}],
        ['tx-bad-write', 'ExportUpdated', { exportId: 'EX-2' }],
      ],
    );
    assert.deepEqual(events[0]!.writes, [
      { exportId: 'EX-1', kind: 'record', value: { exportId: 'EX-1', status: 'DRAFT' } },
    ]);
    assert.deepEqual(events[3]!.writes, []);
    assert.deepEqual(
      bad.map((b) => [b.blockNumber, b.txIndex, b.txId, b.part]),
      [
        [7n, 1, 'tx-bad-event', 'event'],
        [7n, 2, 'tx-null-event', 'event'],
        [7n, 3, 'tx-bad-write', 'write'],
        [7n, 4, '', 'transaction'],
      ],
    );
    assert.match(bad[0]!.reason, /ExportShipped: not JSON/);
    assert.match(bad[1]!.reason, /not a JSON object \(null\)/);
    assert.match(bad[2]!.reason, /export EX-2: not JSON/);
    assert.equal(bad[2]!.chaincode, 'coffee-export');
    assert.ok(bad[3]!.reason.length > 0);
  });

  it('reports nothing for a clean block (and works without a reporter)', () => {
    const clean = block(1, [{ txId: 't', event: { name: 'ExportCreated', payload: '{"exportId":"EX-3"}' } }]);
    const bad: BadPayload[] = [];
    assert.equal(eventsOfBlock(clean, (b) => bad.push(b)).length, 1);
    assert.deepEqual(bad, []);
    assert.equal(eventsOfBlock(mixedBlock(2)).length, 4);
  });
});

/** A Postgres pool that knows only the checkpoint and counts the events inserted. */
function memoryPool(): { pool: pg.Pool; events: unknown[][] } {
  let next = 0n;
  const events: unknown[][] = [];
  const run = (text: string, values: unknown[] = []): { rows: { next_block: string }[] } => {
    if (text.startsWith('SELECT next_block')) return { rows: [{ next_block: next.toString() }] };
    if (text.startsWith('INSERT INTO projector_checkpoint')) next = BigInt(String(values[1]));
    if (text.startsWith('INSERT INTO rm_events')) events.push(values);
    return { rows: [] };
  };
  // Text and values, or a named statement's config object, as pg takes them.
  const query = (
    q: string | { text: string; values?: unknown[] },
    values?: unknown[],
  ): Promise<{ rows: { next_block: string }[] }> =>
    Promise.resolve(typeof q === 'string' ? run(q, values) : run(q.text, q.values));
  const client = { query, release: () => undefined };
  const pool = { query, connect: () => Promise.resolve(client) };
  return { pool: pool as unknown as pg.Pool, events };
}

/** A ledger whose block stream yields the given blocks, then waits until closed. */
function blockSource(blocks: common.Block[]): CoffeeLedger {
  const stream = (start: bigint): AsyncIterable<common.Block> & { close(): void } => {
    let closed: () => void = () => undefined;
    const done = new Promise<void>((r) => (closed = r));
    return {
      async *[Symbol.asyncIterator]() {
        for (const b of blocks) if (BigInt(b.getHeader()!.getNumber()) >= start) yield b;
        await done;
      },
      close: () => closed(),
    };
  };
  const network = {
    getBlockEvents: ({ startBlock }: { startBlock: bigint }) => Promise.resolve(stream(startBlock)),
  };
  return { ledger: { network: () => network } } as unknown as CoffeeLedger;
}

describe('Projector: unreadable payloads', () => {
  it('logs and counts each one, and goes on projecting', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'warn' },
      { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const metrics = new Registry();
    const { pool, events } = memoryPool();
    const watch = new ProjectionWatch();
    const projector = new Projector({
      pool,
      ledger: blockSource([mixedBlock(0), block(1, [])]),
      identity: { id: 'x', mspId: 'ECTAMSP', certificate: '', privateKey: '' },
      logger,
      watch,
      metrics,
    });
    projector.start();
    try {
      assert.equal(await watch.reached(1n, 5000), true, 'the block after the bad payloads is applied');
    } finally {
      await projector.stop();
    }
    assert.equal(events.length, 4, 'every readable event was projected');
    const skipped = lines.filter((l) => l.msg === 'projector: skipped a payload it cannot parse');
    assert.deepEqual(
      skipped.map((l) => [l.block, l.txIndex, l.txId, l.part]),
      [
        ['0', 1, 'tx-bad-event', 'event'],
        ['0', 2, 'tx-null-event', 'event'],
        ['0', 3, 'tx-bad-write', 'write'],
        ['0', 4, '', 'transaction'],
      ],
    );
    assert.ok(skipped.every((l) => typeof l.reason === 'string' && l.reason.length > 0));
    const counted = await badPayloadsCounter(metrics).get();
    assert.deepEqual(Object.fromEntries(counted.values.map((v) => [v.labels.part, v.value])), {
      event: 2,
      write: 1,
      transaction: 1,
    });
    assert.match(await metrics.metrics(), new RegExp(`${BAD_PAYLOADS_METRIC}\\{part="event"\\} 2`));
  });

  it('registers its counter once per registry', () => {
    const metrics = new Registry();
    assert.equal(badPayloadsCounter(metrics), badPayloadsCounter(metrics));
    assert.notEqual(badPayloadsCounter(), badPayloadsCounter());
  });
});
