/**
 * The demo consortium as data: a user for every role of every org, two exporters licensed by ECTA, ECTA's
 * minimum prices for the grades and regions used, and eleven exports spread over the workflow — each as the
 * list of steps (who acts, what they upload, the request body) that takes it from nothing to its status.
 *
 * Pure: no I/O and no clock. Dates come from the seeding's start (kept in the state file), so a resumed seeding
 * rebuilds exactly the requests it sent before; where an export stands is read back from the ledger
 * (firstPendingStep), never assumed.
 */
import { ORGS, type DocumentType, type ExportStatus, type OrgId, type Role } from '@coffee/consortium';

export interface DemoExporter {
  readonly exporterId: string;
  readonly legalName: string;
  readonly tin: string;
  readonly licenceNumber: string;
  /** The exporter's user at the commercial bank. */
  readonly username: string;
  readonly displayName: string;
}

export const DEMO_EXPORTERS: readonly DemoExporter[] = [
  {
    exporterId: 'EXPT-DEMO-YIRGA',
    legalName: 'Yirgacheffe Highland Coffee Export PLC',
    tin: '0071234561',
    licenceNumber: 'ECTA/EXP/2024/0117',
    username: 'yirga-exporter',
    displayName: 'Meron Tadesse (Yirgacheffe Highland Coffee Export)',
  },
  {
    exporterId: 'EXPT-DEMO-SIDAMA',
    legalName: 'Sidama Green Gold Trading PLC',
    tin: '0078765432',
    licenceNumber: 'ECTA/EXP/2023/0842',
    username: 'sidama-exporter',
    displayName: 'Dawit Bekele (Sidama Green Gold Trading)',
  },
];

export interface DemoUser {
  readonly org: string;
  readonly role: Role;
  readonly username: string;
  readonly displayName: string;
  readonly exporterId?: string;
}

/** Usernames and names of the staff roles (exporters come from DEMO_EXPORTERS; admins exist already). */
const STAFF: Readonly<Record<OrgId, Partial<Record<Role, readonly [string, string]>>>> = {
  'commercial-bank': {
    bank_officer: ['bank-officer', 'Hanna Girma (trade finance)'],
    auditor: ['cb-auditor', 'Yonas Alemu (internal audit)'],
  },
  'national-bank': {
    fx_officer: ['fx-officer', 'Selam Haile (FX directorate)'],
    auditor: ['nbe-auditor', 'Bethlehem Kassa (bank supervision)'],
  },
  ecta: {
    ecta_officer: ['ecta-officer', 'Kebede Worku (export licensing)'],
    auditor: ['ecta-auditor', 'Mulugeta Desta (compliance)'],
  },
  ecx: {
    grader: ['grader', 'Tigist Mekonnen (Q grader)'],
    auditor: ['ecx-auditor', 'Fikru Lemma (quality audit)'],
  },
  'shipping-line': {
    shipping_agent: ['shipping-agent', 'Samuel Assefa (bookings)'],
    auditor: ['shipping-auditor', 'Liya Getachew (audit)'],
  },
  customs: {
    customs_officer: ['customs-officer', 'Abeba Tesfaye (export declarations)'],
    auditor: ['customs-auditor', 'Ermias Wolde (post-clearance audit)'],
  },
};

/**
 * The users the org admins create: one for every role of every org (@coffee/consortium's org table), two
 * exporters at the commercial bank. The `admin` role is each org's existing bootstrap admin (endpoints.json).
 */
export function demoUsers(): DemoUser[] {
  const users: DemoUser[] = [];
  for (const org of ORGS) {
    for (const role of org.roles) {
      if (role === 'admin') continue;
      if (role === 'exporter') {
        for (const x of DEMO_EXPORTERS)
          users.push({
            org: org.id,
            role,
            username: x.username,
            displayName: x.displayName,
            exporterId: x.exporterId,
          });
        continue;
      }
      const staff = STAFF[org.id]?.[role];
      if (!staff) throw new Error(`the demo plan names no ${role} at ${org.id}`);
      users.push({ org: org.id, role, username: staff[0], displayName: staff[1] });
    }
  }
  return users;
}

