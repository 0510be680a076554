/**
 * `npm run backup` and `npm run restore -- <org>`: the whole of a backup and of one org's restore, in the order
 * that keeps them consistent (docs/operations.md, "Backup and restore").
 *
 * Backup: (1) a ledger snapshot of every org's peer, (2) the channel configuration, (3) wait until every
 * gateway's projector checkpoint has passed its peer's snapshot, (4) Postgres (postgres.ts, base backup + WAL
 * archive), (5) kubo's pinned roots as CAR files, (6) each org's keys and crypto material, encrypted, (7) the
 * manifest with every file's SHA-256, then the directory is renamed from `<stamp>.partial` to `<stamp>`.
 * Snapshot first, Postgres after: the restored read model's checkpoint is then at or past the snapshot, and the
 * projector of a peer joined by snapshot (which has no earlier block) resumes where the read model stops.
 *
 * Restore of one org: verify the backup's checksums; put back missing keys and crypto material; stop the org's
 * gateway; restore its Postgres database (optionally to a point in time) and refuse if its checkpoint is below
 * the snapshot; rebuild its peer from the snapshot; bring back its kubo node and re-pin its documents; start its
 * gateway and wait until the projector has caught up with the peer. The time it took is the RTO.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import pg from 'pg';
import { ensureBinaries, type Binaries } from '../binaries.ts';
import { info, UserError } from '../log.ts';
import { CHANNEL, ORDERER_ORG, PEER_ORGS, findOrg, peerName, type PeerOrg } from '../orgs.ts';
import { paths, runDir } from '../paths.ts';
import { running } from '../proc.ts';
import { databaseUrl } from '../nodes/postgres.ts';
import {
  OPERATOR_SETTINGS,
  gatewayConfigFile,
  gatewayNodeName,
  startGateway,
  stopGateway,
} from '../nodes/gateway.ts';
import { fetchChannelConfig, installedPackages, peerHeight, restorePeer, snapshotPeer } from './fabric.ts';
import { exportPins, ipfsIdentity, restorePins } from './ipfs.ts';
import { backupPostgres, restorePostgresOrg } from './postgres.ts';
import {
  backupRoot,
  pickBackup,
  readManifest,
  removeUnfinished,
  stampOf,
  verifyBackup,
  writeManifest,
  type OrgRecord,
} from './manifest.ts';
import { backupPassphrase, openArchive, sealArchive } from './secrets.ts';

const log = (line: string): void => info(line);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Relative to runDir(): the org's keys and crypto material (see secrets.ts). */
export function orgSecretPaths(org: PeerOrg): string[] {
  return [
    join('crypto', 'peerOrganizations', org.domain),
    join('gateways', org.id),
    join('identities', org.id),
    join('data', `ca.${org.id}`),
    join('chaincode', org.id),
  ];
}

/** Relative to runDir(): what every org shares (orderer org, channel artifacts, run-level secrets, web TLS). */
export const SHARED_SECRET_PATHS = [
  join('crypto', 'ordererOrganizations', ORDERER_ORG.domain),
  'channel',
  'config',
  'tls',
  'secrets.json',
  'secrets-postgres.json',
  'ipfs-swarm.key',
  'portal-proxy.secret',
  'endpoints.json',
];

/** The projector checkpoint (next block) of the org's read model; undefined when there is no read model yet. */
export async function readCheckpoint(org: PeerOrg): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl(org.id) });
  await client.connect();
  try {
    const r = await client.query<{ next_block: string }>(
      "SELECT next_block FROM projector_checkpoint WHERE name = 'read-model'",
    );
    return r.rows[0] ? Number(r.rows[0].next_block) : undefined;
  } catch (e: unknown) {
    if ((e as { code?: string }).code === '42P01') return undefined; // no table: migrations never ran
    throw e;
  } finally {
    await client.end();
  }
}

