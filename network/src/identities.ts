/**
 * User identities: registered and enrolled at the org's Fabric CA with a `role` attribute in the enrollment
 * certificate, then registered on-chain (user-management `users:RegisterUser`) by an org admin. The gateways
 * reuse registerAndEnroll() when an org admin creates a user.
 *
 * Each org has a bootstrap admin identity ("org-admin", role=admin, CA identity type client) that the launcher
 * enrolls on demand; the chaincode accepts an unregistered caller whose certificate says role=admin, because
 * only the org's own CA can issue such a certificate.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Binaries } from './binaries.ts';
import { cryptoPaths } from './crypto.ts';
import { UserError } from './log.ts';
import { caPorts, CHANNEL, type PeerOrg } from './orgs.ts';
import { runDir } from './paths.ts';
import { run } from './proc.ts';
import { secrets } from './secrets.ts';
import { connectOrg, identityCredentials, submitWithRetry } from './gateway.ts';

export interface EnrolledIdentity {
  readonly org: string;
  readonly mspId: string;
  /** Enrollment id at the CA = certificate CN; on-chain user id is `<mspId>::<username>`. */
  readonly username: string;
  readonly role: string;
  readonly certificate: string;
  readonly privateKey: string;
}

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,62}$/;

const identitiesDir = (org: PeerOrg): string => join(runDir(), 'identities', org.id);

function caUrl(org: PeerOrg, credentials?: string): string {
  return `https://${credentials ? `${credentials}@` : ''}127.0.0.1:${caPorts(org).listen}`;
}

function caArgs(org: PeerOrg, home: string): string[] {
  return ['--caname', `ca-${org.id}`, '--tls.certfiles', cryptoPaths.tlsCaCert(org), '-H', home];
}

function readMsp(mspDir: string): { certificate: string; privateKey: string } {
  const certificate = readFileSync(join(mspDir, 'signcerts', 'cert.pem'), 'utf8');
  const keystore = join(mspDir, 'keystore');
  const [keyFile] = readdirSync(keystore);
  if (!keyFile) throw new Error(`no private key in ${keystore}`);
  return { certificate, privateKey: readFileSync(join(keystore, keyFile), 'utf8') };
}

/** The CA's bootstrap registrar, enrolled once into .run/identities/<org>/ca-registrar. */
async function registrarMsp(bins: Binaries, org: PeerOrg): Promise<string> {
  const home = join(identitiesDir(org), 'ca-registrar');
  const msp = join(home, 'msp');
  if (existsSync(join(msp, 'signcerts', 'cert.pem'))) return msp;
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const password = secrets().caAdmins[org.id];
  if (!password)
    throw new UserError(`no CA bootstrap password for ${org.id} in ${join(runDir(), 'secrets.json')}`);
  await run(bins.paths['fabric-ca-client'], [
    'enroll',
    '-u',
    caUrl(org, `admin:${password}`),
    '--mspdir',
    msp,
    ...caArgs(org, home),
  ]);
  return msp;
}

export interface RegisterOptions {
  username: string;
  role: string;
  /** Enrollment secret; a random one when absent. */
  secret?: string;
}

/**
 * Registers the user at the org's CA (type client, attribute role=<role> in the enrollment certificate) and
 * enrolls it. Idempotent for a user already registered with the same secret.
 */
