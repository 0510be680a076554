/**
 * The need-to-know access policy (workflow.md, "Who sees what"), as data in one place. The chaincode's read
 * functions, every gateway route and the portal all decide from these tables and functions; nothing else
 * says who may read what.
 *
 * Three questions, each answered here:
 * - may this caller see this export at all? (canSeeExport: ownership for exporters, the org's entry step for
 *   staff; anything else answers "not found", so the caller does not learn that the export exists)
 * - which parts of it? (field groups of the public record, private data groups, document types: each has a
 *   fixed audience of organizations; within an org, its workflow roles and its auditors read)
 * - which documents may this caller upload? (the roles that attach each document type)
 */
import { MSP, MSP_IDS, type MspId, byMsp } from './orgs.js';
import { type DocumentType, EXPORT_STATUSES, type ExportStatus } from './vocabulary.js';

type PolicyMsp = MspId;

const { CommercialBank: CB, NationalBank: NB, ECTA, ECX, ShippingLine: SL, Customs: CUS } = MSP;
const ALL: readonly PolicyMsp[] = MSP_IDS;

/** Who is asking: the MSP and role of the caller's certificate, and (exporter users) the exporter it acts for. */
export interface Viewer {
  readonly mspId: string;
  readonly role: string;
  readonly exporterId?: string;
}

/** The facts of an export the visibility decision needs (both the ledger record and the read model hold them). */
export interface ExportFacts {
  readonly exporterId: string;
  /** The furthest main-line status the export has reached (never goes back; see progressOf). */
  readonly reached: string;
}

/**
 * The main line of the workflow, in order: the vocabulary's states from DRAFT to COMPLETED (the exceptions —
 * amendment, rejection, cancellation, default — come after it there and do not move progress).
 */
export const MAIN_LINE: readonly ExportStatus[] = EXPORT_STATUSES.slice(
  0,
  EXPORT_STATUSES.indexOf('COMPLETED') + 1,
);

export function progressRank(status: string): number {
  return MAIN_LINE.indexOf(status as ExportStatus);
}

/** The furthest of two statuses on the main line (an exception status leaves `before` as it was). */
export function progressOf(before: string | undefined, status: string): ExportStatus {
  const a = before === undefined ? -1 : progressRank(before);
  const b = progressRank(status);
  const best = Math.max(a, b, 0);
  return MAIN_LINE[best] ?? 'DRAFT';
}

/**
 * The roles of each org that read exports: its workflow roles and its auditors (read-only). Org admins manage
 * their org's users and read no exports.
 */
export const EXPORT_READERS: Readonly<Record<PolicyMsp, readonly string[]>> = byMsp((o) =>
  o.roles.filter((r) => r !== 'admin'),
);

/**
 * The status from which each org's staff see an export: the step at which the org first takes part. The
 * commercial bank handles its customers' requests from the first draft; ECTA reviews submissions (step 2) and
 * supervises from there; ECX grades (3); the National Bank reviews FX applications (5); the shipping line
 * books (6); customs clears (7). An export that stopped earlier (rejected, cancelled) stays out of later orgs' sight.
 */
export const VISIBLE_FROM: Readonly<Record<PolicyMsp, ExportStatus>> = {
  CommercialBankMSP: 'DRAFT',
  ECTAMSP: 'SUBMITTED',
  ECXMSP: 'CONTRACT_REGISTERED',
  NationalBankMSP: 'FX_SUBMITTED',
  ShippingLineMSP: 'FX_APPROVED',
  CustomsMSP: 'SHIPMENT_BOOKED',
};

function policyMsp(mspId: string): PolicyMsp | undefined {
  return MSP_IDS.find((m) => m === mspId);
}

/** Does the viewer read exports at all (a reader role of its org)? */
export function isExportReader(viewer: Viewer): boolean {
  const msp = policyMsp(viewer.mspId);
  return msp !== undefined && EXPORT_READERS[msp].includes(viewer.role);
}

