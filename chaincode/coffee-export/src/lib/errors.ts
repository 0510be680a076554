/**
 * Stable error codes. Every refusal is an Error whose message starts with `CODE: `, so gateways map
 * refusals by code, never by prose.
 */
import { ChaincodeError } from '@coffee/chaincode-common';

export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'CORRUPT_STATE',
  'EXPORT_NOT_FOUND',
  'EXPORT_EXISTS',
  'INVALID_TRANSITION',
  'FORBIDDEN_ORG',
  'FORBIDDEN_ROLE',
  'USER_NOT_REGISTERED',
  'USER_SUSPENDED',
  'INVALID_IDENTITY',
  'LICENSE_INVALID',
  'EXPORTER_DELINQUENT',
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
  'UPSTREAM_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Refuses with one of this chaincode's codes: a ChaincodeError whose message is `CODE: detail`. */
export function fail(code: ErrorCode, detail: string): never {
  throw new ChaincodeError(code, detail);
}

/** The first known `CODE: ` in a message relayed from another chaincode (peers may prefix their own text). */
export function codeIn(message: string): ErrorCode | undefined {
  for (const match of message.matchAll(/\b([A-Z][A-Z_]{2,}): /g)) {
    const found = ERROR_CODES.find((code) => code === match[1]);
    if (found !== undefined) {
      return found;
    }
  }
  return undefined;
}
