/**
 * Runs the chaincode-level rounds with the Caliper CLI (`caliper launch manager`, one local worker process):
 * writes the network configuration (our peers, TLS CAs and the bench's identities, connector = caliper-fabric's
 * peer-gateway connector with endorsing organizations, connector.ts) and the benchmark configuration (rounds,
 * rate controllers, the workload module, the recording observer), then streams Caliper's round progress.
 *
 * No `caliper bind`: binding only runs `npm install` of the SDK it names (for fabric 2.4/2.5:
 * @hyperledger/fabric-gateway + @grpc/grpc-js), and those are devDependencies of this workspace, installed with
 * the rest by `npm ci`; caliper-fabric finds @hyperledger/fabric-gateway and picks its peer-gateway connector.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { cryptoPaths } from '../../../src/crypto.ts';
import type { EnrolledIdentity } from '../../../src/identities.ts';
import { info, UserError } from '../../../src/log.ts';
import { CHANNEL, peerPorts, type PeerOrg } from '../../../src/orgs.ts';
import type { RoundRecord } from './observer.ts';
import type { RoundArguments } from './workload.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** Caliper's fixed-rate controller, or our closed loop (a module path, closed-loop.ts). */
export type RateControl =
  | { readonly type: 'fixed-rate'; readonly opts: { readonly tps: number } }
  | { readonly type: string; readonly opts: { readonly clients: number } };

export interface PlannedRound {
  readonly label: string;
  readonly rateControl: RateControl;
  /** Count-bounded (consumes a pool) or time-bounded. */
  readonly txNumber?: number;
  readonly txDuration?: number;
  readonly arguments: RoundArguments;
}

export interface CaliperIdentity {
  /** Name the workload uses as invokerIdentity. */
  readonly name: string;
  readonly identity: EnrolledIdentity;
}

export function fixedRate(tps: number): RateControl {
  return { type: 'fixed-rate', opts: { tps } };
}

/** `clients` transactions in flight, a new one as soon as one finishes (closed-loop.ts). */
export function closedLoop(clients: number): RateControl {
  return { type: join(HERE, 'closed-loop.ts'), opts: { clients } };
}

function connectionProfile(org: PeerOrg): Record<string, unknown> {
  const peer = `peer0.${org.id}`;
  return {
    name: `coffee-export-${org.id}`,
    version: '1.0.0',
    client: { organization: org.id },
    organizations: { [org.id]: { mspid: org.mspId, peers: [peer] } },
    peers: {
      [peer]: {
        url: `grpcs://127.0.0.1:${peerPorts(org).listen}`,
        tlsCACerts: { path: cryptoPaths.tlsCaCert(org) },
        // Peers' TLS certificates name localhost and 127.0.0.1; an IP is not a valid TLS server name.
        grpcOptions: { 'ssl-target-name-override': 'localhost' },
      },
    },
  };
}

/** Caliper's network configuration (version 2.0) and one connection profile per org; keys inline, mode 0600. */
function writeNetworkConfig(dir: string, orgs: readonly PeerOrg[], ids: readonly CaliperIdentity[]): string {
  const organizations = orgs.map((org) => {
    const profile = join(dir, `profile-${org.id}.json`);
    writeFileSync(profile, JSON.stringify(connectionProfile(org), null, 2));
    return {
      mspid: org.mspId,
      identities: {
        certificates: ids
          .filter((i) => i.identity.mspId === org.mspId)
          .map((i) => ({
            name: i.name,
            clientPrivateKey: { pem: i.identity.privateKey },
            clientSignedCert: { pem: i.identity.certificate },
          })),
      },
      connectionProfile: { path: profile, discover: true },
    };
  });
  const file = join(dir, 'network.yaml');
  const config = {
    name: 'coffee-export',
    version: '2.0.0',
    caliper: { blockchain: join(HERE, 'connector.ts'), sutOptions: { mutualTls: false } },
    channels: [{ channelName: CHANNEL, contracts: [{ id: 'coffee-export' }, { id: 'yardstick' }] }],
    organizations,
  };
  writeFileSync(file, stringify(config), { mode: 0o600 });
  return file;
}

