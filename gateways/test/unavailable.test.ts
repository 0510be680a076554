/**
 * An unreachable dependency is refused fast with 503 and Retry-After (issue 12, case 3: two of three orderers
 * down): the ordering service's UNAVAILABLE at submit names the ordering service; the header reaches the client.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { GatewayError } from '@hyperledger/fabric-gateway';
import { fromFabricError, toProblem, UnavailableError } from '../src/errors.ts';
import { ORDERING_RETRY_MS } from '../src/fabric/ledger.ts';
import { testConfig, unreachableApp } from './helpers.ts';

/** What the client throws when every orderer refused (no Raft leader) or could not be reached. */
function submitUnavailable(): GatewayError {
  const e = new GatewayError({
    code: GrpcStatus.UNAVAILABLE,
    details: [
      { address: '127.0.0.1:7050', mspId: 'OrdererMSP', message: 'connection refused' },
      {
        address: '127.0.0.1:7150',
        mspId: 'OrdererMSP',
        message:
          'received unsuccessful response from orderer: status=SERVICE_UNAVAILABLE, info=no Raft leader',
      },
    ],
    cause: new Error('grpc') as ServiceError,
    message: '14 UNAVAILABLE: no orderers could successfully process transaction',
  });
  // fabric-gateway exports SubmitError as a type only; chaincode-error.ts knows it by its name.
  return Object.assign(e, { name: 'SubmitError', transactionId: 'tx-1' });
}

describe('ordering service unavailable → 503 with Retry-After', () => {
  it('a submit refused by every orderer: 503 SERVICE_UNAVAILABLE naming the ordering service, Retry-After 2', () => {
    const e = fromFabricError(submitUnavailable());
    assert.ok(e instanceof UnavailableError);
    assert.equal(e.status, 503);
    assert.equal(e.retryAfterSeconds, 2);
    const p = toProblem(e);
    assert.equal(p.code, 'SERVICE_UNAVAILABLE');
    assert.equal(p.detail, 'the ordering service is unavailable; nothing was written, retry later');
  });

  it('an unreachable peer (not at submit) keeps naming both', () => {
    const e = fromFabricError(
      new GatewayError({
        code: GrpcStatus.UNAVAILABLE,
        details: [],
        cause: new Error('grpc') as ServiceError,
        message: '14 UNAVAILABLE: No connection established',
      }),
    );
    assert.ok(e instanceof UnavailableError);
    assert.match(e.message, /^the organization peer or the ordering service is unavailable/);
    assert.equal(e.retryAfterSeconds, 2);
  });

  it('the ordering retry stays well below the 10 s a client may wait, above a Raft election', () => {
    assert.ok(ORDERING_RETRY_MS >= 4_000 && ORDERING_RETRY_MS <= 6_000, String(ORDERING_RETRY_MS));
  });
});

describe('the app sends Retry-After with every 503 SERVICE_UNAVAILABLE', () => {
  const config = testConfig('ecta');
  const stack = unreachableApp(config);
  let base = '';
  before(async () => {
    base = await stack.start();
  });
  after(() => stack.stop());

  it('a login while the database is down: 503 with Retry-After: 2', async () => {
    const res = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'someone', password: 'x'.repeat(16) }),
    });
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { code: string }).code, 'SERVICE_UNAVAILABLE');
    assert.equal(res.headers.get('retry-after'), '2');
  });
});
