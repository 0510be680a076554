import '@coffee/chaincode-common/dist/test-support/quiet';
/**
 * Every read of the export contract, for every identity of every org (workflow roles, auditors, registered
 * admins, two competing exporters), over exports at many statuses: the answer must be exactly what policy.ts
 * allows, the refusals must read exactly like those for a missing export or permit, and what is returned must
 * hold no field group, private group or document CID outside the caller's audience. A handful of hand-written
 * cases guards against the policy and the matrix agreeing on a mistake.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Identity } from '@coffee/chaincode-common/dist/test-support/fakes';
import {
  FIELD_GROUPS,
  type FieldGroup,
  PRIVATE_GROUPS,
  type PrivateGroup,
  type Viewer,
  canReadDocument,
  canReadGroup,
  canReadPrivate,
  canSeeExport,
} from '@coffee/consortium';
import {
  EXPORTER_OF,
  type Json,
  STEPS,
  U,
  VALUE,
  type World,
  admins,
  advance,
  customsDeclaration,
  newWorld,
  legacyDraft,
  refused,
  shippingDocuments,
  submit,
} from './helpers/world';

/** Every identity of every org. */
const EVERYONE: Readonly<Record<string, Identity>> = {
  exporter1: U.exporter,
  exporter2: U.exporter2,
  bank: U.bank,
  cbAuditor: U.cbAuditor,
  cbAdmin: U.cbAdmin,
  fx: U.fx,
  nbAuditor: U.nbAuditor,
  nbAdmin: U.nbAdmin,
  ecta: U.ecta,
  ectaAuditor: U.ectaAuditor,
  ectaAdmin: U.ectaAdmin,
  grader: U.grader,
  ecxAuditor: U.ecxAuditor,
  ecxAdmin: U.ecxAdmin,
  shipping: U.shipping,
  shippingAuditor: U.shippingAuditor,
  shippingAdmin: U.shippingAdmin,
  customs: U.customs,
  customsAuditor: U.customsAuditor,
  customsAdmin: U.customsAdmin,
};

function viewerOf(who: Identity): Viewer {
  return { mspId: who.mspId, role: who.role ?? '', exporterId: EXPORTER_OF[who.commonName] };
}

/** The exports of the matrix, with the status and furthest status each must have (written by hand). */
interface Built {
  id: string;
  exporterId: string;
  status: string;
  reached: string;
}

const MAIN = [
  'DRAFT',
  'SUBMITTED',
  'CONTRACT_REGISTERED',
  'QUALITY_CERTIFIED',
  'FX_SUBMITTED',
  'FX_APPROVED',
  'SHIPMENT_BOOKED',
  'UNDER_INSPECTION',
  'CUSTOMS_CLEARED',
  'SHIPPED',
  'PAYMENT_RECEIVED',
  'COMPLETED',
];
const atLeast = (b: Built, status: string): boolean => MAIN.indexOf(b.reached) >= MAIN.indexOf(status);

