/**
 * The gateway's request limiters, each keyed by the client address (auth/client-ip.ts: the browser's address
 * behind the portal when the portal proved itself, else the connection's):
 * - login: per (username, client address), so one account hammered behind the portal — where every user shares
 *   the portal's address unless it forwards the real one — neither slows anyone else's login nor their refresh;
 *   the account itself locks sooner (services/lockout.ts);
 * - refresh: per client address, a limiter of its own (a failed login never counts against a refresh);
 * - verify: the public verification route, per client address.
 * Each answers 429 TOO_MANY_REQUESTS with Retry-After. In memory: one gateway process serves an org.
 */
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type RateLimitInfo } from 'express-rate-limit';
import { AppError } from '../errors.ts';
import { clientAddressOf } from './client-ip.ts';

interface Window {
  readonly windowMs: number;
  readonly max: number;
}

/** The username a login names, normalized as the lockout counts it (body parsed before the limiter runs). */
function usernameOf(req: Request): string {
  const body: unknown = req.body;
  const name =
    typeof body === 'object' && body !== null ? (body as { username?: unknown }).username : undefined;
  return typeof name === 'string' ? name.trim().toLowerCase().slice(0, 64) : '';
}

const addressKey = (req: Request): string => ipKeyGenerator(clientAddressOf(req));

function limiter(window: Window, key: (req: Request) => string, message: string): RequestHandler {
  return rateLimit({
    windowMs: window.windowMs,
    limit: window.max,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: key,
    // The key is the address worked out above: X-Forwarded-For is read there, only from the proven portal.
    validate: { xForwardedForHeader: false, trustProxy: false },
    handler: (req, _res, next) => {
      const reset = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit?.resetTime?.getTime();
      const retryAfterSeconds = Math.max(
        1,
        Math.ceil(((reset ?? Date.now() + window.windowMs) - Date.now()) / 1000),
      );
      next(Object.assign(new AppError(429, 'TOO_MANY_REQUESTS', message), { retryAfterSeconds }));
    },
  });
}

export function requestLimiters(config: {
  loginRateLimit: Window;
  refreshRateLimit: Window;
  verifyRateLimit: Window;
}): { login: RequestHandler; refresh: RequestHandler; verify: RequestHandler } {
  return {
    login: limiter(
      config.loginRateLimit,
      (req) => `${addressKey(req)}|${usernameOf(req)}`,
      'too many login attempts for this account from this address; wait and retry',
    ),
    refresh: limiter(config.refreshRateLimit, addressKey, 'too many token refreshes; wait and retry'),
    verify: limiter(config.verifyRateLimit, addressKey, 'too many verification requests; wait and retry'),
  };
}
