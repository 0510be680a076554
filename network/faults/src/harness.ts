/**
 * One fault case = inject under load, heal, then measure: the write gap (the longest time with no successful
 * write from the injection until writes flow again), the acknowledged writes lost, and the time until every peer
 * holds the same chain and every read model has projected it.
 */
import { lostWrites, converge } from './nodes.ts';
import type { Load } from './load.ts';
import type { World } from './world.ts';

export interface CaseContext {
  readonly world: World;
  readonly load: Load;
  readonly log: (line: string) => void;
}

export interface Outcome {
  /** The fault as it happened (e.g. which orderer led). */
  readonly fault: string;
  readonly gapMs: number;
  readonly lost: readonly string[];
  readonly convergeMs: number;
  /** Each expectation of the case, met or not. */
  readonly checks: readonly Check[];
}

export interface Check {
  readonly what: string;
  readonly ok: boolean;
  readonly detail?: string;
}

export interface FaultCase {
  readonly id: number;
  readonly title: string;
  readonly expected: string;
  /** Part of the fast subset npm test runs. */
  readonly fast?: boolean;
  run(ctx: CaseContext): Promise<Outcome>;
}

export const check = (what: string, ok: boolean, detail?: string): Check => ({ what, ok, detail });

export const passed = (o: Outcome): boolean => o.lost.length === 0 && o.checks.every((c) => c.ok);

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The common shape: the load flows; `inject` breaks something and heals it (returning its own checks); the load
 * writes again; everything converges; no acknowledged write since shortly before the fault is lost.
 */
export async function underLoad(
  ctx: CaseContext,
  inject: () => Promise<{ fault: string; checks: Check[]; afterwards?: () => Promise<Check[]> }>,
  opts: { maxGapMs?: number } = {},
): Promise<Outcome> {
  await ctx.load.flowing(2);
  const t0 = Date.now();
  const { fault, checks, afterwards } = await inject();
  const resumed = await ctx.load.flowing(2, 180_000);
  const gapMs = ctx.load.writeGap(t0, resumed);
  // Converged means one chain everywhere, which a running load keeps moving: it pauses while that is measured.
  await ctx.load.stop();
  const conv = await converge();
  // Checks of the converged state (e.g. a restarted orderer at the others' height), the load still paused.
  if (afterwards) checks.push(...(await afterwards()));
  const lost = await lostWrites(
    ctx.load.acks.filter((a) => a.at >= t0 - 30_000),
    ctx.world.ecta,
  );
  ctx.load.start();
  const all = [...checks, check('no fork: one block hash at one height', conv.forks === 0)];
  if (opts.maxGapMs !== undefined) {
    all.push(
      check(
        `write gap ≤ ${opts.maxGapMs / 1000} s`,
        gapMs <= opts.maxGapMs,
        `${(gapMs / 1000).toFixed(1)} s`,
      ),
    );
  }
  return { fault, gapMs, lost, convergeMs: conv.ms, checks: all };
}
