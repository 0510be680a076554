/**
 * ECTA's forest-loss layer on the plots page: the layer in force (name, version, polygons, SHA-256, when it was
 * loaded) and, for ECTA's officers and admins, loading a newer one from a GeoJSON file. The file is read and checked
 * here first (valid JSON, a FeatureCollection with features), its name and polygon count shown, and sent only when
 * the officer confirms; the gateway validates every polygon (EUDR_LAYER_INVALID lists the problems). Plots
 * registered from then on are screened against the new layer, and ECTA's approvals re-screen the plots of each
 * package with it (docs/eudr.md).
 */
import { type FormEvent, type ReactElement, useState } from 'react';
import { Loading, ProblemMessage, Success } from '../../components/ui';
import { type ForestLayerView, type LoadedLayer, loadForestLayer } from './eudrApi';

/** A file as read here: the parsed GeoJSON and what the officer confirms, or why it cannot be sent. */
export type LayerFile =
  { ok: true; geojson: unknown; name: string; featureCount: number } | { ok: false; problem: string };

/** Reads a layer file's text: JSON, a FeatureCollection with at least one feature. */
export function readLayerFile(fileName: string, text: string): LayerFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e: unknown) {
    return { ok: false, problem: `${fileName} is not valid JSON: ${(e as Error).message}` };
  }
  const fc = value as { type?: unknown; name?: unknown; features?: unknown } | null;
  if (fc === null || typeof fc !== 'object' || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features))
    return { ok: false, problem: `${fileName} is not a GeoJSON FeatureCollection` };
  if (fc.features.length === 0) return { ok: false, problem: `${fileName} has no features` };
  return {
    ok: true,
    geojson: value,
    name: typeof fc.name === 'string' && fc.name.trim() ? fc.name : fileName,
    featureCount: fc.features.length,
  };
}

const shortHash = (sha: string): string => `${sha.slice(0, 12)}…`;

/** A picked file's text (FileReader: every browser, and the tests' DOM). */
function fileText(f: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === 'string' ? reader.result : '');
    reader.onerror = () => reject(reader.error ?? new Error(`cannot read ${f.name}`));
    reader.readAsText(f);
  });
}

export function ForestLayerPanel({
  layer,
  loading = false,
  canLoad,
  onLoaded,
}: {
  /** The layer in force, undefined when none is loaded (or it could not be read). */
  layer: ForestLayerView | undefined;
  /** The layer in force is being read. */
  loading?: boolean;
  canLoad: boolean;
  onLoaded: () => void;
}): ReactElement {
  const [file, setFile] = useState<LayerFile>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [loaded, setLoaded] = useState<LoadedLayer>();

  async function pick(f: File | undefined): Promise<void> {
    setError(undefined);
    setLoaded(undefined);
    if (!f) {
      setFile(undefined);
      return;
    }
    try {
      setFile(readLayerFile(f.name, await fileText(f)));
    } catch (err: unknown) {
      setFile({ ok: false, problem: `${f.name} could not be read: ${(err as Error).message}` });
    }
  }

  async function onSubmit(e: FormEvent): Promise<void> {
    e.preventDefault();
    if (!file?.ok) return;
    setBusy(true);
    setError(undefined);
    try {
      setLoaded(await loadForestLayer(file.geojson));
      setFile(undefined);
      onLoaded();
    } catch (err: unknown) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="layer-title" data-testid="forest-layer">
      <h2 id="layer-title">Forest-loss layer</h2>
      {loading && !layer ? (
        <Loading label="Loading the layer in force…" />
      ) : layer ? (
        <p data-testid="layer-in-force">
          In force: <strong>{layer.name}</strong>
          {layer.version !== undefined && ` (version ${layer.version})`}, {layer.featureCount} polygons,
          SHA-256 <code title={layer.sha256}>{shortHash(layer.sha256)}</code>
          {layer.setAt && `, loaded ${new Date(layer.setAt).toLocaleString()}`}.
        </p>
      ) : (
        <p data-testid="layer-in-force">No forest-loss layer is loaded yet: no plot can be registered.</p>
      )}
      {loaded && (
        <Success>
          Layer <strong>{loaded.name}</strong> loaded: {loaded.featureCount} polygons, SHA-256{' '}
          <code data-testid="layer-loaded-sha">{loaded.sha256}</code>. Plots registered from now on are
          screened against it, and approvals re-screen each package&apos;s plots with it.
        </Success>
      )}
      {canLoad && (
        <form onSubmit={(e) => void onSubmit(e)} noValidate aria-label="Load a forest-loss layer">
          <p className="muted small">
            A GeoJSON FeatureCollection of polygons of tree-cover loss after 31 December 2020 (WGS84). It
            replaces the layer in force for every organization.
          </p>
          <label htmlFor="layer-file">GeoJSON file</label>
          <input
            id="layer-file"
            name="layer-file"
            type="file"
            accept=".geojson,.json,application/geo+json,application/json"
            onChange={(e) => void pick(e.target.files?.[0])}
          />
          {file && !file.ok && (
            <p className="error form-error" role="alert">
              {file.problem}
            </p>
          )}
          {file?.ok && (
            <p data-testid="layer-file-summary">
              <strong>{file.name}</strong>: {file.featureCount} features.
            </p>
          )}
          <button type="submit" disabled={busy || !file?.ok}>
            {busy ? 'Loading…' : 'Load as the layer in force'}
          </button>
          <ProblemMessage error={error} />
        </form>
      )}
    </section>
  );
}
