// bpftrace hover over the real bundled atlas: probe types, probes per target kernel (through the
// shared renderer), wildcards, args fields and builtins.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MarkupContent } from 'vscode-languageserver';
import { hoverBpftrace } from '../../../server/src/features/bpftrace/hover';
import { context, docOf, fixtureText, positionOf } from './helpers';

const debian12 = context(['debian-12']);

function hoverText(text: string, needle: string, delta = 0, ctx = debian12): string {
  const doc = docOf(text);
  const h = hoverBpftrace(doc, positionOf(doc, needle, delta), ctx);
  return h ? (h.contents as MarkupContent).value : '';
}

test('probe type alias', () => {
  const v = hoverText('kr:vfs_read { }', 'kr', 1);
  assert.match(v, /alias of `kretprobe`/);
});

test('a tracepoint probe shows its record fields on the target', () => {
  const v = hoverText(fixtureText('runqlat.bt'), 'sched:sched_switch', 8);
  assert.match(v, /debian-12/);
  assert.match(v, /next_pid/);
  assert.match(v, /prev_state/);
});

test('an inlined kprobe shows the hazard and the bpftrace alternative', () => {
  const v = hoverText('kprobe:blk_account_io_start { }', 'blk_account', 3);
  assert.match(v, /fully-inlined/);
  assert.match(v, /tracepoint:block:block_rq_issue/);
});

test('a wildcard shows matches per kernel', () => {
  const v = hoverText('kprobe:vfs_read* { }', 'vfs_read', 2);
  assert.match(v, /debian-12: \d+ match/);
  assert.match(v, /`vfs_read`/);
});

test('args field type', () => {
  const v = hoverText('tracepoint:syscalls:sys_enter_openat { printf("%s", str(args.filename)); }', 'filename', 2);
  assert.match(v, /args\.filename/);
  assert.match(v, /char \*filename|char \* filename|const char \*/);
});

test('retval type of an fexit', () => {
  const v = hoverText('fexit:vfs_read { @ = hist(retval); }', 'retval', 1);
  assert.match(v, /ssize_t/);
});

test('builtin documentation', () => {
  const v = hoverText('BEGIN { printf("%d", nsecs); }', 'nsecs', 1);
  assert.ok(v.length > 10);
  assert.match(v, /nsecs/);
});

test('argN of a kprobe names the parameter type per kernel', () => {
  const v = hoverText('kprobe:vfs_read { @[arg0] = count(); }', 'arg0', 1);
  assert.match(v, /`kprobe:vfs_read`: `struct file \*` on every target kernel/);
});
