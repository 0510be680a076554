import { Context, Info, Returns, Transaction } from 'fabric-contract-api';
import {
  ClockCheckedContract,
  Fields,
  ID_PATTERN,
  checkId,
  emitEvent,
  readAll,
  toJson,
  txIso,
  writeState,
} from '@coffee/chaincode-common';
import {
  DDS_ASSEMBLY_STATUSES,
  EUDR_ACTORS,
  LOT_LINK_STATUSES,
  PLOT_REVIEW_OUTCOMES,
  PLOT_SCREENING_STATUSES,
  PLOT_USABLE_STATUSES,
  TERMINAL_STATUSES,
  type Viewer,
  canReadEudrDetails,
  canSeePlot,
  isEuDestination,
} from '@coffee/consortium';
import { authorize, identify } from '../lib/access';
import { setEudrPolicy } from '../lib/endorsement';
import { fail } from '../lib/errors';
import { EVENTS, type EventName } from '../lib/events';
import { actOn, loadExport, readTransient, requireStatus, requireVisible } from '../lib/workflow';
import { type Actor, actorOf } from '../model/common';
import {
  type DdsPackage,
  EUDR_LAYER_KEY,
  type ForestLayer,
  type LotLinks,
  PLOT_BY_EXPORTER_INDEX,
  PLOT_KEY,
  type PlotRecord,
  lotsKey,
  packageKey,
  parseForestLayerInput,
  parseLotsInput,
  parsePackageInput,
  parsePlot,
  parsePlotIndexEntry,
  parsePlotInput,
  parsePlotRescreenInput,
  parseReferenceInput,
  plotIndexKey,
  plotKey,
  plotsOfLots,
  readForestLayer,
  readLotLinks,
  readPackage,
  readPlot,
} from '../model/eudr';
import type { ExportRecord } from '../model/export';

const NOTE = { max: 1000, text: true };
/** An export that ended without shipping (rejected, cancelled, defaulted) takes no DDS reference. */
const CLOSED_FOR_REFERENCE: readonly string[] = TERMINAL_STATUSES.filter((s) => s !== 'COMPLETED');

function event(ctx: Context, name: EventName, actor: Actor, payload: Record<string, unknown>): void {
  emitEvent(ctx, name, { ...payload, actor: actorOf(actor), txId: ctx.stub.getTxID(), at: txIso(ctx) });
}

/** A plot the caller may not read is answered exactly like a missing one (it learns nothing of it). */
async function loadVisiblePlot(ctx: Context, plotId: string, viewer: Viewer): Promise<PlotRecord> {
  const plot = await readPlot(ctx, plotId);
  if (plot === undefined || !canSeePlot(viewer, plot)) {
    return fail('EUDR_PLOT_NOT_FOUND', `plot ${plotId} does not exist`);
  }
  return plot;
}

/**
 * The plots of a package must be exactly those of ECX's lot links, each of the export's exporter and usable
 * (CLEAR, or cleared by ECTA's review): re-checked when ECTA approves, since ECX may re-link meanwhile.
 */
async function checkPackagePlots(
  ctx: Context,
  record: ExportRecord,
  links: LotLinks | undefined,
  plotIds: readonly string[],
): Promise<void> {
  if (links === undefined) {
    return fail(
      'EUDR_LOTS_MISSING',
      `ECX has not recorded which plots the lots of export ${record.exportId} came from`,
    );
  }
  const linked = plotsOfLots(links.lots);
  const missing = linked.filter((id) => !plotIds.includes(id));
  const extra = plotIds.filter((id) => !linked.includes(id));
  if (missing.length > 0 || extra.length > 0) {
    fail(
      'EUDR_PLOTS_MISMATCH',
      `the package's plots must be exactly those of the lots ECX certified` +
        (missing.length > 0 ? `; missing: ${missing.join(', ')}` : '') +
        (extra.length > 0 ? `; not in any lot: ${extra.join(', ')}` : ''),
    );
  }
  for (const plotId of plotIds) {
    const plot =
      (await readPlot(ctx, plotId)) ?? fail('EUDR_PLOT_NOT_FOUND', `plot ${plotId} does not exist`);
    if (plot.exporterId !== record.exporterId) {
      fail('EUDR_PLOTS_MISMATCH', `plot ${plotId} is not registered by exporter ${record.exporterId}`);
    }
    if (!PLOT_USABLE_STATUSES.includes(plot.screening.status)) {
      fail(
        'EUDR_PLOT_NOT_CLEARED',
        `plot ${plotId} is ${plot.screening.status}` +
          (plot.screening.status === 'FLAGGED'
            ? ': it overlaps the forest-loss layer and blocks the package until ECTA reviews it'
            : ': ECTA rejected it, so it may not supply EU-bound coffee'),
      );
    }
  }
}

