#!/usr/bin/env node
// Where BCC tools break, per kernel: every attach point of each tool whose own checks pass on a
// kernel (or that has none) and that cannot attach there, from the bundled atlases. This is the
// ground-truth pass behind the BCC diagnostics: each row names the kernel fact (absent, inlined,
// renamed...) and the conditions that reach the attach, for checking by hand.
//
//   npx tsc -p tsconfig.json && node scripts/bcc/breakages.mjs [--kernel ID]... DIR_OR_FILE.py...
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const require = createRequire(import.meta.url);
const out = (p) => require(path.join(root, 'out/server/src', p));
const { loadPythonParser, loadCParser } = out('syntax/parser.js');
const { buildBccModel } = out('syntax/bcc/bccModel.js');
const { conditionsHold } = out('syntax/bcc/conditions.js');
const { compilePythonRegex } = out('syntax/bcc/pyRegex.js');
const { kernelCheckAnswer, syscallPrefix } = out('analysis/bccChecks.js');
const { assess } = out('atlas/assess.js');
const { Atlas } = out('atlas/atlas.js');
const { dataDir } = out('dataDir.js');

const argv = process.argv.slice(2);
const kernels = [];
const paths = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--kernel') kernels.push(argv[++i]);
  else paths.push(argv[i]);
}
if (!kernels.length) kernels.push('debian-11', 'debian-12', 'debian-13', 'ubuntu-18.04', 'ubuntu-20.04', 'ubuntu-22.04', 'ubuntu-24.04');
const files = paths.flatMap((p) => fs.statSync(p).isDirectory()
  ? fs.readdirSync(p).filter((f) => f.endsWith('.py')).sort().map((f) => path.join(p, f)) : [p]);

const atlas = new Atlas({ dataDir: dataDir(), live: false });
const KERNEL_KINDS = new Set(['kprobe', 'kretprobe', 'ksyscall', 'kretsyscall', 'tracepoint', 'raw_tp', 'fentry', 'fexit', 'fmod_ret', 'lsm']);

/** The verdict of one attach point on one kernel: ok, or the error hazards. */
function verdict(kernel, ap) {
  const t = ap.target;
  if (t.regex) {
    const re = compilePythonRegex(t.regex);
    if (!re.ok) return { unknown: `regex: ${re.error}` };
    const matches = [];
    for (const name of kernel.functionNames()) {
      const f = kernel.fn(name);
      for (const s of f?.symbols ?? []) if (re.pattern.test(s)) matches.push(s);
    }
    const ok = matches.filter((s) => assess(kernel, { kind: ap.kind, name: s }).attachable);
    return ok.length ? { ok: true, note: ok.join(',') } : { errors: [`no attachable symbol matches (${matches.join(',') || 'none'})`] };
  }
  let target = { kind: ap.kind, name: t.name, system: t.system };
  if (t.syscall) {
    // bcc puts its own syscall prefix in front and attaches by symbol: no syscall-table lookup.
    const prefix = syscallPrefix(kernel);
    if (!prefix) return { unknown: 'syscall prefix' };
    const kind = ap.kind === 'ksyscall' ? 'kprobe' : ap.kind === 'kretsyscall' ? 'kretprobe' : ap.kind;
    target = { kind, name: prefix + t.name };
  }
  const a = assess(kernel, target);
  const errors = a.hazards.filter((h) => h.severity === 'error').map((h) => `${h.name}: ${h.message}`);
  if (errors.length) return { errors };
  if (!a.found) return { unknown: a.hazards.map((h) => h.name).join(',') };
  return { ok: true, warnings: a.hazards.filter((h) => h.severity === 'warning').map((h) => h.name) };
}

const py = (await loadPythonParser()).create();
const c = (await loadCParser()).create();
const rows = [];
for (const file of files) {
  const text = fs.readFileSync(file, 'utf8');
  const tree = py.parse(text);
  const model = buildBccModel(text, tree, { parseC: (t) => c.parse(t) });
  tree.delete();
  for (const ap of model.attachPoints) {
    if (!KERNEL_KINDS.has(ap.kind) || !ap.target) continue;
    for (const id of kernels) {
      const kernel = atlas.get(id);
      const holds = conditionsHold(ap.conditions, (g) => kernelCheckAnswer(kernel, g));
      if (holds === false) continue;
      const v = verdict(kernel, ap);
      if (!v.errors) continue;
      const t = ap.target;
      rows.push({
        tool: path.basename(file), line: ap.range.start.line + 1, kind: ap.kind,
        target: t.regex ? `re:${t.regex}` : `${t.system ? t.system + ':' : ''}${t.syscall ? '(syscall)' : ''}${t.name}`,
        kernel: id, intent: ap.intent, reached: holds === true ? 'yes' : 'unknown', errors: v.errors,
        conditions: ap.conditions.map((c) => `${c.kind}: ${c.text}`),
      });
    }
  }
}
console.log(JSON.stringify(rows, null, 1));
