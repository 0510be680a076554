/**
 * Salted commitments to a plot's details. The ledger carries only `sha256(canonical JSON of {salt, details})`: the
 * geometry and the producer reference stay in the encrypted plot document, yet anyone holding that document (ECTA
 * at approval, the importer with the package) can prove it is the one the exporter committed to. The salt (32
 * random bytes) keeps a guesser from confirming a candidate plot against the public commitment: a small farm's
 * point has few plausible values, so an unsalted hash would leak it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted (by UTF-16 code unit, as Array.prototype.sort does), no whitespace, numbers
 * as ECMAScript prints them (shortest round trip), `undefined` members dropped. The same value always gives the
 * same text on every gateway, so hashes of it can be compared across orgs. Non-finite numbers, bigints,
 * functions, symbols and `undefined` inside arrays are refused rather than silently changed.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$');
}

function write(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON: ${path} is not a finite number`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value
          .map((v, i) => {
            if (v === undefined) throw new TypeError(`canonical JSON: ${path}[${i}] is undefined`);
            return write(v, `${path}[${i}]`);
          })
          .join(',')}]`;
      }
      // toJSON (e.g. Date) is honoured as JSON.stringify would, so a Date commits as its ISO string.
      const withToJson = value as { toJSON?: () => unknown };
      if (typeof withToJson.toJSON === 'function') return write(withToJson.toJSON(), path);
      const entries = Object.keys(value)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => `${JSON.stringify(k)}:${write((value as Record<string, unknown>)[k], `${path}.${k}`)}`);
      return `{${entries.join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON: ${path} is a ${typeof value}, which JSON cannot carry`);
  }
}

/** Lower-case hex sha256 of a string (UTF-8) or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A salt is 16 to 64 random bytes written as lower-case hex. */
const SALT_PATTERN = /^(?:[0-9a-f]{2}){16,64}$/;
const COMMITMENT_PATTERN = /^[0-9a-f]{64}$/;

export interface PlotCommitment {
  /** hex sha256: what goes on the ledger. */
  commitment: string;
  /** hex: kept in the encrypted plot document, never on the ledger. */
  salt: string;
}

/**
 * Commit to a plot's details (any JSON value; normally the details stored in the plot document). A fresh 32-byte
 * salt is drawn unless one is given (e.g. to recompute a commitment from a stored document).
 */
export function commitPlot(details: unknown, salt?: string): PlotCommitment {
  const s = salt ?? randomBytes(32).toString('hex');
  if (!SALT_PATTERN.test(s)) {
    throw new TypeError('commitment salt must be 16 to 64 bytes of lower-case hex');
  }
  return { commitment: sha256Hex(canonicalJson({ details, salt: s })), salt: s };
}

/**
 * Does `details` with `salt` open `commitment`? False (never an exception) for a malformed salt or commitment, so
 * a tampered document is simply "does not match". Constant-time comparison: nothing to learn from timing.
 */
export function verifyCommitment(details: unknown, salt: string, commitment: string): boolean {
  if (typeof salt !== 'string' || !SALT_PATTERN.test(salt)) return false;
  if (typeof commitment !== 'string' || !COMMITMENT_PATTERN.test(commitment)) return false;
  let recomputed: string;
  try {
    recomputed = commitPlot(details, salt).commitment;
  } catch {
    return false; // details that cannot be written as JSON cannot be what was committed
  }
  return timingSafeEqual(Buffer.from(recomputed, 'hex'), Buffer.from(commitment, 'hex'));
}
