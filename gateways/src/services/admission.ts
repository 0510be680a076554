/**
 * Overload is refused, not queued: each gateway lets at most `limit` ledger submissions run at once. Past it, a
 * request is answered at once with 503 and Retry-After (instead of waiting seconds behind the others), and the
 * gateway recovers by itself as running submissions finish. Counted and exported as metrics.
 */
import { AppError } from '../errors.ts';

export class BusyError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(limit: number, retryAfterSeconds: number) {
    super(
      503,
      'GATEWAY_BUSY',
      `this gateway is running its limit of ${limit} ledger submissions; retry shortly`,
    );
    this.name = 'BusyError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class AdmissionLimiter {
  readonly #limit: number;
  #inFlight = 0;
  #refused = 0;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError('the admission limit must be a positive integer');
    this.#limit = limit;
  }

  /** Takes a slot or refuses (BusyError); call the returned function exactly once when done. */
  acquire(): () => void {
    if (this.#inFlight >= this.#limit) {
      this.#refused += 1;
      throw new BusyError(this.#limit, 1);
    }
    this.#inFlight += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight -= 1;
    };
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get refused(): number {
    return this.#refused;
  }

  get limit(): number {
    return this.#limit;
  }
}
