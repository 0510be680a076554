/**
 * The hosts of the netns topology (topology.ts), made of Linux network namespaces: one per org and one for the
 * ordering service, each joined by a veth pair to a bridge in the root namespace. The bridge holds the subnet's
 * first address, so the launcher, the tests and the portal (root namespace) reach every host; there is no route
 * out and no NAT, so the stack's traffic stays inside what this file creates. Each namespace gets a hosts file
 * (/etc/netns/<ns>/hosts, which `ip netns exec` mounts over /etc/hosts in that namespace only): the shared host
 * names, without touching the machine's /etc/hosts.
 *
 * Everything is named from a hash of the run directory (topology.ts, addressPlan) and listed in
 * runDir()/netns.json: `down` removes exactly those, `up` first removes the leftovers of a crashed run of the
 * same run directory. Needs root and iproute2's `ip`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { info, UserError } from './log.ts';
import { runDir } from './paths.ts';
import {
  addressPlan,
  hostsFile,
  parseSubnet,
  recordOf,
  recordedTopology,
  topologyRecordFile,
  type AddressPlan,
  type HostKey,
  type TopologyRecord,
} from './topology.ts';

export const NETNS_DIR = '/etc/netns';

/** The run directory whose hosts this process made or found complete (ensureNamespaces). */
let ensuredFor: string | undefined;

/** Why this machine cannot run the netns topology, or undefined if it can (root and `ip`). */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'it needs root (network namespaces, veth pairs and a bridge)';
  const r = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return "it needs iproute2's `ip` (apt-get install iproute2)";
  // Root in a container without CAP_SYS_ADMIN/CAP_NET_ADMIN cannot make namespaces: try one.
  const probe = `coffee-probe-${process.pid}`;
  const made = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (made.status !== 0)
    return `it cannot create a network namespace here (ip netns add: ${(made.stderr || '').trim()}); a container needs --privileged or CAP_SYS_ADMIN and CAP_NET_ADMIN`;
  spawnSync('ip', ['netns', 'delete', probe]);
  return undefined;
}

