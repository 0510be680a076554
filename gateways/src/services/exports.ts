/**
 * Exports: creation (idempotent), the workflow actions, documents (IPFS + ledger), reads from the read model
 * (lists) and from the ledger (one export, its history), and the public verification.
 *
 * Write order, so nothing is half-written: Postgres and IPFS are checked (and the document pins confirmed)
 * before the ledger transaction; off-chain rows are written only after the transaction committed.
 */
import { randomBytes } from 'node:crypto';
import {
  ACTIONS,
  EXPORTER_SHIPPING_DOCUMENTS,
  PRIVATE_INPUTS,
  canReadGroup,
  isActionName,
  mayCall,
  redactExport,
  visibleReachedStatuses,
} from '@coffee/consortium';
import { dbReachable, query, withTx } from '../db/pool.ts';
import { AppError, refusedWith, UnavailableError } from '../errors.ts';
import type { ExportRecord, LedgerDocument } from '../fabric/ledger.ts';
import { checkUploadMediaType, safeDownloadType } from '../ipfs/sniff.ts';
import { sha256Hex } from '../ipfs/store.ts';
import type { TransitionObserver } from '../metrics.ts';
import { AccessPolicy } from './access.ts';
import { audit, auditQuietly } from './audit.ts';
import type { Caller, Deps } from './deps.ts';
import { DocumentKeys } from './document-keys.ts';
import { newExportId } from './idempotency.ts';
import type { UserService } from './users.ts';

/** What a list row shows (rm_exports minus the full record and tracking log, plus the record's amendment). */
const LIST_COLUMNS = [
  'export_id',
  'exporter_id',
  'status',
  'reached',
  'contract',
  'permit_number',
  'repatriation_due_at',
  'delinquent',
  'created_at',
  'updated_at',
  'last_action',
  'last_tx_id',
  'last_block',
  "record->'amendment' AS amendment",
].join(', ');

/** A fresh salt of 192 bits for one commitment (never reused: every private hash gets its own). */
export function freshSalt(): string {
  return randomBytes(24).toString('base64url');
}

/** Private inputs get their salts here, at the gateway; clients never choose, see or keep them. */
function salted(key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const v = value as Record<string, unknown>;
  if (key === 'tradeTerms') return { ...v, salt: freshSalt(), valueSalt: freshSalt() };
  if (key === 'fxApplication' || key === 'paymentProceeds') return { ...v, salt: freshSalt() };
  return v;
}

/** Document types an exporter attaches on their own (AttachDocuments) right at upload. */
const SELF_ATTACHED: ReadonlySet<string> = new Set(EXPORTER_SHIPPING_DOCUMENTS);

export interface DocumentRef {
  type: string;
  cid: string;
  quantityKg?: number;
  grade?: string;
}

export interface ActionResult {
  id: string;
  status: string;
  txId: string;
  blockNumber: string;
}

interface DocRow {
  cid: string;
  sha256: string;
  size_bytes: string;
  media_type: string;
  doc_type: string;
  export_id: string | null;
  tx_id: string | null;
}

export class ExportService {
  readonly #deps: Deps;
  readonly #users: UserService;
  readonly #access: AccessPolicy;
  /** Told of each committed step and the step it left (the gateway's /metrics, metrics.ts). */
  transitionObserver: TransitionObserver | undefined;

  constructor(deps: Deps, users: UserService) {
    this.#deps = deps;
    this.#users = users;
    this.#access = new AccessPolicy(deps, users);
  }

