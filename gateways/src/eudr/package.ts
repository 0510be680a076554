/**
 * The DDS package of one EU-bound export: the consolidated GeoJSON of every plot the export's lots came from, in
 * the structure the EU Information System (TRACES) accepts for upload (a FeatureCollection; per feature the
 * properties ProducerName, ProducerCountry, ProductionPlace and Area in hectares; a polygon for plots of 4 ha or
 * more, a point below), plus a summary (HS code, net mass, country, harvest period, producers). Built
 * deterministically from the decrypted plot details and ECX's lot links, so ECTA can rebuild it at approval and
 * compare hashes; validated again by `validateDdsPackage` before it is assembled, approved or handed out.
 */
import type { Feature, FeatureCollection, Geometry, Point, Polygon } from 'geojson';
import { EUDR_HS_CODE, EUDR_MIN_DECIMALS, EUDR_PRODUCTION_COUNTRY } from '@coffee/consortium';
import { AppError } from '../errors.ts';
import { canonicalJson, sha256Hex } from './commitment.ts';
import { validatePlot, type EudrGeometryErrorCode } from './geometry.ts';

/** The plot details a package needs (a subset of what the encrypted plot document holds). */
export interface DdsPlotDetails {
  plotId: string;
  geometry: Geometry;
  /** Area in hectares: the polygon's measured area, or the declared area of a point. */
  areaHa: number;
  region: string;
  woreda: string;
  /** The producer's reference; it is the ProducerName unless a name is given. */
  producerRef: string;
  producerName?: string;
  /** ISO dates (YYYY-MM-DD). */
  harvestFrom: string;
  harvestTo: string;
}

/** ECX's lot links of the export, as the ledger holds them. */
export interface DdsLot {
  lotId: string;
  plots: { plotId: string; quantityKg: number }[];
}

export interface DdsExport {
  exportId: string;
  /** The contract; its `quantityKg`, when present, is the consignment's net mass. */
  contract?: Record<string, unknown>;
}

export interface DdsFeatureProperties {
  ProducerName: string;
  ProducerCountry: string;
  ProductionPlace: string;
  Area: number;
}

/**
 * What goes on the ledger (AssembleDdsPackage) as well as in the package: no names, no geometry, so it carries no
 * personal data. The producers' names are in the GeoJSON and in `producers`, both only in the encrypted package.
 */
export interface DdsSummary {
  hsCode: string;
  netMassKg: number;
  country: string;
  harvestFrom: string;
  harvestTo: string;
  producerCount: number;
  plotCount: number;
}

export interface DdsPackage {
  geojson: FeatureCollection<Point | Polygon, DdsFeatureProperties>;
  summary: DdsSummary;
  /** Distinct producer names, sorted. */
  producers: string[];
  /** hex sha256 of the canonical JSON of { geojson, summary, producers }. */
  sha256: string;
}

export type DdsProblemCode =
  | EudrGeometryErrorCode
  | 'PACKAGE_MALFORMED'
  | 'PACKAGE_HASH_MISMATCH'
  | 'FEATURE_PROPERTIES'
  | 'PLOT_NOT_IN_LOTS'
  | 'PLOT_MISSING_FROM_PACKAGE'
  | 'DUPLICATE_PLOT'
  | 'LOTS_INVALID'
  | 'LOTS_SHORT_OF_NET_MASS'
  | 'SUMMARY_MISMATCH';

