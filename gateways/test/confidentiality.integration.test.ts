/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- HTTP and chaincode response bodies are untyped JSON here */
/**
 * Need-to-know confidentiality on the REAL stack (network, PostgreSQL, kubo, the six gateways).
 *
 * - The access matrix: every role of every org (its workflow role, its auditor, its admin, and two competing
 *   exporters) × four exports (A's own in flight, another exporter's, one stopped before most orgs' steps, a
 *   completed one) × get, history, list and search, trade terms, permit, each document's download, an upload,
 *   and the actions. Expectations come from policy.ts; a hand-written table checks the policy table itself.
 * - The same read checks against the chaincode directly: each identity queries its own org's peer.
 * - kubo: a document's CID fetched straight from a non-entitled org's node gives only ciphertext.
 * - Commitments: the brute force that recovered a contract value from an unsalted hash finds nothing on fresh
 *   records (a positive control proves the search works), and no two commitments share a salt.
 * - The public verification answer holds no CID, private value or user name; HTML uploads never come back as HTML.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.env.COFFEE_RUN_DIR ??= join(REPO, '.run', 'test');
process.env.COFFEE_PORT_OFFSET ??= '20000';

const P = await import('@coffee/consortium');
const {
  PEER_ORGS,
  act,
  adminOf,
  bringUp,
  expectStatus,
  gatewayConfig,
  gatewaySettings,
  http,
  newUser,
  org,
  pdf,
  statuses,
  upload,
  waitStatus,
} = await import('./support/stack.ts');
const { CHANNEL, connectAs, createUser, peerHeight, waitForBlock } = await import('./support/fabric.ts');
const ipfsApiUrl = (o: Org): string => gatewaySettings(o).IPFS_API_URL!;
type Session = import('./support/stack.ts').Session;
type Org = import('./support/stack.ts').Org;

const RUN = randomBytes(3).toString('hex').toUpperCase();
const QUANTITY = 12_000;
const PRICE = 7.25;
const VALUE = PRICE * QUANTITY;
const MIN_PRICE = 4;

/** One person of the matrix: who they are to the policy, and their session at their org's gateway. */
interface Person {
  key: string;
  orgId: string;
  mspId: string;
  role: string;
  exporterId?: string;
  session: Session;
}

interface Fixture {
  key: 'own' | 'other' | 'early' | 'done';
  id: string;
  exporterId: string;
  reached: string;
  contractNumber: string;
  docs: Record<string, { cid: string; sha256: string; marker: string }>;
  permitNumber?: string;
}

const EXP_A = `EXPA-${RUN}`;
const EXP_B = `EXPB-${RUN}`;
const people: Person[] = [];
const fixtures: Record<string, Fixture> = {};
const by = (key: string): Person => people.find((p) => p.key === key)!;
const viewerOf = (p: Person): { mspId: string; role: string; exporterId?: string } => ({
  mspId: p.mspId,
  role: p.role,
  exporterId: p.exporterId,
});

/** The staff role of each org besides auditor and admin. */
const WORKFLOW_ROLE: Record<string, string> = {
  'commercial-bank': 'bank_officer',
  'national-bank': 'fx_officer',
  ecta: 'ecta_officer',
  ecx: 'grader',
  'shipping-line': 'shipping_agent',
  customs: 'customs_officer',
};

function contract(contractNumber: string): Record<string, unknown> {
  return {
    contractNumber,
    buyerName: `Rotterdam Roasters ${RUN}`,
    // Outside the EU: an EU-bound export needs an EUDR package before customs (eudr tests walk that path).
    destinationCountry: 'US',
    contractedGrade: 'G2',
    quantityKg: QUANTITY,
    originRegion: 'YIRGACHEFFE',
    incoterm: 'FOB',
  };
}

/** A marker no one could guess, placed inside a document, to look for in bytes fetched from anywhere. */
function marker(what: string): string {
  return `SECRET-${what}-${randomBytes(8).toString('hex')}`;
}

async function up(s: Session, f: Fixture, type: string, extra: Record<string, unknown> = {}): Promise<any> {
  const m = marker(type);
  const body = await upload(s, type, m, { exportId: f.id, ...extra });
  f.docs[type] = { cid: body.cid, sha256: body.sha256, marker: m };
  return body;
}

