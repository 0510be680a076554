import { canSeeExport } from '@coffee/consortium';
import '@coffee/chaincode-common/dist/test-support/quiet';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Identity } from '@coffee/chaincode-common/dist/test-support/fakes';
import {
  CE,
  type Json,
  QUANTITY,
  SALT_PREFIX,
  STEPS,
  U,
  VALUE,
  type World,
  admins,
  advance,
  customsDeclaration,
  doc,
  freshSalt,
  fxApplication,
  newWorld,
  proceeds,
  shippingDocuments,
  stepIndex,
  submission,
  submit,
  terms,
  refused,
} from './helpers/world';

/** Runs step `n` (0-based into STEPS) as someone else. */
async function stepAs(world: World, id: string, n: number, who: Identity): Promise<unknown> {
  const step = STEPS[n];
  if (step === undefined) {
    throw new Error(`no step ${n}`);
  }
  return world.submit(who, step.fn, await step.input(id, world), step.transient?.());
}

describe('access: each step refuses every other org and role', () => {
  const outsiders: Identity[] = [
    U.exporter,
    U.bank,
    U.ecta,
    U.grader,
    U.fx,
    U.shipping,
    U.customs,
    U.customsAuditor,
    U.cbAuditor,
    U.nbAuditor,
    U.ectaAuditor,
    U.ecxAuditor,
    U.shippingAuditor,
    U.cbAdmin,
    U.nbAdmin,
    U.ectaAdmin,
    U.ecxAdmin,
    U.shippingAdmin,
    U.customsAdmin,
  ];
  for (const [n, step] of STEPS.entries()) {
    it(`${step.name}: only ${step.who.mspId}/${step.who.role}`, async () => {
      const world = await newWorld();
      await advance(world, 'EX-1', n);
      await step.prepare?.('EX-1', world);
      const record = (await world.get('EX-1')) as unknown as { exporterId: string; reached: string };
      for (const who of outsiders.filter((o) => o !== step.who)) {
        // A caller who may not see the export is told it does not exist (before any org or role check).
        const exporterId = who === U.exporter ? 'EXP-001' : undefined;
        const code = !canSeeExport({ mspId: who.mspId, role: who.role ?? '', exporterId }, record)
          ? 'EXPORT_NOT_FOUND'
          : who.mspId === step.who.mspId
            ? 'FORBIDDEN_ROLE'
            : 'FORBIDDEN_ORG';
        const input = await step.input('EX-1', world);
        await refused(world, world.submit(who, step.fn, input, step.transient?.()), code);
      }
      const done = await world.json(step.who, step.fn, await step.input('EX-1', world), step.transient?.());
      assert.equal(done.status, step.to);
    });
  }

  it('a certificate role that differs from the registered role is refused', async () => {
    const world = await newWorld();
    await submit(world, 'EX-1');
    await refused(
      world,
      stepAs(world, 'EX-1', 0, { ...U.ecta, commonName: 'customs1' }),
      'USER_NOT_REGISTERED',
    );
    await world.um(admins.ECTAMSP as Identity, 'users:RegisterUser', { commonName: 'aud9', role: 'auditor' });
    await refused(
      world,
      stepAs(world, 'EX-1', 0, { mspId: 'ECTAMSP', commonName: 'aud9', role: 'ecta_officer' }),
      'FORBIDDEN_ROLE',
    );
  });

  it('a suspended user is refused; reactivated, accepted', async () => {
    const world = await newWorld();
    await submit(world, 'EX-1');
    await world.um(admins.ECTAMSP as Identity, 'users:SuspendUser', {
      userId: 'ECTAMSP::ecta-officer1',
      reason: 'audit',
    });
    await refused(world, stepAs(world, 'EX-1', 0, U.ecta), 'USER_SUSPENDED');
    await world.um(admins.ECTAMSP as Identity, 'users:ReactivateUser', { userId: 'ECTAMSP::ecta-officer1' });
    await stepAs(world, 'EX-1', 0, U.ecta);
  });

  it('an unregistered identity with the right MSP and role is refused', async () => {
    const world = await newWorld();
    await refused(
      world,
      submit(world, 'EX-1', { ...U.exporter, commonName: 'stranger' }),
      'USER_NOT_REGISTERED',
    );
  });

  it("an exporter acts only on its own exporter's exports; another's do not exist for it", async () => {
    const world = await newWorld();
    await submit(world, 'EX-1');
    const missing = await world
      .submit(U.exporter2, 'export:CancelExport', { exportId: 'EX-404', reason: 'x' })
      .catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
    await refused(
      world,
      world.submit(U.exporter2, 'export:CancelExport', { exportId: 'EX-1', reason: 'x' }),
      'EXPORT_NOT_FOUND',
    );
    const theirs = await world
      .submit(U.exporter2, 'export:CancelExport', { exportId: 'EX-1', reason: 'x' })
      .catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
    assert.equal(
      theirs.replace('EX-1', 'EX-404'),
      missing,
      'the refusal reads exactly as for a missing export',
    );
    await refused(
      world,
      world.submit(U.exporter2, 'export:AttachDocuments', {
        exportId: 'EX-1',
        documents: shippingDocuments().slice(2),
      }),
      'EXPORT_NOT_FOUND',
    );
    // The bank officer acts for every exporter of the bank.
    const cancelled = await world.json(U.bank, 'export:CancelExport', { exportId: 'EX-1', reason: 'x' });
    assert.equal(cancelled.status, 'CANCELLED');
  });
});

