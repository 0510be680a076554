/**
 * EUDR plot geolocation rules (gateways/src/eudr/geometry.ts): every bad geometry case is refused with its own
 * code and a message naming what is wrong; valid points and polygons pass.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Polygon } from 'geojson';
import { validatePlot, type EudrGeometryError, type PlotValidation } from '../src/eudr/geometry.ts';
import {
  BORDER_CROSSING_POLYGON,
  CLEAR_POINT,
  CLEAR_POLYGON,
  KENYA_POINT,
  NEAR_BORDER_POLYGON,
  point,
  rect,
} from './eudr-fixtures.ts';

function errorsOf(r: PlotValidation): EudrGeometryError[] {
  assert.equal(r.ok, false, 'expected the plot to be refused');
  return r.ok ? [] : r.errors;
}

/** Refused with exactly this one error; returns it. */
function onlyError(r: PlotValidation, code: EudrGeometryError['code']): EudrGeometryError {
  const errors = errorsOf(r);
  assert.deepEqual(
    errors.map((e) => e.code),
    [code],
    `errors: ${JSON.stringify(errors)}`,
  );
  return errors[0]!;
}

/** Independent estimate of a small lon/lat rectangle's area (equirectangular, WGS84 mean radius), in ha. */
function approxRectHa(p: Polygon): number {
  const ring = p.coordinates[0]!;
  const xs = ring.map((q) => q[0]!);
  const ys = ring.map((q) => q[1]!);
  const R = 6371008.8;
  const rad = Math.PI / 180;
  const midLat = ((Math.min(...ys) + Math.max(...ys)) / 2) * rad;
  const w = (Math.max(...xs) - Math.min(...xs)) * rad * R * Math.cos(midLat);
  const h = (Math.max(...ys) - Math.min(...ys)) * rad * R;
  return (w * h) / 10_000;
}

