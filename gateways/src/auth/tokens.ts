/**
 * Access tokens: RS256 JWTs signed with this org's key; iss and aud = this gateway; algorithms pinned to
 * RS256 on verification (no `none`, no HS*), so a token of another org's gateway (other key, other iss/aud)
 * is refused.
 */
import { type KeyObject, createPrivateKey, createPublicKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AppError } from '../errors.ts';

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
}

export interface TokenKeys {
  readonly privateKey: string;
  readonly publicKey: string;
  readonly issuer: string;
  readonly accessTtlSeconds: number;
}

export function signAccessToken(keys: TokenKeys, claims: AccessClaims): string {
  return jwt.sign(
    { username: claims.username, role: claims.role, org: claims.org, mspId: claims.mspId },
    keyObject(keys.privateKey, 'private'),
    {
      algorithm: 'RS256',
      issuer: keys.issuer,
      audience: keys.issuer,
      subject: claims.sub,
      expiresIn: keys.accessTtlSeconds,
    },
  );
}

export function verifyAccessToken(keys: TokenKeys, token: string): AccessClaims {
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token, keyObject(keys.publicKey, 'public'), {
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
    typeof payload.username !== 'string'
  ) {
    throw new AppError(401, 'INVALID_TOKEN', 'the access token is not valid here');
  }
  return {
    sub: payload.sub,
    username: payload.username,
    role: payload.role,
    org: String(payload.org),
    mspId: String(payload.mspId),
  };
}
