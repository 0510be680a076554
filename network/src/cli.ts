/**
 * The network's command line: `npm run network:<command>` (up, down, status, logs, deploy, binaries, compose, helm).
 * Operator errors print one clear line and exit 1; no stack traces.
 */
import { existsSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { cleanBinaryCache, ensureBinaries } from './binaries.ts';
import { writeCompose } from './compose.ts';
import { writeHelmValues } from './helm.ts';
import { deployChaincodes } from './lifecycle.ts';
import { info, step, UserError } from './log.ts';
import { down, status, up } from './network.ts';
import { createUser } from './identities.ts';
import { logFile } from './proc.ts';
import { allRecords } from './proc.ts';
import {
  ensureGatewayConfig,
  gatewayProcessEnv,
  startGateway,
  startGateways,
  stopGateway,
  stopGateways,
  type GatewaySettings,
} from './nodes/gateway.ts';
import { ensureIpfs, ensureIpfsAll, stopIpfs, stopIpfsAll } from './nodes/ipfs.ts';
import { ensurePostgres, stopPostgres } from './nodes/postgres.ts';
import {
  findOrg,
  CHANNEL,
  ORDERER_ORG,
  PEER_ORGS,
  caPorts,
  ordererIndexes,
  ordererPorts,
  peerPorts,
} from './orgs.ts';
import { launcherMode } from './mode.ts';
import { REPO_ROOT, runDir } from './paths.ts';
import { hostAddress, ORDERERS, topology } from './topology.ts';

function printEndpoints(): void {
  const lines = [
    `channel ${CHANNEL}; run-time state in ${runDir()}`,
    ...ordererIndexes().map(
      (i) =>
        `  orderer${i} (${ORDERER_ORG.mspId})`.padEnd(40) +
        `grpcs://${hostAddress(ORDERERS)}:${ordererPorts(i).listen}  admin https://${hostAddress(ORDERERS)}:${ordererPorts(i).admin}  operations https://${hostAddress(ORDERERS)}:${ordererPorts(i).operations}`,
    ),
    ...PEER_ORGS.map(
      (o) =>
        `  ${o.id} (${o.mspId})`.padEnd(40) +
        `peer grpcs://${hostAddress(o)}:${peerPorts(o).listen}  CA https://${hostAddress(o)}:${caPorts(o).listen}  operations https://${hostAddress(o)}:${peerPorts(o).operations}`,
    ),
    'logs: npm run network:logs -- <node>   status: npm run network:status',
  ];
  for (const l of lines) info(l);
}

const USAGE = `usage: network <command>
  start              up, print the endpoints, stay in the foreground; Ctrl-C stops everything
  up                 start (or resume) the network: CAs, orderers, peers, channel, chaincodes
  down [--purge]     stop every process the launcher started (by pid); --purge also deletes .run/
  status [--json]    per node: running, block height, Raft leader; committed chaincodes
  logs <node> [-f]   print (or follow) a node's log, e.g. peer0.ecta, orderer1, ca.customs, cc.coffee-export.ecx
  deploy             build and deploy changed chaincodes (bumps the sequence)
  binaries [--clean] build or locate the Fabric, Fabric CA and IPFS binaries
  compose            regenerate docker-compose.yaml from the org configuration
  helm values        regenerate the Helm values (network/helm/values/) from the org configuration
  helm check         build Helm (pinned) if missing; lint, render and validate every release offline
  monitoring start | stop | config
                     Prometheus for this run (network/src/monitoring.ts; 127.0.0.1:9090 + port offset), after the
                     gateways; \`config\` prints the generated configuration
  gateways up [KEY=VALUE ...]
                     PostgreSQL, the six kubo nodes and the six gateways (KEY=VALUE: a gateway setting for
                     all of them, see gateways/src/config.ts); writes .run/endpoints.json
  gateways down      stop the gateways, kubo nodes and PostgreSQL (by pid), leaving the network running
  gateways start <org> [KEY=VALUE ...] | stop <org>
                     start (unless running) or stop one org's gateway
  gateways reproject <org> | rotate-document-key <org> [--no-publish]
  gateways rotate-signing-key [<org> ...]
                     a new access-token signing key for those orgs' gateways (every org without one); running
                     gateways sign with it at once, the old key verifies until its tokens expire
                     run a gateway tool with that org's gateway configuration (.run/gateways/<org>/gateway.json)
  postgres start|stop
  ipfs start|stop [<org>]
                     one off-chain node (every kubo node without <org>)
  register-user --org <org> --user <name> --role <role> [--exporter-id <id>]
                     enroll a user at the org's Fabric CA (role attribute in the certificate) and register
                     it on-chain; the identity is saved in .run/identities/<org>/<name>.json (mode 0600)`;

/** KEY=VALUE arguments: gateway settings (the gateway validates them when it starts). */
function settingsOf(args: string[]): GatewaySettings {
  const settings: GatewaySettings = {};
  for (const arg of args) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/s.exec(arg);
    if (!m) throw new UserError(`'${arg}' is not a KEY=VALUE gateway setting`);
    settings[m[1]!] = m[2]!;
  }
  return settings;
}

