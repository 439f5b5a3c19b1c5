// The hazard taxonomy on real bundled kernels: Ubuntu (DepSurf) and Debian (own readers). The
// expected facts are the ones documented for these kernels (DepSurf spot checks, KERNEL-DATA.md
// §4-5), not values read back from the atlas.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Atlas } from '../../../server/src/atlas/atlas';
import { AtlasFile } from '../../../server/src/atlas/format';
import { KernelIndex } from '../../../server/src/atlas/kernelIndex';
import { assess } from '../../../server/src/atlas/assess';
import { AnalysisCache } from '../../../server/src/analysis/cache';
import { attachVerdicts } from '../../../server/src/analysis/verdicts';
import { loadKnowledge } from '../../../server/src/knowledge/load';
import { cTypeKey as normalizeType } from '../../../server/src/model/cTypes';
import { parseTarget } from '../../../server/src/model/targets';
import { dataDir } from '../../../server/src/dataDir';
import type { Assessment, HazardName } from '../../../server/src/atlas/model';

const atlas = new Atlas({ live: false });
const hasDebian = fs.existsSync(path.join(dataDir(), 'atlas', 'debian.atlas'));

function look(kernel: string, target: string): Assessment {
  return assess(atlas.get(kernel), parseTarget(target));
}

/** How the target's shape differs across kernels, by the one verdict path (analysis/verdicts.ts). */
function across(kernels: string[], target: string): string[] {
  const ctx = { atlas, targets: kernels, knowledge: loadKnowledge(path.join(dataDir(), 'knowledge')), cache: new AnalysisCache() };
  return attachVerdicts(parseTarget(target), ctx).differences.map((d) => d.hazard);
}

function names(a: Assessment): HazardName[] {
  return a.hazards.map((h) => h.name);
}

describe('parseTarget', () => {
  it('reads every documented form', () => {
    assert.deepEqual(parseTarget('kprobe:do_sys_open'), { kind: 'kprobe', name: 'do_sys_open' });
    assert.deepEqual(parseTarget('kretprobe/do_sys_open+0x10'), { kind: 'kretprobe', name: 'do_sys_open' });
    assert.deepEqual(parseTarget('fentry:vfs_read'), { kind: 'fentry', name: 'vfs_read' });
    assert.deepEqual(parseTarget('fexit.s:vfs_read'), { kind: 'fexit', name: 'vfs_read' });
    assert.deepEqual(parseTarget('tracepoint:sched:sched_switch'), { kind: 'tracepoint', name: 'sched_switch', system: 'sched' });
    assert.deepEqual(parseTarget('tracepoint:sched/sched_switch'), { kind: 'tracepoint', name: 'sched_switch', system: 'sched' });
    assert.deepEqual(parseTarget('tp/sched/sched_switch'), { kind: 'tracepoint', name: 'sched_switch', system: 'sched' });
    assert.deepEqual(parseTarget('raw_tp:sched_switch'), { kind: 'raw_tp', name: 'sched_switch' });
    assert.deepEqual(parseTarget('tp_btf:sched_switch'), { kind: 'tp_btf', name: 'sched_switch' });
    assert.deepEqual(parseTarget('lsm:file_open'), { kind: 'lsm', name: 'file_open' });
    assert.deepEqual(parseTarget('ksyscall:openat'), { kind: 'ksyscall', name: 'openat' });
    assert.deepEqual(parseTarget('kprobe.multi:vfs_*'), { kind: 'kprobe.multi', name: 'vfs_*', pattern: true });
    assert.deepEqual(parseTarget('kprobe:finish_task_switch.isra.0'), { kind: 'kprobe', name: 'finish_task_switch.isra.0' });
  });

  it('refuses what it cannot read, saying which forms exist', () => {
    assert.throws(() => parseTarget('vfs_read'), /expected one of kprobe:FN/);
    assert.throws(() => parseTarget('uprobe:/bin/sh:main'), /unknown attach kind "uprobe"/);
    assert.throws(() => parseTarget('kprobe:'), /names no function/);
    assert.throws(() => parseTarget('kprobe:do sys'), /not a kernel symbol name/);
    assert.throws(() => parseTarget('tracepoint:a:b:c'), /tracepoint:SYSTEM:EVENT/);
  });
});

