/**
 * The gateways as nodes of this machine, started like any other: one process per org running the one gateway
 * codebase (gateways/src/server.ts), which knows nothing of this launcher. Its configuration is data the
 * launcher computes from its own layout — the org's peer and CA endpoints and TLS CAs, the org admin's identity
 * (enrolled once, its key sealed with the gateway's custody key), the CA registrar (likewise), the database and
 * kubo URLs, a directory for the gateway's development secrets — written to runDir()/gateways/<org>/gateway.json
 * (0600). The process gets COFFEE_GATEWAY_CONFIG pointing at that file and, of this launcher's environment, only
 * PATH and HOME; the gateway's own tools (reproject, rotate-document-key) read the same file.
 *
 * Operator settings for every gateway pass through from this launcher's environment (`UPLOAD_MAX_BYTES=...`),
 * or for one org with its id as suffix (`UPLOAD_MAX_BYTES_ECTA=...`); gateways/src/config.ts defines them.
 * Each gateway serves HTTPS with a certificate from its org's TLS CA (web-tls.ts). After the gateways answer
 * /health, runDir()/endpoints.json (0600) lists every org's gateway URL (https), its configuration file, the CA
 * bundle a client trusts (`caFile`) and, in development only, its admin's initial username and password.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBinaries, type Binaries } from '../binaries.ts';
import { cryptoPaths } from '../crypto.ts';
import { sealKeyFile } from '../../../gateways/src/auth/sealed-key-file.ts';
import { writeDevFingerprints } from '../../../gateways/src/production.ts';
import { orgCustodyKey } from '../custody.ts';
import { BOOTSTRAP_ADMIN, caRegistrar, loadIdentity, orgAdmin } from '../identities.ts';
import { assertProductionReady, launcherMode } from '../mode.ts';
import { UserError } from '../log.ts';
import { PEER_ORGS, caPorts, peerPorts, prometheusUrl, type PeerOrg } from '../orgs.ts';
import { REPO_ROOT, runDir } from '../paths.ts';
import { assertPortFree, logFile, running, startProcess, stopProcess, waitFor } from '../proc.ts';
import { secrets } from '../secrets.ts';
import { portalProxySecret } from '../portal-proxy.ts';
import { gatewayTlsFiles, webTlsPaths, writeCaBundle } from '../web-tls.ts';
import { httpsGet } from './https.ts';
import { hostAddress, netnsMode } from '../topology.ts';
import { ipfsApiUrl } from './ipfs.ts';
import { databaseUrl, postgresPassword } from './postgres.ts';

const SERVER = join(REPO_ROOT, 'gateways', 'src', 'server.ts');

/** Settings an operator may give every gateway through this launcher's environment (or one org's: `<KEY>_<ORG>`). */
export const OPERATOR_SETTINGS = [
  'NODE_ENV',
  'LOG_LEVEL',
  'LOG_MAX_BYTES',
  'LOG_MAX_FILES',
  'ADMIN_USERNAME',
  'ADMIN_INITIAL_PASSWORD',
  'CUSTODY_KEY',
  'JWT_PRIVATE_KEY_FILE',
  'JWT_PUBLIC_KEY_FILE',
  'DOCUMENT_KEYS_DIR',
  'ACCESS_TOKEN_TTL_SECONDS',
  'REFRESH_TOKEN_TTL_SECONDS',
  'UPLOAD_MAX_BYTES',
  'UPLOAD_MEDIA_TYPES',
  'UPLOAD_QUOTA_FILES_PER_HOUR',
  'UPLOAD_QUOTA_BYTES_PER_HOUR',
  'JSON_BODY_LIMIT_BYTES',
  'LOGIN_RATE_LIMIT_MAX',
  'LOGIN_RATE_LIMIT_WINDOW_MS',
  'REFRESH_RATE_LIMIT_MAX',
  'LOGIN_LOCKOUT_THRESHOLD',
  'LOGIN_LOCKOUT_BASE_SECONDS',
  'LOGIN_LOCKOUT_MAX_SECONDS',
  'JWT_KEYRING_DIR',
  'VERIFY_RATE_LIMIT_MAX',
  'SUBMIT_CONCURRENCY',
  'IDEMPOTENCY_LEASE_SECONDS',
  'COFFEE_PROJECTOR_BLOCK_DELAY_MS',
  // Two-factor policy: off in development unless asked for (the demo's users have no authenticator).
  'MFA_REQUIRED_ROLES',
  'MFA_STEP_UP_SECONDS',
] as const;

