/**
 * EUDR due diligence records (Regulation (EU) 2023/1115; docs/chaincode.md, "coffee-export: `eudr` contract"):
 * the forest-loss layer ECTA loaded, the production plots an exporter registered, the plots each ECX lot came from,
 * and an export's due diligence statement (DDS) package. No plot geometry and no producer reference is ever here:
 * a plot is a salted commitment plus the CID of its encrypted document (the gateways keep the rest off-chain).
 */
import type { Context } from 'fabric-contract-api';
import { Fields, ID_PATTERN, readState } from '@coffee/chaincode-common';
import {
  DDS_CLEARABLE_STATUSES,
  DDS_PACKAGE_STATUSES,
  type DdsPackageStatus,
  EUDR_HS_CODE,
  EUDR_PRODUCTION_COUNTRY,
  PLOT_KINDS,
  PLOT_REGISTRATION_STATUSES,
  PLOT_REVIEW_OUTCOMES,
  PLOT_SCREENING_STATUSES,
  type PlotKind,
  type PlotReviewOutcome,
  type PlotScreeningStatus,
  isEuDestination,
} from '@coffee/consortium';
import { fail } from '../lib/errors';
import { type Actor, MAX_QUANTITY_KG, REFERENCE_PATTERN, parseActor, readInstant } from './common';
import { CID_PATTERN, SHA256_PATTERN } from './document';
import type { ExportRecord } from './export';

/** The single key of the forest-loss layer in force. */
export const EUDR_LAYER_KEY = 'EUDR_LAYER';
export const PLOT_KEY = 'eudr-plot';
/** `eudr-plot-by-exporter~<exporterId>~<plotId>` → {plotId}: finds an exporter's plots. */
export const PLOT_BY_EXPORTER_INDEX = 'eudr-plot-by-exporter';
export const LOTS_KEY = 'eudr-lots';
export const PACKAGE_KEY = 'eudr-dds';

export const MAX_LOTS = 50;
export const MAX_PLOTS_PER_LOT = 200;
export const MAX_PACKAGE_PLOTS = 1000;
export const MAX_LAYER_FEATURES = 10_000_000;
export const MAX_AREA_HA = 1_000_000;

const T = { max: 32 };
const NOTE = { max: 1000, text: true };
const REF = { max: 64, pattern: REFERENCE_PATTERN };
const HASH = { pattern: SHA256_PATTERN };
const CID = { max: 128, pattern: CID_PATTERN };
const IDS = { max: 64, pattern: ID_PATTERN };

export function plotKey(ctx: Context, plotId: string): string {
  return ctx.stub.createCompositeKey(PLOT_KEY, [plotId]);
}
export function plotIndexKey(ctx: Context, exporterId: string, plotId: string): string {
  return ctx.stub.createCompositeKey(PLOT_BY_EXPORTER_INDEX, [exporterId, plotId]);
}
export function lotsKey(ctx: Context, exportId: string): string {
  return ctx.stub.createCompositeKey(LOTS_KEY, [exportId]);
}
export function packageKey(ctx: Context, exportId: string): string {
  return ctx.stub.createCompositeKey(PACKAGE_KEY, [exportId]);
}

