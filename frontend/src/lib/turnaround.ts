/** Time spent at each agency per export, derived from the ledger history (state entered → state left). */
import type { ExportStatus, HistoryEntry } from '../api/types';
import { HOLDER } from './workflow';

export interface Turnaround {
  exportId: string;
  /** ms per agency (ECTA, ECX, ...; "Exporter" while an amendment is pending). */
  byAgency: Record<string, number>;
  totalMs: number;
  finished: boolean;
}

function timeOf(e: HistoryEntry): number {
  const t = Date.parse(e.record?.lastAction?.at ?? e.record?.updatedAt ?? e.timestamp);
  return Number.isNaN(t) ? Date.parse(e.timestamp) : t;
}

/** History may come newest first (GetHistoryForKey) or oldest first; both work. */
export function turnaroundOf(exportId: string, history: HistoryEntry[], now = Date.now()): Turnaround {
  const entries = history
    .filter((e) => e.record !== undefined && !e.isDelete)
    .map((e) => ({ at: timeOf(e), status: e.record?.status as ExportStatus }))
    .filter((e) => !Number.isNaN(e.at))
    .sort((a, b) => a.at - b.at);
  const byAgency: Record<string, number> = {};
  let finished = false;
  for (let i = 0; i < entries.length; i++) {
    const cur = entries[i];
    if (cur === undefined) continue;
    const next = entries[i + 1];
    const holder = HOLDER[cur.status];
    if (holder === '') {
      finished = true;
      continue;
    }
    const end = next?.at ?? now;
    byAgency[holder] = (byAgency[holder] ?? 0) + Math.max(0, end - cur.at);
  }
  const first = entries[0]?.at;
  const last = entries[entries.length - 1]?.at;
  const totalMs = first === undefined ? 0 : (finished ? (last ?? first) : now) - first;
  return { exportId, byAgency, totalMs, finished };
}

/** Average ms per agency over the exports that spent time there, and the average total. */
export function averages(rows: Turnaround[]): { byAgency: Record<string, number>; totalMs: number } {
  const sums: Record<string, { sum: number; n: number }> = {};
  for (const r of rows) {
    for (const [agency, ms] of Object.entries(r.byAgency)) {
      const s = (sums[agency] ??= { sum: 0, n: 0 });
      s.sum += ms;
      s.n += 1;
    }
  }
  const byAgency: Record<string, number> = {};
  for (const [agency, s] of Object.entries(sums)) byAgency[agency] = s.sum / s.n;
  const totalMs = rows.length === 0 ? 0 : rows.reduce((a, r) => a + r.totalMs, 0) / rows.length;
  return { byAgency, totalMs };
}
