import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { reloadSession } from '../../api/client';
import { renderAt, stubFetch } from '../../test/helpers';
import { sha256Hex } from '../detail/DocumentsTable';
import { VerifyPage, matchesOf } from './VerifyPage';

const INVOICE = 'commercial invoice bytes';
const BL = 'bill of lading bytes';

/** What the gateway should send, plus everything it must not (sent here by mistake). */
async function leakyProof(): Promise<Record<string, unknown>> {
  return {
    exportId: 'EXP-9',
    status: 'SHIPPED',
    steps: [
      { status: 'SUBMITTED', at: '2026-01-01T08:00:00Z', txId: 'TXID-LEAK-STEP', by: 'user-alice' },
      { status: 'CONTRACT_REGISTERED', at: '2026-01-02T09:30:00Z' },
      { status: 'SHIPPED', at: '2026-02-01T10:00:00Z', userId: 'USER-LEAK-bob' },
    ],
    documents: [
      {
        type: 'COMMERCIAL_INVOICE',
        version: 1,
        sha256: await sha256Hex(new Blob([INVOICE])),
        mediaType: 'application/pdf',
        sizeBytes: 2048,
        uploadedAt: '2026-01-03T00:00:00Z',
        cid: 'QmCIDLEAK',
        txId: 'TXID-LEAK-DOC',
        uploadedBy: { mspId: 'CommercialBankMSP', userId: 'USER-LEAK-exporter', role: 'exporter' },
        quantityKg: 19200,
      },
      {
        type: 'BILL_OF_LADING',
        version: 2,
        sha256: await sha256Hex(new Blob([BL])),
        mediaType: 'application/pdf',
        sizeBytes: 1024,
        uploadedAt: '2026-02-01T00:00:00Z',
      },
    ],
    verifiedAt: '2026-02-02T00:00:00Z',
    lastTxId: 'TXID-LEAK-LAST',
    txId: 'TXID-LEAK-TOP',
    blockNumber: 4242,
    exporterId: 'EXPORTER-LEAK',
    updatedBy: 'USER-LEAK-top',
    contract: { buyerName: 'BUYER-LEAK GmbH', contractedGrade: 'G2', quantityKg: 19200 },
    tradeTerms: { unitPriceUsdPerKg: 4.25, contractValueUsd: 81600 },
    permit: { permitNumber: 'PERMIT-LEAK', status: 'CONSUMED' },
  };
}

/** The page without a session, as a buyer opens it from the QR code. */
function open(): void {
  reloadSession();
  renderAt(
    <Routes>
      <Route path="/verify/:id" element={<VerifyPage />} />
    </Routes>,
    '/verify/EXP-9',
  );
}

describe('public verification page', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('shows state, step times, document types and hashes only, even if the API sent more', async () => {
    const proof = await leakyProof();
    const calls = stubFetch(() => ({ status: 200, body: proof }));
    open();
    expect(await screen.findByRole('heading', { name: /Export EXP-9/ })).toHaveTextContent('Shipped');
    expect(calls[0]?.url).toBe('/gw/ecta/api/v1/verify/EXP-9');
    expect(calls[0]?.headers.Authorization).toBeUndefined();
    const steps = screen.getByRole('list', { name: 'Steps' });
    expect(steps).toHaveTextContent('Contract registered');
    expect(steps).toHaveTextContent('2026-01-02 09:30 UTC');
    expect(screen.getByText('Commercial invoice')).toBeInTheDocument();
    expect(screen.getByText('v2')).toBeInTheDocument();
    expect(screen.getAllByRole('row')).toHaveLength(3);

    const html = document.body.innerHTML;
    for (const leak of [
      'QmCIDLEAK',
      'TXID-LEAK',
      'USER-LEAK',
      'user-alice',
      'EXPORTER-LEAK',
      'BUYER-LEAK',
      'PERMIT-LEAK',
      '4242',
      '81600',
      '81,600',
      '4.25',
      '19200',
    ]) {
      expect(html, leak).not.toContain(leak);
    }
  });

  it('tells a buyer which listed document a file matches, hashing it in the browser', async () => {
    const proof = await leakyProof();
    const calls = stubFetch(() => ({ status: 200, body: proof }));
    open();
    const input = await screen.findByLabelText(/Check a file you received/);
    await userEvent.upload(input, new File([BL], 'bl.pdf', { type: 'application/pdf' }));
    expect(await screen.findByText(/Matches/)).toHaveTextContent(
      '✔ Matches Bill of lading v2 on the ledger.',
    );
    await userEvent.upload(input, new File(['something else'], 'x.pdf', { type: 'application/pdf' }));
    expect(await screen.findByText(/matches no document/)).toBeInTheDocument();
    // The file never leaves the browser.
    expect(calls).toHaveLength(1);
  });

  it('lists every document a hash matches', () => {
    const docs = [
      { type: 'PACKING_LIST', version: 1, sha256: 'aa' },
      { type: 'PACKING_LIST', version: 2, sha256: 'aa' },
      { type: 'BILL_OF_LADING', version: 1, sha256: 'bb' },
    ] as const;
    expect(matchesOf('aa', [...docs])).toEqual(['Packing list v1', 'Packing list v2']);
    expect(matchesOf('cc', [...docs])).toEqual([]);
  });
});
