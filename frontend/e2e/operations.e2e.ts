/**
 * The Operations page in Debian's chromium, on a running stack with Prometheus scraping it (driven by
 * operations.integration.test.ts):
 *
 * - ECTA's admin (a demo account) finds Operations in the navigation; every panel renders — each chart as a
 *   uPlot canvas, each table with rows — and the node and gateway panels have data (alerts and turnaround may be
 *   honestly empty on a healthy, quiet stack: then their empty state shows); no panel is in error, Prometheus is
 *   not "unavailable", chromium reports no page error and no Content-Security-Policy refusal;
 * - ECTA's auditor sees the entry too; an exporter has no entry, is refused at /operations, and its browser never
 *   asks the gateway for the panels.
 *
 * Input: OPS_E2E_CONFIG=/path/to/json (written by operations.integration.test.ts); skipped when it is not set.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrgKey } from '../src/config';
import { PHONE } from './shots';
import {
  type ChromiumOptions,
  type DemoLogin,
  axeFindings,
  launchChromium,
  signInWithDemoButton,
} from './session';

interface OpsE2EConfig extends ChromiumOptions {
  portalUrl: string;
  /** RUN_DIR/demo-accounts.json, as the seeding wrote it. */
  accountsFile: string;
  stepTimeoutMs?: number;
  /** How long the panels may take to fill (Prometheus needs a few scrapes for a rate). */
  dataTimeoutMs?: number;
}

/** The panels the gateway serves, in order; the first five always have data on a running stack. */
const PANELS = [
  'block-height',
  'tx-rate',
  'latency',
  'projector-lag',
  'exports-by-status',
  'turnaround',
  'alerts',
] as const;
const MAY_BE_EMPTY = new Set(['turnaround', 'alerts']);
const CSP_MESSAGE = /Content Security Policy|Refused to (load|execute|apply|connect|frame|evaluate)/i;

const configPath = process.env.OPS_E2E_CONFIG;
const debugDir = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');

interface PanelSeen {
  id: string;
  state: string;
  canvases: number;
  drawn: boolean;
  rows: number;
}

