/** React view of the client's session (the client module owns the tokens). */
import { type ReactElement, type ReactNode, useEffect, useState } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { type Session, currentSession, onSessionChange } from '../../api/client';

let lastReason: string | undefined;

export function useSession(): Session | null {
  const [s, setS] = useState<Session | null>(currentSession());
  useEffect(
    () =>
      onSessionChange((next, reason) => {
        lastReason = reason;
        setS(next);
      }),
    [],
  );
  return s;
}

/** Why the user landed on the login page (e.g. "expired"), read once. */
export function takeLogoutReason(): string | undefined {
  const r = lastReason;
  lastReason = undefined;
  return r;
}

/**
 * A page that needs a session; without one, the login page, which returns here after signing in (`from`) unless
 * the user signed out: the next sign-in (perhaps another person's) starts at the home page, not at the page the
 * last user left.
 */
export function RequireAuth({ children }: { children: ReactNode }): ReactElement {
  const session = useSession();
  const location = useLocation();
  if (!session)
    return (
      <Navigate to="/login" replace state={lastReason === 'logout' ? null : { from: location.pathname }} />
    );
  return <>{children}</>;
}
