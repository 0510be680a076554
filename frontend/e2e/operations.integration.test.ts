/**
 * The Operations page end to end (issue 11): on the portal test's stack — the one `npm start` brings up, with the
 * demo consortium and Prometheus (.run/test-portal, ports +18000; COFFEE_OPS_TEST_RUN_DIR /
 * COFFEE_OPS_TEST_PORT_OFFSET move it) — reused when it runs, brought up with scripts/stack.mts stackUp() when it
 * does not (without purging: a seeded run directory resumes) and then stopped at the end.
 *
 * - Prometheus, scraping that stack, reports every target up (6 gateways, every peer, 3 orderers, 6 CAs);
 * - the browser test (operations.e2e.ts, Vitest project `e2e`, Debian's chromium) signs in with demo accounts and
 *   checks the page: every panel drawn with data, no error panel; an exporter gets neither page nor entry.
 *
 * Prometheus scrapes every 2 s here (COFFEE_PROMETHEUS_SCRAPE_INTERVAL) when this file starts it, so rates have
 * samples within seconds.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runBrowserTest } from './vitest-run.ts';
import { down } from '../../network/src/network.ts';
import { gatewayNodeName } from '../../network/src/nodes/gateway.ts';
import {
  PROMETHEUS_NODE,
  prometheusConfig,
  prometheusUrl,
  startMonitoring,
  targetCount,
} from '../../network/src/monitoring.ts';
import { PEER_ORGS, peersPerOrg } from '../../network/src/orgs.ts';
import { runDir } from '../../network/src/paths.ts';
import { running } from '../../network/src/proc.ts';
import { portalTlsFiles, spkiSha256 } from '../../network/src/web-tls.ts';
import { portalPort, stackUp } from '../../scripts/stack.mts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
// The portal test's stack, whatever the suite's defaults (scripts/test.mjs sets .run/test and +20000 for every file).
process.env.COFFEE_RUN_DIR = process.env.COFFEE_OPS_TEST_RUN_DIR ?? join(REPO, '.run', 'test-portal');
process.env.COFFEE_PORT_OFFSET = process.env.COFFEE_OPS_TEST_PORT_OFFSET ?? '18000';
process.env.COFFEE_PROMETHEUS_SCRAPE_INTERVAL ??= '2s';

interface Target {
  labels: Record<string, string>;
  health: string;
  lastError: string;
}

/** The stack is up if its portal and every gateway run and the demo accounts were written. */
const stackRunning = (): boolean =>
  running('portal') !== undefined &&
  PEER_ORGS.every((o) => running(gatewayNodeName(o)) !== undefined) &&
  existsSync(join(runDir(), 'demo-accounts.json'));

describe(
  'the Operations page in chromium, on the running stack with Prometheus',
  { timeout: 15 * 60_000 },
  () => {
    let broughtUp = false;
    let portalUrl = '';
    let prometheus = '';

    before(async () => {
      const t0 = Date.now();
      if (!stackRunning()) {
        process.stdout.write(`no stack running in ${runDir()}: bringing it up …\n`);
        await stackUp();
        broughtUp = true;
      }
      // Prometheus: started with the stack; (re)started here if it is not running (a reused stack may have none).
      prometheus = running(PROMETHEUS_NODE) ? prometheusUrl() : ((await startMonitoring()) ?? '');
      assert.ok(prometheus, 'Prometheus runs for this stack (see the line above if it cannot be installed)');
      portalUrl = `https://127.0.0.1:${portalPort()}`;
      process.stdout.write(
        `stack ${broughtUp ? 'brought up' : 'reused'} in ${((Date.now() - t0) / 1000).toFixed(0)} s (${runDir()}); Prometheus ${prometheus}\n`,
      );
    });

    after(async () => {
      // Only what this file started: a stack that was running before stays up for whoever started it.
      if (broughtUp) await down();
    });

    it('Prometheus reports every target up: gateways, peers, orderers, CAs', async () => {
      const expected = targetCount(prometheusConfig());
      const deadline = Date.now() + 90_000;
      let targets: Target[] = [];
      for (;;) {
        const r = await fetch(`${prometheus}/api/v1/targets?state=active`);
        assert.equal(r.status, 200);
        targets = ((await r.json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
        if (targets.length === expected && targets.every((t) => t.health === 'up')) break;
        if (Date.now() > deadline)
          assert.fail(
            `not every target up within 90 s (${targets.length}/${expected} targets):\n${targets
              .filter((t) => t.health !== 'up')
              .map((t) => `  ${t.labels.instance} ${t.health}: ${t.lastError}`)
              .join('\n')}`,
          );
        await new Promise((r) => setTimeout(r, 2000));
      }
      const jobs = (job: string): number => targets.filter((t) => t.labels.job === job).length;
      assert.deepEqual(
        { gateway: jobs('gateway'), peer: jobs('peer'), orderer: jobs('orderer'), ca: jobs('ca') },
        {
          gateway: PEER_ORGS.length,
          peer: PEER_ORGS.length * peersPerOrg(),
          orderer: 3,
          ca: PEER_ORGS.length,
        },
      );
    });

    it('the page renders every panel with data, no error panel; an exporter gets neither page nor entry', async () => {
      const configFile = join(runDir(), 'operations-e2e.local.json');
      writeFileSync(
        configFile,
        JSON.stringify(
          {
            portalUrl,
            accountsFile: join(runDir(), 'demo-accounts.json'),
            // Chromium trusts exactly the portal's certificate (its key), not every certificate error.
            portalSpki: spkiSha256((await portalTlsFiles()).certFile),
            stepTimeoutMs: 60_000,
            dataTimeoutMs: 90_000,
          },
          null,
          2,
        ),
        { mode: 0o600 },
      );
      const run = runBrowserTest('e2e/operations.e2e.ts', { OPS_E2E_CONFIG: configFile });
      process.stdout.write(`operations e2e: ${run.seconds} s\n`);
      assert.ok(run.passed, run.failures);
    });
  },
);