export interface DdsProblem {
  code: DdsProblemCode;
  message: string;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Kilograms to the gram: sums of decimal quantities stay stable across gateways. */
const kg = (n: number): number => Math.round(n * 1000) / 1000;

function isIsoDate(s: unknown): s is string {
  return typeof s === 'string' && ISO_DATE.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`));
}

/** The hash of a package's content (everything but the hash itself). */
export function ddsPackageSha256(pkg: Pick<DdsPackage, 'geojson' | 'summary' | 'producers'>): string {
  return sha256Hex(canonicalJson({ geojson: pkg.geojson, summary: pkg.summary, producers: pkg.producers }));
}

/** The distinct plot ids of the lots, in first-seen order. */
export function lotPlotIds(lots: readonly DdsLot[]): string[] {
  return [...new Set(lots.flatMap((l) => l.plots.map((p) => p.plotId)))];
}

function lotsMassKg(lots: readonly DdsLot[]): number {
  return kg(lots.reduce((sum, l) => sum + l.plots.reduce((s, p) => s + p.quantityKg, 0), 0));
}

/**
 * Build the package. Only the plots the lots name are included (one feature per plot, ordered by plot id so the
 * same inputs always give the same bytes and hash); a plot the lots name without details is an error (422
 * EUDR_PACKAGE_INVALID). The net mass is the contract's quantityKg when known, else what the lots trace.
 */
export function buildDdsPackage(input: {
  export: DdsExport;
  plots: readonly DdsPlotDetails[];
  lots: readonly DdsLot[];
}): DdsPackage {
  const byId = new Map(input.plots.map((p) => [p.plotId, p]));
  const ids = lotPlotIds(input.lots).sort();
  if (ids.length === 0) {
    throw new AppError(
      422,
      'EUDR_PACKAGE_INVALID',
      `export ${input.export.exportId}: its lots name no plots`,
    );
  }
  const features = ids.map((id): Feature<Point | Polygon, DdsFeatureProperties> => {
    const plot = byId.get(id);
    if (!plot) {
      throw new AppError(
        422,
        'EUDR_PACKAGE_INVALID',
        `export ${input.export.exportId}: lot plot ${id} has no plot details to put in the package`,
      );
    }
    if (plot.geometry.type !== 'Point' && plot.geometry.type !== 'Polygon') {
      throw new AppError(
        422,
        'EUDR_PACKAGE_INVALID',
        `plot ${id}: geometry ${plot.geometry.type} is not a Point or Polygon`,
      );
    }
    return {
      type: 'Feature',
      id,
      properties: {
        ProducerName: (plot.producerName ?? plot.producerRef).trim(),
        ProducerCountry: EUDR_PRODUCTION_COUNTRY,
        ProductionPlace: [plot.woreda, plot.region]
          .map((s) => s.trim())
          .filter(Boolean)
          .join(', '),
        Area: plot.areaHa,
      },
      geometry: plot.geometry,
    };
  });
  const chosen = ids.map((id) => byId.get(id)!);
  const producers = [...new Set(features.map((f) => f.properties.ProducerName))].sort();
  const contractKg = input.export.contract?.['quantityKg'];
  const summary: DdsSummary = {
    hsCode: EUDR_HS_CODE,
    netMassKg: typeof contractKg === 'number' && contractKg > 0 ? kg(contractKg) : lotsMassKg(input.lots),
    country: EUDR_PRODUCTION_COUNTRY,
    harvestFrom: chosen.map((p) => p.harvestFrom).sort()[0]!,
    harvestTo: chosen
      .map((p) => p.harvestTo)
      .sort()
      .at(-1)!,
    producerCount: producers.length,
    plotCount: features.length,
  };
  const content = { geojson: { type: 'FeatureCollection' as const, features }, summary, producers };
  return { ...content, sha256: ddsPackageSha256(content) };
}

function decimalsOfNumber(n: number): number {
  const [mantissa = '', exp = '0'] = String(n).toLowerCase().split('e');
  return Math.max(0, (mantissa.split('.')[1] ?? '').length - Number(exp));
}

/**
 * Check a package against every rule and against the lots ECX certified: the hash; each feature's geometry (the
 * plot rules of geometry.ts, each problem named with its plot); the EU properties; one feature per lot plot and
 * none else; the lots themselves; the summary against the features and lots. Returns every problem found (empty
 * when the package is valid); never throws on malformed input.
 */
export function validateDdsPackage(pkg: unknown, lots: readonly DdsLot[]): DdsProblem[] {
  const problems: DdsProblem[] = [];
  const add = (code: DdsProblemCode, message: string) => problems.push({ code, message });
  const p = pkg as Partial<DdsPackage> | null;
  const features = p?.geojson?.features;
  if (!p || typeof p !== 'object' || p.geojson?.type !== 'FeatureCollection' || !Array.isArray(features)) {
    add('PACKAGE_MALFORMED', 'the package has no GeoJSON FeatureCollection');
    return problems;
  }
  if (!p.summary || typeof p.summary !== 'object' || !Array.isArray(p.producers)) {
    add('PACKAGE_MALFORMED', 'the package has no summary or no producer list');
    return problems;
  }
  try {
    if (ddsPackageSha256({ geojson: p.geojson, summary: p.summary, producers: p.producers }) !== p.sha256) {
      add(
        'PACKAGE_HASH_MISMATCH',
        "the package's content does not match its sha256: it was changed after it was built",
      );
    }
  } catch (e) {
    add('PACKAGE_MALFORMED', `the package cannot be hashed: ${(e as Error).message}`);
  }

  // The lots ECX certified.
  // The lots come from the ledger as JSON: judged as possibly incomplete.
  const lotList = (Array.isArray(lots) ? lots : []) as readonly (Partial<DdsLot> | null)[];
  if (lotList.length === 0) add('LOTS_INVALID', 'no lots are linked to plots');
  const lotIds = new Set<string>();
  for (const lot of lotList) {
    if (typeof lot?.lotId !== 'string' || lot.lotId === '') {
      add('LOTS_INVALID', 'a lot has no lotId');
      continue;
    }
    if (lotIds.has(lot.lotId)) add('LOTS_INVALID', `lot ${lot.lotId} is listed twice`);
    lotIds.add(lot.lotId);
    if (!Array.isArray(lot.plots) || lot.plots.length === 0)
      add('LOTS_INVALID', `lot ${lot.lotId} names no plots`);
    for (const lp of Array.isArray(lot.plots) ? lot.plots : []) {
      if (!(typeof lp?.quantityKg === 'number' && Number.isFinite(lp.quantityKg) && lp.quantityKg > 0)) {
        add('LOTS_INVALID', `lot ${lot.lotId}: plot ${lp?.plotId} has no positive quantityKg`);
      }
    }
  }
  const wanted = new Set(lotPlotIds(lotList.filter((l): l is DdsLot => Array.isArray(l?.plots))));

  // Each feature: identity, properties, geometry.
  const seen = new Set<string>();
  const names = new Set<string>();
  let maxDecimals = 0;
  features.forEach((f, i) => {
    const id = typeof f?.id === 'string' && f.id !== '' ? f.id : undefined;
    const label = id ? `plot ${id}` : `feature ${i}`;
    if (!id) {
      add('PACKAGE_MALFORMED', `feature ${i} has no plot id`);
    } else if (seen.has(id)) {
      add('DUPLICATE_PLOT', `${label} appears more than once`);
    } else {
      seen.add(id);
      if (!wanted.has(id))
        add('PLOT_NOT_IN_LOTS', `${label} is in the package but in none of the lots ECX certified`);
    }
    const props = (f?.properties ?? {}) as Partial<DdsFeatureProperties>;
    if (typeof props.ProducerName !== 'string' || props.ProducerName.trim() === '') {
      add('FEATURE_PROPERTIES', `${label}: ProducerName is missing`);
    } else names.add(props.ProducerName);
    if (props.ProducerCountry !== EUDR_PRODUCTION_COUNTRY) {
      add(
        'FEATURE_PROPERTIES',
        `${label}: ProducerCountry must be "${EUDR_PRODUCTION_COUNTRY}" (got ${JSON.stringify(props.ProducerCountry)})`,
      );
    }
    if (typeof props.ProductionPlace !== 'string' || props.ProductionPlace.trim() === '') {
      add('FEATURE_PROPERTIES', `${label}: ProductionPlace is missing`);
    }
    if (!(typeof props.Area === 'number' && Number.isFinite(props.Area) && props.Area > 0)) {
      add('FEATURE_PROPERTIES', `${label}: Area must be a positive number of hectares`);
      return;
    }
    // The plot rules, with the package's Area as the declared area (a point for 4 ha or more, a polygon whose
    // area disagrees, outside Ethiopia, …). Decimals are judged once for the whole package below.
    const checked = validatePlot(
      { geometry: f?.geometry, declaredAreaHa: props.Area },
      { checkDecimals: false },
    );
    if (!checked.ok) for (const e of checked.errors) add(e.code, `${label}: ${e.message}`);
    const g = f?.geometry;
    if (g && (g.type === 'Point' || g.type === 'Polygon')) {
      const values = g.type === 'Point' ? g.coordinates : g.coordinates.flat(2);
      for (const v of values)
        if (typeof v === 'number') maxDecimals = Math.max(maxDecimals, decimalsOfNumber(v));
    }
  });
  for (const id of wanted) {
    if (!seen.has(id))
      add('PLOT_MISSING_FROM_PACKAGE', `plot ${id} of the certified lots is not in the package`);
  }
  // Parsed numbers hide trailing zeros; a package in which no value shows 6 decimals was captured too coarsely.
  if (features.length > 0 && maxDecimals < EUDR_MIN_DECIMALS) {
    add(
      'TOO_FEW_DECIMALS',
      `no coordinate of the package has ${EUDR_MIN_DECIMALS} decimals (at most ${maxDecimals})`,
    );
  }

  // The summary, against the features and the lots.
  const s = p.summary as Partial<DdsSummary>;
  if (s.hsCode !== EUDR_HS_CODE)
    add('SUMMARY_MISMATCH', `the HS code must be ${EUDR_HS_CODE} (got ${JSON.stringify(s.hsCode)})`);
  if (s.country !== EUDR_PRODUCTION_COUNTRY)
    add(
      'SUMMARY_MISMATCH',
      `the country must be ${EUDR_PRODUCTION_COUNTRY} (got ${JSON.stringify(s.country)})`,
    );
  if (!(typeof s.netMassKg === 'number' && s.netMassKg > 0)) {
    add('SUMMARY_MISMATCH', 'the net mass must be a positive number of kilograms');
  } else if (problems.every((x) => x.code !== 'LOTS_INVALID')) {
    const traced = lotsMassKg(lotList as readonly DdsLot[]);
    if (s.netMassKg > traced) {
      add(
        'LOTS_SHORT_OF_NET_MASS',
        `the lots trace ${traced} kg to plots but the consignment is ${s.netMassKg} kg: every kilogram must come from a listed plot`,
      );
    }
  }
  if (!isIsoDate(s.harvestFrom) || !isIsoDate(s.harvestTo) || s.harvestFrom > s.harvestTo) {
    add(
      'SUMMARY_MISMATCH',
      `the harvest period ${s.harvestFrom} .. ${s.harvestTo} is not a valid date range`,
    );
  }
  const sortedNames = [...names].sort();
  if (s.producerCount !== sortedNames.length || canonicalJson(p.producers) !== canonicalJson(sortedNames)) {
    add(
      'SUMMARY_MISMATCH',
      `the summary names ${s.producerCount} producer(s) but the plots have ${sortedNames.length}`,
    );
  }
  if (s.plotCount !== features.length) {
    add(
      'SUMMARY_MISMATCH',
      `the summary counts ${s.plotCount} plot(s) but the package has ${features.length}`,
    );
  }
  return problems;
}
