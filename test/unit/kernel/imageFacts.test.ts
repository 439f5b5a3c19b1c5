// KernelFacts assembled from the debian-12 image, an excerpt of its DWARF inline classes and one
// real module (ext4.ko): the facts the "done when" names, on real bytes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isKernelDataError } from '../../../server/src/kernel/errors';
import { parseElf } from '../../../server/src/kernel/elf';
import { factsFromVmlinux, imageBtf, parseInlineTsv } from '../../../server/src/kernel/imageFacts';
import { moduleFacts, modulesFacts, readModuleBytes } from '../../../server/src/kernel/modules';
import { debianModule, debianVmlinux, repoRoot } from '../../../scripts/debian/testInputs';

const fixtures = path.join(repoRoot(), 'test', 'fixtures', 'oracle');
const meta = {
  id: 'debian-12', release: '6.1.0-56-amd64', version: '6.1', arch: 'x86_64', distro: 'debian', codename: 'bookworm',
  lts: true, source: 'bundled' as const, provenance: 'test: debian-12 image + DWARF excerpt + ext4.ko',
};

describe('factsFromVmlinux on debian-12', () => {
  const vm = debianVmlinux('debian-12');
  const btf = imageBtf(parseElf(vm.bytes, vm.file));
  const inline = parseInlineTsv(
    fs.readFileSync(path.join(fixtures, 'debian-12-inline-excerpt.tsv'), 'utf8'),
    fs.readFileSync(path.join(fixtures, 'debian-12-self-sites-excerpt.tsv'), 'utf8'),
    'debian-12-inline-excerpt.tsv');
  const ext4 = debianModule('debian-12', '*/kernel/fs/ext4/ext4.ko', 'ext4.ko');
  const modules = modulesFacts([ext4], btf);
  const { facts, stats } = factsFromVmlinux({ vmlinux: vm.bytes, file: vm.file, btf, inline, modules, meta });
  const fn = (n: string) => facts.functions.find((f) => f.name === n);

  it('counts what KERNEL-DATA.md measured', () => {
    assert.equal(stats.symbols, 94_266);
    assert.equal(stats.textFunctions, 49_546);
    assert.equal(stats.mcountFunctions, 39_598);
    assert.equal(stats.blacklistFunctions, 379);
    assert.equal(stats.traceEvents, 1_506);
    assert.equal(stats.btfFuncs, 44_134);
    assert.equal(facts.meta.counts.functions, facts.functions.length);
    assert.deepEqual(facts.meta.coverage, {
      inline: 'dwarf', ftrace: true, blacklist: true, modules: true, btf: true, exactFieldOffsets: true,
      types: { structs: true, unions: true, typedefs: true, enums: 'all', layout: true, modules: false },
    });
    // The image BTF's types: every named struct/union (7,933 in Debian's 6.1), task_struct among them.
    assert.equal(facts.types!.structs.length, 7_933);
    assert.ok(facts.types!.structs.some((s) => s.name === 'task_struct' && s.members.some((m) => m.name === '__state')));
  });

  it('blk_account_io_start is fully inlined with no symbol', () => {
    assert.deepEqual(fn('blk_account_io_start'), {
      name: 'blk_account_io_start', symbols: [], inBtf: false, inline: 'full', inlinedSites: 8, ftrace: false, kprobeBlacklisted: false,
    });
  });

  it('finish_task_switch exists only as finish_task_switch.isra.0', () => {
    const f = fn('finish_task_switch')!;
    assert.deepEqual(f.symbols, ['finish_task_switch.isra.0']);
    assert.equal(f.inBtf, false);
    assert.equal(f.inline, 'none');
    assert.equal(f.ftrace, true, 'the .isra.0 clone has the ftrace site');
  });

  it('do_sys_open is partially inlined with 10 missed sites and keeps its prototype', () => {
    const f = fn('do_sys_open')!;
    assert.deepEqual(f.symbols, ['do_sys_open']);
    assert.equal(f.inline, 'partial');
    assert.equal(f.inlinedSites, 10);
    assert.deepEqual(f.proto?.params.map((p) => p.name), ['dfd', 'filename', 'flags', 'mode']);
  });

  it('self sites do not count as missed callers', () => {
    assert.equal(fn('__aa_labelset_update_subtree')?.inline, 'none');
    assert.equal(fn('ZSTD_DCtx_loadDictionary_advanced')?.inlinedSites, 11);
  });

  it('blacklist, notrace and init-only flags come from the image', () => {
    assert.equal(fn('do_int3')?.kprobeBlacklisted, true);
    assert.equal(fn('__schedule')?.ftrace, false);
    assert.equal(fn('start_kernel')?.initOnly, true);
  });

  it('built-in exit code (.exit.text) is found, without a symbol: DWARF body, BTF function, no kallsyms', () => {
    const f = fn('cryptomgr_exit');
    assert.ok(f, 'found');
    assert.deepEqual([f.exitOnly, f.symbols, f.inBtf], [true, [], true]);
    assert.equal(f.proto?.ret, 'void');
    assert.equal(fn('cryptomgr_init')?.exitOnly, undefined, 'its init twin has a symbol');
  });

  it('tracepoints carry system, template, exact fields and named args', () => {
    const sw = facts.tracepoints.find((t) => t.name === 'sched_switch')!;
    assert.equal(sw.system, 'sched');
    assert.equal(sw.event, true);
    assert.equal(sw.btf, true);
    assert.deepEqual(sw.args?.map((a) => a.name), ['preempt', 'prev', 'next', 'prev_state']);
    assert.deepEqual(sw.fields?.map((f) => [f.name, f.offset]), [
      ['prev_comm', 8], ['prev_pid', 24], ['prev_prio', 28], ['prev_state', 32], ['next_comm', 40], ['next_pid', 56], ['next_prio', 60],
    ]);
    const raw = facts.tracepoints.find((t) => t.name === 'pelt_cfs_tp')!;
    assert.equal(raw.event, false, 'DECLARE_TRACE only: no trace event');
    assert.equal(raw.btf, true);
    const open = facts.tracepoints.find((t) => t.name === 'sys_enter_openat')!;
    assert.equal(open.system, 'syscalls');
    assert.equal(facts.syscalls.find((s) => s.name === 'openat')?.args.length, 4);
    // Only the native (x86-64) table's syscalls have events: compat-only ones are dropped at boot.
    for (const compat of ['chown16', 'sync_file_range2', 'ia32_pread64']) {
      assert.equal(facts.syscalls.find((s) => s.name === compat), undefined, compat);
      assert.equal(facts.tracepoints.find((t) => t.name === `sys_enter_${compat}`), undefined, compat);
    }
    assert.ok(facts.syscalls.find((s) => s.name === 'rt_sigreturn'), 'table entries named __do_sys_* count too');
    assert.ok(facts.lsmHooks.some((h) => h.name === 'file_open' && h.proto?.params[0].type === 'struct file *'));
  });

  it('module functions and events come from ext4.ko split BTF and relocations', () => {
    const f = fn('ext4_file_open')!;
    assert.equal(f.module, 'ext4');
    assert.equal(f.inline, 'unknown');
    assert.equal(f.inBtf, true);
    assert.equal(f.ftrace, true);
    const ev = facts.tracepoints.find((t) => t.name === 'ext4_da_write_begin')!;
    assert.equal(ev.module, 'ext4');
    assert.equal(ev.system, 'ext4');
    assert.equal(ev.template, 'ext4__write_begin');
    assert.deepEqual(ev.fields?.map((x) => [x.name, x.offset, x.size]), [['dev', 8, 4], ['ino', 16, 8], ['pos', 24, 8], ['len', 32, 4]]);
    // KERNEL-DATA.md: ext4.ko has 1,185 FUNC and 113 btf_trace.
    const m = moduleFacts(readModuleBytes(ext4), ext4, btf);
    assert.equal(m.tracepoints.filter((t) => t.btf).length, 113);
  });

  it('without DWARF data inline status is unknown, never guessed', () => {
    const bare = factsFromVmlinux({ vmlinux: vm.bytes, file: vm.file, btf, meta }).facts;
    assert.equal(bare.meta.coverage.inline, 'none');
    assert.equal(bare.functions.find((f) => f.name === 'do_sys_open')?.inline, 'unknown');
    assert.equal(bare.functions.find((f) => f.name === 'blk_account_io_start'), undefined);
  });
});

