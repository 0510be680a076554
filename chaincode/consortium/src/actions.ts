/**
 * Who may do what (workflow.md, "States and transitions"): every write of the coffee-export chaincode with the
 * orgs and roles that may call it, the states it starts from and the private inputs it accepts, and the API's
 * actions (`POST /exports/{id}/<action>`) that call them. The chaincode enforces this table, the gateways refuse
 * by it before they spend an endorsement, and the portal offers by it.
 */
import { MSP, type MspId, type Role, WORKFLOW_ROLES } from './orgs.js';
import {
  DOCUMENTS_OPEN_STATUSES,
  type ExportStatus,
  PRE_SHIPMENT_STATUSES,
  type PrivateInput,
  REVIEW_STATUSES,
  type ReviewStatus,
} from './vocabulary.js';

/** An org and the roles in it that may act. */
export interface Permission {
  readonly msp: MspId;
  readonly roles: readonly Role[];
}

/** The actors of the workflow: one role of one org each. */
export const ACTORS = {
  exporter: { msp: MSP.CommercialBank, roles: ['exporter'] },
  bankOfficer: { msp: MSP.CommercialBank, roles: ['bank_officer'] },
  ectaOfficer: { msp: MSP.ECTA, roles: ['ecta_officer'] },
  grader: { msp: MSP.ECX, roles: ['grader'] },
  fxOfficer: { msp: MSP.NationalBank, roles: ['fx_officer'] },
  shippingAgent: { msp: MSP.ShippingLine, roles: ['shipping_agent'] },
  customsOfficer: { msp: MSP.Customs, roles: ['customs_officer'] },
} as const satisfies Record<string, Permission>;

const A = ACTORS;

/** Who reviews each review state (steps 2, 3, 5, 7): they may request an amendment or reject. */
export const REVIEWERS: Readonly<Record<ReviewStatus, Permission>> = {
  SUBMITTED: A.ectaOfficer,
  CONTRACT_REGISTERED: A.grader,
  FX_SUBMITTED: A.fxOfficer,
  SHIPMENT_BOOKED: A.customsOfficer,
};

/**
 * The review pending while an export is in `status`: its own at steps 2, 3, 5 and 7, customs' while under
 * inspection, and (amendment requested) the step the amendment returns to; none otherwise.
 */
export function pendingReview(status: string, returnTo?: ReviewStatus): ReviewStatus | undefined {
  if (status === 'UNDER_INSPECTION') return 'SHIPMENT_BOOKED';
  if (status === 'AMENDMENT_REQUESTED') return returnTo;
  return REVIEW_STATUSES.find((r) => r === status);
}

/** The states in which a review is pending (an amendment request is answered by the exporter, not reviewed). */
const UNDER_REVIEW: readonly ExportStatus[] = [...REVIEW_STATUSES, 'UNDER_INSPECTION'];

export interface Transition {
  /** Who may call it: these orgs' roles, or any workflow role of any org ('ANY'). */
  readonly actors: readonly Permission[] | 'ANY';
  /** The states it starts from (none: it creates the export). */
  readonly from: readonly ExportStatus[];
  /** The private inputs it accepts in the transient map. */
  readonly transient: readonly PrivateInput[];
}

/** Every write of coffee-export on an export. Finer conditions (an amendment's step, deadlines) are the chaincode's. */
export const TRANSITIONS = {
  CreateExport: { actors: [A.exporter], from: [], transient: ['tradeTerms'] },
  RegisterContract: { actors: [A.ectaOfficer], from: ['SUBMITTED'], transient: [] },
  CertifyQuality: { actors: [A.grader], from: ['CONTRACT_REGISTERED'], transient: [] },
  SubmitFxApplication: { actors: [A.bankOfficer], from: ['QUALITY_CERTIFIED'], transient: ['fxApplication'] },
  ApproveFx: { actors: [A.fxOfficer], from: ['FX_SUBMITTED'], transient: [] },
  BookShipment: { actors: [A.shippingAgent], from: ['FX_APPROVED'], transient: [] },
  ClearCustoms: { actors: [A.customsOfficer], from: ['SHIPMENT_BOOKED'], transient: ['customsValue'] },
  CompleteInspection: { actors: [A.customsOfficer], from: ['UNDER_INSPECTION'], transient: [] },
  MarkShipped: { actors: [A.shippingAgent], from: ['CUSTOMS_CLEARED'], transient: [] },
  AddTrackingEvent: { actors: [A.shippingAgent], from: ['SHIPPED'], transient: [] },
  RecordPayment: { actors: [A.bankOfficer], from: ['SHIPPED'], transient: ['paymentProceeds'] },
  ConfirmRepatriation: { actors: [A.fxOfficer], from: ['PAYMENT_RECEIVED'], transient: [] },
  /** The reviewer of the pending review (pendingReview) only. */
  RequestAmendment: { actors: Object.values(REVIEWERS), from: UNDER_REVIEW, transient: [] },
  /** The bank officer amends only an FX application sent back to its step (the chaincode checks which). */
  SubmitAmendment: {
    actors: [A.exporter, A.bankOfficer],
    from: ['AMENDMENT_REQUESTED'],
    transient: ['tradeTerms', 'fxApplication'],
  },
  AttachDocuments: { actors: [A.exporter], from: DOCUMENTS_OPEN_STATUSES, transient: [] },
  /** The reviewer of the pending review (pendingReview) only; also while an amendment is awaited. */
  RejectExport: {
    actors: Object.values(REVIEWERS),
    from: [...UNDER_REVIEW, 'AMENDMENT_REQUESTED'],
    transient: [],
  },
  CancelExport: { actors: [A.exporter, A.bankOfficer], from: PRE_SHIPMENT_STATUSES, transient: [] },
  /** Anyone taking part may record a default once the ship-by date has passed (the chaincode checks the date). */
  RecordDefault: { actors: 'ANY', from: PRE_SHIPMENT_STATUSES, transient: [] },
  MarkDelinquent: { actors: [A.fxOfficer], from: ['SHIPPED'], transient: [] },
  ClearDelinquency: { actors: [A.fxOfficer], from: ['PAYMENT_RECEIVED', 'COMPLETED'], transient: [] },
} as const satisfies Record<string, Transition>;

