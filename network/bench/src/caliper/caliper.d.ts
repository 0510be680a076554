/**
 * The parts of Hyperledger Caliper 0.6.0 (CommonJS, untyped) the bench's connector, workload and observer use.
 */
declare module '@hyperledger/caliper-core' {
  export class TxStatus {
    constructor(id?: string);
    SetID(id: string): void;
    GetID(): string;
    Set(key: string, value: unknown): void;
    SetTimeCreate(ms: number): void;
    GetTimeCreate(): number;
    GetTimeFinal(): number;
    SetStatusSuccess(ms?: number): void;
    SetStatusFail(): void;
    IsCommitted(): boolean;
    SetVerification(verified: boolean): void;
    SetResult(result: unknown): void;
  }

  export interface SutAdapter {
    sendRequests(request: unknown): Promise<TxStatus | TxStatus[]>;
  }

  export class WorkloadModuleBase {
    protected workerIndex: number;
    protected totalWorkers: number;
    protected roundIndex: number;
    protected roundArguments: unknown;
    protected sutAdapter: SutAdapter;
    initializeWorkloadModule(
      workerIndex: number,
      totalWorkers: number,
      roundIndex: number,
      roundArguments: unknown,
      sutAdapter: SutAdapter,
      sutContext: unknown,
    ): Promise<void>;
    submitTransaction(): Promise<void>;
    cleanupWorkloadModule(): Promise<void>;
  }

  export const CaliperUtils: {
    resolvePath(path: string): string;
    getLogger(name: string): { error(message: string): void; info(message: string): void };
  };

  export const ConfigUtil: {
    get(key: string, fallback?: unknown): unknown;
    keys: { NetworkConfig: string };
  };
}

declare module '@hyperledger/caliper-fabric/lib/connector-versions/peer-gateway/PeerGateway.js' {
  import type { Contract } from '@hyperledger/fabric-gateway';
  import type { TxStatus } from '@hyperledger/caliper-core';

  /** Caliper's Fabric connector over @hyperledger/fabric-gateway (chosen when that SDK is the one bound). */
  export default class PeerGateway {
    constructor(configuration: unknown, workerIndex: number, bcType: string);
    protected _getContractForIdentityOnChannelWithChaincodeID(
      mspId: string | undefined,
      identityName: string,
      channel: string,
      contractId: string,
    ): Promise<Contract>;
    protected _submitOrEvaluateTransaction(settings: unknown, isSubmit: boolean): Promise<TxStatus>;
  }
}

declare module '@hyperledger/caliper-fabric/lib/connector-versions/peer-gateway/WalletFacadeFactory.js' {
  export default class WalletFacadeFactory {}
}

declare module '@hyperledger/caliper-fabric/lib/connector-configuration/ConnectorConfigurationFactory.js' {
  export default class ConnectorConfigurationFactory {
    create(path: string, walletFacadeFactory: unknown): Promise<unknown>;
  }
}
