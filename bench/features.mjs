#!/usr/bin/env node
// In-process cost of the editor features over the tsc output in out/ (run `npx tsc -p .` first):
// what a request costs inside the server, without JSON-RPC or debounce. It uses the same program
// shapes as bench/run.mjs (3,000 lines, 300 attach points over 10 hook kinds, 5 target kernels)
// and prints one JSON document: re-parse after a one-character edit, diagnostics on the first run
// and after edits, completion and hover, a 10 MB document, and the closest-name search.
//
// Options: BENCH_QUICK=1 runs fewer repetitions.

import path from 'node:path';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
// BENCH_OUT: another tsc output folder (e.g. an older commit's, for before/after figures).
const outDir = process.env.BENCH_OUT ? path.resolve(process.env.BENCH_OUT) : path.join(root, 'out');
const out = (p) => require(path.join(outDir, p));
const { Atlas } = out('server/src/atlas/atlas.js');
const { loadKnowledge } = out('server/src/knowledge/load.js');
const { DEFAULT_SETTINGS } = out('server/src/settings.js');
const { DocumentStore } = out('server/src/syntax/documents.js');
const { loadCParser } = out('server/src/syntax/parser.js');
const { diagnostics } = out('server/src/features/diagnostics.js');
const { completion } = out('server/src/features/completion.js');
const { hover } = out('server/src/features/hover.js');
const { closestNames } = out('server/src/features/attachReport.js');

const QUICK = process.env.BENCH_QUICK === '1';
const FIVE = ['debian-12', 'debian-13', 'ubuntu-22.04', 'ubuntu-24.04', 'debian-11'];
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]; };
const round = (x) => Math.round(x * 100) / 100;
const time = (f) => { const t = performance.now(); const r = f(); return [performance.now() - t, r]; };
const stats = (xs) => ({ n: xs.length, p50Ms: round(pct(xs, 50)), p95Ms: round(pct(xs, 95)), p99Ms: round(pct(xs, 99)), maxMs: round(Math.max(...xs)) });

// The same program as bench/run.mjs bigProgram().
function bigProgram(attachPoints, lines) {
  const hooks = ['kprobe/vfs_read', 'tracepoint/sched/sched_switch', 'kprobe/do_sys_open', 'tp_btf/sched_wakeup', 'kprobe/blk_account_io_start', 'fentry/tcp_v4_connect', 'kprobe/finish_task_switch', 'raw_tp/sched_switch', 'kprobe/tcp_drop', 'lsm/file_open'];
  const o = ['#include "vmlinux.h"', '#include <bpf/bpf_helpers.h>', '#include <bpf/bpf_tracing.h>', ''];
  const per = Math.floor((lines - 4) / attachPoints);
  for (let i = 0; i < attachPoints; i++) {
    const hook = hooks[i % hooks.length];
    o.push(`SEC("${hook}")`, `int prog_${i}(void *ctx)`, '{');
    for (let k = 0; k < per - 4; k++) o.push(`\tbpf_printk("step ${i}.${k}");`);
    o.push('}');
  }
  return o.join('\n') + '\n';
}

// BENCH_DATA: another data folder (e.g. a committed copy while data/ is being rebuilt).
const dataDir = process.env.BENCH_DATA ? path.resolve(process.env.BENCH_DATA) : path.join(root, 'data');
const knowledge = loadKnowledge(path.join(dataDir, 'knowledge'));
const atlas = new Atlas({ dataDir, live: false });
const ctx = { atlas, targets: FIVE, settings: DEFAULT_SETTINGS, knowledge };
const store = new DocumentStore({ parser: await loadCParser(), resolveSection: knowledge.sectionPrefix });
const results = new Proxy({}, { set(o, k, v) { o[k] = v; process.stderr.write(`${String(k)}: ${JSON.stringify(v)}\n`); return true; } });

// Load the kernels first: loading is the server's start-up cost, not a request's.
const [loadMs] = time(() => FIVE.forEach((id) => atlas.get(id).functionNames()));
results.loadTargets = { ms: round(loadMs) };

const text = bigProgram(300, 3000);
const uri = 'file:///bench/big.bpf.c';
const [openMs, opened] = time(() => store.open(uri, 'c', 1, text));
results.open = { lines: text.split('\n').length, programs: opened.c.programs.length, ms: round(openMs) };

