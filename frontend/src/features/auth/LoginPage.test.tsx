import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { currentSession, reloadSession } from '../../api/client';
import { type Call, renderAt, stubFetch } from '../../test/helpers';
import { DEMO_ACCOUNTS_URL } from './demoAccounts';
import { LoginPage } from './LoginPage';

/** The calls to gateways (the page also asks its own server for demo accounts). */
const gatewayCalls = (calls: Call[]): Call[] => calls.filter((c) => c.url !== DEMO_ACCOUNTS_URL);

function renderLogin(): void {
  renderAt(
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/" element={<p>Dashboard here</p>} />
    </Routes>,
    '/login',
  );
}

describe('LoginPage', () => {
  beforeEach(() => {
    localStorage.clear();
    reloadSession();
  });
  afterEach(() => vi.unstubAllGlobals());

  it('requires organization, username and password before calling the gateway', async () => {
    const calls = stubFetch(() => undefined);
    renderLogin();
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.getByText('Choose your organization')).toBeInTheDocument();
    expect(screen.getByText('Username is required')).toBeInTheDocument();
    expect(screen.getByText('Password is required')).toBeInTheDocument();
    expect(screen.getByLabelText(/Username/)).toHaveAttribute('aria-invalid', 'true');
    expect(gatewayCalls(calls)).toHaveLength(0);
  });

  it("signs in at the chosen org's gateway and keeps the session bound to it", async () => {
    const calls = stubFetch((c) =>
      c.url.endsWith('/auth/login')
        ? {
            status: 200,
            body: {
              accessToken: 'a',
              refreshToken: 'r',
              expiresIn: 900,
              user: { id: 'u1', username: 'grader1', role: 'grader' },
            },
          }
        : undefined,
    );
    renderLogin();
    await userEvent.selectOptions(screen.getByLabelText(/Organization/), 'ecx');
    await userEvent.type(screen.getByLabelText(/Username/), 'grader1');
    await userEvent.type(screen.getByLabelText(/Password/), 'secret-pass-1');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await screen.findByText('Dashboard here');
    expect(gatewayCalls(calls)[0]).toMatchObject({
      url: '/gw/ecx/api/v1/auth/login',
      method: 'POST',
      body: { username: 'grader1', password: 'secret-pass-1' },
    });
    expect(currentSession()).toMatchObject({ org: 'ecx', accessToken: 'a', user: { role: 'grader' } });
  });

  it.each([
    [
      401,
      {
        type: 'about:blank',
        title: 'Unauthorized',
        status: 401,
        code: 'INVALID_CREDENTIALS',
        detail: 'bad credentials',
      },
      'Wrong username or password.',
    ],
    [
      429,
      { title: 'Too Many Requests', status: 429, code: 'RATE_LIMITED' },
      'Too many requests; wait a moment and try again.',
    ],
    [
      503,
      { title: 'Peer unavailable', status: 503, code: 'PEER_UNAVAILABLE', detail: 'the peer did not answer' },
      'Peer unavailable',
    ],
  ])('shows a %d problem response as a clear message', async (status, body, message) => {
    stubFetch(() => ({ status, body }));
    renderLogin();
    await userEvent.selectOptions(screen.getByLabelText(/Organization/), 'customs');
    await userEvent.type(screen.getByLabelText(/Username/), 'someone');
    await userEvent.type(screen.getByLabelText(/Password/), 'x');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(message);
    expect(alert).toHaveTextContent(body.code);
    expect(currentSession()).toBeNull();
  });

  it('explains an unreachable gateway', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))),
    );
    renderLogin();
    await userEvent.selectOptions(screen.getByLabelText(/Organization/), 'ecta');
    await userEvent.type(screen.getByLabelText(/Username/), 'o');
    await userEvent.type(screen.getByLabelText(/Password/), 'p');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent('/gw/ecta'));
  });
});

