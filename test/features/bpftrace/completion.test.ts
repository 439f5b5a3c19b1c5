// bpftrace completion over the real bundled atlas: probe types, targets (wildcard-aware, ranked
// stable-first, with presence and hazards), tracepoint systems then events, args fields and
// builtins.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KernelQuery } from '../../../server/src/atlas/model';
import { matchFunctionGlob } from '../../../server/src/analysis/globs';
import { completionBpftrace } from '../../../server/src/features/bpftrace/completion';
import { resolveCompletion } from '../../../server/src/features/completionResolve';
import { BT_PROBE_TYPES } from '../../../server/src/model/programKinds';
import { context, docAtCursor } from './helpers';

const debian12 = context(['debian-12']);

function complete(text: string, ctx = debian12) {
  const { doc, pos } = docAtCursor(text);
  return completionBpftrace(doc, pos, ctx);
}

function labels(text: string, ctx = debian12): string[] {
  return complete(text, ctx).items.map((i) => i.label);
}

test('tracepoint:syscalls:sys_enter_openat { args. completes filename (debian-12)', () => {
  const list = complete('tracepoint:syscalls:sys_enter_openat { printf("%s", str(args.‸');
  const filename = list.items.find((i) => i.label === 'filename');
  assert.ok(filename, JSON.stringify(list.items.map((i) => i.label)));
  assert.match(String(filename.detail), /char \*/);
  assert.ok(list.items.some((i) => i.label === 'dfd'));
  assert.ok(list.items.some((i) => i.label === 'flags'));
});

test('args-> works too, and fields of every probe in a list are offered', () => {
  const got = labels('tracepoint:sched:sched_wakeup,\ntracepoint:sched:sched_switch\n{\n  @[args->‸]\n}\n');
  for (const f of ['pid', 'prio', 'next_pid', 'prev_state']) assert.ok(got.includes(f), f);
});

test('fentry args are the function parameters (BTF)', () => {
  const got = labels('fentry:vfs_read { @ = hist(args.‸) }');
  assert.deepEqual(got.slice().sort(), ['buf', 'count', 'file', 'pos']);
});

test('probe types at the start of a probe, with aliases and a line each', () => {
  const list = complete('‸');
  assert.equal(list.items.length, BT_PROBE_TYPES.length);
  const k = list.items.find((i) => i.label === 'k')!;
  assert.equal(k.detail, 'alias of kprobe');
  const tp = list.items.find((i) => i.label === 'tracepoint')!;
  assert.equal((tp.textEdit as { newText: string }).newText, 'tracepoint:');
  assert.ok(list.items.every((i) => typeof i.documentation === 'object'));
});

test('kprobe:tcp_* is filtered by the wildcard and shows presence and hazards', () => {
  const list = complete('kprobe:tcp_v4_conn*‸');
  assert.ok(list.items.length > 0);
  assert.ok(list.items.every((i) => /^tcp_v4_conn/.test(i.label)), JSON.stringify(list.items.map((i) => i.label)));
  assert.ok(list.items.some((i) => i.label === 'tcp_v4_connect'));
  assert.ok(list.items.every((i) => /on 1\/1 targets/.test(String(i.detail))));
});

test('prefix completion ranks hooks without hazards first', () => {
  const list = complete('kprobe:blk_account_io‸');
  const sorted = list.items.slice().sort((a, b) => String(a.sortText).localeCompare(String(b.sortText)));
  const inlined = sorted.findIndex((i) => i.label === 'blk_account_io_start');
  assert.ok(inlined >= 0, JSON.stringify(sorted.map((i) => [i.label, i.detail])));
  assert.match(String(sorted[inlined].detail), /inlined/);
  const clean = sorted.findIndex((i) => !/—/.test(String(i.detail)));
  if (clean >= 0) assert.ok(clean < inlined);
});

test('tracepoint systems, then events of the system', () => {
  const systems = complete('tracepoint:sch‸');
  const sched = systems.items.find((i) => i.label === 'sched');
  assert.ok(sched);
  assert.equal((sched.textEdit as { newText: string }).newText, 'sched:');
  const events = labels('tracepoint:sched:sched_sw‸');
  assert.ok(events.includes('sched_switch'));
  assert.ok(events.every((e) => e.startsWith('sched_sw')));
  const aliased = labels('t:block:block_rq_i‸');
  assert.ok(aliased.includes('block_rq_issue') && aliased.includes('block_rq_insert'));
});

test('rawtracepoint names', () => {
  assert.ok(labels('rawtracepoint:sched_sw‸').includes('sched_switch'));
});

test('builtins in action blocks, retval only where it exists', () => {
  const inKprobe = complete('kprobe:vfs_read { @[‸] }');
  const names = inKprobe.items.map((i) => i.label);
  for (const b of ['pid', 'comm', 'nsecs', 'kstack']) assert.ok(names.includes(b), b);
  assert.ok(!names.includes('retval'));
  assert.ok(inKprobe.items.every((i) => i.documentation));
  assert.ok(labels('kretprobe:vfs_read { @ = hist(re‸) }').includes('retval'));
});

