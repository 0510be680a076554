/** The public export record: everything here is visible to every channel member (no private terms). */
import type { Context } from 'fabric-contract-api';
import { Fields } from '@coffee/chaincode-common';
import {
  type Actor,
  COUNTRY_PATTERN,
  GRADES,
  type Grade,
  ID_PATTERN,
  MAX_QUANTITY_KG,
  MAX_USD_PER_KG,
  REFERENCE_PATTERN,
  REGION_PATTERN,
  parseActor,
} from './common';
import { type DocumentRecord, MAX_DOCUMENTS, parseDocumentRecord } from './document';

import {
  DOCUMENTS_OPEN_STATUSES,
  EXPORT_STATUSES,
  type ExportStatus,
  MAIN_LINE,
  PRE_SHIPMENT_STATUSES,
  REVIEW_STATUSES,
  type ReviewStatus,
  TERMINAL_STATUSES,
  progressOf,
} from '@coffee/consortium';

export {
  DOCUMENTS_OPEN_STATUSES,
  EXPORT_STATUSES,
  type ExportStatus,
  PRE_SHIPMENT_STATUSES,
  REVIEW_STATUSES,
  type ReviewStatus,
  TERMINAL_STATUSES,
};

export const REVIEW_STEP: Readonly<Record<ReviewStatus, number>> = {
  SUBMITTED: 2,
  CONTRACT_REGISTERED: 3,
  FX_SUBMITTED: 5,
  SHIPMENT_BOOKED: 7,
};

import { INCOTERMS, PAYMENT_METHODS, PERMIT_STATUSES, RISK_LANES } from '@coffee/consortium';

export { INCOTERMS, PAYMENT_METHODS, PERMIT_STATUSES, RISK_LANES };
export const MAX_TRACKING_EVENTS = 500;

export interface ContractInfo {
  contractNumber: string;
  buyerName: string;
  destinationCountry: string;
  contractedGrade: Grade;
  quantityKg: number;
  originRegion: string;
  incoterm: (typeof INCOTERMS)[number];
}

export interface Registration {
  registrationNumber: string;
  minimumPriceId: string;
  minimumUsdPerKg: number;
  registeredAt: string;
  shipBy: string;
}

export interface Quality {
  lotNumber: string;
  warehouseReceiptNumber: string;
  certifiedGrade: Grade;
  cupScore: number;
  moisturePercent: number;
  defectsPer300g: number;
  certifiedQuantityKg: number;
  certifiedAt: string;
}

export interface FxInfo {
  applicationHash: string;
  submittedAt: string;
  approvedAt?: string;
}

export interface Permit {
  permitNumber: string;
  status: (typeof PERMIT_STATUSES)[number];
  issuedAt: string;
  consumedAt?: string;
  voidedAt?: string;
}

export interface Booking {
  bookingNumber: string;
  vesselName: string;
  voyageNumber: string;
  containerNumbers: string[];
  portOfLoading: string;
  portOfDischarge: string;
  etd: string;
  bookedAt: string;
}

export interface Customs {
  declarationNumber: string;
  declaredQuantityKg: number;
  declaredGrade: Grade;
  riskLane: (typeof RISK_LANES)[number];
  valueVerified: boolean;
  declaredAt: string;
  inspectionFindings?: string;
  clearedAt?: string;
}

export interface Shipment {
  billOfLadingNumber: string;
  onBoardDate: string;
  shippedAt: string;
  repatriationDueAt: string;
}

export interface TrackingEvent {
  location: string;
  status: string;
  eventTime: string;
  recordedAt: string;
  recordedBy: string;
}

export interface Payment {
  paymentReference: string;
  proceedsHash: string;
  receivedAt: string;
}

export interface Amendment {
  returnTo: ReviewStatus;
  step: number;
  reasonCode: string;
  reason: string;
  requestedBy: Actor;
  requestedAt: string;
}

export interface Closure {
  reasonCode?: string;
  reason?: string;
  by: Actor;
  at: string;
  penaltyOutcome?: string;
}

export interface LastAction {
  action: string;
  by: Actor;
  at: string;
  txId: string;
  reasonCode?: string;
  reason?: string;
}

/** National Bank's record that the proceeds of this export were not repatriated in time (MarkDelinquent). */
export interface Delinquency {
  markedAt: string;
  markedBy: Actor;
  repatriationDueAt: string;
  clearedAt?: string;
  clearedBy?: Actor;
}

export interface ExportRecord {
  docType: 'export';
  exportId: string;
  exporterId: string;
  status: ExportStatus;
  /** The furthest main-line status reached (policy.ts progressOf): who may see the export follows from it. */
  reached: ExportStatus;
  contract: ContractInfo;
  /** sha256 of the private trade terms as stored in `tradeTerms` (equals the peer's private data hash). */
  /** Absent only on DRAFT records of the former two-step creation (the terms then came later). */
  termsHash?: string;
  /** sha256 of the salted contract-value commitment (what Customs' declared value must hash to). */
  valueCommitmentHash?: string;
  documents: DocumentRecord[];
  tracking: TrackingEvent[];
  amendmentCount: number;
  createdAt: string;
  createdBy: Actor;
  updatedAt: string;
  lastAction: LastAction;
  registration?: Registration;
  quality?: Quality;
  fx?: FxInfo;
  permit?: Permit;
  booking?: Booking;
  customs?: Customs;
  shipment?: Shipment;
  payment?: Payment;
  amendment?: Amendment;
  closure?: Closure;
  completedAt?: string;
  delinquency?: Delinquency;
}

