/**
 * web-tls.ts and tlsFetch: the development CA and the portal's certificate are made once per run directory and
 * kept across restarts; a client trusting the development CA reaches a server with that certificate, one with
 * only Node's default roots is refused; the SPKI hash chromium pins is the certificate's key's.
 */
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tlsFetch } from '../src/nodes/https.ts';
import { ensureDevCa, portalTlsFiles, spkiSha256, webTlsPaths } from '../src/web-tls.ts';

const saved = process.env.COFFEE_RUN_DIR;
const dir = mkdtempSync(join(tmpdir(), 'web-tls-'));

describe('development TLS for the portal', () => {
  let server: Server;
  let url = '';

  before(async () => {
    process.env.COFFEE_RUN_DIR = dir;
    const files = await portalTlsFiles();
    server = createServer(
      { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) },
      (_req, res) => res.end('ok'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  after(() => {
    server?.close();
    if (saved === undefined) delete process.env.COFFEE_RUN_DIR;
    else process.env.COFFEE_RUN_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('the development CA is a CA, its key private, and both are kept across restarts', async () => {
    const ca = new X509Certificate(readFileSync(webTlsPaths.devCaCert));
    assert.ok(ca.ca, 'basicConstraints CA:TRUE');
    assert.match(ca.subject, /CN=Coffee Export development CA/);
    assert.equal(statSync(webTlsPaths.devCaKey).mode & 0o077, 0, 'the CA key is readable by its owner only');
    const before = readFileSync(webTlsPaths.devCaCert, 'utf8');
    const portalBefore = readFileSync((await portalTlsFiles()).certFile, 'utf8');
    await ensureDevCa();
    assert.equal(readFileSync(webTlsPaths.devCaCert, 'utf8'), before);
    assert.equal(readFileSync((await portalTlsFiles()).certFile, 'utf8'), portalBefore);
    const portal = new X509Certificate(portalBefore);
    assert.ok(portal.verify(ca.publicKey), 'the portal certificate is signed by the development CA');
    assert.match(portal.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
  });

  it('tlsFetch trusting the development CA reaches the portal; with default roots it is refused', async () => {
    const res = await tlsFetch(url, {}, readFileSync(webTlsPaths.devCaCert));
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok');
    await assert.rejects(tlsFetch(url), /certificate|self.signed|issuer/i);
  });

  it('the SPKI hash is what openssl computes for the certificate’s public key (chromium’s pin)', async () => {
    const certFile = (await portalTlsFiles()).certFile;
    // Independently of node:crypto: openssl extracts the key as DER, hashes it, base64.
    const byOpenssl = execSync(
      `openssl x509 -in '${certFile}' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`,
    )
      .toString()
      .trim();
    assert.equal(spkiSha256(certFile), byOpenssl);
    assert.notEqual(spkiSha256(webTlsPaths.devCaCert), byOpenssl, 'the CA has another key');
  });
});
