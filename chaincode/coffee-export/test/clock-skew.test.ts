import '@coffee/chaincode-common/dist/test-support/quiet';
/**
 * A write proposed with a timestamp 20 min off the endorsing peer's clock is refused (CLOCK_SKEW) in every
 * contract of coffee-export, and in user-management behind it; reads are served.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { U, newWorld, refused, submit } from './helpers/world';

describe('clock skew: coffee-export refuses writes stamped 20 min off the peer clock', () => {
  it('refuses CreateExport, an action, a minimum price and a config proposal; nothing changes', async () => {
    const world = await newWorld();
    await submit(world, 'EX-1');
    world.ledger.peerClockSkewSeconds = 20 * 60;
    await refused(world, submit(world, 'EX-2'), 'CLOCK_SKEW');
    await refused(
      world,
      world.submit(U.ecta, 'export:RegisterContract', { exportId: 'EX-1', registrationNumber: 'R-1' }),
      'CLOCK_SKEW',
    );
    await refused(
      world,
      world.submit(U.ecta, 'minprice:PublishMinimumPrice', {
        grade: 'G1',
        usdPerKg: 9,
        effectiveFrom: '2026-01-01',
      }),
      'CLOCK_SKEW',
    );
    await refused(
      world,
      world.submit(U.ecta, 'config:ProposeWorkflowConfig', { shipByWindowSeconds: 3600 }),
      'CLOCK_SKEW',
    );
  });

  it('serves reads with the same skew', async () => {
    const world = await newWorld();
    await submit(world, 'EX-1');
    world.ledger.peerClockSkewSeconds = -20 * 60;
    assert.equal((await world.get('EX-1')).status, 'SUBMITTED');
    assert.ok((await world.query(U.customs, 'config:GetWorkflowConfig')).current);
  });

  it('accepts writes 4 min off', async () => {
    const world = await newWorld();
    world.ledger.peerClockSkewSeconds = 4 * 60;
    assert.equal((await submit(world, 'EX-1')).status, 'SUBMITTED');
  });
});
