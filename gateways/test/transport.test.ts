/**
 * transport.ts: the gateway speaks HTTPS with its configured certificate, refuses plain HTTP on that port, and
 * puts the security headers on every answer; production refuses to start without a certificate, and a broken
 * pair is named at start-up.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { ConfigError, loadConfig } from '../src/config.ts';
import { createGatewayServer, readTlsIdentity, securityHeaders, type TlsIdentity } from '../src/transport.ts';
import { tlsFetch } from '../src/tls-fetch.ts';

const dir = mkdtempSync(join(tmpdir(), 'gateway-tls-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const openssl = (...args: string[]): void => {
  execFileSync('openssl', args, { stdio: 'pipe' });
};

/** A CA and a server certificate it issued for 127.0.0.1 (and a second, unrelated CA). */
function issue(): { ca: string; otherCa: string; cert: string; key: string; otherKey: string } {
  const p = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const name of ['ca', 'other-ca']) {
    openssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      p(`${name}.key`),
      '-out',
      p(`${name}.crt`),
      '-days',
      '2',
      '-subj',
      `/CN=test ${name}`,
    );
  }
  openssl(
    'req',
    '-x509',
    '-CA',
    p('ca.crt'),
    '-CAkey',
    p('ca.key'),
    ...ec,
    '-keyout',
    p('server.key'),
    '-out',
    p('server.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=gateway.test',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  );
  return {
    ca: p('ca.crt'),
    otherCa: p('other-ca.crt'),
    cert: p('server.crt'),
    key: p('server.key'),
    otherKey: p('other-ca.key'),
  };
}

describe('gateway transport (TLS and security headers)', () => {
  let files: ReturnType<typeof issue>;
  let tls: TlsIdentity;
  let server: Server;
  let port = 0;

  before(async () => {
    files = issue();
    const read = readTlsIdentity(files.cert, files.key);
    assert.deepEqual(read.problems, []);
    tls = read.identity!;
    const app = express();
    app.use(securityHeaders());
    app.get('/health', (_req, res) => {
      res.json({ status: 'ok' });
    });
    server = createGatewayServer(app, tls);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });

  after(() => {
    server?.closeAllConnections();
    server?.close();
  });

  it('a pair that does not match, a file that is no certificate, a missing file: each named', () => {
    assert.match(
      readTlsIdentity(files.cert, files.otherKey).problems.join(),
      /TLS_KEY_FILE: .* is not the key of/,
    );
    assert.match(
      readTlsIdentity(files.key, files.key).problems.join(),
      /TLS_CERT_FILE: .* is not a PEM certificate/,
    );
    assert.match(
      readTlsIdentity(join(dir, 'nope.crt'), files.key).problems.join(),
      /TLS_CERT_FILE: cannot read/,
    );
  });

  it('production refuses to start without a certificate; half a pair is named; a pair is loaded', () => {
    const secretsDir = join(dir, 'secrets');
    const base = {
      ORG: 'ecta',
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/x',
      IPFS_API_URL: 'http://127.0.0.1:7330',
      PEER_ENDPOINT: '127.0.0.1:7301',
      PEER_TLS_CA_FILE: files.ca,
      CA_URL: 'https://127.0.0.1:7304',
      CA_TLS_CA_FILE: files.ca,
      ORG_ADMIN_ENROLLMENT_ID: 'a',
      ORG_ADMIN_ENROLLMENT_SECRET: 'b',
      SECRETS_DIR: secretsDir,
    };
    const problems = (env: Record<string, string>): string => {
      try {
        loadConfig(env);
        return '';
      } catch (e: unknown) {
        assert.ok(e instanceof ConfigError, String(e));
        return e.message;
      }
    };
    assert.match(
      problems({ ...base, NODE_ENV: 'production' }),
      /TLS_CERT_FILE and TLS_KEY_FILE are required in production/,
    );
    assert.match(
      problems({ ...base, TLS_CERT_FILE: files.cert }),
      /TLS_KEY_FILE is required with TLS_CERT_FILE/,
    );
    assert.match(
      problems({ ...base, TLS_CERT_FILE: files.cert, TLS_KEY_FILE: files.otherKey }),
      /is not the key of/,
    );
    const config = loadConfig({ ...base, TLS_CERT_FILE: files.cert, TLS_KEY_FILE: files.key });
    assert.ok(config.tls, 'the certificate is loaded');
    assert.equal(loadConfig(base).tls, undefined, 'development without a pair: plain HTTP');
  });

  it('answers over HTTPS with a chain to its CA, and a client trusting another CA refuses it', async () => {
    const res = await tlsFetch(`https://127.0.0.1:${port}/health`, {}, writeBundle([files.ca]));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
    await assert.rejects(
      tlsFetch(`https://127.0.0.1:${port}/health`, {}, writeBundle([files.otherCa])),
      /self.signed|unable to (get|verify)|certificate/i,
    );
  });

  it('security headers: HSTS, nosniff, no framing, no referrer, a CSP that allows nothing', async () => {
    const res = await tlsFetch(`https://127.0.0.1:${port}/health`, {}, writeBundle([files.ca]));
    assert.match(res.headers.get('strict-transport-security') ?? '', /max-age=31536000; includeSubDomains/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
  });

  it('plain HTTP on the TLS port gets no HTTP answer', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/health', timeout: 5000 }, (res) =>
        resolve(`answered ${res.statusCode}`),
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(`refused: ${e.code ?? e.message}`));
      req.end();
    });
    assert.match(outcome, /^refused: /);
  });
});

/** The CA bundle a client trusts: these CA files, concatenated. */
function writeBundle(caFiles: string[]): Buffer {
  return Buffer.concat(caFiles.map((f) => readFileSync(f)));
}
