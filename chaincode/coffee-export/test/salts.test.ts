import '@coffee/chaincode-common/dist/test-support/quiet';
/**
 * workflow.md: "Every commitment (hash) of private data carries its own fresh salt of at least 128 bits."
 * The salts are read back as the private data holds them (GetTradeTerms, as the bank officer).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Json,
  STEPS,
  U,
  type World,
  advance,
  doc,
  freshSalt,
  fxApplication,
  newWorld,
  proceeds,
  refused,
  submission,
  terms,
} from './helpers/world';

const SALT_OF_128_BITS = /^[A-Za-z0-9_-]{22,128}$/;

async function salts(world: World, id: string): Promise<string[]> {
  const answer = await world.query(U.bank, 'export:GetTradeTerms', id);
  const t = answer.terms as Json;
  assert.equal((answer.customsValue as Json).salt, t.valueSalt, 'the customs value is the value commitment');
  return [t.salt, t.valueSalt, (answer.fxApplication as Json).salt, (answer.proceeds as Json).salt].map(
    String,
  );
}

function without(input: Json, key: string): Json {
  return Object.fromEntries(Object.entries(input).filter(([k]) => k !== key));
}

/** Step 1 (CreateExport) of `id` with the given private terms: the salts arrive with the creation. */
function createWith(world: World, id: string, tradeTerms: Json): Promise<string> {
  return world.submit(U.exporter, 'export:CreateExport', submission(id), { tradeTerms });
}

/** Runs step `n` of the happy path with the given transient (instead of the step's own). */
async function stepWith(
  world: World,
  id: string,
  n: number,
  transient: Record<string, Json>,
): Promise<string> {
  const step = STEPS[n] ?? assert.fail(`no step ${n}`);
  return world.submit(step.who, step.fn, await step.input(id, world), transient);
}

describe('salts: one fresh salt of at least 128 bits per commitment', () => {
  it('every commitment of every export has its own salt, and every public hash differs', async () => {
    const world = await newWorld();
    const all: string[] = [];
    const hashes: unknown[] = [];
    for (const id of ['EX-1', 'EX-2', 'EX-3']) {
      const record = await advance(world, id, STEPS.length);
      const mine = await salts(world, id);
      assert.equal(mine.length, 4, 'terms, value, FX application, proceeds');
      for (const salt of mine) {
        assert.match(salt, SALT_OF_128_BITS);
      }
      all.push(...mine);
      hashes.push(
        record.termsHash,
        record.valueCommitmentHash,
        (record.fx as Json).applicationHash,
        (record.payment as Json).proceedsHash,
      );
    }
    assert.equal(new Set(all).size, all.length, 'no salt serves two commitments');
    assert.equal(new Set(hashes).size, hashes.length, 'no two commitments share a hash');
  });

  const short = 'a'.repeat(21);
  const minimal = 'b'.repeat(22);
  it('a salt of 21 characters is refused in every transient input; 22 are accepted', async () => {
    const world = await newWorld();
    for (const field of ['salt', 'valueSalt']) {
      await refused(world, createWith(world, 'EX-1', terms({ [field]: short })), 'VALIDATION_FAILED');
    }
    await createWith(world, 'EX-1', terms({ salt: minimal }));
    await advance(world, 'EX-2', 2);
    await refused(
      world,
      stepWith(world, 'EX-2', 2, { fxApplication: fxApplication({ salt: short }) }),
      'VALIDATION_FAILED',
    );
    await stepWith(world, 'EX-2', 2, { fxApplication: fxApplication({ salt: 'c'.repeat(22) }) });
    await advance(world, 'EX-3', 7);
    await refused(
      world,
      stepWith(world, 'EX-3', 7, { paymentProceeds: proceeds({ salt: short }) }),
      'VALIDATION_FAILED',
    );
    await stepWith(world, 'EX-3', 7, { paymentProceeds: proceeds({ salt: 'd'.repeat(22) }) });
  });

  it('every transient input needs its salt', async () => {
    const world = await newWorld();
    const noSalt = without(terms(), 'salt');
    const noValueSalt = without(terms(), 'valueSalt');
    for (const t of [noSalt, noValueSalt]) {
      await refused(world, createWith(world, 'EX-1', t), 'VALIDATION_FAILED');
    }
    await advance(world, 'EX-2', 7);
    const fxWithout = without(fxApplication(), 'salt');
    const proceedsWithout = without(proceeds(), 'salt');
    await refused(
      world,
      stepWith(world, 'EX-2', 7, { paymentProceeds: proceedsWithout }),
      'VALIDATION_FAILED',
    );
    await advance(world, 'EX-3', 2);
    await refused(world, stepWith(world, 'EX-3', 2, { fxApplication: fxWithout }), 'VALIDATION_FAILED');
  });

  it('a salt reused across the commitments of one export is refused, at every step that adds one', async () => {
    const world = await newWorld();
    const [s1, s2, s3] = [freshSalt(), freshSalt(), freshSalt()];
    await refused(world, createWith(world, 'EX-1', terms({ salt: s1, valueSalt: s1 })), 'VALIDATION_FAILED');
    await createWith(world, 'EX-1', terms({ salt: s1, valueSalt: s2 }));
    for (const n of [0, 1]) {
      const step = STEPS[n] ?? assert.fail();
      await world.submit(step.who, step.fn, await step.input('EX-1', world));
    }
    for (const reused of [s1, s2]) {
      await refused(
        world,
        stepWith(world, 'EX-1', 2, { fxApplication: fxApplication({ salt: reused }) }),
        'VALIDATION_FAILED',
      );
    }
    await stepWith(world, 'EX-1', 2, { fxApplication: fxApplication({ salt: s3 }) });
    // An FX amendment (step 5) must not borrow a terms salt either.
    await world.submit(U.fx, 'export:RequestAmendment', {
      exportId: 'EX-1',
      reasonCode: 'LC_UNCLEAR',
      reason: 'x',
    });
    const amendment = { exportId: 'EX-1', documents: [doc('LC_OR_ADVANCE_ADVICE')] };
    for (const reused of [s1, s2]) {
      await refused(
        world,
        world.submit(U.bank, 'export:SubmitAmendment', amendment, {
          fxApplication: fxApplication({ salt: reused }),
        }),
        'VALIDATION_FAILED',
      );
    }
    const s4 = freshSalt();
    await world.submit(U.bank, 'export:SubmitAmendment', amendment, {
      fxApplication: fxApplication({ salt: s4 }),
    });
    for (const n of [3, 4, 5, 6]) {
      const step = STEPS[n] ?? assert.fail();
      await step.prepare?.('EX-1', world);
      await world.submit(step.who, step.fn, await step.input('EX-1', world), step.transient?.());
    }
    for (const reused of [s1, s2, s4]) {
      await refused(
        world,
        stepWith(world, 'EX-1', 7, { paymentProceeds: proceeds({ salt: reused }) }),
        'VALIDATION_FAILED',
      );
    }
    const s5 = freshSalt();
    await stepWith(world, 'EX-1', 7, { paymentProceeds: proceeds({ salt: s5 }) });
    assert.deepEqual(await salts(world, 'EX-1'), [s1, s2, s4, s5]);
  });
});
