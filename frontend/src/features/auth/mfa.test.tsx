/** Two-factor in the portal: the sign-in's code step, enrollment, the enrollment gate, the step-up, the admin reset. */
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { confirmMfaEnrollment, currentSession, me, reloadSession, runAction } from '../../api/client';
import { type Call, renderAt, signIn, stubFetch } from '../../test/helpers';
import { UsersPage } from '../users/UsersPage';
import { DEMO_ACCOUNTS_URL } from './demoAccounts';
import { LoginPage } from './LoginPage';
import { MfaGate } from './MfaGate';
import { SecurityPage } from './SecurityPage';
import { StepUpDialog } from './StepUpDialog';

const gatewayCalls = (calls: Call[]): Call[] => calls.filter((c) => c.url !== DEMO_ACCOUNTS_URL);
const problem = (status: number, code: string, detail = code) => ({
  status,
  body: { type: 'about:blank', title: 'Refused', status, code, detail },
});
const pair = (accessToken: string, extra: Record<string, unknown> = {}) => ({
  accessToken,
  refreshToken: `refresh-${accessToken}`,
  expiresIn: 900,
  user: { id: 'u-admin', username: 'admin', role: 'admin' },
  ...extra,
});

async function signInWithPassword(): Promise<void> {
  await userEvent.selectOptions(screen.getByLabelText(/Organization/), 'ecta');
  await userEvent.type(screen.getByLabelText(/Username/), 'admin');
  await userEvent.type(screen.getByLabelText(/Password/), 'secret-pass-1');
  await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
}

function renderLogin(): void {
  renderAt(
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/" element={<p>Dashboard here</p>} />
      <Route path="/security" element={<p>Security here</p>} />
    </Routes>,
    '/login',
  );
}

