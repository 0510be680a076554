/**
 * Need-to-know in the portal: the chaincode's own policy module (an import-free file the chaincode, the gateways
 * and the portal share; never a copy), applied to the signed-in viewer. The gateway and the chaincode enforce;
 * the portal only decides what to offer and what to show, and never widens what the gateway sent.
 */
import type { Session } from '../api/client';
import type { ExportStatus, TradeTermsView } from '../api/types';
import { orgByKey } from '../config';
import {
  PRIVATE_GROUPS,
  type ExportFacts,
  type PrivateGroup,
  type Viewer,
  canReadDocument,
  canReadPrivate,
  canSeeExport,
  isExportReader,
  progressOf,
} from '@coffee/consortium';

export { PRIVATE_GROUPS, canReadDocument, canReadPrivate, canSeeExport, progressOf };
export type { ExportFacts, PrivateGroup, Viewer };

/** The viewer of a session: the org's MSP, the role, and (exporter users) the exporter it acts for. */
export function viewerOf(session: Session): Viewer {
  const exporterId = session.user.exporterId ?? undefined;
  return {
    mspId: session.user.mspId ?? orgByKey(session.org).msp,
    role: session.user.role,
    ...(exporterId ? { exporterId } : {}),
  };
}

/** Does this session read exports at all? (Org admins manage users and read none.) */
export function readsExports(session: Session): boolean {
  return isExportReader(viewerOf(session));
}

/** What the policy needs of an export; `reached` falls back to the current status's main-line rank. */
export function factsOf(r: { exporterId: string; status: ExportStatus; reached?: string }): ExportFacts {
  return { exporterId: r.exporterId, reached: r.reached ?? progressOf(undefined, r.status) };
}

/** The key of the trade-terms response that carries each private group. */
export const TRADE_TERMS_KEY: Readonly<Record<PrivateGroup, Exclude<keyof TradeTermsView, 'exportId'>>> = {
  tradeTerms: 'terms',
  fxApplication: 'fxApplication',
  proceeds: 'proceeds',
  customsValue: 'customsValue',
};

/** The private groups of this export the viewer may read (empty: no trade-terms panel, no request). */
export function readablePrivateGroups(viewer: Viewer | undefined, facts: ExportFacts): PrivateGroup[] {
  if (!viewer) return [];
  return PRIVATE_GROUPS.filter((g) => canReadPrivate(viewer, facts, g));
}
