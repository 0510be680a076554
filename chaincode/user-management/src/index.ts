import { ExporterContract } from './contracts/exporters';
import { HealthContract } from './contracts/health';
import { OrgKeysContract } from './contracts/orgs';
import { UserContract } from './contracts/users';

export const contracts: (
  typeof HealthContract | typeof UserContract | typeof ExporterContract | typeof OrgKeysContract
)[] = [HealthContract, UserContract, ExporterContract, OrgKeysContract];
