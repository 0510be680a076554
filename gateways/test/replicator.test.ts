/** Replicas of the documents an org may read: which are pinned, when, and what happens when a pin fails. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { DocumentReplicator, REPLICAS_METRIC, type ReplicaRow } from '../src/ipfs/replicator.ts';

const row = (exportId: string, lastBlock: number, ...documents: [string, string][]): ReplicaRow => ({
  exportId,
  lastBlock: BigInt(lastBlock),
  documents: documents.map(([type, cid]) => ({ type, cid })),
});

/** A read model in memory: rows after the keyset position, in (last_block, export_id) order. */
function source(rows: ReplicaRow[]): {
  read: (after: { block: bigint; exportId: string }, limit: number) => Promise<ReplicaRow[]>;
  reads: number;
} {
  const s = {
    reads: 0,
    read: (after: { block: bigint; exportId: string }, limit: number) => {
      s.reads += 1;
      const sorted = [...rows].sort((a, b) =>
        a.lastBlock === b.lastBlock
          ? a.exportId.localeCompare(b.exportId)
          : a.lastBlock < b.lastBlock
            ? -1
            : 1,
      );
      return Promise.resolve(
        sorted
          .filter(
            (r) => r.lastBlock > after.block || (r.lastBlock === after.block && r.exportId > after.exportId),
          )
          .slice(0, limit),
      );
    },
  };
  return s;
}

function pinner(down: Set<string> = new Set()): { pin: (cid: string) => Promise<void>; calls: string[] } {
  const p = {
    calls: [] as string[],
    pin: (cid: string) => {
      p.calls.push(cid);
      return down.has(cid) ? Promise.reject(new Error('the IPFS node is unavailable')) : Promise.resolve();
    },
  };
  return p;
}

