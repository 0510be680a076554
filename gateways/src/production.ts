/**
 * What production mode refuses: every development default, each secret checked on its own with its own line.
 * "Development default" means a value a development start generated (the gateway's own, in SECRETS_DIR:
 * secrets.json, the JWT key pair, the document-key directory; other tools' — the launcher's CA bootstrap
 * password, PostgreSQL password, org admin enrollment secret, portal proxy secret — as SHA-256 fingerprints in
 * SECRETS_DIR/dev-fingerprints.json) or a well-known weak value. A production gateway started over a
 * development run directory therefore refuses to run with anything that directory generated, not only with
 * what is missing.
 *
 * No dependencies beyond node: (the launcher writes the fingerprints file with writeDevFingerprints).
 */
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { isSealedKeyFile } from './auth/sealed-key-file.ts';

/** Values no production secret may have (compared case-insensitively), whatever their length. */
export const WEAK_SECRETS: ReadonlySet<string> = new Set([
  'admin',
  'adminpw',
  'admin123',
  'password',
  'password123',
  'changeme',
  'changeit',
  'secret',
  'coffee',
  'postgres',
  'test',
  'development',
  'org-admin-secret',
]);

/** Shortest password or shared secret production accepts. */
export const MIN_SECRET_LENGTH = 12;

/** Fingerprints file in SECRETS_DIR: configuration key → SHA-256 fingerprints of its development values. */
export const DEV_FINGERPRINTS_FILE = 'dev-fingerprints.json';

/** Keys whose development values are known by fingerprint (the database's by its URL's password). */
export const FINGERPRINTED_SECRETS = [
  'CA_REGISTRAR_SECRET',
  'ORG_ADMIN_ENROLLMENT_SECRET',
  'PORTAL_PROXY_SECRET',
  'DATABASE_PASSWORD',
] as const;
export type FingerprintedSecret = (typeof FINGERPRINTED_SECRETS)[number];

/** A secret's fingerprint: SHA-256 over a label and the value, hex. Stored instead of the value itself. */
export function secretFingerprint(value: string): string {
  return createHash('sha256').update('coffee-export/dev-secret\0').update(value).digest('hex');
}

/** Adds fingerprints of development values to SECRETS_DIR/dev-fingerprints.json (created 0600). */
export function writeDevFingerprints(
  secretsDir: string,
  values: Partial<Record<FingerprintedSecret, string>>,
): string {
  mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  const file = join(secretsDir, DEV_FINGERPRINTS_FILE);
  const current = readFingerprints(secretsDir);
  for (const [key, value] of Object.entries(values)) {
    if (!value) continue;
    const list = new Set(current[key] ?? []);
    list.add(secretFingerprint(value));
    current[key] = [...list];
  }
  writeFileSync(file, `${JSON.stringify(current, null, 2)}\n`, { mode: 0o600 });
  return file;
}

function readFingerprints(secretsDir: string): Record<string, string[]> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(secretsDir, DEV_FINGERPRINTS_FILE), 'utf8'));
    if (typeof parsed !== 'object' || parsed === null) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter(
        (e): e is [string, string[]] => Array.isArray(e[1]) && e[1].every((v) => typeof v === 'string'),
      ),
    );
  } catch {
    return {};
  }
}

/** What a development start left in SECRETS_DIR, read without creating anything. */
export interface DevReference {
  readonly dir?: string;
  readonly custodyKey?: string;
  readonly adminPassword?: string;
  /** SPKI DER (base64) of the development JWT signing key. */
  readonly jwtPublicKey?: string;
  readonly documentKeysDir?: string;
  readonly fingerprints: Readonly<Record<string, readonly string[]>>;
}

const spki = (pem: string): string | undefined => {
  try {
    return createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('base64');
  } catch {
    return undefined;
  }
};

export function devReference(secretsDir: string | undefined): DevReference {
  if (!secretsDir) return { fingerprints: {} };
  const dir = resolve(secretsDir);
  let generated: { custodyKey?: unknown; adminPassword?: unknown } = {};
  try {
    generated = JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8')) as typeof generated;
  } catch {
    // no development secrets generated there
  }
  const jwtPub = join(dir, 'jwt-rs256.pub');
  return {
    dir,
    ...(typeof generated.custodyKey === 'string' ? { custodyKey: generated.custodyKey } : {}),
    ...(typeof generated.adminPassword === 'string' ? { adminPassword: generated.adminPassword } : {}),
    ...(existsSync(jwtPub) ? { jwtPublicKey: spki(readFileSync(jwtPub, 'utf8')) } : {}),
    documentKeysDir: join(dir, 'document-keys'),
    fingerprints: readFingerprints(dir),
  };
}

/** The settings production checks (strings as configured; file settings as absolute paths). */
export type ProductionSettings = Partial<Record<string, string>>;

const real = (p: string): string => {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
};

const readText = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

const isWeak = (value: string): boolean =>
  value.length < MIN_SECRET_LENGTH || WEAK_SECRETS.has(value.toLowerCase()) || /^(.)\1*$/.test(value);

/** The password in a postgres:// URL ('' when there is none). */
function databasePassword(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}

/**
 * Every reason the settings are not fit for production, one line each, naming the setting. `dev` is what a
 * development start left in SECRETS_DIR (devReference).
 */