function requireEuBound(record: ExportRecord): void {
  if (!isEuDestination(record.contract.destinationCountry)) {
    fail(
      'EUDR_NOT_REQUIRED',
      `export ${record.exportId} goes to ${record.contract.destinationCountry}, outside the EU: it needs no DDS package`,
    );
  }
}

/**
 * EU Deforestation Regulation due diligence, carried by the export (docs/chaincode.md, "coffee-export: `eudr`
 * contract"): ECTA's forest-loss layer, the exporters' production plots (salted commitments; the geometry stays
 * encrypted off-chain), ECX's lot-to-plot links, and the DDS package per EU-bound export that ECTA co-endorses
 * and customs requires. Each caller's MSP and role is checked here (consortium EUDR_ACTORS).
 */
@Info({ title: 'Eudr', description: 'EUDR plots, lot links, forest-loss layer and DDS packages' })
export class EudrContract extends ClockCheckedContract {
  constructor() {
    super('eudr');
  }

  /**
   * ECTA ecta_officer or admin. input: {name, sha256, cid, featureCount} — the forest-loss-after-2020 layer its
   * gateway stored (public) in IPFS; replaces the one in force. Plots are registered against this one only.
   */
  @Transaction()
  @Returns('string')
  public async SetForestLayer(ctx: Context, input: string): Promise<string> {
    const layerInput = parseForestLayerInput(Fields.parse(input, 'input'));
    readTransient(ctx, []);
    const actor = await authorize(ctx, EUDR_ACTORS.SetForestLayer);
    const current = await readForestLayer(ctx);
    const layer: ForestLayer = {
      docType: 'eudrForestLayer',
      ...layerInput,
      version: (current?.version ?? 0) + 1,
      setBy: actorOf(actor),
      setAt: txIso(ctx),
      txId: ctx.stub.getTxID(),
    };
    await writeState(ctx, EUDR_LAYER_KEY, layer);
    await setEudrPolicy(ctx, EUDR_LAYER_KEY, 'layer');
    event(ctx, EVENTS.eudrForestLayerSet, actor, {
      name: layer.name,
      sha256: layer.sha256,
      cid: layer.cid,
      featureCount: layer.featureCount,
      version: layer.version,
      previousSha256: current?.sha256,
    });
    return toJson(layer);
  }

