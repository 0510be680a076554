/**
 * The EUDR routes and service (routes/eudr.ts, services/eudr.ts) on a real Postgres (the read model, migration 12,
 * projected by events/eudr-projection.ts) and a deliberately LENIENT in-memory ledger: it records what it is asked
 * and checks nobody's rights, so every refusal below is the gateway's own (the chaincode checks again on the real
 * stack). Each org has its own gateway (service, document keys); IPFS is shared, and a document opens only at a
 * gateway of an org it was sealed for, as the real envelopes do.
 *
 * Deny cases first: another exporter, the National Bank and the shipping line, wrong roles; then the flow from the
 * forest-loss layer to an approved package, each bad geometry case, a FLAGGED plot blocking the package, and
 * ECTA's re-screening catching a dishonest CLEAR.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import area from '@turf/area';
import express, { type ErrorRequestHandler } from 'express';
import type { Geometry } from 'geojson';
import type pg from 'pg';
import { MSP, orgOf } from '@coffee/consortium';
import { migrate } from '../src/db/migrations.ts';
import { createPool, withTx } from '../src/db/pool.ts';
import { AppError, toProblem } from '../src/errors.ts';
import { commitPlot } from '../src/eudr/commitment.ts';
import { ledger as protos } from '@hyperledger/fabric-protos';
import { applyEudrWrites, eudrWrites, type EudrWrite } from '../src/events/eudr-projection.ts';
import { ProjectionWatch, applyBlock } from '../src/events/projector.ts';
import { ChaincodeArgs, type ExportRecord, type FabricIdentity } from '../src/fabric/ledger.ts';
import { eudrRoutes } from '../src/routes/eudr.ts';
import { mount } from '../src/routes/http.ts';
import { AdmissionLimiter } from '../src/services/admission.ts';
import type { Caller, Deps } from '../src/services/deps.ts';
import { EudrService, PACKAGE_AUDIENCE, PLOT_AUDIENCE } from '../src/services/eudr.ts';
import type { IdempotencyService } from '../src/services/idempotency.ts';
import type { UserService } from '../src/services/users.ts';
import {
  CLEAR_POINT,
  CLEAR_POLYGON,
  KENYA_POINT,
  OVERLAPPING_POLYGON,
  POINT_IN_LOSS,
  rect,
  sampleLayerText,
} from './eudr-fixtures.ts';
import { silentLogger, testConfig } from './helpers.ts';
import { startTestPostgres, type TestPostgres } from './support/postgres.ts';

// ---------------------------------------------------------------- the lenient ledger

interface Sub {
  fn: string;
  args: string[];
  endorsers: string[] | undefined;
  who: string;
}

class FakeChain {
  readonly state = new Map<string, Record<string, unknown>>();
  readonly exports = new Map<string, ExportRecord>();
  readonly submits: Sub[] = [];
  /** identity id → exporter id (what the chaincode derives from the caller's certificate). */
  readonly exporterOf = new Map<string, string>();
  readonly watch = new ProjectionWatch();
  #block = 0n;
  #tx = 0;

  #held: { fn: string; arrive: () => Promise<void> } | undefined;

  constructor(readonly pool: pg.Pool) {}

  /**
   * Holds the next submits of `fn` until `count` of them have arrived, then lets them all go on (at most 10 s):
   * a race between requests, made certain.
   */
  holdUntil(fn: string, count: number): void {
    const waiting: (() => void)[] = [];
    const release = (): void => {
      this.#held = undefined;
      for (const w of waiting.splice(0)) w();
    };
    const timer = setTimeout(release, 10_000);
    this.#held = {
      fn,
      arrive: () =>
        new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length >= count) {
            clearTimeout(timer);
            release();
          }
        }),
    };
  }

  readonly ledger = {
    submit: async (
      who: FabricIdentity,
      _cc: string,
      fn: string,
      input: unknown,
      _transient?: unknown,
      endorsers?: () => Promise<string[] | undefined>,
    ): Promise<{ result: string; txId: string; blockNumber: bigint }> => {
      const args = input instanceof ChaincodeArgs ? [...input.list] : [JSON.stringify(input)];
      this.submits.push({ fn, args, endorsers: await endorsers?.(), who: who.id });
      const txId = `tx-${++this.#tx}`;
      const at = new Date().toISOString();
      const writes: EudrWrite[] = [];
      const put = (kind: EudrWrite['kind'], id: string, value: Record<string, unknown>): void => {
        this.state.set(`${kind}:${id}`, value);
        writes.push({ kind, id, value });
      };
      const get = (key: string): Record<string, unknown> => {
        const v = this.state.get(key);
        if (!v) throw new AppError(404, 'NOT_FOUND', `${key} missing`);
        return v;
      };
      const held = this.#held;
      if (held && held.fn === fn) await held.arrive();
      switch (fn) {
        case 'eudr:SetForestLayer':
          this.state.set('layer', { ...(JSON.parse(args[0]!) as object), txId });
          break;
        case 'eudr:RegisterPlot': {
          const p = JSON.parse(args[0]!) as Record<string, unknown> & { plotId: string; screening: object };
          if (this.state.has(`plot:${p.plotId}`))
            throw new AppError(409, 'EUDR_PLOT_EXISTS', `plot ${p.plotId} exists`);
          put('plot', p.plotId, {
            docType: 'eudrPlot',
            ...p,
            exporterId: this.exporterOf.get(who.id) ?? 'nobody',
            screening: { ...p.screening, screenedAt: at },
            registeredAt: at,
            txId,
          });
          break;
        }
        case 'eudr:ReviewPlot': {
          const [plotId, outcome, note] = args as [string, string, string];
          const plot = get(`plot:${plotId}`);
          put('plot', plotId, {
            ...plot,
            screening: { ...(plot.screening as object), status: outcome },
            review: { outcome, note, at, txId },
          });
          break;
        }
        case 'eudr:FlagPlot': {
          // As the chaincode: only a CLEAR plot (a second officer's flag of the same plot is refused).
          const [plotId, input] = args as [string, string];
          const plot = get(`plot:${plotId}`) as { screening: { status: string; layerSha256: string } };
          if (plot.screening.status !== 'CLEAR')
            throw new AppError(409, 'INVALID_TRANSITION', `plot ${plotId} is ${plot.screening.status}`);
          const r = JSON.parse(input) as { layerSha256: string; overlapHa: number };
          put('plot', plotId, {
            ...plot,
            screening: {
              status: 'FLAGGED',
              layerSha256: r.layerSha256,
              overlapHa: r.overlapHa,
              screenedAt: at,
            },
            rescreen: { fromLayerSha256: plot.screening.layerSha256, at, txId },
          });
          break;
        }
        case 'eudr:LinkLotPlots':
          put('lots', args[0]!, { exportId: args[0], lots: JSON.parse(args[1]!) as unknown, at, txId });
          break;
        case 'eudr:AssembleDdsPackage': {
          const exportId = args[0]!;
          const exp = this.exports.get(exportId)!;
          put('package', exportId, {
            exportId,
            exporterId: exp.exporterId,
            status: 'ASSEMBLED',
            ...(JSON.parse(args[1]!) as object),
            txId,
          });
          break;
        }
        case 'eudr:ApproveDdsPackage': {
          const pkg = get(`package:${args[0]!}`);
          put('package', args[0]!, { ...pkg, status: 'APPROVED', approvedAt: at });
          break;
        }
        case 'eudr:RecordDdsReference': {
          const pkg = get(`package:${args[0]!}`);
          put('package', args[0]!, {
            ...pkg,
            status: 'REFERENCED',
            reference: JSON.parse(args[1]!) as unknown,
          });
          break;
        }
        default:
          throw new Error(`the fake ledger has no ${fn}`);
      }
      // Projected at once (one block per transaction), as the gateway's own projector would.
      const block = this.#block++;
      await withTx(this.pool, (c) => applyEudrWrites(c, block, txId, writes));
      this.watch.advance(block);
      return { result: '{}', txId, blockNumber: block };
    },
    evaluateJson: async (
      _who: FabricIdentity,
      _cc: string,
      fn: string,
      args: string[] = [],
    ): Promise<unknown> => {
      const found = (key: string, code: string): Record<string, unknown> => {
        const v = this.state.get(key);
        if (!v) throw new AppError(404, code, `${key} not found`);
        return v;
      };
      switch (fn) {
        case 'eudr:GetForestLayer':
          return Promise.resolve(found('layer', 'EUDR_LAYER_NOT_FOUND'));
        case 'eudr:GetPlot':
          return Promise.resolve(found(`plot:${args[0]!}`, 'EUDR_PLOT_NOT_FOUND'));
        case 'eudr:GetExportEudr': {
          const exp = this.exports.get(args[0]!);
          if (!exp) throw new AppError(404, 'EXPORT_NOT_FOUND', 'no export');
          return Promise.resolve({
            required: ['DE', 'FR', 'IT', 'NL', 'BE'].includes(String(exp.contract.destinationCountry)),
            lots: this.state.get(`lots:${args[0]!}`) ?? null,
            package: this.state.get(`package:${args[0]!}`) ?? null,
          });
        }
        case 'eudr:GetPublicEudr': {
          const exp = this.exports.get(args[0]!);
          if (!exp) throw new AppError(404, 'EXPORT_NOT_FOUND', 'no export');
          const pkg = this.state.get(`package:${args[0]!}`) as
            { status: string; packageSha256: string; plotIds: string[] } | undefined;
          return Promise.resolve({
            exportId: args[0],
            required: ['DE', 'FR', 'IT', 'NL', 'BE'].includes(String(exp.contract.destinationCountry)),
            package: pkg ? { status: pkg.status, packageSha256: pkg.packageSha256 } : null,
            plots: (pkg?.plotIds ?? []).map((id) => {
              const plot = this.state.get(`plot:${id}`) as {
                commitment: string;
                screening: { status: string };
              };
              return { commitment: plot.commitment, status: plot.screening.status };
            }),
          });
        }
        default:
          throw new Error(`the fake ledger has no ${fn}`);
      }
    },
  };

  getExport(_who: FabricIdentity, exportId: string): Promise<ExportRecord> {
    const exp = this.exports.get(exportId);
    if (!exp)
      return Promise.reject(new AppError(404, 'EXPORT_NOT_FOUND', `export ${exportId} does not exist`));
    return Promise.resolve(exp);
  }
}

