/**
 * Per-account backoff and lockout after failed logins. Failures are counted per username as typed (lower-cased),
 * whether or not such a user exists, so a lock says nothing about which accounts exist. From the `threshold`-th
 * consecutive failure on, each failure locks the name for a backoff that doubles per further failure
 * (baseSeconds, 2×, 4× … up to maxSeconds). While locked, a login is refused with 423 ACCOUNT_LOCKED and
 * Retry-After before its password is even checked (no guessing continues, no scrypt spent). A successful login
 * clears the count; failures older than DECAY_SECONDS no longer count. The org admin can unlock a user.
 *
 * The lock is per account, not per address: one locked account behind the portal's proxy (every user's
 * connection comes from the portal) leaves every other account alone.
 */
import type pg from 'pg';
import { query, withTx } from '../db/pool.ts';
import { AppError } from '../errors.ts';

/** Failures further apart than this start the count again (a typo a week never adds up to a lock). */
export const DECAY_SECONDS = 24 * 3600;

export interface LockoutPolicy {
  readonly threshold: number;
  readonly baseSeconds: number;
  readonly maxSeconds: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { threshold: 5, baseSeconds: 30, maxSeconds: 15 * 60 };

/** How long the `failures`-th consecutive failure locks the account (0: not yet). */
export function lockSeconds(policy: LockoutPolicy, failures: number): number {
  if (failures < policy.threshold) return 0;
  const doublings = Math.min(failures - policy.threshold, 30);
  return Math.min(policy.baseSeconds * 2 ** doublings, policy.maxSeconds);
}

export interface AttemptState {
  failures: number;
  /** Epoch ms; undefined when not locked. */
  lockedUntil?: number;
}

/** Where the counts live (Postgres in the gateway; the unit tests use one in memory). */
export interface AttemptStore {
  get(key: string): Promise<AttemptState | undefined>;
  /** Counts one failure (restarting the count after DECAY_SECONDS) and sets the lock it earns; the new state. */
  fail(key: string, lockFor: (failures: number) => number): Promise<AttemptState>;
  clear(key: string): Promise<boolean>;
}

/** 423 ACCOUNT_LOCKED with Retry-After. */
export class AccountLockedError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super(
      423,
      'ACCOUNT_LOCKED',
      `too many failed logins: this account is locked for ${retryAfterSeconds} s more (or until the org admin unlocks it)`,
    );
    this.name = 'AccountLockedError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

const keyOf = (username: string): string => username.trim().toLowerCase();

export class Lockout {
  readonly #store: AttemptStore;
  readonly #policy: LockoutPolicy;
  readonly #now: () => number;

  constructor(store: AttemptStore, policy: LockoutPolicy = DEFAULT_LOCKOUT, now: () => number = Date.now) {
    this.#store = store;
    this.#policy = policy;
    this.#now = now;
  }

  /** Refuses (423) a login to a locked account; call before checking the password. */
  async assertOpen(username: string): Promise<void> {
    const state = await this.#store.get(keyOf(username));
    const left = state?.lockedUntil === undefined ? 0 : state.lockedUntil - this.#now();
    if (left > 0) throw new AccountLockedError(Math.ceil(left / 1000));
  }

  /** Counts a failed login; returns the state (locked from the threshold on). */
  async failed(username: string): Promise<AttemptState> {
    return this.#store.fail(keyOf(username), (n) => lockSeconds(this.#policy, n));
  }

  async succeeded(username: string): Promise<void> {
    await this.#store.clear(keyOf(username));
  }

  /** The org admin's unlock: true if there was anything to clear. */
  async unlock(username: string): Promise<boolean> {
    return this.#store.clear(keyOf(username));
  }

  async state(username: string): Promise<AttemptState | undefined> {
    return this.#store.get(keyOf(username));
  }
}

/** The counts in the org's Postgres (table login_attempts, migration 9). */
export class PgAttemptStore implements AttemptStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async get(key: string): Promise<AttemptState | undefined> {
    const row = (
      await query<{ failures: number; locked_ms: string | null }>(
        this.#pool,
        `SELECT failures, CASE WHEN locked_until > now() THEN (extract(epoch FROM locked_until) * 1000)::bigint::text END AS locked_ms
           FROM login_attempts WHERE username = $1 AND last_failure_at > now() - make_interval(secs => $2)`,
        [key, DECAY_SECONDS],
      )
    ).rows[0];
    if (!row) return undefined;
    return { failures: row.failures, ...(row.locked_ms ? { lockedUntil: Number(row.locked_ms) } : {}) };
  }

  async fail(key: string, lockFor: (failures: number) => number): Promise<AttemptState> {
    return withTx(this.#pool, async (c) => {
      // One row per name, counted atomically: parallel failures each add one.
      const failures = (
        await c.query<{ failures: number }>(
          `INSERT INTO login_attempts(username, failures, last_failure_at) VALUES ($1, 1, now())
           ON CONFLICT (username) DO UPDATE SET
             failures = CASE WHEN login_attempts.last_failure_at < now() - make_interval(secs => $2)
                             THEN 1 ELSE login_attempts.failures + 1 END,
             locked_until = CASE WHEN login_attempts.last_failure_at < now() - make_interval(secs => $2)
                             THEN NULL ELSE login_attempts.locked_until END,
             last_failure_at = now()
           RETURNING failures`,
          [key, DECAY_SECONDS],
        )
      ).rows[0]!.failures;
      const seconds = lockFor(failures);
      if (seconds === 0) return { failures };
      const locked = await c.query<{ locked_ms: string }>(
        `UPDATE login_attempts SET locked_until = now() + make_interval(secs => $2) WHERE username = $1
         RETURNING (extract(epoch FROM locked_until) * 1000)::bigint::text AS locked_ms`,
        [key, seconds],
      );
      return { failures, lockedUntil: Number(locked.rows[0]!.locked_ms) };
    });
  }

  async clear(key: string): Promise<boolean> {
    // Old rows of names nobody logs in with again go too (a name sprayer leaves no lasting rows).
    await query(
      this.#pool,
      'DELETE FROM login_attempts WHERE last_failure_at < now() - make_interval(secs => $1)',
      [DECAY_SECONDS],
    );
    return (await query(this.#pool, 'DELETE FROM login_attempts WHERE username = $1', [key])).rowCount! > 0;
  }
}