describe('validatePlot: bad geometry, one clear error per case', () => {
  describe('INVALID_GEOJSON', () => {
    const cases: [string, unknown, RegExp][] = [
      ['text that is not JSON', '{"type": "Point", "coordinates": [38.1,', /not valid JSON/],
      ['a JSON array', [38.470512, 6.821384], /GeoJSON object/],
      ['null', null, /GeoJSON object/],
      [
        'a LineString',
        {
          type: 'LineString',
          coordinates: [
            [38.470512, 6.821384],
            [38.470912, 6.821784],
          ],
        },
        /"Point" or "Polygon".*LineString/,
      ],
      [
        'a MultiPolygon',
        { type: 'MultiPolygon', coordinates: [CLEAR_POLYGON.coordinates] },
        /"Point" or "Polygon".*MultiPolygon/,
      ],
      ['a FeatureCollection', { type: 'FeatureCollection', features: [] }, /single Point or Polygon/],
      ['a Feature without geometry', { type: 'Feature', properties: {}, geometry: null }, /no geometry/],
      [
        'a point with one number',
        { type: 'Point', coordinates: [38.470512] },
        /position \[longitude, latitude\]/,
      ],
      [
        'a coordinate that is a string',
        { type: 'Point', coordinates: ['38.470512', 6.821384] },
        /coordinates\[0\] must be a number/,
      ],
      ['a longitude beyond 180', point(238.470512, 6.821384), /longitude 238.470512 is outside -180..180/],
      ['a latitude beyond 90', point(38.470512, 96.821384), /latitude 96.821384 is outside -90..90/],
      ['a polygon without rings', { type: 'Polygon', coordinates: [] }, /array of linear rings/],
      [
        'a ring that is not closed',
        {
          type: 'Polygon',
          coordinates: [CLEAR_POLYGON.coordinates[0]!.slice(0, 4).concat([[38.470114, 6.820217]])],
        },
        /not closed: it starts at \[38.470113, 6.820217\] but ends at \[38.470114, 6.820217\]/,
      ],
      [
        'a ring of 3 positions',
        {
          type: 'Polygon',
          coordinates: [
            [
              [38.470113, 6.820217],
              [38.472317, 6.820217],
              [38.470113, 6.820217],
            ],
          ],
        },
        /has 3 positions; a ring needs at least 4/,
      ],
      [
        'a ring whose positions lie on one line',
        {
          type: 'Polygon',
          coordinates: [
            [
              [38.470113, 6.820217],
              [38.471113, 6.821217],
              [38.472113, 6.822217],
              [38.470113, 6.820217],
            ],
          ],
        },
        /encloses no area/,
      ],
      [
        'a hole outside the outer ring',
        {
          type: 'Polygon',
          coordinates: [
            CLEAR_POLYGON.coordinates[0]!,
            rect(38.475113, 6.825217, 38.476113, 6.826217).coordinates[0]!.slice().reverse(),
          ],
        },
        /every hole must lie inside the outer ring/,
      ],
      [
        'a hole inside another hole',
        {
          type: 'Polygon',
          coordinates: [
            CLEAR_POLYGON.coordinates[0]!,
            rect(38.470613, 6.820717, 38.471813, 6.821917).coordinates[0]!.slice().reverse(),
            rect(38.470913, 6.821017, 38.471413, 6.821517).coordinates[0]!.slice().reverse(),
          ],
        },
        /every hole must lie inside the outer ring without touching it or another hole/,
      ],
    ];
    for (const [name, geometry, message] of cases) {
      it(`refuses ${name}`, () => {
        const e = onlyError(validatePlot({ geometry, declaredAreaHa: 1 }), 'INVALID_GEOJSON');
        assert.match(e.message, message);
        assert.ok(e.path.startsWith('geometry'), e.path);
      });
    }
  });

  describe('TOO_FEW_DECIMALS', () => {
    it('refuses a point captured with 4 decimals, naming the value', () => {
      const e = onlyError(
        validatePlot({ geometry: point(38.4705, 6.8213), declaredAreaHa: 1 }),
        'TOO_FEW_DECIMALS',
      );
      assert.match(
        e.message,
        /no coordinate has 6 decimals \(the most precise, geometry\.coordinates\[0\] = 38\.4705, has 4\)/,
      );
    });
    it('refuses a polygon captured with 5 decimals', () => {
      const coarse = rect(38.47011, 6.82021, 38.47231, 6.82223);
      const e = onlyError(validatePlot({ geometry: coarse, declaredAreaHa: 5.4 }), 'TOO_FEW_DECIMALS');
      assert.match(e.message, /has 5/);
    });
    it('judges GeoJSON text as written: one short value is named with its path', () => {
      const text = '{"type":"Point","coordinates":[38.470512, 6.8214]}';
      const e = onlyError(validatePlot({ geometry: text, declaredAreaHa: 1 }), 'TOO_FEW_DECIMALS');
      assert.equal(e.path, 'geometry.coordinates[1]');
      assert.match(e.message, /written 6\.8214, with 4 decimal/);
    });
    it('keeps trailing zeros of GeoJSON text (38.500000 has 6 decimals)', () => {
      const r = validatePlot({
        geometry: '{"type":"Point","coordinates":[38.500000, 6.800000]}',
        declaredAreaHa: 1,
      });
      assert.equal(r.ok, true, JSON.stringify(r));
    });
    it('accepts parsed numbers whose trailing zeros were lost when another value shows 6 decimals', () => {
      assert.equal(validatePlot({ geometry: point(38.5, 6.821384), declaredAreaHa: 1 }).ok, true);
    });
    it('can skip the rule when re-validating a stored plot', () => {
      assert.equal(validatePlot({ geometry: point(38.5, 6.8), declaredAreaHa: 1 }).ok, false);
      assert.equal(
        validatePlot({ geometry: point(38.5, 6.8), declaredAreaHa: 1 }, { checkDecimals: false }).ok,
        true,
      );
    });
  });

  describe('SELF_INTERSECTING', () => {
    it('refuses a bow-tie, naming where it crosses', () => {
      const bowtie = {
        type: 'Polygon',
        coordinates: [
          [
            [38.470113, 6.820217],
            [38.472317, 6.822231],
            [38.472317, 6.820217],
            [38.470113, 6.822231],
            [38.470113, 6.820217],
          ],
        ],
      };
      const e = onlyError(validatePlot({ geometry: bowtie, declaredAreaHa: 5 }), 'SELF_INTERSECTING');
      assert.match(e.message, /crosses itself at \[38\.471215, 6\.821224\]/);
    });
    it('refuses a ring that loops back across an earlier edge', () => {
      const loop = {
        type: 'Polygon',
        coordinates: [
          [
            [38.470113, 6.820217],
            [38.474113, 6.820217],
            [38.474113, 6.824217],
            [38.472113, 6.818217],
            [38.470113, 6.824217],
            [38.470113, 6.820217],
          ],
        ],
      };
      onlyError(validatePlot({ geometry: loop, declaredAreaHa: 10 }), 'SELF_INTERSECTING');
    });
    it('refuses holes whose boundaries cross each other', () => {
      const crossing = {
        type: 'Polygon',
        coordinates: [
          CLEAR_POLYGON.coordinates[0]!,
          rect(38.470613, 6.820717, 38.471113, 6.821217).coordinates[0]!.slice().reverse(),
          rect(38.470913, 6.821017, 38.471413, 6.821517).coordinates[0]!.slice().reverse(),
        ],
      };
      onlyError(validatePlot({ geometry: crossing, declaredAreaHa: 5 }), 'SELF_INTERSECTING');
    });
  });

  describe('POINT_FOR_LARGE_PLOT', () => {
    it('refuses a point for a plot of 4 ha', () => {
      const e = onlyError(validatePlot({ geometry: CLEAR_POINT, declaredAreaHa: 4 }), 'POINT_FOR_LARGE_PLOT');
      assert.match(e.message, /4 ha must be described by a polygon/);
    });
    it('accepts a point for a plot of 3.99 ha', () => {
      assert.equal(validatePlot({ geometry: CLEAR_POINT, declaredAreaHa: 3.99 }).ok, true);
    });
  });

  describe('OUTSIDE_ETHIOPIA', () => {
    it('refuses a point in Kenya, naming it', () => {
      const e = onlyError(validatePlot({ geometry: KENYA_POINT, declaredAreaHa: 1 }), 'OUTSIDE_ETHIOPIA');
      assert.match(e.message, /the point \[36\.817223, -1\.286389\] is not inside Ethiopia/);
      assert.doesNotMatch(e.message, /swapped/);
    });
    it('refuses a polygon crossing the Ethiopia–Kenya border', () => {
      const declared = approxRectHa(BORDER_CROSSING_POLYGON);
      const e = onlyError(
        validatePlot({ geometry: BORDER_CROSSING_POLYGON, declaredAreaHa: declared }),
        'OUTSIDE_ETHIOPIA',
      );
      assert.match(e.message, /not entirely inside Ethiopia/);
    });
    it('accepts the same place moved just north of the border', () => {
      const r = validatePlot({
        geometry: NEAR_BORDER_POLYGON,
        declaredAreaHa: approxRectHa(NEAR_BORDER_POLYGON),
      });
      assert.equal(r.ok, true, JSON.stringify(r));
    });
    it('hints at swapped coordinates ([latitude, longitude])', () => {
      const e = onlyError(
        validatePlot({ geometry: point(6.821384, 38.470512), declaredAreaHa: 1 }),
        'OUTSIDE_ETHIOPIA',
      );
      assert.match(e.message, /look swapped/);
    });
  });

  describe('AREA_MISMATCH', () => {
    const measured = (() => {
      const r = validatePlot({ geometry: CLEAR_POLYGON, declaredAreaHa: 5 });
      assert.ok(r.ok);
      return r.areaHa;
    })();
    it('measures the polygon like an independent estimate (within 1 %)', () => {
      const expected = approxRectHa(CLEAR_POLYGON);
      assert.ok(Math.abs(measured - expected) / expected < 0.01, `${measured} vs ${expected}`);
    });
    for (const [label, declared] of [
      ['9 % below the measure', measured / 1.09],
      ['9 % above the measure', measured / 0.91],
    ] as const) {
      it(`accepts a declared area ${label}`, () => {
        assert.equal(validatePlot({ geometry: CLEAR_POLYGON, declaredAreaHa: declared }).ok, true);
      });
    }
    for (const [label, declared] of [
      ['11 % below the measure', measured / 1.11],
      ['11 % above the measure', measured / 0.89],
    ] as const) {
      it(`refuses a declared area ${label}`, () => {
        const e = onlyError(
          validatePlot({ geometry: CLEAR_POLYGON, declaredAreaHa: declared }),
          'AREA_MISMATCH',
        );
        assert.match(e.message, new RegExp(`measures ${measured} ha but ${declared} ha was declared`));
        assert.match(e.message, /11(\.\d)? % apart; at most 10 %/);
        assert.equal(e.path, 'declaredAreaHa');
      });
    }
  });

  describe('INVALID_DECLARED_AREA', () => {
    for (const declared of [0, -2, Number.NaN, Number.POSITIVE_INFINITY]) {
      it(`refuses a declared area of ${declared}`, () => {
        onlyError(validatePlot({ geometry: CLEAR_POINT, declaredAreaHa: declared }), 'INVALID_DECLARED_AREA');
      });
    }
  });

  it('reports each broken rule once when several are broken', () => {
    const errors = errorsOf(validatePlot({ geometry: point(36.8172, -1.2864), declaredAreaHa: 6 }));
    assert.deepEqual(errors.map((e) => e.code).sort(), [
      'OUTSIDE_ETHIOPIA',
      'POINT_FOR_LARGE_PLOT',
      'TOO_FEW_DECIMALS',
    ]);
  });
});

