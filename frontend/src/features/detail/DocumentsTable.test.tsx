import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DocumentRecord } from '../../api/types';
import { downloadName, saveBlob } from '../../lib/download';
import { renderAt, signIn } from '../../test/helpers';
import { DocumentsTable, sha256Hex } from './DocumentsTable';

const content = '<html><script>alert(document.cookie)</script></html>';
const doc = (sha256: string, version = 1, over: Partial<DocumentRecord> = {}): DocumentRecord => ({
  type: 'SALES_CONTRACT',
  cid: 'QmDoc',
  sha256,
  sizeBytes: content.length,
  mediaType: 'text/html',
  version,
  uploadedBy: { mspId: 'CommercialBankMSP', userId: 'exporter1', role: 'exporter' },
  uploadedAt: '2026-01-01T00:00:00Z',
  txId: 't',
  ...over,
});

/** Records what a download does: the blob handed to createObjectURL, anchor clicks, window.open calls. */
function watchDownloads(): {
  blobs: Blob[];
  clicks: HTMLAnchorElement[];
  revoked: string[];
  open: ReturnType<typeof vi.fn>;
} {
  const blobs: Blob[] = [];
  const clicks: HTMLAnchorElement[] = [];
  const revoked: string[] = [];
  vi.stubGlobal(
    'URL',
    Object.assign(URL, {
      createObjectURL: (b: Blob) => {
        blobs.push(b);
        return `blob:portal/${blobs.length}`;
      },
      revokeObjectURL: (u: string) => revoked.push(u),
    }),
  );
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    clicks.push(this);
  });
  const open = vi.fn();
  vi.stubGlobal('open', open);
  return { blobs, clicks, revoked, open };
}

describe('DocumentsTable', () => {
  beforeEach(() => signIn('ecta_officer', 'ecta'));
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('downloads a verified file as application/octet-stream through <a download>, never opening it', async () => {
    const seen = watchDownloads();
    const fetchMock = vi.fn(() =>
      Promise.resolve(new Response(content, { status: 200, headers: { 'Content-Type': 'text/html' } })),
    );
    vi.stubGlobal('fetch', fetchMock);
    const real = await sha256Hex(new Blob([content]));
    const { container } = renderAt(<DocumentsTable documents={[doc(real)]} exportId="EXP-1" />);
    await userEvent.click(screen.getByRole('button', { name: /Download Sales contract version 1/ }));
    expect(await screen.findByTestId('hash-verified')).toHaveTextContent('Hash verified');
    expect(fetchMock).toHaveBeenCalledWith(
      '/gw/ecta/api/v1/documents/QmDoc?exportId=EXP-1',
      expect.objectContaining({ headers: { Authorization: 'Bearer access-1' } }),
    );
    expect(seen.blobs).toHaveLength(1);
    expect(seen.blobs[0]?.type).toBe('application/octet-stream');
    await expect(sha256Hex(seen.blobs[0] as Blob)).resolves.toBe(real);
    expect(seen.clicks).toHaveLength(1);
    expect(seen.clicks[0]?.getAttribute('download')).toBe('EXP-1-SALES_CONTRACT-v1.bin');
    expect(seen.clicks[0]?.href).toBe('blob:portal/1');
    expect(seen.clicks[0]?.isConnected).toBe(false);
    expect(seen.open).not.toHaveBeenCalled();
    // Nothing renders the bytes: no frame, image, object or embed, and no link to the blob.
    expect(container.querySelector('iframe, img, object, embed, a[href^="blob:"]')).toBeNull();
  });

  it('does not save a file whose hash differs from the ledger', async () => {
    const seen = watchDownloads();
    vi.stubGlobal('fetch', () => Promise.resolve(new Response(content, { status: 200 })));
    renderAt(<DocumentsTable documents={[doc('f'.repeat(64))]} exportId="EXP-1" />);
    await userEvent.click(screen.getByRole('button', { name: /Download Sales contract version 1/ }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Hash mismatch');
    expect(seen.blobs).toHaveLength(0);
    expect(seen.clicks).toHaveLength(0);
    expect(seen.open).not.toHaveBeenCalled();
  });

  it('lists documents not shared with the organization without a download', () => {
    const fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    const restricted = doc('a'.repeat(64), 1, { type: 'PAYMENT_ADVICE', cid: undefined, restricted: true });
    renderAt(<DocumentsTable documents={[restricted, doc('b'.repeat(64))]} exportId="EXP-1" />);
    const row = screen.getByText('Payment advice').closest('tr') as HTMLElement;
    expect(row).toHaveTextContent('Not shared with your organization');
    expect(row.querySelector('button')).toBeNull();
    expect(row).toHaveTextContent('v1');
    expect(screen.getAllByRole('button', { name: /^Download/ })).toHaveLength(1);
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('treats a document outside the viewer’s audience by policy as restricted even if a CID came', () => {
    renderAt(
      <DocumentsTable
        documents={[doc('a'.repeat(64), 1, { type: 'PAYMENT_ADVICE' })]}
        exportId="EXP-1"
        readable={(t) => t !== 'PAYMENT_ADVICE'}
      />,
    );
    expect(screen.getByTestId('document-restricted')).toBeInTheDocument();
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('hashes like the ledger (SHA-256 test vector)', async () => {
    await expect(sha256Hex(new Blob(['abc']))).resolves.toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('lists every version, marking superseded ones', () => {
    renderAt(<DocumentsTable documents={[doc('a'.repeat(64), 1), doc('b'.repeat(64), 2)]} />);
    expect(screen.getByText('v2')).toBeInTheDocument();
    expect(screen.getByText('(superseded)')).toBeInTheDocument();
  });
});

describe('saveBlob', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it('forces octet-stream, clicks a detached <a download>, then revokes the URL', () => {
    vi.useFakeTimers();
    const seen = watchDownloads();
    saveBlob(new Blob(['<svg onload=alert(1)>'], { type: 'image/svg+xml' }), 'x.bin', 1000);
    expect(seen.blobs[0]?.type).toBe('application/octet-stream');
    expect(seen.clicks[0]?.download).toBe('x.bin');
    expect(document.querySelector('a[download]')).toBeNull();
    expect(seen.revoked).toEqual([]);
    vi.advanceTimersByTime(1000);
    expect(seen.revoked).toEqual(['blob:portal/1']);
    expect(seen.open).not.toHaveBeenCalled();
  });

  it.each([
    [['EXP-1', 'SALES_CONTRACT', 'v2'], 'application/pdf', 'EXP-1-SALES_CONTRACT-v2.pdf'],
    [['EXP/../1', 'X'], 'text/html', 'EXP_.._1-X.bin'],
    [[undefined, 'BILL_OF_LADING'], 'image/png', 'BILL_OF_LADING.png'],
  ] as const)('names %j (%s) %s', (parts, media, name) => {
    expect(downloadName([...parts], media)).toBe(name);
  });
});
