#!/usr/bin/env node
// `npm test`: the whole suite in one node:test run — chaincode unit tests (compiled with tsc, the shared
// chaincode/consortium and chaincode/common packages first), launcher unit tests, then the integration tests on the real network
// (their own run directory, .run/test).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureInstalled } from './run.mjs';
import { failureReport, gatewayErrors, tapFailures } from './test-failures.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
ensureInstalled();

function sh(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function testFiles(dir, suffix) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...testFiles(p, suffix));
    else if (e.name.endsWith(suffix)) out.push(p);
  }
  return out.sort();
}

console.log('[test] compiling chaincodes …');
// The shared packages first: both chaincodes compile against their declarations. The consortium package is an
// ES module at its source and CommonJS in dist (as network/src/nodes/chaincode-server.ts builds it).
for (const cc of ['consortium', 'common', 'user-management', 'coffee-export']) {
  sh(process.execPath, [
    join(root, 'node_modules/typescript/bin/tsc'),
    '-p',
    join(root, 'chaincode', cc, 'tsconfig.json'),
  ]);
}
writeFileSync(join(root, 'chaincode/consortium/dist/package.json'), '{ "type": "commonjs" }\n');
console.log('[test] type-checking the network launcher, the gateways and the scripts …');
for (const ws of ['network', 'gateways', 'network/bench', 'network/faults', 'scripts']) {
  sh(process.execPath, [
    join(root, 'node_modules/typescript/bin/tsc'),
    '-p',
    join(root, ws, 'tsconfig.json'),
  ]);
}