describe('validatePlot: valid plots', () => {
  it('accepts a point below 4 ha; its area is the declared one', () => {
    const r = validatePlot({ geometry: CLEAR_POINT, declaredAreaHa: 1.5 });
    assert.deepEqual(r, { ok: true, kind: 'Point', areaHa: 1.5, geometry: CLEAR_POINT });
  });
  it('accepts a polygon and measures it', () => {
    const r = validatePlot({ geometry: CLEAR_POLYGON, declaredAreaHa: 5.4 });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.kind, 'Polygon');
    assert.ok(r.areaHa > 5.3 && r.areaHa < 5.6, String(r.areaHa));
    assert.deepEqual(r.geometry, CLEAR_POLYGON);
  });
  it('accepts a polygon below 4 ha (a polygon is always allowed)', () => {
    const small = rect(38.470113, 6.820217, 38.471017, 6.821131);
    assert.equal(validatePlot({ geometry: small, declaredAreaHa: 1 }).ok, true);
  });
  it('normalises: unwraps a Feature, drops altitude, winds the outer ring counter-clockwise', () => {
    const clockwise = CLEAR_POLYGON.coordinates[0]!.map(([x, y]) => [x!, y!, 1850]).reverse();
    const r = validatePlot({
      geometry: {
        type: 'Feature',
        properties: { farm: 'x' },
        geometry: { type: 'Polygon', coordinates: [clockwise] },
      },
      declaredAreaHa: 5.4,
    });
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.geometry, CLEAR_POLYGON);
  });
  it('accepts a polygon with a hole inside its outer ring', () => {
    const holed = {
      type: 'Polygon',
      coordinates: [
        CLEAR_POLYGON.coordinates[0]!,
        rect(38.470613, 6.820717, 38.471113, 6.821217).coordinates[0]!.slice().reverse(),
      ],
    };
    assert.equal(validatePlot({ geometry: holed, declaredAreaHa: 5.1 }).ok, true);
  });
  it('accepts GeoJSON text', () => {
    const r = validatePlot({ geometry: JSON.stringify(CLEAR_POLYGON), declaredAreaHa: 5.4 });
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.geometry, CLEAR_POLYGON);
  });
});
