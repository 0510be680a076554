/** "What needs me now": the role's queues with counts and age; exporters also see their requests by status. */
import type { ReactElement } from 'react';
import { Link } from 'react-router-dom';
import { listAllExports } from '../../api/client';
import type { ExportStatus, ExportSummary } from '../../api/types';
import { Empty, Loading, ProblemMessage, StatusBadge } from '../../components/ui';
import { useSession } from '../auth/session';
import { ageOf } from '../../lib/format';
import { noExportsYet } from '../../lib/guidance';
import { usePageTitle } from '../../lib/usePageTitle';
import { QUEUES, ROLE_LABELS, STATUS_LABELS, type QueueDef } from '../../lib/workflow';
import { useAsync } from '../../lib/useAsync';
import { readsExports } from '../../lib/access';
import { useExportEvents } from '../../lib/useExportEvents';

interface Loaded {
  def: QueueDef;
  rows: ExportSummary[];
}

function oldestFirst(rows: ExportSummary[]): ExportSummary[] {
  return [...rows].sort((a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt));
}

export function ExportTable({
  rows,
  caption,
  showStatus = true,
}: {
  rows: ExportSummary[];
  caption: string;
  showStatus?: boolean;
}): ReactElement {
  const lastColumn = showStatus ? 'Last change' : 'Waiting';
  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Export</th>
            <th scope="col">Exporter</th>
            <th scope="col">Buyer</th>
            {showStatus && <th scope="col">Status</th>}
            <th scope="col">{lastColumn}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.exportId}>
              <td className="nowrap" data-label="Export">
                <Link to={`/exports/${encodeURIComponent(r.exportId)}`}>{r.exportId}</Link>
              </td>
              <td data-label="Exporter">{r.exporterId}</td>
              <td data-label="Buyer">{r.contract?.buyerName ?? r.buyerName ?? '—'}</td>
              {showStatus && (
                <td data-label="Status">
                  <StatusBadge status={r.status} />
                </td>
              )}
              <td data-label={lastColumn}>{ageOf(r.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Dashboard(): ReactElement | null {
  const session = useSession();
  const role = session?.user.role;
  const exporterId = session?.user.exporterId;
  const reader = session ? readsExports(session) : false;
  usePageTitle(reader ? 'What needs me now' : 'Administration');
  const queues = role && reader ? QUEUES[role] : [];
  const state = useAsync<Loaded[]>(
    () =>
      Promise.all(
        queues.map(async (def) => {
          const items = await listAllExports({
            status: def.status,
            exporterId: def.own ? exporterId : undefined,
          });
          return { def, rows: oldestFirst(def.filter ? items.filter(def.filter) : items) };
        }),
      ),
    [role, exporterId],
  );
  const overview = useAsync<ExportSummary[]>(
    async () => (reader ? listAllExports({ exporterId: role === 'exporter' ? exporterId : undefined }) : []),
    [role, exporterId, reader],
  );
  // Live: a queue reloads when an export reaches or leaves one of its statuses; the overview on any event.
  const queueStatuses = new Set<string>(queues.map((q) => q.status));
  useExportEvents(
    reader,
    (e) => queueStatuses.has(e.status ?? '') || queueStatuses.has(e.previousStatus ?? ''),
    state.refresh,
  );
  useExportEvents(reader, () => true, overview.refresh);
  if (!session || !role) return null;
  if (!reader) {
    // Need-to-know: an org administrator manages the org's users and reads no exports.
    return (
      <section aria-labelledby="dash-title">
        <h1 id="dash-title">Administration</h1>
        <p className="muted">{ROLE_LABELS[role]} · you manage your organization’s users</p>
        <div className="card">
          <p>
            Administrators create and suspend the users of their organization. Exports, documents and trade
            terms are shown only to the roles that take part in them (and to auditors), so this account sees
            none.
          </p>
          <p>
            <Link className="button" to="/users">
              Manage users
            </Link>
          </p>
        </div>
      </section>
    );
  }
  const total = state.data?.reduce((n, q) => n + q.rows.length, 0) ?? 0;

  const byStatus = new Map<ExportStatus, number>();
  for (const r of overview.data ?? []) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);

  return (
    <section aria-labelledby="dash-title">
      <h1 id="dash-title">What needs me now</h1>
      <p className="muted">
        {ROLE_LABELS[role]} ·{' '}
        {queues.length > 0
          ? `${total} export${total === 1 ? '' : 's'} waiting for you`
          : 'No workflow queue for this role'}
      </p>
      {role === 'exporter' && (
        <p>
          <Link className="button" to="/exports/new">
            Start a new export request
          </Link>
        </p>
      )}
      {state.loading && <Loading label="Loading your queues…" />}
      <ProblemMessage error={state.error} onRetry={state.reload} />
      {state.data && (
        <div className="queues">
          {state.data.map(({ def, rows }) => (
            <section
              key={`${def.status}-${def.title}`}
              className="card queue"
              aria-labelledby={`q-${def.status}`}
            >
              <h2 id={`q-${def.status}`}>
                {def.title}{' '}
                <span className="count">
                  <span aria-hidden="true">{rows.length}</span>
                  <span className="sr-only">{rows.length} waiting</span>
                </span>
              </h2>
              {rows.length === 0 ? (
                <Empty>Nothing waiting. {def.whenEmpty}</Empty>
              ) : (
                <>
                  <p className="muted small">Oldest waiting: {ageOf(rows[0]?.updatedAt)}</p>
                  <ExportTable
                    rows={rows}
                    caption={def.title}
                    showStatus={def.status === 'AMENDMENT_REQUESTED'}
                  />
                </>
              )}
            </section>
          ))}
        </div>
      )}
      <section className="card" aria-labelledby="overview-title">
        <h2 id="overview-title">{role === 'exporter' ? 'My requests by status' : 'All exports by status'}</h2>
        {overview.loading && <Loading />}
        <ProblemMessage error={overview.error} onRetry={overview.reload} />
        {overview.data && overview.data.length === 0 && <Empty>{noExportsYet(role)}</Empty>}
        {overview.data && overview.data.length > 0 && (
          <>
            <ul className="status-counts">
              {[...byStatus.entries()].map(([s, n]) => (
                <li key={s}>
                  <Link to={`/exports?status=${s}`}>
                    {STATUS_LABELS[s]} <strong>{n}</strong>
                  </Link>
                </li>
              ))}
            </ul>
            {role === 'exporter' && <ExportTable rows={overview.data} caption="My requests" />}
          </>
        )}
      </section>
    </section>
  );
}
