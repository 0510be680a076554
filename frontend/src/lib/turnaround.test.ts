import { describe, expect, it } from 'vitest';
import type { ExportStatus, HistoryEntry } from '../api/types';
import { sampleExport } from '../test/helpers';
import { averages, turnaroundOf } from './turnaround';

const H = 3_600_000;
function entry(status: ExportStatus, hour: number): HistoryEntry {
  const at = new Date(Date.UTC(2026, 0, 1) + hour * H).toISOString();
  return {
    txId: `tx-${hour}`,
    timestamp: at,
    record: sampleExport({
      status,
      lastAction: { action: 'X', by: { mspId: 'M', userId: 'u', role: 'r' }, at, txId: `tx-${hour}` },
    }),
  };
}

describe('turnaround', () => {
  it('attributes time in each state to the agency holding it (history newest first)', () => {
    const history = [
      entry('COMPLETED', 30),
      entry('PAYMENT_RECEIVED', 29),
      entry('SHIPPED', 20),
      entry('CUSTOMS_CLEARED', 18),
      entry('SHIPMENT_BOOKED', 12),
      entry('FX_APPROVED', 10),
      entry('FX_SUBMITTED', 8),
      entry('QUALITY_CERTIFIED', 6),
      entry('CONTRACT_REGISTERED', 5),
      entry('AMENDMENT_REQUESTED', 3),
      entry('SUBMITTED', 0),
    ];
    const t = turnaroundOf('EXP-1', history);
    expect(t.finished).toBe(true);
    expect(t.totalMs).toBe(30 * H);
    expect(t.byAgency).toEqual({
      ECTA: 3 * H,
      Exporter: 2 * H,
      ECX: 1 * H,
      'Commercial Bank': 2 * H + 9 * H,
      'National Bank': 2 * H + 1 * H,
      'Shipping Line': 2 * H + 2 * H,
      Customs: 6 * H,
    });
  });

  it('counts a running export up to now', () => {
    const now = Date.UTC(2026, 0, 1) + 5 * H;
    const t = turnaroundOf('EXP-2', [entry('SUBMITTED', 0)], now);
    expect(t.finished).toBe(false);
    expect(t.byAgency.ECTA).toBe(5 * H);
  });

  it('averages only over exports that spent time at the agency', () => {
    const avg = averages([
      { exportId: 'a', byAgency: { ECTA: 2 * H }, totalMs: 2 * H, finished: true },
      { exportId: 'b', byAgency: { ECTA: 4 * H, ECX: H }, totalMs: 6 * H, finished: true },
    ]);
    expect(avg.byAgency).toEqual({ ECTA: 3 * H, ECX: H });
    expect(avg.totalMs).toBe(4 * H);
  });
});
