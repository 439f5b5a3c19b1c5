// Types read from real BTF (Debian 12's vmlinux and ext4.ko split BTF, the running kernel's
// /sys/kernel/btf/vmlinux) and CO-RE's name rules over them (model/coreTypes.ts): anonymous
// members looked through with offsets from the outer struct, `___flavor` names, embedded member
// paths, typedef chains, enumerators; what a source without unions/typedefs/layout answers.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { BtfKind, parseBtf, type Btf } from '../../../server/src/kernel/btf';
import { btfTypeStore, btfTypes, BTF_TYPES_COVERAGE } from '../../../server/src/kernel/btfTypes';
import { essentialName, memberPath, TypeIndex, typeShape, typeStoreFromTypes } from '../../../server/src/model/coreTypes';
import type { MemberFacts } from '../../../server/src/atlas/model';
import { debian61Ext4 } from './debian61';

const LIVE = '/sys/kernel/btf/vmlinux';
const liveSkip = (() => {
  try {
    fs.accessSync(LIVE, fs.constants.R_OK);
    return false;
  } catch {
    return `${LIVE} is not readable on this machine`;
  }
})();

describe('btfTypes on Debian 12 (6.1) BTF', () => {
  const pair = debian61Ext4();
  const base = parseBtf(pair.base, { file: pair.baseFile });
  const types = btfTypes(base);
  const index = new TypeIndex(typeStoreFromTypes(types, BTF_TYPES_COVERAGE));

  it('lists every named struct and union, typedef and enum, in name order', () => {
    const named = [...base.ids()].filter((id) => (base.kind(id) === BtfKind.STRUCT || base.kind(id) === BtfKind.UNION) && base.name(id) !== '');
    assert.equal(types.structs.length, named.length);
    assert.equal(types.typedefs.length, [...base.ids(BtfKind.TYPEDEF)].length);
    assert.equal(types.enums.length, [...base.ids(BtfKind.ENUM)].length + [...base.ids(BtfKind.ENUM64)].length);
    for (const list of [types.structs, types.typedefs, types.enums]) {
      for (let i = 1; i < list.length; i++) assert.ok(list[i - 1].name <= list[i].name, `${list[i - 1].name} before ${list[i].name}`);
    }
  });

  it('flattens anonymous members with the offsets the BTF reader finds through them', () => {
    let checked = 0;
    let viaAnon = 0;
    const byName = new Map<string, number[]>();
    for (const id of base.ids()) {
      const k = base.kind(id);
      if ((k !== BtfKind.STRUCT && k !== BtfKind.UNION) || base.name(id) === '') continue;
      byName.set(base.name(id), [...(byName.get(base.name(id)) ?? []), id]);
    }
    for (const flat of types.structs) {
      const ids = byName.get(flat.name)!;
      if (ids.length !== 1) continue;
      const id = ids[0];
      const count = new Map<string, number>();
      for (const m of flat.members) count.set(m.name, (count.get(m.name) ?? 0) + 1);
      for (const m of flat.members) {
        if (count.get(m.name) !== 1) continue;
        const found = base.member(id, m.name);
        assert.ok(found, `${flat.name}.${m.name} found by the reader`);
        assert.equal(m.bitOffset, found.bitOffset, `${flat.name}.${m.name} offset`);
        assert.equal(m.bitSize, found.bitSize || undefined, `${flat.name}.${m.name} bit width`);
        assert.equal(m.type, base.typeName(found.type), `${flat.name}.${m.name} type`);
        checked++;
        if (m.viaAnon) viaAnon++;
      }
    }
    assert.ok(checked > 50_000, `${checked} members checked`);
    assert.ok(viaAnon > 1_000, `${viaAnon} members reached through anonymous members`);
  });

  it('answers the well-known CO-RE questions of 6.1', () => {
    assert.equal(index.member('task_struct', '__state').status, 'present');
    assert.equal(index.member('task_struct', 'state').status, 'absent');
    assert.equal(index.member('request', 'rq_disk').status, 'absent'); // gone in 5.19
    const atime = index.member('inode', 'i_atime');
    assert.equal(atime.status, 'present');
    assert.equal(atime.status === 'present' && atime.member.type, 'struct timespec64');
    // sock_common: skc_daddr sits in an anonymous struct in an anonymous union.
    const daddr = index.member('struct sock', '__sk_common.skc_daddr');
    assert.equal(daddr.status, 'present');
    if (daddr.status === 'present') {
      assert.equal(daddr.member.bitOffset, base.member('sock', '__sk_common')!.bitOffset + base.member('sock_common', 'skc_daddr')!.bitOffset);
      assert.equal(daddr.member.viaAnon, true);
    }
    const se = index.member('task_struct', 'se.sum_exec_runtime');
    assert.equal(se.status === 'present' && se.member.bitOffset, base.member('task_struct', 'se')!.bitOffset + base.member('sched_entity', 'sum_exec_runtime')!.bitOffset);
    const sumExec = index.member('task_struct', 'se.nope');
    assert.equal(sumExec.status === 'absent' && sumExec.within, 'struct sched_entity');
  });

  it('matches flavored local names to the kernel type, as libbpf does', () => {
    assert.equal(essentialName('task_struct___old'), 'task_struct');
    assert.equal(essentialName('task_struct___x___y'), 'task_struct___x');
    assert.equal(essentialName('__state'), '__state');
    assert.equal(essentialName('a____b'), 'a____b', 'no separator: X and Y must not be underscores');
    assert.equal(essentialName('trace_event_raw_block_rq_completion___x'), 'trace_event_raw_block_rq_completion');
    assert.equal(index.member('struct task_struct___new', '__state').status, 'present');
    assert.equal(index.member('struct task_struct___o', 'state').status, 'absent');
    assert.equal(index.struct('union task_struct'), undefined, 'task_struct is a struct, not a union');
  });

  it('follows typedefs and members of anonymous types', () => {
    assert.deepEqual(index.resolveType('u32'), { type: 'unsigned int' });
    const atomic = index.resolveType('atomic_t');
    assert.equal(atomic?.type, 'struct {...}');
    assert.deepEqual(atomic?.members?.map((m) => m.name), ['counter']);
    // refcount_t → struct refcount_struct { atomic_t refs } → counter
    const cnt = index.member('struct sock', '__sk_common.skc_refcnt.refs.counter');
    assert.equal(cnt.status, 'present');
    // A named member of an anonymous struct type keeps its members (request.elv.icq).
    const elv = index.member('request', 'elv');
    assert.equal(elv.status === 'present' && elv.member.type, 'struct {...}');
    const icq = index.member('request', 'elv.icq');
    assert.equal(icq.status, 'present');
    assert.ok(icq.status === 'present' && elv.status === 'present' && icq.member.bitOffset === elv.member.bitOffset, 'icq is the first member of elv');
    assert.equal(index.member('request', 'elv.nope').status, 'absent');
    assert.equal(index.member('task_struct', 'mm.mmap').status, 'unknown', 'a pointer is not an embedded member');
  });

  it('answers enumerators of named and anonymous enums', () => {
    const v = index.enumValue('bpf_func_id', 'BPF_FUNC_ringbuf_output');
    assert.equal(v.status, 'present');
    assert.equal(v.status === 'present' && v.value, base.enumValue('BPF_FUNC_ringbuf_output'));
    assert.equal(index.enumValue('enum bpf_func_id', 'BPF_FUNC_nope').status, 'absent');
    assert.equal(index.enumValue('bpf_nope', 'X').status, 'no-type');
    assert.equal(index.enumValue(undefined, 'BPF_F_CURRENT_CPU').status, 'present'); // an anonymous enum
  });

  it('reads a module split BTF as its own types only', () => {
    const mod = parseBtf(pair.module, { file: pair.moduleFile, base });
    const own = btfTypes(mod);
    assert.ok(own.structs.some((s) => s.name === 'ext4_sb_info'));
    assert.ok(!own.structs.some((s) => s.name === 'task_struct'));
    assert.ok(own.structs.length < types.structs.length / 5);
  });
});

