/**
 * The portal's Operations page, drawn from the consortium's Prometheus (network/src/monitoring.ts) through this
 * gateway: a fixed set of named panels, each a PromQL query written here. The browser never sends PromQL — it
 * picks a range (15 min, 1 h, 6 h) and gets the panels' numbers — so a user can only ever see what these queries
 * select.
 *
 * What an org's admin or auditor may see:
 * - node-level data of the whole consortium (block height per peer and orderer, transactions per second): the
 *   shared ledger's health, the same for everyone;
 * - this org's own gateway and business numbers only (latency, projector lag, exports by status, turnaround):
 *   each of those queries is pinned to `org="<this gateway's org>"`, the label the scrape configuration puts on
 *   every gateway target — another org's business stays invisible;
 * - the alerts now firing about nodes (peers, orderers, CAs), the Raft cluster, and this org's gateway.
 *
 * Prometheus unreachable, not configured or too slow (a few seconds) is one 503 MONITORING_UNAVAILABLE; one
 * query Prometheus refuses is an error on that panel alone.
 */
import { CHANNEL } from '@coffee/consortium';
import { AppError } from '../errors.ts';

/** The ranges the page offers: how far back, the step between points, the rate() window. */
export const RANGES = {
  '15m': { seconds: 15 * 60, step: 15, window: '1m' },
  '1h': { seconds: 3600, step: 60, window: '2m' },
  '6h': { seconds: 6 * 3600, step: 300, window: '10m' },
} as const;
export type RangeKey = keyof typeof RANGES;
export const RANGE_KEYS = Object.keys(RANGES) as [RangeKey, ...RangeKey[]];

/** How long one call to Prometheus may take before the page is told monitoring is unavailable. */
export const DEFAULT_PROMETHEUS_TIMEOUT_MS = 4000;

export interface PanelError {
  code: string;
  detail: string;
}

export interface TimeseriesPanel {
  id: string;
  title: string;
  description: string;
  kind: 'timeseries';
  /** What the values measure: `blocks`, `tx/s`, `seconds`. */
  unit: string;
  /** Seconds since the epoch, one per step of the range (the same grid for every series). */
  timestamps: number[];
  /** One line each; null where Prometheus has no (finite) value at that step. */
  series: { name: string; values: (number | null)[] }[];
  error?: PanelError;
}

export interface TablePanel {
  id: string;
  title: string;
  description: string;
  kind: 'table';
  columns: { key: string; label: string; unit?: string }[];
  rows: Record<string, string | number | null>[];
  error?: PanelError;
}

export type Panel = TimeseriesPanel | TablePanel;

export interface OperationsView {
  org: string;
  range: RangeKey;
  start: number;
  end: number;
  step: number;
  panels: Panel[];
}

/** Prometheus did not answer (not configured, unreachable, too slow, not ready). */
export class MonitoringUnavailableError extends AppError {
  readonly retryAfterSeconds = 15;
  constructor(detail: string, cause?: unknown) {
    super(503, 'MONITORING_UNAVAILABLE', detail, { cause });
    this.name = 'MonitoringUnavailableError';
  }
}

/** Prometheus answered, but refused this query (a bad expression, a query timeout of its own …). */
class QueryRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryRefused';
  }
}

interface PromResponse<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
}
interface MatrixResult {
  resultType: 'matrix';
  result: { metric: Record<string, string>; values: [number, string][] }[];
}
interface VectorResult {
  resultType: 'vector';
  result: { metric: Record<string, string>; value: [number, string] }[];
}
export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'firing' | 'pending' | 'inactive';
  activeAt?: string;
  value?: string;
}

/** A Prometheus sample value as a number, or null for NaN and ±Inf (a quantile of nothing is NaN). */
export function sampleValue(raw: string): number | null {
  const n = Number(raw);
  return Number.isFinite(n) ? n : null;
}

