#!/usr/bin/env node
// `npm run bench`: bpf-atlas measured as users meet it, side by side with the tools they would run
// otherwise, in one run on one machine, against the budgets of issue 14.
//
// - Whole processes: `bpf-atlas index --live` vs `bpftool btf dump … format raw`; `bpf-atlas lookup`
//   of one tracepoint vs `bpftrace -l` (where bpftrace can run: root, tracefs).
// - The language server (dist/server.js) over JSON-RPC as an editor drives it, beside clangd on the
//   same libbpf C file with a vmlinux.h made by bpftool: spawn to first completion; completion while
//   typing (an edit before every request, brackets and quotes auto-closed as editors do);
//   diagnostics after changing a target to a function not seen before; resident memory.
// - Default settings (what a new user gets) and 30 target kernels (every bundled kernel + live).
// - `bpf-atlas check` on distinct generated programs (each attaching to a different real hook).
// - A 30,000-line document: time until fully analysed, then body edits.
// - The packaged .vsix.
// Programs attach to real hooks read from a bundled atlas (bench/hooks.ts, bundled here with
// esbuild): the bench needs only what `npm run build` makes plus what it builds itself.
//
// Prints one JSON document (stdout) with every figure, its budget, the peer's figure and whether
// the budget held, and a readable table (stderr). A figure that cannot be measured here (no
// bpftool, bpftrace not root, no BTF) says why instead. Exit status 1 only on a crash of the
// bench or of bpf-atlas; a missed budget is reported, not an error.
//
// Environment: BENCH_QUICK=1 fewer repetitions (a smoke run); BENCH_ONLY=group,group (groups:
// index-live lookup default targets30 doc30k check vsix debian-index scale); BENCH_JSON=file also
// writes the JSON there; BENCH_PROFILE=dir: CPU profiles of every bpf-atlas process there;
// BPF_ATLAS_DEB_DIR: Debian kernel packages (debian-index).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import * as esbuild from 'esbuild';
import { startLsp, positionAt, itemCount } from './lsp.mjs';
import { HookAllocator, file as programFile, typedProgram, HEADER, LICENSE } from './programs.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const QUICK = process.env.BENCH_QUICK === '1';
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : null;
const want = (group) => !ONLY || ONLY.has(group);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-bench-'));
const CLI = path.join(root, 'dist/cli.js');
const SERVER = path.join(root, 'dist/server.js');
// BENCH_PROFILE=DIR: every bpf-atlas process (CLI and server) writes a CPU profile there.
const NODE_ARGS = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_PROFILE)}`] : [];
/** Arguments of `node` running the CLI with `args`. */
const cli = (...args) => [...NODE_ARGS, CLI, ...args];
const SETTINGS_SECTION = 'bpfAtlas';
const FOUR = ['debian-12', 'debian-13', 'ubuntu-22.04', 'ubuntu-24.04'];

const log = (m) => process.stderr.write(`${m}\n`);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]; };
const round = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 10 ** d) / 10 ** d);
const stats = (xs) => (xs.length ? { n: xs.length, p50: round(pct(xs, 50), 2), p99: round(pct(xs, 99), 2), max: round(Math.max(...xs), 2) } : { n: 0 });
const which = (cmd) => {
  for (const dir of (process.env.PATH || '').split(':').concat(['/usr/sbin', '/sbin'])) {
    const p = path.join(dir, cmd);
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* next */ }
  }
  return undefined;
};
const readable = (p) => { try { fs.accessSync(p, fs.constants.R_OK); return true; } catch { return false; } };
const firstLine = (s) => String(s || '').trim().split('\n').filter(Boolean).slice(-1)[0]?.slice(0, 300) ?? '';

// ---------- results ----------

/** One figure. `ours`/`peer` are numbers in `unit`; `budget` is { max, on: 'ours' | 'ratio' }. */
const results = [];
function record(f) {
  const r = { ...f };
  if (r.ours !== undefined && r.ours !== null) r.ours = round(r.ours, r.unit === 'MB' ? 1 : 2);
  if (r.peer?.value !== undefined && r.peer.value !== null) r.peer.value = round(r.peer.value, r.unit === 'MB' ? 1 : 2);
  if (r.ratio === undefined && typeof r.ours === 'number' && typeof r.peer?.value === 'number' && r.peer.value > 0) r.ratio = round(r.ours / r.peer.value, 2);
  if (r.budget && r.status === undefined) {
    const v = r.budget.on === 'ratio' ? r.ratio : r.ours;
    if (typeof v === 'number') r.status = v <= r.budget.max ? 'held' : 'missed';
    else r.status = 'unavailable';
  }
  if (!r.budget && r.status === undefined) r.status = typeof r.ours === 'number' ? 'reported' : 'unavailable';
  results.push(r);
  log(`  ${r.name}: ${r.status}${typeof r.ours === 'number' ? ` ours ${r.ours} ${r.unit}` : ''}${r.peer ? ` | ${r.peer.tool} ${r.peer.value ?? `unavailable (${r.peer.unavailable})`}` : ''}${r.reason ? ` (${r.reason})` : ''}`);
  return r;
}
const failures = [];
async function group(name, fn) {
  if (!want(name)) return;
  log(`[${name}]`);
  const t = performance.now();
  try {
    await fn();
  } catch (e) {
    failures.push({ group: name, error: e?.stack || String(e) });
    results.push({ name: `${name} (failed)`, status: 'crashed', error: String(e?.message || e) });
    log(`  ${name} FAILED: ${e?.stack || e}`);
  }
  log(`  (${((performance.now() - t) / 1000).toFixed(1)} s)`);
}

// ---------- the environment ----------

const uid = process.getuid?.() ?? -1;
const tracefsDir = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'].find((d) => readable(path.join(d, 'events/sched/sched_switch/format')));
const tools = { bpftool: which('bpftool'), bpftrace: which('bpftrace'), clangd: which('clangd'), time: fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined };
const env = {
  cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGb: round(os.totalmem() / 2 ** 30, 1), node: process.version, kernel: os.release(),
  user: uid === 0 ? 'root' : `uid ${uid}`,
  btf: readable('/sys/kernel/btf/vmlinux'),
  tracefs: tracefsDir ?? null,
  kallsymsAddresses: (() => { try { const l = fs.readFileSync('/proc/kallsyms', 'latin1').slice(0, 200).split('\n')[0]; return !/^0+ /.test(l); } catch { return false; } })(),
  tools: Object.fromEntries(Object.entries(tools).map(([k, v]) => [k, v ?? null])),
  loadAverageAtStart: os.loadavg().map((x) => round(x, 2)),
  quick: QUICK,
};

// ---------- helpers: processes ----------

/** Runs a command to completion; stdout captured (pass `devnull` to discard it). */
function runProcess(cmd, args, { devnull = false, input, envExtra } = {}) {
  const out = devnull ? fs.openSync('/dev/null', 'w') : 'pipe';
  const t = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', out, 'pipe'], encoding: 'utf8', maxBuffer: 1 << 28, input, env: { ...process.env, ...envExtra } });
  const ms = performance.now() - t;
  if (devnull) fs.closeSync(out);
  return { ms, status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

/** Peak resident memory (MB) of one run of a command, from /usr/bin/time; undefined without it. */
function peakRssMb(cmd, args) {
  if (!tools.time) return undefined;
  const f = path.join(tmp, 'time.out');
  const r = spawnSync(tools.time, ['-f', '%M', '-o', f, cmd, ...args], { stdio: 'ignore' });
  if (r.status === null) return undefined;
  const kb = Number(fs.readFileSync(f, 'utf8').trim().split('\n').pop());
  return Number.isFinite(kb) ? kb / 1024 : undefined;
}

/** Alternates ours and the peer `reps` times (so load drifts hit both) and returns the times. */
function sideBySide(reps, ours, peer) {
  const a = [];
  const b = [];
  for (let i = 0; i < reps; i++) {
    if (i % 2) { b.push(peer?.()); a.push(ours()); } else { a.push(ours()); b.push(peer?.()); }
  }
  return [a, b];
}

// ---------- helpers: hooks and the peer's setup ----------

let pool;
let allocator;
async function hookPool() {
  if (pool) return pool;
  const out = path.join(tmp, 'hooks.cjs');
  await esbuild.build({ entryPoints: [path.join(root, 'bench/hooks.ts')], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' });
  pool = require(out).hookPool(path.join(root, 'data'));
  allocator = new HookAllocator(pool);
  log(`  hooks from ${pool.kernel} (${pool.release}): ${pool.functions.length} functions, ${pool.events.length} events, ${pool.rawTracepoints.length} raw tracepoints, ${pool.lsmHooks.length} LSM hooks`);
  return pool;
}
/** `count` real hooks no other program of this run attaches to. */
const hooks = (count) => allocator.take(count);

/** A folder clangd can work in: vmlinux.h from bpftool, compile flags for the BPF target. */
let clangdDir;
let clangdUnavailable;
function clangdSetup() {
  if (clangdDir || clangdUnavailable) return clangdDir;
  if (!tools.clangd) { clangdUnavailable = 'clangd is not installed (apt-get install clangd)'; return undefined; }
  if (!tools.bpftool) { clangdUnavailable = 'no bpftool to write vmlinux.h for clangd (apt-get install bpftool)'; return undefined; }
  if (!env.btf) { clangdUnavailable = '/sys/kernel/btf/vmlinux is not readable: no vmlinux.h for clangd'; return undefined; }
  const dir = path.join(tmp, 'clangd');
  fs.mkdirSync(dir, { recursive: true });
  const fd = fs.openSync(path.join(dir, 'vmlinux.h'), 'w');
  const r = spawnSync(tools.bpftool, ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
  fs.closeSync(fd);
  if (r.status !== 0) { clangdUnavailable = `bpftool could not write vmlinux.h: ${firstLine(r.stderr)}`; return undefined; }
  fs.writeFileSync(path.join(dir, 'compile_flags.txt'), ['-target', 'bpf', '-D__TARGET_ARCH_x86', '-I.', '-g', '-O2'].join('\n') + '\n');
  clangdDir = dir;
  return dir;
}
const libbpfHeaders = readable('/usr/include/bpf/bpf_helpers.h');

// ---------- helpers: language-server sessions ----------

/** Settings as the VS Code client sends them: every key, defaults unless given. */
const settingsWith = (targetKernels) => ({ targetKernels, useLiveKernel: true, atlasFiles: [], hints: { preferTracepoints: true, preferFentry: true }, severity: {}, trace: { server: 'off' } });

// The server is started as the VS Code client starts it: the node options and environment that
// server/src/protocol.ts gives (SERVER_NODE_OPTIONS; bundled here like bench/hooks.ts).
const serverProcess = await (async () => {
  const out = path.join(tmp, 'protocol.cjs');
  await esbuild.build({ entryPoints: [path.join(root, 'server/src/protocol.ts')], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' });
  const m = require(out);
  return { nodeOptions: m.SERVER_NODE_OPTIONS, env: m.serverEnvironment(process.env) };
})();
const ours = (settings, cwd) => startLsp({ command: process.execPath, env: serverProcess.env, args: [...NODE_ARGS, ...serverProcess.nodeOptions, SERVER, '--stdio'], cwd, settings, settingsSection: SETTINGS_SECTION, rootUri: cwd ? `file://${cwd}` : null });
const clangd = (dir) => startLsp({ command: tools.clangd, args: ['--log=error'], cwd: dir, rootUri: `file://${dir}` });

