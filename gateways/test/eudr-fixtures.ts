/** Plots used by the EUDR domain tests (gateways/test/eudr-*.test.ts); the layer is gateways/eudr/forest-loss-sample.geojson. */
import { readFileSync } from 'node:fs';
import type { Point, Polygon, Position } from 'geojson';

export const SAMPLE_LAYER_PATH = new URL('../eudr/forest-loss-sample.geojson', import.meta.url);
export const sampleLayerText = (): string => readFileSync(SAMPLE_LAYER_PATH, 'utf8');

/** An axis-aligned rectangle, outer ring counter-clockwise (RFC 7946). */
export function rect(x0: number, y0: number, x1: number, y1: number): Polygon {
  const ring: Position[] = [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
    [x0, y0],
  ];
  return { type: 'Polygon', coordinates: [ring] };
}
export const point = (lon: number, lat: number): Point => ({ type: 'Point', coordinates: [lon, lat] });

/** Sidama, about 5.45 ha, 1 km west of the sample layer's loss-sidama-1 square (38.48..38.49 E, 6.83..6.84 N). */
export const CLEAR_POLYGON = rect(38.470113, 6.820217, 38.472317, 6.822231);
/** Straddles loss-sidama-1's west edge (x = 38.48): about 5.71 ha, half of it inside the loss square. */
export const OVERLAPPING_POLYGON = rect(38.478913, 6.832117, 38.481127, 6.834219);
/** Shares only loss-sidama-1's west edge. */
export const TOUCHING_POLYGON = rect(38.477851, 6.832117, 38.48, 6.834219);
/** Inside loss-sidama-1. */
export const POINT_IN_LOSS = point(38.485127, 6.835419);
/** Sidama, clear of every loss polygon. */
export const CLEAR_POINT = point(38.470512, 6.821384);
/** Crosses the Ethiopia–Kenya border near Moyale (the border runs at about 3.518 N there). */
export const BORDER_CROSSING_POLYGON = rect(39.030113, 3.512117, 39.036219, 3.524213);
/** Just north of that border, wholly in Ethiopia. */
export const NEAR_BORDER_POLYGON = rect(39.030113, 3.522117, 39.032219, 3.524213);
/** Nairobi. */
export const KENYA_POINT = point(36.817223, -1.286389);
