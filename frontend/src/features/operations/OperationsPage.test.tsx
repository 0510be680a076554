/**
 * The Operations page on a mocked gateway: refused to other roles without a call, and no navigation entry for
 * them; panels as charts and tables; each panel's empty state and error; Prometheus unavailable as one message;
 * the range selector. jsdom has no canvas: the chart says so (a note, not an error) — chromium draws it
 * (e2e/operations.e2e.ts).
 */
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OperationsPanel, OperationsView } from '../../api/client';
import { Layout } from '../../components/Layout';
import type { Role } from '../../api/types';
import { axeFindings } from '../../test/axe';
import { renderAt, signIn, stubFetch } from '../../test/helpers';
import { OperationsPage, mayReadOperations } from './OperationsPage';
import { formatValue } from './TimeseriesChart';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

const T0 = 1_764_504_000;
const series = (name: string, values: (number | null)[]) => ({ name, values });
const PANELS: OperationsPanel[] = [
  {
    id: 'block-height',
    title: 'Block height per node',
    description: 'Blocks at every peer and orderer',
    kind: 'timeseries',
    unit: 'blocks',
    timestamps: [T0, T0 + 60, T0 + 120],
    series: [series('orderer1', [10, 11, 12]), series('peer0.ecta', [10, 11, null])],
  },
  {
    id: 'latency',
    title: 'Gateway latency percentiles',
    description: 'Request duration',
    kind: 'timeseries',
    unit: 'seconds',
    timestamps: [T0, T0 + 60, T0 + 120],
    series: [],
  },
  {
    id: 'exports-by-status',
    title: 'Exports by status',
    description: 'In the read model',
    kind: 'table',
    columns: [
      { key: 'status', label: 'Status' },
      { key: 'exports', label: 'Exports' },
    ],
    rows: [
      { status: 'SUBMITTED', exports: 3 },
      { status: 'COMPLETED', exports: 1 },
    ],
  },
  {
    id: 'turnaround',
    title: 'Turnaround at this agency',
    description: 'Waits by step left',
    kind: 'table',
    columns: [
      { key: 'state', label: 'Step left' },
      { key: 'p50', label: 'Median wait', unit: 'seconds' },
    ],
    rows: [{ state: 'SUBMITTED', p50: 7200 }],
  },
  {
    id: 'alerts',
    title: 'Alerts now firing',
    description: 'Firing or pending',
    kind: 'table',
    columns: [
      { key: 'alert', label: 'Alert' },
      { key: 'since', label: 'Active since' },
    ],
    rows: [],
  },
];
const view = (panels = PANELS, range: OperationsView['range'] = '1h'): OperationsView => ({
  org: 'ecta',
  range,
  start: T0,
  end: T0 + 120,
  step: 60,
  panels,
});

const page = (path = '/operations'): void => {
  renderAt(
    <Routes>
      <Route element={<Layout />}>
        <Route path="/operations" element={<OperationsPage />} />
      </Route>
    </Routes>,
    path,
  );
};
const panel = (id: string): HTMLElement => {
  const el = document.querySelector<HTMLElement>(`[data-panel="${id}"]`);
  if (!el) throw new Error(`no panel ${id}`);
  return el;
};
const pathOf = (url: string): URL => new URL(url, 'http://portal.test');

describe('OperationsPage: who sees it', () => {
  for (const role of ['exporter', 'ecta_officer', 'grader'] as Role[])
    it(`${role}: refused, no navigation entry, the gateway not asked`, () => {
      signIn(role, role === 'exporter' ? 'commercial-bank' : role === 'grader' ? 'ecx' : 'ecta');
      const calls = stubFetch(() => undefined);
      page();
      expect(screen.getByRole('alert')).toHaveTextContent(/Only administrators and auditors/);
      expect(screen.queryByRole('link', { name: 'Operations' })).not.toBeInTheDocument();
      expect(calls.filter((c) => c.url.includes('/operations'))).toEqual([]);
    });

  it('admins and auditors only', () => {
    expect(['admin', 'auditor'].filter(mayReadOperations)).toEqual(['admin', 'auditor']);
    expect(mayReadOperations('exporter')).toBe(false);
    expect(mayReadOperations(undefined)).toBe(false);
  });
});

