/** Wire shapes of the gateway API (gateways.md) and the ledger records it returns (chaincode model). */

// The consortium's roles, actions and the workflow's vocabulary come from @coffee/consortium, never a copy.
import type { ActionName, DocumentType, ExportStatus, Grade, Role } from '@coffee/consortium';
import { INCOTERMS, PAYMENT_METHODS, RISK_LANES } from '@coffee/consortium';

export {
  ACTION_NAMES,
  DOCUMENT_TYPES,
  EXPORT_STATUSES,
  GRADES,
  INCOTERMS,
  PAYMENT_METHODS,
  RISK_LANES,
  ROLES,
} from '@coffee/consortium';
export type { ActionName, DocumentType, ExportStatus, Grade, Role };
export type Incoterm = (typeof INCOTERMS)[number];
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export type RiskLane = (typeof RISK_LANES)[number];

export interface User {
  id: string;
  username: string;
  role: Role;
  org?: string;
  mspId?: string;
  displayName?: string;
  email?: string;
  status?: 'ACTIVE' | 'SUSPENDED';
  exporterId?: string;
  createdAt?: string;
}

export interface LoginResponse {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: User;
  /** The org's policy requires two-factor of this user, who has not enrolled yet. */
  mfaEnrollmentRequired?: boolean;
}

export interface RefreshResponse {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user?: User;
}

export interface Actor {
  mspId: string;
  userId: string;
  role: string;
}

/**
 * A document as a step's body references it: the gateway looks the uploaded file up by CID (its SHA-256,
 * size and media type come from the gateway's own record) and passes the chaincode's `doc` on.
 */
export interface DocumentRef {
  type: DocumentType;
  cid: string;
  quantityKg?: number;
  grade?: Grade;
}

/**
 * A document on the ledger record (`doc` + what the chaincode adds). A document the viewer's org may not read
 * (policy.ts DOCUMENT_AUDIENCE) comes `restricted`, without its CID and the facts it states.
 */
export interface DocumentRecord {
  type: DocumentType;
  cid?: string;
  restricted?: boolean;
  sha256: string;
  sizeBytes: number;
  mediaType: string;
  quantityKg?: number;
  grade?: Grade;
  version: number;
  uploadedBy: Actor;
  uploadedAt: string;
  txId: string;
}

/** POST /documents and POST /exports/{id}/documents response (the latter attaches exporter shipping documents at once). */
export interface UploadedDocument {
  type: DocumentType;
  version?: number | null;
  cid: string;
  sha256: string;
  size: number;
  mediaType?: string;
  txId?: string | null;
  attached?: boolean;
}

export interface ContractInfo {
  contractNumber: string;
  buyerName: string;
  destinationCountry: string;
  contractedGrade: Grade;
  quantityKg: number;
  originRegion: string;
  incoterm: Incoterm;
}

export interface TrackingEvent {
  location: string;
  status: string;
  eventTime: string;
  recordedAt: string;
  recordedBy: string;
}

export interface LastAction {
  action: string;
  by: Actor;
  at: string;
  txId: string;
  reasonCode?: string;
  reason?: string;
}

/** The National Bank's record that this export's proceeds were overdue (mark-delinquent / clear-delinquency). */
export interface Delinquency {
  markedAt: string;
  markedBy: Actor;
  repatriationDueAt?: string;
  clearedAt?: string;
  clearedBy?: Actor;
}

/**
 * An export as the gateway returns it to this viewer: field groups the viewer may not read (policy.ts
 * FIELD_GROUPS) are simply absent.
 */
export interface ExportRecord {
  exportId: string;
  exporterId: string;
  status: ExportStatus;
  /** The furthest main-line status reached (policy.ts progressOf); who may see what follows from it. */
  reached: ExportStatus;
  contract: ContractInfo;
  termsHash?: string;
  valueCommitmentHash?: string;
  documents: DocumentRecord[];
  tracking?: TrackingEvent[];
  amendmentCount: number;
  createdAt: string;
  createdBy: Actor;
  updatedAt: string;
  lastAction: LastAction;
  registration?: {
    registrationNumber: string;
    minimumPriceId: string;
    minimumUsdPerKg: number;
    registeredAt: string;
    shipBy: string;
  };
  quality?: {
    lotNumber: string;
    warehouseReceiptNumber: string;
    certifiedGrade: Grade;
    cupScore: number;
    moisturePercent: number;
    defectsPer300g: number;
    certifiedQuantityKg: number;
    certifiedAt: string;
  };
  fx?: { applicationHash: string; submittedAt: string; approvedAt?: string };
  permit?: { permitNumber: string; status: string; issuedAt: string; consumedAt?: string; voidedAt?: string };
  booking?: {
    bookingNumber: string;
    vesselName: string;
    voyageNumber: string;
    containerNumbers: string[];
    portOfLoading: string;
    portOfDischarge: string;
    etd: string;
    bookedAt: string;
  };
  customs?: {
    declarationNumber: string;
    declaredQuantityKg: number;
    declaredGrade: Grade;
    riskLane: RiskLane;
    valueVerified: boolean;
    declaredAt: string;
    inspectionFindings?: string;
    clearedAt?: string;
  };
  shipment?: {
    billOfLadingNumber: string;
    onBoardDate: string;
    shippedAt: string;
    repatriationDueAt: string;
  };
  payment?: { paymentReference: string; proceedsHash: string; receivedAt: string };
  amendment?: {
    returnTo: ExportStatus;
    step: number;
    reasonCode: string;
    reason: string;
    requestedBy: Actor;
    requestedAt: string;
  };
  closure?: { reasonCode?: string; reason?: string; by: Actor; at: string; penaltyOutcome?: string };
  completedAt?: string;
  delinquency?: Delinquency;
}

