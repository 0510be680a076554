/**
 * EUDR production plots: the map of the plots the gateway lets this user see (the owner exporter, its bank, ECTA,
 * ECX, Customs), their screening status, and for exporters the registration form (paste GeoJSON, or click the
 * map: one click for a point, several for a polygon). The gateway validates, screens and encrypts; each refusal
 * comes back with its own code and message, shown as it is.
 */
import { type FormEvent, type ReactElement, useMemo, useState } from 'react';
import type { Geometry } from 'geojson';
import { mayCallEudr } from '@coffee/consortium';
import { Field } from '../../components/Field';
import { orgByKey } from '../../config';
import { Empty, Loading, ProblemMessage, Success } from '../../components/ui';
import { useAsync } from '../../lib/useAsync';
import { usePageTitle } from '../../lib/usePageTitle';
import { useSession } from '../auth/session';
import { type Plot, type RegisteredPlot, getForestLayer, listPlots, registerPlot } from './eudrApi';
import { ForestLayerPanel } from './ForestLayerPanel';
import { PlotMap } from './PlotMap';
import './eudr.css';

/** A coordinate as GeoJSON text with exactly 6 decimals (the EUDR minimum; JSON numbers would drop zeros). */
const six = (n: number): string => n.toFixed(6);

/** The draft geometry from clicked points, as GeoJSON text: one point, or a closed ring of three or more. */
export function draftText(
  kind: 'Point' | 'Polygon',
  points: readonly [number, number][],
): string | undefined {
  if (kind === 'Point') {
    const p = points.at(-1);
    return p ? `{"type":"Point","coordinates":[${six(p[0])},${six(p[1])}]}` : undefined;
  }
  if (points.length < 3) return undefined;
  const ring = [...points, points[0]!].map(([x, y]) => `[${six(x)},${six(y)}]`).join(',');
  return `{"type":"Polygon","coordinates":[[${ring}]]}`;
}

function parsedOrNull(text: string): Geometry | null {
  try {
    const g = JSON.parse(text) as { type?: string; geometry?: Geometry };
    if (g?.type === 'Feature' && g.geometry) return g.geometry;
    return g?.type === 'Point' || g?.type === 'Polygon' ? (g as Geometry) : null;
  } catch {
    return null;
  }
}

function RegisterForm({ onDone }: { onDone: () => void }): ReactElement {
  const [geojson, setGeojson] = useState('');
  const [kind, setKind] = useState<'Point' | 'Polygon'>('Polygon');
  const [picked, setPicked] = useState<[number, number][]>([]);
  const [area, setArea] = useState('');
  const [region, setRegion] = useState('');
  const [woreda, setWoreda] = useState('');
  const [producerRef, setProducerRef] = useState('');
  const [harvestFrom, setHarvestFrom] = useState('');
  const [harvestTo, setHarvestTo] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<RegisteredPlot>();

  const text = geojson.trim() || draftText(kind, picked) || '';
  const draft = useMemo(() => (text ? parsedOrNull(text) : null), [text]);

  async function onSubmit(e: FormEvent): Promise<void> {
    e.preventDefault();
    setError(undefined);
    setDone(undefined);
    setBusy(true);
    try {
      const r = await registerPlot({
        // As text: the gateway counts the decimals as written.
        geometry: text,
        declaredAreaHa: Number(area),
        region,
        woreda,
        producerRef,
        harvestFrom,
        harvestTo,
      });
      setDone(r);
      setGeojson('');
      setPicked([]);
      onDone();
    } catch (err: unknown) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="reg-title">
      <h2 id="reg-title">Register a plot</h2>
      <p className="muted small">
        Paste the plot as GeoJSON (WGS84, at least 6 decimals; a polygon for 4 ha or more, a point below), or
        click the map: one click for a point, three or more corners for a polygon.
      </p>
      <div className="eudr-kind" role="group" aria-label="What a click on the map draws">
        {(['Polygon', 'Point'] as const).map((k) => (
          <label key={k}>
            <input
              type="radio"
              name="draw-kind"
              checked={kind === k}
              onChange={() => {
                setKind(k);
                setPicked([]);
              }}
            />{' '}
            {k === 'Polygon' ? 'Polygon corners' : 'Single point'}
          </label>
        ))}
        <button
          type="button"
          className="secondary"
          onClick={() => setPicked([])}
          disabled={picked.length === 0}
        >
          Clear clicked points ({picked.length})
        </button>
      </div>
      <PlotMap
        plots={[]}
        draft={draft}
        onPick={(p) => setPicked((prev) => (kind === 'Point' ? [p] : [...prev, p]))}
        label="Map for drawing the new plot: click to add a point"
      />
      <form onSubmit={(e) => void onSubmit(e)} noValidate aria-label="Register a plot">
        <Field
          label="Plot geometry (GeoJSON)"
          name="geojson"
          type="textarea"
          value={geojson || text}
          onChange={setGeojson}
          hint='e.g. {"type":"Point","coordinates":[38.470512,6.821384]}'
          required
        />
        <div className="grid">
          <Field
            label="Declared area (ha)"
            name="area"
            value={area}
            onChange={setArea}
            inputMode="decimal"
            required
          />
          <Field label="Region" name="region" value={region} onChange={setRegion} required />
          <Field label="Woreda" name="woreda" value={woreda} onChange={setWoreda} required />
          <Field
            label="Producer reference"
            name="producerRef"
            value={producerRef}
            onChange={setProducerRef}
            required
          />
          <Field
            label="Harvest from"
            name="harvestFrom"
            type="date"
            value={harvestFrom}
            onChange={setHarvestFrom}
            required
          />
          <Field
            label="Harvest to"
            name="harvestTo"
            type="date"
            value={harvestTo}
            onChange={setHarvestTo}
            required
          />
        </div>
        <button type="submit" disabled={busy || !text}>
          {busy ? 'Registering…' : 'Register plot'}
        </button>
      </form>
      <ProblemMessage error={error} />
      {done && (
        <Success>
          Plot <strong data-testid="registered-plot">{done.plotId}</strong> registered:{' '}
          <span data-testid="registered-status">{done.screening.status}</span>
          {done.screening.status === 'FLAGGED' &&
            ' — it overlaps the forest-loss layer; ECTA must review it before it can supply an EU-bound export.'}
        </Success>
      )}
    </section>
  );
}

