/**
 * Access tokens revoked before they expire (logout, a password change): a denylist of token ids (`jti`) in
 * Postgres, each row kept until the token would have expired anyway, and mirrored in memory so that the check on
 * every request is a Map lookup.
 *
 * One gateway process serves an org: a revocation made here is in the mirror before the request that made it is
 * answered, so it holds at once in this process. Rows written by another process sharing the database (a second
 * instance) are picked up by a sync at most SYNC_MS later; the first check after start waits for the full load.
 * A password change needs no row per token: it moves the user's token generation on (users.token_generation,
 * compared with the token's `gen` in routes/http.ts authenticate()).
 */
import type pg from 'pg';
import { query } from '../db/pool.ts';

const SYNC_MS = 5_000;
const PURGE_MS = 10 * 60_000;

export class Revocations {
  readonly #pool: pg.Pool;
  /** jti → the token's expiry (epoch ms). */
  readonly #revoked = new Map<string, number>();
  #lastSeq = '0';
  #loaded: Promise<void> | undefined;
  #syncing = false;
  #syncedAt = 0;
  #purgedAt = 0;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Whether the token `jti` was revoked (false once it has expired: the signature check refuses it then). */
  async isRevoked(jti: string): Promise<boolean> {
    await (this.#loaded ??= this.#sync().catch((e: unknown) => {
      this.#loaded = undefined; // the next request tries again (Postgres down: the request is a 503)
      throw e;
    }));
    if (!this.#syncing && Date.now() - this.#syncedAt > SYNC_MS) {
      // In the background: the request goes on with the mirror as it is (this process's revocations are in it).
      this.#syncing = true;
      void this.#sync()
        .catch(() => undefined)
        .finally(() => (this.#syncing = false));
    }
    const exp = this.#revoked.get(jti);
    return exp !== undefined && exp > Date.now();
  }

  /** Revokes one access token until its expiry (`exp`, epoch seconds): effective here before this resolves. */
  async revoke(jti: string, userId: string, exp: number): Promise<void> {
    await query(
      this.#pool,
      'INSERT INTO revoked_access_tokens(jti, user_id, expires_at) VALUES ($1, $2, to_timestamp($3)) ON CONFLICT (jti) DO NOTHING',
      [jti, userId, exp],
    );
    this.#revoked.set(jti, exp * 1000);
  }

  /** Rows newer than the last seen (all unexpired ones the first time); expired entries leave the mirror. */
  async #sync(): Promise<void> {
    const started = Date.now();
    const rows = (
      await query<{ jti: string; exp_ms: string; seq: string }>(
        this.#pool,
        `SELECT jti, (extract(epoch FROM expires_at) * 1000)::bigint::text AS exp_ms, seq::text AS seq
           FROM revoked_access_tokens WHERE seq > $1 AND expires_at > now() ORDER BY seq`,
        [this.#lastSeq],
      )
    ).rows;
    for (const r of rows) {
      this.#revoked.set(r.jti, Number(r.exp_ms));
      this.#lastSeq = r.seq;
    }
    const now = Date.now();
    for (const [jti, exp] of this.#revoked) if (exp <= now) this.#revoked.delete(jti);
    if (now - this.#purgedAt > PURGE_MS) {
      this.#purgedAt = now;
      await query(this.#pool, 'DELETE FROM revoked_access_tokens WHERE expires_at < now()');
    }
    this.#syncedAt = started;
  }
}
