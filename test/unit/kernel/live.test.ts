// Live-kernel facts tests, on this machine's real /sys and /proc: fentry facts of vfs_read equal the
// BTF prototype; with tracefs mounted, sched_switch record fields equal its format file; with
// tracefs hidden (a sysRoot that lacks it) systems come from the caller's bundled map and fields
// from the BTF trace_event_raw_* struct; an empty sysRoot, garbage BTF and hidden kallsyms
// addresses give clear messages, never a crash.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { factsFromLive, readLive, readBtfFile, factsFromBtfFile } from '../../../server/src/kernel/live';
import { parseBtf } from '../../../server/src/kernel/btf';
import { parseEventFormat } from '../../../server/src/kernel/tracefs';
import { KernelDataError } from '../../../server/src/kernel/errors';
import { renderProto } from '../../../server/src/atlas/model';
import type { KernelFacts } from '../../../server/src/atlas/model';
import { debian61Ext4 } from './debian61';
import { repoRoot } from '../../repoRoot';

const LIVE_BTF = '/sys/kernel/btf/vmlinux';
const SCHED_SWITCH = '/sys/kernel/tracing/events/sched/sched_switch/format';

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
const tracefsSkip = btfSkip || (readable(SCHED_SWITCH) ? false : 'tracefs is not mounted at /sys/kernel/tracing');

// Reading the live kernel takes a moment; do it once for the tests that only look.
let liveCache: ReturnType<typeof readLive> | undefined;
function live(): ReturnType<typeof readLive> {
  return (liveCache ??= readLive());
}

/** A temporary sysRoot: the real BTF linked in, chosen files copied, everything else absent. */
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

const fn = (f: KernelFacts, name: string) => f.functions.find((x) => x.name === name);
const tp = (f: KernelFacts, name: string) => f.tracepoints.find((x) => x.name === name);

