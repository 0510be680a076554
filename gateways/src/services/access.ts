/**
 * The gateway's side of the need-to-know policy (@coffee/consortium, the one place it
 * is defined): who the caller is as a viewer, and the refusals every route gives. The chaincode enforces the
 * same policy on its reads; the gateway enforces it too, on the read model and on IPFS, which the chaincode
 * never sees. An export the caller may not know exists answers 404, exactly as a missing one.
 */
import {
  type ExportFacts,
  type Viewer,
  canReadDocument,
  canSeeExport,
  canUploadDocument,
  isExportReader,
} from '@coffee/consortium';
import { AppError } from '../errors.ts';
import type { Caller, Deps } from './deps.ts';
import type { UserService } from './users.ts';

export function exportNotFound(exportId: string): AppError {
  return new AppError(404, 'EXPORT_NOT_FOUND', `export ${exportId} does not exist`);
}

export class AccessPolicy {
  readonly #deps: Deps;
  readonly #users: UserService;

  constructor(deps: Deps, users: UserService) {
    this.#deps = deps;
    this.#users = users;
  }

  /** The caller as the policy sees it: this gateway's MSP, the token's role, and (exporters) its exporter id. */
  async viewer(caller: Caller): Promise<Viewer> {
    const mspId = this.#deps.config.org.mspId;
    if (caller.role !== 'exporter') return { mspId, role: caller.role };
    const exporterId = (await this.#users.byId(caller.userId))?.exporter_id ?? undefined;
    return { mspId, role: caller.role, exporterId };
  }

  /** Refuses callers whose role reads no exports at all (org admins manage users only). */
  requireReader(viewer: Viewer): void {
    if (!isExportReader(viewer))
      throw new AppError(403, 'FORBIDDEN_ROLE', `role ${viewer.role} does not read exports`);
  }

  requireVisible(viewer: Viewer, exportId: string, facts: ExportFacts): void {
    if (!canSeeExport(viewer, facts)) throw exportNotFound(exportId);
  }

  /** A document the viewer may not read is, to the viewer, a document that does not exist. */
  requireDocumentReadable(viewer: Viewer, facts: ExportFacts, type: string, cid: string): void {
    if (!canReadDocument(viewer, facts, type))
      throw new AppError(404, 'DOCUMENT_NOT_FOUND', `no document ${cid} here`);
  }

  requireUploader(viewer: Viewer, type: string): void {
    if (!canUploadDocument(viewer, type))
      throw new AppError(
        403,
        'FORBIDDEN_ROLE',
        `${viewer.mspId} ${viewer.role} does not attach ${type} documents`,
      );
  }
}
