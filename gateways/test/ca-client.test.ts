/**
 * The Fabric CA REST client against a fake CA over HTTPS: the enrollment request is a valid PKCS#10 request for
 * the returned key (CN = enrollment id, basic auth), the registration token verifies with the registrar
 * certificate's public key over exactly Fabric CA's payload, and the enroller insists on the role attribute.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import assert from 'node:assert/strict';
import { createPublicKey, verify, webcrypto, X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  ATTRIBUTES_OID,
  CaError,
  FabricCaClient,
  UserEnroller,
  caToken,
  certificateAttributes,
} from '../src/fabric/ca-client.ts';
import { isLowS } from '../src/fabric/signer.ts';

x509.cryptoProvider.set(webcrypto);
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

interface Seen {
  path: string;
  authorization: string;
  body: Record<string, unknown>;
}

/** A CA that signs enrollment requests with its own key and keeps registrations in memory. */
class FakeCa {
  readonly seen: Seen[] = [];
  readonly users = new Map<string, { secret: string; attrs: Record<string, string> }>();
  /** Registrations this CA refuses as already registered. */
  readonly taken = new Set<string>();
  /** Leave attributes out of certificates (a misconfigured CA). */
  dropAttributes = false;
  server!: Server;
  url = '';
  tlsCaCert = '';
  #keys!: webcrypto.CryptoKeyPair;
  #cert!: x509.X509Certificate;

  async start(): Promise<void> {
    this.#keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    this.#cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=fake-ca',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
      keys: this.#keys,
      signingAlgorithm: EC,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }]),
      ],
    });
    this.tlsCaCert = this.#cert.toString('pem');
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', this.#keys.privateKey));
    const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64')}\n-----END PRIVATE KEY-----\n`;
    this.server = createServer({ cert: this.tlsCaCert, key }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const seen = {
          path: req.url ?? '',
          authorization: req.headers.authorization ?? '',
          body: JSON.parse(raw) as Record<string, unknown>,
        };
        this.seen.push(seen);
        this.#handle(seen, raw).then(
          (result) => res.end(JSON.stringify({ success: true, result, errors: [], messages: [] })),
          (e: unknown) => {
            res.statusCode = 401;
            res.end(
              JSON.stringify({
                success: false,
                result: null,
                errors: [{ code: 20, message: (e as Error).message }],
              }),
            );
          },
        );
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async #handle(seen: Seen, raw: string): Promise<unknown> {
    if (seen.path === '/api/v1/enroll') return this.#enroll(seen);
    if (seen.path === '/api/v1/register') return this.#register(seen, raw);
    throw new Error(`no route ${seen.path}`);
  }

  async #enroll(seen: Seen): Promise<unknown> {
    const [id, secret] = Buffer.from(seen.authorization.replace(/^Basic /, ''), 'base64')
      .toString()
      .split(':');
    const user = this.users.get(id ?? '');
    if (!user || user.secret !== secret) throw new Error('Authentication failure');
    const csr = new x509.Pkcs10CertificateRequest(String(seen.body.certificate_request));
    if (!(await csr.verify())) throw new Error('bad CSR signature');
    const cn = csr.subjectName.getField('CN')[0];
    if (cn !== id) throw new Error(`CN ${cn} is not the enrollment id ${id}`);
    const attrs = this.dropAttributes ? {} : user.attrs;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: String(Date.now() % 1_000_000),
      subject: csr.subject,
      issuer: this.#cert.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
      publicKey: csr.publicKey,
      signingKey: this.#keys.privateKey,
      signingAlgorithm: EC,
      extensions: [new x509.Extension(ATTRIBUTES_OID, false, Buffer.from(JSON.stringify({ attrs })))],
    });
    return { Cert: Buffer.from(cert.toString('pem')).toString('base64'), ServerInfo: { CAName: 'ca-test' } };
  }

  #register(seen: Seen, raw: string): unknown {
    const [b64cert, b64sig] = seen.authorization.split('.');
    const cert = Buffer.from(b64cert ?? '', 'base64').toString();
    const sig = Buffer.from(b64sig ?? '', 'base64');
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const payload = `POST.${b64(seen.path)}.${b64(raw)}.${b64cert}`;
    const publicKey = createPublicKey(
      new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'pem' }),
    );
    if (!verify('sha256', Buffer.from(payload), publicKey, sig)) throw new Error('Invalid token');
    if (!isLowS(sig)) throw new Error('Invalid S');
    const id = String(seen.body.id);
    if (this.taken.has(id) || this.users.has(id)) throw new Error(`Identity '${id}' is already registered`);
    const attrs = Object.fromEntries(
      ((seen.body.attrs as { name: string; value: string; ecert?: boolean }[] | undefined) ?? [])
        .filter((a) => a.ecert)
        .map((a) => [a.name, a.value]),
    );
    const secret = typeof seen.body.secret === 'string' ? seen.body.secret : `gen-${id}`;
    this.users.set(id, { secret, attrs });
    return { secret };
  }
}

const ca = new FakeCa();
let client: FabricCaClient;

before(async () => {
  await ca.start();
  ca.users.set('admin', { secret: 'adminpw', attrs: {} });
  client = new FabricCaClient({ url: ca.url, tlsCaCert: Buffer.from(ca.tlsCaCert), caName: 'ca-test' });
});
after(() => ca.server.close());

