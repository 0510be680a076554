/**
 * The National Bank's delinquency work, per export: SHIPPED exports whose repatriation due time has passed (mark
 * them delinquent) and delinquent exports whose proceeds have arrived since (clear them). Delinquency is
 * recorded on the export (mark-delinquent / clear-delinquency); the exporter is DELINQUENT while any of its
 * exports is. Only the fx_officer acts; the chaincode re-checks every condition.
 */
import { type ReactElement, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import { getExport, listAllExports, listExporters, runAction } from '../../api/client';
import type { ExportRecord, ExportSummary } from '../../api/types';
import { Empty, Loading, ProblemMessage, StatusBadge } from '../../components/ui';
import { ageOf, formatDateTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { delinquencyClearable, isDelinquent } from '../../lib/workflow';

/** Detail reads in flight at once (list rows do not carry the repatriation due time or the delinquency). */
const PARALLEL = 4;

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface DelinquencyView {
  /** SHIPPED and past the repatriation due time (marked already or not). */
  overdue: ExportRecord[];
  /** Delinquent, with the proceeds received since (PAYMENT_RECEIVED or COMPLETED). */
  clearable: ExportRecord[];
}

function dueOf(r: ExportRecord): string | undefined {
  return r.shipment?.repatriationDueAt;
}

export async function loadDelinquency(now = Date.now()): Promise<DelinquencyView> {
  const [shipped, received, completed, exporters] = await Promise.all([
    listAllExports({ status: 'SHIPPED' }),
    listAllExports({ status: 'PAYMENT_RECEIVED' }),
    listAllExports({ status: 'COMPLETED' }),
    listExporters(),
  ]);
  // Only exporters the registry marks DELINQUENT can have a delinquent export to clear.
  const byId = new Map(exporters.map((e) => [e.exporterId, e]));
  const mayBeDelinquent = (row: ExportSummary): boolean => {
    const ex = byId.get(row.exporterId);
    return ex?.delinquent === true && (ex.delinquentExports?.includes(row.exportId) ?? true);
  };
  const candidates = [...shipped, ...[...received, ...completed].filter(mayBeDelinquent)];
  const records = await mapLimit(candidates, PARALLEL, (row) => getExport(row.exportId));
  const byDue = (a: ExportRecord, b: ExportRecord): number =>
    Date.parse(dueOf(a) ?? '') - Date.parse(dueOf(b) ?? '');
  return {
    overdue: records
      .filter((r) => {
        const due = dueOf(r);
        return r.status === 'SHIPPED' && due !== undefined && Date.parse(due) < now;
      })
      .sort(byDue),
    clearable: records.filter(delinquencyClearable).sort(byDue),
  };
}

function RowAction({
  exportId,
  action,
  label,
  confirm,
  onDone,
}: {
  exportId: string;
  action: 'mark-delinquent' | 'clear-delinquency';
  label: string;
  confirm?: boolean;
  onDone: () => void;
}): ReactElement {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<unknown>();
  // The confirmation replaces the button that asked for it, and the other way round: focus follows.
  const confirmRef = useRef<HTMLButtonElement>(null);
  const askRef = useRef<HTMLButtonElement>(null);
  const asked = useRef(false);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
    else if (asked.current) askRef.current?.focus();
    asked.current = asking;
  }, [asking]);
  async function run(): Promise<void> {
    setBusy(true);
    setProblem(undefined);
    try {
      await runAction(exportId, action, {});
      onDone();
    } catch (e: unknown) {
      setProblem(e);
    } finally {
      setBusy(false);
      setAsking(false);
    }
  }
  return (
    <div className="row-action">
      {confirm && asking ? (
        <>
          <button
            ref={confirmRef}
            type="button"
            className="danger small"
            disabled={busy}
            onClick={() => void run()}
            aria-label={`Confirm: ${label} ${exportId}`}
          >
            {busy ? 'Working…' : `Confirm: ${label.toLowerCase()}`}
          </button>{' '}
          <button type="button" className="secondary small" disabled={busy} onClick={() => setAsking(false)}>
            Cancel
          </button>
        </>
      ) : (
        <button
          ref={askRef}
          type="button"
          className={confirm ? 'secondary small danger-outline' : 'secondary small'}
          disabled={busy}
          aria-label={`${label} ${exportId}`}
          onClick={() => (confirm ? setAsking(true) : void run())}
        >
          {busy ? 'Working…' : label}
        </button>
      )}
      <ProblemMessage error={problem} />
    </div>
  );
}

