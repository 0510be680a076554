/**
 * The DDS package (gateways/src/eudr/package.ts): built from plot details and ECX's lot links in the EU
 * Information System's GeoJSON structure; it validates; and a package whose plots do not match the certified lots,
 * or that breaks a geolocation rule, or that was changed after it was built, is refused with a named problem.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../src/errors.ts';
import {
  buildDdsPackage,
  ddsPackageSha256,
  validateDdsPackage,
  type DdsLot,
  type DdsPackage,
  type DdsPlotDetails,
  type DdsProblem,
} from '../src/eudr/package.ts';
import { CLEAR_POINT, CLEAR_POLYGON, KENYA_POINT, NEAR_BORDER_POLYGON } from './eudr-fixtures.ts';

const polygonPlot: DdsPlotDetails = {
  plotId: 'plot-b',
  geometry: CLEAR_POLYGON,
  areaHa: 5.4495,
  region: 'SIDAMA',
  woreda: 'Bensa',
  producerRef: 'Abebe Kebede',
  harvestFrom: '2025-10-15',
  harvestTo: '2026-01-20',
};
const pointPlot: DdsPlotDetails = {
  plotId: 'plot-a',
  geometry: CLEAR_POINT,
  areaHa: 1.2,
  region: 'SIDAMA',
  woreda: 'Aleta Wondo',
  producerRef: 'Tigist Alemu',
  harvestFrom: '2025-10-01',
  harvestTo: '2025-12-31',
};
const borderPlot: DdsPlotDetails = {
  plotId: 'plot-c',
  geometry: NEAR_BORDER_POLYGON,
  areaHa: 5.4475,
  region: 'OROMIA',
  woreda: 'Moyale',
  producerRef: 'Abebe Kebede',
  harvestFrom: '2025-11-01',
  harvestTo: '2026-02-10',
};
const lots: DdsLot[] = [
  {
    lotId: 'LOT-1',
    plots: [
      { plotId: 'plot-a', quantityKg: 6000 },
      { plotId: 'plot-b', quantityKg: 7200 },
    ],
  },
  {
    lotId: 'LOT-2',
    plots: [
      { plotId: 'plot-b', quantityKg: 1000 },
      { plotId: 'plot-c', quantityKg: 5000 },
    ],
  },
];
const exportRecord = { exportId: 'EXP-2026-001', contract: { quantityKg: 19200, destinationCountry: 'DE' } };

const build = (plots = [polygonPlot, pointPlot, borderPlot], l = lots) =>
  buildDdsPackage({ export: exportRecord, plots, lots: l });

/** A changed copy whose hash is recomputed, so the rule under test (not the hash) must catch it. */
function altered(change: (p: DdsPackage) => void): DdsPackage {
  const p = structuredClone(build());
  change(p);
  p.sha256 = ddsPackageSha256(p);
  return p;
}

const codes = (problems: DdsProblem[]) => problems.map((p) => p.code);