async function waitCheckpoint(org: PeerOrg, atLeast: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cp = (await readCheckpoint(org).catch(() => undefined)) ?? -1;
    if (cp >= atLeast) return cp;
    if (Date.now() > deadline)
      throw new UserError(
        `the ${org.id} gateway's projector is at block ${cp}, not past block ${atLeast - 1} after ${timeoutMs / 1000} s` +
          (running(gatewayNodeName(org)) ? '' : ' (its gateway is not running)'),
      );
    await sleep(250);
  }
}

/** Only one backup at a time (a scheduled one and a manual one): a lock file naming the pid. */
function lock(root: string): () => void {
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const file = join(root, '.backup.lock');
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
  } catch {
    const pid = Number(readFileSync(file, 'utf8'));
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      // the holder is gone: a stale lock
    }
    if (alive) throw new UserError(`another backup (pid ${pid}) is running; ${file}`);
    writeFileSync(file, String(process.pid), { mode: 0o600 });
  }
  return () => rmSync(file, { force: true });
}

export interface BackupResult {
  name: string;
  dir: string;
  seconds: number;
  files: number;
  bytes: number;
}

export async function runBackup(opts: { bins?: Binaries } = {}): Promise<BackupResult> {
  const t0 = Date.now();
  const bins = opts.bins ?? (await ensureBinaries());
  const passphrase = backupPassphrase();
  const root = backupRoot();
  const unlock = lock(root);
  const started = new Date();
  const name = stampOf(started);
  const dir = join(root, `${name}.partial`);
  try {
    if (existsSync(join(root, name))) throw new UserError(`backup ${name} exists already; wait a second`);
    // We hold the lock: a .partial directory now is a backup that was killed, and never becomes one.
    for (const left of removeUnfinished(root)) info(`removed ${left}, left by an interrupted backup`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    info(`backup ${name} into ${dir}`);

    // (1) Ledger snapshots, every peer at once.
    const orgs: Record<string, OrgRecord> = {};
    await Promise.all(
      PEER_ORGS.map(async (org) => {
        const snapshotDir = join('fabric', peerName(org), 'snapshot');
        const last = await snapshotPeer(bins, org, join(dir, snapshotDir));
        orgs[org.id] = {
          peer: peerName(org),
          snapshotLastBlock: last,
          snapshotDir,
          checkpoint: -1,
          installed: await installedPackages(bins, org),
          cars: [],
          secrets: join('secrets', `${org.id}.tar.gz.enc`),
        };
        log(`  ${peerName(org)}: snapshot at block ${last}`);
      }),
    );
    // (2) The channel configuration.
    const channelConfig = join('fabric', `${CHANNEL}.config.block`);
    await fetchChannelConfig(bins, PEER_ORGS[0]!, join(dir, channelConfig));
    log(`  channel configuration: ${channelConfig}`);
    // (3) Every read model past its peer's snapshot, so the restored checkpoint is too.
    await Promise.all(
      PEER_ORGS.map(async (org) => {
        const rec = orgs[org.id]!;
        rec.checkpoint = await waitCheckpoint(org, rec.snapshotLastBlock + 1, 60_000);
      }),
    );
    log(
      `  read models past their snapshots: ${PEER_ORGS.map((o) => `${o.id} ${orgs[o.id]!.checkpoint}`).join(', ')}`,
    );
    // (4) Postgres (postgres.ts writes under <dir>/postgres/).
    const postgres = await backupPostgres({ destDir: dir, log });
    // (5) kubo's pinned content.
    for (const org of PEER_ORGS) {
      const cars = await exportPins(org, join(dir, 'ipfs', org.id), log);
      orgs[org.id]!.cars = cars.map((c) => ({ cid: c.cid, file: relative(dir, c.file) }));
    }
    // (6) Keys and crypto material, encrypted: one archive per org, one for what they share.
    mkdirSync(join(dir, 'secrets'), { recursive: true, mode: 0o700 });
    for (const org of PEER_ORGS) {
      const extra = mkdtempSync(join(root, '.extra-'));
      try {
        mkdirSync(join(extra, '_backup'));
        const identity = ipfsIdentity(org);
        if (identity)
          writeFileSync(join(extra, '_backup', 'ipfs-identity.json'), JSON.stringify(identity), {
            mode: 0o600,
          });
        const { sealed, included } = await sealArchive(runDir(), orgSecretPaths(org), passphrase, extra);
        writeFileSync(join(dir, orgs[org.id]!.secrets), sealed, { mode: 0o600 });
        log(
          `  ${org.id}: keys and crypto material encrypted (${included.length} trees, ${sealed.length} bytes)`,
        );
      } finally {
        rmSync(extra, { recursive: true, force: true });
      }
    }
    const sharedSecrets = join('secrets', '_consortium.tar.gz.enc');
    const shared = await sealArchive(runDir(), SHARED_SECRET_PATHS, passphrase);
    writeFileSync(join(dir, sharedSecrets), shared.sealed, { mode: 0o600 });
    // (7) The manifest, then the rename that makes it a backup.
    const seconds = (Date.now() - t0) / 1000;
    const manifest = await writeManifest(dir, {
      format: 1,
      name,
      startedAt: started.toISOString(),
      completedAt: new Date().toISOString(),
      channel: CHANNEL,
      channelConfig,
      orgs,
      sharedSecrets,
      postgres,
      seconds,
    });
    const final = join(root, name);
    renameSync(dir, final);
    const entries = Object.values(manifest.files);
    const bytes = entries.reduce((n, f) => n + f.bytes, 0);
    info(
      `backup ${name}: ${entries.length} files, ${(bytes / 1e6).toFixed(1)} MB, in ${seconds.toFixed(1)} s (${final})`,
    );
    return { name, dir: final, seconds, files: entries.length, bytes };
  } catch (e: unknown) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  } finally {
    unlock();
  }
}

