import '@coffee/chaincode-common/dist/test-support/quiet';
/**
 * The access policy table (src/model/policy.ts) against expectations written out by hand from workflow.md
 * ("Who sees what" and the steps table), never derived from the table itself: a wrong table cannot
 * silently agree with a wrong implementation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MSP_IDS, ROLES_BY_MSP } from '@coffee/consortium';
import {
  DOCUMENT_AUDIENCE,
  DOCUMENT_UPLOADERS,
  EXPORT_READERS,
  FIELD_AUDIENCE,
  FIELD_GROUPS,
  type FieldGroup,
  MAIN_LINE,
  PRIVATE_AUDIENCE,
  PRIVATE_GROUPS,
  type PrivateGroup,
  VISIBLE_FROM,
  type Viewer,
  canReadDocument,
  canReadGroup,
  canReadPrivate,
  canSeeExport,
  canUploadDocument,
  documentAudience,
  isExportReader,
  progressOf,
  progressRank,
  redactExport,
  visibleReachedStatuses,
} from '@coffee/consortium';
import { DOCUMENT_TYPES, EXPORT_STATUSES } from '@coffee/consortium';
import { deployedCollections } from './helpers/world';

type Org = 'CB' | 'NB' | 'ECTA' | 'ECX' | 'SL' | 'CUS';
const MSP_OF: Readonly<Record<Org, string>> = {
  CB: 'CommercialBankMSP',
  NB: 'NationalBankMSP',
  ECTA: 'ECTAMSP',
  ECX: 'ECXMSP',
  SL: 'ShippingLineMSP',
  CUS: 'CustomsMSP',
};
const ORGS = Object.keys(MSP_OF) as Org[];

/** The workflow role of each org's staff (workflow.md, "Actors"); exporters are CommercialBank customers. */
const STAFF: Readonly<Record<Org, string>> = {
  CB: 'bank_officer',
  NB: 'fx_officer',
  ECTA: 'ecta_officer',
  ECX: 'grader',
  SL: 'shipping_agent',
  CUS: 'customs_officer',
};

function staff(org: Org, role = STAFF[org]): Viewer {
  return { mspId: MSP_OF[org], role };
}

const EXPORTER_1: Viewer = { mspId: MSP_OF.CB, role: 'exporter', exporterId: 'EXP-001' };
const EXPORTER_2: Viewer = { mspId: MSP_OF.CB, role: 'exporter', exporterId: 'EXP-002' };

function facts(reached: string, exporterId = 'EXP-001'): { exporterId: string; reached: string } {
  return { exporterId, reached };
}

/** The main line of workflow.md in order, with the letter used in the visibility rows below. */
const ORDER: readonly [string, string][] = [
  ['D', 'DRAFT'],
  ['S', 'SUBMITTED'],
  ['C', 'CONTRACT_REGISTERED'],
  ['Q', 'QUALITY_CERTIFIED'],
  ['F', 'FX_SUBMITTED'],
  ['A', 'FX_APPROVED'],
  ['B', 'SHIPMENT_BOOKED'],
  ['I', 'UNDER_INSPECTION'],
  ['X', 'CUSTOMS_CLEARED'],
  ['H', 'SHIPPED'],
  ['P', 'PAYMENT_RECEIVED'],
  ['M', 'COMPLETED'],
];

/**
 * Which furthest-reached statuses each org's staff see ('Y') — from the step at which the org takes part:
 * the bank from the draft, ECTA from submission (step 2), ECX from registration (grades at step 3), the
 * National Bank from the FX application (step 5), the shipping line from FX approval (books at step 6),
 * customs from the booking (clears at step 7).
 */
const SEES: Readonly<Record<Org, string>> = {
  //    DSCQFABIXHPM
  CB: 'YYYYYYYYYYYY',
  ECTA: '.YYYYYYYYYYY',
  ECX: '..YYYYYYYYYY',
  NB: '....YYYYYYYY',
  SL: '.....YYYYYYY',
  CUS: '......YYYYYY',
};

