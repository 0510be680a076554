/**
 * Routes as data: each route names its method, path, who may call it, its zod schemas and its handler. The
 * same table mounts the Express routes (with validation and RBAC in front of every handler) and produces
 * the OpenAPI document, so no route can be missing from either.
 */
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { z, type ZodTypeAny } from 'zod';
import { verifyAccessToken, type TokenKeys } from '../auth/tokens.ts';
import { AppError, nothingOrdered, refusedDefinitely } from '../errors.ts';
import type { Caller } from '../services/deps.ts';
import { type Claim, type IdempotencyService, requestHash } from '../services/idempotency.ts';
import type { AdmissionLimiter } from '../services/admission.ts';
import type { QuotaReservation, UploadQuota } from '../services/upload-quota.ts';
import type { UserService } from '../services/users.ts';
import type { Revocations } from '../auth/revocation.ts';
import { bodyReaders, closeIfBodyUnread, declaredLength, type BodyReaders } from './bodies.ts';

export type Access =
  { kind: 'public' } | { kind: 'user'; roles?: readonly string[]; orgs?: readonly string[] };

/** A zod schema whose parsed (output) value is `T`, whatever its input. */
export type Schema<T> = z.ZodType<T, z.ZodTypeDef, unknown>;

/** The `:name` parameters of an Express path, e.g. `'id' | 'action'` for `/exports/:id/actions/:action`. */
export type PathParams<Path extends string> = Path extends `${string}:${infer Name}/${infer Rest}`
  ? Name | PathParams<`/${Rest}`>
  : Path extends `${string}:${infer Name}`
    ? Name
    : never;

/** What a handler is given besides its parsed input. */
export interface RequestContext {
  caller: Caller;
  /** Set when the request carries an Idempotency-Key: the resource id fixed at the claim, and whether this is a
   * retry taking over an earlier request that never finished (resolve from the ledger before acting again). */
  idempotency?: { key: string; resourceId: string | null; recovering: boolean };
  req: Request;
  res: Response;
}

/** A handler's context: its body, query and path parameters as its route's schemas parse them. */
export interface RouteContext<B = undefined, Q = undefined, P = Record<never, never>> extends RequestContext {
  body: B;
  query: Q;
  params: P;
}

interface RouteMeta {
  method: 'get' | 'post' | 'patch' | 'put';
  /** Express path (`:id`); OpenAPI gets `{id}`. */
  path: string;
  summary: string;
  tag: string;
  access: Access;
  /** Status of the success response (default 200). */
  status?: number;
  /** Extra middleware after authentication and the body, before validation (rate limits). */
  before?: RequestHandler[];
  headers?: { name: string; description: string }[];
  /** Submits to the ledger: counted against the gateway's admission limit. */
  submits?: boolean;
  /** Open to a user who must enroll a second factor before anything else (services/mfa.ts gate()). */
  mfaEnrollment?: boolean;
}

/**
 * One route as written in the table: its schemas fix the types its handler sees (`body` is the parsed JSON or
 * multipart fields, `query` the parsed query, `params` each path parameter parsed by its own schema).
 */
export interface RouteSpec<Path extends string, B, Q, P> extends RouteMeta {
  path: Path;
  body?: Schema<B>;
  query?: Schema<Q>;
  /** Multipart upload (file + fields): the fields' schema. */
  multipart?: Schema<B>;
  /** One schema per path parameter (validated in order, as `path.<name>`, just before the handler runs). */
  params?: { [K in keyof P]: Schema<P[K]> } & Record<Exclude<keyof P, PathParams<Path>>, never>;
  /** Accepts an Idempotency-Key (mutating routes); `resourceId` fixes the id the request will create. */
  idempotent?: { resourceId?: (body: B) => string };
  handler: (ctx: RouteContext<B, Q, P>) => Promise<unknown>;
}

/** A request whose body and query passed validation, bound to its route's handler. */
export interface AcceptedRequest {
  /** The id the request will create (an idempotent route with `resourceId`), fixed when its key is claimed. */
  resourceId(): string | null;
  /** Validates the path parameters (400) and runs the handler. */
  run(ctx: RequestContext): Promise<unknown>;
}

/** A route as mount() and the OpenAPI document read it: its schemas, and the handler bound to them. */
export interface RouteDef extends RouteMeta {
  body?: ZodTypeAny;
  query?: ZodTypeAny;
  multipart?: ZodTypeAny;
  params?: Readonly<Record<string, ZodTypeAny>>;
  /** Accepts an Idempotency-Key (its resource id comes from accept()). */
  idempotent?: object;
  /** Validates the body and query (400 otherwise). */
  accept(req: Request): AcceptedRequest;
}

