/**
 * CPU per process group, from /proc/<pid>/stat of the processes the launcher recorded (RUN_DIR/pids, see
 * network/src/proc.ts) and all their descendants (PostgreSQL's backends, setpriv's child): utime + stime of
 * each live process plus cutime + cstime (children that exited and were reaped), so a snapshot taken before
 * and one after a workload give the CPU time the group spent in between.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { allRecords, isAlive } from '../../src/proc.ts';

/** Kernel clock ticks per second (getconf CLK_TCK); 100 on every Linux build we run on. */
const TICKS_PER_SECOND = 100;

export const GROUPS = [
  'peers',
  'orderers',
  'chaincode servers',
  'gateways',
  'postgres',
  'kubo',
  'CAs',
  'other',
] as const;
export type Group = (typeof GROUPS)[number];

/** The group of a recorded process name (peer0.ecta, orderer2, cc.coffee-export.ecx, gateway.customs, ...). */
export function groupOf(name: string): Group {
  if (name.startsWith('peer')) return 'peers';
  if (name.startsWith('orderer')) return 'orderers';
  if (name.startsWith('cc.')) return 'chaincode servers';
  if (name.startsWith('gateway.')) return 'gateways';
  if (name === 'postgres') return 'postgres';
  if (name.startsWith('ipfs.')) return 'kubo';
  if (name.startsWith('ca.')) return 'CAs';
  return 'other';
}

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** utime + stime + cutime + cstime, in ticks. */
  readonly ticks: number;
}

/** Fields after the command name (which may hold spaces and parentheses), 0-based from field 3 (state). */
export function parseStat(pid: number, text: string): ProcStat | undefined {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const n = (i: number): number => Number(rest[i] ?? 0);
  if (rest.length < 15) return undefined;
  // state=0 ppid=1 ... utime=11 stime=12 cutime=13 cstime=14 (proc(5) fields 14-17)
  return { pid, ppid: n(1), ticks: n(11) + n(12) + n(13) + n(14) };
}

function readStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = parseStat(Number(entry), readFileSync(`/proc/${entry}/stat`, 'utf8'));
      if (stat) out.push(stat);
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** CPU seconds per group at this moment (cumulative since each process started). */
export type CpuSnapshot = Readonly<Record<Group, number>> & { readonly at: number };

export function snapshot(): CpuSnapshot {
  const stats = readStats();
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  const treeTicks = (pid: number, depth = 0): number =>
    (byPid.get(pid)?.ticks ?? 0) +
    (depth < 4 ? (children.get(pid) ?? []).reduce((t, c) => t + treeTicks(c.pid, depth + 1), 0) : 0);
  const totals = Object.fromEntries(GROUPS.map((g) => [g, 0])) as Record<Group, number>;
  for (const rec of allRecords()) {
    if (!isAlive(rec)) continue;
    totals[groupOf(rec.name)] += treeTicks(rec.pid) / TICKS_PER_SECOND;
  }
  return { ...totals, at: Date.now() };
}

/** CPU seconds each group spent between two snapshots, and the wall time between them. */
export interface CpuUsage {
  readonly seconds: number;
  readonly groups: Readonly<Record<Group, number>>;
}

export function usage(before: CpuSnapshot, after: CpuSnapshot): CpuUsage {
  const groups = Object.fromEntries(
    GROUPS.map((g) => [g, Math.max(0, Math.round((after[g] - before[g]) * 100) / 100)]),
  ) as Record<Group, number>;
  return { seconds: (after.at - before.at) / 1000, groups };
}
