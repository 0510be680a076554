/** Access tokens: only RS256 tokens of this gateway's key, issuer and audience pass. */
import assert from 'node:assert/strict';
import { createHmac, createPublicKey, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import jwt from 'jsonwebtoken';
import { signAccessToken, verifyAccessToken, type TokenKeys } from '../src/auth/tokens.ts';
import { hashPassword, verifyPassword } from '../src/auth/passwords.ts';
import { jwkThumbprint } from '../src/auth/keyring.ts';
import { openKey, sealKey } from '../src/auth/custody.ts';
import { AppError } from '../src/errors.ts';
import { rsaPair } from './helpers.ts';

const ecta = { ...rsaPair(), issuer: 'urn:coffee-export:gateway:ecta', accessTtlSeconds: 900 };
/** The kid of ecta's key (RFC 7638 thumbprint): a forged token names it so that only its flaw is tested. */
const kid = jwkThumbprint(createPublicKey(ecta.publicKey));
const customs: TokenKeys = {
  ...rsaPair(),
  issuer: 'urn:coffee-export:gateway:customs',
  accessTtlSeconds: 900,
};
const claims = {
  sub: '3b0f0d28-1aa5-486d-b4ad-32d2516a308f',
  username: 'alice',
  role: 'ecta_officer',
  org: 'ecta',
  mspId: 'ECTAMSP',
};

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);
const payload = { ...claims, iss: ecta.issuer, aud: ecta.issuer, iat: now(), exp: now() + 600 };

function refused(token: string, keys: TokenKeys = ecta): AppError {
  try {
    verifyAccessToken(keys, token);
  } catch (e: unknown) {
    assert.ok(e instanceof AppError);
    assert.equal(e.status, 401);
    return e;
  }
  assert.fail('token was accepted');
}

describe('access tokens', () => {
  it('accepts its own RS256 token with iss/aud of this gateway', () => {
    const token = signAccessToken(ecta, claims);
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as {
      alg: string;
      kid: string;
    };
    assert.equal(header.alg, 'RS256');
    assert.equal(header.kid, kid);
    const { jti, exp, kid: verifiedKid, ...rest } = verifyAccessToken(ecta, token);
    assert.deepEqual(rest, claims);
    assert.equal(verifiedKid, kid);
    assert.match(jti, /^[0-9a-f-]{36}$/);
    assert.ok(exp > now() + 800 && exp <= now() + 900);
  });

  it('refuses alg none', () => {
    refused(`${b64({ alg: 'none', typ: 'JWT', kid })}.${b64({ ...payload, jti: randomUUID() })}.`);
  });

  it('refuses HS256 signed with the public key as the secret (algorithm confusion)', () => {
    const head = `${b64({ alg: 'HS256', typ: 'JWT', kid })}.${b64({ ...payload, jti: randomUUID() })}`;
    const sig = createHmac('sha256', ecta.publicKey).update(head).digest('base64url');
    refused(`${head}.${sig}`);
  });

  it('refuses a tampered payload (role raised)', () => {
    const [h, , s] = signAccessToken(ecta, claims).split('.');
    refused(`${h}.${b64({ ...payload, role: 'admin' })}.${s}`);
  });

  it('refuses an expired token with TOKEN_EXPIRED', () => {
    const token = jwt.sign({ ...claims, exp: now() - 10 }, ecta.privateKey, {
      algorithm: 'RS256',
      keyid: kid,
      jwtid: randomUUID(),
      issuer: ecta.issuer,
      audience: ecta.issuer,
    });
    assert.equal(refused(token).code, 'TOKEN_EXPIRED');
  });

  it("refuses another org's token (other key, other iss/aud)", () => {
    refused(signAccessToken(customs, { ...claims, org: 'customs' }));
  });

  it("refuses a token signed with this org's key but another audience", () => {
    const token = jwt.sign(claims, ecta.privateKey, {
      algorithm: 'RS256',
      keyid: kid,
      jwtid: randomUUID(),
      issuer: ecta.issuer,
      audience: customs.issuer,
    });
    refused(token);
  });

  it('refuses garbage', () => {
    for (const t of ['', 'abc', 'a.b.c', "' OR 1=1 --"]) refused(t);
  });
});

describe('passwords (scrypt)', () => {
  it('verifies the right password only', async () => {
    const h = await hashPassword('correct horse battery');
    assert.match(h, /^scrypt\$131072\$8\$1\$/);
    assert.equal(await verifyPassword('correct horse battery', h), true);
    assert.equal(await verifyPassword('correct horse batterY', h), false);
    assert.notEqual(await hashPassword('correct horse battery'), h, 'salted');
  });
});

describe('custodial keys (AES-256-GCM)', () => {
  it('round-trips and refuses another user id (AAD) or a flipped byte', () => {
    const key = Buffer.alloc(32, 7);
    const sealed = sealKey(key, 'ECTAMSP::alice', 'PRIVATE KEY PEM');
    assert.equal(openKey(key, 'ECTAMSP::alice', sealed), 'PRIVATE KEY PEM');
    assert.throws(() => openKey(key, 'ECTAMSP::bob', sealed));
    const bad = { ...sealed, ciphertext: Buffer.from(sealed.ciphertext) };
    bad.ciphertext[0]! ^= 1;
    assert.throws(() => openKey(key, 'ECTAMSP::alice', bad));
  });
});
