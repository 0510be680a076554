/** Empty pages say what happens next and who does it (hand-written expectations, per role where it matters). */
import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import type { ExportStatus, Role } from './api/types';
import type { OrgKey } from './config';
import { emptyData, gateway } from './test/fakeGateway';
import { renderAt, sampleExport, signIn, stubFetch } from './test/helpers';

function open(path: string, role: Role, org: OrgKey, data = emptyData()): void {
  signIn(role, org, role === 'exporter' ? { exporterId: 'EXPORTER-1' } : {});
  stubFetch(gateway(data));
  renderAt(<App />, path);
}

/** The empty-state block of the section headed `heading`. */
async function emptyUnder(heading: RegExp | string): Promise<HTMLElement> {
  const h = await screen.findByRole('heading', { name: heading });
  const section = h.closest('section') as HTMLElement;
  return waitFor(() => {
    const empty = section.querySelector<HTMLElement>('.empty');
    if (!empty) throw new Error(`no empty state under ${String(heading)}`);
    return empty;
  });
}

describe('empty states', () => {
  afterEach(() => vi.unstubAllGlobals());

  it.each([
    [
      'ecta_officer',
      'ecta',
      /Contracts to register/,
      /^Nothing waiting\. New requests arrive here when an exporter submits one from ‘New export’\.$/,
    ],
    ['grader', 'ecx', /Lots to grade/, /once ECTA has registered the sales contract/],
    ['bank_officer', 'commercial-bank', /FX applications to file/, /once ECX has certified their quality/],
    ['fx_officer', 'national-bank', /FX applications to approve/, /once the Commercial Bank has filed them/],
    [
      'shipping_agent',
      'shipping-line',
      /Shipments to book/,
      /once the National Bank has approved their FX application/,
    ],
    ['customs_officer', 'customs', /Declarations to clear/, /once the shipping line has booked the shipment/],
    ['exporter', 'commercial-bank', /Amendments requested of you/, /sends one of your requests back/],
  ] as const)('%s: an empty queue says who fills it', async (role, org, queue, text) => {
    open('/', role, org);
    expect(await emptyUnder(queue)).toHaveTextContent(text);
  });

  it('dashboard without any export: an officer learns where exports come from and when they reach it', async () => {
    open('/', 'grader', 'ecx');
    const empty = await emptyUnder(/All exports by status/);
    expect(empty).toHaveTextContent(
      /^No exports yet\. Exporters create them from ‘New export’, signed in at the Commercial Bank;/,
    );
    expect(empty).toHaveTextContent(
      'the Commercial Bank’s administrator creates those exporter users, for exporters ECTA has licensed',
    );
    expect(empty).toHaveTextContent('Each reaches you once ECTA has registered its sales contract.');
  });

  it('dashboard without any export: the exporter is told to start one and with what', async () => {
    open('/', 'exporter', 'commercial-bank');
    expect(await emptyUnder(/My requests by status/)).toHaveTextContent(
      'You have no export requests yet. Start one from ‘New export’: you need the sales contract with your buyer and your proforma invoice.',
    );
    expect(screen.getByRole('link', { name: 'Start a new export request' })).toHaveAttribute(
      'href',
      '/exports/new',
    );
  });

  it('export list: no export at all vs. filters that hide everything', async () => {
    open('/exports', 'customs_officer', 'customs');
    expect(await emptyUnder('Exports')).toHaveTextContent(
      /^No exports yet\..*Each reaches you once the shipping line has booked its shipment\.$/,
    );
  });

  it('export list with filters: "No exports match." and a way back to the full list', async () => {
    open('/exports?q=nothing-like-this', 'ecta_officer', 'ecta');
    const empty = await emptyUnder('Exports');
    expect(empty).toHaveTextContent(/^No exports match\. Change the status or the search text/);
    expect(within(empty).getByRole('link', { name: 'list every export you may see' })).toHaveAttribute(
      'href',
      '/exports',
    );
  });

  it('turnaround without exports', async () => {
    open('/turnaround', 'auditor', 'national-bank');
    expect(await emptyUnder('Turnaround by agency')).toHaveTextContent(
      /^No exports yet\..*read-only.*Times appear here as each agency acts on them\.$/,
    );
  });

  it.each([
    [
      'ecta_officer',
      'ecta',
      'License the first one with the form above; the Commercial Bank’s administrator can then create its exporter user',
    ],
    ['admin', 'ecta', 'License the first one with the form above'],
    [
      'customs_officer',
      'customs',
      'ECTA’s officers license them; until then nobody can create an export request.',
    ],
  ] as const)('exporter registry without exporters, as %s of %s', async (role, org, text) => {
    open('/exporters', role, org);
    expect(await emptyUnder(/^Exporter licences$/)).toHaveTextContent(text);
  });

  it.each([
    ['ecta_officer', 'ecta', 'Publish one per grade with the form above'],
    ['bank_officer', 'commercial-bank', 'ECTA’s officers publish them on this page.'],
  ] as const)('minimum prices without rows, as %s', async (role, org, text) => {
    open('/minimum-prices', role, org);
    expect(await emptyUnder('Minimum export prices')).toHaveTextContent(text);
  });

  it('users: an administrator alone is told which users to create and what each does', async () => {
    const data = emptyData();
    data.users = [{ id: 'u-admin', username: 'admin', role: 'admin', status: 'ACTIVE' }];
    open('/users', 'admin', 'commercial-bank', data);
    const empty = await emptyUnder('Users of my organization');
    expect(
      within(empty)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual([
      'Exporter — creates export requests with the sales contract and proforma invoice, and answers amendment requests',
      'Bank officer — files the FX application for certified coffee and records the export proceeds when they arrive',
      'Auditor — reads what the organization’s staff see, without acting',
    ]);
    expect(empty).toHaveTextContent('give the exporter id ECTA licensed');
  });

  it('users: no guidance once the organization has other users', async () => {
    const data = emptyData();
    data.users = [
      { id: 'u-admin', username: 'admin', role: 'admin', status: 'ACTIVE' },
      { id: 'u-2', username: 'grader1', role: 'grader', status: 'ACTIVE' },
    ];
    open('/users', 'admin', 'ecx', data);
    expect(await screen.findByText('grader1')).toBeInTheDocument();
    expect(document.querySelector('.empty')).toBeNull();
  });

  it.each([
    [
      'ecta_officer',
      'ecta',
      'QUALITY_CERTIFIED',
      'Nothing for you to do on this export now: it is waiting for the Commercial Bank.',
    ],
    [
      'customs_officer',
      'customs',
      'CUSTOMS_CLEARED',
      'Nothing for you to do on this export now: it is waiting for the shipping line.',
    ],
    ['auditor', 'ecta', 'SUBMITTED', 'You follow this export read-only. It is waiting for ECTA.'],
    ['fx_officer', 'national-bank', 'COMPLETED', 'This export is closed; nobody acts on it any more.'],
  ] as const)(
    'an export offering %s no action says whose turn it is (%s)',
    async (role, org, status, text) => {
      const data = emptyData();
      data.exports = [sampleExport({ status: status as ExportStatus })];
      open('/exports/EXP-1', role, org, data);
      expect(await screen.findByTestId('waiting-for')).toHaveTextContent(text);
    },
  );
});
