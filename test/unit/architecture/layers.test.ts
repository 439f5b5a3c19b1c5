// Keeps the layering of docs/architecture.md true: every import between our own files (static
// imports and exports, type-only ones too, dynamic import() and require()) is read with the
// TypeScript compiler's parser, and the test fails on an import cycle between files or between
// folders, on an arrow from a lower layer to a higher one, and on a runtime require() of our own
// modules.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { repoRoot } from '../../repoRoot';

const root = repoRoot();
const SOURCES = ['server/src', 'client/src'];

/** Layer of a file, lowest first: a file may import its own layer's folder and lower layers only. */
const LAYERS: [RegExp, number, string][] = [
  [/^server\/src\/model\//, 0, 'model'],
  [/^server\/src\/(dataDir|settings|protocol|cacheDir)\.ts$/, 1, 'base'],
  [/^server\/src\/kernel\//, 1, 'kernel'],
  [/^server\/src\/syntax\//, 1, 'syntax'],
  [/^server\/src\/knowledge\//, 1.5, 'knowledge'],
  [/^server\/src\/atlas\//, 2, 'atlas'],
  [/^server\/src\/analysis\//, 3, 'analysis'],
  [/^server\/src\/features\//, 4, 'features'],
  [/^server\/src\/check\//, 5, 'check'],
  [/^server\/src\/(server|services|serve|main|cli|cliEntry)\.ts$/, 6, 'front ends'],
  [/^server\/src\/(cli|lsp)\//, 6, 'front ends'],
  [/^client\/src\//, 7, 'client'],
];

/** Runtime require()s of our own modules that are known and owned elsewhere (none left: the
 *  atlas imports the one live-kernel reader statically). */
const REQUIRE_EXCEPTIONS = new Set<string>();

function layerOf(file: string): { rank: number; name: string } {
  for (const [re, rank, name] of LAYERS) if (re.test(file)) return { rank, name };
  throw new Error(`${file} is in no layer: add it to LAYERS and docs/architecture.md`);
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...listFiles(rel));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

function resolve(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  for (const candidate of [`${base}.ts`, `${base}/index.ts`]) if (fs.existsSync(path.join(root, candidate))) return candidate;
  return undefined;
}

interface Arrow { from: string; to: string; runtimeRequire: boolean }

function arrowsOf(file: string): Arrow[] {
  const source = ts.createSourceFile(file, fs.readFileSync(path.join(root, file), 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: Arrow[] = [];
  const add = (spec: string, runtimeRequire: boolean) => {
    const to = resolve(file, spec);
    if (to) out.push({ from: file, to, runtimeRequire });
  };
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, false);
    } else if (ts.isCallExpression(node) && node.arguments.length && ts.isStringLiteral(node.arguments[0])) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0].text, false);
      else if (ts.isIdentifier(callee) && callee.text === 'require') add(node.arguments[0].text, true);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

const files = SOURCES.flatMap(listFiles);
const arrows = files.flatMap(arrowsOf);

/** Strongly connected components with more than one node (Tarjan). */
function cycles(nodes: readonly string[], edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of nodes) if (!idx.has(v)) strong(v);
  return out;
}

function graph(key: (file: string) => string): { nodes: string[]; edges: Map<string, Set<string>> } {
  const edges = new Map<string, Set<string>>();
  for (const a of arrows) {
    const from = key(a.from);
    const to = key(a.to);
    if (from === to) continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from)!.add(to);
  }
  return { nodes: [...new Set(files.map(key))], edges };
}

test('the import graph was read (the test sees the code it guards)', () => {
  assert.ok(files.length > 80, `${files.length} files`);
  assert.ok(arrows.some((a) => a.from === 'server/src/features/diagnostics.ts' && a.to === 'server/src/features/c/diagnostics.ts'));
});

test('no import cycle between files', () => {
  const { nodes, edges } = graph((f) => f);
  assert.deepEqual(cycles(nodes, edges), []);
});

/** The unit of the folder rule: a folder of server/src with its subfolders (syntax/ and its
 *  syntax/bcc/ are one), and each file at the top of server/src on its own. */
function unitOf(file: string): string {
  const m = /^(server\/src|client\/src)\/([^/]+)\//.exec(file);
  return m ? `${m[1]}/${m[2]}` : file;
}

test('no import cycle between folders', () => {
  const { nodes, edges } = graph(unitOf);
  assert.deepEqual(cycles(nodes, edges), []);
});

test('layers point one way: no arrow from a lower layer to a higher one or across a layer', () => {
  const wrong: string[] = [];
  for (const a of arrows) {
    const from = layerOf(a.from);
    const to = layerOf(a.to);
    if (to.rank > from.rank || (to.rank === from.rank && to.name !== from.name)) {
      wrong.push(`${a.from} (${from.name}) -> ${a.to} (${to.name})`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('the client speaks to the server through the protocol and settings only', () => {
  const wrong = arrows.filter((a) => a.from.startsWith('client/') && a.to.startsWith('server/')
    && !/^server\/src\/(protocol|settings)\.ts$|^server\/src\/model\//.test(a.to)).map((a) => `${a.from} -> ${a.to}`);
  assert.deepEqual(wrong, []);
});

test('no runtime require() of our own modules', () => {
  const found = arrows.filter((a) => a.runtimeRequire).map((a) => `${a.from} -> ${a.to}`).filter((a) => !REQUIRE_EXCEPTIONS.has(a));
  assert.deepEqual(found, []);
});