/** A clangd session on `name` (opened with `text`, its first diagnostics awaited) for `fn`. */
async function withClangd(dir, name, text, fn) {
  const c = await clangd(dir);
  try {
    const uri = `file://${path.join(dir, name)}`;
    const v = c.open(uri, 'c', text);
    await c.diagnosticsFor(uri, v, { timeoutMs: 120000 });
    return await fn(c, uri);
  } finally {
    await c.stop();
  }
}

/** bpf-atlas's note that a diagnostics run did not cover the whole document: it stopped at its
 *  work budget, or the document is longer than what is analysed. The note that only the first
 *  1,000 findings are shown is not one: every attach point was checked (findingsCap says so). */
const findingsCap = (p) => p.diagnostics.find((d) => /shows the first \d+ of \d+ findings/.test(d.message))?.message;
const partialNote = (p) => p.diagnostics.find((d) => !/shows the first \d+ of \d+ findings/.test(d.message) && (d.code === 'analysis-limit'
  || (d.severity === 3 && /analysis stopped|analyses the first|before it stopped|checked \d+ of \d+ attach points/i.test(d.message))))?.message;
const stoppedEarly = (p) => partialNote(p) !== undefined;
/** Published diagnostics that cover the whole document (no such note). */
const complete = (p) => !stoppedEarly(p);