/** The user of `role` at `org` (the first, for roles with several). */
export function userOf(org: string, role: Role): DemoUser {
  const u = demoUsers().find((x) => x.org === org && x.role === role);
  if (!u) throw new Error(`no demo ${role} at ${org}`);
  return u;
}

export interface DemoMinimumPrice {
  readonly grade: string;
  readonly originRegion: string;
  readonly usdPerKg: number;
}

/** ECTA's floor for every grade and region the exports use (each export's price is above its row). */
export const DEMO_MINIMUM_PRICES: readonly DemoMinimumPrice[] = [
  { grade: 'G1', originRegion: 'YIRGACHEFFE', usdPerKg: 6.2 },
  { grade: 'G2', originRegion: 'SIDAMA', usdPerKg: 5.1 },
  { grade: 'G3', originRegion: 'GUJI', usdPerKg: 4.4 },
];

/** How an export gets to its status: the main line, or one of the exceptions. */
export type Story = 'main' | 'amended' | 'amendment-requested' | 'rejected';

/** An export's sales contract, as created and as printed on its documents (documents.ts). */
export interface DemoContract {
  readonly contractNumber: string;
  readonly buyerName: string;
  readonly destinationCountry: string;
  readonly contractedGrade: string;
  readonly quantityKg: number;
  readonly originRegion: string;
  readonly incoterm: 'FOB' | 'CFR' | 'CIF';
}

export interface DemoExport {
  readonly exportId: string;
  readonly exporterId: string;
  readonly story: Story;
  /** The status the export is left at. */
  readonly target: ExportStatus;
  readonly description: string;
  readonly contract: DemoContract;
  readonly unitPriceUsdPerKg: number;
  readonly buyerContact: string;
  /** UN/LOCODE of the port of discharge. */
  readonly portOfDischarge: string;
}

const YIRGA = 'EXPT-DEMO-YIRGA';
const SIDAMA = 'EXPT-DEMO-SIDAMA';

function demoExport(
  n: number,
  exporterId: string,
  story: Story,
  target: ExportStatus,
  description: string,
  contract: Omit<DemoExport['contract'], 'contractNumber'>,
  unitPriceUsdPerKg: number,
  buyerContact: string,
  portOfDischarge: string,
): DemoExport {
  const nn = String(n).padStart(2, '0');
  return {
    exportId: `EXP-DEMO-${nn}`,
    exporterId,
    story,
    target,
    description,
    contract: { ...contract, contractNumber: `SC-DEMO-${nn}` },
    unitPriceUsdPerKg,
    buyerContact,
    portOfDischarge,
  };
}

