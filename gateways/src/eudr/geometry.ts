/**
 * Validation of one production plot's geolocation against the EUDR rules (Regulation (EU) 2023/1115, Art. 2(28)
 * and Art. 9(1)(d)): WGS84 GeoJSON, at least 6 decimals, a polygon for plots of 4 ha or more (a point is allowed
 * below), no self-intersection, inside Ethiopia, and an area that agrees with the declared one. Every broken rule
 * is reported once, with its own code and a message naming the offending coordinate or values, so the exporter
 * can fix the plot in one round trip. Geometry work is done with Turf (a maintained library), not by hand.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { area } from '@turf/area';
import { booleanIntersects } from '@turf/boolean-intersects';
import { booleanValid } from '@turf/boolean-valid';
import { booleanWithin } from '@turf/boolean-within';
import { kinks } from '@turf/kinks';
import { feature as topoFeature } from 'topojson-client';
import type { Topology, GeometryObject as TopoGeometry } from 'topojson-specification';
import type { Feature, MultiPolygon, Point, Polygon, Position } from 'geojson';
import { EUDR_AREA_TOLERANCE, EUDR_MIN_DECIMALS, EUDR_POLYGON_MIN_HECTARES } from '@coffee/consortium';

export type EudrGeometryErrorCode =
  | 'INVALID_GEOJSON'
  | 'TOO_FEW_DECIMALS'
  | 'SELF_INTERSECTING'
  | 'POINT_FOR_LARGE_PLOT'
  | 'OUTSIDE_ETHIOPIA'
  | 'AREA_MISMATCH'
  | 'INVALID_DECLARED_AREA';

export interface EudrGeometryError {
  code: EudrGeometryErrorCode;
  message: string;
  /** Where in the request it is, e.g. `geometry.coordinates[0][2][1]` or `declaredAreaHa`. */
  path: string;
}

export type PlotKind = 'Point' | 'Polygon';

export type PlotValidation =
  | { ok: true; kind: PlotKind; areaHa: number; geometry: Point | Polygon }
  | { ok: false; errors: EudrGeometryError[] };

export interface PlotInput {
  /** A GeoJSON Point or Polygon (or a Feature holding one), as a parsed object or as GeoJSON text. */
  geometry: unknown;
  declaredAreaHa: number;
}

/** More vertices than any surveyed farm plot needs; bounds the work one request can cause. */
export const MAX_PLOT_POSITIONS = 10_000;
const M2_PER_HA = 10_000;

/** Hectares rounded to 4 decimals (1 m²): stable across gateways and readable. */
export function roundHa(ha: number): number {
  return Math.round(ha * 10_000) / 10_000;
}

/**
 * Decimal digits a coordinate was written with. JSON numbers lose trailing zeros once parsed (38.500000 becomes
 * 38.5), so when the caller gives GeoJSON text we count the digits of the text itself (`sources`); for an
 * already-parsed number we count its shortest form, which can only under-count.
 */
function decimalsOf(value: number, source: string | undefined): number {
  const text = (source ?? String(value)).toLowerCase();
  const [mantissa = '', exp = '0'] = text.split('e');
  const fraction = mantissa.split('.')[1] ?? '';
  return Math.max(0, fraction.length - Number(exp));
}

/** Source text of each number of a parsed GeoJSON text, by the array that holds it and its index. */
type NumberSources = WeakMap<object, Map<number, string>>;

const NUMBER_MARK = '\u0000num:';

/**
 * JSON.parse that remembers how each number was written (Node 20 has no reviver source access): every number
 * token outside a string is turned into a marked string first, then turned back into a number while its text is
 * recorded. Strings are matched first by the same pattern, so digits inside strings are left alone.
 */
