/**
 * Stable error codes. Every refusal is an Error whose message starts with `CODE: `, so clients (and the
 * coffee-export chaincode, which calls this one) can branch on the code without parsing prose.
 */
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

/** A refusal carrying its stable code; the message is `CODE: detail`. */
export class ChaincodeError extends Error {
  public readonly code: ErrorCode;

  constructor(code: ErrorCode, detail: string) {
    super(`${code}: ${detail}`);
    this.name = 'ChaincodeError';
    this.code = code;
  }
}

export function fail(code: ErrorCode, detail: string): never {
  throw new ChaincodeError(code, detail);
}
