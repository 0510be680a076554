/**
 * Accounts and sessions, unit level (refusals first): token key ids and the signing key ring with its rotation,
 * revoked tokens, the per-account lockout, the client address behind the portal, password rehashing and the
 * password policy. The real stack: accounts.integration.test.ts.
 */
import assert from 'node:assert/strict';
import { createPublicKey, randomUUID, scrypt as scryptCb } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Request } from 'express';
import jwt from 'jsonwebtoken';
import type pg from 'pg';
import { clientAddress, proxySecretMatches } from '../src/auth/client-ip.ts';
import { DirectoryKeyring, jwkThumbprint, rotateSigningKey, StaticKeyring } from '../src/auth/keyring.ts';
import { assertPasswordPolicy, passwordProblems } from '../src/auth/password-policy.ts';
import { DUMMY_HASH, hashPassword, needsRehash, verifyPassword } from '../src/auth/passwords.ts';
import { Revocations } from '../src/auth/revocation.ts';
import { signAccessToken, verifyAccessToken, type TokenKeys } from '../src/auth/tokens.ts';
import { AppError } from '../src/errors.ts';
import { authenticate } from '../src/routes/http.ts';
import {
  AccountLockedError,
  Lockout,
  lockSeconds,
  type AttemptState,
  type AttemptStore,
} from '../src/services/lockout.ts';
import type { UserRow, UserService } from '../src/services/users.ts';
import { rsaPair, testConfig, unreachableApp } from './helpers.ts';

const ISSUER = 'urn:coffee-export:gateway:ecta';
const claims = {
  sub: '3b0f0d28-1aa5-486d-b4ad-32d2516a308f',
  username: 'alice',
  role: 'ecta_officer',
  org: 'ecta',
  mspId: 'ECTAMSP',
};
const kidOf = (token: string): unknown =>
  (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid?: unknown }).kid;

