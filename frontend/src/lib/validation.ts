/**
 * Plain validators mirroring the chaincode's input rules (chaincode/coffee-export/src/model/*.ts,
 * lib/validate.ts), so a form refuses locally what the API would refuse. Every validator takes the raw
 * form text and returns an error message or undefined.
 */

export type Validator = (value: string) => string | undefined;

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const CODE_PATTERN = /^[A-Z][A-Z0-9_]{1,63}$/;
export const REGION_PATTERN = /^[A-Z][A-Z0-9_]{1,63}$/;
export const REFERENCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9/._-]{0,63}$/;
export const COUNTRY_PATTERN = /^[A-Z]{2}$/;
export const UNLOCODE_PATTERN = /^[A-Z]{2}[A-Z2-9]{3}$/;
export const CONTAINER_PATTERN = /^[A-Z]{3}U\d{7}$/;
export const TIN_PATTERN = /^\d{10}$/;
export const MAX_QUANTITY_KG = 10_000_000;
export const MAX_USD = 1_000_000_000;
export const MAX_USD_PER_KG = 1000;
// Control characters: free text may keep tab and line breaks.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_STRICT = /[\u0000-\u001f\u007f]/;
const DECIMAL = /^\d+(\.\d+)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z)?$/;

export function required(label = 'This field'): Validator {
  return (v) => (v.trim() === '' ? `${label} is required` : undefined);
}

/** Runs validators in order and returns the first error. */
export function all(...validators: Validator[]): Validator {
  return (v) => {
    for (const check of validators) {
      const error = check(v);
      if (error !== undefined) return error;
    }
    return undefined;
  };
}

/** Skips the validators when the value is empty. */
export function optional(...validators: Validator[]): Validator {
  const inner = all(...validators);
  return (v) => (v.trim() === '' ? undefined : inner(v));
}

export function text(
  label: string,
  max: number,
  opts: { multiline?: boolean; min?: number } = {},
): Validator {
  const min = opts.min ?? 1;
  return (v) => {
    if (v.trim().length < min) return `${label} is required`;
    if (v.length > max) return `${label} must be at most ${max} characters`;
    if ((opts.multiline ? CONTROL : CONTROL_STRICT).test(v)) return `${label} contains control characters`;
    return undefined;
  };
}

export function pattern(label: string, re: RegExp, explain: string): Validator {
  return (v) => (v.trim() === '' ? `${label} is required` : re.test(v) ? undefined : `${label} ${explain}`);
}