/** A row of GET /exports (read model); the UI needs only these members. */
export interface ExportSummary {
  exportId: string;
  permitNumber?: string;
  lastTxId?: string;
  lastBlock?: string | number;
  exporterId: string;
  status: ExportStatus;
  reached?: ExportStatus;
  contract?: Partial<ContractInfo>;
  buyerName?: string;
  createdAt?: string;
  updatedAt: string;
  amendment?: ExportRecord['amendment'] | null;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
  total?: number;
}

export interface HistoryEntry {
  txId: string;
  timestamp: string;
  blockNumber?: number | string;
  isDelete?: boolean;
  record?: ExportRecord;
}

export interface ActionResult {
  id: string;
  status: ExportStatus;
  txId: string;
  blockNumber?: number | string;
}

export interface CreateResult {
  id: string;
  status: ExportStatus;
  txId: string;
}

export const EXPORTER_STATUSES = ['ACTIVE', 'SUSPENDED', 'REVOKED', 'BANNED'] as const;
export interface Exporter {
  exporterId: string;
  legalName: string;
  tin: string;
  licenceNumber: string;
  licenceValidUntil: string;
  status: (typeof EXPORTER_STATUSES)[number];
  warnings?: number;
  /** DELINQUENT while any of its exports' proceeds are overdue (set per export by the National Bank). */
  delinquent?: boolean;
  /** The exports currently recorded as delinquent, where the gateway passes them on. */
  delinquentExports?: string[];
  delinquencyReason?: string;
  updatedAt?: string;
}

export interface MinimumPrice {
  id: string;
  grade: Grade;
  originRegion?: string;
  usdPerKg: number;
  effectiveFrom: string;
  publishedAt?: string;
  publishedBy?: string;
  txId?: string;
}

/**
 * GET /verify/{exportId} (public, no login): state, step times, document types and hashes only. The client keeps
 * exactly these members, so a CID, tx id or name sent by mistake never reaches the page.
 */
export interface VerifyResult {
  exportId: string;
  status: ExportStatus;
  steps: Array<{ status: ExportStatus; at: string }>;
  documents: Array<{
    type: DocumentType;
    version: number;
    sha256: string;
    mediaType?: string;
    sizeBytes?: number;
    uploadedAt?: string;
  }>;
  verifiedAt?: string;
  /** EUDR: does the export need a due diligence package, and the package's status (null: none yet). */
  eudr?: { required: boolean; packageStatus: string | null };
}

/**
 * GET /exports/{id}/trade-terms: the private groups this viewer may read (policy.ts PRIVATE_AUDIENCE), only
 * those keys; never salts.
 */
export interface TradeTermsView {
  exportId: string;
  terms?: {
    unitPriceUsdPerKg: number;
    contractValueUsd: number;
    paymentMethod: string;
    paymentTerms?: string;
  };
  fxApplication?: { paymentMethod: string; evidenceReference: string; amountUsd: number };
  proceeds?: { amountUsd: number; paymentReference: string };
  customsValue?: { contractValueUsd: number };
}

/** The two deadlines' windows (ECTA and the National Bank must agree on a change). */
export interface WorkflowWindows {
  shipByWindowSeconds: number;
  repatriationWindowSeconds: number;
  version: number;
}

export interface WorkflowConfig {
  current: WorkflowWindows;
  pending?: WorkflowWindows & { proposedByMsp: string; proposedAt: string };
}

/** RFC 9457 problem details, with the gateway's stable `code`. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  instance?: string;
  errors?: Array<{ path?: string; message?: string }>;
}
