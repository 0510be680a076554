/**
 * Deforestation-risk screening: a plot is intersected with the forest-loss-after-2020 layer ECTA loaded. The layer
 * is public data (e.g. Hansen/GFW tree cover loss clipped to Ethiopia); every gateway holds the same copy, named
 * by the sha256 of its canonical JSON, which the ledger records (`eudr:SetForestLayer`) so that a screening result
 * can always be tied to the exact layer it was computed with, and ECTA's re-screening at approval uses that layer.
 */
import { area } from '@turf/area';
import { booleanIntersects } from '@turf/boolean-intersects';
import { featureCollection } from '@turf/helpers';
import { intersect } from '@turf/intersect';
import type { Feature, MultiPolygon, Point, Polygon, Position } from 'geojson';
import { EUDR_CUTOFF_DATE } from '@coffee/consortium';
import { AppError } from '../errors.ts';
import { canonicalJson, sha256Hex } from './commitment.ts';
import { roundHa } from './geometry.ts';

/** Bounds on what one layer may hold: a whole-country loss layer simplified to polygons fits well inside. */
export const MAX_FOREST_LAYER_FEATURES = 200_000;
export const MAX_FOREST_LAYER_POSITIONS = 5_000_000;
/** Loss in or after this year is after the EUDR cut-off (31 December 2020). */
export const FIRST_LOSS_YEAR = Number(EUDR_CUTOFF_DATE.slice(0, 4)) + 1;
const MAX_REPORTED_ERRORS = 20;

export type ForestLossFeature = Feature<Polygon | MultiPolygon> & { id: string | number };
type Bbox = [number, number, number, number];

export interface ForestLayer {
  name: string;
  /** hex sha256 of `serializeForestLayer(layer)`: the hash recorded on the ledger. */
  sha256: string;
  featureCount: number;
  features: ForestLossFeature[];
  /** Each feature's bounding box, same order: a cheap filter before the exact Turf tests. */
  bboxes: Bbox[];
}

export interface ScreeningResult {
  status: 'CLEAR' | 'FLAGGED';
  /** Hectares of the plot inside loss polygons (4 decimals); 0 for a point, which has no area of its own. */
  overlapHa: number;
  /** Ids of the loss features the plot overlaps (as strings), in layer order. */
  featureIds: string[];
}

/** A layer that cannot be used: 422 EUDR_LAYER_INVALID listing up to 20 problems (path + message). */
export class ForestLayerError extends AppError {
  constructor(message: string, errors: { path: string; message: string }[]) {
    super(422, 'EUDR_LAYER_INVALID', message, { errors });
    this.name = 'ForestLayerError';
  }
}

class LayerProblems {
  readonly list: { path: string; message: string }[] = [];
  positions = 0;
  add(path: string, message: string): void {
    if (this.list.length < MAX_REPORTED_ERRORS) this.list.push({ path, message });
    else if (this.list.length === MAX_REPORTED_ERRORS)
      this.list.push({ path: '', message: 'further problems not listed' });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readRing(raw: unknown, path: string, problems: LayerProblems, bbox: Bbox): Position[] | undefined {
  if (!Array.isArray(raw) || raw.length < 4) {
    problems.add(path, 'a ring must be an array of at least 4 positions');
    return undefined;
  }
  problems.positions += raw.length;
  const ring: Position[] = [];
  for (let i = 0; i < raw.length; i++) {
    const p: unknown = raw[i];
    const ok =
      Array.isArray(p) &&
      p.length >= 2 &&
      p.length <= 3 &&
      p.every((n) => typeof n === 'number' && Number.isFinite(n)) &&
      Math.abs(p[0] as number) <= 180 &&
      Math.abs(p[1] as number) <= 90;
    if (!ok) {
      problems.add(`${path}[${i}]`, 'a position must be [longitude, latitude] in WGS84 degrees');
      return undefined;
    }
    const [x, y] = p as number[];
    ring.push([x!, y!]);
    bbox[0] = Math.min(bbox[0], x!);
    bbox[1] = Math.min(bbox[1], y!);
    bbox[2] = Math.max(bbox[2], x!);
    bbox[3] = Math.max(bbox[3], y!);
  }
  const a = ring[0]!;
  const b = ring[ring.length - 1]!;
  if (a[0] !== b[0] || a[1] !== b[1]) {
    problems.add(path, `the ring is not closed (starts at [${a[0]}, ${a[1]}], ends at [${b[0]}, ${b[1]}])`);
    return undefined;
  }
  return ring;
}

function readPolygon(
  raw: unknown,
  path: string,
  problems: LayerProblems,
  bbox: Bbox,
): Position[][] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.add(path, 'a polygon must be an array of rings');
    return undefined;
  }
  const rings = raw.map((r: unknown, i) => readRing(r, `${path}[${i}]`, problems, bbox));
  const complete = rings.filter((r): r is Position[] => r !== undefined);
  return complete.length === rings.length ? complete : undefined;
}

