// Tests for the bpftrace document model on fixture scripts in the style of the bpftrace tools,
// on every probe type spelling, and on malformed input (never throws, recovers per block).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BT_PROBE_TYPES } from '../../../server/src/model/programKinds';
import { parseBpftrace, offsetAt, positionAt, probeAt, type BtModel, type BtRange } from '../../../server/src/syntax/bpftrace';
import { repoRoot } from '../../repoRoot';

const fixtureDir = path.join(repoRoot(), 'test', 'fixtures', 'bt');
const fixture = (name: string) => fs.readFileSync(path.join(fixtureDir, name), 'utf8');

function textOf(m: BtModel, r: BtRange): string {
  return m.text.slice(offsetAt(m, r.start), offsetAt(m, r.end));
}

test('biosnoop: comma list over two lines, predicate, BEGIN/END, directives, shebang, comments', () => {
  const m = parseBpftrace(fixture('biosnoop.bt'));
  assert.deepEqual(m.errors, []);
  assert.ok(m.shebang?.text.startsWith('#!/usr/bin/env bpftrace'));
  assert.deepEqual(m.directives.map((d) => d.name), ['include']);
  assert.ok(m.comments.length >= 1);
  assert.deepEqual(m.probes.map((p) => p.raw), [
    'BEGIN', 'kprobe:blk_account_io_start', 'kprobe:__blk_account_io_start',
    'kprobe:blk_account_io_done', 'kprobe:__blk_account_io_done', 'END']);
  assert.deepEqual(m.blocks.map((b) => b.probes.length), [1, 2, 2, 1]);
  const [begin, start] = m.probes;
  assert.equal(begin.kind, 'begin');
  assert.equal(start.kind, 'kprobe');
  assert.equal(start.function, 'blk_account_io_start');
  assert.equal(textOf(m, start.nameRange!), 'blk_account_io_start');
  assert.equal(textOf(m, start.typeRange), 'kprobe');
  assert.equal(textOf(m, start.range), 'kprobe:blk_account_io_start');
  assert.equal(m.blocks[2].predicate?.text, '@start[arg0] != 0 && @iopid[arg0] != 0');
  assert.ok(m.blocks[1].argNUses.every((u) => u.index === 0) && m.blocks[1].argNUses.length === 3);
  assert.ok(m.blocks.every((b) => b.closed));
});

test('runqlat: tracepoint system/event and args fields attributed to every probe of a list', () => {
  const m = parseBpftrace(fixture('runqlat.bt'));
  assert.deepEqual(m.errors, []);
  assert.deepEqual(m.directives.map((d) => d.name), ['include', 'define']);
  const wake = m.probes.find((p) => p.event === 'sched_wakeup')!;
  const wakeNew = m.probes.find((p) => p.event === 'sched_wakeup_new')!;
  assert.equal(wake.system, 'sched');
  assert.equal(textOf(m, wake.systemRange!), 'sched');
  assert.deepEqual(wake.argsUsed.map((u) => u.field), ['pid']);
  assert.equal(wakeNew.argsUsed, wake.argsUsed);
  const sw = m.probes.find((p) => p.event === 'sched_switch')!;
  assert.deepEqual([...new Set(sw.argsUsed.map((u) => u.field))].sort(), ['next_pid', 'prev_pid', 'prev_state']);
  const use = sw.argsUsed[0];
  assert.equal(textOf(m, use.range), use.field);
  assert.equal(textOf(m, use.fullRange), `args.${use.field}`);
});

test('opensnoop and execsnoop: syscall tracepoints, wildcard event', () => {
  const m = parseBpftrace(fixture('opensnoop.bt'));
  assert.deepEqual(m.errors, []);
  assert.deepEqual(m.probes.filter((p) => p.kind === 'tracepoint').map((p) => p.event),
    ['sys_enter_open', 'sys_enter_openat', 'sys_exit_open', 'sys_exit_openat']);
  assert.deepEqual(m.blocks[1].argsUses.map((u) => u.field), ['filename']);
  assert.deepEqual(m.blocks[2].argsUses.map((u) => u.field), ['ret']);
  const e = parseBpftrace(fixture('execsnoop.bt'));
  const p = e.probes[1];
  assert.equal(p.event, 'sys_enter_exec*');
  assert.equal(p.wildcard, true);
  assert.deepEqual(p.argsUsed.map((u) => u.field), ['argv']);
});

