/**
 * `npm run faults [-- --only 1,2,5]`: every fault case against a stack of its own (COFFEE_RUN_DIR default
 * .run/faults, COFFEE_PORT_OFFSET default 14000), brought up from nothing and stopped at the end (by pid). Prints a
 * line per case and the table, writes it to <run>/faults/latest.md, and exits 1 if any case failed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runDir } from '../../src/paths.ts';
import { UserError } from '../../src/log.ts';

process.env.COFFEE_RUN_DIR ??= join(REPO_ROOT, '.run', 'faults');
process.env.COFFEE_PORT_OFFSET ??= '14000';

async function main(argv: readonly string[]): Promise<number> {
  const { CASES } = await import('./cases.ts');
  const { runFaults, table } = await import('./run.ts');
  const { bringUp, launcher } = await import('../../../gateways/test/support/stack.ts');
  const onlyArg = argv.find((a) => a.startsWith('--only'));
  const only = onlyArg ? (onlyArg.split('=')[1] ?? argv[argv.indexOf(onlyArg) + 1] ?? '') : '';
  const ids = only ? new Set(only.split(',').map(Number)) : undefined;
  const cases = ids ? CASES.filter((c) => ids.has(c.id)) : CASES;
  if (cases.length === 0)
    throw new UserError(`--only ${only}: no such case (known: ${CASES.map((c) => c.id).join(', ')})`);
  process.stdout.write(
    `faults: a stack of its own in ${runDir()} (ports +${process.env.COFFEE_PORT_OFFSET}) …\n`,
  );
  await bringUp({ UPLOAD_MAX_BYTES: String(1024 * 1024), LOGIN_RATE_LIMIT_MAX: '1000' });
  try {
    const run = await runFaults({ cases });
    const md = table(run);
    const dir = join(runDir(), 'faults');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'latest.md'), `${md}\n`);
    process.stdout.write(`\n${md}\n\nwritten to ${join(dir, 'latest.md')}\n`);
    return run.reports.every((r) => r.passed) ? 0 : 1;
  } finally {
    if (process.env.COFFEE_FAULTS_KEEP !== '1') await launcher(['down']);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const message =
      e instanceof UserError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
    process.stderr.write(`error: ${message}\n`);
    process.exit(1);
  },
);
