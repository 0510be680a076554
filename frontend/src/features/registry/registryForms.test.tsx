import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MinimumPrice } from '../../api/types';
import { renderAt, signIn, stubFetch } from '../../test/helpers';
import { UsersPage, userValidators } from '../users/UsersPage';
import { ExportersPage, exporterValidators } from './ExportersPage';
import { MinimumPricesPage, priceValidators, rowsInForce } from './MinimumPricesPage';

afterEach(() => vi.unstubAllGlobals());

describe('registry validators', () => {
  it.each([
    ['exporterId', 'EXP-ACME', true],
    ['exporterId', ' acme', false],
    ['tin', '0012345678', true],
    ['tin', '12345678901', false],
    ['licenceNumber', 'ECTA/LIC/2026/7', true],
    ['licenceValidUntil', '2001-01-01', false],
    ['licenceValidUntil', '2999-01-01', true],
  ] as const)('exporter %s %j valid: %s', (field, value, ok) => {
    expect(exporterValidators[field](value) === undefined).toBe(ok);
  });

  it.each([
    ['grade', 'G1', true],
    ['grade', 'A', false],
    ['originRegion', '', true],
    ['originRegion', 'SIDAMA', true],
    ['originRegion', 'sidama', false],
    ['usdPerKg', '3.5', true],
    ['usdPerKg', '0', false],
    ['usdPerKg', '3.12345', false],
    ['effectiveFrom', '2026-01-01', true],
    ['effectiveFrom', 'tomorrow', false],
  ] as const)('minimum price %s %j valid: %s', (field, value, ok) => {
    expect(priceValidators[field](value) === undefined).toBe(ok);
  });

  it.each([
    ['username', 'grader.two', true],
    ['username', 'Grader Two', false],
    ['password', 'short1', false],
    ['password', 'onlyletterslong', false],
    ['password', 'letters-and-1234', true],
    ['email', '', true],
    ['email', 'not-an-email', false],
    ['role', 'grader', true],
    ['role', 'exporter', false],
  ] as const)('user %s %j valid: %s (ECX roles)', (field, value, ok) => {
    expect(userValidators(['grader', 'admin', 'auditor'], 'grader')[field](value) === undefined).toBe(ok);
  });

  it('requires an exporter id only for exporter users', () => {
    expect(userValidators(['exporter'], 'exporter').exporterId('')).toBeDefined();
    expect(userValidators(['bank_officer'], 'bank_officer').exporterId('')).toBeUndefined();
  });

  it('marks the row in force per grade and region', () => {
    const rows: MinimumPrice[] = [
      { id: 'MP-000001', grade: 'G2', usdPerKg: 3, effectiveFrom: '2026-01-01' },
      { id: 'MP-000002', grade: 'G2', usdPerKg: 3.5, effectiveFrom: '2026-06-01' },
      { id: 'MP-000003', grade: 'G2', originRegion: 'SIDAMA', usdPerKg: 4, effectiveFrom: '2026-02-01' },
      { id: 'MP-000004', grade: 'G2', usdPerKg: 9, effectiveFrom: '2099-01-01' },
    ];
    expect([...rowsInForce(rows, Date.UTC(2026, 7, 1))].sort()).toEqual(['MP-000002', 'MP-000003']);
  });
});

