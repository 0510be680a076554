/**
 * Stable error codes. Every refusal is an Error whose message starts with `CODE: `, so clients (and the
 * coffee-export chaincode, which calls this one) can branch on the code without parsing prose.
 */
import { ChaincodeError } from '@coffee/chaincode-common';

export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'CORRUPT_STATE',
  'FORBIDDEN_ORG',
  'FORBIDDEN_ROLE',
  'FORBIDDEN_CALLER',
  'USER_NOT_REGISTERED',
  'USER_SUSPENDED',
  'USER_EXISTS',
  'USER_NOT_FOUND',
  'INVALID_IDENTITY',
  'EXPORTER_EXISTS',
  'EXPORTER_NOT_FOUND',
  'LICENSE_INVALID',
  'EXPORTER_DELINQUENT',
  'INVALID_TRANSITION',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Refuses with one of this chaincode's codes: a ChaincodeError whose message is `CODE: detail`. */
export function fail(code: ErrorCode, detail: string): never {
  throw new ChaincodeError(code, detail);
}
