import '../test-support/quiet';
/**
 * The fake peer's own test hooks: seeded transactions (state of an earlier chaincode version, forged entries)
 * and the record of events a transaction set and then replaced (Fabric keeps only the last one).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Context, Contract, Returns, Transaction } from 'fabric-contract-api';
import { FakeLedger, type Identity } from '../test-support/fakes';

const CC = 'fake-test';
const caller: Identity = { mspId: 'CustomsMSP', commonName: 'customs1', role: 'customs_officer' };

class TwoEvents extends Contract {
  constructor() {
    super('events');
  }

  /** Sets `first`, then `second`: a chaincode breaking the one-event rule. */
  @Transaction()
  @Returns('string')
  public Both(ctx: Context): Promise<string> {
    ctx.stub.setEvent('First', Buffer.from('{"n":1}'));
    ctx.stub.setEvent('Second', Buffer.from('{"n":2}'));
    return Promise.resolve('');
  }

  @Transaction()
  @Returns('string')
  public One(ctx: Context): Promise<string> {
    ctx.stub.setEvent('Only', Buffer.from('{"n":3}'));
    return Promise.resolve('');
  }
}

describe('fake ledger test hooks', () => {
  it('seed commits public writes and key-level policies as one transaction, with history', () => {
    const ledger = new FakeLedger();
    const seconds = ledger.seconds;
    let seen: { txId: string; seconds: number } | undefined;
    const txId = ledger.seed(CC, (tx) => {
      seen = tx;
      return {
        state: [
          ['a', Buffer.from(`{"txId":"${tx.txId}"}`)],
          ['b', Buffer.from('x')],
        ],
        policies: [['a', Uint8Array.from([1, 2])]],
      };
    });
    assert.deepEqual(seen, { txId, seconds });
    assert.equal(Buffer.from(ledger.committed(CC).get('a') ?? []).toString('utf8'), `{"txId":"${txId}"}`);
    assert.deepEqual([...(ledger.validationParameter(CC, 'a') ?? [])], [1, 2]);
    assert.equal(ledger.historyOf(CC, 'b')[0]?.txId, txId);
    assert.equal(ledger.seconds, seconds + 1, 'a seeded transaction takes its own second');
    ledger.seed(CC, () => ({ state: [['b', null]] }));
    assert.equal(ledger.committed(CC).has('b'), false);
    assert.deepEqual(
      ledger.historyOf(CC, 'b').map((m) => m.isDelete),
      [false, true],
    );
    assert.equal(ledger.events.length, 0, 'seeding emits nothing');
  });

  it('records an event that a later setEvent of the same transaction replaced', async () => {
    const ledger = new FakeLedger().deploy(CC, [new TwoEvents()]);
    await ledger.submit(caller, CC, 'events:One');
    assert.equal(ledger.replacedEvents.length, 0);
    await ledger.submit(caller, CC, 'events:Both');
    assert.equal(ledger.lastEvent()?.name, 'Second', 'like Fabric, the last one is delivered');
    assert.deepEqual(
      ledger.replacedEvents.map((e) => [e.name, e.txId]),
      [['First', ledger.lastEvent()?.txId]],
    );
  });
});