function writeBenchConfig(dir: string, rounds: readonly PlannedRound[], recordsDir: string): string {
  const file = join(dir, 'benchmark.yaml');
  const config = {
    test: {
      name: 'coffee-export',
      description: 'npm run bench: chaincode-level workloads (network/bench)',
      workers: { number: 1 },
      rounds: rounds.map((r) => ({
        label: r.label,
        ...(r.txNumber !== undefined ? { txNumber: r.txNumber } : { txDuration: r.txDuration }),
        rateControl: r.rateControl,
        workload: { module: join(HERE, 'workload.ts'), arguments: r.arguments },
      })),
    },
    monitors: { transaction: [{ module: join(HERE, 'observer.ts'), options: { dir: recordsDir } }] },
  };
  writeFileSync(file, stringify(config));
  return file;
}

/** What of Caliper's console output is progress worth showing: round starts/ends and errors. */
function progressLine(line: string): string | undefined {
  const m = /(Started round \d+ \([^)]*\)|Finished round \d+ \([^)]*\) in [\d.]+ seconds)/.exec(line);
  if (m) return m[1];
  if (/\berror\b/i.test(line)) return line.replace(/^\S+\s+/, '').slice(0, 300);
  return undefined;
}

const ESC = String.fromCharCode(27);

/** Caliper colours its log levels (ANSI escapes). */
function stripColors(line: string): string {
  return line
    .split(ESC)
    .map((part, i) => (i === 0 ? part : part.replace(/^\[[0-9;]*m/, '')))
    .join('');
}

function streamProgress(stream: NodeJS.ReadableStream, log: NodeJS.WritableStream): void {
  let pending = '';
  let errors = 0;
  stream.on('data', (chunk: Buffer) => {
    log.write(chunk);
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const raw of lines) {
      const line = progressLine(stripColors(raw));
      if (!line) continue;
      if (!/round/.test(line) && ++errors > 5) continue;
      info(`  caliper: ${line}`);
    }
  });
}

export interface CaliperRun {
  readonly records: readonly RoundRecord[];
  readonly reportHtml: string;
  readonly log: string;
}

/** Runs the rounds; resolves each round's records (one per worker) in round order. */
export async function runCaliper(
  dir: string,
  orgs: readonly PeerOrg[],
  ids: readonly CaliperIdentity[],
  rounds: readonly PlannedRound[],
  timeoutMs: number,
): Promise<CaliperRun> {
  mkdirSync(dir, { recursive: true });
  const recordsDir = join(dir, 'rounds');
  const network = writeNetworkConfig(dir, orgs, ids);
  const bench = writeBenchConfig(dir, rounds, recordsDir);
  const reportHtml = join(dir, 'caliper-report.html');
  const logFile = join(dir, 'caliper.log');
  const cli = require.resolve('@hyperledger/caliper-cli/caliper.js');
  // Workers are forked with the manager's execArgv: tsx loads our TypeScript connector, workload and observer.
  const args = [
    '--import',
    import.meta.resolve('tsx'),
    cli,
    'launch',
    'manager',
    '--caliper-workspace',
    dir,
    '--caliper-benchconfig',
    bench,
    '--caliper-networkconfig',
    network,
    '--caliper-flow-only-test',
    '--caliper-report-path',
    reportHtml,
    '--caliper-fabric-timeout-invokeorquery',
    '60',
    // The manager waits one progress interval at the end of every round.
    '--caliper-progress-reporting-interval',
    '1000',
  ];
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, args, {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  streamProgress(child.stdout, log);
  streamProgress(child.stderr, log);
  // Caliper runs in its own process group (manager + worker): stopped as a whole on a deadline or Ctrl-C.
  const stopGroup = (): void => {
    try {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const interrupted = (): void => {
    stopGroup();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      stopGroup();
      reject(new UserError(`Caliper did not finish within ${timeoutMs / 1000} s; see ${logFile}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  }).finally(() => {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  });
  log.end();
  if (code !== 0) throw new UserError(`Caliper exited with code ${code}; see ${logFile}`);
  return { records: readRecords(recordsDir), reportHtml, log: logFile };
}

function readRecords(dir: string): RoundRecord[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as RoundRecord);
}
