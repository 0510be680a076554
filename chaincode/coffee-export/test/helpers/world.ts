import assert from 'node:assert/strict';
/**
 * A consortium in memory: coffee-export and the REAL user-management contracts (built from the sibling
 * package) deployed on one fake ledger, so cross-chaincode calls run the actual registry code.
 */
import '@coffee/chaincode-common/dist/test-support/quiet';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { KeyEndorsementPolicy } from 'fabric-shim';
import { common, msp } from '@hyperledger/fabric-protos';
import type { Contract } from 'fabric-contract-api';
import { isoFromMillis, toBytes } from '@coffee/chaincode-common';
import { contracts } from '../../src/index';
import { policyFor, trackingPolicy } from '../../src/lib/endorsement';
import { EXPORT_STATUSES } from '../../src/model/export';
import { FakeLedger, type Identity } from '@coffee/chaincode-common/dist/test-support/fakes';
import { admins } from '@coffee/chaincode-common/dist/test-support/identities';

export { admins };

export const CE = 'coffee-export';
export const UM = 'user-management';

/**
 * The private data collections as deployed (collections_config.json): each member org read from the
 * collection's `OR('<msp>.member', ...)` policy, so the fake peer enforces exactly the real membership.
 */
export function deployedCollections(): { name: string; members: string[] }[] {
  const path = resolve(__dirname, '../../../collections_config.json');
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!Array.isArray(parsed)) {
    throw new Error(`${path} is not a list of collections`);
  }
  return parsed.map((c: { name: string; policy: string }) => ({
    name: c.name,
    members: [...c.policy.matchAll(/'([A-Za-z]+MSP)\.member'/g)].map((m) => m[1] ?? '').sort(),
  }));
}

type ContractClass = new () => Contract;

async function userManagementContracts(): Promise<Contract[]> {
  const path = resolve(__dirname, '../../../../user-management/dist/src/index.js');
  const loaded: unknown = await import(path);
  const list: unknown =
    typeof loaded === 'object' && loaded !== null && 'contracts' in loaded ? loaded.contracts : undefined;
  if (!Array.isArray(list)) {
    throw new Error(`user-management build not found at ${path} (run its tsc first)`);
  }
  return (list as ContractClass[]).map((C) => new C());
}

export const U = {
  exporter: { mspId: 'CommercialBankMSP', commonName: 'exporter1', role: 'exporter' },
  exporter2: { mspId: 'CommercialBankMSP', commonName: 'exporter2', role: 'exporter' },
  bank: { mspId: 'CommercialBankMSP', commonName: 'bank-officer1', role: 'bank_officer' },
  ecta: { mspId: 'ECTAMSP', commonName: 'ecta-officer1', role: 'ecta_officer' },
  grader: { mspId: 'ECXMSP', commonName: 'grader1', role: 'grader' },
  fx: { mspId: 'NationalBankMSP', commonName: 'fx-officer1', role: 'fx_officer' },
  shipping: { mspId: 'ShippingLineMSP', commonName: 'agent1', role: 'shipping_agent' },
  customs: { mspId: 'CustomsMSP', commonName: 'customs1', role: 'customs_officer' },
  customsAuditor: { mspId: 'CustomsMSP', commonName: 'auditor1', role: 'auditor' },
  cbAuditor: { mspId: 'CommercialBankMSP', commonName: 'cb-auditor1', role: 'auditor' },
  nbAuditor: { mspId: 'NationalBankMSP', commonName: 'nbe-auditor1', role: 'auditor' },
  ectaAuditor: { mspId: 'ECTAMSP', commonName: 'ecta-auditor1', role: 'auditor' },
  ecxAuditor: { mspId: 'ECXMSP', commonName: 'ecx-auditor1', role: 'auditor' },
  shippingAuditor: { mspId: 'ShippingLineMSP', commonName: 'sl-auditor1', role: 'auditor' },
  // Registered org admins (the bootstrap admins of identities.ts have no record): they manage users only.
  cbAdmin: { mspId: 'CommercialBankMSP', commonName: 'cb-admin2', role: 'admin' },
  nbAdmin: { mspId: 'NationalBankMSP', commonName: 'nbe-admin2', role: 'admin' },
  ectaAdmin: { mspId: 'ECTAMSP', commonName: 'ecta-admin2', role: 'admin' },
  ecxAdmin: { mspId: 'ECXMSP', commonName: 'ecx-admin2', role: 'admin' },
  shippingAdmin: { mspId: 'ShippingLineMSP', commonName: 'sl-admin2', role: 'admin' },
  customsAdmin: { mspId: 'CustomsMSP', commonName: 'customs-admin2', role: 'admin' },
} satisfies Record<string, Identity>;