const [firstMs, firstDiags] = time(() => diagnostics(opened, ctx));
results.diagnosticsFirstRun = { ms: round(firstMs), diagnostics: firstDiags.length };

const edits = QUICK ? 10 : 40;
const parse = [];
const diag = [];
let version = 1;
let doc = opened;
for (let i = 0; i < edits; i++) {
  const line = 10 + ((i * 97) % 2900);
  const [p, d] = time(() => store.change(uri, ++version, [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: ' ' }]));
  parse.push(p);
  doc = d;
  diag.push(time(() => diagnostics(doc, ctx))[0]);
}
results.reparseAfterEdit = stats(parse);
results.diagnosticsAfterEdit = { ...stats(diag), totalP95Ms: round(pct(parse.map((p, i) => p + diag[i]), 95)), budget: 'p95 <= 50 ms end to end' };

// Completion at SEC("kprobe/ and hover on a tracepoint, as bench/run.mjs asks them.
const small = `#include "vmlinux.h"\nSEC("tracepoint/sched/sched_process_exec")\nint on_exec(void *ctx) { return 0; }\nSEC("kprobe/")\nint on_any(void *ctx) { return 0; }\n`;
const sdoc = store.open('file:///bench/small.bpf.c', 'c', 1, small);
const n = QUICK ? 200 : 1000;
const comp = [];
let items = 0;
for (let i = 0; i < n; i++) {
  const [ms, r] = time(() => completion(sdoc, { line: 3, character: 12 }, ctx));
  comp.push(ms);
  items = Array.isArray(r) ? r.length : r?.items?.length ?? 0;
}
results.completion = { ...stats(comp), items, budget: 'p99 <= 15 ms' };
const hov = [];
for (let i = 0; i < n; i++) hov.push(time(() => hover(sdoc, { line: 1, character: 24 }, ctx))[0]);
results.hover = { ...stats(hov), budget: 'p99 <= 10 ms' };

// A 10 MB document: open, diagnostics (under its work budget), completion and hover.
// BENCH_SKIP_HUGE=1 leaves it out.
if (process.env.BENCH_SKIP_HUGE !== '1') {
let huge = bigProgram(300, 3000);
while (huge.length < 10e6) huge += huge.replace(/prog_/g, `p${huge.length}_`);
huge = small + huge;
const [hugeOpenMs, hdoc] = time(() => store.open('file:///bench/huge.bpf.c', 'c', 1, huge));
const [hugeDiagMs, hugeDiags] = time(() => diagnostics(hdoc, ctx));
const [hugeCompMs] = time(() => completion(hdoc, { line: 3, character: 12 }, ctx));
const [hugeHoverMs] = time(() => hover(hdoc, { line: 1, character: 24 }, ctx));
const [hugeEditMs, hdoc2] = time(() => store.change('file:///bench/huge.bpf.c', 2, [{ range: { start: { line: 500, character: 0 }, end: { line: 500, character: 0 } }, text: ' ' }]));
const [hugeDiag2Ms] = time(() => diagnostics(hdoc2, ctx));
results.tenMegabytes = {
  bytes: huge.length, programs: hdoc.c.programs.length, openMs: round(hugeOpenMs), diagnosticsMs: round(hugeDiagMs),
  diagnostics: hugeDiags.length, budgetNote: hugeDiags.find((d) => /attach points before it stopped/i.test(d.message))?.message,
  reparseAfterEditMs: round(hugeEditMs), diagnosticsAfterEditMs: round(hugeDiag2Ms), completionMs: round(hugeCompMs), hoverMs: round(hugeHoverMs),
};
}

// The closest-name search for a misspelt function on 5 targets (first time, then memoised).
const misspelt = { kind: 'kprobe', name: 'vfs_raed' };
const [closestFirst, names] = time(() => closestNames(misspelt, ctx));
const [closestAgain] = time(() => closestNames(misspelt, ctx));
const [closestOther] = time(() => closestNames({ kind: 'kprobe', name: 'tcp_sendmsj' }, ctx));
results.closestNames = { firstMs: round(closestFirst), memoisedMs: round(closestAgain), anotherNameMs: round(closestOther), names };

console.log(JSON.stringify({ ...results }, null, 2));
