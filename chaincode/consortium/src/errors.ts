/**
 * The chaincodes' stable error codes and the HTTP status each maps to at the gateways. Every chaincode refusal is
 * an error whose message starts with `CODE: `; clients branch on the code, never on the prose.
 */

/** Every code either chaincode refuses with, and its HTTP status. */
export const ERROR_HTTP_STATUS = {
  VALIDATION_FAILED: 400,
  FORBIDDEN_ORG: 403,
  FORBIDDEN_ROLE: 403,
  FORBIDDEN_CALLER: 403,
  USER_NOT_REGISTERED: 403,
  USER_SUSPENDED: 403,
  EXPORT_NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  EXPORTER_NOT_FOUND: 404,
  PERMIT_NOT_FOUND: 404,
  TERMS_MISSING: 404,
  HEARTBEAT_NOT_FOUND: 404,
  EXPORT_EXISTS: 409,
  USER_EXISTS: 409,
  EXPORTER_EXISTS: 409,
  INVALID_TRANSITION: 409,
  INVALID_IDENTITY: 422,
  LICENSE_INVALID: 422,
  EXPORTER_DELINQUENT: 422,
  BELOW_MINIMUM_PRICE: 422,
  NO_MINIMUM_PRICE: 422,
  DOCUMENTS_MISSING: 422,
  DECLARATION_INCONSISTENT: 422,
  GRADE_BELOW_CONTRACT: 422,
  QUANTITY_MISMATCH: 422,
  VALUE_MISMATCH: 422,
  PAYMENT_METHOD_MISMATCH: 422,
  PERMIT_MISMATCH: 422,
  PERMIT_CONSUMED: 422,
  PERMIT_VOIDED: 422,
  DEADLINE_NOT_PASSED: 422,
  DEADLINE_PASSED: 422,
  REPATRIATION_SHORTFALL: 422,
  // EUDR due diligence (eudr.ts; the coffee-export `eudr` contract).
  EUDR_PLOT_NOT_FOUND: 404,
  EUDR_PACKAGE_NOT_FOUND: 404,
  EUDR_LAYER_NOT_FOUND: 404,
  EUDR_PLOT_EXISTS: 409,
  /** A plot screened against a forest-loss layer that is not (or no longer) the ledger's current one. */
  EUDR_LAYER_MISMATCH: 409,
  /** ECTA approves a package whose hash is not the one assembled now (it was re-assembled meanwhile). */
  EUDR_PACKAGE_CHANGED: 409,
  EUDR_NOT_REQUIRED: 422,
  EUDR_LOTS_MISSING: 422,
  EUDR_PLOTS_MISMATCH: 422,
  EUDR_PLOT_NOT_CLEARED: 422,
  EUDR_PLOT_REJECTED: 422,
  /** Customs may not clear an EU-bound export before ECTA approved its DDS package. */
  EUDR_PACKAGE_REQUIRED: 422,
  /**
   * A write whose proposal timestamp is more than 5 minutes from the endorsing peer's clock. 502, not 4xx: the
   * gateways build and sign every proposal, so the skewed clock is the gateway host's (or the peer's), which
   * the API client can neither see nor fix; it is an operator's fault, logged and alerted like every 5xx.
   */
  CLOCK_SKEW: 502,
  CORRUPT_STATE: 502,
  TERMS_TAMPERED: 502,
  UPSTREAM_ERROR: 502,
} as const;

export type ChaincodeErrorCode = keyof typeof ERROR_HTTP_STATUS;

const EXPORT_ONLY = [
  'EXPORT_NOT_FOUND',
  'EXPORT_EXISTS',
  'BELOW_MINIMUM_PRICE',
  'NO_MINIMUM_PRICE',
  'DOCUMENTS_MISSING',
  'DECLARATION_INCONSISTENT',
  'GRADE_BELOW_CONTRACT',
  'QUANTITY_MISMATCH',
  'VALUE_MISMATCH',
  'PAYMENT_METHOD_MISMATCH',
  'TERMS_MISSING',
  'TERMS_TAMPERED',
  'PERMIT_NOT_FOUND',
  'PERMIT_MISMATCH',
  'PERMIT_CONSUMED',
  'PERMIT_VOIDED',
  'DEADLINE_NOT_PASSED',
  'DEADLINE_PASSED',
  'REPATRIATION_SHORTFALL',
  'EUDR_PLOT_NOT_FOUND',
  'EUDR_PACKAGE_NOT_FOUND',
  'EUDR_LAYER_NOT_FOUND',
  'EUDR_PLOT_EXISTS',
  'EUDR_LAYER_MISMATCH',
  'EUDR_PACKAGE_CHANGED',
  'EUDR_NOT_REQUIRED',
  'EUDR_LOTS_MISSING',
  'EUDR_PLOTS_MISMATCH',
  'EUDR_PLOT_NOT_CLEARED',
  'EUDR_PLOT_REJECTED',
  'EUDR_PACKAGE_REQUIRED',
] as const satisfies readonly ChaincodeErrorCode[];

const USERS_ONLY = [
  'USER_EXISTS',
  'USER_NOT_FOUND',
  'EXPORTER_EXISTS',
  'EXPORTER_NOT_FOUND',
] as const satisfies readonly ChaincodeErrorCode[];

const ALL_CODES = Object.keys(ERROR_HTTP_STATUS) as ChaincodeErrorCode[];

/** The codes coffee-export refuses with (its own, and user-management's that it relays). */
export const EXPORT_ERROR_CODES = ALL_CODES.filter(
  (c): c is Exclude<ChaincodeErrorCode, (typeof USERS_ONLY)[number]> =>
    !(USERS_ONLY as readonly string[]).includes(c),
);

/** The codes user-management refuses with. */
export const USER_ERROR_CODES = ALL_CODES.filter(
  (c): c is Exclude<ChaincodeErrorCode, (typeof EXPORT_ONLY)[number]> =>
    !(EXPORT_ONLY as readonly string[]).includes(c),
);

export function isChaincodeErrorCode(value: string): value is ChaincodeErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_HTTP_STATUS, value);
}

/** The HTTP status of a chaincode refusal; an unknown code is an upstream fault (502). */
export function httpStatusOf(code: string): number {
  return isChaincodeErrorCode(code) ? ERROR_HTTP_STATUS[code] : 502;
}

/**
 * The first known `CODE: detail` in an error message (peers and the gateway prefix their own text, and a
 * chaincode relays another's refusal), or undefined when the message carries no known code.
 */
export function parseChaincodeMessage(
  message: string,
): { code: ChaincodeErrorCode; detail: string } | undefined {
  for (const match of message.matchAll(/\b([A-Z][A-Z0-9_]{2,63}): /g)) {
    const code = match[1] ?? '';
    if (isChaincodeErrorCode(code)) {
      return { code, detail: message.slice((match.index ?? 0) + code.length + 2) };
    }
  }
  return undefined;
}