/** The exporter id each exporter user acts for (as registered in newWorld). */
export const EXPORTER_OF: Readonly<Record<string, string>> = {
  [U.exporter.commonName]: 'EXP-001',
  [U.exporter2.commonName]: 'EXP-002',
};

export type Json = Record<string, unknown>;

export const PRICE = 6.25;
export const QUANTITY = 19_200;
export const VALUE = 120_000;

/** Every salt the tests hand over starts with this, so a leak of any of them is easy to look for. */
export const SALT_PREFIX = 'fresh-salt-';
let saltCounter = 0;

/** A fresh salt for one commitment: 23 characters (≥ 22, i.e. 128 bits), never repeated within a run. */
export function freshSalt(): string {
  saltCounter += 1;
  return `${SALT_PREFIX}${saltCounter.toString(36).padStart(12, '0')}`;
}

/** Transient `tradeTerms`: each call draws its own two salts (terms and value commitment). */
export function terms(overrides: Json = {}): Json {
  return {
    unitPriceUsdPerKg: PRICE,
    contractValueUsd: VALUE,
    paymentMethod: 'LC',
    paymentTerms: 'LC at sight, 90 days',
    salt: freshSalt(),
    valueSalt: freshSalt(),
    ...overrides,
  };
}

/** Transient `fxApplication` with its own fresh salt. */
export function fxApplication(overrides: Json = {}): Json {
  return {
    paymentMethod: 'LC',
    evidenceReference: 'LC-2026-001',
    amountUsd: VALUE,
    salt: freshSalt(),
    ...overrides,
  };
}

/** Transient `paymentProceeds` with its own fresh salt. */
export function proceeds(overrides: Json = {}): Json {
  return { amountUsd: VALUE, salt: freshSalt(), ...overrides };
}

let docCounter = 0;

export function doc(type: string, extra: Json = {}): Json {
  docCounter += 1;
  const hex = docCounter.toString(16).padStart(64, '0');
  return {
    type,
    cid: `bafybeig${'a'.repeat(51)}${String.fromCharCode(97 + (docCounter % 26))}`,
    sha256: hex,
    sizeBytes: 1024 + docCounter,
    mediaType: 'application/pdf',
    ...extra,
  };
}

/** The status index: one entry per export, `exportByStatus~<status>~<exportId>` → {exportId}. */
export const STATUS_INDEX = 'exportByStatus';

/** The composite keys of coffee-export as the fake peer spells them. */
export function compositeKey(objectType: string, ...attributes: string[]): string {
  return `\u0000${objectType}\u0000${attributes.map((a) => `${a}\u0000`).join('')}`;
}

export function exportKeyOf(exportId: string): string {
  return compositeKey('export', exportId);
}

export class World {
  readonly ledger: FakeLedger;

  constructor(ledger: FakeLedger) {
    this.ledger = ledger;
  }

  submit(
    who: Identity,
    fn: string,
    input?: Json | string,
    transient?: Record<string, Json | string>,
  ): Promise<string> {
    const args = input === undefined ? [] : [typeof input === 'string' ? input : JSON.stringify(input)];
    return this.ledger.submit(who, CE, fn, args, { transient });
  }

  async json(
    who: Identity,
    fn: string,
    input?: Json | string,
    transient?: Record<string, Json | string>,
  ): Promise<Json> {
    return JSON.parse(await this.submit(who, fn, input, transient)) as Json;
  }

  async query(who: Identity, fn: string, arg?: Json | string): Promise<Json> {
    const args = arg === undefined ? [] : [typeof arg === 'string' ? arg : JSON.stringify(arg)];
    return JSON.parse(await this.ledger.evaluate(who, CE, fn, args)) as Json;
  }

  um(who: Identity, fn: string, input: Json): Promise<string> {
    return this.ledger.submit(who, UM, fn, [JSON.stringify(input)]);
  }

  /** The export as the CommercialBank's bank officer sees it: everything, from its creation on. */
  async get(exportId: string): Promise<Json> {
    return this.query(U.bank, 'export:GetExport', exportId);
  }

  /**
   * Changes the workflow windows the only way there is: ECTA proposes, the National Bank approves.
   * Returns the configuration in force afterwards.
   */
  async configure(windows: {
    shipByWindowSeconds?: number;
    repatriationWindowSeconds?: number;
  }): Promise<Json> {
    const proposal = await this.json(U.ecta, 'config:ProposeWorkflowConfig', windows);
    return this.json(U.fx, 'config:ApproveWorkflowConfig', { version: proposal.version });
  }

