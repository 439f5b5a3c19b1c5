// A kernel's build configuration as capabilities (kernel/config.ts) and the one assess rule they
// feed (atlas/kernelConfig.ts): on the running kernel's own /proc/config.gz (skipped where it is
// not readable), and on sysRoots whose configuration lines are written in the kernel's `.config`
// format over this machine's real BTF, and on the bundled kernels (their image packages' configs,
// DepSurf's selection for Ubuntu). A kernel without CONFIG_KPROBES makes every kprobe kind an error
// with that one reason; BPF LSM needs CONFIG_BPF_LSM and `bpf` in the active LSM list; an
// unreadable configuration changes nothing.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { describe, it } from 'node:test';
import { Atlas } from '../../../server/src/atlas/atlas';
import { assess } from '../../../server/src/atlas/assess';
import { parseTarget } from '../../../server/src/model/targets';
import { capabilitiesFromConfig, parseKernelConfig } from '../../../server/src/kernel/config';
import { openLiveKernel } from '../../../server/src/kernel/liveIndex';
import { btfSkip, fakeSysRoot, readable } from '../kernel/liveInputs';

const configSkip = readable('/proc/config.gz') ? false : '/proc/config.gz is not readable (kernel without CONFIG_IKCONFIG_PROC)';

/** A sysRoot with this machine's BTF and the given configuration and command line. */
function withConfig(config: string, cmdline = 'quiet\n'): string {
  return fakeSysRoot({ 'proc/sys/kernel/osrelease': '6.18.0-config-test\n', 'proc/cmdline': cmdline, 'proc/config.gz': zlib.gzipSync(config) });
}

const NO_KPROBES = [
  'CONFIG_BPF_EVENTS=y', '# CONFIG_KPROBES is not set', 'CONFIG_FTRACE_SYSCALLS=y', 'CONFIG_DEBUG_INFO_BTF=y',
  'CONFIG_BPF_LSM=y', 'CONFIG_LSM="landlock,lockdown,yama,integrity,apparmor"', '',
].join('\n');

