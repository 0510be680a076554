/**
 * The gateway's transport: TLS on its port and the security headers on every answer.
 *
 * - TLS: the server certificate and key come from TLS_CERT_FILE / TLS_KEY_FILE (config.ts), required in
 *   production; the development launcher issues one from the org's TLS CA. Without them (development only) the
 *   gateway speaks plain HTTP and says so in its log. A plain-HTTP request to a TLS port gets no HTTP answer: the
 *   handshake fails and the connection is closed (no redirect: an API client that spoke plain HTTP has already
 *   sent its bearer token in clear, so a redirect would only hide the mistake).
 * - Headers (helmet): HSTS, nosniff, no framing, no referrer, and a Content-Security-Policy that allows nothing,
 *   since the gateway serves JSON and files to be saved, never a page. A route may set a stricter header of its
 *   own (the document download adds `sandbox`).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/** A server certificate (its chain after it, if any) and its private key, PEM. */
export interface TlsIdentity {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Where they were read from (for the log and error messages). */
  readonly certFile: string;
}

/** HSTS: a year, subdomains included. Browsers ignore it for IP addresses (RFC 6797, 8.1), e.g. 127.0.0.1. */
export const HSTS_MAX_AGE_SECONDS = 365 * 86_400;

/**
 * Reads and checks a certificate/key pair; returns the problems instead of throwing, so the configuration
 * loader can report them with every other one.
 */
export function readTlsIdentity(
  certFile: string,
  keyFile: string,
): { identity?: TlsIdentity; problems: string[] } {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(certFile);
  } catch (e: unknown) {
    return { problems: [`TLS_CERT_FILE: cannot read ${certFile} (${(e as Error).message})`] };
  }
  try {
    key = readFileSync(keyFile);
  } catch (e: unknown) {
    return { problems: [`TLS_KEY_FILE: cannot read ${keyFile} (${(e as Error).message})`] };
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    return { problems: [`TLS_CERT_FILE: ${certFile} is not a PEM certificate`] };
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(key)))
      return { problems: [`TLS_KEY_FILE: ${keyFile} is not the key of ${certFile}`] };
  } catch {
    return { problems: [`TLS_KEY_FILE: ${keyFile} is not a PEM private key`] };
  }
  if (Date.parse(leaf.validTo) < Date.now())
    return { problems: [`TLS_CERT_FILE: ${certFile} expired on ${leaf.validTo}`] };
  return { identity: { cert, key, certFile }, problems: [] };
}

/** An HTTPS server with this identity (TLS 1.2 at least), or plain HTTP without one (development only). */
export function createGatewayServer(listener: RequestListener, tls: TlsIdentity | undefined): Server {
  if (!tls) return createHttpServer(listener);
  return createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, listener);
}

/** The gateway's base URL as bound (https when it has a certificate). */
export const gatewayBaseUrl = (host: string, port: number, tls: TlsIdentity | undefined): string =>
  `${tls ? 'https' : 'http'}://${host}:${port}`;

/** The security headers on every answer (helmet), for an API that serves no pages. */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
    },
    strictTransportSecurity: { maxAge: HSTS_MAX_AGE_SECONDS, includeSubDomains: true },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // The portal reaches the gateway same-origin through its proxy; nothing else should embed its answers.
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
}
