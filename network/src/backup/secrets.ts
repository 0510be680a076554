/**
 * The keys and crypto material in a backup, encrypted with a passphrase: a gzip'd tar of the org's files (its
 * cryptogen tree, its gateway's directory — document key ring and its passphrase, JWT keys, custody key, sealed
 * identity files —, its enrolled identities, its CA's home and registry, its chaincode packages, its kubo node's
 * identity), sealed with AES-256-GCM under a key derived by scrypt from COFFEE_BACKUP_PASSPHRASE.
 *
 * File format (one file): the line `COFFEE-BACKUP-SECRETS 1`, one JSON line with the scrypt parameters, salt and
 * IV, then the ciphertext and the 16-byte GCM tag. Both header lines are authenticated (GCM additional data), so
 * a changed parameter fails to open like a changed byte of the archive.
 *
 * Passphrase: production takes COFFEE_BACKUP_PASSPHRASE and refuses a missing, weak or development one (as
 * mode.ts does for the launcher's other secrets). Development generates one once into runDir()/backup-passphrase
 * (0600) and says where it is: keep a copy away from the machine, a backup is useless without it.
 */
import { spawn } from 'node:child_process';
import {
  createCipheriv,
  createDecipheriv,
  randomBytes,
  scrypt as scryptCb,
  type ScryptOptions,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIN_SECRET_LENGTH, WEAK_SECRETS } from '../../../gateways/src/production.ts';
import { info, UserError } from '../log.ts';
import { launcherMode } from '../mode.ts';
import { runDir } from '../paths.ts';

const MAGIC = 'COFFEE-BACKUP-SECRETS 1\n';
/** scrypt cost: 2^15 (about 100 ms and 32 MiB here), r 8, p 1 — OWASP's floor for scrypt. */
const KDF = { N: 32768, r: 8, p: 1 } as const;

export const passphraseFile = (): string => join(runDir(), 'backup-passphrase');

const isWeak = (v: string): boolean =>
  v.length < MIN_SECRET_LENGTH || WEAK_SECRETS.has(v.toLowerCase()) || /^(.)\1*$/.test(v);

/** The passphrase backups are sealed with (see the file comment); `quiet` skips the development notice. */
export function backupPassphrase(env: NodeJS.ProcessEnv = process.env, quiet = false): string {
  const given = env.COFFEE_BACKUP_PASSPHRASE;
  if (launcherMode(env) === 'production') {
    if (!given)
      throw new UserError(
        'COFFEE_BACKUP_PASSPHRASE is required in production (it encrypts the keys and crypto material in every backup)',
      );
    if (existsSync(passphraseFile()) && readFileSync(passphraseFile(), 'utf8').trim() === given)
      throw new UserError(
        `COFFEE_BACKUP_PASSPHRASE is the development passphrase generated in ${passphraseFile()}`,
      );
    if (isWeak(given))
      throw new UserError(
        `COFFEE_BACKUP_PASSPHRASE must be at least ${MIN_SECRET_LENGTH} characters and not a well-known default`,
      );
    return given;
  }
  if (given) return given;
  if (!existsSync(passphraseFile())) {
    mkdirSync(runDir(), { recursive: true });
    writeFileSync(passphraseFile(), `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  }
  if (!quiet)
    info(
      `  backup passphrase: the development one in ${passphraseFile()} (0600); keep a copy elsewhere, or set COFFEE_BACKUP_PASSPHRASE`,
    );
  return readFileSync(passphraseFile(), 'utf8').trim();
}

function scrypt(passphrase: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(passphrase, salt, 32, opts, (e, key) => (e ? reject(e) : resolve(key))),
  );
}

interface Header {
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  iv: string;
}

export async function seal(plain: Buffer, passphrase: string): Promise<Buffer> {
  const header: Header = {
    kdf: 'scrypt',
    ...KDF,
    salt: randomBytes(16).toString('base64'),
    iv: randomBytes(12).toString('base64'),
  };
  const head = Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`);
  const key = await scrypt(passphrase, Buffer.from(header.salt, 'base64'), {
    ...KDF,
    maxmem: 64 * 1024 * 1024,
  });
  const cipher = createCipheriv('aes-256-gcm', key, Buffer.from(header.iv, 'base64'));
  cipher.setAAD(head);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([head, body, cipher.getAuthTag()]);
}

export async function unseal(sealed: Buffer, passphrase: string, what = 'the archive'): Promise<Buffer> {
  if (!sealed.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC)))
    throw new UserError(`${what} is not an encrypted backup archive of this project`);
  const end = sealed.indexOf(0x0a, MAGIC.length);
  if (end < 0) throw new UserError(`${what}: truncated header`);
  let header: Header;
  try {
    header = JSON.parse(sealed.subarray(MAGIC.length, end).toString('utf8')) as Header;
  } catch {
    throw new UserError(`${what}: unreadable header`);
  }
  if (header.kdf !== 'scrypt' || ![header.N, header.r, header.p].every(Number.isInteger))
    throw new UserError(`${what}: unknown key derivation`);
  const head = sealed.subarray(0, end + 1);
  const body = sealed.subarray(end + 1, sealed.length - 16);
  const tag = sealed.subarray(sealed.length - 16);
  const key = await scrypt(passphrase, Buffer.from(header.salt, 'base64'), {
    N: header.N,
    r: header.r,
    p: header.p,
    maxmem: 256 * 1024 * 1024,
  });
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(header.iv, 'base64'));
  decipher.setAAD(head);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new UserError(
      `${what} does not open with this passphrase (wrong passphrase, or the file was altered)`,
    );
  }
}

/** Runs tar, feeding `input` and collecting stdout. */
function tar(args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject(new UserError(`cannot run tar: ${e.message}`)));
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out))
        : reject(new UserError(`tar failed (exit ${code}): ${err.trim()}`)),
    );
    child.stdin.end(input);
  });
}

/**
 * A gzip'd tar of `paths` (relative to `base`; the ones that do not exist are skipped) plus every file under
 * `extraDir` (stored under `_backup/`), sealed with the passphrase.
 */
export async function sealArchive(
  base: string,
  paths: readonly string[],
  passphrase: string,
  extraDir?: string,
): Promise<{ sealed: Buffer; included: string[] }> {
  const included = paths.filter((p) => existsSync(join(base, p)));
  const args = ['-czf', '-', '-C', base, ...included];
  if (extraDir) args.push('-C', extraDir, '_backup');
  const plain = await tar(args);
  return { sealed: await seal(plain, passphrase), included };
}

/** Opens a sealed archive and extracts it into `dest` (which must exist and be empty). */
export async function openArchive(file: string, passphrase: string, dest: string): Promise<void> {
  const plain = await unseal(readFileSync(file), passphrase, file);
  await tar(['-xzf', '-', '-C', dest], plain);
}