describe('exporter standing', () => {
  const cases: { name: string; update: Json; code: string }[] = [
    { name: 'suspended', update: { status: 'SUSPENDED', reason: 'x' }, code: 'LICENSE_INVALID' },
    { name: 'banned', update: { status: 'BANNED', reason: 'x' }, code: 'LICENSE_INVALID' },
    { name: 'revoked', update: { status: 'REVOKED', reason: 'x' }, code: 'LICENSE_INVALID' },
    { name: 'expired', update: { licenceValidUntil: '2025-12-31' }, code: 'LICENSE_INVALID' },
  ];
  for (const c of cases) {
    it(`a ${c.name} exporter cannot submit, and cannot be registered`, async () => {
      const world = await newWorld();
      await submit(world, 'EX-1');
      await world.um(U.ecta, 'exporters:UpdateExporter', { exporterId: 'EXP-001', ...c.update });
      await refused(world, submit(world, 'EX-2'), c.code);
      await refused(world, stepAs(world, 'EX-1', 0, U.ecta), c.code);
    });
  }

  it('an exporter user without a licence record is refused (unlicensed)', async () => {
    const world = await newWorld();
    await world.um(U.ecta, 'exporters:RegisterExporter', {
      exporterId: 'EXP-003',
      legalName: 'Z',
      tin: '0000000003',
      licenceNumber: 'L3',
      licenceValidUntil: '2030-01-01',
    });
    await world.um(admins.CommercialBankMSP as Identity, 'users:RegisterUser', {
      commonName: 'exporter3',
      role: 'exporter',
      exporterId: 'EXP-003',
    });
    await world.um(U.ecta, 'exporters:UpdateExporter', {
      exporterId: 'EXP-003',
      status: 'REVOKED',
      reason: 'licence withdrawn',
    });
    await refused(
      world,
      submit(world, 'EX-3', { mspId: 'CommercialBankMSP', commonName: 'exporter3', role: 'exporter' }),
      'LICENSE_INVALID',
    );
  });

  it('a delinquent export blocks FX approval for its exporter; cleared after payment, it does not', async () => {
    const world = await newWorld({ repatriationWindowSeconds: 30 });
    await advance(world, 'EX-0', 7);
    await advance(world, 'EX-1', 3);
    await refused(
      world,
      world.submit(U.fx, 'export:MarkDelinquent', { exportId: 'EX-0' }),
      'DEADLINE_NOT_PASSED',
    );
    await refused(
      world,
      world.submit(U.fx, 'export:MarkDelinquent', { exportId: 'EX-1' }),
      'INVALID_TRANSITION',
    );
    world.ledger.advance(60);
    await refused(
      world,
      world.submit(U.bank, 'export:MarkDelinquent', { exportId: 'EX-0' }),
      'FORBIDDEN_ORG',
    );
    await refused(
      world,
      world.submit(U.nbAuditor, 'export:MarkDelinquent', { exportId: 'EX-0' }),
      'FORBIDDEN_ROLE',
    );
    const marked = await world.json(U.fx, 'export:MarkDelinquent', { exportId: 'EX-0' });
    assert.equal(marked.status, 'SHIPPED', 'delinquency does not move the state');
    const delinquency = marked.delinquency as Json;
    assert.equal(delinquency.repatriationDueAt, (marked.shipment as Json).repatriationDueAt);
    assert.equal((delinquency.markedBy as Json).userId, 'NationalBankMSP::fx-officer1');
    assert.equal(world.ledger.lastEvent()?.name, 'ExportDelinquent');
    const exporter = JSON.parse(
      await world.ledger.evaluate(U.ecta, 'user-management', 'exporters:GetExporter', ['EXP-001']),
    ) as Json;
    assert.deepEqual([exporter.delinquent, exporter.delinquentExports], [true, ['EX-0']]);
    await refused(
      world,
      world.submit(U.fx, 'export:MarkDelinquent', { exportId: 'EX-0' }),
      'INVALID_TRANSITION',
    );
    await refused(world, stepAs(world, 'EX-1', 3, U.fx), 'EXPORTER_DELINQUENT');
    await refused(
      world,
      world.submit(U.fx, 'export:ClearDelinquency', { exportId: 'EX-0' }),
      'INVALID_TRANSITION',
    );
    await stepAs(world, 'EX-0', 7, U.bank);
    await refused(
      world,
      world.submit(U.fx, 'export:ClearDelinquency', { exportId: 'EX-1' }),
      'INVALID_TRANSITION',
    );
    const cleared = await world.json(U.fx, 'export:ClearDelinquency', { exportId: 'EX-0' });
    assert.equal((cleared.delinquency as Json).clearedAt, cleared.updatedAt);
    assert.equal(world.ledger.lastEvent()?.name, 'ExportDelinquencyCleared');
    await refused(
      world,
      world.submit(U.fx, 'export:ClearDelinquency', { exportId: 'EX-0' }),
      'INVALID_TRANSITION',
    );
    await stepAs(world, 'EX-1', 3, U.fx);
  });

  it('delinquency is recorded in user-management only through coffee-export', async () => {
    const world = await newWorld();
    for (const who of [U.fx, U.ecta]) {
      await refused(
        world,
        world.um(who, 'exporters:SetDelinquency', {
          exporterId: 'EXP-001',
          exportId: 'EX-0',
          delinquent: true,
        }),
        'FORBIDDEN_CALLER',
      );
    }
  });
});

