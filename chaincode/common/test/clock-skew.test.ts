import '../test-support/quiet';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Context } from 'fabric-contract-api';
import Long from 'long';
import {
  ClockCheckedContract,
  MAX_CLOCK_SKEW_MS,
  clockSkewRefusal,
  isSubmitTransaction,
  refuseClockSkew,
} from '../src/clock-skew';
import { healthContract } from '../src/health';
import { peerTimeMillis } from '../src/peer-clock';
import { FakeLedger, type Identity } from '../test-support/fakes';

const CC = 'some-chaincode';
const ecta: Identity = { mspId: 'ECTAMSP', commonName: 'ecta-officer1', role: 'ecta_officer' };
const MINUTE = 60;

function newLedger(): FakeLedger {
  const HealthContract = healthContract(CC);
  return new FakeLedger().deploy(CC, [new HealthContract()]);
}

/** A context on Fabric's own kind of stub: no peer clock of its own (the process clock is read). */
function realStubContext(txMs: number, fcn: string): Context {
  return {
    stub: {
      getTxTimestamp: () => ({
        seconds: Long.fromNumber(Math.floor(txMs / 1000)),
        nanos: (txMs % 1000) * 1e6,
      }),
      getFunctionAndParameters: () => ({ fcn, params: [] }),
    },
  } as unknown as Context;
}

describe('clock skew: a write proposed with a timestamp far from the peer clock is refused', () => {
  it('refuses a write 20 min behind the peer clock with CLOCK_SKEW, and commits nothing', async () => {
    const ledger = newLedger();
    ledger.peerClockSkewSeconds = 20 * MINUTE;
    const before = ledger.snapshot();
    await assert.rejects(
      ledger.submit(ecta, CC, 'health:RecordHeartbeat'),
      /^ChaincodeError: CLOCK_SKEW: the proposal's timestamp 2026-01-01T00:00:00\.000Z is 20\.0 min behind the endorsing peer's clock \(2026-01-01T00:20:00\.000Z\)/,
    );
    assert.equal(ledger.snapshot(), before);
  });

  it('refuses a write 20 min ahead of the peer clock', async () => {
    const ledger = newLedger();
    ledger.peerClockSkewSeconds = -20 * MINUTE;
    await assert.rejects(
      ledger.submit(ecta, CC, 'health:RecordHeartbeat'),
      /CLOCK_SKEW: .* 20\.0 min ahead of/,
    );
  });

  it('refuses one second past the limit', async () => {
    const ledger = newLedger();
    ledger.peerClockSkewSeconds = MAX_CLOCK_SKEW_MS / 1000 + 1;
    await assert.rejects(ledger.submit(ecta, CC, 'health:RecordHeartbeat'), /CLOCK_SKEW/);
  });

  it('serves reads whatever the skew (queries store nothing)', async () => {
    const ledger = newLedger();
    await ledger.submit(ecta, CC, 'health:RecordHeartbeat');
    ledger.peerClockSkewSeconds = 20 * MINUTE;
    assert.match(await ledger.evaluate(ecta, CC, 'health:GetHeartbeat', ['ECTAMSP']), /"mspId":"ECTAMSP"/);
    assert.match(await ledger.evaluate(ecta, CC, 'health:Ping'), /some-chaincode/);
  });

  it('accepts a write within the limit, either way, and at the limit itself', async () => {
    for (const skew of [0, 4 * MINUTE, -4 * MINUTE, MAX_CLOCK_SKEW_MS / 1000, -MAX_CLOCK_SKEW_MS / 1000]) {
      const ledger = newLedger();
      ledger.peerClockSkewSeconds = skew;
      assert.match(await ledger.submit(ecta, CC, 'health:RecordHeartbeat'), /"mspId":"ECTAMSP"/, `${skew} s`);
    }
  });

  it('tells writes from queries by their @Transaction declaration', () => {
    const contract = new (healthContract(CC))();
    assert.equal(isSubmitTransaction(contract, 'RecordHeartbeat'), true);
    assert.equal(isSubmitTransaction(contract, 'GetHeartbeat'), false);
    assert.equal(isSubmitTransaction(contract, 'Ping'), false);
    assert.equal(isSubmitTransaction(contract, 'NoSuchFunction'), false);
  });

  it('the health contract is clock-checked', () => {
    assert.ok(new (healthContract(CC))() instanceof ClockCheckedContract);
  });

  it("on Fabric's own stub the process clock is the peer clock", async () => {
    const now = Date.now();
    assert.ok(Math.abs(peerTimeMillis(realStubContext(now, 'health:RecordHeartbeat')) - now) < 60_000);
    const contract = new (healthContract(CC))();
    await assert.rejects(
      contract.beforeTransaction(realStubContext(now - 20 * 60_000, 'health:RecordHeartbeat')),
      /^ChaincodeError: CLOCK_SKEW: /,
    );
    await contract.beforeTransaction(realStubContext(now - 20 * 60_000, 'health:GetHeartbeat'));
    await contract.beforeTransaction(realStubContext(now, 'health:RecordHeartbeat'));
  });

  it('clockSkewRefusal: undefined within the limit, a reason past it', () => {
    const t = 1_767_225_600_000;
    assert.equal(clockSkewRefusal(t, t + MAX_CLOCK_SKEW_MS), undefined);
    assert.equal(clockSkewRefusal(t, t - MAX_CLOCK_SKEW_MS), undefined);
    assert.match(clockSkewRefusal(t, t + MAX_CLOCK_SKEW_MS + 1) ?? '', /5\.0 min behind/);
    assert.throws(() => refuseClockSkew(realStubContext(t, 'x'), t + 3_600_000), /CLOCK_SKEW: .*60\.0 min/);
  });
});