export function PlotsTable({ plots }: { plots: readonly Plot[] }): ReactElement {
  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">Plots</caption>
        <thead>
          <tr>
            <th scope="col">Plot</th>
            <th scope="col">Kind</th>
            <th scope="col">Place</th>
            <th scope="col">Area (ha)</th>
            <th scope="col">Screening</th>
          </tr>
        </thead>
        <tbody>
          {plots.map((p) => (
            <tr key={p.plotId} data-testid="plot-row">
              <td data-label="Plot">
                <code>{p.plotId}</code>
              </td>
              <td data-label="Kind">{p.kind}</td>
              <td data-label="Place">
                {p.details ? `${p.details.woreda}, ${p.details.region}` : (p.detailsError?.code ?? '—')}
              </td>
              <td data-label="Area (ha)">{p.details?.areaHa ?? '—'}</td>
              <td data-label="Screening">
                <span className={`badge eudr-${p.screening.status.toLowerCase()}`}>{p.screening.status}</span>
                {p.screening.overlapHa > 0 && (
                  <span className="small"> ({p.screening.overlapHa} ha overlap)</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function mapPlots(plots: readonly Plot[]): { plotId: string; status: string; geometry: Geometry }[] {
  return plots.flatMap((p) =>
    p.details ? [{ plotId: p.plotId, status: p.screening.status, geometry: p.details.geometry }] : [],
  );
}

export function PlotsPage(): ReactElement {
  usePageTitle('EUDR plots');
  const session = useSession();
  const plots = useAsync(() => listPlots(true), []);
  const layer = useAsync(() => getForestLayer(true).catch(() => undefined), []);
  const shown = useMemo(() => mapPlots(plots.data ?? []), [plots.data]);
  const loss = useMemo(
    () => (layer.data?.features ?? []).map((f) => ({ geometry: f.geometry, id: f.id })),
    [layer.data],
  );
  return (
    <section aria-labelledby="plots-title">
      <h1 id="plots-title">EUDR production plots</h1>
      <p className="muted">
        Where the coffee comes from, screened against the forest-loss-after-2020 layer ECTA loaded
        {layer.data ? ` (${layer.data.name}, ${layer.data.featureCount} polygons)` : ''}. Geometries and
        producers are encrypted; the ledger holds only a salted commitment and the screening result.
      </p>
      {plots.loading && <Loading label="Loading plots…" />}
      <ProblemMessage error={plots.error} onRetry={plots.reload} />
      {plots.data && (
        <section className="card" aria-labelledby="map-title">
          <h2 id="map-title">Map</h2>
          <PlotMap plots={shown} loss={loss} label="Registered plots and the forest-loss layer" />
          {plots.data.length === 0 ? (
            <Empty>No plots yet{session?.user.role === 'exporter' ? ': register one below.' : '.'}</Empty>
          ) : (
            <PlotsTable plots={plots.data} />
          )}
        </section>
      )}
      {session?.user.role === 'exporter' && <RegisterForm onDone={plots.reload} />}
      {session?.org === 'ecta' && (
        <ForestLayerPanel
          layer={layer.data}
          loading={layer.loading}
          canLoad={mayCallEudr('SetForestLayer', orgByKey(session.org).msp, session.user.role)}
          onLoaded={layer.reload}
        />
      )}
    </section>
  );
}
