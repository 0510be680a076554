/**
 * Routes as data: each route names its method, path, who may call it, its zod schemas and its handler. The
 * same table mounts the Express routes (with validation and RBAC in front of every handler) and produces
 * the OpenAPI document, so no route can be missing from either.
 */
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { z, type ZodTypeAny } from 'zod';
import { verifyAccessToken, type TokenKeys } from '../auth/tokens.ts';
import { AppError } from '../errors.ts';
import type { Caller } from '../services/deps.ts';
import type { UserService } from '../services/users.ts';

export type Access =
  { kind: 'public' } | { kind: 'user'; roles?: readonly string[]; orgs?: readonly string[] };

export interface RouteContext {
  caller: Caller;
  body: unknown;
  query: unknown;
  params: Record<string, string>;
  req: Request;
  res: Response;
}

export interface RouteDef {
  method: 'get' | 'post' | 'patch' | 'put';
  /** Express path (`:id`); OpenAPI gets `{id}`. */
  path: string;
  summary: string;
  tag: string;
  access: Access;
  body?: ZodTypeAny;
  query?: ZodTypeAny;
  /** Multipart upload (file + fields). */
  multipart?: ZodTypeAny;
  /** Status of the success response (default 200). */
  status?: number;
  /** Extra middleware before validation (rate limits, uploads). */
  before?: RequestHandler[];
  headers?: { name: string; description: string }[];
  handler: (ctx: RouteContext) => Promise<unknown>;
}

declare module 'express-serve-static-core' {
  interface Request {
    caller?: Caller;
  }
}

function zodProblem(e: z.ZodError, where: string): AppError {
  return new AppError(400, 'VALIDATION_FAILED', `invalid ${where}`, {
    errors: e.issues.map((i) => ({ path: [where, ...i.path].join('.'), message: i.message })),
  });
}

function requestIdOf(req: Request): string {
  const id: unknown = req.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : '';
}

export function parse<T extends ZodTypeAny>(schema: T, value: unknown, where: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw zodProblem(r.error, where);
  return r.data as z.infer<T>;
}

/** Verifies the bearer token (RS256, this gateway's iss/aud) and that the user is still active. */
export function authenticate(keys: TokenKeys, users: UserService): (req: Request) => Promise<Caller> {
  return async (req) => {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer '))
      throw new AppError(401, 'UNAUTHENTICATED', 'a bearer access token is required');
    const claims = verifyAccessToken(keys, header.slice(7).trim());
    const row = await users.byId(claims.sub);
    if (!row) throw new AppError(401, 'INVALID_TOKEN', 'the user no longer exists');
    if (row.status !== 'ACTIVE') throw new AppError(403, 'USER_SUSPENDED', 'this user is suspended');
    return { userId: row.id, username: row.username, role: row.role, requestId: requestIdOf(req) };
  };
}

export function mount(
  router: Router,
  routes: readonly RouteDef[],
  opts: { orgId: string; auth: (req: Request) => Promise<Caller> },
): void {
  for (const route of routes) {
    const handler = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        let caller: Caller = {
          userId: '',
          username: 'anonymous',
          role: 'public',
          requestId: requestIdOf(req),
        };
        if (route.access.kind === 'user') {
          caller = await opts.auth(req);
          req.caller = caller;
          if (route.access.orgs && !route.access.orgs.includes(opts.orgId)) {
            throw new AppError(403, 'FORBIDDEN_ORG', `this route is not served by the ${opts.orgId} gateway`);
          }
          if (route.access.roles && !route.access.roles.includes(caller.role)) {
            throw new AppError(403, 'FORBIDDEN_ROLE', `role ${caller.role} may not do this`);
          }
        }
        const rawBody: unknown = req.body ?? {};
        const schema = route.body ?? route.multipart;
        const body: unknown = schema ? parse(schema, rawBody, 'body') : undefined;
        const query: unknown = route.query ? parse(route.query, req.query, 'query') : undefined;
        const params = req.params as Record<string, string>;
        const result = await route.handler({ caller, body, query, params, req, res });
        if (res.headersSent) return;
        if (result === undefined) {
          res.status(204).end();
          return;
        }
        res.status(route.status ?? 200).json(result);
      } catch (e: unknown) {
        next(e);
      }
    };
    router[route.method](route.path, ...(route.before ?? []), handler);
  }
}
