/**
 * The topology switch and the netns topology's pure parts (network/src/topology.ts): COFFEE_TOPOLOGY's values, the
 * subnet check, the address plan, the hosts file, the command wrapping, and what the node definitions derive from
 * them — unchanged (127.0.0.1 everywhere) in loopback, each org's own address and host names in netns.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { parse } from 'yaml';
import type { Binaries } from '../src/binaries.ts';
import { configtx } from '../src/configtx.ts';
import { cryptogenConfig } from '../src/crypto.ts';
import { UserError } from '../src/log.ts';
import { caNode, ordererNode, peerNode } from '../src/nodes/fabric-nodes.ts';
import { ORDERER_ORG, PEER_ORGS, findOrg } from '../src/orgs.ts';
import {
  addressPlan,
  endpointHost,
  extraSans,
  hostAddress,
  hostsFile,
  namespaceOf,
  parseSubnet,
  recordOf,
  topology,
  topologyRecordFile,
  wrapCommand,
  ORDERERS,
} from '../src/topology.ts';

const root = mkdtempSync(join(tmpdir(), 'launcher-topology-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => {
  const dir = join(root, `run-${n++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

const saved = { ...process.env };
afterEach(() => {
  for (const k of ['COFFEE_TOPOLOGY', 'COFFEE_RUN_DIR', 'COFFEE_NETNS_SUBNET', 'COFFEE_PEERS_PER_ORG'])
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
});

/** Switches this process to a fresh run directory in the given topology. */
function use(mode: 'loopback' | 'netns' | undefined): string {
  const dir = freshDir();
  process.env.COFFEE_RUN_DIR = dir;
  if (mode === undefined) delete process.env.COFFEE_TOPOLOGY;
  else process.env.COFFEE_TOPOLOGY = mode;
  return dir;
}

const BINS = { fabricConfigDir: '/fabric-config', paths: {} } as unknown as Binaries;
const ecta = findOrg('ecta');

describe('COFFEE_TOPOLOGY', () => {
  it('unset, empty or loopback: loopback; netns: netns', () => {
    const dir = freshDir();
    assert.equal(topology({}, dir), 'loopback');
    assert.equal(topology({ COFFEE_TOPOLOGY: '' }, dir), 'loopback');
    assert.equal(topology({ COFFEE_TOPOLOGY: 'loopback' }, dir), 'loopback');
    assert.equal(topology({ COFFEE_TOPOLOGY: 'netns' }, dir), 'netns');
  });

  it('an unknown value is a UserError naming both values', () => {
    assert.throws(
      () => topology({ COFFEE_TOPOLOGY: 'kubernetes' }, freshDir()),
      (e: unknown) =>
        e instanceof UserError &&
        /COFFEE_TOPOLOGY must be 'loopback'.*'netns'.*got 'kubernetes'/.test(e.message),
    );
  });

  it('a run directory keeps its topology: recorded netns without the variable, a mismatch refused', () => {
    const netnsDir = freshDir();
    process.env.COFFEE_RUN_DIR = netnsDir;
    writeFileSync(topologyRecordFile(netnsDir), JSON.stringify(recordOf(addressPlan({ runDir: netnsDir }))));
    assert.equal(topology({}, netnsDir), 'netns');
    assert.throws(
      () => topology({ COFFEE_TOPOLOGY: 'loopback' }, netnsDir),
      /set up for COFFEE_TOPOLOGY=netns/,
    );
    // A loopback run directory (crypto material, no record) is not turned into a netns one.
    const loopDir = freshDir();
    mkdirSync(join(loopDir, 'crypto', 'peerOrganizations'), { recursive: true });
    assert.equal(topology({ COFFEE_TOPOLOGY: 'loopback' }, loopDir), 'loopback');
    assert.throws(
      () => topology({ COFFEE_TOPOLOGY: 'netns' }, loopDir),
      /set up for COFFEE_TOPOLOGY=loopback/,
    );
  });
});

describe('COFFEE_NETNS_SUBNET', () => {
  it('accepts private networks of 32 addresses or more', () => {
    assert.deepEqual(parseSubnet('10.231.0.0/24'), { network: (10 * 256 + 231) * 65536, prefix: 24 });
    assert.equal(parseSubnet('192.168.77.32/27').prefix, 27);
    assert.equal(parseSubnet('172.20.0.0/16').prefix, 16);
  });

  it('refuses garbage, small or public networks, and host bits', () => {
    for (const [raw, why] of [
      ['10.231.0.0', /address\/prefix/],
      ['10.231.0.0/28', /between 16 and 27/],
      ['10.231.0.5/24', /did you mean 10\.231\.0\.0\/24/],
      ['8.8.8.0/24', /10\/8, 172\.16\/12 or 192\.168\/16/],
      ['10.300.0.0/24', /address\/prefix/],
    ] as const)
      assert.throws(
        () => parseSubnet(raw),
        (e: unknown) => e instanceof UserError && why.test(e.message),
        raw,
      );
  });
});

