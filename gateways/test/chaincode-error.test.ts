/** Every failure of the fabric-gateway client, parsed in one place into a structured FabricFailure. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  CommitError,
  CommitStatusError,
  EndorseError,
  GatewayError,
  StatusCode,
  type ErrorDetail,
} from '@hyperledger/fabric-gateway';
import { ChaincodeError, ChaincodeUnavailableError, fromFabricError, toProblem } from '../src/errors.ts';
import {
  findChaincodeRefusal,
  grpcStatusOf,
  parseFabricError,
  refusalIn,
} from '../src/fabric/chaincode-error.ts';

const cause = new Error('grpc') as ServiceError;

function endorseError(details: ErrorDetail[], code = GrpcStatus.ABORTED): EndorseError {
  return new EndorseError({
    code,
    details,
    cause,
    message: `${code} ${GrpcStatus[code]}: failed to endorse transaction, see attached details for more info`,
    transactionId: 'tx-1',
  });
}

function gatewayError(code: GrpcStatus, message: string, details: ErrorDetail[] = []): GatewayError {
  return new GatewayError({ code, details, cause, message: `${code} ${GrpcStatus[code]}: ${message}` });
}

const detail = (message: string, mspId = 'ECTAMSP'): ErrorDetail => ({
  address: `peer0.${mspId.toLowerCase()}:7051`,
  mspId,
  message,
});

describe('chaincode refusals in text', () => {
  it('reads a plain `CODE: detail`', () => {
    assert.deepEqual(refusalIn('EXPORT_NOT_FOUND: export EX-1 does not exist'), {
      code: 'EXPORT_NOT_FOUND',
      detail: 'export EX-1 does not exist',
      known: true,
    });
  });

  it("reads a refusal wrapped in a peer's text", () => {
    assert.deepEqual(
      refusalIn(
        'evaluate call to endorser returned error: chaincode response 500, BELOW_MINIMUM_PRICE: 4.10 < 4.50 USD/kg',
      ),
      { code: 'BELOW_MINIMUM_PRICE', detail: '4.10 < 4.50 USD/kg', known: true },
    );
    // Older peers: the simulation error, with the chaincode's message at its end.
    assert.deepEqual(
      refusalIn(
        'error in simulation: transaction returned with failure: USER_SUSPENDED: user u-1 is suspended',
      ),
      { code: 'USER_SUSPENDED', detail: 'user u-1 is suspended', known: true },
    );
  });

  it('keeps a code the consortium does not define, marked unknown, where the chaincode message sits', () => {
    assert.deepEqual(refusalIn('chaincode response 500, SOMETHING_NEW: a code from a newer chaincode'), {
      code: 'SOMETHING_NEW',
      detail: 'a code from a newer chaincode',
      known: false,
    });
    assert.deepEqual(refusalIn('SOMETHING_NEW: bare'), {
      code: 'SOMETHING_NEW',
      detail: 'bare',
      known: false,
    });
    // Inside other text only a known code counts: capitals followed by a colon are not a code.
    assert.equal(refusalIn('10 ABORTED: failed to endorse transaction'), undefined);
    assert.equal(refusalIn('peer said: NOT_A_CODE: whatever'), undefined);
  });

  it('finds nothing in free text', () => {
    assert.equal(refusalIn('something broke'), undefined);
    assert.equal(refusalIn(''), undefined);
  });

  it('prefers the chaincode-message position in any text to a known code inside another', () => {
    const found = findChaincodeRefusal([
      'relayed: EXPORT_NOT_FOUND: from a prefix',
      'chaincode response 500, INVALID_TRANSITION: not now',
    ]);
    assert.equal(found?.code, 'INVALID_TRANSITION');
    assert.equal(found?.index, 1);
  });
});

describe('parseFabricError', () => {
  it('takes the refusal from an EndorseError details array, with the node, tx id and gRPC status', () => {
    const f = parseFabricError(
      endorseError([
        detail('failed to collect enough transaction endorsements', 'CommercialBankMSP'),
        detail('chaincode response 500, PERMIT_CONSUMED: permit EP-1 was already used'),
      ]),
    );
    assert.deepEqual(f, {
      kind: 'chaincode',
      code: 'PERMIT_CONSUMED',
      detail: 'permit EP-1 was already used',
      known: true,
      stage: 'endorse',
      txId: 'tx-1',
      grpcStatus: GrpcStatus.ABORTED,
      node: { mspId: 'ECTAMSP', address: 'peer0.ectamsp:7051' },
    });
  });

  it('reads a refusal that only the message carries (an evaluate)', () => {
    const f = parseFabricError(
      gatewayError(
        GrpcStatus.UNKNOWN,
        'evaluate call to endorser returned error: chaincode response 500, EXPORTER_NOT_FOUND: no EXP-9',
      ),
    );
    assert.equal(f?.kind, 'chaincode');
    assert.equal(f?.code, 'EXPORTER_NOT_FOUND');
    assert.equal(f?.detail, 'no EXP-9');
    assert.equal(f?.stage, 'gateway');
    assert.equal(f?.node, undefined);
  });

  it('an unknown message is an upstream failure named after its stage', () => {
    const f = parseFabricError(endorseError([detail('something broke')]));
    assert.equal(f?.kind, 'upstream');
    assert.equal(f?.code, 'ENDORSEMENT_FAILED');
    assert.equal(f?.known, false);
    assert.equal(f?.grpcStatus, GrpcStatus.ABORTED);
    const status = parseFabricError(
      new CommitStatusError({
        code: GrpcStatus.INTERNAL,
        details: [],
        cause,
        transactionId: 'tx-2',
        message: '13 INTERNAL: oops',
      }),
    );
    assert.equal(status?.kind, 'upstream');
    assert.equal(status?.code, 'COMMIT_STATUS_FAILED');
    assert.equal(status?.txId, 'tx-2');
    assert.equal(parseFabricError(gatewayError(GrpcStatus.INTERNAL, 'boom'))?.code, 'LEDGER_ERROR');
  });

  it('a code outside the known list is still the chaincode’s, marked unknown (502: a code the consortium does not define is an upstream fault)', () => {
    const e = endorseError([detail('chaincode response 500, QUOTA_EXCEEDED: too many exports today')]);
    const f = parseFabricError(e);
    assert.equal(f?.kind, 'chaincode');
    assert.equal(f?.code, 'QUOTA_EXCEEDED');
    assert.equal(f?.known, false);
    const app = fromFabricError(e);
    assert.ok(app instanceof ChaincodeError);
    assert.equal(app.known, false);
    assert.equal(app.status, 502);
    assert.equal(app.message, 'too many exports today');
  });

  it('classifies UNAVAILABLE and DEADLINE_EXCEEDED by their gRPC status names', () => {
    const un = parseFabricError(gatewayError(GrpcStatus.UNAVAILABLE, 'no connection'));
    assert.equal(un?.kind, 'unavailable');
    assert.equal(un?.grpcStatus, GrpcStatus.UNAVAILABLE);
    assert.equal(fromFabricError(gatewayError(GrpcStatus.UNAVAILABLE, 'x'))?.status, 503);
    const dl = parseFabricError(gatewayError(GrpcStatus.DEADLINE_EXCEEDED, 'slow'));
    assert.equal(dl?.kind, 'timeout');
    assert.equal(dl?.code, 'LEDGER_TIMEOUT');
    assert.equal(fromFabricError(gatewayError(GrpcStatus.DEADLINE_EXCEEDED, 'x'))?.status, 504);
    // A refusal wins over the transport status it came with.
    assert.equal(
      parseFabricError(gatewayError(GrpcStatus.UNAVAILABLE, 'x', [detail('VALIDATION_FAILED: bad input')]))
        ?.kind,
      'chaincode',
    );
  });

  it('a peer that cannot reach its chaincode server: 503 CHAINCODE_UNAVAILABLE naming the org, with Retry-After', () => {
    // What a Fabric 2.5 peer answers while the org's chaincode-as-a-service process is down.
    const peerSays =
      'error in simulation: failed to execute transaction 3f2a: could not launch chaincode ' +
      'coffee-export_0.1.0-679821afd3:7aeb86b0218835b30900ad43775c2718668d3a1da745e1b1a2d6034f6b1724d2: ' +
      'connection to coffee-export_0.1.0-679821afd3:7aeb86b0 failed: error cannot create connection for ' +
      'coffee-export_0.1.0-679821afd3:7aeb86b0: error creating grpc connection to 127.0.0.1:7220: failed to create ' +
      'new connection: connection error: desc = "transport: error while dialing: dial tcp 127.0.0.1:7220: connect: ' +
      'connection refused"';
    const e = endorseError([detail(peerSays, 'NationalBankMSP')]);
    const f = parseFabricError(e);
    assert.equal(f?.kind, 'unavailable');
    assert.equal(f?.code, 'CHAINCODE_UNAVAILABLE');
    assert.deepEqual(f?.node, { mspId: 'NationalBankMSP', address: 'peer0.nationalbankmsp:7051' });
    assert.match(
      f?.detail ?? '',
      /NationalBankMSP \(peer peer0\.nationalbankmsp:7051\) cannot reach its coffee-export chaincode/,
    );
    const app = fromFabricError(e);
    assert.ok(app instanceof ChaincodeUnavailableError);
    assert.equal(app.status, 503);
    assert.equal(app.retryAfterSeconds, 5);
    assert.equal(app.txId, 'tx-1');
    const problem = toProblem(app);
    assert.equal(problem.code, 'CHAINCODE_UNAVAILABLE');
    assert.match(
      problem.detail!,
      /^endorsement unavailable: NationalBankMSP .* coffee-export chaincode; nothing was written, retry later$/,
    );
    // An evaluate on this org's own peer carries the text in its message only.
    const own = parseFabricError(
      gatewayError(GrpcStatus.UNKNOWN, `evaluate call to endorser returned error: ${peerSays}`),
    );
    assert.equal(own?.code, 'CHAINCODE_UNAVAILABLE');
    assert.match(own?.detail ?? '', /this organization's peer cannot reach its coffee-export chaincode/);
    // A chaincode refusal from another endorser still wins: the request itself was refused.
    assert.equal(
      parseFabricError(
        endorseError([
          detail(peerSays, 'NationalBankMSP'),
          detail('chaincode response 500, EXPORT_NOT_FOUND: x'),
        ]),
      )?.code,
      'EXPORT_NOT_FOUND',
    );
  });

  it('a CommitError is a conflict (MVCC) or an invalid transaction, with its validation code', () => {
    const mvcc = parseFabricError(
      new CommitError({ code: StatusCode.MVCC_READ_CONFLICT, transactionId: 'tx-3', message: 'mvcc' }),
    );
    assert.equal(mvcc?.kind, 'conflict');
    assert.equal(mvcc?.code, 'MVCC_READ_CONFLICT');
    assert.equal(mvcc?.validationCode, StatusCode.MVCC_READ_CONFLICT);
    assert.equal(mvcc?.grpcStatus, undefined);
    const policy = parseFabricError(
      new CommitError({ code: StatusCode.ENDORSEMENT_POLICY_FAILURE, transactionId: 'tx-4', message: 'p' }),
    );
    assert.equal(policy?.kind, 'invalid');
    assert.equal(policy?.code, 'ENDORSEMENT_POLICY_FAILURE');
    const other = parseFabricError(
      new CommitError({ code: StatusCode.PHANTOM_READ_CONFLICT, transactionId: 'tx-5', message: 'x' }),
    );
    assert.equal(other?.code, `TX_INVALID_${StatusCode.PHANTOM_READ_CONFLICT}`);
    const app = fromFabricError(
      new CommitError({ code: StatusCode.MVCC_READ_CONFLICT, transactionId: 'tx-3', message: 'mvcc' }),
    );
    assert.equal(app?.status, 409);
    assert.equal(app?.txId, 'tx-3');
  });

  it('anything that is not from the fabric-gateway client is not parsed', () => {
    assert.equal(parseFabricError(new Error('EXPORT_NOT_FOUND: not from the ledger')), undefined);
    assert.equal(parseFabricError('EXPORT_NOT_FOUND: a string'), undefined);
    assert.equal(parseFabricError(undefined), undefined);
  });

  it('grpcStatusOf reads gateway errors, never a commit validation code', () => {
    assert.equal(grpcStatusOf(gatewayError(GrpcStatus.UNAVAILABLE, 'x')), GrpcStatus.UNAVAILABLE);
    assert.equal(grpcStatusOf(new CommitError({ code: 14, transactionId: 't', message: 'm' })), undefined);
    assert.equal(grpcStatusOf(new Error('plain')), undefined);
    assert.equal(grpcStatusOf(null), undefined);
  });
});
