/**
 * End-to-end: drives Debian's chromium through the portal, logging in as each role in turn and walking one
 * export from creation to COMPLETED only through the UI (real files uploaded), then opens the public
 * verification page. Need-to-know is checked on the way: a second exporter (B) sees nothing of exporter A's
 * export, and the private trade-terms panel shows only for the roles policy.ts grants. No salt is typed, shown
 * or kept anywhere (the gateway salts every commitment). Screenshots of every role's dashboard go to
 * e2e/screenshots/ (git-ignored).
 *
 * Input: PORTAL_E2E_CONFIG=/path/to/e2e.json (see e2e/README.md and e2e/config.example.json).
 * Skipped when the variable is not set (so `npm test` passes on machines without the network).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type OrgKey = 'commercial-bank' | 'national-bank' | 'ecta' | 'ecx' | 'shipping-line' | 'customs';
type WorkRole =
  | 'exporter'
  | 'bank_officer'
  | 'fx_officer'
  | 'ecta_officer'
  | 'grader'
  | 'shipping_agent'
  | 'customs_officer';
interface Credentials {
  username: string;
  password: string;
}
interface E2EConfig {
  /** Where the portal is served (default http://127.0.0.1:3000); started with `vite preview` if not up. */
  portalUrl?: string;
  /** Gateway base URLs per org; served to the browser as /config.json (default: the portal's own file). */
  gateways?: Partial<Record<OrgKey, string>>;
  /** Org admins (e.g. from .run/endpoints.json in development mode); used for screenshots and to create users. */
  admins?: Partial<Record<OrgKey, Credentials>>;
  /** Workflow users; any role missing here is created through the Users page by its org admin. */
  users?: Partial<Record<WorkRole, Credentials>>;
  /** The exporter the exporter user belongs to; registered through ECTA's licence page if absent. */
  exporterId?: string;
  /** A second, competing exporter (B); registered through ECTA's licence page if absent. */
  exporterBId?: string;
  /** A user of exporter B (Commercial Bank role `exporter`); created by the Commercial Bank admin if absent. */
  exporterBUser?: Credentials;
  chromiumPath?: string;
  headless?: boolean;
  /** ms per UI step (a ledger transaction); default 60 s. */
  stepTimeoutMs?: number;
}

const ROLE_ORG: Record<WorkRole, OrgKey> = {
  exporter: 'commercial-bank',
  bank_officer: 'commercial-bank',
  fx_officer: 'national-bank',
  ecta_officer: 'ecta',
  grader: 'ecx',
  shipping_agent: 'shipping-line',
  customs_officer: 'customs',
};

const here = dirname(fileURLToPath(import.meta.url));
const frontendDir = resolve(here, '..');
const shotsDir = join(here, 'screenshots');
const configPath = process.env.PORTAL_E2E_CONFIG;
const run = Date.now().toString(36).toUpperCase();

function loadConfig(): E2EConfig {
  if (!configPath) throw new Error('PORTAL_E2E_CONFIG is not set');
  return JSON.parse(readFileSync(configPath, 'utf8')) as E2EConfig;
}

/** Small but real files: a valid one-page PDF per document type, plus a PNG-free text variant. */
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

async function reachable(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return res.ok;
  } catch {
    return false;
  }
}

