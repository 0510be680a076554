/**
 * The bench report: one table of every workload (Caliper's columns plus latency percentiles), CPU per process
 * group, the knees of the fixed-rate steps, and the ratios measured in the same run — printed, and written as
 * JSON, Markdown and HTML under RUN_DIR/bench/<run>/ (latest.* beside them).
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GROUPS, type CpuUsage } from './cpu.ts';
import type { Freshness } from './freshness.ts';
import type { WorkloadResult } from './stats.ts';

export interface Knee {
  /** The highest rate the throughput still followed (undefined: not even the first step). */
  readonly tps: number | undefined;
  /** The highest throughput any step reached. */
  readonly peakThroughput: number;
  /** True when every step followed: the knee lies above the last step. */
  readonly aboveLastStep: boolean;
  /** The step at (or just below) half the knee, and its p95 latency in ms. */
  readonly halfKnee?: { readonly tps: number; readonly p95: number };
}

export interface Ratios {
  /** Throughput of the create over HTTP (POST /exports, uploads aside) / with the bare client, same clients. */
  readonly httpOverBareCreate?: number;
  /** Throughput of the transition over HTTP / with the bare client, same number of clients. */
  readonly httpOverBareTransition?: number;
  /** Throughput of GET /exports/{id} (read model) / evaluate GetExport, same number of clients. */
  readonly readModelOverEvaluate?: number;
  /** Throughput of our transition / the yardstick's CreateAsset, same clients; and of their knees. */
  readonly transitionOverYardstick?: number;
  readonly transitionKneeOverYardstickKnee?: number;
  /** The highest throughput of our transition's fixed-rate steps / the yardstick's. */
  readonly transitionPeakOverYardstickPeak?: number;
  /** Commit → visible in another org's read model, p95 ms. */
  readonly commitToReadModelP95Ms: number;
}

export interface Report {
  readonly run: string;
  readonly profile: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly runDir: string;
  readonly portOffset: number;
  readonly chaincodes: Readonly<Record<string, string>>;
  readonly workloads: readonly WorkloadResult[];
  readonly knees: { readonly transition: Knee; readonly yardstick: Knee };
  readonly freshness: Freshness;
  /** The stack's CPU with no load, measured before the workloads. */
  readonly idle: CpuUsage;
  readonly ratios: Ratios;
  readonly caliperReport: string;
}

/** A step follows its send rate when ≥ 90 % of it commits without failures and p95 stays within 2 s. */
function follows(step: WorkloadResult, tps: number): boolean {
  return step.fail === 0 && step.throughput >= 0.9 * tps && step.latency.p95 <= 2000;
}

export function kneeOf(steps: readonly { tps: number; result: WorkloadResult }[]): Knee {
  let tps: number | undefined;
  for (const s of steps) {
    if (!follows(s.result, s.tps)) break;
    tps = s.tps;
  }
  const aboveLastStep = tps !== undefined && tps === steps[steps.length - 1]?.tps;
  const half = tps !== undefined ? [...steps].reverse().find((s) => s.tps <= tps / 2) : undefined;
  return {
    tps,
    peakThroughput: Math.max(0, ...steps.map((s) => s.result.throughput)),
    aboveLastStep,
    halfKnee: half ? { tps: half.tps, p95: half.result.latency.p95 } : undefined,
  };
}

export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined && b > 0 ? Math.round((a / b) * 100) / 100 : undefined;
}

const fmt = (x: number | undefined, digits = 1): string => (x === undefined ? '–' : x.toFixed(digits));

const total = (cpu: CpuUsage): number => GROUPS.reduce((s, g) => s + cpu.groups[g], 0);

/** Stack CPU per successful transaction, less what the idle stack would have spent in the same time. */
function cpuPerTxAboveIdle(w: WorkloadResult, idle: CpuUsage): number | undefined {
  if (!w.cpu || w.succ === 0) return undefined;
  const idleRate = idle.seconds > 0 ? total(idle) / idle.seconds : 0;
  return (Math.max(0, total(w.cpu) - idleRate * w.cpu.seconds) / w.succ) * 1000;
}

function workloadRows(r: Report): string[][] {
  return r.workloads.map((w) => [
    w.name,
    w.load,
    String(w.succ),
    String(w.fail),
    fmt(w.sendRate),
    fmt(w.throughput),
    fmt(w.latency.p50),
    fmt(w.latency.p95),
    fmt(w.latency.p99),
    fmt(w.latency.max),
  ]);
}

