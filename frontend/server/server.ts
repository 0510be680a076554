/**
 * The portal in production: the built app (frontend/dist) and a same-origin proxy /gw/<org>/... → that org's
 * gateway, on 127.0.0.1. `npm start` (scripts/stack.mts) runs it; `npm start -w frontend` builds and serves.
 *
 *   node --import tsx frontend/server/server.ts
 *
 * Environment:
 *   PORT                  port (default 3000; 0 picks a free one)
 *   HOST                  address (default 127.0.0.1)
 *   PORTAL_GATEWAY_<ORG>  an org's gateway URL (default http://127.0.0.1:3001..3006; server/gateways.ts, the
 *                         same mapping `vite` dev uses), e.g. PORTAL_GATEWAY_SHIPPING_LINE
 *   PORTAL_DEMO_ACCOUNTS  the seeder's demo-accounts.json, served at /demo-accounts.json in development only
 *                         (demo-accounts.ts, as under `vite` dev)
 *   PORTAL_DIST           the built app (default frontend/dist)
 *   ALLOWED_HOSTS         host names, comma-separated (".example.org" for it and its subdomains), accepted in
 *                         the Host header besides localhost and IP addresses (DNS rebinding)
 *   PORTAL_TLS_CERT_FILE  the HTTPS certificate (PEM, its chain after it) and its key; without them the portal
 *   PORTAL_TLS_KEY_FILE   speaks plain HTTP (a development convenience; `npm start` always gives them)
 *   PORTAL_GATEWAY_CA_FILE the CA bundle (PEM) the proxy verifies https gateways against (default: Node's roots)
 *   PORTAL_PROXY_SECRET   shared with the gateways: sent as X-Portal-Proxy-Secret with X-Forwarded-For (the
 *                         browser's address), which a gateway believes only with that secret (rate limits per
 *                         client, gateways/src/auth/client-ip.ts); a client's own such headers are dropped
 *
 * - Static files: hashed assets (/assets/*) are cached for a year, immutable; everything else (index.html,
 *   config.json, ...) is `no-cache` (revalidated each time, so an edited config.json or a new build shows at once).
 *   Any other GET of a page (no file extension, or a browser asking for HTML) gets index.html: client-side routes.
 * - /gw/<org>/<path> goes to <gateway>/<path>, method, headers and body streamed through untouched (no body
 *   parsing: uploads of up to 1 GiB pass without buffering). An unknown org is a 404, an unreachable gateway a
 *   502 (504 on a timeout) — problem+json, as the gateways answer.
 * - Every response carries helmet's headers (HSTS, nosniff, Referrer-Policy, X-Frame-Options, ...) and a
 *   Content-Security-Policy for the built app: its own scripts and styles only, data: images (the QR code),
 *   fetch/XHR to itself and to any absolute gateway URL config.json names, no framing.
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { readFileSync, statSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { Agent as HttpsAgent, createServer as createHttpsServer } from 'node:https';
import { isIP } from 'node:net';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { demoAccountsMiddleware } from '../demo-accounts';
import { gatewayPrefix, gatewayTargets } from './gateways';

export const DEFAULT_DIST = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
export const DEFAULT_PORT = 3000;
export const DEFAULT_HOST = '127.0.0.1';

/** Vite puts content-hashed bundles here (dist/assets): their URL changes with their content. */
const HASHED_ASSETS = '/assets/';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

export interface PortalOptions {
  /** The built app (index.html, config.json, assets/). */
  dist: string;
  /** Org id → its gateway's base URL. */
  gateways: Record<string, string>;
  /** Read for PORTAL_DEMO_ACCOUNTS at each request (default process.env). */
  env?: Record<string, string | undefined>;
  /** Host names accepted besides localhost and IP addresses (".example.org": it and its subdomains). */
  allowedHosts?: readonly string[];
  /** One line per notable event (default: stderr). */
  log?: (line: string) => void;
  /** CA certificates (PEM) the proxy verifies https gateway URLs against; Node's roots when absent. */
  gatewayCa?: Buffer;
  /** Shared with the gateways: proves this proxy's X-Forwarded-For to them (PORTAL_PROXY_SECRET). */
  proxySecret?: string;
}

/** The header carrying the proxy's shared secret (gateways/src/auth/client-ip.ts reads it). */
export const PROXY_SECRET_HEADER = 'x-portal-proxy-secret';

/** HSTS: a year (browsers ignore it for IP addresses such as 127.0.0.1: RFC 6797, 8.1). */
export const HSTS_MAX_AGE_SECONDS = 365 * 86_400;

interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
}

