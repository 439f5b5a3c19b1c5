// LiveKernel (the lazy index of the running kernel) must answer exactly what the KernelIndex
// built from live.ts's eager factsFromLive answers: same FunctionFacts, TracepointFacts, name
// lists, systems, syscalls, hooks and metadata. Checked on this machine's real /sys and /proc
// (300 functions spread over the alphabet, the named functions, every sched/ event),
// on sysRoots with module symbols, ftrace and blacklist lists, on Debian 6.1 vmlinux + ext4
// split BTF, and without tracefs; an unreadable sysRoot gives a clear message, never a crash.
// The async open (kallsyms awaited) and a failing kallsyms worker give the same answers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openLiveKernel, openLiveKernelAsync, LiveKernel } from '../../../server/src/kernel/liveIndex';
import { readLive, LiveOptions } from '../../../server/src/kernel/live';
import { KernelDataError } from '../../../server/src/kernel/errors';
import { KernelIndex } from '../../../server/src/atlas/kernelIndex';
import { kernelDataFromFacts } from '../../../server/src/atlas/format';
import { debian61Ext4 } from './debian61';
import { repoRoot } from '../../repoRoot';

const LIVE_BTF = '/sys/kernel/btf/vmlinux';
const SCHED_DIR = '/sys/kernel/tracing/events/sched';

const FIXTURES = path.join(repoRoot(), 'test/fixtures/kernel');

function readable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
const btfSkip = readable(LIVE_BTF) ? false : `${LIVE_BTF} is not readable here`;
const tracefsSkip = btfSkip || (readable(SCHED_DIR) ? false : 'tracefs is not mounted at /sys/kernel/tracing');

/** A temporary sysRoot: the real BTF linked in, chosen files written, everything else absent. */
function fakeSysRoot(files: Record<string, string>, linkBtf = true): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sysroot-'));
  if (linkBtf) {
    fs.mkdirSync(path.join(root, 'sys/kernel/btf'), { recursive: true });
    fs.symlinkSync(LIVE_BTF, path.join(root, 'sys/kernel/btf/vmlinux'));
  }
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

/** Both views of one kernel: the lazy LiveKernel and the KernelIndex over the eager facts. */
function both(opts: LiveOptions): { lazy: LiveKernel; eager: KernelIndex; lazyProblems: string[]; eagerProblems: string[] } {
  const { kernel, problems } = openLiveKernel(opts);
  const { facts, problems: eagerProblems } = readLive(opts);
  return { lazy: kernel, eager: new KernelIndex(kernelDataFromFacts(facts)), lazyProblems: problems, eagerProblems };
}

/** `count` names spread evenly over a sorted list. */
function spread(names: readonly string[], count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count && names.length; i++) out.push(names[Math.floor((i * names.length) / count)]);
  return out;
}

/** Asks every question for `fnNames` and the given tracepoints first (the lazy paths), then
 *  compares the whole lists. */
