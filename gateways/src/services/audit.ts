/** The audit log: who did what, when, with which transaction, and how it ended. */
import type pg from 'pg';
import type { Caller } from './deps.ts';

export interface AuditEntry {
  action: string;
  target?: string;
  txId?: string;
  outcome: 'OK' | 'REFUSED' | 'FAILED';
}

export async function audit(
  db: pg.Pool | pg.PoolClient,
  caller: Caller | undefined,
  entry: AuditEntry,
): Promise<void> {
  await db.query(
    'INSERT INTO audit_log(user_id, username, action, target, tx_id, outcome, request_id) VALUES ($1,$2,$3,$4,$5,$6,$7)',
    [
      caller?.userId ?? null,
      caller?.username ?? null,
      entry.action,
      entry.target ?? null,
      entry.txId ?? null,
      entry.outcome,
      caller?.requestId ?? null,
    ],
  );
}

/** Best effort for refusals (the database may be what failed). */
export async function auditQuietly(
  db: pg.Pool,
  caller: Caller | undefined,
  entry: AuditEntry,
): Promise<void> {
  await audit(db, caller, entry).catch(() => undefined);
}
