import '@coffee/chaincode-common/dist/test-support/quiet';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ENDORSERS_BY_STATUS } from '../src/lib/endorsement';
import { EVENTS } from '../src/lib/events';
import {
  CE,
  type Json,
  PRICE,
  SALT_PREFIX,
  STEPS,
  U,
  VALUE,
  newWorld,
  refused,
  submission,
  submit,
  terms,
} from './helpers/world';

const PRIVATE_MARKERS = [
  SALT_PREFIX,
  String(PRICE),
  String(VALUE),
  'unitPriceUsdPerKg',
  'contractValue',
  'paymentTerms',
  'amountUsd',
  'LC at sight',
  'LC-2026-001',
];

function assertNoPrivate(text: string, where: string): void {
  for (const marker of PRIVATE_MARKERS) {
    assert.ok(!text.includes(marker), `${where} leaks '${marker}': ${text.slice(0, 300)}`);
  }
}

/** Written out by hand (not derived from the code under test): who must endorse the next change. */
const EXPECTED_POLICY: Record<string, string[]> = {
  CONTRACT_REGISTERED: ['ECTAMSP', 'ECXMSP'],
  QUALITY_CERTIFIED: ['CommercialBankMSP', 'ECTAMSP'],
  FX_SUBMITTED: ['ECTAMSP', 'NationalBankMSP'],
  FX_APPROVED: ['ECTAMSP', 'ShippingLineMSP'],
  SHIPMENT_BOOKED: ['CustomsMSP', 'ECTAMSP'],
  CUSTOMS_CLEARED: ['ECTAMSP', 'ShippingLineMSP'],
  SHIPPED: ['CommercialBankMSP', 'ECTAMSP'],
  PAYMENT_RECEIVED: ['ECTAMSP', 'NationalBankMSP'],
  COMPLETED: ['CommercialBankMSP', 'CustomsMSP', 'ECTAMSP', 'ECXMSP', 'NationalBankMSP', 'ShippingLineMSP'],
};

