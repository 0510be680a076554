/**
 * Every failure a client can see, as RFC 9457 problem details with a stable `code` (and `type` URI built
 * from it). Chaincode refusals (`CODE: message`) keep the chaincode's code. Nothing else reaches the client:
 * unknown errors become a generic 500 without detail or stack.
 */
import type { GatewayError } from '@hyperledger/fabric-gateway';
import { findChaincodeRefusal, parseFabricError, type FabricFailure } from './fabric/chaincode-error.ts';
import { httpStatusOf } from '@coffee/consortium';

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

/**
 * A dependency (Postgres, IPFS, the peer, the ordering service) is unreachable: 503 with Retry-After (a Raft
 * election takes 2-4 s; a lost quorum or a stopped database is retried at that pace), nothing was written.
 */
export class UnavailableError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(what: string, cause?: unknown, retryAfterSeconds = 2) {
    super(503, 'SERVICE_UNAVAILABLE', `${what} is unavailable; nothing was written, retry later`, { cause });
    this.name = 'UnavailableError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * An endorsing peer cannot reach its chaincode server (stopped or restarting): the endorsement that org must give
 * cannot be had right now. 503 naming the org, with Retry-After; nothing was written (no transaction was ordered).
 */
export class ChaincodeUnavailableError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(detail: string, extra: { txId?: string; cause?: unknown } = {}, retryAfterSeconds = 5) {
    super(503, 'CHAINCODE_UNAVAILABLE', `${detail}; nothing was written, retry later`, extra);
    this.name = 'ChaincodeUnavailableError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A refusal that changed nothing (4xx): a request's Idempotency-Key may be used again at once. */
export function refusedDefinitely(e: unknown): boolean {
  return e instanceof AppError && e.status < 500;
}

/** A failure before anything reached the ordering service (an endorsement that could not be had). */
export function nothingOrdered(e: unknown): boolean {
  return e instanceof ChaincodeUnavailableError;
}

/** A chaincode refusal with its own code (errors are `CODE: message`). */
export class ChaincodeError extends AppError {
  /** The code is one the consortium's chaincodes define. */
  readonly known: boolean;
  constructor(status: number, code: string, message: string, txId?: string, known = true) {
    super(status, code, message, { txId });
    this.name = 'ChaincodeError';
    this.known = known;
  }
}

/** Did the chaincode refuse with this code? */
export function refusedWith(e: unknown, code: string): boolean {
  return e instanceof ChaincodeError && e.code === code;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** HTTP status of a chaincode error code (@coffee/consortium's table; an unknown code is an upstream fault, 502). */
export function statusOfChaincodeCode(code: string): number {
  return httpStatusOf(code);
}

/** The chaincode's `CODE: message` carried in a gateway error's details (or message), if any. */
export function chaincodeRefusal(e: GatewayError): { code: string; message: string } | undefined {
  const found = findChaincodeRefusal([...e.details.map((d) => d.message), e.message]);
  return found && { code: found.code, message: found.detail };
}

/** The AppError a ledger failure answers with (its message is the problem's detail). */
export function appErrorOf(f: FabricFailure, cause?: unknown): AppError {
  const txId = f.txId;
  switch (f.kind) {
    case 'chaincode':
      return new ChaincodeError(statusOfChaincodeCode(f.code), f.code, f.detail, txId, f.known);
    case 'conflict':
    case 'invalid':
      return new AppError(
        f.kind === 'conflict' ? 409 : 502,
        f.code,
        `transaction ${txId} was not committed (validation code ${f.validationCode})`,
        { txId },
      );
    case 'unavailable':
      if (f.code === 'CHAINCODE_UNAVAILABLE') return new ChaincodeUnavailableError(f.detail, { txId, cause });
      // At submit, the peer was reached: the ordering service refused (no Raft leader, no quorum) or is down.
      return new UnavailableError(
        f.stage === 'submit' ? 'the ordering service' : 'the organization peer or the ordering service',
        cause,
      );
    case 'timeout':
      return new AppError(504, 'LEDGER_TIMEOUT', 'the ledger did not answer in time', { txId, cause });
    case 'upstream':
      return new AppError(502, f.code, 'the ledger refused or failed the request', { txId, cause });
  }
}

/** Maps any error thrown by fabric-gateway to an AppError (or returns undefined if it is not one). */
export function fromFabricError(e: unknown): AppError | undefined {
  const failure = parseFabricError(e);
  return failure && appErrorOf(failure, e);
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