export type GatewaySettings = Record<string, string>;

const envSuffix = (org: PeerOrg): string => org.id.toUpperCase().replace(/-/g, '_');

export const gatewayNodeName = (org: PeerOrg): string => `gateway.${org.id}`;

/** The org's gateway port (shifted by COFFEE_PORT_OFFSET); GATEWAY_PORT_<ORG> overrides. */
export function gatewayPort(org: PeerOrg, env: NodeJS.ProcessEnv = process.env): number {
  const override = env[`GATEWAY_PORT_${envSuffix(org)}`];
  return override ? Number(override) : org.gatewayPort;
}

/** HTTPS, with the certificate the org's TLS CA issued (web-tls.ts). */
export function gatewayUrl(org: PeerOrg, env: NodeJS.ProcessEnv = process.env): string {
  return `https://${hostAddress(org)}:${gatewayPort(org, env)}`;
}

/** The gateway's directory: its configuration file, the org admin's and registrar's files, its development secrets. */
export const gatewayDir = (org: PeerOrg): string => join(runDir(), 'gateways', org.id);
export const gatewayConfigFile = (org: PeerOrg): string => join(gatewayDir(org), 'gateway.json');

function writePrivate(file: string, content: string, mode: number): void {
  writeFileSync(file, content, { mode });
  chmodSync(file, mode);
}

let binaries: Promise<Binaries> | undefined;

/**
 * An identity as files for the gateway: its certificate, and its private key sealed with the gateway's custody
 * key (gateways/src/auth/sealed-key-file.ts), never plaintext; a plaintext key.pem an earlier start left is
 * removed.
 */