/** A gateway tool (gateways/src/cli/<tool>.ts) run with the org's gateway configuration; its exit code. */
async function gatewayTool(tool: string, orgId: string | undefined, args: string[]): Promise<number> {
  if (!orgId)
    throw new UserError(`gateways ${tool} needs an org (one of ${PEER_ORGS.map((o) => o.id).join(', ')})`);
  const file = await ensureGatewayConfig(findOrg(orgId));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', `${REPO_ROOT}/gateways/src/cli/${tool}.ts`, ...args],
    { cwd: REPO_ROOT, env: gatewayProcessEnv(file), stdio: 'inherit' },
  );
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
}

async function gateways(rest: string[]): Promise<number> {
  const [sub, ...args] = rest;
  switch (sub) {
    case 'up': {
      const settings = settingsOf(args);
      await step('PostgreSQL (one database per org)', ensurePostgres);
      await step('IPFS (six kubo nodes, private swarm)', ensureIpfsAll);
      const { endpointsFile } = await step('gateways (six, one per org)', () => startGateways(settings));
      info(`endpoints: ${endpointsFile}`);
      return 0;
    }
    case 'down': {
      const stopped = await stopGateways();
      await stopIpfsAll();
      await stopPostgres();
      info(`stopped gateways: ${stopped.join(', ') || 'none'}; IPFS and PostgreSQL stopped`);
      return 0;
    }
    case 'start': {
      const [orgId, ...settings] = args;
      if (!orgId) throw new UserError('gateways start needs an org');
      const pid = await startGateway(findOrg(orgId), settingsOf(settings));
      info(`gateway of ${orgId} running (pid ${pid})`);
      return 0;
    }
    case 'stop': {
      if (!args[0]) throw new UserError('gateways stop needs an org');
      info((await stopGateway(findOrg(args[0]))) ? `stopped the ${args[0]} gateway` : 'it was not running');
      return 0;
    }
    case 'reproject':
      return gatewayTool('reproject', args[0], args.slice(1));
    case 'rotate-document-key':
      return gatewayTool('rotate-document-key', args[0], args.slice(1));
    case 'rotate-signing-key': {
      // One org after another (each its own key ring); the worst exit code stands.
      let code = 0;
      for (const orgId of args.length > 0 ? args : PEER_ORGS.map((o) => o.id))
        code = Math.max(code, await gatewayTool('rotate-signing-key', orgId, []));
      return code;
    }
    default:
      throw new UserError(
        'usage: gateways up|down|start <org>|stop <org>|reproject <org>|rotate-document-key <org>|rotate-signing-key [<org> ...]',
      );
  }
}

