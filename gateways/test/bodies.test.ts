/**
 * Authentication before any body (issue 10): a route's body reader and handler never run for an unauthenticated
 * or forbidden request; a refused request is answered before its body has been sent (the client still holds most
 * of it) and its connection is closed rather than drained; a declared length over the limit is refused at once;
 * Expect: 100-continue gets no 100 for a refused request; upload quotas answer 429 with Retry-After before the
 * upload is read; /verify stays rate-limited; the quota settings are read from the configuration.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { ConfigError, loadConfig } from '../src/config.ts';
import { AppError, toProblem } from '../src/errors.ts';
import { LINGER_MS, bodyReaders, continueAfterAdmission, type BodyReaders } from '../src/routes/bodies.ts';
import { apiRoutes, type Services } from '../src/routes/api.ts';
import { mount } from '../src/routes/http.ts';
import { AdmissionLimiter } from '../src/services/admission.ts';
import type { Caller } from '../src/services/deps.ts';
import type { IdempotencyService } from '../src/services/idempotency.ts';
import { UploadQuota, UploadQuotaError } from '../src/services/upload-quota.ts';
import { testConfig, unreachableApp } from './helpers.ts';
import { rawRequest, type RawAnswer } from './support/raw-http.ts';

const MB = 1024 * 1024;

const problemOf = (a: RawAnswer): { code: string; detail: string } =>
  JSON.parse(a.body) as { code: string; detail: string };

const multipartHead = (path: string, length: number, extra = ''): string =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=xyz\r\n` +
  `Content-Length: ${length}\r\n${extra}\r\n`;

const jsonHead = (path: string, length: number | 'chunked', extra = ''): string =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
  (length === 'chunked' ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${length}\r\n`) +
  `${extra}\r\n`;

// ------------------------------------------------------------------ mount() with spies

/** What ran, in order: body readers, `before` middleware and service calls. */
const ran: string[] = [];
const spy =
  (name: string, inner?: RequestHandler): RequestHandler =>
  (req, res, next) => {
    ran.push(name);
    if (inner) inner(req, res, next);
    else next();
  };

const real = bodyReaders({ jsonLimitBytes: 64 * 1024, uploadLimitBytes: MB });
const spiedBodies: BodyReaders = {
  json: (pub) => spy(pub ? 'json:public' : 'json', real.json(pub)),
  multipart: spy('multipart', real.multipart),
  uploadLimitBytes: real.uploadLimitBytes,
};

const call = (fn: string) => (): Promise<unknown> => {
  ran.push(fn);
  return Promise.resolve({ ok: fn });
};
const services = {
  auth: { login: call('login'), refresh: call('refresh'), logout: call('logout') },
  users: {
    me: call('me'),
    list: call('users.list'),
    create: call('users.create'),
    update: call('users.update'),
  },
  exports: {
    create: call('exports.create'),
    list: call('exports.list'),
    action: call('exports.action'),
    upload: call('exports.upload'),
    verify: call('exports.verify'),
  },
  registries: { listExporters: call('listExporters') },
  mfa: { requireStepUp: () => Promise.resolve() },
} as unknown as Services;

const idempotency = {
  pool: undefined,
  claim: (_c: Caller, key: string) => Promise.resolve({ kind: 'new', key, resourceId: null }),
  release: () => Promise.resolve(),
  complete: () => Promise.resolve(),
} as unknown as IdempotencyService;

/** Bearer `<role>` authenticates as that role; anything else is refused as the real authenticate() would. */
const auth = (req: express.Request): Promise<Caller> => {
  ran.push('auth');
  const h = req.headers.authorization;
  if (!h?.startsWith('Bearer '))
    return Promise.reject(new AppError(401, 'UNAUTHENTICATED', 'a bearer access token is required'));
  const role = h.slice(7);
  return Promise.resolve({ userId: `u-${role}`, username: role, role, requestId: 'r' });
};

let clock = 1_000_000;
const quota = new UploadQuota({ windowMs: 3_600_000, maxFiles: 3, maxBytes: 2 * MB }, () => clock);