describe.skipIf(!configPath)('Operations page (real browser, Prometheus scraping the stack)', () => {
  let cfg: OpsE2EConfig;
  let accounts: (DemoLogin & { role: string })[];
  let browser: Browser;
  let timeout = 60_000;

  beforeAll(async () => {
    cfg = JSON.parse(readFileSync(configPath!, 'utf8')) as OpsE2EConfig;
    accounts = (
      JSON.parse(readFileSync(cfg.accountsFile, 'utf8')) as { accounts: (DemoLogin & { role: string })[] }
    ).accounts;
    timeout = cfg.stepTimeoutMs ?? 60_000;
    mkdirSync(debugDir, { recursive: true });
    browser = await launchChromium(cfg);
  });

  afterAll(async () => {
    await browser?.close();
  });

  const account = (org: OrgKey, role: string): DemoLogin => {
    const a = accounts.find((x) => x.org === org && x.role === role);
    if (!a) throw new Error(`demo-accounts.json has no ${role} at ${org}`);
    return a;
  };

  /** A signed-in page of the account, with chromium's page errors, CSP refusals and gateway calls recorded. */
  async function session(
    a: DemoLogin,
    name: string,
    fn: (page: Page, seen: { errors: string[]; panelCalls: string[] }) => Promise<void>,
  ): Promise<void> {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    ctx.setDefaultTimeout(timeout);
    const seen = { errors: [] as string[], panelCalls: [] as string[] };
    const page = await ctx.newPage();
    page.on('pageerror', (e) => seen.errors.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (CSP_MESSAGE.test(m.text())) seen.errors.push(`CSP: ${m.text()}`);
    });
    page.on('request', (r) => {
      if (r.url().includes('/operations/panels')) seen.panelCalls.push(r.url());
    });
    try {
      await signInWithDemoButton(page, cfg.portalUrl, a, timeout);
      await fn(page, seen);
    } catch (e: unknown) {
      await page
        .screenshot({ path: join(debugDir, `FAILED-operations-${name}.png`), fullPage: true })
        .catch(() => undefined);
      throw e;
    } finally {
      await ctx.close();
    }
  }

  /** What each panel shows now: its state, canvases (uPlot drawn), table rows. */
  const panels = (page: Page): Promise<PanelSeen[]> =>
    page.locator('[data-testid="ops-panel"]').evaluateAll((els) =>
      els.map((el) => ({
        id: el.getAttribute('data-panel') ?? '',
        state: el.getAttribute('data-state') ?? '',
        canvases: el.querySelectorAll('canvas').length,
        drawn: el.querySelector('[data-testid="panel-chart"]')?.getAttribute('data-drawn') === 'true',
        rows: el.querySelectorAll('tbody tr').length,
      })),
    );

  /** Why the panels are not complete yet, or [] when they are. */
  function missing(seen: PanelSeen[]): string[] {
    const out: string[] = [];
    for (const id of PANELS) {
      const p = seen.find((x) => x.id === id);
      if (!p) out.push(`${id}: not shown`);
      else if (p.state === 'error') out.push(`${id}: in error`);
      else if (p.state === 'empty' && !MAY_BE_EMPTY.has(id)) out.push(`${id}: no data yet`);
      else if (p.state === 'data' && p.rows === 0 && !(p.canvases > 0 && p.drawn))
        out.push(`${id}: neither a drawn chart nor table rows`);
    }
    return out;
  }

  it('an org admin opens Operations from the navigation: every panel drawn, with data, none in error', async () => {
    await session(account('ecta', 'admin'), 'ecta-admin', async (page, seen) => {
      const started = Date.now();
      await page.getByRole('link', { name: 'Operations', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Operations' }).waitFor();
      await page.getByTestId('ops-panel').first().waitFor();
      const deadline = Date.now() + (cfg.dataTimeoutMs ?? 90_000);
      let now = await panels(page);
      // A fresh Prometheus needs a few scrapes before a rate has two samples: reload until every panel has data.
      while (missing(now).length > 0 && Date.now() < deadline) {
        await page.waitForTimeout(3000);
        await page.reload();
        await page.getByTestId('ops-panel').first().waitFor();
        await page.waitForFunction(() => !document.querySelector('.loading'));
        await page
          .waitForFunction(
            () =>
              [...document.querySelectorAll('[data-testid="panel-chart"]')].every(
                (c) => c.getAttribute('data-drawn') === 'true',
              ),
            undefined,
            { timeout: 10_000 },
          )
          .catch(() => undefined);
        now = await panels(page);
      }
      process.stdout.write(
        `operations page complete after ${((Date.now() - started) / 1000).toFixed(1)} s: ${now
          .map(
            (p) =>
              `${p.id}=${p.state}${p.canvases ? ` (${p.canvases} canvas)` : p.rows ? ` (${p.rows} rows)` : ''}`,
          )
          .join(', ')}\n`,
      );
      expect(missing(now), 'panels still incomplete').toEqual([]);
      expect(now.map((p) => p.id)).toEqual([...PANELS]);
      // The charts are uPlot canvases with a real size.
      for (const id of ['block-height', 'tx-rate', 'latency', 'projector-lag']) {
        const box = await page.locator(`[data-panel="${id}"] canvas`).first().boundingBox();
        expect(box?.width ?? 0, `${id}: canvas width`).toBeGreaterThan(200);
        expect(box?.height ?? 0, `${id}: canvas height`).toBeGreaterThan(100);
      }
      // Every peer and orderer has its line in the block height chart's legend.
      const legend = await page.locator('[data-panel="block-height"] .u-legend').innerText();
      for (const node of ['peer0.ecta', 'peer0.customs', 'orderer1', 'orderer3'])
        expect(legend).toContain(node);
      expect(await page.getByTestId('panel-error').count(), 'no error panel').toBe(0);
      expect(await page.getByTestId('monitoring-unavailable').count(), 'monitoring available').toBe(0);
      expect(await page.locator('.problem[role="alert"]').allInnerTexts()).toEqual([]);
      // Accessible (axe-core: no serious or critical finding), and on a phone nothing scrolls sideways.
      const found = await axeFindings(page, 'operations at 1280 px');
      await page.setViewportSize(PHONE);
      await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => r())));
      found.push(...(await axeFindings(page, 'operations at 375 px')));
      expect(found, found.join('\n')).toEqual([]);
      expect(
        await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
        'at 375 px the page does not scroll sideways',
      ).toBeLessThanOrEqual(0);
      await page.setViewportSize({ width: 1280, height: 900 });
      // Another range: the same panels, still no error.
      await page.getByRole('radio', { name: '15 min' }).check();
      await page.waitForURL(/range=15m/);
      await page.waitForFunction(() => !document.querySelector('.loading'));
      expect(await page.getByTestId('panel-error').count()).toBe(0);
      expect(seen.panelCalls.some((u) => u.includes('range=15m'))).toBe(true);
      expect(seen.errors).toEqual([]);
    });
  });

  it('an auditor has the navigation entry too', async () => {
    await session(account('ecta', 'auditor'), 'ecta-auditor', async (page, seen) => {
      await page.getByRole('link', { name: 'Operations', exact: true }).click();
      await page.getByTestId('ops-panel').first().waitFor();
      expect(await page.getByTestId('panel-error').count()).toBe(0);
      expect(seen.errors).toEqual([]);
    });
  });

  it('an exporter gets no navigation entry and is refused at /operations, without a call for the panels', async () => {
    await session(account('commercial-bank', 'exporter'), 'exporter', async (page, seen) => {
      expect(
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts(),
      ).not.toContain('Operations');
      await page.goto(`${cfg.portalUrl.replace(/\/$/, '')}/operations`);
      await page.getByText('Only administrators and auditors see the Operations page.').waitFor();
      expect(await page.getByTestId('ops-panel').count()).toBe(0);
      expect(seen.panelCalls).toEqual([]);
      expect(seen.errors).toEqual([]);
    });
  });
});
