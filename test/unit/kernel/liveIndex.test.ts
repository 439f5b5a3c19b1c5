// The one reader of the running kernel (kernel/liveIndex.ts), on real bytes: this machine's /sys
// and /proc, sysRoots that hide or replace parts of them (tracefs, kallsyms, modules), Debian 6.1's
// vmlinux + ext4 split BTF, and as user nobody. Its answers are checked against independent
// sources: the BTF prototype (and bpftool's dump of it, when bpftool is installed), the lines of
// /proc/kallsyms, tracefs format files (when tracefs is readable: as root after
// `mount -t tracefs nodev /sys/kernel/tracing`), and the trace events Debian 12's image records
// (the bundled atlas). Without tracefs, syscall events and event records are derived, and every
// record either equals the format file or is unknown. What cannot be read is a problem message,
// never a crash; a question reads only the sources it needs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { LiveKernel, openBtfFileKernel, openLiveKernel, openLiveKernelAsync, type ReferenceKernels } from '../../../server/src/kernel/liveIndex';
import { parseBtf } from '../../../server/src/kernel/btf';
import { parseEventFormat } from '../../../server/src/kernel/tracefs';
import { KernelDataError } from '../../../server/src/kernel/errors';
import { Atlas } from '../../../server/src/atlas/atlas';
import { renderProto, type TraceField } from '../../../server/src/atlas/model';
import { Rng } from '../../fuzz/rng';
import { debian61Ext4 } from './debian61';
import { repoRoot } from '../../repoRoot';
import { LIVE_BTF, btfSkip, fakeSysRoot, readable } from './liveInputs';

const EVENTS = '/sys/kernel/tracing/events';
const FIXTURES = path.join(repoRoot(), 'test/fixtures/kernel');
const tracefsSkip = btfSkip || (readable(path.join(EVENTS, 'sched/sched_switch/format'))
  ? false : 'tracefs is not readable at /sys/kernel/tracing (as root: mount -t tracefs nodev /sys/kernel/tracing)');

/** Links real files of this machine into a sysRoot (what a normal user can read of them). */
function linkReal(root: string, rels: string[]): void {
  for (const rel of rels) {
    if (!fs.existsSync(path.join('/', rel))) continue;
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.symlinkSync(path.join('/', rel), path.join(root, rel));
  }
}

/** The bundled kernels as references, nearest to `release` first, without those in `exclude`. */
function references(release: string, exclude: string[] = []): () => ReferenceKernels {
  const root = fakeSysRoot({ 'proc/sys/kernel/osrelease': `${release}\n` });
  const atlas = new Atlas({ sysRoot: root, live: () => { throw new Error('not read'); } });
  const refs = atlas.referenceKernels();
  fs.rmSync(root, { recursive: true, force: true });
  return () => ({ systems: refs.systems, kernels: refs.kernels.filter((k) => !exclude.includes(k.id)) });
}

/** Record fields as lists compare; x86's per-CPU address space (`void __seg_gs *`) is in tracefs
 *  only, not in BTF. */
function comparable(fields: readonly TraceField[]) {
  return fields.map((f) => ({ name: f.name, type: f.type.replace(/ __seg_[gf]s\b/, ''), offset: f.offset, size: f.size }));
}

/** The record fields of a format file. */
function formatFields(file: string) {
  return comparable(parseEventFormat(fs.readFileSync(file, 'utf8'), file).fields.filter((f) => !f.common));
}

