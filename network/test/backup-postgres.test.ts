/**
 * The pure parts of the PostgreSQL backup (backup/postgres.ts, backup/postgres-archive.ts), and the archive and
 * restore shell commands run by /bin/sh the way PostgreSQL runs them (in the data directory, %p/%f replaced).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import {
  archiveCommand,
  archiveSettings,
  neededForRecovery,
  restoreCommand,
  serverArchiveDir,
  shellQuote,
} from '../src/backup/postgres-archive.ts';
import {
  checkRecoveryTarget,
  ident,
  bigIntToLsn,
  lsnToBigInt,
  parseSize,
  segmentStart,
  pruneWalArchive,
  POSTGRES_BACKUP_FORMAT,
  readManifest,
  schemaDifferences,
  serverOfOrg,
  type PostgresBackupManifest,
} from '../src/backup/postgres.ts';

const tmp = mkdtempSync(join(tmpdir(), 'pg-backup-unit-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** What PostgreSQL does with %p / %f before handing the command to /bin/sh in the data directory. */
function runPgCommand(template: string, cwd: string, p: string, f: string): number {
  const cmd = template.replace(/%[pf%]/g, (m) => (m === '%p' ? p : m === '%f' ? f : '%'));
  return spawnSync('/bin/sh', ['-c', cmd], { cwd, stdio: 'ignore' }).status ?? -1;
}

describe('WAL archive command', () => {
  // A directory name with a space, a quote and a percent sign: quoting and %-escaping must both hold.
  const archive = join(tmp, "arch ive'%x");
  const data = join(tmp, 'data');
  mkdirSync(archive, { recursive: true });
  mkdirSync(join(data, 'pg_wal'), { recursive: true });
  const seg = '000000010000000000000003';

  it('copies a segment gzipped under its final name, without a temp file left', () => {
    writeFileSync(join(data, 'pg_wal', seg), Buffer.alloc(4096, 7));
    assert.equal(runPgCommand(archiveCommand(archive), data, `pg_wal/${seg}`, seg), 0);
    assert.deepEqual(readdirSync(archive), [`${seg}.gz`]);
    assert.deepEqual(gunzipSync(readFileSync(join(archive, `${seg}.gz`))), Buffer.alloc(4096, 7));
  });

  it('accepts the same segment again (re-archived after a crash)', () => {
    assert.equal(runPgCommand(archiveCommand(archive), data, `pg_wal/${seg}`, seg), 0);
  });

  it('refuses to overwrite an archived segment with different content', () => {
    writeFileSync(join(data, 'pg_wal', seg), Buffer.alloc(4096, 8));
    assert.notEqual(runPgCommand(archiveCommand(archive), data, `pg_wal/${seg}`, seg), 0);
    assert.deepEqual(
      gunzipSync(readFileSync(join(archive, `${seg}.gz`))),
      Buffer.alloc(4096, 7),
      'unchanged',
    );
  });

  it('fails when the archive directory is missing (PostgreSQL keeps the segment and retries)', () => {
    assert.notEqual(runPgCommand(archiveCommand(join(tmp, 'nowhere')), data, `pg_wal/${seg}`, seg), 0);
  });

  it('restores from the first directory that has the segment; a missing one is a failure', () => {
    const other = join(tmp, 'other');
    mkdirSync(other, { recursive: true });
    const cmd = restoreCommand([other, archive]);
    assert.equal(runPgCommand(cmd, data, 'pg_wal/RECOVERYXLOG', seg), 0);
    assert.deepEqual(readFileSync(join(data, 'pg_wal', 'RECOVERYXLOG')), Buffer.alloc(4096, 7));
    rmSync(join(data, 'pg_wal', 'RECOVERYXLOG'));
    assert.notEqual(runPgCommand(cmd, data, 'pg_wal/RECOVERYXLOG', '000000010000000000000004'), 0);
    assert.equal(existsSync(join(data, 'pg_wal', 'RECOVERYXLOG')), false, 'no empty file left behind');
  });

  it('passes archiving settings as separate -c arguments with a bounded archive_timeout', () => {
    const args = archiveSettings('/x');
    assert.ok(args.includes('archive_mode=on'));
    const timeout = args.find((a) => a.startsWith('archive_timeout='));
    assert.ok(timeout && Number(timeout.split('=')[1]) > 0 && Number(timeout.split('=')[1]) <= 300);
  });

  it('quotes shell words', () => {
    assert.equal(shellQuote("a'b"), `'a'\\''b'`);
    assert.equal(
      spawnSync('/bin/sh', ['-c', `printf %s ${shellQuote("x'$(id) y")}`]).stdout.toString(),
      "x'$(id) y",
    );
  });

  it('keeps each cluster (system identifier) in its own directory, refusing odd names', () => {
    assert.notEqual(serverArchiveDir('postgres', '1'), serverArchiveDir('postgres', '2'));
    assert.throws(() => serverArchiveDir('../x', '1'));
    assert.throws(() => serverArchiveDir('postgres', '1; rm'));
  });
});

