/**
 * The gateway process: validates the configuration, migrates the database, connects to the org's peer,
 * starts the projector, listens on 127.0.0.1, and on SIGTERM/SIGINT stops accepting, drains, and closes
 * the projector, the Gateways and gRPC connection, and the Postgres pool.
 *
 *   COFFEE_GATEWAY_CONFIG=gateway.json node --import tsx gateways/src/server.ts
 *
 * (or every setting in the environment; config.ts lists them). It stands alone: its peer, CA, database and IPFS
 * node are wherever the configuration says; the launcher starts it like any other node.
 */
import { X509Certificate } from 'node:crypto';
import type { Server } from 'node:http';
import { pino, type Logger } from 'pino';
import { createApp, type AppHandle } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createPool } from './db/pool.ts';
import { migrate } from './db/migrations.ts';
import { ProjectionWatch, Projector } from './events/projector.ts';
import { FabricCaClient, UserEnroller, certificateAttributes } from './fabric/ca-client.ts';
import { CoffeeLedger, Ledger, type FabricIdentity } from './fabric/ledger.ts';
import { OrgKeyring } from './crypto/org-keys.ts';
import { DocumentReplicator, readModelDocuments } from './ipfs/replicator.ts';
import { DocumentStore } from './ipfs/store.ts';
import { DocumentKeys } from './services/document-keys.ts';
import type { Deps } from './services/deps.ts';
import { continueAfterAdmission } from './routes/bodies.ts';
import { createGatewayServer, gatewayBaseUrl } from './transport.ts';
import { RotatingFile } from './log-file.ts';

/** The gateway's logger: to LOG_FILE, rotated by size (log-file.ts), when configured; else to stdout. */
export function gatewayLogger(config: Config): Logger {
  const options = { level: config.logLevel, base: { org: config.org.id } };
  return config.logFile
    ? pino(options, new RotatingFile(config.logFile.path, config.logFile))
    : pino(options);
}

export interface RunningGateway {
  handle: AppHandle;
  server: Server;
  projector: Projector;
  replicator: DocumentReplicator;
  deps: Deps;
  close(): Promise<void>;
}

/** The org admin's certificate and key: from the configured files, or enrolled at the CA now. */
async function orgAdminEnrollment(
  config: Config,
  ca: FabricCaClient,
): Promise<{ certificate: string; privateKey: string }> {
  const source = config.orgAdmin;
  const identity = 'certificate' in source ? source : await ca.enroll(source.enrollmentId, source.secret);
  const role = certificateAttributes(identity.certificate).role;
  if (role !== 'admin')
    throw new ConfigError(`the org admin's certificate must carry role=admin (it has ${role ?? 'no role'})`);
  return identity;
}

/** The certificate's subject CN: the enrollment id, and the on-chain user id's second half. */
function commonName(certificate: string): string {
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(new X509Certificate(certificate).subject)?.[1];
  if (!cn) throw new ConfigError("the org admin's certificate has no CN");
  return cn;
}

/** Everything but the listening socket (the reproject CLI and tests reuse it). */
export async function buildDeps(config: Config, logger: Logger): Promise<Deps> {
  const ca = new FabricCaClient(config.ca);
  const admin = await orgAdminEnrollment(config, ca);
  const orgAdminIdentity: FabricIdentity = {
    id: `${config.org.mspId}::${commonName(admin.certificate)}`,
    mspId: config.org.mspId,
    certificate: admin.certificate,
    privateKey: admin.privateKey,
  };
  const enroller = new UserEnroller(ca, config.ca.registrar ?? admin);
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
    enroll: (username, role) => enroller.enroll(username, role),
    projection: new ProjectionWatch(),
  };
}

export async function startGateway(
  config: Config,
  logger: Logger = gatewayLogger(config),
): Promise<RunningGateway> {
  const deps = await buildDeps(config, logger);
  const handle = createApp(deps);
  if (await handle.services.users.ensureBootstrapAdmin())
    logger.info({ username: config.admin.username }, 'bootstrap admin created');
  await deps.documentKeys.publishOwnKey(logger);
  const projector = new Projector({
    pool: deps.pool,
    ledger: deps.ledger,
    identity: deps.orgAdmin,
    logger,
    blockDelayMs: config.projectorBlockDelayMs,
    watch: deps.projection,
    metrics: handle.metrics,
  });
  projector.start();
  // SSE feed and webhook outbox follow the projection (events/live.ts).
  await handle.live.start();
  // Replicas of the documents this org may read, so they outlive the uploader's IPFS node being down.
  const replicator = new DocumentReplicator({
    source: readModelDocuments(deps.pool),
    pinner: deps.store,
    mspId: config.org.mspId,
    logger,
    metrics: handle.metrics,
    progress: () => deps.projection?.applied ?? -1n,
  });
  replicator.start();
  const server = await new Promise<Server>((resolve, reject) => {
    // HTTPS with the configured certificate (transport.ts); plain HTTP only in development without one.
    const s = createGatewayServer(handle.app, config.tls);
    s.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  server.keepAliveTimeout = 5000;
  // Expect: 100-continue is answered only once the route has admitted the request (routes/bodies.ts).
  server.on('checkContinue', continueAfterAdmission(handle.app));
  if (!config.tls)
    logger.warn(
      'no TLS_CERT_FILE/TLS_KEY_FILE: serving plain HTTP (development only; production refuses this)',
    );
  logger.info({ url: gatewayBaseUrl(config.host, config.port, config.tls) }, 'gateway listening');
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      // Event streams never end on their own: end them first, so server.close() need not wait 5 s for them.
      handle.live.closeStreams();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5000).unref();
      });
      await handle.live.stop();
      await projector.stop();
      await replicator.stop();
      deps.ledger.ledger.close();
      await deps.pool.end();
    })());
  return { handle, server, projector, replicator, deps, close };
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
  const logger = gatewayLogger(config);
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
    process.exit(e instanceof ConfigError ? 78 : 1);
  });
}
