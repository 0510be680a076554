/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- HTTP response bodies are untyped JSON here */
/**
 * Two-factor authentication through the gateway's HTTP API, on a real PostgreSQL (a throwaway server): refusals
 * first (a wrong code, a replayed code, an expired or spent challenge, a recovery code used twice, an
 * enrollment-only token elsewhere, a step-up too old, a reset by a non-admin or by another org's admin), then
 * what works. The ledger is unreachable: every route here stops before it, or is refused before it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { sealKey } from '../src/auth/custody.ts';
import { hashPassword } from '../src/auth/passwords.ts';
import { signAccessToken } from '../src/auth/tokens.ts';
import { totpCode, totpStep } from '../src/auth/totp.ts';
import type { Config } from '../src/config.ts';
import { MIGRATIONS } from '../src/db/migrations.ts';
import { startTestPostgres, type TestPostgres } from './support/postgres.ts';
import { testConfig, unreachableApp } from './helpers.ts';

const PASSWORD = 'correct horse battery';
const PERIOD_MS = 30_000;

let db: TestPostgres;
let pool: pg.Pool;
let config: Config;
let stopApp: () => Promise<void>;
let base = '';

interface Answer {
  status: number;
  body: any;
}

async function call(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown } = {},
): Promise<Answer> {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

function refused(a: Answer, status: number, code: string): void {
  assert.equal(a.status, status, `expected ${status} ${code}, got ${a.status} ${JSON.stringify(a.body)}`);
  assert.equal(a.body.code, code);
}

/** A user row as users.create() would leave it (its Fabric key is a placeholder: no route here signs). */
async function addUser(username: string, role: string): Promise<string> {
  const sealed = sealKey(config.custodyKey, `ECTAMSP::${username}`, 'not a key');
  const r = await pool.query<{ id: string }>(
    `INSERT INTO users(username, role, fabric_user_id, password_hash, certificate, key_ciphertext, key_iv, key_tag)
     VALUES ($1, $2, $3, $4, 'none', $5, $6, $7) RETURNING id`,
    [
      username,
      role,
      `ECTAMSP::${username}`,
      await hashPassword(PASSWORD),
      sealed.ciphertext,
      sealed.iv,
      sealed.tag,
    ],
  );
  return r.rows[0]!.id;
}

const login = (username: string): Promise<Answer> =>
  call('POST', '/auth/login', { body: { username, password: PASSWORD } });

