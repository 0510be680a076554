import { ExporterContract } from './contracts/exporters';
import { HealthContract } from './contracts/health';
import { UserContract } from './contracts/users';

export const contracts: (typeof HealthContract | typeof UserContract | typeof ExporterContract)[] = [
  HealthContract,
  UserContract,
  ExporterContract,
];
