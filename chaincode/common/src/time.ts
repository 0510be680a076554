/**
 * The transaction timestamp is the only clock. Conversions between epoch milliseconds and ISO-8601 are
 * done with integer calendar arithmetic (H. Hinnant's civil-date algorithms), so no Date object exists
 * in chaincode sources and every endorser computes the same text.
 */
import type { Context } from 'fabric-contract-api';

const MS_PER_DAY = 86_400_000;

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

function daysInMonth(year: number, month: number): number {
  return (
    daysFromCivil(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1) -
    daysFromCivil(year, month, 1)
  );
}

/** `YYYY-MM-DDTHH:MM:SS.mmmZ` for epoch milliseconds (same text as Date#toISOString for years 0-9999). */
export function isoFromMillis(millis: number): string {
  const days = Math.floor(millis / MS_PER_DAY);
  const rest = millis - days * MS_PER_DAY;
  const [year, month, day] = civilFromDays(days);
  const hours = Math.floor(rest / 3_600_000);
  const minutes = Math.floor((rest % 3_600_000) / 60_000);
  const seconds = Math.floor((rest % 60_000) / 1000);
  const ms = rest % 1000;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}.${pad(ms, 3)}Z`;
}

const ISO_PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z)?$/;

/**
 * Parses `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDTHH:MM:SS[.mmm]Z` to epoch milliseconds; undefined for
 * anything else (other offsets, impossible dates such as 2025-02-30, years outside 2000-2199).
 */
export function parseIsoMillis(text: string): number | undefined {
  const m = ISO_PATTERN.exec(text);
  if (!m) {
    return undefined;
  }
  const [year, month, day, hours, minutes, seconds] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((part) =>
    part === undefined ? 0 : Number(part),
  ) as [number, number, number, number, number, number];
  const fraction = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  if (year < 2000 || year > 2199 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return undefined;
  }
  if (hours > 23 || minutes > 59 || seconds > 59) {
    return undefined;
  }
  return (
    daysFromCivil(year, month, day) * MS_PER_DAY +
    hours * 3_600_000 +
    minutes * 60_000 +
    seconds * 1000 +
    fraction
  );
}

/** Milliseconds since the epoch of the transaction's timestamp (identical on every endorser). */
export function txMillis(ctx: Context): number {
  const ts = ctx.stub.getTxTimestamp();
  return ts.seconds.toNumber() * 1000 + Math.floor(ts.nanos / 1e6);
}

/** The transaction timestamp as ISO-8601 text. */
export function txIso(ctx: Context): string {
  return isoFromMillis(txMillis(ctx));
}
