/**
 * `npm run bench [-- --quick]` (COFFEE_BENCH_QUICK=1 = --quick): the bench against the running stack
 * (COFFEE_RUN_DIR, COFFEE_PORT_OFFSET as for `npm start`). Prints the report; exits 1 with one clear line when
 * the stack is not up or a step fails.
 */
import { UserError } from '../../src/log.ts';
import { runBench } from './bench.ts';
import { profileFrom } from './profile.ts';

async function main(argv: readonly string[]): Promise<number> {
  const profile = profileFrom(argv);
  const { markdown, dir } = await runBench(profile);
  process.stdout.write(`\n${markdown}\nwritten to ${dir} (report.json, report.md, report.html)\n`);
  return 0;
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
