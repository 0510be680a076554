/**
 * The client address a request is counted under (login and refresh limiters, /verify's limiter).
 *
 * Behind the portal every connection comes from the portal's own address, so X-Forwarded-For is the only place
 * the browser's address appears — and anyone can send that header. Everything runs on 127.0.0.1, so the portal
 * cannot be told apart by address: it proves itself with a shared secret (PORTAL_PROXY_SECRET) in the
 * X-Portal-Proxy-Secret header, compared in constant time. Only then is X-Forwarded-For's last entry (the one
 * the portal itself added: the address of its client) used; otherwise the header is ignored and the connection's
 * own address counts.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { NextFunction, Request, Response } from 'express';

export const PROXY_SECRET_HEADER = 'x-portal-proxy-secret';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Whether `given` is the configured secret (hashes compared: no early exit, no length leak). */
export function proxySecretMatches(configured: string | undefined, given: unknown): boolean {
  if (!configured || typeof given !== 'string' || given === '') return false;
  return timingSafeEqual(digest(configured), digest(given));
}

/** The client address of a request, given the portal's secret (undefined: X-Forwarded-For is never trusted). */
export function clientAddress(
  req: Pick<Request, 'headers' | 'socket'>,
  proxySecret: string | undefined,
): string {
  const own = req.socket.remoteAddress ?? 'unknown';
  if (!proxySecretMatches(proxySecret, req.headers[PROXY_SECRET_HEADER])) return own;
  const xff = req.headers['x-forwarded-for'];
  const list = (Array.isArray(xff) ? xff.join(',') : (xff ?? '')).split(',');
  const last = list[list.length - 1]?.trim() ?? '';
  return isIP(last) ? last : own;
}

const ADDRESS = Symbol('clientAddress');
type WithAddress = Request & { [ADDRESS]?: string };

/** Middleware: works out the client address once per request (read it with clientAddressOf). */
export function clientAddressMiddleware(proxySecret: string | undefined) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    (req as WithAddress)[ADDRESS] = clientAddress(req, proxySecret);
    next();
  };
}

/** The request's client address (the connection's own when the middleware did not run). */
export function clientAddressOf(req: Request): string {
  return (req as WithAddress)[ADDRESS] ?? req.socket.remoteAddress ?? 'unknown';
}