describe('LoginPage: demo accounts (development only)', () => {
  beforeEach(() => {
    localStorage.clear();
    reloadSession();
  });
  afterEach(() => vi.unstubAllGlobals());

  const DEMO = {
    mode: 'development',
    accounts: [
      { org: 'ecta', role: 'ecta_officer', username: 'ecta.officer', password: 'pw-ecta-1' },
      { org: 'ecta', role: 'admin', username: 'ecta.admin', password: 'pw-ecta-admin' },
      {
        org: 'commercial-bank',
        role: 'exporter',
        username: 'exporter.yirga',
        password: 'pw-exp-1',
        exporterId: 'EXPT-DEMO-YIRGA',
      },
      { org: 'ecx', role: 'grader', username: 'grader', password: 'pw-grader' },
    ],
    exports: [
      { exportId: 'EXP-DEMO-01', status: 'SUBMITTED', queue: { org: 'ecta', role: 'ecta_officer' } },
      { exportId: 'EXP-DEMO-02', status: 'COMPLETED', queue: null },
    ],
  };

  function withDemo(demo: unknown, status = 200): Call[] {
    return stubFetch((c) => {
      if (c.url === DEMO_ACCOUNTS_URL) return { status, body: demo };
      if (c.url.endsWith('/auth/login'))
        return {
          status: 200,
          body: {
            accessToken: 'a',
            refreshToken: 'r',
            expiresIn: 900,
            user: { id: 'u1', username: 'ecta.officer', role: 'ecta_officer' },
          },
        };
      return undefined;
    });
  }

  it('lists the accounts per organization, each with what its role does', async () => {
    withDemo(DEMO);
    renderLogin();
    const list = await screen.findByRole('region', { name: 'Demo accounts' });
    const orgs = within(list).getAllByRole('heading', { level: 3 });
    expect(orgs.map((h) => h.textContent)).toEqual([
      'Commercial Bank',
      'ECTA (Coffee & Tea Authority)',
      'ECX (Commodity Exchange)',
    ]);
    const officer = within(list).getByRole('button', { name: /Use ecta\.officer/ });
    expect(officer).toHaveAccessibleDescription(
      /^ECTA officer — registers sales contracts and licenses exporters.*1 demo export waits for this role\.$/,
    );
    expect(within(list).getByRole('button', { name: /Use ecta\.admin/ })).toHaveAccessibleDescription(
      /^Administrator — creates and suspends ECTA’s users and licenses exporters/,
    );
    expect(within(list).getByRole('button', { name: /Use exporter\.yirga/ })).toHaveAccessibleDescription(
      /^Exporter — creates export requests.*\(exporter EXPT-DEMO-YIRGA\)$/,
    );
    expect(within(list).getByRole('button', { name: /Use grader/ })).toHaveAccessibleDescription(
      /^ECX grader — grades each lot and certifies its quality$/,
    );
    expect(list).toHaveTextContent('2 demo exports wait at various steps');
    // The passwords fill the form; they are not printed on the page.
    expect(list).not.toHaveTextContent('pw-ecta-1');
  });

  it('a click fills organization, username and password, and signing in uses them', async () => {
    const calls = withDemo(DEMO);
    renderLogin();
    await userEvent.click(await screen.findByRole('button', { name: /Use ecta\.officer/ }));
    expect(screen.getByLabelText(/Organization/)).toHaveValue('ecta');
    expect(screen.getByLabelText(/Username/)).toHaveValue('ecta.officer');
    expect(screen.getByLabelText(/Password/)).toHaveValue('pw-ecta-1');
    expect(screen.getByRole('button', { name: 'Sign in' })).toHaveFocus();
    expect(screen.getByText(/Filled in ecta\.officer \(ECTA officer, ECTA/)).toBeInTheDocument();
    await userEvent.keyboard('{Enter}');
    await screen.findByText('Dashboard here');
    expect(gatewayCalls(calls)[0]).toMatchObject({
      url: '/gw/ecta/api/v1/auth/login',
      body: { username: 'ecta.officer', password: 'pw-ecta-1' },
    });
  });

  it('a second pick replaces the first one entirely', async () => {
    withDemo(DEMO);
    renderLogin();
    await userEvent.click(await screen.findByRole('button', { name: /Use ecta\.officer/ }));
    await userEvent.click(screen.getByRole('button', { name: /Use exporter\.yirga/ }));
    expect(screen.getByLabelText(/Organization/)).toHaveValue('commercial-bank');
    expect(screen.getByLabelText(/Username/)).toHaveValue('exporter.yirga');
    expect(screen.getByLabelText(/Password/)).toHaveValue('pw-exp-1');
  });

  it.each([
    ['404 (production: the portal server has no demo file)', { code: 'NOT_FOUND' }, 404],
    ['a file in production mode', { ...DEMO, mode: 'production' }, 200],
    ['a malformed file', { mode: 'development', accounts: 'ecta.officer:pw' }, 200],
  ])('%s: no list and nothing about demos', async (_what, body, status) => {
    const calls = withDemo(body, status);
    renderLogin();
    await waitFor(() => expect(calls.some((c) => c.url === DEMO_ACCOUNTS_URL)).toBe(true));
    // Let the answer arrive and render.
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.queryByTestId('demo-accounts')).toBeNull();
    expect(screen.queryByText(/demo/i)).toBeNull();
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeInTheDocument();
  });
});
