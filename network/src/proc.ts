/**
 * Process management for every node the launcher starts: each process is recorded by pid (with its
 * kernel start time, so a recycled pid is never mistaken for ours) and stopped by that pid only.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { paths } from './paths.ts';
import { UserError } from './log.ts';
import { ensureNamespaces } from './netns.ts';
import { namespaceOf, wrapCommand, type HostKey } from './topology.ts';

export interface ProcessRecord {
  name: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat: distinguishes our process from a later one with the same pid. */
  startTicks: string;
  command: string[];
  logFile: string;
  startedAt: string;
}

function pidFile(name: string): string {
  return join(paths.pids, `${name}.json`);
}

export function logFile(name: string): string {
  return join(paths.logs, `${name}.log`);
}

/** Whether any thread of the process other than an exited main thread still runs. */
function threadsAlive(pid: number): boolean {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  return tasks.some((tid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  });
}

function procStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after the closing parenthesis are fixed.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = rest[0];
    // A multithreaded process (a Go node) whose main thread has exited shows as a zombie while its other
    // threads still run and still hold its files and listening sockets: it is alive until every thread is gone.
    if ((state === 'Z' || state === 'X') && !threadsAlive(pid)) return undefined;
    return rest[19];
  } catch {
    return undefined;
  }
}

export function isAlive(rec: ProcessRecord): boolean {
  return procStartTicks(rec.pid) === rec.startTicks;
}

export function readRecord(name: string): ProcessRecord | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(pidFile(name), 'utf8'));
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'pid' in parsed &&
      typeof parsed.pid === 'number' &&
      'startTicks' in parsed &&
      typeof parsed.startTicks === 'string'
    ) {
      return parsed as ProcessRecord;
    }
  } catch {
    // missing or unreadable: no record
  }
  return undefined;
}

export function allRecords(): ProcessRecord[] {
  let names: string[] = [];
  try {
    names = readdirSync(paths.pids).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return names.map((f) => readRecord(f.slice(0, -5))).filter((r): r is ProcessRecord => r !== undefined);
}

/** The live process recorded under this name, or undefined (stale records are removed). */
export function running(name: string): ProcessRecord | undefined {
  const rec = readRecord(name);
  if (!rec) return undefined;
  if (isAlive(rec)) return rec;
  rmSync(pidFile(name), { force: true });
  return undefined;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Ports the process will listen on, checked before start so a clash is reported by name. */
  ports?: { port: number; what: string }[];
  /**
   * The host the process belongs to (an org id or 'orderers'; topology.ts): in the netns topology it runs inside
   * that host's namespace (`ip netns exec`, which execs in place: the recorded pid is the node's own).
   */
  host?: HostKey;
}

export async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') {
        reject(
          new UserError(
            `port ${port} (${what}) is already in use by another program; stop it or change the port in network/src/orgs.ts`,
          ),
        );
      } else {
        reject(e);
      }
    });
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/** Starts a detached process writing to .run/logs/<name>.log and records it in .run/pids/<name>.json. */
export async function startProcess(opts: StartOptions): Promise<ProcessRecord> {
  const existing = running(opts.name);
  if (existing) return existing;
  const namespace = opts.host === undefined ? undefined : namespaceOf(opts.host);
  // Ports inside a namespace this run created are free but for its own nodes (`running` above).
  if (namespace === undefined) for (const p of opts.ports ?? []) await assertPortFree(p.port, p.what);
  else ensureNamespaces();
  const { command, args } =
    namespace === undefined
      ? { command: opts.command, args: opts.args }
      : wrapCommand(namespace, opts.command, opts.args);
  mkdirSync(paths.logs, { recursive: true });
  mkdirSync(paths.pids, { recursive: true });
  const log = logFile(opts.name);
  const fd = openSync(log, 'a');
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) {
    throw new UserError(`could not start ${opts.name} (${opts.command}); see ${log}`);
  }
  child.unref();
  const startTicks = procStartTicks(pid);
  if (startTicks === undefined) {
    throw new UserError(`${opts.name} exited immediately; see ${log}`);
  }
  const rec: ProcessRecord = {
    name: opts.name,
    pid,
    startTicks,
    command: [command, ...args],
    logFile: log,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(pidFile(opts.name), JSON.stringify(rec, null, 2));
  return rec;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Stops one recorded process by its pid: SIGTERM (or the given signal), then SIGKILL after the grace period. */
export async function stopProcess(
  name: string,
  graceMs = 5000,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<boolean> {
  const rec = readRecord(name);
  if (!rec) return false;
  let stopped = false;
  if (isAlive(rec)) {
    try {
      process.kill(rec.pid, signal);
    } catch {
      // already gone
    }
    const deadline = Date.now() + graceMs;
    while (isAlive(rec) && Date.now() < deadline) await sleep(50);
    if (isAlive(rec)) {
      try {
        process.kill(rec.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      while (isAlive(rec)) await sleep(20);
    }
    stopped = true;
  }
  rmSync(pidFile(name), { force: true });
  return stopped;
}

/** Kills a recorded process at once (fault tests); the record stays so `status` shows it as down. */
export function killProcess(name: string): ProcessRecord {
  const rec = readRecord(name);
  if (!rec || !isAlive(rec)) throw new UserError(`${name} is not running`);
  process.kill(rec.pid, 'SIGKILL');
  return rec;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; on failure throws with the command's own error output. */
export function run(
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => reject(new UserError(`cannot run ${command}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) {
        resolve({ stdout, stderr });
      } else {
        const tail = (stderr || stdout).trim().split('\n').slice(-15).join('\n');
        reject(new UserError(`${command} ${args.slice(0, 4).join(' ')} failed (exit ${code}):\n${tail}`));
      }
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** Polls until fn resolves true or the timeout passes. */
export async function waitFor(
  what: string,
  fn: () => Promise<boolean>,
  timeoutMs: number,
  log?: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await fn()) return;
    } catch (e: unknown) {
      if (e instanceof UserError) throw e;
      // not ready yet
    }
    if (Date.now() > deadline) {
      throw new UserError(
        `${what} did not become ready within ${timeoutMs / 1000} s${log ? `; see ${log}` : ''}`,
      );
    }
    await sleep(100);
  }
}
