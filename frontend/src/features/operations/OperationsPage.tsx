/**
 * Operations (org admins and auditors): the consortium's health and this organization's numbers, from Prometheus
 * through the org's gateway (GET /operations/panels — fixed queries there, only a range chosen here). Charts are
 * drawn with uPlot; tables for exports by status, turnaround and the alerts now firing. Each panel shows its chart
 * or table, an empty state, or its own error (`data-testid="panel-error"`); Prometheus unavailable is one message
 * for the whole page. The panels reload every 30 s while the page is open.
 */
import { type ReactElement, useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import {
  ApiError,
  type OperationsPanel,
  type OperationsRange,
  type OperationsTable,
  operationsPanels,
} from '../../api/client';
import type { ExportStatus } from '../../api/types';
import { Empty, Loading, ProblemMessage } from '../../components/ui';
import { formatDateTime, formatDuration } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { usePageTitle } from '../../lib/usePageTitle';
import { STATUS_LABELS } from '../../lib/workflow';
import { useSession } from '../auth/session';
import { TimeseriesChart } from './TimeseriesChart';

export const RANGES: { key: OperationsRange; label: string }[] = [
  { key: '15m', label: '15 min' },
  { key: '1h', label: '1 h' },
  { key: '6h', label: '6 h' },
];
const REFRESH_MS = 30_000;

/** Who sees the page and its navigation entry (the gateway refuses every other role too). */
export function mayReadOperations(role: string | undefined): boolean {
  return role === 'admin' || role === 'auditor';
}

const rangeOf = (raw: string | null): OperationsRange => RANGES.find((r) => r.key === raw)?.key ?? '1h';

/** A table cell: statuses by their label, durations readable, times in UTC. */
function cell(column: OperationsTable['columns'][number], value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  if (column.unit === 'seconds' && typeof value === 'number') return formatDuration(value * 1000);
  if (column.key === 'since' && typeof value === 'string') return formatDateTime(value);
  if (typeof value === 'string' && value in STATUS_LABELS) return STATUS_LABELS[value as ExportStatus];
  return String(value);
}

/** What an empty panel says: nothing wrong, just nothing to show yet. */
const EMPTY_TEXT: Record<string, string> = {
  alerts: 'No alert is firing.',
  'exports-by-status': 'No exports in this organization’s read model yet.',
  turnaround: 'This organization has moved no export on since its gateway started.',
  latency: 'No requests to this gateway in this range yet.',
};

function PanelBody({ panel }: { panel: OperationsPanel }): ReactElement {
  if (panel.error)
    return (
      <div className="problem" role="alert" data-testid="panel-error">
        <p className="problem-title">This panel could not be read</p>
        <p className="problem-detail">{panel.error.detail}</p>
        <p className="problem-code">
          Code: <code>{panel.error.code}</code>
        </p>
      </div>
    );
  const empty = panel.kind === 'timeseries' ? panel.series.length === 0 : panel.rows.length === 0;
  if (empty)
    return (
      <Empty>
        <p data-testid="panel-empty">{EMPTY_TEXT[panel.id] ?? 'No data in this range yet.'}</p>
      </Empty>
    );
  if (panel.kind === 'timeseries') return <TimeseriesChart panel={panel} />;
  return (
    <div className="table-wrap" data-testid="panel-table">
      <table>
        <caption className="sr-only">{panel.title}</caption>
        <thead>
          <tr>
            {panel.columns.map((c) => (
              <th key={c.key} scope="col">
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {panel.rows.map((row, i) => (
            <tr key={i}>
              {panel.columns.map((c) => (
                <td key={c.key} data-label={c.label}>
                  {cell(c, row[c.key])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function panelState(panel: OperationsPanel): 'error' | 'empty' | 'data' {
  if (panel.error) return 'error';
  return (panel.kind === 'timeseries' ? panel.series.length : panel.rows.length) === 0 ? 'empty' : 'data';
}

export function OperationsPage(): ReactElement {
  usePageTitle('Operations');
  const session = useSession();
  const allowed = mayReadOperations(session?.user.role);
  const [params, setParams] = useSearchParams();
  // The range just picked, until the URL has it: the router applies a search change as a transition, later than
  // the click, and the radio would snap back meanwhile. Any change of the URL (the back button too) wins.
  const [picked, setPicked] = useState<OperationsRange>();
  useEffect(() => setPicked(undefined), [params]);
  const range = picked ?? rangeOf(params.get('range'));
  const view = useAsync(async () => (allowed ? operationsPanels(range) : undefined), [range, allowed]);
  // refresh() is a new function at every render: the timer calls the latest one, and restarts only with the range.
  const refresh = useRef(view.refresh);
  refresh.current = view.refresh;
  useEffect(() => {
    if (!allowed) return;
    const timer = setInterval(() => refresh.current(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [allowed, range]);

  if (!allowed)
    return (
      <section aria-labelledby="operations-title">
        <h1 id="operations-title">Operations</h1>
        <p className="problem" role="alert">
          Only administrators and auditors see the Operations page.
        </p>
      </section>
    );

  const unavailable = view.error instanceof ApiError && view.error.code === 'MONITORING_UNAVAILABLE';
  return (
    <section aria-labelledby="operations-title">
      <h1 id="operations-title">Operations</h1>
      <p className="muted">
        The consortium’s nodes and this organization’s gateway, from Prometheus. Node panels cover every
        organization; latency, projector lag, exports and turnaround are this organization’s own.
      </p>
      <fieldset className="ops-range">
        <legend>Range</legend>
        {RANGES.map((r) => (
          <label key={r.key}>
            <input
              type="radio"
              name="range"
              value={r.key}
              checked={range === r.key}
              onChange={() => {
                setPicked(r.key);
                setParams(r.key === '1h' ? {} : { range: r.key });
              }}
            />{' '}
            {r.label}
          </label>
        ))}
      </fieldset>
      {view.loading && !view.data && <Loading label="Reading Prometheus…" />}
      {unavailable ? (
        <div className="problem" role="alert" data-testid="monitoring-unavailable">
          <p className="problem-title">Monitoring is unavailable</p>
          <p className="problem-detail">{(view.error as ApiError).message}</p>
          <button type="button" className="secondary" onClick={view.reload}>
            Try again
          </button>
        </div>
      ) : (
        <ProblemMessage error={view.error} onRetry={view.reload} />
      )}
      {view.data && (
        <div className="ops-grid">
          {view.data.panels.map((p) => (
            <section
              key={p.id}
              className="card ops-panel"
              aria-labelledby={`ops-${p.id}`}
              data-testid="ops-panel"
              data-panel={p.id}
              data-state={panelState(p)}
            >
              <h2 id={`ops-${p.id}`}>{p.title}</h2>
              <p className="muted small">{p.description}</p>
              <PanelBody panel={p} />
            </section>
          ))}
        </div>
      )}
    </section>
  );
}
