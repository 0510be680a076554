/** Login, refresh (rotated, reuse revokes the family), logout (revokes), current user. */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { openSigningKeys, type KeySource, type PublicJwk } from '../auth/keyring.ts';
import { assertPasswordPolicy } from '../auth/password-policy.ts';
import { DUMMY_HASH, hashPassword, needsRehash, verifyPassword } from '../auth/passwords.ts';
import { Revocations } from '../auth/revocation.ts';
import { signAccessToken, type TokenKeys } from '../auth/tokens.ts';
import { Lockout, PgAttemptStore } from './lockout.ts';
import { query, withTx } from '../db/pool.ts';
import { AppError } from '../errors.ts';
import { audit, auditQuietly } from './audit.ts';
import type { Caller, Deps } from './deps.ts';
import { publicUser, type PublicUser, type UserRow, type UserService } from './users.ts';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  user: PublicUser;
  /** The org's policy requires a second factor of this user, who has none yet: the token only opens enrollment. */
  mfaEnrollmentRequired?: true;
}

/** A correct password of a user with two-factor authentication: no tokens yet, a challenge to answer. */
export interface MfaChallenge {
  mfaRequired: true;
  /** Short-lived and single-use; answered at POST /auth/mfa/verify with a code or a recovery code. */
  challenge: string;
  expiresIn: number;
}

/** The second-factor step after a correct password (services/mfa.ts). */
export interface SecondFactor {
  challengeFor(row: UserRow): Promise<MfaChallenge | undefined>;
  enrollmentRequired(row: UserRow): Promise<boolean>;
}

type Queryable = Pick<import('pg').Pool, 'query'> | import('pg').PoolClient;

const hashToken = (t: string): string => createHash('sha256').update(t).digest('hex');

export class AuthService {
  readonly #deps: Deps;
  readonly #users: UserService;
  readonly #keys: TokenKeys;
  readonly #keyring: KeySource;
  #secondFactor: SecondFactor | undefined;
  /** Access tokens revoked before their expiry (logout), checked by every authenticated request. */
  readonly revocations: Revocations;
  /** Failed-login counts and locks per account. */
  readonly lockout: Lockout;

