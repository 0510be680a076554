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
