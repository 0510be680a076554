/**
 * Straight to the ledger, beside the gateways, for the integration tests that compare what the gateways say with
 * what the chaincode says: identities issued by the org's CA (through the gateway's own CA client and its
 * configured registrar) and registered on-chain by the org admin, and bare fabric-gateway connections to the
 * org's peer. Endpoints, TLS CAs and identities come from the org gateway's configuration file.
 */
import * as grpc from '@grpc/grpc-js';
import {
  connect,
  signers,
  type Contract,
  type Gateway,
  type ProposalOptions,
  type SubmittedTransaction,
} from '@hyperledger/fabric-gateway';
import { common } from '@hyperledger/fabric-protos';
import { createPrivateKey } from 'node:crypto';
import { FabricCaClient, UserEnroller, type Enrollment } from '../../src/fabric/ca-client.ts';
import { CHANNEL, CoffeeLedger, Ledger } from '../../src/fabric/ledger.ts';
import { gatewayConfig, type Org } from './stack.ts';

export { CHANNEL };

export interface TestIdentity extends Enrollment {
  readonly org: string;
  readonly mspId: string;
  readonly username: string;
  readonly role: string;
}

/** The org admin's identity as the org's gateway is configured with it. */
async function orgAdminOf(o: Org): Promise<Enrollment> {
  const config = gatewayConfig(o);
  const source = config.orgAdmin;
  return 'certificate' in source
    ? source
    : new FabricCaClient(config.ca).enroll(source.enrollmentId, source.secret);
}

/** A user registered and enrolled at the org's CA (role in the certificate), then registered on-chain. */
export async function createUser(
  o: Org,
  user: { username: string; role: string; exporterId?: string },
): Promise<TestIdentity> {
  const config = gatewayConfig(o);
  const admin = await orgAdminOf(o);
  const enroller = new UserEnroller(new FabricCaClient(config.ca), config.ca.registrar ?? admin);
  const enrolled = await enroller.enroll(user.username, user.role);
  const ledger = new CoffeeLedger(new Ledger(config.peer, config.deadlines));
  try {
    await ledger.registerUser(
      { id: `${o.mspId}::org-admin`, mspId: o.mspId, ...admin },
      {
        commonName: user.username,
        role: user.role,
        ...(user.exporterId ? { exporterId: user.exporterId } : {}),
      },
    );
  } finally {
    ledger.ledger.close();
  }
  return { org: o.id, mspId: o.mspId, username: user.username, role: user.role, ...enrolled };
}

export interface OrgConnection {
  readonly gateway: Gateway;
  close(): void;
}

/** A bare fabric-gateway connection to the org's peer as `who` (TLS pinned as the gateway pins it). */
export function connectAs(
  o: Org,
  who: { mspId: string; certificate: string; privateKey: string },
): OrgConnection {
  const { peer } = gatewayConfig(o);
  const client = new grpc.Client(peer.endpoint, grpc.credentials.createSsl(peer.tlsCaCert), {
    'grpc.ssl_target_name_override': peer.hostAlias,
  });
  const gateway = connect({
    client,
    identity: { mspId: who.mspId, credentials: Buffer.from(who.certificate) },
    signer: signers.newPrivateKeySigner(createPrivateKey(who.privateKey)),
    evaluateOptions: () => ({ deadline: Date.now() + 10_000 }),
    endorseOptions: () => ({ deadline: Date.now() + 30_000 }),
    submitOptions: () => ({ deadline: Date.now() + 10_000 }),
    commitStatusOptions: () => ({ deadline: Date.now() + 60_000 }),
  });
  return {
    gateway,
    close: () => {
      gateway.close();
      client.close();
    },
  };
}

const UNAVAILABLE = 14;

/**
 * Endorses once, then submits that same signed transaction until the ordering service accepts it (during a
 * Raft election every orderer answers UNAVAILABLE for a moment; a duplicate is never committed twice).
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
      if ((e as { code?: unknown }).code !== UNAVAILABLE || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** The channel's block height at the peer of `mspId` (qscc GetChainInfo). */
export async function peerHeight(gateway: Gateway, mspId: string): Promise<number> {
  const qscc = gateway.getNetwork(CHANNEL).getContract('qscc');
  const bytes = await qscc.evaluate('GetChainInfo', {
    arguments: [CHANNEL],
    endorsingOrganizations: [mspId],
  });
  return common.BlockchainInfo.deserializeBinary(bytes).getHeight();
}

/** Waits until the peer of `mspId` has committed block `blockNumber`. */
export async function waitForBlock(
  gateway: Gateway,
  mspId: string,
  blockNumber: bigint | number,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await peerHeight(gateway, mspId).catch(() => 0)) <= Number(blockNumber)) {
    if (Date.now() > deadline)
      throw new Error(`block ${blockNumber} not committed on ${mspId}'s peer in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
