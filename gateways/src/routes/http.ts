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
import { type Claim, type IdempotencyService, requestHash } from '../services/idempotency.ts';
import type { AdmissionLimiter } from '../services/admission.ts';
import type { UserService } from '../services/users.ts';

export type Access =
  { kind: 'public' } | { kind: 'user'; roles?: readonly string[]; orgs?: readonly string[] };

export interface RouteContext {
  caller: Caller;
  /** Set when the request carries an Idempotency-Key: the resource id fixed at the claim, and whether this is a
   * retry taking over an earlier request that never finished (resolve from the ledger before acting again). */
  idempotency?: { key: string; resourceId: string | null; recovering: boolean };
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
  /** Accepts an Idempotency-Key (mutating routes); `resourceId` fixes the id the request will create. */
  idempotent?: { resourceId?: (body: unknown) => string };
  /** Submits to the ledger: counted against the gateway's admission limit. */
  submits?: boolean;
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
  opts: {
    orgId: string;
    auth: (req: Request) => Promise<Caller>;
    idempotency: IdempotencyService;
    admission: AdmissionLimiter;
  },
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
        const key = route.idempotent ? req.get('idempotency-key') : undefined;
        let claim: Claim | undefined;
        if (key !== undefined && route.idempotent) {
          const file = (req as { file?: { buffer?: Buffer } }).file?.buffer;
          const hash = requestHash([route.method, req.originalUrl.split('?')[0], rawBody, file ?? null]);
          claim = await opts.idempotency.claim(
            caller,
            key,
            `${route.method.toUpperCase()} ${route.path}`,
            hash,
            route.idempotent.resourceId?.(body) ?? null,
          );
          if (claim.kind === 'replay') {
            res.setHeader('Idempotent-Replayed', 'true');
            res.status(claim.status).json(claim.body);
            return;
          }
        }
        const releaseSlot = route.submits ? opts.admission.acquire() : undefined;
        let result: unknown;
        try {
          result = await route.handler({
            caller,
            body,
            query,
            params,
            req,
            res,
            idempotency:
              claim && claim.kind !== 'replay'
                ? { key: claim.key, resourceId: claim.resourceId, recovering: claim.kind === 'recover' }
                : undefined,
          });
        } catch (e: unknown) {
          // A definite refusal changed nothing: the key may be used again at once. Anything ambiguous (a
          // timeout, an unavailable dependency) keeps the claim until its lease expires; a retry then recovers.
          if (claim && key !== undefined && e instanceof AppError && e.status < 500) {
            await opts.idempotency.release(caller, key);
          }
          throw e;
        } finally {
          releaseSlot?.();
        }
        const status = result === undefined ? 204 : (route.status ?? 200);
        if (claim && key !== undefined)
          await opts.idempotency.complete(opts.idempotency.pool, caller, key, status, result);
        if (res.headersSent) return;
        if (result === undefined) {
          res.status(204).end();
          return;
        }
        res.status(status).json(result);
      } catch (e: unknown) {
        next(e);
      }
    };
    router[route.method](route.path, ...(route.before ?? []), handler);
  }
}
