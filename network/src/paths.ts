import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (network/src/ → ../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Run-time state: crypto, ledgers, logs, pids (COFFEE_RUN_DIR, default .run/). Git-ignored; `network:down --purge`
 * removes it. Read from the environment when asked for, never at import, so a test may set COFFEE_RUN_DIR at any
 * time before it starts a network.
 */
export function runDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.COFFEE_RUN_DIR ?? join(REPO_ROOT, '.run'));
}

/**
 * Cache for slow-to-build things (Go-built binaries), outside the clone so that fresh clones on the same
 * machine (CI) reuse them. Go's own module and build caches stay where Go keeps them (~/go, ~/.cache/go-build).
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(
    env.COFFEE_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'coffee-export'),
  );
}

/** The run directory's parts, each computed from runDir() when read. */
export const paths = {
  get crypto(): string {
    return join(runDir(), 'crypto');
  },
  get config(): string {
    return join(runDir(), 'config');
  },
  get data(): string {
    return join(runDir(), 'data');
  },
  get logs(): string {
    return join(runDir(), 'logs');
  },
  get pids(): string {
    return join(runDir(), 'pids');
  },
  get chaincode(): string {
    return join(runDir(), 'chaincode');
  },
  get channelArtifacts(): string {
    return join(runDir(), 'channel');
  },
  get state(): string {
    return join(runDir(), 'network-state.json');
  },
  /** V8 tick logs of the Node processes started with COFFEE_PROFILE=1 (profiling() below). */
  get profiles(): string {
    return join(runDir(), 'profiles');
  },
  builders: join(REPO_ROOT, 'network', 'builders'),
  tools: join(REPO_ROOT, 'network', 'tools'),
};

/**
 * COFFEE_PROFILE=1 at start-up: peers and orderers serve Go's pprof (operations port + 3 and + 5), chaincode
 * servers write V8 tick logs to paths.profiles (docs/bench.md, "Profiling").
 */
export function profiling(): boolean {
  return process.env.COFFEE_PROFILE === '1';
}
