/**
 * HTTP-level workloads through the gateways with autocannon: N connections in a closed loop, each request
 * built per call (setupRequest) so every create has fresh uploads and its own export id and every action
 * its own export. Latencies are autocannon's per-response durations, attributed to the kind of request that
 * answered (a create is upload, upload, POST /exports; only the POST counts as the create).
 */
import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { snapshot, usage } from './cpu.ts';
import { pdf, type Session } from './gateway-client.ts';
import { gatewayUrl } from './stack.ts';
import { summarize, type Sample, type WorkloadResult } from './stats.ts';

type Request = autocannon.Request;

interface Recorder {
  /** The kind of request whose response autocannon is about to report (set in its onResponse). */
  last: { kind: string; ok: boolean } | undefined;
  readonly samples: Map<string, Sample[]>;
}

function recorderFor(kinds: readonly string[]): Recorder {
  return { last: undefined, samples: new Map(kinds.map((k) => [k, []])) };
}

function onResponseOf(
  rec: Recorder,
  kind: string,
  expected: number,
  then?: (body: string, context: Record<string, unknown>) => void,
): NonNullable<Request['onResponse']> {
  return (status, body, context) => {
    rec.last = { kind, ok: status === expected };
    if (status === expected && then) then(body, context as Record<string, unknown>);
  };
}

export interface HttpRun {
  readonly session: Session;
  readonly connections: number;
  readonly seconds: number;
  /** Stop after this many sequences (a pool of exports that runs out), or after `seconds`, whichever first. */
  readonly amount?: number;
  readonly requests: Request[];
  readonly recorder: Recorder;
}

/** Runs autocannon; returns one result per request kind it recorded (named `<name>` or `<name>-<kind>`). */
async function cannon(name: string, main: string, run: HttpRun): Promise<WorkloadResult[]> {
  const before = snapshot();
  const client = process.cpuUsage();
  let finished: (e: unknown) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    finished = (e) => (e ? reject(e instanceof Error ? e : new Error('autocannon failed')) : resolve());
  });
  const instance = autocannon(
    {
      // https: autocannon speaks TLS but never verifies the server (it forces rejectUnauthorized: false); the
      // bench's own calls (gateway-client.ts, stack.ts) verify the same gateways against the CA bundle first.
      url: gatewayUrl(run.session.org),
      connections: run.connections,
      duration: run.seconds,
      amount: run.amount !== undefined ? run.amount * run.requests.length : undefined,
      timeout: 60,
      requests: run.requests,
    },
    (e: unknown) => finished(e),
  );
  // autocannon lets `amount` override `duration`: the duration still bounds a pool-sized run.
  const deadline =
    run.amount !== undefined ? setTimeout(() => instance.stop(), run.seconds * 1000) : undefined;
  instance.on('response', (_c: unknown, _status: number, _bytes: number, durationMs: number) => {
    const last = run.recorder.last;
    if (!last) return;
    const end = Date.now();
    run.recorder.samples.get(last.kind)?.push([end - durationMs, end, last.ok ? 1 : 0]);
    run.recorder.last = undefined;
  });
  // A request that got no answer (timeout, connection error) counts as a failure of the workload's main kind.
  instance.on('reqError', () => {
    const now = Date.now();
    run.recorder.samples.get(main)?.push([now, now, 0]);
  });
  await done.finally(() => clearTimeout(deadline));
  const cpu = usage(before, snapshot());
  const spent = process.cpuUsage(client);
  const clientCpu = (spent.user + spent.system) / 1e6;
  const load = `${run.connections} clients, closed loop`;
  return [...run.recorder.samples.entries()].map(([kind, samples]) =>
    kind === main
      ? summarize(name, 'http', load, samples, cpu, clientCpu)
      : summarize(`${name} (${kind})`, 'http', load, samples, undefined, 0),
  );
}