console.log('[test] portal component tests (Vitest) …');
const vitestJson = join(tmpdir(), `coffee-export-vitest-${process.pid}.json`);
const vitest = spawnSync(
  process.execPath,
  [
    join(root, 'node_modules/vitest/vitest.mjs'),
    'run',
    '--root',
    join(root, 'frontend'),
    '--project',
    'unit',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${vitestJson}`,
  ],
  { cwd: root, stdio: 'inherit' },
);

const unit = [
  ...testFiles(join(root, 'chaincode/consortium/dist/test'), '.test.js'),
  ...testFiles(join(root, 'chaincode/common/dist/test'), '.test.js'),
  ...testFiles(join(root, 'chaincode/coffee-export/dist/test'), '.test.js'),
  ...testFiles(join(root, 'chaincode/user-management/dist/test'), '.test.js'),
  ...testFiles(join(root, 'network/test'), '.test.ts').filter((f) => !f.includes('.integration.')),
  ...testFiles(join(root, 'gateways/test'), '.test.ts').filter((f) => !f.includes('.integration.')),
  ...testFiles(join(root, 'scripts'), '.test.ts').filter((f) => !f.includes('.integration.')),
  // The portal's production server (static files, /gw proxy, headers) against a fake upstream.
  join(root, 'frontend/server/server.test.ts'),
  // The portal's proxy secret and X-Forwarded-For towards the gateways.
  join(root, 'frontend/server/proxy-secret.test.ts'),
  // The same server over HTTPS: its certificate, HSTS and CSP, and the proxy verifying https gateways.
  join(root, 'frontend/server/tls.test.ts'),
  // The summary of a failed browser test that the end-to-end files' assertions carry.
  join(root, 'frontend/e2e/vitest-run.test.ts'),
];
// Real network, Postgres, kubo: the network from nothing first, then what runs on it.
const integration = [
  join(root, 'network/test/network.integration.test.ts'),
  join(root, 'network/test/workflow.integration.test.ts'),
  join(root, 'network/test/offchain.integration.test.ts'),
  ...testFiles(join(root, 'gateways/test'), '.integration.test.ts'),
  // No secret on any command line, keys sealed at rest, single-use enrollments: on the stack the gateways left up.
  join(root, 'network/test/secrets.integration.test.ts'),
  join(root, 'network/test/backup-postgres.integration.test.ts'),
  // Prometheus scraping that stack: every target up, the alert rules loaded, the gateways' metrics present.
  join(root, 'network/test/monitoring.integration.test.ts'),
  // Faults under load: the fast subset (npm run faults: every case, on a stack of its own).
  join(root, 'network/faults/faults.integration.test.ts'),
  // The benchmark for a few seconds at a tiny load, so it keeps working (the full bench: npm run bench).
  join(root, 'network/bench/bench.integration.test.ts'),
  // Last on the shared stack: after its restore the commercial bank's peer holds no block before the snapshot.
  // The shared stack is stopped after it (stopAfter below): every file from here on brings up a stack of its own.
  join(root, 'network/test/backup.integration.test.ts'),
  // The demo consortium seeded through the gateways, here in the portal test's run dir and ports (fileEnv below),
  // left up seeded and verified for the portal test, which takes it over (run alone: .run/test-demo, +16000).
  join(root, 'scripts/demo/seed.integration.test.ts'),
  join(root, 'frontend/e2e/portal.integration.test.ts'),
  // After the portal test: it reuses that test's stack (.run/test-portal), left up for it (stopped after it).
  join(root, 'frontend/e2e/operations.integration.test.ts'),
  join(root, 'frontend/e2e/eudr.integration.test.ts'),
  // Two-factor in chromium on a stack with MFA required by policy (its own run dir, .run/test-mfa, ports +12000).
  join(root, 'frontend/e2e/mfa.integration.test.ts'),
  // Each org on its own address in a network namespace of its own (its own run dir, .run/test-netns, ports +6000).
  join(root, 'network/test/netns.integration.test.ts'),
].filter((f) => existsSync(f));
console.log('[test] browser for the portal end-to-end test …');
sh('sh', [join(root, 'scripts/ensure-chromium.sh')]);
// ip and ss for the netns topology test; not fatal here: without root that test says why it cannot run.
spawnSync('sh', [join(root, 'scripts/ensure-iproute2.sh')], { cwd: root, stdio: 'inherit' });

const runDir = process.env.COFFEE_RUN_DIR ?? join(root, '.run', 'test');
mkdirSync(runDir, { recursive: true });
// The test network runs on its own ports (+20000), beside any network a developer has started.
const env = {
  ...process.env,
  COFFEE_RUN_DIR: runDir,
  COFFEE_PORT_OFFSET: process.env.COFFEE_PORT_OFFSET ?? '20000',
};
// The portal test's stack (its defaults, frontend/e2e/portal.integration.test.ts): seeded by the demo seeding
// test, then used by the portal and operations tests — one bring-up and seeding instead of three stack starts.
const portalStack = {
  COFFEE_RUN_DIR: process.env.COFFEE_PORTAL_TEST_RUN_DIR ?? join(root, '.run', 'test-portal'),
  COFFEE_PORT_OFFSET: process.env.COFFEE_PORTAL_TEST_PORT_OFFSET ?? '18000',
};
/** Settings for one file only. */
const fileEnv = new Map([
  [
    join(root, 'scripts/demo/seed.integration.test.ts'),
    {
      COFFEE_DEMO_TEST_RUN_DIR: portalStack.COFFEE_RUN_DIR,
      COFFEE_DEMO_TEST_PORT_OFFSET: portalStack.COFFEE_PORT_OFFSET,
      COFFEE_DEMO_TEST_HANDOVER: '1',
    },
  ],
  [join(root, 'frontend/e2e/portal.integration.test.ts'), { COFFEE_PORTAL_TEST_KEEP_UP: '1' }],
  [
    join(root, 'frontend/e2e/operations.integration.test.ts'),
    {
      COFFEE_OPS_TEST_RUN_DIR: portalStack.COFFEE_RUN_DIR,
      COFFEE_OPS_TEST_PORT_OFFSET: portalStack.COFFEE_PORT_OFFSET,
    },
  ],
]);
/**
 * The stack (run dir and ports) stopped, by pid (the launcher's `down`), after a file: no later file uses it, and
 * an idle stack — 6 peers, 3 orderers, 6 gateways, Postgres, kubo … — still takes about a third of a core from
 * the files that follow (2 cores). The shared stack after its last file (the restore drill), the portal test's
 * after the operations test.
 */
const stopAfter = new Map([
  [join(root, 'network/test/backup.integration.test.ts'), env],
  [join(root, 'frontend/e2e/operations.integration.test.ts'), { ...env, ...portalStack }],
]);
const launcherDown = (stackEnv) =>
  spawnSync(
    process.execPath,
    [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'network/src/cli.ts'), 'down'],
    { cwd: root, stdio: 'inherit', env: stackEnv },
  );

/**
 * One node:test run per group, in this order (node's runner would sort the files of one run by name): the
 * unit tests, then each integration file — the network from nothing first, then what runs on it.
 */
const totals = { pass: 0, fail: 0, cancelled: 0, skipped: 0 };
const failures = [];
let status = 0;
for (const [i, files] of [unit, ...integration.map((f) => [f])].entries()) {
  const tap = join(tmpdir(), `coffee-export-test-${process.pid}-${i}.tap`);
  const startedAt = Date.now();
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=1',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...files,
    ],
    { cwd: root, stdio: 'inherit', env: { ...env, ...(files.length === 1 ? fileEnv.get(files[0]) : {}) } },
  );
  if (files.length === 1 && stopAfter.has(files[0])) launcherDown(stopAfter.get(files[0]));
  if (r.status !== 0) status = 1;
  const summary = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  for (const name of Object.keys(totals)) {
    totals[name] += Number(summary.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
  }
  if (r.status !== 0) {
    failures.push({
      file: files.length === 1 ? relative(root, files[0]) : `unit tests (${files.length} files)`,
      tests: tapFailures(summary),
      gatewayErrors: gatewayErrors(join(root, '.run'), startedAt),
    });
  }
}
// Whatever the tests left running (a test file may keep the network up for the next one) is stopped by pid.
launcherDown(env);
launcherDown({ ...env, ...portalStack });

// One closing line for people and CI alike: node's runner plus the portal's Vitest component tests.
const ui = { passed: 0, failed: 0, skipped: 0 };
if (existsSync(vitestJson)) {
  const report = JSON.parse(readFileSync(vitestJson, 'utf8'));
  ui.passed = report.numPassedTests ?? 0;
  ui.failed = (report.numFailedTests ?? 0) + (report.success === false && !report.numFailedTests ? 1 : 0);
  ui.skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
}
const failed = totals.fail + totals.cancelled + ui.failed;
if (failures.length > 0) console.log(failureReport(failures));
console.log(`\n${totals.pass + ui.passed} passed, ${failed} failed, ${totals.skipped + ui.skipped} skipped`);
process.exit(status !== 0 || vitest.status !== 0 ? 1 : 0);
