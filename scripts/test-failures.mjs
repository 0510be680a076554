// What `npm test` prints about its failures at the very end, where CI keeps the output: each failing test with
// the first lines of its error, and the gateways' own "request failed" log lines (5xx, with their cause) written
// while the failing file ran. A CI machine's run directories are gone after the run; these lines are what is left.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ERROR_LINES = 12;
const LOG_LINES = 12;

/**
 * The failing tests of one TAP report (node's tap reporter): `not ok` lines with the start of their YAML
 * diagnostics. Suites that fail only because a test inside them failed are left out (their test is listed).
 */
export function tapFailures(tap) {
  const lines = tap.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const m = lines[i].match(/^(\s*)not ok \d+ - (.*)$/);
    if (!m) continue;
    const keyIndent = m[1].length + 2;
    const block = [];
    for (let j = i + 2; j < lines.length && lines[j].trim() !== '...'; j++)
      block.push(lines[j].slice(keyIndent));
    if (block.some((l) => l.startsWith("failureType: 'subtestsFailed'"))) continue;
    const details = [];
    const location = block.find((l) => l.startsWith('location:'));
    if (location) details.push(location);
    const from = block.findIndex((l) => l.startsWith('error:'));
    if (from >= 0) {
      details.push(block[from]);
      for (const l of block.slice(from + 1)) {
        if (/^[a-zA-Z]\w*:/.test(l)) break; // the next key (code, name, expected, stack …)
        if (l.trim()) details.push(l);
      }
    }
    out.push({ name: m[2], details: details.slice(0, ERROR_LINES) });
  }
  return out;
}

/** Gateway log lines at level error (pino: 50) written at or after `sinceMs`, from every run dir under `runRoot`. */
export function gatewayErrors(runRoot, sinceMs) {
  if (!existsSync(runRoot)) return [];
  const found = [];
  for (const dir of readdirSync(runRoot, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    const logs = join(runRoot, dir.name, 'logs');
    if (!existsSync(logs)) continue;
    for (const f of readdirSync(logs)) {
      if (!f.startsWith('gateway.') || !f.endsWith('.log')) continue;
      for (const line of readFileSync(join(logs, f), 'utf8').split('\n')) {
        if (!line.includes('"level":50')) continue;
        try {
          const e = JSON.parse(line);
          if (e.time < sinceMs) continue;
          const where = e.req ? `${e.req.method} ${e.req.url}` : '';
          const cause = e.err ? `${e.err.type ?? ''}: ${e.err.message ?? ''}`.slice(0, 300) : '';
          found.push({
            time: e.time,
            text: `${dir.name}/${f.replace(/\.log$/, '')} ${new Date(e.time).toISOString()} ${e.msg} ${e.code ?? ''} ${where} ${cause}`,
          });
        } catch {
          // not a JSON line (a crash trace): skipped, the test output has it
        }
      }
    }
  }
  return found
    .sort((a, b) => a.time - b.time)
    .slice(-LOG_LINES)
    .map((e) => e.text);
}

/** The closing block: nothing when all passed. */
export function failureReport(entries) {
  if (entries.length === 0) return '';
  const out = ['', '─── failures ───'];
  for (const e of entries) {
    out.push(`✖ ${e.file}`);
    for (const t of e.tests) {
      out.push(`  ✖ ${t.name}`);
      for (const d of t.details) out.push(`      ${d}`);
    }
    if (e.gatewayErrors.length > 0) {
      out.push('  gateway errors logged while it ran:');
      for (const l of e.gatewayErrors) out.push(`      ${l}`);
    }
  }
  return out.join('\n');
}