test('vfsstat: wildcards in comma lists, fentry/fexit args and retval, interval', () => {
  const m = parseBpftrace(fixture('vfsstat.bt'));
  assert.deepEqual(m.errors, []);
  const kp = m.blocks[1].probes;
  assert.deepEqual(kp.map((p) => [p.function, p.wildcard]), [
    ['vfs_read*', true], ['vfs_write*', true], ['vfs_fsync', false], ['vfs_open', false], ['vfs_create', false]]);
  const fe = m.probes.find((p) => p.kind === 'fentry')!;
  assert.deepEqual(fe.argsUsed.map((u) => u.field), ['count']);
  const fx = m.blocks.find((b) => b.probes[0].kind === 'fexit')!;
  assert.equal(fx.retvalUses.length, 1);
  const iv = m.probes.find((p) => p.kind === 'interval')!;
  assert.deepEqual(iv.parts, ['s', '1']);
});

test('tcpdrop-tp: args uses in the predicate and in the body, in text order', () => {
  const m = parseBpftrace(fixture('tcpdrop-tp.bt'));
  assert.deepEqual(m.errors, []);
  assert.equal(m.blocks[0].predicate?.text, 'args.protocol == 0x0800 || args.protocol == 0x86DD');
  assert.deepEqual(m.blocks[0].argsUses.map((u) => u.field), ['protocol', 'protocol', 'reason', 'location']);
  assert.equal(textOf(m, m.blocks[0].argsUses[1].fullRange), 'args.protocol');
});

test('every probe type spelling and alias normalises', () => {
  for (const t of BT_PROBE_TYPES) {
    const needsTarget = !['begin', 'end'].includes(t.kind);
    const src = needsTarget ? `${t.name}:x:y { }` : `${t.name} { }`;
    const m = parseBpftrace(src);
    assert.equal(m.probes.length, 1, src);
    assert.equal(m.probes[0].kind, t.kind, src);
    assert.equal(m.probes[0].typeText, t.name, src);
  }
});

test('module qualifiers, offsets, uprobe paths, usdt, args-> accessor', () => {
  const m = parseBpftrace([
    'kprobe:nf_conntrack:nf_ct_delete+0x10 { }',
    'fentry:vmlinux:tcp_sendmsg { @[args->size] = count(); }',
    'kr:xfs:xfs_*',
    '{ @ = hist(retval); }',
    'uretprobe:/bin/bash:readline { printf("%s\\n", str(retval)); }',
    'usdt:/usr/lib/libc.so.6:libc:setjmp { }',
    'rt:sched_switch { }',
    'kfunc:do_exit, kretfunc:do_exit { }',
    'iter:task_file { }',
    'uprobe:"/opt/my app/bin":main { }',
  ].join('\n'));
  assert.deepEqual(m.errors, []);
  const [k, f, kr, ur, us, rt, kf, krf, it, up] = m.probes;
  assert.deepEqual([k.kind, k.module, k.function, k.offset], ['kprobe', 'nf_conntrack', 'nf_ct_delete', '0x10']);
  assert.equal(textOf(m, k.nameRange!), 'nf_ct_delete');
  assert.deepEqual([f.kind, f.module, f.function], ['fentry', 'vmlinux', 'tcp_sendmsg']);
  assert.deepEqual(f.argsUsed.map((u) => [u.field, u.accessor]), [['size', '->']]);
  assert.deepEqual([kr.kind, kr.module, kr.function, kr.wildcard], ['kretprobe', 'xfs', 'xfs_*', true]);
  assert.deepEqual([ur.kind, ur.binary, ur.function], ['uretprobe', '/bin/bash', 'readline']);
  assert.deepEqual([us.kind, us.binary, us.event], ['usdt', '/usr/lib/libc.so.6', 'setjmp']);
  assert.deepEqual([rt.kind, rt.event], ['rawtracepoint', 'sched_switch']);
  assert.deepEqual([kf.kind, krf.kind], ['fentry', 'fexit']);
  assert.deepEqual([it.kind, it.event], ['iter', 'task_file']);
  assert.deepEqual([up.binary, up.function], ['/opt/my app/bin', 'main']);
});

test('brace expansion in a name is not an action block', () => {
  const m = parseBpftrace('kprobe:tcp_{sendmsg,recvmsg} { @[probe] = count(); }');
  assert.deepEqual(m.errors, []);
  assert.equal(m.probes.length, 1);
  assert.equal(m.probes[0].function, 'tcp_{sendmsg,recvmsg}');
  assert.equal(m.probes[0].wildcard, true);
  assert.equal(m.blocks[0].closed, true);
});

