/**
 * EUDR end to end in Debian's chromium, on the seeded demo stack (eudr.integration.test.ts starts it):
 *
 * - ECTA loads the repository's synthetic forest-loss layer (gateways/eudr/forest-loss-sample.geojson);
 * - the Sidama exporter registers two plots in the portal (pasted GeoJSON): one clear, one overlapping the layer
 *   (FLAGGED); the plots page's Leaflet map draws an SVG path for each;
 * - another exporter, the National Bank and the shipping line cannot read the plots;
 * - ECX's grader links EXP-DEMO-08's lot to both plots on the export page (to Genoa: EU-bound);
 * - once ECX certified the quality, the exporter's package is refused while a plot is FLAGGED; ECTA reviews it in
 *   the review queue; the exporter assembles and downloads the package (validated here against the GeoJSON rules
 *   and the lots);
 * - ECTA loads a newer layer (a file on the plots page) with 2024 loss over part of the CLEAR plot: its approval
 *   re-screens, flags that plot (eudr:FlagPlot) and is refused; the plot waits in the review queue marked as
 *   re-screened; once ECTA reviewed it,
 *   the same package is approved;
 * - customs refuses EXP-DEMO-04 (to Antwerp, no package) and clears EXP-DEMO-08; the public verification page
 *   shows the package status.
 *
 * The workflow steps around the EUDR step (contract registration, quality, FX, booking, customs) are the demo
 * consortium's own (scripts/demo/seed.ts advanceDemoExport). Input: EUDR_E2E_CONFIG (skipped without it).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import area from '@turf/area';
import type { Geometry } from 'geojson';
import { type Browser, type Locator, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLEAR_POLYGON,
  OVERLAPPING_POLYGON,
  rect,
  sampleLayerText,
} from '../../gateways/test/eudr-fixtures.ts';
import { validateDdsPackage } from '../../gateways/src/eudr/package.ts';
import { Gateway, Session } from '../../scripts/demo/client.ts';
import { advanceDemoExport } from '../../scripts/demo/seed.ts';
import { type DemoAccount, readEndpoints } from '../../scripts/demo/state.ts';

interface EudrE2EConfig {
  portalUrl: string;
  accountsFile: string;
  runDir: string;
  portalSpki?: string;
  chromiumPath?: string;
  stepTimeoutMs?: number;
}

const configPath = process.env.EUDR_E2E_CONFIG;
const debugDir = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');
const EXPORT = 'EXP-DEMO-08';
const UNPACKAGED = 'EXP-DEMO-04';
const ha = (g: Geometry): string => (Math.round(area(g) / 100) / 100).toFixed(2);

describe.skipIf(!configPath)('EUDR end to end (real browser, seeded demo stack)', () => {
  let cfg: EudrE2EConfig;
  let accounts: DemoAccount[];
  let browser: Browser;
  let base = '';
  let timeout = 60_000;
  const plots = { clear: '', flagged: '' };

  const account = (org: string, role: string, exporterId?: string): DemoAccount => {
    const a = accounts.find(
      (x) => x.org === org && x.role === role && (exporterId === undefined || x.exporterId === exporterId),
    );
    if (!a) throw new Error(`no demo account ${role}@${org}`);
    return a;
  };
  const sidama = (): DemoAccount => account('commercial-bank', 'exporter', 'EXPT-DEMO-SIDAMA');
  const yirga = (): DemoAccount => account('commercial-bank', 'exporter', 'EXPT-DEMO-YIRGA');
  const api = (a: DemoAccount): Session => {
    const endpoints = readEndpoints(cfg.runDir)!;
    const g = endpoints.gateways[a.org]!;
    return new Session(
      new Gateway(a.org, g.url, endpoints.caFile ? { caFile: endpoints.caFile } : {}),
      a.username,
      a.password,
    );
  };
  const advance = (exportId: string, target: Parameters<typeof advanceDemoExport>[1]): Promise<void> =>
    advanceDemoExport(exportId, target, { runDir: cfg.runDir, log: (l) => process.stdout.write(`${l}\n`) });

  beforeAll(async () => {
    cfg = JSON.parse(readFileSync(configPath!, 'utf8')) as EudrE2EConfig;
    accounts = (JSON.parse(readFileSync(cfg.accountsFile, 'utf8')) as { accounts: DemoAccount[] }).accounts;
    base = cfg.portalUrl.replace(/\/$/, '');
    timeout = cfg.stepTimeoutMs ?? 60_000;
    mkdirSync(debugDir, { recursive: true });
    // ECTA loads the forest-loss layer (public data, hash and CID on the ledger).
    const layer = await api(account('ecta', 'ecta_officer')).call('POST', '/api/v1/eudr/forest-layer', {
      json: JSON.parse(sampleLayerText()) as unknown,
      idempotencyKey: `eudr-e2e-layer-${Date.now()}`,
    });
    expect(layer.status, JSON.stringify(layer.body)).toBe(201);
    // ECTA registers the contract: ECX grades (and links lots) from CONTRACT_REGISTERED.
    await advance(EXPORT, 'CONTRACT_REGISTERED');
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

  /** One signed-in page of the account (the login form, as a user types it); a screenshot if `f` fails. */
  async function as(a: DemoAccount, name: string, f: (page: Page) => Promise<void>): Promise<void> {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    ctx.setDefaultTimeout(timeout);
    const page = await ctx.newPage();
    try {
      await page.goto(`${base}/login`);
      await page.getByLabel('Organization').selectOption(a.org);
      await page.getByLabel('Username').fill(a.username);
      await page.getByLabel('Password').fill(a.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: /^(What needs me now|Administration)$/ }).waitFor();
      await f(page);
    } catch (e: unknown) {
      await page
        .screenshot({ path: join(debugDir, `FAILED-eudr-${name}.png`), fullPage: true })
        .catch(() => undefined);
      throw e;
    } finally {
      await ctx.close();
    }
  }

  /** ECTA's officer records REVIEW_CLEARED on a plot of the review queue, with a reason. */
  async function clearAtReview(page: Page, item: Locator, reason: string): Promise<void> {
    await item.getByLabel('Outcome').selectOption('REVIEW_CLEARED');
    await item.getByLabel('Reason').fill(reason);
    await item.getByRole('button', { name: 'Record review' }).click();
    await expect
      .poll(() => page.getByTestId('review-recorded').innerText(), { timeout })
      .toBe('REVIEW_CLEARED');
  }

  async function register(
    page: Page,
    geometry: Geometry,
    producer: string,
  ): Promise<{ id: string; status: string }> {
    const form = page.getByRole('form', { name: 'Register a plot' });
    await form.getByLabel('Plot geometry (GeoJSON)').fill(JSON.stringify(geometry));
    await form.getByLabel('Declared area (ha)').fill(ha(geometry));
    await form.getByLabel('Region', { exact: true }).fill('Sidama');
    await form.getByLabel('Woreda', { exact: true }).fill('Bensa');
    await form.getByLabel('Producer reference').fill(producer);
    await form.getByLabel('Harvest from').fill('2025-10-01');
    await form.getByLabel('Harvest to').fill('2026-01-31');
    await form.getByRole('button', { name: 'Register plot' }).click();
    const id = page.getByTestId('registered-plot');
    await id.filter({ hasNotText: plots.clear || '\u0000' }).waitFor();
    return { id: await id.innerText(), status: await page.getByTestId('registered-status').innerText() };
  }

  it('the exporter registers a clear and an overlapping plot; the map draws a path for each', async () => {
    await as(sidama(), 'register', async (page) => {
      await page.goto(`${base}/eudr/plots`);
      await page.getByRole('heading', { level: 1, name: 'EUDR production plots' }).waitFor();
      const clear = await register(page, CLEAR_POLYGON, 'Bensa Farmers Cooperative');
      expect(clear.status).toBe('CLEAR');
      plots.clear = clear.id;
      const flagged = await register(page, OVERLAPPING_POLYGON, 'Daye Bensa Washing Station');
      expect(flagged.status).toBe('FLAGGED');
      plots.flagged = flagged.id;
      await page.goto(`${base}/eudr/plots`);
      const map = page.getByRole('region', { name: 'Registered plots and the forest-loss layer' });
      await map.locator('path.eudr-plot').nth(1).waitFor();
      expect(await map.locator('path.eudr-plot').count()).toBe(2);
      expect(await map.locator('path.eudr-plot-flagged').count()).toBe(1);
      expect(await map.locator('path.eudr-loss').count()).toBeGreaterThan(0);
      // Offline-safe: no tile image at all.
      expect(await page.locator('img.leaflet-tile').count()).toBe(0);
      await page.screenshot({ path: join(debugDir, 'eudr-plots-map.png'), fullPage: true });
    });
  });

  it('each bad geometry gets its own clear error from the real gateway, and the form shows it', async () => {
    const bowTie: Geometry = {
      type: 'Polygon',
      coordinates: [
        [
          [38.470113, 6.820217],
          [38.472317, 6.822231],
          [38.472317, 6.820217],
          [38.470113, 6.822231],
          [38.470113, 6.820217],
        ],
      ],
    };
    const cases: [string, unknown, number][] = [
      ['INVALID_GEOJSON', { type: 'Polygon', coordinates: 'nope' }, 5],
      ['TOO_FEW_DECIMALS', { type: 'Point', coordinates: [38.4705, 6.8213] }, 1],
      ['SELF_INTERSECTING', bowTie, 5],
      ['POINT_FOR_LARGE_PLOT', { type: 'Point', coordinates: [38.470512, 6.821384] }, 6],
      ['OUTSIDE_ETHIOPIA', { type: 'Point', coordinates: [36.817223, -1.286389] }, 1],
      ['AREA_MISMATCH', CLEAR_POLYGON, Number(ha(CLEAR_POLYGON)) * 2],
    ];
    const exporter = api(sidama());
    for (const [code, geometry, declaredAreaHa] of cases) {
      const r = await exporter.call('POST', '/api/v1/eudr/plots', {
        json: {
          geometry,
          declaredAreaHa,
          region: 'Sidama',
          woreda: 'Bensa',
          producerRef: 'Bad Geometry Coop',
          harvestFrom: '2025-10-01',
          harvestTo: '2026-01-31',
        },
        idempotencyKey: `eudr-e2e-bad-${code}-${Date.now()}`,
      });
      expect(r.status, `${code}: ${JSON.stringify(r.body)}`).toBe(422);
      expect(r.body.code, JSON.stringify(r.body)).toBe(code);
      expect(String(r.body.detail).length, 'a message that says what is wrong').toBeGreaterThan(10);
    }
    // Nothing of them reached the ledger or the read model.
    const mine = await exporter.call('GET', '/api/v1/eudr/plots');
    expect(JSON.stringify(mine.body)).not.toContain('Bad Geometry Coop');
    // In the portal: the form says what is wrong with the polygon, and registers nothing.
    await as(sidama(), 'bad-geometry', async (page) => {
      await page.goto(`${base}/eudr/plots`);
      const form = page.getByRole('form', { name: 'Register a plot' });
      await form.getByLabel('Plot geometry (GeoJSON)').fill(JSON.stringify(bowTie));
      await form.getByLabel('Declared area (ha)').fill('5');
      await form.getByLabel('Region', { exact: true }).fill('Sidama');
      await form.getByLabel('Woreda', { exact: true }).fill('Bensa');
      await form.getByLabel('Producer reference').fill('Bad Geometry Coop');
      await form.getByLabel('Harvest from').fill('2025-10-01');
      await form.getByLabel('Harvest to').fill('2026-01-31');
      await form.getByRole('button', { name: 'Register plot' }).click();
      await page
        .getByText(/self-intersect|crosses itself/i)
        .first()
        .waitFor();
      expect(await page.getByTestId('registered-plot').count()).toBe(0);
    });
  });

  it('another exporter, the National Bank and the shipping line cannot read the plots', async () => {
    const other = api(yirga());
    const one = await other.call('GET', `/api/v1/eudr/plots/${plots.clear}`);
    expect(one.status).toBe(404);
    const list = await other.call('GET', '/api/v1/eudr/plots?geometry=true');
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(plots.clear);
    for (const a of [account('national-bank', 'fx_officer'), account('shipping-line', 'shipping_agent')]) {
      const r = await api(a).call('GET', `/api/v1/eudr/plots/${plots.clear}`);
      expect(r.status, `${a.role}@${a.org}`).toBe(403);
      expect(JSON.stringify(r.body)).not.toContain('Bensa');
    }
    // The owner reads the decrypted plot.
    const mine = await api(sidama()).call('GET', `/api/v1/eudr/plots/${plots.clear}`);
    expect(mine.status).toBe(200);
    expect((mine.body.details as { producerRef: string }).producerRef).toBe('Bensa Farmers Cooperative');
  });

  it("ECX's grader links the export's lot to both plots on the export page", async () => {
    await as(account('ecx', 'grader'), 'lots', async (page) => {
      await page.goto(`${base}/exports/${EXPORT}`);
      const panel = page.getByTestId('eudr-panel');
      await panel.waitFor();
      await panel.getByLabel('Lot 1', { exact: true }).fill('LOT-SID-08');
      await panel.getByLabel('Plot 1', { exact: true }).fill(plots.clear);
      await panel.getByLabel('Quantity 1 (kg)').fill('12000');
      await panel.getByRole('button', { name: 'Add a plot' }).click();
      await panel.getByLabel('Plot 2', { exact: true }).fill(plots.flagged);
      await panel.getByLabel('Quantity 2 (kg)').fill('7200');
      await panel.getByRole('button', { name: 'Record lot links' }).click();
      await panel.getByRole('list', { name: 'Lot links' }).filter({ hasText: plots.flagged }).waitFor();
    });
    await advance(EXPORT, 'QUALITY_CERTIFIED');
  });

  it('the FLAGGED plot blocks the package until ECTA reviews it; the exporter assembles and downloads it', async () => {
    await as(sidama(), 'blocked', async (page) => {
      await page.goto(`${base}/exports/${EXPORT}`);
      const panel = page.getByTestId('eudr-panel');
      await panel.getByLabel(/I declare/).check();
      await panel.getByRole('button', { name: 'Assemble DDS package' }).click();
      await expect
        .poll(() => panel.locator('.problem').innerText(), { timeout })
        .toContain('EUDR_PLOT_NOT_CLEARED');
    });
    await as(account('ecta', 'ecta_officer'), 'review', async (page) => {
      await page.goto(`${base}/eudr/review`);
      const item = page.getByRole('region', { name: `Plot ${plots.flagged}` });
      await clearAtReview(
        page,
        item,
        'The 2022 loss polygon is a road widening next to the plot, not farmland.',
      );
      // It left the queue (the read model has the review).
      await item.waitFor({ state: 'detached' });
    });
    await as(sidama(), 'assemble', async (page) => {
      await page.goto(`${base}/exports/${EXPORT}`);
      const panel = page.getByTestId('eudr-panel');
      await panel.getByLabel(/I declare/).check();
      await panel.getByRole('button', { name: 'Assemble DDS package' }).click();
      await expect
        .poll(() => page.getByTestId('eudr-status').innerText(), { timeout })
        .toContain('ASSEMBLED');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        panel.getByRole('button', { name: /Download package/ }).click(),
      ]);
      const path = await download.path();
      const doc = JSON.parse(readFileSync(path, 'utf8')) as {
        geojson: { features: { id: string; geometry: Geometry; properties: Record<string, unknown> }[] };
        summary: Record<string, unknown>;
        producers: string[];
        packageSha256: string;
      };
      const features = doc.geojson.features;
      expect(features.map((f) => f.id).sort()).toEqual([plots.clear, plots.flagged].sort());
      expect(doc.summary).toMatchObject({ hsCode: '0901.11', country: 'ET', netMassKg: 19_200 });
      for (const f of features) expect(f.properties).toMatchObject({ ProducerCountry: 'ET' });
    });
    // The package as the importer gets it validates against the GeoJSON rules and the lots ECX certified.
    const eudr = await api(sidama()).call('GET', `/api/v1/exports/${EXPORT}/eudr`);
    const lots = (
      eudr.body.lots as { lots: { lotId: string; plots: { plotId: string; quantityKg: number }[] }[] }
    ).lots;
    const pkg = await api(sidama()).call('GET', `/api/v1/exports/${EXPORT}/eudr/package`);
    expect(pkg.status).toBe(200);
    const { geojson, summary } = pkg.body as { geojson: unknown; summary: unknown };
    const stored = (pkg.body as { packageSha256: string }).packageSha256;
    // validateDdsPackage wants the package as built (with its producers and hash): rebuilt from the download.
    const producers = [
      ...new Set(
        (geojson as { features: { properties: { ProducerName: string } }[] }).features.map(
          (f) => f.properties.ProducerName,
        ),
      ),
    ].sort();
    expect(validateDdsPackage({ geojson, summary, producers, sha256: stored }, lots)).toEqual([]);
  });

  it('a newer layer over the CLEAR plot: ECTA re-screens, flags it, reviews it, approves; customs clears', async () => {
    // ECTA loads a newer layer: loss in 2024 over part of the plot registered CLEAR against the first one.
    const newer = JSON.parse(sampleLayerText()) as { name: string; features: object[] };
    newer.name = 'synthetic forest loss to 2024 (test layer)';
    newer.features.push({
      type: 'Feature',
      properties: { id: 'loss-sidama-2024', lossYear: 2024, source: 'synthetic test layer' },
      geometry: rect(38.469, 6.819, 38.4712, 6.8212),
    });
    await as(account('ecta', 'ecta_officer'), 'approve', async (page) => {
      // Loaded from a file on the plots page, as an officer would.
      await page.goto(`${base}/eudr/plots`);
      const layerPanel = page.getByRole('region', { name: 'Forest-loss layer' });
      await layerPanel.getByTestId('layer-in-force').filter({ hasText: 'In force:' }).waitFor();
      await layerPanel.getByLabel('GeoJSON file').setInputFiles({
        name: 'forest-loss-2024.geojson',
        mimeType: 'application/geo+json',
        buffer: Buffer.from(JSON.stringify(newer)),
      });
      await expect
        .poll(() => layerPanel.getByTestId('layer-file-summary').innerText(), { timeout })
        .toMatch(/: 5 features\.$/);
      await layerPanel.getByRole('button', { name: 'Load as the layer in force' }).click();
      await layerPanel.getByTestId('layer-loaded-sha').waitFor();
      await layerPanel.getByTestId('layer-in-force').filter({ hasText: newer.name }).waitFor();

      await page.goto(`${base}/exports/${EXPORT}`);
      const panel = page.getByTestId('eudr-panel');
      await panel.getByRole('button', { name: 'Approve DDS package' }).click();
      await expect
        .poll(() => panel.locator('.problem').innerText(), { timeout })
        .toContain('EUDR_PLOT_NOT_CLEARED');
      expect(await panel.locator('.problem').innerText()).toContain(`plot ${plots.clear} overlaps`);
      expect(await page.getByTestId('eudr-status').innerText()).toContain('ASSEMBLED');
      // In ECTA's review queue, marked as re-screened; reviewed like a plot flagged at registration.
      await page.goto(`${base}/eudr/review`);
      const item = page.getByRole('region', { name: `Plot ${plots.clear}` });
      await item.getByTestId('rescreen-note').waitFor();
      await clearAtReview(page, item, 'The 2024 loss is a new access road beside the plot, not farmland.');
      // The same package, not assembled again: its hash covers the plots' details, not their screening.
      await page.goto(`${base}/exports/${EXPORT}`);
      await panel.getByRole('button', { name: 'Approve DDS package' }).click();
      await expect.poll(() => page.getByTestId('eudr-status').innerText(), { timeout }).toContain('APPROVED');
    });
    const plot = await api(sidama()).call('GET', `/api/v1/eudr/plots/${plots.clear}`);
    expect((plot.body.screening as { status: string }).status).toBe('REVIEW_CLEARED');
    expect((plot.body.rescreen as { fromLayerSha256: string } | null)?.fromLayerSha256).toMatch(
      /^[0-9a-f]{64}$/,
    );
    await expect(advance(UNPACKAGED, 'CUSTOMS_CLEARED')).rejects.toThrow(/EUDR_PACKAGE_REQUIRED/);
    await advance(EXPORT, 'CUSTOMS_CLEARED');
    const cleared = await api(sidama()).call('GET', `/api/v1/exports/${EXPORT}?source=ledger`);
    expect(cleared.body.status).toBe('CUSTOMS_CLEARED');
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${base}/verify/${EXPORT}`);
    await expect.poll(() => page.getByTestId('verify-eudr').innerText(), { timeout }).toContain('Approved');
    await page.context().close();
  });
});
