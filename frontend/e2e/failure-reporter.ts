/**
 * A Vitest reporter for the browser tests run by the integration files (vitest-run.ts): when the run ends it
 * writes every failure — failing tests, and a failing hook or suite (a beforeAll that threw), and errors outside
 * any test — to the JSON file named by COFFEE_E2E_FAILURES. The default reporter still prints everything.
 */
import { writeFileSync } from 'node:fs';

/** What the reporter sees of Vitest's tasks (files, suites, tests). */
export interface TaskLike {
  name: string;
  type?: string;
  result?: { state?: string; errors?: { message?: string; stack?: string }[] };
  tasks?: TaskLike[];
}

export interface Failure {
  /** The test or suite, with its file and enclosing suites: `mfa.e2e.ts > two-factor … > the admin enrolls`. */
  name: string;
  /** Its errors, each as Vitest shows it (the stack, which starts with the message). */
  errors: string[];
}

function errorText(e: unknown): string {
  if (e && typeof e === 'object') {
    const { stack, message } = e as { stack?: unknown; message?: unknown };
    if (typeof stack === 'string' && stack !== '') return stack;
    if (typeof message === 'string') return message;
  }
  return String(e);
}

/** Every task with errors, depth first, plus the run's errors outside any task. */
export function collectFailures(files: TaskLike[], errors: unknown[] = []): Failure[] {
  const out: Failure[] = [];
  const walk = (task: TaskLike, path: string[]): void => {
    const here = [...path, task.name];
    const errs = task.result?.errors ?? [];
    if (task.result?.state === 'fail' && errs.length > 0)
      out.push({ name: here.join(' > '), errors: errs.map(errorText) });
    for (const t of task.tasks ?? []) walk(t, here);
  };
  for (const f of files) walk(f, []);
  for (const e of errors) out.push({ name: 'outside any test', errors: [errorText(e)] });
  return out;
}

export default class FailureReporter {
  onFinished(files: TaskLike[], errors: unknown[]): void {
    const target = process.env.COFFEE_E2E_FAILURES;
    if (target) writeFileSync(target, JSON.stringify({ failures: collectFailures(files, errors) }));
  }
}
