#!/usr/bin/env node
// The running kernel's speed budgets of issue 14, measured as whole processes side by side with
// the peer a user would run instead, runs alternating ours and the peer's (so machine load hits
// both alike), medians compared:
//
//   index --live  `node dist/cli.js index --live -o FILE`   vs `bpftool btf dump file
//                 /sys/kernel/btf/vmlinux format raw` (output to /dev/null)      budget ≤ 1.0×
//                 twice: with the cached live atlas of the running kernel (what a user meets
//                 from the second run of any bpf-atlas command on this boot and module set) and
//                 cold (BPF_ATLAS_CACHE=off: read BTF, kallsyms, tracefs and encode)
//   lookup        `node dist/cli.js lookup tracepoint:sched:sched_switch` (default settings)
//                 vs `bpftrace -l tracepoint:sched:sched_switch`                budget ≤ 2.0×
//
// When hyperfine is installed, each pair is measured by it too (`hyperfine -N`, its medians), as
// an outside check of our loop. A figure that cannot be measured here (no bpftool, bpftrace
// missing or failing, no BTF) says why.
//
// Standalone: `node bench/live.mjs [--runs N] [--json FILE]` after `npm run build`; prints a table
// (stderr) and the JSON (stdout). From another script: `import { measureLive } from './live.mjs'`.
// Owned by the live-kernel area; bench/run.mjs may call it.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const BTF = '/sys/kernel/btf/vmlinux';
const TARGET = 'tracepoint:sched:sched_switch';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x, d = 1) => (x === undefined || x === null ? null : Math.round(x * 10 ** d) / 10 ** d);
const firstLine = (s) => String(s ?? '').trim().split('\n')[0].slice(0, 200);

function which(cmd) {
  for (const dir of (process.env.PATH || '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin'])) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** One whole process: wall time in ms, status, stderr. Output to /dev/null. */
function run(cmd, args, env) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: { ...process.env, ...env } });
  return { ms: performance.now() - t0, status: r.status, stderr: r.stderr ?? r.error?.message ?? '' };
}

/** Runs of ours and the peer's, alternating, after one warm-up run of each. */
function alternate(runs, ours, peer) {
  ours();
  peer?.();
  const a = [];
  const b = [];
  for (let i = 0; i < runs; i++) {
    const x = ours();
    if (x.status !== 0) throw new Error(`bpf-atlas failed: ${firstLine(x.stderr)}`);
    a.push(x.ms);
    if (peer) b.push(peer().ms);
  }
  return [a, b];
}

/** hyperfine's medians of the two commands (shell-free), or why not. */
function hyperfine(runs, ours, peer, env) {
  const hf = which('hyperfine');
  if (!hf) return { unavailable: 'hyperfine is not installed' };
  const out = path.join(os.tmpdir(), `bpf-atlas-live-hf-${process.pid}.json`);
  const quote = (argv) => argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  const args = ['-N', '--warmup', '1', '--runs', String(runs), '--export-json', out, '--output', 'null', quote(ours)];
  if (peer) args.push(quote(peer));
  const r = spawnSync(hf, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: { ...process.env, ...env } });
  try {
    if (r.status !== 0) return { unavailable: `hyperfine failed: ${firstLine(r.stderr)}` };
    const res = JSON.parse(fs.readFileSync(out, 'utf8')).results;
    const ms = (i) => round(res[i].median * 1000);
    return peer ? { ours: ms(0), peer: ms(1), ratio: round(res[0].median / res[1].median, 2) } : { ours: ms(0) };
  } finally {
    fs.rmSync(out, { force: true });
  }
}

/**
 * Measure the live budgets. `cli`: the built CLI (dist/cli.js); `runs`: timed runs of each side.
 * Returns one record per figure: { name, unit, ours, runs, peer: { tool, value | unavailable },
 * ratio, budget: { max, on: 'ratio', text }, held, how, hyperfine }.
 */
