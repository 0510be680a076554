/**
 * The org admin's "Reset two-factor" for a user who lost their phone: asks for confirmation (the gateway removes
 * the user's secret and recovery codes, signs the user out everywhere and audits the reset).
 */
import { type ReactElement, useState } from 'react';
import { resetMfa } from '../../api/client';
import type { User } from '../../api/types';
import { ProblemMessage } from '../../components/ui';

export function MfaReset({ user, onDone }: { user: User; onDone: () => void }): ReactElement {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<unknown>();
  if (!confirming)
    return (
      <button type="button" className="secondary small" onClick={() => setConfirming(true)}>
        Reset two-factor<span className="sr-only"> for {user.username}</span>
      </button>
    );
  return (
    <div role="group" aria-label={`Reset two-factor for ${user.username}`}>
      <p className="small">{user.username} will be signed out and must set up two-factor again. Reset?</p>
      <button
        type="button"
        className="secondary small danger-outline"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          setProblem(undefined);
          resetMfa(user.id)
            .then(() => {
              setConfirming(false);
              onDone();
            }, setProblem)
            .finally(() => setBusy(false));
        }}
      >
        Yes, reset two-factor of {user.username}
      </button>{' '}
      <button type="button" className="secondary small" onClick={() => setConfirming(false)}>
        Keep it
      </button>
      <ProblemMessage error={problem} />
    </div>
  );
}