// ---------------------------------------------------------------- IPFS and document keys

const cidOf = (bytes: Uint8Array): string =>
  `b${createHash('sha256')
    .update(bytes)
    .digest('hex')
    .replace(/[0189]/g, (d) => ({ '0': 'q', '1': 'r', '8': 's', '9': 't' })[d]!)}`;

class FakeStore {
  readonly files = new Map<string, Buffer>();
  reachable = (): Promise<boolean> => Promise.resolve(true);
  put(bytes: Uint8Array): Promise<{ cid: string; sha256: string; size: number }> {
    const cid = cidOf(bytes);
    this.files.set(cid, Buffer.from(bytes));
    return Promise.resolve({ cid, sha256: '', size: bytes.length });
  }
  get(cid: string): Promise<Buffer> {
    const f = this.files.get(cid);
    if (!f) return Promise.reject(new AppError(503, 'SERVICE_UNAVAILABLE', 'not in the fake IPFS'));
    return Promise.resolve(f);
  }
}

/** Seals name their audience; a gateway opens only what was sealed for its org (as envelope.ts refuses). */
const seals: { docType: string; audience: readonly string[] }[] = [];
function fakeKeys(mspId: string): Deps['documentKeys'] {
  return {
    seal: (plaintext: Uint8Array, docType: string, audience?: readonly string[]) => {
      seals.push({ docType, audience: audience ?? [] });
      const envelope = Buffer.from(
        JSON.stringify({ docType, audience, data: Buffer.from(plaintext).toString('base64') }),
      );
      return Promise.resolve({ envelope, recipients: [...(audience ?? [])] });
    },
    open: (envelope: Uint8Array, docType: string) => {
      const e = JSON.parse(Buffer.from(envelope).toString('utf8')) as {
        docType: string;
        audience: string[];
        data: string;
      };
      if (!e.audience.includes(mspId))
        return Promise.reject(new AppError(403, 'DOCUMENT_NOT_SHARED', `not encrypted for ${mspId}`));
      if (e.docType !== docType)
        return Promise.reject(new AppError(502, 'DOCUMENT_HASH_MISMATCH', 'another type'));
      return Promise.resolve(Buffer.from(e.data, 'base64'));
    },
  } as unknown as Deps['documentKeys'];
}

