/**
 * The gateway's configuration: read from the environment once, validated, frozen. Anything wrong stops the
 * process at start-up with one clear message (ConfigError), never later at the first request.
 *
 * Development mode (default) fills gaps with generated secrets under RUN_DIR/gateways/<org>/ (mode 0600);
 * production mode (NODE_ENV=production) takes every secret from the environment and refuses development
 * defaults.
 */
import { generateKeyPairSync, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { cryptoPaths } from '../../network/src/crypto.ts';
import { PEER_ORGS, peerPorts, type PeerOrg } from '../../network/src/orgs.ts';
import { RUN_DIR } from '../../network/src/paths.ts';
import { databaseUrl } from '../../network/src/nodes/postgres.ts';
import { ipfsApiUrl } from '../../network/src/nodes/ipfs.ts';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type Mode = 'development' | 'production';

export interface Config {
  readonly mode: Mode;
  readonly org: PeerOrg;
  readonly host: '127.0.0.1';
  readonly port: number;
  /** iss and aud of this gateway's tokens. */
  readonly issuer: string;
  readonly databaseUrl: string;
  readonly ipfsApiUrl: string;
  readonly peer: { readonly endpoint: string; readonly tlsCaCert: Buffer; readonly hostAlias: string };
  readonly jwt: {
    readonly privateKey: string;
    readonly publicKey: string;
    readonly accessTtlSeconds: number;
    readonly refreshTtlSeconds: number;
  };
  /** AES-256-GCM key wrapping users' Fabric private keys at rest. */
  readonly custodyKey: Buffer;
  readonly admin: { readonly username: string; readonly initialPassword: string };
  readonly uploads: { readonly maxBytes: number; readonly mediaTypes: readonly string[] };
  /** The org's document-encryption key pairs (private keys encrypted at rest with `passphrase`). */
  readonly documentKeys: { readonly dir: string; readonly passphrase: Buffer };
  /** Admission limit: ledger submissions running at once; past it, 503 with Retry-After. */
  readonly submitConcurrency: number;
  /** How long an unfinished Idempotency-Key claim holds before a retry may take it over. */
  readonly idempotencyLeaseSeconds: number;
  /** The public verification route's limit per client address. */
  readonly verifyRateLimit: { readonly windowMs: number; readonly max: number };
  readonly jsonBodyLimitBytes: number;
  readonly loginRateLimit: { readonly windowMs: number; readonly max: number };
  readonly deadlines: {
    readonly evaluateMs: number;
    readonly endorseMs: number;
    readonly submitMs: number;
    readonly commitMs: number;
  };
  readonly logLevel: string;
}

export const DEFAULT_MEDIA_TYPES = [
  'application/pdf',
  'image/png',
  'image/jpeg',
  'application/json',
  'text/plain',
];
const WEAK_PASSWORDS = new Set(['admin', 'password', 'changeme', 'admin123', 'adminpw', 'secret']);

export function devSecretsDir(orgId: string): string {
  return join(RUN_DIR, 'gateways', orgId);
}

interface DevSecrets {
  adminPassword: string;
  custodyKey: string;
}

/** Development secrets of one org's gateway, generated once (0600). */
export function devSecrets(
  orgId: string,
): DevSecrets & { jwtPrivateKeyFile: string; jwtPublicKeyFile: string } {
  const dir = devSecretsDir(orgId);
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

const EnvSchema = z.object({
  ORG: z.enum(PEER_ORGS.map((o) => o.id) as [string, ...string[]], {
    errorMap: () => ({ message: `must be one of ${PEER_ORGS.map((o) => o.id).join(', ')}` }),
  }),
  NODE_ENV: z.string().optional(),
  PORT: intFromEnv(1, 65535).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  IPFS_API_URL: z.string().url().optional(),
  PEER_ENDPOINT: z
    .string()
    .regex(/^[\w.-]+:\d+$/, 'must be host:port')
    .optional(),
  PEER_TLS_CA_FILE: z.string().optional(),
  PEER_HOST_ALIAS: z.string().optional(),
  JWT_PRIVATE_KEY_FILE: z.string().optional(),
  JWT_PUBLIC_KEY_FILE: z.string().optional(),
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
  JSON_BODY_LIMIT_BYTES: intFromEnv(1024, 10 * 1024 * 1024).optional(),
  LOGIN_RATE_LIMIT_MAX: intFromEnv(1, 10_000).optional(),
  LOGIN_RATE_LIMIT_WINDOW_MS: intFromEnv(1000, 3_600_000).optional(),
  DOCUMENT_KEYS_DIR: z.string().optional(),
  VERIFY_RATE_LIMIT_MAX: intFromEnv(1, 100_000).optional(),
  SUBMIT_CONCURRENCY: intFromEnv(1, 10_000).optional(),
  IDEMPOTENCY_LEASE_SECONDS: intFromEnv(1, 3600).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
});

function readFile(what: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e: unknown) {
    throw new ConfigError(`${what}: cannot read ${file} (${(e as Error).message})`);
  }
}

/** Validates the environment once; throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid gateway configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  const org = PEER_ORGS.find((o) => o.id === e.ORG)!;
  const mode: Mode = e.NODE_ENV === 'production' ? 'production' : 'development';
  const problems: string[] = [];
  if (mode === 'production') {
    for (const key of [
      'DATABASE_URL',
      'IPFS_API_URL',
      'JWT_PRIVATE_KEY_FILE',
      'JWT_PUBLIC_KEY_FILE',
      'CUSTODY_KEY',
      'ADMIN_INITIAL_PASSWORD',
      'DOCUMENT_KEYS_DIR',
    ] as const) {
      if (!e[key]) problems.push(`${key} is required in production`);
    }
    const dev = join(RUN_DIR, 'gateways');
    if (e.JWT_PRIVATE_KEY_FILE?.startsWith(dev))
      problems.push('JWT_PRIVATE_KEY_FILE points at a generated development key');
    if (
      e.ADMIN_INITIAL_PASSWORD &&
      (e.ADMIN_INITIAL_PASSWORD.length < 12 || WEAK_PASSWORDS.has(e.ADMIN_INITIAL_PASSWORD))
    ) {
      problems.push('ADMIN_INITIAL_PASSWORD must be at least 12 characters and not a well-known default');
    }
  }
  if (problems.length > 0)
    throw new ConfigError(`invalid gateway configuration:\n  ${problems.join('\n  ')}`);
  const dev = mode === 'development' ? devSecrets(org.id) : undefined;
  const custodyKey = Buffer.from(e.CUSTODY_KEY ?? dev!.custodyKey, 'base64');
  if (custodyKey.length !== 32) throw new ConfigError('CUSTODY_KEY must be 32 bytes, base64-encoded');
  const mediaTypes = e.UPLOAD_MEDIA_TYPES
    ? e.UPLOAD_MEDIA_TYPES.split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : DEFAULT_MEDIA_TYPES;
  if (mediaTypes.some((m) => !/^[a-z]+\/[a-z0-9.+-]+$/.test(m)))
    throw new ConfigError('UPLOAD_MEDIA_TYPES must be a comma-separated list of media types');
  const port = e.PORT ?? org.gatewayPort;
  const privateKey = readFile('JWT_PRIVATE_KEY_FILE', e.JWT_PRIVATE_KEY_FILE ?? dev!.jwtPrivateKeyFile);
  const publicKey = readFile('JWT_PUBLIC_KEY_FILE', e.JWT_PUBLIC_KEY_FILE ?? dev!.jwtPublicKeyFile);
  if (!privateKey.includes('PRIVATE KEY') || !publicKey.includes('PUBLIC KEY'))
    throw new ConfigError('JWT key files must be PEM (PKCS#8 private, SPKI public)');
  return Object.freeze({
    mode,
    org,
    host: '127.0.0.1',
    port,
    issuer: `urn:coffee-export:gateway:${org.id}`,
    databaseUrl: e.DATABASE_URL ?? databaseUrl(org.id, env),
    ipfsApiUrl: e.IPFS_API_URL ?? ipfsApiUrl(org, env),
    peer: {
      endpoint: e.PEER_ENDPOINT ?? `127.0.0.1:${peerPorts(org).listen}`,
      tlsCaCert: Buffer.from(readFile('PEER_TLS_CA_FILE', e.PEER_TLS_CA_FILE ?? cryptoPaths.tlsCaCert(org))),
      hostAlias: e.PEER_HOST_ALIAS ?? 'localhost',
    },
    jwt: {
      privateKey,
      publicKey,
      accessTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS ?? 900,
      refreshTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS ?? 7 * 86_400,
    },
    custodyKey,
    admin: {
      username: e.ADMIN_USERNAME ?? 'admin',
      initialPassword: e.ADMIN_INITIAL_PASSWORD ?? dev!.adminPassword,
    },
    uploads: { maxBytes: e.UPLOAD_MAX_BYTES ?? 10 * 1024 * 1024, mediaTypes },
    documentKeys: {
      dir: e.DOCUMENT_KEYS_DIR ?? join(devSecretsDir(org.id), 'document-keys'),
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
    deadlines: { evaluateMs: 10_000, endorseMs: 30_000, submitMs: 10_000, commitMs: 60_000 },
    logLevel: e.LOG_LEVEL ?? 'info',
  });
}
