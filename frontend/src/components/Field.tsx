/** A labelled form control with hint and error wired for screen readers. */
import { type ReactElement, useId } from 'react';

export interface Option {
  value: string;
  label: string;
}

interface Props {
  label: string;
  name: string;
  value: string;
  onChange: (value: string) => void;
  onBlur?: () => void;
  error?: string;
  hint?: string;
  type?: 'text' | 'number' | 'date' | 'datetime-local' | 'password' | 'email' | 'textarea' | 'select';
  options?: readonly Option[];
  required?: boolean;
  autoComplete?: string;
  inputMode?: 'text' | 'decimal' | 'numeric';
  placeholder?: string;
  disabled?: boolean;
}

export function Field(p: Props): ReactElement {
  const id = useId();
  const hintId = `${id}-hint`;
  const errId = `${id}-err`;
  const describedBy = [p.hint ? hintId : '', p.error ? errId : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: p.name,
    value: p.value,
    'aria-invalid': p.error ? true : undefined,
    'aria-describedby': describedBy,
    'aria-required': p.required ? true : undefined,
    disabled: p.disabled,
    onBlur: p.onBlur,
  } as const;
  let control: ReactElement;
  if (p.type === 'select') {
    control = (
      <select {...common} onChange={(e) => p.onChange(e.target.value)}>
        <option value="">— choose —</option>
        {(p.options ?? []).map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    );
  } else if (p.type === 'textarea') {
    control = (
      <textarea
        {...common}
        rows={3}
        onChange={(e) => p.onChange(e.target.value)}
        placeholder={p.placeholder}
      />
    );
  } else {
    control = (
      <input
        {...common}
        type={p.type === 'number' ? 'text' : (p.type ?? 'text')}
        inputMode={p.type === 'number' ? (p.inputMode ?? 'decimal') : p.inputMode}
        autoComplete={p.autoComplete}
        placeholder={p.placeholder}
        onChange={(e) => p.onChange(e.target.value)}
      />
    );
  }
  return (
    <div className={`field${p.error ? ' field-invalid' : ''}`}>
      <div className="label-row">
        <label htmlFor={id}>{p.label}</label>
        {p.required && (
          <span className="req" aria-hidden="true">
            *
          </span>
        )}
      </div>
      {control}
      {p.hint && (
        <small id={hintId} className="hint">
          {p.hint}
        </small>
      )}
      {p.error && (
        <small id={errId} className="error">
          {p.error}
        </small>
      )}
    </div>
  );
}

export function options(values: readonly string[], label: (v: string) => string = (v) => v): Option[] {
  return values.map((v) => ({ value: v, label: label(v) }));
}
