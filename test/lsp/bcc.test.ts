// The language server on BCC tools over real JSON-RPC (dist/server.js): a Python file that imports
// bcc gets the same diagnostics and hovers as libbpf C, landing in the Python text; a Python file
// that does not import bcc gets none.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import type { CodeAction, Hover } from 'vscode-languageserver-protocol';
import { positionAfter, ROOT, TestClient } from './client';

const DEBIAN_12 = { targetKernels: ['debian-12'], useLiveKernel: false };

describe('bpf-atlas language server on BCC tools', () => {
  let client: TestClient;
  before(async () => {
    client = await TestClient.start({ settings: DEBIAN_12 });
  });
  after(async () => {
    assert.equal(await client.stop(), 0);
  });

  test('a bcc tool: the unconditional kprobe is an error at its event string; hover there', async () => {
    const file = path.join(ROOT, 'test/fixtures/bcc/iolatency.py');
    const text = fs.readFileSync(file, 'utf8');
    const uri = `file://${file}`;
    await client.open(uri, text, 'python');
    const published = await client.waitForDiagnostics(uri);
    const at = positionAfter(text, 'event="');
    const error = published.diagnostics.find((d) => d.range.start.line === at.line && d.severity === 1);
    assert.ok(error, JSON.stringify(published.diagnostics));
    assert.equal(error.code, 'fully-inlined');
    assert.equal(error.range.start.character, at.character);
    const h = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: { line: at.line, character: at.character + 2 } });
    assert.match((h?.contents as { value: string }).value, /blk_account_io_start/);
  });

  test('hover on args->field in a tracepoint handler: the field\'s type on each target kernel', async () => {
    const client2 = await TestClient.start({ settings: { targetKernels: ['debian-11', 'debian-12'], useLiveKernel: false } });
    try {
      const file = path.join(ROOT, 'test/fixtures/bcc/iolatency.py');
      const text = fs.readFileSync(file, 'utf8');
      const uri = `file://${file}`;
      await client2.open(uri, text, 'python');
      const value = async (marker: string) => ((await client2.request<Hover>('textDocument/hover', { textDocument: { uri }, position: positionAfter(text, marker) }))?.contents as { value: string } | undefined)?.value ?? '';
      // TRACEPOINT_PROBE(sched, sched_switch): the record read through `args`.
      const prev = await value('args->prev_');
      assert.match(prev, /^\*\*args->prev_pid\*\*/);
      for (const k of ['debian-11', 'debian-12']) assert.match(prev, new RegExp(`\\| ${k} \\| \`pid_t prev_pid;\` offset 24, size 4 \\|`), prev);
      // A handler taking `struct tracepoint__syscalls__sys_enter_openat *args`.
      const filename = await value('args->filen');
      assert.match(filename, /\| debian-12 \| `const char \* ?filename;` offset 24, size 8 \|/, filename);
      // A field no kernel has says so on each.
      assert.match(await value('args->no_such'), /\| debian-12 \| \*\*no field `no_such_field`\*\* in `struct tracepoint__sched__sched_switch` \|/);
      await client2.close(uri);
    } finally {
      assert.equal(await client2.stop(), 0);
    }
  });

  test('the quick fix rewrites attach_kprobe into attach_tracepoint and its handler; after the edit nothing is left', async () => {
    const file = path.join(ROOT, 'test/fixtures/bcc/fixes/blkstart.py');
    const text = fs.readFileSync(file, 'utf8');
    const uri = `file://${file}`;
    await client.open(uri, text, 'python');
    const published = await client.waitForDiagnostics(uri, (p) => p.version === 1);
    const error = published.diagnostics.find((d) => d.code === 'fully-inlined');
    assert.ok(error, JSON.stringify(published.diagnostics));
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri }, range: error.range, context: { diagnostics: [error], only: ['quickfix'] },
    });
    const fix = actions.find((a) => a.isPreferred);
    assert.ok(fix, JSON.stringify(actions.map((a) => a.title)));
    assert.match(fix.title, /^Use attach_tracepoint\(tp="block:block_\w+"\)/);
    const edits = fix.edit!.changes![uri];
    assert.ok(edits.some((e) => e.newText.startsWith('struct tracepoint__block__')), JSON.stringify(edits));
    // Sent as VS Code sends an applied edit: incremental changes, the last in the text first so
    // that each range still holds when it arrives.
    const ordered = [...edits].sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character);
    await client.change(uri, ordered.map((e) => ({ range: e.range, text: e.newText })), 2);
    const after = await client.waitForDiagnostics(uri, (p) => p.version === 2);
    assert.deepEqual(after.diagnostics.filter((d) => d.severity! <= 2), []);
  });

  test('a .c file that a bcc tool next to it loads with src_file: bcc C, the loader\'s attach judged at the handler', async () => {
    const file = path.join(ROOT, 'test/fixtures/bcc/srcfile/blkdrop.c');
    const text = fs.readFileSync(file, 'utf8');
    const uri = `file://${file}`;
    await client.open(uri, text, 'c');
    const published = await client.waitForDiagnostics(uri);
    const lines = text.split('\n');
    const startLine = lines.findIndex((l) => l.startsWith('int trace_start'));
    const start = published.diagnostics.find((d) => d.range.start.line === startLine);
    assert.equal(start?.code, 'fully-inlined', JSON.stringify(published.diagnostics));
    assert.match(start.message, /kprobe\/blk_account_io_start/);
    // kprobe__tcp_drop is bcc's auto-attach, not a libbpf program without a section.
    const dropLine = lines.findIndex((l) => l.startsWith('int kprobe__tcp_drop'));
    assert.ok(published.diagnostics.some((d) => d.range.start.line === dropLine && /tcp_drop/.test(d.message)), JSON.stringify(published.diagnostics));
    const guarded = lines.findIndex((l) => l.startsWith('int trace_done'));
    assert.ok(!published.diagnostics.some((d) => d.range.start.line === guarded));
  });

  test('a Python file that does not import bcc: no hover, no findings', async () => {
    const uri = 'file:///tmp/bpf-atlas-plain.py';
    const text = 'import os\nevent = "blk_account_io_start"\n';
    await client.open(uri, text, 'python');
    const h = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 12 } });
    assert.equal(h, null);
    for (const p of client.published(uri)) assert.deepEqual(p.diagnostics, []);
  });
});
