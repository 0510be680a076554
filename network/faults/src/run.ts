/**
 * Runs fault cases one after another under one steady load, printing a line per case and a table at the end.
 */
import { CASES } from './cases.ts';
import { passed, type FaultCase, type Outcome } from './harness.ts';
import { Load, type LoadStats } from './load.ts';
import { World } from './world.ts';
import { launcher } from '../../../gateways/test/support/stack.ts';

/** Starts every node of the stack that is not running (the launcher resumes what is missing). */
async function heal(): Promise<void> {
  await launcher(['up']);
  await launcher(['gateways', 'up']);
}

export interface CaseReport {
  readonly id: number;
  readonly title: string;
  readonly expected: string;
  readonly outcome?: Outcome;
  readonly error?: string;
  readonly passed: boolean;
  readonly seconds: number;
}

export interface FaultRun {
  readonly reports: readonly CaseReport[];
  readonly load: LoadStats;
  readonly acknowledged: number;
}

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** One line a case: the fault, the write gap, lost writes, the time to converge, and the verdict. */
export function line(r: CaseReport): string {
  if (!r.outcome) return `#${r.id} ${r.title}: ERROR ${r.error ?? ''}`;
  const o = r.outcome;
  const failed = o.checks.filter((c) => !c.ok).map((c) => `${c.what} (${c.detail ?? ''})`);
  return (
    `#${r.id} ${o.fault}: write gap ${s(o.gapMs)}, lost ${o.lost.length}, converged in ${s(o.convergeMs)}` +
    ` — ${r.passed ? 'PASS' : `FAIL: ${[...o.lost.slice(0, 3), ...failed].join('; ')}`}`
  );
}

/** The Markdown table of a run. */
export function table(run: FaultRun): string {
  const rows = run.reports.map((r) => {
    const o = r.outcome;
    const checks = o
      ? o.checks.map((c) => `${c.ok ? '✔' : '✘'} ${c.what}${c.detail ? ` (${c.detail})` : ''}`).join('; ')
      : '';
    return `| ${r.id} | ${o?.fault ?? r.title} | ${o ? s(o.gapMs) : '–'} | ${o ? o.lost.length : '–'} | ${o ? s(o.convergeMs) : '–'} | ${r.passed ? 'pass' : 'FAIL'} | ${r.error ?? checks} |`;
  });
  return [
    '| # | fault | write gap | lost | converged in | result | checks |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `load: ${run.load.writesOk} writes acknowledged, ${run.load.readsOk} reads; answers ${JSON.stringify(run.load.answers)}`,
  ].join('\n');
}

export async function runFaults(opts: {
  cases?: readonly FaultCase[];
  log?: (line: string) => void;
  exporters?: number;
}): Promise<FaultRun> {
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const cases = opts.cases ?? CASES;
  log(`faults: creating the load's users (${opts.exporters ?? 3} exporters, an ECTA officer) …`);
  const world = await World.create(opts.exporters ?? 3);
  const load = new Load(world);
  load.start({ writers: opts.exporters ?? 3, readers: 1 });
  const reports: CaseReport[] = [];
  try {
    for (const c of cases) {
      log(`faults: #${c.id} ${c.title} (expected: ${c.expected}) …`);
      const t0 = Date.now();
      let report: CaseReport;
      try {
        const outcome = await c.run({ world, load, log });
        report = {
          id: c.id,
          title: c.title,
          expected: c.expected,
          outcome,
          passed: passed(outcome),
          seconds: (Date.now() - t0) / 1000,
        };
      } catch (e) {
        report = {
          id: c.id,
          title: c.title,
          expected: c.expected,
          error: e instanceof Error ? e.message : String(e),
          passed: false,
          seconds: (Date.now() - t0) / 1000,
        };
        // A case that failed half-way must leave neither a node down nor the load stopped for the next one.
        log(`faults: #${c.id} failed; restarting whatever is down (launcher up, gateways up) …`);
        await heal().catch((h: unknown) =>
          log(`faults: healing failed: ${h instanceof Error ? h.message : String(h)}`),
        );
        load.start();
      }
      reports.push(report);
      log(`faults: ${line(report)} (${report.seconds.toFixed(0)} s)`);
    }
  } finally {
    await load.stop();
  }
  return { reports, load: load.stats(), acknowledged: load.acks.length };
}
