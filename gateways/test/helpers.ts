/** Unit-test helpers: a complete Config without touching the disk, and an app on stub dependencies. */
import { orgOf } from '@coffee/consortium';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createApp } from '../src/app.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { createPool } from '../src/db/pool.ts';
import { CoffeeLedger, Ledger } from '../src/fabric/ledger.ts';
import { DocumentStore } from '../src/ipfs/store.ts';
import type { DocumentKeys } from '../src/services/document-keys.ts';
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
    uploadQuota: { windowMs: 3_600_000, maxFiles: 100, maxBytes: 1024 * 1024 },
    documentKeys: { dir: '/nonexistent/document-keys', passphrase: randomBytes(32) },
    verifyRateLimit: { windowMs: 60_000, max: 5 },
    submitConcurrency: 4,
    idempotencyLeaseSeconds: 30,
    jsonBodyLimitBytes: 2048,
    loginRateLimit: { windowMs: 60_000, max: 3 },
    refreshRateLimit: { windowMs: 60_000, max: 3 },
    lockout: { threshold: 5, baseSeconds: 30, maxSeconds: 900 },
    deadlines: { evaluateMs: 500, endorseMs: 500, submitMs: 500, commitMs: 500 },
    logLevel: 'silent',
    mfa: { requiredRoles: [], stepUpSeconds: 300 },
    ...overrides,
  };
}

export const silentLogger = pino({ level: 'silent' });

/**
 * The Express app in-process on unreachable dependencies (a peer with no TLS CA, the configured Postgres and IPFS
 * URLs): `start()` listens on an ephemeral 127.0.0.1 port and returns its base URL; `stop()` closes everything.
 */
export function unreachableApp(config: Config): { start(): Promise<string>; stop(): Promise<void> } {
  const pool = createPool(config.databaseUrl);
  const ledger = new CoffeeLedger(
    new Ledger({ ...config.peer, tlsCaCert: Buffer.from('') }, config.deadlines),
  );
  const { app } = createApp({
    config,
    pool,
    ledger,
    store: new DocumentStore(config.ipfsApiUrl),
    // Never reached in these tests (no upload or download gets past authentication or the unreachable peer).
    documentKeys: undefined as unknown as DocumentKeys,
    logger: silentLogger,
    orgAdmin: {
      id: `${config.org.mspId}::org-admin`,
      mspId: config.org.mspId,
      certificate: '',
      privateKey: '',
    },
    enroll: () => Promise.reject(new Error('not in unit tests')),
  });
  let server: Server | undefined;
  return {
    start: async () => {
      const s = await new Promise<Server>((r) => {
        const listening = app.listen(0, '127.0.0.1', () => r(listening));
      });
      server = s;
      return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    },
    stop: async () => {
      // Wait for the server to close (requests in flight finish) before the pool ends under them.
      await new Promise<void>((r) => {
        if (!server) return r();
        server.close(() => r());
        server.closeIdleConnections();
      });
      ledger.ledger.close();
      await pool.end();
    },
  };
}

/** The configuration loader's message for `env`, which must be refused (a ConfigError). */
export function configProblems(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e: unknown) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  return assert.fail('expected a ConfigError');
}
