#!/usr/bin/env node
// Recall of the BCC model against an independent count of attach sites (count_attach_sites.py,
// Python's ast + regular expressions). A site is a line where an attach to a kernel hook is
// written: an attach_* call, or a C function or probe macro bcc attaches by name. The model finds
// a site when one of its attach points is written on that line (calls: the call's first line;
// auto-attached C: the line of the name).
//
//   npx tsc -p tsconfig.json && node scripts/bcc/recall.mjs DIR_OR_FILE.py...   (prints JSON)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const require = createRequire(import.meta.url);
const { loadPythonParser, loadCParser } = require(path.join(root, 'out/server/src/syntax/parser.js'));
const { buildBccModel } = require(path.join(root, 'out/server/src/syntax/bcc/bccModel.js'));

const KERNEL_KINDS = new Set(['kprobe', 'kretprobe', 'ksyscall', 'kretsyscall', 'tracepoint', 'raw_tp', 'fentry', 'fexit', 'fmod_ret', 'lsm']);

const files = process.argv.slice(2).flatMap((p) => fs.statSync(p).isDirectory()
  ? fs.readdirSync(p).filter((f) => f.endsWith('.py')).sort().map((f) => path.join(p, f)) : [p]);
const counted = JSON.parse(execFileSync('python3', [path.join(root, 'scripts/bcc/count_attach_sites.py'), ...files], { encoding: 'utf8', maxBuffer: 64 << 20 }));

const py = (await loadPythonParser()).create();
const c = (await loadCParser()).create();
const rows = [];
let found = 0, total = 0, extra = 0;
for (const file of files) {
  const text = fs.readFileSync(file, 'utf8');
  const tree = py.parse(text);
  const model = buildBccModel(text, tree, { parseC: (t) => c.parse(t) });
  tree.delete();
  const lines = new Set();
  for (const ap of model.attachPoints) {
    if (!KERNEL_KINDS.has(ap.kind)) continue;
    const fn = ap.handlerFunction;
    const line = ap.via === 'auto' && fn ? (fn.macroRange ?? fn.nameRange).start.line : ap.range.start.line;
    lines.add(line + 1);
  }
  const ref = counted[file];
  const want = new Set([...(ref.calls ?? []), ...(ref.auto ?? [])]);
  const missed = [...want].filter((l) => !lines.has(l)).sort((a, b) => a - b);
  const more = [...lines].filter((l) => !want.has(l)).sort((a, b) => a - b);
  found += want.size - missed.length;
  total += want.size;
  extra += more.length;
  rows.push({ file: path.basename(file), sites: want.size, found: want.size - missed.length, missed, extra: more });
}
console.log(JSON.stringify({ files: files.length, sites: total, found, recall: total ? +(found / total).toFixed(4) : 1, extraSites: extra, rows: rows.filter((r) => r.missed.length || r.extra.length) }, null, 1));
