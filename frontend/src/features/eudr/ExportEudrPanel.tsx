/**
 * An export's EUDR step, on its detail page: whether it needs a due diligence package (EU destination), ECX's
 * lot-to-plot links (the grader records them), the package (the exporter assembles and downloads it, ECTA
 * approves it after re-screening every plot, the exporter records the DDS reference). Only the role whose step it
 * is gets a form; the gateway refuses anyone else anyway.
 */
import { type ReactElement, useState } from 'react';
import { canReadDdsPackage, isEuDestination } from '@coffee/consortium';
import { Field } from '../../components/Field';
import { Loading, ProblemMessage, Success } from '../../components/ui';
import { saveBlob } from '../../lib/download';
import { useAsync } from '../../lib/useAsync';
import { useSession } from '../auth/session';
import { viewerOf } from '../../lib/access';
import {
  type ExportEudr,
  type LotLink,
  approvePackage,
  assemblePackage,
  downloadPackage,
  exportEudr,
  linkLots,
  recordReference,
} from './eudrApi';

interface Row {
  lotId: string;
  plotId: string;
  quantityKg: string;
}

/** Rows of the lot form grouped by lot (a lot may come from several plots). */
export function lotsOfRows(rows: readonly Row[]): LotLink[] {
  const lots = new Map<string, LotLink>();
  for (const r of rows) {
    if (!r.lotId.trim() || !r.plotId.trim()) continue;
    const lot = lots.get(r.lotId.trim()) ?? { lotId: r.lotId.trim(), plots: [] };
    lot.plots.push({ plotId: r.plotId.trim(), quantityKg: Number(r.quantityKg) });
    lots.set(lot.lotId, lot);
  }
  return [...lots.values()];
}

