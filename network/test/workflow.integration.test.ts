/**
 * The ledger enforces the workflow (issue #3), on the real network: every step is submitted by a distinct real
 * user enrolled at its org's Fabric CA with a `role` attribute and registered on-chain.
 *   (a) one export SUBMITTED → COMPLETED, read as each org may   (g) suspended user, unlicensed exporter refused
 *   (b) amendment loop at each review step; documents frozen     (h) DEFAULTED after the (short) ship-by date
 *   (c) every role refused on transitions not theirs              (i) deadlines change only by both regulators
 *   (d) forgery: endorsed without the orgs it needs fails         (j) delinquency per overdue export
 *   (e) only the entitled read private data                       (k) customs checks the value without a salt
 *   (f) below-minimum contract refused                            (l) another exporter learns nothing
 * Expected refusals of need-to-know are computed from the chaincode's one access policy (model/policy.ts).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Contract } from '@hyperledger/fabric-gateway';
import { ensureBinaries, type Binaries } from '../src/binaries.ts';
import {
  connectOrg,
  identityCredentials,
  submitWithRetry,
  waitForBlock,
  type OrgConnection,
} from '../src/gateway.ts';
import { createUser, orgAdmin, type EnrolledIdentity } from '../src/identities.ts';
import { down, up } from '../src/network.ts';
import { CHANNEL, PEER_ORGS, findOrg } from '../src/orgs.ts';
import { endorsersNeedStatus, exportEndorsers } from '@coffee/consortium';
import {
  PRIVATE_GROUPS,
  canReadPrivate,
  canSeeExport,
  type ExportFacts,
  type Viewer,
} from '@coffee/consortium';

type Json = Record<string, unknown>;

const RUN = Date.now().toString(36);
const QUANTITY = 19_200;
const PRICE = 5.25;
const VALUE = 100_800; // PRICE × QUANTITY
const ENDORSEMENT_POLICY_FAILURE = 10;
const DAY = 86_400_000;
const DAY_SECONDS = 86_400;
/** The deadlines as deployed (workflow.md: 90 days each); every test that shortens one restores these. */
const DEFAULT_WINDOWS = {
  shipByWindowSeconds: 90 * DAY_SECONDS,
  repatriationWindowSeconds: 90 * DAY_SECONDS,
};
/**
 * A transaction that carries private input (transient map) names its endorsers: the peers its key-level policy
 * needs, all members of the collection, so the private values reach no other org's peer (Fabric's gateway
 * would otherwise refuse to pick endorsers for it). tradeTerms: CommercialBank, NationalBank, ECTA.
 */
const MEMBERS = ['CommercialBankMSP', 'ECTAMSP'];
/** customsValue members among the peers of a SHIPMENT_BOOKED record's key-level policy. */
const CUSTOMS_VALUE_ENDORSERS = ['CustomsMSP', 'ECTAMSP'];

interface Actor {
  readonly who: string;
  readonly identity: EnrolledIdentity;
  readonly conn: OrgConnection;
  /** What policy.ts decides from: the certificate's MSP and role, and the exporter an exporter user acts for. */
  readonly viewer: Viewer;
  /** Has an on-chain user record (the bootstrap org admin has none). */
  readonly registered: boolean;
}

const actors: Actor[] = [];
/** The newest block any of this test's transactions committed in. */
let lastBlock = 0n;
let bins: Binaries;
/**
 * Who reads an export's state for the test's own bookkeeping: the CommercialBank's bank officer sees every export
 * from its creation on (policy.ts VISIBLE_FROM), with every field group.
 */
let observer: Actor;

function connect(
  orgId: string,
  identity: EnrolledIdentity,
  who: string,
  viewer: Viewer,
  registered: boolean,
): Actor {
  const org = findOrg(orgId);
  const a = { who, identity, conn: connectOrg(org, identityCredentials(identity)), viewer, registered };
  actors.push(a);
  return a;
}

async function actor(orgId: string, name: string, role: string, exporterId?: string): Promise<Actor> {
  const org = findOrg(orgId);
  const identity = await createUser(bins, org, { username: `${name}-${RUN}`, role, exporterId });
  return connect(
    orgId,
    identity,
    `${name} (${org.mspId} ${role})`,
    { mspId: org.mspId, role, exporterId },
    true,
  );
}

/** The org's bootstrap admin: a CA identity with role=admin and no on-chain user record. */
async function bootstrapAdmin(orgId: string): Promise<Actor> {
  const org = findOrg(orgId);
  const identity = await orgAdmin(bins, org);
  return connect(
    orgId,
    identity,
    `bootstrap admin (${org.mspId})`,
    { mspId: org.mspId, role: 'admin' },
    false,
  );
}

function contract(a: Actor, chaincode: string, name: string): Contract {
  return a.conn.gateway.getNetwork(CHANNEL).getContract(chaincode, name);
}

function split(fn: string): [string, string, string] {
  const [cc, rest] = fn.includes('/') ? (fn.split('/') as [string, string]) : ['coffee-export', fn];
  const [name, method] = rest.split(':') as [string, string];
  return [cc, name, method];
}

interface TxOptions {
  transient?: Record<string, Json>;
  endorsingOrganizations?: string[];
}

/** Waits until each of these orgs' peers has committed every transaction of this test so far. */
async function caughtUp(a: Actor, mspIds: readonly string[]): Promise<void> {
  await Promise.all([...new Set(mspIds)].map((msp) => waitForBlock(a.conn.gateway, msp, lastBlock)));
}

/**
 * Submits `[chaincode/]contract:Function` with one JSON argument; resolves the result and the tx id. An export
 * transaction names its endorsers (exportEndorsers): a transition those of the record's key-level policy, a
 * creation the CommercialBank and ECTA (CREATE_ENDORSERS, both tradeTerms members), a tracking event those of the
 * tracking log. One left to discovery may be endorsed by any org's peer, so every org's peer must have caught up
 * first.
 */
