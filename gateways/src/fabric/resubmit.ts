/**
 * How long to wait for a commit before the same signed transaction is submitted again.
 *
 * A transaction the Raft leader took and then died with is never committed and no error says so: only a wait tells.
 * A fixed wait long enough for a loaded network (3 s) made every write in flight when a leader died wait that long,
 * on top of the election. The wait now follows the commit latency this gateway measured recently: three times its
 * 90th percentile, between 1.5 s and 3 s. On an idle or lightly loaded network a lost transaction is resubmitted
 * after 1.5 s; under load, where commits take longer, the wait grows back to 3 s, so a slow commit is not doubled
 * (a second copy would only be invalidated as a duplicate, but it costs the peers a validation).
 */
export const MIN_RESUBMIT_MS = 1_500;
export const MAX_RESUBMIT_MS = 3_000;
const SAMPLES = 64;

export class ResubmitWindow {
  readonly #samples: number[] = [];
  #next = 0;

  /** A commit observed `ms` after its transaction was submitted. */
  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    if (this.#samples.length < SAMPLES) this.#samples.push(ms);
    else this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % SAMPLES;
  }

  /** The first wait for a commit (later waits double it). Without samples, the safe maximum. */
  firstWait(): number {
    if (this.#samples.length < 8) return MAX_RESUBMIT_MS;
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const p90 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))]!;
    return Math.min(MAX_RESUBMIT_MS, Math.max(MIN_RESUBMIT_MS, Math.round(3 * p90)));
  }
}
