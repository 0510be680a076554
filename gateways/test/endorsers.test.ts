/**
 * Planning a transition's endorsers: the first plan from the read model's status (no chaincode execution), a
 * re-plan (after a conflict or a policy failure) and a missing hint from the ledger's GetExport.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CoffeeLedger, Ledger, type FabricIdentity, type SubmitResult } from '../src/fabric/ledger.ts';
import { testConfig } from './helpers.ts';

const config = testConfig('ecta');
const who: FabricIdentity = { id: 'ECTAMSP::officer', mspId: 'ECTAMSP', certificate: '', privateKey: '' };

/** A Ledger that plans twice (as after a failed first attempt) and records the plans instead of submitting. */
class PlanningLedger extends Ledger {
  readonly plans: (string[] | undefined)[] = [];

  override async submit(
    _who: FabricIdentity,
    _cc: string,
    _fn: string,
    _input: unknown,
    _transient?: Record<string, unknown>,
    endorsingOrganizations?: () => Promise<string[] | undefined>,
  ): Promise<SubmitResult> {
    this.plans.push(await endorsingOrganizations?.());
    this.plans.push(await endorsingOrganizations?.());
    return { result: '{}', txId: 'tx', blockNumber: 1n };
  }
}

class CountingLedger extends CoffeeLedger {
  ledgerReads = 0;
  constructor(
    inner: Ledger,
    readonly ledgerStatus: string,
  ) {
    super(inner);
  }
  override getExport(): Promise<never> {
    this.ledgerReads++;
    return Promise.resolve({ status: this.ledgerStatus } as never);
  }
}

const inners: Ledger[] = [];
function ledgers(ledgerStatus: string): { inner: PlanningLedger; coffee: CountingLedger } {
  const inner = new PlanningLedger({ ...config.peer, tlsCaCert: Buffer.from('') }, config.deadlines);
  inners.push(inner);
  return { inner, coffee: new CountingLedger(inner, ledgerStatus) };
}
after(() => inners.forEach((l) => l.close()));

describe('endorsers of a transition', () => {
  it('plans first from the read model, then from the ledger', async () => {
    const { inner, coffee } = ledgers('CONTRACT_REGISTERED');
    await coffee.exportTransition(who, 'RegisterContract', { exportId: 'EX-1' }, undefined, () =>
      Promise.resolve('SUBMITTED'),
    );
    assert.deepEqual(
      inner.plans[0]?.sort(),
      ['ECTAMSP', 'NationalBankMSP'],
      'SUBMITTED: ECTA and the National Bank',
    );
    assert.deepEqual(
      inner.plans[1]?.sort(),
      ['ECTAMSP', 'ECXMSP'],
      'the re-plan reads the ledger (CONTRACT_REGISTERED)',
    );
    assert.equal(coffee.ledgerReads, 1);
  });

  it('reads the ledger when the read model has no record or fails', async () => {
    for (const hint of [() => Promise.resolve(undefined), () => Promise.reject(new Error('db down'))]) {
      const { inner, coffee } = ledgers('SUBMITTED');
      await coffee.exportTransition(who, 'RegisterContract', { exportId: 'EX-2' }, undefined, hint);
      assert.deepEqual(inner.plans[0]?.sort(), ['ECTAMSP', 'NationalBankMSP']);
      assert.equal(coffee.ledgerReads, 2, 'both plans from the ledger');
    }
  });

  it('needs no status for creation and tracking', async () => {
    const { inner, coffee } = ledgers('SHIPPED');
    await coffee.exportTransition(who, 'AddTrackingEvent', { exportId: 'EX-3' }, undefined, () =>
      Promise.reject(new Error('never asked')),
    );
    assert.equal(coffee.ledgerReads, 0);
    assert.equal(inner.plans.length, 2);
  });
});