/** Which orgs read each field group of an export they see (by hand, from need-to-know). */
const READS_GROUP: Readonly<Record<FieldGroup, string>> = {
  contract: 'CB NB ECTA ECX SL CUS',
  registration: 'CB NB ECTA ECX SL CUS',
  quality: 'CB NB ECTA ECX SL CUS',
  fx: 'CB NB ECTA CUS',
  permit: 'CB NB ECTA CUS',
  booking: 'CB NB ECTA ECX SL CUS',
  customs: 'CB NB ECTA ECX SL CUS',
  shipment: 'CB NB ECTA ECX SL CUS',
  payment: 'CB NB ECTA',
  commitments: 'CB NB ECTA CUS',
  delinquency: 'CB NB ECTA',
};

/** The record keys behind each field group (a key left out here would go to everyone). */
const GROUP_KEYS: Readonly<Record<FieldGroup, readonly string[]>> = {
  contract: ['contract'],
  registration: ['registration'],
  quality: ['quality'],
  fx: ['fx'],
  permit: ['permit'],
  booking: ['booking'],
  customs: ['customs'],
  shipment: ['shipment', 'tracking'],
  payment: ['payment'],
  commitments: ['termsHash', 'valueCommitmentHash'],
  delinquency: ['delinquency'],
};

/** Which orgs read each private group, and the collection that holds it. */
const READS_PRIVATE: Readonly<Record<PrivateGroup, { orgs: string; collection: string }>> = {
  tradeTerms: { orgs: 'CB NB ECTA', collection: 'tradeTerms' },
  fxApplication: { orgs: 'CB NB ECTA', collection: 'tradeTerms' },
  proceeds: { orgs: 'CB NB ECTA', collection: 'tradeTerms' },
  customsValue: { orgs: 'CB NB ECTA CUS', collection: 'customsValue' },
};

/** Documents an org must read to do its own step (workflow.md, steps table). */
const NEEDS_DOCUMENT: readonly [Org, string, string][] = [
  ['ECTA', 'SALES_CONTRACT', 'registers the contract (step 2)'],
  ['ECTA', 'PROFORMA_INVOICE', 'registers the contract (step 2)'],
  ['NB', 'LC_OR_ADVANCE_ADVICE', 'approves the FX application (step 5)'],
  ['NB', 'SALES_CONTRACT', 'checks the value (step 5)'],
  ['SL', 'BOOKING_CONFIRMATION', 'booked the shipment (step 6)'],
  ['CUS', 'QUALITY_CERTIFICATE', 'checks the grade (step 7)'],
  ['CUS', 'COMMERCIAL_INVOICE', 'checks quantity and grade (step 7)'],
  ['CUS', 'PACKING_LIST', 'checks the quantity (step 7)'],
  ['CUS', 'EXPORT_DECLARATION', 'declares (step 7)'],
  ['CUS', 'CERTIFICATE_OF_ORIGIN', 'needs the full set (step 7)'],
  ['CUS', 'PHYTOSANITARY_CERTIFICATE', 'needs the full set (step 7)'],
  ['SL', 'BILL_OF_LADING', 'ships (step 8)'],
  ['NB', 'PAYMENT_ADVICE', 'confirms repatriation (step 10)'],
];

/** Reads nobody outside the listed orgs may have (the brief's explicit exclusions). */
const NEVER_READS: readonly [string, string, readonly Org[]][] = [
  ['document', 'PAYMENT_ADVICE', ['CUS', 'SL', 'ECX', 'ECTA']],
  ['document', 'PROFORMA_INVOICE', ['CUS']],
  ['private', 'tradeTerms', ['CUS', 'ECX', 'SL']],
  ['private', 'fxApplication', ['CUS', 'ECX', 'SL']],
  ['private', 'proceeds', ['CUS', 'ECX', 'SL']],
  ['group', 'payment', ['CUS', 'ECX', 'SL']],
  ['group', 'fx', ['ECX', 'SL']],
  ['group', 'commitments', ['ECX', 'SL']],
];

