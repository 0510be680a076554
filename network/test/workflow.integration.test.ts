/**
 * The ledger enforces the workflow (issue #3), on the real network: every step is submitted by a distinct real
 * user enrolled at its org's Fabric CA with a `role` attribute and registered on-chain.
 *   (a) one export SUBMITTED → COMPLETED          (e) non-members never get the private terms
 *   (b) amendment loop at each review step         (f) below-minimum contract refused
 *   (c) every role refused on transitions not theirs (g) suspended user, unlicensed exporter refused
 *   (d) forgery: endorsed only by one org fails    (h) DEFAULTED after the (short, test-configured) ship-by date
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
import { CHANNEL, findOrg } from '../src/orgs.ts';
import { exportEndorsers } from '../src/endorsers.ts';

type Json = Record<string, unknown>;

const RUN = Date.now().toString(36);
const QUANTITY = 19_200;
const PRICE = 5.25;
const VALUE = 100_800; // PRICE × QUANTITY
const ENDORSEMENT_POLICY_FAILURE = 10;
/**
 * A transaction that carries private input (transient map) names its endorsers: the peers its key-level policy
 * needs, all tradeTerms members, so the private values reach no other org's peer (Fabric's gateway would
 * otherwise refuse to pick endorsers for it).
 */
const MEMBERS = ['CommercialBankMSP', 'ECTAMSP'];

interface Actor {
  readonly who: string;
  readonly identity: EnrolledIdentity;
  readonly conn: OrgConnection;
}

const actors: Actor[] = [];
/** The newest block any of this test's transactions committed in. */
let lastBlock = 0n;
let bins: Binaries;

async function actor(orgId: string, name: string, role: string, exporterId?: string): Promise<Actor> {
  const org = findOrg(orgId);
  const identity = await createUser(bins, org, { username: `${name}-${RUN}`, role, exporterId });
  const a = {
    who: `${name} (${org.mspId} ${role})`,
    identity,
    conn: connectOrg(org, identityCredentials(identity)),
  };
  actors.push(a);
  return a;
}