function parseKeepingNumberText(text: string): { value: unknown; sources: NumberSources } {
  const marked = text.replace(
    /("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g,
    (m, str: string | undefined) => (str !== undefined ? m : JSON.stringify(NUMBER_MARK + m)),
  );
  const sources: NumberSources = new WeakMap();
  const value: unknown = JSON.parse(marked, function (this: unknown, key: string, v: unknown) {
    if (typeof v === 'string' && v.startsWith(NUMBER_MARK)) {
      const src = v.slice(NUMBER_MARK.length);
      if (Array.isArray(this)) {
        let m = sources.get(this);
        if (!m) sources.set(this, (m = new Map<number, string>()));
        m.set(Number(key), src);
      }
      return Number(src);
    }
    return v;
  });
  return { value, sources };
}

let ethiopia: Feature<Polygon | MultiPolygon> | undefined;

/**
 * Ethiopia's boundary: Natural Earth 1:10m via world-atlas (country id 231), loaded once. Its vertices are
 * quantised to about 0.0036° x 0.0017° (≈ 400 x 190 m), so a plot within a few hundred metres of the border
 * can be misjudged either way; the coffee regions lie far from the border.
 */
export function ethiopiaBoundary(): Feature<Polygon | MultiPolygon> {
  if (ethiopia) return ethiopia;
  const require = createRequire(import.meta.url);
  const topology = JSON.parse(
    readFileSync(require.resolve('world-atlas/countries-10m.json'), 'utf8'),
  ) as Topology;
  const countries = topology.objects['countries'] as
    { type: 'GeometryCollection'; geometries: TopoGeometry[] } | undefined;
  const geom = countries?.geometries.find((g) => g.id === '231');
  if (!geom)
    throw new Error('world-atlas countries-10m.json has no Ethiopia (id 231); check the package version');
  ethiopia = topoFeature(topology, geom) as unknown as Feature<Polygon | MultiPolygon>;
  return ethiopia;
}

class Invalid extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

function fmt(p: Position): string {
  return `[${p[0]}, ${p[1]}]`;
}

/** Check and copy a position ([longitude, latitude], an optional altitude is dropped). */
function readPosition(raw: unknown, path: string): Position {
  if (!Array.isArray(raw) || raw.length < 2 || raw.length > 3) {
    throw new Invalid(path, `${path} must be a position [longitude, latitude] of 2 numbers`);
  }
  raw.forEach((n, i) => {
    if (typeof n !== 'number' || !Number.isFinite(n)) {
      throw new Invalid(
        `${path}[${i}]`,
        `${path}[${i}] must be a number (got ${JSON.stringify(n) ?? typeof n})`,
      );
    }
  });
  const [lon, lat] = raw as number[];
  if (lon! < -180 || lon! > 180) {
    throw new Invalid(
      `${path}[0]`,
      `${path}: longitude ${lon} is outside -180..180 (GeoJSON order is [longitude, latitude])`,
    );
  }
  if (lat! < -90 || lat! > 90) {
    throw new Invalid(
      `${path}[1]`,
      `${path}: latitude ${lat} is outside -90..90 (GeoJSON order is [longitude, latitude])`,
    );
  }
  return [lon!, lat!];
}

/** Twice the signed planar area of a ring (positive: counter-clockwise). */
function signedArea2(ring: Position[]): number {
  let s = 0;
  for (let i = 0; i + 1 < ring.length; i++)
    s += ring[i]![0]! * ring[i + 1]![1]! - ring[i + 1]![0]! * ring[i]![1]!;
  return s;
}

interface Parsed {
  geometry: Point | Polygon;
  /** Every coordinate value with its path and written decimals, for the decimals rule. */
  values: { path: string; value: number; decimals: number; source?: string }[];
  /** The geometry came as text: decimals are exact. */
  fromText: boolean;
}

/** Structure of the geometry (INVALID_GEOJSON), normalised: bare geometry, 2-D, rings wound per RFC 7946. */
function parseGeometry(input: unknown): Parsed {
  let value = input;
  let sources: NumberSources | undefined;
  if (typeof input === 'string') {
    try {
      ({ value, sources } = parseKeepingNumberText(input));
    } catch (e) {
      throw new Invalid('geometry', `geometry is not valid JSON: ${(e as Error).message}`);
    }
  }
  let path = 'geometry';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Invalid(path, 'geometry must be a GeoJSON object with "type" and "coordinates"');
  }
  let obj = value as Record<string, unknown>;
  if (obj['type'] === 'Feature') {
    path = 'geometry.geometry';
    const inner = obj['geometry'];
    if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) {
      throw new Invalid(path, 'the Feature has no geometry object');
    }
    obj = inner as Record<string, unknown>;
  }
  const type = obj['type'];
  if (type === 'FeatureCollection') {
    throw new Invalid(
      `${path}.type`,
      'one plot is one geometry: send a single Point or Polygon, not a FeatureCollection',
    );
  }
  if (type !== 'Point' && type !== 'Polygon') {
    throw new Invalid(
      `${path}.type`,
      `geometry type must be "Point" or "Polygon" (got ${JSON.stringify(type) ?? 'none'}); register each parcel of a multi-part plot separately`,
    );
  }
  const coords = obj['coordinates'];
  const cpath = `${path}.coordinates`;
  const values: Parsed['values'] = [];
  const record = (raw: unknown[], pos: Position, p: string) => {
    const src = sources?.get(raw);
    pos.forEach((v, i) => {
      const source = src?.get(i);
      values.push({
        path: `${p}[${i}]`,
        value: v,
        decimals: decimalsOf(v, source),
        ...(source ? { source } : {}),
      });
    });
  };
  if (type === 'Point') {
    const pos = readPosition(coords, cpath);
    record(coords as unknown[], pos, cpath);
    return { geometry: { type: 'Point', coordinates: pos }, values, fromText: sources !== undefined };
  }
  if (!Array.isArray(coords) || coords.length === 0) {
    throw new Invalid(cpath, `${cpath} must be an array of linear rings (the outer boundary first)`);
  }
  let total = 0;
  const rings = coords.map((rawRing: unknown, r) => {
    const rpath = `${cpath}[${r}]`;
    if (!Array.isArray(rawRing)) throw new Invalid(rpath, `${rpath} must be an array of positions`);
    total += rawRing.length;
    if (total > MAX_PLOT_POSITIONS) {
      throw new Invalid(
        cpath,
        `the polygon has more than ${MAX_PLOT_POSITIONS} positions; simplify the boundary`,
      );
    }
    if (rawRing.length < 4) {
      throw new Invalid(
        rpath,
        `${rpath} has ${rawRing.length} positions; a ring needs at least 4 (3 corners and the first repeated last)`,
      );
    }
    const ring = rawRing.map((p: unknown, i) => {
      const pos = readPosition(p, `${rpath}[${i}]`);
      record(p as unknown[], pos, `${rpath}[${i}]`);
      return pos;
    });
    const first = ring[0]!;
    const last = ring[ring.length - 1]!;
    if (first[0] !== last[0] || first[1] !== last[1]) {
      throw new Invalid(rpath, `${rpath} is not closed: it starts at ${fmt(first)} but ends at ${fmt(last)}`);
    }
    const distinct = new Set(ring.map((p) => `${p[0]},${p[1]}`));
    if (distinct.size < 3) {
      throw new Invalid(
        rpath,
        `${rpath} has only ${distinct.size} distinct positions; a ring needs at least 3`,
      );
    }
    // RFC 7946 §3.1.6: outer ring counter-clockwise, holes clockwise. Rewinding changes no point, only the order.
    // A ring with no net area (a line, or a symmetric bow-tie) is left as it is: the checks below reject it.
    const a = signedArea2(ring);
    return a === 0 || (r === 0) === a > 0 ? ring : [...ring].reverse();
  });
  return { geometry: { type: 'Polygon', coordinates: rings }, values, fromText: sources !== undefined };
}

