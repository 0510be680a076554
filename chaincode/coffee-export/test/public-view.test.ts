import '@coffee/chaincode-common/dist/test-support/quiet';
/**
 * GetPublicView (workflow.md: "The public verification view shows state, step times, document types and
 * hashes only"): what a buyer holding a file may check, with no CID, no user, no commercial or private value.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Identity } from '@coffee/chaincode-common/dist/test-support/fakes';
import {
  type Json,
  PRICE,
  QUANTITY,
  SALT_PREFIX,
  STEPS,
  U,
  VALUE,
  advance,
  newWorld,
  refused,
} from './helpers/world';

const STRANGER: Identity = { mspId: 'ECXMSP', commonName: 'not-registered', role: 'grader' };

describe('GetPublicView', () => {
  it('shows state, step times and document hashes only, to anyone on the channel', async () => {
    const world = await newWorld();
    await advance(world, 'EX-1', STEPS.length);
    const full = await world.get('EX-1');
    const view = await world.query(STRANGER, 'export:GetPublicView', 'EX-1');
    assert.deepEqual(Object.keys(view).sort(), ['documents', 'exportId', 'status', 'steps']);
    assert.deepEqual([view.exportId, view.status], ['EX-1', 'COMPLETED']);
    const steps = view.steps as Json[];
    assert.deepEqual(
      steps.map((s) => s.status),
      ['SUBMITTED', ...STEPS.map((s) => s.to)],
    );
    for (const step of steps) {
      assert.deepEqual(Object.keys(step).sort(), ['at', 'status']);
    }
    const times = steps.map((s) => Date.parse(String(s.at)));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      'steps in time order',
    );
    const documents = view.documents as Json[];
    assert.equal(documents.length, (full.documents as Json[]).length);
    for (const [i, d] of documents.entries()) {
      assert.deepEqual(Object.keys(d).sort(), [
        'mediaType',
        'sha256',
        'sizeBytes',
        'type',
        'uploadedAt',
        'version',
      ]);
      assert.equal(d.sha256, (full.documents as Json[])[i]?.sha256, 'the hash a buyer checks a file against');
    }

    const text = JSON.stringify(view);
    const forbidden = [
      'cid',
      'bafy',
      ...(full.documents as Json[]).map((d) => String(d.cid)),
      'MSP::',
      ...Object.values(U).map((u) => u.commonName),
      'EXP-001',
      SALT_PREFIX,
      'salt',
      String(VALUE),
      String(VALUE * 100),
      String(PRICE),
      String(QUANTITY),
      'Portland',
      'termsHash',
      String(full.termsHash),
      String(full.valueCommitmentHash),
      String((full.permit as Json).permitNumber),
    ];
    for (const marker of forbidden) {
      assert.ok(!text.includes(marker), `the public view shows '${marker}'`);
    }
  });

  it('an unknown export is EXPORT_NOT_FOUND', async () => {
    const world = await newWorld();
    await refused(world, world.query(STRANGER, 'export:GetPublicView', 'NOPE'), 'EXPORT_NOT_FOUND');
  });
});
