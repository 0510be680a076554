/**
 * One declarative spec per export action: its fields (with validators mirroring the chaincode), the
 * documents it attaches, cross-field checks, and the JSON body sent to
 * POST /exports/{id}/actions/{action}. Private inputs travel under their transient key
 * (tradeTerms, fxApplication, customsValue, paymentProceeds); the gateway moves them to the transient map and
 * generates every commitment's salt itself (the portal never generates, asks for or keeps one).
 */
import { CUSTOMS_DOCUMENT_SET, EXPORTER_DOCUMENTS, EXPORTER_SHIPPING_DOCUMENTS } from '@coffee/consortium';
import {
  type ActionName,
  type DocumentRef,
  type DocumentType,
  type ExportRecord,
  type ExportStatus,
  type Grade,
  type TradeTermsView,
  GRADES,
  PAYMENT_METHODS,
  RISK_LANES,
} from '../../api/types';
import {
  type Errors,
  type Validator,
  containers,
  date,
  number,
  oneOf,
  optional,
  parseInstant,
  rules,
  splitList,
  text,
  toIso,
  validateAll,
} from '../../lib/validation';

export type Kind = 'text' | 'number' | 'select' | 'date' | 'datetime-local' | 'textarea';
export type Values = Record<string, string>;

export interface FieldSpec {
  name: string;
  label: string;
  kind?: Kind;
  options?: readonly string[];
  validate: Validator;
  hint?: string;
  initial?: (r: ExportRecord) => string;
  required?: boolean;
}

export interface DocSpec {
  required: readonly DocumentType[];
  optional: readonly DocumentType[];
}

export interface ActionSpec {
  action: ActionName;
  title: string;
  intro?: string;
  submitLabel: string;
  danger?: boolean;
  /** Terminal or irreversible: the user must tick a confirmation. */
  confirm?: string;
  fields: (r: ExportRecord) => FieldSpec[];
  documents?: (r: ExportRecord) => DocSpec;
  cross?: (v: Values, r: ExportRecord, chosenDocs: DocumentType[]) => Errors<string>;
  /** The action actually posted (customs: clear-customs on GREEN, start-inspection on YELLOW/RED). */
  resolve?: (v: Values, r: ExportRecord) => ActionName;
  docFacts?: (v: Values) => Partial<Record<DocumentType, { quantityKg?: number; grade?: Grade }>>;
  body: (v: Values, docs: DocumentRef[], r: ExportRecord) => Record<string, unknown>;
  /** Upload to POST /exports/{id}/documents, which attaches (exporter shipping documents) at once. */
  attachOnUpload?: boolean;
  /** Starting values from the private data this viewer may read (GET /exports/{id}/trade-terms). */
  prefill?: (terms: TradeTermsView, r: ExportRecord) => Values;
}

const REVIEW_STEP: Partial<Record<ExportStatus, number>> = {
  SUBMITTED: 2,
  CONTRACT_REGISTERED: 3,
  FX_SUBMITTED: 5,
  SHIPMENT_BOOKED: 7,
  UNDER_INSPECTION: 7,
};

/** Reason codes offered per review step (UPPER_SNAKE as the chaincode requires). */
export const REASON_CODES: Record<number, string[]> = {
  2: [
    'PRICE_BELOW_MINIMUM',
    'CONTRACT_INCOMPLETE',
    'BUYER_DETAILS_INVALID',
    'DOCUMENT_ILLEGIBLE',
    'LICENCE_ISSUE',
    'OTHER',
  ],
  3: [
    'GRADE_MISMATCH',
    'QUANTITY_MISMATCH',
    'WAREHOUSE_RECEIPT_INVALID',
    'SAMPLE_FAILED',
    'DOCUMENT_ILLEGIBLE',
    'OTHER',
  ],
  5: [
    'AMOUNT_MISMATCH',
    'EVIDENCE_MISSING',
    'PAYMENT_METHOD_INVALID',
    'EXPORTER_DELINQUENT',
    'DOCUMENT_ILLEGIBLE',
    'OTHER',
  ],
  7: [
    'DOCUMENTS_INCOMPLETE',
    'DECLARATION_INCONSISTENT',
    'PERMIT_INVALID',
    'INSPECTION_FAILED',
    'DOCUMENT_ILLEGIBLE',
    'OTHER',
  ],
};

