/**
 * Which orgs' peers a client names as endorsers of a coffee-export transaction on an existing export.
 *
 * Fabric's gateway plans endorsements through service discovery, which must satisfy the endorsement policy of
 * every chaincode a transaction touches — including user-management, which coffee-export queries on every
 * call (MAJORITY) — using only tradeTerms members whenever private data is read or sent. No plan can satisfy
 * both, although validation only checks the keys actually written. So clients name the peers of the record's
 * key-level policy (derived from the chaincode's own table, never copied), which are exactly what validation
 * needs; a new export is endorsed by CREATE_ENDORSERS. Transactions that write user-management's registry
 * (RecordDefault, MarkDelinquent, ClearDelinquency)
 * carry no private data and are left to discovery.
 */
import {
  CREATE_ENDORSERS,
  ENDORSERS_BY_STATUS,
  TRACKING_ENDORSERS,
} from '../../chaincode/coffee-export/src/lib/endorsers.ts';
import type { ExportStatus } from '../../chaincode/coffee-export/src/model/export.ts';

const DISCOVERED = new Set(['RecordDefault', 'MarkDelinquent', 'ClearDelinquency']);

export function exportEndorsers(status: string, fn: string): string[] | undefined {
  if (DISCOVERED.has(fn)) return undefined;
  if (fn === 'CreateExport') return [...CREATE_ENDORSERS];
  if (fn === 'AddTrackingEvent') return [...TRACKING_ENDORSERS];
  const orgs = ENDORSERS_BY_STATUS[status as ExportStatus] as readonly string[] | undefined;
  if (!orgs) throw new Error(`unknown export status '${status}'`);
  return [...orgs];
}

/** Does choosing the endorsers of `fn` need the export's current status? */
export function endorsersNeedStatus(fn: string): boolean {
  return !DISCOVERED.has(fn) && fn !== 'CreateExport' && fn !== 'AddTrackingEvent';
}
