import '../test-support/quiet';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from '../src/serialize';
import { isoFromMillis, parseIsoMillis } from '../src/time';
import { Fields, parseJsonText } from '../src/validate';

describe('time: tx-timestamp arithmetic without Date', () => {
  const samples = [
    0, 951_782_400_000, 1_709_164_800_123, 1_767_225_599_999, 4_102_444_800_000, 7_258_118_399_999,
  ];
  for (const ms of samples) {
    it(`isoFromMillis(${ms}) equals Date#toISOString`, () => {
      assert.equal(isoFromMillis(ms), new Date(ms).toISOString());
    });
  }
  const parses: [string, number | undefined][] = [
    ['2026-01-01', Date.UTC(2026, 0, 1)],
    ['2024-02-29T23:59:59Z', Date.UTC(2024, 1, 29, 23, 59, 59)],
    ['2026-03-04T05:06:07.8Z', Date.UTC(2026, 2, 4, 5, 6, 7, 800)],
    ['2025-02-29', undefined],
    ['2026-13-01', undefined],
    ['2026-01-01T24:00:00Z', undefined],
    ['2026-01-01T10:00:00+03:00', undefined],
    ['1999-12-31', undefined],
    ['tomorrow', undefined],
  ];
  for (const [text, expected] of parses) {
    it(`parseIsoMillis('${text}')`, () => {
      assert.equal(parseIsoMillis(text), expected);
    });
  }
});

describe('serializer: one deterministic encoding', () => {
  it('sorts keys recursively and omits undefined members', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } }),
      '{"a":{"d":[{"y":2,"z":1}]},"b":1}',
    );
  });
  const refused: [string, unknown][] = [
    ['NaN', { a: Number.NaN }],
    ['Infinity', { a: Number.POSITIVE_INFINITY }],
    ['class instance', { a: new Map() }],
    ['function', { a: () => 1 }],
  ];
  for (const [name, value] of refused) {
    it(`refuses ${name}`, () => {
      assert.throws(() => canonicalJson(value), /^ChaincodeError: VALIDATION_FAILED|VALIDATION_FAILED/);
    });
  }
});

describe('input validation', () => {
  const refused: [string, string][] = [
    ['malformed JSON', '{"a":'],
    ['NaN literal', '{"a": NaN}'],
    ['number overflowing to Infinity', '{"a": 1e400}'],
    ['__proto__ key', '{"__proto__": {"polluted": true}}'],
    ['nested constructor key', '{"a": {"constructor": 1}}'],
    ['prototype key in array', '{"a": [{"prototype": 1}]}'],
    ['too deep', `${'{"a":'.repeat(12)}1${'}'.repeat(12)}`],
    ['oversize', JSON.stringify({ a: 'x'.repeat(70_000) })],
    ['not an object', '[1,2]'],
  ];
  for (const [name, text] of refused) {
    it(`refuses ${name}`, () => {
      assert.throws(() => Fields.of(parseJsonText(text, 'input'), 'input'), /VALIDATION_FAILED/);
    });
  }

  const fieldCases: [string, object, (f: Fields) => unknown][] = [
    ['negative number', { q: -1 }, (f) => f.num('q', { min: 0, max: 10 })],
    ['absurd number', { q: 1e12 }, (f) => f.num('q', { min: 0, max: 1e7 })],
    ['too many decimals', { q: 1.234 }, (f) => f.num('q', { min: 0, max: 10, decimals: 2 })],
    ['non-integer', { q: 1.5 }, (f) => f.int('q', 0, 10)],
    ['string for number', { q: '5' }, (f) => f.num('q', { min: 0, max: 10 })],
    ['NUL in id', { id: 'a\u0000b' }, (f) => f.str('id')],
    ['control char in text', { t: 'a\u0007' }, (f) => f.str('t', { text: true })],
    ['oversize string', { s: 'x'.repeat(300) }, (f) => f.str('s')],
    ['empty string', { s: '' }, (f) => f.str('s')],
    ['not in enum', { e: 'X' }, (f) => f.oneOf('e', ['A', 'B'])],
    [
      'unknown member',
      { a: 'x', extra: 1 },
      (f) => {
        f.str('a');
        f.end();
      },
    ],
  ];
  for (const [name, value, read] of fieldCases) {
    it(`refuses ${name}`, () => {
      assert.throws(() => read(Fields.of(value, 'input')), /VALIDATION_FAILED/);
    });
  }

  it('accepts free text with line breaks and reads known members', () => {
    const f = Fields.of({ t: 'line1\nline2', n: 2.5 }, 'input');
    assert.equal(f.str('t', { text: true }), 'line1\nline2');
    assert.equal(f.num('n', { min: 0, max: 5, decimals: 1 }), 2.5);
    f.end();
  });
});