describe('assess on Ubuntu (DepSurf)', () => {
  it('blk_account_io_start: partially inlined on 22.04, fully inlined on 22.10', () => {
    const jammy = look('ubuntu-22.04', 'kprobe:blk_account_io_start');
    assert.equal(jammy.found, true);
    assert.equal(jammy.attachable, true);
    assert.ok(names(jammy).includes('partially-inlined'));
    // DepSurf labels it "Selective Inline" but records no caller it is inlined into: information.
    const partial = jammy.hazards.find((h) => h.name === 'partially-inlined')!;
    assert.equal(partial.severity, 'info');
    assert.match(partial.message, /names no caller it is inlined into: a probe may miss calls \(not confirmed\)/);
    const kinetic = look('ubuntu-22.10', 'kprobe:blk_account_io_start');
    assert.equal(kinetic.attachable, false);
    assert.deepEqual(names(kinetic), ['fully-inlined']);
    assert.equal(kinetic.hazards[0].severity, 'error');
    // Up to 5.11 it was an ordinary function.
    assert.ok(!names(look('ubuntu-20.04', 'kprobe:blk_account_io_start')).some((n) => n.endsWith('inlined')));
  });

  it('finish_task_switch: renamed to .isra.0 from 5.11, plain before', () => {
    const a = look('ubuntu-22.04', 'kprobe:finish_task_switch');
    assert.equal(a.found, true);
    assert.equal(a.attachable, false);
    assert.ok(names(a).includes('renamed'));
    assert.equal(a.attachAs, 'finish_task_switch.isra.0');
    assert.equal(look('ubuntu-20.10', 'kprobe:finish_task_switch').attachable, true);
    const exact = look('ubuntu-22.04', 'kprobe:finish_task_switch.isra.0');
    assert.equal(exact.attachable, true);
    assert.deepEqual(names(look('ubuntu-22.04', 'fentry:finish_task_switch.isra.0')), ['no-btf']);
  });

  it('vfs_read: selectively inlined 4.8-5.4; fentry needs the BTF 5.4 did not ship', () => {
    assert.ok(names(look('ubuntu-20.04', 'kprobe:vfs_read')).includes('partially-inlined'));
    assert.ok(!names(look('ubuntu-20.10', 'kprobe:vfs_read')).includes('partially-inlined'));
    const fentry54 = look('ubuntu-20.04', 'fentry:vfs_read');
    assert.equal(fentry54.attachable, false);
    assert.ok(names(fentry54).includes('no-btf'));
    const fentry68 = look('ubuntu-24.04', 'fentry:vfs_read');
    assert.equal(fentry68.attachable, true);
    assert.equal(fentry68.proto, 'ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t *pos)');
    // DepSurf has no ftrace data: said as unknown, never guessed.
    assert.ok(names(fentry68).includes('unknown'));
  });

  it('tcp_drop: fully inlined from 5.8 (DepSurf spot check 3)', () => {
    assert.equal(look('ubuntu-20.04', 'kprobe:tcp_drop').attachable, true);
    assert.deepEqual(names(look('ubuntu-20.10', 'kprobe:tcp_drop')), ['fully-inlined']);
    assert.deepEqual(names(look('ubuntu-20.04-riscv64', 'kprobe:tcp_drop')), ['fully-inlined']);
  });

  it('tcp4_proc_init lives in .init.text', () => {
    const a = look('ubuntu-22.04', 'kprobe:tcp4_proc_init');
    assert.ok(names(a).includes('init-only'));
    assert.equal(a.attachable, false);
  });

  it('s_next: five static functions share the name on 5.15', () => {
    assert.ok(names(look('ubuntu-22.04', 'kprobe:s_next')).includes('duplicate'));
  });

  it('a function missing from vmlinux is unknown, not absent, when modules are not covered', () => {
    const a = look('ubuntu-22.04', 'kprobe:no_such_function_anywhere');
    assert.equal(a.found, false);
    assert.deepEqual(names(a), ['unknown']);
    assert.match(a.hazards[0].message, /module/);
  });

  it('names whose DepSurf page is missing are unknown', () => {
    const a = look('ubuntu-22.04', 'kprobe:kfree');
    assert.ok(names(a).includes('unknown'));
    assert.match(a.hazards[0].message, /no facts about kfree/);
  });

  it('tracepoints: fields and args; args-changed across 5.15 → 5.19 (sched_switch gained prev_state)', () => {
    const a = look('ubuntu-22.04', 'tracepoint:sched:sched_switch');
    const b = look('ubuntu-22.10', 'tracepoint:sched:sched_switch');
    assert.equal(a.attachable, true);
    assert.deepEqual(a.fields!.map((f) => f.name), ['prev_comm', 'prev_pid', 'prev_prio', 'prev_state', 'next_comm', 'next_pid', 'next_prio']);
    assert.equal(a.fields![0].type, 'char[16]');
    // DepSurf has types only: no offsets, and the atlas says it does not know them.
    assert.equal(a.fields![0].offset, undefined);
    assert.ok(names(a).includes('unknown'));
    assert.deepEqual(b.args!.map((p) => p.name), ['preempt', 'prev', 'next', 'prev_state']);
    // A tracepoint program reads the record (same fields on both); raw_tp/tp_btf read TP_PROTO.
    assert.deepEqual(across(['ubuntu-22.04', 'ubuntu-22.10'], 'tracepoint:sched:sched_switch'), []);
    assert.deepEqual(across(['ubuntu-22.04', 'ubuntu-22.10'], 'raw_tp:sched_switch'), ['args-changed']);
    // sched is built into the vmlinux: an event it does not have is absent, modules or not.
    assert.deepEqual(names(look('ubuntu-22.04', 'tracepoint:sched:no_such_event')), ['absent']);
    const wrongSystem = look('ubuntu-22.04', 'tracepoint:block:sched_switch');
    assert.deepEqual(names(wrongSystem), ['absent']);
    assert.match(wrongSystem.hazards[0].message, /sched:sched_switch/);
  });

  it('an event whose system is not known still matches, with the system said unknown', () => {
    const facts = AtlasFile.open(path.join(dataDir(), 'atlas', 'ubuntu.atlas')).loadFacts('ubuntu-22.04');
    facts.tracepoints = facts.tracepoints.map((t) => ({ ...t, system: undefined }));
    const a = assess(KernelIndex.fromFacts(facts), parseTarget('tracepoint:sched:sched_switch'));
    assert.equal(a.attachable, true);
    assert.deepEqual(names(a), ['unknown']);
    assert.match(a.hazards[0].message, /which trace system sched_switch belongs to/);
  });

  it('tp_btf and lsm need BTF; the LSM prototype changed in 5.0 (file_open lost cred)', () => {
    assert.ok(names(look('ubuntu-18.04', 'tp_btf:sched_switch')).includes('no-btf'));
    assert.equal(look('ubuntu-22.04', 'tp_btf:sched_switch').attachable, true);
    const old = look('ubuntu-16.04', 'lsm:file_open');
    const jammy = look('ubuntu-22.04', 'lsm:file_open');
    assert.equal(jammy.proto, 'int security_file_open(struct file *file)');
    assert.ok(names(old).includes('no-btf'));
    assert.deepEqual(across(['ubuntu-16.04', 'ubuntu-22.04'], 'lsm:file_open'), ['signature-changed']);
  });

  it('ksyscall resolves the arch wrapper', () => {
    const a = look('ubuntu-22.04', 'ksyscall:openat');
    assert.equal(a.attachAs, '__x64_sys_openat');
    assert.equal(a.attachable, true);
    assert.deepEqual(names(look('ubuntu-22.04', 'ksyscall:no_such_call')), ['absent']);
  });

  it('kprobe.multi patterns count the attachable matches', () => {
    const ctx = { atlas, targets: ['ubuntu-22.04'], knowledge: loadKnowledge(path.join(dataDir(), 'knowledge')), cache: new AnalysisCache() };
    const a = attachVerdicts(parseTarget('kprobe.multi:vfs_rea*'), ctx).kernels[0].assessment;
    assert.equal(a.found, true);
    assert.ok(a.symbols!.includes('vfs_read'));
  });
});

