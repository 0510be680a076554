/**
 * The gateway's configuration, read once, validated, frozen. It comes from the environment and, optionally, a
 * JSON file named by COFFEE_GATEWAY_CONFIG holding the same keys (the environment wins; relative paths in the
 * file are relative to the file). Anything wrong stops the process at start-up with a ConfigError naming each
 * variable, never later at the first request.
 *
 * The gateway knows nothing of how its peer, CA, database or IPFS node were started: every endpoint, TLS CA and
 * identity is configured. Only the org's MSP id and display name come from @coffee/consortium (`orgOf(ORG)`).
 *
 * Development mode (default) fills missing secrets with ones generated once under SECRETS_DIR (mode 0600);
 * production mode (NODE_ENV=production) takes every secret from the configuration and refuses development ones,
 * each checked on its own (production.ts). NODE_ENV is the one switch (mode.ts): any value but `development`
 * or `production` stops the start with one line. Private keys in files (ORG_ADMIN_KEY_FILE,
 * CA_REGISTRAR_KEY_FILE) may be sealed with the custody key (auth/sealed-key-file.ts); production requires it.
 */
import { MFA_POLICY_ROLES, ORG_IDS, ROLES, orgOf, type OrgDefinition } from '@coffee/consortium';
import { generateKeyPairSync, hkdfSync, randomBytes, X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { isSealedKeyFile, openKeyFile, SealedKeyError } from './auth/sealed-key-file.ts';
import { ModeError, parseMode } from './mode.ts';
import { devReference, productionProblems } from './production.ts';
import { readTlsIdentity, type TlsIdentity } from './transport.ts';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type Mode = 'development' | 'production';

/** An identity held as files (certificate and private key PEM). */
export interface IdentityFiles {
  readonly certificate: string;
  readonly privateKey: string;
}

/** An identity enrolled at the org's CA when the gateway starts. */
export interface EnrollmentCredentials {
  readonly enrollmentId: string;
  readonly secret: string;
}

export interface Config {
  readonly mode: Mode;
  readonly org: OrgDefinition;
  /** The IPv4 address it listens on (HOST, default 127.0.0.1; the launcher's netns topology gives the org's own). */
  readonly host: string;
  readonly port: number;
  /** iss and aud of this gateway's tokens. */
  readonly issuer: string;
  readonly databaseUrl: string;
  readonly ipfsApiUrl: string;
  readonly peer: { readonly endpoint: string; readonly tlsCaCert: Buffer; readonly hostAlias: string };
  /** The org's Fabric CA: users are registered and enrolled there. */
  readonly ca: {
    readonly url: string;
    readonly tlsCaCert?: Buffer;
    readonly caName?: string;
    /** Registers users (files, or enrolled on first use); the org admin's identity when absent. */
    readonly registrar?: IdentityFiles | EnrollmentCredentials;
  };
  /** The org admin's Fabric identity (role=admin in its certificate): files, or enrolled at start. */
  readonly orgAdmin: IdentityFiles | EnrollmentCredentials;
  readonly jwt: {
    /** The signing key pair (JWT_PRIVATE_KEY_FILE / JWT_PUBLIC_KEY_FILE, or the development pair): a one-key ring,
     * or the first key of the ring in `keyringDir` when that is created. */
    readonly privateKey: string;
    readonly publicKey: string;
    /** The signing key ring (auth/keyring.ts), which rotates; absent: the pair above is the only key. */
    readonly keyringDir?: string;
    readonly accessTtlSeconds: number;
    readonly refreshTtlSeconds: number;
  };
  /** AES-256-GCM key wrapping users' Fabric private keys at rest. */
  readonly custodyKey: Buffer;
  readonly admin: { readonly username: string; readonly initialPassword: string };
  readonly uploads: { readonly maxBytes: number; readonly mediaTypes: readonly string[] };
  /** Upload quotas per user over a sliding window: files and bytes (429 with Retry-After past either). */
  readonly uploadQuota: { readonly windowMs: number; readonly maxFiles: number; readonly maxBytes: number };
  /** The org's document-encryption key pairs (private keys encrypted at rest with `passphrase`). */
  readonly documentKeys: { readonly dir: string; readonly passphrase: Buffer };
  /** Admission limit: ledger submissions running at once; past it, 503 with Retry-After. */
  readonly submitConcurrency: number;
  /** How long an unfinished Idempotency-Key claim holds before a retry may take it over. */
  readonly idempotencyLeaseSeconds: number;
  /** The public verification route's limit per client address. */
  readonly verifyRateLimit: { readonly windowMs: number; readonly max: number };
  readonly jsonBodyLimitBytes: number;
  /** Logins per (username, client address) and window (the account itself locks sooner: `lockout`). */
  readonly loginRateLimit: { readonly windowMs: number; readonly max: number };
  /** Token refreshes per client address and window: a limiter of its own, untouched by failed logins. */
  readonly refreshRateLimit: { readonly windowMs: number; readonly max: number };
  /** Per-account lockout after failed logins (services/lockout.ts). */
  readonly lockout: { readonly threshold: number; readonly baseSeconds: number; readonly maxSeconds: number };
  /** Shared with the portal's proxy: only a request carrying it has its X-Forwarded-For believed (auth/client-ip.ts). */
  readonly portalProxySecret?: string;
  readonly deadlines: {
    readonly evaluateMs: number;
    readonly endorseMs: number;
    readonly submitMs: number;
    readonly commitMs: number;
  };
  readonly logLevel: string;
  /** LOG_FILE: the gateway writes its log there itself, rotated by size (log-file.ts); else to stdout. */
  readonly logFile?: { readonly path: string; readonly maxBytes: number; readonly maxFiles: number };
  /**
   * Two-factor policy (services/mfa.ts): the roles that must prove a second factor (production default: the
   * consortium's MFA_POLICY_ROLES; development: none unless MFA_REQUIRED_ROLES asks), and how recent a proof an
   * approval action needs (a step-up).
   */
  readonly mfa: { readonly requiredRoles: readonly string[]; readonly stepUpSeconds: number };
  /** Test knob: a pause after each projected block (the fault tests kill a gateway mid-projection). */
  readonly projectorBlockDelayMs?: number;
  /** PROMETHEUS_URL: the consortium's Prometheus, which the Operations page reads (services/operations.ts). */
  readonly prometheusUrl?: string;
  /** The HTTPS server's certificate and key (TLS_CERT_FILE, TLS_KEY_FILE; transport.ts); plain HTTP without. */
  readonly tls?: TlsIdentity;
}

export const DEFAULT_MEDIA_TYPES = [
  'application/pdf',
  'image/png',
  'image/jpeg',
  'application/json',
  'text/plain',
];

interface DevSecrets {
  adminPassword: string;
  custodyKey: string;
}

/** Development secrets of one gateway, generated once under `dir` (0600): secrets.json and the JWT key pair. */
export function devSecrets(
  dir: string,
): DevSecrets & { jwtPrivateKeyFile: string; jwtPublicKeyFile: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'secrets.json');
  if (!existsSync(file)) {
    const s: DevSecrets = {
      adminPassword: randomBytes(12).toString('base64url'),
      custodyKey: randomBytes(32).toString('base64'),
    };
    writeFileSync(file, JSON.stringify(s, null, 2), { mode: 0o600 });
  }
  const jwtPrivateKeyFile = join(dir, 'jwt-rs256.key');
  const jwtPublicKeyFile = join(dir, 'jwt-rs256.pub');
  if (!existsSync(jwtPrivateKeyFile)) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(jwtPrivateKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(jwtPublicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  }
  return { ...(JSON.parse(readFileSync(file, 'utf8')) as DevSecrets), jwtPrivateKeyFile, jwtPublicKeyFile };
}

const intFromEnv = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`);

const nonEmpty = z.string().min(1, 'must not be empty');

/** The roles two-factor is required of: MFA_REQUIRED_ROLES when set, else the mode's default. */
export function mfaRequiredRoles(mode: Mode, setting: string | undefined): string[] {
  if (setting !== undefined) return mfaRoles(setting);
  return mode === 'production' ? [...MFA_POLICY_ROLES] : [];
}

/** MFA_REQUIRED_ROLES as a list ('none' or empty: no role). */
const mfaRoles = (v: string): string[] =>
  v === 'none'
    ? []
    : v
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean);

const Schema = z.object({
  ORG: z.enum(ORG_IDS, { errorMap: () => ({ message: `must be one of ${ORG_IDS.join(', ')}` }) }),
  NODE_ENV: z.string().optional(),
  PORT: intFromEnv(1, 65535).optional(),
  HOST: z
    .string()
    .regex(/^(\d{1,3}\.){3}\d{1,3}$/, 'must be an IPv4 address')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  LOG_FILE: nonEmpty.optional(),
  LOG_MAX_BYTES: intFromEnv(64 * 1024, 2 ** 40).optional(),
  LOG_MAX_FILES: intFromEnv(0, 100).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  IPFS_API_URL: z.string().url().optional(),
  PROMETHEUS_URL: z
    .string()
    .url()
    .regex(/^https?:\/\//, 'must be an http:// or https:// URL')
    .optional(),
  PEER_ENDPOINT: z
    .string()
    .regex(/^[\w.-]+:\d+$/, 'must be host:port')
    .optional(),
  PEER_TLS_CA_FILE: nonEmpty.optional(),
  PEER_HOST_ALIAS: nonEmpty.optional(),
  CA_URL: z
    .string()
    .regex(/^https?:\/\/[^/]+/, 'must be an https:// (or http://) URL')
    .optional(),
  CA_TLS_CA_FILE: nonEmpty.optional(),
  CA_NAME: nonEmpty.optional(),
  CA_REGISTRAR_ID: nonEmpty.optional(),
  CA_REGISTRAR_SECRET: nonEmpty.optional(),
  CA_REGISTRAR_CERT_FILE: nonEmpty.optional(),
  CA_REGISTRAR_KEY_FILE: nonEmpty.optional(),
  ORG_ADMIN_CERT_FILE: nonEmpty.optional(),
  ORG_ADMIN_KEY_FILE: nonEmpty.optional(),
  ORG_ADMIN_ENROLLMENT_ID: nonEmpty.optional(),
  ORG_ADMIN_ENROLLMENT_SECRET: nonEmpty.optional(),
  SECRETS_DIR: nonEmpty.optional(),
  JWT_PRIVATE_KEY_FILE: nonEmpty.optional(),
  JWT_PUBLIC_KEY_FILE: nonEmpty.optional(),
  JWT_KEYRING_DIR: nonEmpty.optional(),
  PORTAL_PROXY_SECRET: z.string().min(16, 'must have at least 16 characters').optional(),
  REFRESH_RATE_LIMIT_MAX: intFromEnv(1, 100_000).optional(),
  LOGIN_LOCKOUT_THRESHOLD: intFromEnv(1, 1000).optional(),
  LOGIN_LOCKOUT_BASE_SECONDS: intFromEnv(1, 86_400).optional(),
  LOGIN_LOCKOUT_MAX_SECONDS: intFromEnv(1, 7 * 86_400).optional(),
  ACCESS_TOKEN_TTL_SECONDS: intFromEnv(60, 86_400).optional(),
  REFRESH_TOKEN_TTL_SECONDS: intFromEnv(300, 90 * 86_400).optional(),
  CUSTODY_KEY: z.string().optional(),
  ADMIN_USERNAME: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{1,62}$/)
    .optional(),
  ADMIN_INITIAL_PASSWORD: z.string().optional(),
  UPLOAD_MAX_BYTES: intFromEnv(1, 1024 * 1024 * 1024).optional(),
  UPLOAD_MEDIA_TYPES: z.string().optional(),
  UPLOAD_QUOTA_FILES_PER_HOUR: intFromEnv(1, 1_000_000).optional(),
  UPLOAD_QUOTA_BYTES_PER_HOUR: intFromEnv(1, 1024 * 1024 * 1024 * 1024).optional(),
  JSON_BODY_LIMIT_BYTES: intFromEnv(1024, 10 * 1024 * 1024).optional(),
  LOGIN_RATE_LIMIT_MAX: intFromEnv(1, 10_000).optional(),
  LOGIN_RATE_LIMIT_WINDOW_MS: intFromEnv(1000, 3_600_000).optional(),
  DOCUMENT_KEYS_DIR: nonEmpty.optional(),
  VERIFY_RATE_LIMIT_MAX: intFromEnv(1, 100_000).optional(),
  SUBMIT_CONCURRENCY: intFromEnv(1, 10_000).optional(),
  IDEMPOTENCY_LEASE_SECONDS: intFromEnv(1, 3600).optional(),
  COFFEE_PROJECTOR_BLOCK_DELAY_MS: intFromEnv(0, 10_000).optional(),
  TLS_CERT_FILE: nonEmpty.optional(),
  TLS_KEY_FILE: nonEmpty.optional(),
  MFA_REQUIRED_ROLES: z
    .string()
    .refine(
      (v) => v === 'none' || mfaRoles(v).every((r) => (ROLES as readonly string[]).includes(r)),
      `must be 'none' or a comma-separated list of roles (${ROLES.join(', ')})`,
    )
    .optional(),
  MFA_STEP_UP_SECONDS: intFromEnv(10, 86_400).optional(),
});

type Key = keyof typeof Schema.shape;

/** Every configuration key: what the environment and a COFFEE_GATEWAY_CONFIG file may set. */
export const CONFIG_KEYS: readonly Key[] = Object.keys(Schema.shape) as Key[];

/** The file named by COFFEE_GATEWAY_CONFIG, its values as strings; paths made absolute against the file. */
function readConfigFile(file: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e: unknown) {
    throw new ConfigError(`COFFEE_GATEWAY_CONFIG: cannot read ${file} as JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ConfigError(`COFFEE_GATEWAY_CONFIG: ${file} must hold one JSON object of settings`);
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      problems.push(`${key} (in ${file}): unknown setting`);
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      const text = String(value);
      out[key] = /_(FILE|DIR)$/.test(key) && text !== '' ? resolve(dirname(file), text) : text;
    } else {
      problems.push(`${key} (in ${file}): must be a string or a number`);
    }
  }
  if (problems.length > 0)
    throw new ConfigError(`invalid gateway configuration:\n  ${problems.join('\n  ')}`);
  return out;
}