/** The main-line statuses at which an export is visible to the viewer's org (for read-model queries). */
export function visibleReachedStatuses(mspId: string): readonly ExportStatus[] {
  const msp = policyMsp(mspId);
  if (msp === undefined) return [];
  return MAIN_LINE.slice(progressRank(VISIBLE_FROM[msp]));
}

/** May the viewer know that this export exists? */
export function canSeeExport(viewer: Viewer, facts: ExportFacts): boolean {
  const msp = policyMsp(viewer.mspId);
  if (msp === undefined || !isExportReader(viewer)) return false;
  if (viewer.role === 'exporter') {
    return viewer.exporterId !== undefined && viewer.exporterId === facts.exporterId;
  }
  return progressRank(facts.reached) >= progressRank(VISIBLE_FROM[msp]);
}

/**
 * Field groups of the public export record and the record keys each holds. Fields not listed here belong to
 * `core` (identity, status, timestamps, the last action) and go to everyone who sees the export.
 */
export const FIELD_GROUPS = {
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
} as const;
export type FieldGroup = keyof typeof FIELD_GROUPS;

/** Which orgs read each field group (of an export they can see). */
export const FIELD_AUDIENCE: Readonly<Record<FieldGroup, readonly PolicyMsp[]>> = {
  contract: ALL,
  registration: ALL,
  quality: ALL,
  fx: [CB, NB, ECTA, CUS],
  permit: [CB, NB, ECTA, CUS],
  booking: ALL,
  customs: ALL,
  shipment: ALL,
  payment: [CB, NB, ECTA],
  commitments: [CB, NB, ECTA, CUS],
  delinquency: [CB, NB, ECTA],
};

/** Private data (collections): trade terms, FX application, proceeds, and the contract value customs checks. */
export const PRIVATE_GROUPS = ['tradeTerms', 'fxApplication', 'proceeds', 'customsValue'] as const;
export type PrivateGroup = (typeof PRIVATE_GROUPS)[number];

/**
 * Which orgs read each private group. Trade terms stay with the exporter's bank and the two regulators (the
 * tradeTerms collection); customs reads only the registered contract value, to check the declared value (the
 * customsValue collection); the FX application and the proceeds stay with the two banks and ECTA.
 */
export const PRIVATE_AUDIENCE: Readonly<Record<PrivateGroup, readonly PolicyMsp[]>> = {
  tradeTerms: [CB, NB, ECTA],
  fxApplication: [CB, NB, ECTA],
  proceeds: [CB, NB, ECTA],
  customsValue: [CB, NB, ECTA, CUS],
};

/**
 * Which orgs read each document type (of an export they can see). Documents are encrypted for exactly these
 * orgs before they reach IPFS. The exporter's bank (and so the exporter, for its own exports) reads them all.
 */
export const DOCUMENT_AUDIENCE: Readonly<Record<DocumentType, readonly PolicyMsp[]>> = {
  SALES_CONTRACT: [CB, NB, ECTA, CUS],
  PROFORMA_INVOICE: [CB, NB, ECTA],
  QUALITY_CERTIFICATE: [CB, ECTA, ECX, CUS],
  LC_OR_ADVANCE_ADVICE: [CB, NB, ECTA, CUS],
  BOOKING_CONFIRMATION: [CB, ECTA, SL, CUS],
  EXPORT_DECLARATION: [CB, NB, ECTA, SL, CUS],
  COMMERCIAL_INVOICE: [CB, NB, ECTA, CUS],
  PACKING_LIST: [CB, ECTA, SL, CUS],
  CERTIFICATE_OF_ORIGIN: [CB, ECTA, SL, CUS],
  PHYTOSANITARY_CERTIFICATE: [CB, ECTA, SL, CUS],
  BILL_OF_LADING: [CB, NB, ECTA, SL, CUS],
  PAYMENT_ADVICE: [CB, NB],
};