  constructor(deps: Deps, users: UserService) {
    this.#deps = deps;
    this.#users = users;
    const { jwt } = deps.config;
    this.#keyring = openSigningKeys(jwt);
    this.#keys = {
      keyring: this.#keyring,
      issuer: deps.config.issuer,
      accessTtlSeconds: jwt.accessTtlSeconds,
    };
    this.revocations = new Revocations(deps.pool);
    this.lockout = new Lockout(new PgAttemptStore(deps.pool), deps.config.lockout);
  }

  get keys(): TokenKeys {
    return this.#keys;
  }

  /** The JWKS: every public key that still verifies (GET /.well-known/jwks.json). */
  jwks(): { keys: PublicJwk[] } {
    return this.#keyring.jwks();
  }

  /** Two-factor authentication (services/mfa.ts sets itself here: it issues its tokens through this service). */
  useSecondFactor(secondFactor: SecondFactor): void {
    this.#secondFactor = secondFactor;
  }

  async login(username: string, password: string, requestId: string): Promise<TokenPair | MfaChallenge> {
    // A locked account is refused before its password is checked (services/lockout.ts).
    await this.lockout.assertOpen(username);
    const row = await this.#users.byUsername(username);
    const ok = await verifyPassword(password, row?.password_hash ?? DUMMY_HASH);
    if (!row || !ok) {
      const { lockedUntil } = await this.lockout.failed(username);
      await auditQuietly(this.#deps.pool, undefined, {
        action: lockedUntil === undefined ? 'auth.login' : 'auth.lockout',
        target: username,
        outcome: 'REFUSED',
      });
      throw new AppError(401, 'INVALID_CREDENTIALS', 'wrong username or password');
    }
    await this.lockout.succeeded(username);
    if (needsRehash(row.password_hash)) await this.#rehash(row, password);
    if (row.status !== 'ACTIVE') throw new AppError(403, 'USER_SUSPENDED', 'this user is suspended');
    const who = { userId: row.id, username: row.username, role: row.role, requestId };
    const challenge = await this.#secondFactor?.challengeFor(row);
    if (challenge) {
      await auditQuietly(this.#deps.pool, who, { action: 'auth.password', outcome: 'OK' });
      return challenge;
    }
    const pair = await this.#issue(row, randomUUID());
    await auditQuietly(this.#deps.pool, who, { action: 'auth.login', outcome: 'OK' });
    if (await this.#secondFactor?.enrollmentRequired(row)) return { ...pair, mfaEnrollmentRequired: true };
    return pair;
  }

  /** A new token pair (a new refresh family) for a user who proved a second factor at `mfaAt`. */
  async issue(row: UserRow, mfaAt: number | undefined, db?: Queryable): Promise<TokenPair> {
    return this.#issue(row, randomUUID(), db, mfaAt);
  }

  /**
   * A new access token with a fresh `mfaAt` (a step-up); the given refresh token's family keeps it too, so a
   * refresh does not lose it. A refresh token that is not the caller's live one is ignored.
   */
  async stepUp(
    row: UserRow,
    mfaAt: number,
    refreshToken?: string,
  ): Promise<{ accessToken: string; tokenType: 'Bearer'; expiresIn: number; mfaAt: number }> {
    const { config } = this.#deps;
    if (refreshToken) {
      await query(
        this.#deps.pool,
        `UPDATE refresh_tokens SET mfa_at = $3 WHERE user_id = $1 AND revoked_at IS NULL AND family_id =
           (SELECT family_id FROM refresh_tokens WHERE token_hash = $2 AND user_id = $1 AND revoked_at IS NULL)`,
        [row.id, hashToken(refreshToken), mfaAt],
      );
    }
    const accessToken = signAccessToken(this.#keys, {
      sub: row.id,
      username: row.username,
      role: row.role,
      org: config.org.id,
      mspId: config.org.mspId,
      mfaAt,
      gen: row.token_generation,
    });
    return { accessToken, tokenType: 'Bearer', expiresIn: config.jwt.accessTtlSeconds, mfaAt };
  }

  async #issue(row: UserRow, familyId: string, db?: Queryable, mfaAt?: number): Promise<TokenPair> {
    const conn = db ?? this.#deps.pool;
    const { config } = this.#deps;
    const refreshToken = randomBytes(32).toString('base64url');
    await conn.query(
      'INSERT INTO refresh_tokens(user_id, family_id, token_hash, expires_at, mfa_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)',
      [row.id, familyId, hashToken(refreshToken), config.jwt.refreshTtlSeconds, mfaAt ?? null],
    );
    const accessToken = signAccessToken(this.#keys, {
      sub: row.id,
      username: row.username,
      role: row.role,
      org: config.org.id,
      mspId: config.org.mspId,
      ...(mfaAt !== undefined ? { mfaAt } : {}),
      gen: row.token_generation,
    });
    return {
      accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: config.jwt.accessTtlSeconds,
      user: publicUser(row, config.org.id),
    };
  }

  /** Rotates: the presented token is revoked and replaced; presenting a revoked one revokes its whole family. */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const result = await withTx(this.#deps.pool, async (c) => {
      const found = await c.query<{
        id: string;
        user_id: string;
        family_id: string;
        revoked_at: Date | null;
        expired: boolean;
        mfa_at: string | null;
      }>(
        'SELECT id, user_id, family_id, revoked_at, expires_at < now() AS expired, mfa_at FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE',
        [hashToken(refreshToken)],
      );
      const tok = found.rows[0];
      if (!tok) return { error: 'INVALID_REFRESH_TOKEN' as const };
      if (tok.revoked_at) {
        await c.query(
          'UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL',
          [tok.family_id],
        );
        return { error: 'REFRESH_TOKEN_REUSED' as const };
      }
      if (tok.expired) return { error: 'INVALID_REFRESH_TOKEN' as const };
      const user = (await c.query<UserRow>('SELECT * FROM users WHERE id = $1', [tok.user_id])).rows[0];
      if (!user || user.status !== 'ACTIVE') return { error: 'INVALID_REFRESH_TOKEN' as const };
      // The family keeps the time its login (or a step-up) proved a second factor.
      const pair = await this.#issue(
        user,
        tok.family_id,
        c,
        tok.mfa_at === null ? undefined : Number(tok.mfa_at),
      );
      await c.query(
        'UPDATE refresh_tokens SET revoked_at = now(), replaced_by = (SELECT id FROM refresh_tokens WHERE token_hash = $2) WHERE id = $1',
        [tok.id, hashToken(pair.refreshToken)],
      );
      return { pair };
    });
    if (!result.pair)
      throw new AppError(401, result.error ?? 'INVALID_REFRESH_TOKEN', 'the refresh token is not valid');
    return result.pair;
  }

  /** Stores a password hashed at an older cost again at today's (unless it changed meanwhile). */
  async #rehash(row: UserRow, password: string): Promise<void> {
    try {
      await query(
        this.#deps.pool,
        'UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2',
        [row.id, row.password_hash, await hashPassword(password)],
      );
    } catch (e: unknown) {
      // The login goes on: the next one tries again.
      this.#deps.logger.warn({ err: e, userId: row.id }, 'password rehash failed');
    }
  }

  async logout(caller: Caller, refreshToken?: string): Promise<void> {
    // The access token presented stops working at once, not when it expires.
    if (caller.token) await this.revocations.revoke(caller.token.jti, caller.userId, caller.token.exp);
    if (refreshToken) {
      await query(
        this.#deps.pool,
        'UPDATE refresh_tokens SET revoked_at = now() WHERE token_hash = $1 AND user_id = $2 AND revoked_at IS NULL',
        [hashToken(refreshToken), caller.userId],
      );
    } else {
      await query(
        this.#deps.pool,
        'UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL',
        [caller.userId],
      );
    }
    await auditQuietly(this.#deps.pool, caller, { action: 'auth.logout', outcome: 'OK' });
  }

  /**
   * A user's own password change: the current password first (a stolen token alone cannot change it), the
   * policy, then the new hash with the token generation moved on — every access token of the user, this one
   * included, stops working at once — and every refresh token revoked. The user signs in again.
   */
  async changePassword(caller: Caller, currentPassword: string, newPassword: string): Promise<void> {
    const row = await this.#users.byId(caller.userId);
    if (!row) throw new AppError(401, 'INVALID_TOKEN', 'the user no longer exists');
    if (!(await verifyPassword(currentPassword, row.password_hash))) {
      await auditQuietly(this.#deps.pool, caller, { action: 'auth.password-change', outcome: 'REFUSED' });
      throw new AppError(403, 'INVALID_CREDENTIALS', 'the current password is wrong');
    }
    assertPasswordPolicy(newPassword, row.username, 'body.newPassword');
    const hash = await hashPassword(newPassword);
    await withTx(this.#deps.pool, async (c) => {
      await c.query(
        'UPDATE users SET password_hash = $2, token_generation = token_generation + 1, updated_at = now() WHERE id = $1',
        [row.id, hash],
      );
      await c.query(
        'UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL',
        [row.id],
      );
      await audit(c, caller, { action: 'auth.password-change', outcome: 'OK' });
    });
    this.#users.forget(row.id);
    if (caller.token) await this.revocations.revoke(caller.token.jti, caller.userId, caller.token.exp);
  }

  /** The org admin unlocks a user locked out by failed logins (audited); whether anything was cleared. */
  async unlock(caller: Caller, userId: string): Promise<{ username: string; unlocked: boolean }> {
    const row = await this.#users.byId(userId);
    if (!row) throw new AppError(404, 'USER_NOT_FOUND', `user ${userId} does not exist`);
    const unlocked = await this.lockout.unlock(row.username);
    await auditQuietly(this.#deps.pool, caller, {
      action: 'users.unlock',
      target: row.fabric_user_id,
      outcome: 'OK',
    });
    return { username: row.username, unlocked };
  }
}
