/**
 * The structure the code must keep (docs/architecture.md):
 * - the gateway is a service of its own: nothing under gateways/ imports the development launcher (network/);
 * - @coffee/consortium is import-free, and the consortium's facts are defined there only: no other source file
 *   lists the orgs, MSP ids, roles, states, actions, chaincode functions, error codes, document types or private
 *   inputs again (an array of three or more of them, or an object keyed by three or more orgs).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import {
  ACTION_NAMES,
  DOCUMENT_TYPES,
  ERROR_HTTP_STATUS,
  EXPORT_STATUSES,
  MSP_IDS,
  ORG_IDS,
  PRIVATE_INPUTS,
  ROLES,
  TRANSITIONS,
} from '@coffee/consortium';

const ROOT = resolve(__dirname, '..');
const PACKAGE_DIR = 'chaincode/consortium';

/** Source trees whose non-test files may not redefine the consortium's lists. */
const SOURCE_ROOTS = [
  'chaincode/common/src',
  'chaincode/coffee-export/src',
  'chaincode/user-management/src',
  'network/src',
  'network/bench/src',
  'gateways/src',
  'frontend/src',
  'frontend/server',
  'frontend/e2e',
  'frontend/vite.config.ts',
  'scripts',
];

const VOCABULARIES: Readonly<Record<string, ReadonlySet<string>>> = {
  'org ids': new Set(ORG_IDS),
  'MSP ids': new Set(MSP_IDS),
  roles: new Set(ROLES),
  'export statuses': new Set(EXPORT_STATUSES),
  'API actions': new Set(ACTION_NAMES),
  'chaincode functions': new Set(Object.keys(TRANSITIONS)),
  'error codes': new Set(Object.keys(ERROR_HTTP_STATUS)),
  'document types': new Set(DOCUMENT_TYPES),
  'private inputs': new Set(PRIVATE_INPUTS),
};

/** Object keys that make an object a copy of the org table. */
const ORG_KEYS: Readonly<Record<string, ReadonlySet<string>>> = {
  'org ids': new Set(ORG_IDS),
  'MSP ids': new Set(MSP_IDS),
};

const isSource = (f: string): boolean => /\.(ts|tsx|mts)$/.test(f) && !/\.d\.ts$/.test(f);
const isTest = (f: string): boolean => /\.(test|e2e)\.(ts|tsx|mts)$/.test(f) || /\/test\//.test(f);

function walk(path: string): string[] {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return [];
  if (st.isFile()) return [path];
  return readdirSync(path).flatMap((e) =>
    e === 'node_modules' || e === 'dist' || e.startsWith('.') ? [] : walk(join(path, e)),
  );
}

function parse(file: string, text = readFileSync(file, 'utf8')): ts.SourceFile {
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
}

function visit(node: ts.Node, f: (n: ts.Node) => void): void {
  f(node);
  node.forEachChild((c) => visit(c, f));
}

function stringOf(e: ts.Node): string | undefined {
  return ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) ? e.text : undefined;
}

function keyOf(p: ts.ObjectLiteralElementLike): string | undefined {
  if (!ts.isPropertyAssignment(p) && !ts.isShorthandPropertyAssignment(p)) return undefined;
  const n = p.name;
  return ts.isIdentifier(n) || ts.isStringLiteral(n) ? n.text : undefined;
}