/** Creates an export for `exporter` and walks it to `until` through the real gateways. */
async function walk(exporter: Person, key: Fixture['key'], until: string): Promise<Fixture> {
  const ex = exporter.session;
  const contractNumber = `SC-${key.toUpperCase()}-${RUN}`;
  const f: Fixture = {
    key,
    id: '',
    exporterId: exporter.exporterId!,
    reached: 'SUBMITTED',
    contractNumber,
    docs: {},
  };
  const sales = marker('SALES_CONTRACT');
  const proforma = marker('PROFORMA_INVOICE');
  const sc = await upload(ex, 'SALES_CONTRACT', sales);
  const pi = await upload(ex, 'PROFORMA_INVOICE', proforma);
  const created = await http(ex.org, 'POST', '/api/v1/exports', {
    token: ex.token,
    body: {
      contract: contract(contractNumber),
      documents: [
        { type: 'SALES_CONTRACT', cid: sc.cid },
        { type: 'PROFORMA_INVOICE', cid: pi.cid },
      ],
      tradeTerms: { unitPriceUsdPerKg: PRICE, contractValueUsd: VALUE, paymentMethod: 'LC' },
    },
  });
  expectStatus(created, 201, `create ${key}`);
  f.id = created.body.id;
  f.docs.SALES_CONTRACT = { cid: sc.cid, sha256: sc.sha256, marker: sales };
  f.docs.PROFORMA_INVOICE = { cid: pi.cid, sha256: pi.sha256, marker: proforma };
  const S = (k: string): Session => by(k).session;
  const steps: [string, () => Promise<void>][] = [
    [
      'CONTRACT_REGISTERED',
      async () => {
        await act(S('ecta_officer'), f.id, 'register-contract', { registrationNumber: `REG-${key}-${RUN}` });
      },
    ],
    [
      'QUALITY_CERTIFIED',
      async () => {
        await waitStatus(S('grader'), f.id, ['CONTRACT_REGISTERED']);
        const q = await up(S('grader'), f, 'QUALITY_CERTIFICATE');
        await act(S('grader'), f.id, 'certify-quality', {
          lotNumber: `LOT-${key}-${RUN}`,
          warehouseReceiptNumber: `WR-${key}-${RUN}`,
          certifiedGrade: 'G2',
          cupScore: 87,
          moisturePercent: 10.2,
          defectsPer300g: 2,
          certifiedQuantityKg: QUANTITY,
          documents: [{ type: 'QUALITY_CERTIFICATE', cid: q.cid }],
        });
      },
    ],
    [
      'FX_SUBMITTED',
      async () => {
        await waitStatus(S('bank_officer'), f.id, ['QUALITY_CERTIFIED']);
        const lc = await up(S('bank_officer'), f, 'LC_OR_ADVANCE_ADVICE');
        await act(S('bank_officer'), f.id, 'submit-fx', {
          fxApplication: { paymentMethod: 'LC', evidenceReference: `LC-${key}-${RUN}`, amountUsd: VALUE },
          documents: [{ type: 'LC_OR_ADVANCE_ADVICE', cid: lc.cid }],
        });
      },
    ],
    [
      'FX_APPROVED',
      async () => {
        await act(S('fx_officer'), f.id, 'approve-fx', {});
      },
    ],
    [
      'SHIPMENT_BOOKED',
      async () => {
        await waitStatus(S('shipping_agent'), f.id, ['FX_APPROVED']);
        const b = await up(S('shipping_agent'), f, 'BOOKING_CONFIRMATION');
        await act(S('shipping_agent'), f.id, 'book-shipment', {
          bookingNumber: `BKG-${key}-${RUN}`,
          vesselName: 'MV Tana',
          voyageNumber: 'V-7',
          containerNumbers: ['MSCU7654321'],
          portOfLoading: 'DJJIB',
          portOfDischarge: 'USNYC',
          etd: new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10),
          documents: [{ type: 'BOOKING_CONFIRMATION', cid: b.cid }],
        });
      },
    ],
    [
      'CUSTOMS_CLEARED',
      async () => {
        await waitStatus(ex, f.id, ['SHIPMENT_BOOKED']);
        await up(ex, f, 'COMMERCIAL_INVOICE', { quantityKg: QUANTITY, grade: 'G2' });
        await up(ex, f, 'PACKING_LIST', { quantityKg: QUANTITY });
        await up(ex, f, 'CERTIFICATE_OF_ORIGIN');
        await up(ex, f, 'PHYTOSANITARY_CERTIFICATE');
        const customs = S('customs_officer');
        await waitStatus(customs, f.id, ['SHIPMENT_BOOKED']);
        const record = await http(customs.org, 'GET', `/api/v1/exports/${f.id}`, { token: customs.token });
        expectStatus(record, 200, 'customs reads the booked export');
        // Customs reads the registered value it must check against: no salt, no out-of-band step.
        const terms = await http(customs.org, 'GET', `/api/v1/exports/${f.id}/trade-terms`, {
          token: customs.token,
        });
        expectStatus(terms, 200, 'customs reads the registered contract value');
        assert.deepEqual(Object.keys(terms.body).sort(), ['customsValue', 'exportId']);
        const d = await up(customs, f, 'EXPORT_DECLARATION');
        await act(customs, f.id, 'clear-customs', {
          declarationNumber: `DEC-${key}-${RUN}`,
          permitNumber: record.body.permit.permitNumber,
          declaredQuantityKg: QUANTITY,
          declaredGrade: 'G2',
          riskLane: 'GREEN',
          customsValue: { declaredValueUsd: terms.body.customsValue.contractValueUsd },
          documents: [{ type: 'EXPORT_DECLARATION', cid: d.cid }],
        });
        f.permitNumber = record.body.permit.permitNumber;
      },
    ],
    [
      'SHIPPED',
      async () => {
        await waitStatus(S('shipping_agent'), f.id, ['CUSTOMS_CLEARED']);
        const bl = await up(S('shipping_agent'), f, 'BILL_OF_LADING');
        await act(S('shipping_agent'), f.id, 'ship', {
          billOfLadingNumber: `BL-${key}-${RUN}`,
          onBoardDate: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10),
          documents: [{ type: 'BILL_OF_LADING', cid: bl.cid }],
        });
      },
    ],
    [
      'PAYMENT_RECEIVED',
      async () => {
        await waitStatus(S('bank_officer'), f.id, ['SHIPPED']);
        const pa = await up(S('bank_officer'), f, 'PAYMENT_ADVICE');
        await act(S('bank_officer'), f.id, 'confirm-payment', {
          paymentReference: `SWIFT-${key}-${RUN}`,
          paymentProceeds: { amountUsd: VALUE },
          documents: [{ type: 'PAYMENT_ADVICE', cid: pa.cid }],
        });
      },
    ],
    [
      'COMPLETED',
      async () => {
        await act(S('fx_officer'), f.id, 'confirm-repatriation', {});
      },
    ],
  ];
  for (const [reached, step] of steps) {
    if (P.progressRank(f.reached) >= P.progressRank(until)) break;
    await step();
    f.reached = reached;
  }
  fixtures[key] = f;
  return f;
}

