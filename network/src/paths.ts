import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (network/src/ → ../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Run-time state: crypto, ledgers, logs, pids. Git-ignored; `network:down --purge` removes it. */
export const RUN_DIR = resolve(process.env.COFFEE_RUN_DIR ?? join(REPO_ROOT, '.run'));

/**
 * Cache for slow-to-build things (Go-built binaries), outside the clone so that fresh clones on the same
 * machine (CI) reuse them. Go's own module and build caches stay where Go keeps them (~/go, ~/.cache/go-build).
 */
export const CACHE_DIR = resolve(
  process.env.COFFEE_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'coffee-export'),
);

export const paths = {
  crypto: join(RUN_DIR, 'crypto'),
  config: join(RUN_DIR, 'config'),
  data: join(RUN_DIR, 'data'),
  logs: join(RUN_DIR, 'logs'),
  pids: join(RUN_DIR, 'pids'),
  chaincode: join(RUN_DIR, 'chaincode'),
  channelArtifacts: join(RUN_DIR, 'channel'),
  state: join(RUN_DIR, 'network-state.json'),
  /** V8 tick logs of the Node processes started with COFFEE_PROFILE=1 (profiling() below). */
  profiles: join(RUN_DIR, 'profiles'),
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
