/**
 * Stable error codes. Every refusal is an Error whose message starts with `CODE: `, so gateways map
 * refusals by code, never by prose.
 */
import { ChaincodeError } from '@coffee/chaincode-common';
import { EXPORT_ERROR_CODES, parseChaincodeMessage } from '@coffee/consortium';

export const ERROR_CODES = EXPORT_ERROR_CODES;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Refuses with one of this chaincode's codes: a ChaincodeError whose message is `CODE: detail`. */
export function fail(code: ErrorCode, detail: string): never {
  throw new ChaincodeError(code, detail);
}

/** The first known `CODE: ` in a message relayed from another chaincode (peers may prefix their own text). */
export function codeIn(message: string): ErrorCode | undefined {
  const code = parseChaincodeMessage(message)?.code;
  return ERROR_CODES.find((c) => c === code);
}