async function submit(
  a: Actor,
  fn: string,
  input: Json,
  opts: TxOptions = {},
): Promise<{ result: Json; txId: string }> {
  const [cc, name, method] = split(fn);
  let endorsers = opts.endorsingOrganizations;
  if (cc === 'coffee-export' && name === 'export' && endorsers === undefined) {
    if (endorsersNeedStatus(method)) {
      const current = await findExport(input.exportId as string);
      if (current) endorsers = exportEndorsers(current.status as string, method);
    } else {
      endorsers = exportEndorsers('', method);
    }
  }
  // Endorsers simulate on their own state: it must hold every earlier step of this test.
  await caughtUp(a, [a.identity.mspId, ...(endorsers ?? PEER_ORGS.map((o) => o.mspId))]);
  const transientData = opts.transient
    ? Object.fromEntries(Object.entries(opts.transient).map(([k, v]) => [k, JSON.stringify(v)]))
    : undefined;
  const commit = await submitWithRetry(contract(a, cc, name), method, {
    arguments: [JSON.stringify(input)],
    transientData,
    endorsingOrganizations: endorsers,
  });
  const status = await commit.getStatus();
  if (status.blockNumber > lastBlock) lastBlock = status.blockNumber;
  if (!status.successful) {
    throw Object.assign(
      new Error(`${fn} by ${a.who}: transaction ${status.transactionId} invalid, code ${status.code}`),
      { validationCode: status.code },
    );
  }
  const text = Buffer.from(commit.getResult()).toString();
  return { result: text ? (JSON.parse(text) as Json) : {}, txId: status.transactionId };
}

/** Evaluates on the caller's own peer (or the named orgs' peers) once they hold every step of this test. */
async function query(a: Actor, fn: string, arg?: string, endorsingOrganizations?: string[]): Promise<Json> {
  const [cc, name, method] = split(fn);
  await caughtUp(a, [a.identity.mspId, ...(endorsingOrganizations ?? [])]);
  const bytes = await contract(a, cc, name).evaluate(method, {
    arguments: arg === undefined ? [] : [arg],
    endorsingOrganizations,
  });
  return JSON.parse(Buffer.from(bytes).toString()) as Json;
}

/** The chaincode error code a failed call carries (EndorseError details hold the peers' messages). */
function errorText(e: unknown): string {
  const err = e as { message?: string; details?: { message?: string }[] };
  return [err.message ?? '', ...(err.details ?? []).map((d) => d.message ?? '')].join(' | ');
}

async function refused(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.match(errorText(e), new RegExp(`\\b${code}\\b`), `expected ${code}, got: ${errorText(e)}`);
    return true;
  });
}

/** The export as the observer sees it (everything), or undefined if it does not exist. */
async function findExport(exportId: string): Promise<Json | undefined> {
  return query(observer, 'export:GetExport', exportId).catch((e: unknown) => {
    if (errorText(e).includes('EXPORT_NOT_FOUND')) return undefined;
    throw e;
  });
}

async function status(exportId: string, a: Actor = observer): Promise<string> {
  return (await query(a, 'export:GetExport', exportId)).status as string;
}

/** The facts policy.ts decides visibility from, as the ledger holds them now. */
async function factsOf(exportId: string): Promise<ExportFacts> {
  const record = await query(observer, 'export:GetExport', exportId);
  return { exporterId: record.exporterId as string, reached: record.reached as string };
}

/** Every scalar in a JSON value (to look for a private value anywhere in what a caller was shown). */
function leaves(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.flatMap(leaves);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(leaves);
  return [value];
}

