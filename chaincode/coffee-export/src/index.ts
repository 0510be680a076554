import { RegistryContract, skipDisabledLogLines } from '@coffee/chaincode-common';
import { WorkflowConfigContract } from './contracts/config';
import { EudrContract } from './contracts/eudr';
import { ExportContract } from './contracts/export';
import { HealthContract } from './contracts/health';
import { MinimumPriceContract } from './contracts/minprice';

// fabric-shim's debug lines are dropped before winston formats them (chaincode-common shim-logging.ts).
skipDisabledLogLines();

export const contracts: (
  | typeof HealthContract
  | typeof ExportContract
  | typeof MinimumPriceContract
  | typeof WorkflowConfigContract
  | typeof EudrContract
  | typeof RegistryContract
)[] = [
  HealthContract,
  ExportContract,
  MinimumPriceContract,
  WorkflowConfigContract,
  EudrContract,
  RegistryContract,
];
