/**
 * Access tokens: RS256 JWTs signed with this org's key; iss and aud = this gateway; algorithms pinned to
 * RS256 on verification (no `none`, no HS*), so a token of another org's gateway (other key, other iss/aud)
 * is refused. Each token names its signing key (`kid`, keyring.ts) and carries a unique `jti` (revocation.ts); a
 * token without a kid, or with a kid the key ring no longer holds, is refused.
 */
import { type KeyObject, createPrivateKey, createPublicKey, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AppError } from '../errors.ts';
import { StaticKeyring, type KeySource } from './keyring.ts';

/**
 * Parsed keys by PEM: given a PEM string, jsonwebtoken parses it on every call, which was the largest single
 * share of a gateway's CPU on `GET /exports/{id}` (docs/bench.md). A handful of keys per process at most.
 */
const parsed = new Map<string, KeyObject>();
function keyObject(pem: string, kind: 'public' | 'private'): KeyObject {
  let key = parsed.get(pem);
  if (key === undefined) {
    key = kind === 'public' ? createPublicKey(pem) : createPrivateKey(pem);
    if (parsed.size >= 16) parsed.clear();
    parsed.set(pem, key);
  }
  return key;
}

export interface AccessClaims {
  sub: string;
  username: string;
  role: string;
  org: string;
  mspId: string;
  /** When the user last proved a second factor (seconds since the epoch); absent without MFA (services/mfa.ts). */
  mfaAt?: number;
  /** The user's token generation when issued: a password change moves it on, refusing every older token. */
  gen?: number;
}

/** What a verified token adds: its id (revocation), expiry (epoch seconds) and signing key. */
export interface VerifiedClaims extends AccessClaims {
  jti: string;
  exp: number;
  kid: string;
}

/** The signing keys (a key ring, or one PEM pair: a static ring), and this gateway's iss/aud and token lifetime. */
export type TokenKeys = {
  readonly issuer: string;
  readonly accessTtlSeconds: number;
} & ({ readonly keyring: KeySource } | { readonly privateKey: string; readonly publicKey: string });

const staticRings = new Map<string, StaticKeyring>();
function ringOf(keys: TokenKeys): KeySource {
  if ('keyring' in keys) return keys.keyring;
  let ring = staticRings.get(keys.publicKey);
  if (!ring) {
    if (staticRings.size >= 16) staticRings.clear();
    ring = new StaticKeyring(keyObject(keys.privateKey, 'private'), keyObject(keys.publicKey, 'public'));
    staticRings.set(keys.publicKey, ring);
  }
  return ring;
}

const invalid = (): AppError => new AppError(401, 'INVALID_TOKEN', 'the access token is not valid here');

export function signAccessToken(keys: TokenKeys, claims: AccessClaims): string {
  const key = ringOf(keys).signingKey();
  return jwt.sign(
    {
      username: claims.username,
      role: claims.role,
      org: claims.org,
      mspId: claims.mspId,
      ...(claims.mfaAt !== undefined ? { mfaAt: claims.mfaAt } : {}),
      ...(claims.gen !== undefined ? { gen: claims.gen } : {}),
    },
    key.privateKey,
    {
      algorithm: 'RS256',
      keyid: key.kid,
      jwtid: randomUUID(),
      issuer: keys.issuer,
      audience: keys.issuer,
      subject: claims.sub,
      expiresIn: keys.accessTtlSeconds,
    },
  );
}

export function verifyAccessToken(keys: TokenKeys, token: string): VerifiedClaims {
  // The key is chosen by the header's kid before anything is trusted; the signature check below covers the header.
  const kid: unknown = jwt.decode(token, { complete: true })?.header.kid;
  if (typeof kid !== 'string' || kid === '') throw invalid();
  const publicKey = ringOf(keys).verificationKey(kid);
  if (!publicKey) throw invalid();
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token, publicKey, {
      algorithms: ['RS256'],
      issuer: keys.issuer,
      audience: keys.issuer,
    });
  } catch (e: unknown) {
    const expired = e instanceof jwt.TokenExpiredError;
    throw new AppError(
      401,
      expired ? 'TOKEN_EXPIRED' : 'INVALID_TOKEN',
      expired ? 'the access token has expired' : 'the access token is not valid here',
    );
  }
  if (
    typeof payload === 'string' ||
    typeof payload.sub !== 'string' ||
    typeof payload.role !== 'string' ||
    typeof payload.username !== 'string' ||
    typeof payload.jti !== 'string' ||
    typeof payload.exp !== 'number'
  ) {
    throw invalid();
  }
  return {
    sub: payload.sub,
    username: payload.username,
    role: payload.role,
    org: String(payload.org),
    mspId: String(payload.mspId),
    ...(typeof payload.mfaAt === 'number' ? { mfaAt: payload.mfaAt } : {}),
    ...(typeof payload.gen === 'number' ? { gen: payload.gen } : {}),
    jti: payload.jti,
    exp: payload.exp,
    kid,
  };
}
