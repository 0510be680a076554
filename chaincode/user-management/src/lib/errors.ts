/**
 * Stable error codes. Every refusal is an Error whose message starts with `CODE: `, so clients (and the
 * coffee-export chaincode, which calls this one) can branch on the code without parsing prose.
 */
import { ChaincodeError } from '@coffee/chaincode-common';
import { USER_ERROR_CODES } from '@coffee/consortium';

export const ERROR_CODES = USER_ERROR_CODES;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Refuses with one of this chaincode's codes: a ChaincodeError whose message is `CODE: detail`. */
export function fail(code: ErrorCode, detail: string): never {
  throw new ChaincodeError(code, detail);
}
