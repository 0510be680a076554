/** Progress output for long steps: one line per step with its duration. */

const started = Date.now();

function elapsed(): string {
  return `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
}

export function info(message: string): void {
  process.stdout.write(`[${elapsed()}] ${message}\n`);
}

export function warn(message: string): void {
  process.stderr.write(`[${elapsed()}] warning: ${message}\n`);
}

/** Runs one step, printing its name first and its duration after. */
export async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  info(`${name} …`);
  const result = await fn();
  info(`${name}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return result;
}

/** An error meant for the operator: printed as one clear line, without a stack trace. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}
