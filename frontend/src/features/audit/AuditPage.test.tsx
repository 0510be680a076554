/** The audit page: refused to roles that may not read it, filters in the URL and the query, paging, links, CSV. */
import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { axeFindings } from '../../test/axe';
import { renderAt, signIn, stubFetch } from '../../test/helpers';
import { AuditPage } from './AuditPage';

const TX = 'ab'.repeat(32);
const entry = (id: number, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: String(id),
  at: '2026-03-01T10:00:00.000Z',
  userId: 'u-1',
  username: 'officer1',
  action: 'exports.register-contract',
  target: 'EXP-1',
  outcome: 'OK',
  txId: TX,
  requestId: 'r-1',
  link: `/exports/EXP-1?tx=${TX}`,
  ...over,
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const page = (path = '/audit'): void => {
  renderAt(
    <Routes>
      <Route path="/audit" element={<AuditPage />} />
    </Routes>,
    path,
  );
};

describe('AuditPage', () => {
  it('refuses roles that may not read the audit log, without asking the gateway', () => {
    signIn('ecta_officer', 'ecta');
    const calls = stubFetch(() => undefined);
    page();
    expect(screen.getByRole('alert')).toHaveTextContent(/Only auditors and administrators/);
    expect(calls).toEqual([]);
  });

  it('lists entries with links to their transactions, pages on demand, filters from the URL and the form', async () => {
    signIn('auditor', 'ecta');
    const calls = stubFetch((c) => {
      const q = new URL(c.url, 'http://portal.test').searchParams;
      if (q.get('cursor') === 'c2')
        return { status: 200, body: { items: [entry(1, { txId: null, link: null })], nextCursor: null } };
      return { status: 200, body: { items: [entry(3), entry(2)], nextCursor: 'c2' } };
    });
    page(`/audit?txId=${TX}`);
    const link = (await screen.findAllByRole('link', { name: /^abababababab/ }))[0]!;
    expect(link).toHaveAttribute('href', `/exports/EXP-1?tx=${TX}`);
    expect(new URL(calls[0]!.url, 'http://portal.test').searchParams.get('txId')).toBe(TX);
    expect(calls[0]!.headers.Authorization).toBe('Bearer access-1');

    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByRole('row')).toHaveLength(4));
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();

    fireEvent.change(screen.getByLabelText(/User/), { target: { value: 'officer1' } });
    fireEvent.change(screen.getByLabelText(/Outcome/), { target: { value: 'REFUSED' } });
    await userEvent.click(screen.getByRole('button', { name: 'Apply filters' }));
    await waitFor(() => {
      const q = new URL(calls.at(-1)!.url, 'http://portal.test').searchParams;
      expect([q.get('user'), q.get('outcome'), q.get('txId')]).toEqual(['officer1', 'REFUSED', TX]);
    });
    document.documentElement.lang = 'en'; // as index.html sets it
    expect(await axeFindings()).toEqual([]);
  });

  it('downloads the filtered log as CSV', async () => {
    signIn('admin', 'ecta');
    const calls = stubFetch(() => ({ status: 200, body: { items: [entry(1)], nextCursor: null } }));
    const created: Blob[] = [];
    vi.stubGlobal(
      'URL',
      Object.assign(URL, {
        createObjectURL: (b: Blob) => (created.push(b), 'blob:x'),
        revokeObjectURL: () => undefined,
      }),
    );
    const clicked: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.download);
    });
    page('/audit?action=exports.*');
    await screen.findAllByRole('link', { name: /^abababababab/ });
    await userEvent.click(screen.getByRole('button', { name: 'Download CSV' }));
    await waitFor(() => expect(created).toHaveLength(1));
    expect(clicked).toEqual(['audit-log.csv']);
    const csvCall = calls.at(-1)!;
    const q = new URL(csvCall.url, 'http://portal.test').searchParams;
    expect([q.get('format'), q.get('action')]).toEqual(['csv', 'exports.*']);
    expect(csvCall.headers.Accept).toBe('text/csv');
  });
});