describe('business rules', () => {
  it('below the minimum price in force is refused with BELOW_MINIMUM_PRICE; registration records the row id', async () => {
    const world = await newWorld();
    await submit(world, 'EX-LOW', U.exporter, {}, { unitPriceUsdPerKg: 5.5, contractValueUsd: 105_600 });
    await refused(
      world,
      world.submit(U.ecta, 'export:RegisterContract', { exportId: 'EX-LOW', registrationNumber: 'R1' }),
      'BELOW_MINIMUM_PRICE',
    );
    // the generic G2 row (5.0) would allow 5.5, but the SIDAMA row (6.0) is in force for this region
    await submit(world, 'EX-OK');
    const ok = await world.json(U.ecta, 'export:RegisterContract', {
      exportId: 'EX-OK',
      registrationNumber: 'R2',
    });
    assert.equal((ok.registration as Json).minimumPriceId, 'MP-000002');
  });

  it('a newer row takes over at its effective-from (tx timestamp decides)', async () => {
    const world = await newWorld();
    await world.submit(U.ecta, 'minprice:PublishMinimumPrice', {
      grade: 'G2',
      originRegion: 'SIDAMA',
      usdPerKg: 7.0,
      effectiveFrom: '2026-01-01T01:00:00Z',
    });
    await submit(world, 'EX-1');
    await world.submit(U.ecta, 'export:RegisterContract', { exportId: 'EX-1', registrationNumber: 'R1' });
    await submit(world, 'EX-2');
    world.ledger.advance(3600);
    await refused(
      world,
      world.submit(U.ecta, 'export:RegisterContract', { exportId: 'EX-2', registrationNumber: 'R2' }),
      'BELOW_MINIMUM_PRICE',
    );
  });

  it('no row in force: NO_MINIMUM_PRICE', async () => {
    const world = await newWorld();
    await submit(world, 'EX-1', U.exporter, {
      contract: { ...(submission('x').contract as Json), contractedGrade: 'G1' },
    });
    await refused(
      world,
      world.submit(U.ecta, 'export:RegisterContract', { exportId: 'EX-1', registrationNumber: 'R1' }),
      'NO_MINIMUM_PRICE',
    );
  });

  it('grade below the contract and a lot short of the contract are refused at certification', async () => {
    const world = await newWorld();
    await advance(world, 'EX-1', 1);
    const base = (await STEPS[1]?.input('EX-1', world)) as Json;
    await refused(
      world,
      world.submit(U.grader, 'export:CertifyQuality', { ...base, certifiedGrade: 'G3' }),
      'GRADE_BELOW_CONTRACT',
    );
    await refused(
      world,
      world.submit(U.grader, 'export:CertifyQuality', { ...base, certifiedQuantityKg: QUANTITY - 1 }),
      'QUANTITY_MISMATCH',
    );
    await world.submit(U.grader, 'export:CertifyQuality', { ...base, certifiedGrade: 'G1' });
  });

  it('FX: a payment method or amount that differs from the contract is refused', async () => {
    const world = await newWorld();
    await advance(world, 'EX-1', 2);
    const input = { exportId: 'EX-1', documents: [doc('LC_OR_ADVANCE_ADVICE')] };
    await refused(
      world,
      world.submit(U.bank, 'export:SubmitFxApplication', input, {
        fxApplication: fxApplication({ paymentMethod: 'CAD', evidenceReference: 'X' }),
      }),
      'PAYMENT_METHOD_MISMATCH',
    );
    await world.submit(U.bank, 'export:SubmitFxApplication', input, {
      fxApplication: fxApplication({ evidenceReference: 'X', amountUsd: VALUE - 1 }),
    });
    await refused(world, world.submit(U.fx, 'export:ApproveFx', { exportId: 'EX-1' }), 'VALUE_MISMATCH');
  });

  it('booking with an ETD after ship-by is refused', async () => {
    const world = await newWorld();
    await advance(world, 'EX-1', 4);
    const base = (await STEPS[4]?.input('EX-1', world)) as Json;
    await refused(
      world,
      world.submit(U.shipping, 'export:BookShipment', { ...base, etd: '2026-12-31' }),
      'DEADLINE_PASSED',
    );
  });

  it('customs: the full document set is required', async () => {
    const world = await newWorld();
    const record = await advance(world, 'EX-1', 5);
    await refused(
      world,
      world.submit(U.customs, 'export:ClearCustoms', customsDeclaration('EX-1', record), {
        customsValue: { declaredValueUsd: VALUE },
      }),
      'DOCUMENTS_MISSING',
    );
  });

  const inconsistent: {
    name: string;
    declaration?: Json;
    docs?: { quantityKg?: number; grade?: string };
    value?: number;
  }[] = [
    { name: 'declared quantity', declaration: { declaredQuantityKg: QUANTITY + 60 } },
    { name: 'declared grade', declaration: { declaredGrade: 'G1' } },
    { name: 'invoice and packing list quantity', docs: { quantityKg: QUANTITY - 60 } },
    { name: 'invoice grade', docs: { grade: 'G1' } },
    { name: 'declared value', value: VALUE + 1 },
    { name: 'declared value (one cent)', value: VALUE - 0.01 },
  ];
  for (const c of inconsistent) {
    it(`customs: an inconsistent ${c.name} is refused (DECLARATION_INCONSISTENT)`, async () => {
      const world = await newWorld();
      const record = await advance(world, 'EX-1', 5);
      await world.submit(U.exporter, 'export:AttachDocuments', {
        exportId: 'EX-1',
        documents: shippingDocuments(c.docs),
      });
      const declaration = customsDeclaration('EX-1', record, c.declaration);
      await refused(
        world,
        world.submit(U.customs, 'export:ClearCustoms', declaration, {
          customsValue: { declaredValueUsd: c.value ?? VALUE },
        }),
        'DECLARATION_INCONSISTENT',
      );
    });
  }

  it('YELLOW/RED lanes go through UNDER_INSPECTION; the permit is consumed only at clearance', async () => {
    const world = await newWorld();
    const record = await advance(world, 'EX-1', 5);
    await world.submit(U.exporter, 'export:AttachDocuments', {
      exportId: 'EX-1',
      documents: shippingDocuments(),
    });
    const inspected = await world.json(
      U.customs,
      'export:ClearCustoms',
      customsDeclaration('EX-1', record, { riskLane: 'RED' }),
      { customsValue: { declaredValueUsd: VALUE } },
    );
    assert.equal(inspected.status, 'UNDER_INSPECTION');
    assert.equal((inspected.permit as Json).status, 'ISSUED');
    assert.deepEqual(world.policyOrgs('EX-1'), ['CustomsMSP', 'ECTAMSP']);
    assert.equal(world.ledger.lastEvent()?.name, 'ExportUnderInspection');
    const cleared = await world.json(U.customs, 'export:CompleteInspection', {
      exportId: 'EX-1',
      findings: 'sealed containers verified',
    });
    assert.equal(cleared.status, 'CUSTOMS_CLEARED');
    assert.equal((cleared.permit as Json).status, 'CONSUMED');
  });

  it('a permit is single-use: another export cannot clear with it, consumed or not', async () => {
    const world = await newWorld();
    const a = await advance(world, 'EX-A', 6);
    const b = await advance(world, 'EX-B', 5);
    await world.submit(U.exporter, 'export:AttachDocuments', {
      exportId: 'EX-B',
      documents: shippingDocuments(),
    });
    const permitA = (a.permit as Json).permitNumber as string;
    assert.equal((a.permit as Json).status, 'CONSUMED');
    const value = { customsValue: { declaredValueUsd: VALUE } };
    await refused(
      world,
      world.submit(
        U.customs,
        'export:ClearCustoms',
        customsDeclaration('EX-B', b, { permitNumber: permitA }),
        value,
      ),
      'PERMIT_CONSUMED',
    );
    await refused(
      world,
      world.submit(
        U.customs,
        'export:ClearCustoms',
        customsDeclaration('EX-B', b, { permitNumber: 'FXP-EX-Z-0000ABCD' }),
        value,
      ),
      'PERMIT_NOT_FOUND',
    );
    // The permit of an export customs cannot see yet (FX_APPROVED) is, to customs, a permit never issued.
    const c = await advance(world, 'EX-C', 4);
    await refused(
      world,
      world.submit(
        U.customs,
        'export:ClearCustoms',
        customsDeclaration('EX-B', b, { permitNumber: (c.permit as Json).permitNumber }),
        value,
      ),
      'PERMIT_NOT_FOUND',
    );
    // Once customs sees that export (booked), the same permit is refused as issued for another export.
    const booked = await advance(world, 'EX-D', 5);
    await refused(
      world,
      world.submit(
        U.customs,
        'export:ClearCustoms',
        customsDeclaration('EX-B', b, { permitNumber: (booked.permit as Json).permitNumber }),
        value,
      ),
      'PERMIT_MISMATCH',
    );
    const permit = await world.query(U.customs, 'export:GetPermit', permitA);
    assert.deepEqual([permit.exportId, permit.status], ['EX-A', 'CONSUMED']);
  });

  it('confirming repatriation needs proceeds covering the contract value', async () => {
    const world = await newWorld();
    await advance(world, 'EX-1', 7);
    await world.submit(
      U.bank,
      'export:RecordPayment',
      { exportId: 'EX-1', paymentReference: 'SWIFT-9', documents: [doc('PAYMENT_ADVICE')] },
      { paymentProceeds: proceeds({ amountUsd: VALUE - 100 }) },
    );
    await refused(
      world,
      world.submit(U.fx, 'export:ConfirmRepatriation', { exportId: 'EX-1' }),
      'REPATRIATION_SHORTFALL',
    );
  });
});

