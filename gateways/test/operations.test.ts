/**
 * The Operations page's route (routes/operations.ts, services/operations.ts) against a fake Prometheus on a
 * loopback port, behind the real token check (authenticate(): RS256 tokens of this gateway's key):
 *
 * - deny first: no token, another org's gateway's token (401), an exporter and officers (403), and none of them
 *   makes the gateway ask Prometheus anything;
 * - only fixed queries run, and every query of a gateway metric is pinned to this org (`org="ecta"`);
 * - the panels' shapes: series on the range's grid (NaN → null, an all-NaN line left out), tables, alerts of
 *   other orgs' gateways hidden;
 * - Prometheus not configured, unreachable, too slow or not ready: 503 MONITORING_UNAVAILABLE with Retry-After;
 *   one query refused: an error on that panel only.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import express, { type ErrorRequestHandler } from 'express';
import { orgOf } from '@coffee/consortium';
import { signAccessToken } from '../src/auth/tokens.ts';
import { toProblem } from '../src/errors.ts';
import { authenticate, mount } from '../src/routes/http.ts';
import { openApiDocument } from '../src/routes/openapi.ts';
import { operationsRoutes } from '../src/routes/operations.ts';
import { AdmissionLimiter } from '../src/services/admission.ts';
import type { IdempotencyService } from '../src/services/idempotency.ts';
import {
  OperationsService,
  alertVisibleTo,
  rangeGrid,
  sampleValue,
  type OperationsView,
  type TablePanel,
  type TimeseriesPanel,
} from '../src/services/operations.ts';
import type { UserService } from '../src/services/users.ts';
import { rsaPair, testConfig } from './helpers.ts';

const ORG = 'ecta';
const NOW = Date.UTC(2026, 10, 30, 12, 0, 7);

// ------------------------------------------------------------------------------ a fake Prometheus

interface PromCall {
  path: string;
  params: URLSearchParams;
}
const promCalls: PromCall[] = [];
/** How the fake answers: normal, slow, not ready, or refusing queries that match a pattern. */
const prom: { mode: 'ok' | 'slow' | 'not-ready' | 'html'; refuse?: RegExp; alerts: unknown[] } = {
  mode: 'ok',
  alerts: [],
};

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function matrixFor(query: string, start: number, end: number, step: number): unknown[] {
  const points = (f: (t: number) => string): [number, string][] => {
    const out: [number, string][] = [];
    for (let t = start; t <= end; t += step) out.push([t, f(t)]);
    return out;
  };
  if (query.includes('ledger_blockchain_height'))
    return ['peer0.ecta', 'orderer1', 'peer0.ecx'].map((instance, i) => ({
      metric: { instance },
      values: points((t) => String(10 + i + (t - start) / step)),
    }));
  if (query.includes('ledger_transaction_count'))
    return [{ metric: { instance: 'peer0.ecta' }, values: points(() => '0.5') }];
  if (query.includes('histogram_quantile(0.99'))
    // No requests at all: a quantile of nothing is NaN everywhere — the line is left out.
    return [{ metric: {}, values: points(() => 'NaN') }];
  if (query.includes('gateway_http_request_duration_seconds_bucket'))
    // Values only on part of the grid (the first half NaN): nulls there.
    return [{ metric: {}, values: points((t) => (t - start < (end - start) / 2 ? 'NaN' : '0.02')) }];
  if (query.includes('coffee_projector_lag_blocks')) return [{ metric: {}, values: points(() => '0') }];
  return [];
}

