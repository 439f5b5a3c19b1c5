// libbpf C completion on fixtures, over the bundled atlases (ubuntu-22.04 from DepSurf, debian-12
// from the Debian image) and the knowledge tables. Items are resolved as an editor does when it
// shows them (completionItem/resolve gives the detail and documentation of target items).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CompletionItem, CompletionList, Position, TextEdit } from 'vscode-languageserver';
import { CompletionItemTag } from 'vscode-languageserver';
import { completion } from '../../server/src/features/completion';
import { MAX_TARGET_ITEMS, targetItemLimit } from '../../server/src/features/c/completion';
import { resolveCompletion } from '../../server/src/features/completionResolve';
import { hover } from '../../server/src/features/hover';
import { featureContext, loadFixture, marker, openFixture } from './fixture';

const TARGETS = ['ubuntu-22.04', 'debian-12'];

/** The list with every item resolved, as the editor shows it. */
function resolved(list: CompletionList, targets = TARGETS): CompletionList {
  return { ...list, items: list.items.map((i) => resolveCompletion(i, featureContext(targets))) };
}

async function complete(fixture: string, label?: string, targets = TARGETS): Promise<CompletionList> {
  const f = loadFixture(fixture);
  const doc = await openFixture(f);
  return resolved(completion(doc, marker(f, label), featureContext(targets)), targets);
}

function item(list: CompletionList, label: string): CompletionItem {
  const found = list.items.find((i) => i.label === label);
  assert.ok(found, `completion ${label} among ${list.items.map((i) => i.label).slice(0, 30).join(', ')}`);
  return found;
}

function edit(i: CompletionItem): TextEdit {
  assert.ok(i.textEdit && 'range' in i.textEdit, `${i.label} has a text edit`);
  return i.textEdit;
}

function doc(i: CompletionItem): string {
  const d = i.documentation;
  return typeof d === 'string' ? d : d?.value ?? '';
}

function at(line: number, character: number): Position {
  return { line, character };
}