function ExportLink({ id }: { id: string }): ReactElement {
  return <Link to={`/exports/${encodeURIComponent(id)}`}>{id}</Link>;
}

export function DelinquencyPanel({ canAct }: { canAct: boolean }): ReactElement {
  const state = useAsync(() => loadDelinquency(), []);
  const v = state.data;
  return (
    <section className="card" aria-labelledby="delinquency-title" data-testid="delinquency">
      <h2 id="delinquency-title">Export proceeds and delinquency</h2>
      <p className="muted small">
        An export is delinquent when its proceeds are not repatriated by the due time after shipment; its
        exporter gets no new FX approval while any of its exports is delinquent.
      </p>
      {state.loading && <Loading label="Looking for overdue proceeds…" />}
      <ProblemMessage error={state.error} onRetry={state.reload} />
      {v && (
        <>
          <h3 id="overdue-title">Proceeds overdue (shipped, past the repatriation due time)</h3>
          {v.overdue.length === 0 ? (
            <Empty>No shipped export is past its repatriation due time.</Empty>
          ) : (
            <div className="table-wrap">
              <table aria-labelledby="overdue-title">
                <thead>
                  <tr>
                    <th scope="col">Export</th>
                    <th scope="col">Exporter</th>
                    <th scope="col">Repatriation due</th>
                    <th scope="col">Overdue by</th>
                    <th scope="col">Delinquency</th>
                  </tr>
                </thead>
                <tbody>
                  {v.overdue.map((r) => (
                    <tr key={r.exportId}>
                      <td className="nowrap" data-label="Export">
                        <ExportLink id={r.exportId} />
                      </td>
                      <td data-label="Exporter">{r.exporterId}</td>
                      <td data-label="Repatriation due">{formatDateTime(dueOf(r))}</td>
                      <td data-label="Overdue by">{ageOf(dueOf(r))}</td>
                      <td data-label="Delinquency">
                        {isDelinquent(r) ? (
                          <span className="badge badge-rejected">
                            Delinquent since {formatDateTime(r.delinquency?.markedAt)}
                          </span>
                        ) : canAct ? (
                          <RowAction
                            exportId={r.exportId}
                            action="mark-delinquent"
                            label="Mark delinquent"
                            confirm
                            onDone={state.reload}
                          />
                        ) : (
                          'Not marked'
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <h3 id="clearable-title">Delinquent, proceeds since received</h3>
          {v.clearable.length === 0 ? (
            <Empty>No delinquent export has received its proceeds.</Empty>
          ) : (
            <div className="table-wrap">
              <table aria-labelledby="clearable-title">
                <thead>
                  <tr>
                    <th scope="col">Export</th>
                    <th scope="col">Exporter</th>
                    <th scope="col">Status</th>
                    <th scope="col">Delinquent since</th>
                    {canAct && <th scope="col">Clear</th>}
                  </tr>
                </thead>
                <tbody>
                  {v.clearable.map((r) => (
                    <tr key={r.exportId}>
                      <td className="nowrap" data-label="Export">
                        <ExportLink id={r.exportId} />
                      </td>
                      <td data-label="Exporter">{r.exporterId}</td>
                      <td data-label="Status">
                        <StatusBadge status={r.status} />
                      </td>
                      <td data-label="Delinquent since">{formatDateTime(r.delinquency?.markedAt)}</td>
                      {canAct && (
                        <td data-label="Clear">
                          <RowAction
                            exportId={r.exportId}
                            action="clear-delinquency"
                            label="Clear delinquency"
                            onDone={state.reload}
                          />
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}
