/** Login, refresh (rotated, reuse revokes the family), logout (revokes), current user. */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DUMMY_HASH, verifyPassword } from '../auth/passwords.ts';
import { signAccessToken, type TokenKeys } from '../auth/tokens.ts';
import { query, withTx } from '../db/pool.ts';
import { AppError } from '../errors.ts';
import { auditQuietly } from './audit.ts';
import type { Caller, Deps } from './deps.ts';
import { publicUser, type PublicUser, type UserRow, type UserService } from './users.ts';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  user: PublicUser;
}

type Queryable = Pick<import('pg').Pool, 'query'> | import('pg').PoolClient;

const hashToken = (t: string): string => createHash('sha256').update(t).digest('hex');

export class AuthService {
  readonly #deps: Deps;
  readonly #users: UserService;
  readonly #keys: TokenKeys;

  constructor(deps: Deps, users: UserService) {
    this.#deps = deps;
    this.#users = users;
    this.#keys = { ...deps.config.jwt, issuer: deps.config.issuer };
  }

  get keys(): TokenKeys {
    return this.#keys;
  }

  async login(username: string, password: string, requestId: string): Promise<TokenPair> {
    const row = await this.#users.byUsername(username);
    const ok = await verifyPassword(password, row?.password_hash ?? DUMMY_HASH);
    if (!row || !ok) {
      await auditQuietly(this.#deps.pool, undefined, {
        action: 'auth.login',
        target: username,
        outcome: 'REFUSED',
      });
      throw new AppError(401, 'INVALID_CREDENTIALS', 'wrong username or password');
    }
    if (row.status !== 'ACTIVE') throw new AppError(403, 'USER_SUSPENDED', 'this user is suspended');
    const pair = await this.#issue(row, randomUUID());
    await auditQuietly(
      this.#deps.pool,
      { userId: row.id, username: row.username, role: row.role, requestId },
      { action: 'auth.login', outcome: 'OK' },
    );
    return pair;
  }

  async #issue(row: UserRow, familyId: string, db?: Queryable): Promise<TokenPair> {
    const conn = db ?? this.#deps.pool;
    const { config } = this.#deps;
    const refreshToken = randomBytes(32).toString('base64url');
    await conn.query(
      'INSERT INTO refresh_tokens(user_id, family_id, token_hash, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))',
      [row.id, familyId, hashToken(refreshToken), config.jwt.refreshTtlSeconds],
    );
    const accessToken = signAccessToken(this.#keys, {
      sub: row.id,
      username: row.username,
      role: row.role,
      org: config.org.id,
      mspId: config.org.mspId,
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
      }>(
        'SELECT id, user_id, family_id, revoked_at, expires_at < now() AS expired FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE',
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
      const pair = await this.#issue(user, tok.family_id, c);
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

  async logout(caller: Caller, refreshToken?: string): Promise<void> {
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
}
