/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return -- HTTP response bodies are untyped JSON here */
/**
 * Accounts and sessions on the real stack (issue 10), at the ECTA gateway:
 * - a signing-key rotation (the launcher's `gateways rotate-signing-key`) while a user is logged in: their access
 *   token keeps working, the JWKS lists both kids, and the tokens issued after it (login and refresh) carry the
 *   new kid and verify against the JWKS;
 * - after logout, and after a password change (the user's own, and an admin's reset), the access token fails at
 *   once (401), refresh tokens too;
 * - through the PORTAL's proxy (a portal server started here, with the launcher's proxy secret, so every user
 *   comes from the same address): bad passwords lock one account (423 with Retry-After), while another account
 *   behind the same proxy address logs in and refreshes its token; the org admin's unlock lets the first back in.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import jwt from 'jsonwebtoken';
import pg from 'pg';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.env.COFFEE_RUN_DIR ??= join(REPO, '.run', 'test');
process.env.COFFEE_PORT_OFFSET ??= '20000';

const {
  TEST_GATEWAY_ENV,
  adminOf,
  bringUp,
  endpoints,
  expectStatus,
  gatewaySettings,
  gatewayUrl,
  http,
  launcher,
  org,
  startGateway,
  stopGateway,
} = await import('./support/stack.ts');

const ECTA = org('ecta');
/**
 * ECTA runs this file with a tight login limit: 7 logins per (username, address) and minute — what the locked
 * account needs here (5 bad, 1 refused while locked, 1 after the unlock). A limit keyed by the address alone (as
 * before) would refuse the other account's login or refresh behind the same proxy address, and this file fails.
 */
const ECTA_SETTINGS = { ...TEST_GATEWAY_ENV, LOGIN_RATE_LIMIT_MAX: '7' };
const RUN = randomBytes(3).toString('hex');
const password = (): string => `pw-${randomBytes(12).toString('base64url')}`;

