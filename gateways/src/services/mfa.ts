/**
 * Two-factor authentication: TOTP enrollment (the secret sealed with the custody key), single-use recovery codes
 * (stored as keyed hashes), the login challenge a password opens, the step-up an approval needs, the org's policy
 * (which roles must enroll) and the admin's audited reset.
 *
 * A code is never taken twice: the newest accepted time step is kept per user and moved forward only by
 * `UPDATE ... WHERE last_step < $step` in Postgres, so two requests racing with one code cannot both win, even
 * within its 30 s window and across gateway instances sharing the database.
 */
import { isStepUpAction } from '@coffee/consortium';
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { openKey, sealKey } from '../auth/custody.ts';
import {
  newRecoveryCodes,
  newTotpSecret,
  randomToken,
  recoveryCodeHash,
  totpStep,
  totpUri,
  TOTP_DIGITS,
  TOTP_PERIOD_SECONDS,
} from '../auth/totp.ts';
import { query, withTx } from '../db/pool.ts';
import { AppError } from '../errors.ts';
import { audit, auditQuietly } from './audit.ts';
import type { AuthService, MfaChallenge, SecondFactor, TokenPair } from './auth.ts';
import type { Caller, Deps } from './deps.ts';
import type { UserRow, UserService } from './users.ts';

/** How long a login challenge may be answered, and how many answers it takes before it is spent. */
export const CHALLENGE_TTL_SECONDS = 300;
export const CHALLENGE_MAX_ATTEMPTS = 5;
/** Whether a user has two-factor enabled is cached this long per process (enable and reset clear it here). */
const CACHE_MS = 30_000;
/**
 * Wrong codes per user before further codes are refused for a while (429): a challenge allows a few answers, but
 * a password opens any number of challenges, and a step-up needs no password at all (a stolen access token).
 */
export const MAX_CODE_FAILURES = 5;
export const CODE_FAILURE_WINDOW_MS = 5 * 60_000;

interface MfaRow {
  user_id: string;
  secret_ciphertext: Buffer;
  secret_iv: Buffer;
  secret_tag: Buffer;
  enabled_at: Date | null;
  last_step: string;
}

export interface MfaStatus {
  enabled: boolean;
  enabledAt: string | null;
  /** The org's policy requires a second factor of this user's role. */
  required: boolean;
  recoveryCodesLeft: number;
  /** How recent a proof an approval action needs. */
  stepUpSeconds: number;
}

export interface Enrollment {
  /** Base32, for typing into an authenticator app when the QR code cannot be scanned. */
  secret: string;
  otpauthUri: string;
  issuer: string;
  label: string;
  digits: number;
  period: number;
  algorithm: 'SHA1';
}

/** A second factor as presented: a TOTP code, or one of the recovery codes. */
export interface Proof {
  code?: string | undefined;
  recoveryCode?: string | undefined;
}