/** The settings in force: the COFFEE_GATEWAY_CONFIG file's, overridden by the environment's. */
export function configSource(env: NodeJS.ProcessEnv = process.env): {
  values: Record<string, string | undefined>;
  fromFile: ReadonlySet<string>;
  file?: string;
} {
  const file = env.COFFEE_GATEWAY_CONFIG || undefined;
  const fromFileValues = file ? readConfigFile(resolve(file)) : {};
  const values: Record<string, string | undefined> = {};
  const fromFile = new Set<string>();
  for (const key of CONFIG_KEYS) {
    const v = env[key] ?? fromFileValues[key];
    if (v === undefined) continue;
    values[key] = v;
    if (env[key] === undefined) fromFile.add(key);
  }
  return { values, fromFile, ...(file ? { file: resolve(file) } : {}) };
}

function readFile(what: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e: unknown) {
    throw new ConfigError(`${what}: cannot read ${file} (${(e as Error).message})`);
  }
}

/**
 * An identity held as files: the certificate, and its private key as PEM or sealed with the custody key
 * (auth/sealed-key-file.ts). `prefix` names the settings (ORG_ADMIN, CA_REGISTRAR) in the messages.
 */
function identityFiles(
  prefix: 'ORG_ADMIN' | 'CA_REGISTRAR',
  certFile: string,
  keyFile: string,
  custodyKey: Buffer,
): IdentityFiles {
  const certificate = readFile(`${prefix}_CERT_FILE`, certFile);
  const keyText = readFile(`${prefix}_KEY_FILE`, keyFile);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certificate);
  } catch {
    throw new ConfigError(`${prefix}_CERT_FILE: ${certFile} is not a PEM certificate`);
  }
  let privateKey = keyText;
  if (isSealedKeyFile(keyText)) {
    try {
      privateKey = openKeyFile(custodyKey, certificate, keyText);
    } catch (e: unknown) {
      if (!(e instanceof SealedKeyError)) throw e;
      throw new ConfigError(`${prefix}_KEY_FILE: ${keyFile} ${e.message}`);
    }
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(privateKey)))
      throw new ConfigError(`${prefix}_KEY_FILE: ${keyFile} is not the key of ${certFile}`);
  } catch (e: unknown) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`${prefix}_KEY_FILE: ${keyFile} is not a PEM private key nor a sealed key file`);
  }
  return { certificate, privateKey };
}

