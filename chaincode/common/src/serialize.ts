/**
 * The one write path's encoder: canonical JSON with recursively sorted keys, so every endorser produces
 * byte-identical values. Refuses anything JSON cannot represent faithfully (NaN, Infinity, functions,
 * class instances) instead of silently dropping or rewriting it.
 */
import { fail } from './errors';

function canonical(value: unknown, path: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') {
    return value;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      fail('VALIDATION_FAILED', `${path} is not a finite number`);
    }
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((item: unknown, i) => canonical(item, `${path}[${i}]`));
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const source = value as Record<string, unknown>;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(source).sort()) {
      const item = source[key];
      if (item !== undefined) {
        sorted[key] = canonical(item, `${path}.${key}`);
      }
    }
    return sorted;
  }
  return fail('VALIDATION_FAILED', `${path} cannot be serialized (${typeof value})`);
}

/** Canonical JSON text: sorted keys, undefined members omitted, non-finite numbers refused. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value, '$'));
}

export function toBytes(value: unknown): Uint8Array {
  return Buffer.from(canonicalJson(value), 'utf8');
}