const sha256 = (t: string): string => createHash('sha256').update(t).digest('hex');
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export class MfaService implements SecondFactor {
  readonly #deps: Deps;
  readonly #users: UserService;
  readonly #auth: AuthService;
  readonly #enabled = new Map<string, { enabled: boolean; at: number }>();
  /** Wrong codes per user in the current window (per process, like the login limiter). */
  readonly #failures = new Map<string, { count: number; since: number }>();

  constructor(deps: Deps, users: UserService, auth: AuthService) {
    this.#deps = deps;
    this.#users = users;
    this.#auth = auth;
    auth.useSecondFactor(this);
  }

  /** The org's policy: must this role prove a second factor? */
  required(role: string): boolean {
    return this.#deps.config.mfa.requiredRoles.includes(role);
  }

  async #row(userId: string): Promise<MfaRow | undefined> {
    return (await query<MfaRow>(this.#deps.pool, 'SELECT * FROM user_mfa WHERE user_id = $1', [userId]))
      .rows[0];
  }

  async isEnabled(userId: string): Promise<boolean> {
    const hit = this.#enabled.get(userId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.enabled;
    const enabled = (await this.#row(userId))?.enabled_at != null;
    if (this.#enabled.size >= 2000) this.#enabled.clear();
    this.#enabled.set(userId, { enabled, at: Date.now() });
    return enabled;
  }

  // ------------------------------------------------------------------ login

  async challengeFor(row: UserRow): Promise<MfaChallenge | undefined> {
    if (!(await this.isEnabled(row.id))) return undefined;
    const challenge = randomToken();
    await query(
      this.#deps.pool,
      `INSERT INTO mfa_challenges(token_hash, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`,
      [sha256(challenge), row.id, CHALLENGE_TTL_SECONDS],
    );
    // Spent and expired challenges of this user are of no further use.
    await query(
      this.#deps.pool,
      `DELETE FROM mfa_challenges WHERE user_id = $1 AND (used_at IS NOT NULL OR expires_at < now() - interval '1 hour')`,
      [row.id],
    ).catch(() => undefined);
    return { mfaRequired: true, challenge, expiresIn: CHALLENGE_TTL_SECONDS };
  }

  async enrollmentRequired(row: UserRow): Promise<boolean> {
    return this.required(row.role) && !(await this.isEnabled(row.id));
  }

  /** The second step of a login: a live challenge and a code (or a recovery code) give the token pair. */
  async verifyLogin(challenge: string, proof: Proof, requestId: string): Promise<TokenPair> {
    const { pool } = this.#deps;
    // Every answer counts against the challenge, right or wrong: a challenge is not a code-guessing oracle.
    const found = await query<{ user_id: string }>(
      pool,
      `UPDATE mfa_challenges SET attempts = attempts + 1
        WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() AND attempts < $2 RETURNING user_id`,
      [sha256(challenge), CHALLENGE_MAX_ATTEMPTS],
    );
    const userId = found.rows[0]?.user_id;
    if (!userId)
      throw new AppError(
        401,
        'MFA_CHALLENGE_INVALID',
        'the sign-in challenge has expired or was already used; sign in with your password again',
      );
    const row = await this.#users.byId(userId);
    if (!row) throw new AppError(401, 'MFA_CHALLENGE_INVALID', 'the user no longer exists');
    if (row.status !== 'ACTIVE') throw new AppError(403, 'USER_SUSPENDED', 'this user is suspended');
    const caller: Caller = { userId: row.id, username: row.username, role: row.role, requestId };
    await this.#prove(caller, proof, 'auth.mfa.login');
    const spent = await query(
      pool,
      'UPDATE mfa_challenges SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL RETURNING 1',
      [sha256(challenge)],
    );
    if (spent.rowCount !== 1)
      throw new AppError(401, 'MFA_CHALLENGE_INVALID', 'the sign-in challenge was already used');
    const pair = await this.#auth.issue(row, nowSeconds());
    await auditQuietly(pool, caller, { action: 'auth.login', target: 'mfa', outcome: 'OK' });
    return pair;
  }

  /**
   * Checks a second factor of an enrolled user: a TOTP code whose step is newer than the last one accepted, or
   * an unused recovery code (spent now). Refusals are audited.
   */
  async #prove(caller: Caller, proof: Proof, action: string): Promise<'totp' | 'recovery-code'> {
    const { pool, config } = this.#deps;
    const refuse = async (code: string, message: string): Promise<never> => {
      await auditQuietly(pool, caller, { action, target: code, outcome: 'REFUSED' });
      throw new AppError(401, code, message);
    };
    this.#assertNotThrottled(caller.userId);
    const mfa = await this.#row(caller.userId);
    if (!mfa?.enabled_at)
      return refuse('MFA_NOT_ENABLED', 'two-factor authentication is not enabled for this user');
    if (proof.recoveryCode !== undefined) {
      const used = await query(
        pool,
        `UPDATE mfa_recovery_codes SET used_at = now()
          WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING 1`,
        [caller.userId, recoveryCodeHash(config.custodyKey, proof.recoveryCode)],
      );
      if (used.rowCount !== 1) {
        this.#failed(caller.userId);
        return refuse('MFA_RECOVERY_CODE_INVALID', 'this recovery code is not valid or was already used');
      }
      return 'recovery-code';
    }
    if (proof.code === undefined) return refuse('MFA_CODE_INVALID', 'a code or a recovery code is required');
    const step = totpStep(this.#secret(caller.userId, mfa), proof.code);
    if (step === undefined) {
      this.#failed(caller.userId);
      return refuse('MFA_CODE_INVALID', 'the code is not valid; check your device');
    }
    await this.#takeStep(caller, step, refuse);
    return 'totp';
  }

  /** Moves the user's last accepted step forward to `step`, or refuses it as a replay (atomically). */
  async #takeStep(
    caller: Caller,
    step: number,
    refuse: (code: string, message: string) => Promise<never>,
  ): Promise<void> {
    const taken = await query(
      this.#deps.pool,
      'UPDATE user_mfa SET last_step = $2 WHERE user_id = $1 AND last_step < $2 RETURNING 1',
      [caller.userId, step],
    );
    if (taken.rowCount !== 1)
      await refuse('MFA_CODE_REUSED', 'this code was already used; wait for the next code on your device');
  }

  /** 429 while the user has had too many wrong codes lately; the window restarts after it ends. */
  #assertNotThrottled(userId: string): void {
    const f = this.#failures.get(userId);
    if (!f) return;
    if (Date.now() - f.since > CODE_FAILURE_WINDOW_MS) {
      this.#failures.delete(userId);
      return;
    }
    if (f.count >= MAX_CODE_FAILURES)
      throw new AppError(
        429,
        'MFA_TOO_MANY_ATTEMPTS',
        `too many wrong codes; try again in ${Math.ceil((f.since + CODE_FAILURE_WINDOW_MS - Date.now()) / 60_000)} minutes`,
      );
  }

  #failed(userId: string): void {
    const f = this.#failures.get(userId);
    if (f && Date.now() - f.since <= CODE_FAILURE_WINDOW_MS) f.count += 1;
    else {
      if (this.#failures.size >= 10_000) this.#failures.clear();
      this.#failures.set(userId, { count: 1, since: Date.now() });
    }
  }

  #secret(userId: string, mfa: MfaRow): string {
    return openKey(this.#deps.config.custodyKey, `mfa:${userId}`, {
      ciphertext: mfa.secret_ciphertext,
      iv: mfa.secret_iv,
      tag: mfa.secret_tag,
    });
  }

  // ------------------------------------------------------------------ enrollment

  async status(caller: Caller): Promise<MfaStatus> {
    const mfa = await this.#row(caller.userId);
    const left = await query<{ n: string }>(
      this.#deps.pool,
      'SELECT count(*) AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL',
      [caller.userId],
    );
    return {
      enabled: mfa?.enabled_at != null,
      enabledAt: mfa?.enabled_at?.toISOString() ?? null,
      required: this.required(caller.role),
      recoveryCodesLeft: Number(left.rows[0]?.n ?? 0),
      stepUpSeconds: this.#deps.config.mfa.stepUpSeconds,
    };
  }

  /** Starts (or restarts) an enrollment: a new secret, not in force until a code of it is confirmed. */
  async enroll(caller: Caller): Promise<Enrollment> {
    const { config, pool } = this.#deps;
    const secret = newTotpSecret();
    const sealed = sealKey(config.custodyKey, `mfa:${caller.userId}`, secret);
    const r = await query(
      pool,
      `INSERT INTO user_mfa(user_id, secret_ciphertext, secret_iv, secret_tag) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id) DO UPDATE SET secret_ciphertext = $2, secret_iv = $3, secret_tag = $4, last_step = 0,
         created_at = now()
       WHERE user_mfa.enabled_at IS NULL`,
      [caller.userId, sealed.ciphertext, sealed.iv, sealed.tag],
    );
    if (r.rowCount !== 1)
      throw new AppError(
        409,
        'MFA_ALREADY_ENABLED',
        'two-factor authentication is already enabled; an org admin can reset it',
      );
    const issuer = config.org.displayName;
    await auditQuietly(pool, caller, { action: 'auth.mfa.enroll', outcome: 'OK' });
    return {
      secret,
      otpauthUri: totpUri(secret, issuer, caller.username),
      issuer,
      label: caller.username,
      digits: TOTP_DIGITS,
      period: TOTP_PERIOD_SECONDS,
      algorithm: 'SHA1',
    };
  }

  /**
   * Confirms an enrollment with a code of the new secret: two-factor is on from now, the user's other sessions
   * are signed out, and the ten recovery codes are returned (this once; only their hashes are kept) with a new
   * token pair that records the proof.
   */
  async confirm(caller: Caller, code: string): Promise<{ recoveryCodes: string[]; tokens: TokenPair }> {
    const { pool, config } = this.#deps;
    const mfa = await this.#row(caller.userId);
    if (mfa?.enabled_at)
      throw new AppError(409, 'MFA_ALREADY_ENABLED', 'two-factor authentication is already enabled');
    if (!mfa) throw new AppError(409, 'MFA_NOT_ENROLLING', 'start the enrollment first');
    this.#assertNotThrottled(caller.userId);
    const step = totpStep(this.#secret(caller.userId, mfa), code);
    if (step === undefined) {
      this.#failed(caller.userId);
      await auditQuietly(pool, caller, {
        action: 'auth.mfa.confirm',
        target: 'MFA_CODE_INVALID',
        outcome: 'REFUSED',
      });
      throw new AppError(401, 'MFA_CODE_INVALID', 'the code is not valid; check the time on your device');
    }
    const row = await this.#users.byId(caller.userId);
    if (!row) throw new AppError(401, 'INVALID_TOKEN', 'the user no longer exists');
    const recoveryCodes = newRecoveryCodes();
    const tokens = await withTx(pool, async (c) => {
      const on = await c.query(
        `UPDATE user_mfa SET enabled_at = now(), last_step = $2 WHERE user_id = $1 AND enabled_at IS NULL
           AND secret_ciphertext = $3 RETURNING 1`,
        [caller.userId, step, mfa.secret_ciphertext],
      );
      if (on.rowCount !== 1)
        throw new AppError(409, 'MFA_NOT_ENROLLING', 'the enrollment changed meanwhile; start it again');
      await c.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [caller.userId]);
      for (const rc of recoveryCodes)
        await c.query('INSERT INTO mfa_recovery_codes(user_id, code_hash) VALUES ($1, $2)', [
          caller.userId,
          recoveryCodeHash(config.custodyKey, rc),
        ]);
      await c.query(
        'UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL',
        [caller.userId],
      );
      await audit(c, caller, { action: 'auth.mfa.enable', target: row.fabric_user_id, outcome: 'OK' });
      return this.#auth.issue(row, nowSeconds(), c);
    });
    this.#enabled.delete(caller.userId);
    return { recoveryCodes, tokens };
  }

  // ------------------------------------------------------------------ step-up

  /** A fresh proof: a new access token whose `mfaAt` is now (and the refresh token's family keeps it). */
  async stepUp(
    caller: Caller,
    proof: Proof,
    refreshToken?: string,
  ): Promise<{ accessToken: string; tokenType: 'Bearer'; expiresIn: number; mfaAt: number }> {
    const row = await this.#users.byId(caller.userId);
    if (!row) throw new AppError(401, 'INVALID_TOKEN', 'the user no longer exists');
    await this.#prove(caller, proof, 'auth.mfa.step-up');
    await auditQuietly(this.#deps.pool, caller, { action: 'auth.mfa.step-up', outcome: 'OK' });
    return this.#auth.stepUp(row, nowSeconds(), refreshToken);
  }

  /**
   * An approval action by a user with two-factor enabled needs a proof no older than the step-up window;
   * otherwise 401 STEP_UP_REQUIRED (the portal asks for a code, calls /auth/mfa/step-up and retries).
   */
  async requireStepUp(caller: Caller, action: string): Promise<void> {
    if (!isStepUpAction(action)) return;
    if (!(await this.isEnabled(caller.userId))) return;
    const window = this.#deps.config.mfa.stepUpSeconds;
    if (caller.mfaAt !== undefined && nowSeconds() - caller.mfaAt <= window) return;
    throw new AppError(
      401,
      'STEP_UP_REQUIRED',
      `this approval needs a two-factor code from the last ${Math.round(window / 60) || 1} minutes; confirm with a fresh code`,
    );
  }

  // ------------------------------------------------------------------ request gate and admin reset

  /**
   * Wraps the bearer-token check: a user whose role the policy covers and who has not enrolled may only enroll;
   * one who has enrolled must hold a token that proved it (a session from before the enrollment does not).
   */
  gate(authenticate: (req: Request) => Promise<Caller>): (req: Request) => Promise<Caller> {
    return async (req) => {
      const caller = await authenticate(req);
      if (!this.required(caller.role)) return caller;
      if (!(await this.isEnabled(caller.userId))) return { ...caller, mfaEnrollmentOnly: true };
      if (caller.mfaAt === undefined)
        throw new AppError(
          401,
          'MFA_REQUIRED',
          'this session did not prove a second factor; sign in again with your code',
        );
      return caller;
    };
  }

  /** Which of the org's users have two-factor enabled (the admin's users page). */
  async list(): Promise<{ userId: string; enabled: boolean; enabledAt: string | null }[]> {
    const rows = await query<{ user_id: string; enabled_at: Date | null }>(
      this.#deps.pool,
      'SELECT user_id, enabled_at FROM user_mfa WHERE enabled_at IS NOT NULL',
    );
    return rows.rows.map((r) => ({
      userId: r.user_id,
      enabled: true,
      enabledAt: r.enabled_at?.toISOString() ?? null,
    }));
  }

  /**
   * The org admin resets a user's two-factor (a lost phone): the secret, the recovery codes and open challenges
   * are removed, the user's sessions are revoked, and the reset is audited. An admin cannot reset their own.
   */
  async reset(caller: Caller, userId: string): Promise<void> {
    const row = await this.#users.byId(userId);
    if (!row) throw new AppError(404, 'USER_NOT_FOUND', `user ${userId} does not exist`);
    if (row.id === caller.userId) {
      await auditQuietly(this.#deps.pool, caller, {
        action: 'users.mfa.reset',
        target: row.fabric_user_id,
        outcome: 'REFUSED',
      });
      throw new AppError(
        409,
        'INVALID_TRANSITION',
        'an admin cannot reset their own two-factor; ask another admin',
      );
    }
    await withTx(this.#deps.pool, async (c) => {
      await c.query('DELETE FROM user_mfa WHERE user_id = $1', [userId]);
      await c.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId]);
      await c.query('DELETE FROM mfa_challenges WHERE user_id = $1', [userId]);
      await c.query(
        'UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL',
        [userId],
      );
      await audit(c, caller, { action: 'users.mfa.reset', target: row.fabric_user_id, outcome: 'OK' });
    });
    this.#enabled.delete(userId);
  }
}