function assertSameAnswers(lazy: LiveKernel, eager: KernelIndex, fnNames: string[], tpNames: string[]): void {
  // before the name list exists, then again after it is built
  for (const prefix of ['vfs_', 'do_sys', 'ext4_', '', 'zzz_none']) {
    assert.deepEqual(lazy.functionNamesWithPrefix(prefix, 25), eager.functionNamesWithPrefix(prefix, 25), `prefix ${prefix}`);
  }
  for (const name of fnNames) {
    assert.deepEqual(lazy.fn(name), eager.fn(name), `fn(${name})`);
    for (const s of eager.fn(name)?.symbols ?? [name]) assert.equal(lazy.hasSymbol(s), eager.hasSymbol(s), `hasSymbol(${s})`);
  }
  for (const name of tpNames) {
    assert.deepEqual(lazy.tracepoint(name), eager.tracepoint(name), `tracepoint(${name})`);
    const sys = eager.tracepoint(name)?.system;
    if (sys) assert.deepEqual(lazy.tracepoint(name, sys), eager.tracepoint(name, sys), `tracepoint(${name}, ${sys})`);
  }
  // The running kernel's names come in no set order (KernelQuery): the same names, each once.
  const lazyNames = lazy.functionNames();
  assert.equal(new Set(lazyNames).size, lazyNames.length, 'functionNames() has no repeats');
  assert.deepEqual([...lazyNames].sort(), eager.functionNames(), 'functionNames()');
  for (const prefix of ['vfs_', 'do_sys', 'ext4_', '', 'zzz_none']) {
    assert.deepEqual(lazy.functionNamesWithPrefix(prefix, 25), eager.functionNamesWithPrefix(prefix, 25), `prefix ${prefix}`);
  }
  assert.deepEqual(new Map(lazy.systems()), new Map(eager.systems()), 'systems()');
  assert.deepEqual(lazy.tracepoints(), eager.tracepoints(), 'tracepoints()');
  assert.deepEqual(lazy.syscalls(), eager.syscalls(), 'syscalls()');
  for (const s of spread(eager.syscalls().map((x) => x.name), 20)) assert.deepEqual(lazy.syscall(s), eager.syscall(s), `syscall(${s})`);
  assert.deepEqual(lazy.lsmHooks(), eager.lsmHooks(), 'lsmHooks()');
  assert.deepEqual(lazy.lsmHook('file_open'), eager.lsmHook('file_open'));
  assert.deepEqual(lazy.extraSymbols(), eager.extraSymbols(), 'extraSymbols()');
  for (const s of eager.extraSymbols().slice(0, 5)) assert.equal(lazy.hasSymbol(s), true, s);
  assert.deepEqual(lazy.kfuncs(), eager.kfuncs(), 'kfuncs()');
  assert.deepEqual(lazy.meta, eager.meta, 'meta');
  assert.equal(lazy.fn('no_such_function_in_any_kernel'), undefined);
  assert.equal(lazy.tracepoint('no_such_event_in_any_kernel'), undefined);
}