describe('type rules without BTF layout (DepSurf-like coverage)', () => {
  const members: MemberFacts[] = [{ name: 'state', type: 'volatile long int' }, { name: 'se', type: 'struct sched_entity' }, { name: 'u', type: 'union foo' }, { name: 'cnt', type: 'atomic_t' }];
  const index = new TypeIndex(typeStoreFromTypes({
    structs: [{ name: 'task_struct', members }, { name: 'sched_entity', members: [{ name: 'vruntime', type: 'u64' }] }],
    typedefs: [],
    enums: [{ name: 'bpf_map_type', values: [{ name: 'BPF_MAP_TYPE_HASH', value: 1 }] }],
  }, { structs: true, unions: false, typedefs: false, enums: 'bpf-uapi', layout: false, modules: false }));

  it('says present/absent for members of known structs, without offsets', () => {
    const a = index.member('task_struct', 'state');
    assert.deepEqual(a.status === 'present' && a.member, { name: 'state', type: 'volatile long int' });
    assert.equal(index.member('task_struct', '__state').status, 'absent');
    assert.equal(index.member('task_struct', 'se.vruntime').status, 'present');
  });

  it('says unknown where the source holds no such kind, never absent', () => {
    assert.equal(index.member('task_struct', 'u.x').status, 'unknown'); // unions are not in the source
    assert.equal(index.member('task_struct', 'cnt.counter').status, 'unknown'); // nor typedefs
    assert.equal(index.member('some_union', 'x').status, 'unknown');
    assert.equal(index.member('struct nope', 'x').status, 'no-type');
    assert.equal(index.enumValue('bpf_map_type', 'BPF_MAP_TYPE_RINGBUF').status, 'absent');
    assert.equal(index.enumValue('bpf_link_type', 'BPF_LINK_TYPE_ITER').status, 'no-type', 'a BPF UAPI enum the kernel lacks');
    assert.equal(index.enumValue('sock_type', 'SOCK_STREAM').status, 'unknown');
    assert.equal(index.enumValue(undefined, 'SOCK_STREAM').status, 'unknown');
  });
});

