/**
 * The one place that reads what the fabric-gateway client throws. Every EndorseError, SubmitError,
 * CommitStatusError, CommitError or plain GatewayError becomes a structured FabricFailure: the chaincode's own
 * `CODE: detail` when a refusal is in there (peers wrap it in their own text and put it in the error's
 * `details`), otherwise what the gateway or the commit said (gRPC status, transaction validation code).
 * Nobody else looks at error messages: errors.ts maps a FabricFailure to an HTTP problem, ledger.ts decides its
 * retries from it.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  CommitError,
  CommitStatusError,
  EndorseError,
  GatewayError,
  StatusCode,
  type ErrorDetail,
} from '@hyperledger/fabric-gateway';
import { isChaincodeErrorCode, parseChaincodeMessage as firstKnownCode } from '@coffee/consortium';

export { GrpcStatus };

/**
 * What went wrong:
 * - `chaincode`: the chaincode refused (`code` is its own, `known` says whether the consortium defines it);
 * - `conflict`: the transaction committed invalid with an MVCC read conflict (a new transaction may succeed);
 * - `invalid`: the transaction committed invalid for another reason (`validationCode`);
 * - `unavailable`: the peer or the ordering service could not be reached (gRPC UNAVAILABLE), or an endorsing peer
 *   could not reach its chaincode server (`CHAINCODE_UNAVAILABLE`: that org's endorsement cannot be had);
 * - `timeout`: a deadline passed (gRPC DEADLINE_EXCEEDED): the outcome is not known;
 * - `upstream`: any other gateway failure that carries no chaincode code.
 */
export type FabricFailureKind = 'chaincode' | 'conflict' | 'invalid' | 'unavailable' | 'timeout' | 'upstream';

/** The call that failed: a proposal's endorsement (or an evaluate), the ordering, the commit-status wait, the commit. */
export type FabricStage = 'endorse' | 'submit' | 'commit-status' | 'commit' | 'gateway';

export interface FabricFailure {
  readonly kind: FabricFailureKind;
  /**
   * A stable code: the chaincode's (`EXPORT_NOT_FOUND`), the validation code's name for a commit
   * (`MVCC_READ_CONFLICT`, `ENDORSEMENT_POLICY_FAILURE`, `TX_INVALID_<n>` for the others), `SERVICE_UNAVAILABLE`,
   * `CHAINCODE_UNAVAILABLE`, `LEDGER_TIMEOUT`, or the failed stage (`ENDORSEMENT_FAILED`, `SUBMIT_FAILED`, `COMMIT_STATUS_FAILED`,
   * `LEDGER_ERROR`).
   */
  readonly code: string;
  /** The chaincode's detail after `CODE: `, else the client's own message. */
  readonly detail: string;
  /** The code is one the consortium's chaincodes define (only ever true for kind `chaincode`). */
  readonly known: boolean;
  readonly stage: FabricStage;
  readonly txId?: string;
  /** The gRPC status of a gateway call (absent for a CommitError: the call succeeded, the transaction did not). */
  readonly grpcStatus?: GrpcStatus;
  /** The transaction validation code of a CommitError (a StatusCode value). */
  readonly validationCode?: number;
  /** The node whose error detail carried the chaincode's code (or said its chaincode could not be reached). */
  readonly node?: { readonly mspId: string; readonly address: string };
}

/** A chaincode refusal found in a text: its code, the detail after `CODE: `, and whether the consortium knows it. */
export interface ChaincodeRefusal {
  readonly code: string;
  readonly detail: string;
  readonly known: boolean;
}

const CODE = '[A-Z][A-Z0-9_]{2,63}';
/** Where a peer puts the chaincode's message: `... chaincode response 500, CODE: detail`. */
const PEER_WRAPPED = new RegExp(`chaincode response \\d+, (${CODE}): ([\\s\\S]*)$`);
/** The chaincode's message itself: `CODE: detail`. */
const BARE = new RegExp(`^(${CODE}): ([\\s\\S]*)$`);

/** A `CODE: detail` at the place the chaincode's message sits: any code, known or not. */
function anchoredRefusal(text: string): ChaincodeRefusal | undefined {
  const m = PEER_WRAPPED.exec(text) ?? BARE.exec(text);
  if (!m) return undefined;
  const code = m[1]!;
  return { code, detail: m[2]!.trim(), known: isChaincodeErrorCode(code) };
}

/** The first code the consortium defines anywhere in the text (unknown words in capitals are not codes). */
function embeddedRefusal(text: string): ChaincodeRefusal | undefined {
  const found = firstKnownCode(text);
  return found && { code: found.code, detail: found.detail.trim(), known: true };
}

/**
 * The chaincode refusal carried by any of `texts` (in order): first a `CODE: detail` where the chaincode's
 * message sits (the whole text, or after a peer's `chaincode response <status>, `), whatever the code; failing
 * that, the first code the consortium defines anywhere in a text (a peer or a relaying chaincode prefixed it).
 */
export function findChaincodeRefusal(
  texts: readonly string[],
): (ChaincodeRefusal & { index: number }) | undefined {
  for (const find of [anchoredRefusal, embeddedRefusal]) {
    for (const [index, text] of texts.entries()) {
      const found = find(text);
      if (found) return { ...found, index };
    }
  }
  return undefined;
}

/**
 * A peer that cannot reach its chaincode server (chaincode as a service: the server is down or restarting) says
 * `could not launch chaincode <name>_<version>:<hash>: connection to … failed`; the name is the package label's
 * first part.
 */
const CHAINCODE_DOWN = /could not launch chaincode ([A-Za-z0-9][A-Za-z0-9.-]*)_/;

/** The chaincode a peer could not reach, if the text says so. */
export function unreachableChaincode(text: string): string | undefined {
  return CHAINCODE_DOWN.exec(text)?.[1];
}

