/**
 * Production mode (issue 10): one explicit switch, and every development default refused, each secret on its
 * own line. "Development default" = what a development start generated in SECRETS_DIR (compared by value or
 * fingerprint), or a well-known weak value. Each case below starts from settings production accepts and changes
 * one secret, so a refusal is that secret's and no other's.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isSealedKeyFile, openKeyFile, sealKeyFile } from '../src/auth/sealed-key-file.ts';
import { ConfigError, devSecrets, loadConfig } from '../src/config.ts';
import { ModeError, parseMode } from '../src/mode.ts';
import {
  devReference,
  productionProblems,
  writeDevFingerprints,
  type ProductionSettings,
} from '../src/production.ts';

const dir = mkdtempSync(join(tmpdir(), 'gateway-production-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A certificate and its key (what the launcher writes for the org admin), made with openssl. */
function identity(name: string): { certFile: string; keyFile: string; cert: string; key: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${name}`,
  ], { stdio: 'ignore' }); // prettier-ignore
  return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

// What a development start leaves in SECRETS_DIR: the gateway's secrets.json and JWT pair, and the launcher's
// fingerprints of the CA bootstrap password, the PostgreSQL password and the portal proxy secret.
const SECRETS_DIR = join(dir, 'dev-secrets');
const dev = devSecrets(SECRETS_DIR);
const DEV_CA_PASSWORD = randomBytes(18).toString('base64url');
const DEV_PG_PASSWORD = randomBytes(24).toString('base64url');
const DEV_PROXY_SECRET = randomBytes(24).toString('base64url');
const DEV_ENROLLMENT_SECRET = randomBytes(24).toString('base64url');
writeDevFingerprints(SECRETS_DIR, {
  CA_REGISTRAR_SECRET: DEV_CA_PASSWORD,
  DATABASE_PASSWORD: DEV_PG_PASSWORD,
  PORTAL_PROXY_SECRET: DEV_PROXY_SECRET,
  ORG_ADMIN_ENROLLMENT_SECRET: DEV_ENROLLMENT_SECRET,
});

// Production's own secrets.
const PROD_DIR = join(dir, 'production');
mkdirSync(PROD_DIR);
const jwt = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwtPrivate = join(PROD_DIR, 'jwt.key');
const jwtPublic = join(PROD_DIR, 'jwt.pub');
writeFileSync(jwtPrivate, jwt.privateKey.export({ type: 'pkcs8', format: 'pem' }));
writeFileSync(jwtPublic, jwt.publicKey.export({ type: 'spki', format: 'pem' }));
const PROD_CUSTODY = randomBytes(32);
const admin = identity('org-admin');
const sealedAdminKey = join(PROD_DIR, 'org-admin.sealed.json');
writeFileSync(sealedAdminKey, sealKeyFile(PROD_CUSTODY, admin.cert, admin.key));

const GOOD: ProductionSettings = {
  CUSTODY_KEY: PROD_CUSTODY.toString('base64'),
  JWT_PRIVATE_KEY_FILE: jwtPrivate,
  JWT_PUBLIC_KEY_FILE: jwtPublic,
  DOCUMENT_KEYS_DIR: join(PROD_DIR, 'document-keys'),
  ADMIN_INITIAL_PASSWORD: 'correct horse battery staple',
  CA_REGISTRAR_SECRET: randomBytes(18).toString('base64url'),
  DATABASE_URL: `postgres://coffee:${randomBytes(18).toString('base64url')}@db.example:5432/coffee_ecta`,
  ORG_ADMIN_CERT_FILE: admin.certFile,
  ORG_ADMIN_KEY_FILE: sealedAdminKey,
  PORTAL_PROXY_SECRET: randomBytes(24).toString('base64url'),
};

const reference = devReference(SECRETS_DIR);
const problems = (change: ProductionSettings): string[] =>
  productionProblems({ ...GOOD, ...change }, reference);

/** The one problem a change makes (and no other). */
function onlyProblem(change: ProductionSettings, pattern: RegExp): void {
  const found = problems(change);
  assert.equal(
    found.length,
    1,
    `exactly one problem for ${Object.keys(change).join(', ')}: ${found.join(' | ')}`,
  );
  assert.match(found[0]!, pattern);
}