/** A code of `secret` for a time step newer than `after` that the gateway accepts now (waits if it must). */
async function codeAfter(secret: string, afterStep: number): Promise<{ code: string; step: number }> {
  for (;;) {
    // The gateway accepts the current and the next step: try the current one, then the next.
    for (const offset of [0, PERIOD_MS]) {
      const t = Date.now() + offset;
      const code = totpCode(secret, t);
      const step = totpStep(secret, code, t)!;
      if (step > afterStep) return { code, step };
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Enrolls `username` (password login, enroll, confirm): its secret, recovery codes and token pair. */
async function enrolled(username: string): Promise<{
  secret: string;
  recoveryCodes: string[];
  accessToken: string;
  refreshToken: string;
  step: number;
}> {
  const first = await login(username);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const token: string = first.body.accessToken;
  const start = await call('POST', '/auth/mfa/enroll', { token });
  assert.equal(start.status, 200, JSON.stringify(start.body));
  const secret: string = start.body.secret;
  const { code, step } = await codeAfter(secret, 0);
  const confirmed = await call('POST', '/auth/mfa/confirm', { token, body: { code } });
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
  return {
    secret,
    recoveryCodes: confirmed.body.recoveryCodes,
    accessToken: confirmed.body.tokens.accessToken,
    refreshToken: confirmed.body.tokens.refreshToken,
    step,
  };
}

const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

before(async () => {
  db = await startTestPostgres();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  // Postgres is stopped at the end while a connection may still be closing: its FATAL is expected, not a failure.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  // The schema as the migrations build it, in their order.
  for (const m of MIGRATIONS) await pool.query(m.sql);
  config = testConfig('ecta', {
    databaseUrl: db.url,
    loginRateLimit: { windowMs: 60_000, max: 10_000 },
    mfa: { requiredRoles: ['admin', 'ecta_officer'], stepUpSeconds: 300 },
  });
  const app = unreachableApp(config);
  base = await app.start();
  stopApp = () => app.stop();
});

after(async () => {
  await stopApp?.();
  await pool?.end();
  await db?.stop();
});

describe(
  'two-factor authentication (TOTP, recovery codes, step-up, admin reset)',
  { timeout: 180_000 },
  () => {
    it('refuses a wrong code at enrollment and at login', async () => {
      await addUser('wrong-code', 'auditor');
      const first = await login('wrong-code');
      const token: string = first.body.accessToken;
      const { secret } = (await call('POST', '/auth/mfa/enroll', { token })).body as { secret: string };
      const wrong = String((Number(totpCode(secret)) + 1) % 1_000_000).padStart(6, '0');
      refused(
        await call('POST', '/auth/mfa/confirm', { token, body: { code: wrong } }),
        401,
        'MFA_CODE_INVALID',
      );
      refused(
        await call('POST', '/auth/mfa/confirm', { token, body: { code: '12345' } }),
        400,
        'VALIDATION_FAILED',
      );
      const { code } = await codeAfter(secret, 0);
      assert.equal((await call('POST', '/auth/mfa/confirm', { token, body: { code } })).status, 200);
      const challenge = (await login('wrong-code')).body.challenge as string;
      refused(
        await call('POST', '/auth/mfa/verify', { body: { challenge, code: wrong } }),
        401,
        'MFA_CODE_INVALID',
      );
    });

    it('refuses a replayed code, even within its 30 s window, and takes the next one', async () => {
      await addUser('replay', 'auditor');
      const e = await enrolled('replay');
      const first = await login('replay');
      assert.equal(first.body.mfaRequired, true);
      assert.equal(first.body.accessToken, undefined, 'no tokens before the second factor');
      const usedAtEnrollment = totpCode(e.secret, e.step * PERIOD_MS + 1);
      refused(
        await call('POST', '/auth/mfa/verify', {
          body: { challenge: first.body.challenge, code: usedAtEnrollment },
        }),
        401,
        'MFA_CODE_REUSED',
      );
      const next = await codeAfter(e.secret, e.step);
      const ok = await call('POST', '/auth/mfa/verify', {
        body: { challenge: first.body.challenge, code: next.code },
      });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      // The same code again, at once, on a new challenge: refused.
      const again = await login('replay');
      refused(
        await call('POST', '/auth/mfa/verify', {
          body: { challenge: again.body.challenge, code: next.code },
        }),
        401,
        'MFA_CODE_REUSED',
      );
    });

    it('two requests racing with one code: exactly one wins', async () => {
      await addUser('race', 'auditor');
      const e = await enrolled('race');
      const [a, b] = [await login('race'), await login('race')];
      const next = await codeAfter(e.secret, e.step);
      const answers = await Promise.all([
        call('POST', '/auth/mfa/verify', { body: { challenge: a.body.challenge, code: next.code } }),
        call('POST', '/auth/mfa/verify', { body: { challenge: b.body.challenge, code: next.code } }),
      ]);
      assert.deepEqual(answers.map((x) => x.status).sort(), [200, 401]);
      assert.equal(answers.find((x) => x.status === 401)!.body.code, 'MFA_CODE_REUSED');
    });

    it('refuses an expired challenge and a spent one', async () => {
      await addUser('expired', 'auditor');
      const e = await enrolled('expired');
      const challenge = (await login('expired')).body.challenge as string;
      await pool.query(
        "UPDATE mfa_challenges SET expires_at = now() - interval '1 second' WHERE user_id = (SELECT id FROM users WHERE username = 'expired')",
      );
      const next = await codeAfter(e.secret, e.step);
      refused(
        await call('POST', '/auth/mfa/verify', { body: { challenge, code: next.code } }),
        401,
        'MFA_CHALLENGE_INVALID',
      );
      const fresh = (await login('expired')).body.challenge as string;
      assert.equal(
        (
          await call('POST', '/auth/mfa/verify', {
            body: { challenge: fresh, recoveryCode: e.recoveryCodes[0] },
          })
        ).status,
        200,
      );
      refused(
        await call('POST', '/auth/mfa/verify', {
          body: { challenge: fresh, recoveryCode: e.recoveryCodes[1] },
        }),
        401,
        'MFA_CHALLENGE_INVALID',
      );
    });

    it('a recovery code works once', async () => {
      await addUser('recovery', 'auditor');
      const e = await enrolled('recovery');
      assert.equal(e.recoveryCodes.length, 10);
      assert.equal(new Set(e.recoveryCodes).size, 10);
      const stored = await pool.query<{ code_hash: string }>(
        "SELECT code_hash FROM mfa_recovery_codes WHERE user_id = (SELECT id FROM users WHERE username = 'recovery')",
      );
      assert.equal(stored.rowCount, 10);
      for (const r of stored.rows)
        assert.ok(!e.recoveryCodes.some((c) => r.code_hash.includes(c.replace('-', ''))), 'stored hashed');
      const code = e.recoveryCodes[3]!;
      const first = (await login('recovery')).body.challenge as string;
      // Typed in lower case without the dash: the same code.
      const typed = code.toLowerCase().replace('-', '');
      assert.equal(
        (await call('POST', '/auth/mfa/verify', { body: { challenge: first, recoveryCode: typed } })).status,
        200,
      );
      const second = (await login('recovery')).body.challenge as string;
      refused(
        await call('POST', '/auth/mfa/verify', { body: { challenge: second, recoveryCode: code } }),
        401,
        'MFA_RECOVERY_CODE_INVALID',
      );
      const status = await call('GET', '/auth/mfa', {
        token: (
          await call('POST', '/auth/mfa/verify', {
            body: { challenge: second, recoveryCode: e.recoveryCodes[4] },
          })
        ).body.accessToken,
      });
      assert.equal(status.body.recoveryCodesLeft, 8);
    });

    it('a role the policy covers, not enrolled: the token opens enrollment only', async () => {
      await addUser('officer-new', 'ecta_officer');
      const first = await login('officer-new');
      assert.equal(first.status, 200);
      assert.equal(first.body.mfaEnrollmentRequired, true);
      const token: string = first.body.accessToken;
      refused(await call('GET', '/exports', { token }), 403, 'MFA_ENROLLMENT_REQUIRED');
      refused(await call('GET', '/exporters', { token }), 403, 'MFA_ENROLLMENT_REQUIRED');
      refused(
        await call('POST', '/exports/EXP-1/actions/register-contract', { token, body: {} }),
        403,
        'MFA_ENROLLMENT_REQUIRED',
      );
      const status = await call('GET', '/auth/mfa', { token });
      assert.equal(status.status, 200);
      assert.deepEqual([status.body.enabled, status.body.required], [false, true]);
      assert.equal((await call('GET', '/auth/me', { token })).status, 200);
      // A role outside the policy is not held at enrollment.
      await addUser('grader-free', 'auditor');
      const free = await login('grader-free');
      assert.equal(free.body.mfaEnrollmentRequired, undefined);
      assert.notEqual(
        (await call('GET', '/exports', { token: free.body.accessToken })).body?.code,
        'MFA_ENROLLMENT_REQUIRED',
      );
    });

    it('enrollment: the otpauth URI names the org and the user; the secret is sealed at rest', async () => {
      await addUser('uri', 'auditor');
      const token = (await login('uri')).body.accessToken as string;
      const start = await call('POST', '/auth/mfa/enroll', { token });
      const uri = new URL(start.body.otpauthUri as string);
      assert.equal(uri.protocol, 'otpauth:');
      assert.equal(uri.host, 'totp');
      assert.equal(decodeURIComponent(uri.pathname), `/${config.org.displayName}:uri`);
      assert.equal(uri.searchParams.get('issuer'), config.org.displayName);
      assert.equal(uri.searchParams.get('secret'), start.body.secret);
      const row = await pool.query<{ secret_ciphertext: Buffer }>(
        "SELECT secret_ciphertext FROM user_mfa WHERE user_id = (SELECT id FROM users WHERE username = 'uri')",
      );
      assert.ok(!row.rows[0]!.secret_ciphertext.toString('latin1').includes(start.body.secret as string));
    });

    it('an approval needs a step-up when the proof is too old; the step-up route gives a fresh one', async () => {
      const id = await addUser('officer', 'ecta_officer');
      const e = await enrolled('officer');
      const signAs = (mfaAt: number): string =>
        signAccessToken(
          { ...config.jwt, issuer: config.issuer },
          { sub: id, username: 'officer', role: 'ecta_officer', org: 'ecta', mspId: 'ECTAMSP', mfaAt },
        );
      const now = Math.floor(Date.now() / 1000);
      const stale = signAs(now - 301);
      refused(
        await call('POST', '/exports/EXP-1/actions/register-contract', { token: stale, body: {} }),
        401,
        'STEP_UP_REQUIRED',
      );
      // Not an approval: no step-up asked (it fails later, at the unreachable ledger or its validation).
      const other = await call('POST', '/exports/EXP-1/actions/reject', {
        token: stale,
        body: { reason: 'x' },
      });
      assert.notEqual(other.body.code, 'STEP_UP_REQUIRED');
      // A token without any proof is refused outright for a role the policy covers.
      const none = signAccessToken(
        { ...config.jwt, issuer: config.issuer },
        { sub: id, username: 'officer', role: 'ecta_officer', org: 'ecta', mspId: 'ECTAMSP' },
      );
      refused(await call('GET', '/auth/me', { token: none }), 401, 'MFA_REQUIRED');
      // The step-up itself refuses a replayed code.
      const replay = totpCode(e.secret, e.step * PERIOD_MS + 1);
      refused(
        await call('POST', '/auth/mfa/step-up', { token: stale, body: { code: replay } }),
        401,
        'MFA_CODE_REUSED',
      );
      const next = await codeAfter(e.secret, e.step);
      const up = await call('POST', '/auth/mfa/step-up', {
        token: stale,
        body: { code: next.code, refreshToken: e.refreshToken },
      });
      assert.equal(up.status, 200, JSON.stringify(up.body));
      const fresh: string = up.body.accessToken;
      assert.ok(Number(claimsOf(fresh).mfaAt) >= now);
      const passed = await call('POST', '/exports/EXP-1/actions/register-contract', {
        token: fresh,
        body: {},
      });
      assert.notEqual(passed.body?.code, 'STEP_UP_REQUIRED', JSON.stringify(passed.body));
      // The refresh token's family keeps the step-up's time.
      const refreshed = await call('POST', '/auth/refresh', { body: { refreshToken: e.refreshToken } });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assert.equal(claimsOf(refreshed.body.accessToken as string).mfaAt, up.body.mfaAt);
    });

    it('wrong codes are throttled per user: after five, even a right code waits (429)', async () => {
      await addUser('guesser', 'auditor');
      const e = await enrolled('guesser');
      const wrong = String((Number(totpCode(e.secret)) + 500_000) % 1_000_000).padStart(6, '0');
      for (let i = 0; i < 5; i++)
        refused(
          await call('POST', '/auth/mfa/step-up', { token: e.accessToken, body: { code: wrong } }),
          401,
          'MFA_CODE_INVALID',
        );
      const next = await codeAfter(e.secret, e.step);
      refused(
        await call('POST', '/auth/mfa/step-up', { token: e.accessToken, body: { code: next.code } }),
        429,
        'MFA_TOO_MANY_ATTEMPTS',
      );
      // A new challenge does not reset it: the limit is the user's, not the challenge's.
      const challenge = (await login('guesser')).body.challenge as string;
      refused(
        await call('POST', '/auth/mfa/verify', { body: { challenge, code: next.code } }),
        429,
        'MFA_TOO_MANY_ATTEMPTS',
      );
    });

    it("only the org's admin resets a user's two-factor; the reset is audited", async () => {
      const targetId = await addUser('lost-phone', 'auditor');
      await enrolled('lost-phone');
      await addUser('other-auditor', 'auditor');
      const auditor = (await login('other-auditor')).body.accessToken as string;
      refused(await call('POST', `/users/${targetId}/mfa/reset`, { token: auditor }), 403, 'FORBIDDEN_ROLE');
      // The admin of another org: a token of that org's gateway is refused here.
      const customs = testConfig('customs');
      const foreign = signAccessToken(
        { ...customs.jwt, issuer: customs.issuer },
        {
          sub: targetId,
          username: 'admin',
          role: 'admin',
          org: 'customs',
          mspId: 'CustomsMSP',
          mfaAt: Math.floor(Date.now() / 1000),
        },
      );
      refused(await call('POST', `/users/${targetId}/mfa/reset`, { token: foreign }), 401, 'INVALID_TOKEN');
      // This org's admin (who must enroll first: the policy covers admins).
      const adminId = await addUser('org-admin', 'admin');
      const pending = (await login('org-admin')).body.accessToken as string;
      refused(
        await call('POST', `/users/${targetId}/mfa/reset`, { token: pending }),
        403,
        'MFA_ENROLLMENT_REQUIRED',
      );
      const admin = await enrolled('org-admin');
      refused(
        await call('POST', `/users/${adminId}/mfa/reset`, { token: admin.accessToken }),
        409,
        'INVALID_TRANSITION',
      );
      const listed = await call('GET', '/users/mfa', { token: admin.accessToken });
      assert.ok((listed.body.items as { userId: string }[]).some((i) => i.userId === targetId));
      const reset = await call('POST', `/users/${targetId}/mfa/reset`, { token: admin.accessToken });
      assert.equal(reset.status, 204, JSON.stringify(reset.body));
      const left = await pool.query(
        'SELECT (SELECT count(*) FROM user_mfa WHERE user_id = $1) + (SELECT count(*) FROM mfa_recovery_codes WHERE user_id = $1) AS n',
        [targetId],
      );
      assert.equal(Number(left.rows[0].n), 0);
      const audited = await pool.query(
        "SELECT username, outcome FROM audit_log WHERE action = 'users.mfa.reset' AND target = 'ECTAMSP::lost-phone'",
      );
      assert.deepEqual(audited.rows, [{ username: 'org-admin', outcome: 'OK' }]);
      // Signed in with the password alone again (its role is outside the policy).
      const back = await login('lost-phone');
      assert.equal(back.status, 200);
      assert.ok(back.body.accessToken);
    });
  },
);