function ip(args: string[], opts: { allowFail?: boolean } = {}): { ok: boolean; out: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  const ok = !r.error && r.status === 0;
  if (!ok && !opts.allowFail)
    throw new UserError(`ip ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  return { ok, out: r.stdout ?? '' };
}

const namespaces = (): Set<string> =>
  new Set(
    ip(['netns', 'list'], { allowFail: true })
      .out.split('\n')
      .map((l) => l.split(' ')[0]!)
      .filter(Boolean),
  );

const linkExists = (name: string): boolean => ip(['link', 'show', 'dev', name], { allowFail: true }).ok;

/** Whether every namespace, interface and hosts file of the plan exists (state only, not whether links are up). */
export function namespacesComplete(plan: AddressPlan = addressPlan()): boolean {
  const have = namespaces();
  return (
    linkExists(plan.bridge) &&
    plan.hosts.every(
      (h) =>
        have.has(h.namespace) && linkExists(h.hostVeth) && existsSync(join(NETNS_DIR, h.namespace, 'hosts')),
    )
  );
}

/** Addresses of the root namespace's interfaces that fall inside the plan's subnet ("address on device"). */
function addressesInSubnet(plan: AddressPlan): string[] {
  const { network, prefix } = parseSubnet(plan.subnet);
  const size = 2 ** (32 - prefix);
  const toInt = (a: string): number => a.split('.').reduce((n, p) => n * 256 + Number(p), 0);
  return ip(['-o', '-4', 'addr', 'show'], { allowFail: true })
    .out.split('\n')
    .map((l) => /^\d+:\s+(\S+)\s+inet\s+([\d.]+)\//.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .filter((m) => {
      const n = toInt(m[2]!);
      return n >= network && n < network + size;
    })
    .map((m) => `${m[2]} on ${m[1]}`);
}

/** Removes what a record names (missing parts are skipped): namespaces, veths, bridge, hosts files. */
export function removeNamespaces(record: TopologyRecord | undefined = recordedTopology()): string[] {
  if (!record) return [];
  ensuredFor = undefined;
  const removed: string[] = [];
  const have = namespaces();
  for (const ns of record.namespaces) {
    // Deleting a namespace deletes its end of the veth pair, and with it the bridge's end.
    if (have.has(ns) && ip(['netns', 'delete', ns], { allowFail: true }).ok) removed.push(ns);
  }
  for (const veth of record.hostVeths)
    if (linkExists(veth) && ip(['link', 'delete', veth], { allowFail: true }).ok) removed.push(veth);
  if (linkExists(record.bridge) && ip(['link', 'delete', record.bridge], { allowFail: true }).ok)
    removed.push(record.bridge);
  for (const dir of record.hostsDirs) {
    // Only directories under /etc/netns named for this run's namespaces.
    if (dir.startsWith(`${NETNS_DIR}/coffee-${record.tag}-`) && existsSync(dir)) {
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    }
  }
  // /etc/netns itself when nothing else is left in it (no other program's namespace has a file there).
  if (removed.length > 0 && existsSync(NETNS_DIR) && readdirSync(NETNS_DIR).length === 0)
    rmdirSync(NETNS_DIR);
  return removed;
}

/**
 * Makes the plan's hosts unless they all exist (then returns false): leftovers of an earlier run of this run
 * directory are removed first. Writes runDir()/netns.json before creating anything, so a crash half-way leaves a
 * record `down` (or the next `up`) cleans up from.
 */
export function ensureNamespaces(plan: AddressPlan = addressPlan()): boolean {
  // Once per process and run directory (every node's start asks): `down` in this process forgets it.
  if (ensuredFor === runDir()) return false;
  const why = netnsUnavailable();
  if (why) throw new UserError(`COFFEE_TOPOLOGY=netns: ${why}`);
  const record = recordOf(plan);
  mkdirSync(runDir(), { recursive: true });
  writeFileSync(topologyRecordFile(), `${JSON.stringify(record, null, 2)}\n`);
  if (namespacesComplete(plan)) {
    ensuredFor = runDir();
    return false;
  }
  const leftovers = removeNamespaces(record);
  if (leftovers.length > 0) info(`  netns: removed ${leftovers.length} leftovers of an earlier run`);
  const clash = addressesInSubnet(plan);
  if (clash.length > 0)
    throw new UserError(
      `COFFEE_NETNS_SUBNET ${plan.subnet} is in use on this machine (${clash.join(', ')}): another run directory's netns stack, or a network of the machine. Stop that one, or choose another subnet for a new run directory`,
    );
  const cidr = (address: string): string => `${address}/${plan.prefix}`;
  ip(['link', 'add', 'name', plan.bridge, 'type', 'bridge']);
  // Bridged frames skip the machine's iptables (br_netfilter would hand them to a FORWARD chain that may drop).
  ip(['link', 'set', plan.bridge, 'type', 'bridge', 'nf_call_iptables', '0'], { allowFail: true });
  ip(['addr', 'add', cidr(plan.bridgeAddress), 'dev', plan.bridge]);
  ip(['link', 'set', plan.bridge, 'up']);
  const hosts = hostsFile(plan);
  for (const h of plan.hosts) {
    ip(['netns', 'add', h.namespace]);
    ip(['link', 'add', h.hostVeth, 'type', 'veth', 'peer', 'name', h.tempVeth]);
    ip(['link', 'set', h.tempVeth, 'netns', h.namespace]);
    ip(['link', 'set', h.hostVeth, 'master', plan.bridge]);
    ip(['link', 'set', h.hostVeth, 'up']);
    ip(['-n', h.namespace, 'link', 'set', h.tempVeth, 'name', 'eth0']);
    ip(['-n', h.namespace, 'addr', 'add', cidr(h.address), 'dev', 'eth0']);
    ip(['-n', h.namespace, 'link', 'set', 'eth0', 'up']);
    ip(['-n', h.namespace, 'link', 'set', 'lo', 'up']);
    mkdirSync(join(NETNS_DIR, h.namespace), { recursive: true });
    writeFileSync(join(NETNS_DIR, h.namespace, 'hosts'), hosts);
  }
  ensuredFor = runDir();
  info(
    `  netns: bridge ${plan.bridge} ${cidr(plan.bridgeAddress)}; ${plan.hosts.map((h) => `${h.key} ${h.address}`).join(', ')}`,
  );
  return true;
}

/** Takes a host's link to the bridge down or up again (the bridge-side end of its veth pair): fault tests. */
export function setLink(key: HostKey, state: 'up' | 'down', plan: AddressPlan = addressPlan()): string {
  const host = plan.hosts.find((h) => h.key === key);
  if (!host) throw new UserError(`no netns host '${key}'`);
  ip(['link', 'set', host.hostVeth, state]);
  return host.hostVeth;
}

/** The TCP addresses listening inside a namespace (`ss -ltn`), as "address:port". */
export function listeningIn(namespace: string): string[] {
  const r = spawnSync('ip', ['netns', 'exec', namespace, 'ss', '-Hltn'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new UserError(`ss in ${namespace} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[3])
    .filter((a): a is string => a !== undefined && a !== '');
}