const BUILT: readonly Built[] = [
  { id: 'A-DRAFT', exporterId: 'EXP-001', status: 'DRAFT', reached: 'DRAFT' },
  { id: 'A-SUB', exporterId: 'EXP-001', status: 'SUBMITTED', reached: 'SUBMITTED' },
  { id: 'A-REG', exporterId: 'EXP-001', status: 'CONTRACT_REGISTERED', reached: 'CONTRACT_REGISTERED' },
  { id: 'A-QC', exporterId: 'EXP-001', status: 'QUALITY_CERTIFIED', reached: 'QUALITY_CERTIFIED' },
  { id: 'A-FXS', exporterId: 'EXP-001', status: 'FX_SUBMITTED', reached: 'FX_SUBMITTED' },
  { id: 'A-FXA', exporterId: 'EXP-001', status: 'FX_APPROVED', reached: 'FX_APPROVED' },
  { id: 'A-BKD', exporterId: 'EXP-001', status: 'SHIPMENT_BOOKED', reached: 'SHIPMENT_BOOKED' },
  { id: 'A-INSP', exporterId: 'EXP-001', status: 'UNDER_INSPECTION', reached: 'UNDER_INSPECTION' },
  { id: 'A-CLR', exporterId: 'EXP-001', status: 'CUSTOMS_CLEARED', reached: 'CUSTOMS_CLEARED' },
  { id: 'A-SHP', exporterId: 'EXP-001', status: 'SHIPPED', reached: 'SHIPPED' },
  { id: 'A-PAID', exporterId: 'EXP-001', status: 'PAYMENT_RECEIVED', reached: 'PAYMENT_RECEIVED' },
  { id: 'A-DONE', exporterId: 'EXP-001', status: 'COMPLETED', reached: 'COMPLETED' },
  { id: 'A-REJ-EARLY', exporterId: 'EXP-001', status: 'REJECTED', reached: 'SUBMITTED' },
  { id: 'A-CXL-QC', exporterId: 'EXP-001', status: 'CANCELLED', reached: 'QUALITY_CERTIFIED' },
  { id: 'A-REJ-FX', exporterId: 'EXP-001', status: 'REJECTED', reached: 'FX_SUBMITTED' },
  { id: 'A-AMD', exporterId: 'EXP-001', status: 'AMENDMENT_REQUESTED', reached: 'SHIPMENT_BOOKED' },
  { id: 'B-SUB', exporterId: 'EXP-002', status: 'SUBMITTED', reached: 'SUBMITTED' },
  { id: 'B-DONE', exporterId: 'EXP-002', status: 'COMPLETED', reached: 'COMPLETED' },
];

function built(id: string): Built {
  const found = BUILT.find((b) => b.id === id);
  if (found === undefined) {
    throw new Error(`no export ${id} in the matrix`);
  }
  return found;
}

async function build(): Promise<World> {
  // A short repatriation window, so one shipped export can be marked delinquent (the delinquency group).
  const world = await newWorld({ repatriationWindowSeconds: 5 });
  // CreateExport makes no drafts any more: a DRAFT of the former two-step creation, as ledgers still hold them.
  legacyDraft(world, 'A-DRAFT');
  const steps: [string, number][] = [
    ['A-SUB', 0],
    ['A-REG', 1],
    ['A-QC', 2],
    ['A-FXS', 3],
    ['A-FXA', 4],
    ['A-BKD', 5],
    ['A-CLR', 6],
    ['A-SHP', 7],
    ['A-PAID', 8],
    ['A-DONE', 9],
  ];
  for (const [id, n] of steps) {
    await advance(world, id, n);
  }
  await world.submit(U.shipping, 'export:AddTrackingEvent', {
    exportId: 'A-SHP',
    location: 'Red Sea',
    status: 'IN_TRANSIT',
    eventTime: '2026-01-01T00:00:00Z',
  });
  const inspected = await advance(world, 'A-INSP', 5);
  await world.submit(U.exporter, 'export:AttachDocuments', {
    exportId: 'A-INSP',
    documents: shippingDocuments(),
  });
  await world.submit(
    U.customs,
    'export:ClearCustoms',
    customsDeclaration('A-INSP', inspected, { riskLane: 'RED' }),
    {
      customsValue: { declaredValueUsd: VALUE },
    },
  );
  await submit(world, 'A-REJ-EARLY');
  await world.submit(U.ecta, 'export:RejectExport', {
    exportId: 'A-REJ-EARLY',
    reasonCode: 'NOT_OK',
    reason: 'x',
  });
  await advance(world, 'A-CXL-QC', 2);
  await world.submit(U.bank, 'export:CancelExport', { exportId: 'A-CXL-QC', reason: 'buyer withdrew' });
  await advance(world, 'A-REJ-FX', 3);
  await world.submit(U.fx, 'export:RejectExport', {
    exportId: 'A-REJ-FX',
    reasonCode: 'NOT_OK',
    reason: 'x',
  });
  await advance(world, 'A-AMD', 5);
  await world.submit(U.customs, 'export:RequestAmendment', {
    exportId: 'A-AMD',
    reasonCode: 'NOT_OK',
    reason: 'x',
  });
  await submit(world, 'B-SUB', U.exporter2);
  await advance(world, 'B-DONE', STEPS.length, U.exporter2);
  // Last: a delinquent exporter gets no further FX approval.
  world.ledger.advance(60);
  await world.submit(U.fx, 'export:MarkDelinquent', { exportId: 'A-SHP' });
  return world;
}

