import { screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderAt, signIn, stubFetch } from '../../test/helpers';
import { Dashboard } from './Dashboard';

const hoursAgo = (h: number): string => new Date(Date.now() - h * 3_600_000).toISOString();

describe('Dashboard: what needs me now', () => {
  afterEach(() => vi.unstubAllGlobals());

  it.each([
    ['ecta_officer', 'ecta', ['SUBMITTED']],
    ['grader', 'ecx', ['CONTRACT_REGISTERED']],
    ['bank_officer', 'commercial-bank', ['QUALITY_CERTIFIED', 'AMENDMENT_REQUESTED', 'SHIPPED']],
    ['fx_officer', 'national-bank', ['FX_SUBMITTED', 'PAYMENT_RECEIVED']],
    ['shipping_agent', 'shipping-line', ['FX_APPROVED', 'CUSTOMS_CLEARED', 'SHIPPED']],
    ['customs_officer', 'customs', ['SHIPMENT_BOOKED', 'UNDER_INSPECTION']],
  ] as const)('%s asks its gateway for the states it acts on', async (role, org, statuses) => {
    signIn(role, org);
    const calls = stubFetch(() => ({ status: 200, body: { items: [] } }));
    renderAt(<Dashboard />);
    expect(await screen.findByText(/0 exports waiting for you/)).toBeInTheDocument();
    const asked = calls
      .map((c) => new URL(c.url, 'http://portal.test').searchParams.get('status'))
      .filter(Boolean);
    expect(asked).toEqual([...statuses]);
    expect(calls.every((c) => c.url.startsWith(`/gw/`))).toBe(true);
  });

  it.each(['ecta', 'customs', 'commercial-bank'] as const)(
    'an org admin of %s reads no exports: no export request at all, a pointer to user management',
    async (org) => {
      signIn('admin', org);
      const calls = stubFetch(() => ({ status: 403, body: { code: 'FORBIDDEN_ROLE' } }));
      renderAt(<Dashboard />);
      expect(await screen.findByRole('heading', { name: 'Administration' })).toBeInTheDocument();
      expect(screen.getByRole('link', { name: 'Manage users' })).toHaveAttribute('href', '/users');
      expect(calls.filter((c) => c.url.includes('/exports'))).toEqual([]);
      expect(screen.queryByRole('alert')).toBeNull();
    },
  );

  it("the bank's FX amendment queue holds only amendments returning to the FX step", async () => {
    signIn('bank_officer', 'commercial-bank');
    const amended = (exportId: string, returnTo: string | null) => ({
      exportId,
      exporterId: 'X1',
      status: 'AMENDMENT_REQUESTED',
      updatedAt: hoursAgo(1),
      contract: { buyerName: 'B1' },
      ...(returnTo === null ? {} : { amendment: { returnTo, step: 2, reasonCode: 'R', reason: 'r' } }),
    });
    stubFetch((c) =>
      new URL(c.url, 'http://portal.test').searchParams.get('status') === 'AMENDMENT_REQUESTED'
        ? {
            status: 200,
            body: {
              items: [
                amended('EXP-FX', 'FX_SUBMITTED'),
                amended('EXP-ECTA', 'SUBMITTED'),
                amended('EXP-UNKNOWN', null),
              ],
            },
          }
        : { status: 200, body: { items: [] } },
    );
    renderAt(<Dashboard />);
    const queue = (await screen.findByRole('heading', { name: /FX amendments requested/ })).closest(
      'section',
    ) as HTMLElement;
    await within(queue).findByRole('link', { name: 'EXP-FX' });
    expect(
      within(queue)
        .getAllByRole('link')
        .map((l) => l.textContent),
    ).toEqual(['EXP-FX']);
  });

  it('counts the queue, lists the oldest first with its age, and shows an empty state', async () => {
    signIn('fx_officer', 'national-bank');
    stubFetch((c) => {
      const status = new URL(c.url, 'http://portal.test').searchParams.get('status');
      if (status === 'FX_SUBMITTED')
        return {
          status: 200,
          body: {
            items: [
              {
                exportId: 'EXP-NEW',
                exporterId: 'X1',
                status: 'FX_SUBMITTED',
                updatedAt: hoursAgo(2),
                contract: { buyerName: 'B1' },
              },
              {
                exportId: 'EXP-OLD',
                exporterId: 'X2',
                status: 'FX_SUBMITTED',
                updatedAt: hoursAgo(50),
                contract: { buyerName: 'B2' },
              },
            ],
          },
        };
      return { status: 200, body: { items: [] } };
    });
    renderAt(<Dashboard />);
    const queue = (await screen.findByRole('heading', { name: /FX applications to approve/ })).closest(
      'section',
    ) as HTMLElement;
    expect(within(queue).getByRole('heading', { level: 2 })).toHaveAccessibleName(
      /^FX applications to approve 2 waiting$/,
    );
    expect(within(queue).getByText('Oldest waiting: 2 d 2 h')).toBeInTheDocument();
    const rows = within(queue).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getByRole('link').textContent)).toEqual(['EXP-OLD', 'EXP-NEW']);
    const other = screen
      .getByRole('heading', { name: /Repatriations to confirm/ })
      .closest('section') as HTMLElement;
    expect(within(other).getByText(/Nothing waiting/)).toBeInTheDocument();
    expect(screen.getByText('2 exports waiting for you', { exact: false })).toBeInTheDocument();
  });

  it('shows exporters only their own requests, by status', async () => {
    signIn('exporter', 'commercial-bank', { exporterId: 'EXPORTER-9' });
    const calls = stubFetch(() => ({
      status: 200,
      body: {
        items: [{ exportId: 'E1', exporterId: 'EXPORTER-9', status: 'SUBMITTED', updatedAt: hoursAgo(1) }],
      },
    }));
    renderAt(<Dashboard />);
    expect(await screen.findByRole('heading', { name: 'My requests by status' })).toBeInTheDocument();
    expect(
      calls.every(
        (c) => new URL(c.url, 'http://portal.test').searchParams.get('exporterId') === 'EXPORTER-9',
      ),
    ).toBe(true);
    expect(await screen.findByRole('link', { name: /Submitted 1/ })).toBeInTheDocument();
  });

  it('shows a gateway problem with a retry', async () => {
    signIn('grader', 'ecx');
    stubFetch(() => ({
      status: 503,
      body: { code: 'PEER_UNAVAILABLE', title: 'The org peer is not reachable' },
    }));
    renderAt(<Dashboard />);
    const alerts = await screen.findAllByRole('alert');
    expect(alerts[0]).toHaveTextContent('The org peer is not reachable');
    expect(within(alerts[0] as HTMLElement).getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
});