describe('the mode switch (NODE_ENV)', () => {
  it('refuses any value but development or production, with one line naming the value', () => {
    for (const value of ['prod', 'Production', 'PRODUCTION', 'test', 'staging', '', ' production']) {
      assert.throws(
        () => parseMode(value),
        (e: unknown) =>
          e instanceof ModeError &&
          !e.message.includes('\n') &&
          e.message.includes(JSON.stringify(value)) &&
          /NODE_ENV must be 'development' or 'production'/.test(e.message),
        `NODE_ENV=${JSON.stringify(value)}`,
      );
    }
    assert.equal(parseMode(undefined), 'development');
    assert.equal(parseMode('development'), 'development');
    assert.equal(parseMode('production'), 'production');
  });

  it('the gateway stops at start on an unknown mode with that one line, not development', () => {
    const env = {
      ORG: 'ecta',
      NODE_ENV: 'prod',
      SECRETS_DIR: join(dir, 'unused'),
    };
    assert.throws(
      () => loadConfig(env),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message === `NODE_ENV must be 'development' or 'production' (got "prod"); unset means development`,
    );
  });
});

describe('production refuses each development default', () => {
  it('accepts production’s own secrets (the baseline of every case below)', () => {
    assert.deepEqual(problems({}), []);
  });

  it('custody key: missing, the generated development one, or a repeated byte', () => {
    onlyProblem({ CUSTODY_KEY: undefined }, /^CUSTODY_KEY is required in production/);
    onlyProblem({ CUSTODY_KEY: dev.custodyKey }, /^CUSTODY_KEY is the development custody key/);
    onlyProblem({ CUSTODY_KEY: Buffer.alloc(32).toString('base64') }, /^CUSTODY_KEY is a weak key/);
  });

  it('JWT signing key: missing, in SECRETS_DIR, or a copy of the development key elsewhere', () => {
    onlyProblem({ JWT_PRIVATE_KEY_FILE: undefined }, /^JWT_PRIVATE_KEY_FILE is required in production/);
    onlyProblem({ JWT_PUBLIC_KEY_FILE: undefined }, /^JWT_PUBLIC_KEY_FILE is required in production/);
    onlyProblem(
      { JWT_PRIVATE_KEY_FILE: dev.jwtPrivateKeyFile },
      /^JWT_PRIVATE_KEY_FILE points at a generated development key/,
    );
    const copy = join(PROD_DIR, 'copied-jwt.key');
    cpSync(dev.jwtPrivateKeyFile, copy);
    onlyProblem({ JWT_PRIVATE_KEY_FILE: copy }, /^JWT_PRIVATE_KEY_FILE holds the development signing key/);
  });

  it('JWT signing-key ring: the development ring refused', () => {
    onlyProblem(
      { JWT_KEYRING_DIR: join(SECRETS_DIR, 'jwt-keys') },
      /^JWT_KEYRING_DIR is the development signing-key ring/,
    );
    assert.deepEqual(problems({ JWT_KEYRING_DIR: join(PROD_DIR, 'jwt-keys') }), []);
  });

  it('document keys: missing, or the development directory', () => {
    onlyProblem({ DOCUMENT_KEYS_DIR: undefined }, /^DOCUMENT_KEYS_DIR is required in production/);
    onlyProblem(
      { DOCUMENT_KEYS_DIR: join(SECRETS_DIR, 'document-keys') },
      /^DOCUMENT_KEYS_DIR is the development document-key directory/,
    );
  });

  it("the admin's initial password: missing, generated in development, or weak", () => {
    onlyProblem({ ADMIN_INITIAL_PASSWORD: undefined }, /^ADMIN_INITIAL_PASSWORD is required in production/);
    onlyProblem(
      { ADMIN_INITIAL_PASSWORD: dev.adminPassword },
      /^ADMIN_INITIAL_PASSWORD is the development password generated in SECRETS_DIR/,
    );
    onlyProblem({ ADMIN_INITIAL_PASSWORD: 'adminpw' }, /^ADMIN_INITIAL_PASSWORD must be at least 12/);
  });

  it('CA bootstrap (registrar) password: the development one, or weak', () => {
    onlyProblem({ CA_REGISTRAR_SECRET: DEV_CA_PASSWORD }, /^CA_REGISTRAR_SECRET is the development value/);
    onlyProblem({ CA_REGISTRAR_SECRET: 'adminpw' }, /^CA_REGISTRAR_SECRET .* must be at least 12/);
  });

  it('PostgreSQL password in DATABASE_URL: the development one, weak, or none', () => {
    const url = (pw: string): string =>
      `postgres://coffee:${encodeURIComponent(pw)}@db.example:5432/coffee_ecta`;
    onlyProblem(
      { DATABASE_URL: url(DEV_PG_PASSWORD) },
      /^DATABASE_URL's password is the development PostgreSQL/,
    );
    onlyProblem({ DATABASE_URL: url('postgres') }, /^DATABASE_URL's password must be at least 12/);
    onlyProblem(
      { DATABASE_URL: 'postgres://coffee@db.example/coffee_ecta' },
      /^DATABASE_URL has no password/,
    );
  });

  it('org admin: a plaintext private key file, or the development enrollment secret', () => {
    onlyProblem(
      { ORG_ADMIN_KEY_FILE: admin.keyFile },
      /^ORG_ADMIN_KEY_FILE holds the org admin's private key in plaintext/,
    );
    onlyProblem(
      { ORG_ADMIN_ENROLLMENT_SECRET: DEV_ENROLLMENT_SECRET },
      /^ORG_ADMIN_ENROLLMENT_SECRET is the development value/,
    );
    onlyProblem(
      { ORG_ADMIN_ENROLLMENT_SECRET: 'secret' },
      /^ORG_ADMIN_ENROLLMENT_SECRET .* must be at least 12/,
    );
  });

  it("CA registrar's key file: plaintext refused", () => {
    const registrar = identity('admin');
    onlyProblem(
      { CA_REGISTRAR_CERT_FILE: registrar.certFile, CA_REGISTRAR_KEY_FILE: registrar.keyFile },
      /^CA_REGISTRAR_KEY_FILE holds the CA registrar's private key in plaintext/,
    );
  });

  it('portal proxy secret: the development one, or weak', () => {
    onlyProblem({ PORTAL_PROXY_SECRET: DEV_PROXY_SECRET }, /^PORTAL_PROXY_SECRET is the development value/);
    onlyProblem({ PORTAL_PROXY_SECRET: 'changeme' }, /^PORTAL_PROXY_SECRET .* must be at least 12/);
  });

  it('loadConfig refuses a production configuration with a development custody key, naming it', () => {
    assert.throws(
      () =>
        loadConfig({
          ORG: 'ecta',
          NODE_ENV: 'production',
          SECRETS_DIR,
          ...(GOOD as Record<string, string>),
          CUSTODY_KEY: dev.custodyKey,
        }),
      (e: unknown) =>
        e instanceof ConfigError && /CUSTODY_KEY is the development custody key/.test(e.message),
    );
  });
});

describe('private keys sealed at rest', () => {
  it('a sealed key opens with its custody key and certificate only', () => {
    const text = readFileSync(sealedAdminKey, 'utf8');
    assert.ok(isSealedKeyFile(text));
    assert.ok(!text.includes('PRIVATE KEY'), 'no PEM in the sealed file');
    assert.equal(openKeyFile(PROD_CUSTODY, admin.cert, text), admin.key);
    assert.throws(
      () => openKeyFile(randomBytes(32), admin.cert, text),
      /cannot be opened with this CUSTODY_KEY/,
    );
    assert.throws(
      () => openKeyFile(PROD_CUSTODY, identity('other').cert, text),
      /sealed for another certificate/,
    );
    assert.ok(!isSealedKeyFile(admin.key));
  });

  it('the gateway opens a sealed org admin key with its custody key, and names a wrong one', () => {
    const base = {
      ORG: 'ecta',
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/coffee_ecta',
      IPFS_API_URL: 'http://127.0.0.1:7330',
      PEER_ENDPOINT: '127.0.0.1:7301',
      PEER_TLS_CA_FILE: admin.certFile,
      CA_URL: 'https://127.0.0.1:7304',
      CA_TLS_CA_FILE: admin.certFile,
      ORG_ADMIN_CERT_FILE: admin.certFile,
      ORG_ADMIN_KEY_FILE: sealedAdminKey,
      SECRETS_DIR: join(dir, 'dev-for-load'),
    };
    const config = loadConfig({ ...base, CUSTODY_KEY: PROD_CUSTODY.toString('base64') });
    assert.ok('certificate' in config.orgAdmin);
    assert.equal(config.orgAdmin.privateKey, admin.key);
    assert.throws(
      () => loadConfig({ ...base, CUSTODY_KEY: randomBytes(32).toString('base64') }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /^ORG_ADMIN_KEY_FILE: .* cannot be opened with this CUSTODY_KEY/.test(e.message),
    );
  });
});
