/**
 * The gateway process: validates the configuration, migrates the database, connects to the org's peer,
 * starts the projector, listens on 127.0.0.1, and on SIGTERM/SIGINT stops accepting, drains, and closes
 * the projector, the Gateways and gRPC connection, and the Postgres pool.
 *
 *   ORG=ecta node --import tsx gateways/src/server.ts
 */
import type { Server } from 'node:http';
import { pino, type Logger } from 'pino';
import { ensureBinaries } from '../../network/src/binaries.ts';
import { orgAdmin, registerAndEnroll } from '../../network/src/identities.ts';
import { createApp, type AppHandle } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createPool } from './db/pool.ts';
import { migrate } from './db/migrations.ts';
import { ProjectionWatch, Projector } from './events/projector.ts';
import { CoffeeLedger, Ledger, type FabricIdentity } from './fabric/ledger.ts';
import { OrgKeyring } from './crypto/org-keys.ts';
import { DocumentStore } from './ipfs/store.ts';
import { DocumentKeys } from './services/document-keys.ts';
import type { Deps } from './services/deps.ts';

export interface RunningGateway {
  handle: AppHandle;
  server: Server;
  projector: Projector;
  deps: Deps;
  close(): Promise<void>;
}

/** Everything but the listening socket (the reproject CLI and tests reuse it). */
export async function buildDeps(config: Config, logger: Logger): Promise<Deps> {
  const bins = await ensureBinaries();
  const admin = await orgAdmin(bins, config.org);
  const orgAdminIdentity: FabricIdentity = {
    id: `${config.org.mspId}::${admin.username}`,
    mspId: admin.mspId,
    certificate: admin.certificate,
    privateKey: admin.privateKey,
  };
  const pool = createPool(config.databaseUrl);
  const applied = await migrate(pool);
  if (applied.length > 0) logger.info({ applied }, 'database migrations applied');
  const ledger = new CoffeeLedger(new Ledger(config.peer, config.deadlines));
  const openKeyring = (create: boolean): Promise<OrgKeyring> =>
    OrgKeyring.open(config.documentKeys.dir, { passphrase: config.documentKeys.passphrase, create });
  const keyring = await openKeyring(true);
  return {
    config,
    pool,
    ledger,
    store: new DocumentStore(config.ipfsApiUrl),
    documentKeys: new DocumentKeys(keyring, ledger, orgAdminIdentity, config.org.mspId, () =>
      openKeyring(false),
    ),
    logger,
    orgAdmin: orgAdminIdentity,
    enroll: (username, role) => registerAndEnroll(bins, config.org, { username, role }),
    projection: new ProjectionWatch(),
  };
}

export async function startGateway(
  config: Config,
  logger: Logger = pino({ level: config.logLevel, base: { org: config.org.id } }),
): Promise<RunningGateway> {
  const deps = await buildDeps(config, logger);
  const handle = createApp(deps);
  if (await handle.services.users.ensureBootstrapAdmin())
    logger.info({ username: config.admin.username }, 'bootstrap admin created');
  await deps.documentKeys.publishOwnKey(logger);
  const blockDelayMs = Number(process.env.COFFEE_PROJECTOR_BLOCK_DELAY_MS ?? '0') || undefined;
  const projector = new Projector({
    pool: deps.pool,
    ledger: deps.ledger,
    identity: deps.orgAdmin,
    logger,
    blockDelayMs,
    watch: deps.projection,
  });
  projector.start();
  const server = await new Promise<Server>((resolve, reject) => {
    const s = handle.app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  server.keepAliveTimeout = 5000;
  logger.info({ url: `http://${config.host}:${config.port}` }, 'gateway listening');
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5000).unref();
      });
      await projector.stop();
      deps.ledger.ledger.close();
      await deps.pool.end();
    })());
  return { handle, server, projector, deps, close };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e: unknown) {
    if (e instanceof ConfigError) {
      process.stderr.write(`gateway: ${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
  const logger = pino({ level: config.logLevel, base: { org: config.org.id } });
  const gw = await startGateway(config, logger);
  const shutdown = (signal: string): void => {
    logger.info({ signal }, 'shutting down');
    gw.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`gateway: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
