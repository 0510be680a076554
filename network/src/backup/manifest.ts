/**
 * The backup's layout on disk and its integrity record. Each backup is a directory `<root>/<UTC stamp>/`
 * (root: COFFEE_BACKUP_DIR, default runDir()/backups; stamp `YYYYMMDDTHHMMSSZ`, so names sort by time). It is
 * written as `<stamp>.partial` and renamed once complete, so a crash mid-backup never leaves a directory that
 * looks like a backup. manifest.json, written last, lists every other file with its size and SHA-256;
 * `verifyBackup` recomputes them (restore refuses a backup that does not verify).
 */
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, sep } from 'node:path';
import { runDir } from '../paths.ts';
import { UserError } from '../log.ts';

export const MANIFEST = 'manifest.json';
const STAMP = /^\d{8}T\d{6}Z$/;

/** Where backups are kept: COFFEE_BACKUP_DIR, else runDir()/backups (the WAL archive lives in its wal/). */
export function backupRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.COFFEE_BACKUP_DIR ?? join(runDir(env), 'backups');
}

/** `2026-11-30T12:45:07.123Z` → `20261130T124507Z`. */
export function stampOf(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

export function dateOfStamp(stamp: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
  if (!m) throw new UserError(`'${stamp}' is not a backup name (YYYYMMDDTHHMMSSZ)`);
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
}

export interface FileEntry {
  bytes: number;
  sha256: string;
}

/** What one org's part of a backup records (fabric.ts, ipfs.ts and backup.ts fill it). */
export interface OrgRecord {
  peer: string;
  /** The snapshot's last block; a peer joined from it holds blocks from lastBlock + 1 on. */
  snapshotLastBlock: number;
  /** Directory of the snapshot, relative to the backup. */
  snapshotDir: string;
  /** The projector checkpoint (next block) of the org's read model when Postgres was backed up. */
  checkpoint: number;
  /** Chaincode packages installed on the peer (reinstalled after a join by snapshot). */
  installed: { packageId: string; label: string }[];
  /** CAR files of the kubo node's pinned roots, relative to the backup. */
  cars: { cid: string; file: string }[];
  /** The encrypted archive of the org's keys and crypto material, relative to the backup. */
  secrets: string;
}

export interface Manifest {
  format: 1;
  name: string;
  startedAt: string;
  completedAt: string;
  channel: string;
  channelConfig: string;
  orgs: Record<string, OrgRecord>;
  /** The consortium-wide secrets archive (orderer org, run-level secrets). */
  sharedSecrets: string;
  /** What backupPostgres returned (postgres.ts). */
  postgres: unknown;
  seconds: number;
  files: Record<string, FileEntry>;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Every file under `dir` but the manifest, with size and SHA-256 (paths relative, with `/`). */
export async function checksums(dir: string): Promise<Record<string, FileEntry>> {
  const files: Record<string, FileEntry> = {};
  for (const file of walk(dir).sort()) {
    const rel = relative(dir, file).split(sep).join('/');
    if (rel === MANIFEST) continue;
    files[rel] = { bytes: statSync(file).size, sha256: await sha256File(file) };
  }
  return files;
}

export async function writeManifest(dir: string, manifest: Omit<Manifest, 'files'>): Promise<Manifest> {
  const full: Manifest = { ...manifest, files: await checksums(dir) };
  writeFileSync(join(dir, MANIFEST), `${JSON.stringify(full, null, 2)}\n`, { mode: 0o600 });
  return full;
}

export function readManifest(dir: string): Manifest {
  const file = join(dir, MANIFEST);
  if (!existsSync(file)) throw new UserError(`${dir} has no ${MANIFEST}: not a complete backup`);
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Manifest>;
  if (parsed.format !== 1 || typeof parsed.files !== 'object' || parsed.files === null)
    throw new UserError(`${file} is not a backup manifest of this project (format 1)`);
  return parsed as Manifest;
}

/** Every problem of the backup in `dir`: missing, changed or unlisted files (empty: it verifies). */
export async function verifyBackup(dir: string): Promise<string[]> {
  const manifest = readManifest(dir);
  const actual = await checksums(dir);
  const problems: string[] = [];
  for (const [rel, want] of Object.entries(manifest.files)) {
    const got = actual[rel];
    if (!got) problems.push(`${rel}: missing`);
    else if (got.sha256 !== want.sha256 || got.bytes !== want.bytes)
      problems.push(`${rel}: checksum differs (${got.bytes} bytes, expected ${want.bytes})`);
  }
  for (const rel of Object.keys(actual))
    if (!manifest.files[rel]) problems.push(`${rel}: not in the manifest`);
  return problems;
}

export interface BackupEntry {
  name: string;
  dir: string;
  date: Date;
}

/** Complete backups (a manifest, a stamp name), oldest first. */
export function listBackups(root: string = backupRoot()): BackupEntry[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && STAMP.test(e.name) && existsSync(join(root, e.name, MANIFEST)))
    .map((e) => ({ name: e.name, dir: join(root, e.name), date: dateOfStamp(e.name) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The backup to restore from: `name` if given; else, with `at`, the newest taken before that time (a point in
 * time is reached from the base backup before it plus the WAL archive); else the newest.
 */
export function pickBackup(opts: { name?: string; at?: Date }, root: string = backupRoot()): BackupEntry {
  const all = listBackups(root);
  if (opts.name) {
    const found = all.find((b) => b.name === opts.name);
    if (!found)
      throw new UserError(
        `no complete backup named ${opts.name} in ${root} (have: ${all.map((b) => b.name).join(', ') || 'none'})`,
      );
    return found;
  }
  const candidates = opts.at ? all.filter((b) => b.date.getTime() <= opts.at!.getTime()) : all;
  const chosen = candidates[candidates.length - 1];
  if (!chosen)
    throw new UserError(
      opts.at
        ? `no backup in ${root} was taken before ${opts.at.toISOString()}`
        : `no backup in ${root}; run \`npm run backup\` first`,
    );
  return chosen;
}

/**
 * Removes what interrupted backups left in `root` (a `<stamp>.partial` directory, a `.extra-*` scratch directory:
 * the backup process was killed before it could clean up); the names removed. Only under the backup lock, when no
 * other backup can be writing them.
 */
export function removeUnfinished(root: string = backupRoot()): string[] {
  if (!existsSync(root)) return [];
  const doomed = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && (e.name.endsWith('.partial') || e.name.startsWith('.extra-')))
    .map((e) => e.name)
    .sort();
  for (const name of doomed) rmSync(join(root, name), { recursive: true, force: true });
  return doomed;
}

/** Removes the oldest complete backups beyond `keep`; the names removed. */
export function prune(keep: number, root: string = backupRoot()): string[] {
  if (!Number.isInteger(keep) || keep < 1)
    throw new UserError(`retention must keep at least 1 backup, got ${keep}`);
  const all = listBackups(root);
  const doomed = all.slice(0, Math.max(0, all.length - keep));
  for (const b of doomed) rmSync(b.dir, { recursive: true, force: true });
  return doomed.map((b) => b.name);
}