describe('OperationsPage: panels', () => {
  it('an auditor sees every panel: charts, tables, empty states; no error', async () => {
    signIn('auditor', 'ecta');
    const calls = stubFetch((c) =>
      pathOf(c.url).pathname.endsWith('/operations/panels') ? { status: 200, body: view() } : undefined,
    );
    page();
    await screen.findByRole('heading', { level: 2, name: 'Block height per node' });
    expect(screen.getByRole('link', { name: 'Operations' })).toHaveAttribute('href', '/operations');
    expect(pathOf(calls[0]!.url).searchParams.get('range')).toBe('1h');
    expect(calls[0]!.headers.Authorization).toBe('Bearer access-1');

    // A chart (its text alternative names the latest values; jsdom cannot draw: a note, not an error).
    const heights = panel('block-height');
    expect(heights).toHaveAttribute('data-state', 'data');
    expect(within(heights).getByTestId('panel-chart')).toHaveAccessibleName(
      'Block height per node: chart of orderer1, peer0.ecta',
    );
    expect(heights).toHaveTextContent('orderer1 12; peer0.ecta 11');
    expect(
      await within(heights).findByText(/Chart not shown: this browser cannot draw charts/),
    ).toBeInTheDocument();

    expect(panel('latency')).toHaveAttribute('data-state', 'empty');
    expect(panel('latency')).toHaveTextContent('No requests to this gateway in this range yet.');
    const exports = within(panel('exports-by-status')).getAllByRole('row');
    expect(exports.map((r) => r.textContent)).toEqual(['StatusExports', 'Submitted3', 'Completed1']);
    expect(panel('turnaround')).toHaveTextContent('2 h 0 min');
    expect(panel('alerts')).toHaveAttribute('data-state', 'empty');
    expect(panel('alerts')).toHaveTextContent('No alert is firing.');
    expect(screen.queryByTestId('panel-error')).not.toBeInTheDocument();
    document.documentElement.lang = 'en';
    expect(await axeFindings()).toEqual([]);
  });

  it('a panel Prometheus refused shows its own error; the others still show', async () => {
    signIn('admin', 'ecta');
    const failed = {
      ...PANELS[2]!,
      error: { code: 'PROMETHEUS_QUERY_FAILED', detail: 'bad_data: parse error' },
    };
    stubFetch(() => ({ status: 200, body: view([PANELS[0]!, failed]) }));
    page();
    const error = await screen.findByTestId('panel-error');
    expect(error).toHaveTextContent('bad_data: parse error');
    expect(error).toHaveTextContent('PROMETHEUS_QUERY_FAILED');
    expect(panel('exports-by-status')).toHaveAttribute('data-state', 'error');
    expect(panel('block-height')).toHaveAttribute('data-state', 'data');
  });

  it('Prometheus unavailable: one clear message, no panels, and it can be retried', async () => {
    signIn('admin', 'ecta');
    let up = false;
    stubFetch(() =>
      up
        ? { status: 200, body: view() }
        : {
            status: 503,
            body: {
              status: 503,
              code: 'MONITORING_UNAVAILABLE',
              title: 'Service Unavailable',
              detail: 'Prometheus at http://127.0.0.1:9090 is unreachable (connect ECONNREFUSED)',
            },
          },
    );
    page();
    const message = await screen.findByTestId('monitoring-unavailable');
    expect(message).toHaveTextContent('Monitoring is unavailable');
    expect(message).toHaveTextContent('is unreachable');
    expect(screen.queryAllByTestId('ops-panel')).toEqual([]);
    up = true;
    await userEvent.click(within(message).getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(screen.getAllByTestId('ops-panel')).toHaveLength(PANELS.length));
    expect(screen.queryByTestId('monitoring-unavailable')).not.toBeInTheDocument();
  });

  it('another failure (a refused role at the gateway) is the usual problem message', async () => {
    signIn('admin', 'ecta');
    stubFetch(() => ({
      status: 403,
      body: { status: 403, code: 'FORBIDDEN_ROLE', title: 'Forbidden', detail: 'role admin may not do this' },
    }));
    page();
    expect(await screen.findByRole('alert')).toHaveTextContent('FORBIDDEN_ROLE');
    expect(screen.queryByTestId('monitoring-unavailable')).not.toBeInTheDocument();
  });

  it('the range selector asks the gateway for that range (kept in the URL)', async () => {
    signIn('admin', 'ecta');
    const calls = stubFetch((c) => ({
      status: 200,
      body: view(PANELS, (pathOf(c.url).searchParams.get('range') ?? '1h') as OperationsView['range']),
    }));
    page('/operations?range=15m');
    await screen.findByRole('heading', { level: 2, name: 'Block height per node' });
    expect(screen.getByRole('radio', { name: '15 min' })).toBeChecked();
    await userEvent.click(screen.getByRole('radio', { name: '6 h' }));
    await waitFor(() => expect(pathOf(calls.at(-1)!.url).searchParams.get('range')).toBe('6h'));
    expect(calls.map((c) => pathOf(c.url).searchParams.get('range'))).toEqual(['15m', '6h']);
  });

  it('a picked range is checked as soon as the click is handled, before the URL changes', async () => {
    signIn('admin', 'ecta');
    stubFetch((c) => ({
      status: 200,
      body: view(PANELS, (pathOf(c.url).searchParams.get('range') ?? '1h') as OperationsView['range']),
    }));
    page('/operations');
    await screen.findByRole('heading', { level: 2, name: 'Block height per node' });
    const radio = screen.getByRole<HTMLInputElement>('radio', { name: '15 min' });
    // A real click outside act(): React handles it as a browser event, and the router applies the URL change as
    // a transition, later. The radio must not snap back to the old range meanwhile.
    const env = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean };
    env.IS_REACT_ACT_ENVIRONMENT = false;
    try {
      radio.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
      expect(radio.checked).toBe(true);
      expect(screen.getByRole<HTMLInputElement>('radio', { name: '1 h' }).checked).toBe(false);
    } finally {
      env.IS_REACT_ACT_ENVIRONMENT = true;
    }
    await waitFor(() => expect(radio).toBeChecked());
  });

  it('reloads the panels every 30 s while open', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    signIn('admin', 'ecta');
    const calls = stubFetch(() => ({ status: 200, body: view() }));
    page();
    await screen.findByRole('heading', { level: 2, name: 'Block height per node' });
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(30_000);
    await waitFor(() => expect(calls).toHaveLength(2));
  });
});

describe('formatValue', () => {
  it('formats by unit', () => {
    expect(formatValue('seconds', 0.0234)).toBe('23 ms');
    expect(formatValue('seconds', 2.5)).toBe('2.50 s');
    expect(formatValue('tx/s', 0.5)).toBe('0.50 tx/s');
    expect(formatValue('blocks', 109)).toBe('109');
    expect(formatValue('blocks', null)).toBe('—');
  });
});
