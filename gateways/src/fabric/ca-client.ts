/**
 * The org's Fabric CA over its REST API (no fabric-ca-client binary): enrollment with an id and secret (HTTP basic
 * auth, a PKCS#10 request for a fresh P-256 key whose CN is the enrollment id), and registration of users by a
 * registrar, authorized with Fabric CA's token (fabric-ca util.CreateToken / VerifyToken):
 *
 *   Authorization: <b64(cert PEM)>.<b64(ECDSA-SHA256 over "<METHOD>.<b64(path+query)>.<b64(body)>.<b64(cert PEM)>")>
 *
 * (standard base64; the signature DER-encoded and low-S, as Fabric's BCCSP verifies it).
 */
import 'reflect-metadata'; // @peculiar/x509's dependency injection needs the Reflect metadata API first
import * as x509 from '@peculiar/x509';
import { createPrivateKey, sign, webcrypto, X509Certificate, type KeyObject } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { normalizeLowS } from './signer.ts';

/** The provider type x509 wants: node's webcrypto, whose declared type differs under the DOM library. */
type X509Crypto = typeof x509.cryptoProvider extends { set(name: string, crypto: infer C): void } ? C : never;
// The launcher uses this client too, and scripts/ compile it with the DOM library: the assertion is for them.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- unnecessary only without DOM
x509.cryptoProvider.set(webcrypto as unknown as X509Crypto);

/** Where the CA listens and how to trust it. */
export interface CaEndpoint {
  /** https://host:port (or http:// for a CA without TLS). */
  readonly url: string;
  /** PEM of the CA that issued the CA server's TLS certificate (https only). */
  readonly tlsCaCert?: Buffer;
  /** The CA's name on a multi-CA server (`caname`); the server's default CA when absent. */
  readonly caName?: string;
  readonly timeoutMs?: number;
}

/** An enrolled identity: certificate and PKCS#8 private key, both PEM. */
export interface Enrollment {
  readonly certificate: string;
  readonly privateKey: string;
}

export interface Attribute {
  readonly name: string;
  readonly value: string;
  /** Put the attribute into enrollment certificates by default. */
  readonly ecert?: boolean;
}

export interface RegistrationRequest {
  readonly enrollmentId: string;
  /** The enrollment secret; the CA generates one when absent. */
  readonly secret?: string;
  readonly type?: 'client' | 'peer' | 'orderer' | 'admin';
  /** The registrar's affiliation when absent. */
  readonly affiliation?: string;
  readonly attributes?: readonly Attribute[];
  /** The CA's configured limit when absent. */
  readonly maxEnrollments?: number;
}

/** A refusal or failure of the CA, with its status and Fabric CA error code when it answered. */
export class CaError extends Error {
  readonly status: number | undefined;
  readonly code: number | undefined;

  constructor(message: string, status?: number, code?: number) {
    super(message);
    this.name = 'CaError';
    this.status = status;
    this.code = code;
  }

  /** The enrollment id is registered already (Fabric CA answers this for a second registration). */
  get alreadyRegistered(): boolean {
    return /already registered/i.test(this.message);
  }
}

/** The certificate extension where Fabric CA puts attributes (fabric attrmgr), a JSON `{"attrs": {...}}`. */
export const ATTRIBUTES_OID = '1.2.3.4.5.6.7.8.1';

