/** The in-process read-your-writes signal: a write's answer waits until its block is in the read model. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProjectionWatch } from '../src/events/projector.ts';

describe('ProjectionWatch', () => {
  it('answers at once for an applied block, on the block for a later one, false after the timeout', async () => {
    const watch = new ProjectionWatch();
    watch.advance(5n);
    assert.equal(await watch.reached(5n, 10), true);
    const later = watch.reached(7n, 2000);
    const never = watch.reached(100n, 30);
    watch.advance(6n);
    watch.advance(4n);
    assert.equal(watch.applied, 6n, 'never moves back');
    watch.advance(7n);
    assert.equal(await later, true);
    assert.equal(await never, false);
  });

  it('releases its waiters when the projector stops', async () => {
    const watch = new ProjectionWatch();
    const waiting = watch.reached(1n, 60_000);
    watch.release();
    assert.equal(await waiting, false);
  });
});
