/** Caliper-style figures of one workload: success/failure, send rate, throughput, latency percentiles, CPU. */
import type { CpuUsage } from './cpu.ts';

export interface Latency {
  /** Milliseconds. */
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly avg: number;
}

export interface WorkloadResult {
  readonly name: string;
  readonly level: 'chaincode' | 'http';
  /** How the load was applied, e.g. "fixed-rate 20 tps" or "16 clients, closed loop". */
  readonly load: string;
  readonly succ: number;
  readonly fail: number;
  /** Transactions (requests) sent per second over the sending period. */
  readonly sendRate: number;
  /** Successful transactions per second, from the first send to the last completion. */
  readonly throughput: number;
  readonly latency: Latency;
  readonly seconds: number;
  /** The stack's CPU seconds per process group over the workload. */
  readonly cpu?: CpuUsage;
  /** CPU seconds of the load generator (Caliper worker or autocannon in the bench process). */
  readonly clientCpuSeconds: number;
}

/** Nearest-rank percentile of sorted values (0 when there are none). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

export function latencyOf(valuesMs: readonly number[]): Latency {
  const sorted = [...valuesMs].sort((a, b) => a - b);
  const avg = sorted.length ? sorted.reduce((s, x) => s + x, 0) / sorted.length : 0;
  return {
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? 0),
    avg: round(avg),
  };
}

/** One finished transaction: when it was sent and finished (ms since epoch), and whether it succeeded. */
export type Sample = readonly [number, number, 0 | 1];

/** Caliper's definitions: send rate over the sending span; throughput from first send to last completion. */
export function summarize(
  name: string,
  level: WorkloadResult['level'],
  load: string,
  samples: readonly Sample[],
  cpu: CpuUsage | undefined,
  clientCpuSeconds: number,
): WorkloadResult {
  const ok = samples.filter((s) => s[2] === 1);
  const firstSend = Math.min(...samples.map((s) => s[0]));
  const lastSend = Math.max(...samples.map((s) => s[0]));
  const lastEnd = Math.max(...samples.map((s) => s[1]));
  const sendSpan = (lastSend - firstSend) / 1000;
  const span = (lastEnd - firstSend) / 1000;
  return {
    name,
    level,
    load,
    succ: ok.length,
    fail: samples.length - ok.length,
    sendRate: samples.length > 1 && sendSpan > 0 ? round((samples.length - 1) / sendSpan) : 0,
    throughput: samples.length > 0 && span > 0 ? round(ok.length / span) : 0,
    latency: latencyOf(ok.map((s) => s[1] - s[0])),
    seconds: samples.length > 0 ? round(span) : 0,
    cpu,
    clientCpuSeconds: round(clientCpuSeconds, 2),
  };
}
