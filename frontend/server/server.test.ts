/**
 * The production portal server (server.ts) against a fake gateway started here: static files and the SPA
 * fallback, the /gw/<org> proxy (method, path, headers, a multipart upload streamed through), unknown orgs,
 * unreachable gateways, security headers, the Host check, /demo-accounts.json, and the CLI from its environment.
 *
 *   node --import tsx --test frontend/server/server.test.ts
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  createServer,
  request,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type StartedPortal, hostAllowed, startPortalServer } from './server';

const HERE = dirname(fileURLToPath(import.meta.url));
const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/app-Ab12Cd.js"></script></head></html>';
const APP_JS = 'console.log("portal");';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bytes: number;
  sha256: string;
}

/** A stand-in gateway: records each request (its body hashed as it streams in) and answers 201 with JSON. */
class FakeGateway {
  readonly seen: Seen[] = [];
  /** Bytes of the body received so far by the request in flight. */
  received = 0;
  private server: Server = createServer((req, res) => this.handle(req, res));
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }

  private handle(req: IncomingMessage, res: import('node:http').ServerResponse): void {
    const hash = createHash('sha256');
    this.received = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      this.received += chunk.length;
    });
    req.on('end', () => {
      const seen: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        bytes: this.received,
        sha256: hash.digest('hex'),
      };
      this.seen.push(seen);
      res.writeHead(201, { 'Content-Type': 'application/json', 'X-Upstream': 'fake' });
      res.end(JSON.stringify({ ok: true, url: seen.url }));
    });
  }
}

