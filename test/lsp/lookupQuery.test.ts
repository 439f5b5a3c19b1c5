// What the "Look up an attach point" box accepts: bpftrace and libbpf spellings, SEC("...") pasted
// from code, bare names; anything else is refused (the request then explains the expected form).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLookupQuery } from '../../server/src/features/lookup';

test('libbpf, bpftrace and bare spellings give the same targets', () => {
  const cases: [string, object][] = [
    ['kprobe:vfs_read', { kind: 'kprobe', name: 'vfs_read' }],
    ['kprobe/vfs_read', { kind: 'kprobe', name: 'vfs_read' }],
    ['kprobe/vfs_read+0x10', { kind: 'kprobe', name: 'vfs_read' }],
    ['SEC("fentry/tcp_sendmsg")', { kind: 'fentry', name: 'tcp_sendmsg' }],
    ['kfunc:tcp_sendmsg', { kind: 'fentry', name: 'tcp_sendmsg' }],
    ['tracepoint:sched:sched_switch', { kind: 'tracepoint', system: 'sched', name: 'sched_switch' }],
    ['tp/sched/sched_switch', { kind: 'tracepoint', system: 'sched', name: 'sched_switch' }],
    ['sched/sched_switch', { kind: 'tracepoint', system: 'sched', name: 'sched_switch' }],
    ['raw_tp/sched_switch', { kind: 'raw_tp', name: 'sched_switch' }],
    // bpftrace's short names: `rt` is a raw tracepoint, not a tracepoint system "rt".
    ['rt:sched_switch', { kind: 'raw_tp', name: 'sched_switch' }],
    ['t:sched:sched_switch', { kind: 'tracepoint', system: 'sched', name: 'sched_switch' }],
    ['kr:do_unlinkat', { kind: 'kretprobe', name: 'do_unlinkat' }],
    ['lsm/file_open', { kind: 'lsm', name: 'file_open' }],
    ['do_sys_openat2', { kind: 'kprobe', name: 'do_sys_openat2' }],
    ['kprobe.multi/finish_task_switch*', { kind: 'kprobe.multi', name: 'finish_task_switch*', pattern: true }],
  ];
  for (const [query, expected] of cases) {
    const got = parseLookupQuery(query);
    const clean = got && Object.fromEntries(Object.entries(got).filter(([, v]) => v !== undefined));
    assert.deepEqual(clean, expected, query);
  }
});

test('text that is not an attach point is refused', () => {
  for (const query of ['', '   ', 'two words', 'kprobe:', 'tracepoint:sched', 'a/b/c', 'tracepoint/sched/']) {
    assert.equal(parseLookupQuery(query), undefined, JSON.stringify(query));
  }
});
