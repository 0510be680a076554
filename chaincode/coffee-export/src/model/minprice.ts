/** ECTA's versioned minimum export prices (public). */
import type { Context } from 'fabric-contract-api';
import {
  Fields,
  isoFromMillis,
  parseIsoMillis,
  readAll,
  readState,
  txMillis,
} from '@coffee/chaincode-common';
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
export const MIN_PRICE_SCHEDULE_KEY = 'minimumPriceSchedule';
/**
 * How long before the publishing transaction's time the schedule stays exact: far beyond the 5 minutes a
 * write's timestamp may differ from the peer's clock (clock-skew.ts), so no write ever falls before it.
 */
export const SCHEDULE_MARGIN_MS = 24 * 3_600_000;
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

const millisOf = (iso: string): number => parseIsoMillis(iso) ?? Number.POSITIVE_INFINITY;

/**
 * A grade's rows that can still be in force: every published row except those another row outranks at every
 * time from `exactFrom` on. Every RegisterContract reads this one key instead of a range over every row the
 * grade ever had (a range every peer also re-scans when it validates the transaction, growing with each
 * publication). Rows stay in the table for history; the schedule only drops rows that can no longer win.
 */
export interface MinimumPriceSchedule {
  docType: 'minimumPriceSchedule';
  grade: Grade;
  /** The schedule answers exactly as the whole table does for every time at or after this one. */
  exactFrom: string;
  rows: MinimumPrice[];
}

export function scheduleKey(ctx: Context, grade: Grade): string {
  return ctx.stub.createCompositeKey(MIN_PRICE_SCHEDULE_KEY, [grade]);
}

export function parseSchedule(value: unknown): MinimumPriceSchedule {
  const f = Fields.of(value, 'minimumPriceSchedule', 'CORRUPT_STATE');
  f.oneOf('docType', ['minimumPriceSchedule']);
  return {
    docType: 'minimumPriceSchedule',
    grade: f.oneOf('grade', GRADES),
    exactFrom: f.str('exactFrom', { max: 32 }),
    rows: f.list('rows', 10_000).map(parseMinimumPrice),
  };
}

/** Does `a` win over `b` whenever both are in force (same region class): later effective-from, then later id. */
function outranks(a: MinimumPrice, b: MinimumPrice): boolean {
  const [ea, eb] = [millisOf(a.effectiveFrom), millisOf(b.effectiveFrom)];
  return ea > eb || (ea === eb && a.id > b.id);
}

/**
 * The rows rowInForce can still pick at some time at or after `fromMillis`: a row is dropped when another row
 * of the same region class is already in force at `fromMillis` and outranks it (it then outranks it at every
 * later time too). rowInForce over the result equals rowInForce over `rows` for every time ≥ fromMillis.
 */
export function pruneRows(rows: readonly MinimumPrice[], fromMillis: number): MinimumPrice[] {
  return rows.filter(
    (row) =>
      !rows.some(
        (other) =>
          other !== row &&
          other.originRegion === row.originRegion &&
          millisOf(other.effectiveFrom) <= fromMillis &&
          outranks(other, row),
      ),
  );
}

/**
 * The grade's schedule after publishing `row` at `atMillis`: built from the whole table on the first
 * publication (a ledger from before schedules existed), from the previous schedule afterwards.
 */
export async function nextSchedule(
  ctx: Context,
  row: MinimumPrice,
  atMillis: number,
): Promise<MinimumPriceSchedule> {
  const previous = await readState(ctx, scheduleKey(ctx, row.grade), parseSchedule);
  const rows = previous?.rows ?? (await readAll(ctx, MIN_PRICE_KEY, [row.grade], parseMinimumPrice));
  const fromMillis = Math.max(atMillis - SCHEDULE_MARGIN_MS, previous ? millisOf(previous.exactFrom) : 0);
  return {
    docType: 'minimumPriceSchedule',
    grade: row.grade,
    exactFrom: isoFromMillis(fromMillis),
    rows: pruneRows([...rows, row], fromMillis),
  };
}

/**
 * The row in force at the transaction's timestamp, or NO_MINIMUM_PRICE: from the grade's schedule (one key),
 * or from the whole table when the grade has no schedule yet or the timestamp lies before the schedule's
 * exactFrom (only an evaluation with a far-off clock can ask that: writes are refused for clock skew).
 */
export async function minimumPriceInForce(ctx: Context, grade: Grade, region: string): Promise<MinimumPrice> {
  const at = txMillis(ctx);
  const schedule = await readState(ctx, scheduleKey(ctx, grade), parseSchedule);
  const rows =
    schedule !== undefined && at >= millisOf(schedule.exactFrom)
      ? schedule.rows
      : await readAll(ctx, MIN_PRICE_KEY, [grade], parseMinimumPrice);
  const row = rowInForce(rows, grade, region, at, millisOf);
  if (row === undefined) {
    return fail('NO_MINIMUM_PRICE', `ECTA has published no minimum price in force for ${grade} (${region})`);
  }
  return row;
}