describe('invalid transitions', () => {
  const shipped = {
    billOfLadingNumber: 'B',
    onBoardDate: '2026-01-01',
    documents: [doc('BILL_OF_LADING')],
  };
  // `code` where the actor's org does not see the export yet (policy.ts VISIBLE_FROM): the state check
  // never runs for an export the caller may not know of.
  const cases: { at: number; fn: string; who: Identity; input: Json; code?: string }[] = [
    { at: 0, fn: 'export:CertifyQuality', who: U.grader, input: {} },
    { at: 1, fn: 'export:ApproveFx', who: U.fx, input: {}, code: 'EXPORT_NOT_FOUND' },
    { at: 4, fn: 'export:ApproveFx', who: U.fx, input: {} },
    { at: 2, fn: 'export:RegisterContract', who: U.ecta, input: { registrationNumber: 'R9' } },
    { at: 3, fn: 'export:MarkShipped', who: U.shipping, input: shipped, code: 'EXPORT_NOT_FOUND' },
    { at: 5, fn: 'export:MarkShipped', who: U.shipping, input: shipped },
    { at: 9, fn: 'export:ConfirmRepatriation', who: U.fx, input: {} },
    { at: 9, fn: 'export:CancelExport', who: U.exporter, input: { reason: 'late' } },
    { at: 7, fn: 'export:CancelExport', who: U.bank, input: { reason: 'after shipping' } },
    {
      at: 6,
      fn: 'export:AddTrackingEvent',
      who: U.shipping,
      input: { location: 'Djibouti', status: 'DEPARTED', eventTime: '2026-01-01' },
    },
    {
      at: 8,
      fn: 'export:AddTrackingEvent',
      who: U.shipping,
      input: { location: 'Hamburg', status: 'ARRIVED', eventTime: '2026-01-01' },
    },
    {
      at: 1,
      fn: 'export:SubmitAmendment',
      who: U.exporter,
      input: { documents: [doc('PACKING_LIST', { quantityKg: 1 })] },
    },
    {
      at: 4,
      fn: 'export:RequestAmendment',
      who: U.fx,
      input: { reasonCode: 'X_Y', reason: 'no review pending' },
    },
  ];
  for (const c of cases) {
    it(`${c.fn} refused at step ${c.at}${c.code ? ` (${c.code})` : ''}`, async () => {
      const world = await newWorld();
      await advance(world, 'EX-1', c.at);
      // CertifyQuality with no fields fails validation before any state check.
      const code = c.code ?? (c.fn === 'export:CertifyQuality' ? 'VALIDATION_FAILED' : 'INVALID_TRANSITION');
      await refused(world, world.submit(c.who, c.fn, { exportId: 'EX-1', ...c.input }), code);
    });
  }

  it('tracking events are appended only while SHIPPED, without changing state', async () => {
    const world = await newWorld();
    await advance(world, 'EX-1', 7);
    const before = world.ledger.validationParameter(CE, `\u0000export\u0000EX-1\u0000`);
    const payload = await world.json(U.shipping, 'export:AddTrackingEvent', {
      exportId: 'EX-1',
      location: 'Red Sea',
      status: 'IN_TRANSIT',
      eventTime: '2026-01-01T00:00:01Z',
    });
    assert.equal(payload.toStatus, 'SHIPPED');
    const record = await world.get('EX-1');
    assert.equal(record.status, 'SHIPPED', 'the state does not change');
    assert.deepEqual(
      (record.tracking as Json[]).map((t) => t.location),
      ['Red Sea'],
      'GetExport shows the tracking log',
    );
    assert.equal(world.ledger.lastEvent()?.name, 'TrackingEventAdded');
    assert.deepEqual(
      world.policyOrgs('EX-1'),
      ['CommercialBankMSP', 'ECTAMSP'],
      'the record waits for the bank',
    );
    assert.deepEqual(
      world.ledger.validationParameter(CE, `\u0000export\u0000EX-1\u0000`),
      before,
      'the export record itself was not rewritten',
    );
    await refused(
      world,
      world.submit(U.bank, 'export:AddTrackingEvent', {
        exportId: 'EX-1',
        location: 'x',
        status: 'XX',
        eventTime: '2026-01-01',
      }),
      'FORBIDDEN_ORG',
    );
  });

  it('unknown export: EXPORT_NOT_FOUND', async () => {
    const world = await newWorld();
    await refused(
      world,
      world.submit(U.ecta, 'export:RegisterContract', { exportId: 'NOPE', registrationNumber: 'R' }),
      'EXPORT_NOT_FOUND',
    );
  });

  it('duplicate export id: EXPORT_EXISTS', async () => {
    const world = await newWorld();
    await submit(world, 'EX-1');
    await refused(world, submit(world, 'EX-1'), 'EXPORT_EXISTS');
  });
});

