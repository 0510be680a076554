/**
 * The org's audit log (auditors and org admins): who did what, when, how it ended, and the ledger transaction
 * it made (a link to the export at that transaction). Filters live in the URL (`/audit?user=…&txId=…`), so an
 * entry's link to "the entries of this transaction" is a plain link; pages load on demand; CSV saves every
 * matching entry.
 */
import { type FormEvent, type ReactElement, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { type AuditEntry, type AuditFilters, auditCsv, listAudit } from '../../api/client';
import { Empty, Loading, ProblemMessage } from '../../components/ui';
import { saveBlob } from '../../lib/download';
import { formatDateTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { usePageTitle } from '../../lib/usePageTitle';
import { useSession } from '../auth/session';

const FIELDS = ['user', 'action', 'outcome', 'target', 'txId', 'from', 'to'] as const;
const PAGE = 50;

/** The filters of a URL query (dates as the gateway takes them: a date's start, ISO). */
export function filtersOf(params: URLSearchParams): AuditFilters {
  const f: Record<string, string> = {};
  for (const k of FIELDS) {
    const v = params.get(k)?.trim();
    if (v) f[k] = v;
  }
  // The gateway validates each value (an unknown outcome is its 400, shown as a problem).
  return f;
}

export function mayReadAudit(role: string | undefined): boolean {
  return role === 'admin' || role === 'auditor';
}

export function AuditPage(): ReactElement {
  usePageTitle('Audit log');
  const session = useSession();
  const [params, setParams] = useSearchParams();
  const filters = filtersOf(params);
  const key = JSON.stringify(filters);
  const allowed = mayReadAudit(session?.user.role);
  const [more, setMore] = useState<{ key: string; items: AuditEntry[]; cursor: string | null }>();
  const [loadingMore, setLoadingMore] = useState(false);
  const [problem, setProblem] = useState<unknown>();
  const first = useAsync(
    async () => (allowed ? listAudit(filters, undefined, PAGE) : { items: [], nextCursor: null }),
    [key, allowed],
  );
  if (!allowed)
    return (
      <section aria-labelledby="audit-title">
        <h1 id="audit-title">Audit log</h1>
        <p className="problem" role="alert">
          Only auditors and administrators read the audit log.
        </p>
      </section>
    );

  const extra = more?.key === key ? more : undefined;
  const items = [...(first.data?.items ?? []), ...(extra?.items ?? [])];
  const cursor = extra ? extra.cursor : (first.data?.nextCursor ?? null);

  const apply = (e: FormEvent<HTMLFormElement>): void => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const next = new URLSearchParams();
    for (const k of FIELDS) {
      const raw = data.get(k);
      const v = typeof raw === 'string' ? raw.trim() : '';
      if (v) next.set(k, v);
    }
    setParams(next);
  };
  const loadMore = async (): Promise<void> => {
    if (!cursor) return;
    setLoadingMore(true);
    setProblem(undefined);
    try {
      const page = await listAudit(filters, cursor, PAGE);
      setMore({ key, items: [...(extra?.items ?? []), ...page.items], cursor: page.nextCursor });
    } catch (err: unknown) {
      setProblem(err);
    } finally {
      setLoadingMore(false);
    }
  };
  const download = async (): Promise<void> => {
    setProblem(undefined);
    try {
      saveBlob(await auditCsv(filters), 'audit-log.csv');
    } catch (err: unknown) {
      setProblem(err);
    }
  };

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <p className="muted">
        Every sign-in, user change, document and workflow step at this organization’s gateway, newest first.
      </p>
      <form className="card filters" onSubmit={apply} aria-label="Filter the audit log">
        <label>
          User <input name="user" defaultValue={filters.user ?? ''} autoComplete="off" />
        </label>
        <label>
          Action{' '}
          <input
            name="action"
            defaultValue={filters.action ?? ''}
            placeholder="exports.*"
            autoComplete="off"
          />
        </label>
        <label>
          Outcome{' '}
          <select name="outcome" defaultValue={filters.outcome ?? ''}>
            <option value="">any</option>
            <option value="OK">OK</option>
            <option value="REFUSED">Refused</option>
            <option value="FAILED">Failed</option>
          </select>
        </label>
        <label>
          Target <input name="target" defaultValue={filters.target ?? ''} autoComplete="off" />
        </label>
        <label>
          Transaction <input name="txId" defaultValue={filters.txId ?? ''} autoComplete="off" />
        </label>
        <label>
          From <input type="date" name="from" defaultValue={filters.from ?? ''} />
        </label>
        <label>
          Before <input type="date" name="to" defaultValue={filters.to ?? ''} />
        </label>
        <div className="actions">
          <button type="submit">Apply filters</button>{' '}
          <button type="button" className="secondary" onClick={() => void download()}>
            Download CSV
          </button>
        </div>
      </form>
      {first.loading && !first.data && <Loading label="Reading the audit log…" />}
      <ProblemMessage error={first.error ?? problem} onRetry={first.reload} />
      {first.data && items.length === 0 && <Empty>No audit entries match these filters.</Empty>}
      {items.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Audit entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">User</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
                <th scope="col">Transaction</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.id}>
                  <td data-label="When">{formatDateTime(e.at)}</td>
                  <td data-label="User">{e.username ?? '—'}</td>
                  <td data-label="Action">{e.action}</td>
                  <td data-label="Target">{e.target ?? '—'}</td>
                  <td data-label="Outcome">{e.outcome}</td>
                  <td data-label="Transaction" className="hash">
                    {e.txId && e.link ? (
                      <Link to={e.link} title={e.txId}>
                        {e.txId.slice(0, 12)}…
                      </Link>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <p>
          <button type="button" className="secondary" disabled={loadingMore} onClick={() => void loadMore()}>
            {loadingMore ? 'Loading…' : 'Load more'}
          </button>
        </p>
      )}
    </section>
  );
}