const yesterday = new Date(Date.now() - 86_400_000).toISOString();
/** Actions with inputs the chaincode accepts as well-formed, none of which needs a document or private data. */
const ACTION_BODIES: Record<string, Record<string, unknown>> = {
  'register-contract': { registrationNumber: 'REG-MATRIX' },
  'approve-fx': {},
  'complete-inspection': { findings: 'matrix' },
  'confirm-repatriation': {},
  'request-amendment': { reasonCode: 'MATRIX', reason: 'matrix' },
  reject: { reasonCode: 'MATRIX', reason: 'matrix' },
  cancel: { reason: 'matrix' },
  'mark-defaulted': {},
  'mark-delinquent': {},
  'clear-delinquency': {},
  'add-tracking-event': { location: 'Djibouti', status: 'DEPARTED', eventTime: yesterday },
};
/** Actions that would legitimately succeed in a fixture's state (skipped: the matrix never changes state). */
const VALID_IN: Record<string, readonly string[]> = {
  SUBMITTED: ['register-contract', 'request-amendment', 'reject', 'cancel'],
  CONTRACT_REGISTERED: ['request-amendment', 'reject', 'cancel'],
  SHIPPED: ['add-tracking-event'],
  COMPLETED: [],
};
/** Who may take each action: @coffee/consortium's table, which the gateways and the chaincode both enforce. */
const { ACTIONS, rolesOf } = await import('@coffee/consortium');

before(
  async () => {
    await bringUp();
    const admins: Record<string, Session> = Object.fromEntries(
      await Promise.all(PEER_ORGS.map(async (o) => [o.id, await adminOf(o)] as const)),
    );
    const ectaOfficer = await newUser(admins.ecta!, `ecta-cf-${RUN.toLowerCase()}`, 'ecta_officer');
    for (const [exporterId, name] of [
      [EXP_A, 'Abyssinia Coffee'],
      [EXP_B, 'Bonga Coffee'],
    ] as const) {
      const lic = await http(org('ecta'), 'POST', '/api/v1/exporters', {
        token: ectaOfficer.token,
        body: {
          exporterId,
          legalName: `${name} ${RUN}`,
          tin: '0123456780',
          licenceNumber: `LIC-${exporterId}`,
          licenceValidUntil: '2031-12-31',
        },
      });
      expectStatus(lic, 201, `license ${exporterId}`);
    }
    expectStatus(
      await http(org('ecta'), 'POST', '/api/v1/minimum-prices', {
        token: ectaOfficer.token,
        body: { grade: 'G2', usdPerKg: MIN_PRICE, effectiveFrom: '2020-01-01' },
      }),
      201,
      'minimum price',
    );
    const o = (id: string): Org => org(id);
    const add = (key: string, orgId: string, role: string, session: Session, exporterId?: string): void => {
      people.push({ key, orgId, mspId: o(orgId).mspId, role, exporterId, session });
    };
    add('ecta_officer', 'ecta', 'ecta_officer', ectaOfficer);
    const created = await Promise.all([
      newUser(admins['commercial-bank']!, `exp-a-${RUN.toLowerCase()}`, 'exporter', EXP_A),
      newUser(admins['commercial-bank']!, `exp-b-${RUN.toLowerCase()}`, 'exporter', EXP_B),
      ...PEER_ORGS.filter((x) => x.id !== 'ecta').map((x) =>
        newUser(
          admins[x.id]!,
          `${WORKFLOW_ROLE[x.id]!.replace('_', '-')}-cf-${RUN.toLowerCase()}`,
          WORKFLOW_ROLE[x.id]!,
        ),
      ),
      ...PEER_ORGS.map((x) => newUser(admins[x.id]!, `auditor-cf-${x.id}-${RUN.toLowerCase()}`, 'auditor')),
    ]);
    add('exporterA', 'commercial-bank', 'exporter', created[0], EXP_A);
    add('exporterB', 'commercial-bank', 'exporter', created[1], EXP_B);
    PEER_ORGS.filter((x) => x.id !== 'ecta').forEach((x, i) =>
      add(WORKFLOW_ROLE[x.id]!, x.id, WORKFLOW_ROLE[x.id]!, created[2 + i]!),
    );
    PEER_ORGS.forEach((x, i) => add(`auditor@${x.id}`, x.id, 'auditor', created[7 + i]!));
    PEER_ORGS.forEach((x) => add(`admin@${x.id}`, x.id, 'admin', admins[x.id]!));

    await walk(by('exporterA'), 'own', 'SHIPPED');
    await walk(by('exporterB'), 'other', 'CONTRACT_REGISTERED');
    await walk(by('exporterA'), 'early', 'SUBMITTED');
    await walk(by('exporterA'), 'done', 'COMPLETED');
    // Every gateway has projected every fixture (lists come from each org's read model).
    for (const p of [by('customs_officer'), by('exporterB'), by('grader')]) {
      await waitStatus(p.session, fixtures.own!.id, ['SHIPPED']).catch(() => undefined);
    }
  },
  { timeout: 900_000 },
);

