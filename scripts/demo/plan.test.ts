import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACTIONS,
  asMspId,
  DOCUMENT_UPLOADERS,
  isActionName,
  mayCall,
  orgOf,
  ORGS,
  ROLES_BY_MSP,
  type DocumentType,
  type ExportStatus,
} from '@coffee/consortium';
import {
  contractValueUsd,
  DEMO_EXPORTERS,
  DEMO_EXPORTS,
  DEMO_MINIMUM_PRICES,
  demoUsers,
  firstPendingStep,
  queueOf,
  stepsOf,
  type DemoExport,
  type LedgerView,
  type Step,
  type StepContext,
} from './plan.ts';

const mspOf = (org: string): string => orgOf(org).mspId;
const byId = (id: string): DemoExport => DEMO_EXPORTS.find((x) => x.exportId === id)!;
const view = (status: ExportStatus, amendmentCount = 0, types: string[] = [], tracking = 0): LedgerView => ({
  status,
  amendmentCount,
  documents: types.map((type) => ({ type })),
  tracking: Array.from({ length: tracking }, () => ({})),
});
const fakeCids = (s: Step): StepContext['cids'] => {
  const cids: Partial<Record<DocumentType, string>> = {};
  for (const [i, u] of s.uploads.entries()) cids[u.type] = `Qm${'a'.repeat(43)}${i}`;
  return cids;
};
const ctx = (s: Step): StepContext => ({
  cids: fakeCids(s),
  permitNumber: 'PERMIT-1',
  startedAt: new Date('2026-03-01T08:00:00Z'),
});

describe('demo plan: accounts', () => {
  it('names a user for every role of every org (admins exist already), exporters for both licences', () => {
    const users = demoUsers();
    for (const org of ORGS) {
      for (const role of ROLES_BY_MSP[asMspId(org.mspId)!]) {
        if (role === 'admin') continue;
        assert.ok(
          users.some((u) => u.org === org.id && u.role === role),
          `a ${role} at ${org.id}`,
        );
      }
    }
    assert.ok(!users.some((u) => u.role === 'admin'), 'the bootstrap admins are not created again');
    assert.deepEqual(
      users.filter((u) => u.role === 'exporter').map((u) => u.exporterId),
      DEMO_EXPORTERS.map((x) => x.exporterId),
    );
    for (const u of users) {
      assert.match(u.username, /^[a-z0-9][a-z0-9._-]{1,62}$/, 'the gateways accept the username');
      assert.ok(ROLES_BY_MSP[asMspId(mspOf(u.org))!].includes(u.role), `${u.role} exists at ${u.org}`);
      assert.equal(u.exporterId !== undefined, u.role === 'exporter', 'only exporters carry exporterId');
    }
    const keys = users.map((u) => `${u.org}/${u.username}`);
    assert.equal(new Set(keys).size, keys.length, 'usernames are unique per org');
  });
});

