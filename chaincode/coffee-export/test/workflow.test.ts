import '@coffee/chaincode-common/dist/test-support/quiet';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ENDORSERS_BY_STATUS } from '@coffee/consortium';
import { EVENTS } from '../src/lib/events';
import type { Identity } from '@coffee/chaincode-common/dist/test-support/fakes';
import {
  CE,
  type Json,
  PRICE,
  QUANTITY,
  SALT_PREFIX,
  STATUS_INDEX,
  STEPS,
  U,
  VALUE,
  type World,
  admins,
  compositeKey,
  doc,
  exportKeyOf,
  fxApplication,
  legacyDraft,
  newWorld,
  refused,
  shippingDocuments,
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
    assert.deepEqual(world.ledger.replacedEvents, [], 'no transaction set a second event');
  });

  /** Runs the whole workflow on EX-N and returns the cross-chaincode calls each transaction made. */
  async function callsPerStep(world: World): Promise<[string, string[]][]> {
    const calls = (): string[] => world.ledger.nestedCalls.splice(0).map((c) => `${c.chaincode} ${c.fn}`);
    calls();
    await submit(world, 'EX-N');
    const made: [string, string[]][] = [['CreateExport', calls()]];
    for (const step of STEPS) {
      await step.prepare?.('EX-N', world);
      const input = await step.input('EX-N', world);
      calls();
      await world.json(step.who, step.fn, input, step.transient?.());
      made.push([step.fn.replace('export:', ''), calls()]);
    }
    return made;
  }

  it('no step calls user-management: the caller and the licence come from the copy of the registry', async () => {
    const world = await newWorld();
    assert.ok(
      world.registryCopy().length > 0,
      'the registry was copied as users and exporters were registered',
    );
    for (const [step, calls] of await callsPerStep(world)) {
      assert.deepEqual(calls, [], `${step}: no cross-chaincode call`);
    }
  });

  it('without the copy (users registered before it existed) each step asks user-management once', async () => {
    const world = await newWorld();
    world.forgetRegistryCopy();
    const checked = new Set(['CreateExport', 'RegisterContract', 'ApproveFx']);
    for (const [step, calls] of await callsPerStep(world)) {
      assert.deepEqual(
        calls,
        [`user-management users:${checked.has(step) ? 'GetCallerWithEligibility' : 'GetCaller'}`],
        `${step}: one cross-chaincode call`,
      );
    }
  });

  it('the key-level policy of a record is written when it changes, not rewritten when it stays the same', async () => {
    const world = await newWorld();
    const key = exportKeyOf('EX-P');
    const policyWrites = (): string[] =>
      world.ledger.policyWrites
        .splice(0)
        .filter((w) => w.namespace === CE && w.key === key)
        .map((w) => w.key);
    await submit(world, 'EX-P');
    assert.equal(policyWrites().length, 1, 'CreateExport sets the SUBMITTED policy');
    const step = STEPS[0]!;
    await world.submit(step.who, step.fn, await step.input('EX-P', world), step.transient?.());
    assert.equal(policyWrites().length, 1, 'RegisterContract moves it to the next actor');
    const before = world.policyOrgs('EX-P');
    await world.submit(U.exporter, 'export:AttachDocuments', {
      exportId: 'EX-P',
      documents: [doc('PACKING_LIST', { quantityKg: QUANTITY })],
    });
    assert.deepEqual(policyWrites(), [], 'attaching a document keeps the status and the policy');
    assert.deepEqual(world.policyOrgs('EX-P'), before, 'the policy in force is unchanged');
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
    assert.equal(entries.length, 3, 'creation and two document updates');
    assert.deepEqual(
      entries.map((e) => (e.record as Json).status),
      ['SUBMITTED', 'SUBMITTED', 'SUBMITTED'],
      'the oldest state is the submission: no draft',
    );
    assert.equal(
      ((entries[2]?.record as Json).documents as Json[]).length,
      2,
      'the created version is kept intact',
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

/** The refusal message of a call that must fail (to compare refusals word for word). */
async function refusalOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => (e instanceof Error ? e.message : String(e)),
  );
}

function create(world: World, who: Identity, input: Json, transient?: Record<string, Json>): Promise<string> {
  return world.submit(who, 'export:CreateExport', input, transient);
}

describe('one-step creation: CreateExport carries the private terms and makes the export SUBMITTED', () => {
  it('creates the record SUBMITTED with both hashes, the documents, its index entries and tracking log, and one ExportSubmitted event', async () => {
    const world = await newWorld();
    const eventsBefore = world.ledger.events.length;
    const input = submission('EX-C');
    const tradeTerms = terms();
    const response = await world.json(U.exporter, 'export:CreateExport', input, { tradeTerms });
    const record = await world.get('EX-C');
    assert.deepEqual(response, record, 'the exporter reads its own export in full');
    assert.deepEqual(
      [record.status, record.reached, record.exporterId, record.amendmentCount],
      ['SUBMITTED', 'SUBMITTED', 'EXP-001', 0],
    );
    assert.deepEqual(record.contract, input.contract);
    assert.match(String(record.termsHash), /^[0-9a-f]{64}$/);
    assert.match(String(record.valueCommitmentHash), /^[0-9a-f]{64}$/);
    assert.notEqual(record.termsHash, record.valueCommitmentHash);
    const action = record.lastAction as Json;
    assert.equal(action.action, 'CreateExport');
    assert.equal(record.createdAt, record.updatedAt);
    const documents = record.documents as Json[];
    assert.deepEqual(
      documents.map((d) => [d.type, d.version, d.sha256, d.txId]),
      (input.documents as Json[]).map((d) => [d.type, 1, d.sha256, action.txId]),
    );
    assert.equal((documents[0]?.uploadedBy as Json).userId, 'CommercialBankMSP::exporter1');
    // Written out by hand: ECTA registers next, the National Bank co-signs.
    assert.deepEqual(world.policyOrgs('EX-C'), ['ECTAMSP', 'NationalBankMSP']);

    assert.equal(world.ledger.events.length - eventsBefore, 1, 'one transaction, one event');
    const event = world.ledger.lastEvent() ?? assert.fail('no event');
    assert.equal(event.name, 'ExportSubmitted');
    assert.equal(event.txId, action.txId);
    assert.deepEqual(
      [event.payload.action, event.payload.fromStatus, event.payload.toStatus, event.payload.exporterId],
      ['CreateExport', undefined, 'SUBMITTED', 'EXP-001'],
    );
    assert.deepEqual(world.ledger.replacedEvents, [], 'no other event was set and lost');
    assertNoPrivate(event.raw, 'the creation event');

    assert.deepEqual(world.statusIndex(), [['SUBMITTED', 'EX-C', '{"exportId":"EX-C"}']]);
    const committed = world.ledger.committed(CE);
    const text = (key: string): string => Buffer.from(committed.get(key) ?? []).toString('utf8');
    assert.equal(text(compositeKey('exportByExporter', 'EXP-001', 'EX-C')), '{"exportId":"EX-C"}');
    const tracking = compositeKey('tracking', 'EX-C');
    assert.equal(text(tracking), '{"docType":"tracking","events":[],"exportId":"EX-C"}');
    assert.deepEqual(world.keyPolicyOrgs(tracking), ['ECTAMSP', 'ShippingLineMSP']);

    const history = (await world.query(U.ecta, 'export:GetExportHistory', 'EX-C')).entries as Json[];
    assert.deepEqual(
      history.map((e) => (e.record as Json).status),
      ['SUBMITTED'],
      'no DRAFT ever',
    );
    // ECTA reviews it at once; the private terms are stored as sent, and the value commitment apart.
    const read = await world.query(U.ecta, 'export:GetTradeTerms', 'EX-C');
    const stored = read.terms as Json;
    assert.deepEqual(
      [stored.unitPriceUsdPerKg, stored.contractValueUsd, stored.salt, stored.valueSalt],
      [PRICE, VALUE, tradeTerms.salt, tradeTerms.valueSalt],
    );
    assert.deepEqual(read.customsValue, { contractValueCents: VALUE * 100, salt: tradeTerms.valueSalt });
    assertNoPrivate(world.ledger.publicText(CE), 'public state');
    assertNoPrivate(world.ledger.responses.at(-1) ?? '', 'the committed response');
  });

  it('requires the transient terms: none, or only another kind, is VALIDATION_FAILED', async () => {
    const world = await newWorld();
    const missing = await refusalOf(create(world, U.exporter, submission('EX-T')));
    assert.match(missing, /^VALIDATION_FAILED: .*tradeTerms.* is required/);
    await refused(
      world,
      create(world, U.exporter, submission('EX-T'), { fxApplication: fxApplication() }),
      'VALIDATION_FAILED',
    );
    await refused(world, create(world, U.exporter, submission('EX-T')), 'VALIDATION_FAILED');
    await refused(world, world.query(U.bank, 'export:GetExport', 'EX-T'), 'EXPORT_NOT_FOUND');
  });

  const documentCases: [string, Json[] | undefined, string, RegExp][] = [
    ['the proforma invoice missing', [doc('SALES_CONTRACT')], 'DOCUMENTS_MISSING', /PROFORMA_INVOICE/],
    ['the sales contract missing', [doc('PROFORMA_INVOICE')], 'DOCUMENTS_MISSING', /SALES_CONTRACT/],
    ['no documents', [], 'VALIDATION_FAILED', /documents/],
    ['the documents field absent', undefined, 'VALIDATION_FAILED', /documents/],
    [
      'a document of a later step',
      [doc('SALES_CONTRACT'), doc('PROFORMA_INVOICE'), doc('QUALITY_CERTIFICATE')],
      'VALIDATION_FAILED',
      /QUALITY_CERTIFICATE/,
    ],
  ];
  for (const [name, documents, code, detail] of documentCases) {
    it(`requires both documents: ${name} is ${code}`, async () => {
      const world = await newWorld();
      const input = submission('EX-DOC');
      if (documents === undefined) {
        delete input.documents;
      } else {
        input.documents = documents;
      }
      const promise = create(world, U.exporter, input, { tradeTerms: terms() });
      const message = await refusalOf(promise);
      assert.match(message, new RegExp(`^${code}: `));
      assert.match(message, detail);
      await refused(world, create(world, U.exporter, input, { tradeTerms: terms() }), code);
    });
  }

  // |price × quantity − value| must stay under one cent; quantity 19,201 kg makes price × quantity 120,008.1701.
  const valueCases: [string, number, number, number, boolean][] = [
    ['price × quantity exactly', PRICE, QUANTITY, VALUE, true],
    ['one cent more', PRICE, QUANTITY, VALUE + 0.01, false],
    ['one cent less', PRICE, QUANTITY, VALUE - 0.01, false],
    ['a value of another quantity', PRICE, QUANTITY + 60, VALUE, false],
    ['rounded to the cent below', 6.2501, 19_201, 120_008.17, true],
    ['rounded to the cent above', 6.2501, 19_201, 120_008.18, true],
    ['a cent and more away', 6.2501, 19_201, 120_008.16, false],
  ];
  for (const [name, price, quantityKg, value, accepted] of valueCases) {
    it(`value = price × quantity: ${name} is ${accepted ? 'accepted' : 'VALIDATION_FAILED'}`, async () => {
      const world = await newWorld();
      const input = submission('EX-V', {
        contract: { ...(submission('EX-V').contract as Json), quantityKg },
      });
      const tradeTerms = { tradeTerms: terms({ unitPriceUsdPerKg: price, contractValueUsd: value }) };
      if (accepted) {
        const record = await world.json(U.exporter, 'export:CreateExport', input, tradeTerms);
        assert.equal(record.status, 'SUBMITTED');
      } else {
        const message = await refusalOf(create(world, U.exporter, input, tradeTerms));
        assert.match(message, /^VALIDATION_FAILED: contract value must equal unit price × quantity/);
      }
    });
  }

  it('takes its salts fresh: the terms and the value commitment never share one', async () => {
    const world = await newWorld();
    const same = terms();
    await refused(
      world,
      create(world, U.exporter, submission('EX-S'), { tradeTerms: { ...same, valueSalt: same.salt } }),
      'VALIDATION_FAILED',
    );
    const record = await submit(world, 'EX-S');
    const read = (await world.query(U.bank, 'export:GetTradeTerms', 'EX-S')).terms as Json;
    assert.notEqual(read.salt, read.valueSalt);
    assert.notEqual(record.termsHash, record.valueCommitmentHash);
  });

  it('a second CreateExport of the same id is EXPORT_EXISTS, by the owner and by another exporter alike; the other learns nothing more', async () => {
    const world = await newWorld();
    await submit(world, 'EX-X');
    const before = await world.get('EX-X');
    const own = await refusalOf(create(world, U.exporter, submission('EX-X'), { tradeTerms: terms() }));
    const other = await refusalOf(create(world, U.exporter2, submission('EX-X'), { tradeTerms: terms() }));
    assert.equal(own, 'EXPORT_EXISTS: export EX-X already exists');
    assert.equal(
      other,
      own,
      'the same words for the owner and for a competitor: no exporter, status or terms',
    );
    await refused(
      world,
      create(world, U.exporter2, submission('EX-X'), { tradeTerms: terms() }),
      'EXPORT_EXISTS',
    );
    assert.deepEqual(await world.get('EX-X'), before, 'the existing export, its terms and index unchanged');
    assert.deepEqual(world.statusIndex(), [['SUBMITTED', 'EX-X', '{"exportId":"EX-X"}']]);
    // Beyond "exists", the export stays hidden from the other exporter.
    await refused(world, world.query(U.exporter2, 'export:GetExport', 'EX-X'), 'EXPORT_NOT_FOUND');
    const theirs = await world.query(U.exporter2, 'export:ListExportsByExporter', { exporterId: 'EXP-001' });
    assert.deepEqual(theirs.records, []);
    // A legacy draft's id is taken too: it can only be cancelled, not created again.
    legacyDraft(world, 'EX-OLD');
    await refused(
      world,
      create(world, U.exporter, submission('EX-OLD'), { tradeTerms: terms() }),
      'EXPORT_EXISTS',
    );
  });

  const strangers: [string, Identity, string][] = [
    ['the bank officer', U.bank, 'FORBIDDEN_ROLE'],
    ['a CommercialBank auditor', U.cbAuditor, 'FORBIDDEN_ROLE'],
    ['a registered CommercialBank admin', U.cbAdmin, 'FORBIDDEN_ROLE'],
    ['the CommercialBank bootstrap admin', admins.CommercialBankMSP as Identity, 'FORBIDDEN_ROLE'],
    ['an ECTA officer', U.ecta, 'FORBIDDEN_ORG'],
    ['the National Bank', U.fx, 'FORBIDDEN_ORG'],
    ['customs', U.customs, 'FORBIDDEN_ORG'],
    ['an exporter role claimed in another org', { ...U.exporter, mspId: 'ECTAMSP' }, 'FORBIDDEN_ORG'],
    ['an exporter certificate of a bank officer', { ...U.bank, role: 'exporter' }, 'FORBIDDEN_ROLE'],
    ['an unregistered exporter certificate', { ...U.exporter, commonName: 'nobody' }, 'USER_NOT_REGISTERED'],
  ];
  for (const [name, who, code] of strangers) {
    it(`only CommercialBank exporter users create: ${name} is ${code}`, async () => {
      const world = await newWorld();
      await refused(world, create(world, who, submission('EX-R'), { tradeTerms: terms() }), code);
    });
  }

  it('the exporter is the one the caller is linked to (never an argument); an exporter user cannot go unlinked', async () => {
    const world = await newWorld();
    const record = await submit(world, 'EX-2', U.exporter2);
    assert.equal(record.exporterId, 'EXP-002');
    await refused(
      world,
      create(world, U.exporter2, submission('EX-3', { exporterId: 'EXP-001' }), { tradeTerms: terms() }),
      'VALIDATION_FAILED',
    );
    const unlinked = await refusalOf(
      world.um(admins.CommercialBankMSP as Identity, 'users:RegisterUser', {
        commonName: 'exporter9',
        role: 'exporter',
      }),
    );
    assert.match(unlinked, /^VALIDATION_FAILED: an exporter user must name the exporterId/);
  });
});

describe('DRAFT records of the former two-step creation', () => {
  it('stay readable by the commercial bank only, listed under DRAFT, and can only be cancelled', async () => {
    const world = await newWorld();
    legacyDraft(world, 'EX-OLD');
    const draft = await world.get('EX-OLD');
    assert.deepEqual([draft.status, draft.reached, draft.termsHash], ['DRAFT', 'DRAFT', undefined]);
    assert.equal((await world.query(U.exporter, 'export:GetExport', 'EX-OLD')).status, 'DRAFT');
    for (const who of [U.ecta, U.exporter2, U.fx]) {
      await refused(world, world.query(who, 'export:GetExport', 'EX-OLD'), 'EXPORT_NOT_FOUND');
    }
    const listed = async (who: Identity, status: string): Promise<unknown[]> =>
      ((await world.query(who, 'export:ListExportsByStatus', { status })).records as Json[]).map(
        (r) => r.exportId,
      );
    assert.deepEqual(await listed(U.bank, 'DRAFT'), ['EX-OLD']);
    assert.deepEqual(await listed(U.ecta, 'DRAFT'), []);
    // Its former index entries at every other status say `active: false`: none lists it.
    assert.deepEqual(await listed(U.bank, 'SUBMITTED'), []);
    assert.deepEqual(await listed(U.bank, 'CANCELLED'), []);
    // Nothing submits it any more: ECTA does not see it, and SubmitExport is gone.
    await refused(
      world,
      world.submit(U.ecta, 'export:RegisterContract', { exportId: 'EX-OLD', registrationNumber: 'R-1' }),
      'EXPORT_NOT_FOUND',
    );
    await assert.rejects(
      world.submit(U.exporter, 'export:SubmitExport', submission('EX-OLD'), { tradeTerms: terms() }),
      /does not exist: SubmitExport/,
    );
    const cancelled = await world.json(U.exporter, 'export:CancelExport', {
      exportId: 'EX-OLD',
      reason: 'created again in one step',
    });
    assert.equal(cancelled.status, 'CANCELLED');
    assert.equal(world.ledger.lastEvent()?.name, 'ExportCancelled');
    assert.deepEqual(await listed(U.bank, 'DRAFT'), []);
    assert.deepEqual(await listed(U.bank, 'CANCELLED'), ['EX-OLD']);
    const own = world.statusIndex().filter(([, id]) => id === 'EX-OLD');
    assert.deepEqual(
      own.filter(([, , value]) => !value.includes('"active":false')),
      [['CANCELLED', 'EX-OLD', '{"exportId":"EX-OLD"}']],
      'the DRAFT entry is gone; the only live entry is at CANCELLED',
    );
  });
});

/** The live status-index entries of one export. */
function entriesOf(world: World, exportId: string): [string, string, string][] {
  return world.statusIndex().filter(([, id]) => id === exportId);
}

async function listedUnder(world: World, status: string): Promise<unknown[]> {
  const page = await world.query(U.bank, 'export:ListExportsByStatus', { status, pageSize: 100 });
  return (page.records as Json[]).map((r) => r.exportId);
}

describe('status index: one entry per export, at its current status', () => {
  it('after every step (amendment loop, a document update, the terminal state) exactly one entry, the current one', async () => {
    const world = await newWorld();
    await submit(world, 'EX-OTHER');
    const visited: string[] = [];
    const check = async (status: string, what: string): Promise<void> => {
      assert.deepEqual(
        entriesOf(world, 'EX-1'),
        [[status, 'EX-1', '{"exportId":"EX-1"}']],
        `${what}: one entry, at ${status}`,
      );
      assert.deepEqual(
        world.keyPolicyOrgs(compositeKey(STATUS_INDEX, status, 'EX-1')),
        [],
        'no index policy',
      );
      assert.ok((await listedUnder(world, status)).includes('EX-1'), `${what}: listed under ${status}`);
      for (const old of visited.filter((v) => v !== status)) {
        assert.ok(
          !(await listedUnder(world, old)).includes('EX-1'),
          `${what}: no longer listed under ${old}`,
        );
        const history = world.ledger.historyOf(CE, compositeKey(STATUS_INDEX, old, 'EX-1'));
        assert.equal(history.at(-1)?.isDelete, true, `${what}: the ${old} entry was deleted`);
      }
      if (!visited.includes(status)) {
        visited.push(status);
      }
    };
    await submit(world, 'EX-1');
    await check('SUBMITTED', 'created');
    await world.submit(U.ecta, 'export:RequestAmendment', {
      exportId: 'EX-1',
      reasonCode: 'FIX',
      reason: 'x',
    });
    await check('AMENDMENT_REQUESTED', 'amendment requested');
    await world.submit(U.exporter, 'export:SubmitAmendment', {
      exportId: 'EX-1',
      documents: [doc('PROFORMA_INVOICE')],
    });
    await check('SUBMITTED', 'amended');
    for (const step of STEPS.slice(0, 5)) {
      await step.prepare?.('EX-1', world);
      await world.submit(step.who, step.fn, await step.input('EX-1', world), step.transient?.());
      await check(step.to, step.name);
    }
    const written = world.ledger.historyOf(CE, compositeKey(STATUS_INDEX, 'SHIPMENT_BOOKED', 'EX-1')).length;
    await world.submit(U.exporter, 'export:AttachDocuments', {
      exportId: 'EX-1',
      documents: shippingDocuments(),
    });
    assert.equal(
      world.ledger.historyOf(CE, compositeKey(STATUS_INDEX, 'SHIPMENT_BOOKED', 'EX-1')).length,
      written,
      'a change that keeps the status leaves the index alone',
    );
    await check('SHIPMENT_BOOKED', 'documents attached');
    await world.submit(U.bank, 'export:CancelExport', { exportId: 'EX-1', reason: 'buyer withdrew' });
    await check('CANCELLED', 'cancelled');
    assert.deepEqual(entriesOf(world, 'EX-OTHER'), [['SUBMITTED', 'EX-OTHER', '{"exportId":"EX-OTHER"}']]);
    assert.equal(world.statusIndex().length, 2, 'two exports, two entries');
  });

  it('a malformed or contradicted entry is skipped without failing the page, on every page size', async () => {
    const world = await newWorld();
    for (const id of ['EX-A', 'EX-B', 'EX-C']) {
      await submit(world, id);
    }
    await world.submit(U.ecta, 'export:RegisterContract', { exportId: 'EX-C', registrationNumber: 'R-C' });
    // Entries no transaction of today's chaincode writes, sorted among the real ones.
    world.ledger.seed(CE, () => ({
      state: [
        [compositeKey(STATUS_INDEX, 'SUBMITTED', 'EX-0'), Buffer.from('not json')],
        [compositeKey(STATUS_INDEX, 'SUBMITTED', 'EX-A0'), Buffer.from('{"exportId":5}')],
        [compositeKey(STATUS_INDEX, 'SUBMITTED', 'EX-A1'), Buffer.from('{"exportId":"NO-SUCH"}')],
        [compositeKey(STATUS_INDEX, 'SUBMITTED', 'EX-B0'), Buffer.from('{"id":"EX-B"}')],
        // EX-C's record says CONTRACT_REGISTERED: an entry at SUBMITTED is contradicted by the record.
        [compositeKey(STATUS_INDEX, 'SUBMITTED', 'EX-C'), Buffer.from('{"exportId":"EX-C"}')],
        [compositeKey(STATUS_INDEX, 'SUBMITTED', 'EX-Z'), Buffer.from('{"exportId":"EX-Z","active":"yes"}')],
      ],
    }));
    for (const pageSize of [1, 2, 3, 100]) {
      const ids: unknown[] = [];
      let bookmark = '';
      let pages = 0;
      do {
        const page = await world.query(U.ecta, 'export:ListExportsByStatus', {
          status: 'SUBMITTED',
          pageSize,
          ...(bookmark ? { bookmark } : {}),
        });
        const records = page.records as Json[];
        assert.equal(page.fetchedCount, records.length);
        ids.push(...records.map((r) => r.exportId));
        bookmark = String(page.bookmark);
        pages += 1;
        assert.ok(pages <= 10, 'the pages end');
      } while (bookmark !== '');
      assert.deepEqual(ids, ['EX-A', 'EX-B'], `page size ${pageSize}`);
    }
    assert.deepEqual(await listedUnder(world, 'CONTRACT_REGISTERED'), ['EX-C']);
  });

  // A list re-reads the record an entry points to: the entry's key must name that record, and the record must
  // agree with the key (its status, or its exporter).
  it('an entry whose key names another export than its value is skipped (no export listed twice)', async () => {
    const world = await newWorld();
    await submit(world, 'EX-A');
    world.ledger.seed(CE, () => ({
      state: [[compositeKey(STATUS_INDEX, 'SUBMITTED', 'EX-Z'), Buffer.from('{"exportId":"EX-A"}')]],
    }));
    assert.deepEqual(await listedUnder(world, 'SUBMITTED'), ['EX-A']);
  });

  it("an exporter-index entry contradicted by the record's exporter is skipped", async () => {
    const world = await newWorld();
    await submit(world, 'EX-A');
    world.ledger.seed(CE, () => ({
      state: [[compositeKey('exportByExporter', 'EXP-002', 'EX-A'), Buffer.from('{"exportId":"EX-A"}')]],
    }));
    const page = await world.query(U.ecta, 'export:ListExportsByExporter', { exporterId: 'EXP-002' });
    assert.deepEqual(page.records, [], "EX-A is EXP-001's");
  });
});