/** Who attaches each document type (org and role), so nobody uploads a document of another party's step. */
export const DOCUMENT_UPLOADERS: Readonly<Record<DocumentType, readonly { msp: PolicyMsp; role: string }[]>> =
  {
    SALES_CONTRACT: [{ msp: CB, role: 'exporter' }],
    PROFORMA_INVOICE: [{ msp: CB, role: 'exporter' }],
    QUALITY_CERTIFICATE: [{ msp: ECX, role: 'grader' }],
    LC_OR_ADVANCE_ADVICE: [
      { msp: CB, role: 'bank_officer' },
      { msp: CB, role: 'exporter' },
    ],
    BOOKING_CONFIRMATION: [{ msp: SL, role: 'shipping_agent' }],
    EXPORT_DECLARATION: [{ msp: CUS, role: 'customs_officer' }],
    COMMERCIAL_INVOICE: [{ msp: CB, role: 'exporter' }],
    PACKING_LIST: [{ msp: CB, role: 'exporter' }],
    CERTIFICATE_OF_ORIGIN: [{ msp: CB, role: 'exporter' }],
    PHYTOSANITARY_CERTIFICATE: [{ msp: CB, role: 'exporter' }],
    BILL_OF_LADING: [{ msp: SL, role: 'shipping_agent' }],
    PAYMENT_ADVICE: [{ msp: CB, role: 'bank_officer' }],
  };

function inAudience(viewer: Viewer, audience: readonly PolicyMsp[]): boolean {
  const msp = policyMsp(viewer.mspId);
  return msp !== undefined && isExportReader(viewer) && audience.includes(msp);
}

export function canReadGroup(viewer: Viewer, facts: ExportFacts, group: FieldGroup): boolean {
  return canSeeExport(viewer, facts) && inAudience(viewer, FIELD_AUDIENCE[group]);
}

export function canReadPrivate(viewer: Viewer, facts: ExportFacts, group: PrivateGroup): boolean {
  return canSeeExport(viewer, facts) && inAudience(viewer, PRIVATE_AUDIENCE[group]);
}

export function canReadDocument(viewer: Viewer, facts: ExportFacts, type: string): boolean {
  const audience = DOCUMENT_AUDIENCE[type as DocumentType] as readonly PolicyMsp[] | undefined;
  return audience !== undefined && canSeeExport(viewer, facts) && inAudience(viewer, audience);
}

export function canUploadDocument(viewer: Viewer, type: string): boolean {
  const uploaders = DOCUMENT_UPLOADERS[type as DocumentType] as
    readonly { msp: PolicyMsp; role: string }[] | undefined;
  return uploaders?.some((u) => u.msp === viewer.mspId && u.role === viewer.role) ?? false;
}

/** The orgs a document of this type is encrypted for. */
export function documentAudience(type: string): readonly PolicyMsp[] {
  const audience: readonly PolicyMsp[] | undefined = DOCUMENT_AUDIENCE[type as DocumentType];
  return audience ?? [];
}

/** What a document record loses for a viewer outside its audience: where it is, and what it states. */
const RESTRICTED_DOCUMENT_FIELDS = ['cid', 'quantityKg', 'grade'] as const;

/**
 * The export record as this viewer may read it: field groups outside its audience are removed, and documents
 * it may not read keep their type, version, hash and time but lose their CID and the facts they state.
 * Callers check canSeeExport first; this never widens what a record shows.
 */
export function redactExport<T extends object>(viewer: Viewer, facts: ExportFacts, record: T): T {
  const out: Record<string, unknown> = { ...(record as Record<string, unknown>) };
  for (const [group, keys] of Object.entries(FIELD_GROUPS) as [FieldGroup, readonly string[]][]) {
    if (!canReadGroup(viewer, facts, group)) {
      for (const key of keys) delete out[key];
    }
  }
  const documents = out.documents;
  if (Array.isArray(documents)) {
    out.documents = documents.map((d: unknown) => {
      const doc = d as Record<string, unknown>;
      if (canReadDocument(viewer, facts, String(doc.type))) return doc;
      const rest: Record<string, unknown> = { ...doc, restricted: true };
      for (const key of RESTRICTED_DOCUMENT_FIELDS) delete rest[key];
      return rest;
    });
  }
  return out as T;
}