describe('demo plan: exports', () => {
  it('covers the workflow: a queue-worthy export at every main-line status, an amended one and a rejected one', () => {
    assert.ok(DEMO_EXPORTS.length >= 8 && DEMO_EXPORTS.length <= 11);
    const targets = DEMO_EXPORTS.map((x) => x.target);
    for (const status of [
      'SUBMITTED',
      'CONTRACT_REGISTERED',
      'QUALITY_CERTIFIED',
      'FX_APPROVED',
      'SHIPMENT_BOOKED',
      'UNDER_INSPECTION',
      'SHIPPED',
      'COMPLETED',
      'REJECTED',
    ] as const)
      assert.ok(targets.includes(status), `an export left at ${status}`);
    const amended = DEMO_EXPORTS.filter((x) => {
      const steps = stepsOf(x);
      return steps[steps.length - 1]!.after.amendmentCount > 0;
    });
    assert.equal(amended.length, 1, 'one export went through an amendment and was resubmitted');
    const ids = DEMO_EXPORTS.map((x) => x.exportId);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
  });

  it('prices every contract at or above a published minimum, with a value of exactly price × quantity', () => {
    for (const x of DEMO_EXPORTS) {
      const floor = DEMO_MINIMUM_PRICES.find(
        (p) => p.grade === x.contract.contractedGrade && p.originRegion === x.contract.originRegion,
      );
      assert.ok(
        floor,
        `${x.exportId}: a minimum price for ${x.contract.contractedGrade} ${x.contract.originRegion}`,
      );
      assert.ok(x.unitPriceUsdPerKg >= floor.usdPerKg, `${x.exportId} is not below the minimum`);
      // The chaincode's check (terms.ts valueMatchesQuantity), in whole cents.
      const cents = Math.round(contractValueUsd(x) * 100);
      assert.equal(Math.round(x.unitPriceUsdPerKg * 10_000) * x.contract.quantityKg, cents * 100);
      assert.equal(x.contract.quantityKg % 60, 0, 'whole 60 kg bags');
    }
  });

  it('has every step done by a planned user whose org and role may take it and upload its documents', () => {
    const users = demoUsers();
    for (const x of DEMO_EXPORTS) {
      for (const s of stepsOf(x)) {
        const u = users.find((v) => v.org === s.org && v.username === s.username);
        assert.ok(u, `${x.exportId}: ${s.username}@${s.org} is planned`);
        assert.equal(u.role, s.role);
        if (s.kind === 'create' || s.kind === 'attach') assert.equal(s.role, 'exporter');
        if (s.kind === 'attach') assert.equal(u.exporterId, x.exporterId, 'the export’s own exporter');
        if (s.kind === 'action') {
          assert.ok(isActionName(s.action!), `${s.action} is a gateway action`);
          assert.ok(mayCall(ACTIONS[s.action], mspOf(s.org), s.role), `${s.role}@${s.org} may ${s.action}`);
        }
        for (const up of s.uploads) {
          assert.ok(
            DOCUMENT_UPLOADERS[up.type].some((w) => w.msp === mspOf(s.org) && w.role === s.role),
            `${s.role}@${s.org} uploads ${up.type}`,
          );
        }
      }
    }
  });

  it('ends every plan at its target, and never passes the same position twice (so the ledger tells where it stands)', () => {
    for (const x of DEMO_EXPORTS) {
      const steps = stepsOf(x);
      assert.equal(steps[steps.length - 1]!.after.status, x.target);
      const positions: string[] = [];
      for (const s of steps) {
        const p = `${s.after.status}/${s.after.amendmentCount}`;
        if (positions[positions.length - 1] !== p) positions.push(p);
      }
      assert.equal(new Set(positions).size, positions.length, `${x.exportId}: ${positions.join(' → ')}`);
      for (const [i, s] of steps.entries()) {
        if (i === 0) assert.equal(s.kind, 'create');
        else assert.ok(s.from.length > 0, 'every later step waits for the status it acts on');
        if (s.doneWhen === undefined && i > 0) {
          const before = steps[i - 1]!.after;
          assert.ok(
            before.status !== s.after.status || before.amendmentCount !== s.after.amendmentCount,
            `${x.exportId} step ${i + 1} changes the position`,
          );
        }
      }
    }
  });

  it('builds request bodies from the uploaded CIDs, the permit and the start date only', () => {
    const steps = stepsOf(byId('EXP-DEMO-01'));
    const create = steps[0]!;
    const body = create.body(ctx(create));
    assert.equal(body.exportId, 'EXP-DEMO-01');
    assert.deepEqual(
      (body.documents as { type: string }[]).map((d) => d.type),
      ['SALES_CONTRACT', 'PROFORMA_INVOICE'],
    );
    assert.deepEqual(body, create.body(ctx(create)), 'deterministic: a resumed run sends the same request');
    const customs = steps.find((s) => s.action === 'clear-customs')!;
    assert.equal(customs.needsPermit, true);
    const declared = customs.body(ctx(customs));
    assert.equal(declared.permitNumber, 'PERMIT-1');
    assert.equal(declared.riskLane, 'GREEN');
    assert.deepEqual(declared.customsValue, { declaredValueUsd: contractValueUsd(byId('EXP-DEMO-01')) });
    const book = steps.find((s) => s.action === 'book-shipment')!;
    assert.equal(book.body(ctx(book)).etd, '2026-03-13', 'ETD 12 days after the start, well before ship-by');
    assert.throws(
      () => customs.body({ ...ctx(customs), cids: {} }),
      /no CID for the uploaded EXPORT_DECLARATION/,
    );
    const inspection = stepsOf(byId('EXP-DEMO-03')).at(-1)!;
    assert.equal(inspection.action, 'start-inspection');
    assert.equal(inspection.body(ctx(inspection)).riskLane, 'YELLOW');
  });

  it('tells whose queue shows each export next', () => {
    const cases: [string, string | null][] = [
      ['EXP-DEMO-01', null],
      ['EXP-DEMO-02', 'commercial-bank/bank_officer'],
      ['EXP-DEMO-03', 'customs/customs_officer'],
      ['EXP-DEMO-04', 'customs/customs_officer'],
      ['EXP-DEMO-05', 'shipping-line/shipping_agent'],
      ['EXP-DEMO-06', 'commercial-bank/bank_officer'],
      ['EXP-DEMO-07', 'ecx/grader'],
      ['EXP-DEMO-08', 'ecta/ecta_officer'],
      ['EXP-DEMO-09', 'national-bank/fx_officer'],
      ['EXP-DEMO-10', null],
      ['EXP-DEMO-11', 'commercial-bank/exporter'],
    ];
    for (const [id, queue] of cases) {
      const q = queueOf(byId(id));
      assert.equal(q ? `${q.org}/${q.role}` : null, queue, id);
    }
  });
});