function identityFilesFor(
  org: PeerOrg,
  name: string,
  identity: { certificate: string; privateKey: string },
  env: NodeJS.ProcessEnv,
): { certFile: string; keyFile: string } {
  const dir = join(gatewayDir(org), name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.sealed.json');
  writePrivate(certFile, identity.certificate, 0o644);
  writePrivate(
    keyFile,
    sealKeyFile(orgCustodyKey(org, env), identity.certificate, identity.privateKey),
    0o600,
  );
  rmSync(join(dir, 'key.pem'), { force: true });
  return { certFile, keyFile };
}

/** The org's bootstrap admin (role=admin), enrolled once by the launcher, as files for the gateway. */
async function orgAdminFiles(
  org: PeerOrg,
  env: NodeJS.ProcessEnv,
): Promise<{ certFile: string; keyFile: string }> {
  const saved = loadIdentity(org, BOOTSTRAP_ADMIN);
  const admin = saved ?? (await orgAdmin(await (binaries ??= ensureBinaries()), org));
  return identityFilesFor(org, 'org-admin', admin, env);
}

/**
 * One org's gateway configuration on this machine: the launcher's endpoints and files, then the operator's
 * settings from `env`, then `overrides` (what a caller asks for this start, e.g. a test's limits).
 */
export async function gatewaySettings(
  org: PeerOrg,
  overrides: GatewaySettings = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<GatewaySettings> {
  // The custody key this gateway will run with (a CUSTODY_KEY override wins, as in `settings` below) seals
  // the keys its identity files hold.
  const keyEnv = overrides.CUSTODY_KEY
    ? { ...env, [`CUSTODY_KEY_${envSuffix(org)}`]: overrides.CUSTODY_KEY }
    : env;
  const admin = await orgAdminFiles(org, keyEnv);
  // The CA registrar as files too: its enrollment is single-use, the gateway must not enroll it again.
  const registrar = identityFilesFor(org, 'ca-registrar', await caRegistrar(org), keyEnv);
  const tls = await gatewayTlsFiles(org);
  // Development: what the launcher generated, by fingerprint, so a production start over this run directory
  // refuses it (gateways/src/production.ts).
  if (launcherMode(env) === 'development')
    writeDevFingerprints(gatewayDir(org), {
      CA_REGISTRAR_SECRET: secrets().caAdmins[org.id],
      ...(env.PORTAL_PROXY_SECRET ? {} : { PORTAL_PROXY_SECRET: portalProxySecret(env) }),
      ...(env[`DATABASE_URL_${envSuffix(org)}`] ? {} : { DATABASE_PASSWORD: postgresPassword() }),
    });
  const settings: GatewaySettings = {
    ORG: org.id,
    // The org's host (topology.ts): 127.0.0.1, or its namespace's address in the netns topology. Endpoints are
    // addresses, so the gateway's tools run from the launcher's (root) namespace with the same file.
    ...(netnsMode(env) ? { HOST: hostAddress(org) } : {}),
    PORT: String(gatewayPort(org, env)),
    PEER_ENDPOINT: `${hostAddress(org)}:${peerPorts(org).listen}`,
    PEER_TLS_CA_FILE: cryptoPaths.tlsCaCert(org),
    // Peers' TLS certificates name localhost and 127.0.0.1; an IP is not a valid TLS server name (RFC 6066).
    PEER_HOST_ALIAS: 'localhost',
    CA_URL: `https://${hostAddress(org)}:${caPorts(org).listen}`,
    // The CA server's TLS certificate is issued by the org's TLS CA (crypto.ts).
    CA_TLS_CA_FILE: cryptoPaths.tlsCaCert(org),
    CA_NAME: `ca-${org.id}`,
    CA_REGISTRAR_CERT_FILE: registrar.certFile,
    CA_REGISTRAR_KEY_FILE: registrar.keyFile,
    ORG_ADMIN_CERT_FILE: admin.certFile,
    ORG_ADMIN_KEY_FILE: admin.keyFile,
    DATABASE_URL: databaseUrl(org.id, env),
    IPFS_API_URL: ipfsApiUrl(org, env),
    SECRETS_DIR: gatewayDir(org),
    // HTTPS: a certificate from the org's TLS CA (web-tls.ts), in endpoints.json's CA bundle.
    TLS_CERT_FILE: tls.certFile,
    TLS_KEY_FILE: tls.keyFile,
    // The portal proves itself with it, so its X-Forwarded-For is believed (gateways/src/auth/client-ip.ts).
    PORTAL_PROXY_SECRET: portalProxySecret(env),
    // The run's Prometheus (monitoring.ts), read by the Operations page; it listens in the root namespace only, so
    // in the netns topology the gateway has none and the page says monitoring is unavailable.
    ...(netnsMode(env) ? {} : { PROMETHEUS_URL: prometheusUrl(env) }),
  };
  for (const key of OPERATOR_SETTINGS) {
    const value = env[`${key}_${envSuffix(org)}`] ?? env[key];
    if (value !== undefined) settings[key] = value;
  }
  return { ...settings, ...overrides };
}

/** Writes the gateway's configuration file (0600: it holds secrets, e.g. the database password). */
export function writeGatewayConfig(org: PeerOrg, settings: GatewaySettings): string {
  mkdirSync(gatewayDir(org), { recursive: true, mode: 0o700 });
  const file = gatewayConfigFile(org);
  writePrivate(file, `${JSON.stringify(settings, null, 2)}\n`, 0o600);
  return file;
}

/** The gateway's configuration file, written now unless an earlier start wrote it. */
export async function ensureGatewayConfig(org: PeerOrg): Promise<string> {
  const file = gatewayConfigFile(org);
  return existsSync(file) ? file : writeGatewayConfig(org, await gatewaySettings(org));
}

/** The environment a gateway process (or one of its tools) gets: its configuration file, PATH and HOME. */
export function gatewayProcessEnv(configFile: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, COFFEE_GATEWAY_CONFIG: configFile };
}

/** A gateway that just died may leave its port busy for a moment: wait (briefly) before starting again. */
async function waitPortFree(port: number, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertPortFree(port, what);
      return;
    } catch (e: unknown) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * Starts the org's gateway unless it runs (then its configuration stays as it was), and waits for /health.
 * A gateway that exits during start-up (a configuration error) is reported with its log's last lines.
 */
export async function startGateway(org: PeerOrg, overrides: GatewaySettings = {}): Promise<number> {
  assertProductionReady();
  const name = gatewayNodeName(org);
  const port = gatewayPort(org);
  let rec = running(name);
  if (!rec) {
    // (On loopback only: in the netns topology the port is in the org's own namespace.)
    if (!netnsMode()) await waitPortFree(port, `gateway of ${org.id}`);
    // The gateway writes its own log, rotated by size (gateways/src/log-file.ts; LOG_MAX_BYTES, LOG_MAX_FILES),
    // to the file its stdout goes to as well (start-up failures, crashes): both append, so neither overwrites.
    const file = writeGatewayConfig(
      org,
      await gatewaySettings(org, { LOG_FILE: logFile(name), ...overrides }),
    );
    rec = await startProcess({
      name,
      command: process.execPath,
      args: ['--import', 'tsx', SERVER],
      cwd: REPO_ROOT,
      env: gatewayProcessEnv(file),
      ports: [{ port, what: `gateway of ${org.id}` }],
      host: org.id,
    });
  }
  const url = gatewayUrl(org);
  await waitFor(
    `gateway of ${org.id}`,
    async () => {
      if (!running(name)) {
        const tail = readFileSync(logFile(name), 'utf8').trim().split('\n').slice(-5).join('\n');
        throw new UserError(
          `the ${org.id} gateway exited during start-up; last lines of ${logFile(name)}:\n${tail}`,
        );
      }
      // Verified against the org's TLS CA, which issued the gateway's certificate (gatewaySettings).
      return (await httpsGet(`${url}/health`, { ca: cryptoPaths.tlsCaCert(org) })).status === 200;
    },
    90_000,
    logFile(name),
  );
  return rec.pid;
}

export async function stopGateway(org: PeerOrg): Promise<boolean> {
  return stopProcess(gatewayNodeName(org), 10_000);
}

/** Starts every org's gateway (in parallel), then writes endpoints.json. */
export async function startGateways(
  overrides: GatewaySettings = {},
): Promise<{ endpointsFile: string; pids: Record<string, number> }> {
  const pids: Record<string, number> = {};
  await Promise.all(
    PEER_ORGS.map(async (org) => {
      pids[org.id] = await startGateway(org, overrides);
    }),
  );
  await writeCaBundle();
  return { endpointsFile: writeEndpoints(), pids };
}

export async function stopGateways(): Promise<string[]> {
  const stopped = await Promise.all(
    PEER_ORGS.map(async (org) => ((await stopGateway(org)) ? org.id : undefined)),
  );
  return stopped.filter((s): s is string => s !== undefined);
}

export interface EndpointsFile {
  mode: 'development' | 'production';
  /** The CA bundle (PEM) to trust for every gateway and the portal: web-tls.ts. */
  caFile: string;
  gateways: Record<
    string,
    { url: string; mspId: string; configFile: string; admin?: { username: string; password: string } }
  >;
  /** Development only: the demo consortium's accounts (written by scripts/demo/seed.ts, docs/demo.md). */
  demo?: {
    accountsFile: string;
    accounts: { org: string; role: string; username: string; password: string; exporterId?: string }[];
  };
}

/** The `demo` field an earlier start wrote (kept across restarts in development, dropped in production). */
function previousDemo(path: string): EndpointsFile['demo'] {
  if (!existsSync(path)) return undefined;
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as Partial<EndpointsFile>).demo;
  } catch {
    return undefined;
  }
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * The org admin's initial credentials of a development gateway: its configured password, else the one it
 * generated (SECRETS_DIR/secrets.json, gateways/src/config.ts).
 */
