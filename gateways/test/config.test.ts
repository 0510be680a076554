/**
 * config.ts fails fast with a clear message naming each variable; production refuses development defaults; a
 * COFFEE_GATEWAY_CONFIG file holds the same keys as the environment, which wins.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';
import { configProblems } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'gateway-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const CA_PEM = file(
  'tls-ca.pem',
  '-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n',
);

/** Everything a development gateway needs, the org admin enrolled at start. */
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

/** `env` without `keys`. */
const without = (env: Record<string, string>, ...keys: string[]): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter(([k]) => !keys.includes(k)));

const problemsOf = configProblems;

describe('config', () => {
  it('names the problem when ORG is missing or unknown', () => {
    assert.throws(
      () => loadConfig({}),
      (e: unknown) => e instanceof ConfigError && /ORG: must be one of commercial-bank/.test(e.message),
    );
    assert.throws(() => loadConfig({ ...BASE, ORG: 'acme' }), ConfigError);
  });

  it('refuses an access-token lifetime over 24 h and a bad port', () => {
    assert.throws(
      () => loadConfig({ ...BASE, ACCESS_TOKEN_TTL_SECONDS: '90000' }),
      /ACCESS_TOKEN_TTL_SECONDS: must be between 60 and 86400/,
    );
    assert.throws(() => loadConfig({ ...BASE, PORT: 'eighty' }), /PORT: must be a whole number/);
  });

  it('names every missing endpoint, one line each', () => {
    const message = problemsOf({ ORG: 'ecta' });
    for (const key of [
      'DATABASE_URL',
      'IPFS_API_URL',
      'PEER_ENDPOINT',
      'PEER_TLS_CA_FILE',
      'CA_URL',
      'ORG_ADMIN_CERT_FILE',
      'SECRETS_DIR',
    ])
      assert.match(message, new RegExp(`^  ${key}`, 'm'), key);
    assert.match(problemsOf({ ...BASE, CA_TLS_CA_FILE: '' }), /CA_TLS_CA_FILE: must not be empty/);
    assert.match(
      problemsOf(without(BASE, 'CA_TLS_CA_FILE')),
      /CA_TLS_CA_FILE is required with an https CA_URL/,
    );
    assert.match(
      problemsOf({ ...BASE, CA_REGISTRAR_ID: 'admin' }),
      /CA_REGISTRAR_SECRET is required with CA_REGISTRAR_ID/,
    );
    assert.match(
      problemsOf({ ...BASE, ORG_ADMIN_CERT_FILE: '/c.pem', ORG_ADMIN_KEY_FILE: '/k.pem' }),
      /give the org admin one way, not both/,
    );
    assert.match(
      problemsOf({ ...BASE, PEER_TLS_CA_FILE: join(dir, 'missing.pem') }),
      /PEER_TLS_CA_FILE: cannot read .*missing\.pem/,
    );
  });

  it('development generates its secrets once under SECRETS_DIR (0600); the rest comes from the configuration', () => {
    const c = loadConfig(BASE);
    assert.equal(c.mode, 'development');
    assert.equal(c.org.mspId, 'ECTAMSP', 'the MSP id comes from @coffee/consortium');
    assert.equal(c.port, 3003, "the org's default gateway port");
    assert.equal(c.peer.hostAlias, '127.0.0.1', "the TLS name defaults to the endpoint's host");
    assert.deepEqual(c.orgAdmin, { enrollmentId: 'org-admin', secret: 'org-admin-secret' });
    assert.equal(c.ca.registrar, undefined, 'the org admin registers users when no registrar is given');
    assert.equal(c.documentKeys.dir, join(BASE.SECRETS_DIR!, 'document-keys'));
    assert.equal(statSync(join(BASE.SECRETS_DIR!, 'secrets.json')).mode & 0o777, 0o600);
    const again = loadConfig(BASE);
    assert.equal(again.admin.initialPassword, c.admin.initialPassword);
    assert.deepEqual(again.custodyKey, c.custodyKey);
  });

  it('reads the org admin from certificate and key files, checking they belong together', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyFile = file('admin-key.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const rest = without(BASE, 'ORG_ADMIN_ENROLLMENT_ID', 'ORG_ADMIN_ENROLLMENT_SECRET');
    assert.match(
      problemsOf({ ...rest, ORG_ADMIN_CERT_FILE: keyFile, ORG_ADMIN_KEY_FILE: keyFile }),
      /ORG_ADMIN_CERT_FILE: .* is not a PEM certificate/,
    );
    assert.match(
      problemsOf({ ...rest, ORG_ADMIN_KEY_FILE: keyFile }),
      /ORG_ADMIN_CERT_FILE is required with/,
    );
  });

  it('a COFFEE_GATEWAY_CONFIG file holds the same keys; the environment wins; unknown keys are named', () => {
    const rest = without(BASE, 'SECRETS_DIR');
    const json = file(
      'gateway.json',
      JSON.stringify({ ...rest, PORT: 4100, SECRETS_DIR: 'secrets-from-file', UPLOAD_MAX_BYTES: '2048' }),
    );
    const fromFile = loadConfig({ COFFEE_GATEWAY_CONFIG: json });
    assert.equal(fromFile.port, 4100);
    assert.equal(fromFile.uploads.maxBytes, 2048);
    assert.equal(
      fromFile.documentKeys.dir,
      join(dir, 'secrets-from-file', 'document-keys'),
      'relative paths are relative to the file',
    );
    assert.equal(loadConfig({ COFFEE_GATEWAY_CONFIG: json, PORT: '4200' }).port, 4200);
    const bad = file('bad.json', JSON.stringify({ ...BASE, PROT: '1', PORT: 'x' }));
    assert.match(problemsOf({ COFFEE_GATEWAY_CONFIG: bad }), /PROT \(in .*bad\.json\): unknown setting/);
    const badValue = file('bad-value.json', JSON.stringify({ ...BASE, PORT: 'x' }));
    assert.match(
      problemsOf({ COFFEE_GATEWAY_CONFIG: badValue }),
      /PORT \(in .*bad-value\.json\): must be a whole number/,
    );
    assert.match(
      problemsOf({ COFFEE_GATEWAY_CONFIG: join(dir, 'none.json') }),
      /COFFEE_GATEWAY_CONFIG: cannot read/,
    );
  });

  it('production requires every secret from the configuration and refuses weak defaults', () => {
    assert.throws(
      () => loadConfig({ ...BASE, NODE_ENV: 'production' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        ['JWT_PRIVATE_KEY_FILE', 'CUSTODY_KEY', 'ADMIN_INITIAL_PASSWORD', 'DOCUMENT_KEYS_DIR'].every((k) =>
          e.message.includes(`${k} is required in production`),
        ),
    );
    const production = {
      ...BASE,
      NODE_ENV: 'production',
      JWT_PRIVATE_KEY_FILE: join(BASE.SECRETS_DIR!, 'jwt-rs256.key'),
      JWT_PUBLIC_KEY_FILE: '/p',
      CUSTODY_KEY: randomBytes(32).toString('base64'),
      DOCUMENT_KEYS_DIR: '/keys',
    };
    assert.match(
      problemsOf({ ...production, ADMIN_INITIAL_PASSWORD: 'admin' }),
      /ADMIN_INITIAL_PASSWORD must be at least 12 characters/,
    );
    assert.match(
      problemsOf({ ...production, ADMIN_INITIAL_PASSWORD: 'a-long-enough-password' }),
      /JWT_PRIVATE_KEY_FILE points at a generated development key/,
    );
  });
});
