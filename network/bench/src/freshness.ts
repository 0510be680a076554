/**
 * Commit → read model: one transition at a time by the bare client (ECTA's RegisterContract); from the moment
 * its commit status arrives, another org's gateway (the CommercialBank's, as a bank officer) is polled every
 * 10 ms with GET /api/v1/exports/{id} until it shows the new status.
 */
import { getStatus, type Session } from './gateway-client.ts';
import { registerContract, type Actor } from './ledger.ts';
import { latencyOf, type Latency } from './stats.ts';

export interface Freshness {
  readonly samples: number;
  /** Not visible within the timeout. */
  readonly missed: number;
  readonly latency: Latency;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function visibleAfter(
  reader: Session,
  exportId: string,
  status: string,
  timeoutMs: number,
): Promise<number | undefined> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if ((await getStatus(reader, exportId)) === status) return Date.now() - t0;
    await sleep(10);
  }
  return undefined;
}

export async function commitToReadModel(
  ecta: Actor,
  reader: Session,
  exportIds: readonly string[],
  timeoutMs = 10_000,
): Promise<Freshness> {
  const delays: number[] = [];
  let missed = 0;
  for (const id of exportIds) {
    await registerContract(ecta, id);
    const ms = await visibleAfter(reader, id, 'CONTRACT_REGISTERED', timeoutMs);
    if (ms === undefined) missed++;
    else delays.push(ms);
  }
  return { samples: exportIds.length, missed, latency: latencyOf(delays) };
}
