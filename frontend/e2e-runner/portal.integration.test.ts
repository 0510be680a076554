/**
 * The portal end to end, on the real stack: the Fabric network, PostgreSQL, the IPFS swarm, the six gateways
 * and the built portal (vite preview), driven by playwright-core in Debian's chromium (portal.e2e.ts): every
 * role logs in and one export goes from creation to COMPLETED only through the UI, then the public
 * verification page. Screenshots of every role's dashboard land in frontend/e2e/screenshots/ (git-ignored).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
process.env.COFFEE_RUN_DIR ??= join(REPO, '.run', 'test');
process.env.COFFEE_PORT_OFFSET ??= '20000';

// Network modules read COFFEE_RUN_DIR at import time: import them after setting it.
const { up } = await import('../../network/src/network.ts');
const { ensurePostgres } = await import('../../network/src/nodes/postgres.ts');
const { ensureIpfsAll } = await import('../../network/src/nodes/ipfs.ts');
const { stopProcess } = await import('../../network/src/proc.ts');
const { PEER_ORGS } = await import('../../network/src/orgs.ts');
const { RUN_DIR } = await import('../../network/src/paths.ts');
const { startGateways } = await import('../../gateways/src/launch.ts');
const { startPortal } = await import('../../scripts/stack.mts');

const SHOTS = join(HERE, '..', 'e2e', 'screenshots');

describe(
  'portal end to end in chromium (real gateways, network, Postgres, IPFS)',
  { timeout: 25 * 60_000 },
  () => {
    let portalUrl = '';

    before(async () => {
      await up();
      await ensurePostgres();
      await ensureIpfsAll();
      await startGateways();
      const gateways = Object.fromEntries(PEER_ORGS.map((o) => [o.id, `http://127.0.0.1:${o.gatewayPort}`]));
      portalUrl = await startPortal(gateways);
    });

    after(async () => {
      await stopProcess('portal');
    });

    it('walks one export from creation to COMPLETED through the UI, each role in turn, then verifies it publicly', () => {
      const endpoints = JSON.parse(readFileSync(join(RUN_DIR, 'endpoints.json'), 'utf8')) as {
        gateways: Record<string, { admin?: { username: string; password: string } }>;
      };
      const admins = Object.fromEntries(Object.entries(endpoints.gateways).map(([org, g]) => [org, g.admin]));
      assert.equal(Object.values(admins).filter(Boolean).length, 6, 'development admins of all six orgs');
      const configFile = join(RUN_DIR, 'e2e.local.json');
      // No `gateways` here: the browser reaches them through the portal's same-origin /gw/<org> proxies.
      writeFileSync(
        configFile,
        JSON.stringify({ portalUrl, admins, users: {}, stepTimeoutMs: 90_000 }, null, 2),
        {
          mode: 0o600,
        },
      );
      // Only this run's screenshots count.
      rmSync(SHOTS, { recursive: true, force: true });
      mkdirSync(SHOTS, { recursive: true });
      const started = Date.now();
      const r = spawnSync(
        process.execPath,
        [
          join(REPO, 'node_modules/vitest/vitest.mjs'),
          'run',
          '--root',
          join(REPO, 'frontend'),
          '--project',
          'e2e',
        ],
        { cwd: REPO, stdio: 'inherit', env: { ...process.env, PORTAL_E2E_CONFIG: configFile } },
      );
      process.stdout.write(`portal e2e: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
      assert.equal(r.status, 0, 'the browser walk passed (see the Vitest output above and e2e/screenshots/)');
      const shots = readdirSync(SHOTS).filter((f) => f.endsWith('.png'));
      for (const role of [
        'exporter',
        'bank_officer',
        'fx_officer',
        'ecta_officer',
        'grader',
        'shipping_agent',
        'customs_officer',
      ]) {
        assert.ok(
          shots.some((f) => f.startsWith(`${role}-dashboard`)),
          `a dashboard screenshot for ${role} (found: ${shots.join(', ')})`,
        );
      }
      assert.ok(shots.includes('public-verify.png'), 'the public verification page was opened');
      assert.ok(!shots.some((f) => f.startsWith('FAILED-')), 'no failure screenshot');
    });
  },
);