/** Copies what is missing under runDir() from an extracted archive; what exists stays (never overwritten). */
function restoreMissing(extracted: string, relPaths: readonly string[]): number {
  const count = (p: string): number => {
    if (!existsSync(p)) return 0;
    if (!statSync(p).isDirectory()) return 1;
    return readdirSync(p, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
  };
  let restored = 0;
  for (const rel of relPaths) {
    const src = join(extracted, rel);
    if (!existsSync(src)) continue;
    const dest = join(runDir(), rel);
    const before = count(dest);
    cpSync(src, dest, { recursive: true, force: false, errorOnExist: false, preserveTimestamps: true });
    restored += count(dest) - before;
  }
  return restored;
}

export interface RestoreResult {
  org: string;
  backup: string;
  rtoSeconds: number;
  snapshotLastBlock: number;
  checkpoint: number;
  height: number;
  tables: Record<string, number>;
  documents: number;
  steps: Record<string, number>;
}

export async function runRestore(opts: {
  org: string;
  at?: Date;
  from?: string;
  bins?: Binaries;
}): Promise<RestoreResult> {
  const t0 = Date.now();
  const org = findOrg(opts.org);
  const steps: Record<string, number> = {};
  const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const s = Date.now();
    info(`${what} …`);
    const r = await fn();
    steps[what] = (Date.now() - s) / 1000;
    info(`${what}: done in ${steps[what].toFixed(1)} s`);
    return r;
  };
  const bins = opts.bins ?? (await ensureBinaries());
  const passphrase = backupPassphrase();
  const backup = pickBackup({ name: opts.from, at: opts.at });
  const manifest = readManifest(backup.dir);
  const rec = manifest.orgs[org.id];
  if (!rec) throw new UserError(`backup ${backup.name} has nothing of ${org.id}`);
  info(`restore ${org.id} from backup ${backup.name}${opts.at ? ` to ${opts.at.toISOString()}` : ''}`);
  await timed('verify the backup (SHA-256 of every file)', async () => {
    const problems = await verifyBackup(backup.dir);
    if (problems.length > 0)
      throw new UserError(
        `backup ${backup.name} does not verify (${problems.length} problems): ${problems.slice(0, 5).join('; ')}`,
      );
  });
  // A read model behind the snapshot cannot be completed: the peer joined by snapshot has no earlier blocks.
  if (rec.checkpoint < rec.snapshotLastBlock + 1)
    throw new UserError(
      `backup ${backup.name}: ${org.id}'s read model (next block ${rec.checkpoint}) is behind its snapshot (block ${rec.snapshotLastBlock}); take a new backup`,
    );
  let identity: { PeerID: string; PrivKey: string } | undefined;
  await timed('keys and crypto material (missing files only)', async () => {
    const tmp = mkdtempSync(join(backupRoot(), '.restore-'));
    try {
      mkdirSync(join(tmp, 'org'));
      mkdirSync(join(tmp, 'shared'));
      await openArchive(join(backup.dir, rec.secrets), passphrase, join(tmp, 'org'));
      await openArchive(join(backup.dir, manifest.sharedSecrets), passphrase, join(tmp, 'shared'));
      const idFile = join(tmp, 'org', '_backup', 'ipfs-identity.json');
      if (existsSync(idFile)) identity = JSON.parse(readFileSync(idFile, 'utf8')) as typeof identity;
      const n =
        restoreMissing(join(tmp, 'org'), orgSecretPaths(org)) +
        restoreMissing(join(tmp, 'shared'), SHARED_SECRET_PATHS);
      info(`  ${n} missing files put back`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
  // The gateway's own settings of its last start (its configuration file), so it comes back as it ran.
  const previous: Record<string, string> = existsSync(gatewayConfigFile(org))
    ? (JSON.parse(readFileSync(gatewayConfigFile(org), 'utf8')) as Record<string, string>)
    : {};
  const keep = Object.fromEntries(
    OPERATOR_SETTINGS.filter((k) => previous[k] !== undefined).map((k) => [k, previous[k]!]),
  );
  await timed(`stop the ${org.id} gateway`, () => stopGateway(org));
  const pgResult = await timed(`Postgres: ${org.id}'s database`, async () => {
    return restorePostgresOrg({ org: org.id, backupDir: backup.dir, at: opts.at, log });
  });
  const checkpoint = (await readCheckpoint(org)) ?? -1;
  if (checkpoint < rec.snapshotLastBlock + 1)
    throw new UserError(
      `the restored read model of ${org.id} ${checkpoint < 0 ? 'has no projector checkpoint' : `is at block ${checkpoint}`}, ` +
        `below the snapshot's next block ${rec.snapshotLastBlock + 1}: the peer joined by snapshot has no earlier blocks to ` +
        'project. Was the database re-created empty after it was lost? Restore to a point in time before (--at).',
    );
  info(`  read model restored to ${pgResult.restoredTo}, checkpoint ${checkpoint}`);
  const packages = rec.installed
    .map((p) => join(paths.chaincode, org.id, p.label, `${p.label}.tar.gz`))
    .filter((f) => existsSync(f));
  const { height } = await timed(`peer: join ${peerName(org)} from the snapshot`, () =>
    restorePeer(bins, org, join(backup.dir, rec.snapshotDir), packages, log),
  );
  const documents = await timed('kubo: repository and pinned documents', () =>
    restorePins(
      bins,
      org,
      rec.cars.map((c) => ({ cid: c.cid, file: join(backup.dir, c.file) })),
      identity,
      log,
    ),
  );
  await timed(`start the ${org.id} gateway`, () => startGateway(org, keep));
  await timed('projector catches up with the peer', async () => {
    const target = await peerHeight(bins, org);
    await waitCheckpoint(org, target, 300_000);
  });
  const rtoSeconds = (Date.now() - t0) / 1000;
  info(`restore of ${org.id} done: RTO ${rtoSeconds.toFixed(1)} s (backup ${backup.name})`);
  return {
    org: org.id,
    backup: backup.name,
    rtoSeconds,
    snapshotLastBlock: rec.snapshotLastBlock,
    checkpoint,
    height,
    tables: pgResult.tables,
    documents,
    steps,
  };
}