function vectorFor(query: string, time: number): unknown[] {
  if (query.includes('coffee_exports'))
    return [
      { metric: { status: 'SUBMITTED' }, value: [time, '2'] },
      { metric: { status: 'COMPLETED' }, value: [time, '5'] },
    ];
  if (query.includes('coffee_time_in_state_seconds_count'))
    return [
      { metric: { state: 'SUBMITTED' }, value: [time, '3'] },
      { metric: { state: 'FX_APPROVED' }, value: [time, '0'] },
    ];
  if (query.includes('histogram_quantile(0.5'))
    return [{ metric: { state: 'SUBMITTED' }, value: [time, '120'] }];
  if (query.includes('histogram_quantile(0.9'))
    return [{ metric: { state: 'SUBMITTED' }, value: [time, '+Inf'] }];
  return [];
}

function fakePrometheus(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://prometheus.test');
  promCalls.push({ path: url.pathname, params: url.searchParams });
  if (prom.mode === 'slow') return void setTimeout(() => answer(res, 200, {}), 3000);
  if (prom.mode === 'not-ready') {
    res.writeHead(503, { 'content-type': 'text/plain' });
    return void res.end('Service Unavailable');
  }
  if (prom.mode === 'html') {
    res.writeHead(200, { 'content-type': 'text/html' });
    return void res.end('<html>not prometheus</html>');
  }
  const query = url.searchParams.get('query') ?? '';
  if (prom.refuse?.test(query))
    return answer(res, 400, { status: 'error', errorType: 'bad_data', error: 'parse error at char 3' });
  if (url.pathname === '/api/v1/alerts')
    return answer(res, 200, { status: 'success', data: { alerts: prom.alerts } });
  if (url.pathname === '/api/v1/query_range') {
    const [start, end, step] = ['start', 'end', 'step'].map((k) => Number(url.searchParams.get(k)));
    return answer(res, 200, {
      status: 'success',
      data: { resultType: 'matrix', result: matrixFor(query, start!, end!, step!) },
    });
  }
  if (url.pathname === '/api/v1/query')
    return answer(res, 200, {
      status: 'success',
      data: { resultType: 'vector', result: vectorFor(query, Number(url.searchParams.get('time'))) },
    });
  answer(res, 404, { status: 'error', errorType: 'not_found', error: 'no such path' });
}

// ------------------------------------------------------------------------------ the gateway side

const ectaKeys = { issuer: `urn:coffee-export:gateway:${ORG}`, accessTtlSeconds: 900, ...rsaPair() };
const bankKeys = { issuer: 'urn:coffee-export:gateway:commercial-bank', accessTtlSeconds: 900, ...rsaPair() };
const ROLES: Record<string, string> = {
  'u-admin': 'admin',
  'u-auditor': 'auditor',
  'u-officer': 'ecta_officer',
  'u-exporter': 'exporter',
  'u-bank-officer': 'bank_officer',
};
const users = {
  byId: (id: string) =>
    Promise.resolve(
      ROLES[id] ? { id, username: id, role: ROLES[id], status: 'ACTIVE', token_generation: 0 } : undefined,
    ),
} as unknown as UserService;

function token(userId: string, keys = ectaKeys, org = ORG): string {
  return signAccessToken(keys, {
    sub: userId,
    username: userId,
    role: ROLES[userId] ?? 'admin',
    org,
    mspId: orgOf(org).mspId,
  });
}

