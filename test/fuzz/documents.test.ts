// Fuzz suite over the document models and the features on top of them (issue 7): every
// truncation of the real-style fixture programs, random edits (including out-of-range ranges a
// confused client may send), binary content, invalid UTF-8, deep nesting and a large file. For each
// input the store must analyse the document and every feature must answer (possibly empty) without
// throwing. Seeded and reproducible: failures print the seed. No clock (npm run bench measures speed).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { codeActions } from '../../server/src/features/codeActions';
import { completion } from '../../server/src/features/completion';
import type { FeatureContext } from '../../server/src/features/shared/context';
import { diagnostics } from '../../server/src/features/diagnostics';
import { hover } from '../../server/src/features/hover';
import type { AnalyzedDocument } from '../../server/src/syntax/documents';
import { documentStore, featureContext, repoRoot } from '../features/fixture';
import { FUZZ_SEED, Rng, fuzzLoop } from './rng';

const TARGETS = ['debian-12', 'ubuntu-22.04'];
let counter = 0;

function exercise(doc: AnalyzedDocument, ctx: FeatureContext, rng: Rng, label: string): void {
  try {
    const lines = doc.text.split('\n');
    const line = rng.int(lines.length);
    const pos = { line, character: rng.int((lines[line]?.length ?? 0) + 2) };
    completion(doc, pos, ctx);
    hover(doc, pos, ctx);
    const diags = diagnostics(doc, ctx);
    codeActions(doc, { start: { line: 0, character: 0 }, end: { line: lines.length, character: 0 } }, diags, ctx);
  } catch (e) {
    throw new Error(`[seed ${FUZZ_SEED}] ${label}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack?.split('\n').slice(1, 4).join('\n')}`);
  }
}

/** Loads the target kernels once up front, so cold loading is not charged to one fuzz input. */
function warmContext(): FeatureContext {
  const ctx = featureContext(TARGETS);
  for (const id of ctx.targets) ctx.atlas.get(id);
  return ctx;
}

