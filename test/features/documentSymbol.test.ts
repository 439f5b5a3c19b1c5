// The outline of libbpf C and bpftrace documents (features/documentSymbol.ts) on the fixtures:
// programs with section and kind, their ctx or macro arguments and the maps they use, maps with
// their types, the licence; bpftrace blocks with one child per probe of a comma list; and ranges a
// client accepts (the selection inside the symbol) on every fixture, broken ones included.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { DocumentSymbol } from 'vscode-languageserver';
import { documentSymbols } from '../../server/src/features/documentSymbol';
import { bundledKnowledge, loadFixture, openFixture, repoRoot, stripMarkers } from './fixture';

const ctx = () => ({ knowledge: bundledKnowledge() });

function before(a: { line: number; character: number }, b: { line: number; character: number }): boolean {
  return a.line < b.line || (a.line === b.line && a.character <= b.character);
}

function walk(symbols: readonly DocumentSymbol[], visit: (s: DocumentSymbol) => void): void {
  for (const s of symbols) {
    visit(s);
    walk(s.children ?? [], visit);
  }
}

test('runqlat: maps, programs with their BPF_PROG arguments, the licence, in document order', async () => {
  const doc = await openFixture(loadFixture('c/runqlat.bpf.c'));
  const symbols = documentSymbols(doc, ctx());
  assert.deepEqual(symbols.map((s) => [s.name, s.detail]), [
    ['start', 'hash map'],
    ['sched_wakeup', 'tp_btf/sched_wakeup · tp_btf'],
    ['sched_wakeup_new', 'tp_btf/sched_wakeup_new · tp_btf'],
    ['sched_switch', 'tp_btf/sched_switch · tp_btf'],
    ['handle_sched_wakeup', 'raw_tp/sched_wakeup · raw_tp'],
    ['handle_sched_switch', 'raw_tp/sched_switch · raw_tp'],
    ['LICENSE', 'license "GPL"'],
  ]);
  assert.deepEqual(symbols[3].children?.map((c) => `${c.detail} ${c.name}`), ['bool preempt', 'struct task_struct * prev', 'struct task_struct * next']);
});

test('bpftrace: one symbol per block, a child per probe of a comma list, the predicate in the detail', async () => {
  const doc = await openFixture(stripMarkers('BEGIN { printf("go\\n"); }\nkprobe:vfs_read, kprobe:vfs_write /pid == 42/ { @[probe] = count(); }\n', 'x.bt'));
  const symbols = documentSymbols(doc, ctx());
  assert.deepEqual(symbols.map((s) => [s.name, s.detail, s.children?.length]), [
    ['BEGIN', 'begin', 0],
    ['kprobe:vfs_read, kprobe:vfs_write', 'kprobe /pid == 42/', 2],
  ]);
});

test('every fixture, broken ones too: selection ranges inside their symbols, no throw', async () => {
  for (const dir of ['c', 'bt']) {
    for (const f of fs.readdirSync(path.join(repoRoot(), 'test/fixtures', dir)).filter((n) => /\.(c|bt)$/.test(n))) {
      const doc = await openFixture(loadFixture(`${dir}/${f}`));
      walk(documentSymbols(doc, ctx()), (s) => {
        assert.ok(before(s.range.start, s.selectionRange.start) && before(s.selectionRange.end, s.range.end), `${f}: ${s.name}`);
        assert.ok(s.name.length > 0, `${f}: a symbol has a name`);
      });
    }
  }
});
