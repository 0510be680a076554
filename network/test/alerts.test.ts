/**
 * The alert rules (network/monitoring/alerts.yml): promtool (Debian's prometheus package, installed by
 * scripts/ensure-prometheus.sh) accepts them and runs their unit tests (alerts.test.yml) green; every rule has a case
 * where it fires and one where it stays silent; and the tests can fail — a wrong expectation, a rule weakened, a
 * rule left without a test are each caught.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { REPO_ROOT } from '../src/paths.ts';

const DIR = join(REPO_ROOT, 'network', 'monitoring');
const RULES = join(DIR, 'alerts.yml');
const TESTS = join(DIR, 'alerts.test.yml');

interface RuleFile {
  groups: { name: string; rules: { alert?: string; expr: string }[] }[];
}
interface TestFile {
  tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}

const promtool = (args: string[], cwd: string): { status: number | null; out: string } => {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

const alertNames = (rules: RuleFile): string[] =>
  rules.groups.flatMap((g) => g.rules.map((r) => r.alert).filter((a): a is string => !!a));

describe('alert rules (promtool)', () => {
  let scratch = '';
  before(() => {
    execFileSync('sh', [join(REPO_ROOT, 'scripts/ensure-prometheus.sh')], { stdio: 'inherit' });
    scratch = mkdtempSync(join(tmpdir(), 'alerts-test-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  /** A copy of the rules and their tests in the scratch directory, each changed by `edit`. */
  const copy = (edit: { rules?: (s: string) => string; tests?: (s: string) => string }): void => {
    const rules = readFileSync(RULES, 'utf8');
    const tests = readFileSync(TESTS, 'utf8');
    writeFileSync(join(scratch, 'alerts.yml'), edit.rules ? edit.rules(rules) : rules);
    writeFileSync(join(scratch, 'alerts.test.yml'), edit.tests ? edit.tests(tests) : tests);
  };

  it('promtool check rules accepts the rules file', () => {
    const r = promtool(['check', 'rules', RULES], DIR);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /SUCCESS: \d+ rules found/);
  });

  it('promtool test rules passes every case', () => {
    const r = promtool(['test', 'rules', TESTS], DIR);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /SUCCESS/);
  });

  it('every alert rule has a case where it fires and one where it does not', () => {
    const names = alertNames(parse(readFileSync(RULES, 'utf8')) as RuleFile);
    const cases = (parse(readFileSync(TESTS, 'utf8')) as TestFile).tests.flatMap(
      (t) => t.alert_rule_test ?? [],
    );
    // The list: heights diverging, no leader, orderer/peer down, projector lag, 5xx ratio, endorsement
    // failures, certificates expiring, disk filling up.
    for (const required of [
      'PeerHeightsDiverging',
      'NoRaftLeader',
      'FabricNodeDown',
      'ProjectorLagHigh',
      'Gateway5xxRatioHigh',
      'GatewayEndorsementFailures',
      'PeerEndorsementFailures',
      'CertificateExpiringSoon',
      'DiskFillingUp',
    ])
      assert.ok(names.includes(required), `no alert rule ${required}`);
    for (const name of names) {
      const mine = cases.filter((c) => c.alertname === name);
      assert.ok(
        mine.some((c) => (c.exp_alerts ?? []).length > 0),
        `${name}: no test case where it fires`,
      );
      assert.ok(
        mine.some((c) => (c.exp_alerts ?? []).length === 0),
        `${name}: no test case where it stays silent`,
      );
    }
  });

  it('fails on a wrong expectation (negative control)', () => {
    copy({ tests: (s) => s.replace("'ecta: 5% of the disk left'", "'ecta: 6% of the disk left'") });
    assert.notEqual(readFileSync(join(scratch, 'alerts.test.yml'), 'utf8'), readFileSync(TESTS, 'utf8'));
    const r = promtool(['test', 'rules', 'alerts.test.yml'], scratch);
    assert.notEqual(r.status, 0, 'promtool passed a wrong expectation');
    assert.match(r.out, /alertname: DiskAlmostFull/);
  });

  it('fails when a rule is weakened (negative control)', () => {
    copy({
      rules: (s) =>
        s.replace(
          'coffee_projector_lag_blocks{job="gateway"} > 20',
          'coffee_projector_lag_blocks{job="gateway"} > 1000',
        ),
    });
    assert.notEqual(readFileSync(join(scratch, 'alerts.yml'), 'utf8'), readFileSync(RULES, 'utf8'));
    const r = promtool(['test', 'rules', 'alerts.test.yml'], scratch);
    assert.notEqual(r.status, 0, 'promtool passed a rule that no longer fires');
    assert.match(r.out, /alertname: ProjectorLagHigh/);
  });

  it('fails on a rule file promtool cannot parse (negative control)', () => {
    copy({
      rules: (s) =>
        s.replace(
          'max by (channel) (consensus_etcdraft_is_leader',
          'max by (channel (consensus_etcdraft_is_leader',
        ),
    });
    const r = promtool(['check', 'rules', join(scratch, 'alerts.yml')], scratch);
    assert.notEqual(r.status, 0, 'promtool accepted a broken expression');
  });
});
