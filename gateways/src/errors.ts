/**
 * Every failure a client can see, as RFC 9457 problem details with a stable `code` (and `type` URI built
 * from it). Chaincode refusals (`CODE: message`) keep the chaincode's code. Nothing else reaches the client:
 * unknown errors become a generic 500 without detail or stack.
 */
import {
  EndorseError,
  CommitError,
  CommitStatusError,
  GatewayError,
  StatusCode,
  type SubmitError,
} from '@hyperledger/fabric-gateway';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_TYPE_BASE = 'https://coffee-export.local/problems/';

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  txId?: string;
  errors?: { path: string; message: string }[];
}

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly txId?: string;
  readonly errors?: { path: string; message: string }[];
  constructor(
    status: number,
    code: string,
    message: string,
    extra: { txId?: string; errors?: { path: string; message: string }[]; cause?: unknown } = {},
  ) {
    super(message, { cause: extra.cause });
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.txId = extra.txId;
    this.errors = extra.errors;
  }
}

/** A dependency (Postgres, IPFS, the peer) is unreachable: 503, nothing was written. */
export class UnavailableError extends AppError {
  constructor(what: string, cause?: unknown) {
    super(503, 'SERVICE_UNAVAILABLE', `${what} is unavailable; nothing was written, retry later`, { cause });
    this.name = 'UnavailableError';
  }
}

/** A chaincode refusal with its own code (errors are `CODE: message`). */
export class ChaincodeError extends AppError {
  constructor(status: number, code: string, message: string, txId?: string) {
    super(status, code, message, { txId });
    this.name = 'ChaincodeError';
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** HTTP status of a chaincode error code. */
export function statusOfChaincodeCode(code: string): number {
  if (code === 'VALIDATION_FAILED') return 400;
  if (code.endsWith('_NOT_FOUND') || code === 'TERMS_MISSING') return 404;
  if (code.startsWith('FORBIDDEN_') || code === 'USER_NOT_REGISTERED' || code === 'USER_SUSPENDED')
    return 403;
  if (code.endsWith('_EXISTS') || code === 'INVALID_TRANSITION') return 409;
  if (code === 'CORRUPT_STATE' || code === 'TERMS_TAMPERED') return 502;
  return 422;
}

const CHAINCODE_MESSAGE = /chaincode response \d+, ([A-Z][A-Z0-9_]{2,63}): ([\s\S]*)$/;
const BARE_MESSAGE = /^([A-Z][A-Z0-9_]{2,63}): ([\s\S]*)$/;

/** The chaincode's `CODE: message` carried in a gateway error's details (or message), if any. */
export function chaincodeRefusal(e: GatewayError): { code: string; message: string } | undefined {
  const texts = [...e.details.map((d) => d.message), e.message];
  for (const text of texts) {
    const m = CHAINCODE_MESSAGE.exec(text) ?? BARE_MESSAGE.exec(text);
    if (m) return { code: m[1]!, message: m[2]!.trim() };
  }
  return undefined;
}

const GRPC = { DEADLINE_EXCEEDED: 4, UNAVAILABLE: 14, ABORTED: 10 } as const;

/** Maps any error thrown by fabric-gateway to an AppError (or returns undefined if it is not one). */
export function fromFabricError(e: unknown): AppError | undefined {
  if (e instanceof CommitError) {
    const code =
      e.code === StatusCode.MVCC_READ_CONFLICT
        ? 'MVCC_READ_CONFLICT'
        : e.code === StatusCode.ENDORSEMENT_POLICY_FAILURE
          ? 'ENDORSEMENT_POLICY_FAILURE'
          : `TX_INVALID_${e.code}`;
    const status = e.code === StatusCode.MVCC_READ_CONFLICT ? 409 : 502;
    return new AppError(
      status,
      code,
      `transaction ${e.transactionId} was not committed (validation code ${e.code})`,
      { txId: e.transactionId },
    );
  }
  if (e instanceof GatewayError) {
    const refusal = chaincodeRefusal(e);
    const txId = (e as EndorseError | SubmitError | CommitStatusError).transactionId as string | undefined;
    if (refusal)
      return new ChaincodeError(statusOfChaincodeCode(refusal.code), refusal.code, refusal.message, txId);
    if (e.code === GRPC.UNAVAILABLE)
      return new UnavailableError('the organization peer or the ordering service', e);
    if (e.code === GRPC.DEADLINE_EXCEEDED)
      return new AppError(504, 'LEDGER_TIMEOUT', 'the ledger did not answer in time', { txId, cause: e });
    const kind =
      e instanceof EndorseError
        ? 'ENDORSEMENT_FAILED'
        : e.name === 'SubmitError'
          ? 'SUBMIT_FAILED'
          : e instanceof CommitStatusError
            ? 'COMMIT_STATUS_FAILED'
            : 'LEDGER_ERROR';
    return new AppError(502, kind, 'the ledger refused or failed the request', { txId, cause: e });
  }
  return undefined;
}

export function toProblem(e: unknown, instance?: string): Problem {
  const err =
    e instanceof AppError
      ? e
      : (fromFabricError(e) ?? new AppError(500, 'INTERNAL_ERROR', 'an unexpected error occurred'));
  const problem: Problem = {
    type: `${PROBLEM_TYPE_BASE}${err.code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[err.status] ?? 'Error',
    status: err.status,
    code: err.code,
    detail: err.status === 500 ? undefined : err.message,
    instance,
  };
  if (err.txId) problem.txId = err.txId;
  if (err.errors) problem.errors = err.errors;
  return problem;
}
