/**
 * Input and ledger validation. Transaction arguments arrive as one JSON text; it is parsed once, checked
 * structurally (size, depth, forbidden keys, finite numbers) and then read field by field through
 * `Fields`, which refuses unknown members, so a malformed request fails before anything is written.
 */
import { type CommonErrorCode, fail } from './errors';

export const MAX_INPUT_BYTES = 64 * 1024;
const MAX_DEPTH = 8;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
// C0 controls (U+0000 included) and DEL; free text may keep \t \n \r.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const CONTROL_STRICT = /[\u0000-\u001f\u007f]/;

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const CODE_PATTERN = /^[A-Z][A-Z0-9_]{1,63}$/;

function checkTree(value: unknown, path: string, depth: number, code: CommonErrorCode): void {
  if (depth > MAX_DEPTH) {
    fail(code, `${path} is nested deeper than ${MAX_DEPTH} levels`);
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    fail(code, `${path} is not a finite number`);
  }
  if (Array.isArray(value)) {
    value.forEach((item: unknown, i) => checkTree(item, `${path}[${i}]`, depth + 1, code));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (FORBIDDEN_KEYS.has(key)) {
        fail(code, `${path} carries the forbidden key '${key}'`);
      }
      checkTree(item, `${path}.${key}`, depth + 1, code);
    }
  }
}

