/**
 * Runs the portal's browser tests (Vitest project `e2e`, chromium) from a node:test integration file, and says
 * why they failed: the failing tests' names and the first lines of their errors, as the message of the
 * integration test's assertion. The test runner's closing summary (and so CI's excerpt of the output) then shows
 * the cause, not only "Vitest failed"; the whole Vitest output is printed above it as before, the screenshots of a
 * failure are in e2e/screenshots/.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { stripVTControlCharacters } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Failure } from './failure-reporter.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
/** Lines of each failure's message kept in the summary (the assertion and where it failed). */
const LINES_PER_FAILURE = 12;

export interface BrowserTestRun {
  passed: boolean;
  seconds: number;
  /** One block per failing test: its full name, then the first lines of its error. Empty when passed. */
  failures: string;
}

/** The failures, as lines for a person: each one's name, then the first lines of its errors. */
export function failureSummary(failures: Failure[]): string {
  return failures.map((f) => `✖ ${f.name}\n  ${indent(f.errors.join('\n') || '(no message)')}`).join('\n');
}

function indent(message: string): string {
  // Playwright's call log comes with terminal colours.
  const lines = stripVTControlCharacters(message)
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
  const kept = lines.slice(0, LINES_PER_FAILURE);
  if (lines.length > kept.length)
    kept.push(`… (${lines.length - kept.length} more lines in the Vitest output)`);
  return kept.join('\n  ');
}

/**
 * `vitest run --project e2e [file]` in the frontend, output inherited; `env` on top of this process's (the test's
 * config file variable).
 */
export function runBrowserTest(file: string | undefined, env: Record<string, string>): BrowserTestRun {
  const dir = mkdtempSync(join(tmpdir(), 'coffee-e2e-report-'));
  const reportFile = join(dir, 'failures.json');
  const started = Date.now();
  try {
    const r = spawnSync(
      process.execPath,
      [
        join(REPO, 'node_modules/vitest/vitest.mjs'),
        'run',
        '--root',
        join(REPO, 'frontend'),
        '--project',
        'e2e',
        '--reporter=default',
        `--reporter=${join(HERE, 'failure-reporter.ts')}`,
        ...(file ? [file] : []),
      ],
      { cwd: REPO, stdio: 'inherit', env: { ...process.env, ...env, COFFEE_E2E_FAILURES: reportFile } },
    );
    const seconds = Math.round((Date.now() - started) / 1000);
    if (r.status === 0) return { passed: true, seconds, failures: '' };
    let failures = '';
    try {
      failures = failureSummary(
        (JSON.parse(readFileSync(reportFile, 'utf8')) as { failures: Failure[] }).failures,
      );
    } catch {
      failures = '';
    }
    const how = r.signal ? `was killed by ${r.signal}` : `exited with status ${String(r.status)}`;
    return {
      passed: false,
      seconds,
      failures:
        `the browser test failed: Vitest ${how} (its output is above, screenshots in frontend/e2e/screenshots/)\n` +
        (failures || 'it reported no failure of a test or a hook: see its output'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
