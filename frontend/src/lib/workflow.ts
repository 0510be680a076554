/** Who acts when (workflow.md): queues per role, actions per role and state, the agency holding each state. */
import type { ActionName, ExportRecord, ExportStatus, ExportSummary, Role } from '../api/types';

export const ROLE_LABELS: Record<Role, string> = {
  exporter: 'Exporter',
  bank_officer: 'Bank officer',
  fx_officer: 'FX officer',
  ecta_officer: 'ECTA officer',
  grader: 'ECX grader',
  shipping_agent: 'Shipping agent',
  customs_officer: 'Customs officer',
  admin: 'Administrator',
  auditor: 'Auditor',
};

export const STATUS_LABELS: Record<ExportStatus, string> = {
  DRAFT: 'Draft (terms not yet submitted)',
  SUBMITTED: 'Submitted',
  CONTRACT_REGISTERED: 'Contract registered',
  QUALITY_CERTIFIED: 'Quality certified',
  FX_SUBMITTED: 'FX submitted',
  FX_APPROVED: 'FX approved',
  SHIPMENT_BOOKED: 'Shipment booked',
  UNDER_INSPECTION: 'Under inspection',
  CUSTOMS_CLEARED: 'Customs cleared',
  SHIPPED: 'Shipped',
  PAYMENT_RECEIVED: 'Payment received',
  COMPLETED: 'Completed',
  AMENDMENT_REQUESTED: 'Amendment requested',
  REJECTED: 'Rejected',
  CANCELLED: 'Cancelled',
  DEFAULTED: 'Defaulted',
};

