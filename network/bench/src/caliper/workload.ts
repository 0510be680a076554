/**
 * The Caliper workload module of every chaincode-level round; the round's arguments say which workload:
 *   create      export:CreateExport, one transaction with transient tradeTerms (fresh salts), a new export id
 *   transition  a transition on the next export of the round's pool (one export per transaction)
 *   get         evaluate export:GetExport on an export of the round's list
 *   yardstick   asset:CreateAsset on the yardstick chaincode, a new key each time
 */
import { WorkloadModuleBase } from '@hyperledger/caliper-core';
import { CHANNEL } from '../../../src/orgs.ts';
import { type BenchDocuments, createExportInput } from '../ledger.ts';
import type { BenchRequest } from './connector.ts';

export type WorkloadKind = 'create' | 'transition' | 'get' | 'yardstick';

export interface RoundArguments {
  readonly kind: WorkloadKind;
  /** Prefix of the ids this round creates (unique per bench run and round). */
  readonly prefix: string;
  readonly invokerMspId: string;
  readonly invokerIdentity: string;
  readonly endorsers?: readonly string[];
  /** transition: the exports it consumes, in order; get: the exports it reads. */
  readonly ids?: readonly string[];
  /** transition: chaincode function (e.g. export:RegisterContract). */
  readonly fn?: string;
  /** create: the documents each export names (ledger.ts addBenchDocuments). */
  readonly documents?: BenchDocuments;
}

class BenchWorkload extends WorkloadModuleBase {
  #n = 0;

  #args(): RoundArguments {
    return this.roundArguments as RoundArguments;
  }

  #nextId(): string {
    return `${this.#args().prefix}-${this.workerIndex}-${this.#n}`;
  }

  /** The request of the round's workload for its n-th transaction on this worker. */
  #request(): BenchRequest {
    const a = this.#args();
    const base = {
      channel: CHANNEL,
      contractId: 'coffee-export',
      invokerMspId: a.invokerMspId,
      invokerIdentity: a.invokerIdentity,
      endorsingOrganizations: a.endorsers,
    };
    switch (a.kind) {
      case 'create': {
        if (!a.documents) throw new Error(`round ${this.roundIndex}: a create round needs its documents`);
        const { input, transient } = createExportInput(this.#nextId(), a.documents);
        const transientMap = Object.fromEntries(
          Object.entries(transient).map(([k, v]) => [k, JSON.stringify(v)]),
        );
        return {
          ...base,
          contractFunction: 'export:CreateExport',
          contractArguments: [JSON.stringify(input)],
          transientMap,
        };
      }
      case 'transition': {
        const ids = a.ids ?? [];
        const exportId = ids[this.workerIndex + this.#n * this.totalWorkers];
        if (!exportId)
          throw new Error(`round ${this.roundIndex}: its pool of ${ids.length} exports is used up`);
        return {
          ...base,
          contractFunction: a.fn ?? 'export:RegisterContract',
          contractArguments: [JSON.stringify({ exportId, registrationNumber: `ECTA-${exportId}` })],
        };
      }
      case 'get': {
        const ids = a.ids ?? [];
        return {
          ...base,
          contractFunction: 'export:GetExport',
          contractArguments: [ids[this.#n % ids.length] ?? ''],
          readOnly: true,
        };
      }
      case 'yardstick':
        return {
          ...base,
          contractId: 'yardstick',
          contractFunction: 'asset:CreateAsset',
          contractArguments: [this.#nextId(), 'yardstick'],
        };
    }
  }

  override async submitTransaction(): Promise<void> {
    const request = this.#request();
    this.#n++;
    await this.sutAdapter.sendRequests(request);
  }
}

export function createWorkloadModule(): BenchWorkload {
  return new BenchWorkload();
}
