import { RegistryContract } from '@coffee/chaincode-common';
import { WorkflowConfigContract } from './contracts/config';
import { EudrContract } from './contracts/eudr';
import { ExportContract } from './contracts/export';
import { HealthContract } from './contracts/health';
import { MinimumPriceContract } from './contracts/minprice';

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