describe('kernel configuration', () => {
  it('parses the running kernel\'s /proc/config.gz line by line', { skip: configSkip }, () => {
    const text = zlib.gunzipSync(fs.readFileSync('/proc/config.gz')).toString('utf8');
    const options = parseKernelConfig(text);
    const set = text.split('\n').filter((l) => /^CONFIG_\w+=/.test(l));
    const unset = text.split('\n').filter((l) => /^# CONFIG_\w+ is not set$/.test(l));
    assert.equal(options.size, set.length + unset.length);
    for (const l of unset) assert.equal(options.get(l.slice('# CONFIG_'.length, -' is not set'.length)), null, l);
    for (const l of set.slice(0, 200)) {
      const [name, value] = [l.slice('CONFIG_'.length, l.indexOf('=')), l.slice(l.indexOf('=') + 1)];
      assert.equal(options.get(name), value.startsWith('"') ? JSON.parse(value) : value, l);
    }
    const caps = capabilitiesFromConfig({ options, source: '/proc/config.gz', complete: true }, undefined);
    assert.equal(caps.kprobes.value, /^CONFIG_KPROBES=y$/m.test(text));
    assert.equal(caps.ftraceSyscalls.value, /^CONFIG_FTRACE_SYSCALLS=y$/m.test(text));
  });

  it('a selection of options (DepSurf) leaves missing ones unknown, a whole .config does not', () => {
    const options = new Map<string, string | null>([['KPROBES', 'y'], ['BPF_LSM', null]]);
    const selection = capabilitiesFromConfig({ options, source: 'kernels.json', complete: false }, { list: ['bpf'], source: 'CONFIG_LSM' });
    assert.deepEqual([selection.kprobes.value, selection.kprobeMulti.value, selection.bpfLsmBuilt.value, selection.bpfLsm.value], [true, null, false, false]);
    const whole = capabilitiesFromConfig({ options, source: '.config', complete: true }, undefined);
    assert.equal(whole.kprobeMulti.value, false);
    assert.match(whole.kprobeMulti.evidence, /CONFIG_FPROBE is not in \.config/);
    const none = capabilitiesFromConfig(undefined, undefined, 'no configuration here');
    assert.deepEqual(Object.values(none).map((c) => (c as { value: unknown }).value), [null, null, null, null, null, null, null]);
  });
});

describe('the kernel-config rule in assess', { skip: btfSkip }, () => {
  it('without CONFIG_KPROBES every kprobe kind is an error with that one reason', () => {
    const root = withConfig(NO_KPROBES);
    try {
      const { kernel } = openLiveKernel({ sysRoot: root });
      for (const t of ['kprobe:vfs_read', 'kretprobe:vfs_read', 'ksyscall:openat', 'kprobe.multi:vfs_*', 'kprobe:no_such_function_anywhere']) {
        const a = assess(kernel, parseTarget(t));
        assert.equal(a.attachable, false, t);
        assert.deepEqual(a.hazards.map((h) => [h.name, h.severity]), [['kernel-config', 'error']], t);
        assert.match(a.hazards[0].message, /# CONFIG_KPROBES is not set in \/proc\/config\.gz/, t);
      }
      // A function renamed by the compiler (finish_task_switch.isra.0 where this kernel has it):
      // a kprobe on the clone is no way out without kprobes, and the message says so.
      const renamed = kernel.fn('finish_task_switch');
      if (renamed?.symbols.length && !renamed.symbols.includes('finish_task_switch')) {
        const m = assess(kernel, parseTarget('fentry:finish_task_switch')).hazards.find((h) => h.name === 'renamed')?.message ?? '';
        assert.match(m, /fentry by name fails, and so does kprobe:finish_task_switch\.\S+ \(kprobes .*# CONFIG_KPROBES is not set/);
        assert.doesNotMatch(m, /works/);
      }
      // Other kinds keep their own verdicts.
      const fentry = assess(kernel, parseTarget('fentry:vfs_read'));
      assert.ok(!fentry.hazards.some((h) => h.name === 'kernel-config'));
      assert.equal(fentry.attachable, true);
      // BPF LSM built in, but bpf is not in CONFIG_LSM (no lsm= on the command line): loads, never runs.
      const lsm = assess(kernel, parseTarget('lsm:file_open'));
      assert.equal(lsm.hazards[0].name, 'kernel-config');
      assert.equal(lsm.hazards[0].severity, 'warning');
      assert.match(lsm.hazards[0].message, /bpf is not in the active LSM list landlock,lockdown,yama,integrity,apparmor \(CONFIG_LSM in \/proc\/config\.gz \(no lsm= on \/proc\/cmdline\)\)/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('without CONFIG_FTRACE_SYSCALLS there are no syscall events; lsm= on the command line enables bpf', () => {
    const root = withConfig(NO_KPROBES.replace('CONFIG_FTRACE_SYSCALLS=y', '# CONFIG_FTRACE_SYSCALLS is not set').replace('# CONFIG_KPROBES is not set', 'CONFIG_KPROBES=y'),
      'quiet lsm=lockdown,bpf\n');
    try {
      const { kernel } = openLiveKernel({ sysRoot: root });
      const sc = assess(kernel, parseTarget('tracepoint:syscalls:sys_enter_openat'));
      assert.deepEqual(sc.hazards.map((h) => h.name), ['kernel-config']);
      assert.match(sc.hazards[0].message, /# CONFIG_FTRACE_SYSCALLS is not set/);
      assert.ok(!assess(kernel, parseTarget('kprobe:vfs_read')).hazards.some((h) => h.name === 'kernel-config'));
      assert.ok(!assess(kernel, parseTarget('lsm:file_open')).hazards.some((h) => h.name === 'kernel-config'));
      assert.equal(kernel.meta.capabilities?.bpfLsm.value, true);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('on this machine: lookup kprobe:vfs_read on live names CONFIG_KPROBES when it is not set', { skip: configSkip }, (t) => {
    const text = zlib.gunzipSync(fs.readFileSync('/proc/config.gz')).toString('utf8');
    if (!/^# CONFIG_KPROBES is not set$/m.test(text)) {
      t.skip('the running kernel has kprobes');
      return;
    }
    const { kernel } = openLiveKernel({});
    const a = assess(kernel, parseTarget('kprobe:vfs_read'));
    assert.equal(a.attachable, false);
    assert.equal(a.hazards.length, 1);
    assert.match(a.hazards[0].message, /CONFIG_KPROBES/);
  });
});

describe('bundled kernels carry their configuration (scripts/debian, scripts/ubuntu)', () => {
  const atlas = new Atlas({ live: false });
  const has = (id: string) => atlas.list().some((m) => m.id === id && m.capabilities);

  it('debian-12 (6.1) has kprobes but no CONFIG_FPROBE: kprobe.multi is refused, kprobe is not', { skip: has('debian-12') ? false : 'the bundled debian-12 predates capabilities' }, () => {
    const k = atlas.get('debian-12');
    assert.match(k.meta.capabilities!.kprobeMulti.evidence, /# CONFIG_FPROBE is not set in \/boot\/config-6\.1\.0-56-amd64 of linux-image-6\.1\.0-56-amd64-unsigned/);
    const multi = assess(k, parseTarget('kprobe.multi:vfs_*'));
    assert.deepEqual(multi.hazards.map((h) => [h.name, h.severity]), [['kernel-config', 'error']]);
    assert.ok(!assess(k, parseTarget('kprobe:vfs_read')).hazards.some((h) => h.name === 'kernel-config'));
    // Debian enables bpf in CONFIG_LSM: lsm/ runs there by default.
    assert.equal(k.meta.capabilities!.bpfLsm.value, true);
  });

  it('Ubuntu builds BPF LSM in but leaves bpf out of CONFIG_LSM: lsm/ loads but never runs by default', { skip: has('ubuntu-22.04') ? false : 'the bundled ubuntu-22.04 predates capabilities' }, () => {
    const k = atlas.get('ubuntu-22.04');
    assert.deepEqual([k.meta.capabilities!.bpfLsmBuilt.value, k.meta.capabilities!.bpfLsm.value, k.meta.capabilities!.kprobeMulti.value], [true, false, null]);
    const lsm = assess(k, parseTarget('lsm:file_open'));
    assert.equal(lsm.hazards[0].name, 'kernel-config');
    assert.equal(lsm.hazards[0].severity, 'warning');
  });

  it('debian-12: built-in exit code is found and not attachable; compat-only syscalls have no events', { skip: has('debian-12') ? false : 'the bundled debian-12 predates these facts' }, () => {
    const k = atlas.get('debian-12');
    const exit = assess(k, parseTarget('kprobe:cryptomgr_exit'));
    assert.deepEqual([exit.found, exit.attachable], [true, false]);
    assert.deepEqual(exit.hazards.map((h) => h.name), ['init-only']);
    assert.match(exit.hazards[0].message, /\.exit\.text/);
    // With kprobes, the kprobe on a renamed function's clone is the way out.
    const renamed = assess(k, parseTarget('fentry:finish_task_switch')).hazards.find((h) => h.name === 'renamed');
    assert.match(renamed?.message ?? '', /fentry by name fails; kprobe:finish_task_switch\.isra\.0 works/);
    assert.equal(k.syscall('chown16'), undefined);
    assert.equal(k.tracepoint('sys_enter_chown16'), undefined);
    assert.ok(k.tracepoint('sys_enter_openat', 'syscalls')?.event);
  });

  it('debian-11: built-in exit code that its BTF does not list is found and not attachable, for kprobe and fentry', () => {
    const k = atlas.get('debian-11');
    for (const target of ['kprobe:cryptomgr_exit', 'fentry:exit_elf_binfmt']) {
      const exit = assess(k, parseTarget(target));
      assert.deepEqual([exit.found, exit.attachable], [true, false], target);
      assert.ok(exit.hazards.some((h) => h.name === 'init-only' && /\.exit\.text/.test(h.message)), target);
    }
  });
});