describe('recomputed Ubuntu record offsets (scripts/ubuntu/build.ts --offsets)', { skip: !hasDebian && 'data/atlas/debian.atlas not built' }, () => {
  it('equal the exact Debian offsets wherever both kernels have the same fields', async () => {
    const { loadFieldSizes, withOffsets } = await import('../../../scripts/ubuntu/build');
    const sizes = loadFieldSizes()!;
    assert.ok(sizes, 'scripts/ubuntu/x86_64-field-sizes.json is committed');
    let compared = 0;
    for (const [ubuntu, debian] of [['ubuntu-24.04', 'debian-13'], ['ubuntu-23.04', 'debian-12'], ['ubuntu-21.04', 'debian-11']]) {
      const u = atlas.get(ubuntu);
      const d = atlas.get(debian);
      for (const t of u.tracepoints()) {
        const other = d.tracepoint(t.name, t.system);
        if (!t.fields || !other?.fields) continue;
        // Syscall events are not DepSurf structs: their fixed-slot layout is written by the build
        // itself, so they are compared as shipped (the next test), not recomputed here.
        if (t.system === 'syscalls') continue;
        const fields = withOffsets(t.fields, sizes);
        if (fields.some((f) => f.offset === undefined)) continue;
        const shape = (fs: { name: string; type: string }[]) => fs.map((f) => `${f.name}:${normalizeType(f.type)}`).join(',');
        if (shape(fields) !== shape(other.fields)) continue;
        compared++;
        assert.deepEqual(fields.map((f) => [f.name, f.offset, f.size]), other.fields.map((f) => [f.name, f.offset, f.size]), `${ubuntu} vs ${debian}: ${t.system}:${t.name}`);
      }
    }
    assert.ok(compared > 1000, `only ${compared} events compared`);
  });

  it('Ubuntu syscall events have the exact Debian record layout where the arguments are known', () => {
    let compared = 0;
    for (const [ubuntu, debian] of [['ubuntu-24.04', 'debian-13'], ['ubuntu-22.04', 'debian-12'], ['ubuntu-21.04', 'debian-11']]) {
      const u = atlas.get(ubuntu);
      const d = atlas.get(debian);
      for (const t of u.tracepoints()) {
        if (t.system !== 'syscalls') continue;
        assert.ok(t.event && /^sys_(enter|exit)_/.test(t.name), `${ubuntu}: ${t.name}`);
        const other = d.tracepoint(t.name, 'syscalls');
        if (!t.fields || !other?.fields) continue;
        if (t.fields.map((f) => f.name).join() !== other.fields.map((f) => f.name).join()) continue;
        compared++;
        assert.deepEqual(t.fields.map((f) => [f.name, f.offset, f.size]), other.fields.map((f) => [f.name, f.offset, f.size]), `${ubuntu} vs ${debian}: ${t.name}`);
      }
      assert.ok(u.tracepoint('sys_exit_openat', 'syscalls'), `${ubuntu} has syscalls:sys_exit_openat`);
    }
    assert.ok(compared > 300, `only ${compared} syscall events compared`);
  });
});