// The file a user has open: a libbpf tool with a map, a few hooks and handlers.
const BASE = `${HEADER}
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} start SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	u32 pid = BPF_CORE_READ(next, pid);
	u64 ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &pid, &ts, BPF_ANY);
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int on_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	return ctx->pid == 0;
}

SEC("kprobe/vfs_read")
int BPF_KPROBE(on_read, struct file *file)
{
	return 0;
}

${LICENSE}`;

/** 30 target kernels: live (when offered) and bundled kernels in `kernels` order. */
let thirty;
function thirtyTargets() {
  if (thirty) return thirty;
  const listing = runProcess(process.execPath, cli('kernels', '--json'));
  let kernels;
  try {
    kernels = JSON.parse(listing.stdout).kernels;
  } catch {
    throw new Error(`bpf-atlas kernels --json did not answer JSON: ${firstLine(listing.stderr)}`);
  }
  const live = kernels.some((k) => k.id === 'live') ? ['live'] : [];
  thirty = [...kernels.filter((k) => k.source === 'bundled').map((k) => k.id).slice(0, 30 - live.length), ...live];
  return thirty;
}

/** Where a cold completion is asked: inside SEC("kprobe/vfs_") for ours (every function of the
 *  targets is a candidate), after `bpf_get_cur` in a body for clangd (its declarations). */
function coldCompletionDoc(forClangd) {
  const text = BASE.replace('\treturn 0;\n}\n\n' + LICENSE, '\tbpf_get_current_task();\n\treturn 0;\n}\n\nSEC("kprobe/vfs_")\nint BPF_KPROBE(on_any)\n{\n\treturn 0;\n}\n\n' + LICENSE);
  const at = forClangd ? text.indexOf('bpf_get_current_task();') + 'bpf_get_cur'.length : text.indexOf('SEC("kprobe/vfs_') + 'SEC("kprobe/vfs_'.length;
  return { text, position: positionAt(text, at) };
}

/** Spawn → initialize → open → first completion, in ms; and until the first useful one (one
 *  with at least `useful` items: clangd answers from the words of the file until its preamble of
 *  vmlinux.h is built, then from the declarations), asking again every 50 ms. */
async function spawnToFirstCompletion(start, forClangd, dir, useful = 1) {
  const { text, position } = coldCompletionDoc(forClangd);
  const s = await start();
  try {
    const uri = `file://${path.join(dir, forClangd ? 'cold.bpf.c' : `cold-${Math.random().toString(36).slice(2)}.bpf.c`)}`;
    s.open(uri, 'c', text);
    const ask = () => s.conn.sendRequest('textDocument/completion', { textDocument: { uri }, position, context: { triggerKind: 1 } });
    let items = itemCount(await ask());
    const first = performance.now() - s.t0;
    const firstItems = items;
    while (items < useful && performance.now() - s.t0 < 120000) {
      await new Promise((r) => setTimeout(r, 50));
      items = itemCount(await ask());
    }
    return { ms: items >= useful ? performance.now() - s.t0 : null, first, firstItems, items, rss: s.rss() };
  } finally {
    await s.stop();
  }
}

const OPENERS = { '(': ')', '[': ']', '"': '"' };
/**
 * Types `snippets` at the end of the document, one character per edit, as an editor with
 * auto-closing brackets and quotes does, and asks for completion after every non-blank character.
 * Returns each request's time (ms) and item count.
 */
async function typeAndComplete(s, uri, snippets, triggerChars) {
  const times = [];
  const items = [];
  const where = [];
  let cursor = s.text(uri).length;
  for (const snippet of snippets) {
    for (const ch of snippet) {
      const text = s.text(uri);
      if ((ch === ')' || ch === ']' || ch === '"') && text[cursor] === ch) { cursor++; continue; } // typed over the auto-closed one
      const insert = OPENERS[ch] && !(ch === '"' && text[cursor - 1] === '\\') ? ch + OPENERS[ch] : ch;
      s.edit(uri, cursor, cursor, insert);
      cursor += 1;
      if (/\s/.test(ch)) continue;
      const context = triggerChars.includes(ch) ? { triggerKind: 2, triggerCharacter: ch } : { triggerKind: 1 };
      const [ms, r] = await s.timed('textDocument/completion', { textDocument: { uri }, position: positionAt(s.text(uri), cursor), context });
      times.push(ms);
      items.push(itemCount(r));
      const now = s.text(uri);
      where.push(now.slice(now.lastIndexOf('\n', cursor - 1) + 1, cursor).trim());
    }
    cursor = s.text(uri).length; // every auto-closed character has been typed over
  }
  // The slowest requests, with the line typed so far: where a budget is missed.
  const slowest = times.map((ms, i) => ({ ms: round(ms), typed: where[i] })).sort((a, b) => b.ms - a.ms).slice(0, 20);
  return { times, items, slowest };
}

