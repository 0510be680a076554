/**
 * A Caliper transaction observer (benchmark config monitors.transaction, module by path): keeps every finished
 * transaction's start, end and outcome, so the report can give percentiles (Caliper 0.6 reports only min, avg
 * and max), and snapshots the stack's CPU per process group when a round starts and when its last transaction
 * has finished. Each worker writes one file per round into the directory the options name.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TxStatus } from '@hyperledger/caliper-core';
import { snapshot, usage, type CpuSnapshot, type CpuUsage } from '../cpu.ts';

/** [created at (ms since epoch), finished at, 1 = committed / evaluated, 0 = failed] */
export type Sample = readonly [number, number, 0 | 1];

export interface RoundRecord {
  readonly round: number;
  readonly label: string;
  readonly worker: number;
  readonly samples: readonly Sample[];
  /** The stack's CPU during the round (worker 0 only). */
  readonly cpu?: CpuUsage;
  /** This worker's own CPU seconds during the round (the load generator). */
  readonly clientCpuSeconds: number;
}

class RecordingObserver {
  readonly #dir: string;
  readonly #worker: number;
  #round = 0;
  #label = '';
  #samples: Sample[] = [];
  #cpu: CpuSnapshot | undefined;
  #client = process.cpuUsage();

  constructor(dir: string, worker: number) {
    this.#dir = dir;
    this.#worker = worker;
    mkdirSync(dir, { recursive: true });
  }

  activate(roundIndex: number, roundLabel: string): Promise<void> {
    this.#round = roundIndex;
    this.#label = roundLabel;
    this.#samples = [];
    this.#client = process.cpuUsage();
    this.#cpu = this.#worker === 0 ? snapshot() : undefined;
    return Promise.resolve();
  }

  deactivate(): Promise<void> {
    const spent = process.cpuUsage(this.#client);
    const record: RoundRecord = {
      round: this.#round,
      label: this.#label,
      worker: this.#worker,
      samples: this.#samples,
      cpu: this.#cpu ? usage(this.#cpu, snapshot()) : undefined,
      clientCpuSeconds: (spent.user + spent.system) / 1e6,
    };
    const file = join(this.#dir, `round-${String(this.#round).padStart(2, '0')}-worker-${this.#worker}.json`);
    writeFileSync(file, JSON.stringify(record));
    return Promise.resolve();
  }

  txSubmitted(): void {
    // counted from the finished ones
  }

  txFinished(results: TxStatus | TxStatus[]): void {
    for (const r of Array.isArray(results) ? results : [results]) {
      this.#samples.push([r.GetTimeCreate(), r.GetTimeFinal(), r.IsCommitted() ? 1 : 0]);
    }
  }
}

export function createTxObserver(
  options: { dir?: string } | undefined,
  _messenger: unknown,
  workerIndex: number,
): RecordingObserver {
  if (!options?.dir) throw new Error('the bench observer needs options.dir');
  return new RecordingObserver(options.dir, workerIndex);
}