describe('assess on Debian (own readers)', { skip: !hasDebian && 'data/atlas/debian.atlas not built' }, () => {
  it('debian-12: blk_account_io_start fully inlined', () => {
    const a = look('debian-12', 'kprobe:blk_account_io_start');
    assert.equal(a.attachable, false);
    assert.ok(names(a).includes('fully-inlined'));
  });

  it('debian-12: finish_task_switch renamed to finish_task_switch.isra.0', () => {
    const a = look('debian-12', 'kprobe:finish_task_switch');
    assert.ok(names(a).includes('renamed'));
    assert.equal(a.attachAs, 'finish_task_switch.isra.0');
  });

  it('block_io_start (6.5+) is absent, not unknown, on kernels without module coverage: its system block is built in', () => {
    for (const [id, t] of [['debian-11', 'tp_btf:block_io_start'], ['ubuntu-22.04', 'tp_btf:block_io_start'], ['ubuntu-22.04', 'tracepoint:block:block_io_done']] as const) {
      const a = look(id, t);
      assert.equal(a.found, false, `${id} ${t}`);
      assert.deepEqual(names(a), ['absent'], `${id} ${t}`);
      assert.match(a.hazards[0].message, /its system block is built into the vmlinux \(\d+ events, e\.g\. block_/);
    }
    // A system this kernel does not build in (nfs is a module) stays unknown.
    assert.deepEqual(names(look('ubuntu-22.04', 'tracepoint:nfs:nfs_initiate_commit')), ['unknown']);
    assert.equal(look('debian-13', 'tp_btf:block_io_start').attachable, true);
  });

  it('debian-12: do_sys_open partially inlined at 10 call sites', () => {
    const a = look('debian-12', 'kprobe:do_sys_open');
    assert.ok(names(a).includes('partially-inlined'));
    assert.equal(a.inlinedSites, 10);
    // Counted inlined call sites outside the function: a warning, with the count.
    assert.equal(a.hazards.find((h) => h.name === 'partially-inlined')!.severity, 'warning');
    assert.equal(a.attachable, true);
  });

  it('debian-12: exact tracepoint offsets and a definite absent (modules covered)', () => {
    const a = look('debian-12', 'tracepoint:sched:sched_switch');
    assert.equal(a.fields![0].name, 'prev_comm');
    assert.equal(a.fields![0].offset, 8);
    assert.equal(a.fields![0].size, 16);
    const gone = look('debian-12', 'kprobe:no_such_function_anywhere');
    assert.deepEqual(names(gone), ['absent']);
    assert.equal(gone.hazards[0].severity, 'error');
  });

  it('debian-12 vs ubuntu-22.04: shapes compared across sources', () => {
    const a = look('debian-12', 'tracepoint:sched:sched_switch');
    const b = look('ubuntu-22.04', 'tracepoint:sched:sched_switch');
    // Same record fields in both spellings; 6.1 passes prev_state as a fourth argument.
    assert.ok(a.found && b.found);
    assert.deepEqual(across(['debian-12', 'ubuntu-22.04'], 'tracepoint:sched:sched_switch'), []);
    assert.deepEqual(across(['debian-12', 'ubuntu-22.04'], 'tp_btf:sched_switch'), ['args-changed']);
  });
});

describe('built-in trace systems from one walk per kernel (assess with a kernel memo)', () => {
  // The rule as first written: a walk over every tracepoint for each absent event.
  function reference(kernel: ReturnType<typeof atlas.get>, name: string, written?: string): string | undefined {
    const system = written ?? /^([a-z0-9]+)_/.exec(name)?.[1];
    if (!system) return undefined;
    const events = kernel.tracepoints().filter((t) => t.system === system && !t.module);
    if (!events.length) return undefined;
    if (!written && kernel.tracepoints().some((t) => t.name.startsWith(`${system}_`) && t.system !== system)) return undefined;
    return `its system ${system} is built into the vmlinux (${events.length} events, e.g. ${events[0].name})`;
  }
  it('says the same as a walk per event, for every event head and system of kernels without module coverage', () => {
    for (const id of ['ubuntu-20.04', 'debian-11']) {
      if (!atlas.list().some((m) => m.id === id)) continue;
      const kernel = atlas.get(id);
      const derived = new Map<string, unknown>();
      const memo = <T>(key: string, make: () => T): T => {
        if (!derived.has(key)) derived.set(key, make());
        return derived.get(key) as T;
      };
      const heads = [...new Set(kernel.tracepoints().map((t) => t.name.split('_')[0]))];
      const systems = [...new Set(kernel.tracepoints().map((t) => t.system).filter((s): s is string => !!s))];
      const cases: [string, string | undefined][] = [
        ...heads.map((h): [string, undefined] => [`${h}_no_such_event_x`, undefined]),
        ...systems.map((s): [string, string] => ['no_such_event_x', s]),
        ['zz_no_such_event', undefined], ['nounderscore', undefined],
      ];
      for (const [name, system] of cases) {
        for (const kind of system ? ['tracepoint'] as const : ['tp_btf', 'raw_tp'] as const) {
          const target = system ? { kind, system, name } : { kind, name };
          const a = assess(kernel, target, memo);
          assert.deepEqual(a, assess(kernel, target), `${id} ${kind} ${system ?? ''} ${name}`);
          const expected = reference(kernel, name, system);
          const message = a.hazards.map((h) => h.message).join(' ');
          if (expected) assert.ok(message.includes(expected), `${id} ${name}: ${message}`);
          else assert.ok(!message.includes('is built into the vmlinux'), `${id} ${name}: ${message}`);
        }
      }
    }
  });
});