function fixtureTexts(dir: string, ext: RegExp): { name: string; text: string }[] {
  const full = path.join(repoRoot(), 'test/fixtures', dir);
  return fs.readdirSync(full).filter((f) => ext.test(f)).map((f) => ({ name: `${dir}/${f}`, text: fs.readFileSync(path.join(full, f), 'utf8').replace(/\/\*\^[A-Za-z0-9_.-]*\*\//g, '') }));
}

describe('fuzz: documents and features', () => {
  it('every truncation of the real-style C and bpftrace fixtures', async (t) => {
    const store = await documentStore();
    const ctx = warmContext();
    const rng = new Rng(FUZZ_SEED);
    const inputs = [...fixtureTexts('c', /\.c$/), ...fixtureTexts('bt', /\.bt$/)];
    assert.ok(inputs.length >= 5);
    let tried = 0;
    for (const input of inputs) {
      const step = Math.max(1, Math.floor(input.text.length / 120));
      const lang = input.name.endsWith('.bt') ? 'bpftrace' : 'c';
      for (let cut = 0; cut <= input.text.length; cut += step) {
        const uri = `file:///fuzz/${++counter}${lang === 'c' ? '.bpf.c' : '.bt'}`;
        const doc = store.open(uri, lang, 1, input.text.slice(0, cut));
        exercise(doc, ctx, rng, `${input.name} truncated at ${cut}`);
        store.close(uri);
        tried++;
      }
    }
    t.diagnostic(`truncations tried: ${tried} over ${inputs.length} fixtures (seed ${FUZZ_SEED})`);
  });

  it('random edit sequences, including out-of-range and reversed ranges', async (t) => {
    const store = await documentStore();
    const ctx = warmContext();
    const rng = new Rng(FUZZ_SEED ^ 0xed17);
    const inputs = [...fixtureTexts('c', /\.c$/), ...fixtureTexts('bt', /\.bt$/)];
    const snippets = ['SEC("kprobe/', '")\n', '{', '}', '(', ')', 'BPF_KPROBE(', 'ctx->', '/*', '*/', '"', '\n', 'kprobe:tcp_', 'tracepoint:sched:', 'args.', '#if 0\n', '#endif\n', '\u0000', '\ud800', 'é'];
    let edits = 0;
    const n = fuzzLoop(12, (i) => {
      const input = rng.pick(inputs);
      const lang = input.name.endsWith('.bt') ? 'bpftrace' : 'c';
      const uri = `file:///fuzz/edit${i}${lang === 'c' ? '.bpf.c' : '.bt'}`;
      store.open(uri, lang, 1, input.text);
      let version = 1;
      for (let k = 0; k < 25; k++) {
        const lines = store.get(uri)!.text.split('\n').length;
        const a = { line: rng.int(lines + 3), character: rng.int(90) };
        const b = rng.int(4) === 0 ? { line: Math.max(0, a.line - 1), character: 0 } : { line: a.line + rng.int(3), character: rng.int(90) };
        const text = rng.int(3) === 0 ? '' : rng.pick(snippets);
        const doc = store.change(uri, ++version, [{ range: { start: a, end: b }, text }]);
        assert.ok(doc, 'change on an open document returns it');
        exercise(doc, ctx, rng, `${input.name} edit ${k} ${JSON.stringify({ a, b, text })}`);
        edits++;
      }
      store.close(uri);
    });
    t.diagnostic(`edit sequences: ${n}, edits: ${edits} (seed ${FUZZ_SEED})`);
  });

  it('binary content, invalid UTF-8, deep nesting and a large file', async (t) => {
    const store = await documentStore();
    const ctx = warmContext();
    const rng = new Rng(FUZZ_SEED ^ 0xb1);
    const decoder = new TextDecoder('utf-8');
    const cases: { label: string; text: string }[] = [];
    for (let i = 0; i < 10; i++) cases.push({ label: `binary ${i}`, text: decoder.decode(rng.bytes(2000 + rng.int(20000))) });
    cases.push({ label: 'NUL bytes', text: 'SEC("kprobe/vfs_read")\0\0\0int x(void *ctx) { return 0; }' });
    cases.push({ label: 'lone surrogates', text: 'SEC("kprobe/\ud800vfs_read")\nint BPF_KPROBE(x) { return 0; }' });
    cases.push({ label: 'deep braces', text: 'SEC("kprobe/vfs_read")\nint f(void *ctx) ' + '{'.repeat(5000) + '}'.repeat(5000) });
    cases.push({ label: 'deep parens', text: 'SEC("kprobe/vfs_read")\nint f(void *ctx) { return ' + '('.repeat(5000) + '1' + ')'.repeat(5000) + '; }' });
    cases.push({ label: 'deep #if', text: '#if 1\n'.repeat(2000) + 'SEC("kprobe/vfs_read")\nint f(void *ctx) { return 0; }\n' + '#endif\n'.repeat(2000) });
    const one = fs.readFileSync(path.join(repoRoot(), 'test/fixtures/c', fs.readdirSync(path.join(repoRoot(), 'test/fixtures/c')).find((f) => f.endsWith('.c'))!), 'utf8');
    cases.push({ label: 'large file (~1 MB)', text: one.repeat(Math.ceil(1e6 / one.length)) });
    cases.push({ label: 'deep bpftrace blocks', text: 'kprobe:vfs_read ' + '{'.repeat(3000) + '}'.repeat(3000) });
    for (const c of cases) {
      for (const lang of ['c', 'bpftrace']) {
        const uri = `file:///fuzz/special${++counter}${lang === 'c' ? '.bpf.c' : '.bt'}`;
        const doc = store.open(uri, lang, 1, c.text);
        exercise(doc, ctx, rng, `${c.label} as ${lang}`);
        store.close(uri);
      }
    }
    t.diagnostic(`special inputs: ${cases.length * 2} (seed ${FUZZ_SEED})`);
  });
});
