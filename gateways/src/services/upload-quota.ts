/**
 * Upload quotas per user: files and bytes per user over a sliding window (an hour by default). An upload is
 * counted at the door, before its body is read, by the length it declares (the file limit when it declares none),
 * so parallel uploads of one user are bounded too; once its file has been read, the entry holds the file's real
 * size. Past either quota the request is refused with 429 and Retry-After: when enough of the window has passed
 * for this upload to fit.
 *
 * The counts live in the gateway's memory: one process serves an org, and a restart forgets at most one window.
 */
import { AppError } from '../errors.ts';

export interface UploadQuotaLimits {
  /** Sliding window length. */
  readonly windowMs: number;
  /** Uploads (requests with a file) per user per window. */
  readonly maxFiles: number;
  /** Upload bytes per user per window. */
  readonly maxBytes: number;
}

export class UploadQuotaError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(429, 'UPLOAD_QUOTA_EXCEEDED', message);
    this.name = 'UploadQuotaError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

interface Entry {
  at: number;
  bytes: number;
}

/** One counted upload: `settle` replaces the declared length with the bytes actually kept. */
export interface QuotaReservation {
  settle(bytes: number): void;
}

export class UploadQuota {
  readonly #limits: UploadQuotaLimits;
  readonly #now: () => number;
  readonly #byUser = new Map<string, Entry[]>();
  #refused = 0;

  constructor(limits: UploadQuotaLimits, now: () => number = Date.now) {
    for (const [name, v] of Object.entries(limits))
      if (!Number.isInteger(v) || (v as number) < 1)
        throw new RangeError(`upload quota ${name} must be a positive integer`);
    this.#limits = limits;
    this.#now = now;
  }

  get limits(): UploadQuotaLimits {
    return this.#limits;
  }

  /** Uploads refused since start (a metric). */
  get refused(): number {
    return this.#refused;
  }

  /** What the user has used in the current window. */
  usage(userId: string): { files: number; bytes: number } {
    const entries = this.#live(userId);
    return { files: entries.length, bytes: entries.reduce((s, e) => s + e.bytes, 0) };
  }

  /**
   * Counts one upload of (at most) `bytes` for the user, or throws UploadQuotaError (429) when it does not fit.
   */
  reserve(userId: string, bytes: number): QuotaReservation {
    const { maxFiles, maxBytes, windowMs } = this.#limits;
    const now = this.#now();
    const entries = this.#live(userId, now);
    const need = Math.max(0, Math.min(bytes, maxBytes));
    let used = entries.reduce((s, e) => s + e.bytes, 0);
    // The oldest entries leave the window first: drop them until this upload fits, and the last one dropped
    // says when it will.
    let freedAt: number | undefined;
    for (let i = 0; entries.length - i >= maxFiles || used + need > maxBytes; i++) {
      const oldest = entries[i];
      if (!oldest) break;
      used -= oldest.bytes;
      freedAt = oldest.at + windowMs;
    }
    if (freedAt !== undefined) {
      this.#refused += 1;
      const retryAfter = Math.max(1, Math.ceil((freedAt - now) / 1000));
      const files = entries.length >= maxFiles;
      throw new UploadQuotaError(
        files
          ? `upload quota reached: ${maxFiles} files per ${describe(windowMs)}; retry in ${retryAfter} s`
          : `upload quota reached: ${maxBytes} bytes per ${describe(windowMs)}; retry in ${retryAfter} s`,
        retryAfter,
      );
    }
    const entry: Entry = { at: now, bytes: need };
    entries.push(entry);
    this.#byUser.set(userId, entries);
    return {
      settle: (actual) => {
        entry.bytes = Math.max(0, Math.min(actual, need));
      },
    };
  }

  /** The user's entries still inside the window (older ones are forgotten; an idle user leaves the map). */
  #live(userId: string, now = this.#now()): Entry[] {
    const entries = this.#byUser.get(userId);
    if (!entries) return [];
    const from = now - this.#limits.windowMs;
    const live = entries.filter((e) => e.at > from);
    if (live.length === 0) this.#byUser.delete(userId);
    else if (live.length !== entries.length) this.#byUser.set(userId, live);
    return live;
  }
}

function describe(windowMs: number): string {
  if (windowMs % 3_600_000 === 0) return windowMs === 3_600_000 ? 'hour' : `${windowMs / 3_600_000} hours`;
  if (windowMs % 60_000 === 0) return windowMs === 60_000 ? 'minute' : `${windowMs / 60_000} minutes`;
  return `${windowMs / 1000} s`;
}
