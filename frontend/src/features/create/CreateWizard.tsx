/** Exporter: create an export request step by step, upload its two documents, submit. */
import { type FormEvent, type ReactElement, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import { createExport } from '../../api/client';
import { GRADES, INCOTERMS, PAYMENT_METHODS, type CreateResult } from '../../api/types';
import { Field, options } from '../../components/Field';
import { DocumentPicker, UploadProgress, useDocumentUploads } from '../../components/DocumentUploads';
import { ProblemMessage, Success } from '../../components/ui';
import { docLabel, formatUsd } from '../../lib/format';
import { usePageTitle } from '../../lib/usePageTitle';
import { contractValue, hasErrors, newExportId, rules, type Errors } from '../../lib/validation';
import {
  EMPTY_WIZARD,
  WIZARD_STEPS,
  type WizardKey,
  type WizardValues,
  toCreateBody,
  validateWizard,
} from './wizardModel';

const REQUIRED_DOCS = ['SALES_CONTRACT', 'PROFORMA_INVOICE'] as const;

const LABELS: Record<WizardKey, string> = {
  contractedGrade: 'Contracted grade',
  quantityKg: 'Quantity (kg)',
  originRegion: 'Origin region',
  buyerName: 'Buyer name',
  destinationCountry: 'Destination country (ISO code)',
  contractNumber: 'Contract number',
  incoterm: 'Incoterm',
  unitPriceUsdPerKg: 'Unit price (USD/kg)',
  contractValueUsd: 'Contract value (USD)',
  paymentMethod: 'Payment method',
  paymentTerms: 'Payment terms (optional)',
  shipEarliest: 'Earliest shipment',
  shipLatest: 'Latest shipment',
};

const HINTS: Partial<Record<WizardKey, string>> = {
  originRegion: 'UPPER_SNAKE, e.g. SIDAMA or YIRGACHEFFE',
  destinationCountry: 'Two letters, e.g. DE, US, JP',
  unitPriceUsdPerKg: 'Up to 4 decimals; must be at least ECTA’s minimum price for the grade',
  contractValueUsd: 'Unit price × quantity, up to 2 decimals',
  shipLatest: 'ECTA sets the binding ship-by date (by default 90 days after registration)',
};

const KIND: Partial<Record<WizardKey, 'select' | 'number' | 'date' | 'textarea'>> = {
  contractedGrade: 'select',
  incoterm: 'select',
  paymentMethod: 'select',
  quantityKg: 'number',
  unitPriceUsdPerKg: 'number',
  contractValueUsd: 'number',
  paymentTerms: 'textarea',
  shipEarliest: 'date',
  shipLatest: 'date',
};

const OPTIONS: Partial<Record<WizardKey, readonly string[]>> = {
  contractedGrade: GRADES,
  incoterm: INCOTERMS,
  paymentMethod: PAYMENT_METHODS,
};

export function CreateWizard(): ReactElement {
  const [step, setStep] = useState(0);
  const [values, setValues] = useState<WizardValues>(EMPTY_WIZARD);
  const [errors, setErrors] = useState<Errors<WizardKey>>({});
  const [docErrors, setDocErrors] = useState<Record<string, string | undefined>>({});
  const [problem, setProblem] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<{ result: CreateResult }>();
  // One id per request: retries re-use it (and the idempotency key) so nothing is created twice.
  const ids = useRef({ exportId: newExportId(), key: crypto.randomUUID() });
  const uploads = useDocumentUploads();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const doneRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (done) doneRef.current?.focus();
  }, [done]);
  const current = WIZARD_STEPS[step] ?? WIZARD_STEPS[0]!;
  usePageTitle(done ? 'Export request submitted' : `New export request, step ${step + 1}: ${current.title}`);

  const set = (k: WizardKey) => (v: string) => {
    setValues((s) => {
      const next = { ...s, [k]: v };
      // Propose the contract value from price × quantity until the user types their own.
      if (
        (k === 'unitPriceUsdPerKg' || k === 'quantityKg') &&
        (s.contractValueUsd === '' || s.contractValueUsd === proposed(s))
      ) {
        next.contractValueUsd = proposed(next);
      }
      return next;
    });
  };

  function go(to: number): void {
    setStep(to);
    setTimeout(() => headingRef.current?.focus(), 0);
  }

  function next(e: FormEvent): void {
    e.preventDefault();
    if (current.id === 'documents') {
      const errs = uploads.validate(REQUIRED_DOCS);
      setDocErrors(errs);
      if (hasErrors(errs)) return;
    } else {
      const errs = current.validate(values);
      setErrors(errs);
      if (hasErrors(errs)) return;
    }
    if (current.id === 'review') {
      void submit();
      return;
    }
    go(step + 1);
  }

  async function submit(): Promise<void> {
    const errs = validateWizard(values);
    setErrors(errs);
    if (hasErrors(errs)) {
      const first = WIZARD_STEPS.findIndex((s) => s.fields.some((f) => errs[f]));
      if (first >= 0) go(first);
      return;
    }
    setBusy(true);
    setProblem(undefined);
    try {
      const documents = (await uploads.uploadAll()).map((u) => u.ref);
      const body = toCreateBody(values, ids.current.exportId, documents);
      const result = await createExport(body, ids.current.key);
      setDone({ result: { ...result, id: result.id ?? ids.current.exportId } });
    } catch (err: unknown) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  }

  if (done) {
    return (
      <section aria-labelledby="done-title">
        <h1 id="done-title" tabIndex={-1} ref={doneRef}>
          Export request submitted
        </h1>
        <Success>
          <p>
            Export <strong data-testid="created-export-id">{done.result.id}</strong> is{' '}
            <strong>{done.result.status}</strong>.
          </p>
          <p className="small">
            Transaction <code>{done.result.txId}</code>
          </p>
        </Success>
        <p className="muted">
          Your trade terms stay private to the Commercial Bank, the National Bank and ECTA; Customs checks the
          declared value against the registered contract value on the ledger. There is nothing to keep or hand
          over.
        </p>
        <p>
          <Link className="button" to={`/exports/${encodeURIComponent(done.result.id)}`}>
            Open the export
          </Link>
        </p>
      </section>
    );
  }

  return (
    <section aria-labelledby="wizard-title">
      <h1 id="wizard-title">New export request</h1>
      <ol className="steps" aria-label="Steps">
        {WIZARD_STEPS.map((s, i) => (
          <li
            key={s.id}
            aria-current={i === step ? 'step' : undefined}
            className={i < step ? 'done' : undefined}
          >
            {i < step ? (
              <button type="button" className="link" onClick={() => go(i)}>
                {i + 1}. {s.title}
              </button>
            ) : (
              <span>
                {i + 1}. {s.title}
              </span>
            )}
          </li>
        ))}
      </ol>
      <form className="card" onSubmit={next} noValidate aria-labelledby="step-title">
        <h2 id="step-title" tabIndex={-1} ref={headingRef}>
          Step {step + 1} of {WIZARD_STEPS.length}: {current.title}
        </h2>
        {current.fields.map((k) => (
          <Field
            key={k}
            label={LABELS[k]}
            name={k}
            type={KIND[k] ?? 'text'}
            required={k !== 'paymentTerms'}
            value={values[k]}
            onChange={set(k)}
            error={errors[k]}
            hint={HINTS[k]}
            options={OPTIONS[k] ? options(OPTIONS[k] ?? []) : undefined}
          />
        ))}
        {current.id === 'documents' && (
          <>
            <p className="muted">
              The sales contract and the proforma invoice are stored in the bank’s IPFS node; their hashes go
              on the ledger.
            </p>
            {REQUIRED_DOCS.map((t) => (
              <DocumentPicker key={t} type={t} uploads={uploads} required error={docErrors[t]} />
            ))}
          </>
        )}
        {current.id === 'review' && (
          <>
            <Review values={values} uploads={uploads} />
            <UploadProgress uploads={uploads} />
          </>
        )}
        <ProblemMessage error={problem} />
        <div className="actions">
          {step > 0 && (
            <button type="button" className="secondary" onClick={() => go(step - 1)} disabled={busy}>
              Back
            </button>
          )}
          <button type="submit" disabled={busy}>
            {current.id === 'review' ? (busy ? 'Submitting…' : 'Submit export request') : 'Next'}
          </button>
        </div>
      </form>
    </section>
  );
}

function proposed(v: WizardValues): string {
  if (rules.usdPerKg()(v.unitPriceUsdPerKg) || rules.quantityKg()(v.quantityKg)) return v.contractValueUsd;
  return contractValue(Number(v.unitPriceUsdPerKg), Number(v.quantityKg)).toFixed(2);
}

function Review({
  values,
  uploads,
}: {
  values: WizardValues;
  uploads: ReturnType<typeof useDocumentUploads>;
}): ReactElement {
  return (
    <dl className="facts">
      {(Object.keys(LABELS) as WizardKey[]).map((k) => (
        <div key={k}>
          <dt>{LABELS[k]}</dt>
          <dd>{k === 'contractValueUsd' ? formatUsd(Number(values[k])) : values[k] || '—'}</dd>
        </div>
      ))}
      {REQUIRED_DOCS.map((t) => (
        <div key={t}>
          <dt>{docLabel(t)}</dt>
          <dd>{uploads.slots[t]?.file?.name ?? '—'}</dd>
        </div>
      ))}
    </dl>
  );
}