function refusedWith(f: () => unknown, status: number, code: string): AppError {
  try {
    f();
  } catch (e: unknown) {
    assert.ok(e instanceof AppError, String(e));
    assert.equal(e.status, status);
    assert.equal(e.code, code);
    return e;
  }
  assert.fail('accepted');
}

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'coffee-keyring-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('token key ids', () => {
  const pair = rsaPair();
  const keys: TokenKeys = { ...pair, issuer: ISSUER, accessTtlSeconds: 900 };
  const kid = jwkThumbprint(createPublicKey(pair.publicKey));

  it('refuses a token without a kid, though signed with the right key', () => {
    const token = jwt.sign(claims, pair.privateKey, {
      algorithm: 'RS256',
      issuer: ISSUER,
      audience: ISSUER,
      jwtid: randomUUID(),
      expiresIn: 60,
    });
    refusedWith(() => verifyAccessToken(keys, token), 401, 'INVALID_TOKEN');
  });

  it('refuses a token naming an unknown kid, though signed with the right key', () => {
    const token = jwt.sign(claims, pair.privateKey, {
      algorithm: 'RS256',
      issuer: ISSUER,
      audience: ISSUER,
      jwtid: randomUUID(),
      keyid: 'x'.repeat(43),
      expiresIn: 60,
    });
    refusedWith(() => verifyAccessToken(keys, token), 401, 'INVALID_TOKEN');
  });

  it('refuses a token without a jti', () => {
    const token = jwt.sign(claims, pair.privateKey, {
      algorithm: 'RS256',
      issuer: ISSUER,
      audience: ISSUER,
      keyid: kid,
      expiresIn: 60,
    });
    refusedWith(() => verifyAccessToken(keys, token), 401, 'INVALID_TOKEN');
  });

  it('names the key by its RFC 7638 thumbprint (the RFC example key)', () => {
    const rfcExample = createPublicKey({
      key: {
        kty: 'RSA',
        e: 'AQAB',
        n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      },
      format: 'jwk',
    });
    assert.equal(jwkThumbprint(rfcExample), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('signs with kid and a fresh jti each time; the JWKS has the key as RS256 use=sig', () => {
    const a = signAccessToken(keys, claims);
    const b = signAccessToken(keys, claims);
    assert.equal(kidOf(a), kid);
    assert.notEqual(verifyAccessToken(keys, a).jti, verifyAccessToken(keys, b).jti);
    const jwks = new StaticKeyring(pair.privateKey, pair.publicKey).jwks();
    assert.equal(jwks.keys.length, 1);
    assert.deepEqual(
      { kid: jwks.keys[0]!.kid, use: jwks.keys[0]!.use, alg: jwks.keys[0]!.alg, kty: jwks.keys[0]!.kty },
      { kid, use: 'sig', alg: 'RS256', kty: 'RSA' },
    );
  });
});

describe('GET /.well-known/jwks.json', () => {
  it('lists the public key by kid, without any private member', async () => {
    const config = testConfig('ecta');
    const app = unreachableApp(config);
    const base = await app.start();
    try {
      const res = await fetch(`${base}/.well-known/jwks.json`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { keys: Record<string, unknown>[] };
      assert.deepEqual(
        body.keys.map((k) => k.kid),
        [jwkThumbprint(createPublicKey(config.jwt.publicKey))],
      );
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(body.keys[0]![member], undefined);
    } finally {
      await app.stop();
    }
  });
});

describe('signing key ring and rotation', () => {
  it('a rotation: new tokens carry the new kid, the old token still verifies, the JWKS lists both', () => {
    const dir = tempDir();
    const seed = rsaPair();
    const ring = DirectoryKeyring.open(dir, { accessTtlSeconds: 900, seed });
    const keys: TokenKeys = { keyring: ring, issuer: ISSUER, accessTtlSeconds: 900 };
    const before = signAccessToken(keys, claims);
    const oldKid = jwkThumbprint(createPublicKey(seed.publicKey));
    assert.equal(kidOf(before), oldKid, 'the seed pair is the first key');

    // Another process (the CLI) rotates; this ring notices before its next signature, without a restart.
    const r = rotateSigningKey(dir, 900);
    assert.equal(r.previous, oldKid);
    const after = signAccessToken(keys, claims);
    assert.equal(kidOf(after), r.current);
    assert.notEqual(r.current, oldKid);
    assert.equal(verifyAccessToken(keys, before).sub, claims.sub, 'the old token keeps working');
    assert.equal(verifyAccessToken(keys, after).sub, claims.sub);
    assert.deepEqual(
      ring
        .jwks()
        .keys.map((k) => k.kid)
        .sort(),
      [oldKid, r.current].sort(),
    );

    // A second gateway process opening the ring sees both too.
    const other = DirectoryKeyring.open(dir, { accessTtlSeconds: 900 });
    assert.ok(other.verificationKey(oldKid));
  });

  it("a retired key past its tokens' lifetime is dropped: refused, out of the JWKS, its files deleted", () => {
    const dir = tempDir();
    const ring = DirectoryKeyring.open(dir, { accessTtlSeconds: 900, seed: rsaPair() });
    const keys: TokenKeys = { keyring: ring, issuer: ISSUER, accessTtlSeconds: 900 };
    const old = signAccessToken(keys, claims);
    const oldKid = kidOf(old) as string;
    const hourAgo = new Date(Date.now() - 3600_000);
    // Rotated an hour ago (TTL 15 min): the old key stopped verifying 44 minutes ago.
    const first = rotateSigningKey(dir, 900, hourAgo);
    assert.deepEqual(
      ring.jwks().keys.map((k) => k.kid),
      [first.current],
    );
    refusedWith(() => verifyAccessToken(keys, old), 401, 'INVALID_TOKEN');
    const second = rotateSigningKey(dir, 900);
    assert.deepEqual(second.dropped, [oldKid]);
    assert.ok(!readdirSync(dir).some((f) => f.startsWith(oldKid)), 'the dropped key files are gone');
  });
});

/** A pg.Pool stand-in for the revocation table (INSERT, SELECT since a seq, DELETE of expired rows). */
function fakeRevocationPool(): pg.Pool {
  const rows: { jti: string; exp: number; seq: number }[] = [];
  return {
    query: (sql: string, params: unknown[] = []) => {
      if (sql.startsWith('INSERT')) {
        const [jti, , exp] = params as [string, string, number];
        if (!rows.some((r) => r.jti === jti)) rows.push({ jti, exp: exp * 1000, seq: rows.length + 1 });
        return Promise.resolve({ rows: [], rowCount: 1 });
      }
      if (sql.includes('SELECT')) {
        const since = Number(params[0]);
        const found = rows
          .filter((r) => r.seq > since && r.exp > Date.now())
          .map((r) => ({ jti: r.jti, exp_ms: String(r.exp), seq: String(r.seq) }));
        return Promise.resolve({ rows: found, rowCount: found.length });
      }
      return Promise.resolve({ rows: [], rowCount: 0 });
    },
  } as unknown as pg.Pool;
}

describe('revoked access tokens', () => {
  const pair = rsaPair();
  const keys: TokenKeys = { ...pair, issuer: ISSUER, accessTtlSeconds: 900 };
  const row = {
    id: claims.sub,
    username: 'alice',
    role: 'ecta_officer',
    status: 'ACTIVE',
    token_generation: 0,
  };
  const users = { byId: () => Promise.resolve(row as UserRow) } as unknown as UserService;
  const requestFor = (token: string): Request =>
    ({ headers: { authorization: `Bearer ${token}` }, id: 'r' }) as unknown as Request;

  it('refuses a revoked jti at once, and only that token', async () => {
    const revocations = new Revocations(fakeRevocationPool());
    const auth = authenticate(keys, users, revocations);
    const revoked = signAccessToken(keys, { ...claims, gen: 0 });
    const other = signAccessToken(keys, { ...claims, gen: 0 });
    const caller = await auth(requestFor(revoked));
    assert.ok(caller.token, 'the caller carries its token id for logout');
    await revocations.revoke(caller.token.jti, caller.userId, caller.token.exp);
    await assert.rejects(auth(requestFor(revoked)), (e: unknown) => {
      assert.ok(e instanceof AppError);
      assert.deepEqual([e.status, e.code], [401, 'TOKEN_REVOKED']);
      return true;
    });
    assert.equal((await auth(requestFor(other))).userId, claims.sub);
  });

  it('a second process sharing the database loads the revocation', async () => {
    const pool = fakeRevocationPool();
    const jti = randomUUID();
    await new Revocations(pool).revoke(jti, claims.sub, Math.floor(Date.now() / 1000) + 600);
    assert.equal(await new Revocations(pool).isRevoked(jti), true);
    assert.equal(await new Revocations(pool).isRevoked(randomUUID()), false);
  });

  it("refuses a token of an older generation (the user's password changed since)", async () => {
    const auth = authenticate(keys, users, new Revocations(fakeRevocationPool()));
    const old = signAccessToken(keys, { ...claims, gen: 0 });
    row.token_generation = 1;
    try {
      await assert.rejects(auth(requestFor(old)), /password changed/);
      // A token without a generation is not a way around it.
      await assert.rejects(auth(requestFor(signAccessToken(keys, claims))), /password changed/);
      assert.equal((await auth(requestFor(signAccessToken(keys, { ...claims, gen: 1 })))).userId, claims.sub);
    } finally {
      row.token_generation = 0;
    }
  });
});

class MemoryStore implements AttemptStore {
  readonly rows = new Map<string, AttemptState>();
  constructor(readonly now: () => number) {}
  get(key: string): Promise<AttemptState | undefined> {
    return Promise.resolve(this.rows.get(key));
  }
  fail(key: string, lockFor: (failures: number) => number): Promise<AttemptState> {
    const failures = (this.rows.get(key)?.failures ?? 0) + 1;
    const seconds = lockFor(failures);
    const state = { failures, ...(seconds > 0 ? { lockedUntil: this.now() + seconds * 1000 } : {}) };
    this.rows.set(key, state);
    return Promise.resolve(state);
  }
  clear(key: string): Promise<boolean> {
    return Promise.resolve(this.rows.delete(key));
  }
}

describe('per-account lockout', () => {
  const policy = { threshold: 5, baseSeconds: 30, maxSeconds: 900 };

  it('locks at the 5th failure with a 423 and Retry-After, doubling per further failure up to the cap', async () => {
    let now = 1_000_000;
    const lockout = new Lockout(new MemoryStore(() => now), policy, () => now);
    for (let i = 1; i <= 4; i++) {
      assert.equal((await lockout.failed('Alice')).lockedUntil, undefined, `failure ${i} does not lock`);
      await lockout.assertOpen('alice');
    }
    await lockout.failed('alice');
    const locked = await lockout.assertOpen('ALICE').then(
      () => assert.fail('not locked'),
      (e: unknown) => e,
    );
    assert.ok(locked instanceof AccountLockedError);
    assert.equal(locked.status, 423);
    assert.equal(locked.code, 'ACCOUNT_LOCKED');
    assert.equal(locked.retryAfterSeconds, 30);
    now += 31_000;
    await lockout.assertOpen('alice');
    assert.equal((await lockout.failed('alice')).lockedUntil, now + 60_000, 'the 6th failure: 60 s');
    assert.deepEqual(
      [5, 6, 7, 8, 9, 10, 20].map((n) => lockSeconds(policy, n)),
      [30, 60, 120, 240, 480, 900, 900],
    );
    assert.equal(lockSeconds(policy, 4), 0);
  });

  it('another account is untouched; a success clears the count; the admin unlock clears a lock', async () => {
    const now = 5_000_000;
    const lockout = new Lockout(new MemoryStore(() => now), policy, () => now);
    for (let i = 0; i < 6; i++) await lockout.failed('mallory-target');
    await assert.rejects(lockout.assertOpen('mallory-target'), AccountLockedError);
    await lockout.assertOpen('bob');
    assert.equal(await lockout.unlock('mallory-target'), true);
    await lockout.assertOpen('mallory-target');
    assert.equal(await lockout.unlock('mallory-target'), false, 'nothing left to unlock');
    for (let i = 0; i < 4; i++) await lockout.failed('carol');
    await lockout.succeeded('carol');
    assert.equal((await lockout.failed('carol')).failures, 1, 'counting starts again after a success');
  });
});

describe('client address behind the portal', () => {
  const SECRET = 'portal-secret-0123456789abcdef';
  const req = (headers: Record<string, string | string[]>): Pick<Request, 'headers' | 'socket'> =>
    ({ headers, socket: { remoteAddress: '127.0.0.1' } }) as unknown as Pick<Request, 'headers' | 'socket'>;

  it('ignores X-Forwarded-For without the proxy secret', () => {
    assert.equal(clientAddress(req({ 'x-forwarded-for': '203.0.113.7' }), SECRET), '127.0.0.1');
  });

  it('ignores X-Forwarded-For with a wrong proxy secret (or one of another length)', () => {
    for (const wrong of ['portal-secret-0123456789abcdeX', 'x', SECRET + 'x', ''])
      assert.equal(
        clientAddress(req({ 'x-forwarded-for': '203.0.113.7', 'x-portal-proxy-secret': wrong }), SECRET),
        '127.0.0.1',
        wrong,
      );
  });

  it('ignores X-Forwarded-For when no secret is configured, whatever is sent', () => {
    assert.equal(
      clientAddress(
        req({ 'x-forwarded-for': '203.0.113.7', 'x-portal-proxy-secret': 'anything' }),
        undefined,
      ),
      '127.0.0.1',
    );
    assert.equal(proxySecretMatches(undefined, ''), false);
  });

  it("with the right secret: the last X-Forwarded-For entry (the portal's), if it is an address", () => {
    const ok = { 'x-portal-proxy-secret': SECRET };
    assert.equal(clientAddress(req({ ...ok, 'x-forwarded-for': '203.0.113.7' }), SECRET), '203.0.113.7');
    assert.equal(
      clientAddress(req({ ...ok, 'x-forwarded-for': '10.9.9.9, 198.51.100.4' }), SECRET),
      '198.51.100.4',
    );
    assert.equal(clientAddress(req({ ...ok, 'x-forwarded-for': 'not-an-ip' }), SECRET), '127.0.0.1');
  });
});

describe('password hashing (scrypt N=2^17) and rehash', () => {
  const oldHash = (password: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const salt = Buffer.from('0123456789abcdef');
      scryptCb(password, salt, 32, { N: 16384, r: 8, p: 1 }, (e, key) =>
        e ? reject(e) : resolve(`scrypt$16384$8$1$${salt.toString('base64')}$${key.toString('base64')}`),
      );
    });

  it('an N=2^14 hash still verifies and is marked for rehash; a new hash is N=2^17 and is not', async () => {
    const old = await oldHash('a long enough passphrase');
    assert.equal(needsRehash(old), true);
    assert.equal(await verifyPassword('a long enough passphrase', old), true);
    assert.equal(await verifyPassword('a long enough passphrasE', old), false);
    const fresh = await hashPassword('a long enough passphrase');
    assert.match(fresh, /^scrypt\$131072\$8\$1\$/);
    assert.equal(needsRehash(fresh), false);
    assert.equal(await verifyPassword('a long enough passphrase', fresh), true);
  });

  it('the dummy hash costs the same as a real one; a corrupt hash verifies nothing', async () => {
    assert.match(DUMMY_HASH, /^scrypt\$131072\$8\$1\$/);
    assert.equal(await verifyPassword('x', DUMMY_HASH), false);
    assert.equal(await verifyPassword('x', 'scrypt$1073741824$8$1$AAAA$AAAA'), false);
    assert.equal(needsRehash('garbage'), true);
  });
});

describe('password policy', () => {
  it('lists every rule a password breaks', () => {
    assert.deepEqual(passwordProblems('short', 'alice'), ['it must have at least 12 characters']);
    assert.deepEqual(passwordProblems('Password2024!', 'alice'), ['it is a well-known weak password']);
    assert.deepEqual(passwordProblems('123456789012', 'bob'), ['it is a well-known weak password']);
    assert.deepEqual(passwordProblems('aaaaaaaaaaaaaaaa', 'bob'), [
      'it must use at least 5 different characters',
    ]);
    assert.deepEqual(passwordProblems('my-ALICE-is-long-enough', 'alice'), [
      'it must not contain the username',
    ]);
    assert.deepEqual(passwordProblems('alice', 'alice'), [
      'it must have at least 12 characters',
      'it must not contain the username',
    ]);
  });

  it('accepts a strong password; the refusal is a 400 naming each rule', () => {
    assert.deepEqual(passwordProblems('tawny-owl-41-under-moon', 'alice'), []);
    assert.deepEqual(passwordProblems(`pw-${'Zx9_q'.repeat(3)}`, 'bob'), []);
    const e = refusedWith(() => assertPasswordPolicy('qwerty', 'bob'), 400, 'VALIDATION_FAILED');
    assert.match(e.message, /at least 12 characters; it is a well-known weak password/);
    assert.equal(e.errors?.length, 2);
  });
});