export const TRACKING_STATUSES = [
  'GATE_IN',
  'LOADED',
  'DEPARTED',
  'IN_TRANSIT',
  'TRANSSHIPPED',
  'ARRIVED',
  'DISCHARGED',
  'DELIVERED',
];

export const EXPORTER_DOCS: readonly DocumentType[] = EXPORTER_DOCUMENTS;
export const SHIPPING_DOCS: readonly DocumentType[] = EXPORTER_SHIPPING_DOCUMENTS;
export const CUSTOMS_SET: readonly DocumentType[] = CUSTOMS_DOCUMENT_SET;

const num = (v: string): number => Number(v.trim());
const gradeRank = (g: string): number => GRADES.indexOf(g as Grade) + 1;
const quantity = (r: ExportRecord): string => String(r.contract.quantityKg);
const grade = (r: ExportRecord): string => r.contract.contractedGrade;
const nowLocal = (): string => {
  const d = new Date(Date.now() - new Date().getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};

function reasonFields(r: ExportRecord): FieldSpec[] {
  const step =
    REVIEW_STEP[r.status === 'AMENDMENT_REQUESTED' ? (r.amendment?.returnTo ?? r.status) : r.status] ?? 2;
  return [
    {
      name: 'reasonCode',
      label: 'Reason code',
      kind: 'select',
      options: REASON_CODES[step] ?? REASON_CODES[2] ?? [],
      validate: rules.reasonCode,
      required: true,
    },
    {
      name: 'reason',
      label: 'Explanation for the exporter',
      kind: 'textarea',
      validate: rules.reason,
      required: true,
    },
  ];
}

/** Document facts the customs consistency check compares (invoice: quantity + grade; packing list: quantity). */
const shippingFacts: FieldSpec[] = [
  {
    name: 'invoiceQuantityKg',
    label: 'Commercial invoice: quantity (kg)',
    kind: 'number',
    validate: optional(rules.quantityKg('Invoice quantity')),
    initial: quantity,
  },
  {
    name: 'invoiceGrade',
    label: 'Commercial invoice: grade',
    kind: 'select',
    options: GRADES,
    validate: optional(oneOf('Invoice grade', GRADES)),
    initial: grade,
  },
  {
    name: 'packingQuantityKg',
    label: 'Packing list: quantity (kg)',
    kind: 'number',
    validate: optional(rules.quantityKg('Packing list quantity')),
    initial: quantity,
  },
];

function shippingFactsCross(v: Values, chosen: DocumentType[]): Errors<string> {
  const e: Errors<string> = {};
  if (chosen.includes('COMMERCIAL_INVOICE')) {
    if (!v.invoiceQuantityKg?.trim()) e.invoiceQuantityKg = 'The commercial invoice must state its quantity';
    if (!v.invoiceGrade?.trim()) e.invoiceGrade = 'The commercial invoice must state its grade';
  }
  if (chosen.includes('PACKING_LIST') && !v.packingQuantityKg?.trim())
    e.packingQuantityKg = 'The packing list must state its quantity';
  return e;
}

function shippingDocFacts(v: Values): Partial<Record<DocumentType, { quantityKg?: number; grade?: Grade }>> {
  return {
    COMMERCIAL_INVOICE: {
      ...(v.invoiceQuantityKg?.trim() ? { quantityKg: num(v.invoiceQuantityKg) } : {}),
      ...(v.invoiceGrade?.trim() ? { grade: v.invoiceGrade as Grade } : {}),
    },
    PACKING_LIST: v.packingQuantityKg?.trim() ? { quantityKg: num(v.packingQuantityKg) } : {},
  };
}

const withDocs = (docs: DocumentRef[]): Record<string, unknown> =>
  docs.length > 0 ? { documents: docs } : {};

export const ACTION_SPECS: Record<ActionName, ActionSpec> = {
  'register-contract': {
    action: 'register-contract',
    title: 'Register the sales contract',
    intro:
      'The ledger checks the contract price against the minimum price in force and sets the ship-by date.',
    submitLabel: 'Register contract',
    fields: () => [
      {
        name: 'registrationNumber',
        label: 'Registration number',
        validate: rules.reference('Registration number'),
        required: true,
      },
    ],
    body: (v) => ({ registrationNumber: v.registrationNumber?.trim() }),
  },
  'certify-quality': {
    action: 'certify-quality',
    title: 'Certify quality',
    submitLabel: 'Certify quality',
    fields: (r) => [
      { name: 'lotNumber', label: 'Lot number', validate: rules.reference('Lot number'), required: true },
      {
        name: 'warehouseReceiptNumber',
        label: 'Warehouse receipt number',
        validate: rules.reference('Warehouse receipt number'),
        required: true,
      },
      {
        name: 'certifiedGrade',
        label: 'Certified grade',
        kind: 'select',
        options: GRADES,
        validate: oneOf('Certified grade', GRADES),
        initial: grade,
        required: true,
        hint: `Contracted: ${r.contract.contractedGrade} (G1 is best)`,
      },
      {
        name: 'cupScore',
        label: 'Cup score (0-100)',
        kind: 'number',
        validate: rules.percent('Cup score'),
        required: true,
      },
      {
        name: 'moisturePercent',
        label: 'Moisture (%)',
        kind: 'number',
        validate: rules.percent('Moisture'),
        required: true,
      },
      {
        name: 'defectsPer300g',
        label: 'Defects per 300 g',
        kind: 'number',
        validate: number('Defects per 300 g', 0, 1000, 0),
        required: true,
      },
      {
        name: 'certifiedQuantityKg',
        label: 'Certified quantity (kg)',
        kind: 'number',
        validate: rules.quantityKg('Certified quantity'),
        initial: quantity,
        required: true,
      },
    ],
    documents: () => ({ required: ['QUALITY_CERTIFICATE'], optional: [] }),
    cross: (v, r) => {
      const e: Errors<string> = {};
      if (v.certifiedGrade && gradeRank(v.certifiedGrade) > gradeRank(r.contract.contractedGrade)) {
        e.certifiedGrade = `Certified ${v.certifiedGrade} is below the contracted ${r.contract.contractedGrade}`;
      }
      if (v.certifiedQuantityKg && num(v.certifiedQuantityKg) < r.contract.quantityKg) {
        e.certifiedQuantityKg = `The lot must cover the contracted ${r.contract.quantityKg} kg`;
      }
      return e;
    },
    body: (v, docs) => ({
      lotNumber: v.lotNumber?.trim(),
      warehouseReceiptNumber: v.warehouseReceiptNumber?.trim(),
      certifiedGrade: v.certifiedGrade,
      cupScore: num(v.cupScore ?? ''),
      moisturePercent: num(v.moisturePercent ?? ''),
      defectsPer300g: num(v.defectsPer300g ?? ''),
      certifiedQuantityKg: num(v.certifiedQuantityKg ?? ''),
      documents: docs,
    }),
  },
  'submit-fx': {
    action: 'submit-fx',
    title: 'File the FX application',
    intro:
      'The application stays private to the Commercial Bank, National Bank and ECTA; only its hash goes on the ledger.',
    submitLabel: 'Submit FX application',
    fields: () => [
      {
        name: 'paymentMethod',
        label: 'Payment method',
        kind: 'select',
        options: PAYMENT_METHODS,
        validate: oneOf('Payment method', PAYMENT_METHODS),
        required: true,
        hint: 'Must equal the contracted payment method',
      },
      {
        name: 'evidenceReference',
        label: 'LC / advance reference',
        validate: rules.reference('Evidence reference'),
        required: true,
      },
      {
        name: 'amountUsd',
        label: 'Amount (USD)',
        kind: 'number',
        validate: rules.usd('Amount'),
        required: true,
        hint: 'Must equal the registered contract value',
      },
    ],
    documents: () => ({ required: ['LC_OR_ADVANCE_ADVICE'], optional: [] }),
    body: (v, docs) => ({
      documents: docs,
      fxApplication: {
        paymentMethod: v.paymentMethod,
        evidenceReference: v.evidenceReference?.trim(),
        amountUsd: num(v.amountUsd ?? ''),
      },
    }),
  },
  'approve-fx': {
    action: 'approve-fx',
    title: 'Approve FX and issue the permit',
    intro:
      'The ledger refuses delinquent exporters and amounts that differ from the registered contract value.',
    submitLabel: 'Approve FX',
    fields: () => [],
    body: () => ({}),
  },
  'book-shipment': {
    action: 'book-shipment',
    title: 'Book the shipment',
    submitLabel: 'Book shipment',
    fields: (r) => [
      {
        name: 'bookingNumber',
        label: 'Booking number',
        validate: rules.reference('Booking number'),
        required: true,
      },
      { name: 'vesselName', label: 'Vessel name', validate: text('Vessel name', 128), required: true },
      {
        name: 'voyageNumber',
        label: 'Voyage number',
        validate: rules.reference('Voyage number'),
        required: true,
      },
      {
        name: 'containerNumbers',
        label: 'Container numbers',
        validate: containers,
        required: true,
        hint: 'ISO 6346, separated by commas, e.g. MSCU1234567',
      },
      {
        name: 'portOfLoading',
        label: 'Port of loading (UN/LOCODE)',
        validate: rules.unlocode('Port of loading'),
        initial: () => 'DJJIB',
        required: true,
      },
      {
        name: 'portOfDischarge',
        label: 'Port of discharge (UN/LOCODE)',
        validate: rules.unlocode('Port of discharge'),
        required: true,
        hint: 'e.g. DEHAM, USNYC',
      },
      {
        name: 'etd',
        label: 'Estimated departure (ETD)',
        kind: 'date',
        required: true,
        validate: date('ETD', {
          before: () => parseInstant(r.registration?.shipBy ?? ''),
          beforeLabel: `the ship-by date ${r.registration?.shipBy?.slice(0, 10) ?? ''}`,
        }),
        hint: r.registration ? `Ship-by: ${r.registration.shipBy.slice(0, 10)}` : undefined,
      },
    ],
    documents: () => ({ required: ['BOOKING_CONFIRMATION'], optional: [] }),
    body: (v, docs) => ({
      bookingNumber: v.bookingNumber?.trim(),
      vesselName: v.vesselName?.trim(),
      voyageNumber: v.voyageNumber?.trim(),
      containerNumbers: splitList(v.containerNumbers ?? ''),
      portOfLoading: v.portOfLoading?.trim().toUpperCase(),
      portOfDischarge: v.portOfDischarge?.trim().toUpperCase(),
      etd: toIso(v.etd ?? ''),
      documents: docs,
    }),
  },
  'clear-customs': {
    action: 'clear-customs',
    title: 'Customs declaration',
    submitLabel: 'Submit declaration',
    fields: (r) =>
      r.status === 'UNDER_INSPECTION'
        ? [
            {
              name: 'findings',
              label: 'Inspection findings',
              kind: 'textarea',
              validate: text('Findings', 1000, { multiline: true }),
              required: true,
            },
          ]
        : [
            {
              name: 'declarationNumber',
              label: 'Declaration number',
              validate: rules.reference('Declaration number'),
              required: true,
            },
            {
              name: 'permitNumber',
              label: 'FX permit number',
              validate: rules.reference('Permit number'),
              initial: (x) => x.permit?.permitNumber ?? '',
              required: true,
            },
            {
              name: 'declaredQuantityKg',
              label: 'Declared quantity (kg)',
              kind: 'number',
              validate: rules.quantityKg('Declared quantity'),
              initial: quantity,
              required: true,
            },
            {
              name: 'declaredGrade',
              label: 'Declared grade',
              kind: 'select',
              options: GRADES,
              validate: oneOf('Declared grade', GRADES),
              initial: grade,
              required: true,
            },
            {
              name: 'riskLane',
              label: 'Risk lane',
              kind: 'select',
              options: RISK_LANES,
              validate: oneOf('Risk lane', RISK_LANES),
              required: true,
              hint: 'YELLOW and RED go through physical inspection',
            },
            {
              name: 'declaredValueUsd',
              label: 'Declared value (USD)',
              kind: 'number',
              validate: rules.usd('Declared value'),
              required: true,
              hint: 'Checked by the ledger against the registered contract value (prefilled where known)',
            },
          ],
    prefill: (terms, r): Values =>
      r.status !== 'UNDER_INSPECTION' && terms.customsValue
        ? { declaredValueUsd: String(terms.customsValue.contractValueUsd) }
        : {},
    documents: (r) =>
      r.status === 'UNDER_INSPECTION'
        ? { required: [], optional: [] }
        : { required: ['EXPORT_DECLARATION'], optional: [] },
    cross: (_v, r) => {
      if (r.status === 'UNDER_INSPECTION') return {};
      const have = new Set(r.documents.map((d) => d.type));
      const missing = CUSTOMS_SET.filter((t) => t !== 'EXPORT_DECLARATION' && !have.has(t));
      return missing.length > 0
        ? {
            _form: `The document set is incomplete: ${missing.join(', ')} missing. Request an amendment from the exporter.`,
          }
        : {};
    },
    resolve: (v, r) =>
      r.status === 'UNDER_INSPECTION'
        ? 'complete-inspection'
        : v.riskLane !== 'GREEN'
          ? 'start-inspection'
          : 'clear-customs',
    body: (v, docs, r) =>
      r.status === 'UNDER_INSPECTION'
        ? { findings: v.findings?.trim() }
        : {
            declarationNumber: v.declarationNumber?.trim(),
            permitNumber: v.permitNumber?.trim(),
            declaredQuantityKg: num(v.declaredQuantityKg ?? ''),
            declaredGrade: v.declaredGrade,
            riskLane: v.riskLane,
            documents: docs,
            customsValue: { declaredValueUsd: num(v.declaredValueUsd ?? '') },
          },
  },
  'complete-inspection': {
    action: 'complete-inspection',
    title: 'Complete the inspection',
    submitLabel: 'Clear after inspection',
    fields: () => [
      {
        name: 'findings',
        label: 'Inspection findings',
        kind: 'textarea',
        validate: text('Findings', 1000, { multiline: true }),
        required: true,
      },
    ],
    body: (v) => ({ findings: v.findings?.trim() }),
  },
  'start-inspection': {
    action: 'start-inspection',
    title: 'Send to inspection',
    submitLabel: 'Start inspection',
    fields: () => [],
    body: () => ({}),
  },
  ship: {
    action: 'ship',
    title: 'Mark as shipped',
    submitLabel: 'Mark shipped',
    fields: () => [
      {
        name: 'billOfLadingNumber',
        label: 'Bill of lading number',
        validate: rules.reference('Bill of lading number'),
        required: true,
      },
      {
        name: 'onBoardDate',
        label: 'On-board date and time',
        kind: 'datetime-local',
        validate: localDateTime('On-board date'),
        initial: nowLocal,
        required: true,
        hint: 'Your local time; sent as UTC',
      },
    ],
    documents: () => ({ required: ['BILL_OF_LADING'], optional: [] }),
    body: (v, docs) => ({
      billOfLadingNumber: v.billOfLadingNumber?.trim(),
      onBoardDate: localToIso(v.onBoardDate ?? ''),
      documents: docs,
    }),
  },
  'add-tracking-event': {
    action: 'add-tracking-event',
    title: 'Add a tracking event',
    submitLabel: 'Add event',
    fields: () => [
      { name: 'location', label: 'Location', validate: text('Location', 128), required: true },
      {
        name: 'status',
        label: 'Event',
        kind: 'select',
        options: TRACKING_STATUSES,
        validate: rules.trackingStatus,
        required: true,
      },
      {
        name: 'eventTime',
        label: 'Event time',
        kind: 'datetime-local',
        validate: localDateTime('Event time'),
        initial: nowLocal,
        required: true,
      },
    ],
    body: (v) => ({
      location: v.location?.trim(),
      status: v.status,
      eventTime: localToIso(v.eventTime ?? ''),
    }),
  },
  'confirm-payment': {
    action: 'confirm-payment',
    title: 'Record the export proceeds',
    submitLabel: 'Record payment',
    fields: () => [
      {
        name: 'paymentReference',
        label: 'Payment reference',
        validate: rules.reference('Payment reference'),
        required: true,
      },
      {
        name: 'amountUsd',
        label: 'Amount received (USD)',
        kind: 'number',
        validate: rules.usd('Amount'),
        required: true,
        hint: 'Private; must cover the contract value for repatriation',
      },
    ],
    documents: () => ({ required: ['PAYMENT_ADVICE'], optional: [] }),
    body: (v, docs) => ({
      paymentReference: v.paymentReference?.trim(),
      documents: docs,
      paymentProceeds: { amountUsd: num(v.amountUsd ?? '') },
    }),
  },
  'mark-delinquent': {
    action: 'mark-delinquent',
    title: 'Mark delinquent',
    intro:
      'The repatriation due time has passed without the proceeds. The exporter gets no new FX approval while any of its exports is delinquent.',
    submitLabel: 'Mark delinquent',
    danger: true,
    confirm: 'I confirm the export proceeds were not repatriated by the due time.',
    fields: () => [],
    body: () => ({}),
  },
  'clear-delinquency': {
    action: 'clear-delinquency',
    title: 'Clear delinquency',
    intro: 'The proceeds of this export have arrived; its delinquency no longer counts against the exporter.',
    submitLabel: 'Clear delinquency',
    fields: () => [],
    body: () => ({}),
  },
  'confirm-repatriation': {
    action: 'confirm-repatriation',
    title: 'Confirm FX repatriation',
    intro: 'Completes the export once the proceeds cover the contract value.',
    submitLabel: 'Confirm repatriation',
    fields: () => [],
    body: () => ({}),
  },
  'request-amendment': {
    action: 'request-amendment',
    title: 'Request an amendment',
    intro: 'Sends the export back to the exporter; it returns to this review step once amended.',
    submitLabel: 'Request amendment',
    fields: reasonFields,
    body: (v) => ({ reasonCode: v.reasonCode, reason: v.reason?.trim() }),
  },
  reject: {
    action: 'reject',
    title: 'Reject',
    submitLabel: 'Reject export',
    danger: true,
    confirm: 'I understand that rejection is final and voids any unused permit.',
    fields: reasonFields,
    body: (v) => ({ reasonCode: v.reasonCode, reason: v.reason?.trim() }),
  },
  cancel: {
    action: 'cancel',
    title: 'Cancel the export',
    submitLabel: 'Cancel export',
    danger: true,
    confirm: 'I understand that cancellation is final and voids any unused permit.',
    fields: () => [
      { name: 'reason', label: 'Reason', kind: 'textarea', validate: rules.reason, required: true },
    ],
    body: (v) => ({ reason: v.reason?.trim() }),
  },
  'mark-defaulted': {
    action: 'mark-defaulted',
    title: 'Record default',
    intro: 'The ship-by date has passed before shipment. ECTA’s penalty ladder applies to the exporter.',
    submitLabel: 'Record default',
    danger: true,
    confirm: 'I confirm the ship-by date has passed without shipment.',
    fields: () => [],
    body: () => ({}),
  },
  'attach-documents': {
    action: 'attach-documents',
    title: 'Attach shipping documents',
    intro:
      'Customs needs the commercial invoice, packing list, certificate of origin and phytosanitary certificate.',
    attachOnUpload: true,
    submitLabel: 'Attach documents',
    fields: () => shippingFacts,
    documents: () => ({ required: [], optional: SHIPPING_DOCS }),
    cross: (v, _r, chosen) =>
      chosen.length === 0
        ? { _form: 'Choose at least one document to attach' }
        : shippingFactsCross(v, chosen),
    docFacts: shippingDocFacts,
    body: (_v, docs) => ({ documents: docs }),
  },
  amend: {
    action: 'amend',
    title: 'Submit the amendment',
    submitLabel: 'Submit amendment',
    fields: (r) => {
      const back = r.amendment?.returnTo;
      if (back === 'SUBMITTED') {
        return [
          {
            name: 'unitPriceUsdPerKg',
            label: 'Corrected unit price (USD/kg, optional)',
            kind: 'number',
            validate: optional(rules.usdPerKg()),
          },
          {
            name: 'contractValueUsd',
            label: 'Corrected contract value (USD)',
            kind: 'number',
            validate: optional(rules.usd('Contract value')),
          },
          {
            name: 'paymentMethod',
            label: 'Payment method',
            kind: 'select',
            options: PAYMENT_METHODS,
            validate: optional(oneOf('Payment method', PAYMENT_METHODS)),
          },
          {
            name: 'paymentTerms',
            label: 'Payment terms (optional)',
            kind: 'textarea',
            validate: optional(text('Payment terms', 1000, { multiline: true })),
          },
        ];
      }
      if (back === 'FX_SUBMITTED') {
        return [
          {
            name: 'paymentMethod',
            label: 'Payment method',
            kind: 'select',
            options: PAYMENT_METHODS,
            validate: optional(oneOf('Payment method', PAYMENT_METHODS)),
          },
          {
            name: 'evidenceReference',
            label: 'LC / advance reference',
            validate: optional(rules.reference('Evidence reference')),
          },
          {
            name: 'amountUsd',
            label: 'Amount (USD)',
            kind: 'number',
            validate: optional(rules.usd('Amount')),
          },
        ];
      }
      if (back === 'SHIPMENT_BOOKED') return shippingFacts;
      return [];
    },
    documents: (r) => {
      const back = r.amendment?.returnTo;
      if (back === 'FX_SUBMITTED') return { required: [], optional: ['LC_OR_ADVANCE_ADVICE'] };
      if (back === 'SHIPMENT_BOOKED') return { required: [], optional: SHIPPING_DOCS };
      return { required: [], optional: EXPORTER_DOCS };
    },
    cross: (v, r, chosen) => {
      const back = r.amendment?.returnTo;
      const e: Errors<string> = back === 'SHIPMENT_BOOKED' ? shippingFactsCross(v, chosen) : {};
      const filled = Object.values(v).some((x) => x.trim() !== '') && back !== 'SHIPMENT_BOOKED';
      if (chosen.length === 0 && !filled) e._form = 'Attach a corrected document or correct a field';
      if (back === 'SUBMITTED') {
        const terms = [v.unitPriceUsdPerKg, v.contractValueUsd, v.paymentMethod].filter((x) => x?.trim());
        if ((terms.length > 0 || v.paymentTerms?.trim()) && terms.length < 3)
          e._form = 'To correct the trade terms give unit price, contract value and payment method together';
      }
      if (back === 'FX_SUBMITTED') {
        const fx = [v.paymentMethod, v.evidenceReference, v.amountUsd].filter((x) => x?.trim());
        if (fx.length > 0 && fx.length < 3)
          e._form = 'To correct the FX application give payment method, reference and amount together';
      }
      return e;
    },
    docFacts: shippingDocFacts,
    body: (v, docs, r) => {
      const back = r.amendment?.returnTo;
      if (back === 'SUBMITTED' && v.unitPriceUsdPerKg?.trim()) {
        return {
          ...withDocs(docs),
          tradeTerms: {
            unitPriceUsdPerKg: num(v.unitPriceUsdPerKg),
            contractValueUsd: num(v.contractValueUsd ?? ''),
            paymentMethod: v.paymentMethod,
            ...(v.paymentTerms?.trim() ? { paymentTerms: v.paymentTerms.trim() } : {}),
          },
        };
      }
      if (back === 'FX_SUBMITTED' && v.amountUsd?.trim()) {
        return {
          ...withDocs(docs),
          fxApplication: {
            paymentMethod: v.paymentMethod,
            evidenceReference: v.evidenceReference?.trim(),
            amountUsd: num(v.amountUsd),
          },
        };
      }
      return withDocs(docs);
    },
  },
};

/** A datetime-local value (browser local time), not in the future (the chaincode compares with tx time). */
export function localDateTime(label: string): Validator {
  return (v) => {
    const t = v.trim();
    if (t === '') return `${label} is required`;
    const d = new Date(t);
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(t) || Number.isNaN(d.getTime()))
      return `${label} must be a valid date and time`;
    if (d.getTime() > Date.now() + 60_000) return `${label} cannot be in the future`;
    return undefined;
  };
}

/** datetime-local (browser local time) → ISO UTC for the chaincode. */
export function localToIso(v: string): string {
  const t = v.trim();
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(t)) {
    const d = new Date(t);
    if (!Number.isNaN(d.getTime())) return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return toIso(t);
}

export function initialValues(spec: ActionSpec, r: ExportRecord): Values {
  const v: Values = {};
  for (const f of spec.fields(r)) v[f.name] = f.initial?.(r) ?? '';
  return v;
}

export function validateAction(
  spec: ActionSpec,
  v: Values,
  r: ExportRecord,
  chosenDocs: DocumentType[],
): Errors<string> {
  const validators: Record<string, Validator> = {};
  for (const f of spec.fields(r)) validators[f.name] = f.validate;
  return { ...validateAll(v, validators), ...(spec.cross?.(v, r, chosenDocs) ?? {}) };
}
