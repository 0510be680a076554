import { describe, expect, it } from 'vitest';
import {
  containers,
  contractValue,
  number,
  parseInstant,
  rules,
  toIso,
  valueMatchesQuantity,
} from './validation';

describe('field rules mirror the chaincode', () => {
  it.each([
    // [rule, value, error expected?]
    ['country', 'DE', false],
    ['country', 'de', true],
    ['country', 'DEU', true],
    ['region', 'SIDAMA', false],
    ['region', 'YIRGA_CHEFFE', false],
    ['region', 'Sidama', true],
    ['region', 'S', true],
    ['reasonCode', 'PRICE_BELOW_MINIMUM', false],
    ['reasonCode', 'price_below', true],
    ['container', 'MSCU1234567', false],
    ['container', 'MSC1234567', true],
    ['tin', '0123456789', false],
    ['tin', '12345', true],
    ['exportId', 'EXP-20260101-ABC', false],
    ['exportId', '-bad', true],
    ['trackingStatus', 'DEPARTED', false],
    ['trackingStatus', 'departed', true],
  ] as const)('%s(%j) → error: %s', (rule, value, bad) => {
    const check = rules[rule];
    expect(check(value) !== undefined).toBe(bad);
  });

  it.each([
    ['Contract number', 'SC-2026/001', false],
    ['Contract number', '/leading', true],
    ['Contract number', 'x'.repeat(65), true],
    ['Contract number', '', true],
  ])('reference %s %j → error: %s', (label, value, bad) => {
    expect(rules.reference(label)(value) !== undefined).toBe(bad);
  });

  it.each([
    ['1', 0, 10, 0, undefined],
    ['1.5', 0, 10, 0, 'X must be a whole number'],
    ['1.23456', 0, 10, 4, 'X allows at most 4 decimals'],
    ['11', 0, 10, 2, 'X must be between 0 and 10'],
    ['abc', 0, 10, 2, 'X must be a number'],
    ['-1', 0, 10, 2, 'X must be a number'],
    ['', 0, 10, 2, 'X is required'],
  ])('number(%j, %d..%d, %d decimals) → %j', (value, min, max, dec, expected) => {
    expect(number('X', min, max, dec)(value)).toBe(expected);
  });

  it.each([
    [4.25, 19200, 81600, true],
    [4.25, 19200, 81600.01, false],
    [3.3333, 3, 10, true],
    [3.3333, 3, 9.99, true],
    [3.3333, 3, 9.98, false],
    [0.0001, 1, 0.02, false],
  ])('value check: %d USD/kg × %d kg = %d → %s', (price, qty, value, ok) => {
    expect(valueMatchesQuantity(price, qty, value)).toBe(ok);
  });

  it('proposes the contract value to the cent', () => {
    expect(contractValue(4.25, 19200)).toBe(81600);
    expect(contractValue(3.3333, 3)).toBe(10);
  });

  it('checks container lists', () => {
    expect(containers('MSCU1234567, MSKU7654321')).toBeUndefined();
    expect(containers('')).toMatch(/at least one/);
    expect(containers('MSCU1234567 MSCU1234567')).toMatch(/distinct/);
    expect(containers('MSCU1234567, nope')).toMatch(/NOPE/);
  });

  it('parses dates the chaincode accepts', () => {
    expect(parseInstant('2026-02-03')).toBe(Date.UTC(2026, 1, 3));
    expect(parseInstant('2026-02-03T04:05:06Z')).toBe(Date.UTC(2026, 1, 3, 4, 5, 6));
    expect(parseInstant('03/02/2026')).toBeUndefined();
    expect(toIso('2026-02-03')).toBe('2026-02-03');
    expect(toIso('2026-02-03T04:05')).toBe('2026-02-03T04:05:00Z');
  });
});
