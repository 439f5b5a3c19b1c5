// The table of program kinds: one alias table for everything users type (libbpf prefixes, bpftrace
// probe types and short names: `rt` is a raw tracepoint, never a tracepoint system), which hazards
// concern which kind, and the target parser over that table.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BT_ATTACH_KIND, BT_PROBE_TYPES, builtinSectionPrefix, hazardApplies, kindOfSpelling, type AttachKind,
} from '../../../server/src/model/programKinds';
import { formatTarget, parseTarget, sectionOf } from '../../../server/src/model/targets';

test('every spelling of a kind, libbpf and bpftrace', () => {
  const spellings: [string, AttachKind][] = [
    ['kprobe', 'kprobe'], ['k', 'kprobe'], ['kretprobe', 'kretprobe'], ['kr', 'kretprobe'],
    ['fentry', 'fentry'], ['f', 'fentry'], ['kfunc', 'fentry'], ['fentry.s', 'fentry'],
    ['fexit', 'fexit'], ['fr', 'fexit'], ['kretfunc', 'fexit'],
    ['tracepoint', 'tracepoint'], ['tp', 'tracepoint'], ['t', 'tracepoint'],
    ['raw_tp', 'raw_tp'], ['raw_tracepoint', 'raw_tp'], ['rawtracepoint', 'raw_tp'], ['rt', 'raw_tp'], ['raw_tp.w', 'raw_tp'],
    ['tp_btf', 'tp_btf'], ['lsm', 'lsm'], ['lsm.s', 'lsm'], ['ksyscall', 'ksyscall'], ['kprobe.multi', 'kprobe.multi'], ['iter', 'iter'],
  ];
  for (const [spelling, kind] of spellings) assert.equal(kindOfSpelling(spelling), kind, spelling);
  for (const none of ['uprobe', 'usdt', 'profile', 'p', 'xdp', 'sched']) assert.equal(kindOfSpelling(none), undefined, none);
  // Every bpftrace probe type the atlas indexes has a kind, and its short names the same kind.
  for (const t of BT_PROBE_TYPES) {
    const kind = BT_ATTACH_KIND[t.kind];
    if (kind) assert.equal(kindOfSpelling(t.name), kind, t.name);
  }
  assert.equal(builtinSectionPrefix('kprobe.multi/vfs_*')?.prefix, 'kprobe.multi');
  assert.equal(builtinSectionPrefix('tp/sched/sched_switch')?.kind, 'tracepoint');
});

test('which hazards concern which kind', () => {
  assert.ok(hazardApplies('kprobe', 'kprobe-blacklist') && !hazardApplies('kprobe', 'no-btf') && !hazardApplies('kprobe', 'notrace'));
  assert.ok(hazardApplies('ksyscall', 'kprobe-blacklist'));
  assert.ok(hazardApplies('fentry', 'no-btf') && hazardApplies('fentry', 'notrace') && !hazardApplies('fentry', 'kprobe-blacklist'));
  for (const k of ['tp_btf', 'lsm', 'iter'] as const) assert.ok(hazardApplies(k, 'no-btf') && !hazardApplies(k, 'notrace'), k);
  assert.ok(!hazardApplies('tracepoint', 'no-btf') && hazardApplies('tracepoint', 'no-event'));
});

test('targets: rt:sched_switch is a raw tracepoint, t:sched:sched_switch a tracepoint', () => {
  assert.deepEqual(parseTarget('rt:sched_switch'), { kind: 'raw_tp', name: 'sched_switch' });
  assert.deepEqual(parseTarget('t:sched:sched_switch'), { kind: 'tracepoint', system: 'sched', name: 'sched_switch' });
  assert.deepEqual(parseTarget('k:vmlinux:do_sys_open'), { kind: 'kprobe', name: 'do_sys_open' });
  assert.deepEqual(parseTarget('SEC("tp_btf/sched_switch")'), { kind: 'tp_btf', name: 'sched_switch' });
  assert.deepEqual(parseTarget('vfs_read', { lenient: true }), { kind: 'kprobe', name: 'vfs_read' });
  assert.deepEqual(parseTarget('sched/sched_switch', { lenient: true }), { kind: 'tracepoint', system: 'sched', name: 'sched_switch' });
  assert.throws(() => parseTarget('vfs_read'), /expected one of/);
  assert.throws(() => parseTarget('rtx:sched_switch'), /unknown attach kind "rtx"/);
  assert.equal(formatTarget(parseTarget('tp/sched/sched_switch')), 'tracepoint:sched:sched_switch');
  assert.equal(sectionOf({ kind: 'tracepoint', system: 'sched', name: 'sched_switch' }), 'tracepoint/sched/sched_switch');
});
