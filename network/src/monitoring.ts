/**
 * Monitoring: one Prometheus (Debian's `prometheus` package, installed by scripts/ensure-prometheus.sh) per run
 * directory, run by the launcher like any other node (recorded by pid, stopped by `down`), listening on
 * 127.0.0.1:9090 + COFFEE_PORT_OFFSET (a slot no org block, gateway, portal or Postgres port uses).
 *
 * Its configuration is generated from the org table: every gateway's /metrics (HTTPS, the run's CA bundle), and
 * every peer, orderer and CA operations endpoint (HTTPS, each with its org's TLS CA; peers and orderers ask for a
 * client certificate on /metrics — Fabric's operations service serves it only to a verified client, so the org
 * admin's TLS client pair is presented; the CAs' operations endpoint has no client CA and must not get one). The
 * alert rules are network/monitoring/alerts.yml. Every target carries `job` (gateway, peer, orderer, ca),
 * `instance` (the node's name) and `org` — what the rules and the Operations page group by.
 *
 * In the netns topology Prometheus stays in the root namespace and scrapes each host's address (hostAddress), as
 * the launcher's own health checks do.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cryptoPaths } from './crypto.ts';
import { info, UserError, warn } from './log.ts';
import { gatewayNodeName, gatewayPort } from './nodes/gateway.ts';
import { caName } from './nodes/fabric-nodes.ts';
import {
  PEER_ORGS,
  caPorts,
  ordererIndexes,
  ordererName,
  peerName,
  peerPorts,
  peersPerOrg,
  ordererPorts,
  PROMETHEUS_BASE_PORT,
  prometheusPort,
  prometheusUrl,
  type PeerOrg,
} from './orgs.ts';
import { REPO_ROOT, paths, runDir } from './paths.ts';
import { logFile, running, startProcess, stopProcess, waitFor } from './proc.ts';
import { hostAddress, ORDERERS } from './topology.ts';
import { webTlsPaths } from './web-tls.ts';

export const PROMETHEUS_NODE = 'prometheus';
export const ALERT_RULES_FILE = join(REPO_ROOT, 'network', 'monitoring', 'alerts.yml');
const ENSURE_SCRIPT = join(REPO_ROOT, 'scripts', 'ensure-prometheus.sh');

// Where it listens is defined with every other port (orgs.ts): the gateways' settings name it too.
export { PROMETHEUS_BASE_PORT, prometheusPort, prometheusUrl };

export const monitoringPaths = {
  get dir(): string {
    return join(runDir(), 'monitoring');
  },
  get config(): string {
    return join(monitoringPaths.dir, 'prometheus.yml');
  },
  get data(): string {
    return join(paths.data, PROMETHEUS_NODE);
  },
};

interface TlsConfig {
  ca_file: string;
  cert_file?: string;
  key_file?: string;
}

interface ScrapeConfig {
  job_name: string;
  scheme: 'https';
  metrics_path: string;
  honor_labels?: boolean;
  tls_config: TlsConfig;
  static_configs: { targets: string[]; labels: Record<string, string> }[];
}

export interface PrometheusConfig {
  global: { scrape_interval: string; scrape_timeout: string; evaluation_interval: string };
  rule_files: string[];
  scrape_configs: ScrapeConfig[];
}

/** One scrape target: its address, labels and TLS files. */
const target = (address: string, labels: Record<string, string>) => ({ targets: [address], labels });

/**
 * The whole configuration, from the org table and the run's crypto material. Scrape jobs are per TLS trust
 * (an org's CA), while the `job` label says what the target is (set on the target, which Prometheus keeps).
 */
export function prometheusConfig(opts: { scrapeInterval?: string } = {}): PrometheusConfig {
  // COFFEE_PROMETHEUS_SCRAPE_INTERVAL: the tests scrape every few seconds rather than wait 15.
  const interval = opts.scrapeInterval ?? process.env.COFFEE_PROMETHEUS_SCRAPE_INTERVAL ?? '15s';
  if (!/^\d+[sm]$/.test(interval))
    throw new UserError(`COFFEE_PROMETHEUS_SCRAPE_INTERVAL must be like 15s or 1m, got '${interval}'`);
  const scrape: ScrapeConfig[] = [];
  // The gateways export their own `org` label (gateways/src/app.ts default labels): honoured, it is the same.
  scrape.push({
    job_name: 'gateways',
    scheme: 'https',
    metrics_path: '/metrics',
    honor_labels: true,
    tls_config: { ca_file: webTlsPaths.caBundle },
    static_configs: PEER_ORGS.map((org) =>
      target(`${hostAddress(org)}:${gatewayPort(org)}`, {
        job: 'gateway',
        instance: gatewayNodeName(org),
        org: org.id,
      }),
    ),
  });
  for (const org of PEER_ORGS) scrape.push(...orgJobs(org));
  const admin = join(cryptoPaths.ordererAdmin(), 'tls');
  scrape.push({
    job_name: 'orderers',
    scheme: 'https',
    metrics_path: '/metrics',
    tls_config: {
      ca_file: join(cryptoPaths.orderer(ordererIndexes()[0]!), 'tls', 'ca.crt'),
      cert_file: join(admin, 'client.crt'),
      key_file: join(admin, 'client.key'),
    },
    static_configs: ordererIndexes().map((i) =>
      target(`${hostAddress(ORDERERS)}:${ordererPorts(i).operations}`, {
        job: 'orderer',
        instance: ordererName(i),
        org: 'orderer',
      }),
    ),
  });
  return {
    // Prometheus refuses a timeout longer than the interval.
    global: {
      scrape_interval: interval,
      scrape_timeout: /^[1-4]s$/.test(interval) ? interval : '5s',
      evaluation_interval: interval,
    },
    rule_files: [ALERT_RULES_FILE],
    scrape_configs: scrape,
  };
}

