/**
 * Every page and API of a running stack over HTTPS, with the security headers (portal.integration.test.ts):
 *
 * - the portal: every route of App.tsx, the assets index.html names, /demo-accounts.json, and each org's gateway
 *   through /gw/<org>/ (/health, /ready, /api/v1/openapi.json, a login and an authenticated /auth/me);
 * - each gateway directly: /health, /ready, /metrics, /api/v1/openapi.json, a login and /auth/me.
 *
 * Each answer: over TLS verified against the stack's CA bundle (endpoints.json `caFile`), its chain ending at a CA
 * of that bundle, HSTS and nosniff; the portal's pages also a strict CSP (no 'unsafe-inline', no framing), the
 * gateways' a CSP that allows nothing. Each host: refused by a client trusting only Node's default roots, and a
 * plain-HTTP request to its port gets no HTTP answer. Returns what was checked and every problem found.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { appRoutes } from './routes.ts';

export interface HttpsWalkInput {
  portalUrl: string;
  /** The CA bundle (PEM) the stack's certificates chain to. */
  caFile: string;
  gateways: Record<string, { url: string }>;
  /** Accounts to sign in with (the demo accounts): the first of each org that gets a token is used. */
  accounts: readonly { org: string; role: string; username: string; password: string }[];
  /** A value for route parameters (":id"), e.g. a seeded export id. */
  sampleId: string;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The chain's last certificate's SHA-256 fingerprint (the root the client verified against). */
  root: string;
  authorized: boolean;
}

/** The SHA-256 fingerprints of every certificate of a PEM bundle. */
function bundleFingerprints(pem: string): Set<string> {
  const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return new Set(certs.map((c) => new X509Certificate(c).fingerprint256));
}

function rootOf(cert: DetailedPeerCertificate): string {
  let c = cert;
  for (
    let i = 0;
    i < 10 && c.issuerCertificate && c.issuerCertificate.fingerprint256 !== c.fingerprint256;
    i++
  )
    c = c.issuerCertificate;
  return c.fingerprint256;
}

/** One request on a fresh TLS connection (agent: false), so its peer chain is the one just verified. */
function call(
  url: string,
  ca: Buffer | undefined,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: opts.method ?? 'GET',
        headers: opts.headers,
        agent: false,
        timeout: 30_000,
        ...(ca ? { ca } : {}),
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const root = rootOf(socket.getPeerCertificate(true));
        const authorized = socket.authorized;
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, root, authorized }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** What a plain-HTTP request to this origin's port gets: "refused: <code>" or "answered <status>". */
function plainHttp(origin: string): Promise<string> {
  const url = new URL(origin);
  url.protocol = 'http:';
  return new Promise((resolve) => {
    const req = httpRequest(url, { timeout: 10_000 }, (res) => {
      res.resume();
      resolve(`answered ${res.statusCode}${res.headers.location ? ` → ${res.headers.location}` : ''}`);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`refused: ${e.code ?? e.message}`));
    req.end();
  });
}

const header = (a: Answer, name: string): string => {
  const v = a.headers[name];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
};

