/**
 * The workflow's vocabulary — states and their groups, document types, grades, the closed lists of the contract
 * and the kinds of private input — defined once for the chaincodes, the gateways and the portal.
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

export const TERMINAL_STATUSES: readonly ExportStatus[] = ['COMPLETED', 'REJECTED', 'CANCELLED', 'DEFAULTED'];

/** States from which CANCELLED and DEFAULTED are possible: alive and not yet SHIPPED. */
export const PRE_SHIPMENT_STATUSES: readonly ExportStatus[] = [
  'DRAFT',
  'SUBMITTED',
  'CONTRACT_REGISTERED',
  'QUALITY_CERTIFIED',
  'FX_SUBMITTED',
  'FX_APPROVED',
  'SHIPMENT_BOOKED',
  'UNDER_INSPECTION',
  'CUSTOMS_CLEARED',
  'AMENDMENT_REQUESTED',
];

/**
 * States in which the exporter may attach shipping documents: frozen from customs on (under inspection only a
 * customs-requested amendment changes them, and that returns the export to SHIPMENT_BOOKED first).
 */
export const DOCUMENTS_OPEN_STATUSES: readonly ExportStatus[] = PRE_SHIPMENT_STATUSES.filter(
  (s) => s !== 'UNDER_INSPECTION' && s !== 'CUSTOMS_CLEARED',
);

/** The states reviewed at steps 2, 3, 5 and 7; an amendment returns to the same one. */
export const REVIEW_STATUSES = [
  'SUBMITTED',
  'CONTRACT_REGISTERED',
  'FX_SUBMITTED',
  'SHIPMENT_BOOKED',
] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

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

/** Shipping documents the exporter attaches before customs (AttachDocuments, or right at upload). */
export const EXPORTER_SHIPPING_DOCUMENTS: readonly DocumentType[] = [
  'COMMERCIAL_INVOICE',
  'PACKING_LIST',
  'CERTIFICATE_OF_ORIGIN',
  'PHYTOSANITARY_CERTIFICATE',
];

/** Everything the exporter supplies: the contract and invoice at creation, then the shipping documents. */
export const EXPORTER_DOCUMENTS: readonly DocumentType[] = [
  'SALES_CONTRACT',
  'PROFORMA_INVOICE',
  ...EXPORTER_SHIPPING_DOCUMENTS,
];

/** What customs needs before clearance (step 7), the export declaration included. */
export const CUSTOMS_DOCUMENT_SET: readonly DocumentType[] = DOCUMENT_TYPES.filter(
  (t) => t !== 'BILL_OF_LADING' && t !== 'PAYMENT_ADVICE',
);

/** G1 is the best grade. */
export const GRADES = ['G1', 'G2', 'G3', 'G4', 'G5', 'G6', 'G7', 'G8', 'G9'] as const;
export type Grade = (typeof GRADES)[number];

export const INCOTERMS = ['FOB', 'FCA', 'CFR', 'CIF', 'CPT', 'CIP'] as const;
export const PAYMENT_METHODS = ['LC', 'CAD', 'ADVANCE'] as const;
export const RISK_LANES = ['GREEN', 'YELLOW', 'RED'] as const;
export const PERMIT_STATUSES = ['ISSUED', 'CONSUMED', 'VOIDED'] as const;

/**
 * The kinds of private input. Each travels in the transient map under its own key, salted by the gateway, and
 * never in a proposal's arguments.
 */
export const PRIVATE_INPUTS = ['tradeTerms', 'fxApplication', 'customsValue', 'paymentProceeds'] as const;
export type PrivateInput = (typeof PRIVATE_INPUTS)[number];
