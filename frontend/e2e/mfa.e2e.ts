/**
 * Two-factor end to end in Debian's chromium, on a seeded stack whose gateways require it by policy
 * (MFA_REQUIRED_ROLES: org admins and the approving officers) with a short step-up window. Codes are computed here
 * with otpauth from the secret the Security page shows, as an authenticator app would.
 *
 * - ECTA's admin signs in, is sent to Security, enrolls (QR code and secret shown, a code confirms, ten recovery
 *   codes shown once), signs out and signs in with password and code; the code used at enrollment, typed again,
 *   is refused (MFA_CODE_REUSED), and so is the sign-in code when replayed; a recovery code signs in instead.
 * - ECTA's officer enrolls the same way, waits out the step-up window, registers EXP-DEMO-08's contract: the
 *   gateway asks for a step-up, the dialog refuses a replayed code, takes a fresh one, and the approval goes
 *   through (CONTRACT_REGISTERED).
 *
 * Input: MFA_E2E_CONFIG=/path/to/json (written by mfa.integration.test.ts); skipped when the variable is not set.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Axe from 'axe-core';
import { Secret, TOTP } from 'otpauth';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousFindings } from '../src/test/axeFindings';

interface MfaE2EConfig {
  portalUrl: string;
  /** The org admin's development credentials (endpoints.json). */
  admin: { username: string; password: string };
  /** The ECTA officer of the demo consortium. */
  officer: { username: string; password: string };
  /** The gateways' MFA_STEP_UP_SECONDS. */
  stepUpSeconds: number;
  chromiumPath?: string;
  /** base64 SHA-256 of the portal certificate's SPKI: chromium trusts exactly that certificate. */
  portalSpki?: string;
  stepTimeoutMs?: number;
}

const configPath = process.env.MFA_E2E_CONFIG;
const debugDir = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');
const PERIOD_MS = 30_000;
/** axe-core's source, evaluated in the page (the portal's CSP refuses inline script tags). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Serious and critical axe-core findings on the page as it is now, one line each. */
async function axeFindings(page: Page, label: string): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const violations = seriousFindings(
    await page.evaluate(async () => {
      const axe = (window as unknown as { axe: typeof Axe }).axe;
      return (await axe.run(document, { resultTypes: ['violations'] })).violations;
    }),
  );
  return violations.map((v) => `${label}: ${v.rule} (${v.impact}: ${v.help}) at ${v.targets.join(' | ')}`);
}

/** The authenticator app: RFC 6238 defaults, as the gateway's otpauth:// URI states them. */
function totp(secret: string): TOTP {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
}
const stepAt = (ms: number): number => Math.floor(ms / PERIOD_MS);

/**
 * A code the gateway takes now whose time step is newer than `after` (it accepts the current and the next step):
 * the current step's if it is newer, else the next one's, else wait.
 */
