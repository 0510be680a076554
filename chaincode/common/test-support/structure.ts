/**
 * The structure checks every chaincode runs over its own sources: the determinism guard (rule 7: no
 * clocks, randomness, timers, env or I/O) and the contract layout (rules 1-2). Each package's
 * test/structure.test.ts calls these with its own src directory and contracts list.
 */
import './quiet';
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Contract } from 'fabric-contract-api';
import { ClockCheckedContract } from '../src/clock-skew';

export function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Comments may explain the rules; code may not break them. */
export function code(path: string): string {
  return readFileSync(path, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '');
}

export const BANNED: readonly (readonly [string, RegExp])[] = [
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

/**
 * The one sanctioned exception, by rule and file: chaincode/common's peer-clock.ts reads the endorsing peer's
 * clock, which decides only whether a write is endorsed (a skewed proposal is refused), never what it writes.
 */
export const SANCTIONED: Readonly<Record<string, readonly string[]>> = {
  Date: ['chaincode/common/src/peer-clock.ts'],
};

/** Every file under `srcDir` is free of clocks, randomness, timers, env, I/O and module-level `let`. */
export function determinismGuard(srcDir: string): void {
  describe('determinism guard: chaincode sources', () => {
    const files = sources(srcDir);
    it('finds the sources', () => {
      assert.ok(files.length > 5, `scanned ${files.length} files under ${srcDir}`);
    });
    for (const [name, pattern] of BANNED) {
      it(`no ${name}`, () => {
        const allowed = SANCTIONED[name] ?? [];
        const offenders = files.filter(
          (f) => pattern.test(code(f)) && !allowed.some((a) => f.endsWith(`/${a}`)),
        );
        assert.deepEqual(offenders, []);
      });
    }
    it('no module-level `let`', () => {
      const offenders = files.filter((f) => /^let\s/m.test(code(f)));
      assert.deepEqual(offenders, []);
    });
    it('the scanner itself catches a violation', () => {
      const sample = 'const t = Date.now(); const r = Math.random(); import { readFileSync } from "node:fs";';
      assert.ok(BANNED.filter(([, p]) => p.test(sample)).length >= 3);
    });
  });
}

/**
 * Every public method of each contract is a decorated transaction; queries declare what they return; every
 * contract refuses a write proposed with a skewed clock (it extends ClockCheckedContract).
 */
export function transactionsDecorated(contracts: readonly (new () => Contract)[]): void {
  for (const ContractClass of contracts) {
    const instance = new ContractClass();
    it(`${instance.getName()}: extends ClockCheckedContract (skewed writes refused)`, () => {
      assert.ok(instance instanceof ClockCheckedContract);
    });
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
}

/** A chaincode's layout: index.ts exports only the contracts list, and every contract is decorated. */
export function contractLayout(srcDir: string, contracts: readonly (new () => Contract)[]): void {
  describe('contract layout', () => {
    it('index exports only the contracts list', () => {
      const index = code(join(srcDir, 'index.ts'));
      assert.deepEqual(
        [...index.matchAll(/export\s+(?:const|function|class|let|default)\s+(\w+)?/g)].map((m) => m[1]),
        ['contracts'],
      );
    });
    transactionsDecorated(contracts);
  });
}
