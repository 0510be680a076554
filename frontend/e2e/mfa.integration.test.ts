/**
 * Two-factor end to end on a stack of its own (.run/test-mfa, ports +12000): the stack `npm start` brings up and
 * seeds (two-factor off, as in development by default: the demo's users have no authenticator), then the six
 * gateways restarted with the consortium's policy on (MFA_REQUIRED_ROLES = @coffee/consortium's
 * MFA_POLICY_ROLES, passed through the launcher like any operator setting) and a 10 s step-up window; then the
 * browser test (mfa.e2e.ts, Vitest project `e2e`, chromium) drives the portal; the stack is stopped at the end.
 *
 * COFFEE_MFA_TEST_RUN_DIR / COFFEE_MFA_TEST_PORT_OFFSET move it elsewhere.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runBrowserTest } from './vitest-run.ts';
import { MFA_POLICY_ROLES } from '@coffee/consortium';
import { down } from '../../network/src/network.ts';
import { startGateways, stopGateways } from '../../network/src/nodes/gateway.ts';
import { runDir } from '../../network/src/paths.ts';
import { stackUp } from '../../scripts/stack.mts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
process.env.COFFEE_RUN_DIR = process.env.COFFEE_MFA_TEST_RUN_DIR ?? join(REPO, '.run', 'test-mfa');
process.env.COFFEE_PORT_OFFSET = process.env.COFFEE_MFA_TEST_PORT_OFFSET ?? '12000';
// The seeding runs with two-factor off whatever this process was given; the policy is set below.
delete process.env.MFA_REQUIRED_ROLES;

const STEP_UP_SECONDS = 10;

/** base64 SHA-256 of the SPKI of the certificate an https server presents (chromium then trusts exactly it). */
function spkiOf(url: string): Promise<string | undefined> {
  const u = new URL(url);
  if (u.protocol !== 'https:') return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const s = connect({ host: u.hostname, port: Number(u.port), rejectUnauthorized: false }, () => {
      const cert = new X509Certificate(s.getPeerCertificate().raw);
      s.end();
      resolve(
        createHash('sha256')
          .update(cert.publicKey.export({ type: 'spki', format: 'der' }))
          .digest('base64'),
      );
    });
    s.on('error', reject);
  });
}

interface Account {
  org: string;
  role: string;
  username: string;
  password: string;
}

describe(
  'two-factor end to end in chromium, on a seeded stack with MFA required by policy',
  { timeout: 20 * 60_000 },
  () => {
    let configFile = '';

    before(async () => {
      await down({ purge: true });
      const stack = await stackUp();
      assert.ok(stack.demoAccounts, 'the demo consortium was seeded');
      // The policy on: the gateways again, with the consortium's MFA roles and a short step-up window.
      await stopGateways();
      await startGateways({
        MFA_REQUIRED_ROLES: MFA_POLICY_ROLES.join(','),
        MFA_STEP_UP_SECONDS: String(STEP_UP_SECONDS),
      });
      const endpoints = JSON.parse(readFileSync(join(runDir(), 'endpoints.json'), 'utf8')) as {
        gateways: Record<string, { admin?: { username: string; password: string } }>;
      };
      const admin = endpoints.gateways.ecta?.admin;
      assert.ok(admin, "endpoints.json has ECTA's development admin");
      const demo = JSON.parse(readFileSync(stack.demoAccounts, 'utf8')) as { accounts: Account[] };
      const officer = demo.accounts.find((a) => a.org === 'ecta' && a.role === 'ecta_officer');
      assert.ok(officer, 'the demo consortium has an ECTA officer');
      configFile = join(runDir(), 'mfa-e2e.local.json');
      writeFileSync(
        configFile,
        JSON.stringify(
          {
            portalUrl: stack.portal,
            portalSpki: await spkiOf(stack.portal),
            admin,
            officer: { username: officer.username, password: officer.password },
            stepUpSeconds: STEP_UP_SECONDS,
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

    it('an admin enrolls and signs in with TOTP, a replayed code is refused, an approver steps up to approve', () => {
      const run = runBrowserTest('e2e/mfa.e2e.ts', { MFA_E2E_CONFIG: configFile });
      process.stdout.write(`mfa e2e: ${run.seconds} s\n`);
      assert.ok(run.passed, run.failures);
    });
  },
);