export function measureLive({ cli = path.join(root, 'dist/cli.js'), runs = 15 } = {}) {
  const node = process.execPath;
  const records = [];
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  const canBtf = (() => {
    try {
      fs.accessSync(BTF, fs.constants.R_OK);
      return true;
    } catch {
      return false;
    }
  })();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-live-bench-'));
  try {
    const bpftool = which('bpftool');
    const peerArgs = ['btf', 'dump', 'file', BTF, 'format', 'raw'];
    let bpftoolWhyNot = !bpftool ? 'bpftool is not installed (apt-get install bpftool)' : undefined;
    if (!bpftoolWhyNot) {
      const p = run(bpftool, peerArgs);
      if (p.status !== 0) bpftoolWhyNot = `bpftool failed: ${firstLine(p.stderr)}`;
    }
    const indexBudget = { max: 1.0, on: 'ratio', text: '≤ 1.0× bpftool' };
    for (const [label, env, how] of [
      ['index --live (cached live atlas)', {}, 'the running kernel cached by an earlier bpf-atlas run of this boot and module set (atlas/liveCache.ts): checked and copied under the new id'],
      ['index --live (cold: BPF_ATLAS_CACHE=off)', { BPF_ATLAS_CACHE: 'off' }, 'no cache: BTF, kallsyms and tracefs (when readable) read, then encoded'],
    ]) {
      const out = path.join(tmp, 'live.atlas');
      const ours = [node, cli, 'index', '--live', '-o', out];
      const base = { name: label, unit: 'ms', budget: indexBudget, how: `whole processes, median of ${runs} runs alternating \`node dist/cli.js index --live -o FILE\` and \`bpftool ${peerArgs.join(' ')}\` (output to /dev/null); ${how}` };
      if (!canBtf) {
        records.push({ ...base, ours: null, reason: `${BTF} is not readable here` });
        continue;
      }
      const [a, b] = alternate(runs, () => run(ours[0], ours.slice(1), env), bpftoolWhyNot ? undefined : () => run(bpftool, peerArgs, env));
      const rec = { ...base, ours: round(median(a)), runs: a.map((x) => round(x)) };
      if (bpftoolWhyNot) rec.peer = { tool: 'bpftool', unavailable: bpftoolWhyNot };
      else {
        rec.peer = { tool: 'bpftool btf dump format raw', value: round(median(b)), runs: b.map((x) => round(x)) };
        rec.ratio = round(median(a) / median(b), 2);
        rec.held = rec.ratio <= indexBudget.max;
      }
      rec.hyperfine = hyperfine(Math.min(runs, 10), ours, bpftoolWhyNot ? undefined : [bpftool, ...peerArgs], env);
      records.push(rec);
    }

    const bpftrace = which('bpftrace');
    const btArgs = ['-l', TARGET];
    let bpftraceWhyNot = !bpftrace ? 'bpftrace is not installed (apt-get install bpftrace)' : undefined;
    if (!bpftraceWhyNot) {
      const p = spawnSync(bpftrace, btArgs, { encoding: 'utf8' });
      if (p.status !== 0) bpftraceWhyNot = `bpftrace -l failed here: ${firstLine(p.stderr || p.error?.message)}`;
      else if (!p.stdout.includes(TARGET)) bpftraceWhyNot = `bpftrace -l does not list ${TARGET} here (it reads tracefs, which this user cannot read)`;
    }
    const lookupBudget = { max: 2.0, on: 'ratio', text: '≤ 2.0× bpftrace -l' };
    const ours = [node, cli, 'lookup', TARGET];
    const rec = { name: `lookup ${TARGET}`, unit: 'ms', budget: lookupBudget, how: `whole processes, default settings (the running kernel, its cached atlas), median of ${runs} runs alternating \`node dist/cli.js lookup ${TARGET}\` and \`bpftrace -l ${TARGET}\`` };
    const [a, b] = alternate(runs, () => run(ours[0], ours.slice(1)), bpftraceWhyNot ? undefined : () => run(bpftrace, btArgs));
    rec.ours = round(median(a));
    rec.runs = a.map((x) => round(x));
    if (bpftraceWhyNot) rec.peer = { tool: 'bpftrace -l', unavailable: bpftraceWhyNot };
    else {
      rec.peer = { tool: 'bpftrace -l', value: round(median(b)), runs: b.map((x) => round(x)) };
      rec.ratio = round(median(a) / median(b), 2);
      rec.held = rec.ratio <= lookupBudget.max;
    }
    rec.hyperfine = hyperfine(Math.min(runs, 10), ours, bpftraceWhyNot ? undefined : [bpftrace, ...btArgs]);
    records.push(rec);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return records;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const argv = process.argv.slice(2);
  const opt = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const records = measureLive({ runs: Number(opt('--runs') ?? 15) });
  const doc = { machine: { cpus: os.cpus().length, loadavg: os.loadavg().map((x) => round(x, 2)), kernel: os.release(), user: os.userInfo().username }, records };
  for (const r of records) {
    const peer = r.peer?.value !== undefined ? `${r.peer.value} ms (${r.peer.tool})` : `peer unavailable: ${r.peer?.unavailable ?? r.reason}`;
    const hf = r.hyperfine?.ratio !== undefined ? `; hyperfine ${r.hyperfine.ours}/${r.hyperfine.peer} ms = ${r.hyperfine.ratio}×` : '';
    process.stderr.write(`${r.name}: ${r.ours ?? '-'} ms vs ${peer}${r.ratio !== undefined ? ` = ${r.ratio}× (budget ${r.budget.text}: ${r.held ? 'held' : 'MISSED'})` : ''}${hf}\n`);
  }
  const json = `${JSON.stringify(doc, null, 2)}\n`;
  if (opt('--json')) fs.writeFileSync(opt('--json'), json);
  process.stdout.write(json);
}