/** The status at which each main-line step is taken, and who takes it (workflow.md steps 2-10). */
const ACTS_AT: readonly [Org, string, string][] = [
  ['ECTA', 'SUBMITTED', 'RegisterContract'],
  ['ECX', 'CONTRACT_REGISTERED', 'CertifyQuality'],
  ['CB', 'QUALITY_CERTIFIED', 'SubmitFxApplication'],
  ['NB', 'FX_SUBMITTED', 'ApproveFx'],
  ['SL', 'FX_APPROVED', 'BookShipment'],
  ['CUS', 'SHIPMENT_BOOKED', 'ClearCustoms'],
  ['CUS', 'UNDER_INSPECTION', 'CompleteInspection'],
  ['SL', 'CUSTOMS_CLEARED', 'MarkShipped'],
  ['SL', 'SHIPPED', 'AddTrackingEvent'],
  ['CB', 'SHIPPED', 'RecordPayment'],
  ['NB', 'SHIPPED', 'MarkDelinquent'],
  ['NB', 'PAYMENT_RECEIVED', 'ConfirmRepatriation'],
];

function orgsOf(list: readonly string[]): string {
  return ORGS.filter((o) => list.includes(MSP_OF[o])).join(' ');
}

describe('policy: the orgs and roles', () => {
  it('the test names every consortium MSP', () => {
    assert.deepEqual(Object.values(MSP_OF).sort(), [...MSP_IDS].sort());
  });

  it('every org reads with its workflow roles and its auditors; no org admin reads exports', () => {
    for (const msp of MSP_IDS) {
      const expected = ROLES_BY_MSP[msp].filter((r) => r !== 'admin');
      assert.deepEqual([...EXPORT_READERS[msp]].sort(), [...expected].sort(), msp);
      assert.ok(!EXPORT_READERS[msp].includes('admin'), msp);
    }
  });

  const readers: [Viewer, boolean][] = [
    [staff('CB'), true],
    [staff('CB', 'auditor'), true],
    [EXPORTER_1, true],
    [staff('CB', 'admin'), false],
    [staff('CUS', 'admin'), false],
    [staff('CUS', 'auditor'), true],
    [staff('CB', 'grader'), false],
    [{ mspId: 'OtherMSP', role: 'auditor' }, false],
  ];
  for (const [viewer, expected] of readers) {
    it(`isExportReader(${viewer.mspId} ${viewer.role}) = ${String(expected)}`, () => {
      assert.equal(isExportReader(viewer), expected);
    });
  }
});