describe('registry pages', () => {
  it('ECTA licenses an exporter (validated first, then POST /exporters)', async () => {
    signIn('ecta_officer', 'ecta');
    const calls = stubFetch((c) =>
      c.method === 'POST' ? { status: 201, body: {} } : { status: 200, body: { items: [] } },
    );
    renderAt(<ExportersPage />);
    await screen.findByText(/No exporters are licensed yet/);
    await userEvent.click(screen.getByRole('button', { name: 'Register exporter' }));
    expect(screen.getByText('TIN is required')).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText(/Exporter id/), 'EXP-ACME');
    await userEvent.type(screen.getByLabelText(/Legal name/), 'Acme Coffee PLC');
    await userEvent.type(screen.getByLabelText(/TIN/), '0012345678');
    await userEvent.type(screen.getByLabelText(/Licence number/), 'LIC-1');
    await userEvent.type(screen.getByLabelText(/Licence valid until/), '2030-12-31');
    await userEvent.click(screen.getByRole('button', { name: 'Register exporter' }));
    expect(await screen.findByText('Exporter EXP-ACME licensed.')).toBeInTheDocument();
    expect(calls.find((c) => c.method === 'POST')).toMatchObject({
      url: '/gw/ecta/api/v1/exporters',
      body: {
        exporterId: 'EXP-ACME',
        legalName: 'Acme Coffee PLC',
        tin: '0012345678',
        licenceNumber: 'LIC-1',
        licenceValidUntil: '2030-12-31',
      },
    });
  });

  it('the National Bank no longer sets delinquency per exporter (it is per export now)', async () => {
    signIn('fx_officer', 'national-bank');
    const calls = stubFetch((c) =>
      c.url.endsWith('/workflow-config')
        ? {
            status: 200,
            body: { current: { shipByWindowSeconds: 1, repatriationWindowSeconds: 1, version: 0 } },
          }
        : c.url.includes('/exports?')
          ? { status: 200, body: { items: [] } }
          : {
              status: 200,
              body: {
                items: [
                  {
                    exporterId: 'EXP-ACME',
                    legalName: 'Acme',
                    tin: '0012345678',
                    licenceNumber: 'L',
                    licenceValidUntil: '2030-01-01',
                    status: 'ACTIVE',
                    delinquent: true,
                  },
                ],
              },
            },
    );
    renderAt(<ExportersPage />);
    expect(await screen.findByText('DELINQUENT')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Register exporter' })).toBeNull();
    expect(screen.queryByRole('button', { name: /Manage EXP-ACME/ })).toBeNull();
    expect(calls.some((c) => c.url.includes('/delinquency'))).toBe(false);
  });

  it('ECTA publishes a minimum price; other orgs only read the table', async () => {
    signIn('ecta_officer', 'ecta');
    const calls = stubFetch((c) =>
      c.method === 'POST'
        ? { status: 201, body: { id: 'MP-000009' } }
        : c.url.endsWith('/workflow-config')
          ? { status: 403, body: { code: 'FORBIDDEN' } }
          : { status: 200, body: { items: [] } },
    );
    renderAt(<MinimumPricesPage />);
    await screen.findByText(/has not published any minimum price/);
    await userEvent.selectOptions(screen.getByLabelText(/^Grade/), 'G1');
    await userEvent.type(screen.getByLabelText(/Origin region/), 'guji');
    await userEvent.type(screen.getByLabelText(/Minimum price/), '4.1');
    await userEvent.click(screen.getByRole('button', { name: 'Publish' }));
    expect(await screen.findByText('Published MP-000009')).toBeInTheDocument();
    expect(calls.find((c) => c.method === 'POST')?.body).toMatchObject({
      grade: 'G1',
      originRegion: 'GUJI',
      usdPerKg: 4.1,
    });
  });

  it('an org admin creates a user with one of the org’s roles', async () => {
    signIn('admin', 'customs');
    const calls = stubFetch((c) =>
      c.method === 'POST' ? { status: 201, body: { id: 'u9' } } : { status: 200, body: { items: [] } },
    );
    renderAt(<UsersPage />);
    const role = screen.getByLabelText(/^Role/);
    expect([...role.querySelectorAll('option')].map((o) => o.getAttribute('value'))).toEqual([
      '',
      'customs_officer',
      'admin',
      'auditor',
    ]);
    await userEvent.type(screen.getByLabelText(/Username/), 'officer.two');
    await userEvent.type(screen.getByLabelText(/Initial password/), 'short');
    await userEvent.selectOptions(role, 'customs_officer');
    await userEvent.click(screen.getByRole('button', { name: 'Create user' }));
    expect(screen.getByText('Password must be at least 12 characters')).toBeInTheDocument();
    await userEvent.clear(screen.getByLabelText(/Initial password/));
    await userEvent.type(screen.getByLabelText(/Initial password/), 'customs-pass-2026');
    await userEvent.click(screen.getByRole('button', { name: 'Create user' }));
    expect(await screen.findByText(/User officer.two created/)).toBeInTheDocument();
    expect(calls.find((c) => c.method === 'POST')).toMatchObject({
      url: '/gw/customs/api/v1/users',
      body: { username: 'officer.two', password: 'customs-pass-2026', role: 'customs_officer' },
    });
  });

  it('refuses the users page to non-admins', () => {
    signIn('grader', 'ecx');
    stubFetch(() => ({ status: 200, body: { items: [] } }));
    renderAt(<UsersPage />);
    expect(screen.getByRole('alert')).toHaveTextContent(
      'Only your organization’s administrators manage users.',
    );
  });
});