/** The refusal in a single message (`CODE: detail`, possibly wrapped), if any. */
export function refusalIn(message: string): ChaincodeRefusal | undefined {
  const found = findChaincodeRefusal([message]);
  return found && { code: found.code, detail: found.detail, known: found.known };
}

type CallStage = Exclude<FabricStage, 'commit'>;

function stageOf(e: GatewayError): CallStage {
  if (e instanceof EndorseError) return 'endorse';
  // SubmitError is exported as a type only: known by its name.
  if (e.name === 'SubmitError') return 'submit';
  if (e instanceof CommitStatusError) return 'commit-status';
  return 'gateway';
}

const STAGE_CODES: Record<CallStage, string> = {
  endorse: 'ENDORSEMENT_FAILED',
  submit: 'SUBMIT_FAILED',
  'commit-status': 'COMMIT_STATUS_FAILED',
  gateway: 'LEDGER_ERROR',
};

function txIdOf(e: GatewayError): string | undefined {
  const id = (e as { transactionId?: unknown }).transactionId;
  return typeof id === 'string' ? id : undefined;
}

function commitFailure(e: CommitError): FabricFailure {
  const base = {
    detail: e.message,
    known: false,
    stage: 'commit' as const,
    txId: e.transactionId,
    validationCode: e.code,
  };
  if (e.code === StatusCode.MVCC_READ_CONFLICT)
    return { ...base, kind: 'conflict', code: 'MVCC_READ_CONFLICT' };
  if (e.code === StatusCode.ENDORSEMENT_POLICY_FAILURE)
    return { ...base, kind: 'invalid', code: 'ENDORSEMENT_POLICY_FAILURE' };
  return { ...base, kind: 'invalid', code: `TX_INVALID_${e.code}` };
}

/**
 * Endorsers whose peer could not reach its chaincode server: the detail names each org, its peer and the
 * chaincode (an evaluate carries no details: then it is this org's own peer, named by the message alone).
 */
function chaincodeDown(
  details: readonly ErrorDetail[],
  message: string,
): Pick<FabricFailure, 'kind' | 'code' | 'detail' | 'known' | 'node'> | undefined {
  const down = details
    .map((d) => ({ d, chaincode: unreachableChaincode(d.message) }))
    .filter((x): x is { d: ErrorDetail; chaincode: string } => x.chaincode !== undefined);
  const own = down.length === 0 ? unreachableChaincode(message) : undefined;
  if (down.length === 0 && own === undefined) return undefined;
  const what =
    down.length > 0
      ? down.map(
          ({ d, chaincode }) => `${d.mspId} (peer ${d.address}) cannot reach its ${chaincode} chaincode`,
        )
      : [`this organization's peer cannot reach its ${own} chaincode`];
  const first = down[0]?.d;
  return {
    kind: 'unavailable',
    code: 'CHAINCODE_UNAVAILABLE',
    detail: `endorsement unavailable: ${what.join('; ')}`,
    known: false,
    ...(first ? { node: { mspId: first.mspId, address: first.address } } : {}),
  };
}

function gatewayFailure(e: GatewayError): FabricFailure {
  const stage = stageOf(e);
  const details: readonly ErrorDetail[] = Array.isArray(e.details) ? e.details : [];
  const base = { stage, txId: txIdOf(e), grpcStatus: grpcStatusOf(e) };
  const refusal = findChaincodeRefusal([...details.map((d) => d.message), e.message]);
  if (refusal) {
    const from = details[refusal.index];
    return {
      ...base,
      kind: 'chaincode',
      code: refusal.code,
      detail: refusal.detail,
      known: refusal.known,
      ...(from ? { node: { mspId: from.mspId, address: from.address } } : {}),
    };
  }
  const down = chaincodeDown(details, e.message);
  if (down) return { ...base, ...down };
  if (base.grpcStatus === GrpcStatus.UNAVAILABLE)
    return { ...base, kind: 'unavailable', code: 'SERVICE_UNAVAILABLE', detail: e.message, known: false };
  if (base.grpcStatus === GrpcStatus.DEADLINE_EXCEEDED)
    return { ...base, kind: 'timeout', code: 'LEDGER_TIMEOUT', detail: e.message, known: false };
  return { ...base, kind: 'upstream', code: STAGE_CODES[stage], detail: e.message, known: false };
}

/**
 * The structured failure of anything the fabric-gateway client threw (EndorseError, SubmitError,
 * CommitStatusError, GatewayError, CommitError); undefined for an error that did not come from it.
 */
export function parseFabricError(e: unknown): FabricFailure | undefined {
  if (e instanceof CommitError) return commitFailure(e);
  if (e instanceof GatewayError) return gatewayFailure(e);
  return undefined;
}

/** The gRPC status of a failed gateway call (or of a raw gRPC error), if it has one. */
export function grpcStatusOf(e: unknown): GrpcStatus | undefined {
  if (e instanceof CommitError) return undefined;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'number' && code in GrpcStatus ? code : undefined;
}

/** What fabric/ledger.ts reports about each submit. */
export interface LedgerObserver {
  submitted(fn: string, seconds: number, outcome: 'ok' | 'error'): void;
  mvccRetry(fn: string): void;
  endorsementFailed(fn: string): void;
}

/**
 * An endorsement that could not be had for a reason other than the chaincode refusing (that is a business answer
 * the user sees): a peer unreachable or timing out, its chaincode server down, or the endorsement policy unmet.
 */
export function isEndorsementFailure(f: FabricFailure | undefined): boolean {
  if (!f) return false;
  if (f.validationCode === StatusCode.ENDORSEMENT_POLICY_FAILURE) return true;
  return f.stage === 'endorse' && f.kind !== 'chaincode';
}
