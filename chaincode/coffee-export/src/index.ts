import { WorkflowConfigContract } from './contracts/config';
import { ExportContract } from './contracts/export';
import { HealthContract } from './contracts/health';
import { MinimumPriceContract } from './contracts/minprice';

export const contracts: (
  typeof HealthContract | typeof ExportContract | typeof MinimumPriceContract | typeof WorkflowConfigContract
)[] = [HealthContract, ExportContract, MinimumPriceContract, WorkflowConfigContract];