async function freshCode(secret: string, after: number): Promise<{ code: string; step: number }> {
  for (;;) {
    for (const t of [Date.now() + 2000, Date.now() + PERIOD_MS]) {
      // +2 s: the code must still be current when the gateway checks it (the browser round trip).
      if (stepAt(t) > after) return { code: totp(secret).generate({ timestamp: t }), step: stepAt(t) };
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * The code to enroll with, such that typing it again stays a replay (not an expired code) for `replayWithinMs`:
 * the gateway takes codes of the previous, current and next step, so a step's code is valid until the end of the
 * step after it. The current step's code if that leaves enough time, else the next step's (valid 30 s longer).
 * A later test types the enrollment's code again to see MFA_CODE_REUSED; on a slow machine, the officer's step-up
 * comes 15 to 30 s after the enrollment, and the current step's code, taken late in its step, would be expired by
 * then (MFA_CODE_INVALID).
 */
function enrollmentCode(secret: string, replayWithinMs: number): { code: string; step: number } {
  const now = Date.now();
  const current = stepAt(now);
  const step = (current + 2) * PERIOD_MS - now >= replayWithinMs ? current : current + 1;
  return { code: totp(secret).generate({ timestamp: step * PERIOD_MS + 1 }), step };
}

describe.skipIf(!configPath)('two-factor end to end (real browser, MFA required by policy)', () => {
  let cfg: MfaE2EConfig;
  let browser: Browser;
  let base = '';
  let timeout = 60_000;
  const axeProblems: string[] = [];
  /** The admin's recovery codes not used yet (the first test enrolls the admin). */
  let adminRecoveryCodes: string[] = [];

  beforeAll(async () => {
    cfg = JSON.parse(readFileSync(configPath!, 'utf8')) as MfaE2EConfig;
    base = cfg.portalUrl.replace(/\/$/, '');
    timeout = cfg.stepTimeoutMs ?? 60_000;
    mkdirSync(debugDir, { recursive: true });
    browser = await chromium.launch({
      executablePath: cfg.chromiumPath ?? '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        ...(cfg.portalSpki ? [`--ignore-certificate-errors-spki-list=${cfg.portalSpki}`] : []),
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function withPage(name: string, f: (page: Page) => Promise<void>): Promise<void> {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    ctx.setDefaultTimeout(timeout);
    const page = await ctx.newPage();
    try {
      await f(page);
    } catch (e: unknown) {
      await page
        .screenshot({ path: join(debugDir, `FAILED-mfa-${name}.png`), fullPage: true })
        .catch(() => undefined);
      throw e;
    } finally {
      await ctx.close();
    }
  }

  /** The password step at ECTA's gateway. */
  async function password(page: Page, who: { username: string; password: string }): Promise<void> {
    await page.goto(`${base}/login`);
    await page.getByLabel('Organization').selectOption('ecta');
    await page.getByLabel('Username').fill(who.username);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  /**
   * Security page: enroll, confirm with a code that is still valid (a replay) `replayWithinMs` later; returns the
   * secret, the step used and the recovery codes.
   */
  async function enroll(
    page: Page,
    replayWithinMs: number,
  ): Promise<{ secret: string; step: number; recoveryCodes: string[] }> {
    await page.waitForURL(/\/security$/);
    await page.getByTestId('mfa-required').waitFor();
    await page.getByRole('button', { name: 'Set up two-factor' }).click();
    await page.getByTestId('mfa-enrollment').waitFor();
    await page.getByRole('img', { name: /^QR code for / }).waitFor();
    await page.waitForFunction(() => !document.querySelector('.qr-placeholder'));
    axeProblems.push(...(await axeFindings(page, 'security: enrollment with QR code')));
    const secret = (await page.getByTestId('mfa-secret').innerText()).replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const { code, step } = enrollmentCode(secret, replayWithinMs);
    await page.getByLabel('Code from the app').fill(code);
    await page.getByRole('button', { name: 'Turn on two-factor' }).click();
    const list = page.getByRole('list', { name: 'Recovery codes' });
    await list.waitFor();
    const recoveryCodes = (await list.locator('li').allInnerTexts()).map((t) => t.trim());
    expect(recoveryCodes).toHaveLength(10);
    axeProblems.push(...(await axeFindings(page, 'security: recovery codes')));
    return { secret, step, recoveryCodes };
  }

  async function codeStep(page: Page, proof: string, button = 'Verify'): Promise<void> {
    await page.getByLabel('Authentication code').fill(proof);
    await page.getByRole('button', { name: button }).click();
  }

  async function signOut(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login$/);
  }

  it('the org admin enrolls TOTP, signs in with it; a replayed code is refused', async () => {
    await withPage('admin', async (page) => {
      await password(page, cfg.admin);
      // Its code is typed again a few seconds later (sign out, sign in).
      const e = await enroll(page, 20_000);
      await signOut(page);

      // Password, then the code step: the enrollment's code again is a replay.
      await password(page, cfg.admin);
      await page.getByLabel('Authentication code').waitFor();
      axeProblems.push(...(await axeFindings(page, 'login: the code step')));
      await codeStep(page, totp(e.secret).generate({ timestamp: e.step * PERIOD_MS + 1 }));
      await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/MFA_CODE_REUSED/);
      expect(page.url()).toMatch(/\/login$/);
      const next = await freshCode(e.secret, e.step);
      await codeStep(page, next.code);
      await page.getByRole('heading', { level: 1, name: 'Administration' }).waitFor();
      await expect.poll(() => page.getByTestId('whoami').innerText()).toMatch(/Ethiopian Coffee|ECTA/i);
      await signOut(page);

      // The sign-in code, replayed at once: refused; a recovery code signs in instead.
      await password(page, cfg.admin);
      await codeStep(page, next.code);
      await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/MFA_CODE_REUSED/);
      await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
      await page.getByLabel('Recovery code').fill(e.recoveryCodes[0]!);
      adminRecoveryCodes = e.recoveryCodes.slice(1);
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.getByRole('heading', { level: 1, name: 'Administration' }).waitFor();
      // The Security page now says it is on, with nine recovery codes left.
      await page.goto(`${base}/security`);
      await expect.poll(() => page.getByTestId('mfa-enabled').innerText()).toMatch(/9 recovery codes left/);
    });
  });

  it('an approver is asked for a step-up before approving; the approval then succeeds', async () => {
    await withPage('officer', async (page) => {
      await password(page, cfg.officer);
      // Its code is typed again in the step-up dialog, past the step-up window (a 45 s margin for that).
      const e = await enroll(page, 45_000);
      const provedAt = Date.now();
      // Past the step-up window since the proof the enrollment gave (the portal's session carries its mfaAt).
      await page.waitForTimeout(Math.max(0, provedAt + (cfg.stepUpSeconds + 2) * 1000 - Date.now()));
      await page.goto(`${base}/exports/EXP-DEMO-08`);
      await page.getByRole('heading', { level: 1, name: /Export EXP-DEMO-08/ }).waitFor();
      await page.getByRole('button', { name: 'Register the sales contract', exact: true }).click();
      const form = page.locator('#action-panel form');
      await form.getByLabel('Registration number').fill('ECTA/REG/MFA-1');
      await form.locator('button[type="submit"]').click();

      const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
      await dialog.waitFor();
      axeProblems.push(...(await axeFindings(page, 'export detail: the step-up dialog')));
      // Focus is in the dialog's code field.
      await expect
        .poll(() => page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name))
        .toBe('code');
      // The enrollment's code again: refused, the dialog stays.
      await dialog
        .getByLabel('Authentication code')
        .fill(totp(e.secret).generate({ timestamp: e.step * PERIOD_MS + 1 }));
      await dialog.getByRole('button', { name: 'Confirm and continue' }).click();
      await expect.poll(() => dialog.getByRole('alert').innerText()).toMatch(/MFA_CODE_REUSED/);
      const fresh = await freshCode(e.secret, e.step);
      await dialog.getByLabel('Authentication code').fill(fresh.code);
      await dialog.getByRole('button', { name: 'Confirm and continue' }).click();
      await dialog.waitFor({ state: 'detached' });
      const result = page.getByTestId('last-action-status');
      const problem = page.locator('#action-panel .problem');
      await Promise.race([
        result.waitFor(),
        problem
          .waitFor()
          .then(async () => Promise.reject(new Error(`register contract: ${await problem.innerText()}`))),
      ]);
      expect(await result.innerText()).toBe('CONTRACT_REGISTERED');
    });
  });

  it("the admin resets the officer's two-factor from the Users page; the officer must enroll again", async () => {
    expect(adminRecoveryCodes, 'the admin enrolled in the first test').toHaveLength(9);
    await withPage('reset', async (page) => {
      await password(page, cfg.admin);
      await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
      await page.getByLabel('Recovery code').fill(adminRecoveryCodes[0]!);
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.getByRole('heading', { level: 1, name: 'Administration' }).waitFor();
      await page.getByRole('link', { name: 'Users', exact: true }).click();
      const reset = page.getByRole('button', { name: `Reset two-factor for ${cfg.officer.username}` });
      await reset.click();
      await page.getByRole('button', { name: `Yes, reset two-factor of ${cfg.officer.username}` }).click();
      await reset.waitFor({ state: 'detached' });
      await signOut(page);
      await password(page, cfg.officer);
      await page.waitForURL(/\/security$/);
      await page.getByTestId('mfa-required').waitFor();
    });
  });

  it('axe-core: no serious or critical violation on the two-factor pages and dialog', () => {
    expect(axeProblems, axeProblems.join('\n')).toEqual([]);
  });
});