  /** Postgres and IPFS must answer before anything is sent to the ledger. */
  async #requireOffChain(needIpfs: boolean): Promise<void> {
    if (!(await dbReachable(this.#deps.pool))) throw new UnavailableError('the database');
    if (needIpfs && !(await this.#deps.store.reachable())) throw new UnavailableError('the IPFS node');
  }

  /** Resolves {type, cid} references to the ledger's document input, after checking each file is pinned here. */
  async #resolveDocuments(
    refs: readonly DocumentRef[] | undefined,
    exportId: string,
  ): Promise<Record<string, unknown>[] | undefined> {
    if (!refs) return undefined;
    const out: Record<string, unknown>[] = [];
    for (const ref of refs) {
      const row = (await query<DocRow>(this.#deps.pool, 'SELECT * FROM documents WHERE cid = $1', [ref.cid]))
        .rows[0];
      if (!row)
        throw new AppError(
          422,
          'DOCUMENT_NOT_UPLOADED',
          `document ${ref.cid} was not uploaded at this gateway`,
        );
      if (row.doc_type !== ref.type)
        throw new AppError(
          422,
          'DOCUMENT_TYPE_MISMATCH',
          `document ${ref.cid} was uploaded as ${row.doc_type}, not ${ref.type}`,
        );
      if (row.export_id && row.export_id !== exportId)
        throw new AppError(
          422,
          'DOCUMENT_OF_OTHER_EXPORT',
          `document ${ref.cid} belongs to export ${row.export_id}`,
        );
      if (!(await this.#deps.store.isPinned(ref.cid)))
        throw new UnavailableError(`the pinned file ${ref.cid}`);
      out.push({
        type: ref.type,
        cid: row.cid,
        sha256: row.sha256,
        sizeBytes: Number(row.size_bytes),
        mediaType: row.media_type,
        ...(ref.quantityKg !== undefined ? { quantityKg: ref.quantityKg } : {}),
        ...(ref.grade !== undefined ? { grade: ref.grade } : {}),
      });
    }
    return out;
  }

  async #markAttached(
    c: { query: (q: string, v: unknown[]) => Promise<unknown> },
    refs: readonly DocumentRef[] | undefined,
    exportId: string,
    txId: string,
  ): Promise<void> {
    for (const ref of refs ?? []) {
      await c.query('UPDATE documents SET export_id = $2, tx_id = $3 WHERE cid = $1', [
        ref.cid,
        exportId,
        txId,
      ]);
    }
  }

  /**
   * Step 1, one ledger transaction. With an Idempotency-Key the export id is fixed when the key is claimed, so a
   * retry can only ever create that export; a retry that takes over an unfinished request (crash, commit-status
   * timeout, Postgres lost after the commit) first asks the ledger whether the export exists, and an ambiguous
   * outcome is resolved the same way. The off-chain rows are written once the ledger has the export.
   */
  async create(
    caller: Caller,
    body: {
      exportId?: string;
      contract: Record<string, unknown>;
      documents: DocumentRef[];
      tradeTerms: Record<string, unknown>;
      details?: Record<string, unknown>;
    },
    idempotency?: { resourceId: string | null; recovering: boolean },
  ): Promise<ActionResult> {
    const { ledger } = this.#deps;
    await this.#requireOffChain(true);
    const exportId = idempotency?.resourceId ?? body.exportId ?? newExportId();
    const identity = await this.#users.identityOf(caller.userId);
    const onLedger = async (): Promise<ExportRecord | undefined> =>
      ledger.getExport(identity, exportId).catch((e: unknown) => {
        if (refusedWith(e, 'EXPORT_NOT_FOUND')) return undefined;
        throw e;
      });
    const existing = idempotency?.recovering ? await onLedger() : undefined;
    if (existing) return this.#created(caller, body, exportId, existing.lastAction.txId, existing.status);
    try {
      const documents = await this.#resolveDocuments(body.documents, exportId);
      const tradeTerms = salted('tradeTerms', body.tradeTerms);
      // One transaction: the public record, the private terms and the documents (CommercialBank + ECTA endorse).
      const tx = await ledger.exportTransition(
        identity,
        'CreateExport',
        { exportId, contract: body.contract, documents },
        { tradeTerms },
      );
      this.transitionObserver?.committed('create', undefined);
      const record = JSON.parse(tx.result) as ExportRecord;
      return await this.#created(caller, body, exportId, tx.txId, record.status, tx.blockNumber.toString());
    } catch (e: unknown) {
      // Did it commit after all (a lost commit status, or a retry racing the first attempt)? The ledger says.
      const ambiguous = !(e instanceof AppError) || e.status >= 500 || refusedWith(e, 'EXPORT_EXISTS');
      const found = idempotency && ambiguous ? await onLedger().catch(() => undefined) : undefined;
      if (found && found.exporterId === (await this.#access.viewer(caller)).exporterId) {
        return this.#created(caller, body, exportId, found.lastAction.txId, found.status);
      }
      await auditQuietly(this.#deps.pool, caller, {
        action: 'exports.create',
        target: exportId,
        outcome: 'REFUSED',
      });
      throw e;
    }
  }

  /** The off-chain side of a created export (idempotent: a recovered request writes nothing twice). */
  async #created(
    caller: Caller,
    body: { documents: DocumentRef[]; details?: Record<string, unknown> },
    exportId: string,
    txId: string,
    status: string,
    blockNumber?: string,
  ): Promise<ActionResult> {
    await withTx(this.#deps.pool, async (c) => {
      await c.query(
        'INSERT INTO export_details(export_id, created_by, tx_id, details) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
        [exportId, caller.userId, txId, JSON.stringify(body.details ?? {})],
      );
      await this.#markAttached(c, body.documents, exportId, txId);
      await audit(c, caller, { action: 'exports.create', target: exportId, txId, outcome: 'OK' });
    });
    const block = blockNumber ?? (await this.#blockOf(txId));
    await this.#awaitProjected(block);
    return { id: exportId, status, txId, blockNumber: block };
  }

  /**
   * Read-your-writes: waits (bounded) until this gateway's read model has applied `block`, so the answer to a
   * write and the next read agree. A slow projector delays the answer, never fails it.
   */
  async #awaitProjected(block: string): Promise<void> {
    if (!block) return;
    const watch = this.#deps.projection;
    if (watch) {
      await watch.reached(BigInt(block), 3000);
      return;
    }
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const r = await query<{ next_block: string }>(
        this.#deps.pool,
        "SELECT next_block::text FROM projector_checkpoint WHERE name = 'read-model'",
        [],
      );
      if (BigInt(r.rows[0]?.next_block ?? '0') > BigInt(block)) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The export's status in this gateway's read model, if projected (only to plan endorsers: never trusted). */
  async #projectedStatus(exportId: string): Promise<string | undefined> {
    const r = await query<{ status: string }>(
      this.#deps.pool,
      'SELECT status FROM rm_exports WHERE export_id = $1',
      [exportId],
    );
    return r.rows[0]?.status;
  }

  /** The block of a projected transaction ('' if this gateway's read model has not seen it yet). */
  async #blockOf(txId: string): Promise<string> {
    const r = await query<{ block_number: string }>(
      this.#deps.pool,
      'SELECT block_number::text FROM rm_events WHERE tx_id = $1',
      [txId],
    );
    return r.rows[0]?.block_number ?? '';
  }

  async action(
    caller: Caller,
    exportId: string,
    action: string,
    body: Record<string, unknown>,
    idempotency?: { recovering: boolean },
  ): Promise<ActionResult> {
    // Who may call what is @coffee/consortium's table, which the chaincode enforces too: refuse before endorsing.
    if (!isActionName(action)) throw new AppError(404, 'UNKNOWN_ACTION', `unknown action '${action}'`);
    const spec = { fn: ACTIONS[action] };
    if (!mayCall(spec.fn, this.#deps.config.org.mspId, caller.role))
      throw new AppError(403, 'FORBIDDEN_ROLE', `role ${caller.role} cannot ${action}`);
    const { documents: refs, ...rest } = body as { documents?: DocumentRef[] } & Record<string, unknown>;
    await this.#requireOffChain(refs !== undefined && refs.length > 0);
    const transient: Record<string, unknown> = {};
    const input: Record<string, unknown> = { exportId };
    for (const [k, v] of Object.entries(rest)) {
      // A body's private parts travel in the transient map, salted; the route's schema says which it accepts.
      if ((PRIVATE_INPUTS as readonly string[]).includes(k)) transient[k] = salted(k, v);
      else if (k !== 'exportId') input[k] = v;
    }
    const documents = await this.#resolveDocuments(refs, exportId);
    if (documents) input.documents = documents;
    const identity = await this.#users.identityOf(caller.userId);
    const left = await this.transitionObserver?.before(exportId);
    try {
      const tx = await this.#deps.ledger.exportTransition(
        identity,
        spec.fn,
        input,
        Object.keys(transient).length > 0 ? transient : undefined,
        () => this.#projectedStatus(exportId),
      );
      this.transitionObserver?.committed(action, left);
      const result = JSON.parse(tx.result) as Partial<ExportRecord>;
      // Most transitions return the record; AddTrackingEvent returns its tracking log.
      const status = result.status ?? (await this.#deps.ledger.getExport(identity, exportId)).status;
      await withTx(this.#deps.pool, async (c) => {
        await this.#markAttached(c, refs, exportId, tx.txId);
        await audit(c, caller, {
          action: `exports.${action}`,
          target: exportId,
          txId: tx.txId,
          outcome: 'OK',
        });
      });
      await this.#awaitProjected(tx.blockNumber.toString());
      return { id: exportId, status, txId: tx.txId, blockNumber: tx.blockNumber.toString() };
    } catch (e: unknown) {
      // Did this request's transition commit after all? Only two situations can say yes: a retry of an unfinished
      // earlier attempt with the same key (whose transaction may have committed: then this one is refused as an
      // invalid transition), and an ambiguous outcome of this attempt (a 5xx: its transaction may still commit).
      // Then the record's last action, by this very user, with this attempt's transaction id when one is known, is
      // this request's: answer it, never act twice. A fresh request refused as an invalid transition lost a race
      // to another request, even one of the same user: it gets the conflict.
      const ambiguous = !(e instanceof AppError) || e.status >= 500;
      const ownTxId = e instanceof AppError ? e.txId : undefined;
      if (idempotency && (ambiguous || (idempotency.recovering && refusedWith(e, 'INVALID_TRANSITION')))) {
        const record = await this.#deps.ledger.getExport(identity, exportId).catch(() => undefined);
        const last = record?.lastAction as
          { action?: string; txId?: string; by?: { userId?: string } } | undefined;
        const ours =
          last?.action === spec.fn &&
          last.by?.userId === identity.id &&
          last.txId !== undefined &&
          (ownTxId === undefined || ownTxId === last.txId);
        if (record && ours && last.txId) {
          await withTx(this.#deps.pool, async (c) => {
            await this.#markAttached(c, refs, exportId, last.txId!);
            await audit(c, caller, {
              action: `exports.${action}`,
              target: exportId,
              txId: last.txId,
              outcome: 'OK',
            });
          });
          return {
            id: exportId,
            status: record.status,
            txId: last.txId,
            blockNumber: await this.#blockOf(last.txId),
          };
        }
      }
      await auditQuietly(this.#deps.pool, caller, {
        action: `exports.${action}`,
        target: exportId,
        outcome: 'REFUSED',
      });
      throw e;
    }
  }

  /**
   * Stores a file: kubo add+pin, then its metadata row. Exporter shipping documents are attached on-chain at
   * once (AttachDocuments); others wait for the step that carries them (referenced by CID in its body).
   */
  async upload(
    caller: Caller,
    exportId: string | undefined,
    file: { bytes: Buffer; mediaType: string; fileName?: string },
    meta: { type: string; quantityKg?: number; grade?: string },
  ): Promise<{
    type: string;
    version: number | null;
    cid: string;
    sha256: string;
    size: number;
    mediaType: string;
    txId: string | null;
    attached: boolean;
  }> {
    const { config, pool, store, documentKeys } = this.#deps;
    const viewer = await this.#access.viewer(caller);
    this.#access.requireUploader(viewer, meta.type);
    if (file.bytes.length === 0) throw new AppError(400, 'VALIDATION_FAILED', 'the file is empty');
    // By content, not by what the client claims: an HTML page is never stored as a "PDF".
    const mediaType = checkUploadMediaType(file.bytes, file.mediaType, config.uploads.mediaTypes);
    if (exportId) {
      // The export must be one the caller sees (the chaincode answers 404 otherwise).
      const record = await this.#deps.ledger.getExport(await this.#users.identityOf(caller.userId), exportId);
      this.#access.requireVisible(viewer, exportId, record);
    }
    await this.#requireOffChain(true);
    const sha256 = sha256Hex(file.bytes);
    const { envelope, recipients } = await documentKeys.seal(file.bytes, meta.type);
    const stored = await store.put(envelope);
    await withTx(pool, async (c) => {
      await c.query(
        `INSERT INTO documents(cid, sha256, size_bytes, media_type, file_name, doc_type, export_id, uploaded_by, encrypted_size, recipients)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)
         ON CONFLICT (cid) DO UPDATE SET doc_type = EXCLUDED.doc_type WHERE documents.tx_id IS NULL`,
        [
          stored.cid,
          sha256,
          file.bytes.length,
          mediaType,
          file.fileName ?? null,
          meta.type,
          null,
          caller.userId,
          stored.size,
          recipients,
        ],
      );
      await audit(c, caller, { action: 'documents.upload', target: stored.cid, outcome: 'OK' });
    });
    let version: number | null = null;
    let txId: string | null = null;
    if (exportId && caller.role === 'exporter' && SELF_ATTACHED.has(meta.type)) {
      const ref: DocumentRef = {
        type: meta.type,
        cid: stored.cid,
        quantityKg: meta.quantityKg,
        grade: meta.grade,
      };
      const res = await this.action(caller, exportId, 'attach-documents', { documents: [ref] });
      txId = res.txId;
      const record = await this.#deps.ledger.getExport(await this.#users.identityOf(caller.userId), exportId);
      version = record.documents.find((d) => d.cid === stored.cid && d.txId === txId)?.version ?? null;
    }
    return {
      type: meta.type,
      version,
      cid: stored.cid,
      sha256,
      size: file.bytes.length,
      mediaType,
      txId,
      attached: txId !== null,
    };
  }

  /** The file behind a CID, only if its bytes hash to what the ledger recorded for that document. */
  async download(
    caller: Caller,
    cid: string,
    exportIdHint?: string,
  ): Promise<{ bytes: Buffer; doc: LedgerDocument; exportId: string }> {
    const local = (await query<DocRow>(this.#deps.pool, 'SELECT * FROM documents WHERE cid = $1', [cid]))
      .rows[0];
    const exportId = local?.export_id ?? exportIdHint;
    if (!exportId)
      throw new AppError(
        404,
        'DOCUMENT_NOT_FOUND',
        'no export references this document here; pass ?exportId=',
      );
    const viewer = await this.#access.viewer(caller);
    this.#access.requireReader(viewer);
    const identity = await this.#users.identityOf(caller.userId);
    // The chaincode answers 404 for an export the caller may not see, and strips the CIDs of documents it
    // may not read; the gateway checks the same policy again before it decrypts anything.
    const record = await this.#deps.ledger.getExport(identity, exportId);
    this.#access.requireVisible(viewer, exportId, record);
    const doc = [...record.documents].reverse().find((d) => d.cid === cid);
    if (!doc)
      throw new AppError(404, 'DOCUMENT_NOT_FOUND', `export ${exportId} does not reference document ${cid}`);
    this.#access.requireDocumentReadable(viewer, record, doc.type, cid);
    const envelope = await this.#deps.store.get(cid, DocumentKeys.maxEnvelopeSize(doc.sizeBytes, doc.type));
    const bytes = await this.#deps.documentKeys.open(envelope, doc.type);
    if (bytes.length !== doc.sizeBytes || sha256Hex(bytes) !== doc.sha256) {
      await auditQuietly(this.#deps.pool, caller, {
        action: 'documents.download',
        target: cid,
        outcome: 'FAILED',
      });
      throw new AppError(
        502,
        'DOCUMENT_HASH_MISMATCH',
        'the stored bytes do not match the SHA-256 recorded on the ledger',
      );
    }
    await auditQuietly(this.#deps.pool, caller, { action: 'documents.download', target: cid, outcome: 'OK' });
    return {
      bytes,
      doc: { ...doc, mediaType: safeDownloadType(doc.mediaType, this.#deps.config.uploads.mediaTypes) },
      exportId,
    };
  }

  /**
   * One export as the caller may see it: from this org's read model by default (the record as last committed,
   * projected from the block's write set), or from the ledger (`source: 'ledger'`, the chaincode redacts and the
   * gateway re-checks). An export the read model has not seen yet is read from the ledger.
   */
  async get(
    caller: Caller,
    exportId: string,
    source: 'read-model' | 'ledger' = 'read-model',
  ): Promise<ExportRecord> {
    const viewer = await this.#access.viewer(caller);
    this.#access.requireReader(viewer);
    if (source === 'read-model') {
      const row = (
        await query<{ record: ExportRecord | null; tracking: { events?: unknown[] } | null }>(
          this.#deps.pool,
          'SELECT record, tracking FROM rm_exports WHERE export_id = $1',
          [exportId],
        )
      ).rows[0];
      if (row?.record) {
        this.#access.requireVisible(viewer, exportId, row.record);
        const tracking = [
          ...((row.record.tracking as unknown[] | undefined) ?? []),
          ...(row.tracking?.events ?? []),
        ];
        return redactExport(viewer, row.record, { ...row.record, tracking });
      }
    }
    const record = await this.#deps.ledger.getExport(await this.#users.identityOf(caller.userId), exportId);
    this.#access.requireVisible(viewer, exportId, record);
    return redactExport(viewer, record, record);
  }

  async history(caller: Caller, exportId: string): Promise<unknown> {
    const viewer = await this.#access.viewer(caller);
    this.#access.requireReader(viewer);
    const history = await this.#deps.ledger.getExportHistory(
      await this.#users.identityOf(caller.userId),
      exportId,
    );
    const newest = (history.entries[0] as { record?: ExportRecord } | undefined)?.record;
    if (!newest) throw new AppError(404, 'EXPORT_NOT_FOUND', `export ${exportId} does not exist`);
    this.#access.requireVisible(viewer, exportId, newest);
    return history;
  }

  /**
   * The private terms the caller is entitled to (evaluated on this org's peer, never submitted, so they never
   * land in a block). Salts stay inside: nobody needs them outside the chaincode.
   */
  async tradeTerms(caller: Caller, exportId: string): Promise<Record<string, unknown>> {
    const viewer = await this.#access.viewer(caller);
    this.#access.requireReader(viewer);
    const found = await this.#deps.ledger.getTradeTerms(
      await this.#users.identityOf(caller.userId),
      exportId,
    );
    const pick = (v: unknown, keys: string[]): Record<string, unknown> | undefined => {
      if (typeof v !== 'object' || v === null) return undefined;
      const o = v as Record<string, unknown>;
      return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
    };
    const value = pick(found.customsValue, ['contractValueCents']);
    return {
      exportId,
      terms: pick(found.terms, ['unitPriceUsdPerKg', 'contractValueUsd', 'paymentMethod', 'paymentTerms']),
      fxApplication: pick(found.fxApplication, ['paymentMethod', 'evidenceReference', 'amountUsd']),
      proceeds: pick(found.proceeds, ['amountUsd', 'paymentReference']),
      customsValue: value && { contractValueUsd: Number(value.contractValueCents) / 100 },
    };
  }

  /**
   * From the read model (keyset pagination on export_id), filtered by the need-to-know policy in SQL: exporter
   * users see their exporter's exports only; org staff see exports that reached their org's entry step.
   */
  async list(
    caller: Caller,
    requested: { status?: string; exporterId?: string; q?: string; cursor?: string; limit: number },
  ): Promise<{ items: unknown[]; nextCursor: string | null }> {
    const viewer = await this.#access.viewer(caller);
    this.#access.requireReader(viewer);
    const filter = { ...requested };
    if (viewer.role === 'exporter') {
      const own = viewer.exporterId ?? '';
      if (!own || (filter.exporterId && filter.exporterId !== own)) return { items: [], nextCursor: null };
      filter.exporterId = own;
    }
    const where: string[] = [];
    const values: unknown[] = [];
    if (filter.status) {
      values.push(filter.status);
      where.push(`status = $${values.length}`);
    }
    if (filter.exporterId) {
      values.push(filter.exporterId);
      where.push(`exporter_id = $${values.length}`);
    }
    if (filter.q) {
      values.push(`%${filter.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
      where.push(
        `(export_id ILIKE $${values.length} OR exporter_id ILIKE $${values.length} OR contract::text ILIKE $${values.length})`,
      );
    }
    if (viewer.role !== 'exporter') {
      values.push(visibleReachedStatuses(viewer.mspId));
      where.push(`reached = ANY($${values.length})`);
    }
    if (filter.cursor) {
      values.push(filter.cursor);
      where.push(`export_id > $${values.length}`);
    }
    values.push(filter.limit + 1);
    const rows = (
      await query<Record<string, unknown>>(
        this.#deps.pool,
        // The row's columns, not the projected record and tracking log (kilobytes per row a list never shows).
        `SELECT ${LIST_COLUMNS} FROM rm_exports ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY export_id LIMIT $${values.length}`,
        values,
      )
    ).rows;
    const page = rows.slice(0, filter.limit);
    return {
      items: page.map((r) => {
        const facts = { exporterId: String(r.exporter_id), reached: String(r.reached) };
        return {
          id: r.export_id,
          exporterId: r.exporter_id,
          status: r.status,
          reached: r.reached,
          contract: r.contract,
          permitNumber: canReadGroup(viewer, facts, 'permit') ? r.permit_number : null,
          repatriationDueAt: canReadGroup(viewer, facts, 'shipment') ? r.repatriation_due_at : null,
          delinquent: canReadGroup(viewer, facts, 'delinquency') ? r.delinquent : null,
          createdAt: r.created_at,
          updatedAt: r.updated_at,
          lastAction: r.last_action,
          lastTxId: r.last_tx_id,
          lastBlock: String(r.last_block),
          // A core field (policy.ts): whose step an amendment returns to decides whose queue it is in.
          amendment: r.amendment ?? null,
        };
      }),
      nextCursor: rows.length > filter.limit ? String(page[page.length - 1]!.export_id) : null,
    };
  }

  /**
   * Public proof of an export's state, step times and document hashes, from the chaincode's public view: no
   * CIDs, no private or commercial values, no user names (what a foreign buyer or port would check).
   */
  async verify(exportId: string): Promise<Record<string, unknown>> {
    const view = await this.#deps.ledger.getPublicView(this.#deps.orgAdmin, exportId);
    return { ...view, verifiedAt: new Date().toISOString() };
  }
}
