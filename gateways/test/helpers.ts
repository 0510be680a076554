/** Unit-test helpers: a complete Config without touching the disk, and an app on stub dependencies. */
import { orgOf } from '@coffee/consortium';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { pino } from 'pino';
import type { Config } from '../src/config.ts';

export function rsaPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export function testConfig(orgId = 'ecta', overrides: Partial<Config> = {}): Config {
  const org = orgOf(orgId);
  const keys = rsaPair();
  return {
    mode: 'development',
    org,
    host: '127.0.0.1',
    port: 0,
    issuer: `urn:coffee-export:gateway:${org.id}`,
    databaseUrl: 'postgres://nobody:nothing@127.0.0.1:1/none',
    ipfsApiUrl: 'http://127.0.0.1:1',
    peer: { endpoint: '127.0.0.1:1', tlsCaCert: Buffer.from(''), hostAlias: 'localhost' },
    ca: { url: 'https://127.0.0.1:1', registrar: { enrollmentId: 'admin', secret: 'unused' } },
    orgAdmin: { enrollmentId: 'org-admin', secret: 'unused' },
    jwt: { ...keys, accessTtlSeconds: 900, refreshTtlSeconds: 3600 },
    custodyKey: randomBytes(32),
    admin: { username: 'admin', initialPassword: 'x'.repeat(16) },
    uploads: { maxBytes: 1024, mediaTypes: ['application/pdf', 'text/plain'] },
    documentKeys: { dir: '/nonexistent/document-keys', passphrase: randomBytes(32) },
    verifyRateLimit: { windowMs: 60_000, max: 5 },
    submitConcurrency: 4,
    idempotencyLeaseSeconds: 30,
    jsonBodyLimitBytes: 2048,
    loginRateLimit: { windowMs: 60_000, max: 3 },
    deadlines: { evaluateMs: 500, endorseMs: 500, submitMs: 500, commitMs: 500 },
    logLevel: 'silent',
    ...overrides,
  };
}

export const silentLogger = pino({ level: 'silent' });
