/**
 * The workflow's vocabulary — states, document types, grades and the closed lists of the contract — with no
 * imports, so the portal (frontend/src/api/types.ts) uses these very lists instead of a copy that drifts.
 */
export const EXPORT_STATUSES = [
  'DRAFT',
  'SUBMITTED',
  'CONTRACT_REGISTERED',
  'QUALITY_CERTIFIED',
  'FX_SUBMITTED',
  'FX_APPROVED',
  'SHIPMENT_BOOKED',
  'UNDER_INSPECTION',
  'CUSTOMS_CLEARED',
  'SHIPPED',
  'PAYMENT_RECEIVED',
  'COMPLETED',
  'AMENDMENT_REQUESTED',
  'REJECTED',
  'CANCELLED',
  'DEFAULTED',
] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

export const DOCUMENT_TYPES = [
  'SALES_CONTRACT',
  'PROFORMA_INVOICE',
  'QUALITY_CERTIFICATE',
  'LC_OR_ADVANCE_ADVICE',
  'BOOKING_CONFIRMATION',
  'EXPORT_DECLARATION',
  'COMMERCIAL_INVOICE',
  'PACKING_LIST',
  'CERTIFICATE_OF_ORIGIN',
  'PHYTOSANITARY_CERTIFICATE',
  'BILL_OF_LADING',
  'PAYMENT_ADVICE',
] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/** G1 is the best grade. */
export const GRADES = ['G1', 'G2', 'G3', 'G4', 'G5', 'G6', 'G7', 'G8', 'G9'] as const;
export type Grade = (typeof GRADES)[number];

export const INCOTERMS = ['FOB', 'FCA', 'CFR', 'CIF', 'CPT', 'CIP'] as const;
export const PAYMENT_METHODS = ['LC', 'CAD', 'ADVANCE'] as const;
export const RISK_LANES = ['GREEN', 'YELLOW', 'RED'] as const;
export const PERMIT_STATUSES = ['ISSUED', 'CONSUMED', 'VOIDED'] as const;