/** A hand-written table that does not use policy.ts: it checks the table itself. */
const HAND_WRITTEN: [person: string, fixture: Fixture['key'], sees: boolean][] = [
  ['exporterA', 'own', true],
  ['exporterA', 'other', false],
  ['exporterB', 'own', false],
  ['exporterB', 'other', true],
  ['exporterB', 'done', false],
  ['bank_officer', 'early', true],
  ['ecta_officer', 'early', true],
  ['grader', 'early', false],
  ['grader', 'other', true],
  ['fx_officer', 'other', false],
  ['fx_officer', 'own', true],
  ['shipping_agent', 'other', false],
  ['customs_officer', 'early', false],
  ['customs_officer', 'other', false],
  ['customs_officer', 'done', true],
  ['auditor@customs', 'other', false],
  ['auditor@customs', 'own', true],
  ['auditor@ecx', 'early', false],
  ['admin@ecta', 'own', false],
  ['admin@commercial-bank', 'early', false],
];

describe('need-to-know confidentiality on the real stack', { timeout: 1_800_000 }, () => {
  it('the policy table agrees with the hand-written expectations', () => {
    for (const [who, fx, sees] of HAND_WRITTEN) {
      const f = fixtures[fx]!;
      assert.equal(P.canSeeExport(viewerOf(by(who)), f), sees, `${who} sees ${fx} (${f.reached})`);
    }
    const customs = viewerOf(by('customs_officer'));
    assert.equal(P.canReadDocument(customs, fixtures.own!, 'PROFORMA_INVOICE'), false);
    assert.equal(P.canReadDocument(customs, fixtures.own!, 'SALES_CONTRACT'), true);
    assert.equal(P.canReadPrivate(customs, fixtures.own!, 'tradeTerms'), false);
    assert.equal(P.canReadPrivate(customs, fixtures.own!, 'customsValue'), true);
    assert.equal(P.canReadDocument(viewerOf(by('shipping_agent')), fixtures.done!, 'PAYMENT_ADVICE'), false);
    assert.equal(P.canReadDocument(viewerOf(by('fx_officer')), fixtures.done!, 'PAYMENT_ADVICE'), true);
    assert.equal(P.canReadGroup(viewerOf(by('shipping_agent')), fixtures.own!, 'permit'), false);
  });

  it('get, history, list and search over HTTP: exactly what the policy allows; the rest is 404', async () => {
    const mismatches: string[] = [];
    for (const p of people) {
      for (const f of Object.values(fixtures)) {
        const sees = P.canSeeExport(viewerOf(p), f);
        const reader = P.isExportReader(viewerOf(p));
        const expected = !reader ? 403 : sees ? 200 : 404;
        const get = await http(p.session.org, 'GET', `/api/v1/exports/${f.id}`, { token: p.session.token });
        if (get.status !== expected) mismatches.push(`${p.key} GET ${f.key}: ${get.status} != ${expected}`);
        if (get.status === 200) {
          const doc = get.body;
          for (const [group, keys] of Object.entries(P.FIELD_GROUPS)) {
            const may = P.canReadGroup(viewerOf(p), f, group as never);
            for (const k of keys as readonly string[])
              if (!may && doc[k] !== undefined) mismatches.push(`${p.key} GET ${f.key}: sees ${k}`);
          }
          for (const d of doc.documents as any[])
            if (!P.canReadDocument(viewerOf(p), f, d.type) && d.cid !== undefined)
              mismatches.push(`${p.key} GET ${f.key}: CID of ${d.type}`);
        }
        const hist = await http(p.session.org, 'GET', `/api/v1/exports/${f.id}/history`, {
          token: p.session.token,
        });
        if (hist.status !== expected)
          mismatches.push(`${p.key} history ${f.key}: ${hist.status} != ${expected}`);
        const list = await http(
          p.session.org,
          'GET',
          `/api/v1/exports?q=${encodeURIComponent(f.contractNumber)}&limit=100`,
          { token: p.session.token },
        );
        if (!reader) {
          if (list.status !== 403) mismatches.push(`${p.key} list: ${list.status} != 403`);
        } else {
          const found = (list.body.items as any[]).some((i) => i.id === f.id);
          if (found !== sees) mismatches.push(`${p.key} search ${f.key}: found=${found}, policy=${sees}`);
        }
      }
    }
    assert.deepEqual(mismatches, []);
  });

  it('trade terms and the permit: only their audience, only the groups it may read, never a salt', async () => {
    const mismatches: string[] = [];
    for (const p of people) {
      const v = viewerOf(p);
      for (const f of Object.values(fixtures)) {
        const r = await http(p.session.org, 'GET', `/api/v1/exports/${f.id}/trade-terms`, {
          token: p.session.token,
        });
        const groups = P.PRIVATE_GROUPS.filter((g) => P.canReadPrivate(v, f, g));
        const expected = !P.isExportReader(v)
          ? 403
          : !P.canSeeExport(v, f)
            ? 404
            : groups.length === 0
              ? 403
              : 200;
        if (r.status !== expected) {
          mismatches.push(`${p.key} trade-terms ${f.key}: ${r.status} != ${expected}`);
          continue;
        }
        if (r.status !== 200) continue;
        if (JSON.stringify(r.body).includes('salt')) mismatches.push(`${p.key} ${f.key}: a salt`);
        const present = Object.keys(r.body).filter((k) => k !== 'exportId' && r.body[k] !== undefined);
        for (const k of present)
          if (!groups.includes(groupOf(k))) mismatches.push(`${p.key} ${f.key}: reads ${k}`);
        if (groups.includes('tradeTerms') && r.body.terms?.contractValueUsd !== VALUE)
          mismatches.push(`${p.key} ${f.key}: terms missing`);
        if (groups.includes('customsValue') && r.body.customsValue?.contractValueUsd !== VALUE)
          mismatches.push(`${p.key} ${f.key}: customs value missing`);
        // The permit is part of the record for its audience only.
        const rec = await http(p.session.org, 'GET', `/api/v1/exports/${f.id}`, { token: p.session.token });
        const permitShown = rec.body?.permit !== undefined;
        const permitExists = f.permitNumber !== undefined;
        if (permitExists && permitShown !== P.canReadGroup(v, f, 'permit'))
          mismatches.push(`${p.key} permit of ${f.key}: shown=${permitShown}`);
      }
    }
    assert.deepEqual(mismatches, []);
  });

  it('document downloads: each document type to its audience only, decrypted and hash-checked', async () => {
    const mismatches: string[] = [];
    let served = 0;
    for (const p of people) {
      const v = viewerOf(p);
      for (const f of Object.values(fixtures)) {
        for (const [type, d] of Object.entries(f.docs)) {
          const r = await http(p.session.org, 'GET', `/api/v1/documents/${d.cid}?exportId=${f.id}`, {
            token: p.session.token,
          });
          const expected = !P.isExportReader(v) ? 403 : P.canReadDocument(v, f, type) ? 200 : 404;
          if (r.status !== expected)
            mismatches.push(
              `${p.key} ${f.key} ${type}: ${r.status} != ${expected}${r.status >= 500 ? ` ${r.bytes.toString().slice(0, 300)}` : ''}`,
            );
          if (r.status === 200) {
            served++;
            if (!r.bytes.toString().includes(d.marker)) mismatches.push(`${p.key} ${type}: wrong bytes`);
            if (r.headers.get('x-content-sha256') !== d.sha256) mismatches.push(`${p.key} ${type}: hash`);
            if (!String(r.headers.get('content-disposition')).startsWith('attachment'))
              mismatches.push(`${p.key} ${type}: not an attachment`);
          } else if (r.bytes.toString().includes(d.marker)) {
            mismatches.push(`${p.key} ${type}: refused but leaked the content`);
          }
        }
      }
    }
    assert.deepEqual(mismatches, []);
    assert.ok(served > 50, `downloads served: ${served}`);
  });

  it('uploads: only the roles that attach a type, only for exports they see', async () => {
    const mismatches: string[] = [];
    const selfAttached = new Set([
      'COMMERCIAL_INVOICE',
      'PACKING_LIST',
      'CERTIFICATE_OF_ORIGIN',
      'PHYTOSANITARY_CERTIFICATE',
    ]);
    for (const p of people) {
      const v = viewerOf(p);
      const own = Object.keys(P.DOCUMENT_UPLOADERS).find(
        (t) => P.canUploadDocument(v, t) && !selfAttached.has(t),
      );
      for (const type of [own ?? 'SALES_CONTRACT', 'PAYMENT_ADVICE']) {
        for (const f of Object.values(fixtures)) {
          const form = new FormData();
          form.set('type', type);
          form.set('file', new Blob([pdf(marker('upload'))], { type: 'application/pdf' }), 'm.pdf');
          const r = await http(p.session.org, 'POST', `/api/v1/exports/${f.id}/documents`, {
            token: p.session.token,
            form,
          });
          const expected = !P.isExportReader(v)
            ? 403
            : !P.canUploadDocument(v, type)
              ? 403
              : P.canSeeExport(v, f)
                ? 201
                : 404;
          if (r.status !== expected)
            mismatches.push(`${p.key} upload ${type} to ${f.key}: ${r.status} != ${expected}`);
        }
      }
    }
    assert.deepEqual(mismatches, []);
  });

  it('actions: a caller who may not see the export gets 404 (or 403 for a role that never acts), never its state', async () => {
    const mismatches: string[] = [];
    for (const p of people) {
      const v = viewerOf(p);
      for (const f of Object.values(fixtures)) {
        for (const [action, body] of Object.entries(ACTION_BODIES)) {
          const roleActs = rolesOf(ACTIONS[action as keyof typeof ACTIONS]).includes(p.role as never);
          const sees = P.canSeeExport(v, f);
          // Never let an entitled caller change a fixture; everyone else must be refused even where the
          // action would be valid (an invisible export answers 404, not "wrong org", so its existence stays hidden).
          if (sees && roleActs && (VALID_IN[f.reached] ?? []).includes(action)) continue;
          const r = await http(p.session.org, 'POST', `/api/v1/exports/${f.id}/actions/${action}`, {
            token: p.session.token,
            body,
          });
          const ok =
            !P.isExportReader(v) || !roleActs
              ? r.status === 403
              : !sees
                ? r.status === 404
                : r.status !== 404 && r.status >= 400 && r.status < 500;
          if (!ok)
            mismatches.push(`${p.key} ${action} on ${f.key} (${f.reached}): ${r.status} ${r.body?.code}`);
        }
      }
    }
    assert.deepEqual(mismatches, []);
  });

  it('the same reads straight at the chaincode: each identity asks its own org peer', async () => {
    const mismatches: string[] = [];
    const roles: [string, string, string | undefined][] = [
      ['commercial-bank', 'exporter', EXP_A],
      ['commercial-bank', 'exporter', EXP_B],
      ...PEER_ORGS.map((x) => [x.id, WORKFLOW_ROLE[x.id]!, undefined] as [string, string, undefined]),
      ...PEER_ORGS.map((x) => [x.id, 'auditor', undefined] as [string, string, undefined]),
    ];
    for (const [orgId, role, exporterId] of roles) {
      const o = org(orgId);
      const identity = await createUser(o, {
        username: `cc-${role.replace('_', '-')}-${orgId}-${exporterId ?? 'x'}-${RUN}`.toLowerCase(),
        role,
        exporterId,
      });
      const conn = connectAs(o, identity);
      try {
        const cc = conn.gateway.getNetwork(CHANNEL).getContract('coffee-export', 'export');
        const v = { mspId: o.mspId, role, exporterId };
        const ask = async (fn: string, arg: string): Promise<{ ok: boolean; body?: any; code?: string }> => {
          try {
            const bytes = await cc.evaluate(fn, { arguments: [arg], endorsingOrganizations: [o.mspId] });
            return { ok: true, body: JSON.parse(Buffer.from(bytes).toString()) };
          } catch (e: unknown) {
            const text = JSON.stringify((e as any).details ?? []) + String((e as Error).message);
            return { ok: false, code: /([A-Z][A-Z_]{3,}): /.exec(text)?.[1] ?? text.slice(0, 120) };
          }
        };
        await waitForBlock(conn.gateway, o.mspId, BigInt(await peerHeight(conn.gateway, 'ECTAMSP')) - 1n);
        for (const f of Object.values(fixtures)) {
          const sees = P.canSeeExport(v, f);
          const tag = `${o.mspId} ${role}${exporterId ? ` ${exporterId}` : ''} ${f.key}`;
          for (const fn of ['GetExport', 'GetExportHistory']) {
            const r = await ask(fn, f.id);
            if (r.ok !== sees || (!r.ok && r.code !== 'EXPORT_NOT_FOUND'))
              mismatches.push(`${tag} ${fn}: ${r.ok ? 'allowed' : r.code}`);
          }
          const byExporter = await ask('ListExportsByExporter', JSON.stringify({ exporterId: f.exporterId }));
          const listed = (byExporter.body?.records ?? []).some((x: any) => x.exportId === f.id);
          if (listed !== sees) mismatches.push(`${tag} ListExportsByExporter: ${listed}`);
          const rec = (await ask('GetExport', f.id)).body;
          if (rec) {
            // Page through (other tests leave many exports at the same status), bounded.
            let listed = false;
            let bookmark = '';
            for (let page = 0; page < 50 && !listed; page++) {
              const byStatus = await ask(
                'ListExportsByStatus',
                JSON.stringify({ status: rec.status, pageSize: 100, ...(bookmark ? { bookmark } : {}) }),
              );
              listed = (byStatus.body?.records ?? []).some((x: any) => x.exportId === f.id);
              bookmark = String(byStatus.body?.bookmark ?? '');
              if (!bookmark) break;
            }
            if (!listed) mismatches.push(`${tag} ListExportsByStatus misses it`);
          }
          const groups = P.PRIVATE_GROUPS.filter((g) => P.canReadPrivate(v, f, g));
          const terms = await ask('GetTradeTerms', f.id);
          const expectTerms = sees && groups.length > 0;
          if (terms.ok !== expectTerms)
            mismatches.push(`${tag} GetTradeTerms: ${terms.ok ? 'allowed' : terms.code}`);
          if (terms.ok)
            for (const k of Object.keys(terms.body).filter((x) => x !== 'exportId'))
              if (!groups.includes(groupOf(k))) mismatches.push(`${tag} GetTradeTerms reads ${k}`);
          if (f.permitNumber) {
            const permit = await ask('GetPermit', f.permitNumber);
            const may = P.canReadGroup(v, f, 'permit');
            if (permit.ok !== may || (!permit.ok && permit.code !== 'PERMIT_NOT_FOUND'))
              mismatches.push(`${tag} GetPermit: ${permit.ok ? 'allowed' : permit.code}`);
          }
        }
      } finally {
        conn.close();
      }
    }
    assert.deepEqual(mismatches, []);
  });

  it("a document's CID fetched straight from a non-entitled org's kubo node gives only ciphertext", async () => {
    const f = fixtures.own!;
    for (const [type, outsider] of [
      ['PROFORMA_INVOICE', 'ecx'],
      ['PROFORMA_INVOICE', 'customs'],
      ['PAYMENT_ADVICE', 'shipping-line'],
    ] as const) {
      const d = (type === 'PAYMENT_ADVICE' ? fixtures.done! : f).docs[type]!;
      assert.ok(!P.documentAudience(type).includes(org(outsider).mspId), `${outsider} is outside`);
      const res = await fetch(`${ipfsApiUrl(org(outsider))}/api/v0/cat?arg=${d.cid}`, {
        method: 'POST',
        signal: AbortSignal.timeout(60_000),
      });
      assert.equal(res.status, 200, `kubo of ${outsider} serves the CID (the swarm shares blocks)`);
      const bytes = Buffer.from(await res.arrayBuffer());
      assert.equal(bytes.subarray(0, 7).toString('latin1'), 'CXENV1\n', 'an envelope');
      assert.ok(!bytes.includes(Buffer.from(d.marker)), `${type} plaintext is not in what ${outsider} got`);
      assert.ok(!bytes.includes(Buffer.from('%PDF')), 'no plaintext file header');
      const header = JSON.parse(bytes.subarray(11, 11 + bytes.readUInt32BE(7)).toString());
      assert.deepEqual(
        header.recipients.map((r: any) => r.mspId).sort(),
        [...P.documentAudience(type)].sort(),
        'wrapped for exactly the audience',
      );
    }
  });

  it('commitments: the brute force that recovered an unsalted value finds nothing; no salt serves twice', async () => {
    const o = org('commercial-bank');
    const reader = await createUser(o, {
      username: `salts-${RUN}`.toLowerCase(),
      role: 'bank_officer',
    });
    const conn = connectAs(o, reader);
    const salts: string[] = [];
    try {
      const cc = conn.gateway.getNetwork(CHANNEL).getContract('coffee-export', 'export');
      const read = async (fn: string, id: string): Promise<any> =>
        JSON.parse(
          Buffer.from(
            await cc.evaluate(fn, { arguments: [id], endorsingOrganizations: [o.mspId] }),
          ).toString(),
        );
      const sha = (v: unknown): string => createHash('sha256').update(canonical(v)).digest('hex');
      const window = 20_000; // cents either side of the true value: the truth is inside the search space
      for (const f of Object.values(fixtures)) {
        const rec = await read('GetExport', f.id);
        const priv = await read('GetTradeTerms', f.id);
        for (const s of [
          priv.terms?.salt,
          priv.terms?.valueSalt,
          priv.fxApplication?.salt,
          priv.proceeds?.salt,
        ])
          if (s !== undefined) salts.push(s);
        // The attacker knows the public record (ids, quantity, references) and guesses the amount.
        const targets = [rec.valueCommitmentHash, rec.fx?.applicationHash, rec.payment?.proceedsHash].filter(
          Boolean,
        );
        const truth = Math.round(VALUE * 100);
        let found = 0;
        for (let cents = truth - window; cents <= truth + window; cents++) {
          const usd = cents / 100;
          const guesses = [
            { contractValueCents: cents },
            { contractValueCents: cents, salt: '' },
            {
              amountCents: cents,
              amountUsd: usd,
              docType: 'fxApplication',
              evidenceReference: `LC-${f.key}-${RUN}`,
              exportId: f.id,
              paymentMethod: 'LC',
            },
            {
              amountCents: cents,
              amountUsd: usd,
              docType: 'proceeds',
              exportId: f.id,
              paymentReference: `SWIFT-${f.key}-${RUN}`,
            },
          ];
          for (const g of guesses) if (targets.includes(sha(g))) found++;
        }
        assert.equal(found, 0, `${f.key}: a commitment was recovered by guessing`);
        // Positive control: the same search does find an unsalted commitment of the true value.
        const control = sha({
          amountCents: truth,
          amountUsd: VALUE,
          docType: 'proceeds',
          exportId: f.id,
          paymentReference: `SWIFT-${f.key}-${RUN}`,
        });
        let controlFound = false;
        for (let cents = truth - window; cents <= truth + window && !controlFound; cents++)
          controlFound =
            sha({
              amountCents: cents,
              amountUsd: cents / 100,
              docType: 'proceeds',
              exportId: f.id,
              paymentReference: `SWIFT-${f.key}-${RUN}`,
            }) === control;
        assert.ok(controlFound, 'the search recovers an unsalted value (so a miss above means something)');
      }
    } finally {
      conn.close();
    }
    assert.ok(salts.length >= 4 * 2 + 2, `salts read back: ${salts.length}`);
    for (const s of salts) assert.ok(s.length >= 22, `salt of ${s.length} characters (≥ 128 bits)`);
    assert.equal(new Set(salts).size, salts.length, 'every commitment has its own salt');
  });

  it('the public verification holds no CID, private value or user name; it is rate-limited', async () => {
    const f = fixtures.done!;
    const r = await http(org('ecx'), 'GET', `/api/v1/verify/${f.id}`);
    expectStatus(r, 200, 'verify');
    const text = JSON.stringify(r.body);
    // Numbers are checked as values (a timestamp like 07.251Z must not count as the price 7.25).
    const numbers: number[] = [];
    JSON.stringify(r.body, (_k, v: unknown) => {
      if (typeof v === 'number') numbers.push(v);
      return v;
    });
    for (const secret of [VALUE, PRICE, VALUE * 100])
      assert.ok(!numbers.includes(secret), `a value ${secret}`);
    const forbidden = [
      '"cid"',
      'txId',
      'userId',
      `Rotterdam Roasters ${RUN}`,
      f.contractNumber,
      ...Object.values(f.docs).map((d) => d.cid),
      ...people.map((p) => p.session.username),
    ];
    for (const s of forbidden) assert.ok(!text.includes(s), `the public answer contains ${s}`);
    assert.equal(r.body.status, 'COMPLETED');
    for (const [type, d] of Object.entries(f.docs))
      assert.ok(
        r.body.documents.some((x: any) => x.type === type && x.sha256 === d.sha256),
        `${type} hash listed`,
      );
    // The limiter answers 429 with Retry-After once a client asks too often (default 60 a minute).
    let limited: any;
    for (let i = 0; i < 80 && !limited; i++) {
      const x = await http(org('ecta'), 'GET', `/api/v1/verify/${f.id}`);
      if (x.status === 429) limited = x;
    }
    assert.ok(limited, 'rate-limited');
    assert.ok(limited.headers.get('retry-after') || limited.headers.get('ratelimit'), 'says when to retry');
  });

  it('an HTML file is refused at upload whatever it claims to be; downloads are attachments', async () => {
    const ex = by('exporterA').session;
    const html = '<!doctype html><html><body><script>alert(document.cookie)</script></body></html>';
    for (const mediaType of ['text/html', 'application/pdf', 'text/plain', 'image/png']) {
      const form = new FormData();
      form.set('type', 'SALES_CONTRACT');
      form.set('file', new Blob([html], { type: mediaType }), 'x.html');
      const r = await http(ex.org, 'POST', '/api/v1/documents', { token: ex.token, form });
      expectStatus(r, 415, `HTML uploaded as ${mediaType}`);
    }
    const d = fixtures.own!.docs.SALES_CONTRACT!;
    const r = await http(ex.org, 'GET', `/api/v1/documents/${d.cid}?exportId=${fixtures.own!.id}`, {
      token: ex.token,
    });
    expectStatus(r, 200, 'download');
    assert.match(String(r.headers.get('content-disposition')), /^attachment/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.match(String(r.headers.get('content-security-policy')), /sandbox/);
  });

  it('key rotation while the gateways run: old documents still open, new ones are wrapped for the new key', async () => {
    const { rotateDocumentKey } = await import('../src/cli/rotate-document-key.ts');
    const rotated = await rotateDocumentKey(gatewayConfig(org('ecta')), true);
    assert.notEqual(rotated.previous, rotated.current);
    const ecta = by('ecta_officer').session;
    const old = fixtures.own!.docs.SALES_CONTRACT!;
    expectStatus(
      await http(ecta.org, 'GET', `/api/v1/documents/${old.cid}?exportId=${fixtures.own!.id}`, {
        token: ecta.token,
      }),
      200,
      'a document wrapped for the previous key still opens',
    );
    // Uploaders re-read the published keys within 10 s.
    await new Promise((r) => setTimeout(r, 11_000));
    const fresh = await walk(by('exporterA'), 'early', 'SUBMITTED');
    const doc = fresh.docs.SALES_CONTRACT!;
    const raw = Buffer.from(
      await (
        await fetch(`${ipfsApiUrl(org('commercial-bank'))}/api/v0/cat?arg=${doc.cid}`, { method: 'POST' })
      ).arrayBuffer(),
    );
    const header = JSON.parse(raw.subarray(11, 11 + raw.readUInt32BE(7)).toString());
    assert.equal(header.recipients.find((r: any) => r.mspId === 'ECTAMSP')?.kid, rotated.current);
    await waitStatus(ecta, fresh.id, ['SUBMITTED']);
    const r = await http(ecta.org, 'GET', `/api/v1/documents/${doc.cid}?exportId=${fresh.id}`, {
      token: ecta.token,
    });
    expectStatus(r, 200, 'the running ECTA gateway opens a document wrapped for its new key');
    assert.ok(r.bytes.toString().includes(doc.marker));
  });

  it('no request in this run was answered 500', () => {
    assert.equal(statuses.filter((s) => s >= 500).length, 0);
  });
});

/** The private group a trade-terms answer's key belongs to (`terms` holds the tradeTerms group). */
function groupOf(key: string): (typeof P.PRIVATE_GROUPS)[number] {
  return (key === 'terms' ? 'tradeTerms' : key) as (typeof P.PRIVATE_GROUPS)[number];
}

/** The chaincode's serializer: JSON with keys sorted at every level (the bytes its hashes cover). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as any)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as any)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}