  /** The orgs (all with role PEER) of the key-level policy on an export record. */
  policyOrgs(exportId: string): string[] {
    return this.keyPolicyOrgs(exportKeyOf(exportId));
  }

  /**
   * The orgs of the key-level policy on any key of coffee-export ([] if it has none), checked to be an AND of
   * every listed org's peer.
   */
  keyPolicyOrgs(key: string): string[] {
    const bytes = this.ledger.validationParameter(CE, key);
    if (bytes === undefined) {
      return [];
    }
    const envelope = common.SignaturePolicyEnvelope.deserializeBinary(bytes);
    const roles = envelope
      .getIdentitiesList()
      .map((id) => msp.MSPRole.deserializeBinary(id.getPrincipal_asU8()));
    if (roles.some((r) => r.getRole() !== msp.MSPRole.MSPRoleType.PEER)) {
      throw new Error('policy names a non-PEER principal');
    }
    const rule = envelope.getRule()?.getNOutOf();
    if (rule?.getN() !== roles.length) {
      throw new Error('policy is not an AND of every listed org');
    }
    return new KeyEndorsementPolicy(bytes).listOrgs().sort();
  }

  /** coffee-export's copy of the registry (chaincode-common registry.ts): [key kind, id, entry]. */
  registryCopy(): [string, string, Json][] {
    return [...this.ledger.committed(CE).entries()]
      .filter(([key]) => key.startsWith('\u0000registry'))
      .map(([key, value]): [string, string, Json] => {
        const [kind = '', ...ids] = key.slice(1, -1).split('\u0000');
        return [kind, ids.join('::'), JSON.parse(Buffer.from(value).toString('utf8')) as Json];
      })
      .sort(([a, x], [b, y]) => (a + x < b + y ? -1 : 1));
  }

  /** Drops the copy of the registry, as on a ledger whose users were registered before the copy existed. */
  forgetRegistryCopy(): void {
    for (const key of [...this.ledger.committed(CE).keys()]) {
      if (key.startsWith('\u0000registry')) this.ledger.committed(CE).delete(key);
    }
  }

  /** Every committed status-index entry of coffee-export: [status, exportId, stored value as text]. */
  statusIndex(): [string, string, string][] {
    const prefix = `\u0000${STATUS_INDEX}\u0000`;
    return [...this.ledger.committed(CE).entries()]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]): [string, string, string] => {
        const [status = '', exportId = ''] = key.slice(prefix.length).split('\u0000');
        return [status, exportId, Buffer.from(value).toString('utf8')];
      });
  }
}

export async function newWorld(
  options: { shipByWindowSeconds?: number; repatriationWindowSeconds?: number } = {},
): Promise<World> {
  const ledger = new FakeLedger()
    .deploy(
      CE,
      contracts.map((C) => new C()),
      deployedCollections(),
    )
    .deploy(UM, await userManagementContracts());
  const world = new World(ledger);
  for (const user of Object.values(U).filter((u) => u.role !== 'exporter')) {
    await world.um(admins[user.mspId] as Identity, 'users:RegisterUser', {
      commonName: user.commonName,
      role: user.role,
    });
  }
  for (const [exporterId, user] of [
    ['EXP-001', U.exporter],
    ['EXP-002', U.exporter2],
  ] as const) {
    await world.um(U.ecta, 'exporters:RegisterExporter', {
      exporterId,
      legalName: `${exporterId} Coffee PLC`,
      tin: '0012345678',
      licenceNumber: `ECTA/${exporterId}`,
      licenceValidUntil: '2030-12-31',
    });
    await world.um(admins.CommercialBankMSP as Identity, 'users:RegisterUser', {
      commonName: user.commonName,
      role: 'exporter',
      exporterId,
    });
  }
  await world.submit(U.ecta, 'minprice:PublishMinimumPrice', {
    grade: 'G2',
    usdPerKg: 5.0,
    effectiveFrom: '2025-01-01',
  });
  await world.submit(U.ecta, 'minprice:PublishMinimumPrice', {
    grade: 'G2',
    originRegion: 'SIDAMA',
    usdPerKg: 6.0,
    effectiveFrom: '2025-06-01',
  });
  if (options.shipByWindowSeconds !== undefined || options.repatriationWindowSeconds !== undefined) {
    await world.configure(options);
  }
  return world;
}

/**
 * The fixtures' buyer is outside the EU: an EU-bound export needs an approved EUDR package before customs
 * (eudr.test.ts walks that path; `euSubmission` there sets an EU destination).
 */
