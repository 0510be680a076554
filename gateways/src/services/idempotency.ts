/**
 * Idempotency-Key for every mutating route (gateways.md: "a retried request never creates a second export").
 *
 * A key is claimed per (user, key) with the request's hash, the resource id the request will create (an
 * export id is fixed at the claim, so a retry can only ever create that one export) and a lease. While the
 * lease runs, a retry answers 409 REQUEST_IN_PROGRESS with Retry-After; once the first request finished, a retry
 * replays its answer; if it never finished (the gateway crashed, the commit status timed out, Postgres went away
 * after the commit) the lease expires and the retry takes the key over in "recovery": the route then resolves
 * the outcome from the ledger (the export exists, or the transition is already the record's last action)
 * instead of acting twice.
 */
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { query } from '../db/pool.ts';
import { AppError } from '../errors.ts';
import type { Caller } from './deps.ts';

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:-]{8,128}$/;

export type Claim =
  | { kind: 'new'; key: string; resourceId: string | null }
  | { kind: 'recover'; key: string; resourceId: string | null }
  | { kind: 'replay'; status: number; body: unknown };

export class InProgressError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super(409, 'REQUEST_IN_PROGRESS', 'the first request with this Idempotency-Key is still running');
    this.name = 'InProgressError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export function requestHash(parts: readonly unknown[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(Buffer.isBuffer(p) ? p : JSON.stringify(p ?? null)).update('\u0000');
  return h.digest('hex');
}

export class IdempotencyService {
  readonly #pool: pg.Pool;
  readonly #leaseSeconds: number;

  constructor(pool: pg.Pool, leaseSeconds: number) {
    this.#pool = pool;
    this.#leaseSeconds = leaseSeconds;
  }

  get pool(): pg.Pool {
    return this.#pool;
  }

  /**
   * Claims `key` for this request, or says what to do instead: replay the stored answer, recover (the lease of
   * an unfinished earlier request expired), or wait (InProgressError). A key reused with a different request is
   * refused (422).
   */
  async claim(
    caller: Caller,
    key: string,
    route: string,
    hash: string,
    resourceId: string | null = null,
  ): Promise<Claim> {
    if (!IDEMPOTENCY_KEY_PATTERN.test(key))
      throw new AppError(
        400,
        'VALIDATION_FAILED',
        'Idempotency-Key must be 8-128 characters of A-Z a-z 0-9 . _ : -',
      );
    const inserted = await query(
      this.#pool,
      `INSERT INTO idempotency_keys(user_id, key, route, request_hash, resource_id, lease_until)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) ON CONFLICT DO NOTHING`,
      [caller.userId, key, route, hash, resourceId, this.#leaseSeconds],
    );
    if (inserted.rowCount === 1) return { kind: 'new', key, resourceId };
    // Taken: replay, wait, or take over an expired lease (atomically: only one retry recovers).
    const taken = await query<{
      request_hash: string;
      status_code: number | null;
      response: unknown;
      resource_id: string | null;
      expired: boolean;
      wait: number;
    }>(
      this.#pool,
      `WITH old AS (
         SELECT lease_until AS lease FROM idempotency_keys WHERE user_id = $1 AND key = $2 FOR UPDATE
       )
       UPDATE idempotency_keys k SET lease_until = CASE
         WHEN k.status_code IS NULL AND old.lease < now() AND k.request_hash = $3
         THEN now() + make_interval(secs => $4) ELSE k.lease_until END
       FROM old WHERE k.user_id = $1 AND k.key = $2
       RETURNING k.request_hash, k.status_code, k.response, k.resource_id,
         (k.status_code IS NULL AND old.lease < now() AND k.request_hash = $3) AS expired,
         GREATEST(1, ceil(extract(epoch FROM old.lease - now())))::int AS wait`,
      [caller.userId, key, hash, this.#leaseSeconds],
    );
    const row = taken.rows[0];
    if (!row) return this.claim(caller, key, route, hash, resourceId);
    if (row.request_hash !== hash)
      throw new AppError(
        422,
        'IDEMPOTENCY_KEY_REUSED',
        'this Idempotency-Key was used with a different request',
      );
    if (row.status_code !== null) return { kind: 'replay', status: row.status_code, body: row.response };
    if (row.expired) return { kind: 'recover', key, resourceId: row.resource_id };
    // Most first requests end within a second or two; the lease only matters if one never does.
    throw new InProgressError(Math.min(row.wait, 2));
  }

  /** Stores the answer (in the caller's SQL transaction when given, with the rows the request wrote). */
  async complete(
    db: pg.Pool | pg.PoolClient,
    caller: Caller,
    key: string,
    status: number,
    body: unknown,
  ): Promise<void> {
    await db.query(
      'UPDATE idempotency_keys SET status_code = $3, response = $4, lease_until = now() WHERE user_id = $1 AND key = $2',
      [caller.userId, key, status, JSON.stringify(body ?? null)],
    );
  }

  /** Releases the key after a definite refusal (nothing happened): the same key may be retried at once. */
  async release(caller: Caller, key: string): Promise<void> {
    await query(
      this.#pool,
      'DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND status_code IS NULL',
      [caller.userId, key],
    ).catch(() => undefined);
  }
}

/** A fresh export id: the date and 8 random hex digits. */
export function newExportId(): string {
  const d = new Date();
  const ymd = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
  return `EXP-${ymd}-${randomBytes(4).toString('hex').toUpperCase()}`;
}
