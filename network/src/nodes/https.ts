import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';

export interface TlsFiles {
  ca: string;
  cert?: string;
  key?: string;
}

/** GET over TLS with a pinned CA (and optional client certificate); resolves status and body. */
export function httpsGet(
  url: string,
  tls: TlsFiles,
  timeoutMs = 2000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        ca: readFileSync(tls.ca),
        cert: tls.cert ? readFileSync(tls.cert) : undefined,
        key: tls.key ? readFileSync(tls.key) : undefined,
        timeout: timeoutMs,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

export async function healthy(url: string, tls: TlsFiles): Promise<boolean> {
  const res = await httpsGet(url, tls);
  return res.status === 200;
}

/** Statuses whose Response has no body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 204, 205, 304]);

function toResponse(res: IncomingMessage, method: string): Response {
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
    headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  const status = res.statusCode ?? 0;
  if (method === 'HEAD' || NULL_BODY.has(status)) {
    res.resume();
    return new Response(null, { status, statusText: res.statusMessage ?? '', headers });
  }
  const body = Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>;
  return new Response(body, { status, statusText: res.statusMessage ?? '', headers });
}

/**
 * fetch(url, init) over TLS verified against `ca` (PEM, e.g. endpoints.json's `caFile` content): Node 20's global
 * fetch takes no CA of its own (undici's Agent is not exposed), so this speaks node:https and answers a WHATWG
 * Response — callers keep fetch's interface (bodies: string, FormData, Blob, a stream; `res.json()`, headers).
 * Unlike fetch it follows no redirect and negotiates no compression. http:// URLs go through node:http.
 * The gateways' tests have the same helper (gateways/test/support/tls.ts: gateways/ may not import network/).
 */
export async function tlsFetch(
  input: string | URL,
  init: RequestInit = {},
  ca?: string | Buffer,
): Promise<Response> {
  const url = new URL(input);
  const streamed = init.body instanceof ReadableStream;
  // The Request encodes the body as fetch would (FormData → multipart with its boundary, JSON text, Blob).
  // A streamed body needs `duplex: 'half'` (the request is sent while the body is still being read).
  const normalized = new Request(url, { ...init, ...(streamed ? { duplex: 'half' } : {}) });
  const headers: Record<string, string> = {};
  normalized.headers.forEach((v, k) => (headers[k] = v));
  let body: Buffer | Readable | undefined;
  if (normalized.body && streamed) {
    // Projects built with lib.dom (scripts/) see the DOM's ReadableStream type here, not node:stream/web's.
    body = Readable.fromWeb(normalized.body as NodeReadableStream<Uint8Array>);
  } else if (normalized.body) {
    body = Buffer.from(await normalized.arrayBuffer());
    headers['content-length'] = String(body.length);
  }
  const method = normalized.method;
  return new Promise<Response>((resolve, reject) => {
    const send = url.protocol === 'https:' ? request : httpRequest;
    const req = send(
      url,
      {
        method,
        headers,
        ...(url.protocol === 'https:' && ca !== undefined ? { ca } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
      },
      (res) => resolve(toResponse(res, method)),
    );
    req.once('error', reject);
    if (body instanceof Readable) body.pipe(req);
    else req.end(body);
  });
}

/** A fetch bound to one CA file (read once), e.g. endpoints.json's `caFile`. */
export function fetchTrusting(
  caFile: string,
): (input: string | URL, init?: RequestInit) => Promise<Response> {
  const ca = readFileSync(caFile);
  return (input, init) => tlsFetch(input, init, ca);
}
