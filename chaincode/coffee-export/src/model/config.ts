/** Workflow deadlines set by ECTA (so integration tests can use a ship-by window of seconds). */
import type { Context } from 'fabric-contract-api';
import { Fields, readState } from '@coffee/chaincode-common';

export const DAY_SECONDS = 86_400;
export const MAX_SHIP_BY_WINDOW_SECONDS = 730 * DAY_SECONDS;
export const MAX_REPATRIATION_WINDOW_SECONDS = 365 * DAY_SECONDS;
export const CONFIG_KEY = 'workflowConfig';

export interface WorkflowConfig {
  docType: 'workflowConfig';
  shipByWindowSeconds: number;
  repatriationWindowSeconds: number;
  version: number;
  updatedAt?: string;
  updatedBy?: string;
}

export const DEFAULT_CONFIG: WorkflowConfig = {
  docType: 'workflowConfig',
  shipByWindowSeconds: 90 * DAY_SECONDS,
  repatriationWindowSeconds: 90 * DAY_SECONDS,
  version: 0,
};

export function parseConfig(value: unknown): WorkflowConfig {
  const f = Fields.of(value, 'workflowConfig', 'CORRUPT_STATE');
  f.oneOf('docType', ['workflowConfig']);
  return {
    docType: 'workflowConfig',
    shipByWindowSeconds: f.int('shipByWindowSeconds', 1, MAX_SHIP_BY_WINDOW_SECONDS),
    repatriationWindowSeconds: f.int('repatriationWindowSeconds', 1, MAX_REPATRIATION_WINDOW_SECONDS),
    version: f.int('version', 0, 1_000_000),
    updatedAt: f.optStr('updatedAt', { max: 32 }),
    updatedBy: f.optStr('updatedBy', { max: 200 }),
  };
}

/** The config in force (defaults until ECTA first sets it). */
export async function readConfig(ctx: Context): Promise<WorkflowConfig> {
  return (await readState(ctx, CONFIG_KEY, parseConfig)) ?? DEFAULT_CONFIG;
}