  /**
   * Exporter. input: {plotId, commitment, kind: Point|Polygon, documentCid, screening: {status: CLEAR|FLAGGED,
   * layerSha256, overlapHa}}. The plot belongs to the caller's exporter; it must have been screened against the
   * layer in force (EUDR_LAYER_MISMATCH otherwise).
   */
  @Transaction()
  @Returns('string')
  public async RegisterPlot(ctx: Context, input: string): Promise<string> {
    const plotInput = parsePlotInput(Fields.parse(input, 'input'));
    readTransient(ctx, []);
    const actor = await authorize(ctx, EUDR_ACTORS.RegisterPlot);
    const exporterId =
      actor.exporterId ?? fail('FORBIDDEN_ROLE', `${actor.userId} is not linked to an exporter`);
    const layer = await readForestLayer(ctx);
    if (layer === undefined) {
      return fail(
        'EUDR_LAYER_MISMATCH',
        'ECTA has not loaded a forest-loss layer yet: no plot can be screened',
      );
    }
    if (layer.sha256 !== plotInput.screening.layerSha256) {
      fail(
        'EUDR_LAYER_MISMATCH',
        `the plot was screened against layer ${plotInput.screening.layerSha256}, not the one in force ` +
          `(${layer.name}, ${layer.sha256}); screen it again`,
      );
    }
    const key = plotKey(ctx, plotInput.plotId);
    if ((await ctx.stub.getState(key)).length > 0) {
      fail('EUDR_PLOT_EXISTS', `plot ${plotInput.plotId} is already registered`);
    }
    const at = txIso(ctx);
    const plot: PlotRecord = {
      docType: 'eudrPlot',
      plotId: plotInput.plotId,
      exporterId,
      commitment: plotInput.commitment,
      kind: plotInput.kind,
      documentCid: plotInput.documentCid,
      screening: { ...plotInput.screening, screenedAt: at },
      registeredBy: actorOf(actor),
      registeredAt: at,
      txId: ctx.stub.getTxID(),
    };
    await writeState(ctx, key, plot);
    await setEudrPolicy(ctx, key, 'plot');
    const index = plotIndexKey(ctx, exporterId, plot.plotId);
    await writeState(ctx, index, { plotId: plot.plotId });
    await setEudrPolicy(ctx, index, 'plot');
    event(ctx, EVENTS.eudrPlotRegistered, actor, {
      plotId: plot.plotId,
      exporterId,
      kind: plot.kind,
      commitment: plot.commitment,
      status: plot.screening.status,
      layerSha256: plot.screening.layerSha256,
      overlapHa: plot.screening.overlapHa,
    });
    return toJson(plot);
  }

  /** ECTA ecta_officer: the reviewed outcome of a FLAGGED plot (REVIEW_CLEARED or REVIEW_REJECTED), with a note. */
  @Transaction()
  @Returns('string')
  public async ReviewPlot(ctx: Context, plotId: string, outcome: string, note: string): Promise<string> {
    const id = checkId(plotId, 'plotId');
    const f = Fields.of({ outcome, note }, 'args');
    const reviewed = f.oneOf('outcome', PLOT_REVIEW_OUTCOMES);
    const text = f.str('note', NOTE);
    readTransient(ctx, []);
    const actor = await authorize(ctx, EUDR_ACTORS.ReviewPlot);
    const plot = await loadVisiblePlot(ctx, id, actor);
    if (plot.screening.status !== 'FLAGGED') {
      fail('INVALID_TRANSITION', `plot ${id} is ${plot.screening.status}; only a FLAGGED plot is reviewed`);
    }
    const at = txIso(ctx);
    const updated: PlotRecord = {
      ...plot,
      screening: { ...plot.screening, status: reviewed },
      review: { outcome: reviewed, note: text, by: actorOf(actor), at, txId: ctx.stub.getTxID() },
    };
    const key = plotKey(ctx, id);
    await writeState(ctx, key, updated);
    await setEudrPolicy(ctx, key, 'plot');
    event(ctx, EVENTS.eudrPlotReviewed, actor, {
      plotId: id,
      exporterId: plot.exporterId,
      fromStatus: plot.screening.status,
      status: reviewed,
    });
    return toJson(updated);
  }