/** The rings' self-intersections (Turf kinks), as positions. */
function selfIntersections(polygon: Polygon): Position[] {
  // Rounded to 7 decimals for the message: a computed crossing carries float noise (38.477512000000004).
  const r = (n: number) => Math.round(n * 1e7) / 1e7;
  return kinks(polygon).features.map((f) => f.geometry.coordinates.map(r));
}

/** Every hole lies within the outer ring, and no two holes share area (Turf's booleanValid misses both). */
function holesInside(polygon: Polygon): boolean {
  const [outer, ...holes] = polygon.coordinates;
  const shell: Polygon = { type: 'Polygon', coordinates: [outer!] };
  const asPolygons = holes.map((h): Polygon => ({ type: 'Polygon', coordinates: [h] }));
  if (!asPolygons.every((h) => booleanWithin(h, shell))) return false;
  for (let i = 0; i < asPolygons.length; i++) {
    for (let j = i + 1; j < asPolygons.length; j++) {
      if (booleanIntersects(asPolygons[i]!, asPolygons[j]!)) return false;
    }
  }
  return true;
}

function insideEthiopia(g: Point | Polygon): boolean {
  // booleanWithin handles both kinds; for a polygon it also catches an edge that leaves the country between two
  // inside vertices (a concave border).
  return booleanWithin(g, ethiopiaBoundary());
}

