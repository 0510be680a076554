/**
 * EUDR due diligence at the gateway (issue 15; design: plots and the forest-loss layer, ECX's lot links, the DDS
 * package per EU-bound export).
 *
 * Trust model, as this service carries it out:
 * - a plot's geometry and producer reference never reach the ledger in clear: the exporter's gateway validates the
 *   geometry (gateways/src/eudr/geometry.ts), screens it against the ledger's current forest-loss layer, stores the
 *   details ENCRYPTED in IPFS for the plot audience (the exporter's bank, ECTA, ECX, Customs) and submits only a
 *   salted commitment, the screening result and the layer's hash;
 * - the forest-loss layer is public: ECTA stores it in IPFS unencrypted and records its hash and CID on the
 *   ledger; every gateway fetches it by CID and refuses a copy whose hash differs;
 * - ECTA's gateway re-checks everything before it co-endorses a package: it decrypts every plot, verifies it
 *   against its commitment, validates and screens it again with its own copy of the layer, and rebuilds the
 *   package to compare hashes. A dishonest exporter bank cannot slip a false CLEAR through.
 *
 * The chaincode (contract `eudr`) enforces who may write what; this service enforces the same rules first (clear
 * errors before endorsing) and the read side on the read model and IPFS, which the chaincode never sees.
 */
import { randomBytes } from 'node:crypto';
import type { Geometry } from 'geojson';
import {
  DDS_CLEARABLE_STATUSES,
  DDS_PACKAGE_AUDIENCE,
  EUDR_PLOT_AUDIENCE,
  type EudrFunction,
  MSP,
  PLOT_USABLE_STATUSES,
  canReadDdsPackage,
  canReadEudrDetails,
  canSeePlot,
  eudrEndorsers,
  isEuDestination,
  mayCallEudr,
  type Viewer,
} from '@coffee/consortium';
import { dbReachable, query, withTx } from '../db/pool.ts';
import { AppError, refusedWith, UnavailableError } from '../errors.ts';
import { ChaincodeArgs, type ExportRecord, type FabricIdentity } from '../fabric/ledger.ts';
import { ENVELOPE_OVERHEAD_MAX } from '../ipfs/envelope.ts';
import { validatePlot } from '../eudr/geometry.ts';
import {
  loadForestLayer,
  parseForestLayer,
  screenPlot,
  serializeForestLayer,
  type ForestLayer,
} from '../eudr/screening.ts';
import { commitPlot, verifyCommitment } from '../eudr/commitment.ts';
import { buildDdsPackage, validateDdsPackage } from '../eudr/package.ts';
import { AccessPolicy } from './access.ts';
import { audit, auditQuietly } from './audit.ts';
import type { Caller, Deps } from './deps.ts';
import type { UserService } from './users.ts';

const { ECTA } = MSP;

/** Who a plot's encrypted details are sealed for: the owner exporter's org, ECTA, ECX, Customs. */
export const PLOT_AUDIENCE: readonly string[] = EUDR_PLOT_AUDIENCE;
/** Who a DDS package is sealed for: the exporter's org (it downloads it for the importer), ECTA, Customs. */
export const PACKAGE_AUDIENCE: readonly string[] = DDS_PACKAGE_AUDIENCE;
/** Envelope types of the two encrypted documents (checked again on decryption). */
export const PLOT_DOC_TYPE = 'EUDR_PLOT';
export const PACKAGE_DOC_TYPE = 'EUDR_DDS_PACKAGE';
/** Largest plot document or package read back from IPFS (plaintext), and largest forest-loss layer. */
const MAX_PLOT_BYTES = 1024 * 1024;
const MAX_PACKAGE_BYTES = 16 * 1024 * 1024;
const MAX_LAYER_BYTES = 64 * 1024 * 1024;

export type PlotKind = 'Point' | 'Polygon';

/** A plot as the ledger holds it (commitment, no geometry). */
export interface LedgerPlot {
  plotId: string;
  exporterId: string;
  commitment: string;
  kind: PlotKind;
  documentCid: string;
  screening: { status: string; layerSha256: string; overlapHa: number; screenedAt?: string };
  /** ECTA's re-screening against a newer layer, which flagged the plot (eudr:FlagPlot). */
  rescreen?: { fromLayerSha256: string; by?: unknown; at?: string };
  review?: { outcome: string; note: string; by?: unknown; at?: string };
  registeredAt?: string;
  txId?: string;
}

/** What the plot document (encrypted in IPFS) says: the details the commitment covers, and its salt. */
export interface PlotDetails {
  plotId: string;
  exporterId: string;
  kind: PlotKind;
  geometry: Geometry;
  areaHa: number;
  declaredAreaHa: number;
  region: string;
  woreda: string;
  producerRef: string;
  harvestFrom: string;
  harvestTo: string;
  legalityDocuments: { name: string; reference: string; sha256?: string }[];
  /**
   * The geometry as the exporter sent it, when sent as GeoJSON text: parsed numbers lose trailing zeros
   * (38.500000 reads as 38.5), so ECTA's re-validation counts the decimals on this text, as registration did.
   */
  geometryText?: string;
}
interface PlotDocument {
  version: 1;
  details: PlotDetails;
  salt: string;
}

export interface LotLink {
  lotId: string;
  plots: { plotId: string; quantityKg: number }[];
}

export interface LedgerPackage {
  exportId: string;
  status: string;
  packageSha256: string;
  packageCid: string;
  plotIds: string[];
  summary: Record<string, unknown>;
  legalityDeclared: boolean;
  reference?: string;
  verificationNumber?: string;
  [key: string]: unknown;
}