describe('the address plan', () => {
  it('bridge first, orderers +10, the orgs +11… in table order; short interface names', () => {
    const plan = addressPlan({ runDir: '/tmp/some-run', subnet: '10.231.0.0/24', peerCount: 1 });
    assert.equal(plan.bridgeAddress, '10.231.0.1');
    assert.deepEqual(
      plan.hosts.map((h) => [h.key, h.address]),
      [[ORDERERS, '10.231.0.10'], ...PEER_ORGS.map((o, i) => [o.id, `10.231.0.${11 + i}`])],
    );
    const ifnames = [plan.bridge, ...plan.hosts.flatMap((h) => [h.hostVeth, h.tempVeth])];
    for (const name of ifnames) assert.ok(name.length <= 15, `${name} fits IFNAMSIZ`);
    assert.equal(new Set(ifnames).size, ifnames.length, 'interface names are distinct');
    assert.equal(new Set(plan.hosts.map((h) => h.namespace)).size, plan.hosts.length);
    // Another run directory: other names, so two runs never touch each other's.
    const other = addressPlan({ runDir: '/tmp/other-run', subnet: '10.232.0.0/24', peerCount: 1 });
    assert.notEqual(other.tag, plan.tag);
    assert.notEqual(other.bridge, plan.bridge);
  });

  it('host names: the shared names of docs/deploy.md', () => {
    const plan = addressPlan({ runDir: '/tmp/some-run', subnet: '10.231.0.0/24', peerCount: 2 });
    assert.deepEqual(plan.hosts.find((h) => h.key === ORDERERS)!.names, [
      `orderer1.${ORDERER_ORG.domain}`,
      `orderer2.${ORDERER_ORG.domain}`,
      `orderer3.${ORDERER_ORG.domain}`,
    ]);
    const e = plan.hosts.find((h) => h.key === 'ecta')!;
    const d = ecta.domain;
    assert.deepEqual(e.names, [
      `ca.${d}`,
      `peer0.${d}`,
      `peer1.${d}`,
      `cc-coffee-export.${d}`,
      `cc-user-management.${d}`,
      `gateway.${d}`,
      `postgres.${d}`,
      `ipfs.${d}`,
    ]);
  });

  it('the hosts file maps every name to its host, once', () => {
    const plan = addressPlan({ runDir: '/tmp/some-run', subnet: '10.231.0.0/24', peerCount: 1 });
    const lines = hostsFile(plan)
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(/\s+/));
    const where = new Map<string, string>();
    for (const [address, ...names] of lines)
      for (const name of names) {
        assert.ok(!where.has(name), `${name} listed once`);
        where.set(name, address!);
      }
    assert.equal(where.get('localhost'), '127.0.0.1');
    assert.equal(where.get('portal.coffee.local'), '10.231.0.1');
    for (const h of plan.hosts) for (const name of h.names) assert.equal(where.get(name), h.address, name);
    assert.equal(where.get(`peer0.${ecta.domain}`), plan.hosts.find((h) => h.key === 'ecta')!.address);
  });

  it('the record names exactly what was planned, hosts files under /etc/netns only', () => {
    const plan = addressPlan({ runDir: '/tmp/some-run', subnet: '10.231.0.0/24', peerCount: 1 });
    const rec = recordOf(plan);
    assert.deepEqual(
      rec.namespaces,
      plan.hosts.map((h) => h.namespace),
    );
    assert.deepEqual(
      rec.hostVeths,
      plan.hosts.map((h) => h.hostVeth),
    );
    for (const d of rec.hostsDirs) assert.match(d, new RegExp(`^/etc/netns/coffee-${plan.tag}-`));
  });

  it('wraps a command with ip netns exec (which execs in place)', () => {
    assert.deepEqual(wrapCommand('coffee-ab12-ecta', '/bin/peer', ['node', 'start']), {
      command: 'ip',
      args: ['netns', 'exec', 'coffee-ab12-ecta', '/bin/peer', 'node', 'start'],
    });
  });
});

