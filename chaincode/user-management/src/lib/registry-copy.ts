/**
 * Keeps coffee-export's copy of the registry (chaincode-common registry.ts) in step: every write of a user
 * or an exporter record also writes, in the same transaction, the part coffee-export checks on each
 * endorsement. A failed copy fails the whole transaction, so the registry and the copy never disagree.
 */
import type { Context } from 'fabric-contract-api';
import {
  type ExporterStanding,
  REGISTRY_COPY,
  type UserEntry,
  exporterStandingOf,
  userEntryOf,
} from '@coffee/chaincode-common';
import { fail } from './errors';

async function copy(ctx: Context, fn: string, value: object): Promise<void> {
  let response: { status: number; message?: string };
  try {
    response = await ctx.stub.invokeChaincode(REGISTRY_COPY.holder, [fn, JSON.stringify(value)], '');
  } catch (e: unknown) {
    response = { status: 500, message: e instanceof Error ? e.message : String(e) };
  }
  if (response.status !== 200) {
    fail('UPSTREAM_ERROR', `${REGISTRY_COPY.holder} ${fn} failed: ${response.message ?? ''}`);
  }
}

export function copyUser(ctx: Context, record: UserEntry): Promise<void> {
  return copy(ctx, REGISTRY_COPY.syncUser, userEntryOf(record));
}

export function copyExporter(ctx: Context, record: ExporterStanding): Promise<void> {
  return copy(ctx, REGISTRY_COPY.syncExporter, exporterStandingOf(record));
}