describe('policy: who sees an export (canSeeExport)', () => {
  it('the main line is the workflow order', () => {
    assert.deepEqual(
      MAIN_LINE,
      ORDER.map(([, s]) => s),
    );
    assert.equal(new Set(ORDER.map(([l]) => l)).size, ORDER.length);
  });

  for (const org of ORGS) {
    it(`${org} staff and auditors see exactly the statuses of row ${SEES[org]}`, () => {
      const row = SEES[org];
      for (const [i, [, status]] of ORDER.entries()) {
        const expected = row[i] === 'Y';
        for (const role of [STAFF[org], 'auditor']) {
          assert.equal(
            canSeeExport(staff(org, role), facts(status)),
            expected,
            `${org} ${role} at ${status}`,
          );
          assert.equal(
            canSeeExport(staff(org, role), facts(status, 'EXP-002')),
            expected,
            'staff see every exporter',
          );
        }
        assert.equal(canSeeExport(staff(org, 'admin'), facts(status)), false, `${org} admin at ${status}`);
      }
      assert.deepEqual(
        visibleReachedStatuses(MSP_OF[org]),
        ORDER.filter((_, i) => row[i] === 'Y').map(([, s]) => s),
      );
      assert.equal(VISIBLE_FROM[MSP_OF[org] as keyof typeof VISIBLE_FROM], ORDER[row.indexOf('Y')]?.[1]);
    });
  }

  const cases: [string, Viewer, { exporterId: string; reached: string }, boolean][] = [
    ['ECX grader, export only SUBMITTED', staff('ECX'), facts('SUBMITTED'), false],
    ['ECX grader, export CONTRACT_REGISTERED', staff('ECX'), facts('CONTRACT_REGISTERED'), true],
    ['ECX grader, rejected after QUALITY_CERTIFIED', staff('ECX'), facts('QUALITY_CERTIFIED'), true],
    ['customs, FX_APPROVED', staff('CUS'), facts('FX_APPROVED'), false],
    ['customs, SHIPMENT_BOOKED', staff('CUS'), facts('SHIPMENT_BOOKED'), true],
    ['customs auditor, SHIPMENT_BOOKED', staff('CUS', 'auditor'), facts('SHIPMENT_BOOKED'), true],
    ['customs auditor, FX_APPROVED', staff('CUS', 'auditor'), facts('FX_APPROVED'), false],
    ['National Bank, QUALITY_CERTIFIED', staff('NB'), facts('QUALITY_CERTIFIED'), false],
    ['ECTA, DRAFT', staff('ECTA'), facts('DRAFT'), false],
    ['bank officer, DRAFT of any exporter', staff('CB'), facts('DRAFT', 'EXP-002'), true],
    ['exporter, own DRAFT', EXPORTER_1, facts('DRAFT'), true],
    ['exporter, own COMPLETED', EXPORTER_1, facts('COMPLETED'), true],
    ["exporter, another's COMPLETED", EXPORTER_2, facts('COMPLETED'), false],
    ['exporter user without an exporter id', { mspId: MSP_OF.CB, role: 'exporter' }, facts('DRAFT'), false],
    ['exporter role claimed in another org', { ...EXPORTER_1, mspId: MSP_OF.ECTA }, facts('DRAFT'), false],
    ['National Bank admin, COMPLETED', staff('NB', 'admin'), facts('COMPLETED'), false],
    ['unknown MSP', { mspId: 'OtherMSP', role: 'auditor' }, facts('COMPLETED'), false],
    ['unknown reached status counts as nothing', staff('ECTA'), facts('REJECTED'), false],
  ];
  for (const [name, viewer, f, expected] of cases) {
    it(`${name}: ${expected ? 'sees' : 'does not see'} it`, () => {
      assert.equal(canSeeExport(viewer, f), expected);
    });
  }

  for (const [org, status, step] of ACTS_AT) {
    it(`${org} sees the export where it acts (${step} at ${status})`, () => {
      assert.ok(canSeeExport(staff(org), facts(status)));
    });
  }
});

describe('policy: progress never goes back', () => {
  const walks: [string, string[], string][] = [
    [
      'rejected after QUALITY_CERTIFIED',
      ['DRAFT', 'SUBMITTED', 'CONTRACT_REGISTERED', 'QUALITY_CERTIFIED', 'FX_SUBMITTED', 'REJECTED'],
      'FX_SUBMITTED',
    ],
    [
      'cancelled at QUALITY_CERTIFIED',
      ['DRAFT', 'SUBMITTED', 'CONTRACT_REGISTERED', 'QUALITY_CERTIFIED', 'CANCELLED'],
      'QUALITY_CERTIFIED',
    ],
    [
      'amended at customs',
      ['SHIPMENT_BOOKED', 'UNDER_INSPECTION', 'AMENDMENT_REQUESTED', 'SHIPMENT_BOOKED'],
      'UNDER_INSPECTION',
    ],
    ['defaulted from DRAFT', ['DRAFT', 'DEFAULTED'], 'DRAFT'],
    ['an exception first', ['REJECTED'], 'DRAFT'],
  ];
  for (const [name, statuses, expected] of walks) {
    it(`${name}: reached ${expected}`, () => {
      let reached: string | undefined;
      for (const status of statuses) {
        reached = progressOf(reached, status);
      }
      assert.equal(reached, expected);
    });
  }

  it('for every reached status and every next status, progress is monotone', () => {
    for (const before of [undefined, ...MAIN_LINE]) {
      for (const status of EXPORT_STATUSES) {
        const after = progressOf(before, status);
        assert.ok(MAIN_LINE.includes(after), `${String(before)} + ${status}`);
        if (before !== undefined) {
          assert.ok(
            progressRank(after) >= progressRank(before),
            `${before} + ${status} went back to ${after}`,
          );
        }
        if (MAIN_LINE.includes(status)) {
          assert.ok(progressRank(after) >= progressRank(status), `${String(before)} + ${status}`);
        } else {
          assert.equal(after, before ?? 'DRAFT', `an exception (${status}) does not move progress`);
        }
      }
    }
  });
});

