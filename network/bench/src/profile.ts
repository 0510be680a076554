/**
 * How much load each workload gets: the full bench (`npm run bench`) or the quick one (`-- --quick`, or
 * COFFEE_BENCH_QUICK=1) that `npm test` runs so the bench keeps working. Every round is bounded by a
 * duration or a transaction count, and every pool of exports it needs is sized from these numbers up front.
 */
import { UserError } from '../../src/log.ts';

export interface Profile {
  readonly name: 'full' | 'quick';
  /** Clients kept busy by the closed-loop workloads (Caliper fixed-load, autocannon connections). */
  readonly clients: number;
  /** Caliper `create` round (closed loop), seconds. */
  readonly createSeconds: number;
  /** The stack's idle CPU is measured for this long first (subtracted in "CPU ms / tx above idle"). */
  readonly idleSeconds: number;
  /** Closed-loop transition and yardstick rounds: transactions each (count-bounded: they consume exports). */
  readonly closedLoopTxs: number;
  /** Fixed-rate steps (tx/s) that look for the knee, each for stepSeconds. */
  readonly transitionSteps: readonly number[];
  readonly yardstickSteps: readonly number[];
  readonly stepSeconds: number;
  /** Closed-loop evaluate/GET rounds, seconds. */
  readonly readSeconds: number;
  /** HTTP rounds, seconds each (the action round also stops when its pool of exports runs out). */
  readonly httpSeconds: number;
  /** Commit-to-read-model samples (one transition each, one at a time). */
  readonly freshnessSamples: number;
  /** Exports the GET / GetExport workloads pick from. */
  readonly readIds: number;
  /** Upper bound on the exports created for the HTTP action round. */
  readonly maxHttpActionPool: number;
}

export const FULL: Profile = {
  name: 'full',
  clients: 16,
  createSeconds: 10,
  idleSeconds: 5,
  closedLoopTxs: 240,
  transitionSteps: [5, 10, 20, 40, 80],
  yardstickSteps: [10, 20, 40, 80, 160, 320],
  stepSeconds: 4,
  readSeconds: 10,
  httpSeconds: 10,
  freshnessSamples: 20,
  readIds: 50,
  maxHttpActionPool: 600,
};

export const QUICK: Profile = {
  name: 'quick',
  clients: 2,
  createSeconds: 2,
  idleSeconds: 1,
  closedLoopTxs: 10,
  transitionSteps: [2, 4],
  yardstickSteps: [2, 4],
  stepSeconds: 2,
  readSeconds: 2,
  httpSeconds: 2,
  freshnessSamples: 3,
  readIds: 4,
  maxHttpActionPool: 20,
};

/** `--quick` on the command line or COFFEE_BENCH_QUICK=1 in the environment. */
export function profileFrom(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Profile {
  const unknown = argv.filter((a) => a !== '--quick');
  if (unknown.length > 0) {
    throw new UserError(`unknown argument(s) ${unknown.join(' ')}; usage: npm run bench [-- --quick]`);
  }
  return argv.includes('--quick') || env.COFFEE_BENCH_QUICK === '1' ? QUICK : FULL;
}

/** Exports the Caliper transition rounds consume: the closed-loop round plus every fixed-rate step. */
export function transitionPoolSize(p: Profile): number {
  return p.closedLoopTxs + p.transitionSteps.reduce((n, tps) => n + tps * p.stepSeconds, 0);
}
