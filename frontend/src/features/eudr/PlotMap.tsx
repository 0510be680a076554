/**
 * The plots on a map (Leaflet), offline-safe: no tile server is ever asked. Plots (and the forest-loss layer, when
 * given) are drawn as GeoJSON vector layers over a plain background with a graticule (lines of latitude and
 * longitude at a round step), and the view fits the plots. Each plot is an SVG path with the class
 * `eudr-plot eudr-plot-<status>` and a tooltip naming it; a click on the map can add a point to a draft geometry
 * (the registration form).
 */
import { type ReactElement, useEffect, useRef } from 'react';
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import type { Feature, Geometry } from 'geojson';

export interface MapPlot {
  plotId: string;
  status: string;
  geometry: Geometry;
}

interface Props {
  plots: readonly MapPlot[];
  /** The forest-loss polygons (drawn under the plots). */
  loss?: readonly { geometry: Geometry; id?: string | number }[];
  /** A geometry being drawn (registration form). */
  draft?: Geometry | null;
  /** Told of each click on the map: [longitude, latitude] (GeoJSON order). */
  onPick?: (lonLat: [number, number]) => void;
  label: string;
}

/** Ethiopia's coffee regions: the view when there is nothing to fit. */
const DEFAULT_BOUNDS = L.latLngBounds([5.5, 34.5], [9.5, 40.5]);

/** A round graticule step for a span of degrees: 1, 2 or 5 times a power of ten, about 6 lines across. */
export function graticuleStep(spanDegrees: number): number {
  const raw = Math.max(spanDegrees, 1e-6) / 6;
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * power;
}

function graticule(bounds: L.LatLngBounds): L.LayerGroup {
  const group = L.layerGroup();
  const south = bounds.getSouth();
  const north = bounds.getNorth();
  const west = bounds.getWest();
  const east = bounds.getEast();
  const step = graticuleStep(Math.max(north - south, east - west));
  const style = { className: 'eudr-graticule', weight: 1, interactive: false };
  for (let lat = Math.ceil(south / step) * step; lat <= north; lat += step)
    L.polyline(
      [
        [lat, west],
        [lat, east],
      ],
      style,
    ).addTo(group);
  for (let lon = Math.ceil(west / step) * step; lon <= east; lon += step)
    L.polyline(
      [
        [south, lon],
        [north, lon],
      ],
      style,
    ).addTo(group);
  return group;
}

const STATUS_COLOURS: Record<string, string> = {
  CLEAR: '#1b7f3b',
  REVIEW_CLEARED: '#2f6db5',
  FLAGGED: '#b36b00',
  REVIEW_REJECTED: '#a1262b',
  PENDING: '#555',
};

function asFeature(geometry: Geometry, properties: Record<string, unknown>): Feature {
  return { type: 'Feature', geometry, properties };
}

/** Does this browser draw SVG (jsdom does not, unless a test provides it)? */
export function mapSupported(): boolean {
  return L.Browser.svg;
}

export function PlotMap({ plots, loss, draft, onPick, label }: Props): ReactElement {
  const box = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const layers = useRef<L.LayerGroup | null>(null);
  const pick = useRef(onPick);
  pick.current = onPick;

  useEffect(() => {
    if (!box.current || !mapSupported()) return;
    // No tile layer: nothing is fetched from outside, and the map works offline.
    const m = L.map(box.current, {
      attributionControl: false,
      renderer: L.svg(),
      maxZoom: 20,
      minZoom: 3,
    });
    m.on('click', (e: L.LeafletMouseEvent) => pick.current?.([e.latlng.lng, e.latlng.lat]));
    layers.current = L.layerGroup().addTo(m);
    map.current = m;
    return () => {
      m.remove();
      map.current = null;
      layers.current = null;
    };
  }, []);

  useEffect(() => {
    const m = map.current;
    const group = layers.current;
    if (!m || !group) return;
    group.clearLayers();
    const fit = L.latLngBounds([]);
    for (const f of loss ?? []) {
      L.geoJSON(asFeature(f.geometry, {}), {
        style: { className: 'eudr-loss', color: '#a1262b', weight: 1, fillOpacity: 0.25, dashArray: '4 3' },
        interactive: false,
      }).addTo(group);
    }
    for (const p of plots) {
      const className = `eudr-plot eudr-plot-${p.status.toLowerCase()}`;
      const colour = STATUS_COLOURS[p.status] ?? '#555';
      const layer = L.geoJSON(asFeature(p.geometry, { plotId: p.plotId }), {
        style: { className, color: colour, weight: 2, fillOpacity: 0.35 },
        pointToLayer: (_f, latlng) =>
          L.circleMarker(latlng, { className, radius: 7, color: colour, weight: 2, fillOpacity: 0.6 }),
      });
      layer.bindTooltip(`${p.plotId} · ${p.status}`);
      layer.addTo(group);
      fit.extend(layer.getBounds());
    }
    if (draft) {
      const d = L.geoJSON(asFeature(draft, {}), {
        style: { className: 'eudr-draft', color: '#333', weight: 2, dashArray: '6 4', fillOpacity: 0.1 },
        pointToLayer: (_f, latlng) => L.circleMarker(latlng, { className: 'eudr-draft', radius: 5 }),
      }).addTo(group);
      fit.extend(d.getBounds());
    }
    const bounds = fit.isValid() ? fit.pad(0.3) : DEFAULT_BOUNDS;
    m.fitBounds(bounds, { maxZoom: 17, animate: false });
    // Wide enough to cover the map at any window width around the fitted view.
    graticule(bounds.pad(4)).addTo(group);
  }, [plots, loss, draft]);

  if (!mapSupported()) {
    return (
      <p className="muted" data-testid="map-unavailable">
        This browser cannot draw the map (no SVG); the plots are listed below.
      </p>
    );
  }
  return (
    <div
      ref={box}
      className="eudr-map"
      role="region"
      aria-label={label}
      data-testid="plot-map"
      data-plot-count={plots.length}
    />
  );
}
