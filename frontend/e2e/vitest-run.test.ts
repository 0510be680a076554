/**
 * The failures of a browser test as an integration test's assertion carries them: collected from Vitest's task
 * tree by failure-reporter.ts, summarised by vitest-run.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectFailures, type TaskLike } from './failure-reporter.ts';
import { failureSummary } from './vitest-run.ts';

const timeoutStack = [
  'TimeoutError: locator.waitFor: Timeout 90000ms exceeded.',
  'Call log:',
  "\u001b[2m  - waiting for getByRole('dialog', { name: 'Confirm it is you' }) to be visible\u001b[22m",
  '',
  ...Array.from(
    { length: 20 },
    (_, i) => `    at frame ${i} (/work/main/frontend/e2e/mfa.e2e.ts:${200 + i}:7)`,
  ),
].join('\n');

const passed = (name: string): TaskLike => ({ name, type: 'test', result: { state: 'pass' } });

void describe('browser test failures', () => {
  void it('a failing test, with its file and suite in its name; passing and skipped tests are not listed', () => {
    const file: TaskLike = {
      name: 'e2e/mfa.e2e.ts',
      result: { state: 'fail' },
      tasks: [
        {
          name: 'two-factor',
          type: 'suite',
          result: { state: 'fail' },
          tasks: [
            passed('the admin enrolls'),
            {
              name: 'an approver steps up',
              type: 'test',
              result: {
                state: 'fail',
                errors: [{ message: 'locator.waitFor: Timeout', stack: timeoutStack }],
              },
            },
            { name: 'axe-core', type: 'test', result: { state: 'skip' } },
          ],
        },
      ],
    };
    const failures = collectFailures([file]);
    assert.deepEqual(failures, [
      { name: 'e2e/mfa.e2e.ts > two-factor > an approver steps up', errors: [timeoutStack] },
    ]);
    const lines = failureSummary(failures).split('\n');
    assert.equal(lines[0], '✖ e2e/mfa.e2e.ts > two-factor > an approver steps up');
    assert.equal(lines[1], '  TimeoutError: locator.waitFor: Timeout 90000ms exceeded.');
    assert.equal(
      lines[3],
      "    - waiting for getByRole('dialog', { name: 'Confirm it is you' }) to be visible",
    );
    // 12 lines of the error (the empty one dropped), then how many more there are.
    assert.equal(lines.length, 1 + 12 + 1);
    assert.equal(lines.at(-1), '  … (11 more lines in the Vitest output)');
  });

  void it('a hook that threw (its suite fails, its tests are skipped) and an error outside any test', () => {
    const file: TaskLike = {
      name: 'e2e/mfa.e2e.ts',
      tasks: [
        {
          name: 'two-factor',
          type: 'suite',
          result: { state: 'fail', errors: [{ message: "ENOENT: no such file, open '/x.json'" }] },
          tasks: [{ name: 'the admin enrolls', type: 'test', result: { state: 'skip' } }],
        },
      ],
    };
    const failures = collectFailures([file], [new Error('Unhandled rejection: browser closed')]);
    assert.deepEqual(
      failures.map((f) => f.name),
      ['e2e/mfa.e2e.ts > two-factor', 'outside any test'],
    );
    assert.equal(failures[0]!.errors[0], "ENOENT: no such file, open '/x.json'");
    assert.match(failures[1]!.errors[0]!, /^Error: Unhandled rejection: browser closed\n\s+at /);
    assert.equal(failureSummary([{ name: 'x', errors: [] }]), '✖ x\n  (no message)');
  });

  void it('nothing when every test passed', () => {
    assert.deepEqual(collectFailures([{ name: 'f', result: { state: 'pass' }, tasks: [passed('t')] }]), []);
    assert.equal(failureSummary([]), '');
  });
});
