/**
 * End to end in Debian's chromium, on a stack `npm start` brought up and seeded with the demo consortium
 * (scripts/demo, docs/demo.md). Nothing is set up through the API here: every session starts on the login page
 * with a click on a listed demo account.
 *
 * - The login page lists every demo account; a production portal (no accounts file) lists none.
 * - Every seeded export waits at its status, in the queue of the role demo-accounts.json names (each role signs
 *   in once and checks all of its exports).
 * - Keyboard only (Tab, Enter, Space and typing): the ECTA officer signs in with its demo account, opens
 *   EXP-DEMO-08 from its queue and registers the contract.
 * - The README's walkthrough: ECX certifies EXP-DEMO-08, the bank officer finds it on a 375 px phone, anyone
 *   verifies it on the public page (screenshots: DOC_SHOTS).
 * - One export walked from creation to COMPLETED through the UI, each role in turn, with need-to-know checks
 *   (a second exporter sees nothing of it; the private trade terms only where policy.ts grants them), then
 *   verified publicly.
 * - axe-core over every route of App.tsx (serious and critical violations fail), and at 375 px no page
 *   scrolls sideways.
 *
 * Input: PORTAL_E2E_CONFIG=/path/to/e2e.json (see e2e/README.md); skipped when the variable is not set.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Axe from 'axe-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportStatus, Role } from '../src/api/types';
import { ORGS } from '@coffee/consortium';
import type { OrgKey } from '../src/config';
import { STATUS_LABELS } from '../src/lib/workflow';
import { seriousFindings } from '../src/test/axeFindings';
import { appRoutes } from './routes';
import { DESKTOP, DOC_SHOTS, PHONE } from './shots';
import { demoButton, launchChromium, settle as settlePage, signInWithDemoButton } from './session';

interface E2EConfig {
  /** The portal `npm start` serves, with the demo accounts (PORTAL_DEMO_ACCOUNTS). */
  portalUrl: string;
  /** A second portal of the same build without PORTAL_DEMO_ACCOUNTS; without it, /demo-accounts.json is stubbed 404. */
  productionPortalUrl?: string;
  /** RUN_DIR/demo-accounts.json, as the seeding wrote it. */
  accountsFile: string;
  /** Where the walkthrough's screenshots (DOC_SHOTS) go; default e2e/screenshots. */
  shotsDir?: string;
  chromiumPath?: string;
  headless?: boolean;
  /** ms per UI step (a ledger transaction); default 60 s. */
  stepTimeoutMs?: number;
  /**
   * The base64 SHA-256 of the portal certificate's public key (SPKI): chromium trusts exactly that certificate
   * (--ignore-certificate-errors-spki-list), not every certificate error.
   */
  portalSpki?: string;
}

interface Account {
  org: OrgKey;
  role: Role;
  username: string;
  password: string;
  exporterId?: string;
}
interface SeededExport {
  exportId: string;
  status: ExportStatus;
  description: string;
  queue: { org: OrgKey; role: Role } | null;
  exporterId?: string;
}
interface DemoAccounts {
  mode: string;
  accounts: Account[];
  exports: SeededExport[];
}

type WorkRole = Exclude<Role, 'admin' | 'auditor'>;

/** The org whose CA issues each workflow role (@coffee/consortium's org table). */
function roleOrg(role: WorkRole): OrgKey {
  const org = ORGS.find((o) => o.roles.includes(role));
  if (org === undefined) throw new Error(`no org issues role ${role}`);
  return org.id;
}