describe('two-factor in the portal', () => {
  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    reloadSession();
  });
  afterEach(() => vi.unstubAllGlobals());

  it('a wrong code keeps the user at the code step; the right one signs in', async () => {
    const calls = stubFetch((c) => {
      if (c.url.endsWith('/auth/login'))
        return { status: 200, body: { mfaRequired: true, challenge: 'challenge-1', expiresIn: 300 } };
      if (c.url.endsWith('/auth/mfa/verify'))
        return (c.body as { code?: string }).code === '123456'
          ? { status: 200, body: pair('a-mfa') }
          : problem(401, 'MFA_CODE_INVALID', 'the code is not valid; check your device');
      return undefined;
    });
    renderLogin();
    await signInWithPassword();
    expect(currentSession()).toBeNull();
    const code = await screen.findByLabelText(/Authentication code/);
    // Not six digits: refused before the gateway.
    await userEvent.type(code, '12');
    await userEvent.click(screen.getByRole('button', { name: 'Verify' }));
    expect(screen.getByText(/Enter the 6-digit code/)).toBeInTheDocument();
    await userEvent.clear(code);
    await userEvent.type(code, '654321');
    await userEvent.click(screen.getByRole('button', { name: 'Verify' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('MFA_CODE_INVALID');
    expect(currentSession()).toBeNull();
    await userEvent.type(screen.getByLabelText(/Authentication code/), '123456');
    await userEvent.click(screen.getByRole('button', { name: 'Verify' }));
    await screen.findByText('Dashboard here');
    expect(currentSession()).toMatchObject({ org: 'ecta', accessToken: 'a-mfa' });
    expect(gatewayCalls(calls).at(-1)).toMatchObject({
      url: '/gw/ecta/api/v1/auth/mfa/verify',
      body: { challenge: 'challenge-1', code: '123456' },
    });
  });

  it('a recovery code can stand for the code', async () => {
    const calls = stubFetch((c) =>
      c.url.endsWith('/auth/login')
        ? { status: 200, body: { mfaRequired: true, challenge: 'challenge-2', expiresIn: 300 } }
        : c.url.endsWith('/auth/mfa/verify')
          ? { status: 200, body: pair('a-rc') }
          : undefined,
    );
    renderLogin();
    await signInWithPassword();
    await userEvent.click(await screen.findByRole('button', { name: 'Use a recovery code instead' }));
    await userEvent.type(screen.getByLabelText(/Recovery code/), 'ABCDE-12345');
    await userEvent.click(screen.getByRole('button', { name: 'Verify' }));
    await screen.findByText('Dashboard here');
    expect(gatewayCalls(calls).at(-1)?.body).toEqual({
      challenge: 'challenge-2',
      recoveryCode: 'ABCDE-12345',
    });
  });

  it('a user who must enroll is sent to Security, and every other page leads there', async () => {
    stubFetch((c) =>
      c.url.endsWith('/auth/login')
        ? { status: 200, body: pair('a-enroll', { mfaEnrollmentRequired: true }) }
        : undefined,
    );
    renderLogin();
    await signInWithPassword();
    await screen.findByText('Security here');
    expect(currentSession()?.mfaEnrollmentRequired).toBe(true);
  });

  it('the gate redirects an enrollment-only session to /security', () => {
    const s = signIn('admin', 'ecta');
    sessionStorage.setItem('coffee-portal.session', JSON.stringify({ ...s, mfaEnrollmentRequired: true }));
    reloadSession();
    renderAt(
      <MfaGate>
        <Routes>
          <Route path="/" element={<p>Dashboard here</p>} />
          <Route path="/security" element={<p>Security here</p>} />
        </Routes>
      </MfaGate>,
      '/',
    );
    expect(screen.getByText('Security here')).toBeInTheDocument();
    expect(screen.queryByText('Dashboard here')).toBeNull();
  });

  it('enrollment: QR code and secret, a wrong code refused, then the recovery codes once', async () => {
    signIn('admin', 'ecta');
    const codes = Array.from({ length: 10 }, (_, i) => `AAAA${i}-BBBB${i}`);
    let enabled = false;
    const calls = stubFetch((c) => {
      if (c.url.endsWith('/auth/mfa') && c.method === 'GET')
        return {
          status: 200,
          body: {
            enabled,
            enabledAt: null,
            required: true,
            recoveryCodesLeft: enabled ? 10 : 0,
            stepUpSeconds: 300,
          },
        };
      if (c.url.endsWith('/auth/mfa/enroll'))
        return {
          status: 200,
          body: {
            secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
            otpauthUri: 'otpauth://totp/ECTA:admin?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=ECTA',
            issuer: 'ECTA',
            label: 'admin',
            digits: 6,
            period: 30,
          },
        };
      if (c.url.endsWith('/auth/mfa/confirm')) {
        if ((c.body as { code: string }).code !== '111111') return problem(401, 'MFA_CODE_INVALID');
        enabled = true;
        return { status: 200, body: { recoveryCodes: codes, tokens: pair('a-enrolled') } };
      }
      return undefined;
    });
    renderAt(<SecurityPage />);
    await userEvent.click(await screen.findByRole('button', { name: 'Set up two-factor' }));
    expect(await screen.findByTestId('mfa-secret')).toHaveTextContent('JBSW Y3DP EHPK 3PXP');
    expect(await screen.findByRole('img', { name: /QR code for ECTA: admin/ })).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText(/Code from the app/), '999999');
    await userEvent.click(screen.getByRole('button', { name: 'Turn on two-factor' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('MFA_CODE_INVALID');
    expect(screen.queryByTestId('recovery-codes')).toBeNull();
    await userEvent.clear(screen.getByLabelText(/Code from the app/));
    await userEvent.type(screen.getByLabelText(/Code from the app/), '111111');
    await userEvent.click(screen.getByRole('button', { name: 'Turn on two-factor' }));
    const list = await screen.findByRole('list', { name: 'Recovery codes' });
    expect(list.querySelectorAll('li')).toHaveLength(10);
    expect(currentSession()?.accessToken).toBe('a-enrolled');
    expect(gatewayCalls(calls).filter((c) => c.url.endsWith('/auth/mfa/confirm'))).toHaveLength(2);
  });

  it('an approval refused with STEP_UP_REQUIRED asks for a code, steps up and is retried', async () => {
    signIn('ecta_officer', 'ecta');
    let fresh = false;
    const calls = stubFetch((c) => {
      if (c.url.includes('/actions/register-contract'))
        return fresh
          ? { status: 200, body: { id: 'EXP-1', status: 'CONTRACT_REGISTERED', txId: 'tx-1' } }
          : problem(401, 'STEP_UP_REQUIRED');
      if (c.url.endsWith('/auth/mfa/step-up')) {
        if ((c.body as { code: string }).code !== '222222') return problem(401, 'MFA_CODE_REUSED');
        fresh = true;
        return {
          status: 200,
          body: { accessToken: 'a-stepped', tokenType: 'Bearer', expiresIn: 900, mfaAt: 1 },
        };
      }
      return undefined;
    });
    renderAt(<StepUpDialog />);
    const result = runAction('EXP-1', 'register-contract', { registrationNumber: 'ECTA/1' }, 'key-12345678');
    const dialog = await screen.findByRole('dialog', { name: 'Confirm it is you' });
    expect(dialog).toHaveAttribute('aria-modal', 'true');
    await waitFor(() => expect(screen.getByLabelText(/Authentication code/)).toHaveFocus());
    await userEvent.type(screen.getByLabelText(/Authentication code/), '333333');
    await userEvent.click(screen.getByRole('button', { name: 'Confirm and continue' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('MFA_CODE_REUSED');
    await userEvent.type(screen.getByLabelText(/Authentication code/), '222222');
    await userEvent.click(screen.getByRole('button', { name: 'Confirm and continue' }));
    await expect(result).resolves.toMatchObject({ status: 'CONTRACT_REGISTERED' });
    expect(screen.queryByRole('dialog')).toBeNull();
    const actions = gatewayCalls(calls).filter((c) => c.url.includes('/actions/'));
    expect(actions).toHaveLength(2);
    expect(actions[1]!.headers.Authorization).toBe('Bearer a-stepped');
    expect(actions[1]!.headers['Idempotency-Key']).toBe('key-12345678');
    expect(currentSession()?.accessToken).toBe('a-stepped');
  });

  it('a cancelled step-up leaves the approval refused and the user signed in', async () => {
    signIn('ecta_officer', 'ecta');
    stubFetch((c) => (c.url.includes('/actions/') ? problem(401, 'STEP_UP_REQUIRED') : undefined));
    renderAt(<StepUpDialog />);
    const result = runAction('EXP-1', 'register-contract', {}, 'key-abcdefgh');
    const refused = expect(result).rejects.toMatchObject({ code: 'STEP_UP_REQUIRED' });
    await screen.findByRole('dialog');
    await userEvent.keyboard('{Escape}');
    await refused;
    expect(currentSession()).not.toBeNull();
  });

  it('a session that never proved its required second factor ends (MFA_REQUIRED); a wrong code does not end it', async () => {
    signIn('ecta_officer', 'ecta');
    stubFetch((c) =>
      c.url.endsWith('/auth/mfa/confirm') ? problem(401, 'MFA_CODE_INVALID') : problem(401, 'MFA_REQUIRED'),
    );
    await expect(confirmMfaEnrollment('123456')).rejects.toMatchObject({ code: 'MFA_CODE_INVALID' });
    expect(currentSession()).not.toBeNull();
    await expect(me()).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });
    expect(currentSession()).toBeNull();
  });

  it("the admin resets a user's two-factor after confirming", async () => {
    signIn('admin', 'ecta', { id: 'u-admin' });
    const users = [
      { id: 'u-admin', username: 'admin', role: 'admin', status: 'ACTIVE' },
      { id: 'u-2', username: 'officer1', role: 'ecta_officer', status: 'ACTIVE' },
      { id: 'u-3', username: 'auditor1', role: 'auditor', status: 'ACTIVE' },
    ];
    let withMfa = ['u-admin', 'u-2'];
    const calls = stubFetch((c) => {
      if (c.url.endsWith('/users/mfa'))
        return { status: 200, body: { items: withMfa.map((userId) => ({ userId, enabled: true })) } };
      if (c.url.endsWith('/users')) return { status: 200, body: { items: users } };
      if (c.url.endsWith('/users/u-2/mfa/reset')) {
        withMfa = ['u-admin'];
        return { status: 204 };
      }
      return undefined;
    });
    renderAt(<UsersPage />);
    // Only officer1: not the admin themself, not a user without two-factor.
    const reset = await screen.findByRole('button', { name: 'Reset two-factor for officer1' });
    expect(screen.getAllByRole('button', { name: /^Reset two-factor/ })).toHaveLength(1);
    await userEvent.click(reset);
    await userEvent.click(screen.getByRole('button', { name: 'Yes, reset two-factor of officer1' }));
    await waitFor(() => expect(screen.queryByRole('button', { name: /^Reset two-factor/ })).toBeNull());
    expect(gatewayCalls(calls).find((c) => c.url.endsWith('/mfa/reset'))).toMatchObject({
      url: '/gw/ecta/api/v1/users/u-2/mfa/reset',
      method: 'POST',
    });
  });
});