function devAdmin(org: PeerOrg): { username: string; password: string } | undefined {
  const config = readJson(gatewayConfigFile(org)) ?? {};
  const generated = readJson(join(gatewayDir(org), 'secrets.json'));
  const password = config.ADMIN_INITIAL_PASSWORD ?? generated?.adminPassword;
  if (typeof password !== 'string') return undefined;
  const username = typeof config.ADMIN_USERNAME === 'string' ? config.ADMIN_USERNAME : 'admin';
  return { username, password };
}

/** Writes runDir()/endpoints.json (0600). */
export function writeEndpoints(env: NodeJS.ProcessEnv = process.env): string {
  const mode = launcherMode(env);
  const path = join(runDir(), 'endpoints.json');
  const demo = mode === 'development' ? previousDemo(path) : undefined;
  const file: EndpointsFile = {
    mode,
    caFile: webTlsPaths.caBundle,
    gateways: {},
    ...(demo ? { demo } : {}),
  };
  for (const org of PEER_ORGS) {
    const admin = mode === 'development' ? devAdmin(org) : undefined;
    file.gateways[org.id] = {
      url: gatewayUrl(org, env),
      mspId: org.mspId,
      configFile: gatewayConfigFile(org),
      ...(admin ? { admin } : {}),
    };
  }
  mkdirSync(runDir(), { recursive: true });
  writePrivate(path, JSON.stringify(file, null, 2), 0o600);
  return path;
}
