import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ExportRecord } from '../../api/types';
import { renderAt, sampleExport, signIn, stubFetch } from '../../test/helpers';
import { ExportDetail } from './ExportDetail';

function show(record: ExportRecord): ReturnType<typeof stubFetch> {
  const calls = stubFetch((c) => {
    if (c.url.endsWith('/history'))
      return { status: 200, body: [{ txId: 'tx-1', timestamp: record.createdAt, blockNumber: 7, record }] };
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
});
