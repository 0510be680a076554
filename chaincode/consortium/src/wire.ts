/**
 * Shapes a gateway sends and the portal reads, defined once: the live export event of `GET /api/v1/events`
 * (gateways/src/events/feed.ts) and an entry of the audit trail (`GET /api/v1/audit`,
 * gateways/src/services/audit-trail.ts).
 */

/** An export event as a subscriber receives it: nothing beyond what anyone who may see the export reads anyway. */
export interface LiveEvent {
  /** `<block>-<txIndex>`: ordered, stable across a reprojection, and the SSE id a client resumes from. */
  id: string;
  exportId: string;
  status: string | null;
  previousStatus: string | null;
  action: string;
  txId: string;
  blockNumber: string;
  at: string | null;
}

/** One entry of an org's audit log. */
export interface AuditEntry {
  id: string;
  at: string;
  userId: string | null;
  username: string | null;
  action: string;
  target: string | null;
  outcome: string;
  txId: string | null;
  requestId: string | null;
  /** The portal path of the entry's ledger transaction (its export at that transaction), if it has one. */
  link: string | null;
}
