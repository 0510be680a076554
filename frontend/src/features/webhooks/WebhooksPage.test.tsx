/** The webhooks page: admins only; a URL the gateway would refuse is not sent; the secret shown once; the log. */
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { axeFindings } from '../../test/axe';
import { renderAt, signIn, stubFetch } from '../../test/helpers';
import { WebhooksPage, webhookUrlHint } from './WebhooksPage';

afterEach(() => vi.unstubAllGlobals());

const HOOK = {
  id: '11111111-1111-4111-8111-111111111111',
  url: 'https://hooks.example.com/coffee',
  description: 'ERP',
  active: true,
  createdAt: '2026-03-01T10:00:00.000Z',
  createdBy: 'admin',
};

describe('WebhooksPage', () => {
  it('is for org admins only, and asks the gateway nothing otherwise', () => {
    signIn('auditor', 'ecta');
    const calls = stubFetch(() => undefined);
    renderAt(<WebhooksPage />);
    expect(screen.getByRole('alert')).toHaveTextContent(/Only the organization’s administrators/);
    expect(calls).toEqual([]);
  });

  it('hints at URLs the gateway refuses', () => {
    expect(webhookUrlHint('http://example.com/x')).toMatch(/loopback/);
    expect(webhookUrlHint('nope')).toMatch(/absolute/);
    expect(webhookUrlHint('https://example.com/x')).toBeUndefined();
    expect(webhookUrlHint('http://127.0.0.1:8080/x')).toBeUndefined();
  });

  it('registers a webhook, shows the generated secret once, lists deliveries and disables', async () => {
    signIn('admin', 'ecta');
    let hooks = [HOOK];
    const calls = stubFetch((c) => {
      const path = new URL(c.url, 'http://portal.test').pathname.replace(/^.*\/api\/v1/, '');
      if (c.method === 'GET' && path === '/webhooks') return { status: 200, body: { items: hooks } };
      if (c.method === 'POST' && path === '/webhooks') {
        const made = { ...HOOK, id: '2'.repeat(8) + HOOK.id.slice(8), url: (c.body as { url: string }).url };
        hooks = [...hooks, made];
        return { status: 201, body: { ...made, secret: 'generated-secret-abc' } };
      }
      if (c.method === 'GET' && path.endsWith('/deliveries'))
        return {
          status: 200,
          body: {
            items: [
              {
                id: '2',
                eventId: '9-0',
                attempt: 2,
                at: HOOK.createdAt,
                statusCode: 200,
                error: null,
                durationMs: 12,
                outcome: 'delivered',
              },
              {
                id: '1',
                eventId: '9-0',
                attempt: 1,
                at: HOOK.createdAt,
                statusCode: 500,
                error: null,
                durationMs: 8,
                outcome: 'retry',
              },
            ],
            nextCursor: null,
          },
        };
      if (c.method === 'PATCH') return { status: 200, body: { ...HOOK, active: false } };
      return undefined;
    });
    renderAt(<WebhooksPage />);
    expect(await screen.findByRole('heading', { name: HOOK.url })).toBeInTheDocument();

    await userEvent.type(screen.getByLabelText(/Receiver URL/), 'http://example.com/hook');
    await userEvent.click(screen.getByRole('button', { name: 'Register webhook' }));
    expect(screen.getByText(/loopback/)).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'POST')).toEqual([]);

    await userEvent.clear(screen.getByLabelText(/Receiver URL/));
    await userEvent.type(screen.getByLabelText(/Receiver URL/), 'https://erp.example.com/in');
    await userEvent.click(screen.getByRole('button', { name: 'Register webhook' }));
    expect(await screen.findByText('generated-secret-abc')).toBeInTheDocument();
    const post = calls.find((c) => c.method === 'POST')!;
    expect(post.body).toEqual({ url: 'https://erp.example.com/in' });
    expect(post.headers['Idempotency-Key']).toBeTruthy();
    expect(await screen.findByRole('heading', { name: 'https://erp.example.com/in' })).toBeInTheDocument();

    await userEvent.click(screen.getAllByRole('button', { name: 'Show deliveries' })[0]!);
    expect(await screen.findByText('retry')).toBeInTheDocument();
    expect(screen.getByText('delivered')).toBeInTheDocument();

    await userEvent.click(screen.getAllByRole('button', { name: 'Disable' })[0]!);
    await waitFor(() => expect(calls.some((c) => c.method === 'PATCH')).toBe(true));
    expect(calls.find((c) => c.method === 'PATCH')!.body).toEqual({ active: false });
    document.documentElement.lang = 'en'; // as index.html sets it
    expect(await axeFindings()).toEqual([]);
  });
});
