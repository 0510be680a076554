/** Turns API problem responses into messages a user can act on. */
import { ApiError } from '../api/client';

const FRIENDLY: Record<string, string> = {
  NETWORK_ERROR: 'The gateway could not be reached. Check your connection or try again shortly.',
  // The portal server's answer when an org's gateway is down (server/server.ts).
  GATEWAY_UNREACHABLE: 'The gateway could not be reached. Try again shortly.',
  SESSION_EXPIRED: 'Your session has expired. Please sign in again.',
  INVALID_CREDENTIALS: 'Wrong username or password.',
  UNAUTHORIZED: 'Wrong username or password, or your session ended.',
  FORBIDDEN: 'Your role is not allowed to do this.',
  FORBIDDEN_ROLE: 'Your role is not allowed to do this.',
  VALIDATION_FAILED: 'Some values were refused.',
  INVALID_TRANSITION:
    'The export is no longer in a state that allows this step (someone may have acted already). Reload to see its current state.',
  MVCC_CONFLICT: 'Someone changed this export at the same moment. Reload and try again.',
  LICENSE_INVALID: "The exporter's licence is not valid (missing, expired, suspended or revoked).",
  EXPORTER_DELINQUENT: 'The exporter is marked delinquent by the National Bank; no FX approval is possible.',
  EXPORT_EXISTS: 'An export with this id already exists.',
  DOCUMENTS_MISSING: 'Required documents are missing.',
  NO_MINIMUM_PRICE: 'ECTA has not published a minimum price in force for this grade and region.',
  BELOW_MINIMUM_PRICE: 'The contract price is below the minimum export price in force.',
  GRADE_BELOW_CONTRACT: 'The certified grade is below the contracted grade.',
  QUANTITY_MISMATCH: 'The certified lot does not cover the contracted quantity.',
  PAYMENT_METHOD_MISMATCH: 'The payment method differs from the one in the contract.',
  VALUE_MISMATCH: 'The amount differs from the registered contract value.',
  DEADLINE_PASSED: 'The ship-by date has passed; the export can only be recorded as defaulted.',
  DEADLINE_NOT_PASSED: 'The ship-by date has not passed yet.',
  DECLARATION_INCONSISTENT:
    'The declared quantity, grade or value is inconsistent with the documents or contract.',
  PERMIT_NOT_FOUND: 'No FX permit with this number exists.',
  PERMIT_MISMATCH: 'The permit belongs to another export.',
  PERMIT_CONSUMED: 'This permit has already been used.',
  PERMIT_VOIDED: 'This permit has been voided.',
  NOT_FOUND: 'Not found.',
  EXPORT_NOT_FOUND: 'No export with this id.',
  EXPORTER_NOT_FOUND: 'No exporter with this id.',
  USER_EXISTS: 'A user with this name already exists.',
  RATE_LIMITED: 'Too many requests; wait a moment and try again.',
  TOO_MANY_REQUESTS: 'Too many requests; wait a moment and try again.',
  ACCOUNT_LOCKED:
    'Too many failed sign-ins: this account is locked for a while. Try again later, or ask your organization administrator to unlock it.',
  TERMS_TAMPERED: 'The private trade terms do not match the ledger hash. Contact the Commercial Bank.',
  TERMS_MISSING: 'The private trade terms are not available on this organization’s peer.',
};

export interface Described {
  title: string;
  detail?: string;
  code: string;
  fieldErrors: string[];
}

export function describeError(e: unknown): Described {
  if (e instanceof ApiError) {
    const friendly = FRIENDLY[e.code];
    const p = e.problem;
    const detail = p.detail && p.detail !== friendly ? p.detail : undefined;
    const fieldErrors = (p.errors ?? [])
      .map((x) => [x.path, x.message].filter(Boolean).join(': '))
      .filter((s) => s !== '');
    return {
      title: friendly ?? p.title ?? `The request failed (${e.status || 'network'})`,
      detail,
      code: e.code,
      fieldErrors,
    };
  }
  if (e instanceof Error)
    return { title: 'Something went wrong', detail: e.message, code: 'CLIENT_ERROR', fieldErrors: [] };
  return { title: 'Something went wrong', code: 'CLIENT_ERROR', fieldErrors: [] };
}