// ---------- figures ----------

async function indexLive() {
  const reps = QUICK ? 3 : 7;
  const out = path.join(tmp, 'live.atlas');
  const oursRun = () => runProcess(process.execPath, cli('index', '--live', '-o', out));
  const peerArgs = ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'raw'];
  const probe = oursRun();
  let peerUnavailable = !tools.bpftool ? 'bpftool is not installed (apt-get install bpftool)' : undefined;
  if (!peerUnavailable) {
    const p = runProcess(tools.bpftool, peerArgs, { devnull: true });
    if (p.status !== 0) peerUnavailable = `bpftool failed: ${firstLine(p.stderr)}`;
  }
  const how = 'whole processes, median of runs alternating ours and the peer: `node dist/cli.js index --live -o FILE` (read BTF, kallsyms, tracefs when readable; encode; write the atlas file) vs `bpftool btf dump file /sys/kernel/btf/vmlinux format raw` with its output to /dev/null';
  if (probe.status !== 0) {
    record({ name: 'index --live (whole process)', unit: 'ms', ours: null, reason: `bpf-atlas index --live failed here: ${firstLine(probe.stderr)}`, peer: peerUnavailable ? { tool: 'bpftool', unavailable: peerUnavailable } : { tool: 'bpftool' }, budget: { max: 1.0, on: 'ratio', text: '≤ 1.0× bpftool' }, how });
    return;
  }
  const [a, b] = sideBySide(reps, () => oursRun().ms, peerUnavailable ? undefined : () => runProcess(tools.bpftool, peerArgs, { devnull: true }).ms);
  const oursRss = peakRssMb(process.execPath, cli('index', '--live', '-o', out));
  const peerRss = peerUnavailable ? undefined : peakRssMb(tools.bpftool, peerArgs);
  record({
    name: 'index --live (whole process)', unit: 'ms', ours: median(a), runs: a.map((x) => round(x)),
    peer: peerUnavailable ? { tool: 'bpftool', unavailable: peerUnavailable } : { tool: 'bpftool btf dump format raw', value: median(b), runs: b.map((x) => round(x)) },
    budget: { max: 1.0, on: 'ratio', text: '≤ 1.0× bpftool' },
    detail: { atlasBytes: fs.statSync(out).size, peakRssMb: round(oursRss), peerPeakRssMb: round(peerRss), stdout: firstLine(probe.stdout), notes: probe.stderr.trim().split('\n').filter(Boolean).length },
    how,
  });
}

async function lookup() {
  const reps = QUICK ? 3 : 7;
  const target = 'tracepoint:sched:sched_switch';
  const oursRun = () => runProcess(process.execPath, cli('lookup', target));
  const probe = oursRun();
  const how = `whole processes, default settings, median of runs alternating: \`node dist/cli.js lookup ${target}\` vs \`bpftrace -l ${target}\``;
  let peerUnavailable;
  if (!tools.bpftrace) peerUnavailable = 'bpftrace is not installed (apt-get install bpftrace)';
  else {
    const p = runProcess(tools.bpftrace, ['-l', target]);
    if (p.status !== 0) peerUnavailable = `bpftrace cannot run here: ${firstLine(p.stderr) || `exit ${p.status}`}`;
    else if (!p.stdout.includes('sched_switch')) peerUnavailable = `bpftrace -l found nothing${env.tracefs ? '' : ' (tracefs is not mounted: it lists tracepoints from tracefs)'}`;
  }
  if (probe.status !== 0 || !/sched_switch/.test(probe.stdout)) {
    record({ name: 'lookup of one tracepoint (whole process)', unit: 'ms', ours: null, reason: `bpf-atlas lookup failed (exit ${probe.status}): ${firstLine(probe.stderr)}`, peer: { tool: 'bpftrace -l', unavailable: peerUnavailable }, budget: { max: 2.0, on: 'ratio', text: '≤ 2.0× bpftrace -l' }, how });
    failures.push({ group: 'lookup', error: `bpf-atlas lookup failed: ${probe.stderr.slice(0, 400)}` });
    return;
  }
  const [a, b] = sideBySide(reps, () => oursRun().ms, peerUnavailable ? undefined : () => runProcess(tools.bpftrace, ['-l', target]).ms);
  record({
    name: 'lookup of one tracepoint (whole process)', unit: 'ms', ours: median(a), runs: a.map((x) => round(x)),
    peer: peerUnavailable ? { tool: 'bpftrace -l', unavailable: peerUnavailable } : { tool: 'bpftrace -l', value: median(b), runs: b.map((x) => round(x)) },
    budget: { max: 2.0, on: 'ratio', text: '≤ 2.0× bpftrace -l' },
    detail: { peakRssMb: round(peakRssMb(process.execPath, cli('lookup', target))), kernels: (probe.stdout.match(/^\S+.*$/m) ?? [''])[0].slice(0, 120) },
    how,
  });
}