/** Eleven exports: one at each main-line status a queue shows, one amended and resubmitted, one rejected. */
export const DEMO_EXPORTS: readonly DemoExport[] = [
  demoExport(
    1,
    YIRGA,
    'main',
    'COMPLETED',
    'Yirgacheffe G1 to New York: shipped, paid and repatriated — the whole workflow in its history',
    {
      buyerName: 'Hudson Valley Roasters LLC',
      destinationCountry: 'US',
      contractedGrade: 'G1',
      quantityKg: 19_200,
      originRegion: 'YIRGACHEFFE',
      incoterm: 'FOB',
    },
    7.85,
    'purchasing@hudson-roasters.example',
    'USNYC',
  ),
  demoExport(
    2,
    SIDAMA,
    'main',
    'SHIPPED',
    'Sidama G2 to Oakland: on the water with tracking events; the bank awaits the proceeds',
    {
      buyerName: 'Bay Area Specialty Coffee Inc.',
      destinationCountry: 'US',
      contractedGrade: 'G2',
      quantityKg: 38_400,
      originRegion: 'SIDAMA',
      incoterm: 'FOB',
    },
    6.4,
    'green@bayareacoffee.example',
    'USOAK',
  ),
  demoExport(
    3,
    YIRGA,
    'main',
    'UNDER_INSPECTION',
    'Yirgacheffe G1 to Yokohama: declared on the yellow lane, customs is inspecting the cargo',
    {
      buyerName: 'Kissa Trading Co., Ltd.',
      destinationCountry: 'JP',
      contractedGrade: 'G1',
      quantityKg: 19_200,
      originRegion: 'YIRGACHEFFE',
      incoterm: 'CFR',
    },
    8.1,
    'import@kissa-trading.example',
    'JPYOK',
  ),
  demoExport(
    4,
    SIDAMA,
    'main',
    'SHIPMENT_BOOKED',
    'Sidama G2 to Antwerp: booked with shipping documents attached; EU-bound, so customs waits for its EUDR due diligence package',
    {
      buyerName: 'Flanders Coffee Importers NV',
      destinationCountry: 'BE',
      contractedGrade: 'G2',
      quantityKg: 19_200,
      originRegion: 'SIDAMA',
      incoterm: 'FOB',
    },
    6.25,
    'sourcing@flanders-coffee.example',
    'BEANR',
  ),
  demoExport(
    5,
    YIRGA,
    'main',
    'FX_APPROVED',
    'Guji G3 to Busan: FX permit issued by the National Bank, waiting for a shipment booking',
    {
      buyerName: 'Hangang Coffee Company',
      destinationCountry: 'KR',
      contractedGrade: 'G3',
      quantityKg: 19_200,
      originRegion: 'GUJI',
      incoterm: 'FOB',
    },
    5.05,
    'buying@hangang-coffee.example',
    'KRPUS',
  ),
  demoExport(
    6,
    SIDAMA,
    'main',
    'QUALITY_CERTIFIED',
    'Sidama G2 to Jeddah: quality certified by ECX, waiting for the bank to file the FX application',
    {
      buyerName: 'Red Sea Coffee Trading LLC',
      destinationCountry: 'SA',
      contractedGrade: 'G2',
      quantityKg: 19_200,
      originRegion: 'SIDAMA',
      incoterm: 'CFR',
    },
    6.3,
    'trade@redsea-coffee.example',
    'SAJED',
  ),
  demoExport(
    7,
    YIRGA,
    'main',
    'CONTRACT_REGISTERED',
    'Yirgacheffe G1 to Oslo: contract registered by ECTA, waiting for ECX grading',
    {
      buyerName: 'Nordic Light Roasters AS',
      destinationCountry: 'NO',
      contractedGrade: 'G1',
      quantityKg: 19_200,
      originRegion: 'YIRGACHEFFE',
      incoterm: 'FOB',
    },
    7.6,
    'coffee@nordiclight.example',
    'NOOSL',
  ),
  demoExport(
    8,
    SIDAMA,
    'main',
    'SUBMITTED',
    'Guji G3 to Genoa: just submitted, waiting for ECTA to register the contract',
    {
      buyerName: 'Torrefazione Ligure S.p.A.',
      destinationCountry: 'IT',
      contractedGrade: 'G3',
      quantityKg: 19_200,
      originRegion: 'GUJI',
      incoterm: 'FOB',
    },
    4.9,
    'acquisti@torrefazione-ligure.example',
    'ITGOA',
  ),
  demoExport(
    9,
    YIRGA,
    'amended',
    'FX_SUBMITTED',
    'Sidama G2 to Le Havre: the National Bank asked for a corrected LC amount; the bank resubmitted, back for FX approval',
    {
      buyerName: 'Maison du Cafe Vert SARL',
      destinationCountry: 'FR',
      contractedGrade: 'G2',
      quantityKg: 19_200,
      originRegion: 'SIDAMA',
      incoterm: 'FOB',
    },
    6.5,
    'achats@cafe-vert.example',
    'FRLEH',
  ),
  demoExport(
    10,
    SIDAMA,
    'rejected',
    'REJECTED',
    'Yirgacheffe G1 to Rotterdam: rejected by the ECX grader, the lot did not make grade G1',
    {
      buyerName: 'Dutch Bean Company BV',
      destinationCountry: 'NL',
      contractedGrade: 'G1',
      quantityKg: 19_200,
      originRegion: 'YIRGACHEFFE',
      incoterm: 'FOB',
    },
    7.4,
    'inkoop@dutchbean.example',
    'NLRTM',
  ),
  demoExport(
    11,
    YIRGA,
    'amendment-requested',
    'AMENDMENT_REQUESTED',
    'Guji G3 to Melbourne: ECTA asked the exporter for the countersigned sales contract',
    {
      buyerName: 'Southern Cross Coffee Pty Ltd',
      destinationCountry: 'AU',
      contractedGrade: 'G3',
      quantityKg: 19_200,
      originRegion: 'GUJI',
      incoterm: 'CIF',
    },
    5.2,
    'supply@southerncross-coffee.example',
    'AUMEL',
  ),
];

