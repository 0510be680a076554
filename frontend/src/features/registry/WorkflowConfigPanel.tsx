/**
 * The workflow deadlines (ship-by window after contract registration, repatriation window after shipment). A
 * change needs both regulators: an ECTA ecta_officer or a National Bank fx_officer proposes it, and the other of
 * the two organizations approves that version; only then does it apply.
 */
import { type FormEvent, type ReactElement, useState } from 'react';
import { ApiError, approveWorkflowConfig, getWorkflowConfig, proposeWorkflowConfig } from '../../api/client';
import { Field } from '../../components/Field';
import { Loading, ProblemMessage, Success } from '../../components/ui';
import { orgByKey, orgNameOfMsp } from '../../config';
import { formatDateTime, formatDuration } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { type Errors, type Validator, hasErrors, validateAll } from '../../lib/validation';
import { useSession } from '../auth/session';

const DAY_SECONDS = 86_400;
/** The chaincode's bounds (SetWorkflowConfig): 1 s … 730 days and 1 s … 365 days. */
export const MAX_SHIP_BY_DAYS = 730;
export const MAX_REPATRIATION_DAYS = 365;

/** Proposers and approvers: ECTA's officers and the National Bank's FX officers. */
const DEADLINE_ROLES: Partial<Record<string, string>> = {
  ecta: 'ecta_officer',
  'national-bank': 'fx_officer',
};

export function windowText(seconds: number): string {
  const days = seconds / DAY_SECONDS;
  return Number.isInteger(days)
    ? `${days} day${days === 1 ? '' : 's'}`
    : `${formatDuration(seconds * 1000)} (${seconds} s)`;
}

/** Days (decimals allowed) → whole seconds, at least 1 s and at most `maxDays`. */
export function daysToSeconds(days: string): number {
  return Math.round(Number(days.trim()) * DAY_SECONDS);
}

export function windowDays(label: string, maxDays: number): Validator {
  return (v) => {
    const t = v.trim();
    if (t === '') return undefined;
    if (!/^\d+(\.\d{1,6})?$/.test(t)) return `${label} must be a number of days (up to 6 decimals)`;
    const s = daysToSeconds(t);
    if (s < 1) return `${label} must be at least one second`;
    if (s > maxDays * DAY_SECONDS) return `${label} must be at most ${maxDays} days`;
    return undefined;
  };
}

type Key = 'shipByDays' | 'repatriationDays';
const validators: Record<Key, Validator> = {
  shipByDays: windowDays('Ship-by window', MAX_SHIP_BY_DAYS),
  repatriationDays: windowDays('Repatriation window', MAX_REPATRIATION_DAYS),
};