describe('completion in SEC("…")', () => {
  it('offers section prefixes with what each is for, BTF tracepoints before kprobes', async () => {
    const list = await complete('c/completion/sec-prefix.bpf.c');
    const tpBtf = item(list, 'tp_btf');
    assert.match(String(tpBtf.detail), /BTF/);
    assert.equal(edit(tpBtf).newText, 'tp_btf/');
    assert.deepEqual(edit(tpBtf).range, { start: at(3, 5), end: at(3, 8) });
    assert.ok(list.items.every((i) => String(i.label).startsWith('tp_')), 'prefix-filtered');
  });

  it('tp_btf/sched_ lists sched_switch with its TP_PROTO arguments', async () => {
    const list = await complete('c/completion/tp-btf-target.bpf.c');
    assert.ok(list.items.length > 10 && list.items.every((i) => String(i.label).startsWith('sched_')));
    const sw = item(list, 'sched_switch');
    assert.match(String(sw.detail), /^\(bool preempt, struct task_struct \*prev, struct task_struct \*next/);
    // prev_state joined the arguments in 5.18: debian-12 (6.1) has it, ubuntu-22.04 (5.15) not.
    assert.match(String(sw.detail), /differs on debian-12/);
    assert.match(doc(sw), /unsigned int prev_state/);
    // The same verdict as the diagnostics: attaches on both, and the arguments differ.
    assert.equal(sw.labelDetails?.description, 'all 2 targets · ⚠ args-changed');
    assert.deepEqual(edit(sw).range, { start: at(3, 12), end: at(3, 18) });
    assert.equal(edit(sw).newText, 'sched_switch');
  });

  it('tracepoint/: systems first, then the events of a system with their record', async () => {
    const systems = await complete('c/completion/tracepoint-target.bpf.c', 'system');
    const sched = item(systems, 'sched');
    assert.equal(edit(sched).newText, 'sched/');
    assert.match(String(sched.detail), /on all 2 targets/);
    const events = await complete('c/completion/tracepoint-target.bpf.c', 'event');
    const sw = item(events, 'sched_switch');
    assert.match(doc(sw), /struct trace_event_raw_sched_switch/);
    assert.match(doc(sw), /pid_t prev_pid;/);
    assert.deepEqual(edit(sw).range, { start: at(5, 22), end: at(5, 30) });
  });

  it('kprobe/: functions filtered by prefix, stable ones ranked first, failing ones marked', async () => {
    const list = await complete('c/completion/kprobe-target.bpf.c');
    assert.ok(list.items.every((i) => String(i.label).startsWith('vfs_r')));
    const read = item(list, 'vfs_read');
    assert.match(String(read.detail), /vfs_read\(struct file \*file, char \*buf, size_t count, loff_t \*pos\)/);
    const sorted = [...list.items].sort((a, b) => String(a.sortText).localeCompare(String(b.sortText)));
    const firstMarked = sorted.findIndex((i) => i.tags?.includes(CompletionItemTag.Deprecated));
    if (firstMarked >= 0) {
      assert.ok(sorted.slice(firstMarked).every((i) => i.tags?.includes(CompletionItemTag.Deprecated)), 'marked items sort last');
    }
  });

  it('an inlined function shows its hazards per kernel and sorts after stable names', async () => {
    const f = loadFixture('c/completion/kprobe-target.bpf.c');
    const doc0 = await openFixture({ ...f, text: f.text.replace('SEC("kprobe/vfs_r")', 'SEC("kprobe/blk_account_io_")') });
    const pos = { line: marker(f).line, character: 'SEC("kprobe/blk_account_io_'.length };
    const list = completion(doc0, pos, featureContext(TARGETS));
    const start = item(list, 'blk_account_io_start');
    assert.match(String(start.labelDetails?.description), /1\/2 targets · ⚠ .*(fully-inlined|partially-inlined)/);
    assert.ok(start.tags?.includes(CompletionItemTag.Deprecated));
    // Per kernel, lazily: completionItem/resolve names each kernel once in the detail, and gives
    // one line per kernel in the documentation.
    assert.doesNotMatch(doc(start), /debian-12|ubuntu-22\.04/, 'the list carries no per-kernel text');
    const resolved = resolveCompletion(start, featureContext(TARGETS));
    assert.match(String(resolved.detail), /^void blk_account_io_start\(struct request \*rq\) · attaches on 1\/2 targets · fails on debian-12 \(fully inlined\)$/);
    assert.match(doc(resolved), /^- ❌ \*\*debian-12\*\* \(6\.1[^)]*\): fails \(fully inlined\)$/m);
    // DepSurf's unconfirmed partial inlining on ubuntu-22.04 is information, not a warning.
    assert.match(doc(resolved), /^- ✅ \*\*ubuntu-22\.04\*\* \([^)]*\): attaches$/m);
  });

  it('every target item resolves to its availability, and the resolve is for target items only', async () => {
    const events = await complete('c/completion/tracepoint-target.bpf.c', 'event');
    const sw = resolveCompletion(item(events, 'sched_switch'), featureContext(TARGETS));
    assert.equal(sw.detail, 'attaches on all 2 targets');
    assert.match(doc(sw), /pid_t prev_pid;/, 'the record stays in the documentation');
    assert.match(doc(sw), /^- ✅ \*\*ubuntu-22\.04\*\*.*: attaches$/m);
    assert.match(doc(sw), /^- ✅ \*\*debian-12\*\*.*: attaches$/m);
    const single = resolveCompletion(item(await complete('c/completion/tracepoint-target.bpf.c', 'event', ['debian-12']), 'sched_switch'), featureContext(['debian-12']));
    assert.equal(single.detail, 'attaches on debian-12');
    const systems = await complete('c/completion/tracepoint-target.bpf.c', 'system');
    const sched = item(systems, 'sched');
    assert.deepEqual(resolveCompletion(sched, featureContext(TARGETS)), sched, 'a system is not a target: unchanged');
  });

  it('sends target items without details, computes each list once, resolves details on request', async () => {
    const f = loadFixture('c/completion/kprobe-target.bpf.c');
    const doc0 = await openFixture(f);
    const first = completion(doc0, marker(f), featureContext(TARGETS));
    const read = item(first, 'vfs_read');
    assert.equal(read.detail, undefined);
    assert.equal(read.documentation, undefined);
    assert.match(String(read.labelDetails?.description), /targets/);
    // The same text again: the cached list, with its own text edits (a client may change them).
    const again = completion(doc0, marker(f), featureContext(TARGETS));
    assert.deepEqual(again, first);
    assert.notEqual(item(again, 'vfs_read').textEdit, read.textEdit);
    assert.equal(item(again, 'vfs_read').data, read.data);
    // Resolve fills in what the list left out; an item from elsewhere comes back unchanged.
    const full = resolveCompletion(JSON.parse(JSON.stringify(read)), featureContext(TARGETS));
    assert.match(String(full.detail), /vfs_read\(struct file \*file.* · attaches on all 2 targets$/);
    assert.match(doc(full), /^- ✅ \*\*ubuntu-22\.04\*\*.*: attaches$/m);
    assert.match(doc(full), /^- ✅ \*\*debian-12\*\*.*: attaches$/m);
    const other = { label: 'x', data: { something: 1 } };
    assert.equal(resolveCompletion(other, featureContext(TARGETS)), other);
  });

  it('an empty kprobe target is truncated and marked incomplete', async () => {
    const list = await complete('c/completion/kprobe-target.bpf.c', 'empty');
    assert.equal(list.isIncomplete, true);
    assert.equal(list.items.length, MAX_TARGET_ITEMS);
  });

  it('offers fewer names over many target kernels, the first in name order, and says the list is incomplete', async () => {
    // Every name is judged on every target: a list asks for at most ~900 kernel verdicts.
    assert.equal(targetItemLimit(1), MAX_TARGET_ITEMS);
    assert.equal(targetItemLimit(9), MAX_TARGET_ITEMS);
    assert.equal(targetItemLimit(30), 30);
    assert.equal(targetItemLimit(100_000), 20);
    const targets = featureContext(TARGETS).atlas.list().filter((m) => m.id.startsWith('ubuntu-')).map((m) => m.id).slice(0, 16);
    assert.equal(targets.length, 16);
    const ctx = featureContext(targets);
    const limit = targetItemLimit(targets.length);
    assert.ok(limit < MAX_TARGET_ITEMS);
    const f = loadFixture('c/completion/kprobe-target.bpf.c');
    const d = await openFixture(f);
    const list = completion(d, marker(f, 'empty'), ctx);
    assert.equal(list.isIncomplete, true);
    assert.equal(list.items.length, limit);
    const union = new Set<string>();
    for (const id of targets) for (const n of ctx.atlas.get(id).functionNames()) union.add(n);
    const first = [...union].sort().slice(0, limit);
    assert.deepEqual(list.items.map((i) => String(i.label)).sort(), first);
    // Each item says what it says in a list of the same targets that holds fewer names.
    const few = completion(d, marker(f), ctx);
    assert.equal(few.isIncomplete, false);
    for (const i of few.items) assert.ok(String(i.label).startsWith('vfs_r'));
    assert.ok(few.items.some((i) => i.label === 'vfs_read'));
    assert.match(String(item(few, 'vfs_read').labelDetails?.description), /16 targets/);
  });
});