async function adminActor(orgId: string): Promise<Actor> {
  const org = findOrg(orgId);
  const identity = await orgAdmin(bins, org);
  const a = { who: `admin (${org.mspId})`, identity, conn: connectOrg(org, identityCredentials(identity)) };
  actors.push(a);
  return a;
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

/**
 * Submits `[chaincode/]contract:Function` with one JSON argument; resolves the result and the tx id. A
 * transaction on an existing export names its endorsers from the record's key-level policy (exportEndorsers).
 */
async function submit(
  a: Actor,
  fn: string,
  input: Json,
  opts: TxOptions = {},
): Promise<{ result: Json; txId: string }> {
  const [cc, name, method] = split(fn);
  if (cc === 'coffee-export' && name === 'export' && opts.endorsingOrganizations === undefined) {
    // Read the record's state on a peer that has seen every earlier step of this test.
    await waitForBlock(a.conn.gateway, a.identity.mspId, lastBlock);
    const current = await query(a, 'export:GetExport', input.exportId as string).catch((e: unknown) => {
      if (errorText(e).includes('EXPORT_NOT_FOUND')) return undefined;
      throw e;
    });
    if (current)
      opts = { ...opts, endorsingOrganizations: exportEndorsers(current.status as string, method) };
  }
  // Named endorsers must have committed every earlier step too, or they would simulate on an older state.
  for (const org of opts.endorsingOrganizations ?? []) await waitForBlock(a.conn.gateway, org, lastBlock);
  const transientData = opts.transient
    ? Object.fromEntries(Object.entries(opts.transient).map(([k, v]) => [k, JSON.stringify(v)]))
    : undefined;
  const commit = await submitWithRetry(contract(a, cc, name), method, {
    arguments: [JSON.stringify(input)],
    transientData,
    endorsingOrganizations: opts.endorsingOrganizations,
  });
  const status = await commit.getStatus();
  if (status.blockNumber > lastBlock) lastBlock = status.blockNumber;
  if (!status.successful) {
    throw Object.assign(
      new Error(`${fn} by ${a.who}: transaction ${status.transactionId} invalid, code ${status.code}`),
      {
        validationCode: status.code,
      },
    );
  }
  const text = Buffer.from(commit.getResult()).toString();
  return { result: text ? (JSON.parse(text) as Json) : {}, txId: status.transactionId };
}

async function query(a: Actor, fn: string, arg: string, endorsingOrganizations?: string[]): Promise<Json> {
  const [cc, name, method] = split(fn);
  await waitForBlock(a.conn.gateway, a.identity.mspId, lastBlock);
  const bytes = await contract(a, cc, name).evaluate(method, { arguments: [arg], endorsingOrganizations });
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

async function status(a: Actor, exportId: string): Promise<string> {
  return (await query(a, 'export:GetExport', exportId)).status as string;
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

const DAY = 86_400_000;

function contractFor(grade = 'G2', region = 'SIDAMA', quantityKg = QUANTITY): Json {
  return {
    contractNumber: `SC-${RUN}-${randomBytes(3).toString('hex')}`,
    buyerName: 'Hamburg Coffee Importers GmbH',
    destinationCountry: 'DE',
    contractedGrade: grade,
    quantityKg,
    originRegion: region,
    incoterm: 'FOB',
  };
}

function tradeTerms(price = PRICE, quantity = QUANTITY): Json {
  return {
    unitPriceUsdPerKg: price,
    contractValueUsd: Math.round(price * quantity * 100) / 100,
    paymentMethod: 'LC',
    paymentTerms: 'Irrevocable LC at sight',
    salt: `salt-${RUN}-${randomBytes(8).toString('hex')}`,
  };
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
    let grader: Actor;
    let shipping: Actor;
    let customs: Actor;
    let cbAdmin: Actor;
    let seq = 0;
    const exporterId = `EXP-${RUN}`;
    const exporter2Id = `EXP2-${RUN}`;
    const newId = (): string => `EX-${RUN}-${++seq}`;
    const salts = new Map<string, string>();

    /** Step 1 (draft + submission) with the given contract and terms. */
    async function createAndSubmit(
      id: string,
      c: Json = contractFor(),
      terms: Json = tradeTerms(),
      who = exporter,
    ): Promise<string> {
      await submit(who, 'export:CreateExport', { exportId: id, contract: c });
      const { txId } = await submit(
        who,
        'export:SubmitExport',
        { exportId: id, contract: c, documents: [doc('SALES_CONTRACT'), doc('PROFORMA_INVOICE')] },
        { transient: { tradeTerms: terms }, endorsingOrganizations: MEMBERS },
      );
      salts.set(id, terms.salt as string);
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
      submitFx: (id: string) =>
        submit(
          bank,
          'export:SubmitFxApplication',
          { exportId: id, documents: [doc('LC_OR_ADVANCE_ADVICE')] },
          {
            transient: {
              fxApplication: { paymentMethod: 'LC', evidenceReference: `LC-${id}`, amountUsd: VALUE },
            },
            endorsingOrganizations: MEMBERS,
          },
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
          portOfDischarge: 'DEHAM',
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
      // Customs is not a tradeTerms member: it proves the declared value against the hash, so the transaction
      // names its endorsers (Customs and ECTA) and the value goes to no other org's peer.
      clear: (id: string, permitNumber: string, lane = 'GREEN') =>
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
          {
            transient: { customsValue: { declaredValueUsd: VALUE, salt: salts.get(id) } },
            endorsingOrganizations: ['CustomsMSP', 'ECTAMSP'],
          },
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
          { transient: { paymentProceeds: { amountUsd: VALUE } }, endorsingOrganizations: MEMBERS },
        ),
      repatriate: (id: string) => submit(fx, 'export:ConfirmRepatriation', { exportId: id }),
    };

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
      [exporter, exporter2, bank, bank2, fx, grader, shipping, customs, cbAdmin] = await Promise.all([
        actor('commercial-bank', 'exporter', 'exporter', exporterId),
        actor('commercial-bank', 'exporter2', 'exporter', exporter2Id),
        actor('commercial-bank', 'bank-officer', 'bank_officer'),
        actor('commercial-bank', 'bank-officer2', 'bank_officer'),
        actor('national-bank', 'fx-officer', 'fx_officer'),
        actor('ecx', 'grader', 'grader'),
        actor('shipping-line', 'shipping-agent', 'shipping_agent'),
        actor('customs', 'customs-officer', 'customs_officer'),
        adminActor('commercial-bank'),
      ]);
    });

    after(async () => {
      for (const a of actors) a.conn.close();
      await down();
    });

    it('(a) walks one export from SUBMITTED to COMPLETED, each step by its own org and role', async () => {
      const id = newId();
      await createAndSubmit(id);
      assert.equal(await status(ecta, id), 'SUBMITTED');
      await steps.register(id);
      await steps.certify(id);
      await steps.submitFx(id);
      const permit = await steps.approveFx(id);
      assert.match(permit, /^FXP-/);
      await steps.book(id);
      await steps.attachShippingDocs(id);
      await steps.clear(id, permit);
      assert.equal(await status(customs, id), 'CUSTOMS_CLEARED');
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
      const history = await query(customs, 'export:GetExportHistory', id);
      const statuses = (history.entries as Json[]).map((e) => (e.record as Json).status).reverse();
      assert.deepEqual(
        [...new Set(statuses)],
        [
          'DRAFT',
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
        ],
      );
      // The permit cannot be used twice.
      const id2 = newId();
      await createAndSubmit(id2);
      await steps.register(id2);
      await steps.certify(id2);
      await steps.submitFx(id2);
      await steps.approveFx(id2);
      await steps.book(id2);
      await steps.attachShippingDocs(id2);
      await refused(steps.clear(id2, permit), 'PERMIT_(MISMATCH|CONSUMED|NOT_FOUND)');
    });

    it('(b) an amendment at each review step (2, 3, 5, 7) returns to that same step', async () => {
      const id = newId();
      await createAndSubmit(id);
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
        assert.equal(await status(ecta, id), 'AMENDMENT_REQUESTED');
        await submit(
          author,
          'export:SubmitAmendment',
          { exportId: id, ...input },
          transient ? { transient, endorsingOrganizations: MEMBERS } : {},
        );
        assert.equal(await status(ecta, id), expectedBack, `back at ${expectedBack}`);
      };
      await amend(ecta, 'SUBMITTED', exporter, { documents: [doc('SALES_CONTRACT')] });
      await steps.register(id);
      await amend(grader, 'CONTRACT_REGISTERED', exporter, { documents: [doc('PROFORMA_INVOICE')] });
      await steps.certify(id);
      await steps.submitFx(id);
      await amend(
        fx,
        'FX_SUBMITTED',
        bank,
        { documents: [doc('LC_OR_ADVANCE_ADVICE')] },
        {
          fxApplication: { paymentMethod: 'LC', evidenceReference: `LC2-${id}`, amountUsd: VALUE },
        },
      );
      const permit = await steps.approveFx(id);
      await steps.book(id);
      await steps.attachShippingDocs(id);
      await amend(customs, 'SHIPMENT_BOOKED', exporter, {
        documents: [doc('COMMERCIAL_INVOICE', { quantityKg: QUANTITY, grade: 'G2' })],
      });
      await steps.clear(id, permit, 'YELLOW');
      assert.equal(await status(customs, id), 'UNDER_INSPECTION');
      await submit(customs, 'export:CompleteInspection', {
        exportId: id,
        findings: 'Sampled 3 bags; consistent with declaration',
      });
      assert.equal(await status(customs, id), 'CUSTOMS_CLEARED');
      const record = await query(ecta, 'export:GetExport', id);
      const salesContracts = (record.documents as Json[]).filter((d) => d.type === 'SALES_CONTRACT');
      assert.deepEqual(
        salesContracts.map((d) => d.version),
        [1, 2],
        'the earlier version is kept',
      );
    });

    it('(c) every role is refused on a transition that is not theirs, and nothing changes', async () => {
      const id = newId();
      await createAndSubmit(id);
      const everyone = (): Actor[] => [exporter, bank, fx, ecta, grader, shipping, customs, cbAdmin];
      // owner: the one actor for whom the call would succeed in that state (none for a wrong-state call).
      const table: {
        state: string;
        fn: string;
        input: Json;
        owner?: Actor;
        advance: () => Promise<unknown>;
      }[] = [
        {
          state: 'SUBMITTED',
          fn: 'export:RegisterContract',
          input: { exportId: id, registrationNumber: `X-${id}` },
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
          owner: grader,
          advance: () => steps.certify(id),
        },
        {
          state: 'QUALITY_CERTIFIED',
          fn: 'export:ApproveFx',
          input: { exportId: id },
          advance: () => steps.submitFx(id),
        },
        {
          state: 'FX_SUBMITTED',
          fn: 'export:ApproveFx',
          input: { exportId: id },
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
          advance: () => steps.book(id),
        },
      ];
      for (const row of table) {
        assert.equal(await status(ecta, id), row.state);
        for (const a of everyone().filter((x) => x !== row.owner)) {
          await refused(
            submit(a, row.fn, row.input),
            '(FORBIDDEN_ROLE|FORBIDDEN_ORG|INVALID_TRANSITION|NOT_EXPORT_OWNER)',
          );
        }
        assert.equal(await status(ecta, id), row.state, `${row.state}: unchanged after the refusals`);
        await row.advance();
      }
    });

    it('(d) a step endorsed only by a non-responsible org (or by the actor alone) fails ENDORSEMENT_POLICY_FAILURE', async () => {
      const id = newId();
      await createAndSubmit(id);
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
          await status(ecta, id),
          'CONTRACT_REGISTERED',
          `endorsed by ${orgs.join('+')}: state unchanged`,
        );
      }
      await steps.certify(id);
      assert.equal(await status(ecta, id), 'QUALITY_CERTIFIED', 'the properly endorsed step commits');
    });

    it('(e) a non-member of tradeTerms cannot read the terms by any transaction', async () => {
      const id = newId();
      const terms = tradeTerms();
      const submitTx = await createAndSubmit(id, contractFor(), terms);
      for (const outsider of [customs, grader, shipping]) {
        await refused(query(outsider, 'export:GetTradeTerms', id), 'FORBIDDEN_ORG');
        await refused(query(outsider, 'export:GetTradeTerms', id, ['ECTAMSP']), 'FORBIDDEN_ORG');
        const visible = JSON.stringify([
          await query(outsider, 'export:GetExport', id),
          await query(outsider, 'export:GetExportHistory', id),
        ]);
        assert.ok(!visible.includes(terms.salt as string), 'no salt in public state or history');
        assert.ok(!visible.includes(String(VALUE)) && !visible.includes(String(PRICE)), 'no price or value');
      }
      // The block itself (what every org's peer stores) carries neither the terms nor the transient input.
      const qscc = customs.conn.gateway.getNetwork(CHANNEL).getContract('qscc');
      const block = Buffer.from(await qscc.evaluate('GetBlockByTxID', { arguments: [CHANNEL, submitTx] }));
      assert.ok(block.length > 0);
      assert.ok(!block.includes(Buffer.from(terms.salt as string)), 'the salt is not in the block');
      assert.ok(!block.includes(Buffer.from(`"contractValueUsd":${VALUE}`)), 'the value is not in the block');
      // Members can read them.
      const read = await query(ecta, 'export:GetTradeTerms', id);
      assert.equal(read.unitPriceUsdPerKg ?? (read.terms as Json | undefined)?.unitPriceUsdPerKg, PRICE);
    });

    it('(f) a contract below the minimum price in force is refused BELOW_MINIMUM_PRICE', async () => {
      await submit(ecta, 'minprice:PublishMinimumPrice', {
        grade: 'G3',
        originRegion: 'GUJI',
        usdPerKg: 6.0,
        effectiveFrom: iso(-DAY),
      });
      const id = newId();
      await createAndSubmit(id, contractFor('G3', 'GUJI'), tradeTerms(5.0));
      await refused(steps.register(id), 'BELOW_MINIMUM_PRICE');
      assert.equal(await status(ecta, id), 'SUBMITTED');
    });

    it('(g) a suspended user and an unlicensed exporter are refused', async () => {
      const id = newId();
      await createAndSubmit(id);
      await submit(cbAdmin, 'user-management/users:SuspendUser', {
        userId: `CommercialBankMSP::${bank2.identity.username}`,
        reason: 'left the bank',
      });
      await refused(submit(bank2, 'export:CancelExport', { exportId: id, reason: 'test' }), 'USER_SUSPENDED');
      assert.equal(await status(ecta, id), 'SUBMITTED');
      await submit(ecta, 'user-management/exporters:UpdateExporter', {
        exporterId: exporter2Id,
        status: 'SUSPENDED',
        reason: 'unpaid licence fee',
      });
      await refused(
        submit(exporter2, 'export:CreateExport', { exportId: newId(), contract: contractFor() }),
        'LICENSE_INVALID',
      );
    });

    it('(h) DEFAULTED once the ship-by date has passed (short window configured for the test), with the penalty', async () => {
      const before = await query(ecta, 'user-management/exporters:GetExporter', exporterId);
      await submit(ecta, 'config:SetWorkflowConfig', { shipByWindowSeconds: 3 });
      try {
        const id = newId();
        await createAndSubmit(id);
        await steps.register(id);
        await refused(submit(customs, 'export:RecordDefault', { exportId: id }), 'DEADLINE_NOT_PASSED');
        await new Promise((r) => setTimeout(r, 4000));
        await refused(
          steps
            .certify(id)
            .then(() => steps.submitFx(id))
            .then(() => steps.approveFx(id))
            .then(() => steps.book(id)),
          'DEADLINE_PASSED',
        );
        await submit(customs, 'export:RecordDefault', { exportId: id });
        assert.equal(await status(ecta, id), 'DEFAULTED');
        const afterDefault = await query(ecta, 'user-management/exporters:GetExporter', exporterId);
        assert.equal(
          afterDefault.warnings,
          (before.warnings as number) + 1,
          'ECTA penalty ladder: a warning',
        );
      } finally {
        await submit(ecta, 'config:SetWorkflowConfig', { shipByWindowSeconds: 90 * 86_400 });
      }
    });
  },
);
