/** Migrations: strictly ordered, gap-free, append-only list. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkMigrations, MIGRATIONS, type Migration } from '../src/db/migrations.ts';

describe('migrations', () => {
  it('the shipped list is ordered 1..n without gaps', () => {
    checkMigrations(MIGRATIONS);
    assert.deepEqual(
      MIGRATIONS.map((m) => m.version),
      MIGRATIONS.map((_, i) => i + 1),
    );
  });

  it('refuses out-of-order, duplicate and gapped lists', () => {
    const m = (version: number): Migration => ({ version, name: `m${version}`, sql: 'SELECT 1' });
    assert.throws(() => checkMigrations([m(2), m(1)]), /expected 1/);
    assert.throws(() => checkMigrations([m(1), m(1)]), /expected 2/);
    assert.throws(() => checkMigrations([m(1), m(3)]), /expected 2/);
  });

  it('covers every table the spec asks for', () => {
    const sql = MIGRATIONS.map((x) => x.sql).join('\n');
    for (const table of [
      'users',
      'refresh_tokens',
      'audit_log',
      'export_details',
      'documents',
      'rm_exports',
      'rm_events',
      'projector_checkpoint',
      'idempotency_keys',
    ]) {
      assert.match(sql, new RegExp(`CREATE TABLE ${table} \\(`), table);
    }
  });
});
