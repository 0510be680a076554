/**
 * Builds the Express app from its dependencies (no listening here: server.ts listens, tests drive the app
 * in-process or over a port). One error middleware turns every failure into problem+json.
 */
import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type Express, type Request } from 'express';
import { clientAddressMiddleware } from './auth/client-ip.ts';
import { requestLimiters } from './auth/limiters.ts';
import { pinoHttp } from 'pino-http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { dbReachable } from './db/pool.ts';
import { AppError, PROBLEM_CONTENT_TYPE, toProblem } from './errors.ts';
import { apiRoutes } from './routes/api.ts';
import { authenticate, mount } from './routes/http.ts';
import { openApiDocument } from './routes/openapi.ts';
import { AdmissionLimiter } from './services/admission.ts';
import { AuthService } from './services/auth.ts';
import type { Deps } from './services/deps.ts';
import { ExportService } from './services/exports.ts';
import { IdempotencyService } from './services/idempotency.ts';
import { RegistryService } from './services/registries.ts';
import { UserService } from './services/users.ts';
import { MfaService } from './services/mfa.ts';
import { EudrService } from './services/eudr.ts';
import { UploadQuota } from './services/upload-quota.ts';
import { bodyReaders, closeIfBodyUnread } from './routes/bodies.ts';
import { securityHeaders } from './transport.ts';
import { registerGatewayMetrics } from './metrics.ts';
import { createLive, type Live } from './events/live.ts';
import { opsRoutes } from './routes/ops.ts';
import { operationsRoutes } from './routes/operations.ts';
import { OperationsService } from './services/operations.ts';