function swapped(g: Point | Polygon): Point | Polygon {
  const sw = (p: Position): Position => [p[1]!, p[0]!];
  return g.type === 'Point'
    ? { type: 'Point', coordinates: sw(g.coordinates) }
    : { type: 'Polygon', coordinates: g.coordinates.map((ring) => ring.map(sw)) };
}

export interface ValidatePlotOptions {
  /**
   * false skips the decimals rule: for re-validating a stored plot whose precision was checked when it was
   * registered (its commitment fixes the values, and parsed numbers no longer show trailing zeros).
   */
  checkDecimals?: boolean;
}

type CoordinateValue = Parsed['values'][number];

/**
 * The decimals rule. From GeoJSON text every value is judged as written. From parsed numbers a trailing zero is
 * indistinguishable from a missing digit (6.832140 arrives as 6.83214), so judging each value would wrongly refuse
 * most surveyed polygons; the geometry is refused only when none of its values shows 6 decimals, which is what a
 * coarsely captured geometry looks like (a genuine 6-decimal point has both values ending in 0 once in 100).
 */
export function precisionError(values: CoordinateValue[], fromText: boolean): EudrGeometryError | undefined {
  if (fromText) {
    const short = values.filter((v) => v.decimals < EUDR_MIN_DECIMALS);
    if (short.length === 0) return undefined;
    const f = short[0]!;
    const more = short.length > 1 ? ` (and ${short.length - 1} more coordinate value(s))` : '';
    return {
      code: 'TOO_FEW_DECIMALS',
      path: f.path,
      message: `${f.path} is written ${f.source ?? f.value}, with ${f.decimals} decimal(s); EUDR geolocation needs at least ${EUDR_MIN_DECIMALS}${more}`,
    };
  }
  let best: CoordinateValue | undefined;
  for (const v of values) if (!best || v.decimals > best.decimals) best = v;
  if (!best || best.decimals >= EUDR_MIN_DECIMALS) return undefined;
  return {
    code: 'TOO_FEW_DECIMALS',
    path: best.path,
    message: `no coordinate has ${EUDR_MIN_DECIMALS} decimals (the most precise, ${best.path} = ${best.value}, has ${best.decimals}); EUDR geolocation needs at least ${EUDR_MIN_DECIMALS}. If your values end in zeros, send the geometry as GeoJSON text so they are kept`,
  };
}

/**
 * Validate one plot. Structure errors (INVALID_GEOJSON) stop the other checks (nothing else can be judged on a
 * broken geometry); otherwise every rule is checked and each broken one is reported once.
 */
