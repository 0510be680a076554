/**
 * Continuous WAL archiving of the project's PostgreSQL servers (the point-in-time half of the Postgres backup,
 * backup/postgres.ts; the launcher's nodes/postgres.ts starts every server with archiveSettings()).
 *
 * Each completed 16 MiB WAL segment is gzipped into `<run dir>/backups/wal/<server name>/<system identifier>/`:
 * - per system identifier, because a server whose data directory was lost and re-created by initdb starts its
 *   WAL numbering again at 000000010000000000000001 (a new cluster, a new identifier) and must neither overwrite
 *   nor be refused by the old cluster's segments, which older base backups still need;
 * - atomically (gzip to a dot-temp file, fsync, rename, fsync the directory), so a crash never leaves a
 *   half-written segment under its final name;
 * - never overwriting: an existing segment with the same content is success (PostgreSQL may archive a segment
 *   again after a crash), a different one is a failure PostgreSQL logs and retries, as its docs require;
 * - gzipped, because archive_timeout switches to a new segment at least every ARCHIVE_TIMEOUT_S seconds when
 *   anything was written, and the rest of a switched segment is zeros: 16 MiB become a few KiB.
 *
 * RPO: a committed transaction is in the archive at most ARCHIVE_TIMEOUT_S seconds after its commit (the
 * restore also asks a running server to switch segments first, so a restore of a live server loses nothing).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDir } from '../paths.ts';

/** archive_timeout: the bound on the RPO of the WAL archive. */
export const ARCHIVE_TIMEOUT_S = 60;

/** Root of the WAL archive of every server of this run dir. */
export function walArchiveDir(): string {
  return join(runDir(), 'backups', 'wal');
}

/** Where one cluster's segments go (see above for why the system identifier is part of it). */
export function serverArchiveDir(serverName: string, systemIdentifier: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(serverName)) throw new Error(`bad PostgreSQL server name '${serverName}'`);
  if (!/^\d+$/.test(systemIdentifier)) throw new Error(`bad system identifier '${systemIdentifier}'`);
  return join(walArchiveDir(), serverName, systemIdentifier);
}

/**
 * The cluster's system identifier, read from global/pg_control (its first field, a little-endian uint64) before
 * the server starts: the archive directory must be known to the archive_command on the command line.
 */
export function systemIdentifier(dataDir: string): string {
  const control = readFileSync(join(dataDir, 'global', 'pg_control'));
  if (control.length < 8) throw new Error(`${dataDir}/global/pg_control is truncated`);
  return control.readBigUInt64LE(0).toString();
}

/** Quotes a word for /bin/sh. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** PostgreSQL replaces %p, %f, %r in archive/restore commands: a literal % must be doubled. */
function pgEscape(text: string): string {
  return text.replace(/%/g, '%%');
}

/**
 * archive_command: %p is the segment's path relative to the data directory (the command's working directory),
 * %f its file name. Exit status 0 only when the segment is safely in the archive.
 */
export function archiveCommand(archiveDir: string): string {
  const d = pgEscape(shellQuote(archiveDir));
  return [
    `d=${d}; f=%f;`,
    `if [ -f "$d/$f.gz" ]; then`,
    `gzip -dc "$d/$f.gz" | cmp -s - %p || { echo "archive: $d/$f.gz exists with other content; not overwritten" >&2; exit 1; };`,
    `else gzip -1 -c %p > "$d/.$f.tmp" && sync "$d/.$f.tmp" && mv "$d/.$f.tmp" "$d/$f.gz" && sync "$d"; fi`,
  ].join(' ');
}

/**
 * restore_command of a recovering scratch server: the segment from the first of these directories that has it.
 * A missing file is a non-zero exit, which PostgreSQL reads as "the archive ends here".
 */
export function restoreCommand(dirs: readonly string[]): string {
  const list = dirs.map((d) => pgEscape(shellQuote(d))).join(' ');
  return [
    `f=%f; for d in ${list}; do`,
    `if [ -f "$d/$f.gz" ]; then gzip -dc "$d/$f.gz" > "%p.part" && mv "%p.part" %p && exit 0; exit 1; fi;`,
    `done; exit 1`,
  ].join(' ');
}

/** The `-c name=value` arguments that turn archiving on for a server whose segments go to archiveDir. */
export function archiveSettings(archiveDir: string): string[] {
  return [
    '-c',
    'archive_mode=on',
    '-c',
    `archive_command=${archiveCommand(archiveDir)}`,
    '-c',
    `archive_timeout=${ARCHIVE_TIMEOUT_S}`,
    // The default 'replica' already logs enough for archive recovery; said here so no one lowers it to 'minimal'.
    '-c',
    'wal_level=replica',
  ];
}

/** A WAL segment file name: timeline, log, segment (8 hex digits each). */
export const SEGMENT_RE = /^[0-9A-F]{24}$/;

/**
 * Whether an archived file (name without .gz) is needed to recover a base backup that starts in segment
 * `startSegment`: every segment from that one on (of its timeline and later ones), and timeline history files.
 */
export function neededForRecovery(fileName: string, startSegment: string): boolean {
  if (/^[0-9A-F]{8}\.history$/.test(fileName)) return true;
  if (!SEGMENT_RE.test(fileName)) return false;
  // Later timelines sort later; within a timeline, log and segment numbers sort as hex strings of fixed width.
  return fileName.slice(8) >= startSegment.slice(8) && fileName.slice(0, 8) >= startSegment.slice(0, 8);
}
