/**
 * `npm run backup -- [run | list | verify [<name>] | schedule]` and `npm run restore -- <org> [--at <ISO time>]
 * [--from <name>]` (docs/operations.md, "Backup and restore"). Operator errors print one clear line and exit 1.
 *
 * `schedule` stays in the foreground and takes a backup every COFFEE_BACKUP_INTERVAL (default 24h; e.g. 30m, 6h,
 * 1d) and then keeps the newest COFFEE_BACKUP_KEEP (default 7). Run it under the machine's service manager (a
 * systemd unit or a cron `@reboot` line; docs/operations.md has both), which restarts it; the launcher does not.
 */
import { pathToFileURL } from 'node:url';
import { launcherMode } from '../mode.ts';
import { PEER_ORGS } from '../orgs.ts';
import { info, UserError } from '../log.ts';
import { topology } from '../topology.ts';
import { runBackup, runRestore } from './backup.ts';
import { backupRoot, listBackups, pickBackup, prune, readManifest, verifyBackup } from './manifest.ts';
import { type PostgresBackupManifest, pruneWalArchive } from './postgres.ts';

const USAGE = `usage:
  npm run backup [-- run]          take a backup now (backups/<UTC stamp>/ under COFFEE_BACKUP_DIR or .run/)
  npm run backup -- list           the complete backups, oldest first
  npm run backup -- verify [name]  recompute every file's SHA-256 against the manifest (newest without a name)
  npm run backup -- schedule       a backup every COFFEE_BACKUP_INTERVAL (24h), keeping COFFEE_BACKUP_KEEP (7)
  npm run restore -- <org> [--at <ISO time>] [--from <name>]
                                   bring one org back from the newest backup (before --at, if given)`;

/** `90s`, `30m`, `6h`, `1d` (a bare number is seconds) → milliseconds. */
export function parseInterval(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/.exec(raw.trim());
  if (!m) throw new UserError(`COFFEE_BACKUP_INTERVAL must look like 90s, 30m, 6h or 1d, got '${raw}'`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  const ms = Number(m[1]) * unit * 1000;
  if (ms < 60_000) throw new UserError(`COFFEE_BACKUP_INTERVAL must be at least 1 minute, got '${raw}'`);
  return ms;
}

export function parseKeep(raw: string | undefined): number {
  const keep = Number(raw ?? '7');
  if (!Number.isInteger(keep) || keep < 1)
    throw new UserError(`COFFEE_BACKUP_KEEP must be a whole number of backups, at least 1, got '${raw}'`);
  return keep;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new UserError(`${name} needs a value`);
  return value;
}

export function parseAt(raw: string | undefined): Date | undefined {
  if (raw === undefined) return undefined;
  const at = new Date(raw);
  if (Number.isNaN(at.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(raw))
    throw new UserError(`--at must be an ISO 8601 time such as 2026-11-30T12:00:00Z, got '${raw}'`);
  if (at.getTime() > Date.now()) throw new UserError(`--at ${raw} is in the future`);
  return at;
}

/** Removes the archived WAL segments older than every kept backup's start: no kept backup can recover with them. */
function pruneWal(): void {
  const kept = listBackups()
    .map((b) => readManifest(b.dir).postgres as PostgresBackupManifest | undefined)
    .filter((m): m is PostgresBackupManifest => Array.isArray(m?.servers));
  // Without a kept backup nothing can be pruned safely (pruneWalArchive leaves clusters it knows nothing about).
  if (kept.length > 0) pruneWalArchive({ keep: kept });
}

async function schedule(): Promise<number> {
  const interval = parseInterval(process.env.COFFEE_BACKUP_INTERVAL ?? '24h');
  const keep = parseKeep(process.env.COFFEE_BACKUP_KEEP);
  info(`backups every ${interval / 60_000} min into ${backupRoot()}, keeping ${keep}; Ctrl-C stops`);
  let stop = false;
  let wake: (() => void) | undefined;
  const halt = (): void => {
    stop = true;
    wake?.();
  };
  process.once('SIGINT', halt);
  process.once('SIGTERM', halt);
  while (!stop) {
    const t0 = Date.now();
    try {
      await runBackup();
      const removed = prune(keep);
      if (removed.length) info(`retention: removed ${removed.join(', ')}`);
      pruneWal();
    } catch (e: unknown) {
      // One failed backup (a node down) must not end the schedule: say so and try at the next interval.
      process.stderr.write(`error: backup failed: ${e instanceof Error ? e.message : String(e)}\n`);
    }
    const wait = Math.max(0, interval - (Date.now() - t0));
    if (!stop) info(`next backup at ${new Date(Date.now() + wait).toISOString()}`);
    await new Promise<void>((r) => {
      const timer = setTimeout(r, wait);
      wake = () => {
        clearTimeout(timer);
        r();
      };
    });
  }
  info('schedule stopped');
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  launcherMode();
  topology();
  const [command = 'run', ...rest] = argv;
  switch (command) {
    case 'run':
      await runBackup();
      return 0;
    case 'list': {
      const all = listBackups();
      if (all.length === 0) info(`no backups in ${backupRoot()}`);
      for (const b of all) {
        const m = readManifest(b.dir);
        const bytes = Object.values(m.files).reduce((n, f) => n + f.bytes, 0);
        process.stdout.write(
          `${b.name}  ${m.completedAt}  ${Object.keys(m.files).length} files  ${(bytes / 1e6).toFixed(1)} MB  ${b.dir}\n`,
        );
      }
      return 0;
    }
    case 'verify': {
      const b = pickBackup({ name: rest[0] });
      const problems = await verifyBackup(b.dir);
      for (const p of problems) process.stderr.write(`  ${p}\n`);
      info(
        problems.length === 0 ? `backup ${b.name} verifies` : `backup ${b.name}: ${problems.length} problems`,
      );
      return problems.length === 0 ? 0 : 1;
    }
    case 'schedule':
      return schedule();
    case 'restore': {
      const org = rest.find((a, i) => !a.startsWith('--') && !['--at', '--from'].includes(rest[i - 1] ?? ''));
      if (!org) throw new UserError('restore needs an org, e.g. `npm run restore -- commercial-bank`');
      if (!PEER_ORGS.some((o) => o.id === org))
        throw new UserError(`unknown org '${org}' (one of ${PEER_ORGS.map((o) => o.id).join(', ')})`);
      const result = await runRestore({
        org,
        at: parseAt(option(rest, '--at')),
        from: option(rest, '--from'),
      });
      process.stdout.write(`RTO ${result.rtoSeconds.toFixed(1)} s\n`);
      return 0;
    }
    case 'help':
    case '--help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

// Run as a program (not when a test imports parseInterval & co.).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(
        `error: ${e instanceof UserError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      process.exit(1);
    },
  );
}