describe('modules of debian-13: .ko.xz and 6.12 layouts', () => {
  it('reads ext4.ko.xz against the image BTF', () => {
    const vm = debianVmlinux('debian-13');
    const btf = imageBtf(parseElf(vm.bytes, vm.file));
    const file = debianModule('debian-13', '*/kernel/fs/ext4/ext4.ko.xz', 'ext4.ko.xz');
    const m = moduleFacts(readModuleBytes(file), file, btf);
    assert.equal(m.name, 'ext4');
    assert.equal(m.hasBtf, true);
    const open = m.functions.find((f) => f.name === 'ext4_file_open');
    assert.equal(open?.ftrace, true);
    assert.deepEqual(open?.proto?.params.map((p) => p.type), ['struct inode *', 'struct file *']);
    assert.ok(m.functions.every((f) => f.module === 'ext4' && f.inline === 'unknown'));
    assert.ok(!m.functions.some((f) => f.name.startsWith('__pfx_') || f.name.startsWith('__cfi_')));
    const ev = m.tracepoints.find((t) => t.name === 'ext4_da_write_begin');
    assert.equal(ev?.system, 'ext4');
    assert.equal(ev?.event, true);
    assert.ok(m.tracepoints.every((t) => t.system === 'ext4' || !t.event));
  });
});

