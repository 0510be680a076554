/**
 * configtx.yaml for the application channel, generated from the org list. The channel is created from
 * this profile's genesis block through the channel participation API (no system channel).
 */
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cryptoPaths } from './crypto.ts';
import {
  ORDERER_ORG,
  PEER_ORGS,
  ordererHost,
  ordererIndexes,
  ordererPorts,
  peerHost,
  peerPorts,
} from './orgs.ts';
import { endpointHost } from './topology.ts';

/** Tuned for a 2-core machine; see docs/network.md ("Timing choices"). */
export const TIMING = {
  /** Blocks are cut after this long: every lifecycle step and every commit waits about this much. */
  batchTimeout: '200ms',
  /**
   * Raft: a follower starts an election after electionTick * tickInterval = 1.2 s without a heartbeat (etcd raft
   * randomizes it up to twice that). A killed leader's write gap is mostly this wait: at 10 ticks (2-4 s) the gap
   * measured 3.0-5.4 s against the fault suite's 5 s bound. PreVote and CheckQuorum keep a follower that merely
   * missed heartbeats on a busy machine from unseating a healthy leader.
   */
  tickInterval: '200ms',
  electionTick: 6,
  heartbeatTick: 1,
} as const;

const sig = (rule: string): { Type: string; Rule: string } => ({ Type: 'Signature', Rule: rule });
const meta = (rule: string): { Type: string; Rule: string } => ({ Type: 'ImplicitMeta', Rule: rule });

export function configtx(): string {
  const ordererOrg = {
    Name: ORDERER_ORG.mspId,
    ID: ORDERER_ORG.mspId,
    MSPDir: join(cryptoPaths.ordererOrg(), 'msp'),
    Policies: {
      Readers: sig(`OR('${ORDERER_ORG.mspId}.member')`),
      Writers: sig(`OR('${ORDERER_ORG.mspId}.member')`),
      Admins: sig(`OR('${ORDERER_ORG.mspId}.admin')`),
    },
    // Host names in the netns topology (topology.ts), 127.0.0.1 in loopback.
    OrdererEndpoints: ordererIndexes().map(
      (i) => `${endpointHost(ordererHost(i))}:${ordererPorts(i).listen}`,
    ),
  };
  const peerOrgs = PEER_ORGS.map((org) => ({
    Name: org.mspId,
    ID: org.mspId,
    MSPDir: cryptoPaths.orgMsp(org),
    Policies: {
      Readers: sig(`OR('${org.mspId}.admin', '${org.mspId}.peer', '${org.mspId}.client')`),
      Writers: sig(`OR('${org.mspId}.admin', '${org.mspId}.client')`),
      Admins: sig(`OR('${org.mspId}.admin')`),
      Endorsement: sig(`OR('${org.mspId}.peer')`),
    },
    AnchorPeers: [{ Host: endpointHost(peerHost(org, 0)), Port: peerPorts(org, 0).listen }],
  }));

  const profile = {
    Policies: {
      Readers: meta('ANY Readers'),
      Writers: meta('ANY Writers'),
      Admins: meta('MAJORITY Admins'),
    },
    Capabilities: { V2_0: true },
    Orderer: {
      OrdererType: 'etcdraft',
      EtcdRaft: {
        Consenters: ordererIndexes().map((i) => ({
          Host: endpointHost(ordererHost(i)),
          Port: ordererPorts(i).listen,
          ClientTLSCert: join(cryptoPaths.orderer(i), 'tls', 'server.crt'),
          ServerTLSCert: join(cryptoPaths.orderer(i), 'tls', 'server.crt'),
        })),
        Options: {
          TickInterval: TIMING.tickInterval,
          ElectionTick: TIMING.electionTick,
          HeartbeatTick: TIMING.heartbeatTick,
          MaxInflightBlocks: 5,
          // Below BatchSize.PreferredMaxBytes (2 MB), which etcdraft also uses as the most committed entries it
          // hands over per Ready: with Fabric 2.5.0 a restarted orderer whose log since the last snapshot was
          // larger never finished replaying it (its configuration changes stayed unapplied, so it would not
          // campaign) and the channel had no leader. See docs/network.md.
          SnapshotIntervalSize: '1 MB',
        },
      },
      BatchTimeout: TIMING.batchTimeout,
      BatchSize: { MaxMessageCount: 100, AbsoluteMaxBytes: '10 MB', PreferredMaxBytes: '2 MB' },
      Organizations: [ordererOrg],
      Policies: {
        Readers: meta('ANY Readers'),
        Writers: meta('ANY Writers'),
        Admins: meta('MAJORITY Admins'),
        BlockValidation: meta('ANY Writers'),
      },
      Capabilities: { V2_0: true },
    },
    Application: {
      Organizations: peerOrgs,
      Policies: {
        Readers: meta('ANY Readers'),
        Writers: meta('ANY Writers'),
        Admins: meta('MAJORITY Admins'),
        // network.md: the chaincode-level policy is a MAJORITY of the six orgs (4 of 6).
        LifecycleEndorsement: meta('MAJORITY Endorsement'),
        Endorsement: meta('MAJORITY Endorsement'),
      },
      Capabilities: { V2_5: true },
    },
  };
  return stringify({ Profiles: { CoffeeExportChannel: profile } });
}