const here = dirname(fileURLToPath(import.meta.url));
/** Failure screenshots and the walk's own (not the README's): always here, git-ignored. */
const debugDir = join(here, 'screenshots');
/** axe-core's source, evaluated in the page (the portal's CSP refuses inline script tags, rightly). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const configPath = process.env.PORTAL_E2E_CONFIG;
const run = Date.now().toString(36).toUpperCase();

/** Small but real files: a valid one-page PDF per document type. */
function makePdf(title: string): Buffer {
  const text = `${title} - e2e run ${run}`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${text.length + 35} >>\nstream\nBT /F1 18 Tf 72 760 Td (${text}) Tj ET\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

const filesDir = join(tmpdir(), `portal-e2e-${run}`);
function file(type: string): string {
  mkdirSync(filesDir, { recursive: true });
  const p = join(filesDir, `${type.toLowerCase()}.pdf`);
  if (!existsSync(p)) writeFileSync(p, makePdf(type.replace(/_/g, ' ')));
  return p;
}

const isoDay = (offsetDays: number): string =>
  new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

describe.skipIf(!configPath)('portal end to end (real browser, seeded demo stack)', () => {
  let cfg: E2EConfig;
  let demo: DemoAccounts;
  let browser: Browser;
  let base = '';
  let shotsDir = debugDir;
  let stepTimeout = 60_000;

  /** What the audits found, reported (and failed on) by the last tests. */
  const audited = new Map<string, string[]>();
  const axeProblems: string[] = [];
  const overflowProblems: string[] = [];
  /** Content-Security-Policy violations chromium reported on any page (its console). */
  const cspViolations: string[] = [];

  beforeAll(async () => {
    if (!configPath) throw new Error('PORTAL_E2E_CONFIG is not set');
    cfg = JSON.parse(readFileSync(configPath, 'utf8')) as E2EConfig;
    demo = JSON.parse(readFileSync(cfg.accountsFile, 'utf8')) as DemoAccounts;
    base = cfg.portalUrl.replace(/\/$/, '');
    shotsDir = cfg.shotsDir ?? debugDir;
    stepTimeout = cfg.stepTimeoutMs ?? 60_000;
    mkdirSync(shotsDir, { recursive: true });
    mkdirSync(debugDir, { recursive: true });
    browser = await launchChromium(cfg);
  });

  afterAll(async () => {
    await browser?.close();
  });

  // ------------------------------------------------------------------------------------------- helpers

  function account(org: OrgKey, role: Role, exporterId?: string): Account {
    const a = demo.accounts.find(
      (x) => x.org === org && x.role === role && (exporterId === undefined || x.exporterId === exporterId),
    );
    if (!a)
      throw new Error(`demo-accounts.json has no ${role} at ${org}${exporterId ? ` for ${exporterId}` : ''}`);
    return a;
  }
  /** The walk's exporter (A) and the competing one (B): the seeding's two exporter users, of two exporters. */
  const exporterA = (): Account => account('commercial-bank', 'exporter', 'EXPT-DEMO-YIRGA');
  const exporterB = (): Account => account('commercial-bank', 'exporter', 'EXPT-DEMO-SIDAMA');
  const workAccount = (role: WorkRole): Account =>
    role === 'exporter' ? exporterA() : account(roleOrg(role), role);

  /** Chromium's console line for a CSP refusal ("Refused to execute inline script because it violates ..."). */
  const CSP_MESSAGE = /Content Security Policy|Refused to (load|execute|apply|connect|frame|evaluate)/i;

  async function newContext(into: string[] = cspViolations): Promise<BrowserContext> {
    const ctx = await browser.newContext({ viewport: DESKTOP });
    ctx.setDefaultTimeout(stepTimeout);
    ctx.on('console', (msg) => {
      if (CSP_MESSAGE.test(msg.text())) into.push(`${msg.location().url}: ${msg.text()}`);
    });
    return ctx;
  }

  /** Every loading indicator gone, and the QR code (drawn asynchronously) in place where there is one. */
  const settle = (page: Page): Promise<void> => settlePage(page, stepTimeout);

  /** Signs in with a click on the account's demo button (no password typed), then waits for the home page. */
  async function signIn(a: Account): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await newContext();
    const page = await ctx.newPage();
    // Org admins read no exports (need-to-know): their home is the administration page (session.ts).
    await signInWithDemoButton(page, base, a, stepTimeout);
    return { ctx, page };
  }

  /** One session of the account: signed in through its demo button, signed out and closed after `fn`. */
  async function as<T>(a: Account, fn: (page: Page) => Promise<T>): Promise<T> {
    const { ctx, page } = await signIn(a);
    try {
      return await fn(page);
    } catch (e: unknown) {
      await page
        .screenshot({ path: join(debugDir, `FAILED-${a.org}-${a.username}.png`), fullPage: true })
        .catch(() => undefined);
      throw e;
    } finally {
      await page
        .getByRole('button', { name: 'Sign out' })
        .click({ timeout: 5000 })
        .catch(() => undefined);
      await ctx.close();
    }
  }
  const asRole = <T>(role: WorkRole, fn: (page: Page) => Promise<T>): Promise<T> => as(workAccount(role), fn);

  async function docShot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(shotsDir, name) });
  }

  /** Waits one frame, so layout follows a viewport change before it is measured. */
  const nextFrame = (page: Page): Promise<void> =>
    page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => r())));

  /**
   * The page as it is now, at 1280 px and at 375 px: axe-core's serious and critical violations (every rule,
   * including contrast and the layout ones jsdom cannot run), and whether the page scrolls sideways on a phone.
   */
  async function inspect(page: Page, label: string): Promise<{ axe: string[]; overflow: string[] }> {
    const found = { axe: [] as string[], overflow: [] as string[] };
    const size = page.viewportSize() ?? DESKTOP;
    for (const viewport of [DESKTOP, PHONE]) {
      await page.setViewportSize(viewport);
      await nextFrame(page);
      if (viewport === PHONE) {
        const overflow = await page.evaluate(() => {
          const width = window.innerWidth;
          const scrollWidth = document.documentElement.scrollWidth;
          if (scrollWidth <= width) return undefined;
          // Where to look: the innermost elements reaching past the right edge, and boxes whose content
          // spills out of them (a long word in a block that does not wrap it).
          const all = [...document.body.querySelectorAll('*')];
          const past = all.filter((el) => el.getBoundingClientRect().right > width + 0.5);
          const innermost = past.filter((el) => !past.some((o) => o !== el && el.contains(o)));
          const spilling = all.filter(
            (el) =>
              el.scrollWidth > el.clientWidth + 1 &&
              el.clientWidth > 0 &&
              getComputedStyle(el).overflowX === 'visible' &&
              el.getBoundingClientRect().left + el.scrollWidth > width + 0.5,
          );
          const describe = (el: Element): string =>
            `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${[...el.classList].map((c) => `.${c}`).join('')} (${(el.textContent ?? '').trim().slice(0, 40)})`;
          return {
            scrollWidth,
            width,
            culprits: [...new Set([...innermost, ...spilling.slice(-3)])].slice(0, 8).map(describe),
          };
        });
        if (overflow)
          found.overflow.push(
            `${label}: scrollWidth ${overflow.scrollWidth} > ${overflow.width}; look at ${overflow.culprits.join('; ')}`,
          );
      }
      if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
      const violations = seriousFindings(
        await page.evaluate(async () => {
          const axe = (window as unknown as { axe: typeof Axe }).axe;
          return (await axe.run(document, { resultTypes: ['violations'] })).violations;
        }),
      );
      for (const v of violations)
        found.axe.push(
          `${label} at ${viewport.width} px: ${v.rule} (${v.impact}: ${v.help}) at ${v.targets.join(' | ')}`,
        );
    }
    await page.setViewportSize(size);
    await nextFrame(page);
    return found;
  }

  /** inspect() once the page has settled, for the App.tsx `route` it stands for; failed on at the end, together. */
  async function audit(page: Page, route: string, label: string): Promise<void> {
    await settle(page);
    audited.set(route, [...(audited.get(route) ?? []), label]);
    const found = await inspect(page, label);
    axeProblems.push(...found.axe);
    overflowProblems.push(...found.overflow);
  }

  /** Opens an export's page and waits until its record (or its problem) is shown. */
  async function openExport(page: Page, id: string): Promise<void> {
    await page.goto(`${base}/exports/${encodeURIComponent(id)}`);
    await page.getByRole('heading', { level: 1, name: new RegExp(`Export ${id}`) }).waitFor();
    await settle(page);
  }

  /** Opens the export, the action's form, fills it and waits for the ledger's answer. */
  async function act(
    page: Page,
    exportId: string,
    actionTitle: string,
    fill: (form: ReturnType<Page['locator']>) => Promise<void>,
    expectStatus: string,
    beforeSubmit?: () => Promise<void>,
  ): Promise<void> {
    await openExport(page, exportId);
    await page.getByRole('button', { name: actionTitle, exact: true }).click();
    const form = page.locator('#action-panel form');
    await fill(form);
    await beforeSubmit?.();
    await form.locator('button[type="submit"]').click();
    const result = page.getByTestId('last-action-status');
    const problem = page.locator('#action-panel .problem');
    await Promise.race([
      result.waitFor(),
      problem
        .waitFor()
        .then(async () => Promise.reject(new Error(`${actionTitle}: ${await problem.innerText()}`))),
    ]);
    expect(await result.innerText()).toBe(expectStatus);
  }

  /** No salt anywhere: not on the page, not in this browser's storage. */
  async function expectNoSalt(page: Page, where: string): Promise<void> {
    expect(await page.getByLabel(/salt/i).count(), `${where}: no salt field`).toBe(0);
    expect(await page.locator('body').innerText(), `${where}: no salt shown`).not.toMatch(/\bsalt\b/i);
    const kept = await page.evaluate(() =>
      [...Object.keys(localStorage), ...Object.keys(sessionStorage)].filter((k) => /salt/i.test(k)),
    );
    expect(kept, `${where}: no salt kept in the browser`).toEqual([]);
  }

  /** The export's row in a queue section of the dashboard (the section of the status it waits at). */
  const queued = (page: Page, status: ExportStatus, exportId: string) =>
    page.locator(`section[aria-labelledby="q-${status}"]`).getByRole('link', { name: exportId, exact: true });

  // ------------------------------------------------------------------------------- the seeded consortium

  it('the login page lists every demo account; a production portal lists none', async () => {
    expect(demo.mode).toBe('development');
    expect(demo.exports.length, 'seeded exports').toBe(11);
    const ctx = await newContext();
    try {
      const page = await ctx.newPage();
      await page.goto(`${base}/login`);
      const list = page.getByRole('region', { name: 'Demo accounts' });
      await list.waitFor();
      expect(await list.getByRole('button', { name: /^Use / }).count()).toBe(demo.accounts.length);
      for (const a of demo.accounts) await demoButton(page, a).waitFor();
      await docShot(page, DOC_SHOTS.login);
      await audit(page, '/login', 'login (demo accounts listed)');
      // The audit can fail: a button without a name and a box wider than a phone, planted, are both reported.
      await page.evaluate(() => {
        const unnamed = document.createElement('button');
        unnamed.id = 'planted-unnamed';
        const wide = document.createElement('div');
        wide.id = 'planted-wide';
        wide.style.minWidth = '600px';
        wide.style.height = '1px';
        document.body.append(unnamed, wide);
      });
      const planted = await inspect(page, 'planted');
      expect(planted.axe.join('\n')).toMatch(/button-name \(critical.*#planted-unnamed/);
      expect(planted.overflow.join('\n')).toMatch(/scrollWidth \d+ > 375.*#planted-wide/);
      await page.evaluate(() => document.querySelectorAll('[id^="planted-"]').forEach((el) => el.remove()));

      // Production: the same build without the accounts file.
      const prod = await ctx.newPage();
      let prodBase = cfg.productionPortalUrl?.replace(/\/$/, '');
      if (!prodBase) {
        prodBase = base;
        await prod.route('**/demo-accounts.json', (route) =>
          route.fulfill({ status: 404, body: 'Not found' }),
        );
      }
      const answered = prod.waitForResponse((r) => new URL(r.url()).pathname === '/demo-accounts.json');
      await prod.goto(`${prodBase}/login`);
      expect((await answered).status(), 'production: /demo-accounts.json').toBe(404);
      await prod.getByRole('form', { name: 'Sign in' }).waitFor();
      await prod.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
      // The answer is in; give React a frame to (not) render the list.
      await nextFrame(prod);
      expect(await prod.getByTestId('demo-accounts').count(), 'production: no demo list').toBe(0);
      expect(await prod.getByRole('button', { name: /^Use / }).count(), 'production: no demo button').toBe(0);
      expect(await prod.locator('body').innerText()).not.toContain('Demo accounts');
    } finally {
      await ctx.close();
    }
  });

  it('every seeded export waits at its status, in the queue of the role that acts next (each role signs in once)', async () => {
    const groups = new Map<string, { who: Account; exports: SeededExport[] }>();
    for (const x of demo.exports) {
      if (!x.queue) continue;
      const who = account(x.queue.org, x.queue.role, x.queue.role === 'exporter' ? x.exporterId : undefined);
      const key = `${who.org}/${who.username}`;
      const g = groups.get(key) ?? { who, exports: [] };
      g.exports.push(x);
      groups.set(key, g);
    }
    expect(groups.size, 'roles with demo exports in their queue').toBeGreaterThanOrEqual(6);
    for (const { who, exports } of groups.values()) {
      await as(who, async (page) => {
        for (const x of exports) {
          await queued(page, x.status, x.exportId).waitFor({ timeout: 10_000 });
        }
        await audit(page, '/', `dashboard (${who.role}, ${who.username})`);
        if (who.role === 'ecta_officer') {
          await docShot(page, DOC_SHOTS.ectaQueue);
          // ECTA takes part from the first step: its export list shows every seeded export, at its status.
          await page.getByRole('link', { name: 'Exports', exact: true }).click();
          await page.getByRole('heading', { level: 1, name: 'Exports' }).waitFor();
          await settle(page);
          for (const x of demo.exports) {
            const row = page
              .getByRole('row')
              .filter({ has: page.getByRole('link', { name: x.exportId, exact: true }) });
            expect((await row.locator('.badge').innerText()).trim(), `${x.exportId} (${x.description})`).toBe(
              STATUS_LABELS[x.status],
            );
          }
          await audit(page, '/exports', 'export list (ECTA officer)');
        }
        if (who.role === 'bank_officer') {
          // An amendment the exporter answers (ECTA's, ECX's) is not in the bank's FX amendment queue.
          const theirs = demo.exports.filter(
            (e) => e.status === 'AMENDMENT_REQUESTED' && e.queue?.role !== 'bank_officer',
          );
          expect(theirs.length, 'a seeded amendment that waits for the exporter').toBeGreaterThan(0);
          for (const x of theirs) {
            expect(
              await queued(page, 'AMENDMENT_REQUESTED', x.exportId).count(),
              `${x.exportId} waits for the ${x.queue?.role ?? 'nobody'}, not the bank officer`,
            ).toBe(0);
          }
        }
        if (who.role === 'exporter') {
          // An exporter's overview holds only its own exports.
          const rows = page.getByRole('table', { name: 'My requests' }).locator('tbody tr');
          const own = demo.exports.filter((x) => x.exporterId === who.exporterId).length;
          expect(await rows.count(), `${who.username}: its own exports only`).toBe(own);
          for (const cell of await rows.locator('td[data-label="Exporter"]').allInnerTexts())
            expect(cell.trim()).toBe(who.exporterId);
        }
      });
    }
  });

  it('keyboard only: the ECTA officer signs in with its demo account, opens EXP-DEMO-08 from its queue and registers the contract', async () => {
    const a = account('ecta', 'ecta_officer');
    const ctx = await newContext();
    const page = await ctx.newPage();
    /** What has the focus: tag, text, name attribute, and whether the focus ring shows. */
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement;
        return {
          tag: el?.tagName.toLowerCase() ?? '',
          text: (el?.textContent ?? '').trim(),
          name: el?.getAttribute('name') ?? '',
          ring: el ? el.matches(':focus-visible') : false,
        };
      });
    /** Tabs forward until `found` holds for the focused element (at most `max` presses). */
    async function tabTo(
      what: string,
      found: (f: Awaited<ReturnType<typeof focused>>) => boolean,
      max = 80,
    ): Promise<void> {
      for (let i = 0; i < max; i++) {
        await page.keyboard.press('Tab');
        const f = await focused();
        if (found(f)) {
          expect(f.ring, `${what}: the focus ring shows`).toBe(true);
          return;
        }
      }
      throw new Error(`Tab never reached ${what}`);
    }
    try {
      await page.goto(`${base}/login`);
      await page.getByRole('region', { name: 'Demo accounts' }).waitFor();
      await tabTo(
        `Use ${a.username}`,
        (f) => f.tag === 'button' && f.text.startsWith(`Use ${a.username} at`),
      );
      await page.keyboard.press('Enter');
      expect((await focused()).text, 'the demo account moves the focus to Sign in').toBe('Sign in');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: 'What needs me now' }).waitFor();
      await settle(page);

      await tabTo('EXP-DEMO-08 in the queue', (f) => f.tag === 'a' && f.text === 'EXP-DEMO-08');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: /Export EXP-DEMO-08/ }).waitFor();
      await settle(page);

      await tabTo('the action', (f) => f.tag === 'button' && f.text === 'Register the sales contract');
      await page.keyboard.press('Space');
      await tabTo('the registration number', (f) => f.name === 'registrationNumber');
      await page.keyboard.type('ECTA/REG/0815');
      await docShot(page, DOC_SHOTS.registerContract);
      await audit(page, '/exports/:id', 'export detail with an action form (ECTA officer, EXP-DEMO-08)');
      await page.keyboard.press('Enter');
      await page.getByTestId('last-action-status').waitFor();
      expect(await page.getByTestId('last-action-status').innerText()).toBe('CONTRACT_REGISTERED');
      // The form is gone: focus lands on its outcome, not on the top of the page.
      await expect
        .poll(async () => (await focused()).text, { timeout: 10_000 })
        .toMatch(/^Register the sales contract: done/);
    } catch (e: unknown) {
      await page
        .screenshot({ path: join(debugDir, 'FAILED-keyboard.png'), fullPage: true })
        .catch(() => undefined);
      throw e;
    } finally {
      await ctx.close();
    }
  });

  it('the walkthrough: ECX certifies EXP-DEMO-08, the bank officer finds it on a phone, anyone verifies it', async () => {
    await asRole('grader', async (page) => {
      await queued(page, 'CONTRACT_REGISTERED', 'EXP-DEMO-08').click();
      await page.getByRole('heading', { level: 1, name: /Export EXP-DEMO-08/ }).waitFor();
      await settle(page);
      await page.getByRole('button', { name: 'Certify quality', exact: true }).click();
      const form = page.locator('#action-panel form');
      await form.getByLabel('Lot number').fill('LOT-GUJI-0815');
      await form.getByLabel('Warehouse receipt number').fill('WR-HAW-20815');
      await form.getByLabel('Cup score (0-100)').fill('85.25');
      await form.getByLabel('Moisture (%)').fill('10.8');
      await form.getByLabel('Defects per 300 g').fill('4');
      await form.getByLabel('Quality certificate').setInputFiles(file('QUALITY_CERTIFICATE'));
      await form.locator('button[type="submit"]').click();
      await page.getByTestId('last-action-status').waitFor();
      expect(await page.getByTestId('last-action-status').innerText()).toBe('QUALITY_CERTIFIED');
      await page.reload();
      await page.getByRole('heading', { name: 'Timeline' }).waitFor();
      await settle(page);
      // Submitted by the exporter, registered by ECTA, certified by ECX.
      const steps = page.locator('.timeline li');
      expect(await steps.count()).toBeGreaterThanOrEqual(3);
      expect(await steps.last().innerText()).toContain('Quality certified');
      await page.evaluate(() => document.getElementById('tl-title')?.scrollIntoView());
      await page.evaluate(() => window.scrollBy(0, -120));
      await docShot(page, DOC_SHOTS.timeline);
    });
    await asRole('bank_officer', async (page) => {
      await queued(page, 'QUALITY_CERTIFIED', 'EXP-DEMO-08').waitFor();
      await page.setViewportSize(PHONE);
      await nextFrame(page);
      await docShot(page, DOC_SHOTS.phoneQueue);
      await page.setViewportSize(DESKTOP);
    });
    const ctx = await newContext();
    try {
      const page = await ctx.newPage();
      await page.goto(`${base}/verify`);
      await page.getByRole('form', { name: 'Look up an export' }).waitFor();
      await audit(page, '/verify', 'verify (look-up form, signed out)');
      await page.getByLabel('Export id').fill('EXP-DEMO-08');
      await page.getByRole('button', { name: 'Verify', exact: true }).click();
      await page.getByRole('heading', { level: 2, name: /Export EXP-DEMO-08/ }).waitFor();
      await settle(page);
      expect(await page.locator('.badge').first().innerText()).toBe(STATUS_LABELS.QUALITY_CERTIFIED);
      await docShot(page, DOC_SHOTS.verify);
      await audit(page, '/verify/:id', 'verify (EXP-DEMO-08, signed out)');
    } finally {
      await ctx.close();
    }
  });

  it('the other pages of every kind of user, audited (one user created through the Users page)', async () => {
    await asRole('ecta_officer', async (page) => {
      await openExport(page, 'EXP-DEMO-01');
      expect(await page.locator('.timeline li').count(), 'EXP-DEMO-01: its whole history').toBeGreaterThan(
        10,
      );
      await audit(page, '/exports/:id', 'export detail (ECTA officer, EXP-DEMO-01 completed)');
      await page.goto(`${base}/exporters`);
      await page.getByRole('cell', { name: 'EXPT-DEMO-SIDAMA' }).first().waitFor();
      await audit(page, '/exporters', 'exporter licences (ECTA officer)');
      await page.goto(`${base}/minimum-prices`);
      await page.getByRole('heading', { level: 1, name: 'Minimum export prices' }).waitFor();
      await audit(page, '/minimum-prices', 'minimum prices (ECTA officer)');
      await page.goto(`${base}/turnaround`);
      await page.getByRole('heading', { level: 1, name: 'Turnaround by agency' }).waitFor();
      await audit(page, '/turnaround', 'turnaround (ECTA officer)');
      // Two-factor is off on this stack (development's default): the Security page offers to set it up.
      await page.goto(`${base}/security`);
      await page.getByRole('button', { name: 'Set up two-factor' }).waitFor();
      await audit(page, '/security', 'security, two-factor off (ECTA officer)');
      await page.goto(`${base}/exports/new`);
      await page.getByText('Only exporters (Commercial Bank customers) create export requests.').waitFor();
      await audit(page, '/exports/new', 'new export (not an exporter)');
      // EUDR (eudr.e2e.ts drives it): the screening review queue, empty on the demo stack.
      await page.goto(`${base}/eudr/review`);
      await page.getByRole('heading', { level: 1, name: 'EUDR screening review' }).waitFor();
      await page.getByText('No plot awaits review.').waitFor();
      await audit(page, '/eudr/review', 'EUDR review queue (ECTA officer)');
    });
    await asRole('fx_officer', async (page) => {
      await page.getByRole('link', { name: 'Exporters & delinquency' }).click();
      await page.getByRole('heading', { level: 1 }).waitFor();
      await audit(page, '/exporters', 'exporters & delinquency (FX officer)');
    });
    await asRole('exporter', async (page) => {
      await page.getByRole('link', { name: 'New export', exact: true }).click();
      await page.getByLabel('Contracted grade').waitFor();
      await audit(page, '/exports/new', 'new export wizard, first step (exporter)');
      // EUDR plots: the map (no tiles) and the registration form.
      await page.getByRole('link', { name: 'EUDR plots', exact: true }).click();
      await page.getByRole('form', { name: 'Register a plot' }).waitFor();
      await audit(page, '/eudr/plots', 'EUDR plots, map and registration form (exporter)');
      // The amendment ECTA asked for: its notice and the exporter's form.
      await openExport(page, 'EXP-DEMO-11');
      await page.getByRole('button', { name: 'Submit the amendment', exact: true }).click();
      await page.locator('#action-panel form').waitFor();
      await audit(page, '/exports/:id', 'export detail (exporter, EXP-DEMO-11 amendment form)');
    });
    await asRole('customs_officer', async (page) => {
      await openExport(page, 'EXP-DEMO-04');
      await page.getByRole('button', { name: 'Customs declaration', exact: true }).click();
      await page.locator('#action-panel form').waitFor();
      await audit(page, '/exports/:id', 'export detail (customs officer, EXP-DEMO-04 declaration form)');
    });
    await asRole('bank_officer', async (page) => {
      await openExport(page, 'EXP-DEMO-02');
      await page.getByTestId('trade-terms').getByText('Unit price').waitFor();
      await audit(page, '/exports/:id', 'export detail (bank officer, EXP-DEMO-02 shipped, private terms)');
    });
    await as(account('ecta', 'auditor'), async (page) => {
      await audit(page, '/', 'dashboard (ECTA auditor)');
      // The audit log: the auditor's own sign-in is in it at least.
      await page.getByRole('link', { name: 'Audit log', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
      await page.getByRole('cell', { name: 'auth.login', exact: true }).first().waitFor();
      await audit(page, '/audit', 'audit log (ECTA auditor)');
    });
    await as(account('customs', 'admin'), async (page) => {
      await audit(page, '/', 'administration (customs admin)');
      await page.getByRole('link', { name: 'Users', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Users of my organization' }).waitFor();
      await page.getByRole('cell', { name: 'customs-officer', exact: true }).waitFor();
      await audit(page, '/users', 'users (customs admin)');
      await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
      await page.getByRole('heading', { level: 2, name: 'Register a webhook' }).waitFor();
      await audit(page, '/webhooks', 'webhooks (customs admin)');
      // Operations (Prometheus through the gateway): its panels drawn, none in error (e2e/operations.e2e.ts
      // checks the panels themselves).
      await page.getByRole('link', { name: 'Operations', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Operations' }).waitFor();
      await page.getByTestId('ops-panel').first().waitFor();
      await audit(page, '/operations', 'operations (customs admin)');
      await page.getByRole('link', { name: 'Users', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Users of my organization' }).waitFor();
      const username = `e2e-customs-${run.toLowerCase()}`;
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Initial password').fill(`E2e-${run}-pass-1234`);
      await page.getByLabel('Role').selectOption('customs_officer');
      await page.getByRole('button', { name: 'Create user' }).click();
      await page.getByText(`User ${username} created`).waitFor();
      await page.getByRole('cell', { name: username, exact: true }).waitFor();
    });
  });

  // ------------------------------------------------- one export from creation to COMPLETED, through the UI

  let exportId = '';

  it('ECTA publishes a minimum price in force for the grade and region', async () => {
    await asRole('ecta_officer', async (page) => {
      await page.getByRole('link', { name: 'Minimum prices' }).click();
      await page.getByLabel('Grade').selectOption('G2');
      // A region the seeding did not price: this row alone decides the walk's registration.
      await page.getByLabel('Origin region (optional)').fill('LIMU');
      await page.getByLabel('Minimum price (USD/kg)').fill('3.5');
      await page.getByLabel('Effective from').fill(isoDay(-1));
      await page.getByRole('button', { name: 'Publish' }).click();
      await page.getByText(/^Published/).waitFor();
    });
  });

  it('exporter A creates the request through the wizard and attaches the shipping documents', async () => {
    await asRole('exporter', async (page) => {
      await page.getByRole('link', { name: 'New export', exact: true }).click();
      await page.getByLabel('Contracted grade').selectOption('G2');
      await page.getByLabel('Quantity (kg)').fill('19200');
      await page.getByLabel('Origin region').fill('LIMU');
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByLabel('Buyer name').fill('Hamburg Coffee Roasters GmbH');
      await page.getByLabel('Destination country (ISO code)').fill('US'); // outside the EU: no EUDR package needed before customs
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByLabel('Contract number').fill(`SC-${run}`);
      await page.getByLabel('Incoterm').selectOption('FOB');
      await page.getByLabel('Unit price (USD/kg)').fill('4.25');
      await page.getByLabel('Payment method').selectOption('LC');
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByLabel('Earliest shipment').fill(isoDay(1));
      await page.getByLabel('Latest shipment').fill(isoDay(60));
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByLabel('Sales contract').setInputFiles(file('SALES_CONTRACT'));
      await page.getByLabel('Proforma invoice').setInputFiles(file('PROFORMA_INVOICE'));
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByRole('button', { name: 'Submit export request' }).waitFor();
      await audit(page, '/exports/new', 'new export wizard, review step (exporter)');
      await page.screenshot({ path: join(debugDir, 'exporter-wizard-review.png'), fullPage: true });
      await page.getByRole('button', { name: 'Submit export request' }).click();
      exportId = (await page.getByTestId('created-export-id').innerText()).trim();
      expect(exportId).toMatch(/^EXP-/);
      await audit(page, '/exports/new', 'new export wizard, submitted (exporter)');
      // The gateway salts the terms commitment: nothing to copy, nothing kept in this browser.
      await expectNoSalt(page, 'after creating the export');
      await act(
        page,
        exportId,
        'Attach shipping documents',
        async (form) => {
          await form
            .getByLabel('Commercial invoice', { exact: true })
            .setInputFiles(file('COMMERCIAL_INVOICE'));
          await form.getByLabel('Packing list', { exact: true }).setInputFiles(file('PACKING_LIST'));
          await form.getByLabel('Certificate of origin').setInputFiles(file('CERTIFICATE_OF_ORIGIN'));
          await form.getByLabel('Phytosanitary certificate').setInputFiles(file('PHYTOSANITARY_CERTIFICATE'));
        },
        'SUBMITTED',
      );
    });
  });

  it('confidentiality (a): exporter B sees none of exporter A’s exports and gets not-found at its URL', async () => {
    const a = exporterA();
    await as(exporterB(), async (page) => {
      // The dashboard (signIn() already waited for it and found no error panel) lists only B's requests.
      expect(await page.getByText(exportId).count(), 'A’s export on B’s dashboard').toBe(0);
      expect(
        await page.getByText(a.exporterId ?? '', { exact: true }).count(),
        'A’s exporter id on B’s dashboard',
      ).toBe(0);
      await page.goto(`${base}/exports`);
      await page.getByRole('heading', { level: 1, name: 'Exports' }).waitFor();
      await settle(page);
      expect(await page.getByText(exportId).count(), 'A’s export in B’s export list').toBe(0);
      await page.getByLabel('Search').fill(exportId);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByText('No exports match.').waitFor();
      // A's export URL: the not-found view, as for an id that does not exist.
      await openExport(page, exportId);
      const problem = page.locator('.problem[role="alert"]');
      await problem.waitFor();
      expect(await problem.innerText()).toContain('EXPORT_NOT_FOUND');
      expect(await page.getByTestId('trade-terms').count()).toBe(0);
      expect(await page.getByRole('heading', { name: 'Documents' }).count()).toBe(0);
      expect(await page.locator('body').innerText()).not.toContain('Hamburg Coffee Roasters');
      await audit(page, '/exports/:id', 'export detail, not found (exporter B)');
      await page.screenshot({ path: join(debugDir, 'exporter-b-not-found.png'), fullPage: true });
    });
  });

  it('ECTA registers the contract', async () => {
    await asRole('ecta_officer', (page) =>
      act(
        page,
        exportId,
        'Register the sales contract',
        (f) => f.getByLabel('Registration number').fill(`ECTA/${run}`),
        'CONTRACT_REGISTERED',
      ),
    );
  });

  it('ECX grades and certifies the lot', async () => {
    await asRole('grader', (page) =>
      act(
        page,
        exportId,
        'Certify quality',
        async (f) => {
          await f.getByLabel('Lot number').fill(`LOT-${run}`);
          await f.getByLabel('Warehouse receipt number').fill(`WR-${run}`);
          await f.getByLabel('Cup score (0-100)').fill('86.5');
          await f.getByLabel('Moisture (%)').fill('10.5');
          await f.getByLabel('Defects per 300 g').fill('3');
          await f.getByLabel('Quality certificate').setInputFiles(file('QUALITY_CERTIFICATE'));
        },
        'QUALITY_CERTIFIED',
      ),
    );
  });

  it('the bank files the FX application', async () => {
    await asRole('bank_officer', (page) =>
      act(
        page,
        exportId,
        'File the FX application',
        async (f) => {
          await f.getByLabel('Payment method').selectOption('LC');
          await f.getByLabel('LC / advance reference').fill(`LC-${run}`);
          await f.getByLabel('Amount (USD)').fill('81600');
          await f.getByLabel('LC or advance advice').setInputFiles(file('LC_OR_ADVANCE_ADVICE'));
        },
        'FX_SUBMITTED',
      ),
    );
  });

  it('the National Bank approves FX', async () => {
    await asRole('fx_officer', (page) =>
      act(page, exportId, 'Approve FX and issue the permit', () => Promise.resolve(), 'FX_APPROVED'),
    );
  });

  it('the shipping line books the shipment', async () => {
    await asRole('shipping_agent', (page) =>
      act(
        page,
        exportId,
        'Book the shipment',
        async (f) => {
          await f.getByLabel('Booking number').fill(`BK-${run}`);
          await f.getByLabel('Vessel name').fill('MSC Aurora');
          await f.getByLabel('Voyage number').fill('V-12E');
          await f.getByLabel('Container numbers').fill('MSCU1234567, MSKU7654321');
          await f.getByLabel('Port of discharge (UN/LOCODE)').fill('USNYC');
          await f.getByLabel('Estimated departure (ETD)').fill(isoDay(2));
          await f.getByLabel('Booking confirmation').setInputFiles(file('BOOKING_CONFIRMATION'));
        },
        'SHIPMENT_BOOKED',
      ),
    );
  });

  it('customs clears the declaration (GREEN lane, declared value prefilled from the registered contract value, no salt)', async () => {
    await asRole('customs_officer', (page) =>
      act(
        page,
        exportId,
        'Customs declaration',
        async (f) => {
          await expectNoSalt(page, 'customs declaration form');
          // Customs reads only the registered contract value (policy.ts customsValue), which prefills the field.
          const declared = f.getByLabel('Declared value (USD)');
          await expect.poll(() => declared.inputValue(), { timeout: 10_000 }).not.toBe('');
          expect(Number(await declared.inputValue()), 'declared value prefilled').toBe(81600);
          const terms = page.getByTestId('trade-terms');
          await terms.getByText('Customs value (registered contract value)').waitFor();
          expect(await terms.getByText('Unit price').count(), 'customs reads no trade terms').toBe(0);
          await f.getByLabel('Declaration number').fill(`DEC-${run}`);
          await f.getByLabel('Risk lane').selectOption('GREEN');
          await f.getByLabel('Export declaration').setInputFiles(file('EXPORT_DECLARATION'));
        },
        'CUSTOMS_CLEARED',
      ),
    );
  });

  it('the shipping line ships and records a tracking event', async () => {
    await asRole('shipping_agent', async (page) => {
      await act(
        page,
        exportId,
        'Mark as shipped',
        async (f) => {
          await f.getByLabel('Bill of lading number').fill(`BL-${run}`);
          await f.getByLabel('Bill of lading', { exact: true }).setInputFiles(file('BILL_OF_LADING'));
        },
        'SHIPPED',
      );
      await act(
        page,
        exportId,
        'Add a tracking event',
        async (f) => {
          await f.getByLabel('Location').fill('Port of Djibouti');
          await f.getByLabel('Event', { exact: true }).selectOption('DEPARTED');
        },
        'SHIPPED',
      );
    });
  });

  it('the bank records the proceeds', async () => {
    await asRole('bank_officer', (page) =>
      act(
        page,
        exportId,
        'Record the export proceeds',
        async (f) => {
          await f.getByLabel('Payment reference').fill(`SWIFT-${run}`);
          await f.getByLabel('Amount received (USD)').fill('81600');
          await f.getByLabel('Payment advice').setInputFiles(file('PAYMENT_ADVICE'));
        },
        'PAYMENT_RECEIVED',
      ),
    );
  });

  it('the National Bank confirms repatriation: COMPLETED, with the full timeline', async () => {
    await asRole('fx_officer', async (page) => {
      await act(page, exportId, 'Confirm FX repatriation', () => Promise.resolve(), 'COMPLETED');
      await page.reload();
      await page.getByRole('heading', { name: 'Timeline' }).waitFor();
      await page.locator('.timeline li').nth(9).waitFor();
      await page.screenshot({ path: join(debugDir, 'export-completed-detail.png'), fullPage: true });
    });
  });

  it('confidentiality (b): the trade-terms panel shows for the exporter, bank officer and ECTA officer, not for the grader or shipping agent', async () => {
    const expectations: Array<[WorkRole, boolean]> = [
      ['exporter', true],
      ['bank_officer', true],
      ['ecta_officer', true],
      ['grader', false],
      ['shipping_agent', false],
    ];
    for (const [role, visible] of expectations) {
      await asRole(role, async (page) => {
        await openExport(page, exportId);
        await page.getByRole('heading', { name: 'Documents' }).waitFor();
        const panel = page.getByTestId('trade-terms');
        if (visible) {
          await panel.getByText('Unit price').waitFor();
          expect(await panel.innerText(), `${role} reads the contract value`).toContain('$81,600.00');
          expect(await panel.locator('.problem').count(), `${role}: no error in the panel`).toBe(0);
        } else {
          expect(await panel.count(), `${role} gets no trade-terms panel`).toBe(0);
          expect(await page.locator('.problem[role="alert"]').count(), `${role}: no error either`).toBe(0);
          expect(await page.locator('body').innerText(), `${role}: no contract value`).not.toContain(
            '81,600',
          );
        }
      });
    }
  });

  it('anyone can verify the export on the public page (no login), reached through its QR link', async () => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    try {
      await page.goto(`${base}/verify/${encodeURIComponent(exportId)}`);
      await page.getByRole('heading', { level: 2, name: new RegExp(`Export ${exportId}`) }).waitFor();
      await settle(page);
      expect(await page.locator('.badge').first().innerText()).toBe('Completed');
      await page.getByTestId('qr').waitFor();
      expect(await page.getByTestId('verify-url').getAttribute('href')).toBe(
        `${base}/verify/${encodeURIComponent(exportId)}`,
      );
      expect(await page.locator('code.hash').count()).toBeGreaterThanOrEqual(12);
      // State, step times, document types and hashes only: no CID, no user names, no private values.
      const text = await page.locator('body').innerText();
      expect(text).not.toMatch(/\b(Qm[1-9A-HJ-NP-Za-km-z]{44}|baf[a-z2-7]{50,})\b/);
      for (const a of demo.accounts.filter((x) => x.role !== 'admin')) expect(text).not.toContain(a.username);
      expect(text).not.toContain('81,600');
      expect(text).not.toContain('Hamburg Coffee Roasters');
      await audit(page, '/verify/:id', 'verify (completed walk export, signed out)');
    } finally {
      await ctx.close();
    }
  });

  // --------------------------------------------------------------------------------------- the audits

  it('every route of App.tsx was audited', () => {
    const routes = appRoutes();
    expect(routes.length, 'routes found in App.tsx').toBeGreaterThanOrEqual(10);
    expect(routes.filter((r) => !audited.has(r))).toEqual([]);
    process.stdout.write(
      `audited ${[...audited.values()].flat().length} page states at 1280 and 375 px:\n${[
        ...audited.entries(),
      ]
        .map(([r, labels]) => `  ${r}: ${labels.join('; ')}`)
        .join('\n')}\n`,
    );
  });

  it('axe-core: no serious or critical violation on any page', () => {
    expect(axeProblems, axeProblems.join('\n')).toEqual([]);
  });

  it('at 375 px no page scrolls sideways', () => {
    expect(overflowProblems, overflowProblems.join('\n')).toEqual([]);
  });

  it('chromium reaches the portal over HTTPS: a secure context, the development CA’s certificate', async () => {
    const ctx = await newContext();
    try {
      const page = await ctx.newPage();
      const res = await page.goto(`${base}/verify`);
      expect(base).toMatch(/^https:\/\//);
      expect(await page.evaluate(() => [location.protocol, window.isSecureContext])).toEqual([
        'https:',
        true,
      ]);
      const tls = await res?.securityDetails();
      expect(tls?.issuer, 'issued by the development CA').toBe('Coffee Export development CA');
      expect(tls?.protocol ?? '').toMatch(/^TLS 1\.[23]$/);
      expect((await res?.allHeaders())?.['strict-transport-security']).toMatch(/max-age=\d+/);
    } finally {
      await ctx.close();
    }
  });

  it('no Content-Security-Policy violation on any page (a planted inline script is caught)', async () => {
    // The detector can fail: an inline script added to a page is refused, and the refusal is seen.
    const planted: string[] = [];
    const ctx = await newContext(planted);
    try {
      const page = await ctx.newPage();
      await page.goto(`${base}/verify`);
      await page.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'window.__planted = true';
        document.body.appendChild(s);
      });
      await expect.poll(() => planted.length, { timeout: 5000 }).toBeGreaterThan(0);
      expect(await page.evaluate(() => (window as { __planted?: boolean }).__planted)).toBeUndefined();
    } finally {
      await ctx.close();
    }
    expect(cspViolations, cspViolations.join('\n')).toEqual([]);
  });
});