function LotsForm({ exportId, onDone }: { exportId: string; onDone: () => void }): ReactElement {
  const [rows, setRows] = useState<Row[]>([{ lotId: '', plotId: '', quantityKg: '' }]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const set = (i: number, k: keyof Row, v: string): void =>
    setRows((prev) => prev.map((r, j) => (j === i ? { ...r, [k]: v } : r)));
  return (
    <form
      aria-label="Link lots to plots"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        setError(undefined);
        linkLots(exportId, lotsOfRows(rows)).then(
          () => {
            setBusy(false);
            onDone();
          },
          (err: unknown) => {
            setError(err);
            setBusy(false);
          },
        );
      }}
    >
      <h3>Lots and the plots they came from</h3>
      {rows.map((r, i) => (
        <div className="eudr-lot-row" key={i}>
          <Field
            label={`Lot ${i + 1}`}
            name={`lot-${i}`}
            value={r.lotId}
            onChange={(v) => set(i, 'lotId', v)}
          />
          <Field
            label={`Plot ${i + 1}`}
            name={`plot-${i}`}
            value={r.plotId}
            onChange={(v) => set(i, 'plotId', v)}
          />
          <Field
            label={`Quantity ${i + 1} (kg)`}
            name={`qty-${i}`}
            value={r.quantityKg}
            inputMode="numeric"
            onChange={(v) => set(i, 'quantityKg', v)}
          />
          <button
            type="button"
            className="secondary"
            onClick={() => setRows((prev) => prev.filter((_r, j) => j !== i))}
            disabled={rows.length === 1}
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        className="secondary"
        onClick={() =>
          setRows((prev) => [...prev, { lotId: prev.at(-1)?.lotId ?? '', plotId: '', quantityKg: '' }])
        }
      >
        Add a plot
      </button>{' '}
      <button type="submit" disabled={busy || lotsOfRows(rows).length === 0}>
        Record lot links
      </button>
      <ProblemMessage error={error} />
    </form>
  );
}

function Act({
  label,
  run,
  onDone,
  confirm,
}: {
  label: string;
  run: () => Promise<unknown>;
  onDone: () => void;
  confirm?: string;
}): ReactElement {
  const [ok, setOk] = useState(!confirm);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  return (
    <div className="eudr-act">
      {confirm && (
        <label className="small">
          <input type="checkbox" checked={ok} onChange={(e) => setOk(e.target.checked)} /> {confirm}
        </label>
      )}
      <button
        type="button"
        disabled={!ok || busy}
        onClick={() => {
          setBusy(true);
          setError(undefined);
          run().then(
            () => {
              setBusy(false);
              onDone();
            },
            (err: unknown) => {
              setError(err);
              setBusy(false);
            },
          );
        }}
      >
        {busy ? 'Working…' : label}
      </button>
      <ProblemMessage error={error} />
    </div>
  );
}

function referenceText(pkg: NonNullable<ExportEudr['package']>): string | undefined {
  const r = pkg.reference;
  return typeof r === 'string' ? r : r?.reference;
}

export function ExportEudrPanel({
  exportId,
  exporterId,
  destinationCountry,
}: {
  exportId: string;
  /** The export's exporter: the package's readers are its own exporter's staff, ECTA and Customs. */
  exporterId?: string;
  destinationCountry?: string;
}): ReactElement | null {
  const session = useSession();
  const state = useAsync(() => exportEudr(exportId), [exportId]);
  const [reference, setReference] = useState('');
  const [downloadError, setDownloadError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const role = session?.user.role;
  const org = session?.org;
  // Outside the EU, nothing to show unless ECX linked lots anyway.
  const euBound = destinationCountry ? isEuDestination(destinationCountry) : state.data?.required;
  if (state.loading && !state.data) return <Loading label="Loading EUDR status…" />;
  // A viewer the gateway refuses (another org's staff outside the policy) simply has no EUDR panel.
  if (state.error || !state.data) return null;
  const { required, lots, package: pkg } = state.data;
  if (!euBound && !required && !lots) return null;
  const exporter = role === 'exporter' && org === 'commercial-bank';
  const reload = state.refresh;
  return (
    <section className="card" aria-labelledby="eudr-title" data-testid="eudr-panel">
      <h2 id="eudr-title">EU deforestation due diligence</h2>
      <p data-testid="eudr-status">
        {required ? 'Needed (EU destination). ' : 'Not needed (destination outside the EU). '}
        Package: <strong>{pkg ? pkg.status : 'not assembled'}</strong>
        {pkg && referenceText(pkg) ? ` · DDS reference ${referenceText(pkg)}` : ''}
      </p>
      {lots && (
        <ul aria-label="Lot links" className="small">
          {lots.lots.map((l) => (
            <li key={l.lotId}>
              Lot <code>{l.lotId}</code>: {l.plots.map((p) => `${p.plotId} (${p.quantityKg} kg)`).join(', ')}
            </li>
          ))}
        </ul>
      )}
      {role === 'grader' && org === 'ecx' && <LotsForm exportId={exportId} onDone={reload} />}
      {exporter && required && (!pkg || pkg.status === 'ASSEMBLED') && (
        <Act
          label={pkg ? 'Re-assemble DDS package' : 'Assemble DDS package'}
          confirm="I declare the coffee was produced in accordance with the relevant legislation of Ethiopia"
          run={() => assemblePackage(exportId)}
          onDone={reload}
        />
      )}
      {role === 'ecta_officer' && pkg?.status === 'ASSEMBLED' && (
        <Act label="Approve DDS package" run={() => approvePackage(exportId)} onDone={reload} />
      )}
      {pkg && session && exporterId && canReadDdsPackage(viewerOf(session), { exporterId }) && (
        <div className="eudr-act">
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setDownloadError(undefined);
              downloadPackage(exportId).then(
                (doc) => {
                  saveBlob(JSON.stringify(doc, null, 2), `eudr-dds-${exportId}.json`);
                  setSaved(true);
                },
                (err: unknown) => setDownloadError(err),
              );
            }}
          >
            Download package (GeoJSON + summary)
          </button>
          {saved && <Success>Package saved.</Success>}
          <ProblemMessage error={downloadError} />
        </div>
      )}
      {exporter && pkg?.status === 'APPROVED' && (
        <div className="eudr-act">
          <Field
            label="DDS reference number"
            name="ddsReference"
            value={reference}
            onChange={setReference}
            hint="The number the EU importer obtained from the EU Information System"
          />
          <Act
            label="Record DDS reference"
            run={() => recordReference(exportId, reference.trim())}
            onDone={reload}
          />
        </div>
      )}
    </section>
  );
}