test('LiveKernel answers what the eager facts answer on the running kernel', { skip: tracefsSkip }, () => {
  const { lazy, eager, lazyProblems, eagerProblems } = both({});
  assert.ok(eager.functionNames().length > 10000);
  const fnNames = [...spread(eager.functionNames(), 300), 'vfs_read', 'finish_task_switch', 'do_sys_open', 'schedule', 'do_exit'];
  const sched = fs.readdirSync(SCHED_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  assert.ok(sched.includes('sched_switch'));
  assertSameAnswers(lazy, eager, fnNames, [...sched, 'sys_enter_openat', 'block_rq_issue']);
  // Clones: a suffixed symbol is found by its exact name.
  const renamed = eager.functionNames().map((n) => eager.fn(n)!).find((f) => f.symbols.length && !f.symbols.includes(f.name));
  if (renamed) assert.equal(lazy.hasSymbol(renamed.symbols[0]), true);
  assert.deepEqual([...lazyProblems].sort(), [...eagerProblems].sort());
  // With tracefs readable, a bundled-systems function is never called.
  const { kernel } = openLiveKernel({ bundledSystems: () => { throw new Error('bundled systems read although tracefs answers'); } });
  assert.equal(kernel.tracepoint('sched_switch')?.system, 'sched');
  assert.ok(kernel.systems().get('sched')?.includes('sched_switch'));
});

test('LiveKernel over module symbols, ftrace list and kprobe blacklist', { skip: btfSkip }, () => {
  const kallsyms = fs.readFileSync(path.join(FIXTURES, 'kallsyms/proc-kallsyms-root.txt'), 'utf8')
    + 'ffffffffc0a01000 t demo_mod_read\t[demo_mod]\nffffffffc0a01100 t demo_mod_read.cold\t[demo_mod]\n'
    + 'ffffffffc0a01200 d demo_mod_data\t[demo_mod]\nffffffffc0a01300 t .L_local_label\t[demo_mod]\n';
  const root = fakeSysRoot({
    'proc/kallsyms': kallsyms,
    'proc/sys/kernel/osrelease': '6.12.0-test\n',
    'tracing/available_filter_functions': 'vfs_read\nfinish_task_switch.isra.0\ndemo_mod_read [demo_mod]\n',
    'debug/kprobes/blacklist': '0xffffffff816b5580-0xffffffff816b5600\tdo_sys_open\n',
  });
  try {
    fs.cpSync(path.join(FIXTURES, 'tracefs/events'), path.join(root, 'tracing/events'), { recursive: true });
    const opts = { sysRoot: root, tracefsRoot: path.join(root, 'tracing'), debugfsRoot: path.join(root, 'debug') };
    const { lazy, eager, lazyProblems, eagerProblems } = both(opts);
    assert.equal(lazy.meta.coverage.ftrace, true);
    assert.equal(lazy.meta.coverage.modules, true);
    assert.equal(lazy.fn('demo_mod_read')?.module, 'demo_mod');
    assert.equal(lazy.fn('do_sys_open')?.kprobeBlacklisted, true);
    const names = eager.functionNames();
    assertSameAnswers(lazy, eager, [...spread(names, 300), 'demo_mod_read', 'vfs_read', 'finish_task_switch', 'do_sys_open'],
      eager.tracepoints().map((t) => t.name));
    // every function, not just a sample: the fixture table is small
    for (const n of names) assert.deepEqual(lazy.fn(n), eager.fn(n), n);
    assert.deepEqual([...lazyProblems].sort(), [...eagerProblems].sort());
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('LiveKernel over Debian 6.1 vmlinux + ext4 split BTF: module facts parsed on demand', () => {
  const pair = debian61Ext4();
  const root = fakeSysRoot({ 'sys/kernel/btf/broken_mod': 'garbage' }, false);
  try {
    fs.symlinkSync(pair.baseFile, path.join(root, 'sys/kernel/btf/vmlinux'));
    fs.symlinkSync(pair.moduleFile, path.join(root, 'sys/kernel/btf/ext4'));
    const { lazy, eager, lazyProblems, eagerProblems } = both({ sysRoot: root, bundledSystems: new Map([['ext4_da_write_pages', 'ext4']]) });
    // Nothing asked yet: the module BTF has not been parsed, so its problem is not known yet.
    assert.ok(!lazyProblems.some((p) => p.includes('broken_mod')), lazyProblems.join('\n'));
    assert.equal(lazy.fn('ext4_file_read_iter')?.module, 'ext4');
    assert.ok(lazyProblems.some((p) => p.startsWith(path.join(root, 'sys/kernel/btf/broken_mod') + ': ')), lazyProblems.join('\n'));
    assertSameAnswers(lazy, eager, [...spread(eager.functionNames(), 300), 'ext4_file_read_iter', 'vfs_read'],
      ['ext4_da_write_pages', 'sched_switch', ...spread(eager.tracepoints().map((t) => t.name), 50)]);
    assert.deepEqual([...lazyProblems].sort(), [...eagerProblems].sort());
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('LiveKernel without tracefs: systems from the bundled map, same answers as the facts', { skip: btfSkip }, () => {
  const root = fakeSysRoot({});
  try {
    fs.mkdirSync(path.join(root, 'proc'));
    fs.symlinkSync('/proc/kallsyms', path.join(root, 'proc/kallsyms'));
    const bundledSystems = new Map([['sched_switch', 'sched'], ['sched_wakeup', 'sched'], ['block_rq_issue', 'block']]);
    const { lazy, eager, lazyProblems, eagerProblems } = both({ sysRoot: root, bundledSystems: () => bundledSystems });
    assert.equal(lazy.tracepoint('sched_switch')?.system, 'sched');
    assert.ok(lazyProblems.some((p) => p.includes('tracefs is not readable')), lazyProblems.join('\n'));
    assertSameAnswers(lazy, eager, [...spread(eager.functionNames(), 100), 'vfs_read'], ['sched_switch', 'block_rq_issue', 'sched_waking']);
    assert.deepEqual([...lazyProblems].sort(), [...eagerProblems].sort());
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('LiveKernel with an unreadable sysRoot: a KernelDataError naming the BTF, never a crash', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sysroot-'));
  try {
    assert.throws(() => openLiveKernel({ sysRoot: root }), (e: unknown) =>
      e instanceof KernelDataError && e.file === path.join(root, 'sys/kernel/btf/vmlinux') && /cannot read the kernel BTF: not found/.test(e.message));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('LiveKernel with unreadable kallsyms and tracefs: BTF-only answers, each gap a problem', { skip: btfSkip }, () => {
  const root = fakeSysRoot({ 'proc/kallsyms': 'this is not a symbol table\n'.repeat(50) });
  try {
    const problems: string[] = [];
    const { kernel } = openLiveKernel({ sysRoot: root, onProblem: (m) => problems.push(m) });
    assert.ok(problems.some((p) => p.startsWith(path.join(root, 'proc/kallsyms') + ': not a kallsyms')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('tracefs is not readable')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('kernel release unknown')), problems.join('\n'));
    const f = kernel.fn('vfs_read');
    assert.deepEqual(f?.symbols, ['vfs_read']);
    assert.equal(f?.ftrace, null);
    assert.equal(kernel.meta.coverage.exactFieldOffsets, false);
    assert.deepEqual(kernel.syscalls(), []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

/** What a LiveKernel answers to the questions the editor asks first, as plain data. */
function firstAnswers(k: LiveKernel) {
  const names = [...k.functionNames()].sort();
  const sample = [...spread(names, 200), 'vfs_read', 'finish_task_switch', 'do_sys_open'];
  return {
    names,
    fns: sample.map((n) => k.fn(n)),
    symbols: sample.flatMap((n) => k.fn(n)?.symbols ?? []).map((s) => k.hasSymbol(s)),
    prefix: k.functionNamesWithPrefix('vfs_', 30),
    tracepoint: k.tracepoint('sched_switch', 'sched'),
    extra: k.extraSymbols(),
    meta: k.meta,
  };
}

test('openLiveKernelAsync answers what openLiveKernel answers on the running kernel', { skip: btfSkip }, async () => {
  const sync = openLiveKernel({});
  const async_ = await openLiveKernelAsync({});
  assert.deepEqual(firstAnswers(async_.kernel), firstAnswers(sync.kernel));
  assert.deepEqual([...async_.problems].sort(), [...sync.problems].sort());
});

test('a kallsyms worker that fails: both opens read synchronously, same answers and problems', { skip: btfSkip }, async () => {
  const reference = openLiveKernel({ kallsyms: { worker: false } });
  for (const workerSource of ['throw new Error("no reader here")', '']) {
    const sync = openLiveKernel({ kallsyms: { workerSource, stallMs: 200 } });
    const async_ = await openLiveKernelAsync({ kallsyms: { workerSource } });
    for (const opened of [sync, async_]) {
      assert.deepEqual(firstAnswers(opened.kernel), firstAnswers(reference.kernel));
      assert.deepEqual([...opened.problems].sort(), [...reference.problems].sort());
    }
  }
});

test('openLiveKernelAsync over a sysRoot: kallsyms problems as the sync open reports them', { skip: btfSkip }, async () => {
  for (const kallsyms of ['this is not a symbol table\n'.repeat(50), undefined]) {
    const root = fakeSysRoot(kallsyms === undefined ? {} : { 'proc/kallsyms': kallsyms });
    try {
      const sync = openLiveKernel({ sysRoot: root });
      const async_ = await openLiveKernelAsync({ sysRoot: root });
      assert.deepEqual([...async_.problems].sort(), [...sync.problems].sort());
      assert.ok(async_.problems.some((p) => p.startsWith(path.join(root, 'proc/kallsyms') + ': ')), async_.problems.join('\n'));
      assert.deepEqual(async_.kernel.fn('vfs_read'), sync.kernel.fn('vfs_read'));
      assert.deepEqual(async_.kernel.meta, sync.kernel.meta);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
  const missing = fs.mkdtempSync(path.join(os.tmpdir(), 'sysroot-'));
  try {
    await assert.rejects(openLiveKernelAsync({ sysRoot: missing }), (e: unknown) =>
      e instanceof KernelDataError && e.file === path.join(missing, 'sys/kernel/btf/vmlinux'));
  } finally {
    fs.rmSync(missing, { recursive: true, force: true });
  }
});
