/**
 * The portal end to end, on the stack `npm start` brings up — nothing else: a fresh run directory of its own
 * (.run/test-portal, ports +18000), then scripts/stack.mts stackUp() (the Fabric network, PostgreSQL, the IPFS
 * swarm, the six gateways, the demo consortium seeded through them, the built portal served by
 * frontend/server/server.ts). A second portal server of the same build, without the demo accounts, stands for
 * production. Then the browser test (portal.e2e.ts, Vitest project `e2e`, playwright-core in Debian's chromium)
 * drives both; the stack is stopped at the end.
 *
 * In `npm test` (scripts/test.mjs) the demo seeding test has seeded and verified this run directory's stack just
 * before and hands it over (scripts/demo/state.ts testHandoverFile): it is taken over instead of purged, its
 * gateways restarted as `npm start` starts them (that test ran them with the test settings), then stackUp() on
 * it starts what is missing (Prometheus, the portal) and finds the seeding complete. And the stack stays up for
 * the operations test (COFFEE_PORTAL_TEST_KEEP_UP=1), which scripts/test.mjs stops after it.
 *
 * The walkthrough's screenshots (shots.ts) go to PORTAL_SCREENSHOTS_DIR (relative to the repository;
 * default frontend/e2e/screenshots, git-ignored); `npm run docs:screenshots` sets docs/img.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runBrowserTest } from './vitest-run.ts';
import { walkHttps } from './https-walk.ts';
import { DESKTOP, DOC_SHOTS, PHONE } from './shots.ts';
import { down } from '../../network/src/network.ts';
import { stopProcess } from '../../network/src/proc.ts';
import { stopGateways } from '../../network/src/nodes/gateway.ts';
import { runDir } from '../../network/src/paths.ts';
import { fetchTrusting } from '../../network/src/nodes/https.ts';
import { portalTlsFiles, spkiSha256 } from '../../network/src/web-tls.ts';
import { portalPort, stackUp, startPortal } from '../../scripts/stack.mts';
import { readEndpoints, readState, testHandoverFile } from '../../scripts/demo/state.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
// Its own stack, whatever the suite's defaults (scripts/test.mjs sets .run/test and +20000 for every file).
process.env.COFFEE_RUN_DIR = process.env.COFFEE_PORTAL_TEST_RUN_DIR ?? join(REPO, '.run', 'test-portal');
process.env.COFFEE_PORT_OFFSET = process.env.COFFEE_PORTAL_TEST_PORT_OFFSET ?? '18000';

const DEBUG_SHOTS = join(HERE, 'screenshots');
const SHOTS = resolve(REPO, process.env.PORTAL_SCREENSHOTS_DIR ?? DEBUG_SHOTS);
const PRODUCTION_PORTAL = 'portal-production';

/** A PNG's width and height (IHDR). */
function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  assert.equal(b.subarray(1, 4).toString('latin1'), 'PNG', `${file} is a PNG`);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe(
  'portal end to end in chromium, on the stack and demo consortium `npm start` brings up',
  { timeout: 15 * 60_000 },
  () => {
    let portalUrl = '';
    let productionPortalUrl = '';
    let accountsFile = '';

    before(async () => {
      const t0 = Date.now();
      const handover = testHandoverFile(runDir());
      const takenOver = existsSync(handover) && readState(runDir())?.completedAt !== undefined;
      if (takenOver) {
        // Once: whatever happens next, this stack is no longer as the seeding test left it.
        rmSync(handover);
        await stopGateways();
      } else {
        // A fresh run directory: nothing left from an earlier run (its processes are stopped by pid first).
        await down({ purge: true });
      }
      const stack = await stackUp();
      process.stdout.write(
        `stack ${takenOver ? 'taken over from the demo seeding test' : 'up and seeded'} in ${((Date.now() - t0) / 1000).toFixed(0)} s (${runDir()})\n`,
      );
      assert.ok(stack.demoAccounts, 'the demo consortium was seeded (see the warning above if not)');
      assert.ok(readState(runDir())?.completedAt, 'the seeding completed');
      accountsFile = stack.demoAccounts;
      portalUrl = stack.portal;
      // The same build again, on its own port, as production serves it: without the demo accounts.
      productionPortalUrl = await startPortal(stack.gateways, {
        name: PRODUCTION_PORTAL,
        port: portalPort() + 10,
        demoAccounts: false,
      });
    });

    after(async () => {
      await stopProcess(PRODUCTION_PORTAL);
      // The whole stack, by pid: later tests do not compete with it for the CPU. In the suite the operations
      // test runs on it next; scripts/test.mjs stops it after that one.
      if (process.env.COFFEE_PORTAL_TEST_KEEP_UP !== '1') await down();
    });

    it('the portal serves the demo accounts in development and not in production', async () => {
      // Over HTTPS, trusting the stack's CA bundle (endpoints.json `caFile`).
      const portalFetch = fetchTrusting(readEndpoints(runDir())!.caFile!);
      const dev = await portalFetch(`${portalUrl}/demo-accounts.json`);
      assert.equal(dev.status, 200);
      const body = (await dev.json()) as { mode: string; accounts: unknown[]; exports: unknown[] };
      assert.equal(body.mode, 'development');
      assert.equal(body.exports.length, 11);
      assert.equal((await portalFetch(`${productionPortalUrl}/demo-accounts.json`)).status, 404);
    });

    it('every page and API answers over HTTPS with the security headers: portal, its proxy, each gateway', async () => {
      const endpoints = readEndpoints(runDir())!;
      assert.ok(endpoints.caFile, 'endpoints.json names the CA bundle');
      const accounts = (
        JSON.parse(readFileSync(accountsFile, 'utf8')) as {
          accounts: { org: string; role: string; username: string; password: string }[];
        }
      ).accounts;
      for (const url of [portalUrl, ...Object.values(endpoints.gateways).map((g) => g.url)])
        assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const { checked, problems } = await walkHttps({
        portalUrl,
        caFile: endpoints.caFile,
        gateways: endpoints.gateways,
        accounts,
        sampleId: 'EXP-DEMO-08',
      });
      process.stdout.write(
        `HTTPS walk: ${checked.length} checks\n${checked.map((c) => `  ${c}`).join('\n')}\n`,
      );
      assert.ok(
        checked.length >= 60,
        `pages, assets, the proxy and six gateways were walked (${checked.length})`,
      );
      assert.deepEqual(problems, []);
    });

    it('the browser walk: demo accounts, seeded queues, keyboard only, one export to COMPLETED, axe and 375 px on every page', async () => {
      const configFile = join(runDir(), 'e2e.local.json');
      writeFileSync(
        configFile,
        JSON.stringify(
          {
            portalUrl,
            productionPortalUrl,
            accountsFile,
            shotsDir: SHOTS,
            stepTimeoutMs: 90_000,
            // Chromium trusts exactly the portal's certificate (its key), not every certificate error.
            portalSpki: spkiSha256((await portalTlsFiles()).certFile),
          },
          null,
          2,
        ),
        { mode: 0o600 },
      );
      // Only this run's screenshots count (in docs/img, only the walkthrough's own files are replaced).
      rmSync(DEBUG_SHOTS, { recursive: true, force: true });
      mkdirSync(DEBUG_SHOTS, { recursive: true });
      mkdirSync(SHOTS, { recursive: true });
      for (const name of Object.values(DOC_SHOTS)) rmSync(join(SHOTS, name), { force: true });
      const run = runBrowserTest(undefined, { PORTAL_E2E_CONFIG: configFile });
      process.stdout.write(`portal e2e: ${run.seconds} s\n`);
      assert.ok(run.passed, run.failures);
      for (const name of Object.values(DOC_SHOTS)) {
        const expected = name === DOC_SHOTS.phoneQueue ? PHONE : DESKTOP;
        assert.deepEqual(
          pngSize(join(SHOTS, name)),
          expected,
          `${name}: ${expected.width}x${expected.height}`,
        );
      }
    });
  },
);
