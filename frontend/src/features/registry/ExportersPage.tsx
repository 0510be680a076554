/**
 * Exporter licences (ECTA writes, everyone reads). For the National Bank also its per-export delinquency work and
 * the workflow deadlines it decides together with ECTA.
 */
import { type FormEvent, type ReactElement, useEffect, useRef, useState } from 'react';
import { createExporter, listExporters, updateExporter } from '../../api/client';
import { EXPORTER_STATUSES, type Exporter } from '../../api/types';
import { Field, options } from '../../components/Field';
import { Empty, Loading, ProblemMessage, Success } from '../../components/ui';
import { formatDate } from '../../lib/format';
import { noExportersYet } from '../../lib/guidance';
import { useAsync } from '../../lib/useAsync';
import { usePageTitle } from '../../lib/usePageTitle';
import {
  type Errors,
  date,
  hasErrors,
  oneOf,
  optional,
  rules,
  text,
  validateAll,
} from '../../lib/validation';
import { useSession } from '../auth/session';
import { DelinquencyPanel } from './DelinquencyPanel';
import { WorkflowConfigPanel } from './WorkflowConfigPanel';

type NewKey = 'exporterId' | 'legalName' | 'tin' | 'licenceNumber' | 'licenceValidUntil';
export const exporterValidators = {
  exporterId: rules.exportId,
  legalName: text('Legal name', 200),
  tin: rules.tin,
  licenceNumber: rules.reference('Licence number'),
  licenceValidUntil: date('Licence valid until', { after: () => Date.now(), afterLabel: 'today' }),
};

function NewExporterForm({ onDone }: { onDone: () => void }): ReactElement {
  const empty: Record<NewKey, string> = {
    exporterId: '',
    legalName: '',
    tin: '',
    licenceNumber: '',
    licenceValidUntil: '',
  };
  const [v, setV] = useState(empty);
  const [errors, setErrors] = useState<Errors<NewKey>>({});
  const [problem, setProblem] = useState<unknown>();
  const [ok, setOk] = useState<string>();
  const [busy, setBusy] = useState(false);
  async function onSubmit(e: FormEvent): Promise<void> {
    e.preventDefault();
    const errs = validateAll(v, exporterValidators);
    setErrors(errs);
    setOk(undefined);
    if (hasErrors(errs)) return;
    setBusy(true);
    setProblem(undefined);
    try {
      await createExporter({ ...v, exporterId: v.exporterId.trim(), legalName: v.legalName.trim() });
      setOk(`Exporter ${v.exporterId} licensed.`);
      setV(empty);
      onDone();
    } catch (err: unknown) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  }
  const set = (k: NewKey) => (x: string) => setV((s) => ({ ...s, [k]: x }));
  return (
    <form className="card" onSubmit={(e) => void onSubmit(e)} noValidate aria-labelledby="new-exp">
      <h2 id="new-exp">License an exporter</h2>
      <div className="form-grid">
        <Field
          label="Exporter id"
          name="exporterId"
          required
          value={v.exporterId}
          onChange={set('exporterId')}
          error={errors.exporterId}
        />
        <Field
          label="Legal name"
          name="legalName"
          required
          value={v.legalName}
          onChange={set('legalName')}
          error={errors.legalName}
        />
        <Field
          label="TIN"
          name="tin"
          required
          value={v.tin}
          onChange={set('tin')}
          error={errors.tin}
          inputMode="numeric"
          hint="10 digits"
        />
        <Field
          label="Licence number"
          name="licenceNumber"
          required
          value={v.licenceNumber}
          onChange={set('licenceNumber')}
          error={errors.licenceNumber}
        />
        <Field
          label="Licence valid until"
          name="licenceValidUntil"
          type="date"
          required
          value={v.licenceValidUntil}
          onChange={set('licenceValidUntil')}
          error={errors.licenceValidUntil}
        />
      </div>
      <ProblemMessage error={problem} />
      {ok && <Success>{ok}</Success>}
      <button type="submit" disabled={busy}>
        {busy ? 'Saving…' : 'Register exporter'}
      </button>
    </form>
  );
}

