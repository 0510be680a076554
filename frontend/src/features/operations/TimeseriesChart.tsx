/**
 * One time series panel drawn with uPlot (a canvas chart). uPlot is loaded when a chart is first drawn: it reads
 * window.matchMedia and a canvas 2D context as soon as it is imported, which a browser has and jsdom (the unit
 * tests) has not — there the chart says so instead of throwing. A visually hidden list gives every line's latest
 * value for screen readers (the canvas itself is an image to them).
 */
import 'uplot/dist/uPlot.min.css';
import { type ReactElement, useEffect, useRef, useState } from 'react';
import type uPlot from 'uplot';
import type { OperationsTimeseries } from '../../api/client';

/** Distinct, readable on white (each at least 3:1 against it), in the order the lines come. */
const COLORS = ['#1f6feb', '#c2410c', '#15803d', '#7c3aed', '#b91c1c', '#0e7490', '#a16207', '#be185d'];
const HEIGHT = 220;

/** A value in the panel's unit, for the axis, the legend and the text alternative. */
export function formatValue(unit: string, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (unit === 'seconds') return v < 1 ? `${Math.round(v * 1000)} ms` : `${v.toFixed(v < 10 ? 2 : 1)} s`;
  if (unit === 'tx/s') return `${v.toFixed(v < 10 ? 2 : 1)} tx/s`;
  if (unit === 'blocks') return Number.isInteger(v) ? String(v) : v.toFixed(1);
  return String(Math.round(v * 100) / 100);
}

/** Why uPlot cannot draw here (no matchMedia or no canvas 2D context), or undefined when it can. */
function cannotDraw(): string | undefined {
  if (typeof window === 'undefined' || typeof window.matchMedia !== 'function')
    return 'this browser cannot draw charts (no matchMedia)';
  try {
    if (!document.createElement('canvas').getContext('2d'))
      return 'this browser cannot draw charts (no canvas)';
  } catch {
    return 'this browser cannot draw charts (no canvas)';
  }
  return undefined;
}

export function TimeseriesChart({ panel }: { panel: OperationsTimeseries }): ReactElement {
  const box = useRef<HTMLDivElement>(null);
  /** The environment cannot draw (jsdom): a note, not an error. */
  const [unsupported, setUnsupported] = useState<string>();
  /** uPlot failed where it should have drawn: the panel's error. */
  const [failed, setFailed] = useState<string>();
  const [drawn, setDrawn] = useState(false);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const why = cannotDraw();
    if (why) {
      setUnsupported(why);
      return;
    }
    let plot: uPlot | undefined;
    let observer: ResizeObserver | undefined;
    let gone = false;
    import('uplot')
      .then(({ default: UPlot }) => {
        if (gone) return;
        const width = (): number => Math.max(240, Math.floor(el.clientWidth));
        const fmt = (v: number | null): string => formatValue(panel.unit, v);
        const opts: uPlot.Options = {
          width: width(),
          height: HEIGHT,
          scales: { x: { time: true } },
          series: [
            {},
            ...panel.series.map((s, i) => ({
              label: s.name,
              stroke: COLORS[i % COLORS.length],
              width: 2,
              value: (_u: uPlot, v: number | null) => fmt(v),
            })),
          ],
          axes: [{}, { size: 70, values: (_u: uPlot, vals: number[]) => vals.map((v) => fmt(v)) }],
        };
        const data: uPlot.AlignedData = [panel.timestamps, ...panel.series.map((s) => s.values)];
        el.replaceChildren();
        plot = new UPlot(opts, data, el);
        setFailed(undefined);
        setDrawn(true);
        // Follows the panel's width (the grid reflows from one column on a phone to two on a desktop).
        if (typeof ResizeObserver === 'function') {
          observer = new ResizeObserver(() => plot?.setSize({ width: width(), height: HEIGHT }));
          observer.observe(el);
        }
      })
      .catch((e: unknown) => {
        if (!gone) setFailed(e instanceof Error ? e.message : String(e));
      });
    return () => {
      gone = true;
      observer?.disconnect();
      plot?.destroy();
    };
  }, [panel]);

  return (
    <figure className="ops-figure">
      <div
        ref={box}
        className="ops-chart"
        data-testid="panel-chart"
        data-drawn={drawn ? 'true' : 'false'}
        role="img"
        aria-label={`${panel.title}: chart of ${panel.series.map((s) => s.name).join(', ')}`}
      />
      {unsupported && <p className="muted">Chart not shown: {unsupported}.</p>}
      {failed && (
        <p className="problem" role="alert" data-testid="panel-error">
          The chart could not be drawn: {failed}
        </p>
      )}
      <figcaption className="sr-only">
        Latest values:{' '}
        {panel.series
          .map(
            (s) =>
              `${s.name} ${formatValue(
                panel.unit,
                [...s.values].reverse().find((v) => v !== null),
              )}`,
          )
          .join('; ')}
      </figcaption>
    </figure>
  );
}