export async function registerAndEnroll(
  bins: Binaries,
  org: PeerOrg,
  opts: RegisterOptions,
): Promise<EnrolledIdentity> {
  if (!USERNAME_PATTERN.test(opts.username)) {
    throw new UserError(`username '${opts.username}' must be 2-63 characters of a-z, 0-9, '.', '_' or '-'`);
  }
  if (!/^[a-z_]{2,32}$/.test(opts.role)) throw new UserError(`role '${opts.role}' is not a valid role name`);
  const registrar = await registrarMsp(bins, org);
  const home = join(identitiesDir(org), 'ca-registrar');
  const secret = opts.secret ?? randomBytes(18).toString('base64url');
  try {
    await run(bins.paths['fabric-ca-client'], [
      'register',
      '-u',
      caUrl(org),
      '--mspdir',
      registrar,
      '--id.name',
      opts.username,
      '--id.secret',
      secret,
      '--id.type',
      'client',
      '--id.attrs',
      `role=${opts.role}:ecert`,
      ...caArgs(org, home),
    ]);
  } catch (e: unknown) {
    if (!(String(e).includes('already registered') && opts.secret !== undefined)) throw e;
  }
  const userHome = join(
    identitiesDir(org),
    'enroll-tmp',
    `${opts.username}-${randomBytes(4).toString('hex')}`,
  );
  mkdirSync(userHome, { recursive: true, mode: 0o700 });
  try {
    const msp = join(userHome, 'msp');
    await run(bins.paths['fabric-ca-client'], [
      'enroll',
      '-u',
      caUrl(org, `${encodeURIComponent(opts.username)}:${encodeURIComponent(secret)}`),
      '--mspdir',
      msp,
      ...caArgs(org, userHome),
    ]);
    const { certificate, privateKey } = readMsp(msp);
    return {
      org: org.id,
      mspId: org.mspId,
      username: opts.username,
      role: opts.role,
      certificate,
      privateKey,
    };
  } finally {
    rmSync(userHome, { recursive: true, force: true });
  }
}

/** Stores an identity under .run/identities/<org>/<username>.json (mode 0600) for tools and tests. */
export function saveIdentity(identity: EnrolledIdentity): string {
  const org = identity.org;
  const dir = join(runDir(), 'identities', org);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${identity.username}.json`);
  writeFileSync(file, JSON.stringify(identity, null, 2), { mode: 0o600 });
  return file;
}

export function loadIdentity(org: PeerOrg, username: string): EnrolledIdentity | undefined {
  const file = join(identitiesDir(org), `${username}.json`);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as EnrolledIdentity;
}

export const BOOTSTRAP_ADMIN = 'org-admin';

const adminEnrollments = new Map<string, Promise<EnrolledIdentity>>();

/**
 * The org's bootstrap admin (role=admin), enrolled once and kept in .run/identities. Its enrollment secret is
 * derived from the CA bootstrap password, so it can be enrolled again if the saved identity is lost.
 * Concurrent callers share one enrollment.
 */
export function orgAdmin(bins: Binaries, org: PeerOrg): Promise<EnrolledIdentity> {
  const existing = loadIdentity(org, BOOTSTRAP_ADMIN);
  if (existing) return Promise.resolve(existing);
  let pending = adminEnrollments.get(org.id);
  if (!pending) {
    const caPassword = secrets().caAdmins[org.id] ?? '';
    const secret = createHmac('sha256', caPassword)
      .update(`${BOOTSTRAP_ADMIN}@${org.id}`)
      .digest('base64url');
    pending = registerAndEnroll(bins, org, { username: BOOTSTRAP_ADMIN, role: 'admin', secret }).then(
      (identity) => {
        saveIdentity(identity);
        return identity;
      },
    );
    pending.catch(() => adminEnrollments.delete(org.id));
    adminEnrollments.set(org.id, pending);
  }
  return pending;
}

/** Registers the user on-chain (user-management users:RegisterUser), submitted by the given org admin. */
export async function registerOnChain(
  org: PeerOrg,
  admin: EnrolledIdentity,
  user: { username: string; role: string; exporterId?: string },
): Promise<void> {
  const conn = connectOrg(org, identityCredentials(admin));
  try {
    const contract = conn.gateway.getNetwork(CHANNEL).getContract('user-management', 'users');
    const input = JSON.stringify({ commonName: user.username, role: user.role, exporterId: user.exporterId });
    const commit = await submitWithRetry(contract, 'RegisterUser', [input]);
    const status = await commit.getStatus();
    if (!status.successful) {
      throw new UserError(
        `on-chain registration of ${user.username} failed: transaction ${status.transactionId} code ${status.code}`,
      );
    }
  } finally {
    conn.close();
  }
}

/** Everything at once: CA identity + on-chain user, saved under .run/identities. */
export async function createUser(
  bins: Binaries,
  org: PeerOrg,
  user: { username: string; role: string; exporterId?: string; secret?: string },
): Promise<EnrolledIdentity> {
  const admin = await orgAdmin(bins, org);
  const identity = await registerAndEnroll(bins, org, {
    username: user.username,
    role: user.role,
    secret: user.secret,
  });
  await registerOnChain(org, admin, user);
  saveIdentity(identity);
  return identity;
}
