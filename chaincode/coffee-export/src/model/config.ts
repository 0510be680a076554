/**
 * Workflow deadlines. Fixed at deployment (90 days each, workflow.md) and changed only by two organizations:
 * ECTA or the National Bank proposes, the other approves (so integration tests can still use a window of
 * seconds, but no single org moves everyone's deadlines).
 */
import type { Context } from 'fabric-contract-api';
import { Fields, readState } from '@coffee/chaincode-common';

export const DAY_SECONDS = 86_400;
export const MAX_SHIP_BY_WINDOW_SECONDS = 730 * DAY_SECONDS;
export const MAX_REPATRIATION_WINDOW_SECONDS = 365 * DAY_SECONDS;
export const CONFIG_KEY = 'workflowConfig';
export const PROPOSAL_KEY = 'workflowConfigProposal';

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

/** A proposed change, waiting for the other regulator's approval. */
export interface ConfigProposal {
  docType: 'workflowConfigProposal';
  shipByWindowSeconds: number;
  repatriationWindowSeconds: number;
  /** The version the change will have once approved: above the current one and above any proposal it replaced. */
  version: number;
  proposedByMsp: string;
  proposedBy: string;
  proposedAt: string;
  /** Set when approved (or superseded): the proposal is then spent. */
  closedAt?: string;
}

export function parseProposal(value: unknown): ConfigProposal {
  const f = Fields.of(value, 'workflowConfigProposal', 'CORRUPT_STATE');
  f.oneOf('docType', ['workflowConfigProposal']);
  return {
    docType: 'workflowConfigProposal',
    shipByWindowSeconds: f.int('shipByWindowSeconds', 1, MAX_SHIP_BY_WINDOW_SECONDS),
    repatriationWindowSeconds: f.int('repatriationWindowSeconds', 1, MAX_REPATRIATION_WINDOW_SECONDS),
    version: f.int('version', 1, 1_000_001),
    proposedByMsp: f.str('proposedByMsp', { max: 64 }),
    proposedBy: f.str('proposedBy', { max: 200 }),
    proposedAt: f.str('proposedAt', { max: 32 }),
    closedAt: f.optStr('closedAt', { max: 32 }),
  };
}

/** The open proposal, if any. */
export async function readProposal(ctx: Context): Promise<ConfigProposal | undefined> {
  const proposal = await readState(ctx, PROPOSAL_KEY, parseProposal);
  return proposal?.closedAt === undefined ? proposal : undefined;
}
