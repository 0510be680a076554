/**
 * Pure parts of the backup (network/src/backup/): the manifest's checksums and what they catch, retention, which
 * backup a restore picks, the passphrase-sealed archives and their refusals, the schedule's settings.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseAt, parseInterval, parseKeep } from '../src/backup/cli.ts';
import {
  dateOfStamp,
  listBackups,
  pickBackup,
  prune,
  removeUnfinished,
  stampOf,
  verifyBackup,
  writeManifest,
} from '../src/backup/manifest.ts';
import {
  backupPassphrase,
  openArchive,
  passphraseFile,
  seal,
  sealArchive,
  unseal,
} from '../src/backup/secrets.ts';

const scratch = mkdtempSync(join(tmpdir(), 'coffee-backup-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

async function fakeBackup(root: string, name: string): Promise<string> {
  const dir = join(root, name);
  mkdirSync(join(dir, 'ipfs'), { recursive: true });
  writeFileSync(join(dir, 'ipfs', 'a.car'), `car of ${name}`);
  writeFileSync(join(dir, 'postgres.json'), '{}');
  await writeManifest(dir, {
    format: 1,
    name,
    startedAt: dateOfStamp(name).toISOString(),
    completedAt: dateOfStamp(name).toISOString(),
    channel: 'c',
    channelConfig: 'x',
    orgs: {},
    sharedSecrets: 's',
    postgres: {},
    seconds: 1,
  });
  return dir;
}

describe('backup manifest', () => {
  it('names backups by UTC stamp, sortable, and parses them back', () => {
    const d = new Date('2026-11-30T07:05:09.456Z');
    assert.equal(stampOf(d), '20261130T070509Z');
    assert.equal(dateOfStamp('20261130T070509Z').toISOString(), '2026-11-30T07:05:09.000Z');
    assert.throws(() => dateOfStamp('2026-11-30'), /not a backup name/);
  });

  it('verifies an intact backup and reports a changed, a missing and an extra file', async () => {
    const root = join(scratch, 'verify');
    const dir = await fakeBackup(root, '20261130T010000Z');
    assert.deepEqual(await verifyBackup(dir), []);
    writeFileSync(join(dir, 'ipfs', 'a.car'), 'car of 20261130T010000X'); // same size, other bytes
    rmSync(join(dir, 'postgres.json'));
    writeFileSync(join(dir, 'stray'), 'x');
    const problems = await verifyBackup(dir);
    assert.ok(
      problems.some((p) => p.startsWith('ipfs/a.car: checksum differs')),
      problems.join('; '),
    );
    assert.ok(problems.includes('postgres.json: missing'), problems.join('; '));
    assert.ok(problems.includes('stray: not in the manifest'), problems.join('; '));
  });

  it('lists only complete backups; a .partial directory or one without manifest is none', async () => {
    const root = join(scratch, 'list');
    await fakeBackup(root, '20261130T020000Z');
    mkdirSync(join(root, '20261130T030000Z.partial'), { recursive: true });
    mkdirSync(join(root, '20261130T040000Z'), { recursive: true });
    mkdirSync(join(root, 'wal'), { recursive: true });
    assert.deepEqual(
      listBackups(root).map((b) => b.name),
      ['20261130T020000Z'],
    );
  });

  it('picks the newest, the newest before --at, or a named one; refuses when none fits', async () => {
    const root = join(scratch, 'pick');
    for (const n of ['20261101T000000Z', '20261110T000000Z', '20261120T000000Z']) await fakeBackup(root, n);
    assert.equal(pickBackup({}, root).name, '20261120T000000Z');
    assert.equal(pickBackup({ at: new Date('2026-11-15T00:00:00Z') }, root).name, '20261110T000000Z');
    assert.equal(pickBackup({ name: '20261101T000000Z' }, root).name, '20261101T000000Z');
    assert.throws(
      () => pickBackup({ at: new Date('2026-10-01T00:00:00Z') }, root),
      /no backup .* taken before/,
    );
    assert.throws(() => pickBackup({ name: '20260101T000000Z' }, root), /no complete backup named/);
    assert.throws(() => pickBackup({}, join(scratch, 'empty')), /no backup in/);
  });

  it('retention keeps the newest N and refuses to keep none', async () => {
    const root = join(scratch, 'prune');
    const names = ['20261101T000000Z', '20261102T000000Z', '20261103T000000Z', '20261104T000000Z'];
    for (const n of names) await fakeBackup(root, n);
    assert.deepEqual(prune(2, root), names.slice(0, 2));
    assert.deepEqual(
      listBackups(root).map((b) => b.name),
      names.slice(2),
    );
    assert.deepEqual(prune(5, root), []);
    assert.throws(() => prune(0, root), /at least 1/);
  });

  it('what interrupted backups left is removed; complete backups, the WAL archive and the lock stay', async () => {
    const root = join(scratch, 'unfinished');
    await fakeBackup(root, '20261130T020000Z');
    mkdirSync(join(root, '20261130T030000Z.partial', 'fabric'), { recursive: true });
    writeFileSync(join(root, '20261130T030000Z.partial', 'fabric', 'half.block'), 'x');
    mkdirSync(join(root, '.extra-Ab12Cd'), { recursive: true });
    mkdirSync(join(root, 'wal', 'server-1'), { recursive: true });
    writeFileSync(join(root, '.backup.lock'), '12345');
    assert.deepEqual(removeUnfinished(root), ['.extra-Ab12Cd', '20261130T030000Z.partial']);
    assert.deepEqual(readdirSync(root).sort(), ['.backup.lock', '20261130T020000Z', 'wal']);
    assert.deepEqual(
      listBackups(root).map((b) => b.name),
      ['20261130T020000Z'],
    );
    assert.deepEqual(removeUnfinished(root), []);
    assert.deepEqual(removeUnfinished(join(scratch, 'no-such-root')), []);
  });
});

describe('backup secrets', () => {
  it('seals and opens; a wrong passphrase, a changed byte or a changed header are refused', async () => {
    const plain = Buffer.from('the org admin key');
    const sealed = await seal(plain, 'correct horse battery staple');
    assert.ok(!sealed.includes(plain), 'the plaintext is not in the sealed file');
    assert.deepEqual(await unseal(sealed, 'correct horse battery staple'), plain);
    await assert.rejects(unseal(sealed, 'wrong passphrase!!'), /does not open with this passphrase/);
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 20]! ^= 1;
    await assert.rejects(unseal(flipped, 'correct horse battery staple'), /does not open/);
    // A lowered cost in the header is authenticated like the rest.
    const weaker = Buffer.from(sealed.toString('latin1').replace('"N":32768', '"N":16384'), 'latin1');
    await assert.rejects(unseal(weaker, 'correct horse battery staple'), /does not open/);
    await assert.rejects(unseal(Buffer.from('not a backup'), 'x'), /not an encrypted backup archive/);
  });

  it('archives files (missing ones skipped) and extracts them with the passphrase only', async () => {
    const base = join(scratch, 'tree');
    mkdirSync(join(base, 'keys'), { recursive: true });
    writeFileSync(join(base, 'keys', 'k.pem'), 'KEY');
    writeFileSync(join(base, 'top.json'), '{}');
    const { sealed, included } = await sealArchive(
      base,
      ['keys', 'top.json', 'absent'],
      'a long passphrase 1',
    );
    assert.deepEqual(included, ['keys', 'top.json']);
    const file = join(scratch, 'tree.enc');
    writeFileSync(file, sealed);
    const out = join(scratch, 'out');
    mkdirSync(out);
    await assert.rejects(openArchive(file, 'another passphrase', out), /does not open/);
    await openArchive(file, 'a long passphrase 1', out);
    assert.equal(readFileSync(join(out, 'keys', 'k.pem'), 'utf8'), 'KEY');
  });

  it('production refuses a missing, weak or development passphrase; development generates one, 0600', () => {
    const runDir = join(scratch, 'run');
    const dev = { COFFEE_RUN_DIR: runDir, NODE_ENV: 'development' };
    const saved = process.env.COFFEE_RUN_DIR;
    process.env.COFFEE_RUN_DIR = runDir;
    try {
      const generated = backupPassphrase(dev, true);
      assert.ok(generated.length >= 24);
      assert.equal(statSync(passphraseFile()).mode & 0o777, 0o600);
      assert.equal(backupPassphrase(dev, true), generated, 'generated once, then reused');
      const prod = { COFFEE_RUN_DIR: runDir, NODE_ENV: 'production' };
      assert.throws(() => backupPassphrase(prod), /COFFEE_BACKUP_PASSPHRASE is required in production/);
      assert.throws(
        () => backupPassphrase({ ...prod, COFFEE_BACKUP_PASSPHRASE: generated }),
        /is the development passphrase/,
      );
      assert.throws(() => backupPassphrase({ ...prod, COFFEE_BACKUP_PASSPHRASE: 'short' }), /at least/);
      assert.equal(
        backupPassphrase({ ...prod, COFFEE_BACKUP_PASSPHRASE: 'an operator passphrase 42' }),
        'an operator passphrase 42',
      );
    } finally {
      if (saved === undefined) delete process.env.COFFEE_RUN_DIR;
      else process.env.COFFEE_RUN_DIR = saved;
    }
  });
});

describe('backup schedule settings', () => {
  it('parses intervals, refuses nonsense and anything under a minute', () => {
    assert.equal(parseInterval('24h'), 86_400_000);
    assert.equal(parseInterval('30m'), 1_800_000);
    assert.equal(parseInterval('1d'), 86_400_000);
    assert.equal(parseInterval('120'), 120_000);
    assert.throws(() => parseInterval('10s'), /at least 1 minute/);
    assert.throws(() => parseInterval('daily'), /must look like/);
    assert.equal(parseKeep(undefined), 7);
    assert.equal(parseKeep('3'), 3);
    assert.throws(() => parseKeep('0'), /at least 1/);
    assert.throws(() => parseKeep('two'), /whole number/);
  });

  it('--at takes an ISO time in the past only', () => {
    assert.equal(parseAt(undefined), undefined);
    assert.equal(parseAt('2026-01-02T03:04:05Z')!.toISOString(), '2026-01-02T03:04:05.000Z');
    assert.throws(() => parseAt('yesterday'), /ISO 8601/);
    assert.throws(() => parseAt('2999-01-01T00:00:00Z'), /in the future/);
  });
});
