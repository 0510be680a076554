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

/** What each role does, in one line (workflow.md "Actors" and "States and transitions"). */
export const ROLE_DUTIES: Record<Role, string> = {
  exporter:
    'creates export requests with the sales contract and proforma invoice, and answers amendment requests',
  bank_officer:
    'files the FX application for certified coffee and records the export proceeds when they arrive',
  fx_officer: 'approves FX applications, confirms repatriated proceeds and marks overdue exports delinquent',
  ecta_officer: 'registers sales contracts and licenses exporters; publishes the minimum export prices',
  grader: 'grades each lot and certifies its quality',
  shipping_agent: 'books the shipment, ships the cleared cargo and posts tracking events',
  customs_officer:
    'checks the declaration and its documents, then clears the cargo (after inspection if needed)',
  admin: 'creates and suspends the users of the organization; sees no exports',
  auditor: 'reads what the organization’s staff see, without acting',
};

/** "ECTA officer — registers sales contracts …" (ECTA's administrators also license exporters). */
export function roleDuty(org: string, role: Role): string {
  const duty =
    org === 'ecta' && role === 'admin'
      ? 'creates and suspends ECTA’s users and licenses exporters; sees no exports'
      : ROLE_DUTIES[role];
  return `${ROLE_LABELS[role]} — ${duty}`;
}

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
  /** What an empty queue means: who puts exports into it, and when. */
  whenEmpty: string;
}

/** "What needs me now": the states waiting for each role's action. */
export const QUEUES: Record<Role, QueueDef[]> = {
  exporter: [
    {
      status: 'AMENDMENT_REQUESTED',
      title: 'Amendments requested of you',
      own: true,
      whenEmpty:
        'When a reviewer (ECTA, ECX, the National Bank or Customs) sends one of your requests back, it waits here for your changes.',
    },
  ],
  ecta_officer: [
    {
      status: 'SUBMITTED',
      title: 'Contracts to register',
      whenEmpty: 'New requests arrive here when an exporter submits one from ‘New export’.',
    },
  ],
  grader: [
    {
      status: 'CONTRACT_REGISTERED',
      title: 'Lots to grade and certify',
      whenEmpty: 'Lots arrive here once ECTA has registered the sales contract.',
    },
  ],
  bank_officer: [
    {
      status: 'QUALITY_CERTIFIED',
      title: 'FX applications to file',
      whenEmpty: 'Exports arrive here once ECX has certified their quality.',
    },
    {
      status: 'AMENDMENT_REQUESTED',
      title: 'FX amendments requested',
      whenEmpty: 'When the National Bank sends an FX application back for changes, it waits here.',
      // List rows carry the amendment (null before a record was projected with it): only those returning to the
      // bank's FX step; the others wait for the exporter.
      filter: (r) => r.amendment?.returnTo === 'FX_SUBMITTED',
    },
    {
      status: 'SHIPPED',
      title: 'Proceeds to record',
      whenEmpty:
        'Exports arrive here once the shipping line has shipped them; record the proceeds when they come in.',
    },
  ],
  fx_officer: [
    {
      status: 'FX_SUBMITTED',
      title: 'FX applications to approve',
      whenEmpty: 'Applications arrive here once the Commercial Bank has filed them.',
    },
    {
      status: 'PAYMENT_RECEIVED',
      title: 'Repatriations to confirm',
      whenEmpty: 'Exports arrive here once the Commercial Bank has recorded their proceeds.',
    },
  ],
  shipping_agent: [
    {
      status: 'FX_APPROVED',
      title: 'Shipments to book',
      whenEmpty: 'Exports arrive here once the National Bank has approved their FX application.',
    },
    {
      status: 'CUSTOMS_CLEARED',
      title: 'Cleared cargo to ship',
      whenEmpty: 'Cargo arrives here once Customs has cleared it.',
    },
    {
      status: 'SHIPPED',
      title: 'Voyages to track',
      whenEmpty: 'Exports you ship stay here, for tracking events, until their proceeds arrive.',
    },
  ],
  customs_officer: [
    {
      status: 'SHIPMENT_BOOKED',
      title: 'Declarations to clear',
      whenEmpty: 'Declarations arrive here once the shipping line has booked the shipment.',
    },
    {
      status: 'UNDER_INSPECTION',
      title: 'Inspections in progress',
      whenEmpty: 'Declarations you put on the YELLOW or RED lane wait here until you clear them.',
    },
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
