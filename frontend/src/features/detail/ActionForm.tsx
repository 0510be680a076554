/** Renders one action spec: fields, documents with upload progress, confirmation; posts the action. */
import { type FormEvent, type ReactElement, useEffect, useId, useMemo, useRef, useState } from 'react';
import { runAction } from '../../api/client';
import type { ActionResult, DocumentType, ExportRecord, TradeTermsView } from '../../api/types';
import { Field, options } from '../../components/Field';
import { DocumentPicker, useDocumentUploads } from '../../components/DocumentUploads';
import { ProblemMessage, Success } from '../../components/ui';
import { hasErrors, type Errors } from '../../lib/validation';
import { type ActionSpec, initialValues, validateAction, type Values } from './actionSpecs';

interface Props {
  spec: ActionSpec;
  record: ExportRecord;
  /** The private data this viewer may read, for fields the spec prefills (e.g. customs' declared value). */
  terms?: TradeTermsView;
  onDone?: (result: ActionResult) => void;
}

export function ActionForm({ spec, record, terms, onDone }: Props): ReactElement {
  const fields = useMemo(() => spec.fields(record), [spec, record]);
  const docs = useMemo(() => spec.documents?.(record) ?? { required: [], optional: [] }, [spec, record]);
  const [values, setValues] = useState<Values>(() => initialValues(spec, record));
  const [errors, setErrors] = useState<Errors<string>>({});
  const [docErrors, setDocErrors] = useState<Partial<Record<DocumentType, string>>>({});
  const [confirmed, setConfirmed] = useState(false);
  const [confirmError, setConfirmError] = useState<string>();
  const [problem, setProblem] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ res: ActionResult }>();
  const uploads = useDocumentUploads();
  // One idempotency key per attempt: a retry after a problem re-uses it, so nothing is submitted twice.
  const attempt = useRef({ key: crypto.randomUUID() });
  const touched = useRef(new Set<string>());
  const confirmId = useId();
  const titleId = useId();

  // Prefill from the private data once it is known, without overwriting anything the user typed.
  useEffect(() => {
    if (!terms || !spec.prefill) return;
    const pre = spec.prefill(terms, record);
    setValues((s) => {
      const next = { ...s };
      for (const [k, v] of Object.entries(pre)) if (!touched.current.has(k)) next[k] = v;
      return next;
    });
  }, [terms, spec, record]);

  async function onSubmit(e: FormEvent): Promise<void> {
    e.preventDefault();
    setProblem(undefined);
    const chosen = [...docs.required, ...docs.optional].filter((t) => uploads.slots[t]?.file);
    const errs = validateAction(spec, values, record, chosen);
    const dErrs = uploads.validate(docs.required);
    setErrors(errs);
    setDocErrors(dErrs);
    const cErr = spec.confirm && !confirmed ? 'Tick the box to confirm' : undefined;
    setConfirmError(cErr);
    if (hasErrors(errs) || hasErrors(dErrs) || cErr) return;
    setBusy(true);
    try {
      const uploaded = await uploads.uploadAll(
        spec.attachOnUpload ? record.exportId : undefined,
        spec.docFacts?.(values),
      );
      const pending = uploaded.filter((u) => !u.attached).map((u) => u.ref);
      let res: ActionResult;
      if (spec.attachOnUpload && pending.length === 0) {
        // The gateway attached each exporter shipping document on upload (one transaction each).
        res = { id: record.exportId, status: record.status, txId: uploaded.at(-1)?.txId ?? '' };
      } else {
        const action = spec.resolve?.(values, record) ?? spec.action;
        const body = spec.body(values, spec.attachOnUpload ? pending : uploaded.map((u) => u.ref), record);
        res = await runAction(record.exportId, action, body, attempt.current.key);
      }
      setResult({ res });
      attempt.current = { key: crypto.randomUUID() };
      onDone?.(res);
    } catch (err: unknown) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  }

  if (result) {
    return (
      <Success>
        <p>
          Done: the export is now <strong data-testid="action-result-status">{result.res.status}</strong>.
        </p>
        <p className="small">
          Transaction <code>{result.res.txId}</code>
          {result.res.blockNumber !== undefined && <> in block {String(result.res.blockNumber)}</>}
        </p>
      </Success>
    );
  }

  return (
    <form
      className={`card action-form${spec.danger ? ' danger' : ''}`}
      onSubmit={(e) => void onSubmit(e)}
      noValidate
      aria-labelledby={titleId}
      data-action={spec.action}
    >
      <h3 id={titleId}>{spec.title}</h3>
      {spec.intro && <p className="muted">{spec.intro}</p>}
      {fields.map((f) => (
        <Field
          key={f.name}
          label={f.label}
          name={f.name}
          type={f.kind ?? 'text'}
          required={f.required}
          value={values[f.name] ?? ''}
          onChange={(v) => {
            touched.current.add(f.name);
            setValues((s) => ({ ...s, [f.name]: v }));
          }}
          error={errors[f.name]}
          hint={f.hint}
          options={f.options ? options(f.options) : undefined}
        />
      ))}
      {[...docs.required, ...docs.optional].map((t) => (
        <DocumentPicker
          key={t}
          type={t}
          uploads={uploads}
          required={docs.required.includes(t)}
          error={docErrors[t]}
        />
      ))}
      {errors._form && (
        <p className="error form-error" role="alert">
          {errors._form}
        </p>
      )}
      {spec.confirm && (
        <div className={`field checkbox${confirmError ? ' field-invalid' : ''}`}>
          <input
            id={confirmId}
            type="checkbox"
            checked={confirmed}
            onChange={(e) => setConfirmed(e.target.checked)}
            aria-invalid={confirmError ? true : undefined}
          />
          <label htmlFor={confirmId}>{spec.confirm}</label>
          {confirmError && <small className="error">{confirmError}</small>}
        </div>
      )}
      <ProblemMessage error={problem} />
      <div className="actions">
        <button type="submit" className={spec.danger ? 'danger' : undefined} disabled={busy}>
          {busy ? 'Working…' : spec.submitLabel}
        </button>
      </div>
    </form>
  );
}