describe('the ten steps, SUBMITTED to COMPLETED', () => {
  it('every step moves the state, records who/when, resets the key policy and emits one private-free event', async () => {
    const world = await newWorld();
    const submitted = await submit(world, 'EX-1');
    assert.equal(submitted.status, 'SUBMITTED');
    assert.equal(submitted.exporterId, 'EXP-001', 'the exporter id comes from the caller user record');
    assert.deepEqual(world.policyOrgs('EX-1'), ['ECTAMSP', 'NationalBankMSP']);
    assert.equal(world.ledger.lastEvent()?.name, EVENTS.exportSubmitted);

    const expectedEvents = [
      'ContractRegistered',
      'QualityCertified',
      'FxSubmitted',
      'FxApproved',
      'ShipmentBooked',
      'CustomsCleared',
      'ExportShipped',
      'PaymentReceived',
      'ExportCompleted',
    ];
    for (const [i, step] of STEPS.entries()) {
      await step.prepare?.('EX-1', world);
      const eventsBefore = world.ledger.events.length;
      const record = await world.json(step.who, step.fn, await step.input('EX-1', world), step.transient?.());
      assert.equal(record.status, step.to, step.name);
      assert.equal(record.reached, step.to, `${step.name}: progress follows the main line`);
      const action = record.lastAction as { by: { userId: string; mspId: string }; txId: string; at: string };
      assert.equal(action.by.mspId, step.who.mspId);
      assert.equal(action.by.userId, `${step.who.mspId}::${step.who.commonName}`);
      assert.match(action.at, /^2026-01-01T00:00:\d\d\.000Z$/);
      assert.deepEqual(world.policyOrgs('EX-1'), EXPECTED_POLICY[step.to], `${step.name}: key-level policy`);
      const event = world.ledger.lastEvent();
      assert.equal(event?.name, expectedEvents[i]);
      assert.equal(event?.payload.toStatus, step.to);
      assert.equal(event?.payload.exportId, 'EX-1');
      assert.equal(world.ledger.events.length - eventsBefore, 1, 'exactly one event per transition');
    }
    for (const event of world.ledger.events) {
      assertNoPrivate(event.raw, `event ${event.name}`);
    }
    assertNoPrivate(world.ledger.publicText(CE), 'public state');
    for (const response of world.ledger.responses) {
      assertNoPrivate(response, 'a committed response');
    }
  });

  it('SBE policies: next actor plus a regulator (National Bank where ECTA acts next); terminal states need every org', () => {
    for (const [status, orgs] of Object.entries(ENDORSERS_BY_STATUS)) {
      if (['COMPLETED', 'REJECTED', 'CANCELLED', 'DEFAULTED'].includes(status)) {
        assert.equal(orgs.length, 6, status);
      } else {
        assert.ok(orgs.includes('ECTAMSP'), `${status} includes a regulator`);
        assert.ok(status === 'SUBMITTED' ? orgs.includes('NationalBankMSP') : orgs.length >= 2, status);
      }
    }
  });

  it('documents keep every version with uploader and time; history holds every state', async () => {
    const world = await newWorld();
    await submit(world, 'EX-2');
    await world.submit(U.exporter, 'export:AttachDocuments', {
      exportId: 'EX-2',
      documents: [
        {
          type: 'PACKING_LIST',
          cid: `bafybeig${'b'.repeat(52)}`,
          sha256: 'a'.repeat(64),
          sizeBytes: 10,
          mediaType: 'application/pdf',
          quantityKg: 19200,
        },
      ],
    });
    await world.submit(U.exporter, 'export:AttachDocuments', {
      exportId: 'EX-2',
      documents: [
        {
          type: 'PACKING_LIST',
          cid: `bafybeig${'c'.repeat(52)}`,
          sha256: 'b'.repeat(64),
          sizeBytes: 11,
          mediaType: 'application/pdf',
          quantityKg: 19200,
        },
      ],
    });
    const record = await world.get('EX-2');
    const lists = (record.documents as Json[]).filter((d) => d.type === 'PACKING_LIST');
    assert.deepEqual(
      lists.map((d) => [d.version, d.sha256]),
      [
        [1, 'a'.repeat(64)],
        [2, 'b'.repeat(64)],
      ],
    );
    assert.equal((lists[0]?.uploadedBy as Json).userId, 'CommercialBankMSP::exporter1');
    assert.equal(world.ledger.lastEvent()?.name, 'DocumentsAttached');
    const history = await world.query(U.ecta, 'export:GetExportHistory', 'EX-2');
    const entries = history.entries as Json[];
    assert.equal(entries.length, 4, 'draft, submission and two document updates');
    assert.equal((entries[3]?.record as Json).status, 'DRAFT', 'the oldest state is the draft');
    assert.equal(
      ((entries[2]?.record as Json).documents as Json[]).length,
      2,
      'the submitted version is kept intact',
    );
    // Customs takes part from SHIPMENT_BOOKED on: for it, a SUBMITTED export does not exist.
    await refused(world, world.query(U.customs, 'export:GetExportHistory', 'EX-2'), 'EXPORT_NOT_FOUND');
  });

  it('lists by status and by exporter page through composite-key indexes, showing only what the caller sees', async () => {
    const world = await newWorld();
    for (const id of ['EX-A', 'EX-B', 'EX-C']) {
      await submit(world, id);
    }
    await submit(world, 'EX-D', U.exporter2);
    await world.submit(U.ecta, 'export:RegisterContract', { exportId: 'EX-B', registrationNumber: 'R-1' });
    const ids = (page: Json): unknown[] => (page.records as Json[]).map((r) => r.exportId);
    const page1 = await world.query(U.ecta, 'export:ListExportsByStatus', {
      status: 'SUBMITTED',
      pageSize: 2,
    });
    const page2 = await world.query(U.ecta, 'export:ListExportsByStatus', {
      status: 'SUBMITTED',
      pageSize: 2,
      bookmark: page1.bookmark,
    });
    assert.deepEqual([...ids(page1), ...ids(page2)], ['EX-A', 'EX-C', 'EX-D'], 'EX-B left SUBMITTED');
    const registered = await world.query(U.ecta, 'export:ListExportsByStatus', {
      status: 'CONTRACT_REGISTERED',
    });
    assert.deepEqual(ids(registered), ['EX-B']);
    assert.deepEqual(
      ids(await world.query(U.grader, 'export:ListExportsByStatus', { status: 'CONTRACT_REGISTERED' })),
      ['EX-B'],
      'ECX sees an export from CONTRACT_REGISTERED on',
    );
    assert.deepEqual(
      ids(await world.query(U.customs, 'export:ListExportsByStatus', { status: 'SUBMITTED' })),
      [],
      'customs sees nothing before SHIPMENT_BOOKED',
    );
    assert.deepEqual(
      ids(await world.query(U.exporter, 'export:ListExportsByStatus', { status: 'SUBMITTED' })),
      ['EX-A', 'EX-C'],
      'an exporter sees its own exports only',
    );
    const theirs = await world.query(U.ecta, 'export:ListExportsByExporter', { exporterId: 'EXP-002' });
    assert.deepEqual(ids(theirs), ['EX-D']);
    assert.deepEqual(
      ids(await world.query(U.exporter2, 'export:ListExportsByExporter', { exporterId: 'EXP-002' })),
      ['EX-D'],
    );
    assert.deepEqual(
      ids(await world.query(U.exporter, 'export:ListExportsByExporter', { exporterId: 'EXP-002' })),
      [],
      "a competitor's list is empty",
    );
  });

  it('paginated lists are refused inside submitted transactions (Fabric rule), so they are queries', async () => {
    const world = await newWorld();
    await assert.rejects(
      world.submit(U.customs, 'export:ListExportsByStatus', { status: 'SUBMITTED' }),
      /read-only/,
    );
  });
});

