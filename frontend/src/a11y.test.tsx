/**
 * Accessibility of every main page, as rendered by the whole app (layout, landmarks, skip link): axe-core finds no
 * serious or critical violation, each page has its own title, and every table cell names its column for the
 * narrow-screen layout (styles.css stacks table rows below 720 px and captions cells with data-label).
 * Colour contrast and everything else that needs layout is checked in the browser (e2e).
 */
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import { reloadSession } from './api/client';
import type { Role } from './api/types';
import type { OrgKey } from './config';
import { DEMO_ACCOUNTS_URL } from './features/auth/demoAccounts';
import { APP_TITLE } from './lib/usePageTitle';
import { axeFindings } from './test/axe';
import { type GatewayData, emptyData, fullData, gateway } from './test/fakeGateway';
import { renderAt, signIn, stubFetch } from './test/helpers';
import indexHtml from '../index.html?raw';

const DEMO = {
  mode: 'development',
  accounts: [
    { org: 'ecta', role: 'ecta_officer', username: 'ecta.officer', password: 'pw-1' },
    { org: 'commercial-bank', role: 'exporter', username: 'exp', password: 'pw-2', exporterId: 'EXPORTER-1' },
  ],
  exports: [{ exportId: 'EXP-DEMO-01', queue: { org: 'ecta', role: 'ecta_officer' } }],
};

type Who = [Role, OrgKey] | null;

async function show(path: string, who: Who, data: GatewayData): Promise<void> {
  document.title = '';
  if (who) signIn(who[0], who[1], who[0] === 'exporter' ? { exporterId: 'EXPORTER-1' } : {});
  else reloadSession();
  const answer = gateway(data);
  stubFetch((c) => (c.url === DEMO_ACCOUNTS_URL ? { status: 200, body: DEMO } : answer(c)));
  renderAt(<App />, path);
  await settle();
}

/** Every loading indicator gone, and the QR code (rendered asynchronously) in place where there is one. */
async function settle(): Promise<void> {
  await waitFor(() => {
    expect(
      screen
        .queryAllByRole('status')
        .filter((s) => /Loading|Asking|Reading|Looking/.test(s.textContent ?? '')),
    ).toEqual([]);
    expect(document.querySelector('.qr-placeholder')).toBeNull();
  });
}

async function expectAccessible(): Promise<void> {
  expect(await axeFindings()).toEqual([]);
}

/** Each cell of a data table carries its column header as data-label (the stacked rows' captions). */
function expectCellsCaptioned(): void {
  for (const table of document.querySelectorAll('.table-wrap table')) {
    const headers = [...table.querySelectorAll('thead th')].map((th) => th.textContent?.trim());
    for (const row of table.querySelectorAll('tbody tr')) {
      [...row.children].forEach((cell, i) => {
        expect(
          cell.getAttribute('data-label'),
          `${table.querySelector('caption')?.textContent} cell ${i}`,
        ).toBe(headers[i]);
      });
    }
  }
}

const PAGES: Array<[string, string, Who]> = [
  ['login', '/login', null],
  ['dashboard (FX officer)', '/', ['fx_officer', 'national-bank']],
  ['dashboard (exporter)', '/', ['exporter', 'commercial-bank']],
  ['dashboard (administrator)', '/', ['admin', 'ecta']],
  ['export list', '/exports', ['ecta_officer', 'ecta']],
  ['export detail', '/exports/EXP-1', ['ecta_officer', 'ecta']],
  ['export detail (bank officer, private terms)', '/exports/EXP-2', ['bank_officer', 'commercial-bank']],
  ['create wizard', '/exports/new', ['exporter', 'commercial-bank']],
  ['create wizard (not an exporter)', '/exports/new', ['grader', 'ecx']],
  ['users', '/users', ['admin', 'commercial-bank']],
  ['exporter licences (ECTA)', '/exporters', ['ecta_officer', 'ecta']],
  ['exporters and delinquency (National Bank)', '/exporters', ['fx_officer', 'national-bank']],
  ['minimum prices', '/minimum-prices', ['ecta_officer', 'ecta']],
  ['turnaround', '/turnaround', ['auditor', 'ecta']],
  ['verify (lookup)', '/verify', null],
  ['verify (result)', '/verify/EXP-2', null],
];

describe('accessibility (axe-core in jsdom)', () => {
  beforeAll(() => {
    // index.html sets it; the test document is jsdom's own.
    document.documentElement.lang = 'en';
  });
  afterEach(() => vi.unstubAllGlobals());

  it('index.html declares the language and a mobile viewport', () => {
    const html = indexHtml;
    expect(html).toMatch(/<html lang="en">/);
    expect(html).toMatch(/<meta name="viewport" content="width=device-width, initial-scale=1.0" \/>/);
  });

  it.each(PAGES)(
    '%s, with data: no serious violation, own title, captioned cells',
    async (_name, path, who) => {
      document.title = '';
      await show(path, who, fullData());
      await expectAccessible();
      expect(document.title).toMatch(new RegExp(`^.+ · ${APP_TITLE}$`));
      expectCellsCaptioned();
    },
  );

  it.each(PAGES)('%s, empty: no serious violation', async (_name, path, who) => {
    await show(path, who, emptyData());
    await expectAccessible();
  });

  it('login with its field errors shown', async () => {
    await show('/login', null, emptyData());
    await screen.findByRole('region', { name: 'Demo accounts' });
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('Password is required')).toBeInTheDocument();
    await expectAccessible();
  });

  it('export detail with an action form open and its errors shown', async () => {
    await show('/exports/EXP-1', ['ecta_officer', 'ecta'], fullData());
    await userEvent.click(screen.getByRole('button', { name: 'Register the sales contract' }));
    await userEvent.click(screen.getByRole('button', { name: 'Request an amendment' }));
    const form = document.querySelector('#action-panel form');
    expect(form).not.toBeNull();
    await userEvent.click(form?.querySelector('button[type="submit"]') as HTMLElement);
    expect(form?.querySelector('[aria-invalid="true"]')).not.toBeNull();
    await expectAccessible();
  });

  it('create wizard step with errors', async () => {
    await show('/exports/new', ['exporter', 'commercial-bank'], emptyData());
    await userEvent.click(screen.getByRole('button', { name: 'Next' }));
    expect(document.querySelector('[aria-invalid="true"]')).not.toBeNull();
    await expectAccessible();
  });

  it('exporter licence editor open in its table row', async () => {
    await show('/exporters', ['ecta_officer', 'ecta'], fullData());
    await userEvent.click(screen.getByRole('button', { name: 'Manage EXPORTER-1' }));
    expect(screen.getByRole('form', { name: 'Update EXPORTER-1' })).toBeInTheDocument();
    await expectAccessible();
  });

  it('verify lookup with an invalid id', async () => {
    await show('/verify', null, emptyData());
    await userEvent.click(screen.getByRole('button', { name: 'Verify' }));
    expect(document.querySelector('[aria-invalid="true"]')).not.toBeNull();
    await expectAccessible();
  });

  it.each([
    ['signed in', ['grader', 'ecx'] as Who, '/'],
    ['public', null, '/verify'],
  ])('%s pages start with a skip link to the focusable main content', async (_what, who, path) => {
    await show(path, who, emptyData());
    const skip = screen.getAllByRole('link')[0];
    expect(skip).toHaveTextContent('Skip to content');
    expect(skip).toHaveAttribute('href', '#main');
    const main = screen.getByRole('main');
    expect(main).toHaveAttribute('id', 'main');
    expect(main).toHaveAttribute('tabindex', '-1');
  });
});
