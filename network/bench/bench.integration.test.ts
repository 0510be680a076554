/**
 * `npm run bench -- --quick` on the real stack, so the bench keeps working: every workload (Caliper's
 * chaincode rounds, the HTTP rounds, commit → read model) runs for a couple of seconds at a tiny load, and
 * each must have succeeded at least once and never failed. The figures of a quick run mean nothing; the full
 * bench (`npm run bench`) is not part of `npm test`.
 *
 * The stack is brought up like the gateways' integration tests do (reused when running); it is left up for
 * the next test file (scripts/test.mjs stops everything by pid at the end).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { bringUp } from '../../gateways/test/support/stack.ts';
import { runBench } from './src/bench.ts';
import { QUICK } from './src/profile.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.env.COFFEE_RUN_DIR ??= join(REPO, '.run', 'test');
process.env.COFFEE_PORT_OFFSET ??= '20000';

type BenchRun = Awaited<ReturnType<typeof runBench>>;

const EXPECTED = [
  'create',
  'transition',
  ...QUICK.transitionSteps.map((tps) => `transition-${tps}tps`),
  'yardstick',
  ...QUICK.yardstickSteps.map((tps) => `yardstick-${tps}tps`),
  'get',
  'http-create',
  'http-create (upload)',
  'http-register-contract',
  'http-get',
  'http-list',
];

describe('npm run bench -- --quick (real stack)', { timeout: 15 * 60_000 }, () => {
  let bench: BenchRun;

  before(
    async () => {
      await bringUp();
      bench = await runBench(QUICK);
    },
    { timeout: 14 * 60_000 },
  );

  it('runs every workload, each with successes and no failure', () => {
    const names = bench.report.workloads.map((w) => w.name);
    assert.deepEqual(names, EXPECTED);
    for (const w of bench.report.workloads) {
      assert.ok(w.succ > 0, `${w.name}: no successful transaction`);
      assert.equal(w.fail, 0, `${w.name}: ${w.fail} failed`);
      assert.ok(w.throughput > 0 && w.latency.p50 > 0, `${w.name}: throughput and latency measured`);
    }
  });

  it('measures CPU per process group and the same-run ratios', () => {
    const { report } = bench;
    for (const w of report.workloads.filter((x) => !x.name.includes('('))) {
      assert.ok(w.cpu, `${w.name}: CPU sampled`);
      assert.ok(w.cpu.groups.peers > 0, `${w.name}: the peers' CPU is sampled`);
    }
    assert.equal(report.freshness.missed, 0, 'every transition reached the other org read model');
    assert.ok(report.freshness.latency.p95 > 0);
    // The knees' ratios are left out: at a tiny load on a busy machine a step may not follow its rate.
    const { httpOverBareCreate, httpOverBareTransition, readModelOverEvaluate, transitionOverYardstick } =
      report.ratios;
    const ratios = {
      httpOverBareCreate,
      httpOverBareTransition,
      readModelOverEvaluate,
      transitionOverYardstick,
    };
    for (const [name, value] of Object.entries(ratios)) {
      assert.ok(value !== undefined && value > 0, `ratio ${name} measured`);
    }
  });

  it("writes the report as JSON, Markdown and HTML, beside Caliper's own", () => {
    for (const f of ['report.json', 'report.md', 'report.html']) {
      assert.ok(existsSync(join(bench.dir, f)), f);
    }
    assert.ok(existsSync(bench.report.caliperReport), 'caliper-report.html');
    assert.match(bench.markdown, /\| http-register-contract \|/);
  });
});