describe('demo plan: where a resumed seeding picks up', () => {
  const completed = stepsOf(byId('EXP-DEMO-01'));
  const indexOf = (pred: (s: Step) => boolean): number => completed.findIndex(pred);
  const attachAt = (type: string): number =>
    indexOf((s) => s.kind === 'attach' && s.uploads[0]!.type === type);
  const cases: [string, LedgerView | undefined, number][] = [
    ['nothing on the ledger: from the start', undefined, 0],
    ['created: next is the registration', view('SUBMITTED'), 1],
    ['booked, no documents: the first attachment', view('SHIPMENT_BOOKED'), attachAt('COMMERCIAL_INVOICE')],
    [
      'booked, two shipping documents attached: the third',
      view('SHIPMENT_BOOKED', 0, ['BOOKING_CONFIRMATION', 'COMMERCIAL_INVOICE', 'PACKING_LIST']),
      attachAt('CERTIFICATE_OF_ORIGIN'),
    ],
    [
      'shipped, one tracking event: the second',
      view('SHIPPED', 0, [], 1),
      indexOf((s) => s.action === 'add-tracking-event') + 1,
    ],
    ['completed: nothing left', view('COMPLETED'), completed.length],
  ];
  for (const [name, v, expected] of cases) {
    it(name, () => {
      assert.equal(firstPendingStep(completed, v), expected);
    });
  }

  it('tells the resubmission apart from the first FX submission by the amendment count', () => {
    const amended = stepsOf(byId('EXP-DEMO-09'));
    const request = amended.findIndex((s) => s.action === 'request-amendment');
    assert.equal(firstPendingStep(amended, view('FX_SUBMITTED', 0)), request);
    assert.equal(firstPendingStep(amended, view('AMENDMENT_REQUESTED', 0)), request + 1);
    assert.equal(firstPendingStep(amended, view('FX_SUBMITTED', 1)), amended.length);
  });

  it('refuses an export the plan never leads to (someone else acted on it)', () => {
    assert.throws(() => firstPendingStep(completed, view('CANCELLED')), /CANCELLED after 0 amendment\(s\)/);
    assert.throws(() => firstPendingStep(stepsOf(byId('EXP-DEMO-08')), view('CONTRACT_REGISTERED')));
  });
});
