import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ExportRecord, Exporter } from '../../api/types';
import { renderAt, sampleExport, signIn, stubFetch } from '../../test/helpers';
import { ExportersPage } from './ExportersPage';

const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();
const shipment = (dueInMs: number): ExportRecord['shipment'] => ({
  billOfLadingNumber: 'BL-1',
  onBoardDate: '2026-01-01T00:00:00Z',
  shippedAt: '2026-01-01T00:00:00Z',
  repatriationDueAt: iso(Date.now() + dueInMs),
});
const marked = {
  markedAt: '2026-03-01T00:00:00Z',
  markedBy: { mspId: 'NationalBankMSP', userId: 'fx1', role: 'fx_officer' },
};

const EXPORTS: ExportRecord[] = [
  sampleExport({ exportId: 'EXP-OVERDUE', status: 'SHIPPED', shipment: shipment(-2 * HOUR) }),
  sampleExport({ exportId: 'EXP-NOT-DUE', status: 'SHIPPED', shipment: shipment(48 * HOUR) }),
  sampleExport({
    exportId: 'EXP-MARKED',
    status: 'SHIPPED',
    shipment: shipment(-48 * HOUR),
    delinquency: marked,
  }),
  sampleExport({
    exportId: 'EXP-PAID',
    exporterId: 'EXPORTER-2',
    status: 'PAYMENT_RECEIVED',
    shipment: shipment(-48 * HOUR),
    delinquency: marked,
  }),
  sampleExport({
    exportId: 'EXP-DONE-CLEARED',
    exporterId: 'EXPORTER-2',
    status: 'COMPLETED',
    shipment: shipment(-48 * HOUR),
    delinquency: { ...marked, clearedAt: '2026-03-02T00:00:00Z' },
  }),
  sampleExport({ exportId: 'EXP-CLEAN', exporterId: 'EXPORTER-3', status: 'COMPLETED' }),
];

const EXPORTERS: Exporter[] = [
  { exporterId: 'EXPORTER-1', delinquent: true, delinquentExports: ['EXP-MARKED'] },
  { exporterId: 'EXPORTER-2', delinquent: true },
  { exporterId: 'EXPORTER-3', delinquent: false },
].map((e) => ({
  legalName: e.exporterId,
  tin: '0012345678',
  licenceNumber: 'L',
  licenceValidUntil: '2030-01-01',
  status: 'ACTIVE' as const,
  ...e,
}));

function stub(): ReturnType<typeof stubFetch> {
  return stubFetch((c) => {
    const url = new URL(c.url, 'http://portal.test');
    const path = url.pathname.replace(/^.*\/api\/v1/, '');
    if (c.method === 'POST') return { status: 200, body: { id: 'x', status: 'SHIPPED', txId: 'tx-d' } };
    if (path === '/workflow-config')
      return {
        status: 200,
        body: {
          current: { shipByWindowSeconds: 7_776_000, repatriationWindowSeconds: 7_776_000, version: 1 },
        },
      };
    if (path === '/exporters') return { status: 200, body: { items: EXPORTERS } };
    if (path === '/exports') {
      const status = url.searchParams.get('status');
      return {
        status: 200,
        body: {
          items: EXPORTS.filter((e) => e.status === status).map((e) => ({
            exportId: e.exportId,
            exporterId: e.exporterId,
            status: e.status,
            updatedAt: e.updatedAt,
          })),
        },
      };
    }
    const one = EXPORTS.find((e) => path === `/exports/${e.exportId}`);
    return one ? { status: 200, body: one } : undefined;
  });
}

describe('National Bank delinquency, per export', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('lists shipped exports past their repatriation due time and marks one delinquent after a confirmation', async () => {
    signIn('fx_officer', 'national-bank');
    const calls = stub();
    renderAt(<ExportersPage />);
    const overdue = await screen.findByRole('table', { name: /Proceeds overdue/ });
    const rows = within(overdue).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.querySelector('a')?.textContent)).toEqual(['EXP-MARKED', 'EXP-OVERDUE']);
    expect(within(overdue).queryByText('EXP-NOT-DUE')).toBeNull();
    expect(rows[0]).toHaveTextContent('Delinquent since');
    expect(within(rows[0] as HTMLElement).queryByRole('button')).toBeNull();

    await userEvent.click(screen.getByRole('button', { name: 'Mark delinquent EXP-OVERDUE' }));
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
    await userEvent.click(screen.getByRole('button', { name: 'Confirm: Mark delinquent EXP-OVERDUE' }));
    await vi.waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true));
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.url).toBe('/gw/national-bank/api/v1/exports/EXP-OVERDUE/actions/mark-delinquent');
    expect(post?.body).toEqual({});
    expect(post?.headers['Idempotency-Key']).toBeTruthy();
    expect(calls.some((c) => c.url.includes('/exporters/') && c.url.includes('/delinquency'))).toBe(false);
  });

  it('lists delinquent exports whose proceeds arrived and clears one', async () => {
    signIn('fx_officer', 'national-bank');
    const calls = stub();
    renderAt(<ExportersPage />);
    const clearable = await screen.findByRole('table', { name: /proceeds since received/ });
    const rows = within(clearable).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.querySelector('a')?.textContent)).toEqual(['EXP-PAID']);
    // Exports of exporters that are not DELINQUENT are not even read.
    expect(calls.some((c) => c.url.endsWith('/exports/EXP-CLEAN'))).toBe(false);
    await userEvent.click(screen.getByRole('button', { name: 'Clear delinquency EXP-PAID' }));
    await vi.waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true));
    expect(calls.find((c) => c.method === 'POST')).toMatchObject({
      url: '/gw/national-bank/api/v1/exports/EXP-PAID/actions/clear-delinquency',
      body: {},
    });
  });

  it('shows the National Bank auditor the same lists without any button', async () => {
    signIn('auditor', 'national-bank');
    stub();
    renderAt(<ExportersPage />);
    const overdue = await screen.findByRole('table', { name: /Proceeds overdue/ });
    expect(overdue).toHaveTextContent('EXP-OVERDUE');
    expect(within(screen.getByTestId('delinquency')).queryAllByRole('button')).toEqual([]);
  });

  it('is not shown to other organizations', async () => {
    signIn('ecta_officer', 'ecta');
    const calls = stub();
    renderAt(<ExportersPage />);
    await screen.findByRole('heading', { name: 'Exporter licences' });
    expect(screen.queryByTestId('delinquency')).toBeNull();
    expect(calls.some((c) => c.url.includes('/exports'))).toBe(false);
  });
});
