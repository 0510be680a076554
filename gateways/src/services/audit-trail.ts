/**
 * Reading the audit log (auditors and org admins of this gateway's org): filters, keyset paging (newest first,
 * by id: a cursor stays right while new entries arrive) and a CSV export. Each entry with a transaction carries
 * `txId` and a `link` the portal opens: the export's page at that transaction when the target is an export,
 * else the audit page filtered to that transaction.
 */
import type { AuditEntry } from '@coffee/consortium';
import type pg from 'pg';
import { query } from '../db/pool.ts';
import { AppError } from '../errors.ts';

export interface AuditQuery {
  user?: string;
  action?: string;
  outcome?: 'OK' | 'REFUSED' | 'FAILED';
  target?: string;
  txId?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit: number;
}

/** An audit entry as the API answers it (@coffee/consortium: the portal reads the same shape). */
export type AuditItem = AuditEntry;

interface AuditRow {
  id: string;
  at: Date;
  user_id: string | null;
  username: string | null;
  action: string;
  target: string | null;
  tx_id: string | null;
  outcome: string;
  request_id: string | null;
}

/** The portal path an entry links to (pure): its export at that transaction, or the entries of that transaction. */
export function auditLink(action: string, target: string | null, txId: string | null): string | null {
  if (!txId) return null;
  if (action.startsWith('exports.') && target)
    return `/exports/${encodeURIComponent(target)}?tx=${encodeURIComponent(txId)}`;
  return `/audit?txId=${encodeURIComponent(txId)}`;
}

/**
 * A cursor is the id of the last entry of the previous page, base64url (opaque to clients). Pages go by id, the
 * order of insertion (`at` is its transaction's start, microseconds, and not strictly in id order).
 */
export function encodeCursor(id: string): string {
  return Buffer.from(`a:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const m = /^a:(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new AppError(400, 'INVALID_CURSOR', 'the cursor is not one this gateway issued');
  return m[1]!;
}

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF (quotes doubled). A field a
 * spreadsheet would run as a formula (= + - @, tab, CR first) gets a leading apostrophe: entries hold user input.
 */
export function csvField(value: string | null | undefined): string {
  if (value === null || value === undefined) return '';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export const CSV_COLUMNS = [
  'id',
  'at',
  'username',
  'userId',
  'action',
  'target',
  'outcome',
  'txId',
  'requestId',
] as const;

export function csvLine(item: AuditItem): string {
  return CSV_COLUMNS.map((c) => csvField(item[c])).join(',') + '\r\n';
}

const item = (r: AuditRow): AuditItem => ({
  id: r.id,
  at: r.at.toISOString(),
  userId: r.user_id,
  username: r.username,
  action: r.action,
  target: r.target,
  outcome: r.outcome,
  txId: r.tx_id,
  requestId: r.request_id,
  link: auditLink(r.action, r.target, r.tx_id),
});

/** The WHERE clause and its values for a query's filters (the cursor included). */
function where(q: AuditQuery): { sql: string; values: unknown[] } {
  const conds: string[] = [];
  const values: unknown[] = [];
  const add = (sql: string, v: unknown): void => {
    values.push(v);
    conds.push(sql.replace('?', `$${values.length}`));
  };
  if (q.user !== undefined) {
    // A user id (uuid) or a username.
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(q.user))
      add('user_id = ?::uuid', q.user);
    else add('username = ?', q.user);
  }
  // An action ending in `.*` is a prefix: `exports.*` is every export action.
  if (q.action !== undefined) {
    if (q.action.endsWith('.*'))
      add("action LIKE ? || '%'", q.action.slice(0, -1).replace(/[%_\\]/g, '\\$&'));
    else add('action = ?', q.action);
  }
  if (q.outcome !== undefined) add('outcome = ?', q.outcome);
  if (q.target !== undefined) add('target = ?', q.target);
  if (q.txId !== undefined) add('tx_id = ?', q.txId);
  if (q.from !== undefined) add('at >= ?::timestamptz', q.from);
  if (q.to !== undefined) add('at < ?::timestamptz', q.to);
  if (q.cursor !== undefined) {
    add('id < ?::bigint', decodeCursor(q.cursor));
  }
  return { sql: conds.length ? `WHERE ${conds.join(' AND ')}` : '', values };
}

export class AuditTrail {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async page(q: AuditQuery): Promise<{ items: AuditItem[]; nextCursor: string | null }> {
    const w = where(q);
    const r = await query<AuditRow>(
      this.#pool,
      `SELECT id, at, user_id, username, action, target, tx_id, outcome, request_id FROM audit_log ${w.sql}
        ORDER BY id DESC LIMIT $${w.values.length + 1}`,
      [...w.values, q.limit + 1],
    );
    const rows = r.rows.slice(0, q.limit);
    const last = rows[rows.length - 1];
    return {
      items: rows.map(item),
      nextCursor: r.rows.length > q.limit && last ? encodeCursor(last.id) : null,
    };
  }

  /**
   * Every matching entry as CSV lines (header first), read page by page so a large export never sits in memory
   * at once; at most `max` entries.
   */
  async *csv(q: Omit<AuditQuery, 'limit' | 'cursor'>, max = 100_000): AsyncGenerator<string> {
    // The first page is read before the header line is yielded: a failing database fails the first next().
    let page = await this.page({ ...q, limit: Math.min(1000, max) });
    yield CSV_COLUMNS.join(',') + '\r\n';
    let sent = 0;
    for (;;) {
      for (const i of page.items) yield csvLine(i);
      sent += page.items.length;
      if (!page.nextCursor || sent >= max) return;
      page = await this.page({ ...q, cursor: page.nextCursor, limit: Math.min(1000, max - sent) });
    }
  }
}
