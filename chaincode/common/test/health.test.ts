import '../test-support/quiet';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { healthContract } from '../src/health';
import { FakeLedger, type Identity } from '../test-support/fakes';

const CC = 'some-chaincode';
const customs: Identity = { mspId: 'CustomsMSP', commonName: 'customs1', role: 'customs_officer' };
const ecta: Identity = { mspId: 'ECTAMSP', commonName: 'ecta-officer1', role: 'ecta_officer' };

function newLedger(): FakeLedger {
  const HealthContract = healthContract(CC);
  return new FakeLedger().deploy(CC, [new HealthContract()]);
}

describe('health contract (one per chaincode, named by the factory)', () => {
  it("is the contract named 'health'", () => {
    const HealthContract = healthContract(CC);
    assert.equal(new HealthContract().getName(), 'health');
  });

  it('Ping names the chaincode and the caller without touching the ledger', async () => {
    const ledger = newLedger();
    const before = ledger.snapshot();
    assert.equal(
      await ledger.evaluate(customs, CC, 'health:Ping'),
      JSON.stringify({ chaincode: CC, mspId: 'CustomsMSP' }),
    );
    assert.equal(ledger.snapshot(), before);
  });

  it("RecordHeartbeat stores the caller's heartbeat under its MSP and emits HeartbeatRecorded", async () => {
    const ledger = newLedger();
    const raw = await ledger.submit(customs, CC, 'health:RecordHeartbeat');
    const beat = JSON.parse(raw) as Record<string, unknown>;
    assert.deepEqual(Object.keys(beat), ['chaincode', 'mspId', 'recordedAt', 'txId']);
    assert.equal(beat.chaincode, CC);
    assert.equal(beat.mspId, 'CustomsMSP');
    assert.equal(beat.recordedAt, '2026-01-01T00:00:00.000Z');
    assert.equal(ledger.lastEvent()?.name, 'HeartbeatRecorded');
    assert.equal(ledger.lastEvent()?.raw, raw);
    assert.equal(ledger.lastEvent()?.txId, beat.txId);
    assert.equal(
      Buffer.from(ledger.committed(CC).get('\u0000heartbeat\u0000CustomsMSP\u0000') ?? []).toString('utf8'),
      raw,
    );
    assert.equal(await ledger.evaluate(ecta, CC, 'health:GetHeartbeat', ['CustomsMSP']), raw);
  });

  it('GetHeartbeat refuses an org that never recorded one', async () => {
    const ledger = newLedger();
    await assert.rejects(
      ledger.evaluate(ecta, CC, 'health:GetHeartbeat', ['ECXMSP']),
      /^Error: HEARTBEAT_NOT_FOUND: no heartbeat recorded for ECXMSP$/,
    );
  });

  it('GetHeartbeat refuses a corrupt stored heartbeat', async () => {
    const ledger = newLedger();
    ledger.committed(CC).set('\u0000heartbeat\u0000ECXMSP\u0000', Buffer.from('{"chaincode":1}'));
    await assert.rejects(ledger.evaluate(ecta, CC, 'health:GetHeartbeat', ['ECXMSP']), /CORRUPT_STATE/);
  });
});