export const EXPORT_KEY = 'export';
export const STATUS_INDEX = 'exportByStatus';
export const EXPORTER_INDEX = 'exportByExporter';

export function parseTrackingEvent(t: Fields): TrackingEvent {
  return {
    location: t.str('location', { max: 128 }),
    status: t.str('status', { max: 32 }),
    eventTime: t.str('eventTime', { max: 32 }),
    recordedAt: t.str('recordedAt', { max: 32 }),
    recordedBy: t.str('recordedBy', { max: 200 }),
  };
}

/**
 * Tracking events live in their own key, created with the export (CreateExport) with the key-level policy AND(ShippingLine,
 * ECTA): the shipping line appends to it while the export record itself waits for the bank's payment step,
 * endorsed by tradeTerms members only (the payment amount is private).
 */
export const TRACKING_KEY = 'tracking';

export interface TrackingLog {
  docType: 'tracking';
  exportId: string;
  events: TrackingEvent[];
}

export function trackingKey(ctx: Context, exportId: string): string {
  return ctx.stub.createCompositeKey(TRACKING_KEY, [exportId]);
}

export function parseTrackingLog(value: unknown): TrackingLog {
  const f = Fields.of(value, 'tracking', 'CORRUPT_STATE');
  f.oneOf('docType', ['tracking']);
  const log: TrackingLog = {
    docType: 'tracking',
    exportId: f.str('exportId', { max: 64, pattern: ID_PATTERN }),
    events: f.objects('events', MAX_TRACKING_EVENTS).map(parseTrackingEvent),
  };
  f.end();
  return log;
}

export function exportKey(ctx: Context, exportId: string): string {
  return ctx.stub.createCompositeKey(EXPORT_KEY, [exportId]);
}

const T = { max: 32 };
const TEXT = { max: 1000, text: true };

export function parseContractInfo(f: Fields): ContractInfo {
  return {
    contractNumber: f.str('contractNumber', { max: 64, pattern: REFERENCE_PATTERN }),
    buyerName: f.str('buyerName', { max: 200 }),
    destinationCountry: f.str('destinationCountry', { pattern: COUNTRY_PATTERN }),
    contractedGrade: f.oneOf('contractedGrade', GRADES),
    quantityKg: f.int('quantityKg', 1, MAX_QUANTITY_KG),
    originRegion: f.str('originRegion', { max: 64, pattern: REGION_PATTERN }),
    incoterm: f.oneOf('incoterm', INCOTERMS),
  };
}

function opt<T>(f: Fields, name: string, parse: (g: Fields) => T): T | undefined {
  const g = f.optObj(name);
  return g === undefined ? undefined : parse(g);
}

function parseLastAction(f: Fields): LastAction {
  return {
    action: f.str('action', { max: 64 }),
    by: parseActor(f.obj('by')),
    at: f.str('at', T),
    txId: f.str('txId', { max: 128 }),
    reasonCode: f.optStr('reasonCode', { max: 64 }),
    reason: f.optStr('reason', TEXT),
  };
}