describe('draft then submission (private terms are endorsed by tradeTerms members only)', () => {
  it('CreateExport makes a DRAFT without private data, endorsed next by CommercialBank and ECTA', async () => {
    const world = await newWorld();
    const input = submission('EX-D');
    await world.submit(U.exporter, 'export:CreateExport', { exportId: 'EX-D', contract: input.contract });
    const draft = await world.get('EX-D');
    assert.equal(draft.status, 'DRAFT');
    assert.equal(draft.termsHash, undefined, 'no terms before SubmitExport');
    assert.equal(draft.reached, 'DRAFT');
    assert.equal(world.ledger.lastEvent()?.name, 'ExportDrafted');
    // A draft is the exporter's and its bank's alone: ECTA sees the export once it is submitted.
    await refused(world, world.query(U.ecta, 'export:GetExport', 'EX-D'), 'EXPORT_NOT_FOUND');
  });

  it('SubmitExport refuses a contract that differs from the draft, and a draft of another exporter', async () => {
    const world = await newWorld();
    const input = submission('EX-E');
    await world.submit(U.exporter, 'export:CreateExport', { exportId: 'EX-E', contract: input.contract });
    const changed = { ...input, contract: { ...(input.contract as Json), buyerName: 'Someone Else GmbH' } };
    await refused(
      world,
      world.submit(U.exporter, 'export:SubmitExport', changed, { tradeTerms: terms() }),
      'VALIDATION_FAILED',
    );
    assert.equal((await world.get('EX-E')).status, 'DRAFT', 'unchanged');
    await refused(
      world,
      world.submit(U.exporter2, 'export:SubmitExport', input, { tradeTerms: terms() }),
      'EXPORT_NOT_FOUND',
    );
  });

  it('SubmitExport without a draft is EXPORT_NOT_FOUND; a second submission is EXPORT_EXISTS', async () => {
    const world = await newWorld();
    await refused(
      world,
      world.submit(U.exporter, 'export:SubmitExport', submission('EX-F'), { tradeTerms: terms() }),
      'EXPORT_NOT_FOUND',
    );
    await submit(world, 'EX-G');
    await refused(
      world,
      world.submit(U.exporter, 'export:SubmitExport', submission('EX-G'), { tradeTerms: terms() }),
      'EXPORT_EXISTS',
    );
  });

  it('CreateExport takes no transient data', async () => {
    const world = await newWorld();
    const input = submission('EX-H');
    await refused(
      world,
      world.submit(
        U.exporter,
        'export:CreateExport',
        { exportId: 'EX-H', contract: input.contract },
        { tradeTerms: terms() },
      ),
      'VALIDATION_FAILED',
    );
  });
});
