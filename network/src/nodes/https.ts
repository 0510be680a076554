import { readFileSync } from 'node:fs';
import { request } from 'node:https';

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

/** fetch() over TLS against a given CA: one implementation, the gateway's (its tests use it too). */
export { fetchTrusting, tlsFetch } from '../../../gateways/src/tls-fetch.ts';
