/**
 * The second-factor form: a 6-digit code from the authenticator app, or (a switch away) one of the recovery
 * codes. Used by the sign-in's second step and by the step-up dialog.
 */
import { type FormEvent, type ReactElement, useState } from 'react';
import type { MfaProof } from '../../api/client';
import { Field } from '../../components/Field';
import { ProblemMessage } from '../../components/ui';

export function MfaCodeForm({
  label,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  /** The form's accessible name. */
  label: string;
  submitLabel: string;
  onSubmit: (proof: MfaProof) => Promise<void>;
  onCancel?: () => void;
}): ReactElement {
  const [recovery, setRecovery] = useState(false);
  const [value, setValue] = useState('');
  const [error, setError] = useState<string>();
  const [problem, setProblem] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault();
    setProblem(undefined);
    const v = value.trim();
    const err = recovery
      ? /^[A-Za-z0-9]{5}-?[A-Za-z0-9]{5}$/.test(v)
        ? undefined
        : 'Enter a recovery code, e.g. ABCDE-12345'
      : /^\d{6}$/.test(v)
        ? undefined
        : 'Enter the 6-digit code from your authenticator app';
    setError(err);
    if (err) return;
    setBusy(true);
    try {
      await onSubmit(recovery ? { recoveryCode: v } : { code: v });
    } catch (x: unknown) {
      setProblem(x);
      setValue('');
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-label={label}>
      {recovery ? (
        <Field
          label="Recovery code"
          name="recoveryCode"
          required
          autoComplete="off"
          hint="One of the ten codes you saved when you set up two-factor; each works once."
          value={value}
          onChange={setValue}
          error={error}
        />
      ) : (
        <Field
          label="Authentication code"
          name="code"
          required
          inputMode="numeric"
          autoComplete="one-time-code"
          hint="The 6-digit code your authenticator app shows now."
          value={value}
          onChange={setValue}
          error={error}
        />
      )}
      <ProblemMessage error={problem} />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : submitLabel}
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setRecovery((r) => !r);
            setValue('');
            setError(undefined);
          }}
        >
          {recovery ? 'Use the authenticator code' : 'Use a recovery code instead'}
        </button>
        {onCancel && (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
