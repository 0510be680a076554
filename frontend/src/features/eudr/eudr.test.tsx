import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Geometry } from 'geojson';

// jsdom draws no SVG (no createSVGRect), so Leaflet would refuse its SVG renderer: give it the one method it probes,
// before Leaflet is imported. Paths are then real <path> elements in the DOM, as in a browser.
vi.hoisted(() => {
  const proto = (globalThis as unknown as { SVGSVGElement?: { prototype: Record<string, unknown> } })
    .SVGSVGElement?.prototype;
  if (proto && !proto.createSVGRect) proto.createSVGRect = () => ({});
});

import { reloadSession } from '../../api/client';
import { renderAt, signIn, stubFetch } from '../../test/helpers';
import { VerifyPage } from '../verify/VerifyPage';
import { ExportEudrPanel, lotsOfRows } from './ExportEudrPanel';
import type { Plot } from './eudrApi';
import { graticuleStep } from './PlotMap';
import { ForestLayerPanel, readLayerFile } from './ForestLayerPanel';
import { PlotsPage, draftText } from './PlotsPage';
import { ReviewQueuePage } from './ReviewQueuePage';

const polygon = {
  type: 'Polygon' as const,
  coordinates: [
    [
      [38.470113, 6.820217],
      [38.472317, 6.820217],
      [38.472317, 6.822231],
      [38.470113, 6.822231],
      [38.470113, 6.820217],
    ],
  ],
};
const point = { type: 'Point' as const, coordinates: [38.485127, 6.835419] };

function plot(plotId: string, status: Plot['screening']['status'], geometry: object): Plot {
  return {
    plotId,
    exporterId: 'EXA',
    commitment: 'c'.repeat(64),
    kind: (geometry as { type: 'Point' | 'Polygon' }).type,
    screening: { status, layerSha256: 'a'.repeat(64), overlapHa: status === 'FLAGGED' ? 0.5 : 0 },
    review: null,
    registeredAt: '2026-01-01T00:00:00Z',
    details: {
      plotId,
      exporterId: 'EXA',
      kind: (geometry as { type: 'Point' | 'Polygon' }).type,
      geometry: geometry as Geometry,
      areaHa: 5.4,
      declaredAreaHa: 5.4,
      region: 'Sidama',
      woreda: 'Bensa',
      producerRef: 'Coop 7',
      harvestFrom: '2025-10-01',
      harvestTo: '2026-01-31',
    },
  };
}

const layer = {
  name: 'synthetic test layer',
  sha256: 'a'.repeat(64),
  featureCount: 1,
  features: [
    {
      type: 'Feature',
      id: 'loss-1',
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [38.48, 6.83],
            [38.49, 6.83],
            [38.49, 6.84],
            [38.48, 6.84],
            [38.48, 6.83],
          ],
        ],
      },
    },
  ],
};

afterEach(() => vi.unstubAllGlobals());