describe('segments needed to recover a base backup', () => {
  const start = '000000010000000200000005';
  it('takes the start segment and every later one, and history files', () => {
    assert.equal(neededForRecovery(start, start), true);
    assert.equal(neededForRecovery('000000010000000200000006', start), true);
    assert.equal(neededForRecovery('000000010000000300000000', start), true);
    assert.equal(neededForRecovery('000000020000000200000005', start), true);
    assert.equal(neededForRecovery('00000002.history', start), true);
  });
  it('leaves out earlier segments and anything else', () => {
    assert.equal(neededForRecovery('000000010000000200000004', start), false);
    assert.equal(neededForRecovery('000000010000000100000009', start), false);
    assert.equal(neededForRecovery('000000010000000200000005.00000028.backup', start), false);
    assert.equal(neededForRecovery('.000000010000000200000006.tmp', start), false);
  });
});

describe('restore arguments', () => {
  const backup = { stoppedAt: '2026-01-01T10:00:00.000Z' };
  const now = new Date('2026-01-02T00:00:00Z');
  it('refuses a point in time before the backup is consistent, in the future, or not a date', () => {
    assert.throws(
      () => checkRecoveryTarget(new Date('2026-01-01T09:59:59Z'), backup, now),
      /consistent from/,
    );
    assert.throws(() => checkRecoveryTarget(new Date('2026-01-03T00:00:00Z'), backup, now), /future/);
    assert.throws(() => checkRecoveryTarget(new Date('yesterday'), backup, now), /not a valid date/);
  });
  it('accepts a point in time between the backup and now', () => {
    checkRecoveryTarget(new Date('2026-01-01T12:00:00Z'), backup, now);
  });

  const manifest: PostgresBackupManifest = {
    format: POSTGRES_BACKUP_FORMAT,
    createdAt: '2026-01-01T10:00:00Z',
    archiveTimeoutSeconds: 60,
    servers: [
      {
        server: 'postgres',
        orgs: ['ecta', 'ecx'],
        databases: { coffee_ecta: 16384 },
        systemIdentifier: '1',
        serverVersion: '17',
        startLsn: '0/1',
        stopLsn: '0/2',
        startWal: '000000010000000000000001',
        stopWal: '000000010000000000000001',
        startedAt: '',
        stoppedAt: '',
        archiveDir: '',
        files: [],
      },
    ],
  };
  it('finds the server holding the org database; refuses unknown orgs and missing databases', () => {
    assert.equal(serverOfOrg(manifest, 'ecta').server, 'postgres');
    assert.throws(() => serverOfOrg(manifest, 'nope'), /unknown org/);
    assert.throws(() => serverOfOrg(manifest, 'ecx'), /no database of ecx/);
  });
  it('refuses a directory without a manifest, or a manifest of another format', () => {
    assert.throws(() => readManifest(tmp), /holds no PostgreSQL backup/);
    mkdirSync(join(tmp, 'b', 'postgres'), { recursive: true });
    writeFileSync(
      join(tmp, 'b', 'postgres', 'manifest.json'),
      JSON.stringify({ format: 'other', servers: [] }),
    );
    assert.throws(() => readManifest(join(tmp, 'b')), /not a PostgreSQL backup manifest/);
  });
});

