/**
 * Secrets on command lines: every secret a run directory knows (its generated secrets files, the passwords in
 * endpoints.json, the gateways' configurations, private keys), looked for in /proc/<pid>/cmdline of every process
 * the launcher recorded (runDir()/pids/*.json) and of their descendants. `ps` shows any user of the machine
 * every command line; environments and 0600 files it does not.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface KnownSecret {
  /** What it is (never the value): e.g. "CA bootstrap password (ecta)". */
  readonly kind: string;
  readonly value: string;
}

export interface Finding {
  readonly process: string;
  readonly pid: number;
  readonly kind: string;
}

const readJson = (file: string): unknown => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
};

/** A recognisable stretch of a PEM private key's body (its first base64 line past the header). */
function pemBody(pem: string): string | undefined {
  const lines = pem
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('-----') && !l.includes(':'));
  return lines[0] && lines[0].length >= 32 ? lines[0] : undefined;
}

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      // Ledgers and databases hold no secrets of their own and are large.
      if (!['data', 'chaincode', 'logs'].includes(e.name)) walk(p, out);
    } else out.push(p);
  }
  return out;
}

const SECRET_SETTING = /(SECRET|PASSWORD|CUSTODY_KEY)/;

/** Every secret the run directory knows, with its kind. */
export function knownSecrets(runDir: string): KnownSecret[] {
  const found: KnownSecret[] = [];
  const add = (kind: string, value: unknown): void => {
    if (typeof value !== 'string' || value.length < 8) return;
    found.push({ kind, value });
    const encoded = encodeURIComponent(value);
    if (encoded !== value) found.push({ kind: `${kind}, URL-encoded`, value: encoded });
  };
  const launcher = readJson(join(runDir, 'secrets.json')) as
    { caAdmins?: Record<string, unknown> } | undefined;
  for (const [org, pw] of Object.entries(launcher?.caAdmins ?? {})) add(`CA bootstrap password (${org})`, pw);
  add(
    'PostgreSQL password',
    (readJson(join(runDir, 'secrets-postgres.json')) as { password?: unknown })?.password,
  );
  if (existsSync(join(runDir, 'portal-proxy.secret')))
    add('portal proxy secret', readFileSync(join(runDir, 'portal-proxy.secret'), 'utf8').trim());
  if (existsSync(join(runDir, 'ipfs-swarm.key')))
    add('IPFS swarm key', readFileSync(join(runDir, 'ipfs-swarm.key'), 'utf8').trim().split('\n').at(-1));
  const endpoints = readJson(join(runDir, 'endpoints.json')) as
    | {
        gateways?: Record<string, { admin?: { password?: unknown } }>;
        demo?: { accounts?: { org?: string; username?: string; password?: unknown }[] };
      }
    | undefined;
  for (const [org, gw] of Object.entries(endpoints?.gateways ?? {}))
    add(`gateway admin password (${org}, endpoints.json)`, gw.admin?.password);
  for (const a of endpoints?.demo?.accounts ?? [])
    add(`demo account password (${a.org}/${a.username})`, a.password);
  const gatewaysDir = join(runDir, 'gateways');
  for (const org of existsSync(gatewaysDir) ? readdirSync(gatewaysDir) : []) {
    const generated = readJson(join(gatewaysDir, org, 'secrets.json')) as Record<string, unknown> | undefined;
    add(`gateway admin initial password (${org}, generated)`, generated?.adminPassword);
    add(`custody key (${org}, generated)`, generated?.custodyKey);
    const config = (readJson(join(gatewaysDir, org, 'gateway.json')) ?? {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(config)) {
      if (key === 'DATABASE_URL' && typeof value === 'string') {
        try {
          add(`database password (${org}, gateway.json)`, decodeURIComponent(new URL(value).password));
        } catch {
          // not a URL
        }
      } else if (SECRET_SETTING.test(key) && !/_(DIR|FILE)$/.test(key))
        add(`${key} (${org}, gateway.json)`, value);
    }
  }
  // Private keys anywhere in the run directory's configuration (identities, gateways, crypto material).
  for (const file of walk(runDir)) {
    if (statSync(file).size > 64 * 1024) continue;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const m of text.matchAll(
      /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
    )) {
      const body = pemBody(m[0].replace(/\\n/g, '\n'));
      if (body) add(`private key (${file.slice(runDir.length + 1)})`, body);
    }
  }
  return found;
}

/** Field 4 (ppid) and field 22 (start time) of /proc/<pid>/stat. */
function stat(pid: number): { ppid: number; startTicks: string; state: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0]!, ppid: Number(rest[1]), startTicks: rest[19]! };
  } catch {
    return undefined;
  }
}

/** The launcher's recorded processes that are alive, and all their descendants: pid → name. */
export function stackProcesses(runDir: string): Map<number, string> {
  const roots = new Map<number, string>();
  const pidsDir = join(runDir, 'pids');
  for (const f of existsSync(pidsDir) ? readdirSync(pidsDir).filter((n) => n.endsWith('.json')) : []) {
    const rec = readJson(join(pidsDir, f)) as
      { pid?: unknown; startTicks?: unknown; name?: unknown } | undefined;
    if (typeof rec?.pid !== 'number') continue;
    const s = stat(rec.pid);
    if (s && s.startTicks === rec.startTicks)
      roots.set(rec.pid, typeof rec.name === 'string' ? rec.name : f.slice(0, -5));
  }
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (!s) continue;
    children.set(s.ppid, [...(children.get(s.ppid) ?? []), Number(entry)]);
  }
  const all = new Map(roots);
  const queue = [...roots.keys()];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    for (const child of children.get(pid) ?? []) {
      if (all.has(child)) continue;
      all.set(child, `${all.get(pid)} (child ${child})`);
      queue.push(child);
    }
  }
  return all;
}

export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

/** Each (process, secret kind) where the secret appears on the process's command line. */
export function secretsOnCommandLines(
  processes: Map<number, string>,
  secrets: readonly KnownSecret[],
): Finding[] {
  const findings: Finding[] = [];
  for (const [pid, name] of processes) {
    const line = commandLine(pid);
    if (line === undefined) continue;
    for (const s of secrets) if (line.includes(s.value)) findings.push({ process: name, pid, kind: s.kind });
  }
  return findings;
}