/** ECTA: licence status and validity of one exporter. Opens with focus on its first field. */
function RowEditor({
  exporter,
  onDone,
  onCancel,
}: {
  exporter: Exporter;
  onDone: () => void;
  onCancel: () => void;
}): ReactElement {
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    formRef.current?.querySelector('select')?.focus();
  }, []);
  const [status, setStatus] = useState<string>(exporter.status);
  const [until, setUntil] = useState(exporter.licenceValidUntil?.slice(0, 10) ?? '');
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<Errors<'status' | 'until' | 'reason'>>({});
  const [problem, setProblem] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault();
    const errs = validateAll(
      { status, until, reason },
      {
        status: oneOf('Status', EXPORTER_STATUSES),
        until: date('Licence valid until'),
        reason: status === 'ACTIVE' ? optional(rules.reason) : rules.reason,
      },
    );
    setErrors(errs);
    if (hasErrors(errs)) return;
    setBusy(true);
    setProblem(undefined);
    try {
      await updateExporter(exporter.exporterId, {
        ...(status !== exporter.status ? { status: status as Exporter['status'] } : {}),
        ...(until !== exporter.licenceValidUntil?.slice(0, 10) ? { licenceValidUntil: until } : {}),
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      });
      onDone();
    } catch (err: unknown) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form
      ref={formRef}
      className="row-editor"
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-label={`Update ${exporter.exporterId}`}
    >
      <Field
        label="Status"
        name="status"
        type="select"
        value={status}
        onChange={setStatus}
        options={options(EXPORTER_STATUSES)}
        error={errors.status}
      />
      <Field
        label="Licence valid until"
        name="until"
        type="date"
        value={until}
        onChange={setUntil}
        error={errors.until}
      />
      <Field
        label="Reason"
        name="reason"
        value={reason}
        onChange={setReason}
        error={errors.reason}
        hint="Required unless ACTIVE"
      />
      <ProblemMessage error={problem} />
      <div className="actions">
        <button type="submit" disabled={busy}>
          Save licence
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

const manageId = (exporterId: string): string => `manage-${exporterId}`;

export function ExportersPage(): ReactElement {
  const session = useSession();
  const state = useAsync(() => listExporters(), []);
  const [editing, setEditing] = useState<string>();
  /** Closes the editor and gives focus back to the row's Manage button (the editor stood in its place). */
  const close = (id: string): void => {
    setEditing(undefined);
    setTimeout(() => document.getElementById(manageId(id))?.focus(), 0);
  };
  const role = session?.user.role;
  const org = session?.org;
  const licensing = org === 'ecta' && (role === 'ecta_officer' || role === 'admin');
  const nationalBank = org === 'national-bank' && (role === 'fx_officer' || role === 'auditor');
  const title = org === 'national-bank' ? 'Exporters and delinquency' : 'Exporter licences';
  usePageTitle(title);
  return (
    <section aria-labelledby="exp-title">
      <h1 id="exp-title">{title}</h1>
      {nationalBank && <DelinquencyPanel canAct={role === 'fx_officer'} />}
      {org === 'national-bank' && <WorkflowConfigPanel />}
      {licensing && <NewExporterForm onDone={state.reload} />}
      {state.loading && <Loading />}
      <ProblemMessage error={state.error} onRetry={state.reload} />
      {state.data && state.data.length === 0 && <Empty>{noExportersYet(licensing)}</Empty>}
      {state.data && state.data.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Exporters</caption>
            <thead>
              <tr>
                <th scope="col">Exporter</th>
                <th scope="col">TIN</th>
                <th scope="col">Licence</th>
                <th scope="col">Valid until</th>
                <th scope="col">Status</th>
                <th scope="col">Warnings</th>
                <th scope="col">Delinquent</th>
                {licensing && <th scope="col">Manage</th>}
              </tr>
            </thead>
            <tbody>
              {state.data.map((x) => (
                <tr key={x.exporterId}>
                  <td data-label="Exporter">
                    <strong>{x.exporterId}</strong>
                    <br />
                    {x.legalName}
                  </td>
                  <td data-label="TIN">{x.tin}</td>
                  <td data-label="Licence">{x.licenceNumber}</td>
                  <td data-label="Valid until">{formatDate(x.licenceValidUntil)}</td>
                  <td data-label="Status">
                    <span className={`badge ${x.status === 'ACTIVE' ? 'badge-completed' : 'badge-rejected'}`}>
                      {x.status}
                    </span>
                  </td>
                  <td data-label="Warnings">{x.warnings ?? 0}</td>
                  <td data-label="Delinquent">
                    {x.delinquent ? (
                      <span className="badge badge-rejected" title={x.delinquentExports?.join(', ')}>
                        DELINQUENT
                      </span>
                    ) : (
                      'No'
                    )}
                  </td>
                  {licensing && (
                    <td data-label="Manage">
                      {editing === x.exporterId ? (
                        <RowEditor
                          exporter={x}
                          onDone={() => {
                            close(x.exporterId);
                            state.reload();
                          }}
                          onCancel={() => close(x.exporterId)}
                        />
                      ) : (
                        <button
                          type="button"
                          className="secondary small"
                          id={manageId(x.exporterId)}
                          onClick={() => setEditing(x.exporterId)}
                        >
                          Manage<span className="sr-only"> {x.exporterId}</span>
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