describe('Fabric CA REST client', () => {
  it('enrolls with basic auth and a PKCS#10 request (CN = enrollment id) for the returned P-256 key', async () => {
    const e = await client.enroll('admin', 'adminpw');
    const sent = ca.seen.at(-1)!;
    assert.equal(sent.path, '/api/v1/enroll');
    assert.equal(sent.body.caname, 'ca-test');
    const csr = new x509.Pkcs10CertificateRequest(String(sent.body.certificate_request));
    assert.ok(await csr.verify(), 'the request is signed by its key');
    assert.equal(csr.subject, 'CN=admin');
    assert.equal((csr.publicKey.algorithm as webcrypto.EcKeyAlgorithm).namedCurve, 'P-256');
    const cert = new X509Certificate(e.certificate);
    assert.match(cert.subject, /CN=admin/);
    assert.match(e.privateKey, /^-----BEGIN PRIVATE KEY-----/);
    assert.ok(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(e.privateKey)));
  });

  it('refuses a wrong secret with a CaError naming the CA answer', async () => {
    await assert.rejects(
      client.enroll('admin', 'wrong'),
      (e: unknown) => e instanceof CaError && e.status === 401 && /Authentication failure/.test(e.message),
    );
  });

  it("registers with Fabric CA's token: the signature verifies with the registrar certificate's key", async () => {
    const registrar = await client.enroll('admin', 'adminpw');
    const secret = await client.register(registrar, {
      enrollmentId: 'alice',
      attributes: [{ name: 'role', value: 'auditor', ecert: true }],
    });
    assert.equal(secret, 'gen-alice');
    const sent = ca.seen.at(-1)!;
    assert.equal(sent.path, '/api/v1/register');
    assert.deepEqual(sent.body, {
      id: 'alice',
      type: 'client',
      affiliation: '',
      attrs: [{ name: 'role', value: 'auditor', ecert: true }],
      caname: 'ca-test',
    });
    const [b64cert] = sent.authorization.split('.');
    assert.equal(Buffer.from(b64cert!, 'base64').toString(), registrar.certificate);
  });

  it('a token covers method, path, body and certificate (any change breaks it)', async () => {
    const registrar = await client.enroll('admin', 'adminpw');
    const token = caToken(registrar, 'POST', '/api/v1/register', '{"id":"x"}');
    const [b64cert, b64sig] = token.split('.');
    const sig = Buffer.from(b64sig!, 'base64');
    const key = new X509Certificate(registrar.certificate).publicKey;
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const payload = (method: string, path: string, body: string): Buffer =>
      Buffer.from(`${method}.${b64(path)}.${b64(body)}.${b64cert}`);
    assert.ok(verify('sha256', payload('POST', '/api/v1/register', '{"id":"x"}'), key, sig));
    assert.ok(isLowS(sig));
    assert.ok(!verify('sha256', payload('GET', '/api/v1/register', '{"id":"x"}'), key, sig));
    assert.ok(!verify('sha256', payload('POST', '/api/v1/identities', '{"id":"x"}'), key, sig));
    assert.ok(!verify('sha256', payload('POST', '/api/v1/register', '{"id":"y"}'), key, sig));
  });

  it('the enroller registers the role as an ecert attribute and checks it is in the certificate', async () => {
    const enroller = new UserEnroller(client, { enrollmentId: 'admin', secret: 'adminpw' });
    const bob = await enroller.enroll('bob', 'bank_officer');
    assert.equal(certificateAttributes(bob.certificate).role, 'bank_officer');
    // Enrollment secrets are single-use (issue 10): the registration asks for one enrollment.
    const registration = ca.seen.filter((s) => s.path === '/api/v1/register').at(-1);
    assert.equal(registration?.body.max_enrollments, 1);
    assert.equal(new X509Certificate(bob.certificate).subject, 'CN=bob');
    // The registrar was enrolled once and kept.
    const adminAuth = `Basic ${Buffer.from('admin:adminpw').toString('base64')}`;
    const registrarEnrollments = (): number =>
      ca.seen.filter((s) => s.path === '/api/v1/enroll' && s.authorization === adminAuth).length;
    const before = registrarEnrollments();
    await enroller.enroll('carol', 'auditor');
    assert.equal(registrarEnrollments(), before);
  });

  it('refuses a certificate without the role (the chaincode reads it from there)', async () => {
    const enroller = new UserEnroller(client, { enrollmentId: 'admin', secret: 'adminpw' });
    ca.dropAttributes = true;
    try {
      await assert.rejects(enroller.enroll('dave', 'grader'), /without role=grader in the certificate/);
    } finally {
      ca.dropAttributes = false;
    }
  });

  it('an identity registered before is enrolled again when the caller knows its secret', async () => {
    const enroller = new UserEnroller(client, { enrollmentId: 'admin', secret: 'adminpw' });
    const first = await enroller.enroll('org-admin', 'admin', 's3cret');
    const again = await enroller.enroll('org-admin', 'admin', 's3cret');
    assert.notEqual(first.certificate, again.certificate);
    ca.taken.add('eve');
    await assert.rejects(
      enroller.enroll('eve', 'auditor'),
      (e: unknown) => e instanceof CaError && e.alreadyRegistered,
    );
  });

  it('names an unreachable CA', async () => {
    const nowhere = new FabricCaClient({ url: 'https://127.0.0.1:1', timeoutMs: 2000 });
    await assert.rejects(
      nowhere.enroll('admin', 'adminpw'),
      /cannot reach the CA at https:\/\/127\.0\.0\.1:1/,
    );
  });
});