/** The contract value: unit price × quantity, in whole cents (the chaincode checks exactly this). */
export function contractValueUsd(x: DemoExport): number {
  return Math.round(x.unitPriceUsdPerKg * 100 * x.contract.quantityKg) / 100;
}

/** Whose queue shows an export next (frontend/src/lib/workflow.ts QUEUES), or null once nobody acts. */
export function queueOf(x: DemoExport): { org: string; role: Role } | null {
  switch (x.target) {
    case 'SUBMITTED':
      return { org: 'ecta', role: 'ecta_officer' };
    case 'CONTRACT_REGISTERED':
      return { org: 'ecx', role: 'grader' };
    case 'QUALITY_CERTIFIED':
    case 'SHIPPED':
      return { org: 'commercial-bank', role: 'bank_officer' };
    case 'FX_SUBMITTED':
    case 'PAYMENT_RECEIVED':
      return { org: 'national-bank', role: 'fx_officer' };
    case 'FX_APPROVED':
    case 'CUSTOMS_CLEARED':
      return { org: 'shipping-line', role: 'shipping_agent' };
    case 'SHIPMENT_BOOKED':
    case 'UNDER_INSPECTION':
      return { org: 'customs', role: 'customs_officer' };
    case 'AMENDMENT_REQUESTED':
      // The demo's amendment requests go back to the exporter (an FX amendment would go to the bank officer).
      return { org: 'commercial-bank', role: 'exporter' };
    default:
      return null;
  }
}

// ------------------------------------------------------------------------------------------------ steps

/** Where an export stands: its status and how many amendments it went through. */
export interface Position {
  readonly status: ExportStatus;
  readonly amendmentCount: number;
}

/** What the seeding reads back from the ledger to find where it left off. */
export interface LedgerView extends Position {
  readonly documents: readonly { readonly type: string }[];
  readonly tracking: readonly unknown[];
}

/** What a step's request body is built from besides the plan. */
export interface StepContext {
  /** CIDs of the documents the step uploaded first, by type. */
  readonly cids: Partial<Record<DocumentType, string>>;
  /** The FX permit (the customs officer reads it from the export before declaring). */
  readonly permitNumber?: string;
  /** The seeding's start (state file): every date derives from it. */
  readonly startedAt: Date;
}

export interface Upload {
  readonly type: DocumentType;
  readonly quantityKg?: number;
  readonly grade?: string;
  /** Facts shown on the generated document (LC number, booking number, …). */
  readonly references?: Readonly<Record<string, string>>;
  /** A corrected re-issue (amendments). */
  readonly revision?: string;
}

export interface Step {
  /** create: POST /exports; action: POST /exports/{id}/actions/{action}; attach: an exporter's self-attached upload. */
  readonly kind: 'create' | 'action' | 'attach';
  readonly action?: string;
  readonly org: string;
  readonly username: string;
  readonly role: Role;
  /** Statuses the acting org must see before acting (its peer may be a block behind). */
  readonly from: readonly ExportStatus[];
  /** Where the export stands once the step is done. */
  readonly after: Position;
  /** Documents uploaded first (kind attach: the one document, attached on-chain by its upload). */
  readonly uploads: readonly Upload[];
  readonly body: (c: StepContext) => Record<string, unknown>;
  /** For steps that leave the position unchanged (attachments, tracking events): whether the ledger shows it done. */
  readonly doneWhen?: (v: LedgerView) => boolean;
  /** The body needs the FX permit number. */
  readonly needsPermit?: boolean;
}

