// CO-RE member reads over a real JSON-RPC connection to the built server, as an editor sees them:
// the member-missing diagnostic on `BPF_CORE_READ(prev, __state)` of a runqslower-style program
// names the kernels before 5.14, hover on the member shows it per kernel, completion inside the
// macro marks where each member is missing, and the quick fix's edit makes the read portable.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CodeAction, CompletionItem, CompletionList, Diagnostic, Hover, MarkupContent } from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { positionAfter, ROOT, TestClient } from './client';

const TARGETS = ['debian-11', 'debian-12', 'ubuntu-20.04', 'ubuntu-22.04'];

describe('CO-RE members over a real connection', () => {
  let client: TestClient;
  let cache: string;
  let text: string;
  const uri = `file://${path.join(ROOT, 'test/fixtures/c/schedsnap.bpf.c')}`;

  before(async () => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-members-lsp-'));
    client = await TestClient.start({ settings: { targetKernels: TARGETS, useLiveKernel: false }, env: { XDG_CACHE_HOME: cache } });
    // Without the feature tests' position markers, as a user's file would be.
    text = fs.readFileSync(path.join(ROOT, 'test/fixtures/c/schedsnap.bpf.c'), 'utf8').replace(/\/\*\^[\w.-]*\*\//g, '');
    await client.open(uri, text);
  });

  after(async () => {
    await client.stop();
    fs.rmSync(cache, { recursive: true, force: true });
  });

  const memberFindings = async (): Promise<Diagnostic[]> => {
    const p = await client.waitForDiagnostics(uri, (x) => x.diagnostics.some((d) => d.code === 'member-missing'));
    return p.diagnostics.filter((d) => d.code === 'member-missing');
  };

  test('the diagnostic sits on __state and names the kernels before 5.14', async () => {
    const found = await memberFindings();
    const at = positionAfter(text, 'BPF_CORE_READ(prev, __state', -'__state'.length);
    const d = found.find((x) => x.range.start.line === at.line && x.range.start.character === at.character);
    assert.ok(d, JSON.stringify(found.map((x) => x.range.start)));
    assert.equal(d.severity, 1);
    assert.match(d.message, /`__state` is not a member of task_struct on debian-11(?: \(5\.10\))? and ubuntu-20\.04(?: \(5\.4\))?; there it is `state`/);
  });

  test('hover on the member: type, offset and size per kernel', async () => {
    const at = positionAfter(text, 'BPF_CORE_READ(prev, __s');
    const h = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: at });
    const value = (h.contents as MarkupContent).value;
    assert.match(value, /\| debian-12 \(6\.1\) \| `unsigned int __state` \| 24 \| 4 \|/);
    assert.match(value, /\| debian-11 \(5\.10\) \| ✗ missing \(has `state`\) \|/);
  });

  test('completion inside BPF_CORE_READ marks where each member is missing', async () => {
    const at = positionAfter(text, 'BPF_CORE_READ(prev, real_parent, ');
    const r = await client.request<CompletionList | CompletionItem[]>('textDocument/completion', { textDocument: { uri }, position: at });
    const items = Array.isArray(r) ? r : r.items;
    const tgid = items.find((i) => i.label === 'tgid');
    assert.ok(tgid, items.map((i) => i.label).slice(0, 20).join(', '));
    assert.equal(tgid.labelDetails?.description, '');
  });

  test('the quick fix rewrites the read into the ___new/___old pair; the result has no finding there', async () => {
    const found = await memberFindings();
    const at = positionAfter(text, 'BPF_CORE_READ(prev, __state', -'__state'.length);
    const d = found.find((x) => x.range.start.line === at.line)!;
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } });
    const fix = actions.find((a) => a.isPreferred && /___new\/___old/.test(a.title));
    assert.ok(fix, actions.map((a) => a.title).join('\n'));
    const fixed = TextDocument.applyEdits(TextDocument.create(uri, 'c', 1, text), fix.edit!.changes![uri]);
    assert.match(fixed, /bpf_core_field_exists\(\(\(struct task_struct___new \*\)\(prev\)\)->__state\)/);
    await client.change(uri, [{ text: fixed }], 2);
    const p = await client.waitForDiagnostics(uri, (x) => x.version === 2);
    const line = fixed.split('\n').findIndex((l) => l.includes('s->state = (bpf_core_field_exists'));
    assert.ok(line > 0);
    assert.ok(!p.diagnostics.some((x) => x.code === 'member-missing' && x.range.start.line === line), JSON.stringify(p.diagnostics.map((x) => [x.code, x.range.start.line])));
  });
});