  /**
   * ECTA ecta_officer: its gateway re-screened a CLEAR plot against the forest-loss layer now in force — loaded
   * after the plot was registered — and found an overlap. input: {layerSha256 (the layer in force), overlapHa}. The
   * plot becomes FLAGGED against that layer and blocks its packages until ECTA reviews it (ReviewPlot). Refused for
   * a plot that is not CLEAR, for another layer than the one in force, and for a plot already screened against the
   * layer in force (it was screened CLEAR against the same polygons).
   */
  @Transaction()
  @Returns('string')
  public async FlagPlot(ctx: Context, plotId: string, input: string): Promise<string> {
    const id = checkId(plotId, 'plotId');
    const rescreen = parsePlotRescreenInput(Fields.parse(input, 'input'));
    readTransient(ctx, []);
    const actor = await authorize(ctx, EUDR_ACTORS.FlagPlot);
    const plot = await loadVisiblePlot(ctx, id, actor);
    if (plot.screening.status !== 'CLEAR') {
      fail(
        'INVALID_TRANSITION',
        `plot ${id} is ${plot.screening.status}; only a CLEAR plot is flagged by a re-screening`,
      );
    }
    const layer = await readForestLayer(ctx);
    if (layer === undefined || layer.sha256 !== rescreen.layerSha256) {
      fail(
        'EUDR_LAYER_MISMATCH',
        `the plot was re-screened against layer ${rescreen.layerSha256}, not the one in force` +
          (layer ? ` (${layer.name}, ${layer.sha256})` : ''),
      );
    }
    if (plot.screening.layerSha256 === rescreen.layerSha256) {
      fail(
        'INVALID_TRANSITION',
        `plot ${id} was screened CLEAR against the layer in force; only a plot screened against an older layer is re-screened`,
      );
    }
    const at = txIso(ctx);
    const updated: PlotRecord = {
      ...plot,
      screening: {
        status: 'FLAGGED',
        layerSha256: rescreen.layerSha256,
        overlapHa: rescreen.overlapHa,
        screenedAt: at,
      },
      rescreen: {
        fromLayerSha256: plot.screening.layerSha256,
        by: actorOf(actor),
        at,
        txId: ctx.stub.getTxID(),
      },
    };
    const key = plotKey(ctx, id);
    await writeState(ctx, key, updated);
    await setEudrPolicy(ctx, key, 'plot');
    event(ctx, EVENTS.eudrPlotFlagged, actor, {
      plotId: id,
      exporterId: plot.exporterId,
      fromStatus: plot.screening.status,
      status: 'FLAGGED',
      layerSha256: rescreen.layerSha256,
      previousLayerSha256: plot.screening.layerSha256,
      overlapHa: rescreen.overlapHa,
    });
    return toJson(updated);
  }

  /**
   * ECX grader, while it grades the export (CONTRACT_REGISTERED or QUALITY_CERTIFIED): which registered plots of
   * the export's exporter each lot came from, with quantities. lots: [{lotId, plots: [{plotId, quantityKg}]}]
   * (or {lots: [...]}). Replaces earlier links until a package is approved. Any destination (harmless outside the EU).
   */
  @Transaction()
  @Returns('string')
  public async LinkLotPlots(ctx: Context, exportId: string, lots: string): Promise<string> {
    const id = checkId(exportId, 'exportId');
    const parsed = parseLotsInput(lots);
    readTransient(ctx, []);
    const { actor, record } = await actOn(ctx, id, EUDR_ACTORS.LinkLotPlots);
    requireStatus(record, LOT_LINK_STATUSES, 'LinkLotPlots');
    const pkg = await readPackage(ctx, id);
    if (pkg !== undefined && pkg.status !== 'ASSEMBLED') {
      fail(
        'INVALID_TRANSITION',
        `the DDS package of export ${id} is ${pkg.status}; its lots no longer change`,
      );
    }
    for (const plotId of plotsOfLots(parsed)) {
      const plot =
        (await readPlot(ctx, plotId)) ?? fail('EUDR_PLOT_NOT_FOUND', `plot ${plotId} does not exist`);
      if (plot.exporterId !== record.exporterId) {
        fail('EUDR_PLOTS_MISMATCH', `plot ${plotId} is not registered by exporter ${record.exporterId}`);
      }
      if (plot.screening.status === 'REVIEW_REJECTED') {
        fail('EUDR_PLOT_REJECTED', `ECTA rejected plot ${plotId}: no lot may come from it`);
      }
    }
    const links: LotLinks = {
      docType: 'eudrLots',
      exportId: id,
      exporterId: record.exporterId,
      lots: parsed,
      by: actorOf(actor),
      at: txIso(ctx),
      txId: ctx.stub.getTxID(),
    };
    const key = lotsKey(ctx, id);
    await writeState(ctx, key, links);
    await setEudrPolicy(ctx, key, 'lots');
    event(ctx, EVENTS.eudrLotsLinked, actor, {
      exportId: id,
      exporterId: record.exporterId,
      lotIds: parsed.map((l) => l.lotId),
      plotCount: plotsOfLots(parsed).length,
    });
    return toJson(links);
  }

