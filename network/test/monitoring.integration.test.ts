/**
 * Monitoring on the REAL stack (issue 11), under COFFEE_RUN_DIR (npm test: .run/test, ports +20000; a running
 * stack there is reused): `network monitoring start` runs Debian's Prometheus with the configuration generated from
 * the org table, and its HTTP API says that
 *
 * - every target is up: the six gateways, every peer, the three orderers and the six CAs, each over TLS;
 * - the alert rules (network/monitoring/alerts.yml) are loaded and evaluate without error, and none of the
 *   "something is down" alerts fires;
 * - the gateways' business and health metrics arrive: the projector's height and lag for every org, certificate
 *   expiries, and a failed login made here counted by that org's gateway.
 *
 * `monitoring stop` stops it (by pid) and takes it out of endpoints.json.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.env.COFFEE_RUN_DIR ??= join(REPO, '.run', 'test');
process.env.COFFEE_PORT_OFFSET ??= '20000';
// Scrapes every 2 s: the test waits for a few rounds, not for minutes.
process.env.COFFEE_PROMETHEUS_SCRAPE_INTERVAL = '2s';

const { bringUp, gatewayFetch, gatewayUrl, launcher, org, PEER_ORGS, runDir } =
  await import('../../gateways/test/support/stack.ts');
const { prometheusUrl, PROMETHEUS_NODE } = await import('../src/monitoring.ts');
const { peersPerOrg } = await import('../src/orgs.ts');
const { running } = await import('../src/proc.ts');

const PROM = prometheusUrl();
const EXPECTED = {
  gateway: PEER_ORGS.length,
  peer: PEER_ORGS.length * peersPerOrg(),
  orderer: 3,
  ca: PEER_ORGS.length,
};

interface Target {
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  scrapeUrl: string;
}

async function api<T>(path: string): Promise<T> {
  const r = await fetch(`${PROM}${path}`);
  assert.equal(r.status, 200, `${path}: HTTP ${r.status}`);
  const body = (await r.json()) as { status: string; data: T };
  assert.equal(body.status, 'success', path);
  return body.data;
}

const query = async (q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> =>
  (
    await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
      `/api/v1/query?query=${encodeURIComponent(q)}`,
    )
  ).result;

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e: unknown) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `${what}: not within ${timeoutMs / 1000} s${last instanceof Error ? ` (${last.message})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 1000));
  }
}

before(
  async () => {
    await bringUp();
    await launcher(['monitoring', 'start'], 120_000);
  },
  { timeout: 900_000 },
);
after(async () => {
  await launcher(['monitoring', 'stop'], 60_000).catch(() => undefined);
});

describe('Prometheus on the test stack', { timeout: 180_000 }, () => {
  it('runs as a recorded node and is listed in endpoints.json', () => {
    assert.ok(running(PROMETHEUS_NODE), 'no live prometheus record in the run directory');
    const endpoints = JSON.parse(readFileSync(join(runDir(), 'endpoints.json'), 'utf8')) as {
      prometheus?: { url: string };
    };
    assert.equal(endpoints.prometheus?.url, PROM);
  });

  it('reports every target up: 6 gateways, every peer, 3 orderers, 6 CAs', async () => {
    const targets = await eventually('every target scraped up', async () => {
      const { activeTargets } = await api<{ activeTargets: Target[] }>('/api/v1/targets?state=active');
      return activeTargets.length > 0 && activeTargets.every((t) => t.health === 'up')
        ? activeTargets
        : undefined;
    }).catch(async (e: unknown) => {
      // Say which target is not up, and why.
      const { activeTargets } = await api<{ activeTargets: Target[] }>('/api/v1/targets?state=active');
      const bad = activeTargets.filter((t) => t.health !== 'up');
      throw new Error(
        `${String(e)}\n${bad.map((t) => `${t.labels.instance} ${t.health}: ${t.lastError}`).join('\n')}`,
      );
    });
    const count = (job: string): number => targets.filter((t) => t.labels.job === job).length;
    assert.deepEqual(
      { gateway: count('gateway'), peer: count('peer'), orderer: count('orderer'), ca: count('ca') },
      EXPECTED,
    );
    assert.equal(
      targets.length,
      Object.values(EXPECTED).reduce((a, b) => a + b, 0),
    );
    for (const t of targets) assert.match(t.scrapeUrl, /^https:\/\//, `${t.labels.instance} not over TLS`);
    // Prometheus' own view agrees: `up` is 1 for each.
    const up = await query('up');
    assert.equal(up.length, targets.length);
    assert.ok(up.every((s) => s.value[1] === '1'));
  });

  it('loads every alert rule, evaluates them without error, and nothing is down', async () => {
    const rulesFile = join(REPO, 'network', 'monitoring', 'alerts.yml');
    const expected = [...readFileSync(rulesFile, 'utf8').matchAll(/^\s*- alert: (\w+)/gm)].map((m) => m[1]!);
    assert.ok(expected.length >= 10);
    const rules = await eventually('rules evaluated', async () => {
      const { groups } = await api<{
        groups: {
          name: string;
          rules: { name: string; type: string; health: string; lastError?: string }[];
        }[];
      }>('/api/v1/rules');
      const all = groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((r) => r.health === 'ok') ? all : undefined;
    });
    assert.deepEqual(rules.map((r) => r.name).sort(), [...expected].sort());
    assert.ok(rules.every((r) => r.type === 'alerting'));
    // Firing, not pending: a Raft election on a busy machine (a leader stepping down for a second) makes
    // NoRaftLeader pending until the next evaluation; its `for: 1m` is what keeps that from paging anyone.
    const firing = await query(
      'ALERTS{alertstate="firing", alertname=~"FabricNodeDown|ServiceDown|NoRaftLeader"}',
    );
    assert.deepEqual(
      firing.map((s) => `${s.metric.alertname} ${s.metric.instance ?? s.metric.channel ?? ''}`),
      [],
    );
  });

  it("scrapes the gateways' business and health metrics, and counts a failed login", async () => {
    const heights = await eventually('projector height of every org', async () => {
      const r = await query('coffee_projector_height{job="gateway"}');
      return r.length === PEER_ORGS.length ? r : undefined;
    });
    assert.ok(
      heights.every((s) => Number(s.value[1]) > 0),
      'a read model at block 0',
    );
    const lag = await query('coffee_projector_lag_blocks{job="gateway"}');
    assert.equal(lag.length, PEER_ORGS.length, 'projector lag from every gateway');
    const expiry = await query('gateway_cert_expiry_timestamp_seconds{job="gateway", cert="enrollment"}');
    assert.equal(expiry.length, PEER_ORGS.length);
    assert.ok(
      expiry.every((s) => Number(s.value[1]) > Date.now() / 1000),
      'an expired enrollment certificate',
    );
    assert.equal((await query('gateway_disk_size_bytes{job="gateway"} > 0')).length, PEER_ORGS.length);

    // A wrong password at ECTA's gateway: its counter goes up, nobody else's.
    const ecta = org('ecta');
    const q = 'sum by (org) (gateway_failed_logins_total{job="gateway"})';
    const before = Number((await query(q)).find((s) => s.metric.org === ecta.id)?.value[1] ?? '0');
    const r = await gatewayFetch(`${gatewayUrl(ecta)}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: `nobody-${Date.now()}`, password: 'wrong-password-123' }),
    });
    assert.equal(r.status, 401);
    await eventually('the failed login in Prometheus', async () => {
      const now = Number((await query(q)).find((s) => s.metric.org === ecta.id)?.value[1] ?? '0');
      return now >= before + 1 ? now : undefined;
    });
  });

  it('stops with `monitoring stop` and leaves endpoints.json', async () => {
    const rec = running(PROMETHEUS_NODE);
    assert.ok(rec);
    await launcher(['monitoring', 'stop'], 60_000);
    assert.equal(running(PROMETHEUS_NODE), undefined);
    assert.ok(
      !existsSync(`/proc/${rec.pid}`) ||
        !readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8').includes('prometheus'),
    );
    const endpoints = JSON.parse(readFileSync(join(runDir(), 'endpoints.json'), 'utf8')) as {
      prometheus?: unknown;
    };
    assert.equal(endpoints.prometheus, undefined);
    await assert.rejects(fetch(`${PROM}/-/ready`));
  });
});
