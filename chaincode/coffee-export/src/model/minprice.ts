/** ECTA's versioned minimum export prices (public). */
import type { Context } from 'fabric-contract-api';
import { Fields, parseIsoMillis, readAll, txMillis } from '@coffee/chaincode-common';
import { fail } from '../lib/errors';
import { GRADES, type Grade, MAX_USD_PER_KG, REGION_PATTERN } from './common';

export interface MinimumPrice {
  docType: 'minimumPrice';
  id: string;
  grade: Grade;
  /** Absent: applies to every origin region without a row of its own. */
  originRegion?: string;
  usdPerKg: number;
  effectiveFrom: string;
  publishedAt: string;
  publishedBy: string;
  txId: string;
}

export const MIN_PRICE_KEY = 'minimumPrice';
export const MIN_PRICE_SEQUENCE_KEY = 'minimumPriceSequence';
export const MIN_PRICE_ID_PATTERN = /^MP-\d{6}$/;

export function minPriceKey(ctx: Context, grade: Grade, id: string): string {
  return ctx.stub.createCompositeKey(MIN_PRICE_KEY, [grade, id]);
}

export function minPriceId(sequence: number): string {
  return `MP-${String(sequence).padStart(6, '0')}`;
}

export function parseMinimumPrice(value: unknown): MinimumPrice {
  const f = Fields.of(value, 'minimumPrice', 'CORRUPT_STATE');
  f.oneOf('docType', ['minimumPrice']);
  return {
    docType: 'minimumPrice',
    id: f.str('id', { pattern: MIN_PRICE_ID_PATTERN }),
    grade: f.oneOf('grade', GRADES),
    originRegion: f.optStr('originRegion', { max: 64, pattern: REGION_PATTERN }),
    usdPerKg: f.num('usdPerKg', { min: 0.0001, max: MAX_USD_PER_KG, decimals: 4 }),
    effectiveFrom: f.str('effectiveFrom', { max: 32 }),
    publishedAt: f.str('publishedAt', { max: 32 }),
    publishedBy: f.str('publishedBy', { max: 200 }),
    txId: f.str('txId', { max: 128 }),
  };
}

export interface Sequence {
  next: number;
}

export function parseSequence(value: unknown): Sequence {
  const f = Fields.of(value, 'sequence', 'CORRUPT_STATE');
  return { next: f.int('next', 1, 999_999) };
}

/**
 * The row in force at `atMillis` for a grade and origin region: a row naming the region wins over a
 * region-less row; among those, the latest effective-from; ties go to the later publication (higher id).
 */
export function rowInForce(
  rows: readonly MinimumPrice[],
  grade: Grade,
  region: string,
  atMillis: number,
  millisOf: (iso: string) => number,
): MinimumPrice | undefined {
  const live = rows.filter((r) => r.grade === grade && millisOf(r.effectiveFrom) <= atMillis);
  const pick = (candidates: MinimumPrice[]): MinimumPrice | undefined =>
    candidates.sort(
      (a, b) => millisOf(b.effectiveFrom) - millisOf(a.effectiveFrom) || (a.id < b.id ? 1 : -1),
    )[0];
  return (
    pick(live.filter((r) => r.originRegion === region)) ??
    pick(live.filter((r) => r.originRegion === undefined))
  );
}

/** The row in force at the transaction's timestamp, or NO_MINIMUM_PRICE. */
export async function minimumPriceInForce(ctx: Context, grade: Grade, region: string): Promise<MinimumPrice> {
  const rows = await readAll(ctx, MIN_PRICE_KEY, [grade], parseMinimumPrice);
  const row = rowInForce(
    rows,
    grade,
    region,
    txMillis(ctx),
    (iso) => parseIsoMillis(iso) ?? Number.POSITIVE_INFINITY,
  );
  if (row === undefined) {
    return fail('NO_MINIMUM_PRICE', `ECTA has published no minimum price in force for ${grade} (${region})`);
  }
  return row;
}
