/**
 * The fast subset of the fault suite (cases 1, 2, 5, 7, 9 and 14: a Raft follower and the leader killed, one org's
 * peer killed, a gateway killed mid-request, PostgreSQL down 30 s, twenty clients on one export) on the suite's
 * stack, under the steady load. Fails on any lost acknowledged write, any divergence, or any unmet expectation.
 * `npm run faults` runs every case on a stack of its own.
 */
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { bringUp } from '../../gateways/test/support/stack.ts';
import { CASES } from './src/cases.ts';
import { line, runFaults, table, type FaultRun } from './src/run.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.env.COFFEE_RUN_DIR ??= join(REPO, '.run', 'test');
process.env.COFFEE_PORT_OFFSET ??= '20000';

const FAST = CASES.filter((c) => c.fast);
let result: FaultRun;

describe('faults survived, measured (fast subset, real stack)', { timeout: 30 * 60_000 }, () => {
  before(
    async () => {
      await bringUp();
      result = await runFaults({ cases: FAST, log: (l) => process.stdout.write(`# ${l}\n`) });
      process.stdout.write(`${table(result).replace(/^/gm, '# ')}\n`);
    },
    { timeout: 30 * 60_000 },
  );

  it('runs the cases 1, 2, 5, 7, 9 and 14', () => {
    assert.deepEqual(
      result.reports.map((r) => r.id),
      [1, 2, 5, 7, 9, 14],
    );
    assert.ok(result.acknowledged > 10, `the load wrote (${result.acknowledged} acknowledged writes)`);
  });

  for (const c of FAST) {
    it(`#${c.id} ${c.title}: ${c.expected}`, () => {
      const r = result.reports.find((x) => x.id === c.id);
      assert.ok(r, `case ${c.id} ran`);
      assert.equal(r.outcome?.lost.length ?? -1, 0, line(r));
      assert.ok(r.passed, line(r));
    });
  }
});