function jsonRequest(s: Session, method: 'GET' | 'POST', path: string, body?: unknown): Request {
  return {
    method,
    path,
    headers: {
      authorization: `Bearer ${s.token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  };
}

/** multipart/form-data with the document type and a file that is a PDF by its magic bytes. */
function uploadRequest(s: Session, type: string, run: string): Request {
  const boundary = `bench${randomBytes(8).toString('hex')}`;
  return {
    method: 'POST',
    path: '/api/v1/documents',
    setupRequest: (req) => {
      const file = pdf(`${type} ${run} ${randomBytes(12).toString('hex')}`);
      const body = [
        `--${boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\n${type}\r\n`,
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${type.toLowerCase()}.pdf"\r\n`,
        `Content-Type: application/pdf\r\n\r\n${file}\r\n--${boundary}--\r\n`,
      ].join('');
      return {
        ...req,
        headers: {
          authorization: `Bearer ${s.token}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
        body,
      };
    },
  };
}

function cidOf(body: string): string | undefined {
  const parsed = JSON.parse(body) as { cid?: unknown };
  return typeof parsed.cid === 'string' ? parsed.cid : undefined;
}

/** POST /api/v1/exports after uploading its sales contract and proforma invoice; created ids go to `created`. */
export function httpCreate(
  exporter: Session,
  connections: number,
  seconds: number,
  run: string,
  created: string[],
): Promise<WorkloadResult[]> {
  const rec = recorderFor(['create', 'upload']);
  let n = 0;
  const create: Request = {
    method: 'POST',
    path: '/api/v1/exports',
    setupRequest: (req, context) => {
      const c = context as Record<string, unknown>;
      const body = {
        exportId: `${run}-${++n}`,
        contract: {
          contractNumber: `SC-${run}-${n}`,
          buyerName: 'Hamburg Coffee Importers GmbH',
          destinationCountry: 'DE',
          contractedGrade: 'G2',
          quantityKg: 19_200,
          originRegion: 'SIDAMA',
          incoterm: 'FOB',
        },
        documents: [
          { type: 'SALES_CONTRACT', cid: c.SALES_CONTRACT },
          { type: 'PROFORMA_INVOICE', cid: c.PROFORMA_INVOICE },
        ],
        tradeTerms: { unitPriceUsdPerKg: 5.25, contractValueUsd: 100_800, paymentMethod: 'LC' },
      };
      return { ...req, ...jsonRequest(exporter, 'POST', '/api/v1/exports', body) };
    },
    onResponse: onResponseOf(rec, 'create', 201, (body) => {
      const id = (JSON.parse(body) as { id?: unknown }).id;
      if (typeof id === 'string') created.push(id);
    }),
  };
  const upload = (type: string): Request => ({
    ...uploadRequest(exporter, type, run),
    onResponse: onResponseOf(rec, 'upload', 201, (body, context) => {
      context[type] = cidOf(body);
    }),
  });
  const requests = [upload('SALES_CONTRACT'), upload('PROFORMA_INVOICE'), create];
  return cannon('http-create', 'create', {
    session: exporter,
    connections,
    seconds,
    requests,
    recorder: rec,
  });
}

/** One action per export of the pool (e.g. register-contract at ECTA's gateway). */
export function httpAction(
  actor: Session,
  action: string,
  body: (exportId: string) => Record<string, unknown>,
  pool: readonly string[],
  connections: number,
  seconds: number,
): Promise<WorkloadResult[]> {
  const rec = recorderFor([action]);
  let next = 0;
  const request: Request = {
    method: 'POST',
    setupRequest: (req) => {
      const id = pool[next++ % pool.length]!;
      return { ...req, ...jsonRequest(actor, 'POST', `/api/v1/exports/${id}/actions/${action}`, body(id)) };
    },
    onResponse: onResponseOf(rec, action, 200),
  };
  return cannon(`http-${action}`, action, {
    session: actor,
    connections,
    seconds,
    amount: pool.length,
    requests: [request],
    recorder: rec,
  });
}

/** GET one export (rotating over `ids`), or a list page when `ids` is empty. */
export function httpRead(
  name: string,
  reader: Session,
  ids: readonly string[],
  connections: number,
  seconds: number,
): Promise<WorkloadResult[]> {
  const rec = recorderFor(['read']);
  let n = 0;
  const request: Request = {
    method: 'GET',
    setupRequest: (req) => {
      const path = ids.length ? `/api/v1/exports/${ids[n++ % ids.length]}` : '/api/v1/exports?limit=20';
      return { ...req, ...jsonRequest(reader, 'GET', path) };
    },
    onResponse: onResponseOf(rec, 'read', 200),
  };
  return cannon(name, 'read', { session: reader, connections, seconds, requests: [request], recorder: rec });
}