export function submission(exportId: string, overrides: Json = {}): Json {
  return {
    exportId,
    contract: {
      contractNumber: `SC-${exportId}`,
      buyerName: 'Portland Roasters Inc.',
      destinationCountry: 'US',
      contractedGrade: 'G2',
      quantityKg: QUANTITY,
      originRegion: 'SIDAMA',
      incoterm: 'FOB',
    },
    documents: [doc('SALES_CONTRACT'), doc('PROFORMA_INVOICE')],
    ...overrides,
  };
}

/** The ordered happy path; `advance(world, id, n)` runs the first n steps after submission. */
export interface Step {
  name: string;
  who: Identity;
  fn: string;
  to: string;
  input: (id: string, world: World) => Promise<Json> | Json;
  transient?: () => Record<string, Json>;
  /** Another party's transaction that must precede the step (the owner's shipping documents). */
  prepare?: (id: string, world: World, owner?: Identity) => Promise<unknown>;
}

export const STEPS: Step[] = [
  {
    name: 'register contract',
    who: U.ecta,
    fn: 'export:RegisterContract',
    to: 'CONTRACT_REGISTERED',
    input: (id) => ({ exportId: id, registrationNumber: `ECTA-REG-${id}` }),
  },
  {
    name: 'certify quality',
    who: U.grader,
    fn: 'export:CertifyQuality',
    to: 'QUALITY_CERTIFIED',
    input: (id) => ({
      exportId: id,
      lotNumber: 'LOT-77',
      warehouseReceiptNumber: 'WR-991',
      certifiedGrade: 'G2',
      cupScore: 86.5,
      moisturePercent: 10.5,
      defectsPer300g: 3,
      certifiedQuantityKg: QUANTITY,
      documents: [doc('QUALITY_CERTIFICATE')],
    }),
  },
  {
    name: 'submit FX application',
    who: U.bank,
    fn: 'export:SubmitFxApplication',
    to: 'FX_SUBMITTED',
    input: (id) => ({ exportId: id, documents: [doc('LC_OR_ADVANCE_ADVICE')] }),
    transient: () => ({ fxApplication: fxApplication() }),
  },
  {
    name: 'approve FX',
    who: U.fx,
    fn: 'export:ApproveFx',
    to: 'FX_APPROVED',
    input: (id) => ({ exportId: id }),
  },
  {
    name: 'book shipment',
    who: U.shipping,
    fn: 'export:BookShipment',
    to: 'SHIPMENT_BOOKED',
    input: (id) => ({
      exportId: id,
      bookingNumber: 'BKG-1',
      vesselName: 'MV Abay',
      voyageNumber: 'V-12',
      containerNumbers: ['MSCU1234567'],
      portOfLoading: 'DJJIB',
      portOfDischarge: 'USPDX',
      etd: '2026-02-01T00:00:00Z',
      documents: [doc('BOOKING_CONFIRMATION')],
    }),
  },
  {
    name: 'clear customs',
    who: U.customs,
    fn: 'export:ClearCustoms',
    to: 'CUSTOMS_CLEARED',
    prepare: (id, world, owner = U.exporter) =>
      world.submit(owner, 'export:AttachDocuments', { exportId: id, documents: shippingDocuments() }),
    input: async (id, world) => customsDeclaration(id, await world.get(id)),
    transient: () => ({ customsValue: { declaredValueUsd: VALUE } }),
  },
  {
    name: 'mark shipped',
    who: U.shipping,
    fn: 'export:MarkShipped',
    to: 'SHIPPED',
    input: (id) => ({
      exportId: id,
      billOfLadingNumber: 'BL-1',
      onBoardDate: '2026-01-01T00:00:00Z',
      documents: [doc('BILL_OF_LADING')],
    }),
  },
  {
    name: 'record payment',
    who: U.bank,
    fn: 'export:RecordPayment',
    to: 'PAYMENT_RECEIVED',
    input: (id) => ({ exportId: id, paymentReference: 'SWIFT-1', documents: [doc('PAYMENT_ADVICE')] }),
    transient: () => ({ paymentProceeds: proceeds() }),
  },
  {
    name: 'confirm repatriation',
    who: U.fx,
    fn: 'export:ConfirmRepatriation',
    to: 'COMPLETED',
    input: (id) => ({ exportId: id }),
  },
];

export function shippingDocuments(extra: { quantityKg?: number; grade?: string } = {}): Json[] {
  return [
    doc('COMMERCIAL_INVOICE', { quantityKg: extra.quantityKg ?? QUANTITY, grade: extra.grade ?? 'G2' }),
    doc('PACKING_LIST', { quantityKg: extra.quantityKg ?? QUANTITY }),
    doc('CERTIFICATE_OF_ORIGIN'),
    doc('PHYTOSANITARY_CERTIFICATE'),
  ];
}

