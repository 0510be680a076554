/** Fabric Gateway connections to an org's own peer (as the org admin by default), used by the launcher's
 * readiness check and the tests. */
import * as grpc from '@grpc/grpc-js';
import { connect, signers, type Contract, type Gateway, type Identity, type Signer, type SubmittedTransaction } from '@hyperledger/fabric-gateway';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cryptoPaths, keystoreKey } from './crypto.ts';
import { CHAINCODES, CHANNEL, PEER_ORGS, peerPorts, type PeerOrg } from './orgs.ts';
import { waitFor } from './proc.ts';

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
  const client = new grpc.Client(`127.0.0.1:${peerPorts(org, peerIndex).listen}`, creds, {
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
  args: string[] = [],
  timeoutMs = 10_000,
): Promise<SubmittedTransaction> {
  const tx = await contract.newProposal(name, { arguments: args }).endorse();
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
 * Waits until every org's peer can get a transaction of every chaincode endorsed by a majority: service
 * discovery has then learned, through gossip, every peer and what it has installed. Endorses a heartbeat
 * without submitting it, so the ledger does not change.
 */
export async function waitForEndorsement(timeoutMs = 60_000): Promise<void> {
  await Promise.all(
    PEER_ORGS.map(async (org) => {
      const conn = connectOrg(org);
      try {
        for (const cc of CHAINCODES) {
          const contract = conn.gateway.getNetwork(CHANNEL).getContract(cc.name, 'health');
          await waitFor(
            `endorsement of ${cc.name} through ${org.id}'s peer`,
            async () => {
              await contract.newProposal('RecordHeartbeat').endorse();
              return true;
            },
            timeoutMs,
          );
        }
      } finally {
        conn.close();
      }
    }),
  );
}