const kidOf = (token: string): string =>
  (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

/** The gateway's JWKS (only RS256 signature keys). */
async function jwks(): Promise<
  { kid: string; kty: string; use: string; alg: string; n: string; e: string }[]
> {
  const r = await http(ECTA, 'GET', '/.well-known/jwks.json');
  expectStatus(r, 200, 'GET /.well-known/jwks.json');
  return r.body.keys;
}

/** Verifies a token against the key the JWKS lists under its kid (as a relying party would). */
async function verifiesAgainstJwks(token: string): Promise<void> {
  const key = (await jwks()).find((k) => k.kid === kidOf(token));
  assert.ok(key, `the JWKS lists ${kidOf(token)}`);
  jwt.verify(token, createPublicKey({ key, format: 'jwk' }), { algorithms: ['RS256'] });
}

interface Account {
  id: string;
  username: string;
  password: string;
}

/** A user created by the ECTA admin (the gateway's API), with its password. */
async function account(adminToken: string, name: string, role = 'ecta_officer'): Promise<Account> {
  const username = `${name}-${RUN}`;
  const pw = password();
  const r = await http(ECTA, 'POST', '/api/v1/users', {
    token: adminToken,
    body: { username, password: pw, role },
  });
  expectStatus(r, 201, `create ${username}`);
  return { id: r.body.id, username, password: pw };
}

async function loginPair(a: Account): Promise<{ accessToken: string; refreshToken: string }> {
  const r = await http(ECTA, 'POST', '/api/v1/auth/login', {
    body: { username: a.username, password: a.password },
  });
  expectStatus(r, 200, `login ${a.username}`);
  return r.body;
}

const me = (token: string): ReturnType<typeof http> => http(ECTA, 'GET', '/api/v1/auth/me', { token });

/** A portal server (frontend/server/server.ts) in front of the ECTA gateway, with the launcher's proxy secret. */
class Portal {
  #child?: ChildProcess;
  #dist = mkdtempSync(join(tmpdir(), `portal-${RUN}-`));
  url = '';

  async start(): Promise<void> {
    writeFileSync(join(this.#dist, 'index.html'), '<!doctype html><title>portal</title>');
    const secret = gatewaySettings(ECTA).PORTAL_PROXY_SECRET;
    assert.ok(secret, 'the launcher gave the gateway a portal proxy secret');
    const caFile = (endpoints() as { caFile?: string }).caFile;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO, 'frontend', 'server', 'server.ts')],
      {
        cwd: join(REPO, 'frontend'),
        // Secrets by environment, never on a command line. No TLS files: this portal speaks HTTP on loopback.
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          HOST: '127.0.0.1',
          PORT: '0',
          PORTAL_DIST: this.#dist,
          PORTAL_GATEWAY_ECTA: gatewayUrl(ECTA),
          PORTAL_PROXY_SECRET: secret,
          ...(caFile && existsSync(caFile) ? { PORTAL_GATEWAY_CA_FILE: caFile } : {}),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.#child = child;
    let out = '';
    this.url = await new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error(`the portal did not start:\n${out}`)), 30_000);
      const onData = (d: Buffer): void => {
        out += d.toString();
        const m = /listening on (\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolveUrl(m[1]!);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.once('exit', (code) => reject(new Error(`the portal exited (${code}):\n${out}`)));
    });
  }

  async call(path: string, body: unknown): Promise<{ status: number; body: any; headers: Headers }> {
    const res = await fetch(`${this.url}/gw/ecta${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.#dist, { recursive: true, force: true });
  }
}

let adminToken = '';
const portal = new Portal();

before(async () => {
  await bringUp();
  await stopGateway(ECTA);
  await startGateway(ECTA, ECTA_SETTINGS);
  adminToken = (await adminOf(ECTA)).token;
  await portal.start();
});

after(async () => {
  await portal.stop();
  // The next test files expect the usual settings (`gateways up` keeps a running gateway as it is).
  await stopGateway(ECTA);
  await startGateway(ECTA, TEST_GATEWAY_ENV);
});

describe('accounts and sessions (real stack)', () => {
  it('a signing-key rotation keeps a logged-in user logged in; new tokens carry the new kid', async () => {
    const user = await account(adminToken, 'rotation');
    const session = await loginPair(user);
    const oldKid = kidOf(session.accessToken);
    assert.ok((await jwks()).some((k) => k.kid === oldKid && k.use === 'sig' && k.alg === 'RS256'));
    await verifiesAgainstJwks(session.accessToken);

    const out = await launcher(['gateways', 'rotate-signing-key', ECTA.id]);
    assert.match(out, new RegExp(`ecta: signing key ${oldKid} → `));

    expectStatus(await me(session.accessToken), 200, 'the token issued before the rotation');
    const kids = (await jwks()).map((k) => k.kid);
    assert.ok(kids.includes(oldKid), 'the old key still verifies (its tokens have not expired)');
    const newKids = kids.filter((k) => k !== oldKid);
    assert.equal(newKids.length >= 1, true, `the JWKS lists the new key too: ${kids.join(', ')}`);

    const relogin = await loginPair(user);
    const refreshed = await http(ECTA, 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken: session.refreshToken },
    });
    expectStatus(refreshed, 200, 'refresh after the rotation');
    for (const token of [relogin.accessToken, refreshed.body.accessToken as string]) {
      const kid = kidOf(token);
      assert.notEqual(kid, oldKid, 'signed with the new key');
      assert.ok(newKids.includes(kid));
      await verifiesAgainstJwks(token);
      expectStatus(await me(token), 200, 'a token of the new key');
    }
  });

  it('after logout the access token fails at once, and its refresh token too', async () => {
    const user = await account(adminToken, 'logout');
    const session = await loginPair(user);
    const other = await loginPair(user);
    expectStatus(await me(session.accessToken), 200, 'before logout');
    const out = await http(ECTA, 'POST', '/api/v1/auth/logout', {
      token: session.accessToken,
      body: { refreshToken: session.refreshToken },
    });
    expectStatus(out, 204, 'logout');
    const r = await me(session.accessToken);
    expectStatus(r, 401, 'the access token right after logout');
    assert.equal(r.body.code, 'TOKEN_REVOKED');
    const refresh = await http(ECTA, 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken: session.refreshToken },
    });
    assert.equal(refresh.status, 401, 'its refresh token');
    expectStatus(await me(other.accessToken), 200, "the user's other session is not logged out");
  });

  it('after a password change every access token of the user fails at once; the policy is applied', async () => {
    const user = await account(adminToken, 'pwchange');
    const session = await loginPair(user);
    const other = await loginPair(user);
    const weak = await http(ECTA, 'POST', '/api/v1/auth/password', {
      token: session.accessToken,
      body: { currentPassword: user.password, newPassword: `Password-${user.username}` },
    });
    expectStatus(weak, 400, 'a new password containing the username');
    assert.match(weak.body.detail, /must not contain the username/);
    const wrong = await http(ECTA, 'POST', '/api/v1/auth/password', {
      token: session.accessToken,
      body: { currentPassword: 'not-the-password', newPassword: password() },
    });
    expectStatus(wrong, 403, 'a wrong current password');
    expectStatus(await me(session.accessToken), 200, 'refusals change nothing');

    const next = password();
    const changed = await http(ECTA, 'POST', '/api/v1/auth/password', {
      token: session.accessToken,
      body: { currentPassword: user.password, newPassword: next },
    });
    expectStatus(changed, 204, 'password change');
    for (const token of [session.accessToken, other.accessToken]) {
      const r = await me(token);
      expectStatus(r, 401, 'an access token issued before the change');
      assert.equal(r.body.code, 'TOKEN_REVOKED');
    }
    const refresh = await http(ECTA, 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken: other.refreshToken },
    });
    assert.equal(refresh.status, 401, 'refresh tokens are revoked too');
    const old = await http(ECTA, 'POST', '/api/v1/auth/login', {
      body: { username: user.username, password: user.password },
    });
    expectStatus(old, 401, 'the old password');
    const fresh = await loginPair({ ...user, password: next });
    expectStatus(await me(fresh.accessToken), 200, 'a token issued after the change');

    // An admin's reset does the same.
    const reset = await http(ECTA, 'PATCH', `/api/v1/users/${user.id}`, {
      token: adminToken,
      body: { password: password() },
    });
    expectStatus(reset, 200, "the admin's password reset");
    expectStatus(await me(fresh.accessToken), 401, 'a token issued before the reset');
  });

  it('a locked account behind the portal does not lock out another account there, nor its refresh; unlock', async () => {
    const victim = await account(adminToken, 'locked');
    const neighbour = await account(adminToken, 'neighbour');
    const bad = { username: victim.username, password: 'wrong-password-1234' };
    // Both come through the same portal, i.e. from the same address as far as the portal's socket goes.
    for (let i = 1; i <= 5; i++) {
      const r = await portal.call('/api/v1/auth/login', bad);
      assert.equal(r.status, 401, `bad password ${i}: ${JSON.stringify(r.body)}`);
    }
    const locked = await portal.call('/api/v1/auth/login', {
      username: victim.username,
      password: victim.password,
    });
    assert.equal(locked.status, 423, `the right password while locked: ${JSON.stringify(locked.body)}`);
    assert.equal(locked.body.code, 'ACCOUNT_LOCKED');
    const retryAfter = Number(locked.headers.get('retry-after'));
    assert.ok(retryAfter > 0 && retryAfter <= 30, `Retry-After ${locked.headers.get('retry-after')}`);

    const n = await portal.call('/api/v1/auth/login', {
      username: neighbour.username,
      password: neighbour.password,
    });
    assert.equal(n.status, 200, `another account behind the same proxy: ${JSON.stringify(n.body)}`);
    const refreshed = await portal.call('/api/v1/auth/refresh', { refreshToken: n.body.refreshToken });
    assert.equal(refreshed.status, 200, `its token refresh: ${JSON.stringify(refreshed.body)}`);

    const notAdmin = await http(ECTA, 'POST', `/api/v1/users/${victim.id}/unlock`, {
      token: n.body.accessToken,
    });
    expectStatus(notAdmin, 403, 'an officer cannot unlock');
    const unlock = await http(ECTA, 'POST', `/api/v1/users/${victim.id}/unlock`, { token: adminToken });
    expectStatus(unlock, 200, "the org admin's unlock");
    assert.deepEqual(unlock.body, { username: victim.username, unlocked: true });
    // Both the lock and the unlock are in the org's audit log.
    const db = new pg.Pool({ connectionString: gatewaySettings(ECTA).DATABASE_URL, max: 1 });
    try {
      const audited = (
        await db.query<{ action: string; username: string | null }>(
          `SELECT action, username FROM audit_log WHERE (action = 'users.unlock' AND target = $1)
             OR (action = 'auth.lockout' AND target = $2) ORDER BY id`,
          [`ECTAMSP::${victim.username}`, victim.username],
        )
      ).rows;
      assert.deepEqual(
        audited.map((r) => r.action),
        ['auth.lockout', 'users.unlock'],
      );
      assert.equal(audited[1]!.username, 'admin', 'the unlock names the admin who did it');
    } finally {
      await db.end();
    }
    const back = await portal.call('/api/v1/auth/login', {
      username: victim.username,
      password: victim.password,
    });
    assert.equal(back.status, 200, `after the unlock: ${JSON.stringify(back.body)}`);
  });
});
