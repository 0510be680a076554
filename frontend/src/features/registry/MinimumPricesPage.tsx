/**
 * ECTA's minimum export prices: versioned rows, the one in force per grade/region highlighted. ECTA also sees
 * the workflow deadlines it decides together with the National Bank.
 */
import { type FormEvent, type ReactElement, useState } from 'react';
import { listMinimumPrices, publishMinimumPrice } from '../../api/client';
import { GRADES, type MinimumPrice } from '../../api/types';
import { Field, options } from '../../components/Field';
import { Empty, Loading, ProblemMessage, Success } from '../../components/ui';
import { formatDate, formatUsd } from '../../lib/format';
import { noMinimumPricesYet } from '../../lib/guidance';
import { useAsync } from '../../lib/useAsync';
import { usePageTitle } from '../../lib/usePageTitle';
import { type Errors, date, hasErrors, oneOf, optional, rules, validateAll } from '../../lib/validation';
import { useSession } from '../auth/session';
import { WorkflowConfigPanel } from './WorkflowConfigPanel';

type Key = 'grade' | 'originRegion' | 'usdPerKg' | 'effectiveFrom';
export const priceValidators = {
  grade: oneOf('Grade', GRADES),
  originRegion: optional(rules.region),
  usdPerKg: rules.usdPerKg('Minimum price (USD/kg)'),
  effectiveFrom: date('Effective from'),
};

/** Ids of the rows in force now (per grade and region: latest effectiveFrom ≤ now, ties to the later id). */
export function rowsInForce(rows: MinimumPrice[], now = Date.now()): Set<string> {
  const best = new Map<string, MinimumPrice>();
  for (const r of rows) {
    const t = Date.parse(r.effectiveFrom);
    if (Number.isNaN(t) || t > now) continue;
    const key = `${r.grade}|${r.originRegion ?? ''}`;
    const cur = best.get(key);
    if (!cur || Date.parse(cur.effectiveFrom) < t || (Date.parse(cur.effectiveFrom) === t && cur.id < r.id))
      best.set(key, r);
  }
  return new Set([...best.values()].map((r) => r.id));
}

function PublishForm({ onDone }: { onDone: () => void }): ReactElement {
  const empty: Record<Key, string> = {
    grade: '',
    originRegion: '',
    usdPerKg: '',
    effectiveFrom: new Date().toISOString().slice(0, 10),
  };
  const [v, setV] = useState(empty);
  const [errors, setErrors] = useState<Errors<Key>>({});
  const [problem, setProblem] = useState<unknown>();
  const [ok, setOk] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set = (k: Key) => (x: string) =>
    setV((s) => ({ ...s, [k]: k === 'originRegion' ? x.toUpperCase() : x }));
  async function onSubmit(e: FormEvent): Promise<void> {
    e.preventDefault();
    const errs = validateAll(v, priceValidators);
    setErrors(errs);
    setOk(undefined);
    if (hasErrors(errs)) return;
    setBusy(true);
    setProblem(undefined);
    try {
      const row = await publishMinimumPrice({
        grade: v.grade,
        ...(v.originRegion.trim() ? { originRegion: v.originRegion.trim() } : {}),
        usdPerKg: Number(v.usdPerKg),
        effectiveFrom: v.effectiveFrom,
      });
      setOk(`Published ${row?.id ?? ''}`.trim());
      setV(empty);
      onDone();
    } catch (err: unknown) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="card" onSubmit={(e) => void onSubmit(e)} noValidate aria-labelledby="pub-price">
      <h2 id="pub-price">Publish a minimum price</h2>
      <p className="muted small">
        Rows are never edited; a new row with a later effective date supersedes the old one.
      </p>
      <div className="form-grid">
        <Field
          label="Grade"
          name="grade"
          type="select"
          required
          options={options(GRADES)}
          value={v.grade}
          onChange={set('grade')}
          error={errors.grade}
        />
        <Field
          label="Origin region (optional)"
          name="originRegion"
          value={v.originRegion}
          onChange={set('originRegion')}
          error={errors.originRegion}
          hint="Blank: all regions without their own row"
        />
        <Field
          label="Minimum price (USD/kg)"
          name="usdPerKg"
          type="number"
          required
          value={v.usdPerKg}
          onChange={set('usdPerKg')}
          error={errors.usdPerKg}
        />
        <Field
          label="Effective from"
          name="effectiveFrom"
          type="date"
          required
          value={v.effectiveFrom}
          onChange={set('effectiveFrom')}
          error={errors.effectiveFrom}
        />
      </div>
      <ProblemMessage error={problem} />
      {ok && <Success>{ok}</Success>}
      <button type="submit" disabled={busy}>
        {busy ? 'Publishing…' : 'Publish'}
      </button>
    </form>
  );
}

export function MinimumPricesPage(): ReactElement {
  usePageTitle('Minimum export prices');
  const session = useSession();
  const state = useAsync(() => listMinimumPrices(), []);
  const canPublish = session?.org === 'ecta' && session.user.role === 'ecta_officer';
  const inForce = rowsInForce(state.data ?? []);
  const rows = [...(state.data ?? [])].sort(
    (a, b) =>
      a.grade.localeCompare(b.grade) ||
      (a.originRegion ?? '').localeCompare(b.originRegion ?? '') ||
      Date.parse(b.effectiveFrom) - Date.parse(a.effectiveFrom),
  );
  return (
    <section aria-labelledby="mp-title">
      <h1 id="mp-title">Minimum export prices</h1>
      {canPublish && <PublishForm onDone={state.reload} />}
      {session?.org === 'ecta' && <WorkflowConfigPanel />}
      {state.loading && <Loading />}
      <ProblemMessage error={state.error} onRetry={state.reload} />
      {state.data && rows.length === 0 && <Empty>{noMinimumPricesYet(canPublish)}</Empty>}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Minimum prices</caption>
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Grade</th>
                <th scope="col">Region</th>
                <th scope="col">USD/kg</th>
                <th scope="col">Effective from</th>
                <th scope="col">In force</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} className={inForce.has(r.id) ? 'in-force' : undefined}>
                  <td data-label="Id">{r.id}</td>
                  <td data-label="Grade">{r.grade}</td>
                  <td data-label="Region">{r.originRegion ?? 'All regions'}</td>
                  <td data-label="USD/kg">{formatUsd(r.usdPerKg)}</td>
                  <td data-label="Effective from">{formatDate(r.effectiveFrom)}</td>
                  <td data-label="In force">
                    {inForce.has(r.id)
                      ? '✔ In force'
                      : Date.parse(r.effectiveFrom) > Date.now()
                        ? 'Scheduled'
                        : 'Superseded'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