export function validatePlot(input: PlotInput, options: ValidatePlotOptions = {}): PlotValidation {
  const errors: EudrGeometryError[] = [];
  const declared = input.declaredAreaHa;
  const declaredOk = typeof declared === 'number' && Number.isFinite(declared) && declared > 0;
  if (!declaredOk) {
    errors.push({
      code: 'INVALID_DECLARED_AREA',
      path: 'declaredAreaHa',
      message: `declaredAreaHa must be a positive number of hectares (got ${typeof declared === 'number' ? String(declared) : (JSON.stringify(declared) ?? 'none')})`,
    });
  }
  let parsed: Parsed;
  try {
    parsed = parseGeometry(input.geometry);
  } catch (e) {
    if (!(e instanceof Invalid)) throw e;
    errors.push({ code: 'INVALID_GEOJSON', path: e.path, message: e.message });
    return { ok: false, errors };
  }
  const { geometry } = parsed;

  const decimalsError =
    options.checkDecimals === false ? undefined : precisionError(parsed.values, parsed.fromText);
  if (decimalsError) errors.push(decimalsError);

  let simple = true;
  if (geometry.type === 'Polygon') {
    const crossings = selfIntersections(geometry);
    if (crossings.length > 0) {
      simple = false;
      errors.push({
        code: 'SELF_INTERSECTING',
        path: 'geometry.coordinates',
        message: `the polygon's boundary crosses itself at ${fmt(crossings[0]!)}${crossings.length > 1 ? ` and ${crossings.length - 1} other place(s)` : ''}; draw the boundary without crossing lines`,
      });
    } else if (geometry.coordinates.some((ring) => signedArea2(ring) === 0)) {
      errors.push({
        code: 'INVALID_GEOJSON',
        path: 'geometry.coordinates',
        message: 'the polygon encloses no area: the positions of a ring lie on one line',
      });
      return { ok: false, errors };
    } else if (!holesInside(geometry) || !booleanValid(geometry)) {
      // Not self-crossing but still not a valid polygon: a hole outside the outer ring, rings touching, …
      errors.push({
        code: 'INVALID_GEOJSON',
        path: 'geometry.coordinates',
        message:
          'the polygon is not valid: every hole must lie inside the outer ring without touching it or another hole',
      });
      return { ok: false, errors };
    }
  }

  if (geometry.type === 'Point' && declaredOk && declared >= EUDR_POLYGON_MIN_HECTARES) {
    errors.push({
      code: 'POINT_FOR_LARGE_PLOT',
      path: 'geometry.type',
      message: `a plot of ${declared} ha must be described by a polygon; a single point is allowed only below ${EUDR_POLYGON_MIN_HECTARES} ha`,
    });
  }

  if (simple && !insideEthiopia(geometry)) {
    const hint = insideEthiopia(swapped(geometry))
      ? ' (its coordinates look swapped: GeoJSON order is [longitude, latitude])'
      : '';
    const where =
      geometry.type === 'Point'
        ? `the point ${fmt(geometry.coordinates)} is not`
        : 'the polygon is not entirely';
    errors.push({
      code: 'OUTSIDE_ETHIOPIA',
      path: 'geometry.coordinates',
      message: `${where} inside Ethiopia's boundary${hint}; only plots in Ethiopia can be registered`,
    });
  }

  let areaHa = declaredOk ? declared : 0;
  if (geometry.type === 'Polygon' && simple) {
    areaHa = roundHa(area(geometry) / M2_PER_HA);
    if (declaredOk) {
      const diff = Math.abs(areaHa - declared) / declared;
      if (diff > EUDR_AREA_TOLERANCE) {
        errors.push({
          code: 'AREA_MISMATCH',
          path: 'declaredAreaHa',
          message: `the polygon measures ${areaHa} ha but ${declared} ha was declared (${Math.round(diff * 1000) / 10} % apart; at most ${EUDR_AREA_TOLERANCE * 100} % is accepted)`,
        });
      }
    }
  }

  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, kind: geometry.type, areaHa, geometry };
}