describe('completion of handler signatures', () => {
  async function snippet(label: string): Promise<CompletionItem> {
    const list = await complete('c/completion/handler-snippet.bpf.c', label);
    assert.equal(list.items.length, 1, `one snippet for ${label}`);
    return list.items[0];
  }

  it('tp_btf: BPF_PROG with the TP_PROTO arguments', async () => {
    const s = await snippet('tp_btf');
    assert.match(edit(s).newText, /^int BPF_PROG\(\$\{1:sched_switch\}, bool preempt, struct task_struct \*prev, struct task_struct \*next/);
    assert.equal(s.insertTextFormat, 2);
  });

  it('tracepoint: the event class record, not the event name', async () => {
    const s = await snippet('tracepoint');
    assert.match(edit(s).newText, /\(struct trace_event_raw_sched_process_template \*ctx\)/);
    assert.deepEqual(edit(s).range, { start: at(7, 0), end: at(7, 4) });
  });

  it('syscall tracepoint: struct syscall_trace_enter', async () => {
    const s = await snippet('syscall');
    assert.match(edit(s).newText, /\(struct syscall_trace_enter \*ctx\)/);
  });

  it('kprobe, kretprobe and ksyscall macros with the function and syscall arguments', async () => {
    const kp = await snippet('kprobe');
    assert.match(edit(kp).newText, /^int BPF_KPROBE\(\$\{1:vfs_read\}, struct file \*file, char \*buf, size_t count, loff_t \*pos\)/);
    assert.deepEqual(edit(kp).range, { start: at(13, 0), end: at(13, 8) });
    const kr = await snippet('kretprobe');
    assert.match(edit(kr).newText, /^int BPF_KRETPROBE\(\$\{1:vfs_read\}, ssize_t ret\)/);
    const ks = await snippet('ksyscall');
    assert.match(edit(ks).newText, /^int BPF_KSYSCALL\(\$\{1:openat\}, int dfd, const char \*filename, int flags, umode_t mode\)/);
  });
});

describe('completion of ctx-> fields', () => {
  it('tracepoint record fields, filtered by what was typed', async () => {
    const list = await complete('c/completion/ctx-fields.bpf.c', 'prev');
    assert.deepEqual(list.items.map((i) => i.label), ['prev_comm', 'prev_pid', 'prev_prio', 'prev_state']);
    const pid = item(list, 'prev_pid');
    assert.match(doc(pid), /debian-12: `pid_t prev_pid` offset 24/);
    assert.match(doc(pid), /ubuntu-22.04: `pid_t prev_pid`/);
  });

  it('syscall records offer nr and args', async () => {
    const list = await complete('c/completion/ctx-fields.bpf.c', 'syscall');
    assert.deepEqual(list.items.map((i) => i.label), ['nr', 'args']);
  });
});

describe('completion and hover on broken code', () => {
  it('answer at every position of half-typed and tool-style programs without throwing', async () => {
    const ctx = featureContext(TARGETS);
    for (const name of ['c/broken.bpf.c', 'c/biosnoop.bpf.c', 'c/completion/handler-snippet.bpf.c']) {
      const f = loadFixture(name);
      const d = await openFixture(f);
      const lines = f.text.split('\n');
      let answered = 0;
      lines.forEach((line, n) => {
        for (let c = 0; c <= line.length; c += 3) {
          const list = completion(d, { line: n, character: c }, ctx);
          assert.ok(Array.isArray(list.items));
          if (list.items.length) answered++;
          hover(d, { line: n, character: c }, ctx);
        }
      });
      assert.ok(answered > 0, `${name}: some positions get completions`);
    }
  });

  it('the broken fixture still yields its programs and completes inside them', async () => {
    const f = loadFixture('c/broken.bpf.c');
    const d = await openFixture(f);
    assert.deepEqual(d.c!.programs.map((p) => p.section), ['kprobe/do_sys_op', 'tracepoint/sched/', '', 'tp_btf/sched_switch', 'fexit/vfs_read']);
    const ctx = featureContext(TARGETS);
    const kp = completion(d, { line: 5, character: 'SEC("kprobe/do_sys_op'.length }, ctx);
    item(kp, 'do_sys_open');
    const events = completion(d, { line: 8, character: 'SEC("tracepoint/sched/'.length }, ctx);
    item(events, 'sched_switch');
    // The event is not named yet: no record to offer fields from, and no guess.
    const fields = completion(d, { line: 10, character: '\tu32 pid = ctx->'.length }, ctx);
    assert.deepEqual(fields.items, []);
    const exit = d.c!.programs[4];
    assert.equal(exit.handler?.params.at(-1)?.name, 'ret');
  });
});

describe('first target lists built while idle (warmTargetListSteps)', () => {
  it('SEC("kprobe/ and SEC("fentry/ answer the same after the warm-up steps as computed in the request', async () => {
    const { warmTargetListSteps } = await import('../../server/src/features/c/completion');
    const { AnalysisCache } = await import('../../server/src/analysis/cache');
    const { stripMarkers } = await import('./fixture');
    const targets = ['ubuntu-20.04', 'ubuntu-22.04', 'debian-12'];
    const warmed = { ...featureContext(targets), cache: new AnalysisCache() };
    for (const step of warmTargetListSteps(warmed, ['kprobe', 'fentry'])) step();
    for (const kind of ['kprobe', 'fentry', 'kretprobe']) {
      const f = stripMarkers(`#include "vmlinux.h"\nSEC("${kind}//*^*/")\nint h(void *ctx) { return 0; }\n`);
      const doc = await openFixture({ ...f, name: 'warm.bpf.c' });
      const cold = completion(doc, marker(f), { ...featureContext(targets), cache: new AnalysisCache() });
      assert.equal(cold.items.length, MAX_TARGET_ITEMS, kind);
      assert.deepEqual(completion(doc, marker(f), warmed), cold, kind);
    }
  });
});