export const TERMINAL: readonly ExportStatus[] = ['COMPLETED', 'REJECTED', 'CANCELLED', 'DEFAULTED'];
export const PRE_SHIPMENT: readonly ExportStatus[] = [
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

export interface QueueDef {
  status: ExportStatus;
  title: string;
  /** Extra filter on the listed rows (e.g. amendments returning to the bank's step). */
  filter?: (row: ExportSummary) => boolean;
  /** Exporters see only their own rows. */
  own?: boolean;
}

/** "What needs me now": the states waiting for each role's action. */
export const QUEUES: Record<Role, QueueDef[]> = {
  exporter: [{ status: 'AMENDMENT_REQUESTED', title: 'Amendments requested of you', own: true }],
  ecta_officer: [{ status: 'SUBMITTED', title: 'Contracts to register' }],
  grader: [{ status: 'CONTRACT_REGISTERED', title: 'Lots to grade and certify' }],
  bank_officer: [
    { status: 'QUALITY_CERTIFIED', title: 'FX applications to file' },
    {
      status: 'AMENDMENT_REQUESTED',
      title: 'FX amendments requested',
      // Read-model rows may not carry the amendment; then the row is shown (the detail page decides).
      filter: (r) => r.amendment === undefined || r.amendment.returnTo === 'FX_SUBMITTED',
    },
    { status: 'SHIPPED', title: 'Proceeds to record' },
  ],
  fx_officer: [
    { status: 'FX_SUBMITTED', title: 'FX applications to approve' },
    { status: 'PAYMENT_RECEIVED', title: 'Repatriations to confirm' },
  ],
  shipping_agent: [
    { status: 'FX_APPROVED', title: 'Shipments to book' },
    { status: 'CUSTOMS_CLEARED', title: 'Cleared cargo to ship' },
    { status: 'SHIPPED', title: 'Voyages to track' },
  ],
  customs_officer: [
    { status: 'SHIPMENT_BOOKED', title: 'Declarations to clear' },
    { status: 'UNDER_INSPECTION', title: 'Inspections in progress' },
  ],
  admin: [],
  auditor: [],
};

/** The agency (or the exporter) holding the export while it sits in a state (turnaround attribution). */
export const HOLDER: Record<ExportStatus, string> = {
  DRAFT: 'Exporter',
  SUBMITTED: 'ECTA',
  CONTRACT_REGISTERED: 'ECX',
  QUALITY_CERTIFIED: 'Commercial Bank',
  FX_SUBMITTED: 'National Bank',
  FX_APPROVED: 'Shipping Line',
  SHIPMENT_BOOKED: 'Customs',
  UNDER_INSPECTION: 'Customs',
  CUSTOMS_CLEARED: 'Shipping Line',
  SHIPPED: 'Commercial Bank',
  PAYMENT_RECEIVED: 'National Bank',
  AMENDMENT_REQUESTED: 'Exporter',
  COMPLETED: '',
  REJECTED: '',
  CANCELLED: '',
  DEFAULTED: '',
};

export const AGENCIES = [
  'ECTA',
  'ECX',
  'Commercial Bank',
  'National Bank',
  'Shipping Line',
  'Customs',
  'Exporter',
] as const;

/** Reviewer role of each review state (steps 2, 3, 5, 7). */
const REVIEWER: Partial<Record<ExportStatus, Role>> = {
  SUBMITTED: 'ecta_officer',
  CONTRACT_REGISTERED: 'grader',
  FX_SUBMITTED: 'fx_officer',
  SHIPMENT_BOOKED: 'customs_officer',
  UNDER_INSPECTION: 'customs_officer',
};

function shipByPassed(record: ExportRecord, now: number): boolean {
  const shipBy = record.registration?.shipBy;
  return shipBy !== undefined && Date.parse(shipBy) < now;
}

/** Marked delinquent by the National Bank and not cleared since. */
export function isDelinquent(record: Pick<ExportRecord, 'delinquency'>): boolean {
  return record.delinquency !== undefined && !record.delinquency.clearedAt;
}

/** SHIPPED, its repatriation due time passed, not yet marked: the National Bank may mark it delinquent. */
export function repatriationOverdue(record: ExportRecord, now = Date.now()): boolean {
  const due = record.shipment?.repatriationDueAt;
  return record.status === 'SHIPPED' && due !== undefined && Date.parse(due) < now && !isDelinquent(record);
}

/** Delinquent, and its proceeds have arrived since: the National Bank may clear the delinquency. */
export function delinquencyClearable(record: ExportRecord): boolean {
  return (record.status === 'PAYMENT_RECEIVED' || record.status === 'COMPLETED') && isDelinquent(record);
}

/** The actions the UI offers this role on this record (the chaincode has the final word). */
export function actionsFor(role: Role, record: ExportRecord, now = Date.now()): ActionName[] {
  const s = record.status;
  const out: ActionName[] = [];
  const main: Partial<Record<Role, Partial<Record<ExportStatus, ActionName[]>>>> = {
    ecta_officer: { SUBMITTED: ['register-contract'] },
    grader: { CONTRACT_REGISTERED: ['certify-quality'] },
    bank_officer: { QUALITY_CERTIFIED: ['submit-fx'], SHIPPED: ['confirm-payment'] },
    fx_officer: { FX_SUBMITTED: ['approve-fx'], PAYMENT_RECEIVED: ['confirm-repatriation'] },
    shipping_agent: {
      FX_APPROVED: ['book-shipment'],
      CUSTOMS_CLEARED: ['ship'],
      SHIPPED: ['add-tracking-event'],
    },
    customs_officer: { SHIPMENT_BOOKED: ['clear-customs'], UNDER_INSPECTION: ['clear-customs'] },
  };
  out.push(...(main[role]?.[s] ?? []));
  if (REVIEWER[s] === role) out.push('request-amendment', 'reject');
  if (s === 'AMENDMENT_REQUESTED') {
    const back = record.amendment?.returnTo;
    if (role === 'exporter' || (role === 'bank_officer' && back === 'FX_SUBMITTED')) out.push('amend');
  }
  if (role === 'exporter' && PRE_SHIPMENT.includes(s)) out.push('attach-documents');
  if ((role === 'exporter' || role === 'bank_officer') && PRE_SHIPMENT.includes(s)) out.push('cancel');
  if (role !== 'auditor' && PRE_SHIPMENT.includes(s) && shipByPassed(record, now)) out.push('mark-defaulted');
  if (role === 'fx_officer' && repatriationOverdue(record, now)) out.push('mark-delinquent');
  if (role === 'fx_officer' && delinquencyClearable(record)) out.push('clear-delinquency');
  return out;
}

export function isTerminal(s: ExportStatus): boolean {
  return TERMINAL.includes(s);
}

/** Roles each org's admin may create (workflow.md "Actors"). */
export const ORG_ROLES: Record<string, Role[]> = {
  'commercial-bank': ['exporter', 'bank_officer', 'admin', 'auditor'],
  'national-bank': ['fx_officer', 'admin', 'auditor'],
  ecta: ['ecta_officer', 'admin', 'auditor'],
  ecx: ['grader', 'admin', 'auditor'],
  'shipping-line': ['shipping_agent', 'admin', 'auditor'],
  customs: ['customs_officer', 'admin', 'auditor'],
};
