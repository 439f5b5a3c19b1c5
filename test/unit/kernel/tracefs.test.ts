// tracefs reader tests: real format files captured from a mounted tracefs (test/fixtures/kernel/
// tracefs, laid out like /sys/kernel/tracing), the live tracefs when it is mounted, the documented
// line formats of available_filter_functions and kprobes/blacklist, and unreadable roots.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  parseEventFormat, parseAvailableFilterFunctions, parseKprobeBlacklist, readTracefs, splitFieldDecl,
} from '../../../server/src/kernel/tracefs';
import { KernelDataError } from '../../../server/src/kernel/errors';
import { repoRoot } from '../../repoRoot';

const FIXTURE = path.join(repoRoot(), 'test/fixtures/kernel/tracefs');
const fmt = (sysEvent: string) => path.join(FIXTURE, 'events', sysEvent, 'format');
const parseFixture = (sysEvent: string) => parseEventFormat(fs.readFileSync(fmt(sysEvent), 'utf8'), fmt(sysEvent));

test('sched_switch format: common header flagged, fields with exact offsets, print fmt', () => {
  const ev = parseFixture('sched/sched_switch');
  assert.equal(ev.name, 'sched_switch');
  assert.equal(ev.system, 'sched');
  assert.equal(ev.id, Number(fs.readFileSync(path.join(FIXTURE, 'events/sched/sched_switch/id'), 'utf8')));
  assert.deepEqual(ev.fields.filter((f) => f.common).map((f) => [f.name, f.offset, f.size]),
    [['common_type', 0, 2], ['common_flags', 2, 1], ['common_preempt_count', 3, 1], ['common_pid', 4, 4]]);
  const own = ev.fields.filter((f) => !f.common);
  assert.deepEqual(own[0], { name: 'prev_comm', type: 'char[16]', offset: 8, size: 16, signed: false });
  assert.deepEqual(own.find((f) => f.name === 'prev_pid'), { name: 'prev_pid', type: 'pid_t', offset: 24, size: 4, signed: true });
  assert.ok(ev.printFmt.startsWith('"prev_comm=%s prev_pid=%d'));
  assert.ok(ev.printFmt.includes('REC->next_prio'));
});

test('field declarations: __data_loc, pointers, enums, flexible arrays', () => {
  const rq = parseFixture('block/block_rq_issue');
  assert.deepEqual(rq.fields.find((f) => f.name === 'cmd'), { name: 'cmd', type: '__data_loc char[]', offset: 60, size: 4, signed: false });
  assert.deepEqual(rq.fields.find((f) => f.name === 'rwbs'), { name: 'rwbs', type: 'char[10]', offset: 34, size: 10, signed: false });
  const open = parseFixture('syscalls/sys_enter_openat');
  assert.equal(open.system, 'syscalls');
  assert.deepEqual(open.fields.filter((f) => !f.common).map((f) => `${f.type}|${f.name}@${f.offset}`),
    ['int|__syscall_nr@8', 'int|dfd@16', 'const char *|filename@24', 'int|flags@32', 'umode_t|mode@40']);
  const skb = parseFixture('skb/kfree_skb');
  assert.deepEqual(skb.fields.find((f) => f.name === 'skbaddr')?.type, 'void *');
  assert.deepEqual(skb.fields.find((f) => f.name === 'reason')?.type, 'enum skb_drop_reason');
  const fn = parseFixture('ftrace/function');
  assert.deepEqual(fn.fields.find((f) => f.name === 'args'), { name: 'args', type: 'unsigned long[]', offset: 24, size: 0, signed: false });
  assert.deepEqual(splitFieldDecl('char  *  *argv'), { name: 'argv', type: 'char **' });
});

test('every captured format file parses, with offsets increasing and the common header first', () => {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name === 'format') files.push(path.join(d, e.name));
    }
  };
  walk(path.join(FIXTURE, 'events'));
  assert.ok(files.length >= 10);
  for (const f of files) {
    const ev = parseEventFormat(fs.readFileSync(f, 'utf8'), f);
    assert.equal(ev.name, path.basename(path.dirname(f)));
    assert.equal(ev.fields[0].name, 'common_type', f);
    for (let i = 1; i < ev.fields.length; i++) assert.ok(ev.fields[i].offset! >= ev.fields[i - 1].offset!, f);
  }
});

test('readTracefs over the fixture tree: events with systems, no filter list, clear problem', () => {
  const data = readTracefs(FIXTURE);
  assert.equal(data.root, FIXTURE);
  const names = data.events.map((e) => `${e.system}:${e.name}`).sort();
  assert.ok(names.includes('sched:sched_switch') && names.includes('block:block_rq_issue'));
  assert.equal(data.filterFunctions, undefined);
  assert.equal(data.blacklist, undefined, 'no debugfs is read when a root is given');
  assert.ok(data.problems.some((p) => p.includes('available_filter_functions') && p.includes('not found')), data.problems.join('\n'));
});

