// A .c file that a bcc tool loads with BPF(src_file="x.c"): read as bcc C (not libbpf) in the
// document store, with the conditions and attach calls of the Python file that loads it, and
// checked by `check` next to that file, over the bundled atlases and real files on disk.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { checkFiles, type DocumentAnalyzer } from '../../../server/src/check/run';
import { diagnostics } from '../../../server/src/features/diagnostics';
import { completion } from '../../../server/src/features/completion';
import { hover } from '../../../server/src/features/hover';
import { loaderCandidates } from '../../../server/src/syntax/bcc/srcFile';
import { DocumentStore } from '../../../server/src/syntax/documents';
import { loadCParser, loadPythonParser } from '../../../server/src/syntax/parser';
import { bundledKnowledge, featureContext, repoRoot } from '../fixture';

const DIR = path.join(repoRoot(), 'test/fixtures/bcc/srcfile');
const C_FILE = path.join(DIR, 'blkdrop.c');
const PY_FILE = path.join(DIR, 'blkdrop.py');
// absent on debian-12, fully inlined on ubuntu-22.04: one diagnostic, the worst case's code.
const drop = 'fully-inlined';
const TARGETS = ['debian-12', 'ubuntu-22.04'];
const uriOf = (f: string) => pathToFileURL(f).href;

async function store(withDisk: boolean): Promise<DocumentStore> {
  const [parser, pythonParser] = await Promise.all([loadCParser(), loadPythonParser()]);
  return new DocumentStore({ parser, pythonParser, resolveSection: bundledKnowledge().sectionPrefix, ...(withDisk ? { bccLoaders: loaderCandidates } : {}) });
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle));