describe('amendment loops return to the same review step', () => {
  const loops: {
    status: string;
    reviewer: Identity;
    amender: Identity;
    amendment: Json;
    transient?: Record<string, Json>;
  }[] = [
    {
      status: 'SUBMITTED',
      reviewer: U.ecta,
      amender: U.exporter,
      amendment: { contract: { ...(submission('x').contract as Json), quantityKg: 19_260 } },
      transient: { tradeTerms: terms({ contractValueUsd: 120_375 }) },
    },
    {
      status: 'CONTRACT_REGISTERED',
      reviewer: U.grader,
      amender: U.exporter,
      amendment: { documents: [doc('SALES_CONTRACT')] },
    },
    {
      status: 'FX_SUBMITTED',
      reviewer: U.fx,
      amender: U.bank,
      amendment: { documents: [doc('LC_OR_ADVANCE_ADVICE')] },
      transient: { fxApplication: fxApplication({ evidenceReference: 'LC-2' }) },
    },
    {
      status: 'SHIPMENT_BOOKED',
      reviewer: U.customs,
      amender: U.exporter,
      amendment: { documents: [doc('PHYTOSANITARY_CERTIFICATE')] },
    },
  ];
  for (const loop of loops) {
    it(`${loop.status}: request, amend, back to ${loop.status}, then the step proceeds`, async () => {
      const world = await newWorld();
      const n = stepIndex(loop.status);
      await advance(world, 'EX-1', n);
      const requested = await world.json(loop.reviewer, 'export:RequestAmendment', {
        exportId: 'EX-1',
        reasonCode: 'DOC_UNREADABLE',
        reason: 'page 2 missing',
      });
      assert.equal(requested.status, 'AMENDMENT_REQUESTED');
      assert.equal((requested.amendment as Json).returnTo, loop.status);
      assert.deepEqual(world.policyOrgs('EX-1'), ['CommercialBankMSP', 'ECTAMSP']);
      assert.equal(world.ledger.lastEvent()?.name, 'AmendmentRequested');
      await refused(
        world,
        world.submit(U.exporter, 'export:SubmitAmendment', { exportId: 'EX-1' }),
        'VALIDATION_FAILED',
      );
      const amended = await world.json(
        loop.amender,
        'export:SubmitAmendment',
        { exportId: 'EX-1', ...loop.amendment },
        loop.transient,
      );
      assert.equal(amended.status, loop.status);
      assert.equal(amended.amendmentCount, 1);
      assert.equal(amended.amendment, undefined);
      assert.equal(world.ledger.lastEvent()?.name, 'ExportAmended');
      if (loop.status === 'SHIPMENT_BOOKED') {
        await world.submit(U.exporter, 'export:AttachDocuments', {
          exportId: 'EX-1',
          documents: shippingDocuments(),
        });
      }
      const next = STEPS[n];
      if (next !== undefined && loop.status !== 'SUBMITTED') {
        const done = await world.json(next.who, next.fn, await next.input('EX-1', world), next.transient?.());
        assert.equal(done.status, next.to);
      }
    });
  }

  it('contract corrections are refused after registration', async () => {
    const world = await newWorld();
    await advance(world, 'EX-1', 1);
    await world.submit(U.grader, 'export:RequestAmendment', {
      exportId: 'EX-1',
      reasonCode: 'LOT',
      reason: 'x',
    });
    await refused(
      world,
      world.submit(U.exporter, 'export:SubmitAmendment', {
        exportId: 'EX-1',
        contract: submission('x').contract as Json,
      }),
      'VALIDATION_FAILED',
    );
  });
});

