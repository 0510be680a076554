import '@coffee/chaincode-common/dist/test-support/quiet';
/**
 * Documents are frozen from customs on: while an export is UNDER_INSPECTION or CUSTOMS_CLEARED the exporter
 * attaches nothing; only a customs-requested amendment (back to SHIPMENT_BOOKED, to be declared again)
 * changes them. And nobody attaches a document of another party's step (policy.ts DOCUMENT_UPLOADERS).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DOCUMENT_UPLOADERS } from '@coffee/consortium';
import {
  CE,
  type Json,
  QUANTITY,
  STEPS,
  U,
  VALUE,
  type World,
  advance,
  customsDeclaration,
  doc,
  freshSalt,
  fxApplication,
  newWorld,
  refused,
  shippingDocuments,
} from './helpers/world';

const EXPORT_KEY = (id: string): string => `\u0000export\u0000${id}\u0000`;

function attach(world: World, id: string, documents: Json[] = shippingDocuments().slice(2)): Promise<string> {
  return world.submit(U.exporter, 'export:AttachDocuments', { exportId: id, documents });
}

/** Advances to SHIPMENT_BOOKED, attaches the shipping documents and declares in the RED lane. */
async function underInspection(world: World, id: string): Promise<void> {
  const record = await advance(world, id, 5);
  await attach(world, id, shippingDocuments());
  const inspected = await world.json(
    U.customs,
    'export:ClearCustoms',
    customsDeclaration(id, record, { riskLane: 'RED' }),
    { customsValue: { declaredValueUsd: VALUE } },
  );
  assert.equal(inspected.status, 'UNDER_INSPECTION');
}