describe('schema comparison and identifiers', () => {
  it('reports tables or columns on one side only, and nothing for equal schemas', () => {
    assert.deepEqual(schemaDifferences(['a.x integer'], ['a.x integer']), []);
    assert.deepEqual(schemaDifferences(['a.x integer', 'b.y text'], ['a.x bigint']), [
      'only in the backup: a.x integer',
      'only in the backup: b.y text',
      'only in the migrated schema: a.x bigint',
    ]);
  });
  it('quotes identifiers', () => {
    assert.equal(ident('we"ird'), '"we""ird"');
  });
});

describe('size settings', () => {
  it('reads the units current_setting() uses', () => {
    assert.equal(parseSize('16MB'), 16 * 1024 * 1024);
    assert.equal(parseSize('1GB'), 1024 ** 3);
    assert.equal(parseSize('8192'), 8192);
    assert.throws(() => parseSize('16 parsecs'));
  });
});

describe('WAL archive retention', () => {
  it('removes only what is older than the oldest kept backup of the same cluster', async () => {
    const { mkdirSync: mk, writeFileSync: wr, readdirSync: ls } = await import('node:fs');
    const prev = process.env.COFFEE_RUN_DIR;
    process.env.COFFEE_RUN_DIR = join(tmp, 'run-prune');
    try {
      const kept = serverArchiveDir('postgres', '111');
      const other = serverArchiveDir('postgres', '222');
      for (const d of [kept, other]) mk(d, { recursive: true });
      const files = [
        '000000010000000000000003.gz',
        '000000010000000000000003.00000028.backup.gz',
        '000000010000000000000004.gz',
        '000000010000000000000005.00000060.backup.gz',
        '000000010000000000000005.gz',
        '000000010000000000000006.gz',
        '00000002.history.gz',
      ];
      for (const f of files) for (const d of [kept, other]) wr(join(d, f), '');
      const manifest = (start: string): PostgresBackupManifest => ({
        format: POSTGRES_BACKUP_FORMAT,
        createdAt: '',
        archiveTimeoutSeconds: 60,
        servers: [
          {
            server: 'postgres',
            orgs: [],
            databases: {},
            systemIdentifier: '111',
            serverVersion: '17',
            startLsn: '',
            stopLsn: '',
            startWal: start,
            stopWal: start,
            startedAt: '',
            stoppedAt: '',
            archiveDir: kept,
            files: [],
          },
        ],
      });
      const r = pruneWalArchive({
        keep: [manifest('000000010000000000000006'), manifest('000000010000000000000005')],
        log: () => undefined,
      });
      assert.equal(r.removed, 3);
      assert.deepEqual(ls(kept).sort(), [
        '000000010000000000000005.00000060.backup.gz',
        '000000010000000000000005.gz',
        '000000010000000000000006.gz',
        '00000002.history.gz',
      ]);
      assert.equal(ls(other).length, files.length, "another cluster's archive is left alone");
    } finally {
      if (prev === undefined) delete process.env.COFFEE_RUN_DIR;
      else process.env.COFFEE_RUN_DIR = prev;
    }
  });
});

describe('LSNs and segments', () => {
  it('converts LSNs both ways', () => {
    assert.equal(lsnToBigInt('0/4000FA8'), 0x4000fa8n);
    assert.equal(lsnToBigInt('1/0'), 0x100000000n);
    assert.equal(bigIntToLsn(0x1_0400_0fa8n), '1/4000FA8');
    assert.throws(() => lsnToBigInt('4000FA8'));
  });
  it('finds where a segment begins (16 MiB and 1 MiB segments)', () => {
    assert.equal(bigIntToLsn(segmentStart('000000010000000000000004', 16 * 1024 * 1024)), '0/4000000');
    assert.equal(bigIntToLsn(segmentStart('0000000100000002000000FF', 16 * 1024 * 1024)), '2/FF000000');
    assert.equal(bigIntToLsn(segmentStart('000000010000000100000010', 1024 * 1024)), '1/1000000');
  });
});