describe('reject, cancel, default', () => {
  it('a reviewer rejects (terminal, frozen policy)', async () => {
    const world = await newWorld();
    await advance(world, 'EX-1', 1);
    const rejected = await world.json(U.grader, 'export:RejectExport', {
      exportId: 'EX-1',
      reasonCode: 'FAILED_GRADING',
      reason: 'defects',
    });
    assert.equal(rejected.status, 'REJECTED');
    assert.equal(world.policyOrgs('EX-1').length, 6);
    await refused(
      world,
      world.submit(U.exporter, 'export:CancelExport', { exportId: 'EX-1', reason: 'x' }),
      'INVALID_TRANSITION',
    );
  });

  it('cancel before SHIPPED voids the unused permit', async () => {
    const world = await newWorld();
    const approved = await advance(world, 'EX-1', 5);
    assert.equal((approved.permit as Json).status, 'ISSUED');
    const cancelled = await world.json(U.bank, 'export:CancelExport', {
      exportId: 'EX-1',
      reason: 'buyer withdrew',
    });
    assert.equal(cancelled.status, 'CANCELLED');
    assert.equal((cancelled.permit as Json).status, 'VOIDED');
    assert.equal(world.ledger.lastEvent()?.payload.permitVoided, true);
    const b = await advance(world, 'EX-B', 5);
    await world.submit(U.exporter, 'export:AttachDocuments', {
      exportId: 'EX-B',
      documents: shippingDocuments(),
    });
    await refused(
      world,
      world.submit(
        U.customs,
        'export:ClearCustoms',
        customsDeclaration('EX-B', b, { permitNumber: (approved.permit as Json).permitNumber }),
        { customsValue: { declaredValueUsd: VALUE } },
      ),
      'PERMIT_VOIDED',
    );
  });

  it('DEFAULTED: refused before the ship-by date, allowed after by anyone who sees the export; penalty ladder warns then suspends', async () => {
    const world = await newWorld({ shipByWindowSeconds: 30 });
    await advance(world, 'EX-1', 4);
    await refused(
      world,
      world.submit(U.shippingAuditor, 'export:RecordDefault', { exportId: 'EX-1' }),
      'DEADLINE_NOT_PASSED',
    );
    world.ledger.advance(60);
    await refused(
      world,
      world.submit(U.shipping, 'export:BookShipment', await STEPS[4]?.input('EX-1', world)),
      'DEADLINE_PASSED',
    );
    // Customs takes part from SHIPMENT_BOOKED: an FX_APPROVED export does not exist for it.
    await refused(
      world,
      world.submit(U.customsAuditor, 'export:RecordDefault', { exportId: 'EX-1' }),
      'EXPORT_NOT_FOUND',
    );
    const defaulted = await world.json(U.shippingAuditor, 'export:RecordDefault', { exportId: 'EX-1' });
    assert.equal(defaulted.status, 'DEFAULTED');
    // The response is the record as the shipping line may read it: no permit (not its audience).
    assert.equal(defaulted.permit, undefined);
    assert.equal(((await world.get('EX-1')).permit as Json).status, 'VOIDED');
    assert.equal((defaulted.closure as Json).penaltyOutcome, 'WARNING');
    assert.equal(world.ledger.lastEvent()?.name, 'ExportDefaulted');
    const exporter = JSON.parse(
      await world.ledger.evaluate(U.ecta, 'user-management', 'exporters:GetExporter', ['EXP-001']),
    ) as Json;
    assert.equal(exporter.warnings, 1);
    await advance(world, 'EX-2', 1);
    world.ledger.advance(60);
    await refused(
      world,
      world.submit(U.exporter2, 'export:RecordDefault', { exportId: 'EX-2' }),
      'EXPORT_NOT_FOUND',
    );
    const second = await world.json(U.grader, 'export:RecordDefault', { exportId: 'EX-2' });
    assert.equal((second.closure as Json).penaltyOutcome, 'SUSPENDED');
    await refused(world, submit(world, 'EX-3'), 'LICENSE_INVALID');
  });

  it('DEFAULTED needs a registered ship-by date', async () => {
    const world = await newWorld();
    await submit(world, 'EX-1');
    await refused(
      world,
      world.submit(U.ecta, 'export:RecordDefault', { exportId: 'EX-1' }),
      'DEADLINE_NOT_PASSED',
    );
    for (const who of [U.grader, U.customs, U.exporter2, U.ectaAdmin]) {
      await refused(
        world,
        world.submit(who, 'export:RecordDefault', { exportId: 'EX-1' }),
        'EXPORT_NOT_FOUND',
      );
    }
  });

  it('ApplyDefaultPenalty cannot be called directly on user-management', async () => {
    const world = await newWorld();
    await assert.rejects(
      world.um(U.ecta, 'exporters:ApplyDefaultPenalty', { exporterId: 'EXP-001', exportId: 'EX-1' }),
      /FORBIDDEN_CALLER/,
    );
  });
});

