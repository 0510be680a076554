#!/usr/bin/env node
// Thin entry point: runs a TypeScript file of the project with tsx, installing npm packages first if
// node_modules is missing (a fresh clone), so every npm script works on a new machine.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');

export function ensureInstalled() {
  if (existsSync(tsx)) return;
  console.log('[setup] installing npm packages (npm ci) …');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('error: npm ci failed; see the output above');
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  ensureInstalled();
  const [file, ...args] = process.argv.slice(2);
  // Ctrl-C reaches the child too (same process group); let it finish its own clean-up and report.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  const r = spawnSync(process.execPath, [tsx, join(root, file), ...args], { cwd: root, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
