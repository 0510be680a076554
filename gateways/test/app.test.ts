/**
 * The Express app in-process on unreachable dependencies: problem+json everywhere, no 500 for bad input,
 * /ready 503, and the OpenAPI document lists every mounted route.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiRoutes } from '../src/routes/api.ts';
import { testConfig, unreachableApp } from './helpers.ts';

const config = testConfig('ecta');
const stack = unreachableApp(config);
let base = '';

before(async () => {
  base = await stack.start();
});
after(() => stack.stop());

async function problem(res: Response, status: number, code: string): Promise<void> {
  assert.equal(res.status, status);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const body = (await res.json()) as { code: string; type: string; status: number; stack?: unknown };
  assert.equal(body.code, code);
  assert.equal(body.status, status);
  assert.ok(body.type.startsWith('https://'));
  assert.equal(body.stack, undefined);
}

describe('app (in-process, dependencies down)', () => {
  it('GET /health answers without dependencies', async () => {
    const res = await fetch(`${base}/health`);
    assert.equal(res.status, 200);
    assert.ok(res.headers.get('x-request-id'));
  });

  it('GET /ready is 503 naming the unreachable dependencies', async () => {
    const res = await fetch(`${base}/ready`);
    assert.equal(res.status, 503);
    const body = (await res.json()) as { checks: Record<string, string> };
    assert.deepEqual(body.checks, { peer: 'down', postgres: 'down', ipfs: 'down' });
  });

  it('unknown route → 404 problem', async () =>
    problem(await fetch(`${base}/api/v1/nope`), 404, 'NOT_FOUND'));

  it('malformed JSON → 400, oversize JSON → 413, never 500', async () => {
    const headers = { 'content-type': 'application/json' };
    await problem(
      await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers, body: '{"username":' }),
      400,
      'MALFORMED_JSON',
    );
    await problem(
      await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ username: 'a', password: 'x'.repeat(5000) }),
      }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    await problem(
      await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers, body: '{"username":"a"}' }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('protected routes need a bearer token; a bad one is 401', async () => {
    await problem(await fetch(`${base}/api/v1/exports`), 401, 'UNAUTHENTICATED');
    await problem(
      await fetch(`${base}/api/v1/exports`, { headers: { authorization: 'Bearer x.y.z' } }),
      401,
      'INVALID_TOKEN',
    );
  });

  it('a login while Postgres is down is 503, not 500', async () => {
    await problem(
      await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"username":"a","password":"b"}',
      }),
      503,
      'SERVICE_UNAVAILABLE',
    );
  });

  it('OpenAPI 3.1 lists every route with its method', async () => {
    const doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    assert.equal(doc.openapi, '3.1.0');
    const routes = apiRoutes(
      config,
      {} as never,
      (_q, _s, n) => n(),
      (_q, _s, n) => n(),
    );
    assert.ok(routes.length >= 20);
    for (const r of routes) {
      const path = `/api/v1${r.path.replace(/:([A-Za-z]+)/g, '{$1}')}`;
      assert.ok(doc.paths[path]?.[r.method], `${r.method.toUpperCase()} ${path} is documented`);
    }
    for (const p of [
      '/health',
      '/ready',
      '/metrics',
      '/api/v1/auth/login',
      '/api/v1/exports/{id}/actions/{action}',
      '/api/v1/documents/{cid}',
      '/api/v1/verify/{exportId}',
    ]) {
      assert.ok(doc.paths[p], p);
    }
  });

  it('login is rate-limited (429 problem after the limit)', async () => {
    const attempt = (): Promise<Response> =>
      fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"username":"a","password":"b"}',
      });
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) seen.push((await attempt()).status);
    assert.ok(seen.includes(429), `statuses ${seen.join(',')}`);
    await problem(await attempt(), 429, 'TOO_MANY_REQUESTS');
  });

  it('GET /metrics is Prometheus text', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, /gateway_http_request_duration_seconds_bucket/);
  });
});