describe('privacy of tradeTerms and the customs value', () => {
  it('GetTradeTerms answers by entitlement: terms for tradeTerms members, the contract value alone for customs', async () => {
    const world = await newWorld();
    await advance(world, 'EX-1', 5);
    await advance(world, 'EX-2', 4);
    const seen = await world.query(U.fx, 'export:GetTradeTerms', 'EX-1');
    assert.equal((seen.terms as Json).contractValueUsd, VALUE);
    assert.equal((seen.fxApplication as Json).amountUsd, VALUE);
    assert.equal(seen.proceeds, undefined, 'no proceeds before payment');
    assert.equal(
      ((await world.query(U.ectaAuditor, 'export:GetTradeTerms', 'EX-1')).terms as Json).salt,
      (seen.terms as Json).salt,
    );
    assert.equal(
      ((await world.query(U.exporter, 'export:GetTradeTerms', 'EX-1')).terms as Json).contractValueUsd,
      VALUE,
    );
    const customs = await world.query(U.customs, 'export:GetTradeTerms', 'EX-1');
    assert.deepEqual(Object.keys(customs).sort(), ['customsValue', 'exportId']);
    assert.deepEqual(customs.customsValue, {
      contractValueCents: VALUE * 100,
      salt: (seen.terms as Json).valueSalt,
    });
    for (const who of [U.shipping, U.grader, U.ecxAuditor]) {
      await refused(world, world.query(who, 'export:GetTradeTerms', 'EX-1'), 'FORBIDDEN_ORG');
    }
    await refused(world, world.query(U.exporter2, 'export:GetTradeTerms', 'EX-1'), 'EXPORT_NOT_FOUND');
    await refused(world, world.query(U.customs, 'export:GetTradeTerms', 'EX-2'), 'EXPORT_NOT_FOUND');
    const publicRecord = JSON.stringify(await world.get('EX-1'));
    assert.ok(!publicRecord.includes(SALT_PREFIX) && !publicRecord.includes(String(VALUE)));
  });

  it('the public hashes are the peer-held hashes of the terms and of the separate value commitment', async () => {
    const world = await newWorld();
    const record = await submit(world, 'EX-1');
    const { createHash } = await import('node:crypto');
    const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
    const stored = world.ledger.privateCommitted(CE, 'tradeTerms').get('\u0000terms\u0000EX-1\u0000');
    assert.ok(stored);
    assert.equal(record.termsHash, sha(stored));
    const value = world.ledger.privateCommitted(CE, 'customsValue').get('\u0000termsValue\u0000EX-1\u0000');
    assert.ok(value);
    assert.equal(record.valueCommitmentHash, sha(value));
    const commitment = JSON.parse(Buffer.from(value).toString('utf8')) as Json;
    assert.deepEqual(Object.keys(commitment).sort(), ['contractValueCents', 'salt']);
    assert.notEqual(commitment.salt, (JSON.parse(Buffer.from(stored).toString('utf8')) as Json).salt);
    assert.equal(
      world.ledger.privateCommitted(CE, 'tradeTerms').get('\u0000termsValue\u0000EX-1\u0000'),
      undefined,
      'the value commitment lives in customsValue only',
    );
  });

  it('customs needs no salt: the declared value alone is checked against the registered one', async () => {
    const world = await newWorld();
    const record = await advance(world, 'EX-1', 5);
    await world.submit(U.exporter, 'export:AttachDocuments', {
      exportId: 'EX-1',
      documents: shippingDocuments(),
    });
    const declaration = customsDeclaration('EX-1', record);
    await refused(
      world,
      world.submit(U.customs, 'export:ClearCustoms', declaration, {
        customsValue: { declaredValueUsd: VALUE, salt: freshSalt() },
      }),
      'VALIDATION_FAILED',
    );
    await refused(world, world.submit(U.customs, 'export:ClearCustoms', declaration), 'VALIDATION_FAILED');
    const cleared = await world.json(U.customs, 'export:ClearCustoms', declaration, {
      customsValue: { declaredValueUsd: VALUE },
    });
    assert.equal(cleared.status, 'CUSTOMS_CLEARED');
    assert.equal((cleared.customs as Json).valueVerified, true);
  });

  it('a customsValue entry replaced behind the record back is detected (TERMS_TAMPERED), even when it agrees with the declaration', async () => {
    const world = await newWorld();
    const record = await advance(world, 'EX-1', 5);
    await world.submit(U.exporter, 'export:AttachDocuments', {
      exportId: 'EX-1',
      documents: shippingDocuments(),
    });
    // One member peer writes a lower value, to let an under-declaration through.
    world.ledger
      .privateCommitted(CE, 'customsValue')
      .set(
        '\u0000termsValue\u0000EX-1\u0000',
        Buffer.from(JSON.stringify({ contractValueCents: (VALUE - 1000) * 100, salt: freshSalt() })),
      );
    await refused(
      world,
      world.submit(U.customs, 'export:ClearCustoms', customsDeclaration('EX-1', record), {
        customsValue: { declaredValueUsd: VALUE - 1000 },
      }),
      'TERMS_TAMPERED',
    );
    await refused(world, world.query(U.customs, 'export:GetTradeTerms', 'EX-1'), 'TERMS_TAMPERED');
    world.ledger.privateCommitted(CE, 'customsValue').delete('\u0000termsValue\u0000EX-1\u0000');
    await refused(
      world,
      world.submit(U.customs, 'export:ClearCustoms', customsDeclaration('EX-1', record), {
        customsValue: { declaredValueUsd: VALUE },
      }),
      'TERMS_MISSING',
    );
  });

  it('a private value replaced behind the record back is detected (TERMS_TAMPERED)', async () => {
    const world = await newWorld();
    await submit(world, 'EX-1');
    world.ledger.privateCommitted(CE, 'tradeTerms').set(
      '\u0000terms\u0000EX-1\u0000',
      Buffer.from(
        JSON.stringify({
          ...terms({ unitPriceUsdPerKg: 9 }),
          docType: 'tradeTerms',
          exportId: 'EX-1',
          contractValueCents: 12_000_000,
        }),
      ),
    );
    await refused(
      world,
      world.submit(U.ecta, 'export:RegisterContract', { exportId: 'EX-1', registrationNumber: 'R' }),
      'TERMS_TAMPERED',
    );
  });

  it('private input is accepted only through the transient map', async () => {
    const world = await newWorld();
    await refused(
      world,
      world.submit(
        U.exporter,
        'export:CreateExport',
        { ...submission('EX-1'), tradeTerms: terms() },
        { tradeTerms: terms() },
      ),
      'VALIDATION_FAILED',
    );
    await refused(
      world,
      world.submit(U.exporter, 'export:CreateExport', submission('EX-1')),
      'VALIDATION_FAILED',
    );
    await refused(
      world,
      world.submit(U.exporter, 'export:CreateExport', submission('EX-1'), {
        tradeTerms: terms(),
        extra: { a: 1 },
      }),
      'VALIDATION_FAILED',
    );
  });
});

