import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEMO_EXPORTS, demoUsers } from './plan.ts';
import { seedDemo } from './seed.ts';
import {
  accountsFile,
  assertDevelopment,
  decide,
  demoAccounts,
  demoWanted,
  portalDemoAccounts,
  publishAccounts,
  readState,
  stateFile,
  writeState,
  type Endpoints,
  type SeedState,
} from './state.ts';

const dirs: string[] = [];
function runDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'demo-state-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ENDPOINTS: Endpoints = {
  mode: 'development',
  gateways: {
    'commercial-bank': { url: 'http://127.0.0.1:1', admin: { username: 'admin', password: 'cb-admin-pw' } },
    ecta: { url: 'http://127.0.0.1:2', admin: { username: 'admin', password: 'ecta-admin-pw' } },
  },
};

function writeEndpointsFile(dir: string, e: Endpoints): void {
  writeFileSync(join(dir, 'endpoints.json'), JSON.stringify(e), { mode: 0o600 });
}

let counter = 0;
const fixedPassword = (): string => `password-${++counter}-xxxxxxxx`;
const NOW = new Date('2026-03-01T08:00:00Z');

describe('demo seeding: switched on or off', () => {
  const cases: [string, string[], NodeJS.ProcessEnv, boolean][] = [
    ['by default', [], {}, true],
    ['--no-demo', ['--no-demo'], {}, false],
    ['COFFEE_DEMO=0', [], { COFFEE_DEMO: '0' }, false],
    ['COFFEE_DEMO=off', [], { COFFEE_DEMO: 'off' }, false],
    ['COFFEE_DEMO=1', [], { COFFEE_DEMO: '1' }, true],
  ];
  for (const [name, flags, env, wanted] of cases) {
    it(name, () => assert.equal(demoWanted(flags, env), wanted));
  }
});

describe('demo seeding: production mode', () => {
  const cases: [string, NodeJS.ProcessEnv, Endpoints | undefined][] = [
    ['NODE_ENV=production', { NODE_ENV: 'production' }, ENDPOINTS],
    ['endpoints.json in production mode', {}, { ...ENDPOINTS, mode: 'production' }],
  ];
  for (const [name, env, endpoints] of cases) {
    it(`refuses with one line: ${name}`, () => {
      assert.throws(
        () => assertDevelopment(env, endpoints),
        (e: Error) =>
          e.name === 'UserError' &&
          /^demo seeding refused: .*production/.test(e.message) &&
          !e.message.includes('\n'),
      );
    });
  }

  it('accepts development', () => {
    assert.doesNotThrow(() => assertDevelopment({ NODE_ENV: 'development' }, ENDPOINTS));
  });

  it('seedDemo refuses before it writes or sends anything', async () => {
    for (const [env, endpoints] of [
      [{ NODE_ENV: 'production' }, ENDPOINTS],
      [{}, { ...ENDPOINTS, mode: 'production' }],
    ] as const) {
      const dir = runDir();
      writeEndpointsFile(dir, endpoints);
      await assert.rejects(seedDemo({ runDir: dir, env, log: () => undefined }), /demo seeding refused/);
      assert.throws(() => statSync(stateFile(dir)), /ENOENT/, 'no state file');
      assert.throws(() => statSync(accountsFile(dir)), /ENOENT/, 'no accounts file');
    }
  });

  it('never hands the portal an accounts file in production', () => {
    const dir = runDir();
    writeEndpointsFile(dir, ENDPOINTS);
    writeFileSync(accountsFile(dir), '{}');
    assert.equal(portalDemoAccounts(dir, {}), accountsFile(dir));
    assert.equal(portalDemoAccounts(dir, { NODE_ENV: 'production' }), undefined);
    writeEndpointsFile(dir, { ...ENDPOINTS, mode: 'production' });
    assert.equal(portalDemoAccounts(dir, {}), undefined);
    assert.equal(portalDemoAccounts(runDir(), {}), undefined, 'nothing seeded: no file');
  });
});