describe('policy: field groups, private groups and documents', () => {
  it('field groups hold exactly the hand-listed record keys', () => {
    assert.deepEqual(
      Object.fromEntries(Object.entries(FIELD_GROUPS).map(([g, keys]) => [g, [...keys]])),
      GROUP_KEYS,
    );
  });

  for (const group of Object.keys(READS_GROUP) as FieldGroup[]) {
    it(`field group ${group} is read by ${READS_GROUP[group]}`, () => {
      assert.equal(orgsOf(FIELD_AUDIENCE[group]), READS_GROUP[group]);
      for (const org of ORGS) {
        const expected = READS_GROUP[group].split(' ').includes(org);
        assert.equal(canReadGroup(staff(org), facts('COMPLETED'), group), expected, `${org} ${group}`);
        assert.equal(canReadGroup(staff(org, 'auditor'), facts('COMPLETED'), group), expected);
        assert.equal(canReadGroup(staff(org, 'admin'), facts('COMPLETED'), group), false);
      }
      assert.equal(canReadGroup(EXPORTER_1, facts('COMPLETED'), group), true, 'own export: everything');
      assert.equal(canReadGroup(EXPORTER_2, facts('COMPLETED'), group), false, "another's: nothing");
      assert.equal(canReadGroup(staff('CUS'), facts('FX_APPROVED'), group), false, 'unseen: nothing');
    });
  }

  const collections = deployedCollections();
  for (const group of PRIVATE_GROUPS) {
    it(`private group ${group} is read by ${READS_PRIVATE[group].orgs}, the members of collection ${READS_PRIVATE[group].collection}`, () => {
      assert.equal(orgsOf(PRIVATE_AUDIENCE[group]), READS_PRIVATE[group].orgs);
      const members = collections.find((c) => c.name === READS_PRIVATE[group].collection)?.members ?? [];
      assert.equal(orgsOf(members), READS_PRIVATE[group].orgs, 'its readers are exactly the member orgs');
      for (const org of ORGS) {
        const expected = READS_PRIVATE[group].orgs.split(' ').includes(org);
        assert.equal(canReadPrivate(staff(org), facts('COMPLETED'), group), expected, `${org} ${group}`);
      }
      assert.equal(canReadPrivate(EXPORTER_2, facts('COMPLETED'), group), false);
    });
  }

  it('the deployed collections are tradeTerms (CB, NB, ECTA) and customsValue (those and Customs)', () => {
    assert.deepEqual(
      collections.map((c) => [c.name, orgsOf(c.members)]),
      [
        ['tradeTerms', 'CB NB ECTA'],
        ['customsValue', 'CB NB ECTA CUS'],
      ],
    );
  });

  for (const [kind, name, excluded] of NEVER_READS) {
    it(`${kind} ${name} is never read by ${excluded.join(', ')}`, () => {
      for (const org of excluded) {
        for (const role of [STAFF[org], 'auditor']) {
          const viewer = staff(org, role);
          const reads =
            kind === 'document'
              ? canReadDocument(viewer, facts('COMPLETED'), name)
              : kind === 'private'
                ? canReadPrivate(viewer, facts('COMPLETED'), name as PrivateGroup)
                : canReadGroup(viewer, facts('COMPLETED'), name as FieldGroup);
          assert.equal(reads, false, `${org} ${role}`);
        }
      }
    });
  }

  for (const [org, type, why] of NEEDS_DOCUMENT) {
    it(`${org} reads ${type}: it ${why}`, () => {
      assert.ok(canReadDocument(staff(org), facts('COMPLETED'), type));
    });
  }

  it('every document type has an audience with the CommercialBank and uploaders who read what they upload', () => {
    assert.deepEqual(Object.keys(DOCUMENT_AUDIENCE).sort(), [...DOCUMENT_TYPES].sort());
    assert.deepEqual(Object.keys(DOCUMENT_UPLOADERS).sort(), [...DOCUMENT_TYPES].sort());
    for (const type of DOCUMENT_TYPES) {
      const audience = documentAudience(type);
      assert.ok(audience.includes('CommercialBankMSP'), `${type}: the exporter's bank reads it`);
      assert.ok(DOCUMENT_UPLOADERS[type].length > 0, `${type} has an uploader`);
      for (const uploader of DOCUMENT_UPLOADERS[type]) {
        assert.ok(audience.includes(uploader.msp), `${type}: ${uploader.msp} reads what it uploads`);
        assert.ok(EXPORT_READERS[uploader.msp].includes(uploader.role), `${type}: ${uploader.role} reads`);
      }
      assert.ok(canReadDocument(EXPORTER_1, facts('COMPLETED'), type), `${type}: the exporter reads its own`);
      assert.ok(!canReadDocument(EXPORTER_2, facts('COMPLETED'), type), `${type}: not another's`);
    }
    assert.deepEqual(documentAudience('NOT_A_TYPE'), []);
    assert.equal(canReadDocument(staff('CB'), facts('COMPLETED'), 'NOT_A_TYPE'), false);
  });

  const uploads: [Viewer, string, boolean][] = [
    [staff('ECX'), 'QUALITY_CERTIFICATE', true],
    [EXPORTER_1, 'QUALITY_CERTIFICATE', false],
    [staff('CB'), 'LC_OR_ADVANCE_ADVICE', true],
    [EXPORTER_1, 'LC_OR_ADVANCE_ADVICE', true],
    [staff('CB'), 'SALES_CONTRACT', false],
    [staff('CB'), 'COMMERCIAL_INVOICE', false],
    [EXPORTER_1, 'COMMERCIAL_INVOICE', true],
    [staff('CUS'), 'EXPORT_DECLARATION', true],
    [staff('CUS', 'auditor'), 'EXPORT_DECLARATION', false],
    [staff('SL'), 'BILL_OF_LADING', true],
    [staff('SL'), 'PACKING_LIST', false],
    [staff('CB'), 'PAYMENT_ADVICE', true],
    [staff('CB'), 'NOT_A_TYPE', false],
  ];
  for (const [viewer, type, expected] of uploads) {
    it(`canUploadDocument(${viewer.mspId} ${viewer.role}, ${type}) = ${String(expected)}`, () => {
      assert.equal(canUploadDocument(viewer, type), expected);
    });
  }
});