export function productionProblems(s: ProductionSettings, dev: DevReference): string[] {
  const problems: string[] = [];
  const known = (key: string, value: string): boolean =>
    (dev.fingerprints[key] ?? []).includes(secretFingerprint(value));
  const inDevDir = (file: string): boolean =>
    dev.dir !== undefined && (real(file) + sep).startsWith(real(dev.dir) + sep);

  // Custody key: wraps every user's Fabric key and the org admin's.
  if (!s.CUSTODY_KEY) {
    problems.push('CUSTODY_KEY is required in production (it encrypts the Fabric private keys at rest)');
  } else {
    const bytes = Buffer.from(s.CUSTODY_KEY, 'base64');
    if (dev.custodyKey !== undefined && bytes.equals(Buffer.from(dev.custodyKey, 'base64')))
      problems.push(
        'CUSTODY_KEY is the development custody key generated in SECRETS_DIR/secrets.json; give production its own',
      );
    else if (bytes.length > 0 && bytes.every((b) => b === bytes[0]))
      problems.push('CUSTODY_KEY is a weak key (one byte repeated); generate 32 random bytes');
  }

  // JWT signing key pair.
  for (const key of ['JWT_PRIVATE_KEY_FILE', 'JWT_PUBLIC_KEY_FILE'] as const)
    if (!s[key]) problems.push(`${key} is required in production`);
  if (s.JWT_PRIVATE_KEY_FILE) {
    if (inDevDir(s.JWT_PRIVATE_KEY_FILE)) {
      problems.push('JWT_PRIVATE_KEY_FILE points at a generated development key (in SECRETS_DIR)');
    } else if (dev.jwtPublicKey) {
      const pem = readText(s.JWT_PRIVATE_KEY_FILE);
      if (pem && spki(pem) === dev.jwtPublicKey)
        problems.push(
          'JWT_PRIVATE_KEY_FILE holds the development signing key generated in SECRETS_DIR (a copy); generate a new pair',
        );
    }
  }

  // The rotating signing-key ring (auth/keyring.ts), when production keeps one.
  if (s.JWT_KEYRING_DIR && inDevDir(s.JWT_KEYRING_DIR))
    problems.push(
      'JWT_KEYRING_DIR is the development signing-key ring (in SECRETS_DIR); give production its own',
    );

  // Document-encryption keys.
  if (!s.DOCUMENT_KEYS_DIR) problems.push('DOCUMENT_KEYS_DIR is required in production');
  else if (dev.documentKeysDir && real(s.DOCUMENT_KEYS_DIR) === real(dev.documentKeysDir))
    problems.push(
      'DOCUMENT_KEYS_DIR is the development document-key directory in SECRETS_DIR; give production its own',
    );

  // The bootstrap admin's first password.
  const password = s.ADMIN_INITIAL_PASSWORD;
  if (!password) problems.push('ADMIN_INITIAL_PASSWORD is required in production');
  else if (dev.adminPassword !== undefined && password === dev.adminPassword)
    problems.push('ADMIN_INITIAL_PASSWORD is the development password generated in SECRETS_DIR/secrets.json');
  else if (isWeak(password))
    problems.push(
      `ADMIN_INITIAL_PASSWORD must be at least ${MIN_SECRET_LENGTH} characters and not a well-known default`,
    );

  // Shared secrets other tools generate in development (fingerprints), and well-known weak values.
  const shared: [string, string | undefined, string][] = [
    ['CA_REGISTRAR_SECRET', s.CA_REGISTRAR_SECRET, 'the CA bootstrap (registrar) password'],
    ['ORG_ADMIN_ENROLLMENT_SECRET', s.ORG_ADMIN_ENROLLMENT_SECRET, "the org admin's enrollment secret"],
    ['PORTAL_PROXY_SECRET', s.PORTAL_PROXY_SECRET, "the portal proxy's shared secret"],
  ];
  for (const [key, value, what] of shared) {
    if (value === undefined) continue;
    if (known(key, value))
      problems.push(`${key} is the development value of ${what} (generated by the launcher)`);
    else if (isWeak(value))
      problems.push(
        `${key} (${what}) must be at least ${MIN_SECRET_LENGTH} characters and not a well-known default`,
      );
  }
  if (s.DATABASE_URL) {
    const pw = databasePassword(s.DATABASE_URL);
    if (pw === '') problems.push("DATABASE_URL has no password; production's database login needs one");
    else if (known('DATABASE_PASSWORD', pw))
      problems.push(
        "DATABASE_URL's password is the development PostgreSQL password (generated by the launcher)",
      );
    else if (isWeak(pw))
      problems.push(
        `DATABASE_URL's password must be at least ${MIN_SECRET_LENGTH} characters and not a well-known default`,
      );
  }

  // Private keys in files: sealed with the custody key, never plaintext PEM.
  const keyFiles: [string, string][] = [
    ['ORG_ADMIN_KEY_FILE', "the org admin's private key"],
    ['CA_REGISTRAR_KEY_FILE', "the CA registrar's private key"],
  ];
  for (const [key, what] of keyFiles) {
    const file = s[key];
    if (!file) continue;
    const text = readText(file);
    if (text !== undefined && !isSealedKeyFile(text))
      problems.push(
        `${key} holds ${what} in plaintext; production needs it sealed with CUSTODY_KEY (npm run gateways:seal-key)`,
      );
  }
  return problems;
}