/** Default settings: spawn to first completion (median), hover, resident memory. */
async function defaults() {
  const dir = path.join(tmp, 'default');
  fs.mkdirSync(dir, { recursive: true });
  const reps = QUICK ? 3 : 7;
  const settings = settingsWith([]);
  const runs = [];
  for (let i = 0; i < reps; i++) runs.push(await spawnToFirstCompletion(() => ours(settings, dir), false, dir));
  const cDir = clangdSetup();
  let peer = { tool: 'clangd', unavailable: clangdUnavailable };
  if (cDir) {
    const cRuns = [];
    for (let i = 0; i < (QUICK ? 1 : 3); i++) cRuns.push(await spawnToFirstCompletion(() => clangd(cDir), true, cDir, 3));
    peer = { tool: 'clangd (vmlinux.h), first useful completion', value: median(cRuns.map((r) => r.ms ?? Infinity)), runs: cRuns.map((r) => round(r.ms)), items: cRuns.map((r) => r.items), firstAnswerMs: cRuns.map((r) => round(r.first)), firstAnswerItems: cRuns.map((r) => r.firstItems) };
  }
  const empty = runs.filter((r) => !r.firstItems).length;
  const med = median(runs.map((r) => r.ms ?? Infinity));
  record({
    name: 'cold start, default settings (spawn → first completion)', unit: 'ms', ours: Number.isFinite(med) ? med : null, runs: runs.map((r) => round(r.ms)),
    detail: { items: runs.map((r) => r.items), firstAnswerEmpty: empty }, peer,
    budget: { max: 600, on: 'ours', text: 'median ≤ 600 ms' },
    ...(empty ? { reason: `${empty} first answers were empty (timed until one had items)` } : {}),
    how: 'spawn dist/server.js, initialize (settings as VS Code sends them: targetKernels [] = the running kernel when readable), open a libbpf tool, completion in SEC("kprobe/vfs_"); median of runs. clangd: spawn, open the same file (vmlinux.h from bpftool), completion after `bpf_get_cur` in a body until an answer comes from the declarations (≥ 3 items; before its preamble is built clangd answers from the words of the file).',
  });
  await hoverAndMemory(settings, dir, 'default settings', { hoverBudget: true });
}

/** Hover over distinct attach points (every SEC of a file of distinct hooks, twice), then RSS. */
async function hoverAndMemory(settings, dir, label, { hoverBudget, s: given } = {}) {
  const s = given ?? await ours(settings, dir);
  try {
    const hs = hooks(QUICK ? 60 : 150);
    const text = programFile(hs);
    const uri = `file://${path.join(dir, `hover-${label.replace(/\W+/g, '-')}.bpf.c`)}`;
    const v = s.open(uri, 'c', text);
    await s.diagnosticsFor(uri, v, { accept: complete, timeoutMs: 60000 });
    const positions = [];
    for (let at = text.indexOf('SEC("'); at >= 0; at = text.indexOf('SEC("', at + 1)) {
      if (text.startsWith('SEC("license")', at)) continue;
      positions.push(positionAt(text, at + 5 + Math.min(8, text.indexOf('"', at + 5) - at - 6)));
    }
    const times = [];
    let empty = 0;
    for (let pass = 0; pass < 2; pass++) {
      for (const position of positions) {
        const [ms, r] = await s.timed('textDocument/hover', { textDocument: { uri }, position });
        times.push(ms);
        if (!r) empty++;
      }
    }
    const st = stats(times);
    record({
      name: `hover on distinct attach points, ${label}`, unit: 'ms', ours: st.p99, detail: { ...st, distinctHooks: positions.length, emptyAnswers: empty },
      peer: { tool: 'clangd', unavailable: 'no peer: clangd knows nothing of attach points' },
      ...(hoverBudget ? { budget: { max: 10, on: 'ours', text: 'p99 ≤ 10 ms' } } : {}),
      how: `hover on each SEC("…") of a file of ${positions.length} programs on distinct real hooks (first pass uncached, second pass as a user hovering again), p99 of ${times.length} requests`,
    });
    const mb = s.rss();
    if (!given) {
      record({ name: `server RSS, ${label}`, unit: 'MB', ours: mb, budget: { max: 250, on: 'ours', text: '≤ 250 MB' }, how: 'VmRSS of dist/server.js after opening a file of distinct hooks, its diagnostics and hover' });
    }
  } finally {
    if (!given) await s.stop();
  }
}

