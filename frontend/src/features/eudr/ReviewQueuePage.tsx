/**
 * ECTA's screening review queue: plots that overlap the forest-loss layer (FLAGGED) block every EU-bound package
 * they feed until an ECTA officer records a reviewed outcome here (cleared, or rejected for EU-bound coffee).
 */
import { type ReactElement, useMemo, useState } from 'react';
import { Field, options } from '../../components/Field';
import { Empty, Loading, ProblemMessage, Success } from '../../components/ui';
import { useAsync } from '../../lib/useAsync';
import { usePageTitle } from '../../lib/usePageTitle';
import { useSession } from '../auth/session';
import { type Plot, getForestLayer, reviewPlot, reviewQueue } from './eudrApi';
import { PlotMap } from './PlotMap';
import { mapPlots } from './PlotsPage';
import './eudr.css';

const OUTCOMES = ['REVIEW_CLEARED', 'REVIEW_REJECTED'] as const;

function ReviewForm({
  plot,
  onDone,
}: {
  plot: Plot;
  onDone: (outcome: 'REVIEW_CLEARED' | 'REVIEW_REJECTED') => void;
}): ReactElement {
  const [outcome, setOutcome] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  return (
    <form
      aria-label={`Review plot ${plot.plotId}`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (outcome !== 'REVIEW_CLEARED' && outcome !== 'REVIEW_REJECTED') return;
        setBusy(true);
        setError(undefined);
        reviewPlot(plot.plotId, { outcome, note }).then(
          () => {
            setBusy(false);
            onDone(outcome);
          },
          (err: unknown) => {
            setError(err);
            setBusy(false);
          },
        );
      }}
    >
      <Field
        label="Outcome"
        name="outcome"
        type="select"
        value={outcome}
        onChange={setOutcome}
        options={options(OUTCOMES, (v) =>
          v === 'REVIEW_CLEARED' ? 'Cleared (no deforestation)' : 'Rejected',
        )}
        required
      />
      <Field label="Reason" name="note" type="textarea" value={note} onChange={setNote} required />
      <button type="submit" disabled={busy || !outcome || !note.trim()}>
        Record review
      </button>
      <ProblemMessage error={error} />
    </form>
  );
}

export function ReviewQueuePage(): ReactElement {
  usePageTitle('EUDR screening review');
  const session = useSession();
  const queue = useAsync(() => reviewQueue(), []);
  const layer = useAsync(() => getForestLayer(true).catch(() => undefined), []);
  const shown = useMemo(() => mapPlots(queue.data ?? []), [queue.data]);
  const loss = useMemo(
    () => (layer.data?.features ?? []).map((f) => ({ geometry: f.geometry, id: f.id })),
    [layer.data],
  );
  const officer = session?.user.role === 'ecta_officer';
  // Shown above the queue: the reviewed plot leaves it (read model) as soon as the review is recorded.
  const [recorded, setRecorded] = useState<{ plotId: string; outcome: string }>();
  return (
    <section aria-labelledby="rq-title">
      <h1 id="rq-title">EUDR screening review</h1>
      <p className="muted">
        Plots that overlap the forest-loss-after-2020 layer. Each blocks the EU-bound packages it feeds until
        it is reviewed.
      </p>
      {recorded && (
        <Success>
          Review of <code>{recorded.plotId}</code> recorded on the ledger:{' '}
          <span data-testid="review-recorded">{recorded.outcome}</span>
        </Success>
      )}
      {queue.loading && <Loading label="Loading the queue…" />}
      <ProblemMessage error={queue.error} onRetry={queue.reload} />
      {queue.data && (
        <>
          <PlotMap plots={shown} loss={loss} label="Flagged plots and the forest-loss layer" />
          {queue.data.length === 0 ? (
            <Empty>No plot awaits review.</Empty>
          ) : (
            queue.data.map((p) => (
              <section
                className="card"
                key={p.plotId}
                aria-label={`Plot ${p.plotId}`}
                data-testid="review-item"
              >
                <h2>
                  <code>{p.plotId}</code> · exporter {p.exporterId}
                </h2>
                <p>
                  Overlap with forest loss: <strong>{p.screening.overlapHa} ha</strong>
                  {p.details &&
                    ` · ${p.details.woreda}, ${p.details.region} · ${p.details.areaHa} ha · producer ${p.details.producerRef}`}
                </p>
                {p.rescreen && (
                  <p data-testid="rescreen-note">
                    Registered CLEAR against an earlier layer; flagged when ECTA re-screened it against the
                    layer now in force
                    {p.rescreen.at && ` (${new Date(p.rescreen.at).toLocaleDateString()})`}.
                  </p>
                )}
                {officer ? (
                  <ReviewForm
                    plot={p}
                    onDone={(outcome) => {
                      setRecorded({ plotId: p.plotId, outcome });
                      queue.refresh();
                    }}
                  />
                ) : (
                  <p className="muted small">ECTA officers record reviews.</p>
                )}
              </section>
            ))
          )}
        </>
      )}
    </section>
  );
}
