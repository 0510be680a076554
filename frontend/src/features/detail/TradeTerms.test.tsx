import { screen } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Session } from '../../api/client';
import type { ExportRecord, ExportStatus, Role } from '../../api/types';
import { ORGS } from '../../config';
import { PRIVATE_GROUPS, type PrivateGroup, canReadPrivate } from '../../lib/access';
import { ORG_ROLES } from '../../lib/workflow';
import { renderAt, sampleExport, signIn, stubFetch } from '../../test/helpers';
import { ExportDetail } from './ExportDetail';

/** One visible label per private group, as the panel renders it. */
const LABEL: Record<PrivateGroup, string> = {
  tradeTerms: 'Unit price',
  fxApplication: 'FX application: amount',
  proceeds: 'Proceeds received',
  customsValue: 'Customs value (registered contract value)',
};

/** Everything, as a careless gateway might send it to anybody (with salts the portal must never show). */
const EVERYTHING = {
  exportId: 'EXP-1',
  terms: {
    unitPriceUsdPerKg: 4.25,
    contractValueUsd: 81600,
    paymentMethod: 'LC',
    paymentTerms: '30 days after B/L',
    salt: 'SALT-terms-0123456789abcdef',
  },
  fxApplication: {
    paymentMethod: 'LC',
    evidenceReference: 'LC-778',
    amountUsd: 81600,
    salt: 'SALT-fx-0123456789abcdef',
  },
  proceeds: { amountUsd: 81600, paymentReference: 'SWIFT-1', salt: 'SALT-proceeds-0123456789' },
  customsValue: { contractValueUsd: 81600, salt: 'SALT-customs-0123456789' },
  salt: 'SALT-top-0123456789abcdef',
};