/**
 * Read a forest-loss layer: a GeoJSON FeatureCollection (object or text) of Polygon/MultiPolygon features. Each
 * feature's id is `id` or `properties.id` (else its index); ids must be unique; `properties.lossYear`, when
 * present, must be FIRST_LOSS_YEAR or later (older loss is not EUDR deforestation, and keeping it would flag
 * plots wrongly). Positions are reduced to 2-D. Throws ForestLayerError naming each problem.
 */
export function parseForestLayer(geojson: unknown, options: { name?: string } = {}): ForestLayer {
  let value = geojson;
  if (typeof geojson === 'string') {
    try {
      value = JSON.parse(geojson);
    } catch (e) {
      throw new ForestLayerError('the forest-loss layer is not valid JSON', [
        { path: '', message: (e as Error).message },
      ]);
    }
  }
  if (!isObject(value) || value['type'] !== 'FeatureCollection' || !Array.isArray(value['features'])) {
    throw new ForestLayerError('the forest-loss layer must be a GeoJSON FeatureCollection', [
      { path: 'type', message: 'expected {"type": "FeatureCollection", "features": [...]}' },
    ]);
  }
  const rawFeatures = value['features'] as unknown[];
  if (rawFeatures.length === 0) {
    throw new ForestLayerError('the forest-loss layer has no features', [
      { path: 'features', message: 'empty' },
    ]);
  }
  if (rawFeatures.length > MAX_FOREST_LAYER_FEATURES) {
    throw new ForestLayerError(
      `the forest-loss layer has ${rawFeatures.length} features; at most ${MAX_FOREST_LAYER_FEATURES} are accepted (dissolve or simplify it)`,
      [{ path: 'features', message: 'too many features' }],
    );
  }
  const nameMember = value['name'];
  const name =
    (options.name ?? (typeof nameMember === 'string' ? nameMember : '') ?? '').trim() || 'forest-loss layer';
  const problems = new LayerProblems();
  const features: ForestLossFeature[] = [];
  const bboxes: Bbox[] = [];
  const seen = new Set<string>();
  const thisYear = new Date().getUTCFullYear();
  rawFeatures.forEach((f, i) => {
    const path = `features[${i}]`;
    if (!isObject(f) || f['type'] !== 'Feature' || !isObject(f['geometry'])) {
      problems.add(path, 'must be a GeoJSON Feature with a geometry');
      return;
    }
    const props = isObject(f['properties']) ? f['properties'] : {};
    const rawId = f['id'] ?? props['id'] ?? i;
    if (typeof rawId !== 'string' && typeof rawId !== 'number') {
      problems.add(`${path}.id`, 'an id must be a string or a number');
      return;
    }
    if (seen.has(String(rawId))) {
      problems.add(`${path}.id`, `the id ${JSON.stringify(rawId)} is used by another feature`);
      return;
    }
    seen.add(String(rawId));
    const lossYear = props['lossYear'];
    if (
      lossYear !== undefined &&
      (!Number.isInteger(lossYear) ||
        (lossYear as number) < FIRST_LOSS_YEAR ||
        (lossYear as number) > thisYear)
    ) {
      problems.add(
        `${path}.properties.lossYear`,
        `lossYear ${JSON.stringify(lossYear)} is not a year from ${FIRST_LOSS_YEAR} to ${thisYear}; keep only loss after ${EUDR_CUTOFF_DATE}`,
      );
      return;
    }
    const g = f['geometry'];
    const bbox: Bbox = [Infinity, Infinity, -Infinity, -Infinity];
    let geometry: Polygon | MultiPolygon | undefined;
    if (g['type'] === 'Polygon') {
      const rings = readPolygon(g['coordinates'], `${path}.geometry.coordinates`, problems, bbox);
      if (rings) geometry = { type: 'Polygon', coordinates: rings };
    } else if (g['type'] === 'MultiPolygon') {
      const raw = g['coordinates'];
      if (!Array.isArray(raw) || raw.length === 0) {
        problems.add(`${path}.geometry.coordinates`, 'a MultiPolygon must be an array of polygons');
      } else {
        const polys = raw.map((p: unknown, k) =>
          readPolygon(p, `${path}.geometry.coordinates[${k}]`, problems, bbox),
        );
        const complete = polys.filter((p): p is Position[][] => p !== undefined);
        if (complete.length === polys.length) geometry = { type: 'MultiPolygon', coordinates: complete };
      }
    } else {
      problems.add(
        `${path}.geometry.type`,
        `must be Polygon or MultiPolygon (got ${JSON.stringify(g['type'])})`,
      );
    }
    if (problems.positions > MAX_FOREST_LAYER_POSITIONS) {
      problems.add(path, `the layer has more than ${MAX_FOREST_LAYER_POSITIONS} positions; simplify it`);
    }
    if (!geometry) return;
    features.push({ type: 'Feature', id: rawId, properties: props, geometry });
    bboxes.push(bbox);
  });
  if (problems.list.length > 0) {
    throw new ForestLayerError(
      `the forest-loss layer has ${problems.list.length > MAX_REPORTED_ERRORS ? 'more than ' + MAX_REPORTED_ERRORS : problems.list.length} problem(s); the first: ${problems.list[0]!.path}: ${problems.list[0]!.message}`,
      problems.list,
    );
  }
  const layer: ForestLayer = { name, sha256: '', featureCount: features.length, features, bboxes };
  layer.sha256 = sha256Hex(serializeForestLayer(layer));
  return layer;
}