/** The refusal text for something that does not exist, to compare refusals of hidden things with. */
async function refusalOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => (e instanceof Error ? e.message : String(e)),
  );
}

/** Asserts that `view` (an export record as the viewer got it) holds nothing outside the viewer's audience. */
function assertRedacted(who: Identity, b: Built, view: Json, full: Json, where: string): void {
  const viewer = viewerOf(who);
  const text = JSON.stringify(view);
  for (const [group, keys] of Object.entries(FIELD_GROUPS) as [FieldGroup, readonly string[]][]) {
    const readable = canReadGroup(viewer, b, group);
    for (const key of keys) {
      if (!readable) {
        assert.ok(!(key in view), `${where}: ${who.commonName} must not get ${key}`);
      } else if (key in full && key !== 'tracking') {
        assert.deepEqual(view[key], full[key], `${where}: ${who.commonName} reads ${key} unchanged`);
      }
    }
  }
  const documents = (view.documents ?? []) as Json[];
  const fullDocuments = (full.documents ?? []) as Json[];
  assert.equal(documents.length, fullDocuments.length, `${where}: every document keeps its entry`);
  for (const [i, doc] of fullDocuments.entries()) {
    const shown = documents[i] ?? {};
    if (canReadDocument(viewer, b, String(doc.type))) {
      assert.equal(shown.cid, doc.cid, `${where}: ${who.commonName} reads ${String(doc.type)}`);
    } else {
      assert.ok(!('cid' in shown), `${where}: ${who.commonName} must not get the CID of ${String(doc.type)}`);
      assert.ok(!text.includes(String(doc.cid)), `${where}: the CID of ${String(doc.type)} leaks`);
      assert.equal(shown.restricted, true);
      assert.equal(shown.sha256, doc.sha256, 'the hash stays');
    }
  }
}