/**
 * Declares a route: `body`, `query` and `params` in the handler are inferred from the route's schemas
 * (`body: S.LoginBody` gives the handler `z.infer<typeof S.LoginBody>`), so no handler casts its input.
 */
export function route<
  Path extends string,
  B = undefined,
  Q = undefined,
  P extends Record<string, unknown> = Record<never, never>,
>(spec: RouteSpec<Path, B, Q, P>): RouteDef {
  const { body, query, multipart, params, idempotent, handler, ...meta } = spec;
  const bodySchema = body ?? multipart;
  const paramSchemas: readonly [string, Schema<unknown>][] = params ? Object.entries(params) : [];
  return {
    ...meta,
    ...(body ? { body } : {}),
    ...(query ? { query } : {}),
    ...(multipart ? { multipart } : {}),
    ...(params ? { params } : {}),
    ...(idempotent ? { idempotent } : {}),
    accept(req) {
      const parsedBody = optional(bodySchema, req.body ?? {}, 'body');
      const parsedQuery = optional(query, req.query, 'query');
      return {
        resourceId: () => idempotent?.resourceId?.(parsedBody) ?? null,
        run: (ctx) => {
          const raw: Record<string, unknown> = req.params;
          const parsedParams: Record<string, unknown> = {};
          for (const [name, schema] of paramSchemas)
            parsedParams[name] = parse(schema, raw[name], `path.${name}`);
          // Each key of P was parsed by its own schema just above.
          return handler({ ...ctx, body: parsedBody, query: parsedQuery, params: parsedParams as P });
        },
      };
    },
  };
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

export function parse<T>(schema: Schema<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw zodProblem(r.error, where);
  return r.data;
}

/**
 * The parsed value of an input a route may leave undeclared. `T` is only ever inferred from the schema, so a
 * route without one has `T` at its default, `undefined`: the one fact here the compiler cannot see.
 */
function optional<T>(schema: Schema<T> | undefined, value: unknown, where: string): T {
  return schema ? parse(schema, value, where) : (undefined as T);
}

/**
 * Verifies the bearer token (RS256 by its kid, this gateway's iss/aud), that it was not revoked (logout: its jti;
 * a password change: the user's token generation moved on), and that the user is still active.
 */
export function authenticate(
  keys: TokenKeys,
  users: UserService,
  revocations?: Pick<Revocations, 'isRevoked'>,
): (req: Request) => Promise<Caller> {
  return async (req) => {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer '))
      throw new AppError(401, 'UNAUTHENTICATED', 'a bearer access token is required');
    const claims = verifyAccessToken(keys, header.slice(7).trim());
    if (await revocations?.isRevoked(claims.jti))
      throw new AppError(401, 'TOKEN_REVOKED', 'the access token was revoked (signed out); sign in again');
    const row = await users.byId(claims.sub);
    if (!row) throw new AppError(401, 'INVALID_TOKEN', 'the user no longer exists');
    if ((claims.gen ?? 0) !== (row.token_generation ?? 0))
      throw new AppError(
        401,
        'TOKEN_REVOKED',
        'the password changed since this token was issued; sign in again',
      );
    if (row.status !== 'ACTIVE') throw new AppError(403, 'USER_SUSPENDED', 'this user is suspended');
    return {
      userId: row.id,
      username: row.username,
      role: row.role,
      requestId: requestIdOf(req),
      ...(claims.mfaAt !== undefined ? { mfaAt: claims.mfaAt } : {}),
      token: { jti: claims.jti, exp: claims.exp },
    };
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
    /** Reads each route's body, after its authentication (default limits when absent: 256 KiB JSON, 10 MiB files). */
    bodies?: BodyReaders;
    /** Upload quotas per user, counted before an upload's body is read. */
    uploadQuota?: UploadQuota;
  },
): void {
  const bodies =
    opts.bodies ?? bodyReaders({ jsonLimitBytes: 256 * 1024, uploadLimitBytes: 10 * 1024 * 1024 });
  const reservations = new WeakMap<Request, QuotaReservation>();
  for (const route of routes) {
    // Authentication, the org and role checks and the upload quota run before any byte of the body is read:
    // a refused request is answered at once and its connection closed (bodies.ts).
    const admit = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        if (route.access.kind === 'user') {
          const caller = await opts.auth(req);
          req.caller = caller;
          if (caller.mfaEnrollmentOnly && !route.mfaEnrollment)
            throw new AppError(
              403,
              'MFA_ENROLLMENT_REQUIRED',
              "the org's policy requires two-factor authentication of this role: enroll first (/auth/mfa/enroll)",
            );
          if (route.access.orgs && !route.access.orgs.includes(opts.orgId)) {
            throw new AppError(403, 'FORBIDDEN_ORG', `this route is not served by the ${opts.orgId} gateway`);
          }
          if (route.access.roles && !route.access.roles.includes(caller.role)) {
            throw new AppError(403, 'FORBIDDEN_ROLE', `role ${caller.role} may not do this`);
          }
          if (route.multipart && opts.uploadQuota) {
            const declared = declaredLength(req) ?? bodies.uploadLimitBytes;
            const bytes = Math.min(declared, bodies.uploadLimitBytes);
            reservations.set(req, opts.uploadQuota.reserve(caller.userId, bytes));
          }
        }
        next();
      } catch (e: unknown) {
        closeIfBodyUnread(req, res);
        next(e);
      }
    };
    const readBody: RequestHandler[] = route.multipart
      ? [
          (req, res, next) =>
            bodies.multipart(req, res, (err?: unknown) => {
              // A file that was read counts with its real size; a refused one keeps its declared length.
              if (!err) reservations.get(req)?.settle((req as { file?: { size?: number } }).file?.size ?? 0);
              next(err);
            }),
        ]
      : route.body
        ? [bodies.json(route.access.kind === 'public')]
        : [];
    const handler = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        // admit() set the caller of a user route; a public route's caller is anonymous.
        let caller: Caller = {
          userId: '',
          username: 'anonymous',
          role: 'public',
          requestId: requestIdOf(req),
        };
        if (route.access.kind === 'user') {
          if (!req.caller) throw new AppError(401, 'UNAUTHENTICATED', 'a bearer access token is required');
          caller = req.caller;
        }
        const rawBody: unknown = req.body ?? {};
        const accepted = route.accept(req);
        const key = route.idempotent ? req.get('idempotency-key') : undefined;
        let claim: Claim | undefined;
        // Overload is refused at the door (503 GATEWAY_BUSY), before the Idempotency-Key is claimed: nothing ran,
        // so the retry Retry-After asks for is not held up by a claim of a request that never started.
        const releaseSlot = route.submits ? opts.admission.acquire() : undefined;
        let result: unknown;
        try {
          if (key !== undefined && route.idempotent) {
            const file = (req as { file?: { buffer?: Buffer } }).file?.buffer;
            const hash = requestHash([route.method, req.originalUrl.split('?')[0], rawBody, file ?? null]);
            claim = await opts.idempotency.claim(
              caller,
              key,
              `${route.method.toUpperCase()} ${route.path}`,
              hash,
              accepted.resourceId(),
            );
            if (claim.kind === 'replay') {
              res.setHeader('Idempotent-Replayed', 'true');
              res.status(claim.status).json(claim.body);
              return;
            }
          }
          const fresh = claim?.kind === 'new';
          try {
            result = await accepted.run({
              caller,
              req,
              res,
              idempotency:
                claim && claim.kind !== 'replay'
                  ? { key: claim.key, resourceId: claim.resourceId, recovering: claim.kind === 'recover' }
                  : undefined,
            });
          } catch (e: unknown) {
            // A definite refusal changed nothing: the key may be used again at once. Anything ambiguous (a
            // timeout, an unavailable peer or orderer) keeps the claim until its lease expires; a retry then
            // recovers. An endorsement that could not be had (CHAINCODE_UNAVAILABLE) is definite: nothing was
            // ordered (only for a fresh claim: a recovering one still stands for an earlier, ambiguous attempt).
            if (claim && key !== undefined && (refusedDefinitely(e) || (fresh && nothingOrdered(e)))) {
              await opts.idempotency.release(caller, key);
            }
            throw e;
          }
        } finally {
          releaseSlot?.();
        }
        // The request's log line carries the ledger transaction it made (app.ts, pino-http customProps).
        const txId = (result as { txId?: unknown } | undefined)?.txId;
        if (typeof txId === 'string') res.locals.txId = txId;
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
        closeIfBodyUnread(req, res);
        next(e);
      }
    };
    router[route.method](route.path, admit, ...readBody, ...(route.before ?? []), handler);
  }
}
