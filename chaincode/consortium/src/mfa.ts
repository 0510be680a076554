/**
 * Two-factor policy facts the gateways and the portal share: which roles an org's policy requires a second factor
 * of (when the gateway's policy is on), and which workflow actions are approvals that need a fresh one (step-up).
 */
import type { ActionName } from './actions.js';
import type { Role } from './orgs.js';

/**
 * The roles whose users must prove a second factor under the consortium's policy: every org admin, and the
 * officers whose decisions are approvals (ECTA's contract registration, the National Bank's FX approval,
 * customs' clearance).
 */
export const MFA_POLICY_ROLES = [
  'admin',
  'ecta_officer',
  'fx_officer',
  'customs_officer',
] as const satisfies readonly Role[];

/** Approval actions: a user with two-factor enabled must have proven it recently (a step-up) to take them. */
export const STEP_UP_ACTIONS = [
  'register-contract',
  'certify-quality',
  'approve-fx',
  'clear-customs',
] as const satisfies readonly ActionName[];

export function isStepUpAction(action: string): boolean {
  return (STEP_UP_ACTIONS as readonly string[]).includes(action);
}