describe.skipIf(!configPath)('portal end-to-end (real browser, real gateways)', () => {
  let cfg: E2EConfig;
  let browser: Browser;
  let portal: ChildProcess | undefined;
  let base = '';
  let stepTimeout = 60_000;
  const users: Partial<Record<WorkRole, Credentials>> = {};
  let exporterId = '';
  let exporterBId = '';
  let exporterBUser: Credentials | undefined;
  let exportId = '';

  beforeAll(async () => {
    cfg = loadConfig();
    base = (cfg.portalUrl ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
    stepTimeout = cfg.stepTimeoutMs ?? 60_000;
    mkdirSync(shotsDir, { recursive: true });
    if (!(await reachable(base))) {
      const port = new URL(base).port || '3000';
      if (!existsSync(join(frontendDir, 'dist', 'index.html'))) {
        throw new Error(`portal not reachable at ${base} and not built: run npm run build -w frontend first`);
      }
      portal = spawn('npx', ['vite', 'preview', '--port', port, '--strictPort'], {
        cwd: frontendDir,
        stdio: 'ignore',
        detached: true,
        env: { ...process.env, PORTAL_PORT: port },
      });
      for (let i = 0; i < 60 && !(await reachable(base)); i++) await new Promise((r) => setTimeout(r, 500));
      if (!(await reachable(base))) throw new Error(`could not start the portal at ${base}`);
    }
    browser = await chromium.launch({
      executablePath: cfg.chromiumPath ?? '/usr/bin/chromium',
      headless: cfg.headless ?? true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (portal?.pid) {
      try {
        process.kill(-portal.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  });

  async function newContext(): Promise<BrowserContext> {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    ctx.setDefaultTimeout(stepTimeout);
    if (cfg.gateways) {
      const gateways = cfg.gateways;
      await ctx.route('**/config.json', (route) => route.fulfill({ json: { gateways, verifyOrg: 'ecta' } }));
    }
    return ctx;
  }

  async function login(
    org: OrgKey,
    cred: Credentials,
    shot: string,
  ): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await newContext();
    const page = await ctx.newPage();
    await page.goto(`${base}/login`);
    await page.getByLabel('Organization').selectOption(org);
    await page.getByLabel('Username').fill(cred.username);
    await page.getByLabel('Password').fill(cred.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Org admins read no exports (need-to-know): their home is the administration page.
    await page.getByRole('heading', { name: /^(What needs me now|Administration)$/ }).waitFor();
    await page
      .getByRole('status')
      .filter({ hasText: 'Loading' })
      .first()
      .waitFor({ state: 'detached' })
      .catch(() => undefined);
    await page.screenshot({ path: join(shotsDir, `${shot}-dashboard.png`), fullPage: true });
    // A dashboard that shows an error panel is a failure, even if the walk itself can go on.
    const problems = await page.locator('.problem[role="alert"]').allInnerTexts();
    expect(problems, `${shot} dashboard shows no error`).toEqual([]);
    return { ctx, page };
  }

  async function asRole<T>(role: WorkRole, fn: (page: Page) => Promise<T>): Promise<T> {
    const cred = users[role];
    if (!cred) throw new Error(`no credentials for ${role}`);
    return asUser(ROLE_ORG[role], cred, role, fn);
  }

  async function asUser<T>(
    org: OrgKey,
    cred: Credentials,
    shot: string,
    fn: (page: Page) => Promise<T>,
  ): Promise<T> {
    const { ctx, page } = await login(org, cred, shot);
    try {
      return await fn(page);
    } catch (e: unknown) {
      await page
        .screenshot({ path: join(shotsDir, `FAILED-${shot}.png`), fullPage: true })
        .catch(() => undefined);
      throw e;
    } finally {
      await page
        .getByRole('button', { name: 'Sign out' })
        .click()
        .catch(() => undefined);
      await ctx.close();
    }
  }

  /** Opens the export, the action's form, fills it and waits for the ledger's answer. */
  async function act(
    page: Page,
    actionTitle: string,
    fill: (form: ReturnType<Page['locator']>) => Promise<void>,
    expectStatus: string,
  ): Promise<void> {
    await page.goto(`${base}/exports/${encodeURIComponent(exportId)}`);
    await page.getByRole('heading', { name: new RegExp(`Export ${exportId}`) }).waitFor();
    await page.getByRole('button', { name: actionTitle, exact: true }).click();
    const form = page.locator('#action-panel form');
    await fill(form);
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

  /** Opens an export's page and waits until its record (or its problem) is shown. */
  async function openExport(page: Page, id: string): Promise<void> {
    await page.goto(`${base}/exports/${encodeURIComponent(id)}`);
    await page.getByRole('heading', { name: new RegExp(`Export ${id}`) }).waitFor();
    await page
      .getByRole('status')
      .filter({ hasText: 'Loading export' })
      .waitFor({ state: 'detached' })
      .catch(() => undefined);
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

  async function licenseExporter(page: Page, id: string, name: string, tin: string): Promise<void> {
    await page.goto(`${base}/exporters`);
    await page.getByLabel('Exporter id').fill(id);
    await page.getByLabel('Legal name').fill(name);
    await page.getByLabel('TIN').fill(tin);
    await page.getByLabel('Licence number').fill(`LIC-${id}`);
    await page
      .getByLabel('Licence valid until')
      .fill(new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10));
    await page.getByRole('button', { name: 'Register exporter' }).click();
    await page.getByText(`Exporter ${id} licensed.`).waitFor();
  }

  async function createUser(
    page: Page,
    role: WorkRole,
    name: string,
    forExporter?: string,
  ): Promise<Credentials> {
    const cred = { username: `e2e-${name}-${run.toLowerCase()}`, password: `E2e-${run}-pass-1234` };
    await page.goto(`${base}/users`);
    await page.getByLabel('Username').fill(cred.username);
    await page.getByLabel('Initial password').fill(cred.password);
    await page.getByLabel('Role').selectOption(role);
    if (forExporter !== undefined) await page.getByLabel('Exporter id (ECTA licence)').fill(forExporter);
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByText(`User ${cred.username} created`).waitFor();
    return cred;
  }

  it('prepares users (through the org admins’ Users pages) and screenshots admin dashboards', async () => {
    Object.assign(users, cfg.users ?? {});
    exporterId = cfg.exporterId ?? '';
    exporterBId = cfg.exporterBId ?? '';
    exporterBUser = cfg.exporterBUser;
    // ECTA first: it licenses the exporter the Commercial Bank admin then links the exporter user to.
    const admins = (Object.entries(cfg.admins ?? {}) as [OrgKey, Credentials][]).sort(
      ([a], [b]) => Number(b === 'ecta') - Number(a === 'ecta'),
    );
    for (const [org, cred] of admins) {
      const { ctx, page } = await login(org, cred, `admin-${org}`);
      try {
        // Two competing exporters: A walks the export, B must see nothing of it.
        const tin = String(Date.now()).slice(-9);
        if (org === 'ecta' && !exporterId) {
          exporterId = `E2E-EXP-${run}`;
          await licenseExporter(page, exporterId, `E2E Coffee Exporters ${run} PLC`, `0${tin}`);
        }
        if (org === 'ecta' && !exporterBId) {
          exporterBId = `E2E-EXPB-${run}`;
          await licenseExporter(page, exporterBId, `E2E Rival Coffee ${run} PLC`, `1${tin}`);
        }
        if (org === 'ecta')
          await page.screenshot({ path: join(shotsDir, 'ecta-licences.png'), fullPage: true });
        for (const role of (Object.keys(ROLE_ORG) as WorkRole[]).filter(
          (r) => ROLE_ORG[r] === org && !users[r],
        )) {
          if (role === 'exporter' && !exporterId)
            throw new Error('exporter user needs an exporterId: give exporterId or the ECTA admin');
          users[role] = await createUser(
            page,
            role,
            role.replace('_', '-'),
            role === 'exporter' ? exporterId : undefined,
          );
        }
        if (org === 'commercial-bank' && !exporterBUser) {
          if (!exporterBId)
            throw new Error('exporter B needs an exporterBId: give exporterBId or the ECTA admin');
          exporterBUser = await createUser(page, 'exporter', 'exporter-b', exporterBId);
        }
        await page
          .screenshot({ path: join(shotsDir, `admin-${org}-users.png`), fullPage: true })
          .catch(() => undefined);
      } finally {
        await ctx.close();
      }
    }
    for (const role of Object.keys(ROLE_ORG) as WorkRole[])
      expect(users[role], `credentials for ${role}`).toBeDefined();
    expect(exporterBUser, 'credentials for exporter B').toBeDefined();
  });

  it('ECTA publishes a minimum price in force for the grade', async () => {
    await asRole('ecta_officer', async (page) => {
      await page.getByRole('link', { name: 'Minimum prices' }).click();
      await page.getByLabel('Grade').selectOption('G2');
      await page.getByLabel('Origin region (optional)').fill('SIDAMA');
      await page.getByLabel('Minimum price (USD/kg)').fill('3.5');
      await page
        .getByLabel('Effective from')
        .fill(new Date(Date.now() - 86_400_000).toISOString().slice(0, 10));
      await page.getByRole('button', { name: 'Publish' }).click();
      await page.getByText(/^Published/).waitFor();
      await page.screenshot({ path: join(shotsDir, 'ecta-minimum-prices.png'), fullPage: true });
    });
  });

  it('exporter creates the request through the wizard and attaches the shipping documents', async () => {
    await asRole('exporter', async (page) => {
      await page.getByRole('link', { name: 'New export', exact: true }).click();
      await page.getByLabel('Contracted grade').selectOption('G2');
      await page.getByLabel('Quantity (kg)').fill('19200');
      await page.getByLabel('Origin region').fill('SIDAMA');
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByLabel('Buyer name').fill('Hamburg Coffee Roasters GmbH');
      await page.getByLabel('Destination country (ISO code)').fill('DE');
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByLabel('Contract number').fill(`SC-${run}`);
      await page.getByLabel('Incoterm').selectOption('FOB');
      await page.getByLabel('Unit price (USD/kg)').fill('4.25');
      await page.getByLabel('Payment method').selectOption('LC');
      await page.getByRole('button', { name: 'Next' }).click();
      await page
        .getByLabel('Earliest shipment')
        .fill(new Date(Date.now() + 86_400_000).toISOString().slice(0, 10));
      await page
        .getByLabel('Latest shipment')
        .fill(new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10));
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByLabel('Sales contract').setInputFiles(file('SALES_CONTRACT'));
      await page.getByLabel('Proforma invoice').setInputFiles(file('PROFORMA_INVOICE'));
      await page.getByRole('button', { name: 'Next' }).click();
      await page.screenshot({ path: join(shotsDir, 'exporter-wizard-review.png'), fullPage: true });
      await page.getByRole('button', { name: 'Submit export request' }).click();
      exportId = (await page.getByTestId('created-export-id').innerText()).trim();
      expect(exportId).toMatch(/^EXP-/);
      // The gateway salts the terms commitment: nothing to copy, nothing kept in this browser.
      await expectNoSalt(page, 'after creating the export');
      await act(
        page,
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
    if (!exporterBUser) throw new Error('no credentials for exporter B');
    await asUser('commercial-bank', exporterBUser, 'exporter-b', async (page) => {
      // The dashboard (login() already waited for it and found no error panel) lists only B's requests.
      expect(await page.getByText(exportId).count(), 'A’s export on B’s dashboard').toBe(0);
      expect(
        await page.getByText(exporterId, { exact: true }).count(),
        'A’s exporter id on B’s dashboard',
      ).toBe(0);
      await page.goto(`${base}/exports`);
      await page.getByRole('heading', { name: 'Exports' }).waitFor();
      await page
        .getByRole('status')
        .filter({ hasText: 'Loading' })
        .first()
        .waitFor({ state: 'detached' })
        .catch(() => undefined);
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
      await page.screenshot({ path: join(shotsDir, 'exporter-b-not-found.png'), fullPage: true });
    });
  });

  it('ECTA registers the contract', async () => {
    await asRole('ecta_officer', (page) =>
      act(
        page,
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
      act(page, 'Approve FX and issue the permit', () => Promise.resolve(), 'FX_APPROVED'),
    );
  });

  it('the shipping line books the shipment', async () => {
    await asRole('shipping_agent', (page) =>
      act(
        page,
        'Book the shipment',
        async (f) => {
          await f.getByLabel('Booking number').fill(`BK-${run}`);
          await f.getByLabel('Vessel name').fill('MSC Aurora');
          await f.getByLabel('Voyage number').fill('V-12E');
          await f.getByLabel('Container numbers').fill('MSCU1234567, MSKU7654321');
          await f.getByLabel('Port of discharge (UN/LOCODE)').fill('DEHAM');
          await f
            .getByLabel('Estimated departure (ETD)')
            .fill(new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10));
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
        'Customs declaration',
        async (f) => {
          await expectNoSalt(page, 'customs declaration form');
          // Customs reads only the registered contract value (policy.ts customsValue), which prefills the field.
          const declared = f.getByLabel('Declared value (USD)');
          for (let i = 0; i < 50 && (await declared.inputValue()) === ''; i++) await page.waitForTimeout(200);
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
        'Mark as shipped',
        async (f) => {
          await f.getByLabel('Bill of lading number').fill(`BL-${run}`);
          await f.getByLabel('Bill of lading', { exact: true }).setInputFiles(file('BILL_OF_LADING'));
        },
        'SHIPPED',
      );
      await act(
        page,
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
      await act(page, 'Confirm FX repatriation', () => Promise.resolve(), 'COMPLETED');
      await page.reload();
      await page.getByRole('heading', { name: 'Timeline' }).waitFor();
      await page.locator('.timeline li').nth(9).waitFor();
      await page.screenshot({ path: join(shotsDir, 'export-completed-detail.png'), fullPage: true });
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
        await page.screenshot({ path: join(shotsDir, `trade-terms-${role}.png`), fullPage: true });
      });
    }
  });

  it('anyone can verify the export on the public page (no login), reached through its QR link', async () => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    try {
      await page.goto(`${base}/verify/${encodeURIComponent(exportId)}`);
      await page.getByRole('heading', { name: new RegExp(`Export ${exportId}`) }).waitFor();
      await expect(page.locator('.badge').first().innerText()).resolves.toBe('Completed');
      await page.getByTestId('qr').waitFor();
      expect(await page.getByTestId('verify-url').getAttribute('href')).toBe(
        `${base}/verify/${encodeURIComponent(exportId)}`,
      );
      expect(await page.locator('code.hash').count()).toBeGreaterThanOrEqual(12);
      // State, step times, document types and hashes only: no CID, no user names, no private values.
      const text = await page.locator('body').innerText();
      expect(text).not.toMatch(/\b(Qm[1-9A-HJ-NP-Za-km-z]{44}|baf[a-z2-7]{50,})\b/);
      for (const cred of [...Object.values(users), exporterBUser])
        if (cred) expect(text).not.toContain(cred.username);
      expect(text).not.toContain('81,600');
      expect(text).not.toContain('Hamburg Coffee Roasters');
      await page.screenshot({ path: join(shotsDir, 'public-verify.png'), fullPage: true });
    } finally {
      await ctx.close();
    }
  });
});