/** 30 target kernels: first completion after spawn, typing, diagnostics after a target change, hover, RSS. */
async function targets30() {
  const dir = path.join(tmp, 'targets30');
  fs.mkdirSync(dir, { recursive: true });
  const targets = thirtyTargets();
  const label = `${targets.length} target kernels`;
  log(`  targets: ${targets.join(' ')}`);
  const settings = settingsWith(targets);
  const cDir = clangdSetup();

  // First completion after spawn.
  const firsts = [];
  for (let i = 0; i < (QUICK ? 2 : 5); i++) firsts.push(await spawnToFirstCompletion(() => ours(settings, dir), false, dir));
  let cFirst;
  if (cDir) cFirst = await spawnToFirstCompletion(() => clangd(cDir), true, cDir, 3);
  const fmed = median(firsts.map((r) => r.ms ?? Infinity));
  const fempty = firsts.filter((r) => !r.firstItems).length;
  record({
    name: `first completion after spawn, ${label}`, unit: 'ms', ours: Number.isFinite(fmed) ? fmed : null, runs: firsts.map((r) => round(r.ms)), detail: { items: firsts.map((r) => r.items), firstAnswerEmpty: fempty },
    ...(fempty ? { reason: `${fempty} first answers were empty (timed until one had items)` } : {}),
    peer: cFirst ? { tool: 'clangd (vmlinux.h), first useful completion', value: cFirst.ms, items: cFirst.items, firstAnswerMs: round(cFirst.first), firstAnswerItems: cFirst.firstItems } : { tool: 'clangd', unavailable: clangdUnavailable },
    budget: { max: 800, on: 'ours', text: 'median ≤ 800 ms' },
    how: 'as the cold start, with every bundled kernel and live as targets',
  });

  // Completion while typing: one session of ours, one of clangd, the same keystrokes.
  const typedHooks = hooks(QUICK ? 2 : 7);
  const snippets = typedHooks.map((h, i) => typedProgram(h, `typed_${i}`));
  const s = await ours(settings, dir);
  let peerTyping;
  try {
    const uri = `file://${path.join(dir, 'typing.bpf.c')}`;
    const v = s.open(uri, 'c', BASE);
    await s.diagnosticsFor(uri, v, { accept: complete, timeoutMs: 60000 });
    const typed = await typeAndComplete(s, uri, snippets, s.init.capabilities.completionProvider?.triggerCharacters ?? []);
    if (cDir) {
      peerTyping = await withClangd(cDir, 'typing.bpf.c', BASE, async (c, curi) => {
        const ct = await typeAndComplete(c, curi, snippets, c.init.capabilities.completionProvider?.triggerCharacters ?? []);
        return { tool: 'clangd (vmlinux.h)', value: pct(ct.times, 99), ...stats(ct.times), requestsWithItems: ct.items.filter(Boolean).length, rssMb: round(c.rss()), slowest: ct.slowest };
      });
    }
    const st = stats(typed.times);
    record({
      name: `completion while typing, ${label}`, unit: 'ms', ours: st.p99, detail: { ...st, requestsWithItems: typed.items.filter(Boolean).length, programsTyped: snippets.length, slowest: typed.slowest },
      peer: peerTyping ?? { tool: 'clangd', unavailable: clangdUnavailable },
      budget: { max: 15, on: 'ours', text: 'p99 ≤ 15 ms' },
      how: `${snippets.length} programs on distinct real hooks typed into a libbpf tool one character per edit (brackets and quotes auto-closed), completion after every non-blank character; p99 of the requests, client side. clangd gets the same keystrokes on the same file.`,
    });

    // Diagnostics after changing a target to a function not seen before.
    await targetChanges(s, dir, label, cDir);
    await hoverAndMemory(settings, dir, label, { s });
    const mb = s.rss();
    record({
      name: `server RSS, ${label}`, unit: 'MB', ours: mb,
      peer: peerTyping ? { tool: 'clangd (vmlinux.h), after the same typing', value: peerTyping.rssMb } : { tool: 'clangd', unavailable: clangdUnavailable },
      budget: { max: 250, on: 'ours', text: '≤ 250 MB' },
      how: 'VmRSS of dist/server.js after typing, diagnostics after target changes and hover',
    });
  } finally {
    await s.stop();
  }
}

async function targetChanges(s, dir, label, cDir) {
  const programs = QUICK ? 20 : 50;
  const edits = QUICK ? 15 : 60;
  const base = hooks(programs);
  const text = programFile(base);
  const uri = `file://${path.join(dir, 'targets.bpf.c')}`;
  const v = s.open(uri, 'c', text);
  const opened = await s.diagnosticsFor(uri, v, { accept: complete, timeoutMs: 60000 });
  // New names: functions no other figure uses, each once.
  const fresh = allocator.functions(edits);
  const kprobeIdx = base.map((h, i) => (h.kind === 'kprobe' ? i : -1)).filter((i) => i >= 0);
  const plan = fresh.slice(0, edits).map((name, i) => ({ prog: kprobeIdx[i % kprobeIdx.length], name }));
  const current = base.map((h) => h.section);
  const apply = async (sess, u, timeoutMs, accept) => {
    const times = [];
    let timedOut = 0;
    const sections = [...current];
    for (const { prog, name } of plan) {
      const t = sess.text(u);
      const old = `SEC("${sections[prog]}")`;
      const at = t.indexOf(old) + 5;
      sections[prog] = `kprobe/${name}`;
      const t0 = performance.now();
      const ver = sess.edit(u, at, at + old.length - 7, sections[prog]);
      const p = await sess.diagnosticsFor(u, ver, { accept, timeoutMs });
      if (!p) timedOut++;
      times.push(p ? performance.now() - t0 : timeoutMs);
    }
    return { times, timedOut };
  };
  const r = await apply(s, uri, 30000, complete);
  let peer = { tool: 'clangd', unavailable: clangdUnavailable };
  if (cDir) {
    peer = await withClangd(cDir, 'targets.bpf.c', text, async (c, curi) => {
      const cr = await apply(c, curi, 10000);
      return cr.timedOut === plan.length
        ? { tool: 'clangd', unavailable: 'clangd published no diagnostics after the edits' }
        : { tool: 'clangd (its C diagnostics after the same edit)', value: pct(cr.times, 99), ...stats(cr.times), timedOut: cr.timedOut };
    });
  }
  const st = stats(r.times);
  record({
    name: `diagnostics after changing a target, ${label}`, unit: 'ms', ours: r.timedOut ? null : st.p99, detail: { ...st, timedOut: r.timedOut, programs, diagnosticsOnOpen: opened?.diagnostics.length ?? null, openFullyAnalysed: !!opened },
    ...(r.timedOut ? { status: 'missed', reason: `${r.timedOut} edits got no complete diagnostics within 30 s` } : {}),
    peer, budget: { max: 100, on: 'ours', text: 'p99 ≤ 100 ms' },
    how: `a file of ${programs} programs on distinct real hooks; each edit renames one kprobe's target to a kernel function no edit used before; time from the edit to diagnostics for that version covering the whole file; p99 of ${plan.length} edits`,
  });
}

