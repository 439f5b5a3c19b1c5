// The document store: incremental edits give the same text, tree and model as a fresh parse;
// trees are freed on replace and close; bpftrace documents get the bpftrace model.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commonEnds, DocumentStore, isCDocument, maskEdited, maskSections } from '../../../server/src/syntax/documents';
import { loadCParser, locateWasm } from '../../../server/src/syntax/parser';
import { loadFixture } from '../../features/fixture';

async function store(): Promise<DocumentStore> {
  return new DocumentStore({ parser: await loadCParser() });
}

/** A deterministic pseudo-random sequence, so a failing edit script can be replayed. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x7fffffff;
  };
}

describe('DocumentStore', () => {
  it('typing a program character by character matches a fresh parse at every step', async () => {
    const s = await store();
    const fresh = await store();
    const target = loadFixture('c/runqlat.bpf.c').text;
    const uri = 'file:///typing.bpf.c';
    s.open(uri, 'c', 0, '');
    let text = '';
    let version = 0;
    // Type in chunks of a few characters, at the end, with LSP incremental ranges.
    for (let i = 0; i < target.length; i += 7) {
      const chunk = target.slice(i, i + 7);
      const lines = text.split('\n');
      const end = { line: lines.length - 1, character: lines[lines.length - 1].length };
      const doc = s.change(uri, ++version, [{ range: { start: end, end }, text: chunk }])!;
      text += chunk;
      assert.equal(doc.text, text);
      if (i % 140 === 0 || i + 7 >= target.length) {
        const ref = fresh.open('file:///ref.bpf.c', 'c', version, text);
        assert.equal(doc.tree!.rootNode.toString(), ref.tree!.rootNode.toString(), `tree after ${text.length} chars`);
        assert.deepEqual(doc.c, ref.c, `model after ${text.length} chars`);
      }
    }
    assert.equal(s.get(uri)!.c!.programs.length, 5);
    s.dispose();
    fresh.dispose();
  });

  it('random replacements, deletions and multi-change batches keep text, tree and model exact', async () => {
    const s = await store();
    const fresh = await store();
    const uri = 'file:///edits.bpf.c';
    let text = loadFixture('c/offcputime.bpf.c').text;
    s.open(uri, 'c', 1, text);
    const rand = rng(42);
    const inserts = ['SEC("kprobe/vfs_read")\n', '{', '}', '(', 'ctx->', '/* x */', '"', '\n', 'int BPF_PROG(a, int b)', 'é✓😀'];
    for (let step = 0; step < 60; step++) {
      const changes = [];
      const batch = 1 + Math.floor(rand() * 3);
      for (let c = 0; c < batch; c++) {
        const a = Math.floor(rand() * (text.length + 1));
        const b = Math.min(text.length, a + Math.floor(rand() * 12));
        const insert = rand() < 0.3 ? '' : inserts[Math.floor(rand() * inserts.length)];
        const before = text.slice(0, a);
        const startLine = before.split('\n').length - 1;
        const start = { line: startLine, character: a - (before.lastIndexOf('\n') + 1) };
        const mid = text.slice(0, b);
        const endLine = mid.split('\n').length - 1;
        const end = { line: endLine, character: b - (mid.lastIndexOf('\n') + 1) };
        changes.push({ range: { start, end }, text: insert });
        text = text.slice(0, a) + insert + text.slice(b);
      }
      const doc = s.change(uri, step + 2, changes)!;
      assert.equal(doc.text, text, `text after step ${step}`);
      const ref = fresh.open('file:///ref.bpf.c', 'c', 0, text);
      assert.equal(doc.tree!.rootNode.toString(), ref.tree!.rootNode.toString(), `tree after step ${step}`);
      assert.deepEqual(doc.c, ref.c, `model after step ${step}`);
    }
    s.dispose();
    fresh.dispose();
  });

  it('a full-text change replaces the document; close frees the tree', async () => {
    const s = await store();
    const uri = 'file:///full.bpf.c';
    const first = s.open(uri, 'c', 1, 'SEC("kprobe/a") int BPF_KPROBE(a) { return 0; }');
    const second = s.change(uri, 2, [{ text: 'SEC("fentry/b") int BPF_PROG(b) { return 0; }' }])!;
    assert.equal(second.c!.programs[0].section, 'fentry/b');
    assert.equal(second.version, 2);
    // The replaced tree was deleted: using it throws in web-tree-sitter.
    assert.throws(() => first.tree!.rootNode.toString());
    s.close(uri);
    assert.equal(s.get(uri), undefined);
    assert.throws(() => second.tree!.rootNode.toString());
    assert.equal(s.change(uri, 3, [{ text: 'x' }]), undefined);
    s.dispose();
  });

  it('bpftrace documents get the bpftrace model and no C tree', async () => {
    const s = await store();
    const doc = s.open('file:///x.bt', 'bpftrace', 1, 'tracepoint:sched:sched_switch { @[args.prev_comm] = count(); }');
    assert.equal(doc.c, undefined);
    assert.equal(doc.tree, undefined);
    assert.ok(doc.bt && doc.bt.probes.length === 1, 'one bpftrace probe');
    s.dispose();
  });

  it('language detection and a clear error for a missing wasm file', () => {
    assert.equal(isCDocument('file:///a.bpf.c', 'plaintext'), true);
    assert.equal(isCDocument('file:///a.txt', 'c'), true);
    assert.equal(isCDocument('file:///a.bt', 'bpftrace'), false);
    assert.throws(() => locateWasm('no-such-grammar.wasm', ['/nonexistent']), /cannot find no-such-grammar\.wasm; looked in:\n {2}\/nonexistent/);
  });

  it('masks an edited text from the previous masked text exactly as a whole masking', () => {
    const rand = rng(11);
    const pieces = ['SEC("kprobe/x")', 'SEC(', '"', ')', '\n', ' ', ';', '}', '{', 'SEC ( "a;}" )', '\n\n', 'x', 'SEC\n(\n"y"\n)'];
    let text = loadFixture('c/runqlat.bpf.c').text;
    let masked = maskSections(text);
    for (let step = 0; step < 400; step++) {
      const a = Math.floor(rand() * (text.length + 1));
      const b = Math.min(text.length, a + Math.floor(rand() * 30));
      const insert = rand() < 0.3 ? '' : pieces[Math.floor(rand() * pieces.length)];
      const next = text.slice(0, a) + insert + text.slice(b);
      masked = maskEdited(text, masked, next);
      text = next;
      assert.equal(masked, maskSections(text), `step ${step}`);
    }
  });

  it('finds the common ends of two texts across block sizes', () => {
    const base = 'ab'.repeat(5000);
    for (const at of [0, 1, 4095, 4096, 4097, 9999]) {
      const other = base.slice(0, at) + 'X' + base.slice(at + 1);
      assert.deepEqual(commonEnds(base, other), { prefix: at, suffix: base.length - at - 1 });
    }
    assert.deepEqual(commonEnds('abc', 'abc'), { prefix: 3, suffix: 0 });
    assert.deepEqual(commonEnds('abc', 'abXbc'), { prefix: 2, suffix: 1 });
  });
});
