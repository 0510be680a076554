import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WorkflowConfig } from '../../api/types';
import { renderAt, signIn, stubFetch } from '../../test/helpers';
import { ExportersPage } from './ExportersPage';
import { MinimumPricesPage } from './MinimumPricesPage';
import { daysToSeconds, windowDays, windowText } from './WorkflowConfigPanel';

const DAY = 86_400;
const CURRENT = { shipByWindowSeconds: 90 * DAY, repatriationWindowSeconds: 90 * DAY, version: 3 };
const PENDING_BY = (msp: string): WorkflowConfig['pending'] => ({
  shipByWindowSeconds: 60 * DAY,
  repatriationWindowSeconds: 120,
  proposedByMsp: msp,
  proposedAt: '2026-05-01T08:00:00Z',
  version: 4,
});

function stub(config: WorkflowConfig): ReturnType<typeof stubFetch> {
  return stubFetch((c) => {
    if (c.url.endsWith('/workflow-config') && c.method === 'GET') return { status: 200, body: config };
    if (c.url.includes('/workflow-config')) return { status: 200, body: { txId: 'tx-w' } };
    return { status: 200, body: { items: [] } };
  });
}

describe('workflow deadlines: ECTA and the National Bank decide together', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('ECTA sees the windows in force on the minimum prices page and proposes a change (days → seconds)', async () => {
    signIn('ecta_officer', 'ecta');
    const calls = stub({ current: CURRENT });
    renderAt(<MinimumPricesPage />);
    const panel = await screen.findByTestId('workflow-config');
    expect(await within(panel).findByTestId('wf-current-ship-by')).toHaveTextContent('90 days');
    expect(within(panel).queryByRole('button', { name: /Approve/ })).toBeNull();
    await userEvent.click(within(panel).getByRole('button', { name: 'Propose' }));
    expect(within(panel).getByRole('alert')).toHaveTextContent(
      /ship-by window, a new repatriation window, or both/,
    );
    await userEvent.type(within(panel).getByLabelText(/New repatriation window/), '0.5');
    await userEvent.click(within(panel).getByRole('button', { name: 'Propose' }));
    await within(panel).findByText(/Proposed; it applies once the other regulator approves it/);
    const put = calls.find((c) => c.method === 'PUT');
    expect(put).toMatchObject({
      url: '/gw/ecta/api/v1/workflow-config',
      body: { repatriationWindowSeconds: 43_200 },
    });
    expect(put?.body).not.toHaveProperty('shipByWindowSeconds');
  });

  it('the National Bank approves ECTA’s pending proposal by its version', async () => {
    signIn('fx_officer', 'national-bank');
    const calls = stub({ current: CURRENT, pending: PENDING_BY('ECTAMSP') });
    renderAt(<ExportersPage />);
    const pending = await screen.findByTestId('wf-pending');
    expect(pending).toHaveTextContent('version 4');
    expect(pending).toHaveTextContent('ECTA');
    expect(pending).toHaveTextContent('60 days');
    await userEvent.click(within(pending).getByRole('button', { name: 'Approve version 4' }));
    await screen.findByText('Version 4 approved.');
    expect(calls.find((c) => c.method === 'POST')).toMatchObject({
      url: '/gw/national-bank/api/v1/workflow-config/approve',
      body: { version: 4 },
    });
  });

  it('the proposing organization cannot approve its own proposal', async () => {
    signIn('ecta_officer', 'ecta');
    stub({ current: CURRENT, pending: PENDING_BY('ECTAMSP') });
    renderAt(<MinimumPricesPage />);
    const pending = await screen.findByTestId('wf-pending');
    expect(within(pending).queryByRole('button')).toBeNull();
    expect(pending).toHaveTextContent('Waiting for the other regulator’s approval');
  });

  it('ECTA approves the National Bank’s proposal', async () => {
    signIn('ecta_officer', 'ecta');
    const calls = stub({ current: CURRENT, pending: PENDING_BY('NationalBankMSP') });
    renderAt(<MinimumPricesPage />);
    await userEvent.click(await screen.findByRole('button', { name: 'Approve version 4' }));
    await screen.findByText('Version 4 approved.');
    expect(calls.find((c) => c.method === 'POST')?.url).toBe('/gw/ecta/api/v1/workflow-config/approve');
  });

  it.each([
    ['an ECTA auditor', 'auditor', 'ecta'],
    ['the National Bank auditor', 'auditor', 'national-bank'],
  ] as const)('%s reads the deadlines but neither proposes nor approves', async (_who, role, org) => {
    signIn(role, org);
    stub({ current: CURRENT, pending: PENDING_BY(org === 'ecta' ? 'NationalBankMSP' : 'ECTAMSP') });
    renderAt(org === 'ecta' ? <MinimumPricesPage /> : <ExportersPage />);
    const panel = await screen.findByTestId('workflow-config');
    await within(panel).findByTestId('wf-pending');
    expect(within(panel).queryByRole('button')).toBeNull();
  });

  it.each([
    ['90', 90 * DAY, undefined],
    ['0.5', 43_200, undefined],
    ['0.00001', 1, undefined],
    ['0', 0, /at least one second/],
    ['731', 731 * DAY, /at most 730 days/],
    ['ten', NaN, /number of days/],
  ] as const)('ship-by %j days → %d s (%s)', (days, seconds, error) => {
    if (!Number.isNaN(seconds)) expect(daysToSeconds(days)).toBe(seconds);
    const e = windowDays('Ship-by window', 730)(days);
    if (error) expect(e).toMatch(error);
    else expect(e).toBeUndefined();
  });

  it('shows whole days as days and anything else with its seconds', () => {
    expect(windowText(DAY)).toBe('1 day');
    expect(windowText(120)).toBe('2 min (120 s)');
  });
});