  /**
   * The export's own exporter, for an EU-bound export from QUALITY_CERTIFIED up to SHIPMENT_BOOKED. input:
   * {packageSha256, packageCid, plotIds, summary: {hsCode, netMassKg, country, harvestFrom, harvestTo,
   * producerCount}, legalityDeclared: true}. plotIds are exactly the plots of ECX's lot links, each CLEAR or
   * REVIEW_CLEARED. Replaces an ASSEMBLED package; an approved one stays.
   */
  @Transaction()
  @Returns('string')
  public async AssembleDdsPackage(ctx: Context, exportId: string, input: string): Promise<string> {
    const id = checkId(exportId, 'exportId');
    const pkgInput = parsePackageInput(Fields.parse(input, 'input'));
    readTransient(ctx, []);
    const { actor, record } = await actOn(ctx, id, EUDR_ACTORS.AssembleDdsPackage);
    requireEuBound(record);
    requireStatus(record, DDS_ASSEMBLY_STATUSES, 'AssembleDdsPackage');
    const existing = await readPackage(ctx, id);
    if (existing !== undefined && existing.status !== 'ASSEMBLED') {
      fail('INVALID_TRANSITION', `the DDS package of export ${id} is already ${existing.status}`);
    }
    await checkPackagePlots(ctx, record, await readLotLinks(ctx, id), pkgInput.plotIds);
    const pkg: DdsPackage = {
      docType: 'eudrDds',
      exportId: id,
      exporterId: record.exporterId,
      status: 'ASSEMBLED',
      ...pkgInput,
      assembledBy: actorOf(actor),
      assembledAt: txIso(ctx),
      txId: ctx.stub.getTxID(),
    };
    const key = packageKey(ctx, id);
    await writeState(ctx, key, pkg);
    await setEudrPolicy(ctx, key, 'package');
    event(ctx, EVENTS.eudrPackageAssembled, actor, {
      exportId: id,
      exporterId: record.exporterId,
      status: pkg.status,
      packageSha256: pkg.packageSha256,
      plotCount: pkg.plotIds.length,
      replaced: existing !== undefined,
    });
    return toJson(pkg);
  }

  /**
   * ECTA ecta_officer: co-endorses the ASSEMBLED package whose hash its gateway re-checked (every plot decrypted,
   * verified against its commitment, re-validated and re-screened). Re-checks the plots against ECX's lots.
   */
  @Transaction()
  @Returns('string')
  public async ApproveDdsPackage(ctx: Context, exportId: string, packageSha256: string): Promise<string> {
    const id = checkId(exportId, 'exportId');
    const hash = Fields.of({ packageSha256 }, 'args').str('packageSha256', { pattern: /^[0-9a-f]{64}$/ });
    readTransient(ctx, []);
    const { actor, record } = await actOn(ctx, id, EUDR_ACTORS.ApproveDdsPackage);
    requireStatus(record, DDS_ASSEMBLY_STATUSES, 'ApproveDdsPackage');
    const pkg =
      (await readPackage(ctx, id)) ??
      fail('EUDR_PACKAGE_NOT_FOUND', `export ${id} has no DDS package to approve`);
    if (pkg.status !== 'ASSEMBLED') {
      fail('INVALID_TRANSITION', `the DDS package of export ${id} is already ${pkg.status}`);
    }
    if (pkg.packageSha256 !== hash) {
      fail(
        'EUDR_PACKAGE_CHANGED',
        `the package of export ${id} is now ${pkg.packageSha256}, not ${hash}: it was re-assembled; check it again`,
      );
    }
    await checkPackagePlots(ctx, record, await readLotLinks(ctx, id), pkg.plotIds);
    const approved: DdsPackage = {
      ...pkg,
      status: 'APPROVED',
      approvedBy: actorOf(actor),
      approvedAt: txIso(ctx),
      txId: ctx.stub.getTxID(),
    };
    const key = packageKey(ctx, id);
    await writeState(ctx, key, approved);
    await setEudrPolicy(ctx, key, 'package');
    event(ctx, EVENTS.eudrPackageApproved, actor, {
      exportId: id,
      exporterId: record.exporterId,
      status: approved.status,
      packageSha256: approved.packageSha256,
      plotCount: approved.plotIds.length,
    });
    return toJson(approved);
  }