// ---------------------------------------------------------------- users and gateways

interface TestUser {
  id: string;
  org: string;
  role: string;
  exporterId?: string;
}
const users = new Map<string, TestUser>();
function user(name: string, org: string, role: string, exporterId?: string): string {
  users.set(name, { id: randomUUID(), org, role, exporterId });
  return name;
}
const EXPORTER_A = user('exporter-a', 'commercial-bank', 'exporter', 'EXA');
const EXPORTER_B = user('exporter-b', 'commercial-bank', 'exporter', 'EXB');
const BANK_OFFICER = user('bank-officer', 'commercial-bank', 'bank_officer');
const ECTA_OFFICER = user('ecta-officer', 'ecta', 'ecta_officer');
const ECTA_ADMIN = user('ecta-admin', 'ecta', 'admin');
const GRADER = user('grader', 'ecx', 'grader');
const CUSTOMS = user('customs', 'customs', 'customs_officer');
const NB_FX = user('nb-fx', 'national-bank', 'fx_officer');
const NB_AUDITOR = user('nb-auditor', 'national-bank', 'auditor');
const SL_AGENT = user('sl-agent', 'shipping-line', 'shipping_agent');
const SL_AUDITOR = user('sl-auditor', 'shipping-line', 'auditor');

const byUserId = (id: string): TestUser | undefined => [...users.values()].find((u) => u.id === id);
const identityOf = (u: TestUser): FabricIdentity => ({
  id: `${orgOf(u.org).mspId}::${u.id}`,
  mspId: orgOf(u.org).mspId,
  certificate: '',
  privateKey: '',
});
const userService = {
  byId: (id: string) => {
    const u = byUserId(id);
    return Promise.resolve(u && { id: u.id, role: u.role, exporter_id: u.exporterId ?? null });
  },
  identityOf: (id: string) => Promise.resolve(identityOf(byUserId(id)!)),
} as unknown as UserService;

const idempotency = {
  pool: undefined,
  claim: (_c: Caller, key: string, _op: string, _hash: string, resourceId: string | null) =>
    Promise.resolve({ kind: 'new', key, resourceId }),
  release: () => Promise.resolve(),
  complete: () => Promise.resolve(),
} as unknown as IdempotencyService;

const ORGS = ['commercial-bank', 'national-bank', 'ecta', 'ecx', 'shipping-line', 'customs'];

let pg_: TestPostgres;
let pool: pg.Pool;
let chain: FakeChain;
const store = new FakeStore();
let base = '';
let server: ReturnType<express.Express['listen']>;

function exportRecord(exportId: string, exporterId: string, country: string, status: string): ExportRecord {
  return {
    exportId,
    exporterId,
    status,
    reached: status,
    contract: { destinationCountry: country, quantityKg: 1200, buyerName: 'Rösterei GmbH' },
    documents: [],
    updatedAt: '',
    createdAt: '',
    lastAction: { action: 'CertifyQuality', at: '', txId: 'tx-0' },
  };
}

