import { Context, Info, Returns, Transaction } from 'fabric-contract-api';
import { ClockCheckedContract } from './clock-skew';
import { fail } from './errors';
import { toJson, writeState } from './ledger';
import { originChaincode } from './proposal';
import {
  REGISTRY_COPY,
  exporterStandingKey,
  parseExporterStanding,
  parseUserEntry,
  userEntryKey,
} from './registry';
import { parseJsonText } from './validate';

/**
 * coffee-export's contract `registry`, here because user-management's unit tests deploy it too: its copy of the
 * registry (chaincode-common registry.ts): the part of each user and exporter
 * record that access checks on every endorsement. Written only by user-management, in the transaction that
 * changes the record: a proposal addressed to any other chaincode (a client calling this contract directly,
 * or coffee-export's own code) is refused with FORBIDDEN_CALLER. No event: the registry's own event
 * describes the change.
 */
@Info({
  title: 'Registry',
  description: "user-management's copy of users and exporter standing, written in the same transaction",
})
export class RegistryContract extends ClockCheckedContract {
  constructor() {
    super('registry');
  }

  /** input: the user entry {userId, mspId, commonName, role, status, exporterId?}. user-management only. */
  @Transaction()
  @Returns('string')
  public async SyncUser(ctx: Context, input: string): Promise<string> {
    requireRegistryOrigin(ctx);
    const entry = parseUserEntry(parseJsonText(input, 'input'), 'VALIDATION_FAILED');
    await writeState(ctx, userEntryKey(ctx, entry.mspId, entry.commonName), entry);
    return toJson(entry);
  }

  /** input: the exporter standing {exporterId, status, licenceValidUntil, delinquent}. user-management only. */
  @Transaction()
  @Returns('string')
  public async SyncExporter(ctx: Context, input: string): Promise<string> {
    requireRegistryOrigin(ctx);
    const standing = parseExporterStanding(parseJsonText(input, 'input'), 'VALIDATION_FAILED');
    await writeState(ctx, exporterStandingKey(ctx, standing.exporterId), standing);
    return toJson(standing);
  }
}

function requireRegistryOrigin(ctx: Context): void {
  const origin = originChaincode(ctx);
  if (origin !== REGISTRY_COPY.origin) {
    fail(
      'FORBIDDEN_CALLER',
      `the registry copy is written only by ${REGISTRY_COPY.origin} (proposal addressed ${origin ?? 'unknown'})`,
    );
  }
}