describe('what the nodes derive from the topology', () => {
  it('loopback: 127.0.0.1 everywhere, no namespace, certificates as before', () => {
    use(undefined);
    assert.equal(hostAddress(ecta), '127.0.0.1');
    assert.equal(hostAddress(ORDERERS), '127.0.0.1');
    assert.equal(endpointHost(`peer0.${ecta.domain}`), '127.0.0.1');
    assert.equal(namespaceOf(ecta), undefined);
    assert.deepEqual(extraSans(ecta, ['gateway.x']), []);
    const crypto = parse(cryptogenConfig(1)) as {
      OrdererOrgs: { Specs: { SANS: string[] }[] }[];
      PeerOrgs: { Template: { SANS: string[] } }[];
    };
    for (const spec of crypto.OrdererOrgs[0]!.Specs) assert.deepEqual(spec.SANS, ['localhost', '127.0.0.1']);
    for (const org of crypto.PeerOrgs) assert.deepEqual(org.Template.SANS, ['localhost', '127.0.0.1']);
    const text = configtx();
    assert.ok(!/10\.231\./.test(text));
    assert.match(text, /Host: 127\.0\.0\.1/);
    for (const node of [peerNode(BINS, ecta), ordererNode(BINS, 1), caNode(BINS, ecta, 'pw')]) {
      const addrs = Object.entries(node.env).filter(([k]) => /(ADDRESS|GOSSIP_BOOTSTRAP|ENDPOINT)$/.test(k));
      assert.ok(addrs.length >= 2, node.name);
      for (const [k, v] of addrs) assert.match(String(v), /^127\.0\.0\.1(:\d+)?$/, `${node.name} ${k}`);
      assert.match(node.operationsUrl, /^https:\/\/127\.0\.0\.1:/);
    }
  });

  it('netns: each org at its address, Fabric endpoints by host name, certificates naming both', () => {
    const dir = use('netns');
    process.env.COFFEE_NETNS_SUBNET = '10.231.0.0/24';
    const plan = addressPlan({ runDir: dir });
    const ectaHost = plan.hosts.find((h) => h.key === 'ecta')!;
    assert.equal(hostAddress(ecta), ectaHost.address);
    assert.equal(hostAddress(ORDERERS), '10.231.0.10');
    assert.equal(namespaceOf(ecta), ectaHost.namespace);
    assert.equal(endpointHost(`peer0.${ecta.domain}`), `peer0.${ecta.domain}`);
    assert.deepEqual(extraSans(ecta, [`gateway.${ecta.domain}`]), [
      `gateway.${ecta.domain}`,
      ectaHost.address,
    ]);
    const crypto = parse(cryptogenConfig(1)) as {
      OrdererOrgs: { Specs: { SANS: string[] }[] }[];
      PeerOrgs: { Domain: string; Template: { SANS: string[] } }[];
    };
    assert.deepEqual(crypto.OrdererOrgs[0]!.Specs[0]!.SANS, ['localhost', '127.0.0.1', '10.231.0.10']);
    assert.deepEqual(crypto.PeerOrgs.find((o) => o.Domain === ecta.domain)!.Template.SANS, [
      'localhost',
      '127.0.0.1',
      ectaHost.address,
    ]);
    const channel = parse(configtx()) as {
      Profiles: {
        CoffeeExportChannel: {
          Orderer: {
            Organizations: { OrdererEndpoints: string[] }[];
            EtcdRaft: { Consenters: { Host: string }[] };
          };
          Application: { Organizations: { ID: string; AnchorPeers: { Host: string }[] }[] };
        };
      };
    };
    const profile = channel.Profiles.CoffeeExportChannel;
    assert.match(profile.Orderer.Organizations[0]!.OrdererEndpoints[0]!, /^orderer1\.[\w.-]+:\d+$/);
    assert.match(profile.Orderer.EtcdRaft.Consenters[0]!.Host, /^orderer1\./);
    assert.equal(
      profile.Application.Organizations.find((o) => o.ID === ecta.mspId)!.AnchorPeers[0]!.Host,
      `peer0.${ecta.domain}`,
    );
    const peer = peerNode(BINS, ecta);
    assert.match(String(peer.env.CORE_PEER_LISTENADDRESS), new RegExp(`^${ectaHost.address}:\\d+$`));
    assert.match(
      String(peer.env.CORE_PEER_GOSSIP_EXTERNALENDPOINT),
      new RegExp(`^peer0\\.${ecta.domain}:\\d+$`),
    );
    assert.match(peer.operationsUrl, new RegExp(`^https://${ectaHost.address}:`));
    assert.equal(ordererNode(BINS, 2).env.ORDERER_GENERAL_LISTENADDRESS, '10.231.0.10');
    assert.equal(caNode(BINS, ecta, 'pw').env.FABRIC_CA_SERVER_ADDRESS, ectaHost.address);
    for (const node of [peer, ordererNode(BINS, 1), caNode(BINS, ecta, 'pw')])
      for (const [k, v] of Object.entries(node.env))
        assert.ok(!String(v).includes('127.0.0.1'), `${node.name} ${k}=${String(v)} assumes loopback`);
  });
});
