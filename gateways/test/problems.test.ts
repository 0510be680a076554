/** Error mapping: chaincode codes pass through with a fitting status; nothing leaks for unknown errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EndorseError, GatewayError } from '@hyperledger/fabric-gateway';
import {
  AppError,
  chaincodeRefusal,
  fromFabricError,
  statusOfChaincodeCode,
  toProblem,
  UnavailableError,
} from '../src/errors.ts';

function endorseError(message: string, code = 10): EndorseError {
  return new EndorseError({
    code,
    details: [{ address: 'peer0:7101', mspId: 'ECTAMSP', message }],
    cause: new Error('grpc'),
    message: `${code} ABORTED: failed to endorse transaction, see attached details for more info`,
    transactionId: 'tx-1',
  } as ConstructorParameters<typeof EndorseError>[0]);
}

describe('chaincode error codes → HTTP', () => {
  const table: [string, number][] = [
    ['VALIDATION_FAILED', 400],
    ['EXPORT_NOT_FOUND', 404],
    ['EXPORTER_NOT_FOUND', 404],
    ['FORBIDDEN_ROLE', 403],
    ['FORBIDDEN_ORG', 403],
    ['PERMIT_NOT_FOUND', 404],
    ['FORBIDDEN_CALLER', 403],
    ['USER_SUSPENDED', 403],
    ['EXPORT_EXISTS', 409],
    ['INVALID_TRANSITION', 409],
    ['BELOW_MINIMUM_PRICE', 422],
    ['PERMIT_CONSUMED', 422],
    ['TERMS_TAMPERED', 502],
    ['UPSTREAM_ERROR', 502],
    ['HEARTBEAT_NOT_FOUND', 404],
    ['NOT_A_KNOWN_CODE', 502],
  ];
  for (const [code, status] of table) {
    it(`${code} → ${status}`, () => assert.equal(statusOfChaincodeCode(code), status));
  }

  it('extracts CODE: message from an endorsement failure and keeps the tx id', () => {
    const e = fromFabricError(
      endorseError(
        'chaincode response 500, BELOW_MINIMUM_PRICE: the contract price is below minimum price MP-000001',
      ),
    );
    assert.ok(e instanceof AppError);
    assert.equal(e.code, 'BELOW_MINIMUM_PRICE');
    assert.equal(e.status, 422);
    assert.equal(e.txId, 'tx-1');
    assert.match(e.message, /below minimum price MP-000001/);
  });

  it('maps an unavailable peer to 503 and a deadline to 504', () => {
    const un = fromFabricError(
      new GatewayError({
        code: 14,
        details: [],
        cause: new Error('x'),
        message: '14 UNAVAILABLE: no connection',
      } as unknown as ConstructorParameters<typeof GatewayError>[0]),
    );
    assert.equal(un?.status, 503);
    const dl = fromFabricError(
      new GatewayError({
        code: 4,
        details: [],
        cause: new Error('x'),
        message: '4 DEADLINE_EXCEEDED',
      } as unknown as ConstructorParameters<typeof GatewayError>[0]),
    );
    assert.equal(dl?.status, 504);
  });

  it('finds no code in free text', () => {
    assert.equal(chaincodeRefusal(endorseError('something broke')), undefined);
  });
});

describe('problem+json', () => {
  it('has type, title, status, code, detail', () => {
    const p = toProblem(
      new AppError(409, 'INVALID_TRANSITION', 'not now', { txId: 'abc' }),
      '/api/v1/exports/X/actions/ship',
    );
    assert.deepEqual(p, {
      type: 'https://coffee-export.local/problems/invalid-transition',
      title: 'Conflict',
      status: 409,
      code: 'INVALID_TRANSITION',
      detail: 'not now',
      instance: '/api/v1/exports/X/actions/ship',
      txId: 'abc',
    });
  });

  it('hides the message and stack of unexpected errors', () => {
    const p = toProblem(new TypeError('secret internal detail at /home/x.ts:12'));
    assert.equal(p.status, 500);
    assert.equal(p.code, 'INTERNAL_ERROR');
    assert.equal(p.detail, undefined);
    assert.ok(!JSON.stringify(p).includes('secret'));
  });

  it('503 for an unavailable dependency says nothing was written', () => {
    const p = toProblem(new UnavailableError('the database'));
    assert.equal(p.status, 503);
    assert.equal(p.code, 'SERVICE_UNAVAILABLE');
    assert.match(p.detail!, /nothing was written/);
  });
});