describe('documents: frozen from customs on', () => {
  it('AttachDocuments is refused while UNDER_INSPECTION and CUSTOMS_CLEARED, and after shipping', async () => {
    const world = await newWorld();
    await underInspection(world, 'EX-1');
    await refused(world, attach(world, 'EX-1'), 'INVALID_TRANSITION');
    await refused(
      world,
      world.submit(U.exporter, 'export:SubmitAmendment', {
        exportId: 'EX-1',
        documents: shippingDocuments(),
      }),
      'INVALID_TRANSITION',
    );
    await world.submit(U.customs, 'export:CompleteInspection', {
      exportId: 'EX-1',
      findings: 'seals verified',
    });
    await refused(world, attach(world, 'EX-1'), 'INVALID_TRANSITION');
    const shipped = STEPS[6] ?? assert.fail();
    await world.submit(shipped.who, shipped.fn, await shipped.input('EX-1', world));
    await refused(world, attach(world, 'EX-1'), 'INVALID_TRANSITION');
  });

  it('a customs-requested amendment opens them again, and the export must be declared again', async () => {
    const world = await newWorld();
    await underInspection(world, 'EX-1');
    const requested = await world.json(U.customs, 'export:RequestAmendment', {
      exportId: 'EX-1',
      reasonCode: 'PACKING_LIST_WRONG',
      reason: 'the packing list does not match the containers',
    });
    assert.deepEqual(
      [requested.status, (requested.amendment as Json).returnTo],
      ['AMENDMENT_REQUESTED', 'SHIPMENT_BOOKED'],
    );
    await attach(world, 'EX-1', [doc('CERTIFICATE_OF_ORIGIN')]);
    const amended = await world.json(U.exporter, 'export:SubmitAmendment', {
      exportId: 'EX-1',
      documents: [doc('PACKING_LIST', { quantityKg: QUANTITY })],
    });
    assert.equal(amended.status, 'SHIPMENT_BOOKED', 'back to the review step, not to the inspection');
    await attach(world, 'EX-1', [doc('PHYTOSANITARY_CERTIFICATE')]);
    const versions = (amended.documents as Json[])
      .filter((d) => d.type === 'PACKING_LIST')
      .map((d) => d.version);
    assert.deepEqual(versions, [1, 2], 'the earlier version is kept');
    await refused(
      world,
      world.submit(U.customs, 'export:CompleteInspection', { exportId: 'EX-1', findings: 'x' }),
      'INVALID_TRANSITION',
    );
    const cleared = await world.json(U.customs, 'export:ClearCustoms', customsDeclaration('EX-1', amended), {
      customsValue: { declaredValueUsd: VALUE },
    });
    assert.equal(cleared.status, 'CUSTOMS_CLEARED');
  });

  it('CompleteInspection re-checks the documents on record: a changed record is refused (DECLARATION_INCONSISTENT)', async () => {
    // Through the contract the documents cannot change while UNDER_INSPECTION (see above); this edits the
    // committed record directly, as a faulty write would, to show the check runs on the current documents.
    const world = await newWorld();
    await underInspection(world, 'EX-1');
    const state = world.ledger.committed(CE);
    const original = state.get(EXPORT_KEY('EX-1')) ?? assert.fail('no record');
    const record = JSON.parse(Buffer.from(original).toString('utf8')) as Json;
    const documents = record.documents as Json[];
    const packing = documents.find((d) => d.type === 'PACKING_LIST') ?? assert.fail('no packing list');
    state.set(
      EXPORT_KEY('EX-1'),
      Buffer.from(
        JSON.stringify({
          ...record,
          documents: [
            ...documents,
            { ...packing, version: 2, quantityKg: QUANTITY - 600, sha256: 'f'.repeat(64) },
          ],
        }),
      ),
    );
    const inspection = { exportId: 'EX-1', findings: 'seals verified' };
    await refused(
      world,
      world.submit(U.customs, 'export:CompleteInspection', inspection),
      'DECLARATION_INCONSISTENT',
    );
    state.set(EXPORT_KEY('EX-1'), original);
    const cleared = await world.json(U.customs, 'export:CompleteInspection', inspection);
    assert.equal(cleared.status, 'CUSTOMS_CLEARED');
  });

  it('CompleteInspection re-reads the registered value: a tampered customsValue entry is refused (TERMS_TAMPERED)', async () => {
    const world = await newWorld();
    await underInspection(world, 'EX-1');
    world.ledger
      .privateCommitted(CE, 'customsValue')
      .set(
        '\u0000termsValue\u0000EX-1\u0000',
        Buffer.from(JSON.stringify({ contractValueCents: 1, salt: freshSalt() })),
      );
    await refused(
      world,
      world.submit(U.customs, 'export:CompleteInspection', { exportId: 'EX-1', findings: 'x' }),
      'TERMS_TAMPERED',
    );
  });
});

describe('documents: attached only by their uploaders (policy.ts DOCUMENT_UPLOADERS)', () => {
  it('the bank officer amending the FX application attaches only the LC/advance advice', async () => {
    assert.deepEqual(
      DOCUMENT_UPLOADERS.SALES_CONTRACT.map((u) => u.role),
      ['exporter'],
    );
    const world = await newWorld();
    await advance(world, 'EX-1', 3);
    await world.submit(U.fx, 'export:RequestAmendment', {
      exportId: 'EX-1',
      reasonCode: 'LC_UNCLEAR',
      reason: 'x',
    });
    for (const type of ['SALES_CONTRACT', 'PROFORMA_INVOICE', 'COMMERCIAL_INVOICE']) {
      await refused(
        world,
        world.submit(
          U.bank,
          'export:SubmitAmendment',
          { exportId: 'EX-1', documents: [doc(type, { quantityKg: QUANTITY, grade: 'G2' })] },
          { fxApplication: fxApplication() },
        ),
        'FORBIDDEN_ROLE',
      );
    }
    const amended = await world.json(
      U.bank,
      'export:SubmitAmendment',
      { exportId: 'EX-1', documents: [doc('LC_OR_ADVANCE_ADVICE')] },
      { fxApplication: fxApplication() },
    );
    assert.equal(amended.status, 'FX_SUBMITTED');
  });
});