test('strings with escapes and braces, comments with braces and args do not confuse the scanner', () => {
  const m = parseBpftrace([
    'tracepoint:sched:sched_process_exec',
    '{',
    '  printf("}{ \\" args.nope %s\\n", str(args.filename)); // args.comment }',
    '  /* { args.block } */ @[comm] = count();',
    '}',
    'END { }',
  ].join('\n'));
  assert.deepEqual(m.errors, []);
  assert.deepEqual(m.blocks[0].argsUses.map((u) => u.field), ['filename']);
  assert.equal(m.blocks.length, 2);
});

test('struct definitions, config blocks and fn definitions are not probes', () => {
  const m = parseBpftrace([
    'config = { max_map_keys = 1024 }',
    'struct foo { int a; char b[8]; }',
    'fn add(int64 $a, int64 $b): int64 { return $a + $b; }',
    'BEGIN { @ = add(1, 2); }',
  ].join('\n'));
  assert.deepEqual(m.errors, []);
  assert.deepEqual(m.others.map((o) => o.keyword), ['config', 'struct', 'fn']);
  assert.deepEqual(m.probes.map((p) => p.kind), ['begin']);
});

test('broken.bt: no exception, errors reported, later probes still found', () => {
  const m = parseBpftrace(fixture('broken.bt'));
  const raws = m.probes.map((p) => p.raw);
  for (const want of ['kprobe:do_nanosleep', 'tracepoint:sched:sched_switch', 'bogus:thing', 'kprobe:vfs_read',
    'kprobe:vfs_write', 'tracepoint:syscalls:', 'uretprobe:/bin/bash:readline', 'kprobe:tcp_{sendmsg,recvmsg}']) {
    assert.ok(raws.includes(want), `missing ${want} in ${JSON.stringify(raws)}`);
  }
  const msgs = m.errors.map((e) => e.message);
  assert.ok(msgs.some((x) => /not closed/.test(x)), msgs.join('; '));
  assert.ok(msgs.some((x) => /Unknown probe type 'bogus'/.test(x)), msgs.join('; '));
  assert.ok(msgs.some((x) => /Empty probe/.test(x)), msgs.join('; '));
  assert.ok(msgs.some((x) => /Unterminated comment/.test(x)), msgs.join('; '));
  const sw = m.probes.find((p) => p.event === 'sched_switch')!;
  assert.deepEqual(sw.argsUsed.map((u) => u.field), ['next_comm']);
  const empty = m.probes.find((p) => p.raw === 'tracepoint:syscalls:')!;
  assert.equal(empty.system, 'syscalls');
  assert.equal(empty.event, '');
  const up = m.probes.find((p) => p.kind === 'uretprobe')!;
  assert.equal(m.blocks[up.block].predicate?.text, 'pid == 42');
  assert.equal(m.blocks[up.block].retvalUses.length, 1);
});

test('never throws on arbitrary prefixes of every fixture and on random bytes', () => {
  const texts = fs.readdirSync(fixtureDir).filter((f) => f.endsWith('.bt')).map(fixture);
  for (const t of texts) {
    for (let n = 0; n <= t.length; n += 7) {
      const m = parseBpftrace(t.slice(0, n));
      assert.ok(Array.isArray(m.probes));
    }
  }
  let seed = 12345;
  const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
  const alphabet = 'kprobe:tracepoint{}/"\\\'*,#\n \t()args.->retval$@+0x;';
  for (let k = 0; k < 300; k++) {
    let s = '';
    for (let i = rnd() % 200; i > 0; i--) s += alphabet[rnd() % alphabet.length];
    assert.doesNotThrow(() => parseBpftrace(s));
  }
  assert.doesNotThrow(() => parseBpftrace(undefined as unknown as string));
});

test('positions: CRLF text, positionAt/offsetAt round trip, probeAt', () => {
  const m = parseBpftrace('BEGIN\r\n{\r\n}\r\nkprobe:vfs_read { }\r\n');
  assert.deepEqual(m.errors, []);
  const p = m.probes[1];
  assert.deepEqual(p.range.start, { line: 3, character: 0 });
  assert.equal(probeAt(m, { line: 3, character: 9 }), p);
  for (let o = 0; o <= m.text.length; o++) {
    const pos = positionAt(m, o);
    if (m.text[o - 1] === '\r' && m.text[o] === '\n') continue;
    assert.equal(offsetAt(m, pos), o);
  }
});

test('quoted probe parts: closed, and unterminated while typing', () => {
  const m = parseBpftrace('uprobe:"/opt/app":"ns::fn(int)" { }\nuprobe:"/opt/ap');
  assert.deepEqual(m.probes[0].parts, ['/opt/app', 'ns::fn(int)']);
  assert.equal(m.probes[0].function, 'ns::fn(int)');
  assert.deepEqual(m.probes[1].parts, ['/opt/ap']);
});