function cpuRows(r: Report): string[][] {
  const idle = ['idle (no load)', fmt(r.idle.seconds), ...GROUPS.map((g) => fmt(r.idle.groups[g], 2))];
  return [
    [...idle, fmt(total(r.idle), 2), '–', '–', '–'],
    ...r.workloads
      .filter((w) => w.cpu)
      .map((w) => [
        w.name,
        fmt(w.cpu!.seconds),
        ...GROUPS.map((g) => fmt(w.cpu!.groups[g], 2)),
        fmt(total(w.cpu!), 2),
        w.succ > 0 ? fmt((total(w.cpu!) / w.succ) * 1000, 0) : '–',
        fmt(cpuPerTxAboveIdle(w, r.idle), 0),
        fmt(w.clientCpuSeconds, 2),
      ]),
  ];
}

function kneeText(k: Knee): string {
  if (k.tps === undefined) return 'below the first step';
  const half = k.halfKnee ? `; at ${k.halfKnee.tps} tps (≤ half) p95 ${fmt(k.halfKnee.p95, 0)} ms` : '';
  return `${k.aboveLastStep ? '≥ ' : ''}${k.tps} tps (peak ${fmt(k.peakThroughput)} tx/s)${half}`;
}

function summaryRows(r: Report): string[][] {
  const x = (v: number | undefined): string => (v === undefined ? '–' : `${v.toFixed(2)}×`);
  return [
    ['knee: transition (RegisterContract, AND(ECTA, NationalBank))', kneeText(r.knees.transition)],
    ['knee: yardstick CreateAsset (one org)', kneeText(r.knees.yardstick)],
    ['HTTP over bare client, same transition, same clients', x(r.ratios.httpOverBareTransition)],
    [
      'HTTP over bare client, create, same clients (HTTP clients also upload 2 documents each)',
      x(r.ratios.httpOverBareCreate),
    ],
    ['read model (GET /exports/{id}) over evaluate GetExport', x(r.ratios.readModelOverEvaluate)],
    ['our transition over the yardstick (closed loop)', x(r.ratios.transitionOverYardstick)],
    ['our transition knee over the yardstick knee', x(r.ratios.transitionKneeOverYardstickKnee)],
    ['our transition peak throughput over the yardstick peak', x(r.ratios.transitionPeakOverYardstickPeak)],
    [
      'commit → read model visible (another org)',
      `p50 ${fmt(r.freshness.latency.p50, 0)} ms, p95 ${fmt(r.freshness.latency.p95, 0)} ms, max ${fmt(r.freshness.latency.max, 0)} ms (${r.freshness.samples} samples, ${r.freshness.missed} missed)`,
    ],
  ];
}

interface Target {
  readonly what: string;
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}

const byName = (r: Report, name: string): WorkloadResult | undefined =>
  r.workloads.find((w) => w.name === name);

/** Issue 9's targets, against this run (meaningful for the full bench only). */
export function targets(r: Report): Target[] {
  const create = byName(r, 'create');
  const httpCreate = byName(r, 'http-create');
  const transition = byName(r, 'transition');
  const get = byName(r, 'http-get');
  const list = byName(r, 'http-list');
  const failed = (create?.fail ?? 0) + (httpCreate?.fail ?? 0);
  const half = r.knees.transition.halfKnee;
  const atLeast = (v: number | undefined, goal: number): boolean | undefined =>
    v === undefined ? undefined : v >= goal;
  const reads = (w: WorkloadResult | undefined, rate: number, p95: number): Target => ({
    what: `${w?.name ?? '?'} (${w?.load ?? ''})`,
    goal: `≥ ${rate} req/s, p95 ≤ ${p95} ms`,
    measured: w ? `${fmt(w.throughput)} req/s, p95 ${fmt(w.latency.p95)} ms` : '–',
    met: w ? w.throughput >= rate && w.latency.p95 <= p95 : undefined,
  });
  return [
    { what: 'failed creates (bare + HTTP)', goal: '0', measured: String(failed), met: failed === 0 },
    {
      what: 'creates (bare client, closed loop)',
      goal: '≥ 25 /s',
      measured: `${fmt(create?.throughput)} /s`,
      met: atLeast(create?.throughput, 25),
    },
    {
      what: 'one transition, AND(actor, regulator)',
      goal: '≥ 100 tx/s; p95 ≤ 1 s at half the knee',
      measured: `${fmt(transition?.throughput)} tx/s closed loop, knee ${kneeText(r.knees.transition)}`,
      met:
        transition === undefined || half === undefined
          ? undefined
          : Math.max(transition.throughput, r.knees.transition.peakThroughput) >= 100 && half.p95 <= 1000,
    },
    {
      what: 'our transition over the yardstick (peak throughput)',
      goal: '≥ 0.6',
      measured: `${fmt(r.ratios.transitionPeakOverYardstickPeak, 2)} (closed loop: ${fmt(r.ratios.transitionOverYardstick, 2)})`,
      met: atLeast(r.ratios.transitionPeakOverYardstickPeak, 0.6),
    },
    {
      what: 'HTTP over bare client, same transition',
      goal: '≥ 0.9',
      measured: fmt(r.ratios.httpOverBareTransition, 2),
      met: atLeast(r.ratios.httpOverBareTransition, 0.9),
    },
    reads(get, 1500, 20),
    reads(list, 800, 30),
    {
      what: 'commit → read model visible',
      goal: 'p95 ≤ 500 ms',
      measured: `p95 ${fmt(r.freshness.latency.p95, 0)} ms`,
      met: r.freshness.missed === 0 && r.freshness.latency.p95 <= 500,
    },
  ];
}