describe('type spelling', () => {
  it('parses the shapes member types take', () => {
    assert.deepEqual(typeShape('const struct sock *'), { kind: 'pointer' });
    assert.deepEqual(typeShape('struct list_head'), { kind: 'struct', name: 'list_head' });
    assert.deepEqual(typeShape('struct percpu_counter %[4]'), { kind: 'struct', name: 'percpu_counter' });
    assert.deepEqual(typeShape('volatile union {...}'), { kind: 'anonymous', union: true });
    assert.deepEqual(typeShape('void (*%)(struct sk_buff *)'), { kind: 'function' });
    assert.deepEqual(typeShape('long unsigned int'), { kind: 'base', name: 'long unsigned int' });
    assert.deepEqual(typeShape('const u32'), { kind: 'name', name: 'u32' });
    assert.deepEqual(memberPath('a.b[2].c'), ['a', 'b', 'c']);
  });
});

describe('the running kernel', () => {
  it('answers by name from its BTF as the eager extraction does', { skip: liveSkip }, () => {
    const b: Btf = parseBtf(fs.readFileSync(LIVE), { file: LIVE });
    const lazy = new TypeIndex(btfTypeStore(b));
    const eager = new TypeIndex(typeStoreFromTypes(btfTypes(b), BTF_TYPES_COVERAGE));
    for (const [s, m] of [['task_struct', '__state'], ['task_struct', 'state'], ['sk_buff', 'len'], ['sock', '__sk_common.skc_dport'], ['inode', 'i_atime'], ['request', 'rq_disk'], ['nope', 'x']]) {
      assert.deepEqual(lazy.member(s, m), eager.member(s, m), `${s}.${m}`);
    }
    assert.deepEqual(lazy.structNames(), eager.structNames());
    assert.deepEqual(lazy.enumValue('bpf_map_type', 'BPF_MAP_TYPE_HASH'), eager.enumValue('bpf_map_type', 'BPF_MAP_TYPE_HASH'));
  });
});