/**
 * Whether this org's admin or auditor sees an alert: node-level ones (peers, orderers, CAs, and rules aggregated
 * over nodes, which carry no org), and this org's gateway's; not another org's gateway alerts.
 */
export function alertVisibleTo(org: string, labels: Record<string, string>): boolean {
  const job = labels.job;
  if (job === 'peer' || job === 'orderer' || job === 'ca') return true;
  if (job === 'gateway') return labels.org === org;
  return labels.org === undefined || labels.org === org || labels.org === 'orderer';
}

/** The fixed grid of a range ending now: whole steps, so successive loads line up. */
export function rangeGrid(range: RangeKey, nowMs: number): { start: number; end: number; step: number } {
  const { seconds, step } = RANGES[range];
  const end = Math.floor(nowMs / 1000 / step) * step;
  return { start: end - seconds, end, step };
}

interface SeriesQuery {
  expr: string;
  /** The line's name: a label of the result, or a fixed name. */
  name: { label: string } | { fixed: string };
}

export class OperationsService {
  readonly #url: string | undefined;
  readonly #org: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;

  constructor(
    config: { org: { id: string }; prometheusUrl?: string },
    opts: { timeoutMs?: number; fetch?: typeof fetch; now?: () => number } = {},
  ) {
    // The org id goes into PromQL label matchers: it must be a plain id (it is: @coffee/consortium's ORG_IDS).
    if (!/^[a-z][a-z0-9-]*$/.test(config.org.id)) throw new Error(`unexpected org id ${config.org.id}`);
    this.#url = config.prometheusUrl?.replace(/\/+$/, '');
    this.#org = config.org.id;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_PROMETHEUS_TIMEOUT_MS;
    this.#fetch = opts.fetch ?? fetch;
    this.#now = opts.now ?? Date.now;
  }