/** `postgres start|stop`, `ipfs start|stop [<org>]`: the gateways' off-chain nodes, one at a time. */
async function offChainNode(kind: 'postgres' | 'ipfs', rest: string[]): Promise<number> {
  const [sub, orgId] = rest;
  if (sub !== 'start' && sub !== 'stop')
    throw new UserError(`usage: ${kind} start|stop${kind === 'ipfs' ? ' [<org>]' : ''}`);
  if (kind === 'postgres') {
    if (sub === 'start') await ensurePostgres();
    else await stopPostgres();
  } else if (orgId) {
    if (sub === 'start') await ensureIpfs(findOrg(orgId));
    else await stopIpfs(findOrg(orgId));
  } else if (sub === 'start') await ensureIpfsAll();
  else await stopIpfsAll();
  info(`${kind}${orgId ? ` ${orgId}` : ''}: ${sub === 'start' ? 'running' : 'stopped'}`);
  return 0;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // The one mode switch (mode.ts): an unknown NODE_ENV stops every command but `down` with one line.
  if (command !== 'down') {
    launcherMode();
    // COFFEE_TOPOLOGY (topology.ts): loopback (default) or netns; anything else is refused here.
    topology();
  }
  switch (command) {
    case 'up': {
      await up();
      return 0;
    }
    case 'start': {
      await up();
      printEndpoints();
      info('running; press Ctrl-C to stop everything (or run `npm stop` from another shell)');
      const stoppedElsewhere = await new Promise<boolean>((resolve) => {
        // `npm stop` in another shell stops the processes by pid; then this one has nothing left to watch.
        const watch = setInterval(() => allRecords().length === 0 && finish(true), 2000);
        const finish = (elsewhere: boolean): void => {
          clearInterval(watch);
          resolve(elsewhere);
        };
        process.once('SIGINT', () => finish(false));
        process.once('SIGTERM', () => finish(false));
      });
      if (stoppedElsewhere) {
        info('the network was stopped from another shell');
        return 0;
      }
      info('stopping …');
      const { stopped } = await down();
      info(`stopped ${stopped.length} processes`);
      return 0;
    }
    case 'down': {
      const { stopped } = await down({ purge: rest.includes('--purge') });
      info(
        stopped.length ? `stopped ${stopped.length} processes: ${stopped.join(', ')}` : 'nothing was running',
      );
      if (rest.includes('--purge')) info('removed .run/ (ledgers, crypto material, logs)');
      return 0;
    }
    case 'status': {
      const bins = await ensureBinaries();
      const s = await status(bins);
      if (rest.includes('--json')) {
        process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
        return 0;
      }
      const rows = s.nodes.map((n) => {
        const state = n.running ? `running (pid ${n.pid})` : 'stopped';
        const h = n.height !== undefined ? `height ${n.height}` : '';
        const leader = n.leader ? 'Raft leader' : '';
        return `${n.name.padEnd(30)} ${n.kind.padEnd(10)} ${state.padEnd(22)} ${h.padEnd(12)} ${leader}`;
      });
      process.stdout.write(`${rows.join('\n')}\n\ncommitted chaincodes:\n`);
      if (s.chaincodes.length === 0) process.stdout.write('  (none, or no peer is running)\n');
      for (const c of s.chaincodes)
        process.stdout.write(`  ${c.name.padEnd(18)} version ${c.version}  sequence ${c.sequence}\n`);
      return 0;
    }
    case 'logs': {
      const node = rest.find((a) => !a.startsWith('-'));
      if (!node)
        throw new UserError(
          `which node? one of: ${
            allRecords()
              .map((r) => r.name)
              .join(', ') || '(none running)'
          }`,
        );
      const file = logFile(node);
      if (!existsSync(file)) throw new UserError(`no log for '${node}' (${file})`);
      if (rest.includes('-f') || rest.includes('--follow')) {
        const child = spawn('tail', ['-n', '100', '-f', file], { stdio: 'inherit' });
        await new Promise((r) => child.on('close', r));
      } else {
        process.stdout.write(readFileSync(file, 'utf8').split('\n').slice(-200).join('\n'));
      }
      return 0;
    }
    case 'deploy': {
      const bins = await ensureBinaries();
      await step('deploy chaincodes', () => deployChaincodes(bins));
      return 0;
    }
    case 'binaries': {
      if (rest.includes('--clean')) cleanBinaryCache();
      const bins = await step('binaries', ensureBinaries);
      for (const [name, path] of Object.entries(bins.paths)) info(`  ${name.padEnd(17)} ${path}`);
      return 0;
    }
    case 'register-user': {
      const orgId = option(rest, '--org');
      const username = option(rest, '--user');
      const role = option(rest, '--role');
      if (!orgId || !username || !role) throw new UserError('register-user needs --org, --user and --role');
      const bins = await ensureBinaries();
      const identity = await createUser(bins, findOrg(orgId), {
        username,
        role,
        exporterId: option(rest, '--exporter-id'),
      });
      info(
        `registered ${identity.mspId}::${identity.username} (role ${identity.role}) at the CA and on-chain`,
      );
      return 0;
    }
    case 'compose': {
      const file = writeCompose();
      info(`wrote ${file}`);
      return 0;
    }
    case 'helm': {
      if (rest[0] === 'values') {
        for (const f of writeHelmValues()) info(`wrote ${f}`);
        return 0;
      }
      if (rest[0] === 'check') {
        // Loaded only here: the check compiles rendered objects with the TypeScript compiler, which no other
        // command of the launcher needs at start-up.
        const { checkChart } = await import('./helm-check.ts');
        await checkChart();
        return 0;
      }
      throw new UserError('usage: helm values | helm check');
    }
    case 'monitoring': {
      const { prometheusConfig, startMonitoring, stopMonitoring } = await import('./monitoring.ts');
      if (rest[0] === 'start') return (await startMonitoring()) ? 0 : 1;
      if (rest[0] === 'stop') {
        info((await stopMonitoring()) ? 'stopped prometheus' : 'prometheus was not running');
        return 0;
      }
      if (rest[0] === 'config') {
        const { stringify } = await import('yaml');
        process.stdout.write(stringify(prometheusConfig()));
        return 0;
      }
      throw new UserError('usage: monitoring start | stop | config');
    }
    case 'gateways':
      return gateways(rest);
    case 'postgres':
    case 'ipfs':
      return offChainNode(command, rest);
    default:
      process.stderr.write(`${USAGE}\n`);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UserError) {
      process.stderr.write(`error: ${e.message}\n`);
    } else {
      process.stderr.write(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    }
    process.exit(1);
  },
);