/** Where a source text lists one of the consortium's vocabularies again (file:line what). */
export function redefinitions(file: string, text?: string): string[] {
  const source = parse(file, text);
  const out: string[] = [];
  const at = (n: ts.Node): string => `${file}:${source.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  visit(source, (n) => {
    if (ts.isArrayLiteralExpression(n)) {
      const strings = n.elements.map(stringOf);
      if (strings.length < 3 || strings.some((s) => s === undefined)) return;
      for (const [what, set] of Object.entries(VOCABULARIES)) {
        if (strings.every((s) => set.has(s!)))
          out.push(`${at(n)} lists ${what} again: [${strings.join(', ')}]`);
      }
    } else if (ts.isObjectLiteralExpression(n)) {
      // Data about each org, typed by the package's key type (the compiler holds it to the table), is no copy.
      const declared = ts.isVariableDeclaration(n.parent) ? n.parent.type?.getText(source) : undefined;
      if (declared !== undefined && /\b(OrgId|MspId)\b/.test(declared)) return;
      const keys = n.properties.map(keyOf).filter((k): k is string => k !== undefined);
      for (const [what, set] of Object.entries(ORG_KEYS)) {
        const hits = keys.filter((k) => set.has(k));
        if (hits.length >= 3) out.push(`${at(n)} keys an object by ${what} again: {${hits.join(', ')}}`);
      }
    }
  });
  return out;
}

/** Import specifiers (static, dynamic, re-exports) of a source text. */
function importsOf(file: string): string[] {
  const out: string[] = [];
  visit(parse(file), (n) => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier) {
      const s = stringOf(n.moduleSpecifier);
      if (s !== undefined) out.push(s);
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const s = n.arguments[0] && stringOf(n.arguments[0]);
      if (s !== undefined) out.push(s);
    }
  });
  return out;
}

/** Does an import from `file` reach into the launcher (network/ or its workspace package)? */
function reachesLauncher(file: string, spec: string): boolean {
  if (spec === '@coffee/network' || spec.startsWith('@coffee/network/')) return true;
  if (!spec.startsWith('.')) return false;
  const target = relative(ROOT, resolve(dirname(file), spec));
  return target === 'network' || target.startsWith('network/');
}

describe('architecture', () => {
  it('the detector finds a copied status list and a copied org table (it can fail)', () => {
    assert.equal(
      redefinitions('x.ts', "const S = ['SUBMITTED', 'CONTRACT_REGISTERED', 'FX_SUBMITTED'];").length,
      1,
    );
    assert.equal(
      redefinitions('x.ts', "const P = { 'commercial-bank': 1, 'national-bank': 2, ecta: 3 };").length,
      1,
    );
    assert.equal(redefinitions('x.ts', "const R = ['exporter', 'grader'];").length, 0, 'two are not a list');
    assert.equal(
      redefinitions(
        'x.ts',
        "const N: Record<OrgId, string> = { 'commercial-bank': 'a', 'national-bank': 'b', ecta: 'c' };",
      ).length,
      0,
      'data typed by the package’s org ids',
    );
    assert.equal(redefinitions('x.ts', "const Q = ['SUBMITTED', 'x', 'FX_SUBMITTED'];").length, 0);
  });

  it('nothing under gateways/ imports the development launcher (network/)', () => {
    const found: string[] = [];
    for (const file of walk(join(ROOT, 'gateways')).filter(isSource)) {
      for (const spec of importsOf(file)) {
        if (reachesLauncher(file, spec)) found.push(`${relative(ROOT, file)} imports ${spec}`);
      }
    }
    const pkg = JSON.parse(readFileSync(join(ROOT, 'gateways/package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
      if (dep === '@coffee/network') found.push(`gateways/package.json depends on ${dep}`);
    }
    const tsconfig = readFileSync(join(ROOT, 'gateways/tsconfig.json'), 'utf8');
    if (tsconfig.includes('network/')) found.push('gateways/tsconfig.json compiles network/');
    assert.deepEqual(found, []);
  });

  it('@coffee/consortium imports nothing but its own files and reads no environment', () => {
    const found: string[] = [];
    for (const file of walk(join(ROOT, PACKAGE_DIR, 'src')).filter(isSource)) {
      for (const spec of importsOf(file)) if (!spec.startsWith('./')) found.push(`${file} imports ${spec}`);
      const text = readFileSync(file, 'utf8');
      for (const word of ['process.', 'require(', 'globalThis', 'Date.now(']) {
        if (text.includes(word)) found.push(`${file} uses ${word}`);
      }
    }
    assert.deepEqual(found, []);
  });

  it('no source outside @coffee/consortium lists the org table or the vocabulary again', () => {
    const files = SOURCE_ROOTS.flatMap((r) => walk(join(ROOT, r)))
      .filter(isSource)
      .filter((f) => !isTest(f));
    assert.ok(files.length > 100, `scanned ${files.length} files`);
    const found = files.flatMap((f) => redefinitions(relative(ROOT, f), readFileSync(f, 'utf8')));
    assert.deepEqual(found, []);
  });
});