test('readTracefs on a missing or empty root explains what to do, never throws', () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'tracefs-empty-'));
  try {
    const data = readTracefs(empty, { debugfs: empty });
    assert.deepEqual(data.events, []);
    assert.equal(data.root, undefined);
    assert.ok(data.problems.some((p) => p.includes('tracefs is not readable') && p.includes(empty) && p.includes('mount -t tracefs')));
    assert.ok(data.problems.some((p) => p.includes(path.join(empty, 'kprobes', 'blacklist')) && p.includes('not found')));
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

test('a damaged format file becomes a problem, the rest still read', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tracefs-bad-'));
  try {
    const good = path.join(root, 'events/sched/sched_switch');
    fs.mkdirSync(good, { recursive: true });
    fs.copyFileSync(fmt('sched/sched_switch'), path.join(good, 'format'));
    const bad = path.join(root, 'events/sched/broken');
    fs.mkdirSync(bad, { recursive: true });
    const text = fs.readFileSync(fmt('sched/sched_switch'), 'utf8').replace('offset:24;', 'offset;');
    fs.writeFileSync(path.join(bad, 'format'), text);
    const data = readTracefs(root);
    assert.deepEqual(data.events.map((e) => e.name), ['sched_switch']);
    assert.ok(data.problems.some((p) => p.startsWith(path.join(bad, 'format') + ': line ')), data.problems.join('\n'));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('text that is not a format file gives KernelDataError naming the file', () => {
  assert.throws(() => parseEventFormat('', 'x/format'), (e: unknown) => e instanceof KernelDataError && e.file === 'x/format');
  assert.throws(() => parseEventFormat('name: foo\nID: 3\n', 'y/format'), /y\/format: .*no "format:"/);
  assert.throws(() => parseEventFormat(fs.readFileSync('/proc/self/status', 'utf8'), '/proc/self/status'), KernelDataError);
  // Cut a real file anywhere: either it still parses (fewer fields) or it is a KernelDataError.
  const real = fs.readFileSync(fmt('block/block_rq_issue'), 'utf8');
  for (let cut = 0; cut < real.length; cut += 7) {
    try {
      const ev = parseEventFormat(real.slice(0, cut), 'cut/format');
      assert.ok(ev.fields.length <= 12);
    } catch (e) {
      assert.ok(e instanceof KernelDataError, `cut at ${cut}: ${String(e)}`);
    }
  }
});

// The kernel prints these with `%ps` (+ ` [module]` for module text): kernel/trace/ftrace.c t_show()
// and kernel/kprobes.c kprobe_blacklist_seq_show() ("0x%px-0x%px\t%ps"). This machine's kernel
// refuses available_filter_functions (EPERM) and has no kprobes, so no captured file exists here.
test('available_filter_functions and kprobes/blacklist line formats', () => {
  const ff = parseAvailableFilterFunctions('vfs_read\nfinish_task_switch.isra.0\next4_file_read_iter [ext4]\n\n');
  assert.deepEqual(ff, [{ name: 'vfs_read' }, { name: 'finish_task_switch.isra.0' }, { name: 'ext4_file_read_iter', module: 'ext4' }]);
  const bl = parseKprobeBlacklist('0xffffffff81e00000-0xffffffff81e00240\tentry_SYSCALL_64\n0x0000000000000000-0x0000000000000000\tdo_int3\n0xffffffffc0a01000-0xffffffffc0a01020\tfoo_nmi [foo]\ngarbage\n');
  assert.deepEqual(bl, [
    { start: 0xffffffff81e00000n, end: 0xffffffff81e00240n, name: 'entry_SYSCALL_64' },
    { start: 0n, end: 0n, name: 'do_int3' },
    { start: 0xffffffffc0a01000n, end: 0xffffffffc0a01020n, name: 'foo_nmi', module: 'foo' },
  ]);
});

const liveFormat = '/sys/kernel/tracing/events/sched/sched_switch/format';
const liveSkip = fs.existsSync(liveFormat) ? false : 'tracefs is not mounted at /sys/kernel/tracing';

test('live tracefs: every event format parses and sched_switch has its system', { skip: liveSkip }, () => {
  const data = readTracefs('/sys/kernel/tracing');
  assert.ok(data.events.length > 100, `${data.events.length} events`);
  const unparsable = data.problems.filter((p) => p.includes('/format: line'));
  assert.deepEqual(unparsable, []);
  const ss = data.events.find((e) => e.name === 'sched_switch');
  assert.equal(ss?.system, 'sched');
  const ids = new Set(data.events.map((e) => e.id));
  assert.equal(ids.size, data.events.length, 'event ids are unique');
});
