/** Fabric Gateway connections to an org's own peer (as the org admin by default), used by the launcher's
 * readiness check and the tests. */
import * as grpc from '@grpc/grpc-js';
import {
  connect,
  signers,
  type Contract,
  type Gateway,
  type Identity,
  type ProposalOptions,
  type Signer,
  type SubmittedTransaction,
} from '@hyperledger/fabric-gateway';
import { common } from '@hyperledger/fabric-protos';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cryptoPaths, keystoreKey } from './crypto.ts';
import { CHAINCODES, CHANNEL, PEER_ORGS, peerPorts, type PeerOrg } from './orgs.ts';
import { waitFor } from './proc.ts';
import { hostAddress } from './topology.ts';

export interface OrgConnection {
  readonly gateway: Gateway;
  readonly client: grpc.Client;
  close(): void;
}

export function adminIdentity(org: PeerOrg): { identity: Identity; signer: Signer } {
  const msp = join(cryptoPaths.admin(org), 'msp');
  const certFile = join(msp, 'signcerts', `Admin@${org.domain}-cert.pem`);
  return {
    identity: { mspId: org.mspId, credentials: readFileSync(certFile) },
    signer: signers.newPrivateKeySigner(createPrivateKey(readFileSync(keystoreKey(msp)))),
  };
}

/** Gateway credentials of an enrolled user (certificate and private key PEM). */
export function identityCredentials(user: { mspId: string; certificate: string; privateKey: string }): {
  identity: Identity;
  signer: Signer;
} {
  return {
    identity: { mspId: user.mspId, credentials: Buffer.from(user.certificate) },
    signer: signers.newPrivateKeySigner(createPrivateKey(user.privateKey)),
  };
}

/** A gateway to the org's own peer over TLS pinned to the org's TLS CA. */
export function connectOrg(
  org: PeerOrg,
  who: { identity: Identity; signer: Signer } = adminIdentity(org),
  peerIndex = 0,
): OrgConnection {
  const creds = grpc.credentials.createSsl(readFileSync(cryptoPaths.tlsCaCert(org)));
  // Peers' TLS certificates name localhost and 127.0.0.1; an IP is not a valid TLS server name (RFC 6066).
  const client = new grpc.Client(`${hostAddress(org)}:${peerPorts(org, peerIndex).listen}`, creds, {
    'grpc.ssl_target_name_override': 'localhost',
  });
  const gateway = connect({
    client,
    identity: who.identity,
    signer: who.signer,
    evaluateOptions: () => ({ deadline: Date.now() + 10_000 }),
    endorseOptions: () => ({ deadline: Date.now() + 30_000 }),
    submitOptions: () => ({ deadline: Date.now() + 10_000 }),
    commitStatusOptions: () => ({ deadline: Date.now() + 60_000 }),
  });
  return {
    gateway,
    client,
    close: () => {
      gateway.close();
      client.close();
    },
  };
}

const UNAVAILABLE = 14;

/**
 * Endorses once, then submits that same signed transaction until the ordering service accepts it: during a
 * Raft election every orderer answers SERVICE_UNAVAILABLE for a moment. Resubmitting the same transaction id
 * is safe (a duplicate is never committed twice).
 */
export async function submitWithRetry(
  contract: Contract,
  name: string,
  args: string[] | ProposalOptions = [],
  timeoutMs = 10_000,
): Promise<SubmittedTransaction> {
  const options = Array.isArray(args) ? { arguments: args } : args;
  const tx = await contract.newProposal(name, options).endorse();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await tx.submit();
    } catch (e: unknown) {
      const code = (e as { code?: unknown }).code;
      if (code !== UNAVAILABLE || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * Waits until, from every org's peer, service discovery knows every org's peer with the committed version of
 * every chaincode (an evaluate aimed at each org in turn succeeds): only then can the gateways plan
 * endorsements that span orgs and chaincodes. After a start or an upgrade, gossip needs a few seconds for this.
 */
export async function waitForEndorsement(timeoutMs = 60_000): Promise<void> {
  await Promise.all(
    PEER_ORGS.map(async (org) => {
      const conn = connectOrg(org);
      try {
        for (const cc of CHAINCODES) {
          const contract = conn.gateway.getNetwork(CHANNEL).getContract(cc.name, 'health');
          for (const target of PEER_ORGS) {
            await waitFor(
              `${org.id}'s peer seeing ${cc.name} on ${target.id}'s peer`,
              async () => {
                await contract.evaluate('Ping', { endorsingOrganizations: [target.mspId] });
                return true;
              },
              timeoutMs,
            );
          }
        }
      } finally {
        conn.close();
      }
    }),
  );
}

/** The channel's block height as the connection's own peer sees it (qscc GetChainInfo). */
export async function peerHeight(gateway: Gateway, mspId: string): Promise<number> {
  const qscc = gateway.getNetwork(CHANNEL).getContract('qscc');
  const bytes = await qscc.evaluate('GetChainInfo', {
    arguments: [CHANNEL],
    endorsingOrganizations: [mspId],
  });
  return common.BlockchainInfo.deserializeBinary(bytes).getHeight();
}

/**
 * Waits until the connection's own peer has committed block `blockNumber`: reads made after another org's
 * transaction then see its effect (each org's peer commits blocks on its own schedule).
 */
export async function waitForBlock(
  gateway: Gateway,
  mspId: string,
  blockNumber: bigint | number,
  timeoutMs = 10_000,
): Promise<void> {
  const target = Number(blockNumber);
  await waitFor(
    `block ${target} on ${mspId}'s peer`,
    async () => (await peerHeight(gateway, mspId)) > target,
    timeoutMs,
  );
}
