import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { currentSession, reloadSession } from '../../api/client';
import { renderAt, stubFetch } from '../../test/helpers';
import { LoginPage } from './LoginPage';

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
    expect(calls).toHaveLength(0);
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
    expect(calls[0]).toMatchObject({
      url: 'http://127.0.0.1:3004/api/v1/auth/login',
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
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent('http://127.0.0.1:3003'));
  });
});