test('nothing inside comments, strings are not probe headers', () => {
  assert.equal(complete('// kprobe:tcp_‸\n').items.length, 0);
});

test('several targets: a field present on some kernels says so', () => {
  const ctx = context(['ubuntu-22.04', 'debian-12']);
  const list = complete('tracepoint:skb:kfree_skb { @[args.‸] = count(); }', ctx);
  const reason = list.items.find((i) => i.label === 'reason');
  assert.ok(reason);
  assert.match(String(reason.detail), /on 1 of 2 targets/);
  const location = list.items.find((i) => i.label === 'location')!;
  assert.doesNotMatch(String(location.detail), /of 2 targets/);
  assert.ok(String(location.sortText) < String(reason.sortText));
});

test('several targets: function targets show presence across kernels', () => {
  const ctx = context(['ubuntu-22.04', 'debian-12']);
  const list = complete('kprobe:tcp_drop‸', ctx);
  const drop = list.items.find((i) => i.label === 'tcp_drop');
  assert.ok(drop, JSON.stringify(list.items.map((i) => [i.label, i.detail])));
  assert.match(String(drop.detail), /on 1\/2 targets/);
  assert.match(String(drop.detail), /fully-inlined|absent/);
});

test('args fields in a predicate, closed or still being typed', () => {
  assert.ok(labels('tracepoint:skb:kfree_skb /args.pro‸ == 0x0800/ { @ = count(); }').includes('protocol'));
  assert.ok(labels('tracepoint:skb:kfree_skb /args.‸').includes('protocol'));
});

// The running kernel lists its function names in no set order (kallsyms order); answers must not
// depend on it. A bundled kernel whose name list is handed out shuffled stands in for it.
function shuffledNamesContext(targets: string[]) {
  const real = context(targets);
  const shuffled = new Map<string, KernelQuery>();
  const atlas = new Proxy(real.atlas, {
    get(target, prop, receiver) {
      if (prop !== 'get') return Reflect.get(target, prop, receiver);
      return (id: string) => {
        let k = shuffled.get(id);
        if (!k) {
          const kernel = target.get(id);
          const names = [...kernel.functionNames()];
          for (let i = names.length - 1; i > 0; i--) {
            const j = (i * 7919 + 13) % (i + 1);
            [names[i], names[j]] = [names[j], names[i]];
          }
          k = new Proxy(kernel, {
            get: (t, p, r) => (p === 'functionNames' ? () => names : p === 'functionNamesWithPrefix' ? undefined : Reflect.get(t, p, r)),
          });
          shuffled.set(id, k);
        }
        return k;
      };
    },
  });
  return { ...real, atlas };
}

test('kernels with unsorted name lists (the running kernel) give the same completions and glob matches', () => {
  const sorted = context(['debian-12', 'ubuntu-22.04']);
  const unsorted = shuffledNamesContext(['debian-12', 'ubuntu-22.04']);
  assert.notDeepEqual(unsorted.atlas.get('debian-12').functionNames().slice(0, 50), sorted.atlas.get('debian-12').functionNames().slice(0, 50));
  for (const text of ['kprobe:‸', 'kprobe:v‸', 'kprobe:vfs_r‸', 'kprobe:tcp_*‸', 'fentry:do_sys‸']) {
    assert.deepEqual(labels(text, unsorted), labels(text, sorted), text);
  }
  for (const glob of ['vfs_*', '*_open', 'tcp_v4_*', 'finish_task_switch*']) {
    for (const id of ['debian-12', 'ubuntu-22.04']) {
      assert.deepEqual(matchFunctionGlob(unsorted, unsorted.atlas.get(id), glob, 'bpftrace', 20), matchFunctionGlob(sorted, sorted.atlas.get(id), glob, 'bpftrace', 20), `${glob} on ${id}`);
    }
  }
});

test('completionItem/resolve: every target item, assessed in the list or not, gets its availability per kernel', () => {
  const ctx = context(['debian-11', 'debian-12']);
  const list = complete('kprobe:kfree_sk‸', ctx);
  const k = list.items.find((i) => i.label === 'kfree_skb');
  assert.ok(k, JSON.stringify(list.items.map((i) => i.label)));
  assert.equal(k.documentation, undefined, 'the list carries no per-kernel text');
  const r = resolveCompletion(k, ctx);
  assert.equal(r.detail, 'attaches on 1/2 targets · fails on debian-12 (fully inlined)');
  const lines = (r.documentation as { value: string }).value.split('\n');
  assert.deepEqual(lines.map((l) => l.replace(/ \(.*?\):/, ':')), ['- ✅ **debian-11**: attaches', '- ❌ **debian-12**: fails (fully inlined)']);
});