describe('bcc: a C file loaded with BPF(src_file=...)', () => {
  it('is bcc C when the Python next to it loads it: its own probes and the loader\'s calls, judged where the loader makes them', async () => {
    const s = await store(true);
    const text = fs.readFileSync(C_FILE, 'utf8');
    const doc = s.open(uriOf(C_FILE), 'c', 1, text);
    assert.equal(doc.c, undefined, 'not read as libbpf C');
    assert.ok(doc.bcc);
    assert.deepEqual(doc.bcc.loader, { uri: uriOf(PY_FILE), program: 0 });
    assert.deepEqual(doc.bcc.attachPoints.map((ap) => `${ap.via} ${ap.kind} ${ap.target?.name} ${ap.intent} ${ap.handler}${ap.loadedBy ? ` loaded-by-line-${ap.loadedBy.range.start.line + 1}` : ''}`), [
      'auto kprobe tcp_drop always kprobe__tcp_drop',
      'auto tracepoint sched_switch always tracepoint__sched__sched_switch',
      'call kprobe blk_account_io_start always trace_start loaded-by-line-9',
      'call kprobe blk_account_io_done runtime-chosen trace_done loaded-by-line-11',
    ]);
    const ctx = featureContext(TARGETS);
    const errors = diagnostics(doc, ctx).filter((d) => d.severity! <= 2);
    const byLine = errors.map((d) => `${d.range.start.line}:${d.code}`).sort();
    // kprobe__tcp_drop (absent on debian-12), the handler the loader attaches unconditionally to
    // the fully inlined blk_account_io_start, and the missing record field; not trace_done, which
    // the loader attaches only after its own check.
    assert.deepEqual(byLine, [
      `${lineOf(text, 'kprobe__tcp_drop')}:${drop}`,
      `${lineOf(text, 'int trace_start')}:fully-inlined`,
      `${lineOf(text, 'args->no_such_field')}:field-missing`,
    ].sort());
    const start = errors.find((d) => d.range.start.line === lineOf(text, 'int trace_start'))!;
    assert.equal(text.split('\n')[start.range.start.line].slice(start.range.start.character, start.range.end.character), 'trace_start');
    // Hover on the auto-attached name: the attach point on the target kernel.
    const h = hover(doc, { line: lineOf(text, 'kprobe__tcp_drop'), character: 'int kprobe__tcp_'.length }, ctx);
    assert.match(JSON.stringify(h?.contents), /tcp_drop/);
    s.dispose();
  });

  it('an open Python document is the loader even when the disk has none, and its edits apply when the C changes', async () => {
    const s = await store(false);
    const cUri = 'file:///project/tool/prog.c';
    const c = 'int kprobe__tcp_drop(struct pt_regs *ctx)\n{\n    return 0;\n}\nint on_start(struct pt_regs *ctx)\n{\n    return 0;\n}\n';
    // Without a loader: libbpf C (no sections, so no attach points), not bcc.
    assert.equal(s.open(cUri, 'c', 1, c).bcc, undefined);
    s.open('file:///project/tool/prog.py', 'python', 1, 'from bcc import BPF\nb = BPF(src_file="prog.c")\n');
    const doc = s.open(cUri, 'c', 1, c);
    assert.deepEqual(doc.bcc?.attachPoints.map((ap) => ap.handler), ['kprobe__tcp_drop']);
    s.change('file:///project/tool/prog.py', 2, [{ text: 'from bcc import BPF\nb = BPF(src_file="prog.c")\nb.attach_kprobe(event="vfs_read", fn_name="on_start")\n' }]);
    const changed = s.change(cUri, 2, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '// edited\n' }])!;
    assert.deepEqual(changed.bcc?.attachPoints.map((ap) => `${ap.handler} ${ap.target?.name}`), ['kprobe__tcp_drop tcp_drop', 'on_start vfs_read']);
    // Completion of hook names in the C file, as in a Python string.
    const typing = s.change(cUri, 3, [{ range: { start: { line: 9, character: 0 }, end: { line: 9, character: 0 } }, text: 'int kretprobe__vfs_rea' }])!;
    const items = completion(typing, { line: 9, character: 'int kretprobe__vfs_rea'.length }, featureContext(TARGETS)).items;
    assert.equal(items.find((i) => i.label === 'vfs_read')?.labelDetails?.description, 'all 2 targets');
    // A C file with libbpf sections is never read as bcc, whoever mentions it.
    const libbpf = s.open(cUri, 'c', 4, 'SEC("kprobe/tcp_drop")\nint BPF_KPROBE(on_drop)\n{\n    return 0;\n}\n');
    assert.equal(libbpf.bcc, undefined);
    assert.equal(libbpf.c?.programs.length, 1);
    s.dispose();
  });

  it('check on the Python file checks the C file it loads too, each attach reported once', async () => {
    const s = await store(true);
    const analyzer: DocumentAnalyzer = { analyze: (uri, languageId, text) => s.open(uri, languageId, 1, text), release: (uri) => s.close(uri) };
    const result = checkFiles([PY_FILE], featureContext(TARGETS), analyzer, { cwd: DIR });
    assert.deepEqual(result.files, ['blkdrop.py', 'blkdrop.c']);
    assert.deepEqual(result.findings.filter((f) => f.severity === 'error' || f.severity === 'warning').map((f) => `${f.file}:${f.line} ${f.code}`), [
      `blkdrop.c:12 ${drop}`,
      'blkdrop.c:34 field-missing',
      'blkdrop.py:9 fully-inlined',
    ]);
    assert.deepEqual((result.attachPoints ?? []).map((e) => `${e.file}:${e.line} ${e.target} ${e.intent}`), [
      'blkdrop.py:9 kprobe:blk_account_io_start always',
      'blkdrop.py:11 kprobe:blk_account_io_done runtime-chosen',
      'blkdrop.c:12 kprobe:tcp_drop always',
      'blkdrop.c:32 tracepoint:sched:sched_switch always',
    ]);
    // Given alone, the C file reports its loader's attaches at the handlers.
    const alone = checkFiles([C_FILE], featureContext(TARGETS), analyzer, { cwd: DIR });
    assert.ok(alone.findings.some((f) => f.file === 'blkdrop.c' && f.line === 19 && f.code === 'fully-inlined'), JSON.stringify(alone.findings));
    s.dispose();
  });
});