describe('document replicas', () => {
  it("pins the documents of the org's audience only, once each", async () => {
    const rows = [
      row('EXP-1', 5, ['SALES_CONTRACT', 'c1'], ['PROFORMA_INVOICE', 'p1']),
      row('EXP-2', 6, ['QUALITY_CERTIFICATE', 'q2'], ['PAYMENT_ADVICE', 'pay2']),
    ];
    const src = source(rows);
    const pins = pinner();
    const r = new DocumentReplicator({ source: src.read, pinner: pins, mspId: 'ECTAMSP' });
    await r.pass();
    // ECTA reads sales contracts, proforma invoices and quality certificates, not payment advices.
    assert.deepEqual(pins.calls, ['c1', 'p1', 'q2']);
    // A later transition rewrites EXP-1's record (same documents, a new block): nothing is pinned twice.
    rows[0] = row(
      'EXP-1',
      7,
      ['SALES_CONTRACT', 'c1'],
      ['PROFORMA_INVOICE', 'p1'],
      ['SALES_CONTRACT', 'c1b'],
    );
    await r.pass();
    assert.deepEqual(pins.calls, ['c1', 'p1', 'q2', 'c1b']);
    assert.equal(r.pinned, 4);
    // The shipping line reads none of these.
    const sl = pinner();
    await new DocumentReplicator({ source: source(rows).read, pinner: sl, mspId: 'ShippingLineMSP' }).pass();
    assert.deepEqual(sl.calls, []);
  });

  it('retries a pin that failed (its only holder down) after a growing delay, without holding the others back', async () => {
    let now = 1_000_000;
    const down = new Set(['c1']);
    const pins = pinner(down);
    const metrics = new Registry();
    const r = new DocumentReplicator({
      source: source([row('EXP-1', 5, ['SALES_CONTRACT', 'c1']), row('EXP-2', 6, ['SALES_CONTRACT', 'c2'])])
        .read,
      pinner: pins,
      mspId: 'ECTAMSP',
      retryMs: 5000,
      metrics,
      now: () => now,
    });
    await r.pass();
    assert.deepEqual(pins.calls, ['c1', 'c2']);
    assert.equal(r.pending, 1);
    await r.pass();
    assert.deepEqual(pins.calls, ['c1', 'c2'], 'not before its retry is due');
    now += 5000;
    await r.pass();
    assert.deepEqual(pins.calls, ['c1', 'c2', 'c1'], 'retried once due');
    now += 5000;
    await r.pass();
    assert.equal(pins.calls.length, 3, 'the delay doubled to 10 s');
    down.delete('c1');
    now += 5000;
    await r.pass();
    assert.deepEqual(pins.calls, ['c1', 'c2', 'c1', 'c1']);
    assert.equal(r.pending, 0);
    assert.equal(r.pinned, 2);
    const counted = (await metrics.getSingleMetric(REPLICAS_METRIC)!.get()).values;
    assert.deepEqual(Object.fromEntries(counted.map((v) => [v.labels.outcome, v.value])), {
      failed: 2,
      pinned: 2,
    });
  });

  it('pages through a large read model by (last_block, export_id), rows of one block split across pages', async () => {
    const rows = Array.from({ length: 450 }, (_, i) =>
      row(`EXP-${String(i).padStart(4, '0')}`, 10 + Math.floor(i / 300), ['SALES_CONTRACT', `c${i}`]),
    );
    const pins = pinner();
    await new DocumentReplicator({ source: source(rows).read, pinner: pins, mspId: 'ECTAMSP' }).pass();
    assert.equal(pins.calls.length, 450);
    assert.equal(new Set(pins.calls).size, 450);
  });

  it('reads the read model again only once the projector has moved on', async () => {
    let applied = 4n;
    const src = source([row('EXP-1', 4, ['SALES_CONTRACT', 'c1'])]);
    const r = new DocumentReplicator({
      source: src.read,
      pinner: pinner(),
      mspId: 'ECTAMSP',
      progress: () => applied,
    });
    await r.pass();
    const first = src.reads;
    await r.pass();
    assert.equal(src.reads, first, 'no new block: no query');
    applied = 5n;
    await r.pass();
    assert.ok(src.reads > first);
  });

  it("does not hold a new document's replica back behind a retry that waits out its timeout", async () => {
    const rows = [row('EXP-1', 1, ['SALES_CONTRACT', 'c1'])];
    const calls: string[] = [];
    const r = new DocumentReplicator({
      source: source(rows).read,
      pinner: {
        pin: (cid: string) => {
          calls.push(cid);
          // c1: no node holds it; the first attempt fails at once, the retry hangs (a pin waiting for its timeout).
          if (cid === 'c1')
            return calls.length === 1
              ? Promise.reject(new Error('unavailable'))
              : new Promise(() => undefined);
          return Promise.resolve();
        },
      },
      mspId: 'ECTAMSP',
      intervalMs: 5,
      retryMs: 1,
    });
    r.start();
    const until = async (cond: () => boolean, what: string): Promise<void> => {
      for (let i = 0; i < 200 && !cond(); i++) await new Promise((res) => setTimeout(res, 5));
      assert.ok(cond(), what);
    };
    await until(() => calls.filter((c) => c === 'c1').length === 2, 'c1 is being retried (and hangs)');
    rows.push(row('EXP-2', 2, ['SALES_CONTRACT', 'c2']));
    await until(() => calls.includes('c2'), 'the new document is pinned while the retry hangs');
    await r.stop(50);
  });

  it('pins several documents at once: twenty no node holds do not keep a new one waiting for long', async () => {
    const hopeless = Array.from({ length: 20 }, (_, i) => `h${i}`);
    const rows = [
      row('EXP-1', 1, ...hopeless.map((c): [string, string] => ['SALES_CONTRACT', c]), [
        'SALES_CONTRACT',
        'g1',
      ]),
    ];
    let pinnedAt = 0;
    const started = Date.now();
    const r = new DocumentReplicator({
      source: source(rows).read,
      pinner: {
        // kubo gives up on a document it cannot find after the timeout it was given.
        pin: (cid: string, timeoutMs?: number) => {
          if (cid === 'g1') {
            pinnedAt = Date.now();
            return Promise.resolve();
          }
          return new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs));
        },
      },
      mspId: 'ECTAMSP',
      firstPinTimeoutMs: 100,
      concurrency: 8,
    });
    await r.pass();
    assert.ok(pinnedAt > 0, 'the available document was pinned');
    // One after another it would come after 20 × 100 ms; eight at a time after about three rounds.
    assert.ok(pinnedAt - started < 1000, `pinned after ${pinnedAt - started} ms`);
    assert.equal(r.pending, 20, 'the others wait for their retry');
  });

  it('stops without waiting out a pin that hangs (a gateway shutting down)', async () => {
    let called = false;
    const r = new DocumentReplicator({
      source: source([row('EXP-1', 1, ['SALES_CONTRACT', 'c1'])]).read,
      pinner: {
        pin: () => {
          called = true;
          return new Promise(() => undefined);
        },
      },
      mspId: 'ECTAMSP',
    });
    r.start();
    while (!called) await new Promise((res) => setTimeout(res, 5));
    const t = Date.now();
    await r.stop(50);
    assert.ok(Date.now() - t < 1000);
  });

  it('runs on its own until stopped', async () => {
    const pins = pinner();
    const r = new DocumentReplicator({
      source: source([row('EXP-1', 1, ['SALES_CONTRACT', 'c1'])]).read,
      pinner: pins,
      mspId: 'ECTAMSP',
      intervalMs: 10,
    });
    r.start();
    for (let i = 0; i < 100 && pins.calls.length === 0; i++) await new Promise((res) => setTimeout(res, 10));
    await r.stop();
    assert.deepEqual(pins.calls, ['c1']);
  });
});
