/**
 * Caliper's Fabric connector over @hyperledger/fabric-gateway (caliper-fabric 0.6.0 PeerGateway: network
 * configuration, identities, one gRPC client per peer, one Gateway per identity, the Caliper context), with
 * one addition it lacks: a request may name its endorsing organizations. Our transactions need that — a
 * create carries private terms in its transient map, and every transition must be endorsed by the peers of
 * the record's key-level policy (network/src/endorsers.ts); the 0.6.0 connector refuses
 * targetOrganizations and would leave both to discovery, which cannot plan either.
 *
 * Named in the network configuration as `caliper.blockchain` (Caliper loads a connector factory from a path).
 */
import { TxStatus, CaliperUtils, ConfigUtil } from '@hyperledger/caliper-core';
import PeerGateway from '@hyperledger/caliper-fabric/lib/connector-versions/peer-gateway/PeerGateway.js';
import WalletFacadeFactory from '@hyperledger/caliper-fabric/lib/connector-versions/peer-gateway/WalletFacadeFactory.js';
import ConnectorConfigurationFactory from '@hyperledger/caliper-fabric/lib/connector-configuration/ConnectorConfigurationFactory.js';
import type { ProposalOptions } from '@hyperledger/fabric-gateway';

/** Caliper's FabricRequestSettings, plus endorsingOrganizations. */
export interface BenchRequest {
  readonly contractId: string;
  readonly channel: string;
  readonly contractFunction: string;
  readonly contractArguments: string[];
  readonly transientMap?: Readonly<Record<string, string>>;
  readonly invokerMspId: string;
  readonly invokerIdentity: string;
  readonly readOnly?: boolean;
  readonly endorsingOrganizations?: readonly string[];
}

const logger = CaliperUtils.getLogger('bench-connector');

/** The peers' messages of an endorsement failure (EndorseError.details), which say why. */
function describe(e: unknown): string {
  const err = e as { message?: string; details?: { address?: string; message?: string }[] };
  const details = (err.details ?? []).map((d) => `${d.address ?? '?'}: ${d.message ?? ''}`);
  return [err.message ?? String(e), ...details].join(' | ');
}

class EndorsingPeerGateway extends PeerGateway {
  protected override async _submitOrEvaluateTransaction(
    settings: unknown,
    isSubmit: boolean,
  ): Promise<TxStatus> {
    const r = settings as BenchRequest;
    const contract = await this._getContractForIdentityOnChannelWithChaincodeID(
      r.invokerMspId,
      r.invokerIdentity,
      r.channel,
      r.contractId,
    );
    const options: ProposalOptions = {
      arguments: r.contractArguments,
      transientData: r.transientMap,
      endorsingOrganizations: r.endorsingOrganizations ? [...r.endorsingOrganizations] : undefined,
    };
    const status = new TxStatus();
    try {
      const proposal = contract.newProposal(r.contractFunction, options);
      status.SetID(proposal.getTransactionId());
      status.Set('request_type', isSubmit ? 'transaction' : 'query');
      status.SetTimeCreate(Date.now());
      if (isSubmit) {
        const submitted = await (await proposal.endorse()).submit();
        const commit = await submitted.getStatus();
        if (!commit.successful)
          throw new Error(`transaction ${commit.transactionId} invalid: code ${commit.code}`);
        status.SetResult(submitted.getResult());
      } else {
        status.SetResult(await proposal.evaluate());
      }
      status.SetStatusSuccess();
    } catch (e: unknown) {
      logger.error(`${isSubmit ? 'submit' : 'evaluate'} ${r.contractFunction} failed: ${describe(e)}`);
      status.SetStatusFail();
      status.SetResult('');
    }
    status.SetVerification(true);
    return status;
  }
}

/** Caliper's connector factory entry point (the same steps as caliper-fabric's FabricConnectorFactory). */
export async function ConnectorFactory(workerIndex: number): Promise<EndorsingPeerGateway> {
  const file = CaliperUtils.resolvePath(String(ConfigUtil.get(ConfigUtil.keys.NetworkConfig)));
  const configuration = await new ConnectorConfigurationFactory().create(file, new WalletFacadeFactory());
  return new EndorsingPeerGateway(configuration, workerIndex, 'fabric');
}