function orgJobs(org: PeerOrg): ScrapeConfig[] {
  const admin = join(cryptoPaths.admin(org), 'tls');
  const peers = Array.from({ length: peersPerOrg() }, (_, i) => i);
  return [
    {
      job_name: `peers-${org.id}`,
      scheme: 'https',
      metrics_path: '/metrics',
      tls_config: {
        ca_file: join(cryptoPaths.peer(org, 0), 'tls', 'ca.crt'),
        cert_file: join(admin, 'client.crt'),
        key_file: join(admin, 'client.key'),
      },
      static_configs: peers.map((i) =>
        target(`${hostAddress(org)}:${peerPorts(org, i).operations}`, {
          job: 'peer',
          instance: peerName(org, i),
          org: org.id,
        }),
      ),
    },
    {
      job_name: `ca-${org.id}`,
      scheme: 'https',
      metrics_path: '/metrics',
      tls_config: { ca_file: join(cryptoPaths.tlsServer(org, `ca.${org.domain}`), 'ca.crt') },
      static_configs: [
        target(`${hostAddress(org)}:${caPorts(org).operations}`, {
          job: 'ca',
          instance: caName(org),
          org: org.id,
        }),
      ],
    },
  ];
}

/** How many targets the configuration scrapes (gateways, peers, orderers, CAs). */
export const targetCount = (config: PrometheusConfig): number =>
  config.scrape_configs.reduce((n, s) => n + s.static_configs.reduce((m, c) => m + c.targets.length, 0), 0);

/** Installs Prometheus when missing; returns why it cannot be when it cannot (never throws). */
export function ensurePrometheus(): string | undefined {
  const r = spawnSync('sh', [ENSURE_SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
  if (r.status === 0) return undefined;
  const why = (r.stderr ?? '').trim().split('\n').pop() || `scripts/ensure-prometheus.sh exited ${r.status}`;
  return why.replace(/^error: /, '');
}

/** endpoints.json gains `prometheus: { url }` while it runs (written by the gateways' launcher first). */
function recordEndpoint(url: string | undefined): void {
  const file = join(runDir(), 'endpoints.json');
  if (!existsSync(file)) return;
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return;
  }
  if (url) data.prometheus = { url };
  else delete data.prometheus;
  writeFileSync(file, JSON.stringify(data, null, 2), { mode: 0o600 });
}

/**
 * Starts Prometheus for this run directory (after the gateways: the CA bundle must exist) and waits until it is
 * ready. Returns its URL, or undefined when Prometheus cannot be installed (one line says why; the stack runs on).
 */
export async function startMonitoring(
  opts: { scrapeInterval?: string; retention?: string } = {},
): Promise<string | undefined> {
  const missing = ensurePrometheus();
  if (missing) {
    warn(`monitoring: off — Prometheus is not installed and cannot be here (${missing})`);
    return undefined;
  }
  const config = prometheusConfig(opts);
  mkdirSync(monitoringPaths.dir, { recursive: true });
  mkdirSync(monitoringPaths.data, { recursive: true });
  writeFileSync(
    monitoringPaths.config,
    `# Generated by network/src/monitoring.ts from the org table; rewritten at every start.\n${stringify(config)}`,
  );
  const port = prometheusPort();
  const url = prometheusUrl();
  // Rewritten configuration, same process: Prometheus re-reads it on SIGHUP.
  const already = running(PROMETHEUS_NODE);
  if (already) process.kill(already.pid, 'SIGHUP');
  await startProcess({
    name: PROMETHEUS_NODE,
    command: 'prometheus',
    args: [
      `--config.file=${monitoringPaths.config}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${monitoringPaths.data}`,
      // A development stack: two days of history is plenty and keeps the run directory small.
      `--storage.tsdb.retention.time=${opts.retention ?? '2d'}`,
      `--web.external-url=${url}/`,
    ],
    cwd: monitoringPaths.dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    ports: [{ port, what: 'Prometheus' }],
  });
  await waitFor(
    PROMETHEUS_NODE,
    async () => {
      try {
        return (await fetch(`${url}/-/ready`)).ok;
      } catch {
        return false;
      }
    },
    30_000,
    logFile(PROMETHEUS_NODE),
  );
  recordEndpoint(url);
  info(
    `monitoring: Prometheus at ${url} scraping ${targetCount(config)} targets (rules: ${ALERT_RULES_FILE})`,
  );
  return url;
}

/** Stops this run directory's Prometheus (by its recorded pid); `down` stops it with everything else. */
export async function stopMonitoring(): Promise<boolean> {
  const stopped = await stopProcess(PROMETHEUS_NODE);
  recordEndpoint(undefined);
  return stopped;
}
