/**
 * HTTPS for the gateways and the portal on this machine (development and tests; docs/gateways.md, "HTTPS").
 *
 * - Each gateway gets a server certificate from its own org's TLS CA (cryptogen's, crypto.ts), for
 *   `gateway.<org domain>`, localhost and 127.0.0.1: the org's TLS trust domain, like its peer and CA server.
 * - The portal belongs to no org: it gets its certificate from a development CA made here once per run
 *   directory ("Coffee Export development CA", P-256, its key 0600 under runDir()/tls/dev-ca).
 * - runDir()/tls/ca-bundle.pem holds every CA that signed one of them (the six org TLS CAs and the development
 *   CA): the one file a client trusts (endpoints.json `caFile`).
 *
 * Everything is made once and reused across restarts; `network:down --purge` removes it with the run directory.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cryptoPaths, issueServerCertificate, issueTlsServerCert } from './crypto.ts';
import { PEER_ORGS, type PeerOrg } from './orgs.ts';
import { runDir } from './paths.ts';
import { run } from './proc.ts';

/** A server's certificate and key files (PEM). */
export interface ServerTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export const webTlsPaths = {
  get dir(): string {
    return join(runDir(), 'tls');
  },
  get devCaCert(): string {
    return join(webTlsPaths.dir, 'dev-ca', 'ca.crt');
  },
  get devCaKey(): string {
    return join(webTlsPaths.dir, 'dev-ca', 'ca.key');
  },
  get portalDir(): string {
    return join(webTlsPaths.dir, 'portal');
  },
  /** Every CA that signed a gateway or portal certificate, concatenated (PEM). */
  get caBundle(): string {
    return join(webTlsPaths.dir, 'ca-bundle.pem');
  },
};

/** The gateway's host name in its certificate (besides localhost and 127.0.0.1). */
export const gatewayHost = (org: PeerOrg): string => `gateway.${org.domain}`;

/** The development CA (made now unless an earlier start made it). */
export async function ensureDevCa(): Promise<string> {
  if (existsSync(webTlsPaths.devCaCert)) return webTlsPaths.devCaCert;
  mkdirSync(join(webTlsPaths.dir, 'dev-ca'), { recursive: true, mode: 0o700 });
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    webTlsPaths.devCaKey,
    '-out',
    webTlsPaths.devCaCert,
    '-days',
    '3650',
    '-sha256',
    '-subj',
    '/O=Coffee Export Consortium (development)/CN=Coffee Export development CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]).catch((e: unknown) => {
    throw new Error(`openssl (3.0 or newer) is needed to make the development CA: ${String(e)}`);
  });
  return webTlsPaths.devCaCert;
}

/** The org's gateway certificate, issued by its TLS CA (once). */
export async function gatewayTlsFiles(org: PeerOrg): Promise<ServerTlsFiles> {
  const dir = await issueTlsServerCert(org, gatewayHost(org));
  return { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key') };
}

/** The portal's certificate, issued by the development CA (once). */
export async function portalTlsFiles(): Promise<ServerTlsFiles> {
  await ensureDevCa();
  const dir = await issueServerCertificate({
    caCert: webTlsPaths.devCaCert,
    caKey: webTlsPaths.devCaKey,
    dir: webTlsPaths.portalDir,
    organization: 'Coffee Export Consortium (development)',
    commonName: 'portal.coffee-export.localhost',
  });
  return { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key') };
}

/**
 * Writes the CA bundle (the six org TLS CAs and the development CA, made if missing) and returns its path.
 * Rewritten whole each time (a temporary file renamed): readers never see half a bundle.
 */
export async function writeCaBundle(): Promise<string> {
  await ensureDevCa();
  const pems = [...PEER_ORGS.map((org) => cryptoPaths.tlsCaCert(org)), webTlsPaths.devCaCert].map((f) =>
    readFileSync(f, 'utf8').trim(),
  );
  const tmp = `${webTlsPaths.caBundle}.${process.pid}.tmp`;
  writeFileSync(tmp, `${pems.join('\n')}\n`, { mode: 0o644 });
  renameSync(tmp, webTlsPaths.caBundle);
  return webTlsPaths.caBundle;
}

/**
 * The base64 SHA-256 of a certificate's SubjectPublicKeyInfo: what Chromium's
 * --ignore-certificate-errors-spki-list takes to trust exactly that certificate's key (the browser tests).
 */
export function spkiSha256(certFile: string): string {
  const spki = new X509Certificate(readFileSync(certFile)).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}