export interface ExportEudr {
  required: boolean;
  lots: { exportId: string; lots: LotLink[]; by?: unknown; at?: string } | null;
  package: LedgerPackage | null;
}

interface LayerRecord {
  name: string;
  sha256: string;
  cid: string;
  featureCount: number;
  [key: string]: unknown;
}

export interface RegisterPlotInput {
  geometry: unknown;
  declaredAreaHa: number;
  region: string;
  woreda: string;
  producerRef: string;
  harvestFrom: string;
  harvestTo: string;
  legalityDocuments?: { name: string; reference: string; sha256?: string }[];
}

export interface SubmitAnswer {
  txId: string;
  blockNumber: string;
}

/** A new plot id: PLOT-<yyyymmdd>-<8 hex> (fixed at the Idempotency-Key's claim, so a retry registers it once). */
export function newPlotId(): string {
  const d = new Date();
  const ymd = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
  return `PLOT-${ymd}-${randomBytes(4).toString('hex').toUpperCase()}`;
}

/** The plot that does not exist, or that the caller may not know exists: the same answer. */
export function plotNotFound(plotId: string): AppError {
  return new AppError(404, 'EUDR_PLOT_NOT_FOUND', `plot ${plotId} does not exist`);
}

/**
 * May this viewer see plots of `exporterId`? The policy of @coffee/consortium (the chaincode decides by the same
 * function): the owner exporter and its bank's staff; ECTA, ECX and Customs readers. Another exporter, the National
 * Bank and the shipping line do not.
 */
export function canSeePlots(viewer: Viewer, exporterId: string): boolean {
  return canSeePlot(viewer, { exporterId });
}

/** May this viewer read (download) the DDS package of an export it can see? The package's audience only. */
export function canReadPackage(viewer: Viewer, exporterId: string): boolean {
  return canReadDdsPackage(viewer, { exporterId });
}

export class EudrService {
  readonly #deps: Deps;
  readonly #users: UserService;
  readonly #access: AccessPolicy;
  /** The forest-loss layer by CID (parsed and hash-checked once per process). */
  readonly #layers = new Map<string, ForestLayer>();

  constructor(deps: Deps, users: UserService) {
    this.#deps = deps;
    this.#users = users;
    this.#access = new AccessPolicy(deps, users);
  }

  // ------------------------------------------------------------------ helpers