export function customsDeclaration(
  id: string,
  record: { permit?: { permitNumber: string } },
  overrides: Json = {},
): Json {
  return {
    exportId: id,
    declarationNumber: `EXD-${id}`,
    permitNumber: record.permit?.permitNumber ?? 'FXP-NONE-00000000',
    declaredQuantityKg: QUANTITY,
    declaredGrade: 'G2',
    riskLane: 'GREEN',
    documents: [doc('EXPORT_DECLARATION', { quantityKg: QUANTITY, grade: 'G2' })],
    ...overrides,
  };
}

/**
 * Step 1, one transaction (CreateExport): the public contract and the two documents, with the private terms in
 * the transient map. Resolves the record as the exporter reads it.
 */
export async function submit(
  world: World,
  id: string,
  who: Identity = U.exporter,
  overrides: Json = {},
  termOverrides: Json = {},
): Promise<Json> {
  return world.json(who, 'export:CreateExport', submission(id, overrides), {
    tradeTerms: terms(termOverrides),
  });
}

/**
 * A DRAFT of the former two-step creation (CreateExport, then SubmitExport with the terms), written straight
 * into the ledger as that chaincode version left it: the record without terms or documents under the DRAFT
 * key-level policy, the exporter index entry, the tracking log with its own policy, and a status-index entry for
 * every status (active only at DRAFT) with the former index policy, ECTA's peer alone. Today's CreateExport
 * makes no drafts; such records remain on ledgers that ran the former version.
 */
export function legacyDraft(world: World, id: string, owner: Identity = U.exporter): Json {
  const exporterId = EXPORTER_OF[owner.commonName] ?? assert.fail(`${owner.commonName} is no exporter`);
  const formerIndexPolicy = new KeyEndorsementPolicy();
  formerIndexPolicy.addOrgs('PEER', 'ECTAMSP');
  let record: Json = {};
  world.ledger.seed(CE, ({ txId, seconds }) => {
    const at = isoFromMillis(seconds * 1000);
    const by = { mspId: owner.mspId, userId: `${owner.mspId}::${owner.commonName}`, role: owner.role ?? '' };
    record = {
      docType: 'export',
      exportId: id,
      exporterId,
      status: 'DRAFT',
      reached: 'DRAFT',
      contract: submission(id).contract,
      documents: [],
      tracking: [],
      amendmentCount: 0,
      createdAt: at,
      createdBy: by,
      updatedAt: at,
      lastAction: { action: 'CreateExport', by, at, txId },
    };
    const indexKeys = EXPORT_STATUSES.map((status): [string, Uint8Array] => [
      compositeKey(STATUS_INDEX, status, id),
      toBytes({ exportId: id, active: status === 'DRAFT' }),
    ]);
    return {
      state: [
        [exportKeyOf(id), toBytes(record)],
        [compositeKey('exportByExporter', exporterId, id), toBytes({ exportId: id })],
        [compositeKey('tracking', id), toBytes({ docType: 'tracking', exportId: id, events: [] })],
        ...indexKeys,
      ],
      policies: [
        [exportKeyOf(id), policyFor('DRAFT')],
        [compositeKey('tracking', id), trackingPolicy()],
        ...indexKeys.map(([key]): [string, Uint8Array] => [key, formerIndexPolicy.getPolicy()]),
      ],
    };
  });
  return record;
}

/** Submits (as `owner`) and runs the first `steps` steps of the happy path. */
export async function advance(
  world: World,
  id: string,
  steps: number,
  owner: Identity = U.exporter,
): Promise<Json> {
  await submit(world, id, owner);
  for (const step of STEPS.slice(0, steps)) {
    await step.prepare?.(id, world, owner);
    await world.submit(step.who, step.fn, await step.input(id, world), step.transient?.());
  }
  return world.get(id);
}

export function stepIndex(status: string): number {
  return status === 'SUBMITTED' ? 0 : STEPS.findIndex((s) => s.to === status) + 1;
}

/** Asserts the transaction fails with `CODE: ` and that the ledger is unchanged. */
export async function refused(world: World, promise: Promise<unknown>, code: string): Promise<void> {
  const before = world.ledger.snapshot();
  await assert.rejects(promise, (e: Error) => {
    assert.match(e.message, new RegExp(`^${code}: `));
    return true;
  });
  assert.equal(world.ledger.snapshot(), before, 'a refused transaction changes nothing');
}
