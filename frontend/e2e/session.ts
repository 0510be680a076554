/**
 * What the browser tests share (portal.e2e.ts, operations.e2e.ts): Debian's chromium trusting exactly the
 * portal's certificate, a page "settled" (no loading indicator left), and signing in the way a person tries the
 * demo — a click on the account's button on the login page (no password typed), then the home page, which must
 * show no error panel.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Axe from 'axe-core';
import { type Browser, type Locator, type Page, chromium } from 'playwright-core';
import { expect } from 'vitest';
import { type OrgKey, orgByKey } from '../src/config';
import { seriousFindings } from '../src/test/axeFindings';

export interface ChromiumOptions {
  /** Default /usr/bin/chromium (Debian's package). */
  chromiumPath?: string;
  headless?: boolean;
  /** base64 SHA-256 of the portal certificate's SPKI: chromium trusts exactly that certificate. */
  portalSpki?: string;
}

export function launchChromium(o: ChromiumOptions): Promise<Browser> {
  return chromium.launch({
    executablePath: o.chromiumPath ?? '/usr/bin/chromium',
    headless: o.headless ?? true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      ...(o.portalSpki ? [`--ignore-certificate-errors-spki-list=${o.portalSpki}`] : []),
    ],
  });
}

/** An account of demo-accounts.json, as the login page lists it. */
export interface DemoLogin {
  org: OrgKey;
  username: string;
  password: string;
}

/** Every loading indicator gone, and the QR code (drawn asynchronously) in place where there is one. */
export async function settle(page: Page, timeout: number): Promise<void> {
  await page.waitForFunction(() => !document.querySelector('.loading, .qr-placeholder'), undefined, {
    timeout,
  });
}

/** The account's button on the login page: the accounts are listed per org, so the org names it. */
export const demoButton = (page: Page, a: DemoLogin): Locator =>
  page.getByRole('button', { name: `Use ${a.username} at ${orgByKey(a.org).name}`, exact: true });

/**
 * Signs in on `page` with a click on the account's demo button (no password typed), then waits for the home
 * page (org admins read no exports: theirs is the administration page) and checks it shows no error.
 */
export async function signInWithDemoButton(
  page: Page,
  portalUrl: string,
  a: DemoLogin,
  timeout: number,
): Promise<void> {
  await page.goto(`${portalUrl.replace(/\/$/, '')}/login`);
  await demoButton(page, a).click();
  expect(await page.getByLabel('Username').inputValue(), 'the demo button fills the username').toBe(
    a.username,
  );
  expect(await page.getByLabel('Password').inputValue(), 'the demo button fills the password').toBe(
    a.password,
  );
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: /^(What needs me now|Administration)$/ }).waitFor();
  await settle(page, timeout);
  // A home page that shows an error panel is a failure, even if the walk itself could go on.
  const problems = await page.locator('.problem[role="alert"]').allInnerTexts();
  expect(problems, `${a.username}@${a.org}: home page shows no error`).toEqual([]);
}

/** axe-core's source, evaluated in the page (the portal's CSP refuses inline script tags). */
let axeSource: string | undefined;

/** Serious and critical axe-core findings on the page as it is now, one line each. */
export async function axeFindings(page: Page, label: string): Promise<string[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const violations = seriousFindings(
    await page.evaluate(async () => {
      const axe = (window as unknown as { axe: typeof Axe }).axe;
      return (await axe.run(document, { resultTypes: ['violations'] })).violations;
    }),
  );
  return violations.map((v) => `${label}: ${v.rule} (${v.impact}: ${v.help}) at ${v.targets.join(' | ')}`);
}
