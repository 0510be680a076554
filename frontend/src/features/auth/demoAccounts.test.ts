import { afterEach, describe, expect, it, vi } from 'vitest';
import { stubFetch } from '../../test/helpers';
import { DEMO_ACCOUNTS_URL, groupByOrg, loadDemo, parseDemo, waitingInQueue } from './demoAccounts';

const ecta = { org: 'ecta', role: 'ecta_officer', username: 'ecta.officer', password: 'pw-ecta' };
const exporterA = {
  org: 'commercial-bank',
  role: 'exporter',
  username: 'exporter.a',
  password: 'pw-a',
  exporterId: 'EXPT-A',
};

describe('parseDemo: only a development file, only accounts that fit the consortium', () => {
  it.each([
    ['not an object', 'development'],
    ['null', null],
    ['production mode', { mode: 'production', accounts: [ecta] }],
    ['no mode', { accounts: [ecta] }],
    ['accounts not a list', { mode: 'development', accounts: { ecta } }],
  ])('%s: no demo', (_what, raw) => {
    expect(parseDemo(raw)).toEqual({ accounts: [], exports: [] });
  });

  it.each([
    ['an unknown org', { ...ecta, org: 'bank-of-nowhere' }],
    ['a role the org does not have', { ...ecta, role: 'grader' }],
    ['an unknown role', { ...ecta, role: 'superuser' }],
    ['no username', { ...ecta, username: '' }],
    ['a blank password', { ...ecta, password: '   ' }],
    ['a password that is not text', { ...ecta, password: 1234 }],
    ['an exporter id that is not text', { ...exporterA, exporterId: 7 }],
    ['a huge username', { ...ecta, username: 'x'.repeat(201) }],
    ['not an object', 'ecta.officer'],
  ])('drops an account with %s', (_what, bad) => {
    expect(parseDemo({ mode: 'development', accounts: [bad, ecta] }).accounts).toEqual([ecta]);
  });

  it('orders by the consortium’s orgs, then the org’s roles; names an org by MSP id too; no duplicates', () => {
    const admin = { org: 'ECTAMSP', role: 'admin', username: 'ecta.admin', password: 'pw' };
    const bankOfficer = { org: 'commercial-bank', role: 'bank_officer', username: 'bank', password: 'pw' };
    const demo = parseDemo({ mode: 'development', accounts: [admin, ecta, bankOfficer, exporterA, ecta] });
    expect(demo.accounts.map((a) => `${a.org}/${a.role}/${a.username}`)).toEqual([
      'commercial-bank/exporter/exporter.a',
      'commercial-bank/bank_officer/bank',
      'ecta/ecta_officer/ecta.officer',
      'ecta/admin/ecta.admin',
    ]);
    expect(demo.accounts[0]).toEqual(exporterA);
    expect(groupByOrg(demo.accounts).map((g) => [g.org, g.accounts.length])).toEqual([
      ['commercial-bank', 2],
      ['ecta', 2],
    ]);
  });

  it('counts the exports waiting in each account’s queue (an exporter’s only when they are its own)', () => {
    const exporterB = { ...exporterA, username: 'exporter.b', exporterId: 'EXPT-B' };
    const demo = parseDemo({
      mode: 'development',
      accounts: [ecta, exporterA, exporterB],
      exports: [
        { exportId: 'EXP-DEMO-01', status: 'SUBMITTED', queue: { org: 'ecta', role: 'ecta_officer' } },
        { exportId: 'EXP-DEMO-02', status: 'SUBMITTED', queue: { org: 'ecta', role: 'ecta_officer' } },
        { exportId: 'EXP-DEMO-03', status: 'COMPLETED', queue: null },
        {
          exportId: 'EXP-DEMO-04',
          status: 'AMENDMENT_REQUESTED',
          queue: { org: 'commercial-bank', role: 'exporter' },
          exporterId: 'EXPT-A',
        },
        // Whose? Unknown: counted for no exporter.
        { exportId: 'EXP-DEMO-05', queue: { org: 'commercial-bank', role: 'exporter' } },
        { exportId: 42 },
      ],
    });
    expect(demo.exports.map((x) => x.exportId)).toEqual([
      'EXP-DEMO-01',
      'EXP-DEMO-02',
      'EXP-DEMO-03',
      'EXP-DEMO-04',
      'EXP-DEMO-05',
    ]);
    expect(demo.accounts.map((x) => [x.username, waitingInQueue(demo, x)])).toEqual([
      ['exporter.a', 1],
      ['exporter.b', 0],
      ['ecta.officer', 2],
    ]);
  });
});

describe('loadDemo: asks the portal server; anything but a development file is no demo', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('reads /demo-accounts.json from the same origin', async () => {
    const calls = stubFetch(() => ({ status: 200, body: { mode: 'development', accounts: [ecta] } }));
    expect((await loadDemo()).accounts).toEqual([ecta]);
    expect(calls.map((c) => [c.method, c.url])).toEqual([['GET', DEMO_ACCOUNTS_URL]]);
  });

  it.each([
    ['404', () => undefined],
    ['a server error', () => ({ status: 500, body: { title: 'boom' } })],
  ])('%s: no demo', async (_what, route) => {
    stubFetch(route);
    expect(await loadDemo()).toEqual({ accounts: [], exports: [] });
  });

  it('an answer that is not JSON (an SPA fallback page): no demo', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.resolve(new Response('<!doctype html><html></html>', { status: 200 }))),
    );
    expect(await loadDemo()).toEqual({ accounts: [], exports: [] });
  });

  it('a network failure: no demo', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))),
    );
    expect(await loadDemo()).toEqual({ accounts: [], exports: [] });
  });
});