  /**
   * The export's own exporter: the DDS reference number (and verification number) the EU importer obtained
   * from the EU Information System for the approved package. input: {reference, verificationNumber?}.
   */
  @Transaction()
  @Returns('string')
  public async RecordDdsReference(ctx: Context, exportId: string, input: string): Promise<string> {
    const id = checkId(exportId, 'exportId');
    const reference = parseReferenceInput(Fields.parse(input, 'input'));
    readTransient(ctx, []);
    const { actor, record } = await actOn(ctx, id, EUDR_ACTORS.RecordDdsReference);
    if (CLOSED_FOR_REFERENCE.includes(record.status)) {
      fail('INVALID_TRANSITION', `export ${id} is ${record.status}`);
    }
    const pkg =
      (await readPackage(ctx, id)) ?? fail('EUDR_PACKAGE_NOT_FOUND', `export ${id} has no DDS package`);
    if (pkg.status !== 'APPROVED') {
      fail(
        'INVALID_TRANSITION',
        `the DDS package of export ${id} is ${pkg.status}; a reference is recorded once, for an APPROVED package`,
      );
    }
    const referenced: DdsPackage = {
      ...pkg,
      status: 'REFERENCED',
      reference,
      referencedBy: actorOf(actor),
      referencedAt: txIso(ctx),
      txId: ctx.stub.getTxID(),
    };
    const key = packageKey(ctx, id);
    await writeState(ctx, key, referenced);
    await setEudrPolicy(ctx, key, 'package');
    event(ctx, EVENTS.eudrPackageReferenced, actor, {
      exportId: id,
      exporterId: record.exporterId,
      status: referenced.status,
      packageSha256: referenced.packageSha256,
      reference: reference.reference,
    });
    return toJson(referenced);
  }

  // ---------------------------------------------------------------- queries

  /** A plot, to those who may read it (consortium canSeePlot); anyone else is told it does not exist. */
  @Transaction(false)
  @Returns('string')
  public async GetPlot(ctx: Context, plotId: string): Promise<string> {
    const id = checkId(plotId, 'plotId');
    const actor = await identify(ctx);
    return toJson(await loadVisiblePlot(ctx, id, actor));
  }