function show(
  record: ExportRecord,
  termsBody: unknown = EVERYTHING,
  termsStatus = 200,
): ReturnType<typeof stubFetch> {
  const calls = stubFetch((c) => {
    if (c.url.endsWith('/history')) return { status: 200, body: [] };
    if (c.url.endsWith('/trade-terms')) return { status: termsStatus, body: termsBody };
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

const completed = (status: ExportStatus = 'COMPLETED'): ExportRecord =>
  sampleExport({ status, reached: status === 'AMENDMENT_REQUESTED' ? 'SUBMITTED' : status });

async function expectGroups(calls: ReturnType<typeof stubFetch>, expected: PrivateGroup[]): Promise<void> {
  await screen.findByRole('heading', { name: /Export EXP-1/ });
  if (expected.length === 0) {
    expect(screen.queryByTestId('trade-terms')).toBeNull();
    expect(calls.some((c) => c.url.includes('/trade-terms'))).toBe(false);
    expect(screen.queryByRole('alert')).toBeNull();
    return;
  }
  const panel = await screen.findByTestId('trade-terms');
  await screen.findByText(LABEL[expected[0] as PrivateGroup]);
  for (const g of PRIVATE_GROUPS) {
    if (expected.includes(g)) expect(panel).toHaveTextContent(LABEL[g]);
    else expect(panel).not.toHaveTextContent(LABEL[g]);
  }
  expect(panel).not.toHaveTextContent(/SALT|salt-/);
  expect(document.body.textContent).not.toMatch(/SALT-/);
  const termCalls = calls.filter((c) => c.url.includes('/trade-terms'));
  expect(termCalls).toHaveLength(1);
  expect(termCalls[0]?.method).toBe('GET');
}

const ALL: PrivateGroup[] = ['tradeTerms', 'fxApplication', 'proceeds', 'customsValue'];

describe('Trade terms panel: hand-written expectations (independent of policy.ts)', () => {
  afterEach(() => vi.unstubAllGlobals());

  it.each<[string, Role, Session['org'], ExportStatus, PrivateGroup[], Partial<Session['user']>?]>([
    [
      'the exporter of the export',
      'exporter',
      'commercial-bank',
      'COMPLETED',
      ALL,
      { exporterId: 'EXPORTER-1' },
    ],
    ['the exporter at DRAFT', 'exporter', 'commercial-bank', 'DRAFT', ALL, { exporterId: 'EXPORTER-1' }],
    ['another exporter', 'exporter', 'commercial-bank', 'COMPLETED', [], { exporterId: 'EXPORTER-2' }],
    ['the bank officer', 'bank_officer', 'commercial-bank', 'COMPLETED', ALL],
    ['the Commercial Bank auditor', 'auditor', 'commercial-bank', 'COMPLETED', ALL],
    ['the ECTA officer', 'ecta_officer', 'ecta', 'SUBMITTED', ALL],
    ['the ECTA officer at DRAFT (not yet submitted)', 'ecta_officer', 'ecta', 'DRAFT', []],
    ['the ECTA auditor', 'auditor', 'ecta', 'COMPLETED', ALL],
    ['the FX officer', 'fx_officer', 'national-bank', 'FX_SUBMITTED', ALL],
    ['the FX officer before the FX step', 'fx_officer', 'national-bank', 'QUALITY_CERTIFIED', []],
    ['the National Bank auditor', 'auditor', 'national-bank', 'COMPLETED', ALL],
    ['the customs officer', 'customs_officer', 'customs', 'SHIPMENT_BOOKED', ['customsValue']],
    ['the customs officer before booking', 'customs_officer', 'customs', 'FX_APPROVED', []],
    ['the customs auditor', 'auditor', 'customs', 'COMPLETED', ['customsValue']],
    ['the grader', 'grader', 'ecx', 'COMPLETED', []],
    ['the ECX auditor', 'auditor', 'ecx', 'COMPLETED', []],
    ['the shipping agent', 'shipping_agent', 'shipping-line', 'COMPLETED', []],
    ['the Shipping Line auditor', 'auditor', 'shipping-line', 'COMPLETED', []],
    ['the Commercial Bank admin', 'admin', 'commercial-bank', 'COMPLETED', []],
    ['the ECTA admin', 'admin', 'ecta', 'COMPLETED', []],
    ['the customs admin', 'admin', 'customs', 'COMPLETED', []],
  ])('%s (%s of %s at %s) reads %j', async (_who, role, org, status, expected, extra) => {
    signIn(role, org, extra);
    await expectGroups(show(completed(status)), expected);
  });

  it('shows customs only the customs value even if the gateway sent more', async () => {
    signIn('customs_officer', 'customs');
    show(completed());
    const panel = await screen.findByTestId('trade-terms');
    expect(await screen.findByText('Customs value (registered contract value)')).toBeInTheDocument();
    expect(panel).toHaveTextContent('$81,600.00');
    expect(panel).not.toHaveTextContent('LC-778');
    expect(panel).not.toHaveTextContent('SWIFT-1');
    expect(panel).not.toHaveTextContent('30 days after B/L');
    expect(panel).not.toHaveTextContent('$4.25');
  });

  it('shows what came back for the exporter: terms, FX application, proceeds', async () => {
    signIn('exporter', 'commercial-bank', { exporterId: 'EXPORTER-1' });
    show(completed(), {
      exportId: 'EXP-1',
      terms: EVERYTHING.terms,
      fxApplication: EVERYTHING.fxApplication,
    });
    const panel = await screen.findByTestId('trade-terms');
    await screen.findByText('Unit price');
    expect(panel).toHaveTextContent('$4.25/kg');
    expect(panel).toHaveTextContent('30 days after B/L');
    expect(panel).toHaveTextContent('LC-778');
    expect(panel).not.toHaveTextContent('Proceeds received');
    expect(panel).not.toHaveTextContent(/salt/i);
  });

  it('keeps quiet for roles outside the policy even when the gateway would refuse', async () => {
    signIn('grader', 'ecx');
    const calls = show(completed(), { code: 'FORBIDDEN', title: 'Forbidden' }, 403);
    await expectGroups(calls, []);
  });

  it('takes the MSP from the signed-in user when the gateway gives it', async () => {
    signIn('auditor', 'commercial-bank', { mspId: 'CustomsMSP' });
    await expectGroups(show(completed()), ['customsValue']);
  });
});

describe('Trade terms panel: driven by policy.ts for every org role', () => {
  afterEach(() => vi.unstubAllGlobals());

  const cases = ORGS.flatMap((o) =>
    (ORG_ROLES[o.key] ?? []).flatMap((role) =>
      (['FX_SUBMITTED', 'COMPLETED'] as const).map((status) => [o.key, role, status] as const),
    ),
  );

  it.each(cases)('%s %s at %s', async (org, role, status) => {
    const extra = role === 'exporter' ? { exporterId: 'EXPORTER-1' } : {};
    signIn(role, org, extra);
    const msp = ORGS.find((o) => o.key === org)?.msp ?? '';
    const expected = PRIVATE_GROUPS.filter((g) =>
      canReadPrivate({ mspId: msp, role, ...extra }, { exporterId: 'EXPORTER-1', reached: status }, g),
    );
    await expectGroups(show(completed(status)), expected);
  });

  it('the policy and the hand-written expectations agree on who reads what', () => {
    const reads = (mspId: string, role: string): PrivateGroup[] =>
      PRIVATE_GROUPS.filter((g) =>
        canReadPrivate({ mspId, role, exporterId: 'E' }, { exporterId: 'E', reached: 'COMPLETED' }, g),
      );
    expect(reads('CommercialBankMSP', 'exporter')).toEqual(ALL);
    expect(reads('NationalBankMSP', 'fx_officer')).toEqual(ALL);
    expect(reads('ECTAMSP', 'ecta_officer')).toEqual(ALL);
    expect(reads('CustomsMSP', 'customs_officer')).toEqual(['customsValue']);
    expect(reads('ECXMSP', 'grader')).toEqual([]);
    expect(reads('ShippingLineMSP', 'shipping_agent')).toEqual([]);
    expect(reads('CommercialBankMSP', 'admin')).toEqual([]);
  });
});
