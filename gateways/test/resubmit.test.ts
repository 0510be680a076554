import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_RESUBMIT_MS, MIN_RESUBMIT_MS, ResubmitWindow } from '../src/fabric/resubmit.ts';

describe('the wait before a lost transaction is submitted again', () => {
  it('is the safe maximum until enough commits were measured', () => {
    const w = new ResubmitWindow();
    assert.equal(w.firstWait(), MAX_RESUBMIT_MS);
    for (let i = 0; i < 7; i++) w.record(100);
    assert.equal(w.firstWait(), MAX_RESUBMIT_MS);
    w.record(100);
    assert.equal(w.firstWait(), MIN_RESUBMIT_MS);
  });

  it('is three times the 90th percentile of recent commits, within its bounds', () => {
    const w = new ResubmitWindow();
    for (let i = 0; i < 20; i++) w.record(600);
    assert.equal(w.firstWait(), 1_800);
    for (let i = 0; i < 20; i++) w.record(2_000);
    assert.equal(w.firstWait(), MAX_RESUBMIT_MS);
  });

  it('forgets old commits: a loaded past does not keep the wait long', () => {
    const w = new ResubmitWindow();
    for (let i = 0; i < 64; i++) w.record(2_000);
    assert.equal(w.firstWait(), MAX_RESUBMIT_MS);
    for (let i = 0; i < 64; i++) w.record(200);
    assert.equal(w.firstWait(), MIN_RESUBMIT_MS);
  });

  it('ignores nonsense samples', () => {
    const w = new ResubmitWindow();
    for (let i = 0; i < 10; i++) w.record(Number.NaN);
    for (let i = 0; i < 10; i++) w.record(-5);
    assert.equal(w.firstWait(), MAX_RESUBMIT_MS);
  });
});