/**
 * The layer as canonical GeoJSON text: what is stored in IPFS; its sha256 is `layer.sha256`, and parsing it again
 * gives the same layer (same hash), so every gateway can check the copy it fetched by CID.
 */
export function serializeForestLayer(layer: Pick<ForestLayer, 'name' | 'features'>): string {
  return canonicalJson({ type: 'FeatureCollection', name: layer.name, features: layer.features });
}

/**
 * Load a layer fetched by CID and check it is the one the ledger names. A mismatch is an integrity failure of
 * the copy (502 EUDR_LAYER_HASH_MISMATCH), never something to screen with.
 */
export function loadForestLayer(text: string, expectedSha256: string): ForestLayer {
  const layer = parseForestLayer(text);
  if (layer.sha256 !== expectedSha256.toLowerCase()) {
    throw new AppError(
      502,
      'EUDR_LAYER_HASH_MISMATCH',
      `the forest-loss layer fetched has sha256 ${layer.sha256}, but the ledger records ${expectedSha256}; refusing to screen with it`,
    );
  }
  return layer;
}

function plotBbox(g: Point | Polygon): Bbox {
  const pts = g.type === 'Point' ? [g.coordinates] : g.coordinates[0]!;
  const b: Bbox = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of pts as [number, number][]) {
    b[0] = Math.min(b[0], x);
    b[1] = Math.min(b[1], y);
    b[2] = Math.max(b[2], x);
    b[3] = Math.max(b[3], y);
  }
  return b;
}

function bboxesOverlap(a: Bbox, b: Bbox): boolean {
  return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

/**
 * Screen a (validated) plot. A point inside or on the edge of a loss polygon is FLAGGED (it stands for up to 4 ha
 * around it, so the edge counts). A polygon is FLAGGED when it shares a positive area with loss polygons; one that
 * only touches a loss polygon along an edge is CLEAR. overlapHa sums the overlaps (capped at the plot's area, in
 * case loss polygons overlap each other).
 */
export function screenPlot(geometry: Point | Polygon, layer: ForestLayer): ScreeningResult {
  const box = plotBbox(geometry);
  const featureIds: string[] = [];
  let overlapM2 = 0;
  layer.features.forEach((f, i) => {
    if (!bboxesOverlap(box, layer.bboxes[i]!)) return;
    if (!booleanIntersects(geometry, f)) return;
    if (geometry.type === 'Point') {
      featureIds.push(String(f.id));
      return;
    }
    const shared = intersect(
      featureCollection<Polygon | MultiPolygon>([{ type: 'Feature', properties: {}, geometry }, f]),
    );
    const m2 = shared ? area(shared) : 0;
    if (m2 > 0) {
      featureIds.push(String(f.id));
      overlapM2 += m2;
    }
  });
  const overlapHa = geometry.type === 'Point' ? 0 : roundHa(Math.min(overlapM2, area(geometry)) / 10_000);
  return { status: featureIds.length > 0 ? 'FLAGGED' : 'CLEAR', overlapHa, featureIds };
}
