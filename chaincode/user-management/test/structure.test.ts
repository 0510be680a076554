import './helpers/quiet';
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { contracts } from '../src/index';

const SRC = resolve(__dirname, '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Comments may explain the rules; code may not break them. */
function code(path: string): string {
  return readFileSync(path, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '');
}

describe('determinism guard: chaincode sources', () => {
  const banned: [string, RegExp][] = [
    ['Date', /\bDate\b/],
    ['Math.random', /Math\s*\.\s*random/],
    ['timers', /\b(setTimeout|setInterval|setImmediate)\b/],
    ['process / env', /\bprocess\s*\.|\bprocess\b\s*\[/],
    ['fetch', /\bfetch\s*\(/],
    [
      'I/O modules',
      /(?:from\s+|require\s*\(\s*)['"](?:node:)?(?:fs|fs\/promises|net|http|https|http2|dgram|dns|child_process|os|worker_threads|cluster)['"]/,
    ],
    ['randomness from crypto', /\b(randomBytes|randomUUID|randomInt|randomFill|getRandomValues)\b/],
  ];
  const files = sources(SRC);
  it('finds the sources', () => {
    assert.ok(files.length > 5, `scanned ${files.length} files under ${SRC}`);
  });
  for (const [name, pattern] of banned) {
    it(`no ${name}`, () => {
      const offenders = files.filter((f) => pattern.test(code(f)));
      assert.deepEqual(offenders, []);
    });
  }
  it('no module-level `let`', () => {
    const offenders = files.filter((f) => /^let\s/m.test(code(f)));
    assert.deepEqual(offenders, []);
  });
  it('the scanner itself catches a violation', () => {
    const sample = 'const t = Date.now(); const r = Math.random(); import { readFileSync } from "node:fs";';
    assert.ok(banned.filter(([, p]) => p.test(sample)).length >= 3);
  });
});

describe('contract layout', () => {
  it('index exports only the contracts list', () => {
    const index = code(join(SRC, 'index.ts'));
    assert.deepEqual(
      [...index.matchAll(/export\s+(?:const|function|class|let|default)\s+(\w+)?/g)].map((m) => m[1]),
      ['contracts'],
    );
  });
  for (const Contract of contracts) {
    const instance = new Contract();
    it(`${instance.getName()}: every public method is a decorated transaction`, () => {
      const proto = Object.getPrototypeOf(instance) as object;
      const methods = Object.getOwnPropertyNames(proto).filter((n) => n !== 'constructor');
      const meta = (Reflect.getMetadata('fabric:transactions', proto) ?? []) as {
        name: string;
        tag: string[];
        returns?: unknown;
      }[];
      const decorated = meta.map((t) => t.name).sort();
      assert.deepEqual(methods.sort(), decorated);
      for (const t of meta) {
        if (t.tag.includes('EVALUATE')) {
          assert.ok(t.returns, `${t.name} is a query without @Returns`);
        }
      }
    });
  }
});
