/**
 * Forest-loss screening (gateways/src/eudr/screening.ts) with the repo's synthetic layer: overlap flags, no overlap
 * clears, a point inside a loss polygon flags; the layer is refused with a clear error when it cannot be used, and
 * its hash names its content (not its formatting), so every gateway can check the copy it fetched.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { area } from '@turf/area';
import { AppError } from '../src/errors.ts';
import {
  ForestLayerError,
  loadForestLayer,
  parseForestLayer,
  screenPlot,
  serializeForestLayer,
} from '../src/eudr/screening.ts';
import { sha256Hex } from '../src/eudr/commitment.ts';
import {
  CLEAR_POINT,
  CLEAR_POLYGON,
  OVERLAPPING_POLYGON,
  POINT_IN_LOSS,
  TOUCHING_POLYGON,
  point,
  rect,
  sampleLayerText,
} from './eudr-fixtures.ts';

const layer = parseForestLayer(sampleLayerText());

function refused(input: unknown): ForestLayerError {
  try {
    parseForestLayer(input);
  } catch (e) {
    assert.ok(e instanceof ForestLayerError, String(e));
    assert.equal(e.status, 422);
    assert.equal(e.code, 'EUDR_LAYER_INVALID');
    return e;
  }
  assert.fail('the layer was accepted');
}

const square = (id: unknown, props: Record<string, unknown> = {}) => ({
  type: 'Feature',
  ...(id === undefined ? {} : { id }),
  properties: { lossYear: 2022, ...props },
  geometry: rect(38.48, 6.83, 38.49, 6.84),
});

describe('parseForestLayer: an unusable layer is refused with a clear error', () => {
  it('refuses text that is not JSON', () => {
    assert.match(refused('{"type": "FeatureCollection",').message, /not valid JSON/);
  });
  it('refuses something that is not a FeatureCollection', () => {
    assert.match(refused(rect(38.48, 6.83, 38.49, 6.84)).message, /must be a GeoJSON FeatureCollection/);
  });
  it('refuses an empty layer', () => {
    assert.match(refused({ type: 'FeatureCollection', features: [] }).message, /no features/);
  });
  it('refuses a feature that is not a polygon, naming it', () => {
    const e = refused({
      type: 'FeatureCollection',
      features: [square('a'), { type: 'Feature', properties: {}, geometry: point(38.485127, 6.835419) }],
    });
    assert.equal(e.errors?.[0]?.path, 'features[1].geometry.type');
    assert.match(e.message, /Polygon or MultiPolygon \(got "Point"\)/);
  });
  it('refuses a ring that is not closed', () => {
    const open = square('a');
    open.geometry = {
      type: 'Polygon',
      coordinates: [open.geometry.coordinates[0]!.slice(0, 4).concat([[38.481, 6.83]])],
    };
    const e = refused({ type: 'FeatureCollection', features: [open] });
    assert.match(e.message, /features\[0\]\.geometry\.coordinates\[0\]: the ring is not closed/);
  });
  it('refuses loss from before the cut-off (lossYear 2019)', () => {
    const e = refused({ type: 'FeatureCollection', features: [square('a', { lossYear: 2019 })] });
    assert.equal(e.errors?.[0]?.path, 'features[0].properties.lossYear');
    assert.match(e.message, /lossYear 2019 .* keep only loss after 2020-12-31/);
  });
  it('refuses two features with the same id', () => {
    const e = refused({ type: 'FeatureCollection', features: [square('a'), square(undefined, { id: 'a' })] });
    assert.match(e.message, /the id "a" is used by another feature/);
  });
});

describe('the sample layer and its hash', () => {
  it('reads the repo layer: 4 features inside Ethiopia, named', () => {
    assert.equal(layer.featureCount, 4);
    assert.equal(layer.name, 'synthetic forest loss after 2020 (test layer)');
    assert.deepEqual(
      layer.features.map((f) => f.id),
      ['loss-sidama-1', 'loss-yirgacheffe-1', 'loss-jimma-1', 'loss-kaffa-1'],
    );
    assert.match(layer.sha256, /^[0-9a-f]{64}$/);
  });
  it('the hash is the sha256 of the serialized layer, and re-reading that text gives the same layer', () => {
    const text = serializeForestLayer(layer);
    assert.equal(sha256Hex(text), layer.sha256);
    assert.equal(parseForestLayer(text).sha256, layer.sha256);
    assert.equal(loadForestLayer(text, layer.sha256).featureCount, 4);
  });
  it('formatting does not change the hash; content does', () => {
    const parsed = JSON.parse(sampleLayerText()) as {
      features: { geometry: { coordinates: number[][][] } }[];
    };
    assert.equal(parseForestLayer(JSON.stringify(parsed)).sha256, layer.sha256);
    parsed.features[0]!.geometry.coordinates[0]![1]![0] = 38.490001;
    parsed.features[0]!.geometry.coordinates[0]![2]![0] = 38.490001;
    assert.notEqual(parseForestLayer(parsed).sha256, layer.sha256);
  });
  it('a fetched copy whose hash is not the ledger one is refused', () => {
    const other = parseForestLayer({ type: 'FeatureCollection', features: [square('a')] });
    assert.throws(
      () => loadForestLayer(serializeForestLayer(other), layer.sha256),
      (e: unknown) => e instanceof AppError && e.status === 502 && e.code === 'EUDR_LAYER_HASH_MISMATCH',
    );
  });
});

describe('screenPlot', () => {
  it('a polygon clear of every loss polygon is CLEAR', () => {
    assert.deepEqual(screenPlot(CLEAR_POLYGON, layer), { status: 'CLEAR', overlapHa: 0, featureIds: [] });
  });
  it('a polygon overlapping a loss polygon is FLAGGED with the overlap area', () => {
    const r = screenPlot(OVERLAPPING_POLYGON, layer);
    assert.equal(r.status, 'FLAGGED');
    assert.deepEqual(r.featureIds, ['loss-sidama-1']);
    // The plot spans 38.478913..38.481127; the loss square starts at 38.48: that share of the plot's area.
    const expected = ((area(OVERLAPPING_POLYGON) / 10_000) * (38.481127 - 38.48)) / (38.481127 - 38.478913);
    assert.ok(Math.abs(r.overlapHa - expected) / expected < 0.01, `${r.overlapHa} vs ${expected}`);
  });
  it('a polygon that only shares an edge with a loss polygon is CLEAR', () => {
    assert.deepEqual(screenPlot(TOUCHING_POLYGON, layer), { status: 'CLEAR', overlapHa: 0, featureIds: [] });
  });
  it('a polygon covering a loss polygon entirely reports the whole loss area', () => {
    const r = screenPlot(rect(38.195113, 6.150117, 38.215219, 6.170213), layer);
    assert.equal(r.status, 'FLAGGED');
    assert.deepEqual(r.featureIds, ['loss-yirgacheffe-1']);
    const lossHa = area(layer.features[1]!) / 10_000;
    assert.ok(Math.abs(r.overlapHa - lossHa) < 0.001, `${r.overlapHa} vs ${lossHa}`);
  });
  it('a point inside a loss polygon is FLAGGED', () => {
    assert.deepEqual(screenPlot(POINT_IN_LOSS, layer), {
      status: 'FLAGGED',
      overlapHa: 0,
      featureIds: ['loss-sidama-1'],
    });
  });
  it('a point inside the second part of a MultiPolygon is FLAGGED', () => {
    assert.deepEqual(screenPlot(point(36.275123, 7.325311), layer).featureIds, ['loss-kaffa-1']);
  });
  it('a point on the edge of a loss polygon is FLAGGED (it stands for the land around it)', () => {
    assert.equal(screenPlot(point(38.48, 6.835419), layer).status, 'FLAGGED');
  });
  it('a point clear of every loss polygon is CLEAR', () => {
    assert.deepEqual(screenPlot(CLEAR_POINT, layer), { status: 'CLEAR', overlapHa: 0, featureIds: [] });
  });
});
