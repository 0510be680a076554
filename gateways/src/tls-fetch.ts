/**
 * fetch() trusting a given CA, for clients of the gateways (their tests, the launcher, the demo seed, the bench):
 * the gateways serve HTTPS with certificates from the org CAs (endpoints.json names the CA bundle, `caFile`), and
 * Node 20's global fetch takes no CA of its own (undici's Agent is not exposed). This one speaks node:https with `ca` and answers a WHATWG Response, so the
 * callers keep fetch's interface: same bodies (string, FormData, Blob, a stream), `res.json()`, `res.headers`.
 *
 * Differences from fetch, on purpose: redirects are not followed (a test sees a 3xx as it is), no cookies, no
 * compression negotiated. It lives here, not in the launcher, because gateways/ may not import network/
 * (scripts/architecture.test.ts) while the launcher may use the gateway's modules.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';

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
 * fetch(url, init) over TLS verified against `ca` (PEM: a CA bundle's content, or a Buffer of it); without `ca`,
 * Node's default roots. http:// URLs go through node:http (the unit tests' in-process apps).
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
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
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

/** A fetch bound to one CA file (read once). */
export function fetchTrusting(
  caFile: string,
): (input: string | URL, init?: RequestInit) => Promise<Response> {
  const ca = readFileSync(caFile);
  return (input, init) => tlsFetch(input, init, ca);
}