const isoDay = (d: Date, offsetDays = 0): string =>
  new Date(d.getTime() + offsetDays * 86_400_000).toISOString().slice(0, 10);

const docs = (c: StepContext, uploads: readonly Upload[]): Record<string, unknown>[] =>
  uploads.map((u) => {
    const cid = c.cids[u.type];
    if (!cid) throw new Error(`no CID for the uploaded ${u.type}`);
    return {
      type: u.type,
      cid,
      ...(u.quantityKg !== undefined ? { quantityKg: u.quantityKg } : {}),
      ...(u.grade !== undefined ? { grade: u.grade } : {}),
    };
  });

const QUALITY: Readonly<
  Record<string, { cupScore: number; moisturePercent: number; defectsPer300g: number }>
> = {
  G1: { cupScore: 88.25, moisturePercent: 10.8, defectsPer300g: 2 },
  G2: { cupScore: 85.5, moisturePercent: 11, defectsPer300g: 4 },
  G3: { cupScore: 83, moisturePercent: 11.4, defectsPer300g: 9 },
};

/** References (booking, LC, B/L numbers) of one export, derived from its number. */
export function referencesOf(x: DemoExport): Record<string, string> {
  const nn = x.exportId.slice(-2);
  const q = QUALITY[x.contract.contractedGrade] ?? QUALITY.G2!;
  return {
    registrationNumber: `ECTA/CR/${nn}`,
    lotNumber: `ECX-LOT-${x.contract.originRegion.slice(0, 3)}-${nn}`,
    warehouseReceiptNumber: `WR-DIRE-${nn}`,
    cupScore: String(q.cupScore),
    moisturePercent: String(q.moisturePercent),
    defectsPer300g: String(q.defectsPer300g),
    evidenceReference: `LC-CBE-${nn}`,
    amountUsd: String(contractValueUsd(x)),
    bookingNumber: `BKG-DJI-${nn}`,
    vesselName: 'MV Abay',
    voyageNumber: `V-${nn}E`,
    containerNumbers: containersOf(x).join(', '),
    portOfLoading: 'DJJIB',
    portOfDischarge: x.portOfDischarge,
    declarationNumber: `EXD-${nn}`,
    billOfLadingNumber: `ABAY-BL-${nn}`,
    paymentReference: `SWIFT-IN-${nn}`,
  };
}

/** One 20-foot container holds 19 200 kg (320 bags of 60 kg). */
function containersOf(x: DemoExport): string[] {
  const nn = x.exportId.slice(-2);
  return Array.from(
    { length: Math.ceil(x.contract.quantityKg / 19_200) },
    (_, i) => `ESLU${nn}${String(i + 1).padStart(5, '0')}`,
  );
}