export type ExportFunction = keyof typeof TRANSITIONS;

/** The API's actions, `POST /exports/{id}/<action>`, and the chaincode function each calls. */
export const ACTIONS = {
  'register-contract': 'RegisterContract',
  'request-amendment': 'RequestAmendment',
  amend: 'SubmitAmendment',
  'attach-documents': 'AttachDocuments',
  'certify-quality': 'CertifyQuality',
  'submit-fx': 'SubmitFxApplication',
  'approve-fx': 'ApproveFx',
  'book-shipment': 'BookShipment',
  // Customs' one decision: ClearCustoms clears a green lane and opens an inspection on the others.
  'start-inspection': 'ClearCustoms',
  'clear-customs': 'ClearCustoms',
  'complete-inspection': 'CompleteInspection',
  ship: 'MarkShipped',
  'add-tracking-event': 'AddTrackingEvent',
  'confirm-payment': 'RecordPayment',
  'confirm-repatriation': 'ConfirmRepatriation',
  reject: 'RejectExport',
  cancel: 'CancelExport',
  'mark-defaulted': 'RecordDefault',
  'mark-delinquent': 'MarkDelinquent',
  'clear-delinquency': 'ClearDelinquency',
} as const satisfies Record<string, ExportFunction>;

export type ActionName = keyof typeof ACTIONS;

/**
 * The actions that move an export one step along the main line: one actor, from one state. The others are
 * reviews (request-amendment, reject), customs' decision, answers to an amendment, documents, and exceptions.
 */
export const STEP_ACTIONS = [
  'register-contract',
  'certify-quality',
  'submit-fx',
  'approve-fx',
  'book-shipment',
  'ship',
  'add-tracking-event',
  'confirm-payment',
  'confirm-repatriation',
] as const satisfies readonly ActionName[];

export const ACTION_NAMES = Object.keys(ACTIONS) as ActionName[];

export function isActionName(value: string): value is ActionName {
  return Object.prototype.hasOwnProperty.call(ACTIONS, value);
}

/** The permissions of a transition as a list ('ANY': every workflow role of every org). */
export function permissionsOf(fn: ExportFunction): readonly Permission[] | 'ANY' {
  return TRANSITIONS[fn].actors;
}

/** May a caller of this org and role call `fn` at all (whatever the export's state)? */
export function mayCall(fn: ExportFunction, mspId: string, role: string): boolean {
  const actors: readonly Permission[] | 'ANY' = TRANSITIONS[fn].actors;
  if (actors === 'ANY') return (WORKFLOW_ROLES as readonly string[]).includes(role) && role !== 'auditor';
  return actors.some((p) => p.msp === mspId && (p.roles as readonly string[]).includes(role));
}

/** The roles (of any org) that may call `fn`. */
export function rolesOf(fn: ExportFunction): readonly Role[] {
  const actors: readonly Permission[] | 'ANY' = TRANSITIONS[fn].actors;
  if (actors === 'ANY') return WORKFLOW_ROLES.filter((r) => r !== 'auditor');
  return [...new Set(actors.flatMap((p) => p.roles))];
}

/** May `fn` start from `status`? */
export function startsFrom(fn: ExportFunction, status: string): boolean {
  return (TRANSITIONS[fn].from as readonly string[]).includes(status);
}
