/**
 * The route table on stub services: each handler gets its body, query and path parameters as its schemas parse
 * them, invalid input is a 400 naming the part (body first, then query, then each path parameter in order), and
 * the idempotency claim gets the resource id from the parsed body.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express, { type ErrorRequestHandler } from 'express';
import { toProblem } from '../src/errors.ts';
import { apiRoutes, type Services } from '../src/routes/api.ts';
import { mount } from '../src/routes/http.ts';
import { AdmissionLimiter } from '../src/services/admission.ts';
import type { Caller } from '../src/services/deps.ts';
import type { IdempotencyService } from '../src/services/idempotency.ts';
import { testConfig } from './helpers.ts';

const calls: { fn: string; args: unknown[] }[] = [];
const claims: { key: string; resourceId: string | null }[] = [];
const record =
  (fn: string, answer: unknown = { ok: fn }) =>
  (...args: unknown[]): Promise<unknown> => {
    // The caller (first for most services) is left out: the tests check what the route parsed.
    calls.push({ fn, args: args.filter((a) => !(typeof a === 'object' && a !== null && 'userId' in a)) });
    return Promise.resolve(answer);
  };

const services = {
  auth: { login: record('login'), refresh: record('refresh'), logout: record('logout', undefined) },
  users: {
    me: record('me'),
    list: record('list'),
    create: record('users.create'),
    update: record('users.update'),
  },
  exports: {
    create: record('exports.create'),
    list: record('exports.list'),
    get: record('exports.get'),
    action: record('exports.action'),
    verify: record('exports.verify'),
  },
  registries: {
    listExporters: record('listExporters'),
    updateExporter: record('updateExporter'),
    listMinimumPrices: record('listMinimumPrices'),
  },
  // No two-factor here: the step-up check lets every action through.
  mfa: { requireStepUp: () => Promise.resolve() },
} as unknown as Services;

const caller: Caller = { userId: 'u-1', username: 'alice', role: 'admin', requestId: 'r' };
const idempotency = {
  pool: undefined,
  claim: (_c: Caller, key: string, _op: string, _hash: string, resourceId: string | null) => {
    claims.push({ key, resourceId });
    return Promise.resolve({ kind: 'new', key, resourceId });
  },
  release: () => Promise.resolve(),
  complete: () => Promise.resolve(),
} as unknown as IdempotencyService;

const app = express();
app.use(express.json());
const api = express.Router();
const pass: express.RequestHandler = (_q, _s, n) => n();
mount(api, apiRoutes(testConfig('commercial-bank'), services, pass, pass), {
  orgId: 'commercial-bank',
  auth: (req) => Promise.resolve({ ...caller, role: req.get('x-role') ?? caller.role }),
  idempotency,
  admission: new AdmissionLimiter(4),
});
app.use('/api/v1', api);
const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  const p = toProblem(err);
  res.status(p.status).json(p);
};
app.use(onError);

let base = '';
let server: ReturnType<typeof app.listen>;
before(async () => {
  server = await new Promise((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
  calls.length = 0;
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

const invalid = (where: string, path: string): Record<string, unknown> => ({
  status: 400,
  code: 'VALIDATION_FAILED',
  detail: `invalid ${where}`,
  path,
});
const summary = (r: {
  status: number;
  body: Record<string, unknown> | undefined;
}): Record<string, unknown> => ({
  status: r.status,
  code: r.body?.code,
  detail: r.body?.detail,
  path: (r.body?.errors as { path: string }[] | undefined)?.[0]?.path,
});

describe('route table', () => {
  it('hands each handler its parsed body, query and path parameters', async () => {
    let r = await call('POST', '/auth/login', { username: 'alice', password: 'pw' });
    assert.equal(r.status, 200);
    assert.deepEqual(calls, [{ fn: 'login', args: ['alice', 'pw', ''] }]);

    r = await call('GET', '/exports?limit=5&status=SHIPPED', undefined, { 'x-role': 'exporter' });
    assert.equal(r.status, 200);
    assert.deepEqual(calls, [{ fn: 'exports.list', args: [{ limit: 5, status: 'SHIPPED' }] }]);

    r = await call('GET', '/exports/EX-1', undefined, { 'x-role': 'exporter' });
    assert.deepEqual(calls, [{ fn: 'exports.get', args: ['EX-1', 'read-model'] }]);
    r = await call('GET', '/exports/EX-1?source=ledger', undefined, { 'x-role': 'exporter' });
    assert.deepEqual(calls, [{ fn: 'exports.get', args: ['EX-1', 'ledger'] }]);

    r = await call('POST', '/exports/EX-1/actions/submit-fx', { note: 'x' }, { 'x-role': 'exporter' });
    assert.equal(r.status, 200);
    assert.deepEqual(calls, [
      { fn: 'exports.action', args: ['EX-1', 'submit-fx', { note: 'x' }, undefined] },
    ]);

    r = await call('PATCH', '/users/2b0c4c43-62f5-4a36-8a43-0a5f7c1f7a11', { displayName: 'A' });
    assert.deepEqual(calls, [
      { fn: 'users.update', args: ['2b0c4c43-62f5-4a36-8a43-0a5f7c1f7a11', { displayName: 'A' }] },
    ]);

    r = await call('GET', '/minimum-prices?grade=G2');
    assert.deepEqual(calls, [{ fn: 'listMinimumPrices', args: ['G2'] }]);

    r = await call('GET', '/verify/EX-9');
    assert.deepEqual(calls, [{ fn: 'exports.verify', args: ['EX-9'] }]);

    r = await call('POST', '/auth/logout', {});
    assert.equal(r.status, 204);
  });

  it('refuses invalid input with a 400 naming the part, before any service runs', async () => {
    assert.deepEqual(
      summary(await call('PATCH', '/users/not-a-uuid', { displayName: 'A' })),
      invalid('path.id', 'path.id'),
    );
    assert.deepEqual(
      summary(await call('POST', '/exports/EX-1/actions/BAD', {}, { 'x-role': 'exporter' })),
      invalid('path.action', 'path.action'),
    );
    // Path parameters are checked in order, after the body.
    assert.deepEqual(
      summary(await call('POST', '/exports/bad%20id/actions/BAD', {}, { 'x-role': 'exporter' })),
      invalid('path.id', 'path.id'),
    );
    assert.deepEqual(summary(await call('PATCH', '/users/not-a-uuid', { nope: 1 })), invalid('body', 'body'));
    assert.deepEqual(
      summary(await call('GET', '/exports/bad%20id?source=nope', undefined, { 'x-role': 'exporter' })),
      invalid('query', 'query.source'),
    );
    assert.deepEqual(
      summary(await call('GET', '/verify/bad%20id')),
      invalid('path.exportId', 'path.exportId'),
    );
    assert.deepEqual(
      summary(await call('GET', '/documents/not-a-cid', undefined, { 'x-role': 'exporter' })),
      {
        ...invalid('path.cid', 'path.cid'),
      },
    );
    assert.deepEqual(calls, []);
  });

  it('fixes the resource id of an idempotent creation from the parsed body', async () => {
    claims.length = 0;
    const body = {
      exportId: 'EX-42',
      contract: {
        contractNumber: 'SC-1',
        buyerName: 'B',
        destinationCountry: 'DE',
        contractedGrade: 'G2',
        quantityKg: 100,
        originRegion: 'SIDAMA',
        incoterm: 'FOB',
      },
      documents: [
        { type: 'SALES_CONTRACT', cid: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy' },
      ],
      tradeTerms: { unitPriceUsdPerKg: 5, contractValueUsd: 500, paymentMethod: 'LC' },
    };
    const r = await call('POST', '/exports', body, {
      'x-role': 'exporter',
      'idempotency-key': 'key-00000001',
    });
    assert.equal(r.status, 201);
    assert.deepEqual(claims, [{ key: 'key-00000001', resourceId: 'EX-42' }]);
    assert.equal(calls[0]?.fn, 'exports.create');
    assert.deepEqual(calls[0]?.args[1], { key: 'key-00000001', resourceId: 'EX-42', recovering: false });
    claims.length = 0;
    await call(
      'PATCH',
      '/users/2b0c4c43-62f5-4a36-8a43-0a5f7c1f7a11',
      {},
      { 'idempotency-key': 'key-00000002' },
    );
    assert.deepEqual(claims, [{ key: 'key-00000002', resourceId: null }]);
  });
});
