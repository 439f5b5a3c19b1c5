#!/usr/bin/env node
// Compiles the TypeScript (tsc -> out/) and runs node's test runner over the compiled test files of
// the requested layers (default: unit features lsp). Node 20's `node --test` takes paths, not
// globs, so the file list is collected here. Exit status is the test runner's.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const layers = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const wanted = layers.length ? layers : ['unit', 'features', 'lsp'];
const only = process.env.TEST_ONLY; // substring filter on file paths, for quick local loops

console.log('compiling tests (tsc)...');
try {
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
} catch {
  console.error('tsc reported errors: fix them first (npm run typecheck)');
  process.exit(1);
}

function collect(dir) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...collect(p));
    else if (e.name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

// The soak layer starts servers of its own with 10 MB documents and thousands of edits: it runs
// on its own, one file at a time, after the others, so that it never holds several such servers
// in memory at once. (No test asserts timing, so other load cannot fail it.)
const ALONE = new Set(['soak']);
const pick = (layers) => layers.flatMap((l) => collect(path.join(root, 'out/test', l))).filter((f) => !only || f.includes(only));
const shared = pick(wanted.filter((l) => !ALONE.has(l)));
const alone = pick(wanted.filter((l) => ALONE.has(l)));
if (!shared.length && !alone.length) {
  console.error(`no test files found for layers: ${wanted.join(', ')}`);
  process.exit(1);
}
let status = 0;
// --test-force-exit for the soak layer: a file whose tests have all finished exits even if a
// handle of a killed server lingers (seen once in CI: a finished file idled for minutes).
// The hostile layer starts such servers too: a finished hugeLine.test.js idled for minutes
// with only its stdio handles open (seen 2026-12-07 under load), so it gets the same flag.
const forceExit = wanted.includes('hostile') ? ['--test-force-exit'] : [];
for (const [files, flags] of [[shared, ['--test-concurrency=2', ...forceExit]], [alone, ['--test-concurrency=1', '--test-force-exit']]]) {
  if (!files.length) continue;
  const r = spawnSync(process.execPath, ['--test', ...flags, ...files], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) status = r.status ?? 1;
}
process.exit(status);