before(async () => {
  pg_ = await startTestPostgres();
  pool = createPool(pg_.url);
  await migrate(pool);
  chain = new FakeChain(pool);
  for (const u of users.values()) if (u.exporterId) chain.exporterOf.set(identityOf(u).id, u.exporterId);
  chain.exports.set('EXP-EU-1', exportRecord('EXP-EU-1', 'EXA', 'DE', 'QUALITY_CERTIFIED'));
  chain.exports.set('EXP-US-1', exportRecord('EXP-US-1', 'EXA', 'US', 'QUALITY_CERTIFIED'));
  chain.exports.set('EXP-EU-2', exportRecord('EXP-EU-2', 'EXA', 'FR', 'QUALITY_CERTIFIED'));
  const app = express();
  for (const org of ORGS) {
    const config = testConfig(org, { jsonBodyLimitBytes: 256 * 1024 });
    const deps = {
      config,
      pool,
      ledger: chain,
      store,
      documentKeys: fakeKeys(config.org.mspId),
      logger: silentLogger,
      orgAdmin: {
        id: `${config.org.mspId}::admin`,
        mspId: config.org.mspId,
        certificate: '',
        privateKey: '',
      },
      enroll: () => Promise.reject(new Error('not here')),
      projection: chain.watch,
    } as unknown as Deps;
    const api = express.Router();
    mount(api, eudrRoutes(new EudrService(deps, userService)), {
      orgId: org,
      auth: (req) => {
        const u = users.get(req.get('x-user') ?? '');
        if (!u || u.org !== org) return Promise.reject(new AppError(401, 'UNAUTHENTICATED', 'no such user'));
        return Promise.resolve({ userId: u.id, username: req.get('x-user')!, role: u.role, requestId: 'r' });
      },
      idempotency,
      admission: new AdmissionLimiter(8),
    });
    app.use(`/${org}/api/v1`, api);
  }
  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const p = toProblem(err);
    res.status(p.status).json(p);
  };
  app.use(onError);
  server = await new Promise((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((r) => server?.close(() => r()));
  await pool?.end();
  await pg_?.stop();
});

type Answer = { status: number; body: Record<string, unknown> };
async function call(who: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const u = users.get(who)!;
  const res = await fetch(`${base}/${u.org}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-user': who },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
const code = (a: Answer): unknown => a.body.code;
const ha = (g: Geometry): number => Math.round((area(g) / 10_000) * 10_000) / 10_000;
const plotBody = (geometry: unknown, declaredAreaHa: number, producerRef = 'Producer Coop 7'): object => ({
  geometry,
  declaredAreaHa,
  region: 'Sidama',
  woreda: 'Bensa',
  producerRef,
  harvestFrom: '2025-10-01',
  harvestTo: '2026-01-31',
});

// ---------------------------------------------------------------- the tests

describe('EUDR routes', () => {
  let clearPlot = '';
  let flaggedPlot = '';
  let pointPlot = '';

  it('refuses plot registration before a forest-loss layer is loaded, and the layer to anyone but ECTA', async () => {
    const none = await call(EXPORTER_A, 'POST', '/eudr/plots', plotBody(CLEAR_POINT, 1.5));
    assert.equal(none.status, 404);
    assert.equal(code(none), 'EUDR_LAYER_NOT_FOUND');
    const layer = JSON.parse(sampleLayerText()) as object;
    for (const who of [EXPORTER_A, BANK_OFFICER, GRADER, NB_FX, CUSTOMS]) {
      const r = await call(who, 'POST', '/eudr/forest-layer', layer);
      assert.equal(r.status, 403, `${who} must not load the layer`);
    }
    assert.equal(chain.submits.length, 0, 'nothing reached the ledger');
  });

  it('ECTA loads the layer: canonical text in IPFS whose sha256 the ledger records', async () => {
    const r = await call(ECTA_OFFICER, 'POST', '/eudr/forest-layer', JSON.parse(sampleLayerText()));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const sha = String(r.body.sha256);
    assert.match(sha, /^[0-9a-f]{64}$/);
    const stored = store.files.get(String(r.body.cid))!;
    assert.equal(
      createHash('sha256').update(stored).digest('hex'),
      sha,
      'the stored bytes hash to the ledger value',
    );
    assert.deepEqual(chain.submits.at(-1)!.endorsers, [MSP.ECTA, MSP.NationalBank]);
    const read = await call(EXPORTER_A, 'GET', '/eudr/forest-layer?features=true');
    assert.equal(read.status, 200);
    assert.equal(read.body.sha256, sha);
    assert.ok(Array.isArray(read.body.features) && read.body.features.length > 0);
    // An admin may load one too (EUDR_ACTORS), but not an invalid one: one clear 422.
    const bad = await call(ECTA_ADMIN, 'POST', '/eudr/forest-layer', {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { lossYear: 2019 }, geometry: { type: 'Point', coordinates: [1, 2] } },
      ],
    });
    assert.equal(bad.status, 422);
  });

  it('refuses plot registration to every role but an exporter of the commercial bank', async () => {
    const body = plotBody(CLEAR_POINT, 1.5);
    for (const who of [BANK_OFFICER, ECTA_OFFICER, GRADER, CUSTOMS, NB_FX, SL_AGENT]) {
      const r = await call(who, 'POST', '/eudr/plots', body);
      assert.equal(r.status, 403, `${who}: ${JSON.stringify(r.body)}`);
    }
  });

  it('gives each bad geometry its own clear error (422), and registers nothing', async () => {
    const before = chain.submits.length;
    const selfIntersecting = {
      type: 'Polygon',
      coordinates: [
        [
          [38.470113, 6.820217],
          [38.472317, 6.822231],
          [38.472317, 6.820217],
          [38.470113, 6.822231],
          [38.470113, 6.820217],
        ],
      ],
    };
    const cases: [string, unknown, number][] = [
      ['INVALID_GEOJSON', { type: 'Polygon', coordinates: 'nope' }, 5],
      ['TOO_FEW_DECIMALS', { type: 'Point', coordinates: [38.4705, 6.8213] }, 1],
      ['SELF_INTERSECTING', selfIntersecting, 5],
      ['POINT_FOR_LARGE_PLOT', CLEAR_POINT, 6],
      ['OUTSIDE_ETHIOPIA', KENYA_POINT, 1],
      ['AREA_MISMATCH', CLEAR_POLYGON, ha(CLEAR_POLYGON) * 2],
    ];
    for (const [expected, geometry, declared] of cases) {
      const r = await call(EXPORTER_A, 'POST', '/eudr/plots', plotBody(geometry, declared));
      assert.equal(r.status, 422, `${expected}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, expected, JSON.stringify(r.body));
      assert.ok(String(r.body.detail).length > 10, 'a message that says what is wrong');
    }
    assert.equal(chain.submits.length, before, 'no bad plot reached the ledger');
  });

  it('registers plots: screened against the layer, details sealed for the plot audience only', async () => {
    seals.length = 0;
    const clear = await call(EXPORTER_A, 'POST', '/eudr/plots', plotBody(CLEAR_POLYGON, ha(CLEAR_POLYGON)));
    assert.equal(clear.status, 201, JSON.stringify(clear.body));
    assert.equal((clear.body.screening as { status: string }).status, 'CLEAR');
    clearPlot = String(clear.body.plotId);
    const flagged = await call(
      EXPORTER_A,
      'POST',
      '/eudr/plots',
      plotBody(OVERLAPPING_POLYGON, ha(OVERLAPPING_POLYGON), 'Producer Coop 9'),
    );
    assert.equal(flagged.status, 201, JSON.stringify(flagged.body));
    assert.equal((flagged.body.screening as { status: string }).status, 'FLAGGED');
    flaggedPlot = String(flagged.body.plotId);
    // GeoJSON text keeps trailing zeros (38.500000 would read as 38.5 once parsed).
    const point = await call(
      EXPORTER_A,
      'POST',
      '/eudr/plots',
      plotBody(JSON.stringify(CLEAR_POINT), 1.2, 'Smallholder 12'),
    );
    assert.equal(point.status, 201, JSON.stringify(point.body));
    pointPlot = String(point.body.plotId);
    assert.deepEqual(
      seals.map((s) => s.audience),
      [PLOT_AUDIENCE, PLOT_AUDIENCE, PLOT_AUDIENCE],
    );
    assert.ok(!PLOT_AUDIENCE.includes(MSP.NationalBank) && !PLOT_AUDIENCE.includes(MSP.ShippingLine));
    const sub = chain.submits.find((s) => s.fn === 'eudr:RegisterPlot')!;
    assert.deepEqual(sub.endorsers, [MSP.CommercialBank, MSP.ECTA]);
    // The ledger gets a commitment, never the geometry or the producer.
    const onLedger = sub.args.join(' ');
    assert.doesNotMatch(onLedger, /Producer Coop|38\.47|coordinates/);
    assert.match(onLedger, /"commitment":"[0-9a-f]{64}"/);
  });

  it('hides plots from another exporter, the National Bank and the shipping line', async () => {
    const other = await call(EXPORTER_B, 'GET', `/eudr/plots/${clearPlot}`);
    assert.equal(other.status, 404);
    assert.equal(code(other), 'EUDR_PLOT_NOT_FOUND');
    const list = await call(EXPORTER_B, 'GET', '/eudr/plots?geometry=true');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.items, []);
    const asked = await call(EXPORTER_B, 'GET', '/eudr/plots?exporterId=EXA');
    assert.deepEqual(asked.body.items, []);
    for (const who of [NB_FX, NB_AUDITOR, SL_AGENT, SL_AUDITOR]) {
      for (const path of [`/eudr/plots/${clearPlot}`, '/eudr/plots', '/eudr/review-queue']) {
        const r = await call(who, 'GET', path);
        assert.equal(r.status, 403, `${who} ${path}: ${JSON.stringify(r.body)}`);
        assert.equal(JSON.stringify(r.body).includes('Producer'), false);
      }
    }
  });

  it('shows the owner, its bank, ECTA, ECX and Customs the decrypted plot, checked against its commitment', async () => {
    for (const who of [EXPORTER_A, BANK_OFFICER, ECTA_OFFICER, GRADER, CUSTOMS]) {
      const r = await call(who, 'GET', `/eudr/plots/${clearPlot}`);
      assert.equal(r.status, 200, `${who}: ${JSON.stringify(r.body)}`);
      const details = r.body.details as { geometry: Geometry; producerRef: string };
      assert.deepEqual(details.geometry, CLEAR_POLYGON);
      assert.equal(details.producerRef, 'Producer Coop 7');
    }
    const mine = await call(EXPORTER_A, 'GET', '/eudr/plots?geometry=true');
    assert.equal((mine.body.items as unknown[]).length, 3);
    // A document that no longer matches its commitment is refused, not shown.
    const cid = String(chain.state.get(`plot:${pointPlot}`)!.documentCid);
    const original = store.files.get(cid)!;
    const env = JSON.parse(original.toString()) as { data: string };
    const doc = JSON.parse(Buffer.from(env.data, 'base64').toString()) as {
      details: { producerRef: string };
    };
    doc.details.producerRef = 'someone else';
    store.files.set(
      cid,
      Buffer.from(JSON.stringify({ ...env, data: Buffer.from(JSON.stringify(doc)).toString('base64') })),
    );
    const tampered = await call(ECTA_OFFICER, 'GET', `/eudr/plots/${pointPlot}`);
    assert.equal(tampered.status, 502);
    assert.equal(code(tampered), 'EUDR_COMMITMENT_MISMATCH');
    store.files.set(cid, original);
  });

  it("lists FLAGGED plots in ECTA's review queue, for ECTA only", async () => {
    const q = await call(ECTA_OFFICER, 'GET', '/eudr/review-queue');
    assert.equal(q.status, 200);
    assert.deepEqual(
      (q.body.items as { plotId: string }[]).map((p) => p.plotId),
      [flaggedPlot],
    );
    for (const who of [EXPORTER_A, GRADER, CUSTOMS])
      assert.equal((await call(who, 'GET', '/eudr/review-queue')).status, 403);
  });

  it('lets only an ECX grader link lots, on an export it can see', async () => {
    const lots = {
      lots: [
        {
          lotId: 'LOT-1',
          plots: [
            { plotId: clearPlot, quantityKg: 700 },
            { plotId: flaggedPlot, quantityKg: 500 },
          ],
        },
      ],
    };
    for (const who of [EXPORTER_A, ECTA_OFFICER, CUSTOMS, NB_FX]) {
      const r = await call(who, 'POST', '/exports/EXP-EU-1/eudr/lots', lots);
      assert.equal(r.status, 403, who);
    }
    const missing = await call(GRADER, 'POST', '/exports/EXP-NOPE/eudr/lots', lots);
    assert.equal(missing.status, 404);
    const twice = await call(GRADER, 'POST', '/exports/EXP-EU-1/eudr/lots', {
      lots: [lots.lots[0], lots.lots[0]],
    });
    assert.equal(twice.status, 422);
    const ok = await call(GRADER, 'POST', '/exports/EXP-EU-1/eudr/lots', lots);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(chain.submits.at(-1)!.endorsers, [MSP.ECX, MSP.ECTA]);
  });

  it('blocks the package while a plot is FLAGGED, and refuses it to another exporter or a non-EU export', async () => {
    const other = await call(EXPORTER_B, 'POST', '/exports/EXP-EU-1/eudr/package', {
      legalityDeclared: true,
    });
    assert.equal(other.status, 404);
    assert.equal(code(other), 'EXPORT_NOT_FOUND');
    const notEu = await call(EXPORTER_A, 'POST', '/exports/EXP-US-1/eudr/package', {
      legalityDeclared: true,
    });
    assert.equal(notEu.status, 422);
    assert.equal(code(notEu), 'EUDR_NOT_REQUIRED');
    const noLegality = await call(EXPORTER_A, 'POST', '/exports/EXP-EU-1/eudr/package', {
      legalityDeclared: false,
    });
    assert.equal(noLegality.status, 422);
    const noLots = await call(EXPORTER_A, 'POST', '/exports/EXP-EU-2/eudr/package', {
      legalityDeclared: true,
    });
    assert.equal(noLots.status, 422);
    assert.equal(code(noLots), 'EUDR_LOTS_MISSING');
    const blocked = await call(EXPORTER_A, 'POST', '/exports/EXP-EU-1/eudr/package', {
      legalityDeclared: true,
    });
    assert.equal(blocked.status, 422, JSON.stringify(blocked.body));
    assert.equal(code(blocked), 'EUDR_PLOT_NOT_CLEARED');
    assert.match(String(blocked.body.detail), new RegExp(flaggedPlot));
    assert.equal(chain.submits.filter((s) => s.fn === 'eudr:AssembleDdsPackage').length, 0);
  });

  it('lets only an ECTA officer review, and only a FLAGGED plot', async () => {
    const body = { outcome: 'REVIEW_CLEARED', note: 'loss polygon is a 2022 road cut, not farmland' };
    for (const who of [EXPORTER_A, GRADER, ECTA_ADMIN, CUSTOMS]) {
      assert.equal((await call(who, 'POST', `/eudr/plots/${flaggedPlot}/review`, body)).status, 403, who);
    }
    const notFlagged = await call(ECTA_OFFICER, 'POST', `/eudr/plots/${clearPlot}/review`, body);
    assert.equal(notFlagged.status, 409);
    const ok = await call(ECTA_OFFICER, 'POST', `/eudr/plots/${flaggedPlot}/review`, body);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const q = await call(ECTA_OFFICER, 'GET', '/eudr/review-queue');
    assert.deepEqual(q.body.items, [], 'the reviewed plot left the queue (read model)');
  });

  it('assembles, re-checks at ECTA and approves the package; the package audience downloads it', async () => {
    seals.length = 0;
    const built = await call(EXPORTER_A, 'POST', '/exports/EXP-EU-1/eudr/package', {
      legalityDeclared: true,
    });
    assert.equal(built.status, 201, JSON.stringify(built.body));
    assert.deepEqual(
      seals.map((s) => s.audience),
      [PACKAGE_AUDIENCE],
    );
    const sub = chain.submits.at(-1)!;
    assert.equal(sub.fn, 'eudr:AssembleDdsPackage');
    const input = JSON.parse(sub.args[1]!) as { plotIds: string[]; summary: Record<string, unknown> };
    assert.deepEqual(input.plotIds, [clearPlot, flaggedPlot].sort());
    assert.deepEqual(Object.keys(input.summary).sort(), [
      'country',
      'harvestFrom',
      'harvestTo',
      'hsCode',
      'netMassKg',
      'producerCount',
    ]);
    assert.equal(input.summary.hsCode, '0901.11');
    for (const who of [EXPORTER_A, GRADER, CUSTOMS, EXPORTER_B]) {
      assert.equal((await call(who, 'POST', '/exports/EXP-EU-1/eudr/approve')).status, 403, who);
    }
    const approved = await call(ECTA_OFFICER, 'POST', '/exports/EXP-EU-1/eudr/approve');
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.status, 'APPROVED');
    // Customs sees an export (and so its package) once the shipment is booked, as with every export read.
    const early = await call(CUSTOMS, 'GET', '/exports/EXP-EU-1/eudr/package');
    assert.equal(early.status, 404);
    assert.equal(code(early), 'EXPORT_NOT_FOUND');
    chain.exports.set('EXP-EU-1', exportRecord('EXP-EU-1', 'EXA', 'DE', 'SHIPMENT_BOOKED'));
    for (const who of [EXPORTER_A, BANK_OFFICER, ECTA_OFFICER, CUSTOMS]) {
      const d = await call(who, 'GET', '/exports/EXP-EU-1/eudr/package');
      assert.equal(d.status, 200, `${who}: ${JSON.stringify(d.body)}`);
      const features = (d.body.geojson as { features: { properties: Record<string, unknown> }[] }).features;
      assert.equal(features.length, 2);
      assert.deepEqual(Object.keys(features[0]!.properties).sort(), [
        'Area',
        'ProducerCountry',
        'ProducerName',
        'ProductionPlace',
      ]);
    }
    for (const [who, status] of [
      [EXPORTER_B, 404],
      [GRADER, 404],
      [NB_FX, 403],
      [SL_AGENT, 403],
    ] as const) {
      const d = await call(who, 'GET', '/exports/EXP-EU-1/eudr/package');
      assert.equal(d.status, status, `${who}: ${JSON.stringify(d.body)}`);
    }
    // Whoever may see the export learns the status; the details only the plot audience.
    const grader = await call(GRADER, 'GET', '/exports/EXP-EU-1/eudr');
    assert.equal((grader.body.package as { status: string }).status, 'APPROVED');
    const ref = await call(EXPORTER_A, 'POST', '/exports/EXP-EU-1/eudr/reference', {
      reference: 'DDS-2026-DE-000123',
    });
    assert.equal(ref.status, 200, JSON.stringify(ref.body));
    const row = await pool.query<{ status: string }>(
      "SELECT status FROM eudr_packages WHERE export_id = 'EXP-EU-1'",
    );
    assert.equal(row.rows[0]?.status, 'REFERENCED', 'projected into the read model');
  });

  it('refuses at ECTA a plot a dishonest bank gateway called CLEAR though it overlaps the layer', async () => {
    // The commitment is honest, the screening is not: only ECTA's own screening can tell.
    const details = {
      plotId: 'PLOT-LIE-1',
      exporterId: 'EXA',
      kind: 'Point',
      geometry: POINT_IN_LOSS,
      areaHa: 1,
      declaredAreaHa: 1,
      region: 'Sidama',
      woreda: 'Bensa',
      producerRef: 'Producer 3',
      harvestFrom: '2025-10-01',
      harvestTo: '2026-01-31',
      legalityDocuments: [],
    };
    const { commitment, salt } = commitPlot(details);
    const { envelope } = await fakeKeys(MSP.CommercialBank).seal(
      Buffer.from(JSON.stringify({ version: 1, details, salt })),
      'EUDR_PLOT',
      PLOT_AUDIENCE,
    );
    const doc = await store.put(envelope);
    const layerSha = String(chain.state.get('layer')!.sha256);
    const a = users.get(EXPORTER_A)!;
    await chain.ledger.submit(
      identityOf(a),
      'coffee-export',
      'eudr:RegisterPlot',
      new ChaincodeArgs([
        JSON.stringify({
          plotId: 'PLOT-LIE-1',
          commitment,
          kind: 'Point',
          documentCid: doc.cid,
          screening: { status: 'CLEAR', layerSha256: layerSha, overlapHa: 0 },
        }),
      ]),
    );
    await call(GRADER, 'POST', '/exports/EXP-EU-2/eudr/lots', {
      lots: [{ lotId: 'LOT-2', plots: [{ plotId: 'PLOT-LIE-1', quantityKg: 1200 }] }],
    });
    const built = await call(EXPORTER_A, 'POST', '/exports/EXP-EU-2/eudr/package', {
      legalityDeclared: true,
    });
    assert.equal(built.status, 201, JSON.stringify(built.body));
    const refused = await call(ECTA_OFFICER, 'POST', '/exports/EXP-EU-2/eudr/approve');
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(code(refused), 'EUDR_RESCREEN_MISMATCH');
    assert.match(String(refused.body.detail), /PLOT-LIE-1/);
    assert.equal(chain.state.get('package:EXP-EU-2')!.status, 'ASSEMBLED', 'not approved');
  });

  it('flags at ECTA a CLEAR plot that a newer layer overlaps, for review; approves once it is reviewed', async () => {
    // Registered CLEAR against the sample layer, 1 km south-west of its Sidama loss square.
    const plotArea = rect(38.460113, 6.810217, 38.462317, 6.812231);
    const reg = await call(EXPORTER_A, 'POST', '/eudr/plots', plotBody(plotArea, ha(plotArea), 'Coop 21'));
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    const plotId = String(reg.body.plotId);
    const firstSha = String(chain.state.get('layer')!.sha256);
    chain.exports.set('EXP-EU-3', exportRecord('EXP-EU-3', 'EXA', 'NL', 'QUALITY_CERTIFIED'));
    const linked = await call(GRADER, 'POST', '/exports/EXP-EU-3/eudr/lots', {
      lots: [{ lotId: 'LOT-3', plots: [{ plotId, quantityKg: 1200 }] }],
    });
    assert.equal(linked.status, 200, JSON.stringify(linked.body));
    const built = await call(EXPORTER_A, 'POST', '/exports/EXP-EU-3/eudr/package', {
      legalityDeclared: true,
    });
    assert.equal(built.status, 201, JSON.stringify(built.body));

    // ECTA loads a newer layer with loss from 2024 over part of the plot.
    const newer = JSON.parse(sampleLayerText()) as { features: object[] };
    newer.features.push({
      type: 'Feature',
      properties: { id: 'loss-sidama-2', lossYear: 2024, source: 'synthetic test layer' },
      geometry: rect(38.455, 6.805, 38.461, 6.811),
    });
    const loaded = await call(ECTA_OFFICER, 'POST', '/eudr/forest-layer', newer);
    assert.equal(loaded.status, 201, JSON.stringify(loaded.body));
    const newerSha = String(loaded.body.sha256);
    assert.notEqual(newerSha, firstSha);

    // Two officers approve at once; both reach the flagging (held until both have), one flag lands.
    chain.holdUntil('eudr:FlagPlot', 2);
    const flagsBefore = chain.submits.filter((x) => x.fn === 'eudr:FlagPlot').length;
    const answers = await Promise.all([
      call(ECTA_OFFICER, 'POST', '/exports/EXP-EU-3/eudr/approve'),
      call(ECTA_OFFICER, 'POST', '/exports/EXP-EU-3/eudr/approve'),
    ]);
    for (const a of answers) {
      assert.equal(a.status, 409, JSON.stringify(a.body));
      assert.equal(code(a), 'EUDR_PLOT_NOT_CLEARED');
      assert.match(String(a.body.detail), new RegExp(`plot ${plotId} overlaps .* now FLAGGED; review it`));
    }
    const flags = chain.submits.filter((x) => x.fn === 'eudr:FlagPlot').slice(flagsBefore);
    assert.equal(flags.length, 2, 'both approvals tried to flag it');
    assert.deepEqual(flags[0]!.endorsers, [MSP.CommercialBank, MSP.ECTA]);
    const input = JSON.parse(flags[0]!.args[1]!) as { layerSha256: string; overlapHa: number };
    assert.equal(flags[0]!.args[0], plotId);
    assert.equal(input.layerSha256, newerSha);
    assert.ok(input.overlapHa > 0.5 && input.overlapHa < ha(plotArea), `overlap ${input.overlapHa} ha`);
    const onLedger = chain.state.get(`plot:${plotId}`) as {
      screening: { status: string; layerSha256: string };
      rescreen: { fromLayerSha256: string };
    };
    assert.deepEqual(
      [onLedger.screening.status, onLedger.screening.layerSha256, onLedger.rescreen.fromLayerSha256],
      ['FLAGGED', newerSha, firstSha],
    );
    assert.equal(chain.state.get('package:EXP-EU-3')!.status, 'ASSEMBLED', 'not approved');
    const queue = await call(ECTA_OFFICER, 'GET', '/eudr/review-queue');
    assert.deepEqual(
      (queue.body.items as { plotId: string }[]).map((x) => x.plotId),
      [plotId],
      "in ECTA's review queue (read model)",
    );
    const item = (queue.body.items as { rescreen: { fromLayerSha256: string } | null }[])[0]!;
    assert.equal(item.rescreen?.fromLayerSha256, firstSha, 'the queue says it was re-screened');

    // Until it is reviewed, approving again is refused without a new flag.
    const again = await call(ECTA_OFFICER, 'POST', '/exports/EXP-EU-3/eudr/approve');
    assert.equal(code(again), 'EUDR_PLOT_NOT_CLEARED');
    assert.match(String(again.body.detail), /is FLAGGED: review it/);
    assert.equal(chain.submits.filter((x) => x.fn === 'eudr:FlagPlot').length, flagsBefore + 2);
    const reviewed = await call(ECTA_OFFICER, 'POST', `/eudr/plots/${plotId}/review`, {
      outcome: 'REVIEW_CLEARED',
      note: 'the 2024 loss is a road outside the coffee stand',
    });
    assert.equal(reviewed.status, 200, JSON.stringify(reviewed.body));
    const approved = await call(ECTA_OFFICER, 'POST', '/exports/EXP-EU-3/eudr/approve');
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.status, 'APPROVED');

    // The sample layer back in force for the tests after this one.
    const restored = await call(ECTA_OFFICER, 'POST', '/eudr/forest-layer', JSON.parse(sampleLayerText()));
    assert.equal(restored.body.sha256, firstSha);
  });

  it('tells the public only whether a package is needed and its status', async () => {
    const svc = new EudrService(
      {
        config: testConfig('ecta'),
        pool,
        ledger: chain,
        store,
        documentKeys: fakeKeys(MSP.ECTA),
        logger: silentLogger,
        orgAdmin: { id: 'ECTAMSP::admin', mspId: MSP.ECTA, certificate: '', privateKey: '' },
        enroll: () => Promise.reject(new Error('no')),
      } as unknown as Deps,
      userService,
    );
    const eu1 = await svc.publicStatus('EXP-EU-1');
    assert.deepEqual(
      { required: eu1?.required, packageStatus: eu1?.packageStatus, clearable: eu1?.clearable },
      { required: true, packageStatus: 'REFERENCED', clearable: true },
    );
    assert.match(String(eu1?.packageSha256), /^[0-9a-f]{64}$/);
    // Each plot by its commitment and status only: no plot id, no geometry, no producer.
    assert.equal(eu1?.plots.length, 2);
    for (const p of eu1?.plots ?? []) assert.deepEqual(Object.keys(p).sort(), ['commitment', 'status']);
    assert.doesNotMatch(JSON.stringify(eu1), /PLOT-|Producer|coordinates|EXA/);
    const eu2 = await svc.publicStatus('EXP-EU-2');
    assert.equal(eu2?.packageStatus, 'ASSEMBLED');
    assert.equal(eu2?.clearable, false);
    const us = await svc.publicStatus('EXP-US-1');
    assert.deepEqual(
      {
        required: us?.required,
        packageStatus: us?.packageStatus,
        clearable: us?.clearable,
        plots: us?.plots,
      },
      { required: false, packageStatus: null, clearable: true, plots: [] },
    );
    assert.equal(await svc.publicStatus('EXP-NONE'), null);
  });

  it("projects an EUDR transaction's write set into its own tables, never into the export's row", async () => {
    // A write set as the peer commits it: the lot links' composite key, an index key it ignores, a bad value.
    const kv = new protos.rwset.kvrwset.KVRWSet();
    const write = (key: string, value: string): protos.rwset.kvrwset.KVWrite => {
      const w = new protos.rwset.kvrwset.KVWrite();
      w.setKey(key);
      w.setValue(new Uint8Array(Buffer.from(value)));
      return w;
    };
    kv.setWritesList([
      write('\u0000eudr-lots\u0000EXP-PROJ-1\u0000', JSON.stringify({ exportId: 'EXP-PROJ-1', lots: [] })),
      write('\u0000eudr-plot-by-exporter\u0000EXA\u0000PLOT-X\u0000', '{"plotId":"PLOT-X"}'),
      write('\u0000eudr-dds\u0000EXP-PROJ-2\u0000', 'not json'),
    ]);
    const ns = new protos.rwset.NsReadWriteSet();
    ns.setNamespace('coffee-export');
    ns.setRwset(kv.serializeBinary());
    const rwset = new protos.rwset.TxReadWriteSet();
    rwset.setNsRwsetList([ns]);
    const bad: string[] = [];
    const writes = eudrWrites(rwset.serializeBinary(), (b) => bad.push(b.reason));
    assert.deepEqual(writes, [
      { kind: 'lots', id: 'EXP-PROJ-1', value: { exportId: 'EXP-PROJ-1', lots: [] } },
    ]);
    assert.equal(bad.length, 1);
    const before = await pool.query<{ n: string }>('SELECT count(*) AS n FROM rm_exports');
    const next = await pool.query<{ next_block: string }>(
      "SELECT COALESCE((SELECT next_block FROM projector_checkpoint WHERE name = 'read-model'), 0)::text AS next_block",
    );
    const applied = await applyBlock(pool, BigInt(next.rows[0]!.next_block), [
      {
        txIndex: 0,
        txId: 'tx-proj',
        chaincode: 'coffee-export',
        name: 'EudrLotsLinked',
        payload: { exportId: 'EXP-PROJ-1', at: '' },
        writes: [],
        eudr: writes,
      },
    ]);
    assert.equal(applied, true);
    const lots = await pool.query<{ last_tx_id: string }>(
      "SELECT last_tx_id FROM eudr_lots WHERE export_id = 'EXP-PROJ-1'",
    );
    assert.equal(lots.rows[0]?.last_tx_id, 'tx-proj');
    const after = await pool.query<{ n: string }>('SELECT count(*) AS n FROM rm_exports');
    assert.equal(after.rows[0]!.n, before.rows[0]!.n, 'no export row was made or touched');
  });
});