describe('buildDdsPackage', () => {
  const pkg = build();

  it('has one feature per lot plot, in the EU Information System structure', () => {
    assert.equal(pkg.geojson.type, 'FeatureCollection');
    assert.deepEqual(
      pkg.geojson.features.map((f) => [f.id, f.geometry.type]),
      [
        ['plot-a', 'Point'],
        ['plot-b', 'Polygon'],
        ['plot-c', 'Polygon'],
      ],
    );
    assert.deepEqual(pkg.geojson.features[1]!.properties, {
      ProducerName: 'Abebe Kebede',
      ProducerCountry: 'ET',
      ProductionPlace: 'Bensa, SIDAMA',
      Area: 5.4495,
    });
    assert.deepEqual(pkg.geojson.features[1]!.geometry, CLEAR_POLYGON);
  });
  it('summarises: HS 0901.11, net mass, country, harvest period, producers; no names in the summary', () => {
    assert.deepEqual(pkg.summary, {
      hsCode: '0901.11',
      netMassKg: 19200,
      country: 'ET',
      harvestFrom: '2025-10-01',
      harvestTo: '2026-02-10',
      producerCount: 2,
      plotCount: 3,
    });
    assert.deepEqual(pkg.producers, ['Abebe Kebede', 'Tigist Alemu']);
    assert.doesNotMatch(JSON.stringify(pkg.summary), /Abebe|Tigist/);
  });
  it('is deterministic: the same plots in another order give the same hash (ECTA rebuilds it to compare)', () => {
    assert.equal(build([borderPlot, pointPlot, polygonPlot]).sha256, pkg.sha256);
    assert.equal(pkg.sha256, ddsPackageSha256(pkg));
  });
  it('takes the net mass from the lots when the contract has none', () => {
    const p = buildDdsPackage({
      export: { exportId: 'X' },
      plots: [polygonPlot, pointPlot, borderPlot],
      lots,
    });
    assert.equal(p.summary.netMassKg, 19200);
  });
  it('leaves out plots no lot names', () => {
    const p = build([polygonPlot, pointPlot, borderPlot], [lots[0]!]);
    assert.deepEqual(
      p.geojson.features.map((f) => f.id),
      ['plot-a', 'plot-b'],
    );
  });
  it('refuses a lot plot without details (422 EUDR_PACKAGE_INVALID naming it)', () => {
    assert.throws(
      () => build([polygonPlot, pointPlot]),
      (e: unknown) =>
        e instanceof AppError &&
        e.status === 422 &&
        e.code === 'EUDR_PACKAGE_INVALID' &&
        /plot-c/.test(e.message),
    );
  });
  it('refuses lots that name no plots', () => {
    assert.throws(
      () => build(undefined, []),
      (e: unknown) => e instanceof AppError && e.code === 'EUDR_PACKAGE_INVALID',
    );
  });
});

