/**
 * The step-up dialog: an approval the gateway refused with STEP_UP_REQUIRED asks here for a fresh code; once the
 * step-up succeeds the client retries the approval (api/client.ts setStepUpHandler). A modal dialog: focus moves
 * into it, Escape cancels, focus returns where it was.
 */
import { type ReactElement, useEffect, useRef, useState } from 'react';
import { type MfaProof, setStepUpHandler, stepUp } from '../../api/client';
import { MfaCodeForm } from './MfaCodeForm';

export function StepUpDialog(): ReactElement | null {
  const [pending, setPending] = useState<(ok: boolean) => void>();
  const ref = useRef<HTMLDivElement>(null);
  const returnFocus = useRef<Element | null>(null);

  useEffect(
    () =>
      setStepUpHandler(
        () =>
          new Promise<boolean>((resolve) => {
            returnFocus.current = document.activeElement;
            setPending(() => resolve);
          }),
      ),
    [],
  );

  useEffect(() => {
    if (pending) ref.current?.querySelector<HTMLInputElement>('input')?.focus();
  }, [pending]);

  if (!pending) return null;
  const close = (ok: boolean): void => {
    setPending(undefined);
    pending(ok);
    (returnFocus.current as HTMLElement | null)?.focus?.();
  };
  return (
    <div className="dialog-backdrop">
      <div
        ref={ref}
        className="card dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="step-up-title"
        aria-describedby="step-up-text"
        data-testid="step-up-dialog"
        onKeyDown={(e) => {
          if (e.key === 'Escape') close(false);
        }}
      >
        <h2 id="step-up-title">Confirm it is you</h2>
        <p id="step-up-text">
          This approval needs a fresh two-factor code. Enter the code your authenticator app shows now; the
          approval then goes ahead.
        </p>
        <MfaCodeForm
          label="Step-up code"
          submitLabel="Confirm and continue"
          onSubmit={async (proof: MfaProof) => {
            await stepUp(proof);
            close(true);
          }}
          onCancel={() => close(false)}
        />
      </div>
    </div>
  );
}