  /** Every panel of the page for this range. */
  async panels(range: RangeKey): Promise<OperationsView> {
    if (!this.#url)
      throw new MonitoringUnavailableError(
        'no Prometheus is configured for this gateway (PROMETHEUS_URL); the Operations page needs one',
      );
    const grid = rangeGrid(range, this.#now());
    const { window } = RANGES[range];
    const org = `org="${this.#org}"`;
    const gw = `job="gateway", ${org}`;
    const panels = await Promise.all([
      this.#timeseries(
        {
          id: 'block-height',
          title: 'Block height per node',
          description: `Blocks on ${CHANNEL} at every peer and orderer of the consortium`,
          unit: 'blocks',
        },
        grid,
        [
          {
            expr: `max by (instance) (ledger_blockchain_height{job=~"peer|orderer", channel="${CHANNEL}"})`,
            name: { label: 'instance' },
          },
        ],
      ),
      this.#timeseries(
        {
          id: 'tx-rate',
          title: 'Transactions per second',
          description: `Transactions each peer committed to ${CHANNEL} (valid or not), per second over ${window}`,
          unit: 'tx/s',
        },
        grid,
        [
          {
            expr: `sum by (instance) (rate(ledger_transaction_count{job="peer", channel="${CHANNEL}"}[${window}]))`,
            name: { label: 'instance' },
          },
        ],
      ),
      this.#timeseries(
        {
          id: 'latency',
          title: 'Gateway latency percentiles',
          description: `This organization's gateway: request duration over ${window} (the live event stream left out)`,
          unit: 'seconds',
        },
        grid,
        [0.5, 0.95, 0.99].map((q) => ({
          expr: `histogram_quantile(${q}, sum by (le) (rate(gateway_http_request_duration_seconds_bucket{${gw}, route!~".*/events"}[${window}])))`,
          name: { fixed: `p${q * 100}` },
        })),
      ),
      this.#timeseries(
        {
          id: 'projector-lag',
          title: 'Projector lag',
          description: "Blocks this organization's read model trails its peer by",
          unit: 'blocks',
        },
        grid,
        [{ expr: `max(coffee_projector_lag_blocks{${gw}})`, name: { fixed: 'lag' } }],
      ),
      this.#table(
        {
          id: 'exports-by-status',
          title: 'Exports by status',
          description: "Exports in this organization's read model, by their current status",
          columns: [
            { key: 'status', label: 'Status' },
            { key: 'exports', label: 'Exports' },
          ],
        },
        async () => {
          const rows = await this.#instant(`sum by (status) (coffee_exports{${gw}})`, grid.end);
          return rows
            .map((r) => ({ status: r.metric.status ?? '', exports: sampleValue(r.value[1]) }))
            .filter((r) => r.status !== '')
            .sort((a, b) => (b.exports ?? 0) - (a.exports ?? 0) || a.status.localeCompare(b.status));
        },
      ),
      this.#table(
        {
          id: 'turnaround',
          title: 'Turnaround at this agency',
          description:
            'How long exports waited in a step before this organization moved them on, by the step left (since the gateway started; quantiles estimated from histogram buckets)',
          columns: [
            { key: 'state', label: 'Step left' },
            { key: 'steps', label: 'Exports moved on' },
            { key: 'p50', label: 'Median wait', unit: 'seconds' },
            { key: 'p90', label: '90th percentile', unit: 'seconds' },
          ],
        },
        async () => {
          const bucket = `coffee_time_in_state_seconds_bucket{${gw}}`;
          const [counts, p50, p90] = await Promise.all([
            this.#instant(`sum by (state) (coffee_time_in_state_seconds_count{${gw}})`, grid.end),
            this.#instant(`histogram_quantile(0.5, sum by (state, le) (${bucket}))`, grid.end),
            this.#instant(`histogram_quantile(0.9, sum by (state, le) (${bucket}))`, grid.end),
          ]);
          const byState = (rows: VectorResult['result'], state: string): number | null => {
            const row = rows.find((r) => r.metric.state === state);
            return row ? sampleValue(row.value[1]) : null;
          };
          return counts
            .filter((r) => r.metric.state && (sampleValue(r.value[1]) ?? 0) > 0)
            .map((r) => ({
              state: r.metric.state!,
              steps: sampleValue(r.value[1]),
              p50: byState(p50, r.metric.state!),
              p90: byState(p90, r.metric.state!),
            }))
            .sort((a, b) => a.state.localeCompare(b.state));
        },
      ),
      this.#table(
        {
          id: 'alerts',
          title: 'Alerts now firing',
          description:
            "Alert rules (network/monitoring/alerts.yml) firing or about to (pending) for the consortium's nodes and this organization's gateway",
          columns: [
            { key: 'alert', label: 'Alert' },
            { key: 'state', label: 'State' },
            { key: 'severity', label: 'Severity' },
            { key: 'summary', label: 'Summary' },
            { key: 'since', label: 'Active since' },
          ],
        },
        async () => {
          const { alerts } = await this.#get<{ alerts: PromAlert[] }>('/api/v1/alerts', {});
          return alerts
            .filter((a) => a.state !== 'inactive' && alertVisibleTo(this.#org, a.labels))
            .map((a) => ({
              alert: a.labels.alertname ?? '',
              state: a.state,
              severity: a.labels.severity ?? null,
              summary: a.annotations.summary ?? a.labels.instance ?? null,
              since: a.activeAt ?? null,
            }))
            .sort(
              (a, b) =>
                (a.state === b.state ? 0 : a.state === 'firing' ? -1 : 1) || a.alert.localeCompare(b.alert),
            );
        },
      ),
    ]);
    return { org: this.#org, range, ...grid, panels };
  }

  async #timeseries(
    meta: Omit<TimeseriesPanel, 'kind' | 'timestamps' | 'series'>,
    grid: { start: number; end: number; step: number },
    queries: SeriesQuery[],
  ): Promise<TimeseriesPanel> {
    const timestamps: number[] = [];
    for (let t = grid.start; t <= grid.end; t += grid.step) timestamps.push(t);
    const index = new Map(timestamps.map((t, i) => [t, i]));
    const panel: TimeseriesPanel = { ...meta, kind: 'timeseries', timestamps, series: [] };
    return this.#guard(panel, async () => {
      const results = await Promise.all(
        queries.map((q) =>
          this.#get<MatrixResult>('/api/v1/query_range', {
            query: q.expr,
            start: String(grid.start),
            end: String(grid.end),
            step: String(grid.step),
          }),
        ),
      );
      results.forEach((r, i) => {
        const q = queries[i]!;
        for (const s of r.result) {
          const values: (number | null)[] = timestamps.map(() => null);
          for (const [t, v] of s.values) {
            const at = index.get(Math.round(t));
            if (at !== undefined) values[at] = sampleValue(v);
          }
          // A line with no finite value at all (a quantile of no requests) says nothing: left out.
          if (values.every((v) => v === null)) continue;
          const name = 'fixed' in q.name ? q.name.fixed : (s.metric[q.name.label] ?? '');
          panel.series.push({ name, values });
        }
      });
      panel.series.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
      return panel;
    });
  }

  async #table(
    meta: Omit<TablePanel, 'kind' | 'rows'>,
    rows: () => Promise<TablePanel['rows']>,
  ): Promise<TablePanel> {
    const panel: TablePanel = { ...meta, kind: 'table', rows: [] };
    return this.#guard(panel, async () => {
      panel.rows = await rows();
      return panel;
    });
  }

  /** A query Prometheus refuses is that panel's error; Prometheus not answering fails the whole page (503). */
  async #guard<P extends Panel>(panel: P, fill: () => Promise<P>): Promise<P> {
    try {
      return await fill();
    } catch (e: unknown) {
      if (!(e instanceof QueryRefused)) throw e;
      return { ...panel, error: { code: 'PROMETHEUS_QUERY_FAILED', detail: e.message } };
    }
  }

  async #instant(expr: string, time: number): Promise<VectorResult['result']> {
    return (await this.#get<VectorResult>('/api/v1/query', { query: expr, time: String(time) })).result;
  }

  async #get<T>(path: string, params: Record<string, string>): Promise<T> {
    const url = `${this.#url}${path}${Object.keys(params).length ? `?${new URLSearchParams(params).toString()}` : ''}`;
    let res: Response;
    try {
      res = await this.#fetch(url, {
        headers: { Accept: 'application/json' },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (e: unknown) {
      const timedOut = e instanceof DOMException && (e.name === 'TimeoutError' || e.name === 'AbortError');
      throw new MonitoringUnavailableError(
        timedOut
          ? `Prometheus at ${this.#url} did not answer within ${this.#timeoutMs / 1000} s`
          : `Prometheus at ${this.#url} is unreachable (${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)})`,
        e,
      );
    }
    let body: PromResponse<T> | undefined;
    try {
      body = (await res.json()) as PromResponse<T>;
    } catch (e: unknown) {
      // Something answered, but not Prometheus' API (a proxy's error page, a half-started server).
      if (res.status >= 500 || res.ok)
        throw new MonitoringUnavailableError(
          `Prometheus at ${this.#url} answered HTTP ${res.status} without its API's JSON`,
          e,
        );
      throw new QueryRefused(`Prometheus answered HTTP ${res.status}`);
    }
    if (res.ok && body?.status === 'success' && body.data !== undefined) return body.data;
    // 503: Prometheus is starting or shutting down (not ready); 4xx/422: this query is refused.
    if (res.status === 503 || res.status === 502 || res.status === 504)
      throw new MonitoringUnavailableError(`Prometheus at ${this.#url} is not ready (HTTP ${res.status})`);
    throw new QueryRefused(
      `Prometheus refused the query (${body?.errorType ?? `HTTP ${res.status}`}: ${body?.error ?? 'no detail'})`,
    );
  }
}
