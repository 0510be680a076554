/**
 * The real network, from nothing: six orgs transact through their own peers, every peer ends on the same
 * block hash, the Raft leader is killed and the channel keeps committing, `down` leaves nothing running
 * and `up` resumes on the existing ledgers. Prints the timings quoted in issue #2.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ensureBinaries, type Binaries } from '../src/binaries.ts';
import { raftLeader, waitForLeader } from '../src/channel.ts';
import { down, fabricNodes, status, up } from '../src/network.ts';
import { CHAINCODES, CHANNEL, PEER_ORGS, ordererName } from '../src/orgs.ts';
import { runDir } from '../src/paths.ts';
import { killProcess, running, run, waitFor } from '../src/proc.ts';
import { peerAdminEnv } from '../src/nodes/fabric-nodes.ts';
import { connectOrg, submitWithRetry } from '../src/gateway.ts';

interface ChainInfo {
  height: number;
  currentBlockHash: string;
}

async function chainInfo(bins: Binaries, org: (typeof PEER_ORGS)[number]): Promise<ChainInfo> {
  const { stdout } = await run(bins.paths.peer, ['channel', 'getinfo', '-c', CHANNEL], {
    env: peerAdminEnv(bins, org),
  });
  const json = stdout.slice(stdout.indexOf('{'));
  const parsed = JSON.parse(json) as { height: number; currentBlockHash: string };
  return { height: parsed.height, currentBlockHash: parsed.currentBlockHash };
}

async function submitHeartbeat(org: (typeof PEER_ORGS)[number]): Promise<bigint> {
  const conn = connectOrg(org);
  try {
    const contract = conn.gateway.getNetwork(CHANNEL).getContract('coffee-export', 'health');
    const commit = await submitWithRetry(contract, 'RecordHeartbeat');
    const result = JSON.parse(Buffer.from(commit.getResult()).toString()) as { mspId: string };
    assert.equal(result.mspId, org.mspId, 'the chaincode saw the submitting org');
    const st = await commit.getStatus();
    assert.ok(st.successful, `${org.id}: transaction ${st.transactionId} committed with code ${st.code}`);
    return st.blockNumber;
  } finally {
    conn.close();
  }
}

/**
 * Live processes whose command line or environment points into this test network's run dir (the launcher's
 * own environment variable COFFEE_RUN_DIR, inherited by this test's helpers, does not count).
 */
function processesUsingRunDir(): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8')
        .split('\0')
        .filter((v) => !v.startsWith('COFFEE_RUN_DIR='));
      if ([...cmdline, ...environ].some((v) => v.includes(runDir())))
        found.push(`${entry}: ${cmdline.join(' ')}`);
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

const timings: Record<string, string> = {};

describe('consortium network (real Fabric processes)', { timeout: 15 * 60_000 }, () => {
  let bins: Binaries;

  before(async () => {
    const t0 = Date.now();
    bins = await ensureBinaries();
    timings['binaries (build if missing, else cached)'] = `${((Date.now() - t0) / 1000).toFixed(1)} s`;
    await down({ purge: true });
  });

  after(async () => {
    await down({ purge: false });
    process.stdout.write(`\nnetwork timings (run dir ${runDir()}):\n`);
    for (const [k, v] of Object.entries(timings)) process.stdout.write(`  ${k.padEnd(52)} ${v}\n`);
  });

  it('comes up from nothing with CAs, 3 orderers, 6 peers and both chaincodes committed', async () => {
    const result = await up();
    timings['up from scratch (binaries cached)'] = `${result.seconds.toFixed(1)} s`;
    assert.equal(result.fresh, true, 'crypto material was generated afresh');
    assert.deepEqual(result.chaincodes.map((c) => c.name).sort(), CHAINCODES.map((c) => c.name).sort());
    const s = await status(bins);
    const stopped = s.nodes.filter((n) => !n.running).map((n) => n.name);
    assert.deepEqual(stopped, [], 'every node and chaincode server is running');
    assert.equal(s.nodes.filter((n) => n.kind === 'peer').length, 6);
    assert.equal(s.nodes.filter((n) => n.kind === 'orderer').length, 3);
    assert.equal(s.nodes.filter((n) => n.kind === 'ca').length, 6);
    assert.equal(s.nodes.filter((n) => n.leader).length, 1, 'exactly one Raft leader');
  });

  it('up on a running network says so and changes nothing', async () => {
    const again = await up();
    assert.equal(again.alreadyRunning, true);
  });

  it('each org submits through its own peer; all peers end at the same height and block hash', async () => {
    for (const org of PEER_ORGS) await submitHeartbeat(org);
    let infos: ChainInfo[] = [];
    await waitFor(
      'all peers at one height',
      async () => {
        infos = await Promise.all(PEER_ORGS.map((org) => chainInfo(bins, org)));
        return infos.every((i) => i.height === infos[0]!.height);
      },
      15_000,
    );
    const hashes = new Set(infos.map((i) => i.currentBlockHash));
    assert.equal(hashes.size, 1, `one block hash across peers, got ${[...hashes].join(', ')}`);
    assert.ok(infos[0]!.height > 5, 'the heartbeats added blocks');
  });

  it('keeps committing within 10 s after the Raft leader is killed; the restarted orderer catches up', async () => {
    const leader = await waitForLeader();
    const killed = ordererName(leader);
    killProcess(killed);
    const t0 = Date.now();
    await submitHeartbeat(PEER_ORGS[1]!);
    const seconds = (Date.now() - t0) / 1000;
    timings['commit after killing the Raft leader'] = `${seconds.toFixed(1)} s`;
    assert.ok(seconds < 10, `committed in ${seconds} s after the leader died`);
    const newLeader = await raftLeader();
    assert.ok(newLeader !== undefined && newLeader !== leader, 'another orderer leads');

    const node = fabricNodes(bins).find((n) => n.name === killed)!;
    await node.start();
    const heights = async (): Promise<number[]> =>
      (await status(bins)).nodes.filter((n) => n.kind === 'orderer').map((n) => n.height ?? -1);
    await waitFor('restarted orderer catches up', async () => new Set(await heights()).size === 1, 30_000);
    assert.ok(running(killed), `${killed} runs again`);
  });

  it('down stops every process; up resumes on the existing ledgers with heights preserved', async () => {
    const before = await chainInfo(bins, PEER_ORGS[0]!);
    const { stopped } = await down();
    assert.ok(stopped.length >= 27, `stopped ${stopped.length} processes`);
    assert.deepEqual(processesUsingRunDir(), [], 'no process of the network is left running');

    const restarted = await up();
    timings['restart on existing ledgers'] = `${restarted.seconds.toFixed(1)} s`;
    assert.equal(restarted.fresh, false, 'crypto material was reused');
    const afterRestart = await Promise.all(PEER_ORGS.map((org) => chainInfo(bins, org)));
    for (const info of afterRestart) assert.ok(info.height >= before.height, 'height preserved');
    await submitHeartbeat(PEER_ORGS[2]!);
  });
});
