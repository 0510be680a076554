import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ExportRecord } from '../../api/types';
import { renderAt, sampleExport, signIn, stubFetch } from '../../test/helpers';
import { ExportDetail } from './ExportDetail';

function show(record: ExportRecord, terms?: unknown): ReturnType<typeof stubFetch> {
  const calls = stubFetch((c) => {
    if (c.url.endsWith('/history'))
      return { status: 200, body: [{ txId: 'tx-1', timestamp: record.createdAt, blockNumber: 7, record }] };
    if (c.url.endsWith('/trade-terms') && terms !== undefined) return { status: 200, body: terms };
    if (c.url.includes('/actions/'))
      return { status: 200, body: { id: record.exportId, status: record.status, txId: 'tx-9' } };
    if (c.url.endsWith(`/exports/${record.exportId}`)) return { status: 200, body: record };
    return undefined;
  });
  renderAt(
    <Routes>
      <Route path="/exports/:id" element={<ExportDetail />} />
    </Routes>,
    `/exports/${record.exportId}`,
  );
  return calls;
}

describe('ExportDetail', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('gives the reviewer the facts, the timeline with tx and block, and the decision forms', async () => {
    signIn('ecta_officer', 'ecta');
    show(sampleExport());
    expect(await screen.findByRole('heading', { name: /Export EXP-1/ })).toHaveTextContent('Submitted');
    expect(screen.getByText('Hamburg Coffee GmbH')).toBeInTheDocument();
    expect(await screen.findByText(/block 7/)).toBeInTheDocument();
    const group = screen.getByRole('group', { name: 'Available actions' });
    expect([...group.querySelectorAll('button')].map((b) => b.textContent)).toEqual([
      'Register the sales contract',
      'Request an amendment',
      'Reject',
    ]);
    await userEvent.click(screen.getByRole('button', { name: 'Request an amendment' }));
    expect(screen.getByRole('button', { name: 'Request an amendment' })).toHaveAttribute(
      'aria-expanded',
      'true',
    );
    expect(screen.getByLabelText(/Reason code/)).toBeInTheDocument();
  });

  it('tells the exporter what was asked and offers the amendment form', async () => {
    signIn('exporter', 'commercial-bank', { exporterId: 'EXPORTER-1' });
    show(
      sampleExport({
        status: 'AMENDMENT_REQUESTED',
        amendment: {
          returnTo: 'CONTRACT_REGISTERED',
          step: 3,
          reasonCode: 'DOCUMENT_ILLEGIBLE',
          reason: 'Sales contract page 2 unreadable',
          requestedBy: { mspId: 'ECXMSP', userId: 'g1', role: 'grader' },
          requestedAt: '2026-01-02T00:00:00Z',
        },
      }),
    );
    const note = await screen.findByRole('note');
    expect(note).toHaveTextContent('Amendment requested at step 3');
    expect(note).toHaveTextContent('DOCUMENT_ILLEGIBLE');
    expect(note).toHaveTextContent('Sales contract page 2 unreadable');
    expect(screen.getByRole('button', { name: 'Submit the amendment' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Cancel the export' })).toBeInTheDocument();
  });

  it('shows an unknown export as a clear problem', async () => {
    signIn('grader', 'ecx');
    stubFetch(() => ({
      status: 404,
      body: { code: 'EXPORT_NOT_FOUND', title: 'Not Found', detail: 'no export EXP-404' },
    }));
    renderAt(
      <Routes>
        <Route path="/exports/:id" element={<ExportDetail />} />
      </Routes>,
      '/exports/EXP-404',
    );
    expect(await screen.findByRole('alert')).toHaveTextContent('No export with this id.');
  });

  it('lets customs clear without any salt, the declared value prefilled from the trade-terms route', async () => {
    signIn('customs_officer', 'customs');
    const calls = show(
      sampleExport({
        status: 'SHIPMENT_BOOKED',
        permit: { permitNumber: 'FXP-1', status: 'ISSUED', issuedAt: '2026-01-01T00:00:00Z' },
      }),
      { exportId: 'EXP-1', customsValue: { contractValueUsd: 81600 } },
    );
    await screen.findByTestId('trade-terms');
    await userEvent.click(await screen.findByRole('button', { name: 'Customs declaration' }));
    await waitFor(() => expect(screen.getByLabelText(/Declared value/)).toHaveValue('81600'));
    expect(screen.queryByLabelText(/salt/i)).toBeNull();
    expect(screen.getByRole('form', { name: 'Customs declaration' })).not.toHaveTextContent(/salt/i);
    expect(calls.filter((c) => c.url.endsWith('/exports/EXP-1/trade-terms'))).toHaveLength(1);
  });

  it.each([
    ['mark-delinquent', 'Mark delinquent', 'SHIPPED', undefined],
    [
      'clear-delinquency',
      'Clear delinquency',
      'COMPLETED',
      {
        markedAt: '2026-03-01T00:00:00Z',
        markedBy: { mspId: 'NationalBankMSP', userId: 'fx1', role: 'fx_officer' },
      },
    ],
  ] as const)('offers the FX officer %s on the export page', async (action, title, status, delinquency) => {
    signIn('fx_officer', 'national-bank');
    const calls = show(
      sampleExport({
        status,
        shipment: {
          billOfLadingNumber: 'BL-1',
          onBoardDate: '2026-01-01T00:00:00Z',
          shippedAt: '2026-01-01T00:00:00Z',
          repatriationDueAt: '2026-02-01T00:00:00Z',
        },
        ...(delinquency ? { delinquency } : {}),
      }),
      { exportId: 'EXP-1' },
    );
    await userEvent.click(await screen.findByRole('button', { name: title }));
    const form = screen.getByRole('form', { name: title });
    const confirm = form.querySelector('input[type="checkbox"]');
    if (confirm) await userEvent.click(confirm);
    await userEvent.click(within(form).getByRole('button', { name: title }));
    await screen.findByTestId('last-action-status');
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.url).toBe(`/gw/national-bank/api/v1/exports/EXP-1/actions/${action}`);
    expect(post?.body).toEqual({});
    if (delinquency)
      expect(screen.getByRole('region', { name: 'Delinquency' })).toHaveTextContent('Delinquent');
  });
});
