/**
 * The launcher's mode switch and its own production refusals (network/src/mode.ts): NODE_ENV exactly
 * `development` or `production`; production takes the CA bootstrap passwords, the PostgreSQL password and the
 * custody keys from the operator and refuses each when missing, weak or what a development start generated in
 * this run directory — one case per secret, each changed alone from settings production accepts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { UserError } from '../src/log.ts';
import { assertProductionReady, launcherMode, launcherProductionProblems } from '../src/mode.ts';
import { PEER_ORGS } from '../src/orgs.ts';

const dir = mkdtempSync(join(tmpdir(), 'launcher-mode-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// A run directory a development start left behind.
const devCa = Object.fromEntries(PEER_ORGS.map((o) => [o.id, randomBytes(18).toString('base64url')]));
const devPg = randomBytes(24).toString('base64url');
const devCustody = Object.fromEntries(PEER_ORGS.map((o) => [o.id, randomBytes(32).toString('base64')]));
writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ caAdmins: devCa }));
writeFileSync(join(dir, 'secrets-postgres.json'), JSON.stringify({ user: 'coffee', password: devPg }));
const devProxy = randomBytes(24).toString('base64url');
writeFileSync(join(dir, 'portal-proxy.secret'), `${devProxy}\n`);
for (const o of PEER_ORGS) {
  mkdirSync(join(dir, 'gateways', o.id), { recursive: true });
  writeFileSync(
    join(dir, 'gateways', o.id, 'secrets.json'),
    JSON.stringify({ adminPassword: 'x', custodyKey: devCustody[o.id] }),
  );
}

const suffix = (id: string): string => id.toUpperCase().replace(/-/g, '_');
const GOOD: NodeJS.ProcessEnv = {
  NODE_ENV: 'production',
  POSTGRES_PASSWORD: randomBytes(24).toString('base64url'),
  PORTAL_PROXY_SECRET: randomBytes(24).toString('base64url'),
  CUSTODY_KEY: randomBytes(32).toString('base64'),
  ...Object.fromEntries(
    PEER_ORGS.map((o) => [`CA_ADMIN_PASSWORD_${suffix(o.id)}`, randomBytes(18).toString('base64url')]),
  ),
};
const ECTA = 'CA_ADMIN_PASSWORD_ECTA';

function onlyProblem(change: NodeJS.ProcessEnv, pattern: RegExp): void {
  const found = launcherProductionProblems({ ...GOOD, ...change }, dir);
  assert.equal(found.length, 1, `exactly one problem: ${found.join(' | ')}`);
  assert.match(found[0]!, pattern);
}

describe('the launcher mode switch', () => {
  it('refuses an unknown NODE_ENV with one line; unset is development', () => {
    for (const value of ['prod', 'Production', 'test', '']) {
      assert.throws(
        () => launcherMode({ NODE_ENV: value }),
        (e: unknown) =>
          e instanceof UserError &&
          !e.message.includes('\n') &&
          /NODE_ENV must be 'development' or 'production'/.test(e.message),
      );
    }
    assert.equal(launcherMode({}), 'development');
    assert.equal(launcherMode({ NODE_ENV: 'production' }), 'production');
  });

  it('development checks nothing (its secrets are generated)', () => {
    assert.deepEqual(launcherProductionProblems({}, dir), []);
  });
});

describe("production refuses the launcher's development defaults", () => {
  it('accepts operator-given secrets (the baseline)', () => {
    assert.deepEqual(launcherProductionProblems(GOOD, dir), []);
    assert.doesNotThrow(() => assertProductionReady(GOOD, dir));
  });

  it('CA bootstrap password: missing, the generated one, or weak', () => {
    onlyProblem({ [ECTA]: undefined }, /^CA_ADMIN_PASSWORD_ECTA is required in production/);
    onlyProblem({ [ECTA]: devCa.ecta }, /^CA_ADMIN_PASSWORD_ECTA is the development CA bootstrap password/);
    onlyProblem({ [ECTA]: 'adminpw' }, /^CA_ADMIN_PASSWORD_ECTA must be at least 12/);
  });

  it('PostgreSQL password: missing, the generated one, or weak; not needed with every DATABASE_URL_<ORG>', () => {
    onlyProblem({ POSTGRES_PASSWORD: undefined }, /^POSTGRES_PASSWORD is required in production/);
    onlyProblem({ POSTGRES_PASSWORD: devPg }, /^POSTGRES_PASSWORD is the development PostgreSQL password/);
    onlyProblem({ POSTGRES_PASSWORD: 'postgres' }, /^POSTGRES_PASSWORD must be at least 12/);
    const external = Object.fromEntries(
      PEER_ORGS.map((o) => [`DATABASE_URL_${suffix(o.id)}`, 'postgres://u:long-enough-pw@db/x']),
    );
    assert.deepEqual(
      launcherProductionProblems({ ...GOOD, ...external, POSTGRES_PASSWORD: undefined }, dir),
      [],
    );
  });

  it('portal proxy secret: missing, the generated one, or weak', () => {
    onlyProblem({ PORTAL_PROXY_SECRET: undefined }, /^PORTAL_PROXY_SECRET is required in production/);
    onlyProblem(
      { PORTAL_PROXY_SECRET: devProxy },
      /^PORTAL_PROXY_SECRET is the development secret generated/,
    );
    onlyProblem({ PORTAL_PROXY_SECRET: 'changeme' }, /^PORTAL_PROXY_SECRET must be at least 12/);
  });

  it("custody key: missing, malformed, or a gateway's development key", () => {
    onlyProblem(
      {
        CUSTODY_KEY: undefined,
        ...Object.fromEntries(
          PEER_ORGS.filter((o) => o.id !== 'ecta').map((o) => [
            `CUSTODY_KEY_${suffix(o.id)}`,
            randomBytes(32).toString('base64'),
          ]),
        ),
      },
      /^CUSTODY_KEY \(or CUSTODY_KEY_ECTA\) is required in production/,
    );
    onlyProblem({ CUSTODY_KEY_ECTA: 'c2hvcnQ=' }, /^CUSTODY_KEY_ECTA must be 32 bytes/);
    onlyProblem(
      { CUSTODY_KEY_ECTA: devCustody.ecta },
      /^CUSTODY_KEY_ECTA is the ecta gateway's development custody key/,
    );
  });

  it('refuses to start with all of them listed', () => {
    assert.throws(
      () => assertProductionReady({ NODE_ENV: 'production' }, dir),
      (e: unknown) =>
        e instanceof UserError &&
        /^production mode refuses to start:/.test(e.message) &&
        e.message.includes('POSTGRES_PASSWORD is required') &&
        e.message.includes('CA_ADMIN_PASSWORD_CUSTOMS is required'),
    );
  });
});
