/**
 * The portal server over HTTPS: it answers with its certificate and the security headers (HSTS, nosniff, CSP),
 * a plain-HTTP request to its port gets no answer, and its /gw proxy reaches an https gateway only when the
 * gateway's certificate chains to the CA bundle it was given (else 502, nothing forwarded).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startPortalServer, type StartedPortal } from './server';

const dir = mkdtempSync(join(tmpdir(), 'portal-tls-'));
const INDEX = '<!doctype html><title>portal</title>';

const openssl = (...args: string[]): void => {
  execFileSync('openssl', args, { stdio: 'pipe' });
};
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];

/** A CA (self-signed) and a server certificate it issues for 127.0.0.1. */
function ca(name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  openssl('req', '-x509', ...EC, '-keyout', key, '-out', cert, '-subj', `/CN=${name}`);
  return { cert, key };
}
function leaf(issuer: { cert: string; key: string }, name: string): { cert: Buffer; key: Buffer } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  openssl(
    'req',
    '-x509',
    '-CA',
    issuer.cert,
    '-CAkey',
    issuer.key,
    ...EC,
    '-keyout',
    key,
    '-out',
    cert,
    '-subj',
    `/CN=${name}`,
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  );
  return { cert: readFileSync(cert), key: readFileSync(key) };
}

/** GET over TLS trusting `caPem` only; status, headers and body. */
function get(
  url: string,
  caPem: Buffer,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca: caPem }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('portal server over HTTPS', () => {
  let portal: StartedPortal;
  let trusted: Server;
  let untrusted: Server;
  let bundle: Buffer;
  const seen: string[] = [];

  before(async () => {
    const devCa = ca('dev-ca');
    const orgCa = ca('org-ca');
    const strangerCa = ca('stranger-ca');
    bundle = Buffer.concat([readFileSync(devCa.cert), readFileSync(orgCa.cert)]);
    const answer = (name: string) => (req: { url?: string }, res: import('node:http').ServerResponse) => {
      seen.push(`${name} ${req.url ?? ''}`);
      res.setHeader('Content-Type', 'application/json');
      res.end('{"status":"ok"}');
    };
    trusted = createServer(leaf(orgCa, 'gateway-ecta'), answer('ecta'));
    untrusted = createServer(leaf(strangerCa, 'gateway-ecx'), answer('ecx'));
    const dist = join(dir, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), INDEX);
    portal = await startPortalServer({
      dist,
      gateways: { ecta: await listen(trusted), ecx: await listen(untrusted) },
      port: 0,
      tls: leaf(devCa, 'portal'),
      gatewayCa: bundle,
      log: () => undefined,
    });
  });

  after(async () => {
    await portal?.close();
    trusted?.close();
    untrusted?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves pages over HTTPS with HSTS, nosniff, no framing and the CSP', async () => {
    assert.match(portal.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await get(`${portal.url}/exports/EXP-1`, bundle);
    assert.equal(res.status, 200);
    assert.equal(res.body, INDEX);
    assert.match(String(res.headers['strict-transport-security']), /^max-age=31536000; includeSubDomains/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.match(String(res.headers['content-security-policy']), /default-src 'self'.*script-src 'self'/);
    assert.doesNotMatch(String(res.headers['content-security-policy']), /unsafe-inline/);
  });

  it('a client that does not trust the development CA refuses the portal', async () => {
    await assert.rejects(get(`${portal.url}/`, readFileSync(join(dir, 'stranger-ca.crt'))), /certificate/i);
  });

  it('plain HTTP on the portal port gets no HTTP answer', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest(`${portal.url.replace('https:', 'http:')}/`, (res) =>
        resolve(`answered ${res.statusCode}`),
      );
      req.on('error', (e: NodeJS.ErrnoException) => resolve(`refused: ${e.code ?? e.message}`));
      req.end();
    });
    assert.match(outcome, /^refused: /);
  });

  it('proxies to an https gateway whose certificate chains to the bundle, and not to one that does not', async () => {
    const ok = await get(`${portal.url}/gw/ecta/health`, bundle);
    assert.equal(ok.status, 200);
    assert.equal(ok.body, '{"status":"ok"}');
    assert.ok(seen.includes('ecta /health'));
    const refused = await get(`${portal.url}/gw/ecx/health`, bundle);
    assert.equal(refused.status, 502);
    assert.match(refused.body, /GATEWAY_UNREACHABLE/);
    assert.ok(!seen.some((s) => s.startsWith('ecx')), 'nothing reached the untrusted gateway');
  });
});
