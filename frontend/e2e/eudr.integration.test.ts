/**
 * EUDR end to end on a stack of its own (.run/test-eudr, ports +15000): the stack `npm start` brings up and seeds,
 * then the browser test (eudr.e2e.ts, Vitest project `e2e`, chromium) drives an EU-bound demo export (EXP-DEMO-08,
 * to Genoa) from plot registration to customs clearance, and checks the refusals (customs without a package,
 * another exporter, an org outside the policy); the stack is stopped at the end.
 *
 * COFFEE_EUDR_TEST_RUN_DIR / COFFEE_EUDR_TEST_PORT_OFFSET move it elsewhere.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runBrowserTest } from './vitest-run.ts';
import { down } from '../../network/src/network.ts';
import { runDir } from '../../network/src/paths.ts';
import { portalTlsFiles, spkiSha256 } from '../../network/src/web-tls.ts';
import { stackUp } from '../../scripts/stack.mts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
process.env.COFFEE_RUN_DIR = process.env.COFFEE_EUDR_TEST_RUN_DIR ?? join(REPO, '.run', 'test-eudr');
process.env.COFFEE_PORT_OFFSET = process.env.COFFEE_EUDR_TEST_PORT_OFFSET ?? '15000';

describe('EUDR end to end in chromium, on the seeded stack', { timeout: 25 * 60_000 }, () => {
  let configFile = '';

  before(async () => {
    await down({ purge: true });
    const t0 = Date.now();
    const stack = await stackUp();
    process.stdout.write(`stack up and seeded in ${((Date.now() - t0) / 1000).toFixed(0)} s (${runDir()})\n`);
    assert.ok(stack.demoAccounts, 'the demo consortium was seeded');
    configFile = join(runDir(), 'eudr-e2e.local.json');
    writeFileSync(
      configFile,
      JSON.stringify(
        {
          portalUrl: stack.portal,
          accountsFile: stack.demoAccounts,
          runDir: runDir(),
          portalSpki: spkiSha256((await portalTlsFiles()).certFile),
          stepTimeoutMs: 90_000,
        },
        null,
        2,
      ),
      { mode: 0o600 },
    );
  });

  after(async () => {
    await down();
  });

  it('plots to package to customs, the flagged plot blocking until ECTA reviews it, and every refusal', () => {
    const run = runBrowserTest('e2e/eudr.e2e.ts', { EUDR_E2E_CONFIG: configFile });
    process.stdout.write(`eudr e2e: ${run.seconds} s\n`);
    assert.ok(run.passed, run.failures);
  });
});
