import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEMO_ACCOUNTS_ENV,
  type Middleware,
  demoAccountsAnswer,
  demoAccountsMiddleware,
  demoAccountsPlugin,
} from './demo-accounts';

const dir = mkdtempSync(join(tmpdir(), 'portal-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const DEV = {
  mode: 'development',
  accounts: [{ org: 'ecta', role: 'ecta_officer', username: 'ecta.officer', password: 'pw-1' }],
  exports: [],
};

/** What a fake response received. */
interface Sent {
  status: number;
  headers: Record<string, string>;
  body: string | undefined;
  next: boolean;
  error?: unknown;
}

/** Drives the middleware with a fake request and response; resolves once it answered or passed the request on. */
function drive(mw: Middleware, method: string, url: string): Promise<Sent> {
  return new Promise((resolve) => {
    const sent: Sent = { status: 200, headers: {}, body: undefined, next: false };
    const res = Object.assign(new EventEmitter(), {
      statusCode: 200,
      setHeader(k: string, v: string) {
        sent.headers[k.toLowerCase()] = v;
      },
      end(body?: string) {
        sent.status = res.statusCode;
        sent.body = body;
        resolve(sent);
      },
    });
    const req = { method, url } as IncomingMessage;
    mw(req, res as unknown as ServerResponse, (error?: unknown) => {
      sent.next = true;
      sent.error = error;
      resolve(sent);
    });
  });
}

describe('demoAccountsAnswer: the file is served only in development', () => {
  it('serves a development file as JSON, never cached', async () => {
    const a = await demoAccountsAnswer(file('dev.json', JSON.stringify(DEV)));
    expect(a.status).toBe(200);
    expect(a.headers['Content-Type']).toMatch(/^application\/json/);
    expect(a.headers['Cache-Control']).toBe('no-store');
    expect(JSON.parse(a.body)).toEqual(DEV);
  });

  it.each([
    ['no file named (production)', undefined],
    ['an empty name', ''],
    ['a missing file', join(dir, 'nothing-here.json')],
    ['a file that is not JSON', file('broken.json', '{"mode": "development", ')],
    ['a production file', file('prod.json', JSON.stringify({ ...DEV, mode: 'production' }))],
    ['a file without a mode', file('nomode.json', JSON.stringify({ accounts: DEV.accounts }))],
    ['a JSON array', file('array.json', JSON.stringify([DEV]))],
    ['JSON null', file('null.json', 'null')],
  ])('%s: 404 with no content from the file', async (_what, path) => {
    const a = await demoAccountsAnswer(path);
    expect(a.status).toBe(404);
    expect(a.body).not.toContain('pw-1');
  });

  it('reads the file at each request (the seeder may write it after the portal started)', async () => {
    let text = '';
    const read = (): Promise<string> => Promise.resolve(text);
    expect((await demoAccountsAnswer('/seeded.json', read)).status).toBe(404);
    text = JSON.stringify(DEV);
    expect((await demoAccountsAnswer('/seeded.json', read)).status).toBe(200);
  });
});

describe('demoAccountsMiddleware', () => {
  const devFile = file('mw.json', JSON.stringify(DEV));

  it('answers GET /demo-accounts.json (with or without a query) from the file the env names', async () => {
    const mw = demoAccountsMiddleware({ [DEMO_ACCOUNTS_ENV]: devFile });
    for (const url of ['/demo-accounts.json', '/demo-accounts.json?t=1']) {
      const sent = await drive(mw, 'GET', url);
      expect(sent).toMatchObject({ status: 200, next: false });
      expect(JSON.parse(sent.body ?? '')).toEqual(DEV);
    }
  });

  it('answers HEAD without a body', async () => {
    const sent = await drive(
      demoAccountsMiddleware({ [DEMO_ACCOUNTS_ENV]: devFile }),
      'HEAD',
      '/demo-accounts.json',
    );
    expect(sent.status).toBe(200);
    expect(sent.body).toBeUndefined();
  });

  it('404 when the env names no file (a production portal)', async () => {
    const sent = await drive(demoAccountsMiddleware({}), 'GET', '/demo-accounts.json');
    expect(sent).toMatchObject({ status: 404, next: false });
  });

  it('refuses other methods', async () => {
    const sent = await drive(
      demoAccountsMiddleware({ [DEMO_ACCOUNTS_ENV]: devFile }),
      'POST',
      '/demo-accounts.json',
    );
    expect(sent.status).toBe(405);
    expect(sent.headers.allow).toBe('GET, HEAD');
  });

  it.each(['/', '/login', '/config.json', '/demo-accounts.json.bak', '/x/demo-accounts.json'])(
    'passes %s on to the next handler',
    async (url) => {
      const sent = await drive(demoAccountsMiddleware({ [DEMO_ACCOUNTS_ENV]: devFile }), 'GET', url);
      expect(sent).toMatchObject({ next: true, error: undefined });
    },
  );

  it('is installed on the dev server (the production server, server/server.ts, uses the middleware itself)', () => {
    const plugin = demoAccountsPlugin();
    const used: unknown[] = [];
    const server = { middlewares: { use: (m: unknown) => used.push(m) } };
    expect(typeof plugin.configureServer).toBe('function');
    (plugin.configureServer as (s: unknown) => void)(server);
    expect(used).toHaveLength(1);
    expect(typeof used[0]).toBe('function');
  });
});