/** Parses and validates a stored export record (CORRUPT_STATE on anything unexpected). */
export function parseExport(value: unknown): ExportRecord {
  const f = Fields.of(value, 'export', 'CORRUPT_STATE');
  f.oneOf('docType', ['export']);
  const status = f.oneOf('status', EXPORT_STATUSES);
  return {
    docType: 'export',
    exportId: f.str('exportId', { max: 64, pattern: ID_PATTERN }),
    exporterId: f.str('exporterId', { max: 64, pattern: ID_PATTERN }),
    status,
    reached: f.optOneOf('reached', MAIN_LINE) ?? progressOf(undefined, status),
    contract: parseContractInfo(f.obj('contract')),
    termsHash: f.optStr('termsHash', { max: 64 }),
    valueCommitmentHash: f.optStr('valueCommitmentHash', { max: 64 }),
    documents: f.objects('documents', MAX_DOCUMENTS).map(parseDocumentRecord),
    tracking: f.objects('tracking', MAX_TRACKING_EVENTS).map(parseTrackingEvent),
    amendmentCount: f.int('amendmentCount', 0, 10_000),
    createdAt: f.str('createdAt', T),
    createdBy: parseActor(f.obj('createdBy')),
    updatedAt: f.str('updatedAt', T),
    lastAction: parseLastAction(f.obj('lastAction')),
    registration: opt(f, 'registration', (g) => ({
      registrationNumber: g.str('registrationNumber', { max: 64 }),
      minimumPriceId: g.str('minimumPriceId', { max: 64 }),
      minimumUsdPerKg: g.num('minimumUsdPerKg', { min: 0, max: MAX_USD_PER_KG }),
      registeredAt: g.str('registeredAt', T),
      shipBy: g.str('shipBy', T),
    })),
    quality: opt(f, 'quality', (g) => ({
      lotNumber: g.str('lotNumber', { max: 64 }),
      warehouseReceiptNumber: g.str('warehouseReceiptNumber', { max: 64 }),
      certifiedGrade: g.oneOf('certifiedGrade', GRADES),
      cupScore: g.num('cupScore', { min: 0, max: 100 }),
      moisturePercent: g.num('moisturePercent', { min: 0, max: 100 }),
      defectsPer300g: g.int('defectsPer300g', 0, 1000),
      certifiedQuantityKg: g.int('certifiedQuantityKg', 1, MAX_QUANTITY_KG),
      certifiedAt: g.str('certifiedAt', T),
    })),
    fx: opt(f, 'fx', (g) => ({
      applicationHash: g.str('applicationHash', { max: 64 }),
      submittedAt: g.str('submittedAt', T),
      approvedAt: g.optStr('approvedAt', T),
    })),
    permit: opt(f, 'permit', (g) => ({
      permitNumber: g.str('permitNumber', { max: 64 }),
      status: g.oneOf('status', PERMIT_STATUSES),
      issuedAt: g.str('issuedAt', T),
      consumedAt: g.optStr('consumedAt', T),
      voidedAt: g.optStr('voidedAt', T),
    })),
    booking: opt(f, 'booking', (g) => ({
      bookingNumber: g.str('bookingNumber', { max: 64 }),
      vesselName: g.str('vesselName', { max: 128 }),
      voyageNumber: g.str('voyageNumber', { max: 64 }),
      containerNumbers: g.strings('containerNumbers', 100, { max: 11 }),
      portOfLoading: g.str('portOfLoading', { max: 5 }),
      portOfDischarge: g.str('portOfDischarge', { max: 5 }),
      etd: g.str('etd', T),
      bookedAt: g.str('bookedAt', T),
    })),
    customs: opt(f, 'customs', (g) => ({
      declarationNumber: g.str('declarationNumber', { max: 64 }),
      declaredQuantityKg: g.int('declaredQuantityKg', 1, MAX_QUANTITY_KG),
      declaredGrade: g.oneOf('declaredGrade', GRADES),
      riskLane: g.oneOf('riskLane', RISK_LANES),
      valueVerified: g.bool('valueVerified'),
      declaredAt: g.str('declaredAt', T),
      inspectionFindings: g.optStr('inspectionFindings', TEXT),
      clearedAt: g.optStr('clearedAt', T),
    })),
    shipment: opt(f, 'shipment', (g) => ({
      billOfLadingNumber: g.str('billOfLadingNumber', { max: 64 }),
      onBoardDate: g.str('onBoardDate', T),
      shippedAt: g.str('shippedAt', T),
      repatriationDueAt: g.str('repatriationDueAt', T),
    })),
    payment: opt(f, 'payment', (g) => ({
      paymentReference: g.str('paymentReference', { max: 64 }),
      proceedsHash: g.str('proceedsHash', { max: 64 }),
      receivedAt: g.str('receivedAt', T),
    })),
    amendment: opt(f, 'amendment', (g) => ({
      returnTo: g.oneOf('returnTo', REVIEW_STATUSES),
      step: g.int('step', 2, 7),
      reasonCode: g.str('reasonCode', { max: 64 }),
      reason: g.str('reason', TEXT),
      requestedBy: parseActor(g.obj('requestedBy')),
      requestedAt: g.str('requestedAt', T),
    })),
    closure: opt(f, 'closure', (g) => ({
      reasonCode: g.optStr('reasonCode', { max: 64 }),
      reason: g.optStr('reason', TEXT),
      by: parseActor(g.obj('by')),
      at: g.str('at', T),
      penaltyOutcome: g.optStr('penaltyOutcome', { max: 32 }),
    })),
    completedAt: f.optStr('completedAt', T),
    delinquency: opt(f, 'delinquency', (g) => ({
      markedAt: g.str('markedAt', T),
      markedBy: parseActor(g.obj('markedBy')),
      repatriationDueAt: g.str('repatriationDueAt', T),
      clearedAt: g.optStr('clearedAt', T),
      clearedBy: opt(g, 'clearedBy', parseActor),
    })),
  };
}

/** Index entries hold just enough to find the record; status entries also say whether they are current. */
export interface IndexEntry {
  exportId: string;
  active?: boolean;
}

export function parseIndexEntry(value: unknown): IndexEntry {
  const f = Fields.of(value, 'index', 'CORRUPT_STATE');
  return { exportId: f.str('exportId', { max: 64, pattern: ID_PATTERN }), active: f.optBool('active') };
}

/** Permit numbers name their export: `FXP-<exportId>-<first 8 hex of the approving tx id>`. */
export const PERMIT_PATTERN = /^FXP-([A-Za-z0-9][A-Za-z0-9._-]{0,63})-([0-9A-F]{8})$/;

export function permitNumberFor(exportId: string, txId: string): string {
  return `FXP-${exportId}-${txId.slice(0, 8).toUpperCase()}`;
}
