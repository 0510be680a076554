import '@coffee/chaincode-common/dist/test-support/quiet';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type MinimumPrice,
  SCHEDULE_MARGIN_MS,
  minPriceId,
  pruneRows,
  rowInForce,
} from '../src/model/minprice';
import { CE, type Json, STEPS, U, type World, advance, newWorld, refused, submit } from './helpers/world';

const DAY = 86_400_000;
const millisOf = (iso: string): number => Date.parse(iso);

/** A small deterministic generator (mulberry32), so a failure can be reproduced. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rowsFrom(next: () => number, count: number, around: number): MinimumPrice[] {
  const regions = [undefined, 'SIDAMA', 'GUJI'];
  return Array.from({ length: count }, (_, i) => ({
    docType: 'minimumPrice',
    id: minPriceId(i + 1),
    grade: 'G2',
    originRegion: regions[Math.floor(next() * regions.length)],
    usdPerKg: 1 + Math.floor(next() * 500) / 100,
    // Whole days, so equal effective-froms (ties broken by id) happen too.
    effectiveFrom: new Date(around + Math.floor((next() - 0.7) * 40) * DAY).toISOString(),
    publishedAt: new Date(around).toISOString(),
    publishedBy: 'ECTAMSP::ecta-officer1',
    txId: `tx-${i}`,
  }));
}

describe('minimum prices: the schedule answers like the whole table', () => {
  it('pruned rows give the same row in force as all rows, at every time from the cut on', () => {
    const next = random(9);
    let dropped = 0;
    for (let round = 0; round < 200; round++) {
      const from = Date.parse('2026-06-01T00:00:00Z');
      const rows = rowsFrom(next, 1 + Math.floor(next() * 25), from);
      const pruned = pruneRows(rows, from);
      dropped += rows.length - pruned.length;
      for (let t = from; t <= from + 30 * DAY; t += DAY / 2) {
        for (const region of ['SIDAMA', 'GUJI', 'LIMU']) {
          assert.equal(
            rowInForce(pruned, 'G2', region, t, millisOf)?.id,
            rowInForce(rows, 'G2', region, t, millisOf)?.id,
            `round ${round}, ${region}, ${new Date(t).toISOString()}`,
          );
        }
      }
    }
    assert.ok(dropped > 500, `superseded rows are dropped (${dropped})`);
  });

  it('a row is dropped only when a row of its own region class outranks it from the cut on', () => {
    const from = Date.parse('2026-06-01T00:00:00Z');
    const row = (id: number, region: string | undefined, effective: string): MinimumPrice => ({
      docType: 'minimumPrice',
      id: minPriceId(id),
      grade: 'G2',
      originRegion: region,
      usdPerKg: 5,
      effectiveFrom: effective,
      publishedAt: effective,
      publishedBy: 'x',
      txId: `t${id}`,
    });
    const rows = [
      row(1, undefined, '2026-01-01T00:00:00.000Z'),
      row(2, undefined, '2026-03-01T00:00:00.000Z'), // outranks 1
      row(3, 'SIDAMA', '2026-02-01T00:00:00.000Z'), // another class: kept
      row(4, undefined, '2026-07-01T00:00:00.000Z'), // not yet in force at the cut: outranks nothing yet
    ];
    assert.deepEqual(
      pruneRows(rows, from).map((r) => r.id),
      ['MP-000002', 'MP-000003', 'MP-000004'],
    );
  });
});

/** Step 1 (ECTA registers the contract) of an export already created. */
async function registerContract(world: World, id: string): Promise<unknown> {
  const step = STEPS[0]!;
  return world.submit(step.who, step.fn, await step.input(id, world), step.transient?.());
}

describe('minimum prices on the ledger: one key per grade', () => {
  it('RegisterContract reads the schedule, no range of prices', async () => {
    const world = await newWorld();
    await submit(world, 'EX-1');
    world.ledger.rangeQueries.splice(0);
    await registerContract(world, 'EX-1');
    assert.deepEqual(
      world.ledger.rangeQueries.filter((q) => q.namespace === CE),
      [],
      'no range read when registering',
    );
  });

  it('after many publications the schedule stays small, and the latest price in force applies', async () => {
    const world = await newWorld();
    // A year of weekly SIDAMA prices, all in the past, rising to 6.50 (above the contract's 6.25).
    for (let week = 0; week < 52; week++) {
      await world.submit(U.ecta, 'minprice:PublishMinimumPrice', {
        grade: 'G2',
        originRegion: 'SIDAMA',
        usdPerKg: week === 51 ? 6.5 : 5 + week / 100,
        effectiveFrom: new Date(Date.parse('2025-01-01') + week * 7 * DAY).toISOString().slice(0, 10),
      });
    }
    const listed = await world.query(U.customs, 'minprice:ListMinimumPrices', { grade: 'G2' });
    assert.equal((listed.records as Json[]).length, 54, 'every row stays in the table');
    const schedule = JSON.parse(
      Buffer.from(
        world.ledger.committed(CE).get('\u0000minimumPriceSchedule\u0000G2\u0000') ?? new Uint8Array(),
      ).toString('utf8'),
    ) as { rows: Json[] };
    assert.deepEqual(
      schedule.rows.map((r) => [r.originRegion ?? '-', r.usdPerKg]),
      [
        ['-', 5],
        ['SIDAMA', 6.5],
      ],
    );
    await submit(world, 'EX-1');
    await refused(world, registerContract(world, 'EX-1'), 'BELOW_MINIMUM_PRICE');
  });

  it('a price published for a later date applies from that date on', async () => {
    const world = await newWorld();
    const tomorrow = new Date(world.ledger.seconds * 1000 + DAY).toISOString().slice(0, 10);
    await world.submit(U.ecta, 'minprice:PublishMinimumPrice', {
      grade: 'G2',
      originRegion: 'SIDAMA',
      usdPerKg: 7,
      effectiveFrom: tomorrow,
    });
    await submit(world, 'EX-2');
    const registered = await advance(world, 'EX-1', 1);
    assert.equal((registered.registration as Json).minimumPriceId, 'MP-000002');
    world.ledger.advance((2 * DAY) / 1000);
    await refused(world, registerContract(world, 'EX-2'), 'BELOW_MINIMUM_PRICE');
  });

  it('without a schedule (a ledger from before it) and for a timestamp before it, the whole table answers the same', async () => {
    const world = await newWorld();
    const key = '\u0000minimumPriceSchedule\u0000G2\u0000';
    const ask = (): Promise<Json> =>
      world.query(U.customs, 'minprice:GetMinimumPriceInForce', { grade: 'G2', originRegion: 'SIDAMA' });
    const withSchedule = await ask();
    const schedule = world.ledger.committed(CE).get(key);
    assert.ok(schedule);
    world.ledger.committed(CE).delete(key);
    world.ledger.rangeQueries.splice(0);
    assert.deepEqual(await ask(), withSchedule);
    assert.equal(world.ledger.rangeQueries.length, 1, 'read the table');
    world.ledger.committed(CE).set(key, schedule);
    // An evaluation whose clock is more than the margin behind the last publication.
    world.ledger.seconds -= (SCHEDULE_MARGIN_MS + DAY) / 1000;
    world.ledger.rangeQueries.splice(0);
    assert.deepEqual(await ask(), withSchedule);
    assert.equal(world.ledger.rangeQueries.length, 1, 'read the table');
  });
});
