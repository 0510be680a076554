/**
 * The org's users: credentials in Postgres (scrypt), a Fabric CA identity per user (role attribute in the
 * enrollment certificate) whose private key is kept encrypted (AES-256-GCM), and an on-chain user record
 * registered by the org admin. Order of writes: CA identity → on-chain record → Postgres row, so no
 * off-chain row exists without its transaction.
 */
import { openKey, sealKey } from '../auth/custody.ts';
import { hashPassword } from '../auth/passwords.ts';
import { assertPasswordPolicy } from '../auth/password-policy.ts';
import { dbReachable, query, withTx } from '../db/pool.ts';
import { ROLES_BY_ORG, isOrgId } from '@coffee/consortium';
import { AppError, UnavailableError } from '../errors.ts';
import type { FabricIdentity } from '../fabric/ledger.ts';
import { audit, auditQuietly } from './audit.ts';
import type { Caller, Deps } from './deps.ts';

export interface UserRow {
  id: string;
  username: string;
  display_name: string | null;
  email: string | null;
  role: string;
  exporter_id: string | null;
  status: string;
  fabric_user_id: string;
  password_hash: string;
  certificate: string;
  key_ciphertext: Buffer;
  key_iv: Buffer;
  key_tag: Buffer;
  created_at: Date;
  /** Moved on by a password change: access tokens of an older generation are refused (migration 9). */
  token_generation: number;
}

export interface PublicUser {
  id: string;
  username: string;
  displayName: string | null;
  email: string | null;
  role: string;
  exporterId: string | null;
  status: string;
  fabricUserId: string;
  org: string;
  createdAt: string;
}

export function publicUser(row: UserRow, org: string): PublicUser {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    email: row.email,
    role: row.role,
    exporterId: row.exporter_id,
    status: row.status,
    fabricUserId: row.fabric_user_id,
    org,
    createdAt: row.created_at.toISOString(),
  };
}

/** Users looked up per request are cached this long, at most CACHE_MAX of them (a suspension clears its entry). */
const CACHE_MS = 30_000;
const CACHE_MAX = 2000;

export class UserService {
  readonly #deps: Deps;
  readonly #identities = new Map<string, FabricIdentity>();
  readonly #rows = new Map<string, { row: UserRow; at: number }>();

  constructor(deps: Deps) {
    this.#deps = deps;
  }

  fabricUserId(username: string): string {
    return `${this.#deps.config.org.mspId}::${username}`;
  }