/** A raw request (fetch may not set Host), the whole answer buffered. */
function raw(
  url: string,
  opts: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('portal server', () => {
  const gateway = new FakeGateway();
  const env: Record<string, string | undefined> = {};
  let dist = '';
  let portal: StartedPortal;
  let deadGateway = '';

  before(async () => {
    dist = mkdtempSync(join(tmpdir(), 'portal-server-test-'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), INDEX);
    writeFileSync(join(dist, 'assets', 'app-Ab12Cd.js'), APP_JS);
    writeFileSync(
      join(dist, 'config.json'),
      JSON.stringify({ gateways: { ecta: '/gw/ecta', ecx: 'https://ecx.example.org:8443/base' } }),
    );
    await gateway.start();
    // A port nothing listens on: bound, then closed.
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    deadGateway = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise((done) => probe.close(done));
    portal = await startPortalServer({
      dist,
      gateways: { ecta: gateway.url, customs: deadGateway },
      env,
      port: 0,
      log: () => undefined,
    });
  });

  after(async () => {
    await portal.close();
    await gateway.stop();
    rmSync(dist, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 by default', () => {
    const address = portal.server.address() as AddressInfo;
    assert.equal(address.address, '127.0.0.1');
    assert.equal(portal.url, `http://127.0.0.1:${address.port}`);
  });

  it('serves index.html at / and for client-side routes, revalidated every time', async () => {
    for (const path of ['/', '/exports/EXP-1', '/verify/EXP-DEMO-08', '/users']) {
      const res = await fetch(`${portal.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/, path);
      assert.equal(res.headers.get('cache-control'), 'no-cache', path);
      assert.equal(await res.text(), INDEX, path);
    }
    // A route with a dot in it, as a browser navigates to it.
    const dotted = await fetch(`${portal.url}/verify/EXP.2026`, { headers: { Accept: 'text/html' } });
    assert.equal(await dotted.text(), INDEX);
  });

  it('serves hashed assets for a year and config.json revalidated; a missing file is a 404, not index.html', async () => {
    const js = await fetch(`${portal.url}/assets/app-Ab12Cd.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(await js.text(), APP_JS);

    const config = await fetch(`${portal.url}/config.json`);
    assert.equal(config.status, 200);
    assert.equal(config.headers.get('cache-control'), 'no-cache');

    for (const path of ['/assets/app-gone.js', '/favicon.ico']) {
      const res = await fetch(`${portal.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.notEqual(await res.text(), INDEX, path);
    }
  });

  it('sets the security headers, with a CSP for the built app', async () => {
    for (const path of ['/', '/assets/app-Ab12Cd.js', '/gw/ecta/api/v1/health', '/gw/nowhere/x']) {
      const res = await fetch(`${portal.url}${path}`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer', path);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
      assert.equal(res.headers.get('x-powered-by'), null, path);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.match(csp, /script-src 'self'(;|$)/, path);
      assert.match(csp, /img-src 'self' data:/, path);
      // config.json's one absolute gateway URL: the browser calls it directly.
      assert.match(csp, /connect-src 'self' https:\/\/ecx\.example\.org:8443(;|$)/, path);
    }
  });

  it('proxies /gw/<org>/... to that org’s gateway: method, path, query and headers', async () => {
    const res = await fetch(`${portal.url}/gw/ecta/api/v1/exports?status=PENDING&limit=5`, {
      method: 'PATCH',
      headers: { Authorization: 'Bearer t0ken', 'X-Request-Id': 'r-1', 'Content-Type': 'application/json' },
      body: JSON.stringify({ a: 1 }),
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-upstream'), 'fake');
    assert.deepEqual(await res.json(), { ok: true, url: '/api/v1/exports?status=PENDING&limit=5' });
    const seen = gateway.seen.at(-1);
    assert.ok(seen);
    assert.equal(seen.method, 'PATCH');
    assert.equal(seen.url, '/api/v1/exports?status=PENDING&limit=5');
    assert.equal(seen.headers.authorization, 'Bearer t0ken');
    assert.equal(seen.headers['x-request-id'], 'r-1');
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.equal(seen.headers.host, new URL(gateway.url).host);
    assert.equal(
      seen.sha256,
      createHash('sha256')
        .update(JSON.stringify({ a: 1 }))
        .digest('hex'),
    );
  });

  it('streams a multipart upload through: the gateway receives the first part before the client sends the rest', async () => {
    const boundary = '----portal-test-boundary';
    const file = randomBytes(4 * 1024 * 1024);
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\nSALES_CONTRACT\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="contract.pdf"\r\n` +
        'Content-Type: application/pdf\r\n\r\n',
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const first = Buffer.concat([head, file.subarray(0, 1024 * 1024)]);
    const rest = Buffer.concat([file.subarray(1024 * 1024), tail]);
    const whole = Buffer.concat([first, rest]);
    const before = gateway.seen.length;

    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${portal.url}/gw/ecta/api/v1/exports/EXP-1/documents`,
        {
          method: 'POST',
          headers: {
            'Content-Type': `multipart/form-data; boundary=${boundary}`,
            Authorization: 'Bearer upload',
            // No Content-Length: chunked, so nothing can wait for a known length.
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.on('error', reject);
      req.write(first);
      // Only once the gateway holds the first megabyte: a server that buffered the body would never get here.
      until('the first part at the gateway', () => gateway.received >= first.length).then(
        () => req.end(rest),
        (e: unknown) => {
          req.destroy();
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });

    const res = await answer;
    assert.equal(res.status, 201);
    assert.equal(gateway.seen.length, before + 1);
    const seen = gateway.seen.at(-1);
    assert.ok(seen);
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/api/v1/exports/EXP-1/documents');
    assert.equal(seen.headers['content-type'], `multipart/form-data; boundary=${boundary}`);
    assert.equal(seen.headers.authorization, 'Bearer upload');
    assert.equal(seen.headers['transfer-encoding'], 'chunked');
    assert.equal(seen.bytes, whole.length);
    assert.equal(seen.sha256, createHash('sha256').update(whole).digest('hex'));
  });

  it('answers 404 (problem+json) for an org it has no gateway for, and never proxies a look-alike prefix', async () => {
    const before = gateway.seen.length;
    for (const path of ['/gw/nowhere/api/v1/health', '/gw/ectax/api/v1/health', '/gw/']) {
      const res = await fetch(`${portal.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.equal(res.headers.get('content-type'), 'application/problem+json', path);
      const body = (await res.json()) as { status: number; code: string };
      assert.equal(body.status, 404, path);
      assert.equal(body.code, 'UNKNOWN_ORGANIZATION', path);
    }
    assert.equal(gateway.seen.length, before);
  });

  it('answers 502 (problem+json) when the gateway is down', async () => {
    const res = await fetch(`${portal.url}/gw/customs/api/v1/health`);
    assert.equal(res.status, 502);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    const body = (await res.json()) as { status: number; code: string; detail: string };
    assert.equal(body.status, 502);
    assert.equal(body.code, 'GATEWAY_UNREACHABLE');
    assert.match(body.detail, /customs/);
  });

  it('refuses a Host it does not answer to (DNS rebinding), accepts localhost and IP addresses', async () => {
    const port = (portal.server.address() as AddressInfo).port;
    const evil = await raw(`${portal.url}/gw/ecta/api/v1/health`, {
      headers: { Host: `evil.example:${port}` },
    });
    assert.equal(evil.status, 403);
    assert.equal((JSON.parse(evil.body) as { code: string }).code, 'HOST_NOT_ALLOWED');
    const local = await raw(`${portal.url}/`, { headers: { Host: `localhost:${port}` } });
    assert.equal(local.status, 200);

    assert.equal(hostAllowed('127.0.0.1:3000'), true);
    assert.equal(hostAllowed('[::1]:3000'), true);
    assert.equal(hostAllowed('portal.localhost'), true);
    assert.equal(hostAllowed(undefined), false);
    assert.equal(hostAllowed('portal.example.org'), false);
    assert.equal(hostAllowed('portal.example.org', ['portal.example.org']), true);
    assert.equal(hostAllowed('a.example.org:443', ['.example.org']), true);
    assert.equal(hostAllowed('example.org.evil', ['.example.org']), false);
  });

  it('serves /demo-accounts.json like the development server: only for a development accounts file', async () => {
    assert.equal((await fetch(`${portal.url}/demo-accounts.json`)).status, 404);
    const file = join(dist, '..', `demo-accounts-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ mode: 'development', accounts: [{ user: 'a' }], exports: [] }));
    try {
      env.PORTAL_DEMO_ACCOUNTS = file;
      const res = await fetch(`${portal.url}/demo-accounts.json`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.deepEqual(await res.json(), { mode: 'development', accounts: [{ user: 'a' }], exports: [] });
      writeFileSync(file, JSON.stringify({ mode: 'production', accounts: [] }));
      assert.equal((await fetch(`${portal.url}/demo-accounts.json`)).status, 404);
    } finally {
      delete env.PORTAL_DEMO_ACCOUNTS;
      rmSync(file, { force: true });
    }
  });

  it('runs from its environment (PORT, HOST, PORTAL_GATEWAY_<ORG>, PORTAL_DIST) and stops on SIGTERM', async () => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'server.ts')], {
      cwd: HERE,
      env: {
        PATH: process.env.PATH,
        PORT: '0',
        HOST: '127.0.0.1',
        PORTAL_DIST: dist,
        PORTAL_GATEWAY_ECX: gateway.url,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      // The last org's line closes the start-up output.
      await until('the server to listen', () => /\/gw\/customs → /.test(out), 20_000);
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
      assert.match(out, /\/gw\/ecx → http:\/\/127\.0\.0\.1:\d+/);
      // The default target: the gateway's port over HTTPS.
      assert.match(out, /\/gw\/ecta → https:\/\/127\.0\.0\.1:3003/);
      assert.equal(await (await fetch(`${url}/exports/EXP-1`)).text(), INDEX);
      const res = await fetch(`${url}/gw/ecx/api/v1/health`);
      assert.equal(res.status, 201);
      assert.equal(gateway.seen.at(-1)?.url, '/api/v1/health');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, out);
  });
});