/** The main line, from creation to COMPLETED (stepsOf cuts it at the export's target). */
function mainLine(x: DemoExport, exporter: DemoUser, riskLane: 'GREEN' | 'YELLOW' = 'GREEN'): Step[] {
  const r = referencesOf(x);
  const q = QUALITY[x.contract.contractedGrade] ?? QUALITY.G2!;
  const value = contractValueUsd(x);
  const grade = x.contract.contractedGrade;
  const qty = x.contract.quantityKg;
  const at = (status: ExportStatus): Position => ({ status, amendmentCount: 0 });
  const staff = (org: string, role: Role): Pick<Step, 'org' | 'username' | 'role'> => ({
    org,
    role,
    username: userOf(org, role).username,
  });
  const byExporter = { org: exporter.org, username: exporter.username, role: exporter.role };
  const withDocs = (c: StepContext, uploads: readonly Upload[], body: Record<string, unknown>) => ({
    ...body,
    documents: docs(c, uploads),
  });

  const createUploads: Upload[] = [{ type: 'SALES_CONTRACT' }, { type: 'PROFORMA_INVOICE' }];
  const quality: Upload[] = [{ type: 'QUALITY_CERTIFICATE', references: r }];
  const lc: Upload[] = [{ type: 'LC_OR_ADVANCE_ADVICE', references: r }];
  const booking: Upload[] = [{ type: 'BOOKING_CONFIRMATION', references: r }];
  const declaration: Upload[] = [{ type: 'EXPORT_DECLARATION', references: { ...r, riskLane } }];
  const bl: Upload[] = [{ type: 'BILL_OF_LADING', references: r }];
  const payment: Upload[] = [{ type: 'PAYMENT_ADVICE', references: r }];
  const attach = (u: Upload): Step => ({
    kind: 'attach',
    ...byExporter,
    from: ['SHIPMENT_BOOKED'],
    after: at('SHIPMENT_BOOKED'),
    uploads: [u],
    body: () => ({}),
    doneWhen: (v) => v.documents.some((d) => d.type === u.type),
  });
  const tracking = (n: number, location: string, status: string): Step => ({
    kind: 'action',
    action: 'add-tracking-event',
    ...staff('shipping-line', 'shipping_agent'),
    from: ['SHIPPED'],
    after: at('SHIPPED'),
    uploads: [],
    // At or before the transaction's time (the chaincode refuses future events), fixed for a resumed seeding.
    body: (c) => ({ location, status, eventTime: new Date(c.startedAt.getTime() + n * 1000).toISOString() }),
    doneWhen: (v) => v.tracking.length >= n,
  });

  return [
    {
      kind: 'create',
      ...byExporter,
      from: [],
      after: at('SUBMITTED'),
      uploads: createUploads,
      body: (c) => ({
        exportId: x.exportId,
        contract: x.contract,
        documents: docs(c, createUploads),
        tradeTerms: {
          unitPriceUsdPerKg: x.unitPriceUsdPerKg,
          contractValueUsd: value,
          paymentMethod: 'LC',
          paymentTerms: 'Irrevocable LC at sight, confirmed by a first-class bank',
        },
        details: { buyerContact: x.buyerContact, notes: x.description },
      }),
    },
    {
      kind: 'action',
      action: 'register-contract',
      ...staff('ecta', 'ecta_officer'),
      from: ['SUBMITTED'],
      after: at('CONTRACT_REGISTERED'),
      uploads: [],
      body: () => ({ registrationNumber: r.registrationNumber }),
    },
    {
      kind: 'action',
      action: 'certify-quality',
      ...staff('ecx', 'grader'),
      from: ['CONTRACT_REGISTERED'],
      after: at('QUALITY_CERTIFIED'),
      uploads: quality,
      body: (c) =>
        withDocs(c, quality, {
          lotNumber: r.lotNumber,
          warehouseReceiptNumber: r.warehouseReceiptNumber,
          certifiedGrade: grade,
          ...q,
          certifiedQuantityKg: qty,
        }),
    },
    {
      kind: 'action',
      action: 'submit-fx',
      ...staff('commercial-bank', 'bank_officer'),
      from: ['QUALITY_CERTIFIED'],
      after: at('FX_SUBMITTED'),
      uploads: lc,
      body: (c) =>
        withDocs(c, lc, {
          fxApplication: { paymentMethod: 'LC', evidenceReference: r.evidenceReference, amountUsd: value },
        }),
    },
    {
      kind: 'action',
      action: 'approve-fx',
      ...staff('national-bank', 'fx_officer'),
      from: ['FX_SUBMITTED'],
      after: at('FX_APPROVED'),
      uploads: [],
      body: () => ({}),
    },
    {
      kind: 'action',
      action: 'book-shipment',
      ...staff('shipping-line', 'shipping_agent'),
      from: ['FX_APPROVED'],
      after: at('SHIPMENT_BOOKED'),
      uploads: booking,
      body: (c) =>
        withDocs(c, booking, {
          bookingNumber: r.bookingNumber,
          vesselName: r.vesselName,
          voyageNumber: r.voyageNumber,
          containerNumbers: containersOf(x),
          portOfLoading: r.portOfLoading,
          portOfDischarge: x.portOfDischarge,
          etd: isoDay(c.startedAt, 12),
        }),
    },
    attach({ type: 'COMMERCIAL_INVOICE', quantityKg: qty, grade }),
    attach({ type: 'PACKING_LIST', quantityKg: qty }),
    attach({ type: 'CERTIFICATE_OF_ORIGIN' }),
    attach({ type: 'PHYTOSANITARY_CERTIFICATE' }),
    {
      kind: 'action',
      action: riskLane === 'GREEN' ? 'clear-customs' : 'start-inspection',
      ...staff('customs', 'customs_officer'),
      from: ['SHIPMENT_BOOKED'],
      after: at(riskLane === 'GREEN' ? 'CUSTOMS_CLEARED' : 'UNDER_INSPECTION'),
      uploads: declaration,
      needsPermit: true,
      body: (c) =>
        withDocs(c, declaration, {
          declarationNumber: r.declarationNumber,
          permitNumber: c.permitNumber ?? '',
          declaredQuantityKg: qty,
          declaredGrade: grade,
          riskLane,
          customsValue: { declaredValueUsd: value },
        }),
    },
    {
      kind: 'action',
      action: 'ship',
      ...staff('shipping-line', 'shipping_agent'),
      from: ['CUSTOMS_CLEARED'],
      after: at('SHIPPED'),
      uploads: bl,
      body: (c) =>
        withDocs(c, bl, { billOfLadingNumber: r.billOfLadingNumber, onBoardDate: isoDay(c.startedAt) }),
    },
    tracking(1, 'Port of Djibouti', 'DEPARTED'),
    tracking(2, 'Suez Canal', 'IN_TRANSIT'),
    {
      kind: 'action',
      action: 'confirm-payment',
      ...staff('commercial-bank', 'bank_officer'),
      from: ['SHIPPED'],
      after: at('PAYMENT_RECEIVED'),
      uploads: payment,
      body: (c) =>
        withDocs(c, payment, {
          paymentReference: r.paymentReference,
          paymentProceeds: { amountUsd: value },
        }),
    },
    {
      kind: 'action',
      action: 'confirm-repatriation',
      ...staff('national-bank', 'fx_officer'),
      from: ['PAYMENT_RECEIVED'],
      after: at('COMPLETED'),
      uploads: [],
      body: () => ({}),
    },
  ];
}

