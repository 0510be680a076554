/**
 * The portal's proxy proves itself to the gateways (PORTAL_PROXY_SECRET): with a secret it sends it with the
 * browser's address in X-Forwarded-For; a client's own X-Forwarded-For and X-Portal-Proxy-Secret never pass
 * through (a forged address, a guessed secret). Against a stand-in gateway that records the headers it gets.
 *
 *   node --import tsx --test frontend/server/proxy-secret.test.ts
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROXY_SECRET_HEADER, startPortalServer, type StartedPortal } from './server';

const SECRET = 'proxy-secret-for-the-test-0123456789';
let gateway: Server;
let gatewayUrl = '';
const seen: IncomingHttpHeaders[] = [];
const dist = mkdtempSync(join(tmpdir(), 'portal-dist-'));

before(async () => {
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>portal</title>');
  gateway = createServer((req, res) => {
    seen.push(req.headers);
    res.setHeader('content-type', 'application/json');
    res.end('{}');
  });
  await new Promise<void>((done) => gateway.listen(0, '127.0.0.1', done));
  gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
});

after(async () => {
  gateway.closeAllConnections();
  await new Promise<void>((done) => gateway.close(() => done()));
  rmSync(dist, { recursive: true, force: true });
});

/** One request through a portal (with or without a secret) carrying forged headers; the headers the gateway got. */
async function forwarded(proxySecret: string | undefined): Promise<IncomingHttpHeaders> {
  const portal: StartedPortal = await startPortalServer({
    dist,
    gateways: { ecta: gatewayUrl },
    port: 0,
    log: () => undefined,
    ...(proxySecret ? { proxySecret } : {}),
  });
  try {
    seen.length = 0;
    const res = await fetch(`${portal.url}/gw/ecta/api/v1/auth/login`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-forwarded-for': '203.0.113.66',
        [PROXY_SECRET_HEADER]: 'a-guess-at-the-secret',
      },
      body: '{}',
    });
    assert.equal(res.status, 200);
    assert.equal(seen.length, 1);
    return seen[0]!;
  } finally {
    await portal.close();
  }
}

describe('portal proxy secret', () => {
  it('without a secret: neither the forged address nor the guessed secret reaches the gateway', async () => {
    const h = await forwarded(undefined);
    assert.equal(h[PROXY_SECRET_HEADER], undefined);
    assert.equal(h['x-forwarded-for'], undefined);
  });

  it("with a secret: the gateway gets it and the browser's own address, not the forged one", async () => {
    const h = await forwarded(SECRET);
    assert.equal(h[PROXY_SECRET_HEADER], SECRET);
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
  });
});