describe('EUDR plots page', () => {
  it('draws one Leaflet path per plot (and the loss layer) with no tile request', async () => {
    signIn('exporter', 'commercial-bank', { exporterId: 'EXA' });
    const calls = stubFetch((c) => {
      if (c.url.includes('/eudr/plots'))
        return {
          status: 200,
          body: { items: [plot('P-1', 'CLEAR', polygon), plot('P-2', 'FLAGGED', point)] },
        };
      if (c.url.includes('/eudr/forest-layer')) return { status: 200, body: layer };
      return undefined;
    });
    const { container } = renderAt(<PlotsPage />);
    const map = await screen.findByRole('region', { name: 'Registered plots and the forest-loss layer' });
    await waitFor(() => expect(map.querySelectorAll('path.eudr-plot')).toHaveLength(2));
    expect(map.querySelectorAll('path.eudr-plot-flagged')).toHaveLength(1);
    expect(map.querySelectorAll('path.eudr-loss')).toHaveLength(1);
    expect(container.querySelectorAll('img.leaflet-tile')).toHaveLength(0);
    // Only the gateway was asked: no tile server, nothing outside.
    expect(calls.every((c) => c.url.startsWith('/gw/commercial-bank/api/v1/'))).toBe(true);
    expect(screen.getAllByTestId('plot-row')).toHaveLength(2);
  });

  it('sends pasted GeoJSON as text (decimals as written), and shows a refusal with its code', async () => {
    signIn('exporter', 'commercial-bank', { exporterId: 'EXA' });
    let answer: { status: number; body: unknown } = {
      status: 422,
      body: {
        status: 422,
        code: 'TOO_FEW_DECIMALS',
        title: 'Unprocessable Content',
        detail: 'coordinate geometry.coordinates[0] has 4 decimals; EUDR needs at least 6',
      },
    };
    const calls = stubFetch((c) => {
      if (c.method === 'POST' && c.url.endsWith('/eudr/plots')) return answer;
      if (c.url.includes('/eudr/plots')) return { status: 200, body: { items: [] } };
      if (c.url.includes('/eudr/forest-layer'))
        return { status: 404, body: { code: 'EUDR_LAYER_NOT_FOUND' } };
      return undefined;
    });
    renderAt(<PlotsPage />);
    const form = await screen.findByRole('form', { name: 'Register a plot' });
    const user = userEvent.setup();
    await user.click(within(form).getByLabelText(/Plot geometry/));
    await user.paste('{"type":"Point","coordinates":[38.4705,6.8213]}');
    await user.type(within(form).getByLabelText(/Declared area/), '1.5');
    await user.type(within(form).getByLabelText(/^Region/), 'Sidama');
    await user.type(within(form).getByLabelText(/^Woreda/), 'Bensa');
    await user.type(within(form).getByLabelText(/Producer reference/), 'Smallholder 12');
    await user.type(within(form).getByLabelText(/Harvest from/), '2025-10-01');
    await user.type(within(form).getByLabelText(/Harvest to/), '2026-01-31');
    await user.click(within(form).getByRole('button', { name: 'Register plot' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('TOO_FEW_DECIMALS');
    const post = calls.find((c) => c.method === 'POST')!;
    expect(post.body).toMatchObject({
      geometry: '{"type":"Point","coordinates":[38.4705,6.8213]}',
      declaredAreaHa: 1.5,
      region: 'Sidama',
      harvestTo: '2026-01-31',
    });
    expect(post.headers['Idempotency-Key']).toBeTruthy();
    answer = {
      status: 201,
      body: {
        plotId: 'PLOT-1',
        kind: 'Point',
        areaHa: 1.5,
        screening: { status: 'FLAGGED', overlapHa: 0, featureIds: ['loss-1'] },
      },
    };
    await user.click(within(form).getByRole('button', { name: 'Register plot' }));
    expect(await screen.findByTestId('registered-status')).toHaveTextContent('FLAGGED');
  });

  it('writes a clicked draft with exactly 6 decimals and a closed ring', () => {
    expect(draftText('Point', [[38.5, 6.8]])).toBe('{"type":"Point","coordinates":[38.500000,6.800000]}');
    expect(draftText('Polygon', [[38.5, 6.8]])).toBeUndefined();
    expect(
      draftText('Polygon', [
        [38.5, 6.8],
        [38.51, 6.8],
        [38.51, 6.81],
      ]),
    ).toBe(
      '{"type":"Polygon","coordinates":[[[38.500000,6.800000],[38.510000,6.800000],[38.510000,6.810000],[38.500000,6.800000]]]}',
    );
    expect(graticuleStep(0.06)).toBe(0.01);
    expect(graticuleStep(3)).toBe(0.5);
  });

  it('offers no registration form to non-exporters, and shows a gateway refusal', async () => {
    signIn('fx_officer', 'national-bank');
    stubFetch((c) =>
      c.url.includes('/eudr/plots')
        ? {
            status: 403,
            body: {
              status: 403,
              code: 'FORBIDDEN_ROLE',
              title: 'Forbidden',
              detail: 'role fx_officer may not do this',
            },
          }
        : { status: 404, body: { code: 'NOT_FOUND' } },
    );
    renderAt(<PlotsPage />);
    expect(await screen.findByRole('alert')).toHaveTextContent('FORBIDDEN_ROLE');
    expect(screen.queryByRole('form', { name: 'Register a plot' })).toBeNull();
  });
});

describe("ECTA's forest-loss layer on the plots page", () => {
  const newer = {
    type: 'FeatureCollection',
    name: 'forest loss 2021-2025 (Hansen v1.12, coffee zones)',
    features: [layer.features[0], { ...layer.features[0], id: 'loss-2' }],
  };
  const file = (text: string, name = 'loss.geojson'): File =>
    new File([text], name, { type: 'application/geo+json' });

  it('reads a file: JSON, a FeatureCollection with features; its name or the file name', () => {
    const broken = readLayerFile('a.geojson', '{"type":');
    expect(broken.ok).toBe(false);
    expect(!broken.ok && broken.problem).toMatch(/^a.geojson is not valid JSON: /);
    expect(readLayerFile('a.geojson', '{"type":"Feature"}')).toEqual({
      ok: false,
      problem: 'a.geojson is not a GeoJSON FeatureCollection',
    });
    expect(readLayerFile('a.geojson', 'null')).toEqual({
      ok: false,
      problem: 'a.geojson is not a GeoJSON FeatureCollection',
    });
    expect(readLayerFile('a.geojson', '{"type":"FeatureCollection","features":[]}')).toEqual({
      ok: false,
      problem: 'a.geojson has no features',
    });
    expect(readLayerFile('a.geojson', JSON.stringify(newer))).toMatchObject({
      ok: true,
      name: newer.name,
      featureCount: 2,
    });
    expect(readLayerFile('b.json', JSON.stringify({ ...newer, name: ' ' }))).toMatchObject({
      ok: true,
      name: 'b.json',
    });
  });

  it('an ECTA officer loads a file after seeing what it holds; a bad file is never sent', async () => {
    signIn('ecta_officer', 'ecta');
    const calls = stubFetch((c) => {
      if (c.url.includes('/eudr/plots')) return { status: 200, body: { items: [] } };
      if (c.url.includes('/eudr/forest-layer') && c.method === 'GET')
        return { status: 200, body: { ...layer, version: 1, setAt: '2026-11-01T08:00:00Z' } };
      if (c.url.includes('/eudr/forest-layer'))
        return {
          status: 201,
          body: { name: newer.name, sha256: 'd'.repeat(64), cid: 'bafy1', featureCount: 2, txId: 't1' },
        };
      return undefined;
    });
    renderAt(<PlotsPage />);
    const panel = await screen.findByRole('region', { name: 'Forest-loss layer' });
    expect(await within(panel).findByTestId('layer-in-force')).toHaveTextContent(
      /synthetic test layer \(version 1\), 1 polygons, SHA-256 aaaaaaaaaaaa…/,
    );
    const user = userEvent.setup();
    const input = within(panel).getByLabelText('GeoJSON file');
    await user.upload(input, file('{"type": "FeatureCollection", "features": [}', 'broken.geojson'));
    expect(await within(panel).findByRole('alert')).toHaveTextContent(/^broken.geojson is not valid JSON/);
    expect(within(panel).getByRole('button', { name: 'Load as the layer in force' })).toBeDisabled();

    await user.upload(input, file(JSON.stringify(newer)));
    expect(await within(panel).findByTestId('layer-file-summary')).toHaveTextContent(
      `${newer.name}: 2 features.`,
    );
    await user.click(within(panel).getByRole('button', { name: 'Load as the layer in force' }));
    expect(await within(panel).findByTestId('layer-loaded-sha')).toHaveTextContent('d'.repeat(64));
    const posts = calls.filter((c) => c.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.url).toBe('/gw/ecta/api/v1/eudr/forest-layer');
    expect(posts[0]!.body).toEqual(newer);
    // The page reads the layer in force again.
    await waitFor(() =>
      expect(calls.filter((c) => c.url.includes('/eudr/forest-layer') && c.method === 'GET').length).toBe(2),
    );
  });

  it("shows the gateway's list of problems with a layer", async () => {
    signIn('admin', 'ecta');
    stubFetch(() => ({
      status: 422,
      body: {
        status: 422,
        code: 'EUDR_LAYER_INVALID',
        title: 'Unprocessable',
        detail: 'the forest-loss layer has 1 problem',
        errors: [
          { path: 'features[1].properties.lossYear', message: 'loss before 2021 is not EUDR deforestation' },
        ],
      },
    }));
    renderAt(<ForestLayerPanel layer={undefined} canLoad onLoaded={() => undefined} />);
    expect(screen.getByTestId('layer-in-force')).toHaveTextContent('No forest-loss layer is loaded yet');
    const user = userEvent.setup();
    await user.upload(screen.getByLabelText('GeoJSON file'), file(JSON.stringify(newer)));
    await user.click(await screen.findByRole('button', { name: 'Load as the layer in force' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('EUDR_LAYER_INVALID');
    expect(alert).toHaveTextContent(/lossYear.*loss before 2021/);
  });

  it('shows the layer without the form to ECTA auditors, and no panel to other orgs', async () => {
    signIn('auditor', 'ecta');
    stubFetch((c) =>
      c.url.includes('/eudr/forest-layer')
        ? { status: 200, body: layer }
        : { status: 200, body: { items: [] } },
    );
    const { unmount } = renderAt(<PlotsPage />);
    const panel = await screen.findByRole('region', { name: 'Forest-loss layer' });
    expect(await within(panel).findByTestId('layer-in-force')).toHaveTextContent('synthetic test layer');
    expect(within(panel).queryByRole('form', { name: 'Load a forest-loss layer' })).toBeNull();
    unmount();
    signIn('exporter', 'commercial-bank');
    renderAt(<PlotsPage />);
    await screen.findByRole('form', { name: 'Register a plot' });
    expect(screen.queryByRole('region', { name: 'Forest-loss layer' })).toBeNull();
  });
});

describe('ECTA review queue', () => {
  it('records a reviewed outcome with its reason', async () => {
    signIn('ecta_officer', 'ecta');
    const calls = stubFetch((c) => {
      if (c.url.includes('/eudr/review-queue'))
        return { status: 200, body: { items: [plot('P-2', 'FLAGGED', point)] } };
      if (c.url.includes('/eudr/forest-layer')) return { status: 200, body: layer };
      if (c.url.includes('/review'))
        return { status: 200, body: { plotId: 'P-2', status: 'REVIEW_CLEARED' } };
      return undefined;
    });
    renderAt(<ReviewQueuePage />);
    const item = await screen.findByRole('region', { name: 'Plot P-2' });
    const user = userEvent.setup();
    await user.selectOptions(within(item).getByLabelText(/Outcome/), 'REVIEW_CLEARED');
    await user.type(within(item).getByLabelText(/Reason/), 'road cut, not farmland');
    await user.click(within(item).getByRole('button', { name: 'Record review' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true));
    const post = calls.find((c) => c.method === 'POST')!;
    expect(post.url).toBe('/gw/ecta/api/v1/eudr/plots/P-2/review');
    expect(post.body).toEqual({ outcome: 'REVIEW_CLEARED', note: 'road cut, not farmland' });
    expect(await screen.findByTestId('review-recorded')).toHaveTextContent('REVIEW_CLEARED');
  });

  it('says when a plot registered CLEAR was flagged by a re-screening against a newer layer', async () => {
    signIn('ecta_officer', 'ecta');
    stubFetch((c) => {
      if (c.url.includes('/eudr/review-queue'))
        return {
          status: 200,
          body: {
            items: [
              {
                ...plot('P-7', 'FLAGGED', polygon),
                rescreen: { fromLayerSha256: 'b'.repeat(64), at: '2026-11-02T10:00:00Z' },
              },
              plot('P-2', 'FLAGGED', point),
            ],
          },
        };
      if (c.url.includes('/eudr/forest-layer')) return { status: 200, body: layer };
      return undefined;
    });
    renderAt(<ReviewQueuePage />);
    const rescreened = await screen.findByRole('region', { name: 'Plot P-7' });
    expect(within(rescreened).getByTestId('rescreen-note')).toHaveTextContent(
      /Registered CLEAR against an earlier layer; flagged when ECTA re-screened it/,
    );
    const flaggedAtRegistration = screen.getByRole('region', { name: 'Plot P-2' });
    expect(within(flaggedAtRegistration).queryByTestId('rescreen-note')).toBeNull();
  });
});

describe('EUDR on the export', () => {
  it('groups the grader’s rows by lot', () => {
    expect(
      lotsOfRows([
        { lotId: 'L1', plotId: 'P-1', quantityKg: '700' },
        { lotId: 'L1', plotId: 'P-2', quantityKg: '500' },
        { lotId: '', plotId: 'P-3', quantityKg: '1' },
      ]),
    ).toEqual([
      {
        lotId: 'L1',
        plots: [
          { plotId: 'P-1', quantityKg: 700 },
          { plotId: 'P-2', quantityKg: 500 },
        ],
      },
    ]);
  });

  it('lets the exporter assemble only after the legality declaration, and download the package', async () => {
    signIn('exporter', 'commercial-bank', { exporterId: 'EXA' });
    let state: unknown = {
      required: true,
      lots: { lots: [{ lotId: 'L1', plots: [{ plotId: 'P-1', quantityKg: 1200 }] }] },
      package: null,
    };
    const calls = stubFetch((c) => {
      if (c.method === 'POST' && c.url.endsWith('/eudr/package')) {
        state = {
          required: true,
          lots: null,
          package: { status: 'ASSEMBLED', packageSha256: 'b'.repeat(64) },
        };
        return { status: 201, body: { status: 'ASSEMBLED' } };
      }
      if (c.url.endsWith('/eudr/package'))
        return { status: 200, body: { geojson: { type: 'FeatureCollection', features: [] }, summary: {} } };
      if (c.url.endsWith('/eudr')) return { status: 200, body: state };
      return undefined;
    });
    const saved = vi.fn();
    // jsdom cannot follow the download link; the blob URL being made is what counts here.
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    vi.stubGlobal(
      'URL',
      Object.assign(URL, {
        createObjectURL: () => {
          saved();
          return 'blob:x';
        },
        revokeObjectURL: () => undefined,
      }),
    );
    renderAt(<ExportEudrPanel exportId="EXP-1" exporterId="EXA" destinationCountry="DE" />);
    expect(await screen.findByTestId('eudr-status')).toHaveTextContent('Needed (EU destination)');
    const assemble = screen.getByRole('button', { name: 'Assemble DDS package' });
    expect(assemble).toBeDisabled();
    const user = userEvent.setup();
    await user.click(screen.getByLabelText(/I declare/));
    await user.click(assemble);
    await waitFor(() => expect(screen.getByTestId('eudr-status')).toHaveTextContent('ASSEMBLED'));
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ legalityDeclared: true });
    await user.click(screen.getByRole('button', { name: /Download package/ }));
    await waitFor(() => expect(saved).toHaveBeenCalled());
    expect(screen.queryByRole('button', { name: 'Approve DDS package' })).toBeNull();
  });

  it("offers no package download to a viewer outside the package's audience (ECX's grader)", async () => {
    signIn('grader', 'ecx');
    stubFetch((c) =>
      c.url.endsWith('/eudr')
        ? {
            status: 200,
            body: {
              required: true,
              lots: { lots: [] },
              package: { status: 'ASSEMBLED', packageSha256: 'b'.repeat(64) },
            },
          }
        : undefined,
    );
    renderAt(<ExportEudrPanel exportId="EXP-1" exporterId="EXA" destinationCountry="DE" />);
    expect(await screen.findByTestId('eudr-status')).toHaveTextContent('ASSEMBLED');
    expect(screen.queryByRole('button', { name: /Download package/ })).toBeNull();
  });

  it('shows no panel to a viewer the gateway refuses', async () => {
    signIn('fx_officer', 'national-bank');
    stubFetch(() => ({ status: 403, body: { code: 'FORBIDDEN_ORG' } }));
    renderAt(<ExportEudrPanel exportId="EXP-1" destinationCountry="DE" />);
    await waitFor(() => expect(screen.queryByText(/Loading EUDR/)).toBeNull());
    expect(screen.queryByTestId('eudr-panel')).toBeNull();
  });
});

describe('public verification', () => {
  it('shows whether a package is needed and its status, nothing else of EUDR', async () => {
    reloadSession();
    stubFetch(() => ({
      status: 200,
      body: {
        exportId: 'EXP-9',
        status: 'CUSTOMS_CLEARED',
        steps: [],
        documents: [],
        eudr: { required: true, packageStatus: 'APPROVED', clearable: true, plotIds: ['LEAK-PLOT'] },
      },
    }));
    renderAt(
      <Routes>
        <Route path="/verify/:id" element={<VerifyPage />} />
      </Routes>,
      '/verify/EXP-9',
    );
    expect(await screen.findByTestId('verify-eudr')).toHaveTextContent('needed; package Approved');
    expect(document.body.textContent).not.toContain('LEAK-PLOT');
  });
});