describe('bad inputs name the file', () => {
  it('garbage instead of a vmlinux', () => {
    assert.throws(() => factsFromVmlinux({ vmlinux: new Uint8Array(5000).fill(7), file: 'garbage.vmlinux', meta }),
      (e) => isKernelDataError(e) && e.file === 'garbage.vmlinux');
  });
  it('a malformed inline tsv', () => {
    assert.throws(() => parseInlineTsv('name\tclass\tinlined_sites\nfoo\tweird\t3\n', undefined, 'bad.tsv'),
      (e) => isKernelDataError(e) && e.file === 'bad.tsv' && /line 2/.test(e.message));
  });
  it('a truncated module', () => {
    const ext4 = debianModule('debian-12', '*/kernel/fs/ext4/ext4.ko', 'ext4.ko');
    const vm = debianVmlinux('debian-12');
    const btf = imageBtf(parseElf(vm.bytes, vm.file));
    const cut = readModuleBytes(ext4).subarray(0, 50_000);
    assert.throws(() => moduleFacts(cut, 'ext4-cut.ko', btf), (e) => isKernelDataError(e) && e.file === 'ext4-cut.ko');
  });
});

describe('factsFromVmlinux on debian-11: built-in exit code that BTF does not list', () => {
  // 5.10's pahole encoded ftrace-able functions only, so BTF misses the `__exit` functions; the
  // DWARF body without a text symbol, in an image with an .exit.text section, still finds them.
  const vm = debianVmlinux('debian-11');
  const elf = parseElf(vm.bytes, vm.file);
  const inline = parseInlineTsv(fs.readFileSync(path.join(fixtures, 'debian-11-inline-excerpt.tsv'), 'utf8'), undefined, 'debian-11-inline-excerpt.tsv');
  const { facts } = factsFromVmlinux({ vmlinux: vm.bytes, file: vm.file, btf: imageBtf(elf), inline,
    meta: { ...meta, id: 'debian-11', release: '5.10.0-46-amd64', version: '5.10', codename: 'bullseye' } });
  const fn = (n: string) => facts.functions.find((f) => f.name === n);

  it('the image has an .exit.text section', () => {
    assert.ok((elf.section('.exit.text')?.size ?? 0) > 0);
  });

  it('cryptomgr_exit, exit_elf_binfmt and mousedev_psaux_unregister are exit-only, not in BTF', () => {
    for (const name of ['cryptomgr_exit', 'exit_elf_binfmt', 'mousedev_psaux_unregister']) {
      const f = fn(name);
      assert.ok(f, `${name} found`);
      assert.deepEqual([f.exitOnly, f.symbols, f.inBtf, f.proto], [true, [], false, undefined], name);
    }
  });

  it('functions with a text symbol are not', () => {
    assert.deepEqual(fn('cryptomgr_init')?.symbols, ['cryptomgr_init']);
    assert.equal(fn('cryptomgr_init')?.exitOnly, undefined);
    assert.equal(fn('vfs_read')?.exitOnly, undefined);
  });
});