/** Both of a pair, or neither; a half-set pair is named. */
function pair(
  e: Partial<Record<Key, unknown>>,
  a: Key,
  b: Key,
  problems: string[],
): [string, string] | undefined {
  const va = e[a] as string | undefined;
  const vb = e[b] as string | undefined;
  if (va && vb) return [va, vb];
  if (va) problems.push(`${b} is required with ${a}`);
  if (vb) problems.push(`${a} is required with ${b}`);
  return undefined;
}

const fail = (problems: string[]): never => {
  throw new ConfigError(`invalid gateway configuration:\n  ${problems.join('\n  ')}`);
};

/**
 * Validates the configuration once: the environment (`env`), over the file it names in COFFEE_GATEWAY_CONFIG.
 * Throws a ConfigError listing every problem, one line each, naming the variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const source = configSource(env);
  // The mode first, alone: a mistyped switch is one line, not a list of production problems.
  let mode: Mode;
  try {
    mode = parseMode(source.values.NODE_ENV);
  } catch (err: unknown) {
    if (err instanceof ModeError) throw new ConfigError(err.message);
    throw err;
  }
  const parsed = Schema.safeParse(source.values);
  if (!parsed.success) {
    fail(
      parsed.error.issues.map((i) => {
        const key = i.path.join('.');
        const where = source.fromFile.has(key) ? ` (in ${source.file})` : '';
        return `${key}${where}: ${i.message}`;
      }),
    );
  }
  const e = parsed.data!;
  const org = orgOf(e.ORG);
  const problems: string[] = [];
  const required: [Key, string][] = [
    ['DATABASE_URL', 'the org database'],
    ['IPFS_API_URL', "the org's kubo RPC API"],
    ['PEER_ENDPOINT', "the org's peer, host:port"],
    ['PEER_TLS_CA_FILE', "the CA certificate of the peer's TLS"],
    ['CA_URL', "the org's Fabric CA"],
  ];
  for (const [key, what] of required) if (!e[key]) problems.push(`${key} is required (${what})`);
  if (e.CA_URL?.startsWith('https:') && !e.CA_TLS_CA_FILE)
    problems.push("CA_TLS_CA_FILE is required with an https CA_URL (the CA certificate of the CA's TLS)");
  const adminFiles = pair(e, 'ORG_ADMIN_CERT_FILE', 'ORG_ADMIN_KEY_FILE', problems);
  const adminEnrollment = pair(e, 'ORG_ADMIN_ENROLLMENT_ID', 'ORG_ADMIN_ENROLLMENT_SECRET', problems);
  if (adminFiles && adminEnrollment)
    problems.push('ORG_ADMIN_CERT_FILE and ORG_ADMIN_ENROLLMENT_ID: give the org admin one way, not both');
  if (!adminFiles && !adminEnrollment && !problems.some((p) => p.startsWith('ORG_ADMIN')))
    problems.push(
      "ORG_ADMIN_CERT_FILE and ORG_ADMIN_KEY_FILE (or ORG_ADMIN_ENROLLMENT_ID and ORG_ADMIN_ENROLLMENT_SECRET) are required (the org admin's identity)",
    );
  const registrar = pair(e, 'CA_REGISTRAR_ID', 'CA_REGISTRAR_SECRET', problems);
  const registrarFiles = pair(e, 'CA_REGISTRAR_CERT_FILE', 'CA_REGISTRAR_KEY_FILE', problems);
  if (registrar && registrarFiles)
    problems.push('CA_REGISTRAR_ID and CA_REGISTRAR_CERT_FILE: give the CA registrar one way, not both');
  const secrets = [
    'JWT_PRIVATE_KEY_FILE',
    'JWT_PUBLIC_KEY_FILE',
    'CUSTODY_KEY',
    'ADMIN_INITIAL_PASSWORD',
  ] as const;
  if (mode === 'production') {
    // Each secret on its own line, compared with what a development start generated (production.ts).
    problems.push(...productionProblems(source.values, devReference(e.SECRETS_DIR)));
  } else if (!e.SECRETS_DIR && ([...secrets, 'DOCUMENT_KEYS_DIR'] as const).some((k) => !e[k])) {
    problems.push(
      `SECRETS_DIR is required in development unless ${[...secrets, 'DOCUMENT_KEYS_DIR'].join(', ')} are all set (generated secrets are kept there)`,
    );
  }
  // HTTPS (transport.ts): required in production; a development gateway without it speaks plain HTTP.
  const tlsFiles = pair(e, 'TLS_CERT_FILE', 'TLS_KEY_FILE', problems);
  if (mode === 'production' && !tlsFiles && !problems.some((p) => p.startsWith('TLS_')))
    problems.push(
      'TLS_CERT_FILE and TLS_KEY_FILE are required in production (the HTTPS certificate and key)',
    );
  const tls = tlsFiles ? readTlsIdentity(tlsFiles[0], tlsFiles[1]) : undefined;
  if (tls) problems.push(...tls.problems);
  if (problems.length > 0) fail(problems);
  const dev = mode === 'development' && e.SECRETS_DIR ? devSecrets(resolve(e.SECRETS_DIR)) : undefined;
  const custodyKey = Buffer.from(e.CUSTODY_KEY ?? dev!.custodyKey, 'base64');
  if (custodyKey.length !== 32) fail(['CUSTODY_KEY must be 32 bytes, base64-encoded']);
  const mediaTypes = e.UPLOAD_MEDIA_TYPES
    ? e.UPLOAD_MEDIA_TYPES.split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : DEFAULT_MEDIA_TYPES;
  if (mediaTypes.some((m) => !/^[a-z]+\/[a-z0-9.+-]+$/.test(m)))
    fail(['UPLOAD_MEDIA_TYPES must be a comma-separated list of media types']);
  const privateKey = readFile('JWT_PRIVATE_KEY_FILE', e.JWT_PRIVATE_KEY_FILE ?? dev!.jwtPrivateKeyFile);
  const publicKey = readFile('JWT_PUBLIC_KEY_FILE', e.JWT_PUBLIC_KEY_FILE ?? dev!.jwtPublicKeyFile);
  if (!privateKey.includes('PRIVATE KEY') || !publicKey.includes('PUBLIC KEY'))
    fail(['JWT_PRIVATE_KEY_FILE / JWT_PUBLIC_KEY_FILE must be PEM (PKCS#8 private, SPKI public)']);
  const orgAdmin: IdentityFiles | EnrollmentCredentials = adminFiles
    ? identityFiles('ORG_ADMIN', adminFiles[0], adminFiles[1], custodyKey)
    : { enrollmentId: adminEnrollment![0], secret: adminEnrollment![1] };
  const registrarIdentity: IdentityFiles | EnrollmentCredentials | undefined = registrarFiles
    ? identityFiles('CA_REGISTRAR', registrarFiles[0], registrarFiles[1], custodyKey)
    : registrar && { enrollmentId: registrar[0], secret: registrar[1] };
  const peerEndpoint = e.PEER_ENDPOINT!;
  return Object.freeze({
    mode,
    org,
    host: e.HOST ?? '127.0.0.1',
    port: e.PORT ?? org.defaultGatewayPort,
    issuer: `urn:coffee-export:gateway:${org.id}`,
    databaseUrl: e.DATABASE_URL!,
    ipfsApiUrl: e.IPFS_API_URL!,
    peer: {
      endpoint: peerEndpoint,
      tlsCaCert: Buffer.from(readFile('PEER_TLS_CA_FILE', e.PEER_TLS_CA_FILE!)),
      hostAlias: e.PEER_HOST_ALIAS ?? peerEndpoint.slice(0, peerEndpoint.lastIndexOf(':')),
    },
    ca: {
      url: e.CA_URL!,
      ...(e.CA_TLS_CA_FILE ? { tlsCaCert: Buffer.from(readFile('CA_TLS_CA_FILE', e.CA_TLS_CA_FILE)) } : {}),
      ...(e.CA_NAME ? { caName: e.CA_NAME } : {}),
      ...(registrarIdentity ? { registrar: registrarIdentity } : {}),
    },
    orgAdmin,
    jwt: {
      privateKey,
      publicKey,
      // Development keeps a rotatable ring beside its other secrets, its first key the generated pair.
      ...(e.JWT_KEYRING_DIR || (dev && !e.JWT_PRIVATE_KEY_FILE)
        ? { keyringDir: resolve(e.JWT_KEYRING_DIR ?? join(resolve(e.SECRETS_DIR!), 'jwt-keys')) }
        : {}),
      accessTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS ?? 900,
      refreshTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS ?? 7 * 86_400,
    },
    custodyKey,
    admin: {
      username: e.ADMIN_USERNAME ?? 'admin',
      initialPassword: e.ADMIN_INITIAL_PASSWORD ?? dev!.adminPassword,
    },
    uploads: { maxBytes: e.UPLOAD_MAX_BYTES ?? 10 * 1024 * 1024, mediaTypes },
    // A person attaches a few dozen documents an hour; the bench's exporter a few hundred small ones.
    uploadQuota: {
      windowMs: 3_600_000,
      maxFiles: e.UPLOAD_QUOTA_FILES_PER_HOUR ?? 1000,
      maxBytes: e.UPLOAD_QUOTA_BYTES_PER_HOUR ?? 512 * 1024 * 1024,
    },
    documentKeys: {
      dir: e.DOCUMENT_KEYS_DIR ?? join(resolve(e.SECRETS_DIR!), 'document-keys'),
      // Derived from the custody key: one secret protects every key the gateway holds at rest.
      passphrase: Buffer.from(
        hkdfSync('sha256', custodyKey, Buffer.alloc(0), 'coffee-export/document-keys', 32),
      ),
    },
    verifyRateLimit: { windowMs: 60_000, max: e.VERIFY_RATE_LIMIT_MAX ?? 60 },
    submitConcurrency: e.SUBMIT_CONCURRENCY ?? 32,
    idempotencyLeaseSeconds: e.IDEMPOTENCY_LEASE_SECONDS ?? 30,
    jsonBodyLimitBytes: e.JSON_BODY_LIMIT_BYTES ?? 256 * 1024,
    loginRateLimit: { windowMs: e.LOGIN_RATE_LIMIT_WINDOW_MS ?? 60_000, max: e.LOGIN_RATE_LIMIT_MAX ?? 20 },
    // A portal tab refreshes once per access-token lifetime; many users may share one address (a NAT).
    refreshRateLimit: { windowMs: 60_000, max: e.REFRESH_RATE_LIMIT_MAX ?? 120 },
    lockout: {
      threshold: e.LOGIN_LOCKOUT_THRESHOLD ?? 5,
      baseSeconds: e.LOGIN_LOCKOUT_BASE_SECONDS ?? 30,
      maxSeconds: e.LOGIN_LOCKOUT_MAX_SECONDS ?? 15 * 60,
    },
    ...(e.PORTAL_PROXY_SECRET ? { portalProxySecret: e.PORTAL_PROXY_SECRET } : {}),
    deadlines: { evaluateMs: 10_000, endorseMs: 30_000, submitMs: 10_000, commitMs: 60_000 },
    logLevel: e.LOG_LEVEL ?? 'info',
    ...(e.LOG_FILE
      ? {
          logFile: {
            path: e.LOG_FILE,
            maxBytes: e.LOG_MAX_BYTES ?? 20 * 1024 * 1024,
            maxFiles: e.LOG_MAX_FILES ?? 5,
          },
        }
      : {}),
    mfa: {
      // Production enforces the consortium's policy unless told otherwise; development only when asked, so the
      // demo seed and the tests' users (who have no authenticator) keep working.
      requiredRoles: mfaRequiredRoles(mode, e.MFA_REQUIRED_ROLES),
      stepUpSeconds: e.MFA_STEP_UP_SECONDS ?? 300,
    },
    ...(e.COFFEE_PROJECTOR_BLOCK_DELAY_MS
      ? { projectorBlockDelayMs: e.COFFEE_PROJECTOR_BLOCK_DELAY_MS }
      : {}),
    ...(e.PROMETHEUS_URL ? { prometheusUrl: e.PROMETHEUS_URL } : {}),
    ...(tls?.identity ? { tls: tls.identity } : {}),
  });
}
