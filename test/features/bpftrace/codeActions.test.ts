// bpftrace quick fixes over the real bundled atlas: rewrite to the stable tracepoint, to a
// wildcard that catches a compiler clone, to the closest name; suppression comments.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CodeAction, TextEdit } from 'vscode-languageserver';
import { codeActionsBpftrace } from '../../../server/src/features/bpftrace/codeActions';
import { diagnosticsBpftrace } from '../../../server/src/features/bpftrace/diagnostics';
import type { BtModel } from '../../../server/src/syntax/bpftrace';
import { context, docOf } from './helpers';

const debian12 = context(['debian-12']);
const URI = 'file:///test/script.bt';

function actionsFor(text: string, line = 0, ctx = debian12): CodeAction[] {
  const doc = docOf(text, URI);
  const ds = diagnosticsBpftrace(doc, ctx);
  const range = { start: { line, character: 0 }, end: { line, character: 200 } };
  return codeActionsBpftrace(doc, range, ds.filter((d) => d.range.start.line === line), ctx);
}

function edits(a: CodeAction): TextEdit[] {
  return a.edit?.changes?.[URI] ?? [];
}

function apply(text: string, a: CodeAction): string {
  const [e] = edits(a);
  const m = docOf(text).bt as BtModel;
  const lineStart = (l: number) => m.lineStarts[l];
  const s = lineStart(e.range.start.line) + e.range.start.character;
  const t = lineStart(e.range.end.line) + e.range.end.character;
  return text.slice(0, s) + e.newText + text.slice(t);
}

test('debian-12: kprobe:blk_account_io_start → tracepoint:block:block_rq_issue (preferred quick fix)', () => {
  const text = 'kprobe:blk_account_io_start\n{\n  @[comm] = count();\n}\n';
  const actions = actionsFor(text);
  const fix = actions.find((a) => edits(a)[0]?.newText === 'tracepoint:block:block_rq_issue');
  assert.ok(fix, JSON.stringify(actions.map((a) => a.title)));
  assert.equal(fix.kind, 'quickfix');
  assert.ok(fix.diagnostics?.some((d) => d.code === 'fully-inlined'));
  assert.equal(apply(text, fix), 'tracepoint:block:block_rq_issue\n{\n  @[comm] = count();\n}\n');
  assert.ok(actions.find((a) => a.isPreferred));
});

test('kprobe:tcp_drop → tracepoint:skb:kfree_skb', () => {
  const actions = actionsFor('kprobe:tcp_drop { @ = count(); }');
  assert.ok(actions.some((a) => edits(a)[0]?.newText === 'tracepoint:skb:kfree_skb'), JSON.stringify(actions.map((a) => a.title)));
});

test('renamed function → a wildcard that also catches the clone', () => {
  const actions = actionsFor('kprobe:finish_task_switch { @ = count(); }');
  const fix = actions.find((a) => edits(a)[0]?.newText === 'kprobe:finish_task_switch*');
  assert.ok(fix, JSON.stringify(actions.map((a) => a.title)));
  assert.match(fix.title, /finish_task_switch\.isra/);
});

test('typo → closest names, keeping the probe type as written', () => {
  const actions = actionsFor('kr:vfs_raed { @ = count(); }');
  assert.ok(actions.some((a) => edits(a)[0]?.newText === 'kr:vfs_read'), JSON.stringify(actions.map((a) => a.title)));
});

test('second probe of a list is rewritten in place', () => {
  const text = 'kprobe:vfs_read,\nkprobe:tcp_drop\n{ @ = count(); }\n';
  const actions = actionsFor(text, 1);
  const fix = actions.find((a) => edits(a)[0]?.newText === 'tracepoint:skb:kfree_skb')!;
  assert.ok(fix);
  assert.equal(apply(text, fix), 'kprobe:vfs_read,\ntracepoint:skb:kfree_skb\n{ @ = count(); }\n');
});

test('suppression action inserts an ignore comment that silences the diagnostic', () => {
  const text = '  kprobe:blk_account_io_start { }\n';
  const actions = actionsFor(text);
  const ignore = actions.find((a) => /Ignore fully-inlined/.test(a.title));
  assert.ok(ignore);
  const fixed = apply(text, ignore);
  assert.equal(fixed, '  // bpf-atlas-ignore: fully-inlined\n  kprobe:blk_account_io_start { }\n');
  assert.deepEqual(diagnosticsBpftrace(docOf(fixed), debian12).filter((d) => d.code === 'fully-inlined'), []);
});

test('a probe list naming one hook twice is replaced as a whole', () => {
  const text = 'kprobe:blk_account_io_start,\nkprobe:__blk_account_io_start\n{\n  @start[arg0] = nsecs;\n}\n';
  const actions = actionsFor(text);
  const whole = actions.find((a) => a.title === 'Replace the probe list with tracepoint:block:block_rq_issue');
  assert.ok(whole, JSON.stringify(actions.map((a) => a.title)));
  assert.equal(apply(text, whole), 'tracepoint:block:block_rq_issue\n{\n  @start[arg0] = nsecs;\n}\n');
});

test('when the list already holds the replacement, the fix removes the probe', () => {
  const text = 'kprobe:tcp_drop, tracepoint:skb:kfree_skb { @ = count(); }\n';
  const actions = actionsFor(text);
  const remove = actions.find((a) => /^Remove kprobe:tcp_drop/.test(a.title));
  assert.ok(remove, JSON.stringify(actions.map((a) => a.title)));
  assert.equal(apply(text, remove), 'tracepoint:skb:kfree_skb { @ = count(); }\n');
  const last = 'tracepoint:skb:kfree_skb,\n  kprobe:tcp_drop { @ = count(); }\n';
  const removeLast = actionsFor(last, 1).find((a) => /^Remove kprobe:tcp_drop/.test(a.title))!;
  assert.equal(apply(last, removeLast), 'tracepoint:skb:kfree_skb { @ = count(); }\n');
});

test('a misspelt probe type is corrected', () => {
  const text = 'kprboe:vfs_read { @ = count(); }\n';
  const actions = actionsFor(text);
  const fix = actions.find((a) => a.title === 'Change probe type to kprobe');
  assert.ok(fix, JSON.stringify(actions.map((a) => a.title)));
  assert.ok(fix.diagnostics?.some((d) => d.code === 'syntax'));
  assert.equal(apply(text, fix), 'kprobe:vfs_read { @ = count(); }\n');
  assert.ok(actionsFor('tracepiont:sched:sched_switch { }').some((a) => a.title === 'Change probe type to tracepoint'));
});

test('a misspelt args field is corrected to the record field', () => {
  const text = 'tracepoint:sched:sched_switch { @[args.next_pidd] = count(); }\n';
  const doc = docOf(text, URI);
  const ds = diagnosticsBpftrace(doc, debian12);
  const at = text.indexOf('next_pidd');
  const range = { start: { line: 0, character: at }, end: { line: 0, character: at } };
  const actions = codeActionsBpftrace(doc, range, ds, debian12);
  const fix = actions.find((a) => a.title === 'Change args.next_pidd to args.next_pid');
  assert.ok(fix, JSON.stringify(actions.map((a) => a.title)));
  assert.equal(apply(text, fix), 'tracepoint:sched:sched_switch { @[args.next_pid] = count(); }\n');
});