/** A 30,000-line document: time to fully analysed after open; body-edit diagnostics. */
async function doc30k() {
  const dir = path.join(tmp, 'doc30k');
  fs.mkdirSync(dir, { recursive: true });
  const targets = thirtyTargets();
  const programs = 1000;
  const hs = hooks(programs);
  const text = programFile(hs, 24, 'prog');
  const lines = text.split('\n').length;
  const s = await ours(settingsWith(targets), dir);
  const capMs = QUICK ? 30000 : 60000;
  try {
    const uri = `file://${path.join(dir, 'huge.bpf.c')}`;
    let partials = 0;
    let lastNote;
    const t0 = performance.now();
    const v = s.open(uri, 'c', text);
    const done = await s.diagnosticsFor(uri, v, { timeoutMs: capMs, accept: (p) => { if (stoppedEarly(p)) { partials++; lastNote = partialNote(p); return false; } return true; } });
    const fullMs = done ? performance.now() - t0 : null;
    record({
      name: `${lines.toLocaleString('en')}-line document fully analysed after open, ${targets.length} targets`, unit: 'ms', ours: fullMs,
      detail: { programs, bytes: text.length, partialPublishes: partials, diagnostics: done?.diagnostics.length ?? null, findingsCap: done ? findingsCap(done) : undefined, lastPartialNote: lastNote },
      ...(done ? {} : { status: 'missed', reason: `not fully analysed within ${capMs / 1000} s (${partials} partial publishes${lastNote ? `; last: ${lastNote}` : ''})` }),
      budget: { max: 5000, on: 'ours', text: '≤ 5 s' },
      how: `open a file of ${programs} programs on distinct real hooks (${lines} lines); time until diagnostics without a note that the analysis stopped or covers only part of the file`,
    });
    // Body edits: a character inside a bpf_printk string of a different program each time. The
    // time is to the first diagnostics for the new version; whether they covered the whole file
    // is counted beside it (a file never fully analysed cannot be after an edit either).
    const edits = QUICK ? 8 : 30;
    const times = [];
    let partial = 0;
    let none = 0;
    const editCap = 15000;
    for (let i = 0; i < edits; i++) {
      const t = s.text(uri);
      const at = t.indexOf(`"${hs[(i * 37) % programs].name} %u`) + 1;
      const t1 = performance.now();
      const ver = s.edit(uri, at, at, 'x');
      const p = await s.diagnosticsFor(uri, ver, { timeoutMs: editCap });
      times.push(p ? performance.now() - t1 : editCap);
      if (!p) none++;
      else if (stoppedEarly(p)) partial++;
    }
    const st = stats(times);
    record({
      name: `${lines.toLocaleString('en')}-line document, body edit → diagnostics`, unit: 'ms', ours: none ? null : st.p99, detail: { ...st, editsWithPartialDiagnostics: partial, editsWithoutDiagnostics: none, times: times.map((t) => round(t)) },
      ...(none || partial ? { status: 'missed', reason: `${partial} of ${edits} edits got diagnostics for part of the file only${none ? `, ${none} none within ${editCap / 1000} s` : ''}` } : {}),
      budget: { max: 100, on: 'ours', text: 'p99 ≤ 100 ms' },
      how: `${edits} one-character edits inside handler bodies (a different program each time); time to the diagnostics for that version`,
    });
  } finally {
    await s.stop();
  }
}

/** `check` on distinct programs: ms per additional program on 4 kernels. */
async function check() {
  const n = QUICK ? 300 : 1000;
  const all = hooks(n);
  const dirs = {};
  for (const count of [1, Math.round(n / 10), n]) {
    const d = path.join(tmp, `check-${count}`);
    fs.mkdirSync(d, { recursive: true });
    all.slice(0, count).forEach((h, i) => fs.writeFileSync(path.join(d, `p${i}.bpf.c`), programFile([h], 6, `h${i}`)));
    dirs[count] = d;
  }
  const args = (d) => cli('check', ...FOUR.flatMap((k) => ['--kernel', k]), '--format', 'json', d);
  const times = {};
  let findings = null;
  for (const [count, d] of Object.entries(dirs)) {
    const r = runProcess(process.execPath, args(d));
    if (r.status !== 0 && r.status !== 1) throw new Error(`bpf-atlas check exited ${r.status}: ${r.stderr.slice(0, 400)}`);
    times[count] = r.ms;
    if (Number(count) === n) { try { const j = JSON.parse(r.stdout); findings = j.summary ?? j.findings?.length ?? null; } catch { /* reported as null */ } }
  }
  const per = (times[n] - times[1]) / (n - 1);
  record({
    name: `check: ms per additional distinct program, ${FOUR.length} kernels`, unit: 'ms', ours: per,
    detail: { wholeProcessMs: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, round(v)])), programs: n, findings },
    budget: { max: 3, on: 'ours', text: '≤ 3 ms' },
    how: `\`node dist/cli.js check --kernel ${FOUR.join(' --kernel ')} --format json DIR\` on 1, ${Math.round(n / 10)} and ${n} files, each one program on a different real hook; (t(${n}) − t(1)) / ${n - 1}`,
  });
}

function vsix() {
  const file = path.join(root, 'dist/bpf-atlas.vsix');
  fs.rmSync(file, { force: true });
  const r = spawnSync('npm', ['run', '-s', 'package'], { cwd: root, encoding: 'utf8' });
  // Packaging minifies dist/: build it again so what the developer runs next is the normal build.
  spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, stdio: 'ignore' });
  if (r.status !== 0 || !fs.existsSync(file)) {
    record({ name: 'packaged .vsix', unit: 'MB', ours: null, reason: `npm run package failed: ${firstLine(r.stderr)}`, budget: { max: 25, on: 'ours', text: '≤ 25 MB' } });
    return;
  }
  record({ name: 'packaged .vsix', unit: 'MB', ours: fs.statSync(file).size / 1e6, budget: { max: 25, on: 'ours', text: '≤ 25 MB' }, how: 'npm run package, afresh' });
}