describe('validateDdsPackage', () => {
  it('a built package validates against the lots it was built from', () => {
    assert.deepEqual(validateDdsPackage(build(), lots), []);
  });

  describe('plots must match the lots ECX certified', () => {
    it('a lot plot missing from the package', () => {
      const withExtraLot: DdsLot[] = [
        ...lots,
        { lotId: 'LOT-3', plots: [{ plotId: 'plot-z', quantityKg: 10 }] },
      ];
      const problems = validateDdsPackage(build(), withExtraLot);
      assert.deepEqual(codes(problems), ['PLOT_MISSING_FROM_PACKAGE']);
      assert.match(problems[0]!.message, /plot plot-z/);
    });
    it('a package plot in none of the lots', () => {
      const problems = validateDdsPackage(build(), [
        lots[0]!,
        { lotId: 'LOT-2', plots: [{ plotId: 'plot-b', quantityKg: 6000 }] },
      ]);
      assert.deepEqual(codes(problems), ['PLOT_NOT_IN_LOTS']);
      assert.match(problems[0]!.message, /plot plot-c is in the package but in none of the lots/);
    });
    it('a plot listed twice', () => {
      const p = altered((x) => x.geojson.features.push(structuredClone(x.geojson.features[0]!)));
      assert.ok(codes(validateDdsPackage(p, lots)).includes('DUPLICATE_PLOT'));
    });
    it('lots that trace less coffee than the consignment', () => {
      const short: DdsLot[] = structuredClone(lots);
      short[1]!.plots[1]!.quantityKg = 100;
      const problems = validateDdsPackage(build(undefined, short), short);
      assert.deepEqual(codes(problems), ['LOTS_SHORT_OF_NET_MASS']);
      assert.match(problems[0]!.message, /trace 14300 kg to plots but the consignment is 19200 kg/);
    });
    it('no lots, or a lot quantity that is not positive', () => {
      assert.ok(codes(validateDdsPackage(build(), [])).includes('LOTS_INVALID'));
      const zero: DdsLot[] = structuredClone(lots);
      zero[0]!.plots[0]!.quantityKg = 0;
      assert.ok(codes(validateDdsPackage(build(), zero)).includes('LOTS_INVALID'));
    });
  });

  describe('geolocation rules, named per plot', () => {
    it('a plot outside Ethiopia', () => {
      const p = altered((x) => (x.geojson.features[0]!.geometry = KENYA_POINT));
      const problems = validateDdsPackage(p, lots);
      assert.deepEqual(codes(problems), ['OUTSIDE_ETHIOPIA']);
      assert.match(problems[0]!.message, /^plot plot-a: /);
    });
    it('a point standing for 4 ha or more', () => {
      const p = altered((x) => (x.geojson.features[0]!.properties.Area = 4.5));
      assert.deepEqual(codes(validateDdsPackage(p, lots)), ['POINT_FOR_LARGE_PLOT']);
    });
    it('a polygon whose Area disagrees with its shape', () => {
      const p = altered((x) => (x.geojson.features[1]!.properties.Area = 7));
      assert.deepEqual(codes(validateDdsPackage(p, lots)), ['AREA_MISMATCH']);
    });
    it('a self-intersecting polygon', () => {
      const p = altered((x) => {
        const ring = (x.geojson.features[1]!.geometry as typeof CLEAR_POLYGON).coordinates[0]!;
        [ring[1], ring[2]] = [ring[2]!, ring[1]!];
      });
      assert.ok(codes(validateDdsPackage(p, lots)).includes('SELF_INTERSECTING'));
    });
    it('coordinates without 6 decimals anywhere', () => {
      const p = altered((x) => {
        for (const f of x.geojson.features) {
          f.geometry =
            f.geometry.type === 'Point'
              ? { type: 'Point', coordinates: f.geometry.coordinates.map((v) => Math.round(v * 1e4) / 1e4) }
              : {
                  type: 'Polygon',
                  coordinates: f.geometry.coordinates.map((r) =>
                    r.map((q) => q.map((v) => Math.round(v * 1e4) / 1e4)),
                  ),
                };
        }
      });
      assert.ok(codes(validateDdsPackage(p, lots)).includes('TOO_FEW_DECIMALS'));
    });
    it('a missing ProducerName or a ProducerCountry other than ET', () => {
      const p = altered((x) => {
        x.geojson.features[0]!.properties.ProducerName = ' ';
        x.geojson.features[1]!.properties.ProducerCountry = 'KE';
      });
      const problems = validateDdsPackage(p, lots).filter((q) => q.code === 'FEATURE_PROPERTIES');
      assert.equal(problems.length, 2);
      assert.match(
        problems.map((q) => q.message).join('\n'),
        /plot-a: ProducerName is missing[\s\S]*plot-b: ProducerCountry must be "ET"/,
      );
    });
  });

  describe('summary and integrity', () => {
    it('a package changed after it was built fails its hash', () => {
      const p = structuredClone(build());
      (p.geojson.features[1]!.geometry as typeof CLEAR_POLYGON).coordinates[0]![0]![0] = 38.470114;
      (p.geojson.features[1]!.geometry as typeof CLEAR_POLYGON).coordinates[0]![4]![0] = 38.470114;
      assert.deepEqual(codes(validateDdsPackage(p, lots)), ['PACKAGE_HASH_MISMATCH']);
    });
    it('a summary that disagrees with the plots', () => {
      for (const change of [
        (x: DdsPackage) => (x.summary.hsCode = '0901.21'),
        (x: DdsPackage) => (x.summary.country = 'KE'),
        (x: DdsPackage) => (x.summary.producerCount = 3),
        (x: DdsPackage) => (x.summary.plotCount = 2),
        (x: DdsPackage) => (x.summary.harvestTo = '2025-01-01'),
        (x: DdsPackage) => (x.producers = ['Someone']),
      ]) {
        assert.deepEqual(
          codes(validateDdsPackage(altered(change), lots)),
          ['SUMMARY_MISMATCH'],
          String(change),
        );
      }
    });
    it('malformed input is reported, not thrown', () => {
      assert.deepEqual(codes(validateDdsPackage(null, lots)), ['PACKAGE_MALFORMED']);
      assert.deepEqual(
        codes(validateDdsPackage({ geojson: { type: 'FeatureCollection', features: [] } }, lots)),
        ['PACKAGE_MALFORMED'],
      );
    });
  });
});