describe('access matrix: every read × every identity × exports at every status', () => {
  let world: World;
  /** The full records (the bank officer reads everything). */
  const full = new Map<string, Json>();

  before(async () => {
    world = await build();
    for (const b of BUILT) {
      full.set(b.id, await world.get(b.id));
    }
  });

  it('the exports are where the matrix says (status and furthest status)', () => {
    for (const b of BUILT) {
      const record = full.get(b.id) ?? {};
      assert.deepEqual(
        [record.exporterId, record.status, record.reached],
        [b.exporterId, b.status, b.reached],
        b.id,
      );
    }
    assert.ok((full.get('A-SHP') ?? {}).delinquency, 'one record carries a delinquency');
  });

  for (const [name, who] of Object.entries(EVERYONE)) {
    it(`${name}: GetExport and GetExportHistory answer exactly per policy, redacted`, async () => {
      const viewer = viewerOf(who);
      const missing = await refusalOf(world.query(who, 'export:GetExport', 'NO-SUCH'));
      const missingHistory = await refusalOf(world.query(who, 'export:GetExportHistory', 'NO-SUCH'));
      if (who.role === 'admin') {
        assert.match(
          missing,
          /^EXPORT_NOT_FOUND: /,
          'a registered admin passes the user check, then sees nothing',
        );
      }
      let seen = 0;
      for (const b of BUILT) {
        const record = full.get(b.id) ?? {};
        if (canSeeExport(viewer, b)) {
          seen += 1;
          const view = await world.query(who, 'export:GetExport', b.id);
          assert.equal(view.exportId, b.id);
          assertRedacted(who, b, view, record, `GetExport ${b.id}`);
          const history = await world.query(who, 'export:GetExportHistory', b.id);
          const entries = history.entries as Json[];
          // Created in one step (or seeded as a draft), an export that has not moved has one version.
          const versions = ['DRAFT', 'SUBMITTED'].includes(b.status) ? 1 : 2;
          assert.ok(entries.length >= versions, `${b.id} has a history`);
          for (const entry of entries) {
            const version = entry.record as Json;
            const docs = (record.documents as Json[]).slice(
              0,
              ((version.documents as Json[] | undefined) ?? []).length,
            );
            assertRedacted(who, b, version, { ...version, documents: docs }, `GetExportHistory ${b.id}`);
            for (const [group, keys] of Object.entries(FIELD_GROUPS) as [FieldGroup, readonly string[]][]) {
              if (!canReadGroup(viewer, b, group)) {
                assert.ok(
                  keys.every((k) => !(k in version)),
                  `${b.id} history: ${name} gets ${group}`,
                );
              }
            }
          }
        } else {
          const refusal = await refusalOf(world.query(who, 'export:GetExport', b.id));
          assert.equal(refusal, missing.replace('NO-SUCH', b.id), `${name} ${b.id}: reads as missing`);
          const historyRefusal = await refusalOf(world.query(who, 'export:GetExportHistory', b.id));
          assert.match(historyRefusal, /^EXPORT_NOT_FOUND: /);
          if (who.role !== 'admin') {
            assert.equal(historyRefusal, missingHistory.replace('NO-SUCH', b.id));
          }
        }
      }
      if (who.role === 'admin') {
        assert.equal(seen, 0, 'admins read no exports');
      } else if (who.mspId === 'CommercialBankMSP' && who.role !== 'exporter') {
        assert.equal(seen, BUILT.length, "the exporters' bank reads every export, a draft included");
      } else {
        assert.ok(seen > 0 && seen < BUILT.length, `${name} sees some but not all (${seen})`);
      }
    });

    it(`${name}: lists by status and by exporter hold exactly the visible exports, redacted`, async () => {
      const viewer = viewerOf(who);
      const ids = (records: Json[]): string[] => records.map((r) => String(r.exportId)).sort();
      for (const status of [...new Set(BUILT.map((b) => b.status))]) {
        const page = await world.query(who, 'export:ListExportsByStatus', { status, pageSize: 100 });
        const expected = BUILT.filter((b) => b.status === status && canSeeExport(viewer, b)).map((b) => b.id);
        const records = page.records as Json[];
        assert.deepEqual(ids(records), expected.sort(), `${name} lists ${status}`);
        for (const r of records) {
          assertRedacted(
            who,
            built(String(r.exportId)),
            r,
            full.get(String(r.exportId)) ?? {},
            `list ${status}`,
          );
        }
      }
      for (const exporterId of ['EXP-001', 'EXP-002']) {
        const page = await world.query(who, 'export:ListExportsByExporter', { exporterId, pageSize: 100 });
        const expected = BUILT.filter((b) => b.exporterId === exporterId && canSeeExport(viewer, b)).map(
          (b) => b.id,
        );
        assert.deepEqual(ids(page.records as Json[]), expected.sort(), `${name} lists ${exporterId}`);
      }
    });

    it(`${name}: GetTradeTerms returns exactly the private groups it is entitled to`, async () => {
      const viewer = viewerOf(who);
      const missing = await refusalOf(world.query(who, 'export:GetTradeTerms', 'NO-SUCH'));
      for (const b of BUILT) {
        if (!canSeeExport(viewer, b)) {
          assert.equal(
            await refusalOf(world.query(who, 'export:GetTradeTerms', b.id)),
            missing.replace('NO-SUCH', b.id),
          );
          continue;
        }
        if (!PRIVATE_GROUPS.some((g) => canReadPrivate(viewer, b, g))) {
          await refused(world, world.query(who, 'export:GetTradeTerms', b.id), 'FORBIDDEN_ORG');
          continue;
        }
        const answer = await world.query(who, 'export:GetTradeTerms', b.id);
        // answer key, the private group behind it, and whether the export holds it by now
        const parts: [string, PrivateGroup, boolean][] = [
          ['terms', 'tradeTerms', atLeast(b, 'SUBMITTED')],
          ['fxApplication', 'fxApplication', atLeast(b, 'FX_SUBMITTED')],
          ['proceeds', 'proceeds', atLeast(b, 'PAYMENT_RECEIVED')],
          ['customsValue', 'customsValue', atLeast(b, 'SUBMITTED')],
        ];
        const expected = parts
          .filter(([, group, has]) => has && canReadPrivate(viewer, b, group))
          .map(([key]) => key);
        assert.deepEqual(Object.keys(answer).sort(), ['exportId', ...expected].sort(), `${name} ${b.id}`);
        if (answer.terms !== undefined) {
          assert.equal((answer.terms as Json).contractValueUsd, VALUE);
        }
        if (answer.customsValue !== undefined) {
          assert.equal((answer.customsValue as Json).contractValueCents, VALUE * 100);
        }
      }
    });

    it(`${name}: GetPermit answers for the permit's audience only`, async () => {
      const viewer = viewerOf(who);
      const missing = await refusalOf(world.query(who, 'export:GetPermit', 'FXP-NO-SUCH-0000ABCD'));
      let checked = 0;
      for (const b of BUILT) {
        const permit = (full.get(b.id) ?? {}).permit as Json | undefined;
        if (permit === undefined) {
          continue;
        }
        checked += 1;
        const number = String(permit.permitNumber);
        if (canReadGroup(viewer, b, 'permit')) {
          const answer = await world.query(who, 'export:GetPermit', number);
          assert.deepEqual(answer, { exportId: b.id, ...permit });
        } else {
          const refusal = await refusalOf(world.query(who, 'export:GetPermit', number));
          assert.equal(refusal, missing.replace('FXP-NO-SUCH-0000ABCD', number), `${name} ${b.id}`);
        }
      }
      assert.ok(checked >= 8, 'permits of approved exports are in the matrix');
    });
  }

  it('bootstrap admins without a user record read nothing', async () => {
    for (const admin of Object.values(admins)) {
      await refused(world, world.query(admin, 'export:GetExport', 'A-DONE'), 'USER_NOT_REGISTERED');
      await refused(
        world,
        world.query(admin, 'export:ListExportsByStatus', { status: 'COMPLETED' }),
        'USER_NOT_REGISTERED',
      );
    }
  });

  it('list pages name no export the caller cannot see (bookmark, fetchedCount)', async () => {
    const named = (bookmark: unknown): string | undefined =>
      Buffer.from(String(bookmark), 'hex').toString('utf8').split('\u0000').at(-2);
    const pages: [Identity, string, Json][] = [
      [U.exporter2, 'export:ListExportsByExporter', { exporterId: 'EXP-001' }],
      [U.customs, 'export:ListExportsByStatus', { status: 'SUBMITTED' }],
    ];
    for (const [who, fn, input] of pages) {
      let bookmark = '';
      do {
        const page = await world.query(who, fn, {
          ...input,
          pageSize: 1,
          ...(bookmark ? { bookmark } : {}),
        });
        bookmark = String(page.bookmark);
        const id = named(bookmark);
        if (id !== undefined && bookmark !== '') {
          assert.ok(canSeeExport(viewerOf(who), built(id)), `${who.commonName} learns of ${id}`);
        }
        assert.equal(page.fetchedCount, (page.records as Json[]).length, 'hidden entries are counted');
      } while (bookmark !== '');
    }
  });

  /** Written by hand from workflow.md, independent of policy.ts: [who, export, may read it]. */
  const HAND: [string, string, boolean][] = [
    ['grader', 'A-SUB', false],
    ['grader', 'A-REG', true],
    ['grader', 'A-REJ-FX', true],
    ['grader', 'A-CXL-QC', true],
    ['grader', 'A-REJ-EARLY', false],
    ['customs', 'A-FXA', false],
    ['customs', 'A-BKD', true],
    ['customs', 'A-AMD', true],
    ['customsAuditor', 'A-FXA', false],
    ['customsAuditor', 'A-INSP', true],
    ['shipping', 'A-FXS', false],
    ['shipping', 'A-FXA', true],
    ['shipping', 'A-REJ-FX', false],
    ['fx', 'A-QC', false],
    ['fx', 'A-FXS', true],
    ['ecta', 'A-DRAFT', false],
    ['ecta', 'A-SUB', true],
    ['ectaAuditor', 'A-REJ-EARLY', true],
    ['bank', 'A-DRAFT', true],
    ['bank', 'B-SUB', true],
    ['exporter1', 'A-DRAFT', true],
    ['exporter1', 'B-DONE', false],
    ['exporter2', 'A-DONE', false],
    ['exporter2', 'B-SUB', true],
    ['nbAdmin', 'A-DONE', false],
    ['customsAdmin', 'A-DONE', false],
  ];
  for (const [name, id, allowed] of HAND) {
    it(`hand case: ${name} ${allowed ? 'reads' : 'does not learn of'} ${id}`, async () => {
      const who = EVERYONE[name] as Identity;
      assert.equal(canSeeExport(viewerOf(who), built(id)), allowed, 'policy.ts agrees with the hand case');
      if (allowed) {
        assert.equal((await world.query(who, 'export:GetExport', id)).exportId, id);
      } else {
        await refused(world, world.query(who, 'export:GetExport', id), 'EXPORT_NOT_FOUND');
      }
    });
  }

  it('hand case: what customs, shipping and ECX get of a completed export', async () => {
    const customs = await world.query(U.customs, 'export:GetExport', 'A-DONE');
    assert.ok(!('payment' in customs) && !('delinquency' in customs), 'customs: no payment');
    assert.ok('fx' in customs && 'permit' in customs && 'termsHash' in customs);
    const shipping = await world.query(U.shipping, 'export:GetExport', 'A-DONE');
    for (const key of ['fx', 'permit', 'termsHash', 'valueCommitmentHash', 'payment']) {
      assert.ok(!(key in shipping), `shipping: no ${key}`);
    }
    const delinquentForShipping = await world.query(U.shipping, 'export:GetExport', 'A-SHP');
    assert.ok(!('delinquency' in delinquentForShipping), 'shipping: no delinquency');
    assert.ok('delinquency' in (await world.query(U.nbAuditor, 'export:GetExport', 'A-SHP')));
    const doc = (view: Json, type: string): Json =>
      (view.documents as Json[]).find((d) => d.type === type) ?? assert.fail(`no ${type}`);
    assert.equal(doc(customs, 'PAYMENT_ADVICE').cid, undefined);
    assert.equal(doc(customs, 'PAYMENT_ADVICE').restricted, true);
    assert.equal(doc(customs, 'PROFORMA_INVOICE').cid, undefined);
    assert.equal(typeof doc(customs, 'COMMERCIAL_INVOICE').cid, 'string');
    assert.equal(
      doc(shipping, 'COMMERCIAL_INVOICE').quantityKg,
      undefined,
      'no facts of a restricted document',
    );
    assert.equal(typeof doc(shipping, 'BILL_OF_LADING').cid, 'string');
    const ecx = await world.query(U.ecxAuditor, 'export:GetExport', 'A-DONE');
    assert.equal(typeof doc(ecx, 'QUALITY_CERTIFICATE').cid, 'string');
    assert.equal(doc(ecx, 'SALES_CONTRACT').cid, undefined);
    await refused(world, world.query(U.shipping, 'export:GetTradeTerms', 'A-DONE'), 'FORBIDDEN_ORG');
    const value = await world.query(U.customsAuditor, 'export:GetTradeTerms', 'A-DONE');
    assert.deepEqual(Object.keys(value).sort(), ['customsValue', 'exportId']);
    const permit = String(((full.get('A-DONE') ?? {}).permit as Json).permitNumber);
    await refused(world, world.query(U.shipping, 'export:GetPermit', permit), 'PERMIT_NOT_FOUND');
    await refused(world, world.query(U.exporter2, 'export:GetPermit', permit), 'PERMIT_NOT_FOUND');
    assert.equal((await world.query(U.customs, 'export:GetPermit', permit)).status, 'CONSUMED');
  });
});