function targetRows(r: Report): string[][] {
  const verdict = (met: boolean | undefined): string => (met === undefined ? '–' : met ? 'met' : 'NOT met');
  return targets(r).map((t) => [t.what, t.goal, t.measured, verdict(t.met)]);
}

const TARGET_HEAD = ['target (issue 9)', 'goal', 'this run', ''];

const WORKLOAD_HEAD = [
  'Name',
  'Load',
  'Succ',
  'Fail',
  'Send Rate (TPS)',
  'Throughput (TPS)',
  'p50 (ms)',
  'p95 (ms)',
  'p99 (ms)',
  'Max (ms)',
];
const CPU_HEAD = [
  'Name',
  'Seconds',
  ...GROUPS,
  'stack total',
  'stack CPU ms / tx',
  'above idle, ms / tx',
  'load generator',
];

function markdownTable(head: readonly string[], rows: readonly string[][]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

export function toMarkdown(r: Report): string {
  return [
    `# Bench ${r.run} (${r.profile})`,
    '',
    `${r.startedAt} – ${r.finishedAt}; stack ${r.runDir} (port offset ${r.portOffset}); chaincodes ${Object.entries(
      r.chaincodes,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    '',
    '## Workloads',
    '',
    markdownTable(WORKLOAD_HEAD, workloadRows(r)),
    '',
    '## CPU seconds per process group during each workload',
    '',
    markdownTable(CPU_HEAD, cpuRows(r)),
    '',
    '## Same-run figures',
    '',
    markdownTable(['what', 'measured'], summaryRows(r)),
    '',
    ...(r.profile === 'full' ? ['## Targets', '', markdownTable(TARGET_HEAD, targetRows(r)), ''] : []),
    `Caliper's own report: ${r.caliperReport}`,
    '',
  ].join('\n');
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function htmlTable(head: readonly string[], rows: readonly string[][]): string {
  const tr = (cells: readonly string[], tag: string): string =>
    `<tr>${cells.map((c) => `<${tag}>${esc(c)}</${tag}>`).join('')}</tr>`;
  return `<table>${tr(head, 'th')}${rows.map((row) => tr(row, 'td')).join('')}</table>`;
}

export function toHtml(r: Report): string {
  const style =
    'body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}' +
    'td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}';
  return [
    `<!doctype html><html><head><meta charset="utf-8"><title>Bench ${esc(r.run)}</title><style>${style}</style></head><body>`,
    `<h1>Bench ${esc(r.run)} (${esc(r.profile)})</h1><p>${esc(r.startedAt)} – ${esc(r.finishedAt)}</p>`,
    `<h2>Workloads</h2>${htmlTable(WORKLOAD_HEAD, workloadRows(r))}`,
    `<h2>CPU seconds per process group</h2>${htmlTable(CPU_HEAD, cpuRows(r))}`,
    `<h2>Same-run figures</h2>${htmlTable(['what', 'measured'], summaryRows(r))}`,
    r.profile === 'full' ? `<h2>Targets</h2>${htmlTable(TARGET_HEAD, targetRows(r))}` : '',
    `<p>Caliper's own report: <a href="caliper/caliper-report.html">caliper-report.html</a></p></body></html>`,
  ].join('\n');
}

/** Writes report.json/.md/.html into dir, copies them to latest.* in the parent; resolves the Markdown. */
export function writeReport(dir: string, parent: string, r: Report): string {
  const md = toMarkdown(r);
  writeFileSync(join(dir, 'report.json'), JSON.stringify(r, null, 2));
  writeFileSync(join(dir, 'report.md'), md);
  writeFileSync(join(dir, 'report.html'), toHtml(r));
  for (const ext of ['json', 'md']) copyFileSync(join(dir, `report.${ext}`), join(parent, `latest.${ext}`));
  return md;
}