function debianIndex() {
  const debDir = process.env.BPF_ATLAS_DEB_DIR || path.join(root, '.cache/debs');
  const deb = fs.existsSync(debDir) ? fs.readdirSync(debDir).find((f) => /^linux-image-6\.1\..*-unsigned.*\.deb$/.test(f)) : undefined;
  if (!deb) {
    record({ name: 'index a Debian 6.1 image package', unit: 'ms', ours: null, reason: 'no Debian 6.1 image package (scripts/debian/fetch.sh, BPF_ATLAS_DEB_DIR)' });
    return;
  }
  const out = path.join(tmp, 'debian-12.atlas');
  const r = runProcess(process.execPath, cli('index', '--deb', path.join(debDir, deb), '-o', out));
  record({ name: 'index a Debian 6.1 image package', unit: 'ms', ours: r.status === 0 ? r.ms : null, reason: r.status === 0 ? undefined : firstLine(r.stderr), detail: { deb, atlasBytes: fs.existsSync(out) ? fs.statSync(out).size : null }, how: '`node dist/cli.js index --deb IMAGE.deb -o FILE` (vmlinuz → atlas file, modules included), whole process' });
}

/** Atlas size and cold lookup time against the number of kernels in one file (engineer types'
 *  scripts/atlas-scale.ts, bundled here like bench/hooks.ts). */
async function scale() {
  const script = path.join(root, 'scripts/atlas-scale.ts');
  if (!fs.existsSync(script)) {
    record({ name: 'atlas scale (10/100/500 kernels)', unit: 'MB', ours: null, reason: 'scripts/atlas-scale.ts is not in this checkout' });
    return;
  }
  const out = path.join(tmp, 'atlas-scale.cjs');
  await esbuild.build({ entryPoints: [script], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' });
  const counts = QUICK ? '10,100' : '10,100,500';
  const r = runProcess(process.execPath, [out, '--kernels', counts]);
  let doc;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    record({ name: 'atlas scale (10/100/500 kernels)', unit: 'MB', ours: null, reason: `scripts/atlas-scale.ts gave no result (exit ${r.status}): ${firstLine(r.stderr)}` });
    return;
  }
  const bases = doc.bases.map((b) => b.id).join(', ');
  for (const x of doc.results) {
    record({
      name: `atlas file of ${x.kernels} BTF-only kernels: size`, unit: 'MB', ours: x.bytes / 1e6,
      detail: { bytesPerKernel: x.bytesPerKernel, marginalBytesPerKernel: x.marginalBytesPerKernel, writeMs: x.writeMs },
      how: `scripts/atlas-scale.ts: real BTF (${bases}) and synthesised neighbouring builds, written as one atlas file`,
    });
    record({
      name: `atlas file of ${x.kernels} kernels: cold lookup (open, load one kernel, a function, a struct member)`, unit: 'ms',
      ours: x.openMs + x.loadKernelMs + x.firstFunctionMs + x.firstMemberMs,
      detail: { openMs: x.openMs, loadKernelMs: x.loadKernelMs, firstFunctionMs: x.firstFunctionMs, firstMemberMs: x.firstMemberMs },
      how: 'median over 3 kernels spread over the file, 3 fresh opens each',
    });
  }
}

// ---------- the readable table ----------

function table() {
  const rows = [['figure', 'ours', 'peer', 'ratio', 'budget', 'result']];
  const fmt = (v, unit) => (typeof v === 'number' ? `${v.toLocaleString('en')} ${unit}` : '–');
  for (const r of results) {
    const peer = !r.peer ? '' : typeof r.peer.value === 'number' ? `${r.peer.tool}: ${fmt(r.peer.value, r.unit)}` : `${r.peer.tool}: unavailable`;
    const why = r.reason ?? (r.status === 'unavailable' && r.peer?.unavailable ? `${r.peer.tool}: ${r.peer.unavailable}` : undefined);
    rows.push([r.name, fmt(r.ours, r.unit ?? ''), peer, typeof r.ratio === 'number' ? `${r.ratio}×` : '', r.budget?.text ?? '', r.status + (why ? ` (${why})` : '')]);
  }
  const width = rows[0].map((_, c) => Math.min(70, Math.max(...rows.map((row) => String(row[c]).length))));
  const line = (row) => row.map((cell, c) => String(cell).slice(0, 200).padEnd(width[c])).join(' | ');
  return [line(rows[0]), width.map((w) => '-'.repeat(w)).join('-|-'), ...rows.slice(1).map(line)].join('\n');
}

// ---------- run ----------

log(`bpf-atlas bench (${QUICK ? 'quick' : 'full'}): ${env.user}, tracefs ${env.tracefs ?? 'not readable'}, BTF ${env.btf ? 'readable' : 'not readable'}, load ${env.loadAverageAtStart.join(' ')}`);
const started = performance.now();
try {
  for (const f of [CLI, SERVER]) if (!fs.existsSync(f)) throw new Error(`${path.relative(root, f)} is missing: run npm run build`);
  await hookPool();
  await group('index-live', indexLive);
  await group('lookup', lookup);
  await group('default', defaults);
  await group('targets30', targets30);
  await group('doc30k', doc30k);
  await group('check', check);
  await group('debian-index', debianIndex);
  await group('scale', scale);
  await group('vsix', vsix);
} catch (e) {
  failures.push({ group: 'setup', error: e?.stack || String(e) });
  log(`bench failed: ${e?.stack || e}`);
} finally {
  env.loadAverageAtEnd = os.loadavg().map((x) => round(x, 2));
  env.seconds = round((performance.now() - started) / 1000);
  if (allocator) env.hooksHandedOutAgain = allocator.reused;
  const doc = { env, date: new Date().toISOString(), results, failures };
  const json = JSON.stringify(doc, null, 2);
  console.log(json);
  if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, json + '\n');
  log('\n' + table());
  const count = (s) => results.filter((r) => r.status === s).length;
  log(`\n${count('held')} held, ${count('missed')} missed, ${count('unavailable')} unavailable, ${count('reported')} reported${failures.length ? `, ${failures.length} FAILED` : ''}; load average ${env.loadAverageAtStart[0]} → ${env.loadAverageAtEnd[0]} (a busy machine inflates every figure)`);
  fs.rmSync(tmp, { recursive: true, force: true });
  if (failures.length) process.exitCode = 1;
}