export interface AppHandle {
  app: Express;
  services: {
    users: UserService;
    auth: AuthService;
    exports: ExportService;
    registries: RegistryService;
    mfa: MfaService;
    eudr: EudrService;
  };
  metrics: Registry;
  /** Live events (SSE, webhooks) and the audit trail: server.ts starts and stops it (events/live.ts). */
  live: Live;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** The sign-in routes: their refusals count as failed logins (metrics.ts). */
const LOGIN_PATH = /\/auth\/(login|mfa\/verify)$/;

export function createApp(deps: Deps): AppHandle {
  const { config, logger } = deps;
  const users = new UserService(deps);
  const auth = new AuthService(deps, users);
  const exportsSvc = new ExportService(deps, users);
  const registries = new RegistryService(deps, users);
  // Two-factor hooks itself into the login (auth.useSecondFactor) and gates every authenticated route below.
  const mfa = new MfaService(deps, users, auth);
  const eudr = new EudrService(deps, users);
  const services = { users, auth, exports: exportsSvc, registries, mfa, eudr };

  const metrics = new Registry();
  const live = createLive(deps, users, metrics);
  const admission = new AdmissionLimiter(config.submitConcurrency);
  new Gauge({
    name: 'gateway_submissions_in_flight',
    help: 'Ledger submissions running now (admission limit: gateway_submission_limit)',
    registers: [metrics],
    collect() {
      this.set(admission.inFlight);
    },
  });
  new Gauge({
    name: 'gateway_submission_limit',
    help: 'Admission limit on concurrent ledger submissions',
    registers: [metrics],
    collect() {
      this.set(admission.limit);
    },
  });
  new Gauge({
    name: 'gateway_submissions_refused_total',
    help: 'Submissions refused with 503 at the admission limit since start',
    registers: [metrics],
    collect() {
      this.set(admission.refused);
    },
  });
  const uploadQuota = new UploadQuota(config.uploadQuota);
  new Gauge({
    name: 'gateway_upload_quota_refused_total',
    help: 'Uploads refused with 429 at a user upload quota since start',
    registers: [metrics],
    collect() {
      this.set(uploadQuota.refused);
    },
  });
  metrics.setDefaultLabels({ org: config.org.id });
  collectDefaultMetrics({ register: metrics });
  // Business and health metrics (metrics.ts): the ledger and the export service report into them.
  const gatewayMetrics = registerGatewayMetrics(metrics, deps);
  deps.ledger.ledger.observer = gatewayMetrics.ledger;
  exportsSvc.transitionObserver = gatewayMetrics.transitions;
  const httpDuration = new Histogram({
    name: 'gateway_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics],
  });
  const problems = new Counter({
    name: 'gateway_problems_total',
    help: 'Problem responses by code',
    labelNames: ['code', 'status'],
    registers: [metrics],
  });

  const app = express();
  app.disable('x-powered-by');
  // HSTS, nosniff, no framing, a CSP that allows nothing (transport.ts): on every answer, errors included.
  app.use(securityHeaders());
  app.set('trust proxy', false);
  // X-Forwarded-For counts only from the portal proving itself with the shared secret (auth/client-ip.ts).
  app.use(clientAddressMiddleware(config.portalProxySecret));
  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      // One short line per request (method, path, status, time): headers were serialized for every request.
      serializers: {
        req: (req: { id?: unknown; method?: string; url?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
      // The ledger transaction a request made, on its log line (set by mount(), routes/http.ts, or onError).
      customProps: (_req, res) => {
        const txId: unknown = res.locals?.txId;
        return typeof txId === 'string' ? { txId } : {};
      },
      // A request that wrote to the ledger is logged at info (with its txId): the trail from log to block.
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500
          ? 'error'
          : res.statusCode >= 400
            ? 'warn'
            : typeof res.locals?.txId === 'string'
              ? 'info'
              : 'debug',
    }),
  );
  app.use((req, res, next) => {
    const end = httpDuration.startTimer({ method: req.method });
    res.on('finish', () =>
      end({
        route: (req.route as { path?: string } | undefined)?.path ?? 'unmatched',
        status: res.statusCode,
      }),
    );
    next();
  });
  // No body is parsed here: each route reads its own, after its authentication (routes/bodies.ts).

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', org: config.org.id, mspId: config.org.mspId });
  });
  app.get('/ready', async (_req, res) => {
    const [peer, postgres, ipfs] = await Promise.all([
      deps.ledger.ledger.ping(2000),
      dbReachable(deps.pool),
      deps.store.reachable(),
    ]);
    const ready = peer && postgres && ipfs;
    const checks = {
      peer: peer ? 'up' : 'down',
      postgres: postgres ? 'up' : 'down',
      ipfs: ipfs ? 'up' : 'down',
    };
    if (ready) {
      res.json({ status: 'ready', checks });
    } else {
      res
        .status(503)
        .type(PROBLEM_CONTENT_TYPE)
        .json({ ...toProblem(new AppError(503, 'NOT_READY', 'a dependency is unreachable')), checks });
    }
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.metrics());
  });

  // The public keys that verify this gateway's access tokens, by kid (auth/keyring.ts): rotated keys included.
  app.get('/.well-known/jwks.json', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=60');
    res.json(auth.jwks());
  });

  // Login per (username, client address), refresh and the public /verify per client address (auth/limiters.ts).
  const limiters = requestLimiters(config);
  const routes = [
    ...apiRoutes(config, services, limiters.login, limiters.verify, limiters.refresh),
    ...opsRoutes({ ...live.ops, reauthenticate: authenticate(auth.keys, users, auth.revocations) }),
    // The Operations page: fixed Prometheus queries, business panels pinned to this org (services/operations.ts).
    ...operationsRoutes(new OperationsService(config)),
  ];
  const doc = openApiDocument(config, routes);
  const api = express.Router();
  api.get('/openapi.json', (_req, res) => {
    res.json(doc);
  });
  mount(api, routes, {
    orgId: config.org.id,
    auth: mfa.gate(authenticate(auth.keys, users, auth.revocations)),
    idempotency: new IdempotencyService(deps.pool, config.idempotencyLeaseSeconds),
    admission,
    bodies: bodyReaders({
      jsonLimitBytes: config.jsonBodyLimitBytes,
      uploadLimitBytes: config.uploads.maxBytes,
    }),
    uploadQuota,
  });
  app.use('/api/v1', api);

  app.use((req, _res, next) => next(new AppError(404, 'NOT_FOUND', `no route ${req.method} ${req.path}`)));
  const onError: ErrorRequestHandler = (err: unknown, req: Request, res, _next) => {
    const e = bodyParserError(err) ?? err;
    const problem = toProblem(e, req.originalUrl.split('?')[0]);
    if (problem.txId) res.locals.txId = problem.txId;
    problems.inc({ code: problem.code, status: problem.status });
    gatewayMetrics.requestFailed(e, LOGIN_PATH.test(req.path));
    if (problem.status >= 500) req.log?.error({ err: e, code: problem.code }, 'request failed');
    if (res.headersSent) return;
    // Refused before its body was read (a 404, a 401 …): close after answering rather than read the body.
    closeIfBodyUnread(req, res);
    const retryAfter = (e as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
    res.status(problem.status).type(PROBLEM_CONTENT_TYPE).json(problem);
  };
  app.use(onError);
  return { app, services, metrics, live };
}

/** body-parser's errors carry `type` and `status`: map them to stable codes. */
function bodyParserError(err: unknown): AppError | undefined {
  const e = err as { type?: unknown; status?: unknown };
  if (typeof e?.type !== 'string') return undefined;
  if (e.type === 'entity.too.large')
    return new AppError(413, 'PAYLOAD_TOO_LARGE', 'the request body is too large');
  if (e.type === 'entity.parse.failed')
    return new AppError(400, 'MALFORMED_JSON', 'the request body is not valid JSON');
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported')
    return new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'unsupported body encoding');
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500)
    return new AppError(e.status, 'BAD_REQUEST', 'the request body could not be read');
  return undefined;
}
