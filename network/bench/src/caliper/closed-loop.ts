/**
 * A Caliper rate controller (rateControl.type = this module's path) that keeps `opts.clients` transactions in
 * flight across the workers: a new one is sent as soon as one finishes, like N clients in a closed loop (and
 * like autocannon's connections on the HTTP side). Caliper 0.6's own fixed-load controller does not: it
 * bursts at startTps until the first transaction finishes, then sleeps (backlog × mean latency), so the load
 * swings between far above and far below the target, and a burst can stall a round for minutes.
 */
import { setTimeout as sleep } from 'node:timers/promises';

interface TestMessage {
  getRateControlSpec(): { opts?: { clients?: number } };
  getWorkersNumber(): number;
}

interface Stats {
  getTotalSubmittedTx(): number;
  getTotalFinishedTx(): number;
}

class ClosedLoop {
  readonly #stats: Stats;
  readonly #inFlight: number;

  constructor(testMessage: TestMessage, stats: Stats) {
    const clients = testMessage.getRateControlSpec().opts?.clients ?? 1;
    this.#stats = stats;
    this.#inFlight = Math.max(1, Math.round(clients / testMessage.getWorkersNumber()));
  }

  /** Resolves once fewer than the target are in flight (polled every millisecond). */
  async applyRateControl(): Promise<void> {
    while (this.#stats.getTotalSubmittedTx() - this.#stats.getTotalFinishedTx() >= this.#inFlight) {
      await sleep(1);
    }
  }

  end(): Promise<void> {
    return Promise.resolve();
  }
}

export function createRateController(testMessage: TestMessage, stats: Stats): ClosedLoop {
  return new ClosedLoop(testMessage, stats);
}