describe('input validation refuses and changes nothing', () => {
  const contract = submission('x').contract as Json;
  const cases: { name: string; input: Json | string; transient?: Json }[] = [
    { name: 'malformed JSON', input: '{"exportId": "EX-1",' },
    { name: 'NaN', input: '{"exportId": NaN}' },
    { name: 'Infinity via overflow', input: JSON.stringify(submission('EX-1')).replace('19200', '1e400') },
    { name: 'negative quantity', input: submission('EX-1', { contract: { ...contract, quantityKg: -5 } }) },
    { name: 'absurd quantity', input: submission('EX-1', { contract: { ...contract, quantityKg: 5e9 } }) },
    {
      name: 'fractional quantity',
      input: submission('EX-1', { contract: { ...contract, quantityKg: 1.5 } }),
    },
    {
      name: 'oversize buyer name',
      input: submission('EX-1', { contract: { ...contract, buyerName: 'B'.repeat(5000) } }),
    },
    { name: 'U+0000 in the export id', input: submission('EX\u00001') },
    {
      name: '__proto__ key',
      input: JSON.stringify(submission('EX-1')).replace('{', '{"__proto__":{"admin":true},'),
    },
    { name: 'constructor key', input: submission('EX-1', { constructor: { prototype: 1 } }) },
    { name: 'unknown field', input: submission('EX-1', { exporterId: 'EXP-002' }) },
    { name: 'org in arguments', input: submission('EX-1', { mspId: 'ECTAMSP' }) },
    {
      name: 'bad CID',
      input: submission('EX-1', {
        documents: [doc('SALES_CONTRACT', { cid: 'not-a-cid' }), doc('PROFORMA_INVOICE')],
      }),
    },
    {
      name: 'bad sha256',
      input: submission('EX-1', {
        documents: [doc('SALES_CONTRACT', { sha256: 'XYZ' }), doc('PROFORMA_INVOICE')],
      }),
    },
    {
      name: 'duplicate document type',
      input: submission('EX-1', { documents: [doc('SALES_CONTRACT'), doc('SALES_CONTRACT')] }),
    },
    {
      name: 'foreign document type',
      input: submission('EX-1', {
        documents: [doc('SALES_CONTRACT'), doc('PROFORMA_INVOICE'), doc('BILL_OF_LADING')],
      }),
    },
    {
      name: 'NaN price in transient',
      input: submission('EX-1'),
      transient: { tradeTerms: '{"unitPriceUsdPerKg": NaN}' },
    },
    {
      name: 'negative value in transient',
      input: submission('EX-1'),
      transient: { tradeTerms: terms({ contractValueUsd: -1 }) },
    },
    {
      name: 'value not price × quantity',
      input: submission('EX-1'),
      transient: { tradeTerms: terms({ contractValueUsd: 1000 }) },
    },
    { name: 'short salt', input: submission('EX-1'), transient: { tradeTerms: terms({ salt: 'abc' }) } },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const world = await newWorld();
      await refused(
        world,
        world.submit(
          U.exporter,
          'export:CreateExport',
          c.input,
          (c.transient ?? { tradeTerms: terms() }) as Record<string, Json>,
        ),
        'VALIDATION_FAILED',
      );
    });
  }

  it('missing documents at creation: DOCUMENTS_MISSING', async () => {
    const world = await newWorld();
    await refused(
      world,
      world.submit(
        U.exporter,
        'export:CreateExport',
        submission('EX-1', { documents: [doc('SALES_CONTRACT')] }),
        { tradeTerms: terms() },
      ),
      'DOCUMENTS_MISSING',
    );
  });
});

describe('minimum prices and workflow config', () => {
  it('only ECTA officers publish prices', async () => {
    const world = await newWorld();
    await refused(
      world,
      world.submit(U.fx, 'minprice:PublishMinimumPrice', {
        grade: 'G1',
        usdPerKg: 7,
        effectiveFrom: '2026-01-01',
      }),
      'FORBIDDEN_ORG',
    );
    await refused(
      world,
      world.submit(U.ecta, 'minprice:PublishMinimumPrice', {
        grade: 'G1',
        usdPerKg: -7,
        effectiveFrom: '2026-01-01',
      }),
      'VALIDATION_FAILED',
    );
  });

  it('rows are versioned and listed; the row in force is chosen at the tx timestamp', async () => {
    const world = await newWorld();
    const rows = await world.query(U.customs, 'minprice:ListMinimumPrices', { grade: 'G2' });
    assert.deepEqual(
      (rows.records as Json[]).map((r) => r.id),
      ['MP-000001', 'MP-000002'],
    );
    const generic = await world.query(U.customs, 'minprice:GetMinimumPriceInForce', {
      grade: 'G2',
      originRegion: 'GUJI',
    });
    assert.equal(generic.id, 'MP-000001');
    const sidama = await world.query(U.customs, 'minprice:GetMinimumPriceInForce', {
      grade: 'G2',
      originRegion: 'SIDAMA',
    });
    assert.equal(sidama.id, 'MP-000002');
  });

  it('ship-by = registration time + window; repatriation due = shipment time + window', async () => {
    const world = await newWorld({ shipByWindowSeconds: 3600 });
    const registered = await advance(world, 'EX-1', 1);
    const reg = registered.registration as Json;
    assert.equal(Date.parse(reg.shipBy as string) - Date.parse(reg.registeredAt as string), 3_600_000);
    const shipped = await advance(await newWorld({ repatriationWindowSeconds: 7200 }), 'EX-2', 7);
    const shipment = shipped.shipment as Json;
    assert.equal(
      Date.parse(shipment.repatriationDueAt as string) - Date.parse(shipment.shippedAt as string),
      7_200_000,
    );
  });
});

describe('health', () => {
  it('keeps Ping, RecordHeartbeat and GetHeartbeat', async () => {
    const world = await newWorld();
    const ping = JSON.parse(await world.ledger.evaluate(U.customs, CE, 'health:Ping')) as Json;
    assert.deepEqual(ping, { chaincode: 'coffee-export', mspId: 'CustomsMSP' });
    const beat = JSON.parse(await world.ledger.submit(U.customs, CE, 'health:RecordHeartbeat')) as Json;
    const read = JSON.parse(
      await world.ledger.evaluate(U.ecta, CE, 'health:GetHeartbeat', ['CustomsMSP']),
    ) as Json;
    assert.deepEqual(read, beat);
    await assert.rejects(
      world.ledger.evaluate(U.ecta, CE, 'health:GetHeartbeat', ['ECXMSP']),
      /HEARTBEAT_NOT_FOUND/,
    );
  });
});