const app = express();
const api = express.Router();
mount(api, apiRoutes(testConfig('commercial-bank'), services, spy('loginLimiter'), spy('verifyLimiter')), {
  orgId: 'commercial-bank',
  auth,
  idempotency,
  admission: new AdmissionLimiter(4),
  bodies: spiedBodies,
  uploadQuota: quota,
});
app.use('/api/v1', api);
const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  const retryAfter = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
  const p = toProblem(err);
  res.status(p.status).type('application/problem+json').json(p);
};
app.use(onError);

let server: Server;
let base = '';
const readAfterAnswer: { bytes: number; ms: number }[] = [];
before(async () => {
  server = createServer(app);
  server.on('checkContinue', continueAfterAdmission(app));
  // What each connection read after its answer, and when it was closed.
  server.on('request', (req: IncomingMessage, res: ServerResponse) =>
    res.once('finish', () => {
      const at = req.socket.bytesRead;
      const since = Date.now();
      req.socket.once('close', () =>
        readAfterAnswer.push({ bytes: req.socket.bytesRead - at, ms: Date.now() - since }),
      );
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  ran.length = 0;
});

function uploadForm(bytes: number): FormData {
  const form = new FormData();
  form.set('type', 'SALES_CONTRACT');
  form.set('file', new Blob([Buffer.alloc(bytes, 0x25)], { type: 'application/pdf' }), 'c.pdf');
  return form;
}

describe('the body is read only after authentication (mount)', () => {
  it('an unauthenticated upload: 401, neither the multipart reader nor the handler ran', async () => {
    const r = await fetch(`${base}/api/v1/documents`, { method: 'POST', body: uploadForm(1000) });
    assert.equal(r.status, 401);
    assert.equal(((await r.json()) as { code: string }).code, 'UNAUTHENTICATED');
    assert.deepEqual(ran, ['auth']);
  });

  it('an unauthenticated JSON action: 401, neither the JSON reader nor the handler ran', async () => {
    const r = await fetch(`${base}/api/v1/exports/EX-1/actions/submit-fx`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"note":"x"}',
    });
    assert.equal(r.status, 401);
    assert.deepEqual(ran, ['auth']);
  });

  it('a role the route refuses: 403 before the body (upload and JSON alike)', async () => {
    // Documents are for workflow roles; the org admin may not upload.
    let r = await fetch(`${base}/api/v1/documents`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin' },
      body: uploadForm(1000),
    });
    assert.equal(r.status, 403);
    r = await fetch(`${base}/api/v1/users`, {
      method: 'POST',
      headers: { authorization: 'Bearer exporter', 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(r.status, 403);
    assert.deepEqual(ran, ['auth', 'auth']);
  });

  it('an admitted request: authentication, then its body, then `before`, then the handler', async () => {
    let r = await fetch(`${base}/api/v1/exports/EX-1/actions/submit-fx`, {
      method: 'POST',
      headers: { authorization: 'Bearer exporter', 'content-type': 'application/json' },
      body: '{"note":"x"}',
    });
    assert.equal(r.status, 200);
    assert.deepEqual(ran, ['auth', 'json', 'exports.action']);
    ran.length = 0;
    r = await fetch(`${base}/api/v1/documents`, {
      method: 'POST',
      headers: { authorization: 'Bearer exporter' },
      body: uploadForm(1000),
    });
    assert.equal(r.status, 201);
    assert.deepEqual(ran, ['auth', 'multipart', 'exports.upload']);
    ran.length = 0;
    // A public route reads a small JSON body, then its limiter runs; a GET reads none.
    r = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username":"a","password":"b"}',
    });
    assert.equal(r.status, 200);
    assert.deepEqual(ran, ['json:public', 'loginLimiter', 'login']);
    ran.length = 0;
    await fetch(`${base}/api/v1/verify/EX-1`);
    assert.deepEqual(ran, ['verifyLimiter', 'exports.verify']);
  });
});

describe('a refused request is answered before its body is sent, and its connection closed', () => {
  it('anonymous 10 MB upload: 401 after at most a few hundred KiB sent, Connection: close, socket closed', async () => {
    const a = await rawRequest(base, multipartHead('/api/v1/documents', 10 * MB), { bodyBytes: 10 * MB });
    assert.equal(a.status, 401);
    assert.equal(a.headers.connection, 'close');
    assert.match(a.headers['content-type'] ?? '', /^application\/problem\+json/);
    assert.ok(a.sentWhenAnswered < 10 * MB, `answered after ${a.sentWhenAnswered} of ${10 * MB} bytes`);
    assert.ok(a.answeredMs < 2000, `answered in ${a.answeredMs} ms`);
    assert.ok(a.closed, 'the server closed the connection instead of reading the rest');
    assert.deepEqual(ran, ['auth']);
  });

  it('a client that keeps sending gets its answer; the body is not read on, the socket closed after LINGER_MS', async () => {
    const a = await rawRequest(base, multipartHead('/api/v1/documents', 10 * MB), {
      bodyBytes: 10 * MB,
      keepSending: true,
      closeWithinMs: LINGER_MS + 1000,
    });
    assert.equal(a.status, 401);
    assert.ok(a.closed);
    readAfterAnswer.length = 0;
    const seen = readAfterAnswer.length;
    const deadline = Date.now() + LINGER_MS + 1500;
    while (readAfterAnswer.length === seen && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const after = readAfterAnswer.at(-1);
    assert.ok(after !== undefined, 'the server closed the socket');
    assert.ok(after.bytes < 256 * 1024, `read ${after.bytes} body bytes after its answer`);
    assert.ok(after.ms <= LINGER_MS + 500, `closed ${after.ms} ms after its answer`);
  });

  it('a body that never comes is not waited for: the head alone gets its 401', async () => {
    const a = await rawRequest(base, multipartHead('/api/v1/documents', 10 * MB), {
      bodyBytes: 10 * MB,
      sendBody: false,
    });
    assert.equal(a.status, 401);
    assert.equal(a.headers.connection, 'close');
    assert.ok(a.closed);
  });

  it('Expect: 100-continue: no 100 for a refused request; an admitted one gets it and is read', async () => {
    const refused = await rawRequest(
      base,
      multipartHead('/api/v1/documents', 10 * MB, 'Expect: 100-continue\r\n'),
      { bodyBytes: 10 * MB, sendBody: false },
    );
    assert.equal(refused.status, 401);
    assert.equal(refused.continued, false);
    const admitted = await rawRequest(
      base,
      jsonHead(
        '/api/v1/exports/EX-1/actions/submit-fx',
        12,
        'Authorization: Bearer exporter\r\nExpect: 100-continue\r\n',
      ),
      { body: Buffer.from('{"note":"x"}'), waitContinue: true, closeWithinMs: 200 },
    );
    assert.equal(admitted.continued, true);
    assert.equal(admitted.status, 200);
    assert.deepEqual(ran, ['auth', 'auth', 'json', 'exports.action']);
  });

  it('a declared length over the JSON limit: 413 at once, the body unread and the connection closed', async () => {
    const a = await rawRequest(
      base,
      jsonHead('/api/v1/exports/EX-1/actions/submit-fx', 5 * MB, 'Authorization: Bearer exporter\r\n'),
      { bodyBytes: 5 * MB, sendBody: false },
    );
    assert.equal(a.status, 413);
    assert.equal(a.headers.connection, 'close');
    assert.ok(a.closed);
    assert.deepEqual(ran, ['auth', 'json']);
  });

  it('a declared length over the upload limit: 413 before the multipart body is read', async () => {
    const a = await rawRequest(
      base,
      multipartHead('/api/v1/documents', 3 * MB, 'Authorization: Bearer exporter\r\n'),
      { bodyBytes: 3 * MB, sendBody: false },
    );
    assert.equal(a.status, 413);
    assert.equal(a.headers.connection, 'close');
    assert.ok(problemOf(a).detail.includes(`${MB} bytes`));
  });

  it('public routes: a small JSON limit, and a body of undeclared length is refused (411)', async () => {
    const big = JSON.stringify({ username: 'a', password: 'x'.repeat(20 * 1024) });
    let r = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    assert.equal(r.status, 413);
    // The same size is fine for an authenticated route (64 KiB limit here): it reaches validation.
    r = await fetch(`${base}/api/v1/exports/EX-1/actions/submit-fx`, {
      method: 'POST',
      headers: { authorization: 'Bearer exporter', 'content-type': 'application/json' },
      body: JSON.stringify({ note: 'x'.repeat(20 * 1024) }),
    });
    assert.notEqual(r.status, 413);
    const a = await rawRequest(base, jsonHead('/api/v1/auth/login', 'chunked'), { sendBody: false });
    assert.equal(a.status, 411);
    assert.equal(problemOf(a).code, 'LENGTH_REQUIRED');
  });
});

describe('upload quotas per user', () => {
  it('files per window: 429 UPLOAD_QUOTA_EXCEEDED with Retry-After, before the upload is read', async () => {
    clock += 10 * 3_600_000;
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${base}/api/v1/documents`, {
        method: 'POST',
        headers: { authorization: 'Bearer shipping_agent' },
        body: uploadForm(100),
      });
      assert.equal(r.status, 201, `upload ${i + 1}`);
    }
    ran.length = 0;
    clock += 60_000;
    const a = await rawRequest(
      base,
      multipartHead('/api/v1/documents', 2000, 'Authorization: Bearer shipping_agent\r\n'),
      { bodyBytes: 2000, sendBody: false },
    );
    assert.equal(a.status, 429);
    assert.equal(a.headers['retry-after'], String(3600 - 60));
    const p = JSON.parse(a.body) as { code: string; detail: string };
    assert.equal(p.code, 'UPLOAD_QUOTA_EXCEEDED');
    assert.match(p.detail, /3 files per hour/);
    assert.deepEqual(ran, ['auth']);
    // Another user is not affected.
    const other = await fetch(`${base}/api/v1/documents`, {
      method: 'POST',
      headers: { authorization: 'Bearer exporter' },
      body: uploadForm(100),
    });
    assert.equal(other.status, 201);
  });
});

describe('UploadQuota', () => {
  it('counts files and bytes over a sliding window, says when the next upload fits', () => {
    let now = 0;
    const q = new UploadQuota({ windowMs: 60_000, maxFiles: 3, maxBytes: 1000 }, () => now);
    q.reserve('a', 400);
    now = 10_000;
    q.reserve('a', 400);
    now = 20_000;
    // 800 used: 300 more does not fit until the first 400 leaves the window (at 60 s).
    assert.throws(
      () => q.reserve('a', 300),
      (e: unknown) =>
        e instanceof UploadQuotaError &&
        e.retryAfterSeconds === 40 &&
        /1000 bytes per minute/.test(e.message),
    );
    q.reserve('a', 200);
    assert.deepEqual(q.usage('a'), { files: 3, bytes: 1000 });
    assert.throws(
      () => q.reserve('a', 1),
      (e: unknown) =>
        e instanceof UploadQuotaError && e.status === 429 && /3 files per minute/.test(e.message),
    );
    assert.equal(q.refused, 2);
    // Another user has a quota of its own.
    q.reserve('b', 1000);
    now = 60_001;
    assert.deepEqual(q.usage('a'), { files: 2, bytes: 600 });
    q.reserve('a', 300);
  });

  it('settle keeps the bytes actually read (never more than reserved)', () => {
    const q = new UploadQuota({ windowMs: 60_000, maxFiles: 10, maxBytes: 1000 }, () => 0);
    const r = q.reserve('a', 900);
    assert.throws(() => q.reserve('a', 200), UploadQuotaError);
    r.settle(100);
    q.reserve('a', 800);
    assert.deepEqual(q.usage('a'), { files: 2, bytes: 900 });
    const r2 = q.reserve('a', 50);
    r2.settle(10_000);
    assert.deepEqual(q.usage('a'), { files: 3, bytes: 950 });
  });

  it('refuses limits that are not positive integers', () => {
    assert.throws(() => new UploadQuota({ windowMs: 0, maxFiles: 1, maxBytes: 1 }), RangeError);
    assert.throws(() => new UploadQuota({ windowMs: 1, maxFiles: 1.5, maxBytes: 1 }), RangeError);
  });
});

describe('the whole app (dependencies down)', () => {
  const config = testConfig('ecta', { verifyRateLimit: { windowMs: 60_000, max: 3 } });
  const stack = unreachableApp(config);
  let appBase = '';
  before(async () => {
    appBase = await stack.start();
  });
  after(() => stack.stop());

  it('an anonymous 10 MB upload is answered 401 before it is sent, and the connection closed', async () => {
    const a = await rawRequest(appBase, multipartHead('/api/v1/documents', 10 * MB), { bodyBytes: 10 * MB });
    assert.equal(a.status, 401);
    assert.equal(a.headers.connection, 'close');
    assert.ok(a.sentWhenAnswered < 10 * MB, `answered after ${a.sentWhenAnswered} bytes`);
    assert.ok(a.closed);
  });

  it('a bad token on a large JSON body: 401 INVALID_TOKEN, body unread', async () => {
    const a = await rawRequest(
      appBase,
      jsonHead('/api/v1/exports', 8 * MB, 'Authorization: Bearer x.y.z\r\n'),
      { bodyBytes: 8 * MB, sendBody: false },
    );
    assert.equal(a.status, 401);
    assert.equal(problemOf(a).code, 'INVALID_TOKEN');
    assert.equal(a.headers.connection, 'close');
  });

  it('an unknown route with a large body: 404 and the connection closed, not drained', async () => {
    const a = await rawRequest(appBase, jsonHead('/api/v1/nope', 8 * MB), {
      bodyBytes: 8 * MB,
      sendBody: false,
    });
    assert.equal(a.status, 404);
    assert.ok(a.closed);
  });

  it('a request whose body was read keeps its connection alive, even when refused', async () => {
    const a = await rawRequest(appBase, jsonHead('/api/v1/auth/login', 2), {
      bodyBytes: 2,
      closeWithinMs: 300,
    });
    assert.equal(a.status, 400);
    assert.equal(problemOf(a).code, 'MALFORMED_JSON');
    assert.notEqual(a.headers.connection, 'close');
    assert.equal(a.closed, false);
  });

  it('/verify is rate-limited per client (429 after the limit), before its input is even checked', async () => {
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) seen.push((await fetch(`${appBase}/api/v1/verify/bad%20id`)).status);
    assert.deepEqual(seen, [400, 400, 400, 429]);
  });
});

describe('upload quota settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-quota-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = join(dir, 'ca.pem');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n');
  const env: Record<string, string> = {
    ORG: 'ecx',
    DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/coffee_ecx',
    IPFS_API_URL: 'http://127.0.0.1:7330',
    PEER_ENDPOINT: '127.0.0.1:7301',
    PEER_TLS_CA_FILE: ca,
    CA_URL: 'https://127.0.0.1:7304',
    CA_TLS_CA_FILE: ca,
    ORG_ADMIN_ENROLLMENT_ID: 'org-admin',
    ORG_ADMIN_ENROLLMENT_SECRET: 'org-admin-secret',
    SECRETS_DIR: join(dir, 'secrets'),
  };

  it('defaults to 1000 files and 512 MiB per user per hour; both can be set; nonsense is refused', () => {
    assert.deepEqual(loadConfig(env).uploadQuota, {
      windowMs: 3_600_000,
      maxFiles: 1000,
      maxBytes: 512 * MB,
    });
    const set = loadConfig({
      ...env,
      UPLOAD_QUOTA_FILES_PER_HOUR: '3',
      UPLOAD_QUOTA_BYTES_PER_HOUR: String(2 * MB),
    }).uploadQuota;
    assert.deepEqual([set.maxFiles, set.maxBytes], [3, 2 * MB]);
    assert.throws(
      () => loadConfig({ ...env, UPLOAD_QUOTA_FILES_PER_HOUR: '0' }),
      (e: unknown) => e instanceof ConfigError && /UPLOAD_QUOTA_FILES_PER_HOUR/.test(e.message),
    );
    assert.throws(
      () => loadConfig({ ...env, UPLOAD_QUOTA_BYTES_PER_HOUR: 'lots' }),
      (e: unknown) => e instanceof ConfigError && /UPLOAD_QUOTA_BYTES_PER_HOUR/.test(e.message),
    );
  });
});