/** RFC 9457 problem details shaped like the gateways' own (gateways/src/errors.ts). */
function sendProblem(res: ServerResponse, status: number, title: string, code: string, detail: string): void {
  const problem: Problem = {
    type: `https://coffee-export.local/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title,
    status,
    code,
    detail,
  };
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/problem+json');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(problem));
}

/** The origins of the absolute gateway URLs in config.json (the browser calls those directly), re-read on change. */
function configOrigins(dist: string): () => string[] {
  const file = join(dist, 'config.json');
  let seen = -1;
  let origins: string[] = [];
  return () => {
    let mtime: number;
    try {
      mtime = statSync(file).mtimeMs;
    } catch {
      mtime = 0;
    }
    if (mtime === seen) return origins;
    seen = mtime;
    origins = [];
    try {
      const raw = JSON.parse(readFileSync(file, 'utf8')) as { gateways?: unknown };
      if (typeof raw.gateways === 'object' && raw.gateways !== null) {
        for (const url of Object.values(raw.gateways as Record<string, unknown>)) {
          if (typeof url === 'string' && /^https?:\/\//.test(url)) origins.push(new URL(url).origin);
        }
      }
    } catch {
      // No or unreadable config.json: the app uses its same-origin or built-in gateway URLs.
    }
    origins = [...new Set(origins)];
    return origins;
  };
}

/** The Content-Security-Policy for the built app, given the extra origins it may fetch from. */
export function contentSecurityPolicy(connectOrigins: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    // The QR code on the public verification page is a data: image.
    "img-src 'self' data:",
    "font-src 'self'",
    ["connect-src 'self'", ...connectOrigins].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Whether a Host header names this server: an IP address, localhost (and *.localhost), or an allowed name. */
export function hostAllowed(hostHeader: string | undefined, allowed: readonly string[] = []): boolean {
  if (!hostHeader) return false;
  let name: string;
  try {
    name = new URL(`http://${hostHeader}`).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (name.startsWith('[') && name.endsWith(']')) return isIP(name.slice(1, -1)) === 6;
  if (isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost')) return true;
  return allowed.some((a) => {
    const entry = a.trim().toLowerCase();
    if (entry.startsWith('.')) return name === entry.slice(1) || name.endsWith(entry);
    return entry !== '' && name === entry;
  });
}

/** Whether an unmatched GET should get index.html: a page of the app, not a missing file. */
function isPageRequest(req: Request): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (req.path.startsWith(HASHED_ASSETS)) return false;
  const last = req.path.slice(req.path.lastIndexOf('/') + 1);
  return extname(last) === '' || (req.headers.accept ?? '').includes('text/html');
}

export function createPortalApp(options: PortalOptions): Express {
  const dist = resolve(options.dist);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const origins = configOrigins(dist);
  const assetsDir = join(dist, 'assets') + sep;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  // helmet's headers on every answer; the CSP is ours (it follows config.json's gateway origins).
  app.use(
    helmet({
      contentSecurityPolicy: false,
      strictTransportSecurity: { maxAge: HSTS_MAX_AGE_SECONDS, includeSubDomains: true },
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      crossOriginOpenerPolicy: { policy: 'same-origin' },
    }),
  );
  // Kept across requests: the proxy's connections to https gateways, verified against the CA bundle.
  const gatewayAgent = new HttpsAgent({
    keepAlive: true,
    ...(options.gatewayCa ? { ca: options.gatewayCa } : {}),
  });
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Content-Security-Policy', contentSecurityPolicy(origins()));
    if (!hostAllowed(req.headers.host, options.allowedHosts)) {
      sendProblem(
        res,
        403,
        'Forbidden',
        'HOST_NOT_ALLOWED',
        'This host name is not allowed (the portal server answers to localhost, IP addresses and ALLOWED_HOSTS).',
      );
      return;
    }
    next();
  });

  for (const [org, target] of Object.entries(options.gateways)) {
    const proxy = createProxyMiddleware<IncomingMessage, ServerResponse>({
      target,
      changeOrigin: true,
      // An https gateway's certificate is verified (secure) against the CA bundle the agent holds.
      ...(target.startsWith('https:') ? { agent: gatewayAgent, secure: true } : {}),
      on: {
        // The browser's address for the gateway's per-client limits, vouched for by the shared secret; whatever a
        // client sent in these headers itself is dropped (it could claim any address, or guess at the secret).
        proxyReq: (proxyReq, req) => {
          proxyReq.removeHeader(PROXY_SECRET_HEADER);
          proxyReq.removeHeader('x-forwarded-for');
          if (!options.proxySecret) return;
          proxyReq.setHeader(PROXY_SECRET_HEADER, options.proxySecret);
          if (req.socket.remoteAddress) proxyReq.setHeader('x-forwarded-for', req.socket.remoteAddress);
        },
        error: (err: Error & { code?: string }, req, res) => {
          log(`portal: ${org} gateway ${req.method ?? ''} ${req.url ?? ''}: ${err.code ?? err.message}`);
          if (!('writeHead' in res)) {
            res.destroy(); // a WebSocket upgrade's socket
            return;
          }
          if (res.headersSent) {
            res.destroy();
            return;
          }
          const timeout = err.code === 'ETIMEDOUT' || err.code === 'ESOCKETTIMEDOUT';
          sendProblem(
            res,
            timeout ? 504 : 502,
            timeout ? 'Gateway Timeout' : 'Bad Gateway',
            'GATEWAY_UNREACHABLE',
            `The ${org} gateway did not answer; try again shortly.`,
          );
        },
      },
    });
    // Mounted at the prefix: the proxy sees (and forwards) only the rest of the path.
    app.use(gatewayPrefix(org), proxy);
  }
  app.use('/gw', (req: Request, res: Response) => {
    const org = req.path.split('/')[1] ?? '';
    sendProblem(res, 404, 'Not Found', 'UNKNOWN_ORGANIZATION', `No gateway for organization "${org}".`);
  });

  app.use(demoAccountsMiddleware(options.env ?? process.env));

  app.use(
    express.static(dist, {
      index: false,
      redirect: false,
      cacheControl: false,
      setHeaders: (res, path) => {
        res.setHeader('Cache-Control', path.startsWith(assetsDir) ? IMMUTABLE : REVALIDATE);
      },
    }),
  );

  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!isPageRequest(req)) {
      next();
      return;
    }
    res.sendFile(
      join(dist, 'index.html'),
      { cacheControl: false, headers: { 'Cache-Control': REVALIDATE } },
      (e) => {
        if (e) next(e);
      },
    );
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).type('text/plain').set('Cache-Control', 'no-store').send('Not found\n');
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    log(`portal: ${req.method} ${req.originalUrl}: ${err instanceof Error ? err.message : String(err)}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(500).type('text/plain').set('Cache-Control', 'no-store').send('Internal server error\n');
  });

  return app;
}

export interface StartedPortal {
  server: Server;
  /** https://<host>:<port> as bound (http:// without a certificate). */
  url: string;
  close: () => Promise<void>;
}

/** Starts the portal server; resolves once it listens (on 127.0.0.1 unless `host` says otherwise). */
export async function startPortalServer(
  options: PortalOptions & { port?: number; host?: string; tls?: { cert: Buffer; key: Buffer } },
): Promise<StartedPortal> {
  const app = createPortalApp(options);
  const host = options.host ?? DEFAULT_HOST;
  const server = await new Promise<Server>((resolveListen, reject) => {
    // HTTPS with the given certificate; a plain-HTTP request to that port gets no answer (a failed handshake).
    const s = options.tls
      ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' }, app)
      : createHttpServer(app);
    s.once('error', reject);
    s.listen(options.port ?? DEFAULT_PORT, host, () => resolveListen(s));
  });
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('the portal server has no TCP address');
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `${options.tls ? 'https' : 'http'}://${hostPart}:${address.port}`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

/** The server as `npm start` runs it: configured from the environment. */
export async function main(env: Record<string, string | undefined> = process.env): Promise<StartedPortal> {
  const dist = resolve(env.PORTAL_DIST || DEFAULT_DIST);
  try {
    statSync(join(dist, 'index.html'));
  } catch {
    throw new Error(`no built portal at ${dist} (run \`npx vite build\` in frontend/ first)`);
  }
  const port = env.PORT ? Number(env.PORT) : DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT ${env.PORT} is not a port`);
  const gateways = gatewayTargets(env);
  const file = (name: string): Buffer | undefined => {
    const path = env[name];
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (e: unknown) {
      throw new Error(`${name}: cannot read ${path} (${e instanceof Error ? e.message : String(e)})`);
    }
  };
  const cert = file('PORTAL_TLS_CERT_FILE');
  const key = file('PORTAL_TLS_KEY_FILE');
  if ((cert === undefined) !== (key === undefined))
    throw new Error('PORTAL_TLS_CERT_FILE and PORTAL_TLS_KEY_FILE go together');
  const gatewayCa = file('PORTAL_GATEWAY_CA_FILE');
  const started = await startPortalServer({
    dist,
    gateways,
    env,
    ...(cert && key ? { tls: { cert, key } } : {}),
    ...(gatewayCa ? { gatewayCa } : {}),
    ...(env.PORTAL_PROXY_SECRET ? { proxySecret: env.PORTAL_PROXY_SECRET } : {}),
    allowedHosts: (env.ALLOWED_HOSTS ?? '').split(',').filter((h) => h.trim() !== ''),
    port,
    host: env.HOST || DEFAULT_HOST,
  });
  // One write: whoever reads the start-up lines (a launcher, a test) gets them together.
  process.stdout.write(
    [
      `portal: listening on ${started.url} (${dist})`,
      ...(cert ? [] : ['portal: no PORTAL_TLS_CERT_FILE/PORTAL_TLS_KEY_FILE: plain HTTP (development only)']),
      ...Object.entries(gateways).map(([org, url]) => `portal:   ${gatewayPrefix(org)} → ${url}`),
    ].join('\n') + '\n',
  );
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`portal: ${signal}, stopping\n`);
    // Idle keep-alive connections close at once, requests in flight get a few seconds.
    started.server.close(() => process.exit(0));
    started.server.closeIdleConnections();
    setTimeout(() => started.server.closeAllConnections(), 5000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return started;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`portal: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