/** Areas are kept to 1 m² (4 decimals of a hectare), so every endorser stores the same number. */
export function roundHa(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

// ---------------------------------------------------------------- forest-loss layer

export interface ForestLayer {
  docType: 'eudrForestLayer';
  name: string;
  /** sha256 of the layer's canonical GeoJSON (what every gateway checks its copy against). */
  sha256: string;
  /** Where the (public, unencrypted) GeoJSON is in IPFS. */
  cid: string;
  featureCount: number;
  /** 1 for the first layer, +1 for each replacement. */
  version: number;
  setBy: Actor;
  setAt: string;
  txId: string;
}

export function parseForestLayerInput(
  f: Fields,
): Pick<ForestLayer, 'name' | 'sha256' | 'cid' | 'featureCount'> {
  const layer = {
    name: f.str('name', { max: 200 }),
    sha256: f.str('sha256', HASH),
    cid: f.str('cid', CID),
    featureCount: f.int('featureCount', 1, MAX_LAYER_FEATURES),
  };
  f.end();
  return layer;
}

export function parseForestLayer(value: unknown): ForestLayer {
  const f = Fields.of(value, 'eudrForestLayer', 'CORRUPT_STATE');
  f.oneOf('docType', ['eudrForestLayer']);
  const layer: ForestLayer = {
    docType: 'eudrForestLayer',
    name: f.str('name', { max: 200 }),
    sha256: f.str('sha256', HASH),
    cid: f.str('cid', CID),
    featureCount: f.int('featureCount', 1, MAX_LAYER_FEATURES),
    version: f.int('version', 1, 1_000_000),
    setBy: parseActor(f.obj('setBy')),
    setAt: f.str('setAt', T),
    txId: f.str('txId', { max: 128 }),
  };
  f.end();
  return layer;
}

export function readForestLayer(ctx: Context): Promise<ForestLayer | undefined> {
  return readState(ctx, EUDR_LAYER_KEY, parseForestLayer);
}

// ---------------------------------------------------------------- plots

export interface PlotScreening {
  status: PlotScreeningStatus;
  /** The layer the exporter's gateway screened against (the ledger's current one at registration). */
  layerSha256: string;
  overlapHa: number;
  screenedAt: string;
}

export interface PlotReview {
  outcome: PlotReviewOutcome;
  note: string;
  by: Actor;
  at: string;
  txId: string;
}

/**
 * ECTA's re-screening of a plot registered CLEAR against an older forest-loss layer, which overlaps the layer now
 * in force (FlagPlot): the plot's screening became FLAGGED against that layer, awaiting ECTA's review.
 */
export interface PlotRescreen {
  /** The layer the replaced CLEAR screening was against. */
  fromLayerSha256: string;
  by: Actor;
  at: string;
  txId: string;
}

export interface PlotRecord {
  docType: 'eudrPlot';
  plotId: string;
  exporterId: string;
  /** Hex sha256 of the salted canonical plot details (geometry, area, region, producer reference …). */
  commitment: string;
  kind: PlotKind;
  /** The encrypted plot document in IPFS (audience: the exporter's bank, ECTA, ECX, Customs). */
  documentCid: string;
  /** The registration's screening; ECTA's review of a FLAGGED plot moves `status` to its outcome. */
  screening: PlotScreening;
  /** Set when ECTA re-screened the plot against a newer layer and flagged it (its review follows). */
  rescreen?: PlotRescreen;
  review?: PlotReview;
  registeredBy: Actor;
  registeredAt: string;
  txId: string;
}

export interface PlotInput {
  plotId: string;
  commitment: string;
  kind: PlotKind;
  documentCid: string;
  screening: { status: (typeof PLOT_REGISTRATION_STATUSES)[number]; layerSha256: string; overlapHa: number };
}

export function parsePlotInput(f: Fields): PlotInput {
  const plotId = f.str('plotId', IDS);
  const commitment = f.str('commitment', HASH);
  const kind = f.oneOf('kind', PLOT_KINDS);
  const documentCid = f.str('documentCid', CID);
  const s = f.obj('screening');
  const screening = {
    status: s.oneOf('status', PLOT_REGISTRATION_STATUSES),
    layerSha256: s.str('layerSha256', HASH),
    overlapHa: roundHa(s.num('overlapHa', { min: 0, max: MAX_AREA_HA })),
  };
  s.end();
  f.end();
  return { plotId, commitment, kind, documentCid, screening };
}

/** ECTA's re-screening of a plot (FlagPlot): the layer in force and the overlap its gateway found. */
export interface PlotRescreenInput {
  layerSha256: string;
  overlapHa: number;
}

export function parsePlotRescreenInput(f: Fields): PlotRescreenInput {
  const rescreen = {
    layerSha256: f.str('layerSha256', HASH),
    overlapHa: roundHa(f.num('overlapHa', { min: 0, max: MAX_AREA_HA })),
  };
  f.end();
  return rescreen;
}

export function parsePlot(value: unknown): PlotRecord {
  const f = Fields.of(value, 'eudrPlot', 'CORRUPT_STATE');
  f.oneOf('docType', ['eudrPlot']);
  const s = f.obj('screening');
  const rs = f.optObj('rescreen');
  const r = f.optObj('review');
  const plot: PlotRecord = {
    docType: 'eudrPlot',
    plotId: f.str('plotId', IDS),
    exporterId: f.str('exporterId', IDS),
    commitment: f.str('commitment', HASH),
    kind: f.oneOf('kind', PLOT_KINDS),
    documentCid: f.str('documentCid', CID),
    screening: {
      status: s.oneOf('status', PLOT_SCREENING_STATUSES),
      layerSha256: s.str('layerSha256', HASH),
      overlapHa: s.num('overlapHa', { min: 0, max: MAX_AREA_HA }),
      screenedAt: s.str('screenedAt', T),
    },
    rescreen: rs && {
      fromLayerSha256: rs.str('fromLayerSha256', HASH),
      by: parseActor(rs.obj('by')),
      at: rs.str('at', T),
      txId: rs.str('txId', { max: 128 }),
    },
    review: r && {
      outcome: r.oneOf('outcome', PLOT_REVIEW_OUTCOMES),
      note: r.str('note', NOTE),
      by: parseActor(r.obj('by')),
      at: r.str('at', T),
      txId: r.str('txId', { max: 128 }),
    },
    registeredBy: parseActor(f.obj('registeredBy')),
    registeredAt: f.str('registeredAt', T),
    txId: f.str('txId', { max: 128 }),
  };
  s.end();
  rs?.end();
  r?.end();
  f.end();
  return plot;
}

export function readPlot(ctx: Context, plotId: string): Promise<PlotRecord | undefined> {
  return readState(ctx, plotKey(ctx, plotId), parsePlot);
}

export function parsePlotIndexEntry(value: unknown): { plotId: string } {
  const f = Fields.of(value, 'eudrPlotIndex', 'CORRUPT_STATE');
  return { plotId: f.str('plotId', IDS) };
}

// ---------------------------------------------------------------- lots

export interface LotPlot {
  plotId: string;
  quantityKg: number;
}

export interface Lot {
  lotId: string;
  plots: LotPlot[];
}

export interface LotLinks {
  docType: 'eudrLots';
  exportId: string;
  exporterId: string;
  lots: Lot[];
  by: Actor;
  at: string;
  txId: string;
}

function readLots(f: Fields, name: string): Lot[] {
  return f.objects(name, MAX_LOTS, 1).map((l) => {
    const lot = {
      lotId: l.str('lotId', REF),
      plots: l.objects('plots', MAX_PLOTS_PER_LOT, 1).map((p) => {
        const link = { plotId: p.str('plotId', IDS), quantityKg: p.int('quantityKg', 1, MAX_QUANTITY_KG) };
        p.end();
        return link;
      }),
    };
    l.end();
    return lot;
  });
}

/** The lots of LinkLotPlots' argument: a JSON array, or {lots: [...]}; no lot or plot twice within a lot. */
export function parseLotsInput(text: string): Lot[] {
  const trimmed = text.trim();
  const f = Fields.parse(trimmed.startsWith('[') ? `{"lots":${trimmed}}` : trimmed, 'lots');
  const lots = readLots(f, 'lots');
  f.end();
  const lotIds = new Set<string>();
  for (const lot of lots) {
    if (lotIds.has(lot.lotId)) fail('VALIDATION_FAILED', `lot ${lot.lotId} appears twice`);
    lotIds.add(lot.lotId);
    const plotIds = new Set<string>();
    for (const p of lot.plots) {
      if (plotIds.has(p.plotId)) {
        fail('VALIDATION_FAILED', `plot ${p.plotId} appears twice in lot ${lot.lotId}`);
      }
      plotIds.add(p.plotId);
    }
  }
  return lots;
}

export function parseLotLinks(value: unknown): LotLinks {
  const f = Fields.of(value, 'eudrLots', 'CORRUPT_STATE');
  f.oneOf('docType', ['eudrLots']);
  const links: LotLinks = {
    docType: 'eudrLots',
    exportId: f.str('exportId', IDS),
    exporterId: f.str('exporterId', IDS),
    lots: readLots(f, 'lots'),
    by: parseActor(f.obj('by')),
    at: f.str('at', T),
    txId: f.str('txId', { max: 128 }),
  };
  f.end();
  return links;
}

export function readLotLinks(ctx: Context, exportId: string): Promise<LotLinks | undefined> {
  return readState(ctx, lotsKey(ctx, exportId), parseLotLinks);
}

/** Every plot the lots came from, once each, sorted. */
export function plotsOfLots(lots: readonly Lot[]): string[] {
  return [...new Set(lots.flatMap((l) => l.plots.map((p) => p.plotId)))].sort();
}

// ---------------------------------------------------------------- DDS package

export interface DdsSummary {
  hsCode: string;
  netMassKg: number;
  country: string;
  harvestFrom: string;
  harvestTo: string;
  producerCount: number;
}

export interface DdsReference {
  reference: string;
  verificationNumber?: string;
}

export interface DdsPackage {
  docType: 'eudrDds';
  exportId: string;
  exporterId: string;
  status: DdsPackageStatus;
  /** sha256 of the package document (consolidated GeoJSON + summary) the exporter's gateway built. */
  packageSha256: string;
  /** The encrypted package in IPFS (audience: the exporter's bank, ECTA, Customs). */
  packageCid: string;
  plotIds: string[];
  summary: DdsSummary;
  legalityDeclared: true;
  assembledBy: Actor;
  assembledAt: string;
  approvedBy?: Actor;
  approvedAt?: string;
  /** The DDS reference number the EU importer obtained from the EU Information System. */
  reference?: DdsReference;
  referencedBy?: Actor;
  referencedAt?: string;
  txId: string;
}

export interface PackageInput {
  packageSha256: string;
  packageCid: string;
  plotIds: string[];
  summary: DdsSummary;
  legalityDeclared: true;
}

/** The summary of an assembly's input: dates checked, harvestFrom not after harvestTo. */
function readSummaryInput(s: Fields): DdsSummary {
  const [harvestFrom, fromMillis] = readInstant(s, 'harvestFrom');
  const [harvestTo, toMillis] = readInstant(s, 'harvestTo');
  const summary: DdsSummary = {
    hsCode: s.oneOf('hsCode', [EUDR_HS_CODE]),
    netMassKg: s.int('netMassKg', 1, MAX_QUANTITY_KG),
    country: s.oneOf('country', [EUDR_PRODUCTION_COUNTRY]),
    harvestFrom,
    harvestTo,
    producerCount: s.int('producerCount', 1, 1_000_000),
  };
  s.end();
  if (fromMillis > toMillis) {
    fail(
      'VALIDATION_FAILED',
      `summary.harvestFrom (${harvestFrom}) is after summary.harvestTo (${harvestTo})`,
    );
  }
  return summary;
}

function readStoredSummary(s: Fields): DdsSummary {
  const summary: DdsSummary = {
    hsCode: s.str('hsCode', { max: 16 }),
    netMassKg: s.int('netMassKg', 1, MAX_QUANTITY_KG),
    country: s.str('country', { max: 2 }),
    harvestFrom: s.str('harvestFrom', T),
    harvestTo: s.str('harvestTo', T),
    producerCount: s.int('producerCount', 1, 1_000_000),
  };
  s.end();
  return summary;
}

export function parsePackageInput(f: Fields): PackageInput {
  const packageSha256 = f.str('packageSha256', HASH);
  const packageCid = f.str('packageCid', CID);
  const plotIds = f.strings('plotIds', MAX_PACKAGE_PLOTS, IDS, 1);
  const summary = readSummaryInput(f.obj('summary'));
  const legality = f.bool('legalityDeclared');
  f.end();
  if (!legality) {
    return fail(
      'VALIDATION_FAILED',
      'legalityDeclared must be true: the exporter declares the coffee was produced under Ethiopian law',
    );
  }
  if (new Set(plotIds).size !== plotIds.length) {
    fail('VALIDATION_FAILED', 'plotIds names a plot more than once');
  }
  return { packageSha256, packageCid, plotIds: [...plotIds].sort(), summary, legalityDeclared: true };
}

export function parseReferenceInput(f: Fields): DdsReference {
  const reference = {
    reference: f.str('reference', REF),
    verificationNumber: f.optStr('verificationNumber', REF),
  };
  f.end();
  return reference;
}

export function parsePackage(value: unknown): DdsPackage {
  const f = Fields.of(value, 'eudrDds', 'CORRUPT_STATE');
  f.oneOf('docType', ['eudrDds']);
  const ref = f.optObj('reference');
  const approvedBy = f.optObj('approvedBy');
  const referencedBy = f.optObj('referencedBy');
  const pkg: DdsPackage = {
    docType: 'eudrDds',
    exportId: f.str('exportId', IDS),
    exporterId: f.str('exporterId', IDS),
    status: f.oneOf('status', DDS_PACKAGE_STATUSES),
    packageSha256: f.str('packageSha256', HASH),
    packageCid: f.str('packageCid', CID),
    plotIds: f.strings('plotIds', MAX_PACKAGE_PLOTS, IDS, 1),
    summary: readStoredSummary(f.obj('summary')),
    legalityDeclared:
      f.bool('legalityDeclared') || fail('CORRUPT_STATE', 'a stored package lacks the legality declaration'),
    assembledBy: parseActor(f.obj('assembledBy')),
    assembledAt: f.str('assembledAt', T),
    approvedBy: approvedBy && parseActor(approvedBy),
    approvedAt: f.optStr('approvedAt', T),
    reference: ref && parseReferenceInput(ref),
    referencedBy: referencedBy && parseActor(referencedBy),
    referencedAt: f.optStr('referencedAt', T),
    txId: f.str('txId', { max: 128 }),
  };
  f.end();
  return pkg;
}

export function readPackage(ctx: Context, exportId: string): Promise<DdsPackage | undefined> {
  return readState(ctx, packageKey(ctx, exportId), parsePackage);
}

/**
 * Customs' EUDR gate (ClearCustoms): an export to an EU member state is cleared only once ECTA approved its DDS
 * package (DDS_CLEARABLE_STATUSES). Exports elsewhere are not affected.
 */
export async function requireClearablePackage(ctx: Context, record: ExportRecord): Promise<void> {
  const country = record.contract.destinationCountry;
  if (!isEuDestination(country)) {
    return;
  }
  const pkg = await readPackage(ctx, record.exportId);
  if (pkg === undefined || !DDS_CLEARABLE_STATUSES.includes(pkg.status)) {
    fail(
      'EUDR_PACKAGE_REQUIRED',
      `export ${record.exportId} goes to ${country} (EU): customs clearance needs its EUDR due diligence package ` +
        `approved by ECTA (package: ${pkg === undefined ? 'none assembled' : pkg.status})`,
    );
  }
}
