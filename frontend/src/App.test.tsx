import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import { currentSession, reloadSession } from './api/client';
import { renderAt, signIn, stubFetch } from './test/helpers';

describe('App routing and session', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('sends visitors without a session to the login page', () => {
    reloadSession();
    stubFetch(() => undefined);
    renderAt(<App />, '/exports/EXP-1');
    expect(screen.getByRole('heading', { name: 'Coffee Export Portal' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeInTheDocument();
  });

  it('returns to login with an explanation when the session cannot be refreshed', async () => {
    signIn('grader', 'ecx');
    stubFetch(() => ({ status: 401, body: { code: 'TOKEN_EXPIRED', title: 'Unauthorized' } }));
    renderAt(<App />, '/');
    expect(await screen.findByText('Your session expired. Please sign in again.')).toBeInTheDocument();
    expect(currentSession()).toBeNull();
  });

  it('signs out through the gateway and lands on the login page', async () => {
    signIn('grader', 'ecx');
    const calls = stubFetch((c) =>
      c.url.endsWith('/auth/logout') ? { status: 204 } : { status: 200, body: { items: [] } },
    );
    renderAt(<App />, '/');
    await userEvent.click(await screen.findByRole('button', { name: 'Sign out' }));
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeInTheDocument();
    expect(calls.some((c) => c.url === '/gw/ecx/api/v1/auth/logout')).toBe(true);
  });

  it('after signing out, the next sign-in starts at the home page, not the page the last user left', async () => {
    signIn('grader', 'ecx');
    const urls: string[] = [];
    // The gateway's logout never answers here: the portal must not wait for it.
    vi.stubGlobal(
      'fetch',
      vi.fn((url: string) => {
        urls.push(url);
        if (url.endsWith('/auth/logout')) return new Promise<Response>(() => undefined);
        const body = url.endsWith('/auth/login')
          ? {
              accessToken: 'a2',
              refreshToken: 'r2',
              expiresIn: 900,
              user: { id: 'u-2', username: 'grader2', role: 'grader' },
            }
          : url.includes('/auth/mfa')
            ? { enabled: false, recoveryCodesLeft: 0 }
            : { items: [] };
        return Promise.resolve(
          new Response(JSON.stringify(body), {
            status: 200,
            headers: { 'Content-Type': 'application/json' },
          }),
        );
      }),
    );
    renderAt(<App />, '/security');
    expect(await screen.findByRole('heading', { level: 1, name: 'Security' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeInTheDocument();
    expect(currentSession()).toBeNull();
    expect(urls.some((u) => u.endsWith('/auth/logout'))).toBe(true);

    await userEvent.selectOptions(screen.getByLabelText(/Organization/), 'ecx');
    await userEvent.type(screen.getByLabelText(/Username/), 'grader2');
    await userEvent.type(screen.getByLabelText(/Password/), 'secret-pass-2');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await screen.findByRole('button', { name: 'Sign out' });
    expect(currentSession()?.user.username).toBe('grader2');
    expect(screen.queryByRole('heading', { level: 1, name: 'Security' })).toBeNull();
    expect(screen.getByRole('link', { name: 'Security' })).not.toHaveAttribute('aria-current');
  });

  it('serves the public verification page without a session', async () => {
    reloadSession();
    const calls = stubFetch(() => ({
      status: 200,
      body: {
        exportId: 'EXP-9',
        status: 'SHIPPED',
        documents: [{ type: 'BILL_OF_LADING', version: 1, sha256: 'e'.repeat(64) }],
      },
    }));
    renderAt(<App />, '/verify/EXP-9');
    expect(await screen.findByRole('heading', { name: /Export EXP-9/ })).toHaveTextContent('Shipped');
    expect(calls[0]?.url).toBe('/gw/ecta/api/v1/verify/EXP-9');
    expect(calls[0]?.headers.Authorization).toBeUndefined();
    expect(await screen.findByTestId('qr')).toHaveAttribute('alt', expect.stringContaining('EXP-9'));
  });
});