/** The Fabric attributes an enrollment certificate carries (`role`, `hf.EnrollmentID`, ...). */
export function certificateAttributes(certificatePem: string): Record<string, string> {
  const ext = new x509.X509Certificate(certificatePem).getExtension(ATTRIBUTES_OID);
  if (!ext) return {};
  const parsed: unknown = JSON.parse(Buffer.from(ext.value).toString('utf8'));
  const attrs = (parsed as { attrs?: unknown }).attrs;
  if (typeof attrs !== 'object' || attrs === null) return {};
  return Object.fromEntries(
    Object.entries(attrs).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

const b64 = (data: string | Uint8Array): string => Buffer.from(data).toString('base64');

/** Fabric CA's token for a request signed by `identity` (util.GenECDSAToken). */
export function caToken(
  identity: { certificate: string; privateKey: string | KeyObject },
  method: string,
  pathAndQuery: string,
  body: string | Uint8Array,
): string {
  const payload = `${method}.${b64(pathAndQuery)}.${b64(body)}.${b64(identity.certificate)}`;
  const key =
    typeof identity.privateKey === 'string' ? createPrivateKey(identity.privateKey) : identity.privateKey;
  const signature = normalizeLowS(sign('sha256', Buffer.from(payload), key));
  return `${b64(identity.certificate)}.${b64(signature)}`;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A fresh P-256 key and a PKCS#10 request for it, subject CN=<enrollment id> (what Fabric CA requires). */
export async function certificateRequest(enrollmentId: string): Promise<{ csr: string; privateKey: string }> {
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [enrollmentId] }],
    keys,
    signingAlgorithm: EC,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
  return { csr: csr.toString('pem'), privateKey };
}

interface CaResponse {
  success?: boolean;
  result?: unknown;
  errors?: { code?: number; message?: string }[];
}

export class FabricCaClient {
  readonly #endpoint: CaEndpoint;
  readonly #base: URL;

  constructor(endpoint: CaEndpoint) {
    this.#endpoint = endpoint;
    this.#base = new URL(endpoint.url.endsWith('/') ? endpoint.url : `${endpoint.url}/`);
    if (this.#base.protocol !== 'https:' && this.#base.protocol !== 'http:')
      throw new CaError(`CA URL must be https:// or http://, got ${endpoint.url}`);
  }

  /** Enrolls `enrollmentId` with its secret: a new key pair, the certificate the CA issues for it. */
  async enroll(enrollmentId: string, secret: string): Promise<Enrollment> {
    const { csr, privateKey } = await certificateRequest(enrollmentId);
    const body = JSON.stringify({
      certificate_request: csr,
      ...(this.#endpoint.caName ? { caname: this.#endpoint.caName } : {}),
    });
    const basic = Buffer.from(`${enrollmentId}:${secret}`).toString('base64');
    const result = await this.#post('enroll', body, `Basic ${basic}`);
    const cert = (result as { Cert?: unknown } | undefined)?.Cert;
    if (typeof cert !== 'string') throw new CaError('the CA answered an enrollment without a certificate');
    const certificate = Buffer.from(cert, 'base64').toString('utf8');
    const issued = new X509Certificate(certificate);
    if (!issued.checkPrivateKey(createPrivateKey(privateKey)))
      throw new CaError('the CA issued a certificate for another key');
    return { certificate, privateKey };
  }

  /** Registers an identity, as `registrar` (which needs hf.Registrar.Roles); returns its enrollment secret. */
  async register(registrar: Enrollment, req: RegistrationRequest): Promise<string> {
    const body = JSON.stringify({
      id: req.enrollmentId,
      type: req.type ?? 'client',
      ...(req.secret !== undefined ? { secret: req.secret } : {}),
      ...(req.maxEnrollments !== undefined ? { max_enrollments: req.maxEnrollments } : {}),
      affiliation: req.affiliation ?? '',
      ...(req.attributes?.length
        ? { attrs: req.attributes.map((a) => ({ name: a.name, value: a.value, ecert: a.ecert ?? false })) }
        : {}),
      ...(this.#endpoint.caName ? { caname: this.#endpoint.caName } : {}),
    });
    const path = new URL('api/v1/register', this.#base);
    const token = caToken(registrar, 'POST', `${path.pathname}${path.search}`, body);
    const result = await this.#post('register', body, token);
    const secret = (result as { secret?: unknown } | undefined)?.secret;
    if (typeof secret !== 'string') throw new CaError('the CA answered a registration without a secret');
    return secret;
  }

  async #post(endpoint: string, body: string, authorization: string): Promise<unknown> {
    const url = new URL(`api/v1/${endpoint}`, this.#base);
    const { status, text } = await this.#send(url, body, authorization);
    let parsed: CaResponse;
    try {
      parsed = JSON.parse(text) as CaResponse;
    } catch {
      throw new CaError(
        `${endpoint} at ${this.#base.origin}: HTTP ${status}, not a Fabric CA answer`,
        status,
      );
    }
    const first = parsed.errors?.[0];
    if (status >= 400 || parsed.success !== true || first) {
      const what = first?.message ?? `HTTP ${status}`;
      throw new CaError(`${endpoint} at ${this.#base.origin} refused: ${what}`, status, first?.code);
    }
    return parsed.result;
  }

  #send(url: URL, body: string, authorization: string): Promise<{ status: number; text: string }> {
    const timeoutMs = this.#endpoint.timeoutMs ?? 15_000;
    const https = url.protocol === 'https:';
    const options = {
      method: 'POST',
      headers: {
        authorization,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      },
      timeout: timeoutMs,
      ...(https && this.#endpoint.tlsCaCert ? { ca: this.#endpoint.tlsCaCert } : {}),
    };
    return new Promise((resolve, reject) => {
      const onResponse = (res: IncomingMessage): void => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      };
      const req = https ? httpsRequest(url, options, onResponse) : httpRequest(url, options, onResponse);
      req.on('timeout', () =>
        req.destroy(new CaError(`no answer from the CA at ${url.origin} in ${timeoutMs} ms`)),
      );
      req.on('error', (e: Error) =>
        reject(e instanceof CaError ? e : new CaError(`cannot reach the CA at ${url.origin}: ${e.message}`)),
      );
      req.end(body);
    });
  }
}

/**
 * Issues user identities for the gateway: registers the user (type client, `role=<role>` placed in enrollment
 * certificates) with the registrar's identity, enrolls it, and checks the certificate carries the role: the
 * chaincode reads it from there. The registrar is enrolled on first use and kept.
 */
export class UserEnroller {
  readonly #ca: FabricCaClient;
  readonly #registrar: () => Promise<Enrollment>;
  #enrolled: Promise<Enrollment> | undefined;

  constructor(ca: FabricCaClient, registrar: Enrollment | { enrollmentId: string; secret: string }) {
    this.#ca = ca;
    this.#registrar =
      'certificate' in registrar
        ? () => Promise.resolve(registrar)
        : () => ca.enroll(registrar.enrollmentId, registrar.secret);
  }

  #registrarIdentity(): Promise<Enrollment> {
    if (!this.#enrolled) {
      const pending = this.#registrar();
      pending.catch(() => {
        if (this.#enrolled === pending) this.#enrolled = undefined;
      });
      this.#enrolled = pending;
    }
    return this.#enrolled;
  }

  async enroll(username: string, role: string, secret?: string): Promise<Enrollment> {
    const registrar = await this.#registrarIdentity();
    let enrollmentSecret: string;
    try {
      enrollmentSecret = await this.#ca.register(registrar, {
        enrollmentId: username,
        type: 'client',
        ...(secret !== undefined ? { secret } : {}),
        // Single-use: the secret enrolls once; the gateway keeps the key (sealed) and never enrolls it again.
        maxEnrollments: 1,
        attributes: [{ name: 'role', value: role, ecert: true }],
      });
    } catch (e: unknown) {
      // Registered before with a secret the caller knows (an idempotent re-run): enroll again.
      if (!(e instanceof CaError && e.alreadyRegistered && secret !== undefined)) throw e;
      enrollmentSecret = secret;
    }
    const enrolled = await this.#ca.enroll(username, enrollmentSecret);
    const attrs = certificateAttributes(enrolled.certificate);
    if (attrs.role !== role)
      throw new CaError(
        `the CA enrolled ${username} without role=${role} in the certificate (got ${attrs.role ?? 'none'})`,
      );
    return enrolled;
  }
}