async function sleepUntil(epochMs: number): Promise<void> {
  const wait = epochMs - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** A real CIDv0 (base58 of the sha2-256 multihash) for the given bytes. */
function cidV0(digest: Buffer): string {
  let n = BigInt(`0x${Buffer.concat([Buffer.from([0x12, 0x20]), digest]).toString('hex')}`);
  let out = '';
  while (n > 0n) {
    out = BASE58[Number(n % 58n)] + out;
    n /= 58n;
  }
  return out;
}

function doc(type: string, extra: Json = {}): Json {
  const bytes = Buffer.from(`%PDF-1.4 ${type} ${RUN} ${randomBytes(8).toString('hex')}`);
  const digest = createHash('sha256').update(bytes).digest();
  return {
    type,
    cid: cidV0(digest),
    sha256: digest.toString('hex'),
    sizeBytes: bytes.length,
    mediaType: 'application/pdf',
    ...extra,
  };
}

function iso(offsetMs: number): string {
  return new Date(Date.now() + offsetMs).toISOString();
}

/** A fresh salt of 192 bits for one commitment (workflow.md: every commitment has its own). */
function salt(): string {
  return randomBytes(24).toString('base64url');
}

function contractFor(grade = 'G2', region = 'SIDAMA', quantityKg = QUANTITY): Json {
  return {
    contractNumber: `SC-${RUN}-${randomBytes(3).toString('hex')}`,
    buyerName: 'Hamburg Coffee Importers GmbH',
    // Outside the EU: an EU-bound export needs an EUDR package before customs (eudr tests walk that path).
    destinationCountry: 'US',
    contractedGrade: grade,
    quantityKg,
    originRegion: region,
    incoterm: 'FOB',
  };
}

/** Transient `tradeTerms`: two salts of its own (the terms' hash and the separate value commitment). */
function tradeTerms(price = PRICE, quantity = QUANTITY): Json {
  return {
    unitPriceUsdPerKg: price,
    contractValueUsd: Math.round(price * quantity * 100) / 100,
    paymentMethod: 'LC',
    paymentTerms: 'Irrevocable LC at sight',
    salt: salt(),
    valueSalt: salt(),
  };
}

/** Transient `fxApplication`, with its own salt. */
function fxApplication(id: string): Json {
  return { paymentMethod: 'LC', evidenceReference: `LC-${id}`, amountUsd: VALUE, salt: salt() };
}

/** The org and role a transition permits (chaincode contracts/export.ts), for computing expected refusals. */
interface Permission {
  readonly msp: string;
  readonly role: string;
}

/**
 * What a transition on an existing export answers a caller who is not the one it is meant for, in the order the
 * chaincode checks: who calls (on-chain record), may it know the export exists (policy.ts canSeeExport: else it
 * is told the export does not exist), its org, its role, and last the export's state.
 */
function expectedRefusal(a: Actor, facts: ExportFacts, allowed: Permission): string {
  if (!a.registered) return 'USER_NOT_REGISTERED';
  if (!canSeeExport(a.viewer, facts)) return 'EXPORT_NOT_FOUND';
  if (a.viewer.mspId !== allowed.msp) return 'FORBIDDEN_ORG';
  if (a.viewer.role !== allowed.role) return 'FORBIDDEN_ROLE';
  return 'INVALID_TRANSITION';
}

/** GetTradeTerms' response key of each private group (policy.ts PRIVATE_GROUPS). */
const PRIVATE_KEYS = {
  tradeTerms: 'terms',
  fxApplication: 'fxApplication',
  proceeds: 'proceeds',
  customsValue: 'customsValue',
} as const;

/**
 * What GetTradeTerms answers a caller by policy.ts: EXPORT_NOT_FOUND if it may not see the export, FORBIDDEN_ORG
 * if it reads none of the private groups, else the response keys of the groups it reads (of those `present`).
 */
function tradeTermsAnswer(a: Actor, facts: ExportFacts, present: readonly string[]): string | string[] {
  if (!canSeeExport(a.viewer, facts)) return 'EXPORT_NOT_FOUND';
  const groups = PRIVATE_GROUPS.filter((g) => canReadPrivate(a.viewer, facts, g));
  if (groups.length === 0) return 'FORBIDDEN_ORG';
  return groups.map((g) => PRIVATE_KEYS[g]).filter((k) => present.includes(k));
}

describe(
  'the ledger enforces the export workflow (real network, real users)',
  { timeout: 15 * 60_000 },
  () => {
    let exporter: Actor;
    let exporter2: Actor;
    let bank: Actor;
    let bank2: Actor;
    let fx: Actor;
    let ecta: Actor;
    let ectaAuditor: Actor;
    let grader: Actor;
    let shipping: Actor;
    let customs: Actor;
    let cbAdmin: Actor;
    let cbAdminRegistered: Actor;
    let seq = 0;
    const exporterId = `EXP-${RUN}`;
    const exporter2Id = `EXP2-${RUN}`;
    const newId = (): string => `EX-${RUN}-${++seq}`;

    /**
     * Step 1, one transaction: the contract, both documents and the private terms; the export is SUBMITTED at
     * once. submit() names the endorsers of a creation (CommercialBank and ECTA, both tradeTerms members).
     */
    async function create(
      id: string,
      c: Json = contractFor(),
      terms: Json = tradeTerms(),
      who = exporter,
      opts: TxOptions = {},
    ): Promise<string> {
      const { txId } = await submit(
        who,
        'export:CreateExport',
        { exportId: id, contract: c, documents: [doc('SALES_CONTRACT'), doc('PROFORMA_INVOICE')] },
        { transient: { tradeTerms: terms }, ...opts },
      );
      return txId;
    }

    const steps = {
      register: (id: string) =>
        submit(ecta, 'export:RegisterContract', { exportId: id, registrationNumber: `ECTA-${id}` }),
      certify: (id: string) =>
        submit(grader, 'export:CertifyQuality', {
          exportId: id,
          lotNumber: `LOT-${id}`,
          warehouseReceiptNumber: `WR-${id}`,
          certifiedGrade: 'G2',
          cupScore: 86.5,
          moisturePercent: 11.2,
          defectsPer300g: 3,
          certifiedQuantityKg: QUANTITY,
          documents: [doc('QUALITY_CERTIFICATE')],
        }),
      submitFx: (id: string, application: Json = fxApplication(id)) =>
        submit(
          bank,
          'export:SubmitFxApplication',
          { exportId: id, documents: [doc('LC_OR_ADVANCE_ADVICE')] },
          { transient: { fxApplication: application }, endorsingOrganizations: MEMBERS },
        ),
      approveFx: async (id: string): Promise<string> => {
        await submit(fx, 'export:ApproveFx', { exportId: id });
        const record = await query(fx, 'export:GetExport', id);
        return (record.permit as Json).permitNumber as string;
      },
      book: (id: string) =>
        submit(shipping, 'export:BookShipment', {
          exportId: id,
          bookingNumber: `BK-${id}`,
          vesselName: 'MV Blue Nile',
          voyageNumber: 'V042',
          containerNumbers: ['MSCU1234567'],
          portOfLoading: 'DJJIB',
          portOfDischarge: 'USNYC',
          etd: iso(10 * DAY),
          documents: [doc('BOOKING_CONFIRMATION')],
        }),
      attachShippingDocs: (id: string) =>
        submit(exporter, 'export:AttachDocuments', {
          exportId: id,
          documents: [
            doc('COMMERCIAL_INVOICE', { quantityKg: QUANTITY, grade: 'G2' }),
            doc('PACKING_LIST', { quantityKg: QUANTITY }),
            doc('CERTIFICATE_OF_ORIGIN'),
            doc('PHYTOSANITARY_CERTIFICATE'),
          ],
        }),
      // Customs declares the value only: its peer (a customsValue member) reads the registered value itself, so
      // there is no salt to hand over. Endorsed by customsValue members only (Customs and ECTA).
      clear: (
        id: string,
        permitNumber: string,
        lane = 'GREEN',
        customsValue: Json = { declaredValueUsd: VALUE },
      ) =>
        submit(
          customs,
          'export:ClearCustoms',
          {
            exportId: id,
            declarationNumber: `EXD-${id}`,
            permitNumber,
            declaredQuantityKg: QUANTITY,
            declaredGrade: 'G2',
            riskLane: lane,
            documents: [doc('EXPORT_DECLARATION', { quantityKg: QUANTITY, grade: 'G2' })],
          },
          { transient: { customsValue }, endorsingOrganizations: CUSTOMS_VALUE_ENDORSERS },
        ),
      ship: (id: string) =>
        submit(shipping, 'export:MarkShipped', {
          exportId: id,
          billOfLadingNumber: `BL-${id}`,
          onBoardDate: iso(0),
          documents: [doc('BILL_OF_LADING')],
        }),
      pay: (id: string) =>
        submit(
          bank,
          'export:RecordPayment',
          { exportId: id, paymentReference: `PAY-${id}`, documents: [doc('PAYMENT_ADVICE')] },
          {
            transient: { paymentProceeds: { amountUsd: VALUE, salt: salt() } },
            endorsingOrganizations: MEMBERS,
          },
        ),
      repatriate: (id: string) => submit(fx, 'export:ConfirmRepatriation', { exportId: id }),
    };

    const MAIN_PATH = [
      'SUBMITTED',
      'CONTRACT_REGISTERED',
      'QUALITY_CERTIFIED',
      'FX_SUBMITTED',
      'FX_APPROVED',
      'SHIPMENT_BOOKED',
      'CUSTOMS_CLEARED',
      'SHIPPED',
    ] as const;

    /**
     * A new export of `exporter`, walked by the happy path until `until` (SHIPMENT_BOOKED includes the exporter's
     * shipping documents); resolves the FX permit number once there is one.
     */
    async function walk(
      id: string,
      until: (typeof MAIN_PATH)[number],
      terms: Json = tradeTerms(),
    ): Promise<string | undefined> {
      const n = MAIN_PATH.indexOf(until);
      let permit: string | undefined;
      await create(id, contractFor(), terms);
      if (n >= 1) await steps.register(id);
      if (n >= 2) await steps.certify(id);
      if (n >= 3) await steps.submitFx(id);
      if (n >= 4) permit = await steps.approveFx(id);
      if (n >= 5) {
        await steps.book(id);
        await steps.attachShippingDocs(id);
      }
      if (n >= 6) await steps.clear(id, permit ?? '');
      if (n >= 7) await steps.ship(id);
      return permit;
    }

    /** Changes the deadlines the only way there is: one regulator proposes, the other approves. */
    async function configure(windows: Json, proposer = ecta, approver = fx): Promise<Json> {
      const { result: proposal } = await submit(proposer, 'config:ProposeWorkflowConfig', windows);
      const { result } = await submit(approver, 'config:ApproveWorkflowConfig', {
        version: proposal.version,
      });
      return result;
    }

    before(async () => {
      bins = await ensureBinaries();
      await up();
      ecta = await actor('ecta', 'ecta-officer', 'ecta_officer');
      await submit(ecta, 'user-management/exporters:RegisterExporter', {
        exporterId,
        legalName: 'Yirga Coffee Exporters PLC',
        tin: '0012345678',
        licenceNumber: `LIC-${RUN}`,
        licenceValidUntil: iso(365 * DAY),
      });
      await submit(ecta, 'user-management/exporters:RegisterExporter', {
        exporterId: exporter2Id,
        legalName: 'Suspended Beans PLC',
        tin: '0087654321',
        licenceNumber: `LIC2-${RUN}`,
        licenceValidUntil: iso(365 * DAY),
      });
      await submit(ecta, 'minprice:PublishMinimumPrice', {
        grade: 'G2',
        originRegion: 'SIDAMA',
        usdPerKg: 4.0,
        effectiveFrom: iso(-DAY),
      });
      [
        exporter,
        exporter2,
        bank,
        bank2,
        fx,
        ectaAuditor,
        grader,
        shipping,
        customs,
        cbAdminRegistered,
        cbAdmin,
      ] = await Promise.all([
        actor('commercial-bank', 'exporter', 'exporter', exporterId),
        actor('commercial-bank', 'exporter2', 'exporter', exporter2Id),
        actor('commercial-bank', 'bank-officer', 'bank_officer'),
        actor('commercial-bank', 'bank-officer2', 'bank_officer'),
        actor('national-bank', 'fx-officer', 'fx_officer'),
        actor('ecta', 'ecta-auditor', 'auditor'),
        actor('ecx', 'grader', 'grader'),
        actor('shipping-line', 'shipping-agent', 'shipping_agent'),
        actor('customs', 'customs-officer', 'customs_officer'),
        actor('commercial-bank', 'cb-admin', 'admin'),
        bootstrapAdmin('commercial-bank'),
      ]);
      observer = bank;
      // A network reused from an interrupted run may still have shortened deadlines.
      const current = (await query(ecta, 'config:GetWorkflowConfig')).current as Json;
      if (
        current.shipByWindowSeconds !== DEFAULT_WINDOWS.shipByWindowSeconds ||
        current.repatriationWindowSeconds !== DEFAULT_WINDOWS.repatriationWindowSeconds
      ) {
        await configure(DEFAULT_WINDOWS);
      }
    });

    after(async () => {
      for (const a of actors) a.conn.close();
      await down();
    });

    it('(a) walks one export from SUBMITTED to COMPLETED, each step by its own org and role', async () => {
      // Written out by hand: a creation is endorsed by the exporter's bank and ECTA (tradeTerms members both).
      assert.deepEqual(exportEndorsers('', 'CreateExport'), ['CommercialBankMSP', 'ECTAMSP']);
      const id = newId();
      await create(id);
      assert.equal(await status(id, ecta), 'SUBMITTED', 'created SUBMITTED in one transaction');
      await steps.register(id);
      await steps.certify(id);
      await steps.submitFx(id);
      const permit = await steps.approveFx(id);
      assert.match(permit, /^FXP-/);
      await steps.book(id);
      await steps.attachShippingDocs(id);
      await steps.clear(id, permit);
      assert.equal(await status(id, customs), 'CUSTOMS_CLEARED');
      await steps.ship(id);
      await submit(shipping, 'export:AddTrackingEvent', {
        exportId: id,
        location: 'Port of Djibouti',
        status: 'DEPARTED',
        eventTime: iso(0),
      });
      await steps.pay(id);
      await steps.repatriate(id);
      const record = await query(customs, 'export:GetExport', id);
      assert.equal(record.status, 'COMPLETED');
      assert.equal(
        (record.permit as Json).status,
        'CONSUMED',
        'the single-use permit was consumed at clearance',
      );
      assert.equal((record.tracking as Json[]).length, 1);
      const mainLine = [
        'SUBMITTED',
        'CONTRACT_REGISTERED',
        'QUALITY_CERTIFIED',
        'FX_SUBMITTED',
        'FX_APPROVED',
        'SHIPMENT_BOOKED',
        'CUSTOMS_CLEARED',
        'SHIPPED',
        'PAYMENT_RECEIVED',
        'COMPLETED',
      ];
      const history = await query(customs, 'export:GetExportHistory', id);
      const statuses = (history.entries as Json[]).map((e) => (e.record as Json).status).reverse();
      assert.deepEqual([...new Set(statuses)], mainLine);
      // Each org reads the field groups and documents of its audience (policy.ts), no more.
      assert.equal(record.payment, undefined, 'customs does not read the payment');
      const documents = (r: Json, type: string): Json[] =>
        (r.documents as Json[]).filter((d) => d.type === type);
      const [advice] = documents(record, 'PAYMENT_ADVICE');
      assert.ok(
        advice && advice.restricted === true && advice.cid === undefined,
        'no CID outside the audience',
      );
      assert.ok(documents(record, 'SALES_CONTRACT')[0]?.cid, 'customs reads the sales contract');
      const shippingView = await query(shipping, 'export:GetExport', id);
      for (const hidden of ['fx', 'permit', 'termsHash', 'payment']) {
        assert.equal(shippingView[hidden], undefined, `the shipping line does not read ${hidden}`);
      }
      assert.ok((await query(ecta, 'export:GetExport', id)).payment, 'ECTA reads the payment');
      // The public proof: any identity of the channel (even one with no user record), no CIDs, no values.
      const pub = await query(cbAdmin, 'export:GetPublicView', id);
      assert.deepEqual(Object.keys(pub).sort(), ['documents', 'exportId', 'status', 'steps']);
      assert.equal(pub.status, 'COMPLETED');
      assert.deepEqual(
        (pub.steps as Json[]).map((s) => s.status),
        mainLine,
      );
      for (const d of pub.documents as Json[]) {
        assert.deepEqual(Object.keys(d).sort(), [
          'mediaType',
          'sha256',
          'sizeBytes',
          'type',
          'uploadedAt',
          'version',
        ]);
      }
      // The permit cannot be used twice.
      const id2 = newId();
      await walk(id2, 'SHIPMENT_BOOKED');
      await refused(steps.clear(id2, permit), 'PERMIT_CONSUMED');
      assert.equal(await status(id2), 'SHIPMENT_BOOKED');
    });

    it('(b) an amendment at each review step (2, 3, 5, 7) returns to that same step; documents freeze from customs on', async () => {
      const id = newId();
      await create(id);
      const amend = async (
        reviewer: Actor,
        expectedBack: string,
        author: Actor,
        input: Json,
        transient?: Record<string, Json>,
      ): Promise<void> => {
        await submit(reviewer, 'export:RequestAmendment', {
          exportId: id,
          reasonCode: 'MORE_DETAIL',
          reason: 'please correct the document',
        });
        assert.equal(await status(id, ecta), 'AMENDMENT_REQUESTED');
        await submit(
          author,
          'export:SubmitAmendment',
          { exportId: id, ...input },
          transient ? { transient, endorsingOrganizations: MEMBERS } : {},
        );
        assert.equal(await status(id, ecta), expectedBack, `back at ${expectedBack}`);
      };
      await amend(ecta, 'SUBMITTED', exporter, { documents: [doc('SALES_CONTRACT')] });
      await steps.register(id);
      await amend(grader, 'CONTRACT_REGISTERED', exporter, { documents: [doc('PROFORMA_INVOICE')] });
      await steps.certify(id);
      await steps.submitFx(id);
      // The amended application is a new commitment: it gets a new salt.
      await amend(
        fx,
        'FX_SUBMITTED',
        bank,
        { documents: [doc('LC_OR_ADVANCE_ADVICE')] },
        { fxApplication: { ...fxApplication(id), evidenceReference: `LC2-${id}` } },
      );
      const permit = await steps.approveFx(id);
      await steps.book(id);
      await steps.attachShippingDocs(id);
      await amend(customs, 'SHIPMENT_BOOKED', exporter, {
        documents: [doc('COMMERCIAL_INVOICE', { quantityKg: QUANTITY, grade: 'G2' })],
      });
      await steps.clear(id, permit, 'YELLOW');
      assert.equal(await status(id, customs), 'UNDER_INSPECTION');
      // From customs on, documents change only through a customs-requested amendment.
      await refused(steps.attachShippingDocs(id), 'INVALID_TRANSITION');
      await submit(customs, 'export:CompleteInspection', {
        exportId: id,
        findings: 'Sampled 3 bags; consistent with declaration',
      });
      assert.equal(await status(id, customs), 'CUSTOMS_CLEARED');
      await refused(steps.attachShippingDocs(id), 'INVALID_TRANSITION');
      const record = await query(ecta, 'export:GetExport', id);
      const salesContracts = (record.documents as Json[]).filter((d) => d.type === 'SALES_CONTRACT');
      assert.deepEqual(
        salesContracts.map((d) => d.version),
        [1, 2],
        'the earlier version is kept',
      );
      assert.equal(
        (record.documents as Json[]).filter((d) => d.type === 'COMMERCIAL_INVOICE').length,
        2,
        'no invoice attached while frozen',
      );
    });

    it('(c) every role is refused on a transition that is not theirs (as policy.ts says), and nothing changes', async () => {
      const id = newId();
      await create(id);
      // Every kind of caller: the owner's exporter, another company's exporter, staff of each org, an auditor,
      // a registered org admin (reads no exports) and the bootstrap admin (no on-chain user record).
      const everyone = (): Actor[] => [
        exporter,
        exporter2,
        bank,
        fx,
        ecta,
        ectaAuditor,
        grader,
        shipping,
        customs,
        cbAdminRegistered,
        cbAdmin,
      ];
      // owner: the one actor for whom the call would succeed in that state (none for a wrong-state call).
      const table: {
        state: string;
        fn: string;
        input: Json;
        allowed: Permission;
        owner?: Actor;
        advance: () => Promise<unknown>;
      }[] = [
        {
          state: 'SUBMITTED',
          fn: 'export:RegisterContract',
          input: { exportId: id, registrationNumber: `X-${id}` },
          allowed: { msp: 'ECTAMSP', role: 'ecta_officer' },
          owner: ecta,
          advance: () => steps.register(id),
        },
        {
          state: 'CONTRACT_REGISTERED',
          fn: 'export:CertifyQuality',
          input: {
            exportId: id,
            lotNumber: 'L',
            warehouseReceiptNumber: 'W',
            certifiedGrade: 'G2',
            cupScore: 85,
            moisturePercent: 11,
            defectsPer300g: 2,
            certifiedQuantityKg: QUANTITY,
            documents: [doc('QUALITY_CERTIFICATE')],
          },
          allowed: { msp: 'ECXMSP', role: 'grader' },
          owner: grader,
          advance: () => steps.certify(id),
        },
        {
          state: 'QUALITY_CERTIFIED',
          fn: 'export:ApproveFx',
          input: { exportId: id },
          allowed: { msp: 'NationalBankMSP', role: 'fx_officer' },
          advance: () => steps.submitFx(id),
        },
        {
          state: 'FX_SUBMITTED',
          fn: 'export:ApproveFx',
          input: { exportId: id },
          allowed: { msp: 'NationalBankMSP', role: 'fx_officer' },
          owner: fx,
          advance: () => steps.approveFx(id),
        },
        {
          state: 'FX_APPROVED',
          fn: 'export:MarkShipped',
          input: {
            exportId: id,
            billOfLadingNumber: 'B',
            onBoardDate: iso(0),
            documents: [doc('BILL_OF_LADING')],
          },
          allowed: { msp: 'ShippingLineMSP', role: 'shipping_agent' },
          advance: () => steps.book(id),
        },
      ];
      const seen = new Set<string>();
      for (const row of table) {
        assert.equal(await status(id), row.state);
        const facts = await factsOf(id);
        for (const a of everyone().filter((x) => x !== row.owner)) {
          const code = expectedRefusal(a, facts, row.allowed);
          seen.add(code);
          await assert.rejects(submit(a, row.fn, row.input), (e: unknown) => {
            assert.match(
              errorText(e),
              new RegExp(`\\b${code}\\b`),
              `${row.state} ${row.fn} by ${a.who}: expected ${code}, got: ${errorText(e)}`,
            );
            return true;
          });
        }
        assert.equal(await status(id), row.state, `${row.state}: unchanged after the refusals`);
        await row.advance();
      }
      assert.deepEqual(
        [...seen].sort(),
        ['EXPORT_NOT_FOUND', 'FORBIDDEN_ORG', 'FORBIDDEN_ROLE', 'INVALID_TRANSITION', 'USER_NOT_REGISTERED'],
        'the table exercises every kind of refusal',
      );
    });

    it('(d) a creation without ECTA, or a step endorsed only by a non-responsible org (or by the actor alone), fails ENDORSEMENT_POLICY_FAILURE', async () => {
      const id = newId();
      // New keys need ECTA's peer and one other org's (the chaincode-level policy): the exporter's bank alone, or
      // two tradeTerms members without ECTA (enough for the collections' own policies), make no export.
      for (const orgs of [['CommercialBankMSP'], ['CommercialBankMSP', 'NationalBankMSP']]) {
        await assert.rejects(
          create(id, contractFor(), tradeTerms(), exporter, { endorsingOrganizations: orgs }),
          (e: unknown) => {
            assert.equal(
              (e as { validationCode?: number }).validationCode,
              ENDORSEMENT_POLICY_FAILURE,
              errorText(e),
            );
            return true;
          },
        );
        assert.equal(await findExport(id), undefined, `created with ${orgs.join('+')}: no export`);
      }
      await create(id);
      await steps.register(id);
      const input = {
        exportId: id,
        lotNumber: `LOT-${id}`,
        warehouseReceiptNumber: `WR-${id}`,
        certifiedGrade: 'G2',
        cupScore: 88,
        moisturePercent: 11,
        defectsPer300g: 1,
        certifiedQuantityKg: QUANTITY,
        documents: [doc('QUALITY_CERTIFICATE')],
      };
      for (const orgs of [['ECXMSP'], ['ShippingLineMSP'], ['CustomsMSP', 'ShippingLineMSP']]) {
        await assert.rejects(
          submit(grader, 'export:CertifyQuality', input, { endorsingOrganizations: orgs }),
          (e: unknown) => {
            assert.equal(
              (e as { validationCode?: number }).validationCode,
              ENDORSEMENT_POLICY_FAILURE,
              errorText(e),
            );
            return true;
          },
        );
        assert.equal(
          await status(id),
          'CONTRACT_REGISTERED',
          `endorsed by ${orgs.join('+')}: state unchanged`,
        );
      }
      await steps.certify(id);
      assert.equal(await status(id), 'QUALITY_CERTIFIED', 'the properly endorsed step commits');
    });

    it('(e) private data reaches only its audience: no other caller reads it by any transaction', async () => {
      const id = newId();
      const terms = tradeTerms();
      const createTx = await create(id, contractFor(), terms);
      const salts = [terms.salt as string, terms.valueSalt as string];
      const privateNumbers = [PRICE, VALUE, VALUE * 100];
      // Asks each caller, on its own peer and on a tradeTerms member's peer, and checks the answer policy.ts gives.
      const check = async (callers: Actor[], present: string[]): Promise<void> => {
        const facts = await factsOf(id);
        for (const a of callers) {
          const expected = tradeTermsAnswer(a, facts, present);
          for (const peers of [undefined, ['ECTAMSP']]) {
            const answer = query(a, 'export:GetTradeTerms', id, peers);
            if (typeof expected === 'string') {
              await refused(answer, expected);
              continue;
            }
            const read = await answer;
            assert.deepEqual(
              Object.keys(read)
                .filter((k) => k !== 'exportId')
                .sort(),
              [...expected].sort(),
              `${a.who} at ${facts.reached}`,
            );
          }
        }
      };
      const outsiders = [customs, grader, shipping, fx];
      // While SUBMITTED, only the exporter's bank, the exporter and ECTA know the export at all.
      await check([...outsiders, exporter2], ['terms', 'customsValue']);
      const fxInput = fxApplication(id);
      salts.push(fxInput.salt as string);
      await steps.register(id);
      await steps.certify(id);
      const { txId: fxTx } = await steps.submitFx(id, fxInput);
      await steps.approveFx(id);
      await steps.book(id);
      // Now every org knows the export: customs reads only the registered value, ECX and the shipping line nothing.
      const present = ['terms', 'fxApplication', 'customsValue'];
      await check([...outsiders, ecta, bank, exporter, exporter2], present);
      const customsRead = await query(customs, 'export:GetTradeTerms', id);
      assert.equal((customsRead.customsValue as Json).contractValueCents, VALUE * 100);
      const ectaRead = await query(ecta, 'export:GetTradeTerms', id);
      assert.equal((ectaRead.terms as Json).unitPriceUsdPerKg, PRICE);
      assert.equal((ectaRead.fxApplication as Json).amountUsd, VALUE);
      const ownRead = await query(exporter, 'export:GetTradeTerms', id);
      assert.equal((ownRead.terms as Json).contractValueUsd, VALUE, 'the exporter reads its own terms');
      // Non-members of tradeTerms see no salt, price or value in the public record or its history.
      for (const outsider of [customs, grader, shipping]) {
        const shown = leaves([
          await query(outsider, 'export:GetExport', id),
          await query(outsider, 'export:GetExportHistory', id),
        ]);
        for (const s of salts) {
          assert.ok(!shown.some((v) => typeof v === 'string' && v.includes(s)), `${outsider.who}: no salt`);
        }
        for (const n of privateNumbers) {
          assert.ok(!shown.includes(n), `${outsider.who}: no price or value (${n})`);
        }
      }
      // The blocks themselves (what every org's peer stores) carry neither the terms nor the transient input.
      const qscc = customs.conn.gateway.getNetwork(CHANNEL).getContract('qscc');
      for (const tx of [createTx, fxTx]) {
        const block = Buffer.from(await qscc.evaluate('GetBlockByTxID', { arguments: [CHANNEL, tx] }));
        assert.ok(block.length > 0);
        for (const s of salts) assert.ok(!block.includes(Buffer.from(s)), 'no salt in the block');
        assert.ok(!block.includes(Buffer.from('contractValueUsd')), 'the terms are not in the block');
        assert.ok(
          !block.includes(Buffer.from('evidenceReference')),
          'the FX application is not in the block',
        );
      }
    });

    it('(f) a contract below the minimum price in force is refused BELOW_MINIMUM_PRICE', async () => {
      await submit(ecta, 'minprice:PublishMinimumPrice', {
        grade: 'G3',
        originRegion: 'GUJI',
        usdPerKg: 6.0,
        effectiveFrom: iso(-DAY),
      });
      const id = newId();
      await create(id, contractFor('G3', 'GUJI'), tradeTerms(5.0));
      await refused(steps.register(id), 'BELOW_MINIMUM_PRICE');
      assert.equal(await status(id), 'SUBMITTED');
    });

    it('(g) a suspended user and an unlicensed exporter are refused', async () => {
      const id = newId();
      await create(id);
      await submit(cbAdmin, 'user-management/users:SuspendUser', {
        userId: `CommercialBankMSP::${bank2.identity.username}`,
        reason: 'left the bank',
      });
      await refused(submit(bank2, 'export:CancelExport', { exportId: id, reason: 'test' }), 'USER_SUSPENDED');
      assert.equal(await status(id), 'SUBMITTED');
      await submit(ecta, 'user-management/exporters:UpdateExporter', {
        exporterId: exporter2Id,
        status: 'SUSPENDED',
        reason: 'unpaid licence fee',
      });
      const refusedId = newId();
      await refused(create(refusedId, contractFor(), tradeTerms(), exporter2), 'LICENSE_INVALID');
      assert.equal(await findExport(refusedId), undefined, 'nothing was created');
    });

    it('(h) DEFAULTED once the ship-by date has passed (short window configured for the test), with the penalty', async () => {
      const windowSeconds = 10;
      const before = await query(ecta, 'user-management/exporters:GetExporter', exporterId);
      await configure({ shipByWindowSeconds: windowSeconds });
      try {
        const id = newId();
        await create(id);
        await steps.register(id);
        const shipBy = Date.parse(((await findExport(id))?.registration as Json).shipBy as string);
        // Anyone who may see the export may record the default; customs takes part only from the booking on.
        const facts = await factsOf(id);
        assert.equal(canSeeExport(customs.viewer, facts), false);
        await refused(submit(customs, 'export:RecordDefault', { exportId: id }), 'EXPORT_NOT_FOUND');
        await refused(submit(grader, 'export:RecordDefault', { exportId: id }), 'DEADLINE_NOT_PASSED');
        assert.ok(
          Date.now() < shipBy,
          `the refusal came before the ship-by date (window ${windowSeconds} s)`,
        );
        await steps.certify(id);
        await steps.submitFx(id);
        await steps.approveFx(id);
        await sleepUntil(shipBy + 1000);
        await refused(steps.book(id), 'DEADLINE_PASSED');
        await submit(grader, 'export:RecordDefault', { exportId: id });
        const record = await findExport(id);
        assert.equal(record?.status, 'DEFAULTED');
        assert.equal((record?.permit as Json).status, 'VOIDED', 'the unused permit is voided');
        const afterDefault = await query(ecta, 'user-management/exporters:GetExporter', exporterId);
        assert.equal(
          afterDefault.warnings,
          (before.warnings as number) + 1,
          'ECTA penalty ladder: a warning',
        );
      } finally {
        await configure(DEFAULT_WINDOWS);
      }
    });

    it('(i) the deadlines change only when both regulators agree: one proposes, the other approves', async () => {
      const before = (await query(ecta, 'config:GetWorkflowConfig')).current as Json;
      const window = 45 * DAY_SECONDS;
      try {
        await refused(
          submit(grader, 'config:ProposeWorkflowConfig', { shipByWindowSeconds: window }),
          'FORBIDDEN_ORG',
        );
        const { result: proposal } = await submit(ecta, 'config:ProposeWorkflowConfig', {
          shipByWindowSeconds: window,
        });
        assert.equal(proposal.proposedByMsp, 'ECTAMSP');
        let config = await query(fx, 'config:GetWorkflowConfig');
        assert.deepEqual(config.current, before, 'a proposal alone changes nothing');
        assert.equal((config.pending as Json).version, proposal.version);
        assert.equal((config.pending as Json).shipByWindowSeconds, window);
        await refused(
          submit(ecta, 'config:ApproveWorkflowConfig', { version: proposal.version }),
          'FORBIDDEN_ORG',
        );
        config = await query(ecta, 'config:GetWorkflowConfig');
        assert.deepEqual(config.current, before, 'the proposer cannot approve its own change');
        const { result: applied } = await submit(fx, 'config:ApproveWorkflowConfig', {
          version: proposal.version,
        });
        assert.equal(applied.shipByWindowSeconds, window);
        assert.equal(applied.repatriationWindowSeconds, before.repatriationWindowSeconds);
        config = await query(ecta, 'config:GetWorkflowConfig');
        assert.equal((config.current as Json).shipByWindowSeconds, window, 'the approval applies it');
        assert.equal((config.current as Json).version, proposal.version);
        assert.equal(config.pending, undefined, 'the proposal is spent');
        await refused(
          submit(fx, 'config:ApproveWorkflowConfig', { version: proposal.version }),
          'INVALID_TRANSITION',
        );
      } finally {
        // Restored the same way, in the other direction: the National Bank proposes, ECTA approves.
        await configure(DEFAULT_WINDOWS, fx, ecta);
      }
      const restored = (await query(grader, 'config:GetWorkflowConfig')).current as Json;
      assert.deepEqual(
        [restored.shipByWindowSeconds, restored.repatriationWindowSeconds],
        [DEFAULT_WINDOWS.shipByWindowSeconds, DEFAULT_WINDOWS.repatriationWindowSeconds],
      );
    });

    it('(j) an export overdue for repatriation makes its exporter DELINQUENT (no FX approval) until its proceeds arrive', async () => {
      const windowSeconds = 12;
      const overdue = newId();
      const next = newId();
      await configure({ repatriationWindowSeconds: windowSeconds });
      try {
        // Independent keys: the two exports advance side by side.
        await Promise.all([walk(overdue, 'CUSTOMS_CLEARED'), walk(next, 'FX_SUBMITTED')]);
        await steps.ship(overdue);
        const due = Date.parse(((await findExport(overdue))?.shipment as Json).repatriationDueAt as string);
        await refused(submit(fx, 'export:MarkDelinquent', { exportId: overdue }), 'DEADLINE_NOT_PASSED');
        assert.ok(Date.now() < due, `the refusal came before the due time (window ${windowSeconds} s)`);
        await refused(submit(ecta, 'export:MarkDelinquent', { exportId: overdue }), 'FORBIDDEN_ORG');
        await refused(submit(fx, 'export:MarkDelinquent', { exportId: next }), 'INVALID_TRANSITION');
        // Only coffee-export, having proved the export overdue, records delinquency in user-management.
        await refused(
          submit(fx, 'user-management/exporters:SetDelinquency', {
            exporterId,
            exportId: overdue,
            delinquent: true,
          }),
          'FORBIDDEN_CALLER',
        );
        await sleepUntil(due + 1000);
        const { result: marked } = await submit(fx, 'export:MarkDelinquent', { exportId: overdue });
        assert.equal(marked.status, 'SHIPPED', 'delinquency does not move the state');
        let registry = await query(fx, 'user-management/exporters:GetExporter', exporterId);
        assert.equal(registry.delinquent, true);
        assert.deepEqual(registry.delinquentExports, [overdue]);
        assert.ok((await query(ecta, 'export:GetExport', overdue)).delinquency, 'ECTA reads the delinquency');
        assert.equal(
          (await query(shipping, 'export:GetExport', overdue)).delinquency,
          undefined,
          'the shipping line does not',
        );
        await refused(submit(fx, 'export:ApproveFx', { exportId: next }), 'EXPORTER_DELINQUENT');
        assert.equal(await status(next), 'FX_SUBMITTED');
        await refused(submit(fx, 'export:ClearDelinquency', { exportId: overdue }), 'INVALID_TRANSITION');
        await steps.pay(overdue);
        await submit(fx, 'export:ClearDelinquency', { exportId: overdue });
        registry = await query(fx, 'user-management/exporters:GetExporter', exporterId);
        assert.equal(registry.delinquent, false);
        assert.deepEqual(registry.delinquentExports ?? [], []);
        assert.match(await steps.approveFx(next), /^FXP-/, 'FX approval again once the proceeds arrived');
      } finally {
        await configure(DEFAULT_WINDOWS);
      }
    });

    it('(k) customs checks the declared value against the registered one, without any salt', async () => {
      const id = newId();
      const permit = (await walk(id, 'SHIPMENT_BOOKED')) ?? '';
      await refused(
        steps.clear(id, permit, 'GREEN', { declaredValueUsd: VALUE + 1 }),
        'DECLARATION_INCONSISTENT',
      );
      await refused(
        steps.clear(id, permit, 'GREEN', { declaredValueUsd: VALUE, salt: salt() }),
        'VALIDATION_FAILED',
      );
      assert.equal(await status(id), 'SHIPMENT_BOOKED');
      await steps.clear(id, permit, 'GREEN', { declaredValueUsd: VALUE });
      const record = await query(customs, 'export:GetExport', id);
      assert.equal(record.status, 'CUSTOMS_CLEARED');
      assert.equal((record.customs as Json).valueVerified, true);
    });

    it('(l) an exporter of another company learns nothing of an export that is not its own', async () => {
      const id = newId();
      await create(id);
      for (const fn of ['GetExport', 'GetExportHistory', 'GetTradeTerms']) {
        await refused(query(exporter2, `export:${fn}`, id), 'EXPORT_NOT_FOUND');
        assert.equal((await query(exporter, `export:${fn}`, id)).exportId, id, `the owner reads ${fn}`);
      }
      await refused(
        submit(exporter2, 'export:CancelExport', { exportId: id, reason: 'not mine' }),
        'EXPORT_NOT_FOUND',
      );
      const list = await query(exporter2, 'export:ListExportsByExporter', JSON.stringify({ exporterId }));
      assert.deepEqual([list.records, list.fetchedCount, list.bookmark], [[], 0, '']);
      const own = await query(
        exporter,
        'export:ListExportsByExporter',
        JSON.stringify({ exporterId, pageSize: 100 }),
      );
      assert.ok((own.records as Json[]).length > 0, 'the owner lists its exports');
      const byStatus = await query(
        exporter2,
        'export:ListExportsByStatus',
        JSON.stringify({ status: 'SUBMITTED', pageSize: 100 }),
      );
      assert.ok(
        (byStatus.records as Json[]).every((r) => r.exporterId !== exporterId),
        'no export of another company in a status list',
      );
      assert.equal(await status(id), 'SUBMITTED');
    });
  },
);
