/** Time spent at each agency per export (from ledger history) and the average. */
import type { ReactElement } from 'react';
import { Link } from 'react-router-dom';
import { getHistory, listExports } from '../../api/client';
import { Empty, Loading, ProblemMessage, StatusBadge } from '../../components/ui';
import { formatDuration } from '../../lib/format';
import { type Turnaround, averages, turnaroundOf } from '../../lib/turnaround';
import { turnaroundEmpty } from '../../lib/guidance';
import { useAsync } from '../../lib/useAsync';
import { usePageTitle } from '../../lib/usePageTitle';
import { useSession } from '../auth/session';
import { AGENCIES } from '../../lib/workflow';
import type { ExportSummary } from '../../api/types';

const LIMIT = 50;

async function load(): Promise<Array<{ row: ExportSummary; t: Turnaround }>> {
  const page = await listExports({ limit: LIMIT });
  const out: Array<{ row: ExportSummary; t: Turnaround }> = [];
  // A few at a time: each history is a ledger query at the gateway.
  for (let i = 0; i < page.items.length; i += 5) {
    const chunk = page.items.slice(i, i + 5);
    const histories = await Promise.all(chunk.map((r) => getHistory(r.exportId).catch(() => [])));
    chunk.forEach((row, j) => out.push({ row, t: turnaroundOf(row.exportId, histories[j] ?? []) }));
  }
  return out;
}

export function TurnaroundPage(): ReactElement {
  usePageTitle('Turnaround by agency');
  const session = useSession();
  const state = useAsync(load, []);
  const rows = state.data ?? [];
  const avg = averages(rows.map((r) => r.t));
  const cols = AGENCIES.filter((a) => rows.some((r) => r.t.byAgency[a] !== undefined));
  return (
    <section aria-labelledby="ta-title">
      <h1 id="ta-title">Turnaround by agency</h1>
      <p className="muted">
        Time each export spent waiting at each agency (the exporter’s column is time spent on amendments).
        Latest {LIMIT} exports.
      </p>
      {state.loading && <Loading label="Reading ledger histories…" />}
      <ProblemMessage error={state.error} onRetry={state.reload} />
      {state.data && rows.length === 0 && <Empty>{turnaroundEmpty(session?.user.role)}</Empty>}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table className="turnaround">
            <caption className="sr-only">Turnaround per export and agency</caption>
            <thead>
              <tr>
                <th scope="col">Export</th>
                <th scope="col">Status</th>
                {cols.map((a) => (
                  <th key={a} scope="col">
                    {a}
                  </th>
                ))}
                <th scope="col">Total</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ row, t }) => (
                <tr key={row.exportId}>
                  <th scope="row" data-label="Export">
                    <Link to={`/exports/${encodeURIComponent(row.exportId)}`}>{row.exportId}</Link>
                  </th>
                  <td data-label="Status">
                    <StatusBadge status={row.status} />
                  </td>
                  {cols.map((a) => (
                    <td key={a} data-label={a}>
                      {t.byAgency[a] === undefined ? '—' : formatDuration(t.byAgency[a] ?? 0)}
                    </td>
                  ))}
                  <td data-label="Total">
                    {formatDuration(t.totalMs)}
                    {!t.finished && <span className="muted small"> (running)</span>}
                  </td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">Average</th>
                <td />
                {cols.map((a) => (
                  <td key={a} data-label={a}>
                    <strong>
                      {avg.byAgency[a] === undefined ? '—' : formatDuration(avg.byAgency[a] ?? 0)}
                    </strong>
                  </td>
                ))}
                <td data-label="Total">
                  <strong>{formatDuration(avg.totalMs)}</strong>
                </td>
              </tr>
            </tfoot>
          </table>
        </div>
      )}
    </section>
  );
}
