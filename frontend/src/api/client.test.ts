import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeXhr } from '../test/fakeXhr';
import { signIn, stubFetch } from '../test/helpers';
import {
  ApiError,
  currentSession,
  listAllExports,
  listExports,
  logout,
  onSessionChange,
  reloadSession,
  runAction,
  uploadDocument,
} from './client';

describe('api client', () => {
  beforeEach(() => {
    FakeXhr.reset();
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
  });
  afterEach(() => vi.unstubAllGlobals());

  it("sends the bearer token to the session's own gateway only", async () => {
    signIn('fx_officer', 'national-bank');
    const calls = stubFetch(() => ({
      status: 200,
      body: {
        items: [{ exportId: 'E1', status: 'FX_SUBMITTED', updatedAt: '2026-01-01T00:00:00Z' }],
        nextCursor: 'c2',
      },
    }));
    const page = await listExports({ status: 'FX_SUBMITTED', limit: 10 });
    expect(page.items[0]?.exportId).toBe('E1');
    expect(page.nextCursor).toBe('c2');
    expect(calls[0]?.url).toBe('/gw/national-bank/api/v1/exports?status=FX_SUBMITTED&limit=10');
    expect(calls[0]?.headers.Authorization).toBe('Bearer access-1');
  });

  it('listAllExports follows the cursor in pages the gateway accepts (≤ 100)', async () => {
    signIn('customs_officer', 'customs');
    const calls = stubFetch((c) => {
      const cursor = new URL(c.url, 'http://portal.test').searchParams.get('cursor');
      return cursor === null
        ? {
            status: 200,
            body: {
              items: [{ exportId: 'E1', status: 'SHIPPED', updatedAt: '2026-01-01T00:00:00Z' }],
              nextCursor: 'p2',
            },
          }
        : {
            status: 200,
            body: { items: [{ exportId: 'E2', status: 'SHIPPED', updatedAt: '2026-01-01T00:00:00Z' }] },
          };
    });
    const all = await listAllExports({ status: 'SHIPPED' });
    expect(all.map((e) => e.exportId)).toEqual(['E1', 'E2']);
    expect(calls).toHaveLength(2);
    for (const c of calls) expect(new URL(c.url, 'http://portal.test').searchParams.get('limit')).toBe('100');
    expect(new URL(calls[1]!.url, 'http://portal.test').searchParams.get('cursor')).toBe('p2');
  });

  it('refreshes once on 401 and retries with the rotated token', async () => {
    signIn('grader', 'ecx');
    let n = 0;
    const calls = stubFetch((c) => {
      if (c.url.endsWith('/auth/refresh'))
        return { status: 200, body: { accessToken: 'access-2', refreshToken: 'refresh-2', expiresIn: 900 } };
      n += 1;
      return n === 1
        ? { status: 401, body: { code: 'TOKEN_EXPIRED' } }
        : { status: 200, body: { id: 'E1', status: 'QUALITY_CERTIFIED', txId: 't' } };
    });
    const res = await runAction('E1', 'certify-quality', { lotNumber: 'L1' }, 'key-1');
    expect(res.status).toBe('QUALITY_CERTIFIED');
    expect(calls.map((c) => c.url.replace('/gw/ecx/api/v1', ''))).toEqual([
      '/exports/E1/actions/certify-quality',
      '/auth/refresh',
      '/exports/E1/actions/certify-quality',
    ]);
    expect(calls[1]?.body).toEqual({ refreshToken: 'refresh-1' });
    expect(calls[2]?.headers.Authorization).toBe('Bearer access-2');
    expect(calls[2]?.headers['Idempotency-Key']).toBe('key-1');
    expect(currentSession()?.refreshToken).toBe('refresh-2');
  });

  it('refreshes before calling when the access token is about to expire', async () => {
    const s = signIn('exporter');
    sessionStorage.setItem('coffee-portal.session', JSON.stringify({ ...s, expiresAt: Date.now() + 1000 }));
    reloadSession();
    const calls = stubFetch((c) =>
      c.url.endsWith('/auth/refresh')
        ? { status: 200, body: { accessToken: 'access-2', refreshToken: 'refresh-2', expiresIn: 900 } }
        : { status: 200, body: [] },
    );
    await listExports();
    expect(calls.map((c) => c.url.split('/api/v1')[1])).toEqual(['/auth/refresh', '/exports']);
  });

  it('ends the session cleanly when the refresh is refused', async () => {
    signIn('exporter');
    const reasons: Array<string | undefined> = [];
    const off = onSessionChange((_s, r) => reasons.push(r));
    stubFetch(() => ({ status: 401, body: { code: 'TOKEN_EXPIRED' } }));
    await expect(listExports()).rejects.toMatchObject({ code: 'SESSION_EXPIRED', status: 401 });
    expect(currentSession()).toBeNull();
    expect(sessionStorage.getItem('coffee-portal.session')).toBeNull();
    expect(reasons).toEqual(['expired']);
    off();
  });

  it('surfaces problem+json code and detail', async () => {
    signIn('ecta_officer', 'ecta');
    stubFetch(() => ({
      status: 409,
      body: {
        type: 'https://coffee/errors/below-minimum',
        title: 'Conflict',
        status: 409,
        code: 'BELOW_MINIMUM_PRICE',
        detail: 'below MP-000001',
      },
    }));
    const err = await runAction('E1', 'register-contract', { registrationNumber: 'R1' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 409, code: 'BELOW_MINIMUM_PRICE', message: 'below MP-000001' });
  });

  it('logs out at the gateway with the refresh token and forgets the session', async () => {
    signIn('exporter');
    const calls = stubFetch(() => ({ status: 204 }));
    await logout();
    expect(calls[0]).toMatchObject({
      url: '/gw/commercial-bank/api/v1/auth/logout',
      method: 'POST',
      body: { refreshToken: 'refresh-1' },
    });
    expect(currentSession()).toBeNull();
  });

  it('uploads multipart with progress and returns the stored document', async () => {
    signIn('exporter');
    const seen: number[] = [];
    const file = new File(['%PDF-1.7 contract'], 'contract.pdf', { type: 'application/pdf' });
    const handle = uploadDocument('EXP-1', 'SALES_CONTRACT', file, (f) => seen.push(f));
    await vi.waitFor(() => expect(FakeXhr.instances).toHaveLength(1));
    const xhr = FakeXhr.last();
    expect(xhr.method).toBe('POST');
    expect(xhr.url).toBe('/gw/commercial-bank/api/v1/exports/EXP-1/documents');
    expect(xhr.headers.Authorization).toBe('Bearer access-1');
    const form = xhr.body as FormData;
    expect(form.get('type')).toBe('SALES_CONTRACT');
    expect((form.get('file') as File).name).toBe('contract.pdf');
    xhr.progress(5, 20);
    xhr.progress(20, 20);
    xhr.respond(201, { type: 'SALES_CONTRACT', version: 1, cid: 'QmX', sha256: 'ab'.repeat(32), size: 17 });
    await expect(handle.promise).resolves.toMatchObject({ cid: 'QmX', size: 17 });
    expect(seen).toEqual([0.25, 1, 1]);
  });

  it('rejects an upload refused by the gateway with its problem code', async () => {
    signIn('exporter');
    const handle = uploadDocument('EXP-1', 'SALES_CONTRACT', new File(['x'], 'x.pdf'), () => undefined);
    await vi.waitFor(() => expect(FakeXhr.instances).toHaveLength(1));
    FakeXhr.last().respond(413, { code: 'PAYLOAD_TOO_LARGE', title: 'Too large' });
    await expect(handle.promise).rejects.toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });
});