  /**
   * filter: '' (every plot the caller may read), an exporter id, or {exporterId?, status?} -> {records}. An
   * exporter only ever gets its own plots.
   */
  @Transaction(false)
  @Returns('string')
  public async ListPlots(ctx: Context, filter: string): Promise<string> {
    const text = filter.trim();
    let exporterId: string | undefined;
    let status: string | undefined;
    if (text.startsWith('{')) {
      const f = Fields.parse(text, 'filter');
      exporterId = f.optStr('exporterId', { max: 64, pattern: ID_PATTERN });
      status = f.optOneOf('status', PLOT_SCREENING_STATUSES);
      f.end();
    } else if (text !== '') {
      exporterId = checkId(text, 'exporterId');
    }
    const actor = await identify(ctx);
    // An exporter lists its own plots only; asking for another exporter's gets an empty list, not a refusal.
    let scope = exporterId;
    if (actor.role === 'exporter') {
      if (actor.exporterId === undefined || (exporterId !== undefined && exporterId !== actor.exporterId)) {
        return toJson({ records: [] });
      }
      scope = actor.exporterId;
    }
    let plots: PlotRecord[];
    if (scope === undefined) {
      plots = await readAll(ctx, PLOT_KEY, [], parsePlot);
    } else {
      const entries = await readAll(ctx, PLOT_BY_EXPORTER_INDEX, [scope], parsePlotIndexEntry);
      plots = [];
      for (const entry of entries) {
        const plot = await readPlot(ctx, entry.plotId);
        // An index entry the record contradicts is ignored (the index only finds; the record decides).
        if (plot !== undefined && plot.exporterId === scope) plots.push(plot);
      }
    }
    const records = plots
      .filter((p) => canSeePlot(actor, p))
      .filter((p) => status === undefined || p.screening.status === status);
    return toJson({ records });
  }

  /**
   * An export's EUDR state: {exportId, destinationCountry, required, lots, package, plots: [{plotId, kind,
   * status}]} for the plot audience (the exporter's bank, ECTA, ECX, Customs); {exportId, required, package:
   * {status} | null} for the others who may see the export.
   */
  @Transaction(false)
  @Returns('string')
  public async GetExportEudr(ctx: Context, exportId: string): Promise<string> {
    const id = checkId(exportId, 'exportId');
    const actor = await identify(ctx);
    const record = await loadExport(ctx, id);
    requireVisible(record, actor);
    const required = isEuDestination(record.contract.destinationCountry);
    const pkg = await readPackage(ctx, id);
    if (!canReadEudrDetails(actor)) {
      return toJson({ exportId: id, required, package: pkg ? { status: pkg.status } : null });
    }
    const links = await readLotLinks(ctx, id);
    const plots: { plotId: string; kind: string; status: string }[] = [];
    for (const plotId of plotsOfLots(links?.lots ?? [])) {
      const plot = await readPlot(ctx, plotId);
      if (plot !== undefined) plots.push({ plotId, kind: plot.kind, status: plot.screening.status });
    }
    return toJson({
      exportId: id,
      destinationCountry: record.contract.destinationCountry,
      required,
      lots: links ?? null,
      package: pkg ?? null,
      plots,
    });
  }

  /** The forest-loss layer in force (public: every gateway fetches it by CID and checks its sha256). */
  @Transaction(false)
  @Returns('string')
  public async GetForestLayer(ctx: Context): Promise<string> {
    const layer = await readForestLayer(ctx);
    return toJson(layer ?? fail('EUDR_LAYER_NOT_FOUND', 'ECTA has not loaded a forest-loss layer yet'));
  }

  /**
   * The public EUDR proof of an export (no login): whether a package is needed, its status and hash, and each
   * plot's commitment and screening status. No plot id, CID, exporter, summary or reference.
   */
  @Transaction(false)
  @Returns('string')
  public async GetPublicEudr(ctx: Context, exportId: string): Promise<string> {
    const id = checkId(exportId, 'exportId');
    const record = await loadExport(ctx, id);
    const pkg = await readPackage(ctx, id);
    const plots: { commitment: string; status: string }[] = [];
    for (const plotId of pkg?.plotIds ?? []) {
      const plot = await readPlot(ctx, plotId);
      if (plot !== undefined) plots.push({ commitment: plot.commitment, status: plot.screening.status });
    }
    return toJson({
      exportId: id,
      required: isEuDestination(record.contract.destinationCountry),
      package: pkg ? { status: pkg.status, packageSha256: pkg.packageSha256 } : null,
      plots: plots.sort((a, b) => (a.commitment < b.commitment ? -1 : 1)),
    });
  }
}
