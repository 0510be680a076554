/** Who acts when (workflow.md): queues per role, actions per role and state, the agency holding each state. */
import {
  ACTIONS,
  PRE_SHIPMENT_STATUSES,
  REVIEWERS,
  ROLES_BY_ORG,
  STEP_ACTIONS,
  TERMINAL_STATUSES,
  pendingReview,
  rolesOf,
  startsFrom,
} from '@coffee/consortium';
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

export const TERMINAL: readonly ExportStatus[] = TERMINAL_STATUSES;
export const PRE_SHIPMENT: readonly ExportStatus[] = PRE_SHIPMENT_STATUSES;

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

function may(role: Role, action: ActionName): boolean {
  return rolesOf(ACTIONS[action]).includes(role);
}

function from(action: ActionName, status: ExportStatus): boolean {
  return startsFrom(ACTIONS[action], status);
}

/**
 * The actions the UI offers this role on this record, from @coffee/consortium's table of who may do what from
 * which state (the chaincode enforces the same table and has the final word). Customs' one decision form
 * ('clear-customs') posts clear-customs, start-inspection or complete-inspection.
 */
export function actionsFor(role: Role, record: ExportRecord, now = Date.now()): ActionName[] {
  const s = record.status;
  const out: ActionName[] = STEP_ACTIONS.filter((a) => may(role, a) && from(a, s));
  if (may(role, 'clear-customs') && (from('clear-customs', s) || from('complete-inspection', s)))
    out.push('clear-customs');
  const review = s === 'AMENDMENT_REQUESTED' ? undefined : pendingReview(s);
  if (review !== undefined && REVIEWERS[review].roles.includes(role)) out.push('request-amendment', 'reject');
  if (from('amend', s)) {
    const back = record.amendment?.returnTo;
    if (role === 'exporter' || (may(role, 'amend') && back === 'FX_SUBMITTED')) out.push('amend');
  }
  if (may(role, 'attach-documents') && from('attach-documents', s)) out.push('attach-documents');
  if (may(role, 'cancel') && from('cancel', s)) out.push('cancel');
  if (may(role, 'mark-defaulted') && from('mark-defaulted', s) && shipByPassed(record, now))
    out.push('mark-defaulted');
  if (may(role, 'mark-delinquent') && repatriationOverdue(record, now)) out.push('mark-delinquent');
  if (may(role, 'clear-delinquency') && delinquencyClearable(record)) out.push('clear-delinquency');
  return out;
}

export function isTerminal(s: ExportStatus): boolean {
  return TERMINAL.includes(s);
}

/** Roles each org's admin may create (workflow.md "Actors"), by org id. */
export const ORG_ROLES: Readonly<Record<string, readonly Role[]>> = ROLES_BY_ORG;