describe('demo seeding: state file and decisions', () => {
  const users = demoUsers();

  it('a fresh run seeds, with a password for every planned user chosen before anything is sent', () => {
    const d = decide(undefined, users, NOW, fixedPassword, () => 'abcd1234');
    assert.equal(d.kind, 'seed');
    assert.equal(d.kind === 'seed' && d.resume, false);
    assert.equal(d.state.startedAt, NOW.toISOString());
    assert.equal(d.state.runId, 'abcd1234');
    for (const u of users) assert.ok(d.state.passwords[`${u.org}/${u.username}`]);
  });

  it('an unfinished run resumes with its start, key namespace and passwords (adding any missing)', () => {
    const first = decide(undefined, users, NOW, fixedPassword, () => 'abcd1234').state;
    const fewer = { ...first.passwords };
    delete fewer['ecx/grader'];
    const d = decide({ ...first, passwords: fewer }, users, new Date('2026-03-02T00:00:00Z'), fixedPassword);
    assert.equal(d.kind, 'seed');
    assert.equal(d.kind === 'seed' && d.resume, true);
    assert.equal(d.state.startedAt, first.startedAt);
    assert.equal(d.state.runId, 'abcd1234');
    assert.equal(d.state.passwords['ecta/ecta-officer'], first.passwords['ecta/ecta-officer']);
    assert.ok(d.state.passwords['ecx/grader'], 'the missing one is generated');
  });

  it('a completed run is done: nothing is seeded again', () => {
    const state: SeedState = { ...decide(undefined, users, NOW).state, completedAt: NOW.toISOString() };
    assert.deepEqual(decide(state, users, new Date()), { kind: 'done', state });
  });

  it('generated passwords are strong and distinct', () => {
    const { passwords } = decide(undefined, users, NOW).state;
    const values = Object.values(passwords);
    assert.equal(new Set(values).size, values.length);
    for (const p of values) assert.match(p, /^[A-Za-z0-9_-]{24}$/);
  });

  it('round-trips through RUN_DIR/demo/seed.json (0600) and refuses a file that is not its own', () => {
    const dir = runDir();
    assert.equal(readState(dir), undefined);
    const state = decide(undefined, users, NOW).state;
    writeState(dir, state);
    assert.deepEqual(readState(dir), state);
    assert.equal(statSync(stateFile(dir)).mode & 0o777, 0o600);
    writeFileSync(stateFile(dir), '{"version": 2}');
    assert.throws(() => readState(dir), /not a demo seeding state/);
    writeFileSync(stateFile(dir), '{oops');
    assert.throws(() => readState(dir), /not valid JSON/);
  });
});

describe('demo seeding: the accounts file', () => {
  it('lists each admin, every planned user with its password, and every export with its queue', () => {
    const users = demoUsers();
    const state = decide(undefined, users, NOW).state;
    const a = demoAccounts(users, state, ENDPOINTS);
    assert.equal(a.mode, 'development');
    assert.equal(a.accounts.length, 2 + users.length);
    assert.deepEqual(a.accounts[0], {
      org: 'commercial-bank',
      role: 'admin',
      username: 'admin',
      password: 'cb-admin-pw',
    });
    for (const acc of a.accounts) {
      const keys = Object.keys(acc).sort();
      assert.deepEqual(
        keys,
        acc.role === 'exporter'
          ? ['exporterId', 'org', 'password', 'role', 'username']
          : ['org', 'password', 'role', 'username'],
      );
    }
    assert.equal(a.exports.length, DEMO_EXPORTS.length);
    for (const x of a.exports) {
      assert.deepEqual(Object.keys(x).sort(), ['description', 'exportId', 'exporterId', 'queue', 'status']);
      assert.ok(!x.description.includes('\n') && x.description.length <= 200, 'one short line');
    }
  });

  it('is written 0600 and named in endpoints.json (the `demo` field)', () => {
    const dir = runDir();
    mkdirSync(dir, { recursive: true });
    writeEndpointsFile(dir, ENDPOINTS);
    const users = demoUsers();
    const accounts = demoAccounts(users, decide(undefined, users, NOW).state, ENDPOINTS);
    const file = publishAccounts(dir, accounts);
    assert.equal(file, accountsFile(dir));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), accounts);
    const endpoints = JSON.parse(readFileSync(join(dir, 'endpoints.json'), 'utf8')) as Endpoints & {
      demo: { accountsFile: string; accounts: unknown[] };
    };
    assert.deepEqual(endpoints.gateways, ENDPOINTS.gateways, 'the rest is untouched');
    assert.equal(endpoints.demo.accountsFile, file);
    assert.equal(endpoints.demo.accounts.length, accounts.accounts.length);
    assert.equal(statSync(join(dir, 'endpoints.json')).mode & 0o777, 0o600);
  });
});