/** One gateway app whose Operations service points at `prometheusUrl` (undefined: none configured). */
async function gatewayApp(prometheusUrl: string | undefined, timeoutMs = 1000): Promise<Server> {
  const app = express();
  const api = express.Router();
  const service = new OperationsService(
    { org: { id: ORG }, ...(prometheusUrl ? { prometheusUrl } : {}) },
    { timeoutMs, now: () => NOW },
  );
  mount(api, operationsRoutes(service), {
    orgId: ORG,
    auth: authenticate(ectaKeys, users),
    idempotency: {} as IdempotencyService,
    admission: new AdmissionLimiter(4),
  });
  app.use('/api/v1', api);
  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const p = toProblem(err);
    const retryAfter = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
    res.status(p.status).type('application/problem+json').json(p);
  };
  app.use(onError);
  return new Promise((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
}

const urlOf = (s: Server): string => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
const close = (s: Server): Promise<void> =>
  new Promise((r) => {
    s.close(() => r());
    s.closeAllConnections();
  });

let prometheus: Server;
let gateway: Server;

before(async () => {
  prometheus = createServer(fakePrometheus);
  await new Promise<void>((r) => prometheus.listen(0, '127.0.0.1', r));
  gateway = await gatewayApp(urlOf(prometheus));
});
after(async () => {
  await close(gateway);
  await close(prometheus);
});
beforeEach(() => {
  promCalls.length = 0;
  prom.mode = 'ok';
  prom.refuse = undefined;
  prom.alerts = [];
});

async function get(
  server: Server,
  path = '/api/v1/operations/panels',
  bearer?: string,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${urlOf(server)}${path}`, {
    headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

const panel = <P>(view: OperationsView, id: string): P => {
  const p = view.panels.find((x) => x.id === id);
  assert.ok(p, `panel ${id}`);
  return p as P;
};

describe('GET /operations/panels: who may read it', () => {
  it('no token: 401, Prometheus not asked', async () => {
    const r = await get(gateway);
    assert.equal(r.status, 401);
    assert.equal(r.body.code, 'UNAUTHENTICATED');
    assert.deepEqual(promCalls, []);
  });

  it("another org's gateway's token (an admin's, at commercial-bank): 401, Prometheus not asked", async () => {
    const r = await get(gateway, undefined, token('u-admin', bankKeys, 'commercial-bank'));
    assert.equal(r.status, 401);
    assert.equal(r.body.code, 'INVALID_TOKEN');
    assert.deepEqual(promCalls, []);
  });

  for (const user of ['u-exporter', 'u-officer', 'u-bank-officer'])
    it(`${ROLES[user]}: 403 FORBIDDEN_ROLE, Prometheus not asked`, async () => {
      const r = await get(gateway, undefined, token(user));
      assert.equal(r.status, 403);
      assert.equal(r.body.code, 'FORBIDDEN_ROLE');
      assert.deepEqual(promCalls, []);
    });

  it('a range outside 15m, 1h, 6h, or any other parameter (a query): 400, Prometheus not asked', async () => {
    for (const q of ['range=2d', 'range=1h&query=up', 'query=sum(coffee_exports)']) {
      const r = await get(gateway, `/api/v1/operations/panels?${q}`, token('u-admin'));
      assert.equal(r.status, 400, q);
      assert.equal(r.body.code, 'VALIDATION_FAILED', q);
    }
    assert.deepEqual(promCalls, []);
  });

  for (const user of ['u-admin', 'u-auditor'])
    it(`${ROLES[user]}: 200 with every panel`, async () => {
      const r = await get(gateway, '/api/v1/operations/panels?range=15m', token(user));
      assert.equal(r.status, 200);
      const view = r.body as unknown as OperationsView;
      assert.deepEqual(
        view.panels.map((p) => p.id),
        ['block-height', 'tx-rate', 'latency', 'projector-lag', 'exports-by-status', 'turnaround', 'alerts'],
      );
      assert.ok(view.panels.every((p) => p.error === undefined));
    });
});

describe('GET /operations/panels: the queries and the panels', () => {
  it("runs only its fixed queries; every gateway metric is pinned to this org's label", async () => {
    const r = await get(gateway, '/api/v1/operations/panels', token('u-admin'));
    assert.equal(r.status, 200);
    const queries = promCalls.map((c) => c.params.get('query')).filter((q): q is string => q !== null);
    assert.ok(queries.length >= 10, `${queries.length} queries`);
    const business = queries.filter((q) => /\b(coffee_|gateway_)/.test(q));
    assert.ok(business.length >= 7);
    for (const q of business) assert.match(q, /job="gateway", org="ecta"/, q);
    // Node-level panels read the peers' and orderers' own metrics, never a gateway's.
    for (const q of queries.filter((x) => /ledger_/.test(x))) assert.doesNotMatch(q, /coffee_|gateway_/);
    assert.deepEqual([...new Set(promCalls.map((c) => c.path))].sort(), [
      '/api/v1/alerts',
      '/api/v1/query',
      '/api/v1/query_range',
    ]);
  });

  it('puts every series on the range grid: NaN is null, a line with no value at all is left out', async () => {
    const view = (await get(gateway, '/api/v1/operations/panels?range=15m', token('u-admin')))
      .body as unknown as OperationsView;
    const grid = rangeGrid('15m', NOW);
    assert.deepEqual({ start: view.start, end: view.end, step: view.step }, grid);
    assert.equal(grid.end % 15, 0);
    assert.equal(grid.end - grid.start, 900);
    const heights = panel<TimeseriesPanel>(view, 'block-height');
    assert.equal(heights.timestamps.length, 61);
    assert.deepEqual(
      heights.series.map((s) => s.name),
      ['orderer1', 'peer0.ecta', 'peer0.ecx'],
    );
    assert.deepEqual(heights.series[1]!.values.slice(0, 3), [10, 11, 12]);
    const latency = panel<TimeseriesPanel>(view, 'latency');
    assert.deepEqual(
      latency.series.map((s) => s.name),
      ['p50', 'p95'],
    );
    assert.equal(latency.series[0]!.values[0], null);
    assert.equal(latency.series[0]!.values.at(-1), 0.02);
  });

  it('tables: exports by status (most first), turnaround by step left (+Inf is null)', async () => {
    const view = (await get(gateway, '/api/v1/operations/panels', token('u-auditor')))
      .body as unknown as OperationsView;
    assert.deepEqual(panel<TablePanel>(view, 'exports-by-status').rows, [
      { status: 'COMPLETED', exports: 5 },
      { status: 'SUBMITTED', exports: 2 },
    ]);
    assert.deepEqual(panel<TablePanel>(view, 'turnaround').rows, [
      { state: 'SUBMITTED', steps: 3, p50: 120, p90: null },
    ]);
  });

  it("alerts: firing and pending ones about nodes and this org's gateway, not another org's gateway", async () => {
    const alert = (name: string, labels: Record<string, string>, state = 'firing'): unknown => ({
      labels: { alertname: name, severity: 'warning', ...labels },
      annotations: { summary: `${name} summary` },
      state,
      activeAt: '2026-11-30T11:58:00Z',
      value: '1',
    });
    prom.alerts = [
      alert('ProjectorLagHigh', {
        job: 'gateway',
        org: 'commercial-bank',
        instance: 'gateway.commercial-bank',
      }),
      alert('DiskAlmostFull', { job: 'gateway', org: 'ecx' }),
      alert('ProjectorLagHigh', { job: 'gateway', org: 'ecta', instance: 'gateway.ecta' }),
      alert('FabricNodeDown', { job: 'peer', org: 'ecx', instance: 'peer0.ecx' }, 'pending'),
      alert('NoRaftLeader', { channel: 'coffee-export-channel' }),
    ];
    const view = (await get(gateway, '/api/v1/operations/panels', token('u-admin')))
      .body as unknown as OperationsView;
    const rows = panel<TablePanel>(view, 'alerts').rows;
    assert.deepEqual(
      rows.map((r) => `${r.alert}:${r.state}`),
      ['NoRaftLeader:firing', 'ProjectorLagHigh:firing', 'FabricNodeDown:pending'],
    );
    assert.equal(rows[1]!.summary, 'ProjectorLagHigh summary');
  });

  it('a query Prometheus refuses is an error on its panel alone', async () => {
    prom.refuse = /coffee_exports/;
    const view = (await get(gateway, '/api/v1/operations/panels', token('u-admin')))
      .body as unknown as OperationsView;
    const failed = view.panels.filter((p) => p.error);
    assert.deepEqual(
      failed.map((p) => [p.id, p.error?.code]),
      [['exports-by-status', 'PROMETHEUS_QUERY_FAILED']],
    );
    assert.match(failed[0]!.error!.detail, /bad_data: parse error/);
  });
});

describe('GET /operations/panels: monitoring unavailable', () => {
  async function unavailable(server: Server, detail: RegExp): Promise<void> {
    const r = await get(server, '/api/v1/operations/panels', token('u-admin'));
    assert.equal(r.status, 503);
    assert.equal(r.body.code, 'MONITORING_UNAVAILABLE');
    assert.match(String(r.body.detail), detail);
    assert.equal(r.headers.get('retry-after'), '15');
  }

  it('no Prometheus configured: 503 naming PROMETHEUS_URL', async () => {
    const s = await gatewayApp(undefined);
    try {
      await unavailable(s, /PROMETHEUS_URL/);
    } finally {
      await close(s);
    }
  });

  it('nothing listens at the configured URL: 503 unreachable', async () => {
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const url = urlOf(gone);
    await close(gone);
    const s = await gatewayApp(url);
    try {
      await unavailable(s, /unreachable/);
    } finally {
      await close(s);
    }
  });

  it('Prometheus too slow: 503 after the timeout, not a hung request', async () => {
    prom.mode = 'slow';
    const t0 = Date.now();
    await unavailable(gateway, /did not answer within 1 s/);
    const took = Date.now() - t0;
    assert.ok(took >= 900 && took < 2500, `answered after ${took} ms`);
  });

  it('Prometheus not ready (503), or something else answering: 503', async () => {
    prom.mode = 'not-ready';
    await unavailable(gateway, /answered HTTP 503|not ready/);
    prom.mode = 'html';
    await unavailable(gateway, /without its API's JSON/);
  });
});

describe('operations helpers', () => {
  it('sample values: numbers, NaN and infinities as null', () => {
    assert.deepEqual(['1.5', '0', 'NaN', '+Inf', '-Inf'].map(sampleValue), [1.5, 0, null, null, null]);
  });

  it('alert visibility: node-level and own org; not another org’s gateway', () => {
    assert.equal(alertVisibleTo('ecta', { job: 'gateway', org: 'ecx' }), false);
    assert.equal(alertVisibleTo('ecta', { org: 'ecx' }), false);
    assert.equal(alertVisibleTo('ecta', { job: 'gateway', org: 'ecta' }), true);
    assert.equal(alertVisibleTo('ecta', { job: 'orderer', org: 'orderer' }), true);
    assert.equal(alertVisibleTo('ecta', { job: 'ca', org: 'ecx' }), true);
    assert.equal(alertVisibleTo('ecta', { channel: 'coffee-export-channel' }), true);
  });

  it('the service refuses an org id that could break out of a label matcher', () => {
    assert.throws(() => new OperationsService({ org: { id: 'ecta"} or up{x="' } }));
  });
});

describe('OpenAPI', () => {
  it('documents the route: admins and auditors, the range (15m, 1h, 6h), 401, 403 and 503', () => {
    const doc = openApiDocument(
      testConfig(ORG),
      operationsRoutes({ panels: () => Promise.reject(new Error('not called')) }),
    ) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const op = doc.paths['/api/v1/operations/panels']?.get;
    assert.ok(op, 'GET /api/v1/operations/panels is documented');
    assert.deepEqual(op['x-access'], { roles: ['admin', 'auditor'], orgs: 'any' });
    assert.deepEqual(op.parameters, [
      {
        name: 'range',
        in: 'query',
        required: false,
        schema: { type: 'string', enum: ['15m', '1h', '6h'], default: '1h' },
      },
    ]);
    assert.deepEqual(Object.keys(op.responses as object).sort(), [
      '200',
      '400',
      '401',
      '403',
      '503',
      'default',
    ]);
  });
});
