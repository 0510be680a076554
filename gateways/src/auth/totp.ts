/**
 * Second factors: TOTP (RFC 6238, through the otpauth library: SHA-1, 6 digits, 30 s, what every authenticator
 * app reads from a QR code) and single-use recovery codes. Pure functions: storage, replay protection and policy
 * are services/mfa.ts.
 */
import { createHmac, hkdfSync, randomBytes, randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Codes of the previous and the next period are accepted too (clock drift between phone and server). */
const WINDOW = 1;

/** A new random TOTP secret (160 bits, RFC 4226's recommended length), base32 as authenticator apps take it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secretBase32: string, issuer = '', label = ''): TOTP {
  return new TOTP({
    issuer,
    label,
    secret: Secret.fromBase32(secretBase32),
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  });
}

/** The otpauth:// URI a QR code carries (Key URI Format): issuer = the org, label = the username. */
export function totpUri(secretBase32: string, issuer: string, label: string): string {
  return totp(secretBase32, issuer, label).toString();
}

/**
 * The time step (RFC 6238's T) a code belongs to, if it is valid for `secret` at `nowMs` (within one step either
 * way); undefined otherwise. The caller must refuse a step not newer than the last one accepted (replay).
 */
export function totpStep(secretBase32: string, code: string, nowMs: number = Date.now()): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totp(secretBase32).validate({ token: code, timestamp: nowMs, window: WINDOW });
  if (delta === null) return undefined;
  return TOTP.counter({ period: TOTP_PERIOD_SECONDS, timestamp: nowMs }) + delta;
}

/** The code of `secret` at `nowMs` (tests and tools; the gateway never needs to produce one). */
export function totpCode(secretBase32: string, nowMs: number = Date.now()): string {
  return totp(secretBase32).generate({ timestamp: nowMs });
}

export const RECOVERY_CODE_COUNT = 10;
/** Crockford-like base32 without look-alikes (no I, L, O, U): 50 bits of randomness in 10 characters. */
const RECOVERY_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Ten fresh recovery codes, shown once as `XXXXX-XXXXX`. */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  const codes = new Set<string>();
  while (codes.size < count) {
    let c = '';
    for (let i = 0; i < 10; i++) c += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
    codes.add(`${c.slice(0, 5)}-${c.slice(5)}`);
  }
  return [...codes];
}

/** A recovery code as typed: case, spaces and dashes do not matter. */
export function normalizeRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

/**
 * The stored form of a recovery code: HMAC-SHA-256 under a key derived from the custody key, so a leaked table
 * alone cannot be searched offline (the codes' 50 bits would not stop a plain hash's brute force for long).
 */
export function recoveryCodeHash(custodyKey: Buffer, code: string): string {
  const key = Buffer.from(hkdfSync('sha256', custodyKey, Buffer.alloc(0), 'coffee-export/mfa-recovery', 32));
  return createHmac('sha256', key).update(normalizeRecoveryCode(code)).digest('hex');
}

/** An opaque random token (MFA challenges). */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}
