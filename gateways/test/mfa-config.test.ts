/**
 * The two-factor policy's configuration: off in development unless MFA_REQUIRED_ROLES asks (the demo's users have
 * no authenticator), the consortium's MFA_POLICY_ROLES by default in production; only known roles; the step-up
 * window in seconds.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MFA_POLICY_ROLES } from '@coffee/consortium';
import { loadConfig, mfaRequiredRoles } from '../src/config.ts';
import { configProblems } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'gateway-mfa-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const CA_PEM = join(dir, 'tls-ca.pem');
writeFileSync(CA_PEM, '-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n');

const BASE: Record<string, string> = {
  ORG: 'ecta',
  DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/coffee_ecta',
  IPFS_API_URL: 'http://127.0.0.1:7330',
  PEER_ENDPOINT: '127.0.0.1:7301',
  PEER_TLS_CA_FILE: CA_PEM,
  CA_URL: 'https://127.0.0.1:7304',
  CA_TLS_CA_FILE: CA_PEM,
  ORG_ADMIN_ENROLLMENT_ID: 'org-admin',
  ORG_ADMIN_ENROLLMENT_SECRET: 'org-admin-secret',
  SECRETS_DIR: join(dir, 'secrets'),
};

const problemsOf = configProblems;

describe('two-factor policy configuration', () => {
  it('refuses an unknown role and a step-up window out of range, naming the setting', () => {
    assert.match(
      problemsOf({ ...BASE, MFA_REQUIRED_ROLES: 'admin,superuser' }),
      /MFA_REQUIRED_ROLES: must be/,
    );
    assert.match(problemsOf({ ...BASE, MFA_STEP_UP_SECONDS: '5' }), /MFA_STEP_UP_SECONDS: must be between/);
  });

  it('development: off unless asked; a list or none when given', () => {
    assert.deepEqual(loadConfig(BASE).mfa, { requiredRoles: [], stepUpSeconds: 300 });
    const on = loadConfig({
      ...BASE,
      MFA_REQUIRED_ROLES: ' admin , ecta_officer ',
      MFA_STEP_UP_SECONDS: '120',
    });
    assert.deepEqual(on.mfa, { requiredRoles: ['admin', 'ecta_officer'], stepUpSeconds: 120 });
    assert.deepEqual(loadConfig({ ...BASE, MFA_REQUIRED_ROLES: 'none' }).mfa.requiredRoles, []);
  });

  it("production's default is the consortium's policy roles; an explicit setting overrides it", () => {
    assert.deepEqual(mfaRequiredRoles('production', undefined), [...MFA_POLICY_ROLES]);
    assert.deepEqual([...MFA_POLICY_ROLES].sort(), [
      'admin',
      'customs_officer',
      'ecta_officer',
      'fx_officer',
    ]);
    assert.deepEqual(mfaRequiredRoles('production', 'admin'), ['admin']);
    assert.deepEqual(mfaRequiredRoles('development', undefined), []);
  });
});