  /**
   * The user behind a token, from a bounded cache (every request authenticates; the database is asked at most
   * every 30 s per user). update() clears the entry, so a suspension or a role change takes effect at once here.
   */
  async byId(id: string): Promise<UserRow | undefined> {
    const hit = this.#rows.get(id);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.row;
    const row = (await query<UserRow>(this.#deps.pool, 'SELECT * FROM users WHERE id = $1', [id])).rows[0];
    this.#rows.delete(id);
    if (row) {
      if (this.#rows.size >= CACHE_MAX) this.#rows.delete(this.#rows.keys().next().value!);
      this.#rows.set(id, { row, at: Date.now() });
    }
    return row;
  }

  async byUsername(username: string): Promise<UserRow | undefined> {
    return (await query<UserRow>(this.#deps.pool, 'SELECT * FROM users WHERE username = $1', [username]))
      .rows[0];
  }

  /** The caller's Fabric identity (custodial key decrypted once, kept in memory). */
  async identityOf(userId: string): Promise<FabricIdentity> {
    const cached = this.#identities.get(userId);
    if (cached) return cached;
    const row = await this.byId(userId);
    if (!row) throw new AppError(401, 'INVALID_TOKEN', 'the user no longer exists');
    const identity: FabricIdentity = {
      id: row.fabric_user_id,
      mspId: this.#deps.config.org.mspId,
      certificate: row.certificate,
      privateKey: openKey(this.#deps.config.custodyKey, row.fabric_user_id, {
        ciphertext: row.key_ciphertext,
        iv: row.key_iv,
        tag: row.key_tag,
      }),
    };
    this.#identities.set(userId, identity);
    return identity;
  }

  async me(id: string): Promise<PublicUser> {
    const row = await this.byId(id);
    if (!row) throw new AppError(401, 'INVALID_TOKEN', 'the user no longer exists');
    return publicUser(row, this.#deps.config.org.id);
  }

  async list(): Promise<PublicUser[]> {
    const rows = (await query<UserRow>(this.#deps.pool, 'SELECT * FROM users ORDER BY username')).rows;
    return rows.map((r) => publicUser(r, this.#deps.config.org.id));
  }

  /** The bootstrap admin row (its identity is the org admin's), created once at start-up. */
  async ensureBootstrapAdmin(): Promise<boolean> {
    const { config, orgAdmin } = this.#deps;
    const existing = await this.byUsername(config.admin.username);
    if (existing) return false;
    const sealed = sealKey(config.custodyKey, orgAdmin.id, orgAdmin.privateKey);
    await query(
      this.#deps.pool,
      `INSERT INTO users(username, role, fabric_user_id, password_hash, certificate, key_ciphertext, key_iv, key_tag, display_name)
       VALUES ($1, 'admin', $2, $3, $4, $5, $6, $7, 'Organization administrator') ON CONFLICT (username) DO NOTHING`,
      [
        config.admin.username,
        orgAdmin.id,
        await hashPassword(config.admin.initialPassword),
        orgAdmin.certificate,
        sealed.ciphertext,
        sealed.iv,
        sealed.tag,
      ],
    );
    return true;
  }

  async create(
    caller: Caller,
    input: {
      username: string;
      password: string;
      role: string;
      exporterId?: string;
      displayName?: string;
      email?: string;
    },
  ): Promise<PublicUser> {
    const { config, pool, ledger, orgAdmin } = this.#deps;
    const roles: readonly string[] = isOrgId(config.org.id) ? ROLES_BY_ORG[config.org.id] : [];
    if (!roles.includes(input.role)) {
      throw new AppError(
        400,
        'VALIDATION_FAILED',
        `role must be one of ${roles.join(', ')} at ${config.org.id}`,
      );
    }
    if (input.role === 'exporter' && !input.exporterId)
      throw new AppError(400, 'VALIDATION_FAILED', 'an exporter user needs exporterId');
    if (input.role !== 'exporter' && input.exporterId)
      throw new AppError(400, 'VALIDATION_FAILED', 'only exporter users carry exporterId');
    assertPasswordPolicy(input.password, input.username);
    if (!(await dbReachable(pool))) throw new UnavailableError('the database');
    if (await this.byUsername(input.username))
      throw new AppError(409, 'USER_EXISTS', `user ${input.username} already exists`);
    const fabricUserId = this.fabricUserId(input.username);
    const enrolled = await this.#deps.enroll(input.username, input.role);
    const tx = await ledger.registerUser(orgAdmin, {
      commonName: input.username,
      role: input.role,
      exporterId: input.exporterId,
    });
    const sealed = sealKey(config.custodyKey, fabricUserId, enrolled.privateKey);
    const passwordHash = await hashPassword(input.password);
    const row = await withTx(pool, async (c) => {
      const r = await c.query<UserRow>(
        `INSERT INTO users(username, display_name, email, role, exporter_id, fabric_user_id, password_hash, certificate, key_ciphertext, key_iv, key_tag)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING *`,
        [
          input.username,
          input.displayName ?? null,
          input.email ?? null,
          input.role,
          input.exporterId ?? null,
          fabricUserId,
          passwordHash,
          enrolled.certificate,
          sealed.ciphertext,
          sealed.iv,
          sealed.tag,
        ],
      );
      await audit(c, caller, { action: 'users.create', target: fabricUserId, txId: tx.txId, outcome: 'OK' });
      return r.rows[0]!;
    });
    return publicUser(row, config.org.id);
  }

  async update(
    caller: Caller,
    id: string,
    input: {
      status?: 'ACTIVE' | 'SUSPENDED';
      reason?: string;
      password?: string;
      displayName?: string;
      email?: string;
    },
  ): Promise<PublicUser> {
    const { config, pool, ledger, orgAdmin } = this.#deps;
    const row = await this.byId(id);
    if (!row) throw new AppError(404, 'USER_NOT_FOUND', `user ${id} does not exist`);
    if (input.password) assertPasswordPolicy(input.password, row.username);
    if (!(await dbReachable(pool))) throw new UnavailableError('the database');
    let txId: string | undefined;
    if (input.status && input.status !== row.status) {
      if (row.id === caller.userId)
        throw new AppError(409, 'INVALID_TRANSITION', 'an admin cannot change their own status');
      const reason =
        input.reason ?? (input.status === 'SUSPENDED' ? 'suspended by the org admin' : undefined);
      const tx =
        input.status === 'SUSPENDED'
          ? await ledger.suspendUser(orgAdmin, { userId: row.fabric_user_id, reason: reason! })
          : await ledger.reactivateUser(orgAdmin, { userId: row.fabric_user_id, reason });
      txId = tx.txId;
    }
    const passwordHash = input.password ? await hashPassword(input.password) : undefined;
    const updated = await withTx(pool, async (c) => {
      const r = await c.query<UserRow>(
        `UPDATE users SET status = COALESCE($2, status), password_hash = COALESCE($3, password_hash),
           token_generation = token_generation + CASE WHEN $3::text IS NULL THEN 0 ELSE 1 END,
           display_name = COALESCE($4, display_name), email = COALESCE($5, email), updated_at = now() WHERE id = $1 RETURNING *`,
        [id, input.status ?? null, passwordHash ?? null, input.displayName ?? null, input.email ?? null],
      );
      if (input.status === 'SUSPENDED' || passwordHash) {
        await c.query(
          'UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL',
          [id],
        );
      }
      await audit(c, caller, { action: 'users.update', target: row.fabric_user_id, txId, outcome: 'OK' });
      return r.rows[0]!;
    });
    this.#rows.delete(id);
    return publicUser(updated, config.org.id);
  }

  /** Drops the cached row of a user changed elsewhere (a password change: its token generation moved on). */
  forget(id: string): void {
    this.#rows.delete(id);
  }

  async refuse(caller: Caller | undefined, action: string, target?: string): Promise<void> {
    await auditQuietly(this.#deps.pool, caller, { action, target, outcome: 'REFUSED' });
  }
}
