/** Small shared pieces: problem messages, loading and empty states, status badges. */
import type { ReactElement, ReactNode } from 'react';
import type { ExportStatus } from '../api/types';
import { describeError } from '../lib/problems';
import { STATUS_LABELS } from '../lib/workflow';

export function ProblemMessage({
  error,
  onRetry,
}: {
  error: unknown;
  onRetry?: () => void;
}): ReactElement | null {
  if (error === undefined || error === null) return null;
  const d = describeError(error);
  return (
    <div className="problem" role="alert">
      <p className="problem-title">{d.title}</p>
      {d.detail && <p className="problem-detail">{d.detail}</p>}
      {d.fieldErrors.length > 0 && (
        <ul>
          {d.fieldErrors.map((f) => (
            <li key={f}>{f}</li>
          ))}
        </ul>
      )}
      <p className="problem-code">
        Code: <code>{d.code}</code>
      </p>
      {onRetry && (
        <button type="button" className="secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }): ReactElement {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

/** An empty list or page: says what happens next and who does it (texts in lib/guidance.ts). */
export function Empty({ children }: { children: ReactNode }): ReactElement {
  return <div className="empty">{children}</div>;
}

export function StatusBadge({ status }: { status: ExportStatus }): ReactElement {
  return <span className={`badge badge-${status.toLowerCase()}`}>{STATUS_LABELS[status] ?? status}</span>;
}

export function Success({ children }: { children: ReactNode }): ReactElement {
  return (
    <div className="success" role="status">
      {children}
    </div>
  );
}
