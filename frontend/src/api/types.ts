/** Wire shapes of the gateway API (gateways.md) and the ledger records it returns (chaincode model). */

export const ROLES = [
  'exporter',
  'bank_officer',
  'fx_officer',
  'ecta_officer',
  'grader',
  'shipping_agent',
  'customs_officer',
  'admin',
  'auditor',
] as const;
export type Role = (typeof ROLES)[number];

// The workflow's vocabulary comes from the chaincode itself (an import-free module), never a copy.
import {
  DOCUMENT_TYPES,
  EXPORT_STATUSES,
  GRADES,
  INCOTERMS,
  PAYMENT_METHODS,
  RISK_LANES,
  type DocumentType,
  type ExportStatus,
  type Grade,
} from '../../../chaincode/coffee-export/src/model/vocabulary';

export { DOCUMENT_TYPES, EXPORT_STATUSES, GRADES, INCOTERMS, PAYMENT_METHODS, RISK_LANES };
export type { DocumentType, ExportStatus, Grade };
export type Incoterm = (typeof INCOTERMS)[number];
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export type RiskLane = (typeof RISK_LANES)[number];

export const ACTIONS = [
  'register-contract',
  'request-amendment',
  'amend',
  'attach-documents',
  'certify-quality',
  'submit-fx',
  'approve-fx',
  'book-shipment',
  'start-inspection',
  'clear-customs',
  'complete-inspection',
  'ship',
  'add-tracking-event',
  'confirm-payment',
  'confirm-repatriation',
  'reject',
  'cancel',
  'mark-defaulted',
] as const;
export type ActionName = (typeof ACTIONS)[number];

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

/** A document on the ledger record (`doc` + what the chaincode adds). */
export interface DocumentRecord {
  type: DocumentType;
  cid: string;
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

export interface ExportRecord {
  exportId: string;
  exporterId: string;
  status: ExportStatus;
  contract: ContractInfo;
  termsHash?: string;
  valueCommitmentHash?: string;
  documents: DocumentRecord[];
  tracking: TrackingEvent[];
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
}

/** A row of GET /exports (read model); the UI needs only these members. */
export interface ExportSummary {
  exportId: string;
  permitNumber?: string;
  lastTxId?: string;
  lastBlock?: string | number;
  exporterId: string;
  status: ExportStatus;
  contract?: Partial<ContractInfo>;
  buyerName?: string;
  createdAt?: string;
  updatedAt: string;
  amendment?: ExportRecord['amendment'];
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
  delinquent?: boolean;
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

export interface VerifyResult {
  exportId: string;
  status: ExportStatus;
  exporterId?: string;
  updatedAt?: string;
  contract?: Partial<ContractInfo>;
  documents: Array<{
    type: DocumentType;
    version: number;
    sha256: string;
    cid?: string;
    uploadedAt?: string;
    txId?: string;
  }>;
  permit?: { permitNumber: string; status: string };
  permitStatus?: string | null;
  lastTxId?: string;
  shipment?: { billOfLadingNumber?: string; onBoardDate?: string };
  txId?: string;
  blockNumber?: number | string;
  verifiedAt?: string;
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