test('live: fentry facts of vfs_read equal the BTF prototype', { skip: btfSkip }, () => {
  const { facts } = live();
  const btf = parseBtf(fs.readFileSync(LIVE_BTF), { file: LIVE_BTF });
  const f = fn(facts, 'vfs_read');
  assert.ok(f, 'vfs_read is a function of the live kernel');
  assert.equal(f.inBtf, true);
  assert.deepEqual(f.proto, btf.funcProto('vfs_read'));
  assert.equal(renderProto('vfs_read', f.proto!), 'ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t *pos)');
  assert.equal(f.inline, 'unknown', 'no DWARF for the running kernel');
  assert.equal(facts.meta.id, 'live');
  assert.equal(facts.meta.release, fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
  assert.equal(facts.meta.coverage.btf, true);
  assert.equal(facts.meta.coverage.inline, 'none');
  assert.deepEqual(facts.meta.counts, {
    functions: facts.functions.length, tracepoints: facts.tracepoints.length, syscalls: facts.syscalls.length, lsmHooks: facts.lsmHooks.length,
  });
});

test('live: symbols from /proc/kallsyms: plain names, compiler clones, no padding labels', { skip: btfSkip }, () => {
  const { facts } = live();
  const kallsyms = fs.readFileSync('/proc/kallsyms', 'utf8');
  const suffixed = /^\S+ [tT] ((?!__pfx_|__cfi_)([A-Za-z_]\w*)\.(?:isra|constprop)\.\d+)$/m.exec(kallsyms);
  assert.ok(suffixed, 'this kernel has at least one .isra/.constprop clone');
  const f = fn(facts, suffixed[2]);
  assert.ok(f?.symbols.includes(suffixed[1]), JSON.stringify(f));
  assert.ok(!facts.functions.some((x) => x.name.startsWith('__pfx_') || x.name.startsWith('__cfi_')));
  // Every kfunc and LSM hook names a BTF function.
  const btf = parseBtf(fs.readFileSync(LIVE_BTF), { file: LIVE_BTF });
  for (const k of facts.kfuncs ?? []) assert.ok(btf.findByName('FUNC', k) !== undefined, k);
  for (const h of facts.lsmHooks) assert.deepEqual(h.proto, btf.funcProto(`bpf_lsm_${h.name}`));
  assert.ok(facts.lsmHooks.some((h) => h.name === 'file_open'));
  assert.ok(!facts.lsmHooks.some((h) => h.name === 'verify_prog' || h.name === 'func_proto'), 'bpf_lsm.c helpers are not hooks');
});

test('live with tracefs: sched_switch fields equal the format file, args named from BTF', { skip: tracefsSkip }, () => {
  const { facts } = live();
  const format = parseEventFormat(fs.readFileSync(SCHED_SWITCH, 'utf8'), SCHED_SWITCH);
  const t = tp(facts, 'sched_switch');
  assert.ok(t);
  assert.equal(t.system, 'sched');
  assert.equal(t.event, true);
  assert.equal(t.btf, true);
  assert.deepEqual(t.fields?.map((f) => [f.name, f.type, f.offset, f.size, f.signed]),
    format.fields.filter((f) => !f.common).map((f) => [f.name, f.type, f.offset, f.size, f.signed]));
  assert.equal(t.fmt, format.printFmt);
  assert.ok(t.args?.some((a) => a.name === 'prev' && a.type === 'struct task_struct *'));
  assert.equal(facts.meta.coverage.exactFieldOffsets, true);
  // Syscalls come from syscalls/sys_enter_* formats.
  const openat = facts.syscalls.find((s) => s.name === 'openat');
  assert.deepEqual(openat?.args.map((a) => a.name), ['dfd', 'filename', 'flags', 'mode']);
  // Raw-only tracepoints (in BTF, no event in tracefs) are marked so.
  const systems = fs.readdirSync('/sys/kernel/tracing/events', { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  const rawOnly = facts.tracepoints.filter((x) => !x.event);
  for (const r of rawOnly) {
    assert.equal(r.btf, true, r.name);
    assert.equal(r.system, undefined, r.name);
    assert.ok(!systems.some((s) => fs.existsSync(path.join('/sys/kernel/tracing/events', s, r.name))), `${r.name} has no event directory`);
  }
  assert.equal(facts.tracepoints.filter((x) => x.event).length,
    systems.filter((s) => s !== 'ftrace').flatMap((s) => fs.readdirSync(path.join('/sys/kernel/tracing/events', s), { withFileTypes: true }).filter((d) => d.isDirectory())).length,
    'one tracepoint per event directory (ftrace:* excluded)');
  // DEFINE_EVENT instances get their template's argument names when it is provable.
  const wakeup = tp(facts, 'sched_wakeup');
  if (wakeup?.template) assert.ok(wakeup.args?.every((a, i) => a.name !== `arg${i}`));
});

test('live without tracefs: systems from the bundled map, fields from trace_event_raw_*', { skip: btfSkip }, () => {
  const root = fakeSysRoot({
    'proc/sys/kernel/osrelease': 'test-release\n',
    'proc/kallsyms': fs.readFileSync(path.join(FIXTURES, 'kallsyms/proc-kallsyms-root.txt'), 'utf8'),
  });
  try {
    const problems: string[] = [];
    const facts = factsFromLive({ sysRoot: root, bundledSystems: new Map([['sched_switch', 'sched']]), onProblem: (m) => problems.push(m) });
    assert.equal(facts.meta.release, 'test-release');
    assert.equal(facts.meta.version, 'test-release');
    assert.ok(problems.some((p) => p.includes('tracefs is not readable') && p.includes(root)), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('bundled atlases')));
    assert.equal(facts.meta.coverage.exactFieldOffsets, false);
    assert.equal(facts.meta.coverage.ftrace, false);
    assert.deepEqual(facts.syscalls, []);
    const t = tp(facts, 'sched_switch');
    assert.equal(t?.system, 'sched');
    assert.equal(t?.event, true);
    const btf = parseBtf(fs.readFileSync(LIVE_BTF), { file: LIVE_BTF });
    assert.deepEqual(t?.fields, btf.structFields('trace_event_raw_sched_switch'));
    if (readable(SCHED_SWITCH)) {
      const format = parseEventFormat(fs.readFileSync(SCHED_SWITCH, 'utf8'), SCHED_SWITCH);
      assert.deepEqual(t?.fields?.map((f) => [f.name, f.offset, f.size]),
        format.fields.filter((f) => !f.common).map((f) => [f.name, f.offset, f.size]), 'BTF layout equals tracefs');
    }
    // ftrace and blacklist are unknown, not false.
    const vfs = fn(facts, 'vfs_read');
    assert.equal(vfs?.ftrace, null);
    assert.equal(vfs?.kprobeBlacklisted, null);
    assert.deepEqual(vfs?.symbols, ['vfs_read']);
    // The excerpt has start_kernel's address inside _sinittext.._einittext when it lists it.
    const sk = fn(facts, 'start_kernel');
    if (sk?.symbols.length) assert.equal(sk.initOnly, true);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('live with hidden kallsyms addresses: names kept, init-only unknown, problem stated', { skip: btfSkip }, () => {
  const root = fakeSysRoot({ 'proc/kallsyms': fs.readFileSync(path.join(FIXTURES, 'kallsyms/proc-kallsyms-nobody.txt'), 'utf8') });
  try {
    const { facts, problems } = readLive({ sysRoot: root });
    assert.ok(problems.some((p) => p.includes('addresses are hidden')));
    assert.ok(problems.some((p) => p.includes('osrelease')));
    assert.equal(facts.meta.release, 'unknown');
    assert.deepEqual(fn(facts, 'finish_task_switch')?.symbols, ['finish_task_switch.isra.0']);
    assert.ok(!facts.functions.some((f) => f.initOnly));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('live with an empty sysRoot: a KernelDataError naming the missing BTF', () => {
  const root = fakeSysRoot({}, false);
  try {
    assert.throws(() => factsFromLive({ sysRoot: root }), (e: unknown) => {
      assert.ok(e instanceof KernelDataError, String(e));
      assert.equal(e.file, path.join(root, 'sys/kernel/btf/vmlinux'));
      assert.match(e.message, /cannot read .*not found/);
      return true;
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('live with garbage BTF: a KernelDataError naming the file', () => {
  const root = fakeSysRoot({ 'sys/kernel/btf/vmlinux': 'this is not BTF at all, just text\n' }, false);
  try {
    assert.throws(() => factsFromLive({ sysRoot: root }), (e: unknown) =>
      e instanceof KernelDataError && e.file === path.join(root, 'sys/kernel/btf/vmlinux') && /not BTF/.test(e.message));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('bare BTF file: prototypes, raw tracepoints and hooks; symbols stand for themselves', { skip: btfSkip }, () => {
  const { facts, problems } = readBtfFile(LIVE_BTF, { id: 'host-a', release: '6.18.1-test' });
  assert.equal(facts.meta.id, 'host-a');
  assert.equal(facts.meta.source, 'file');
  assert.equal(facts.meta.version, '6.18');
  assert.ok(problems.some((p) => p.includes('no symbol table')));
  const vfs = fn(facts, 'vfs_read');
  assert.deepEqual(vfs?.symbols, ['vfs_read']);
  assert.equal(vfs?.ftrace, null);
  const ss = tp(facts, 'sched_switch');
  assert.equal(ss?.btf, true);
  assert.equal(ss?.system, undefined, 'no system without tracefs or bundled data');
  assert.ok(ss?.args?.some((a) => a.name === 'next'));
  assert.ok(facts.lsmHooks.length > 100);
  const tmp = path.join(os.tmpdir(), `not-btf-${process.pid}.btf`);
  fs.writeFileSync(tmp, Buffer.alloc(100, 7));
  try {
    assert.throws(() => factsFromBtfFile(tmp), (e: unknown) => e instanceof KernelDataError && e.file === tmp);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  assert.throws(() => factsFromBtfFile('/nonexistent/x.btf'), /\/nonexistent\/x\.btf: cannot read BTF file: not found/);
  assert.throws(() => factsFromBtfFile(process.execPath), /is an ELF file .*not raw BTF/);
});

test('module BTF under /sys/kernel/btf: Debian 6.1 ext4 on its vmlinux, a broken module reported', () => {
  const pair = debian61Ext4();
  const root = fakeSysRoot({ 'sys/kernel/btf/broken_mod': 'garbage' }, false);
  try {
    fs.symlinkSync(pair.baseFile, path.join(root, 'sys/kernel/btf/vmlinux'));
    fs.symlinkSync(pair.moduleFile, path.join(root, 'sys/kernel/btf/ext4'));
    const { facts, problems } = readLive({ sysRoot: root });
    assert.ok(problems.some((p) => p.startsWith(path.join(root, 'sys/kernel/btf/broken_mod') + ': ')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes(path.join(root, 'proc/kallsyms'))));
    const f = fn(facts, 'ext4_file_read_iter');
    assert.equal(f?.module, 'ext4');
    assert.equal(f?.inBtf, true);
    assert.equal(renderProto('ext4_file_read_iter', f!.proto!), 'ssize_t ext4_file_read_iter(struct kiocb *iocb, struct iov_iter *to)');
    assert.equal(fn(facts, 'vfs_read')?.module, undefined);
    const wp = tp(facts, 'ext4_da_write_pages');
    assert.equal(wp?.module, 'ext4');
    assert.equal(wp?.btf, true);
    assert.ok(wp?.args?.some((a) => a.name === 'wbc'));
    assert.ok(wp?.fields?.some((x) => x.name === 'first_page'), 'fields from the module trace_event_raw_ struct');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

// The real non-root case: the same reader run as user nobody (root runs the tests; setpriv drops
// privileges). BTF stays readable, kallsyms addresses are hidden, a root-only tracefs is reported.
const asNobody = process.getuid?.() === 0 && !spawnSync('setpriv', ['--version']).error;
test('live as a non-root user: facts still built, each missing source explained', { skip: btfSkip || (asNobody ? false : 'needs root and setpriv to drop to nobody') }, () => {
  const live = path.join(__dirname, '../../../server/src/kernel/live.js');
  const script = `const r = require(${JSON.stringify(live)}).readLive();
    const f = r.facts.functions.find((x) => x.name === 'vfs_read');
    process.stdout.write(JSON.stringify({ problems: r.problems, proto: f && f.proto, coverage: r.facts.meta.coverage }));`;
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { problems: string[]; proto: unknown; coverage: KernelFacts['meta']['coverage'] };
  const btf = parseBtf(fs.readFileSync(LIVE_BTF), { file: LIVE_BTF });
  assert.deepEqual(out.proto, btf.funcProto('vfs_read'));
  assert.ok(out.problems.some((p) => p.includes('/proc/kallsyms: addresses are hidden')), out.problems.join('\n'));
  if (readable(SCHED_SWITCH)) {
    assert.ok(out.problems.some((p) => p.includes('tracefs is not readable') && p.includes('root only')), out.problems.join('\n'));
    assert.equal(out.coverage.exactFieldOffsets, false);
  }
});

// This machine refuses available_filter_functions (EPERM) and has no kprobes, so the two lists are
// written here in the kernel's documented line formats (`name [module]`, `0xstart-0xend\tname`)
// to check how they are merged: per attach symbol, module symbols grouped under their module.
test('ftrace list, kprobe blacklist and module symbols are merged per function', { skip: btfSkip }, () => {
  const kallsyms = fs.readFileSync(path.join(FIXTURES, 'kallsyms/proc-kallsyms-root.txt'), 'utf8')
    + 'ffffffffc0a01000 t demo_mod_read\t[demo_mod]\nffffffffc0a01100 t demo_mod_read.cold\t[demo_mod]\n';
  const root = fakeSysRoot({
    'proc/kallsyms': kallsyms,
    'tracing/available_filter_functions': 'vfs_read\nfinish_task_switch.isra.0\ndemo_mod_read [demo_mod]\n',
    'debug/kprobes/blacklist': '0xffffffff816b5580-0xffffffff816b5600\tdo_sys_open\n',
  });
  try {
    fs.cpSync(path.join(FIXTURES, 'tracefs/events'), path.join(root, 'tracing/events'), { recursive: true });
    const { facts, problems } = readLive({ sysRoot: root, tracefsRoot: path.join(root, 'tracing'), debugfsRoot: path.join(root, 'debug') });
    assert.ok(!problems.some((p) => p.includes('available_filter_functions') || p.includes('blacklist')), problems.join('\n'));
    assert.equal(facts.meta.coverage.ftrace, true);
    assert.equal(facts.meta.coverage.blacklist, true);
    assert.equal(facts.meta.coverage.modules, true);
    assert.equal(fn(facts, 'vfs_read')?.ftrace, true);
    assert.equal(fn(facts, 'vfs_read')?.kprobeBlacklisted, false);
    // A renamed function is judged by the symbol a probe attaches to.
    assert.equal(fn(facts, 'finish_task_switch')?.ftrace, true);
    assert.equal(fn(facts, 'do_sys_open')?.ftrace, false);
    assert.equal(fn(facts, 'do_sys_open')?.kprobeBlacklisted, true);
    const mod = fn(facts, 'demo_mod_read');
    assert.deepEqual(mod && { symbols: mod.symbols, module: mod.module, ftrace: mod.ftrace, inBtf: mod.inBtf },
      { symbols: ['demo_mod_read', 'demo_mod_read.cold'], module: 'demo_mod', ftrace: true, inBtf: false });
    // The captured format files became the tracepoints, with their systems.
    assert.equal(tp(facts, 'block_rq_issue')?.system, 'block');
    assert.equal(facts.syscalls.find((s) => s.name === 'openat')?.args.length, 4);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