export async function walkHttps(input: HttpsWalkInput): Promise<{ checked: string[]; problems: string[] }> {
  const caPem = readFileSync(input.caFile);
  const roots = bundleFingerprints(caPem.toString('utf8'));
  const checked: string[] = [];
  const problems: string[] = [];
  const portal = input.portalUrl.replace(/\/$/, '');

  /** Requests `url` and checks TLS, chain, status and the headers every answer carries. */
  async function check(
    what: string,
    url: string,
    opts: { method?: string; headers?: Record<string, string>; body?: string; status?: number } = {},
  ): Promise<Answer | undefined> {
    let a: Answer;
    try {
      a = await call(url, caPem, opts);
    } catch (e: unknown) {
      problems.push(`${what} ${url}: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
    const found: string[] = [];
    if (!url.startsWith('https://')) found.push('not https');
    if (!a.authorized) found.push('TLS not verified');
    if (!roots.has(a.root)) found.push(`chain ends at ${a.root}, not a CA of ${input.caFile}`);
    if (a.status !== (opts.status ?? 200)) found.push(`status ${a.status}: ${a.body.slice(0, 200)}`);
    if (!/max-age=\d{7,}/.test(header(a, 'strict-transport-security')))
      found.push(`HSTS "${header(a, 'strict-transport-security')}"`);
    if (header(a, 'x-content-type-options') !== 'nosniff') found.push('no nosniff');
    if (header(a, 'content-security-policy') === '') found.push('no CSP');
    if (found.length > 0) problems.push(`${what} ${url}: ${found.join('; ')}`);
    checked.push(`${what} ${url} → ${a.status}`);
    return a;
  }

  /** The portal's page CSP: its own scripts and styles only, nothing inline, no plugins, no framing. */
  function strictPageCsp(what: string, a: Answer | undefined): void {
    if (!a) return;
    const csp = header(a, 'content-security-policy');
    const missing = [
      "default-src 'self'",
      "script-src 'self'",
      "object-src 'none'",
      "frame-ancestors 'none'",
    ].filter((d) => !csp.includes(d));
    if (missing.length > 0 || /unsafe-(inline|eval)/.test(csp))
      problems.push(`${what}: CSP not strict (${csp}; missing ${missing.join(', ') || 'nothing'})`);
    if (header(a, 'x-frame-options') !== 'DENY')
      problems.push(`${what}: X-Frame-Options ${header(a, 'x-frame-options')}`);
  }

  /** A session at the org's gateway through `base` (the gateway or the portal's /gw/<org>): a bearer token. */
  async function signIn(org: string, base: string): Promise<string | undefined> {
    for (const acc of input.accounts.filter((x) => x.org === org && x.role !== 'admin')) {
      const a = await call(`${base}/api/v1/auth/login`, caPem, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: acc.username, password: acc.password }),
      }).catch(() => undefined);
      const token =
        a?.status === 200 ? (JSON.parse(a.body) as { accessToken?: unknown }).accessToken : undefined;
      if (typeof token === 'string') return token;
    }
    problems.push(`${org}: no account could sign in at ${base}`);
    return undefined;
  }

  async function host(what: string, origin: string): Promise<void> {
    // Trusted only through the bundle: a client with Node's default roots refuses the certificate.
    const untrusting = await call(`${origin}/`, undefined).then(
      (a) => `answered ${a.status}`,
      (e: unknown) => `refused: ${e instanceof Error ? e.message : String(e)}`,
    );
    if (!/^refused: .*(certificate|self.signed|issuer)/i.test(untrusting))
      problems.push(`${what} ${origin}: a client without the CA bundle got "${untrusting}"`);
    const plain = await plainHttp(origin);
    if (!plain.startsWith('refused') && !/^answered 30[18] → https:/.test(plain))
      problems.push(`${what} ${origin}: plain HTTP was ${plain}`);
    checked.push(`${what} ${origin}: default roots ${untrusting.slice(0, 60)}; plain HTTP ${plain}`);
  }

  // ------------------------------------------------------------------------------------------ the portal
  await host('portal', portal);
  const pages = appRoutes().map((r) => r.replace(/:[A-Za-z]+/g, encodeURIComponent(input.sampleId)));
  for (const path of pages)
    strictPageCsp(
      `page ${path}`,
      await check('page', `${portal}${path}`, { headers: { accept: 'text/html' } }),
    );
  const index = await check('index', `${portal}/`);
  const assets = [...(index?.body ?? '').matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
  if (assets.length === 0) problems.push('index.html names no /assets/ file');
  for (const asset of new Set(assets)) await check('asset', `${portal}${asset}`);
  await check('demo accounts', `${portal}/demo-accounts.json`);
  for (const org of Object.keys(input.gateways)) {
    const gw = `${portal}/gw/${org}`;
    for (const path of ['/health', '/ready', '/api/v1/openapi.json']) await check('proxied', `${gw}${path}`);
    const token = await signIn(org, gw);
    if (token)
      await check('proxied, signed in', `${gw}/api/v1/auth/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
  }

  // ------------------------------------------------------------------------------------- each gateway
  for (const [org, { url }] of Object.entries(input.gateways)) {
    const gw = url.replace(/\/$/, '');
    await host(`gateway ${org}`, gw);
    for (const path of ['/health', '/ready', '/metrics']) await check(`gateway ${org}`, `${gw}${path}`);
    const doc = await check(`gateway ${org}`, `${gw}/api/v1/openapi.json`);
    const server = doc
      ? (JSON.parse(doc.body) as { servers?: { url?: string }[] }).servers?.[0]?.url
      : undefined;
    if (doc && !server?.startsWith('https://')) problems.push(`gateway ${org}: openapi.json names ${server}`);
    if (doc && !header(doc, 'content-security-policy').includes("default-src 'none'"))
      problems.push(`gateway ${org}: CSP "${header(doc, 'content-security-policy')}"`);
    const token = await signIn(org, gw);
    if (token)
      await check(`gateway ${org}, signed in`, `${gw}/api/v1/auth/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
  }
  return { checked, problems };
}
