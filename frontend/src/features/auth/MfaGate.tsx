/**
 * A user whose role the org's policy requires two-factor of, and who has not enrolled, holds a session that only
 * opens enrollment (the gateway refuses the rest with MFA_ENROLLMENT_REQUIRED): every page leads to Security.
 */
import type { ReactElement, ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { useSession } from './session';

export function MfaGate({ children }: { children: ReactNode }): ReactElement {
  const session = useSession();
  const location = useLocation();
  if (session?.mfaEnrollmentRequired && location.pathname !== '/security')
    return <Navigate to="/security" replace />;
  return <>{children}</>;
}
