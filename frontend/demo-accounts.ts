/**
 * GET /demo-accounts.json on the portal server (`vite` dev and the production server, server/server.ts, alike):
 * the development seeder's accounts, read at each request from the file named by PORTAL_DEMO_ACCOUNTS, and served
 * only while that file says `"mode": "development"`. Unset, unreadable, not JSON, or any other mode: 404, so a
 * production portal says nothing about demos.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'vite';

export const DEMO_ACCOUNTS_PATH = '/demo-accounts.json';
export const DEMO_ACCOUNTS_ENV = 'PORTAL_DEMO_ACCOUNTS';

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const NOT_FOUND: Answer = {
  status: 404,
  headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
  body: 'Not found\n',
};

export type ReadText = (path: string) => Promise<string>;

/** The answer for the file at `file` (undefined or empty: no demo). Never throws. */
export async function demoAccountsAnswer(
  file: string | undefined,
  read: ReadText = (p) => readFile(p, 'utf8'),
): Promise<Answer> {
  if (!file) return NOT_FOUND;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await read(file));
  } catch {
    return NOT_FOUND;
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    (parsed as { mode?: unknown }).mode !== 'development'
  ) {
    return NOT_FOUND;
  }
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
    body: JSON.stringify(parsed),
  };
}

type Next = (err?: unknown) => void;
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

/** Connect middleware: answers /demo-accounts.json (GET and HEAD), passes every other path on. */
export function demoAccountsMiddleware(
  env: Record<string, string | undefined> = process.env,
  read?: ReadText,
): Middleware {
  return (req, res, next) => {
    const path = (req.url ?? '').split(/[?#]/, 1)[0];
    if (path !== DEMO_ACCOUNTS_PATH) {
      next();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.setHeader('Allow', 'GET, HEAD');
      res.end();
      return;
    }
    demoAccountsAnswer(env[DEMO_ACCOUNTS_ENV], read).then(
      (a) => {
        res.statusCode = a.status;
        for (const [k, v] of Object.entries(a.headers)) res.setHeader(k, v);
        res.end(req.method === 'HEAD' ? undefined : a.body);
      },
      (e: unknown) => next(e),
    );
  };
}

export function demoAccountsPlugin(): Plugin {
  return {
    name: 'coffee-demo-accounts',
    configureServer(server) {
      server.middlewares.use(demoAccountsMiddleware());
    },
  };
}
