import { skipDisabledLogLines } from '@coffee/chaincode-common';
import { ExporterContract } from './contracts/exporters';
import { HealthContract } from './contracts/health';
import { OrgKeysContract } from './contracts/orgs';
import { UserContract } from './contracts/users';

// fabric-shim's debug lines are dropped before winston formats them (chaincode-common shim-logging.ts).
skipDisabledLogLines();

export const contracts: (
  typeof HealthContract | typeof UserContract | typeof ExporterContract | typeof OrgKeysContract
)[] = [HealthContract, UserContract, ExporterContract, OrgKeysContract];