/** The main line up to (and with the trailing attachments or tracking events of) `status`. */
function upTo(steps: readonly Step[], status: ExportStatus): Step[] {
  const last = steps.map((s) => s.after.status).lastIndexOf(status);
  if (last < 0) throw new Error(`the main line never reaches ${status}`);
  return steps.slice(0, last + 1);
}

/** The steps that take `x` from nothing to its target, in order. */
export function stepsOf(x: DemoExport): Step[] {
  const exporter = demoUsers().find((u) => u.role === 'exporter' && u.exporterId === x.exporterId);
  if (!exporter) throw new Error(`no exporter user for ${x.exporterId}`);
  const main = mainLine(x, exporter);
  const r = referencesOf(x);
  const steps = ((): Step[] => {
    switch (x.story) {
      case 'main':
        if (x.target === 'UNDER_INSPECTION') return upTo(mainLine(x, exporter, 'YELLOW'), 'UNDER_INSPECTION');
        return upTo(main, x.target);
      case 'amended': {
        // The bank's first FX application states a short LC amount; the National Bank asks for a correction.
        const wrong = Math.round(contractValueUsd(x) * 0.95);
        const line = upTo(main, 'FX_SUBMITTED');
        const submitFx = line[line.length - 1]!;
        const lcFirst: Upload[] = [
          { type: 'LC_OR_ADVANCE_ADVICE', references: { ...r, amountUsd: String(wrong) } },
        ];
        const lcFixed: Upload[] = [
          {
            type: 'LC_OR_ADVANCE_ADVICE',
            references: { ...r, evidenceReference: `${r.evidenceReference}-A1` },
            revision: 'amendment 1',
          },
        ];
        const submit: Step = {
          ...submitFx,
          uploads: lcFirst,
          body: (c) => ({
            fxApplication: { paymentMethod: 'LC', evidenceReference: r.evidenceReference, amountUsd: wrong },
            documents: docs(c, lcFirst),
          }),
        };
        return [
          ...line.slice(0, -1),
          submit,
          {
            kind: 'action',
            action: 'request-amendment',
            org: 'national-bank',
            role: 'fx_officer',
            username: userOf('national-bank', 'fx_officer').username,
            from: ['FX_SUBMITTED'],
            after: { status: 'AMENDMENT_REQUESTED', amendmentCount: 0 },
            uploads: [],
            body: () => ({
              reasonCode: 'LC_AMOUNT_MISMATCH',
              reason: `The LC covers USD ${wrong}, the registered contract value is USD ${contractValueUsd(x)}. Please submit the amended LC.`,
            }),
          },
          {
            kind: 'action',
            action: 'amend',
            org: 'commercial-bank',
            role: 'bank_officer',
            username: userOf('commercial-bank', 'bank_officer').username,
            from: ['AMENDMENT_REQUESTED'],
            after: { status: 'FX_SUBMITTED', amendmentCount: 1 },
            uploads: lcFixed,
            body: (c) => ({
              fxApplication: {
                paymentMethod: 'LC',
                evidenceReference: `${r.evidenceReference}-A1`,
                amountUsd: contractValueUsd(x),
              },
              documents: docs(c, lcFixed),
            }),
          },
        ];
      }
      case 'amendment-requested':
        return [
          ...upTo(main, 'SUBMITTED'),
          {
            kind: 'action',
            action: 'request-amendment',
            org: 'ecta',
            role: 'ecta_officer',
            username: userOf('ecta', 'ecta_officer').username,
            from: ['SUBMITTED'],
            after: { status: 'AMENDMENT_REQUESTED', amendmentCount: 0 },
            uploads: [],
            body: () => ({
              reasonCode: 'CONTRACT_NOT_COUNTERSIGNED',
              reason:
                "The sales contract lacks the buyer's countersignature page. Upload the countersigned contract.",
            }),
          },
        ];
      case 'rejected':
        return [
          ...upTo(main, 'CONTRACT_REGISTERED'),
          {
            kind: 'action',
            action: 'reject',
            org: 'ecx',
            role: 'grader',
            username: userOf('ecx', 'grader').username,
            from: ['CONTRACT_REGISTERED'],
            after: { status: 'REJECTED', amendmentCount: 0 },
            uploads: [],
            body: () => ({
              reasonCode: 'GRADE_NOT_MET',
              reason:
                'Cup score 79.5 with 27 defects per 300 g: the lot grades G4, below the contracted G1. Sample kept at the ECX Hawassa centre.',
            }),
          },
        ];
    }
  })();
  const end = steps[steps.length - 1]!.after.status;
  if (end !== x.target) throw new Error(`${x.exportId}: the steps end at ${end}, not ${x.target}`);
  return steps;
}

const same = (a: Position, b: Position): boolean =>
  a.status === b.status && a.amendmentCount === b.amendmentCount;

/**
 * The first step not yet done, judged from where the ledger says the export stands (undefined: it does not
 * exist yet). Positions along a plan never repeat, so the ledger's position tells which transitions happened;
 * steps that leave the position unchanged (attachments, tracking events) are checked one by one.
 */
export function firstPendingStep(steps: readonly Step[], view: LedgerView | undefined): number {
  if (!view) return 0;
  const positions: Position[] = [];
  for (const s of steps) {
    const last = positions[positions.length - 1];
    if (!last || !same(last, s.after)) positions.push(s.after);
  }
  const reached = positions.findIndex((p) => same(p, view));
  if (reached < 0) {
    throw new Error(
      `it is ${view.status} after ${view.amendmentCount} amendment(s), which the demo plan never leads to`,
    );
  }
  for (const [i, s] of steps.entries()) {
    const at = positions.findIndex((p) => same(p, s.after));
    const done = at < reached || (at === reached && (s.doneWhen?.(view) ?? true));
    if (!done) return i;
  }
  return steps.length;
}
