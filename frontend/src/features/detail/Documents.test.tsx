import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DocumentRecord } from '../../api/types';
import { renderAt, signIn } from '../../test/helpers';
import { DocumentsTable, sha256Hex } from './Documents';

const content = 'the sales contract bytes';
const doc = (sha256: string, version = 1): DocumentRecord => ({
  type: 'SALES_CONTRACT',
  cid: 'QmDoc',
  sha256,
  sizeBytes: content.length,
  mediaType: 'text/plain',
  version,
  uploadedBy: { mspId: 'CommercialBankMSP', userId: 'exporter1', role: 'exporter' },
  uploadedAt: '2026-01-01T00:00:00Z',
  txId: 't',
});

describe('DocumentsTable', () => {
  afterEach(() => vi.unstubAllGlobals());

  it.each([
    ['matches the ledger hash', true],
    ['differs from the ledger hash', false],
  ])('a file that %s is marked accordingly', async (_label, matches) => {
    signIn('ecta_officer', 'ecta');
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: () => 'blob:x' }));
    const fetchMock = vi.fn(() =>
      Promise.resolve(new Response(content, { status: 200, headers: { 'Content-Type': 'text/plain' } })),
    );
    vi.stubGlobal('fetch', fetchMock);
    const real = await sha256Hex(new Blob([content]));
    renderAt(<DocumentsTable documents={[doc(matches ? real : 'f'.repeat(64))]} />);
    await userEvent.click(screen.getByRole('button', { name: /View Sales contract version 1/ }));
    if (matches) expect(await screen.findByTestId('hash-verified')).toHaveTextContent('Hash verified');
    else expect(await screen.findByRole('alert')).toHaveTextContent('Hash mismatch');
    expect(fetchMock).toHaveBeenCalledWith(
      'http://127.0.0.1:3003/api/v1/documents/QmDoc',
      expect.objectContaining({ headers: { Authorization: 'Bearer access-1' } }),
    );
  });

  it('hashes like the ledger (SHA-256 test vector)', async () => {
    await expect(sha256Hex(new Blob(['abc']))).resolves.toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('lists every version, marking superseded ones', () => {
    signIn('ecta_officer', 'ecta');
    renderAt(<DocumentsTable documents={[doc('a'.repeat(64), 1), doc('b'.repeat(64), 2)]} />);
    expect(screen.getByText('v2')).toBeInTheDocument();
    expect(screen.getByText('(superseded)')).toBeInTheDocument();
  });
});