test('fentry facts of vfs_read equal the BTF prototype (and bpftool\'s dump of it)', { skip: btfSkip }, () => {
  const { kernel } = openLiveKernel({});
  const btf = parseBtf(fs.readFileSync(LIVE_BTF), { file: LIVE_BTF });
  const f = kernel.fn('vfs_read');
  assert.ok(f, 'vfs_read is a function of the live kernel');
  assert.equal(f.inBtf, true);
  assert.deepEqual(f.proto, btf.funcProto('vfs_read'));
  assert.equal(renderProto('vfs_read', f.proto!), 'ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t *pos)');
  assert.equal(f.inline, 'unknown', 'no DWARF for the running kernel');
  const bpftool = spawnSync('bpftool', ['btf', 'dump', 'file', LIVE_BTF, 'format', 'raw'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (!bpftool.error && bpftool.status === 0) {
    // `[id] FUNC 'vfs_read' type_id=N` then `[N] FUNC_PROTO '(anon)' ... vlen=4` and one line per parameter
    const lines = bpftool.stdout.split('\n');
    const fn = lines.find((l) => /^\[\d+\] FUNC 'vfs_read' /.test(l))!;
    const protoId = /type_id=(\d+)/.exec(fn)![1];
    const at = lines.findIndex((l) => l.startsWith(`[${protoId}] FUNC_PROTO`));
    const names: string[] = [];
    for (let i = at + 1; i < lines.length && lines[i].startsWith('\t'); i++) names.push(/'([^']*)'/.exec(lines[i])![1]);
    assert.deepEqual(f.proto!.params.map((p) => p.name), names, 'parameter names as bpftool prints them');
  }
  assert.equal(kernel.meta.id, 'live');
  assert.equal(kernel.meta.release, fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
  assert.equal(kernel.meta.coverage.btf, true);
});

test('symbols from /proc/kallsyms: plain names, compiler clones, no padding labels', { skip: btfSkip }, () => {
  const { kernel } = openLiveKernel({});
  const kallsyms = fs.readFileSync('/proc/kallsyms', 'utf8');
  const suffixed = /^\S+ [tT] ((?!__pfx_|__cfi_)([A-Za-z_]\w*)\.(?:isra|constprop)\.\d+)$/m.exec(kallsyms);
  assert.ok(suffixed, 'this kernel has at least one .isra/.constprop clone');
  assert.ok(kernel.fn(suffixed[2])?.symbols.includes(suffixed[1]));
  assert.equal(kernel.hasSymbol(suffixed[1]), true);
  const names = kernel.functionNames();
  assert.equal(new Set(names).size, names.length, 'functionNames() has no repeats');
  assert.ok(!names.some((x) => x.startsWith('__pfx_') || x.startsWith('__cfi_')));
  // Every plain text symbol of vmlinux in the file is a function the reader knows.
  const plain = [...kallsyms.matchAll(/^\S+ [tT] ([A-Za-z_]\w*)$/gm)].map((m) => m[1]).filter((n) => !n.startsWith('__pfx_') && !n.startsWith('__cfi_'));
  const known = new Set(names);
  const rng = new Rng(11);
  for (let i = 0; i < 200; i++) {
    const n = plain[rng.int(plain.length)];
    assert.ok(known.has(n), n);
  }
  // A prefix query equals filtering the sorted names.
  assert.deepEqual(kernel.functionNamesWithPrefix('vfs_', 25), [...names].filter((n) => n.startsWith('vfs_')).sort().slice(0, 25));
  const btf = parseBtf(fs.readFileSync(LIVE_BTF), { file: LIVE_BTF });
  for (const h of kernel.lsmHooks()) assert.deepEqual(h.proto, btf.funcProto(`bpf_lsm_${h.name}`));
  assert.ok(kernel.lsmHook('file_open'));
  for (const notHook of ['verify_prog', 'func_proto', 'init']) assert.equal(kernel.lsmHook(notHook), undefined, `bpf_lsm_${notHook} is no hook`);
});

test('built-in exit code: vmlinux BTF functions without a kallsyms symbol are exit-only, as the Debian images\' DWARF says', { skip: btfSkip }, () => {
  const { kernel } = openLiveKernel();
  // Independent sources: the BTF FUNC names (parsed here) and every name of /proc/kallsyms.
  const btf = parseBtf(fs.readFileSync(LIVE_BTF), { file: LIVE_BTF });
  const inKallsyms = new Set(fs.readFileSync('/proc/kallsyms', 'utf8').split('\n').map((l) => (l.split(/\s+/)[2] ?? '').replace(/\..*$/, '')));
  const noSymbol = [...btf.funcs()].map((f) => f.name).filter((n) => !inKallsyms.has(n));
  for (const n of noSymbol) {
    const f = kernel.fn(n);
    assert.deepEqual([f?.exitOnly, f?.symbols, f?.inBtf], [true, [], true], n);
  }
  for (const n of ['vfs_read', 'schedule']) assert.equal(kernel.fn(n)?.exitOnly, undefined, n);
  // Where a Debian image (whose rule is DWARF's out-of-line body without a text symbol) holds
  // the same name as a built-in function, it is exit code there too.
  const atlas = new Atlas({ live: false });
  let compared = 0;
  for (const id of ['debian-12', 'debian-13', 'debian-sid']) {
    const debian = atlas.get(id);
    for (const n of noSymbol) {
      const f = debian.fn(n);
      if (!f || f.module) continue;
      compared++;
      assert.equal(f.exitOnly, true, `${n} on ${id}`);
    }
  }
  if (noSymbol.length) assert.ok(compared > 0, 'some names compared with the Debian images');
});

test('with tracefs: every event of sched/ equals its format file; syscalls from syscalls/*', { skip: tracefsSkip }, () => {
  const { kernel } = openLiveKernel({ references: () => { throw new Error('the bundled kernels are read although tracefs answers'); } });
  for (const ev of fs.readdirSync(path.join(EVENTS, 'sched'))) {
    const file = path.join(EVENTS, 'sched', ev, 'format');
    if (!fs.existsSync(file)) continue;
    const t = kernel.tracepoint(ev, 'sched');
    assert.ok(t, ev);
    assert.equal(t.event, true);
    assert.deepEqual(comparable(t.fields ?? []), formatFields(file), ev);
  }
  assert.ok(kernel.tracepoint('sched_switch')?.args?.some((a) => a.name === 'prev' && a.type === 'struct task_struct *'));
  assert.deepEqual(kernel.syscall('openat')?.args.map((a) => a.name), ['dfd', 'filename', 'flags', 'mode']);
  const systems = fs.readdirSync(EVENTS, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== 'ftrace').map((d) => d.name);
  const events = systems.flatMap((s) => fs.readdirSync(path.join(EVENTS, s), { withFileTypes: true }).filter((d) => d.isDirectory()));
  assert.equal(kernel.tracepoints().filter((x) => x.event).length, events.length, 'one tracepoint per event directory (ftrace:* excluded)');
  for (const r of kernel.tracepoints().filter((x) => !x.event)) {
    assert.equal(r.btf, true, r.name);
    assert.ok(!systems.some((s) => fs.existsSync(path.join(EVENTS, s, r.name))), `${r.name} has no event directory`);
  }
});

test('with tracefs: the tracepoint heads, read from folder names alone, are those of the whole records', { skip: tracefsSkip }, () => {
  const heads = openLiveKernel({}).kernel.tracepointHeads!();
  const whole = openLiveKernel({}).kernel.tracepoints();
  const plain = (xs: readonly { name: string; system?: string; event: boolean | null; module?: string }[]) => xs.map((t) => `${t.system ?? ''}:${t.name}:${t.event}:${t.module ?? ''}`);
  assert.ok(heads.length > 100, 'tracefs lists events');
  assert.deepEqual(plain(heads), plain(whole));
});

test('without tracefs: syscalls:sys_enter_openat is found, with the fields of its format file', { skip: btfSkip }, () => {
  const root = fakeSysRoot({});
  try {
    linkReal(root, ['proc/kallsyms', 'proc/config.gz', 'proc/sys/kernel/osrelease', 'proc/cmdline', 'proc/modules']);
    const release = fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
    if (fs.existsSync(`/boot/config-${release}`)) linkReal(root, [`boot/config-${release}`]);
    const problems: string[] = [];
    const { kernel } = openLiveKernel({ sysRoot: root, references: references(release), onProblem: (m) => problems.push(m) });
    assert.ok(problems.some((p) => p.includes('tracefs is not readable')), problems.join('\n'));
    const caps = kernel.meta.capabilities!;
    if (caps.ftraceSyscalls.value !== true) return; // a kernel without syscall events, or its configuration unreadable here
    const t = kernel.tracepoint('sys_enter_openat', 'syscalls');
    assert.ok(t, 'found');
    assert.equal(t.event, true);
    assert.deepEqual(t.fields?.map((f) => f.name), ['__syscall_nr', 'dfd', 'filename', 'flags', 'mode']);
    assert.deepEqual(kernel.tracepoint('sys_exit_openat', 'syscalls')?.fields?.map((f) => [f.name, f.type, f.offset, f.size]),
      [['__syscall_nr', 'int', 8, 4], ['ret', 'long', 16, 8]]);
    assert.ok(kernel.systems().get('syscalls')?.includes('sys_enter_openat'));
    assert.deepEqual(kernel.syscall('openat')?.args.map((a) => a.name), ['dfd', 'filename', 'flags', 'mode']);
    // A syscall this kernel does not have at all has no event.
    assert.equal(kernel.tracepoint('sys_enter_no_such_syscall_here', 'syscalls'), undefined);
    if (readable(path.join(EVENTS, 'syscalls/sys_enter_openat/format'))) {
      for (const ev of ['sys_enter_openat', 'sys_exit_openat', 'sys_enter_read', 'sys_enter_execve', 'sys_exit_futex']) {
        const file = path.join(EVENTS, 'syscalls', ev, 'format');
        if (!fs.existsSync(file)) continue;
        assert.deepEqual(comparable(kernel.tracepoint(ev, 'syscalls')?.fields ?? []), formatFields(file), ev);
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('without tracefs: 40 random events give the fields and offsets of their format files, or unknown', { skip: tracefsSkip }, (t) => {
  const root = fakeSysRoot({});
  try {
    linkReal(root, ['proc/kallsyms', 'proc/config.gz', 'proc/sys/kernel/osrelease', 'proc/cmdline', 'proc/modules']);
    const release = fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
    const { kernel } = openLiveKernel({ sysRoot: root, references: references(release) });
    const all = fs.readdirSync(EVENTS, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== 'ftrace')
      .flatMap((s) => fs.readdirSync(path.join(EVENTS, s.name)).map((e) => [s.name, e] as const))
      .filter(([s, e]) => fs.existsSync(path.join(EVENTS, s, e, 'format')));
    const rng = new Rng(Number(process.env.LIVE_EVENTS_SEED ?? 40));
    let exact = 0;
    let unknown = 0;
    for (let i = 0; i < 40; i++) {
      const [system, event] = all[rng.int(all.length)];
      const truth = formatFields(path.join(EVENTS, system, event, 'format'));
      const tp = kernel.tracepoint(event, system) ?? kernel.tracepoint(event);
      assert.notEqual(tp?.event, false, `${system}:${event} exists: never a false "no event"`);
      if (!tp || tp.event === null || !tp.fields) {
        unknown++;
        continue;
      }
      if (tp.system !== undefined) assert.equal(tp.system, system, event);
      assert.deepEqual(comparable(tp.fields), truth, `${system}:${event}`);
      exact++;
    }
    t.diagnostic(`${exact} of 40 events equal their format files, ${unknown} unknown`);
    assert.ok(exact >= 30, `most events are derived (${exact} of 40)`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('Debian 6.1 BTF without tracefs: derived records equal the events of the image (bundled debian-12)', () => {
  const pair = debian61Ext4();
  const root = fakeSysRoot({ 'proc/sys/kernel/osrelease': '6.1.0-56-amd64\n' }, false);
  try {
    fs.mkdirSync(path.join(root, 'sys/kernel/btf'), { recursive: true });
    fs.symlinkSync(pair.baseFile, path.join(root, 'sys/kernel/btf/vmlinux'));
    // debian-12 is the truth here: the references are the other bundled kernels.
    const { kernel } = openLiveKernel({ sysRoot: root, references: references('6.1.0-56-amd64', ['debian-12']) });
    const truth = new Atlas({ live: false }).get('debian-12');
    const events = truth.tracepoints().filter((x) => x.event && x.fields && !x.module && x.system !== 'syscalls');
    const rng = new Rng(61);
    let exact = 0;
    for (let i = 0; i < 120; i++) {
      const want = events[rng.int(events.length)];
      const got = kernel.tracepoint(want.name);
      assert.notEqual(got?.event, false, `${want.system}:${want.name} has an event`);
      if (!got?.event || !got.fields) continue;
      // The image records array sizes as written (`__u8[sizeof(struct sockaddr_in6)]`); BTF has
      // the number, which is what newer kernels' tracefs prints: sizes compare, not that text.
      const shape = (fields: readonly TraceField[]) => fields.map((f) => [f.name, f.type.replace(/\[[^\]]*\]/g, '[]'), f.offset, f.size]);
      assert.deepEqual(shape(got.fields), shape(want.fields!), `${want.system}:${want.name}`);
      exact++;
    }
    assert.ok(exact >= 100, `${exact} of 120 derived`);
    // __data_loc fields are spelled as tracefs spells them, not as their u32 locators.
    const exec = kernel.tracepoint('sched_process_exec');
    assert.equal(exec?.fields?.find((f) => f.name === 'filename')?.type, '__data_loc char[]');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('capabilities come from the kernel configuration: kprobes refused when CONFIG_KPROBES is not set', { skip: btfSkip }, () => {
  const config = [
    '# Automatically generated file; DO NOT EDIT.',
    'CONFIG_BPF_EVENTS=y',
    '# CONFIG_KPROBES is not set',
    'CONFIG_FTRACE_SYSCALLS=y',
    'CONFIG_DEBUG_INFO_BTF=y',
    'CONFIG_BPF_LSM=y',
    'CONFIG_LSM="landlock,lockdown,yama,integrity,apparmor"',
    '',
  ].join('\n');
  const root = fakeSysRoot({ 'proc/sys/kernel/osrelease': '6.18.0-test\n', 'boot/config-6.18.0-test': config, 'proc/cmdline': 'quiet lsm=landlock,bpf -- init args\n' });
  try {
    const { kernel } = openLiveKernel({ sysRoot: root });
    const caps = kernel.meta.capabilities!;
    assert.equal(caps.config, '/boot/config-6.18.0-test');
    assert.deepEqual([caps.kprobes.value, caps.kprobeMulti.value, caps.bpfEvents.value, caps.ftraceSyscalls.value, caps.debugInfoBtf.value, caps.bpfLsmBuilt.value],
      [false, false, true, true, true, true]);
    assert.match(caps.kprobes.evidence, /# CONFIG_KPROBES is not set in \/boot\/config-6\.18\.0-test/);
    assert.match(caps.kprobeMulti.evidence, /CONFIG_FPROBE is not in/);
    // lsm= on the command line wins over CONFIG_LSM
    assert.deepEqual(caps.lsms, { list: ['landlock', 'bpf'], source: 'lsm= on /proc/cmdline' });
    assert.equal(caps.bpfLsm.value, true);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  const none = fakeSysRoot({ 'proc/sys/kernel/osrelease': '6.18.0-test\n' });
  try {
    const problems: string[] = [];
    const { kernel } = openLiveKernel({ sysRoot: none, onProblem: (m) => problems.push(m) });
    assert.equal(kernel.meta.capabilities!.kprobes.value, null, 'unknown, never false, without a configuration');
    assert.ok(problems.some((p) => p.includes('configuration is not readable')), problems.join('\n'));
  } finally {
    fs.rmSync(none, { recursive: true, force: true });
  }
});

test('a tracepoint question reads no symbol table; a function question reads it once', { skip: btfSkip }, () => {
  const root = fakeSysRoot({ 'proc/kallsyms': 'this is not a symbol table\n'.repeat(50) });
  try {
    fs.mkdirSync(path.join(root, 'tracing'));
    fs.cpSync(path.join(FIXTURES, 'tracefs/events'), path.join(root, 'tracing/events'), { recursive: true });
    const problems: string[] = [];
    const { kernel } = openLiveKernel({ sysRoot: root, tracefsRoot: path.join(root, 'tracing'), onProblem: (m) => problems.push(m) });
    assert.equal(kernel.tracepoint('sched_switch', 'sched')?.event, true);
    assert.ok(!problems.some((p) => p.includes('kallsyms')), problems.join('\n'));
    assert.deepEqual(kernel.fn('vfs_read')?.symbols, ['vfs_read'], 'no symbol table: a BTF FUNC stands for its symbol');
    assert.equal(problems.filter((p) => p.startsWith(path.join(root, 'proc/kallsyms') + ': not a kallsyms')).length, 1, problems.join('\n'));
    kernel.fn('do_sys_open');
    assert.equal(problems.filter((p) => p.includes('kallsyms')).length, 1, 'read once');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('hidden kallsyms addresses: names kept, init-only unknown, problem stated', { skip: btfSkip }, () => {
  const root = fakeSysRoot({ 'proc/kallsyms': fs.readFileSync(path.join(FIXTURES, 'kallsyms/proc-kallsyms-nobody.txt'), 'utf8') });
  try {
    const { kernel, problems } = openLiveKernel({ sysRoot: root });
    assert.deepEqual(kernel.fn('finish_task_switch')?.symbols, ['finish_task_switch.isra.0']);
    assert.equal(kernel.fn('finish_task_switch')?.initOnly, undefined);
    assert.ok(problems.some((p) => p.includes('addresses are hidden')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('osrelease')));
    assert.equal(kernel.meta.release, 'unknown');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('ftrace list, kprobe blacklist and module symbols are merged per function', { skip: btfSkip }, () => {
  const kallsyms = fs.readFileSync(path.join(FIXTURES, 'kallsyms/proc-kallsyms-root.txt'), 'utf8')
    + 'ffffffffc0a01000 t demo_mod_read\t[demo_mod]\nffffffffc0a01100 t demo_mod_read.cold\t[demo_mod]\n'
    + 'ffffffffc0a01200 d demo_mod_data\t[demo_mod]\nffffffffc0a01300 t .L_local_label\t[demo_mod]\n';
  const root = fakeSysRoot({
    'proc/kallsyms': kallsyms,
    'proc/modules': 'demo_mod 16384 0 - Live 0x0000000000000000\n',
    'tracing/available_filter_functions': 'vfs_read\nfinish_task_switch.isra.0\ndemo_mod_read [demo_mod]\n',
    'debug/kprobes/blacklist': '0xffffffff816b5580-0xffffffff816b5600\tdo_sys_open\n',
  });
  try {
    fs.cpSync(path.join(FIXTURES, 'tracefs/events'), path.join(root, 'tracing/events'), { recursive: true });
    const { kernel, problems } = openLiveKernel({ sysRoot: root, tracefsRoot: path.join(root, 'tracing'), debugfsRoot: path.join(root, 'debug') });
    assert.ok(!problems.some((p) => p.includes('available_filter_functions') || p.includes('blacklist')), problems.join('\n'));
    assert.equal(kernel.meta.coverage.ftrace, true);
    assert.equal(kernel.meta.coverage.blacklist, true);
    assert.equal(kernel.meta.coverage.modules, true);
    assert.equal(kernel.fn('vfs_read')?.ftrace, true);
    assert.equal(kernel.fn('vfs_read')?.kprobeBlacklisted, false);
    // A renamed function is judged by the symbol a probe attaches to.
    assert.equal(kernel.fn('finish_task_switch')?.ftrace, true);
    assert.equal(kernel.fn('do_sys_open')?.ftrace, false);
    assert.equal(kernel.fn('do_sys_open')?.kprobeBlacklisted, true);
    const mod = kernel.fn('demo_mod_read');
    assert.deepEqual(mod && { symbols: mod.symbols, module: mod.module, ftrace: mod.ftrace, inBtf: mod.inBtf },
      { symbols: ['demo_mod_read', 'demo_mod_read.cold'], module: 'demo_mod', ftrace: true, inBtf: false });
    assert.equal(kernel.hasSymbol('.L_local_label'), true);
    assert.equal(kernel.tracepoint('block_rq_issue')?.system, 'block');
    assert.equal(kernel.syscalls().find((s) => s.name === 'openat')?.args.length, 4);
    // start_kernel's address in the excerpt is inside _sinittext.._einittext.
    const sk = kernel.fn('start_kernel');
    if (sk?.symbols.length) assert.equal(sk.initOnly, true);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('Debian 6.1 vmlinux + ext4 split BTF: module facts parsed on demand, a broken module reported', () => {
  const pair = debian61Ext4();
  const root = fakeSysRoot({ 'sys/kernel/btf/broken_mod': 'garbage' }, false);
  try {
    fs.symlinkSync(pair.baseFile, path.join(root, 'sys/kernel/btf/vmlinux'));
    fs.symlinkSync(pair.moduleFile, path.join(root, 'sys/kernel/btf/ext4'));
    const { kernel, problems } = openLiveKernel({ sysRoot: root, references: () => ({ systems: new Map([['ext4_da_write_pages', 'ext4']]), kernels: [] }) });
    assert.ok(!problems.some((p) => p.includes('broken_mod')), 'nothing asked yet: module BTF not parsed');
    const f = kernel.fn('ext4_file_read_iter');
    assert.equal(f?.module, 'ext4');
    assert.equal(f?.inBtf, true);
    assert.equal(renderProto('ext4_file_read_iter', f!.proto!), 'ssize_t ext4_file_read_iter(struct kiocb *iocb, struct iov_iter *to)');
    assert.ok(problems.some((p) => p.startsWith(path.join(root, 'sys/kernel/btf/broken_mod') + ': ')), problems.join('\n'));
    assert.equal(kernel.fn('vfs_read')?.module, undefined);
    const wp = kernel.tracepoint('ext4_da_write_pages');
    assert.equal(wp?.module, 'ext4');
    assert.equal(wp?.system, 'ext4');
    assert.equal(wp?.event, true, 'its own trace_event_raw_ struct is its class');
    assert.ok(wp?.args?.some((a) => a.name === 'wbc'));
    assert.ok(wp?.fields?.some((x) => x.name === 'first_page'), 'fields from the module trace_event_raw_ struct');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('bare BTF file: prototypes, raw tracepoints and hooks; symbols stand for themselves', { skip: btfSkip }, () => {
  const { kernel, problems } = openBtfFileKernel(LIVE_BTF, { id: 'host-a', release: '6.18.1-test' });
  assert.equal(kernel.meta.id, 'host-a');
  assert.equal(kernel.meta.source, 'file');
  assert.equal(kernel.meta.version, '6.18');
  assert.ok(problems.some((p) => p.includes('no symbol table')));
  assert.deepEqual(kernel.fn('vfs_read')?.symbols, ['vfs_read']);
  assert.equal(kernel.fn('vfs_read')?.ftrace, null);
  assert.equal(kernel.meta.capabilities!.kprobes.value, null);
  const ss = kernel.tracepoint('sched_switch');
  assert.equal(ss?.btf, true);
  assert.ok(ss?.args?.some((a) => a.name === 'next'));
  assert.ok(kernel.lsmHooks().length > 100);
  const tmp = path.join(os.tmpdir(), `not-btf-${process.pid}.btf`);
  fs.writeFileSync(tmp, Buffer.alloc(100, 7));
  try {
    assert.throws(() => openBtfFileKernel(tmp), (e: unknown) => e instanceof KernelDataError && e.file === tmp);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  assert.throws(() => openBtfFileKernel('/nonexistent/x.btf'), /\/nonexistent\/x\.btf: cannot read BTF file: not found/);
  assert.throws(() => openBtfFileKernel(process.execPath), /is an ELF file .*not raw BTF/);
});

test('an empty sysRoot or garbage BTF: a KernelDataError naming the file, never a crash', () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'sysroot-'));
  const junk = fakeSysRoot({ 'sys/kernel/btf/vmlinux': 'this is not BTF at all, just text\n' }, false);
  try {
    assert.throws(() => openLiveKernel({ sysRoot: empty }), (e: unknown) =>
      e instanceof KernelDataError && e.file === path.join(empty, 'sys/kernel/btf/vmlinux') && /cannot read the kernel BTF: not found/.test(e.message));
    assert.throws(() => openLiveKernel({ sysRoot: junk }), (e: unknown) =>
      e instanceof KernelDataError && e.file === path.join(junk, 'sys/kernel/btf/vmlinux') && /not BTF/.test(e.message));
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
    fs.rmSync(junk, { recursive: true, force: true });
  }
});

/** What a LiveKernel answers to the questions the editor asks first, as plain data. */
function firstAnswers(k: LiveKernel) {
  const names = [...k.functionNames()].sort();
  const sample = [...names.filter((_, i) => i % Math.max(1, Math.floor(names.length / 200)) === 0), 'vfs_read', 'finish_task_switch', 'do_sys_open'];
  return {
    names,
    fns: sample.map((n) => k.fn(n)),
    symbols: sample.flatMap((n) => k.fn(n)?.symbols ?? []).map((s) => k.hasSymbol(s)),
    prefix: k.functionNamesWithPrefix('vfs_', 30),
    tracepoint: k.tracepoint('sched_switch', 'sched'),
    extra: k.extraSymbols(),
    meta: JSON.parse(JSON.stringify(k.meta)) as unknown,
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
  const expected = firstAnswers(reference.kernel);
  for (const workerSource of ['throw new Error("no reader here")', '']) {
    const sync = openLiveKernel({ kallsyms: { workerSource, stallMs: 200 }, prefetchSymbols: true });
    const async_ = await openLiveKernelAsync({ kallsyms: { workerSource } });
    for (const opened of [sync, async_]) {
      assert.deepEqual(firstAnswers(opened.kernel), expected);
      assert.deepEqual([...opened.problems].sort(), [...reference.problems].sort());
    }
  }
});

// The real non-root case: the reader run as user nobody (root runs the tests; setpriv drops
// privileges). BTF stays readable, kallsyms addresses are hidden, a root-only tracefs is reported,
// and syscall events are still found.
const asNobody = process.getuid?.() === 0 && !spawnSync('setpriv', ['--version']).error;
test('as a non-root user: facts still built, each missing source explained', { skip: btfSkip || (asNobody ? false : 'needs root and setpriv to drop to nobody') }, () => {
  const reader = path.join(__dirname, '../../../server/src/kernel/liveIndex.js');
  const script = `const { kernel, problems } = require(${JSON.stringify(reader)}).openLiveKernel({});
    const f = kernel.fn('vfs_read');
    process.stdout.write(JSON.stringify({ problems, proto: f && f.proto, caps: kernel.meta.capabilities }));`;
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { problems: string[]; proto: unknown };
  const btf = parseBtf(fs.readFileSync(LIVE_BTF), { file: LIVE_BTF });
  assert.deepEqual(out.proto, btf.funcProto('vfs_read'));
  assert.ok(out.problems.some((p) => p.includes('/proc/kallsyms: addresses are hidden')), out.problems.join('\n'));
  if (fs.existsSync(path.join(EVENTS, 'sched'))) {
    assert.ok(out.problems.some((p) => p.includes('tracefs is not readable') && p.includes('root only')), out.problems.join('\n'));
  }
});