export function WorkflowConfigPanel(): ReactElement | null {
  const session = useSession();
  const state = useAsync(() => getWorkflowConfig(), []);
  const [v, setV] = useState<Record<Key, string>>({ shipByDays: '', repatriationDays: '' });
  const [errors, setErrors] = useState<Errors<Key | '_form'>>({});
  const [problem, setProblem] = useState<unknown>();
  const [ok, setOk] = useState<string>();
  const [busy, setBusy] = useState(false);
  // Roles the gateway does not let read the configuration simply do not get the panel.
  if (!session || (state.error instanceof ApiError && state.error.status === 403)) return null;
  const ownMsp = session.user.mspId ?? orgByKey(session.org).msp;
  const mayDecide = DEADLINE_ROLES[session.org] === session.user.role;
  const cfg = state.data;
  const pending = cfg?.pending;
  const mayApprove = mayDecide && pending !== undefined && pending.proposedByMsp !== ownMsp;

  async function write(fn: () => Promise<unknown>, done: string): Promise<boolean> {
    setBusy(true);
    setProblem(undefined);
    setOk(undefined);
    try {
      await fn();
      setOk(done);
      state.reload();
      return true;
    } catch (e: unknown) {
      setProblem(e);
      return false;
    } finally {
      setBusy(false);
    }
  }

  function onPropose(e: FormEvent): void {
    e.preventDefault();
    const errs: Errors<Key | '_form'> = validateAll(v, validators);
    if (!hasErrors(errs) && v.shipByDays.trim() === '' && v.repatriationDays.trim() === '')
      errs._form = 'Give a new ship-by window, a new repatriation window, or both';
    setErrors(errs);
    if (hasErrors(errs)) return;
    const body = {
      ...(v.shipByDays.trim() ? { shipByWindowSeconds: daysToSeconds(v.shipByDays) } : {}),
      ...(v.repatriationDays.trim() ? { repatriationWindowSeconds: daysToSeconds(v.repatriationDays) } : {}),
    };
    void write(
      () => proposeWorkflowConfig(body),
      'Proposed; it applies once the other regulator approves it.',
    ).then((done) => {
      if (done) setV({ shipByDays: '', repatriationDays: '' });
    });
  }

  return (
    <section className="card" aria-labelledby="wf-title" data-testid="workflow-config">
      <h2 id="wf-title">Workflow deadlines</h2>
      <p className="muted small">
        Changes need both ECTA and the National Bank: one proposes, the other approves.
      </p>
      {state.loading && !cfg && <Loading />}
      <ProblemMessage error={state.error} onRetry={state.reload} />
      {cfg && (
        <dl className="facts">
          <div>
            <dt>Ship-by window (after registration)</dt>
            <dd data-testid="wf-current-ship-by">{windowText(cfg.current.shipByWindowSeconds)}</dd>
          </div>
          <div>
            <dt>Repatriation window (after shipment)</dt>
            <dd data-testid="wf-current-repatriation">{windowText(cfg.current.repatriationWindowSeconds)}</dd>
          </div>
          <div>
            <dt>Version in force</dt>
            <dd>{cfg.current.version}</dd>
          </div>
        </dl>
      )}
      {pending && (
        <div className="notice" role="note" data-testid="wf-pending">
          <p>
            <strong>Pending proposal (version {pending.version})</strong> by{' '}
            {orgNameOfMsp(pending.proposedByMsp)} on {formatDateTime(pending.proposedAt)}: ship-by{' '}
            {windowText(pending.shipByWindowSeconds)}, repatriation{' '}
            {windowText(pending.repatriationWindowSeconds)}.
          </p>
          {mayApprove ? (
            <button
              type="button"
              disabled={busy}
              onClick={() =>
                void write(
                  () => approveWorkflowConfig(pending.version),
                  `Version ${pending.version} approved.`,
                )
              }
            >
              Approve version {pending.version}
            </button>
          ) : (
            pending.proposedByMsp === ownMsp && (
              <p className="small">Waiting for the other regulator’s approval.</p>
            )
          )}
        </div>
      )}
      {mayDecide && cfg && (
        <form onSubmit={onPropose} noValidate aria-label="Propose new deadlines">
          <div className="form-grid">
            <Field
              label="New ship-by window (days)"
              name="shipByDays"
              type="number"
              value={v.shipByDays}
              onChange={(x) => setV((s) => ({ ...s, shipByDays: x }))}
              error={errors.shipByDays}
              hint={`Blank: unchanged. At most ${MAX_SHIP_BY_DAYS} days; decimals allowed`}
            />
            <Field
              label="New repatriation window (days)"
              name="repatriationDays"
              type="number"
              value={v.repatriationDays}
              onChange={(x) => setV((s) => ({ ...s, repatriationDays: x }))}
              error={errors.repatriationDays}
              hint={`Blank: unchanged. At most ${MAX_REPATRIATION_DAYS} days; decimals allowed`}
            />
          </div>
          {errors._form && (
            <p className="error form-error" role="alert">
              {errors._form}
            </p>
          )}
          <button type="submit" className="secondary" disabled={busy}>
            Propose
          </button>
        </form>
      )}
      <ProblemMessage error={problem} />
      {ok && <Success>{ok}</Success>}
    </section>
  );
}