  async #viewer(caller: Caller): Promise<Viewer> {
    return this.#access.viewer(caller);
  }

  async #identity(caller: Caller): Promise<FabricIdentity> {
    return this.#users.identityOf(caller.userId);
  }

  async #requireOffChain(): Promise<void> {
    if (!(await dbReachable(this.#deps.pool))) throw new UnavailableError('the database');
    if (!(await this.#deps.store.reachable())) throw new UnavailableError('the IPFS node');
  }

  /**
   * Submits an eudr write, endorsed by the peers of the key-level policy of the key it writes (named: discovery
   * cannot plan for key-level policies; endorsers.ts of @coffee/consortium explains why).
   */
  async #submit(
    who: FabricIdentity,
    fn: EudrFunction,
    args: string[],
  ): Promise<SubmitAnswer & { result: string }> {
    const orgs = eudrEndorsers(fn);
    const tx = await this.#deps.ledger.ledger.submit(
      who,
      'coffee-export',
      `eudr:${fn}`,
      new ChaincodeArgs(args),
      undefined,
      () => Promise.resolve(orgs),
    );
    await this.#awaitProjected(tx.blockNumber);
    return { result: tx.result, txId: tx.txId, blockNumber: tx.blockNumber.toString() };
  }

  /** Read-your-writes: the answer to a write waits (bounded) until this gateway's read model has its block. */
  async #awaitProjected(block: bigint): Promise<void> {
    const watch = this.#deps.projection;
    if (watch) {
      await watch.reached(block, 3000);
      return;
    }
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const r = await query<{ next_block: string }>(
        this.#deps.pool,
        "SELECT next_block::text FROM projector_checkpoint WHERE name = 'read-model'",
        [],
      );
      if (BigInt(r.rows[0]?.next_block ?? '0') > block) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  #evaluate<T>(who: FabricIdentity, fn: string, args: string[] = []): Promise<T> {
    return this.#deps.ledger.ledger.evaluateJson<T>(who, 'coffee-export', `eudr:${fn}`, args);
  }

  /** Who may call each eudr write (@coffee/consortium's EUDR_ACTORS; the chaincode checks the same table). */
  #requireActor(viewer: Viewer, fn: EudrFunction, what: string): void {
    if (!mayCallEudr(fn, viewer.mspId, viewer.role))
      throw new AppError(403, 'FORBIDDEN_ROLE', `${viewer.mspId} ${viewer.role} may not ${what}`);
  }

  /** The export as the caller may see it (ledger; 404 for one it may not know exists). */
  async #export(caller: Caller, viewer: Viewer, exportId: string): Promise<ExportRecord> {
    this.#access.requireReader(viewer);
    const record = await this.#deps.ledger.getExport(await this.#identity(caller), exportId);
    this.#access.requireVisible(viewer, exportId, record);
    return record;
  }

  // ------------------------------------------------------------------ forest-loss layer

  /** ECTA loads the layer: stored in IPFS as canonical JSON (public), its hash and CID recorded on the ledger. */
  async setForestLayer(
    caller: Caller,
    geojson: unknown,
  ): Promise<SubmitAnswer & { name: string; sha256: string; cid: string; featureCount: number }> {
    const viewer = await this.#viewer(caller);
    this.#requireActor(viewer, 'SetForestLayer', 'load the forest-loss layer');
    const layer = parseForestLayer(geojson);
    await this.#requireOffChain();
    // The canonical text: its sha256 is the layer's, so every gateway can check the copy it fetches by CID.
    const bytes = Buffer.from(serializeForestLayer(layer));
    const stored = await this.#deps.store.put(bytes);
    const input = {
      name: layer.name,
      sha256: layer.sha256,
      cid: stored.cid,
      featureCount: layer.featureCount,
    };
    try {
      const tx = await this.#submit(await this.#identity(caller), 'SetForestLayer', [JSON.stringify(input)]);
      this.#layers.set(stored.cid, layer);
      await auditQuietly(this.#deps.pool, caller, {
        action: 'eudr.forest-layer.set',
        target: layer.sha256,
        txId: tx.txId,
        outcome: 'OK',
      });
      return { ...input, txId: tx.txId, blockNumber: tx.blockNumber };
    } catch (e: unknown) {
      await auditQuietly(this.#deps.pool, caller, { action: 'eudr.forest-layer.set', outcome: 'REFUSED' });
      throw e;
    }
  }

  /** The ledger's layer record and (`withFeatures`) its polygons, for the map. Public data: any user. */
  async getForestLayer(
    caller: Caller,
    withFeatures: boolean,
  ): Promise<LayerRecord & { features?: unknown[] }> {
    const record = await this.#layerRecord(await this.#identity(caller));
    if (!withFeatures) return record;
    const layer = await this.#layer(record);
    return { ...record, features: layer.features };
  }

  async #layerRecord(who: FabricIdentity): Promise<LayerRecord> {
    const record = await this.#evaluate<LayerRecord | null>(who, 'GetForestLayer').catch((e: unknown) => {
      if (refusedWith(e, 'EUDR_LAYER_NOT_FOUND')) return null;
      throw e;
    });
    if (!record || !record.sha256)
      throw new AppError(
        404,
        'EUDR_LAYER_NOT_FOUND',
        'no forest-loss layer is loaded yet: ECTA loads one (POST /eudr/forest-layer) before plots are registered',
      );
    return record;
  }

  /** The layer behind a ledger record: from this process's cache, or IPFS, refused unless its hash matches. */
  async #layer(record: LayerRecord): Promise<ForestLayer> {
    const cached = this.#layers.get(record.cid);
    if (cached && cached.sha256 === record.sha256) return cached;
    const bytes = await this.#deps.store.get(record.cid, MAX_LAYER_BYTES);
    let layer: ForestLayer;
    try {
      layer = loadForestLayer(bytes.toString('utf8'), record.sha256);
    } catch (e: unknown) {
      // A copy that does not parse is as useless as one with another hash: never screen with it.
      if (e instanceof AppError && e.status === 502) throw e;
      throw new AppError(
        502,
        'FOREST_LAYER_HASH_MISMATCH',
        `the forest-loss layer fetched from ${record.cid} is not the one the ledger records`,
        { cause: e },
      );
    }
    this.#layers.set(record.cid, layer);
    return layer;
  }

  // ------------------------------------------------------------------ plots

  /**
   * An exporter registers a plot: validation (one clear error per bad geometry case, 422), screening against the
   * current layer, the details sealed for the plot audience in IPFS, then RegisterPlot with the commitment.
   */
  async registerPlot(
    caller: Caller,
    input: RegisterPlotInput,
    idempotency?: { resourceId: string | null; recovering: boolean },
  ): Promise<
    SubmitAnswer & {
      plotId: string;
      kind: PlotKind;
      areaHa: number | null;
      screening: LedgerPlot['screening'] & { featureIds: (string | number)[] };
    }
  > {
    const viewer = await this.#viewer(caller);
    this.#requireActor(viewer, 'RegisterPlot', 'register plots');
    const exporterId = viewer.exporterId;
    if (!exporterId)
      throw new AppError(403, 'FORBIDDEN_ROLE', `${caller.username} is not linked to an exporter`);
    const plotId = idempotency?.resourceId ?? newPlotId();
    const identity = await this.#identity(caller);
    if (idempotency?.recovering) {
      // A retry of an unfinished registration: the ledger says whether it happened.
      const found = await this.#evaluate<LedgerPlot>(identity, 'GetPlot', [plotId]).catch(() => undefined);
      if (found && found.exporterId === exporterId)
        return {
          plotId,
          kind: found.kind,
          areaHa: null,
          screening: { ...found.screening, featureIds: [] },
          txId: found.txId ?? '',
          blockNumber: '',
        };
    }
    if (input.harvestFrom > input.harvestTo)
      throw new AppError(
        422,
        'VALIDATION_FAILED',
        `the harvest period starts (${input.harvestFrom}) after it ends (${input.harvestTo})`,
      );
    const checked = validatePlot({ geometry: input.geometry, declaredAreaHa: input.declaredAreaHa });
    if (!checked.ok) {
      const first = checked.errors[0]!;
      throw new AppError(422, first.code, first.message, {
        errors: checked.errors.map((e) => ({ path: `body.geometry:${e.code}`, message: e.message })),
      });
    }
    await this.#requireOffChain();
    const record = await this.#layerRecord(identity);
    const layer = await this.#layer(record);
    const screened = screenPlot(checked.geometry, layer);
    const details: PlotDetails = {
      plotId,
      exporterId,
      kind: checked.kind,
      geometry: checked.geometry,
      areaHa: checked.areaHa,
      declaredAreaHa: input.declaredAreaHa,
      region: input.region,
      woreda: input.woreda,
      producerRef: input.producerRef,
      harvestFrom: input.harvestFrom,
      harvestTo: input.harvestTo,
      legalityDocuments: input.legalityDocuments ?? [],
      ...(typeof input.geometry === 'string' ? { geometryText: input.geometry } : {}),
    };
    const { commitment, salt } = commitPlot(details);
    const doc: PlotDocument = { version: 1, details, salt };
    const { envelope } = await this.#deps.documentKeys.seal(
      Buffer.from(JSON.stringify(doc)),
      PLOT_DOC_TYPE,
      PLOT_AUDIENCE,
    );
    const stored = await this.#deps.store.put(envelope);
    const screening = {
      status: screened.status,
      layerSha256: layer.sha256,
      overlapHa: screened.overlapHa,
    };
    try {
      const tx = await this.#submit(identity, 'RegisterPlot', [
        JSON.stringify({ plotId, commitment, kind: checked.kind, documentCid: stored.cid, screening }),
      ]);
      await withTx(this.#deps.pool, async (c) => {
        await audit(c, caller, {
          action: 'eudr.plots.register',
          target: plotId,
          txId: tx.txId,
          outcome: 'OK',
        });
      });
      return {
        plotId,
        kind: checked.kind,
        areaHa: checked.areaHa,
        screening: { ...screening, featureIds: screened.featureIds },
        txId: tx.txId,
        blockNumber: tx.blockNumber,
      };
    } catch (e: unknown) {
      await auditQuietly(this.#deps.pool, caller, {
        action: 'eudr.plots.register',
        target: plotId,
        outcome: 'REFUSED',
      });
      throw e;
    }
  }

  /** The plot document behind a ledger plot, decrypted here and checked against the plot's commitment. */
  async #plotDetails(plot: LedgerPlot): Promise<PlotDetails> {
    const envelope = await this.#deps.store.get(
      plot.documentCid,
      MAX_PLOT_BYTES + ENVELOPE_OVERHEAD_MAX(PLOT_AUDIENCE.length),
    );
    const bytes = await this.#deps.documentKeys.open(envelope, PLOT_DOC_TYPE);
    let doc: PlotDocument;
    try {
      doc = JSON.parse(bytes.toString('utf8')) as PlotDocument;
    } catch {
      throw new AppError(502, 'EUDR_COMMITMENT_MISMATCH', `plot ${plot.plotId}: its document is not JSON`);
    }
    if (
      doc?.details?.plotId !== plot.plotId ||
      doc.details.exporterId !== plot.exporterId ||
      !verifyCommitment(doc.details, doc.salt, plot.commitment)
    )
      throw new AppError(
        502,
        'EUDR_COMMITMENT_MISMATCH',
        `plot ${plot.plotId}: the stored details do not match the commitment on the ledger`,
      );
    return doc.details;
  }

  /**
   * The plots the caller may see, from the read model (the policy applied in SQL): an exporter its own, its bank's
   * staff all of the bank's exporters', ECTA/ECX/Customs all; `geometry=true` decrypts each (entitled orgs only).
   */
  async listPlots(
    caller: Caller,
    q: { exporterId?: string; status?: string; withGeometry?: boolean; limit: number },
  ): Promise<{ items: unknown[] }> {
    const viewer = await this.#viewer(caller);
    this.#requireReaderOfPlots(viewer);
    const where: string[] = [];
    const values: unknown[] = [];
    let exporterId = q.exporterId;
    if (viewer.role === 'exporter') {
      if (exporterId && exporterId !== viewer.exporterId) return { items: [] };
      exporterId = viewer.exporterId ?? '\u0000none';
    }
    if (exporterId) {
      values.push(exporterId);
      where.push(`exporter_id = $${values.length}`);
    }
    if (q.status) {
      values.push(q.status);
      where.push(`screening_status = $${values.length}`);
    }
    values.push(q.limit);
    const rows = (
      await query<{ record: LedgerPlot }>(
        this.#deps.pool,
        `SELECT record FROM eudr_plots ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY plot_id LIMIT $${values.length}`,
        values,
      )
    ).rows.filter((r) => canSeePlots(viewer, r.record.exporterId));
    const items = await Promise.all(
      rows.map(async ({ record }) => (q.withGeometry ? this.#withDetails(record) : publicPlot(record))),
    );
    return { items };
  }

  async #withDetails(plot: LedgerPlot): Promise<Record<string, unknown>> {
    try {
      return { ...publicPlot(plot), details: await this.#plotDetails(plot) };
    } catch (e: unknown) {
      // One unreadable plot must not hide the others: it is listed with the reason.
      const problem = e instanceof AppError ? e : new UnavailableError('the plot document');
      return { ...publicPlot(plot), detailsError: { code: problem.code, detail: problem.message } };
    }
  }

  /** Orgs outside the plot audience (the National Bank, the shipping line) are refused before anything is read. */
  #requireReaderOfPlots(viewer: Viewer): void {
    if (!PLOT_AUDIENCE.includes(viewer.mspId))
      throw new AppError(403, 'FORBIDDEN_ORG', `${viewer.mspId} does not read EUDR plots`);
  }

  /** One plot with its decrypted details (the ledger's record; 404 for a plot the caller may not see). */
  async getPlot(caller: Caller, plotId: string): Promise<Record<string, unknown>> {
    const viewer = await this.#viewer(caller);
    this.#requireReaderOfPlots(viewer);
    const plot = await this.#ledgerPlot(await this.#identity(caller), plotId);
    if (!canSeePlots(viewer, plot.exporterId)) throw plotNotFound(plotId);
    const details = await this.#plotDetails(plot);
    await auditQuietly(this.#deps.pool, caller, { action: 'eudr.plots.read', target: plotId, outcome: 'OK' });
    return { ...publicPlot(plot), details };
  }

  async #ledgerPlot(who: FabricIdentity, plotId: string): Promise<LedgerPlot> {
    return this.#evaluate<LedgerPlot>(who, 'GetPlot', [plotId]).catch((e: unknown) => {
      if (e instanceof AppError && e.status === 404) throw plotNotFound(plotId);
      throw e;
    });
  }

  /** ECTA's queue: FLAGGED plots awaiting a reviewed outcome (read model). */
  async reviewQueue(caller: Caller): Promise<{ items: unknown[] }> {
    const viewer = await this.#viewer(caller);
    if (viewer.mspId !== ECTA || !['ecta_officer', 'auditor'].includes(viewer.role))
      throw new AppError(
        403,
        'FORBIDDEN_ROLE',
        `${viewer.mspId} ${viewer.role} may not read the review queue`,
      );
    const rows = (
      await query<{ record: LedgerPlot }>(
        this.#deps.pool,
        "SELECT record FROM eudr_plots WHERE screening_status = 'FLAGGED' ORDER BY registered_at NULLS LAST, plot_id LIMIT 500",
        [],
      )
    ).rows;
    return { items: await Promise.all(rows.map(({ record }) => this.#withDetails(record))) };
  }

  /** ECTA records a reviewed outcome on a FLAGGED plot. */
  async reviewPlot(
    caller: Caller,
    plotId: string,
    body: { outcome: 'REVIEW_CLEARED' | 'REVIEW_REJECTED'; note: string },
  ): Promise<SubmitAnswer & { plotId: string; status: string }> {
    const viewer = await this.#viewer(caller);
    this.#requireActor(viewer, 'ReviewPlot', 'review plot screenings');
    const identity = await this.#identity(caller);
    const plot = await this.#ledgerPlot(identity, plotId);
    if (plot.screening.status !== 'FLAGGED')
      throw new AppError(
        409,
        'EUDR_PLOT_NOT_FLAGGED',
        `plot ${plotId} is ${plot.screening.status}: only FLAGGED plots are reviewed`,
      );
    try {
      const tx = await this.#submit(identity, 'ReviewPlot', [plotId, body.outcome, body.note]);
      await auditQuietly(this.#deps.pool, caller, {
        action: 'eudr.plots.review',
        target: plotId,
        txId: tx.txId,
        outcome: 'OK',
      });
      return { plotId, status: body.outcome, txId: tx.txId, blockNumber: tx.blockNumber };
    } catch (e: unknown) {
      await auditQuietly(this.#deps.pool, caller, {
        action: 'eudr.plots.review',
        target: plotId,
        outcome: 'REFUSED',
      });
      throw e;
    }
  }

  /**
   * Records on the ledger that ECTA's re-screening found a CLEAR plot overlapping the layer in force (FlagPlot).
   * Another officer's approval may have flagged it meanwhile: then the plot is no longer CLEAR, which is the same
   * outcome, and is not an error.
   */
  async #flagRescreened(
    caller: Caller,
    identity: FabricIdentity,
    p: { plotId: string; overlapHa: number },
    layerSha256: string,
  ): Promise<void> {
    try {
      const tx = await this.#submit(identity, 'FlagPlot', [
        p.plotId,
        JSON.stringify({ layerSha256, overlapHa: p.overlapHa }),
      ]);
      await auditQuietly(this.#deps.pool, caller, {
        action: 'eudr.plots.flag',
        target: p.plotId,
        txId: tx.txId,
        outcome: 'OK',
      });
    } catch (e: unknown) {
      const now = await this.#ledgerPlot(identity, p.plotId).catch(() => undefined);
      if (now !== undefined && now.screening.status !== 'CLEAR') return;
      throw e;
    }
  }

  // ------------------------------------------------------------------ exports: lots, package, reference

  /**
   * The EUDR state of an export: whether it needs a package, ECX's lot links, the package. Whoever sees the export
   * learns whether a package is needed and its status; the lot links and the package's details only the plot
   * audience (canReadEudrDetails, as the chaincode decides).
   */
  async exportEudr(caller: Caller, exportId: string): Promise<ExportEudr> {
    const viewer = await this.#viewer(caller);
    await this.#export(caller, viewer, exportId);
    const eudr = await this.#exportEudrOf(await this.#identity(caller), exportId);
    if (canReadEudrDetails(viewer)) return eudr;
    return {
      required: eudr.required,
      lots: null,
      package: eudr.package ? ({ exportId, status: eudr.package.status } as LedgerPackage) : null,
    };
  }

  async #exportEudrOf(who: FabricIdentity, exportId: string): Promise<ExportEudr> {
    const found = await this.#evaluate<ExportEudr>(who, 'GetExportEudr', [exportId]);
    return { required: !!found.required, lots: found.lots ?? null, package: found.package ?? null };
  }

  /** ECX records which plots each certified lot came from (checked again by the chaincode). */
  async linkLots(
    caller: Caller,
    exportId: string,
    body: { lots: LotLink[] },
  ): Promise<SubmitAnswer & { exportId: string; lots: LotLink[] }> {
    const viewer = await this.#viewer(caller);
    this.#requireActor(viewer, 'LinkLotPlots', 'link lots to plots');
    const seen = new Set<string>();
    for (const lot of body.lots) {
      if (seen.has(lot.lotId))
        throw new AppError(422, 'VALIDATION_FAILED', `lot ${lot.lotId} is listed twice`);
      seen.add(lot.lotId);
    }
    await this.#export(caller, viewer, exportId);
    try {
      const tx = await this.#submit(await this.#identity(caller), 'LinkLotPlots', [
        exportId,
        JSON.stringify(body.lots),
      ]);
      await auditQuietly(this.#deps.pool, caller, {
        action: 'eudr.lots.link',
        target: exportId,
        txId: tx.txId,
        outcome: 'OK',
      });
      return { exportId, lots: body.lots, txId: tx.txId, blockNumber: tx.blockNumber };
    } catch (e: unknown) {
      await auditQuietly(this.#deps.pool, caller, {
        action: 'eudr.lots.link',
        target: exportId,
        outcome: 'REFUSED',
      });
      throw e;
    }
  }

  /** Every plot of ECX's lot links, decrypted and checked against its commitment (ledger order of the lots). */
  async #linkedPlots(
    who: FabricIdentity,
    eudr: ExportEudr,
    exportId: string,
  ): Promise<{ ledger: LedgerPlot[]; details: PlotDetails[]; lots: LotLink[] }> {
    const lots = eudr.lots?.lots ?? [];
    if (lots.length === 0)
      throw new AppError(
        422,
        'EUDR_LOTS_MISSING',
        `export ${exportId}: ECX has not linked its lots to plots yet`,
      );
    const ids = [...new Set(lots.flatMap((l) => l.plots.map((p) => p.plotId)))];
    const ledger = await Promise.all(ids.map((id) => this.#ledgerPlot(who, id)));
    const details = await Promise.all(ledger.map((p) => this.#plotDetails(p)));
    return { ledger, details, lots };
  }

  /**
   * The exporter assembles the DDS package: every plot of the lots ECX certified, decrypted, checked and built
   * into the EU Information System's GeoJSON and the summary (eudr/package.ts); sealed for the package audience.
   */
  async assemblePackage(
    caller: Caller,
    exportId: string,
    body: { legalityDeclared: boolean },
  ): Promise<SubmitAnswer & { exportId: string; status: string; packageSha256: string; summary: unknown }> {
    const viewer = await this.#viewer(caller);
    this.#requireActor(viewer, 'AssembleDdsPackage', 'assemble a DDS package');
    if (body.legalityDeclared !== true)
      throw new AppError(
        422,
        'EUDR_LEGALITY_NOT_DECLARED',
        'the exporter must declare that the coffee was produced in accordance with the relevant legislation',
      );
    const record = await this.#export(caller, viewer, exportId);
    const country = record.contract.destinationCountry;
    const destination = typeof country === 'string' ? country : '';
    if (!isEuDestination(destination))
      throw new AppError(
        422,
        'EUDR_NOT_REQUIRED',
        `export ${exportId} goes to ${destination}, outside the EU: no DDS package is needed`,
      );
    const identity = await this.#identity(caller);
    const eudr = await this.#exportEudrOf(identity, exportId);
    const { ledger, details, lots } = await this.#linkedPlots(identity, eudr, exportId);
    for (const plot of ledger) {
      if (!(PLOT_USABLE_STATUSES as readonly string[]).includes(plot.screening.status))
        throw new AppError(
          422,
          'EUDR_PLOT_NOT_CLEARED',
          `plot ${plot.plotId} is ${plot.screening.status}: ${plot.screening.status === 'FLAGGED' ? 'ECTA must review its overlap with the forest-loss layer first' : 'it may not supply EU-bound coffee'}`,
        );
    }
    const pkg = buildDdsPackage({ export: record, plots: details, lots });
    const problems = validateDdsPackage(pkg, lots);
    if (problems.length > 0) {
      throw new AppError(422, 'EUDR_PACKAGE_INVALID', problems[0]!.message, {
        errors: problems.map((p) => ({ path: p.code, message: p.message })),
      });
    }
    await this.#requireOffChain();
    const document = Buffer.from(JSON.stringify({ exportId, ...pkg }));
    const { envelope } = await this.#deps.documentKeys.seal(document, PACKAGE_DOC_TYPE, PACKAGE_AUDIENCE);
    const stored = await this.#deps.store.put(envelope);
    try {
      const tx = await this.#submit(identity, 'AssembleDdsPackage', [
        exportId,
        JSON.stringify({
          packageSha256: pkg.sha256,
          packageCid: stored.cid,
          plotIds: ledger.map((p) => p.plotId).sort(),
          // The ledger's summary: no plot count (the plot ids say it), nothing personal.
          summary: {
            hsCode: pkg.summary.hsCode,
            netMassKg: pkg.summary.netMassKg,
            country: pkg.summary.country,
            harvestFrom: pkg.summary.harvestFrom,
            harvestTo: pkg.summary.harvestTo,
            producerCount: pkg.summary.producerCount,
          },
          legalityDeclared: true,
        }),
      ]);
      await auditQuietly(this.#deps.pool, caller, {
        action: 'eudr.package.assemble',
        target: exportId,
        txId: tx.txId,
        outcome: 'OK',
      });
      return {
        exportId,
        status: 'ASSEMBLED',
        packageSha256: pkg.sha256,
        summary: pkg.summary,
        txId: tx.txId,
        blockNumber: tx.blockNumber,
      };
    } catch (e: unknown) {
      await auditQuietly(this.#deps.pool, caller, {
        action: 'eudr.package.assemble',
        target: exportId,
        outcome: 'REFUSED',
      });
      throw e;
    }
  }

  /** The package document (decrypted here), refused unless it hashes to what the ledger recorded. */
  async #packageDocument(pkg: LedgerPackage): Promise<{
    exportId: string;
    geojson: unknown;
    summary: Record<string, unknown>;
    sha256: string;
  }> {
    const envelope = await this.#deps.store.get(
      pkg.packageCid,
      MAX_PACKAGE_BYTES + ENVELOPE_OVERHEAD_MAX(PACKAGE_AUDIENCE.length),
    );
    const bytes = await this.#deps.documentKeys.open(envelope, PACKAGE_DOC_TYPE);
    const doc = JSON.parse(bytes.toString('utf8')) as {
      exportId: string;
      geojson: unknown;
      summary: Record<string, unknown>;
      sha256: string;
    };
    if (doc.exportId !== pkg.exportId || doc.sha256 !== pkg.packageSha256)
      throw new AppError(
        502,
        'EUDR_PACKAGE_HASH_MISMATCH',
        `the stored package of export ${pkg.exportId} does not match the hash on the ledger`,
      );
    return doc;
  }

  /**
   * ECTA co-endorses a package only after re-checking it with its own copy of everything: each plot decrypted and
   * verified against its commitment, validated and screened again with ECTA's copy of the layer, and the package
   * rebuilt from those plots and the lots ECX certified must hash to what the exporter assembled.
   */
  async approvePackage(
    caller: Caller,
    exportId: string,
  ): Promise<SubmitAnswer & { exportId: string; status: string; packageSha256: string }> {
    const viewer = await this.#viewer(caller);
    this.#requireActor(viewer, 'ApproveDdsPackage', 'approve a DDS package');
    const record = await this.#export(caller, viewer, exportId);
    const identity = await this.#identity(caller);
    const eudr = await this.#exportEudrOf(identity, exportId);
    const pkg = eudr.package;
    if (!pkg)
      throw new AppError(409, 'EUDR_PACKAGE_REQUIRED', `export ${exportId} has no DDS package to approve`);
    if (pkg.status !== 'ASSEMBLED')
      throw new AppError(
        409,
        'EUDR_PACKAGE_NOT_ASSEMBLED',
        `the package of export ${exportId} is ${pkg.status}`,
      );
    const stored = await this.#packageDocument(pkg);
    const { ledger, details, lots } = await this.#linkedPlots(identity, eudr, exportId);
    const layerRecord = await this.#layerRecord(identity);
    const layer = await this.#layer(layerRecord);
    /** CLEAR plots screened against an older layer that overlap the one in force. */
    const overlapNow: { plotId: string; overlapHa: number }[] = [];
    for (const [i, plot] of ledger.entries()) {
      const d = details[i]!;
      const status = plot.screening.status;
      if (!(PLOT_USABLE_STATUSES as readonly string[]).includes(status))
        throw new AppError(
          409,
          'EUDR_PLOT_NOT_CLEARED',
          status === 'FLAGGED'
            ? `plot ${plot.plotId} is FLAGGED: review it (EUDR review) before approving the package`
            : `plot ${plot.plotId} is ${status}: it may not supply EU-bound coffee`,
        );
      const again = validatePlot({
        geometry: d.geometryText ?? d.geometry,
        declaredAreaHa: d.declaredAreaHa,
      });
      if (!again.ok)
        throw new AppError(
          409,
          'EUDR_RESCREEN_MISMATCH',
          `plot ${plot.plotId} fails validation at ECTA: ${again.errors[0]!.message}`,
        );
      const screened = screenPlot(again.geometry, layer);
      if (status !== 'CLEAR' || screened.status === 'CLEAR') continue;
      // A plot the exporter's gateway called CLEAR against the layer in force must screen CLEAR here too.
      if (plot.screening.layerSha256 === layerRecord.sha256)
        throw new AppError(
          409,
          'EUDR_RESCREEN_MISMATCH',
          `plot ${plot.plotId} is recorded ${status} but screens ${screened.status} against ECTA's copy of the forest-loss layer (overlap ${screened.overlapHa.toFixed(4)} ha)`,
        );
      // Screened CLEAR against an older layer, it overlaps the newer one: flagged, for ECTA's review.
      overlapNow.push({ plotId: plot.plotId, overlapHa: screened.overlapHa });
    }
    if (overlapNow.length > 0) {
      for (const p of overlapNow) await this.#flagRescreened(caller, identity, p, layerRecord.sha256);
      const ids = overlapNow.map((p) => p.plotId);
      throw new AppError(
        409,
        'EUDR_PLOT_NOT_CLEARED',
        `${ids.length === 1 ? `plot ${ids[0]!} overlaps` : `plots ${ids.join(', ')} overlap`} the forest-loss layer in force (${layerRecord.name}), loaded after ${ids.length === 1 ? 'it was' : 'they were'} registered CLEAR: now FLAGGED; review ${ids.length === 1 ? 'it' : 'them'} (EUDR review), then approve the package again`,
      );
    }
    const rebuilt = buildDdsPackage({ export: record, plots: details, lots });
    if (rebuilt.sha256 !== pkg.packageSha256 || stored.sha256 !== rebuilt.sha256)
      throw new AppError(
        409,
        'EUDR_PACKAGE_HASH_MISMATCH',
        `the package of export ${exportId} does not match the plots and lots on the ledger (rebuilt ${rebuilt.sha256}, recorded ${pkg.packageSha256})`,
      );
    const problems = validateDdsPackage(rebuilt, lots);
    if (problems.length > 0)
      throw new AppError(422, 'EUDR_PACKAGE_INVALID', problems[0]!.message, {
        errors: problems.map((p) => ({ path: p.code, message: p.message })),
      });
    try {
      const tx = await this.#submit(identity, 'ApproveDdsPackage', [exportId, pkg.packageSha256]);
      await auditQuietly(this.#deps.pool, caller, {
        action: 'eudr.package.approve',
        target: exportId,
        txId: tx.txId,
        outcome: 'OK',
      });
      return {
        exportId,
        status: 'APPROVED',
        packageSha256: pkg.packageSha256,
        txId: tx.txId,
        blockNumber: tx.blockNumber,
      };
    } catch (e: unknown) {
      await auditQuietly(this.#deps.pool, caller, {
        action: 'eudr.package.approve',
        target: exportId,
        outcome: 'REFUSED',
      });
      throw e;
    }
  }

  /** The exporter records the DDS reference number the importer obtained from the EU Information System. */
  async recordReference(
    caller: Caller,
    exportId: string,
    body: { reference: string; verificationNumber?: string },
  ): Promise<SubmitAnswer & { exportId: string; status: string; reference: string }> {
    const viewer = await this.#viewer(caller);
    this.#requireActor(viewer, 'RecordDdsReference', 'record a DDS reference');
    await this.#export(caller, viewer, exportId);
    try {
      const tx = await this.#submit(await this.#identity(caller), 'RecordDdsReference', [
        exportId,
        JSON.stringify(body),
      ]);
      await auditQuietly(this.#deps.pool, caller, {
        action: 'eudr.package.reference',
        target: exportId,
        txId: tx.txId,
        outcome: 'OK',
      });
      return {
        exportId,
        status: 'REFERENCED',
        reference: body.reference,
        txId: tx.txId,
        blockNumber: tx.blockNumber,
      };
    } catch (e: unknown) {
      await auditQuietly(this.#deps.pool, caller, {
        action: 'eudr.package.reference',
        target: exportId,
        outcome: 'REFUSED',
      });
      throw e;
    }
  }

  /** The package for the importer: the consolidated GeoJSON and the summary, as one JSON document. */
  async downloadPackage(caller: Caller, exportId: string): Promise<Record<string, unknown>> {
    const viewer = await this.#viewer(caller);
    this.#requireReaderOfPlots(viewer);
    const record = await this.#export(caller, viewer, exportId);
    if (!canReadPackage(viewer, record.exporterId)) throw packageNotFound(exportId);
    const eudr = await this.#exportEudrOf(await this.#identity(caller), exportId);
    if (!eudr.package) throw packageNotFound(exportId);
    const doc = await this.#packageDocument(eudr.package);
    await auditQuietly(this.#deps.pool, caller, {
      action: 'eudr.package.download',
      target: exportId,
      outcome: 'OK',
    });
    return {
      exportId,
      status: eudr.package.status,
      packageSha256: eudr.package.packageSha256,
      reference: eudr.package.reference ?? null,
      summary: doc.summary,
      geojson: doc.geojson,
    };
  }

  /** Public verification: whether the export needs a package and the package's status, nothing else. */
  async publicStatus(exportId: string): Promise<{
    required: boolean;
    packageStatus: string | null;
    packageSha256: string | null;
    clearable: boolean;
    plots: { commitment: string; status: string }[];
  } | null> {
    // The chaincode's public view (GetPublicEudr): no plot id, CID, exporter, summary or reference.
    const pub = await this.#evaluate<{
      required: boolean;
      package: { status: string; packageSha256: string } | null;
      plots?: { commitment: string; status: string }[];
    }>(this.#deps.orgAdmin, 'GetPublicEudr', [exportId]).catch(() => null);
    if (!pub) return null;
    const status = pub.package?.status ?? null;
    return {
      required: !!pub.required,
      packageStatus: status,
      packageSha256: pub.package?.packageSha256 ?? null,
      clearable:
        !pub.required || (status !== null && (DDS_CLEARABLE_STATUSES as readonly string[]).includes(status)),
      plots: (pub.plots ?? []).map((p) => ({ commitment: p.commitment, status: p.status })),
    };
  }
}

function packageNotFound(exportId: string): AppError {
  return new AppError(404, 'EUDR_PACKAGE_NOT_FOUND', `export ${exportId} has no DDS package`);
}

/** A ledger plot without its CID (the envelope's location tells nobody anything, but nobody needs it either). */
function publicPlot(plot: LedgerPlot): Record<string, unknown> {
  return {
    plotId: plot.plotId,
    exporterId: plot.exporterId,
    commitment: plot.commitment,
    kind: plot.kind,
    screening: plot.screening,
    rescreen: plot.rescreen
      ? { fromLayerSha256: plot.rescreen.fromLayerSha256, at: plot.rescreen.at ?? null }
      : null,
    review: plot.review ?? null,
    registeredAt: plot.registeredAt ?? null,
    txId: plot.txId ?? null,
  };
}