describe('policy: redactExport', () => {
  const record = {
    docType: 'export',
    exportId: 'EX-1',
    exporterId: 'EXP-001',
    status: 'SHIPPED',
    reached: 'SHIPPED',
    updatedAt: '2026-01-01T00:00:00.000Z',
    contract: { quantityKg: 1 },
    registration: { registrationNumber: 'R' },
    quality: { certifiedGrade: 'G2' },
    fx: { applicationHash: 'h' },
    permit: { permitNumber: 'P' },
    booking: { bookingNumber: 'B' },
    customs: { declarationNumber: 'D' },
    shipment: { billOfLadingNumber: 'BL' },
    tracking: [{ location: 'Red Sea' }],
    payment: { paymentReference: 'SWIFT' },
    termsHash: 'th',
    valueCommitmentHash: 'vh',
    delinquency: { markedAt: 't' },
    documents: DOCUMENT_TYPES.map((type, i) => ({
      type,
      version: 1,
      cid: `cid-${type}`,
      sha256: String(i).padStart(64, '0'),
      quantityKg: 10,
      grade: 'G2',
    })),
  };
  const f = facts('SHIPPED');

  it('removes the groups outside the viewer, keeps the core and never mutates its input', () => {
    const before = JSON.stringify(record);
    for (const org of ORGS) {
      for (const role of [STAFF[org], 'auditor']) {
        const viewer = staff(org, role);
        const out = redactExport(viewer, f, record) as Record<string, unknown>;
        for (const [group, keys] of Object.entries(GROUP_KEYS) as [FieldGroup, readonly string[]][]) {
          const readable = READS_GROUP[group].split(' ').includes(org);
          for (const key of keys) {
            assert.equal(key in out, readable, `${org} ${role}: ${key}`);
          }
        }
        for (const key of ['docType', 'exportId', 'exporterId', 'status', 'reached', 'updatedAt']) {
          assert.ok(key in out, `${org}: core ${key}`);
        }
        const documents = out.documents as Record<string, unknown>[];
        assert.equal(documents.length, DOCUMENT_TYPES.length, 'every document keeps its entry');
        for (const d of documents) {
          const readable = orgsOf(documentAudience(String(d.type)))
            .split(' ')
            .includes(org);
          assert.equal('cid' in d, readable, `${org} ${String(d.type)} cid`);
          assert.equal('quantityKg' in d, readable);
          assert.equal('grade' in d, readable);
          assert.equal(d.restricted, readable ? undefined : true);
          assert.ok(typeof d.sha256 === 'string', 'the hash stays, to verify a file one holds');
          if (!readable) {
            assert.ok(
              !JSON.stringify(out).includes(`cid-${String(d.type)}`),
              `${org}: ${String(d.type)} cid leaks`,
            );
          }
        }
      }
    }
    assert.equal(JSON.stringify(record), before);
  });

  it('hand-picked views: customs has no payment, shipping no fx/permit/commitments, grader no contract documents', () => {
    const customs = redactExport(staff('CUS'), f, record) as Record<string, unknown>;
    assert.ok(!('payment' in customs) && !('delinquency' in customs));
    assert.ok('fx' in customs && 'permit' in customs && 'termsHash' in customs);
    const shipping = redactExport(staff('SL'), f, record) as Record<string, unknown>;
    for (const key of ['fx', 'permit', 'termsHash', 'valueCommitmentHash', 'payment', 'delinquency']) {
      assert.ok(!(key in shipping), `shipping: ${key}`);
    }
    assert.ok('booking' in shipping && 'shipment' in shipping && 'tracking' in shipping);
    const cid = (view: Record<string, unknown>, type: string): unknown =>
      (view.documents as Record<string, unknown>[]).find((d) => d.type === type)?.cid;
    assert.equal(cid(shipping, 'PAYMENT_ADVICE'), undefined);
    assert.equal(cid(shipping, 'BILL_OF_LADING'), 'cid-BILL_OF_LADING');
    assert.equal(cid(customs, 'PROFORMA_INVOICE'), undefined);
    assert.equal(cid(customs, 'SALES_CONTRACT'), 'cid-SALES_CONTRACT');
    const grader = redactExport(staff('ECX'), f, record) as Record<string, unknown>;
    assert.equal(cid(grader, 'QUALITY_CERTIFICATE'), 'cid-QUALITY_CERTIFICATE');
    assert.equal(cid(grader, 'SALES_CONTRACT'), undefined);
    const own = redactExport(EXPORTER_1, f, record);
    assert.deepEqual(own, record, 'the owner reads its whole record');
  });
});