export function decimalsOf(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

export function number(label: string, min: number, max: number, decimals: number): Validator {
  return (v) => {
    const t = v.trim();
    if (t === '') return `${label} is required`;
    if (!DECIMAL.test(t)) return `${label} must be a number`;
    if (decimalsOf(t) > decimals) {
      return decimals === 0
        ? `${label} must be a whole number`
        : `${label} allows at most ${decimals} decimals`;
    }
    const n = Number(t);
    if (n < min || n > max) return `${label} must be between ${min} and ${max.toLocaleString('en-US')}`;
    return undefined;
  };
}

export function oneOf(label: string, values: readonly string[]): Validator {
  return (v) => (values.includes(v) ? undefined : `Choose a ${label.toLowerCase()}`);
}

/** YYYY-MM-DD or an instant; returns epoch ms (UTC) or undefined. */
export function parseInstant(v: string): number | undefined {
  const t = v.trim();
  if (ISO_DATE.test(t)) {
    const ms = Date.parse(`${t}T00:00:00Z`);
    return Number.isNaN(ms) ? undefined : ms;
  }
  if (ISO_INSTANT.test(t)) {
    const ms = Date.parse(t.endsWith('Z') ? t : `${t}Z`);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** What the chaincode takes: YYYY-MM-DD stays, a datetime-local value becomes ...:ssZ (UTC). */
export function toIso(v: string): string {
  const t = v.trim();
  if (ISO_DATE.test(t)) return t;
  const ms = parseInstant(t);
  return ms === undefined ? t : new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

export function date(
  label: string,
  opts: {
    notFuture?: boolean;
    after?: () => number | undefined;
    before?: () => number | undefined;
    afterLabel?: string;
    beforeLabel?: string;
  } = {},
): Validator {
  return (v) => {
    if (v.trim() === '') return `${label} is required`;
    const ms = parseInstant(v);
    if (ms === undefined) return `${label} must be a valid date`;
    if (opts.notFuture && ms > Date.now()) return `${label} cannot be in the future`;
    const after = opts.after?.();
    if (after !== undefined && ms <= after)
      return `${label} must be after ${opts.afterLabel ?? 'the earlier date'}`;
    const before = opts.before?.();
    if (before !== undefined && ms >= before)
      return `${label} must be before ${opts.beforeLabel ?? 'the deadline'}`;
    return undefined;
  };
}

// ------------------------------------------------------------------------------------------ field rules

export const rules = {
  exportId: pattern('Export id', ID_PATTERN, 'may use letters, digits, . _ - (max 64)'),
  reference: (label: string): Validator =>
    pattern(
      label,
      REFERENCE_PATTERN,
      'may use letters, digits and / . _ - (max 64, starting with a letter or digit)',
    ),
  buyerName: text('Buyer name', 200),
  country: pattern('Destination country', COUNTRY_PATTERN, 'must be a 2-letter ISO code such as DE'),
  region: pattern('Origin region', REGION_PATTERN, 'must be UPPER_SNAKE such as SIDAMA'),
  quantityKg: (label = 'Quantity (kg)'): Validator => number(label, 1, MAX_QUANTITY_KG, 0),
  usd: (label: string): Validator => number(label, 0.01, MAX_USD, 2),
  usdPerKg: (label = 'Unit price (USD/kg)'): Validator => number(label, 0.0001, MAX_USD_PER_KG, 4),
  reasonCode: pattern('Reason code', CODE_PATTERN, 'must be UPPER_SNAKE such as PRICE_BELOW_MINIMUM'),
  reason: text('Reason', 1000, { multiline: true }),
  container: pattern('Container number', CONTAINER_PATTERN, 'must look like MSCU1234567'),
  unlocode: (label: string): Validator =>
    pattern(label, UNLOCODE_PATTERN, 'must be a UN/LOCODE such as DJJIB'),
  trackingStatus: pattern('Status', CODE_PATTERN, 'must be UPPER_SNAKE such as DEPARTED'),
  tin: pattern('TIN', TIN_PATTERN, 'must be 10 digits'),
  percent: (label: string): Validator => number(label, 0, 100, 2),
};

/** Splits "MSCU1234567, MSKU7654321" and checks each (1-100 containers). */
export const containers: Validator = (v) => {
  const list = splitList(v);
  if (list.length === 0) return 'Enter at least one container number';
  if (list.length > 100) return 'At most 100 containers';
  for (const c of list) {
    const e = rules.container(c);
    if (e) return `${c}: ${e}`;
  }
  if (new Set(list).size !== list.length) return 'Container numbers must be distinct';
  return undefined;
};

export function splitList(v: string): string[] {
  return v
    .split(/[\s,;]+/)
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== '');
}

/** The chaincode's check: |unit price × quantity − contract value| < 1 cent (integer arithmetic). */
export function valueMatchesQuantity(
  unitPriceUsdPerKg: number,
  quantityKg: number,
  contractValueUsd: number,
): boolean {
  const priceBasis = Math.round(unitPriceUsdPerKg * 10_000);
  const cents = Math.round(contractValueUsd * 100);
  return Math.abs(priceBasis * quantityKg - cents * 100) < 100;
}

/** Unit price × quantity rounded to cents (what the wizard proposes as the contract value). */
export function contractValue(unitPriceUsdPerKg: number, quantityKg: number): number {
  return Math.round((Math.round(unitPriceUsdPerKg * 10_000) * quantityKg) / 100) / 100;
}

/** A fresh export id: EXP-YYYYMMDD-XXXXXX. */
export function newExportId(now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '');
  const raw = new Uint8Array(4);
  globalThis.crypto.getRandomValues(raw);
  const tail = Array.from(raw, (b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase()
    .slice(0, 6);
  return `EXP-${day}-${tail}`;
}

export type Errors<K extends string> = Partial<Record<K, string>>;

export function validateAll<K extends string>(
  values: Record<K, string>,
  validators: Partial<Record<K, Validator>>,
): Errors<K> {
  const errors: Errors<K> = {};
  for (const key of Object.keys(validators) as K[]) {
    const check = validators[key];
    const error = check?.(values[key] ?? '');
    if (error !== undefined) errors[key] = error;
  }
  return errors;
}

export function hasErrors(errors: Record<string, string | undefined>): boolean {
  return Object.values(errors).some((e) => e !== undefined);
}
