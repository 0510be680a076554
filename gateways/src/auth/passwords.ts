/**
 * Password hashing with scrypt (memory-hard): `scrypt$N$r$p$salt$hash`, compared in constant time.
 *
 * N = 2^17, r = 8, p = 1 (OWASP's scrypt minimum): 128 MiB and most of a second of one core per hash. Hashes
 * made with other parameters (N = 2^14 before) still verify, and needsRehash() tells the login to store the
 * password again at today's cost. At most SCRYPT_CONCURRENCY hashes run at once per process, so a burst of
 * logins queues instead of taking 128 MiB per libuv thread.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export const SCRYPT_PARAMS = { N: 2 ** 17, r: 8, p: 1 } as const;
const KEYLEN = 32;
const SCRYPT_CONCURRENCY = 2;

/** Room for 128 × N × r bytes plus scrypt's own small buffers. */
const maxmem = (N: number, r: number): number => 128 * N * r + 16 * 1024 * 1024;

let running = 0;
const waiting: (() => void)[] = [];

async function scrypt(password: string, salt: Buffer, opts: ScryptOptions & { N: number; r: number }) {
  if (running >= SCRYPT_CONCURRENCY) await new Promise<void>((go) => waiting.push(go));
  running++;
  try {
    return await new Promise<Buffer>((resolve, reject) =>
      scryptCb(password, salt, KEYLEN, { ...opts, maxmem: maxmem(opts.N, opts.r) }, (e, key) =>
        e ? reject(e) : resolve(key),
      ),
    );
  } finally {
    running--;
    waiting.shift()?.();
  }
}

export async function hashPassword(password: string): Promise<string> {
  const { N, r, p } = SCRYPT_PARAMS;
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, { N, r, p });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface Parsed {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parse(stored: string): Parsed | undefined {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !n || !r || !p || !salt || !hash) return undefined;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  // Parameters outside what this gateway ever wrote are a corrupt row, not a reason to allocate gigabytes.
  if (![params.N, params.r, params.p].every(Number.isSafeInteger)) return undefined;
  if (params.N < 2 || params.N > 2 ** 20 || params.r < 1 || params.r > 32 || params.p < 1 || params.p > 16)
    return undefined;
  return { ...params, salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const key = await scrypt(password, parsed.salt, { N: parsed.N, r: parsed.r, p: parsed.p });
  return key.length === parsed.hash.length && timingSafeEqual(key, parsed.hash);
}

/** Whether a stored hash was made with other parameters than today's (the login then stores it again). */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  return (
    !parsed || parsed.N !== SCRYPT_PARAMS.N || parsed.r !== SCRYPT_PARAMS.r || parsed.p !== SCRYPT_PARAMS.p
  );
}

/** A dummy hash at today's cost, to spend the same time on unknown usernames (no user enumeration by timing). */
export const DUMMY_HASH = `scrypt$${SCRYPT_PARAMS.N}$${SCRYPT_PARAMS.r}$${SCRYPT_PARAMS.p}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`;