/** Parses JSON text (size-limited) and checks it structurally. */
export function parseJsonText(
  text: unknown,
  what: string,
  code: CommonErrorCode = 'VALIDATION_FAILED',
): unknown {
  if (typeof text !== 'string') {
    return fail(code, `${what} must be a JSON string`);
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_INPUT_BYTES) {
    fail(code, `${what} exceeds ${MAX_INPUT_BYTES} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e: unknown) {
    const reason = e instanceof Error ? e.message : 'unparseable';
    return fail(code, `${what} is not valid JSON (${reason})`);
  }
  checkTree(value, what, 0, code);
  return value;
}

export function parseJsonBytes(bytes: Uint8Array, what: string, code: CommonErrorCode): unknown {
  return parseJsonText(Buffer.from(bytes).toString('utf8'), what, code);
}

export interface StringRule {
  max?: number;
  min?: number;
  pattern?: RegExp;
  /** Free text: allows tab and line breaks. */
  text?: boolean;
}

export interface NumberRule {
  min: number;
  max: number;
  /** Maximum decimal places (0 = integer). */
  decimals?: number;
}

function decimalsOf(value: number): number {
  const text = String(value);
  if (text.includes('e')) {
    return Number.POSITIVE_INFINITY;
  }
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** Field-by-field reader over a plain JSON object; `end()` refuses members nobody asked for. */
export class Fields {
  readonly #obj: Record<string, unknown>;
  readonly #path: string;
  readonly #code: CommonErrorCode;
  readonly #seen = new Set<string>();

  private constructor(obj: Record<string, unknown>, path: string, code: CommonErrorCode) {
    this.#obj = obj;
    this.#path = path;
    this.#code = code;
  }

  static of(value: unknown, path: string, code: CommonErrorCode = 'VALIDATION_FAILED'): Fields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return fail(code, `${path} must be a JSON object`);
    }
    const obj: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (FORBIDDEN_KEYS.has(key)) {
        fail(code, `${path} carries the forbidden key '${key}'`);
      }
      obj[key] = item;
    }
    return new Fields(obj, path, code);
  }

  /** Parses a JSON argument into Fields. */
  static parse(text: unknown, what: string): Fields {
    return Fields.of(parseJsonText(text, what), what);
  }

  #take(name: string): unknown {
    this.#seen.add(name);
    return Object.prototype.hasOwnProperty.call(this.#obj, name) ? this.#obj[name] : undefined;
  }

  #fail(name: string, detail: string): never {
    return fail(this.#code, `${this.#path}.${name} ${detail}`);
  }

  has(name: string): boolean {
    return this.#take(name) !== undefined;
  }

  str(name: string, rule: StringRule = {}): string {
    const value = this.#take(name);
    if (typeof value !== 'string') {
      return this.#fail(name, 'must be a string');
    }
    const max = rule.max ?? 256;
    const min = rule.min ?? 1;
    if (value.length < min || value.length > max) {
      this.#fail(name, `must be ${min}-${max} characters long`);
    }
    if ((rule.text === true ? CONTROL : CONTROL_STRICT).test(value)) {
      this.#fail(name, 'contains control characters (U+0000-U+001F)');
    }
    if (rule.pattern && !rule.pattern.test(value)) {
      this.#fail(name, `does not match ${String(rule.pattern)}`);
    }
    return value;
  }

  optStr(name: string, rule: StringRule = {}): string | undefined {
    return this.has(name) ? this.str(name, rule) : undefined;
  }

  num(name: string, rule: NumberRule): number {
    const value = this.#take(name);
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return this.#fail(name, 'must be a finite number');
    }
    if (value < rule.min || value > rule.max) {
      this.#fail(name, `must be between ${rule.min} and ${rule.max}`);
    }
    if (rule.decimals !== undefined && decimalsOf(value) > rule.decimals) {
      this.#fail(
        name,
        rule.decimals === 0 ? 'must be an integer' : `allows at most ${rule.decimals} decimals`,
      );
    }
    return value;
  }

  int(name: string, min: number, max: number): number {
    return this.num(name, { min, max, decimals: 0 });
  }

  optNum(name: string, rule: NumberRule): number | undefined {
    return this.has(name) ? this.num(name, rule) : undefined;
  }

  optInt(name: string, min: number, max: number): number | undefined {
    return this.has(name) ? this.int(name, min, max) : undefined;
  }

  bool(name: string): boolean {
    const value = this.#take(name);
    if (typeof value !== 'boolean') {
      return this.#fail(name, 'must be true or false');
    }
    return value;
  }

  optBool(name: string): boolean | undefined {
    return this.has(name) ? this.bool(name) : undefined;
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T {
    const value = this.#take(name);
    const found = values.find((candidate) => candidate === value);
    if (found === undefined) {
      return this.#fail(name, `must be one of ${values.join(', ')}`);
    }
    return found;
  }

  optOneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    return this.has(name) ? this.oneOf(name, values) : undefined;
  }

  list(name: string, maxItems: number, minItems = 0): unknown[] {
    const value = this.#take(name);
    if (!Array.isArray(value)) {
      return this.#fail(name, 'must be an array');
    }
    if (value.length < minItems || value.length > maxItems) {
      this.#fail(name, `must hold ${minItems}-${maxItems} items`);
    }
    return value as unknown[];
  }

  optList(name: string, maxItems: number): unknown[] {
    return this.has(name) ? this.list(name, maxItems) : [];
  }

  obj(name: string): Fields {
    return Fields.of(this.#take(name), `${this.#path}.${name}`, this.#code);
  }

  optObj(name: string): Fields | undefined {
    return this.has(name) ? this.obj(name) : undefined;
  }

  /** Reads each item of an array member as an object. */
  objects(name: string, maxItems: number, minItems = 0): Fields[] {
    return this.list(name, maxItems, minItems).map((item, i) =>
      Fields.of(item, `${this.#path}.${name}[${i}]`, this.#code),
    );
  }

  optObjects(name: string, maxItems: number): Fields[] {
    return this.has(name) ? this.objects(name, maxItems) : [];
  }

  strings(name: string, maxItems: number, rule: StringRule, minItems = 0): string[] {
    const items = this.list(name, maxItems, minItems);
    return items.map((item, i) =>
      Fields.of({ [String(i)]: item }, `${this.#path}.${name}`, this.#code).str(String(i), rule),
    );
  }

  /** Refuses members that were never read. */
  end(): void {
    const unknown = Object.keys(this.#obj).filter((key) => !this.#seen.has(key));
    if (unknown.length > 0) {
      this.#fail(unknown[0] ?? '', 'is not a recognised field');
    }
  }
}

/** Validates a single plain-string argument (an id passed positionally). */
export function checkId(value: unknown, what: string, pattern: RegExp = ID_PATTERN): string {
  return Fields.of({ [what]: value }, 'args').str(what, { max: 128, pattern });
}
