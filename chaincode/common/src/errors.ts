/**
 * The refusal both chaincodes throw: an Error whose message starts with `CODE: `, so clients (and a
 * chaincode relaying another's refusal) branch on the code, never on prose. Each chaincode lists its own
 * codes and narrows `fail` to them; the shared modules raise only the codes below.
 */
export class ChaincodeError<Code extends string = string> extends Error {
  public readonly code: Code;

  constructor(code: Code, detail: string) {
    super(`${code}: ${detail}`);
    this.name = 'ChaincodeError';
    this.code = code;
  }
}

/**
 * Codes of the shared modules: malformed input, unreadable ledger bytes, an unreadable reply from another
 * chaincode (the caller chooses which one a parse failure carries), and a call from the wrong chaincode.
 */
export type CommonErrorCode = 'VALIDATION_FAILED' | 'CORRUPT_STATE' | 'UPSTREAM_ERROR' | 'FORBIDDEN_CALLER';

export function fail(code: CommonErrorCode, detail: string): never {
  throw new ChaincodeError(code, detail);
}
