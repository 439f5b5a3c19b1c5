// Incremental diagnostics (issue 14): a run after an edit reuses what earlier runs memoised in the
// one cache (each program's diagnostics, its load verdict, the body scans of the load needs), so it
// must say exactly what a run from scratch says over the same text. Checked on the real fixtures
// with edits inside a body, edits that move later programs down a line, a changed target, and
// runs cut short by the work budget that continue until the whole file is analysed.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver';
import { AnalysisCache } from '../../server/src/analysis/cache';
import { diagnostics } from '../../server/src/features/diagnostics';
import { loadDiagnostics } from '../../server/src/features/c/loadDiagnostics';
import { memberDiagnostics } from '../../server/src/features/c/memberDiagnostics';
import { programStandings } from '../../server/src/analysis/intent';
import type { FeatureContext } from '../../server/src/features/shared/context';
import { DocumentStore } from '../../server/src/syntax/documents';
import { loadCParser } from '../../server/src/syntax/parser';
import { bundledKnowledge, documentStore, featureContext, repoRoot } from './fixture';

const TARGETS = ['ubuntu-22.04', 'debian-12', 'ubuntu-18.04', 'ubuntu-24.04'];

function fixtures(): { name: string; text: string }[] {
  const dirs = ['test/fixtures/c', 'test/fixtures/check/tools'];
  return dirs.flatMap((d) => fs.readdirSync(path.join(repoRoot(), d)).filter((f) => f.endsWith('.bpf.c'))
    .map((f) => ({ name: `${d}/${f}`, text: fs.readFileSync(path.join(repoRoot(), d, f), 'utf8') })));
}

/** A context over the bundled atlases with a cache of its own. */
function freshContext(patch: Partial<FeatureContext> = {}): FeatureContext {
  return { ...featureContext(TARGETS), cache: new AnalysisCache(), ...patch };
}

/** The diagnostics of `text` at `uri` with nothing memoised (a store and cache of their own). */
async function fromScratch(uri: string, text: string, feature: typeof diagnostics = diagnostics): Promise<Diagnostic[]> {
  const store = new DocumentStore({ parser: await loadCParser(), resolveSection: bundledKnowledge().sectionPrefix });
  const doc = store.open(uri, 'c', 1, text);
  try {
    return feature(doc, freshContext());
  } finally {
    store.close(uri);
  }
}

/** A fixture of test/fixtures/c without its markers, opened in the shared store. */
async function openPlain(name: string) {
  const store = await documentStore();
  const uri = `file:///incremental/${name}`;
  const text = fs.readFileSync(path.join(repoRoot(), 'test/fixtures/c', name), 'utf8').replace(/\/\*\^[\w.-]*\*\//g, '');
  return { store, uri, doc: store.open(uri, 'c', 1, text) };
}

/** Offsets where edits go: just inside each program's body, and inside a string in a body. */
function editPoints(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/\bSEC\("[^"]*"\)[^{;]*\{/g)) out.push(m.index! + m[0].length);
  const str = /bpf_printk\("/.exec(text);
  if (str) out.push(str.index + str[0].length);
  return out;
}

describe('an incremental diagnostics run says what a run from scratch says', () => {
  for (const f of fixtures()) {
    it(f.name, async () => {
      const store = await documentStore();
      const uri = `file:///incremental/${path.basename(f.name)}`;
      let doc = store.open(uri, 'c', 1, f.text);
      const ctx = freshContext();
      try {
        diagnostics(doc, ctx);
        let version = 1;
        const edits: { at: number; insert: string }[] = [];
        for (const at of editPoints(f.text)) edits.push({ at, insert: ' ' }, { at, insert: '\n' });
        const target = /SEC\("(?:kprobe|fentry|tp_btf|raw_tp)\/(\w)/.exec(f.text);
        if (target) edits.push({ at: target.index + target[0].length, insert: 'x' });
        // A suppression comment above the last program (its findings go, the others' stay).
        const last = [...f.text.matchAll(/^SEC\("(?!license|\.maps)/gm)].pop();
        if (last) edits.push({ at: last.index!, insert: '// bpf-atlas-ignore\n' });
        // Applied one after the other (each on the text the previous left), as an editor does.
        for (const e of edits) {
          const at = Math.min(e.at, doc.text.length);
          const pos = doc.lines.positionAt(at);
          doc = store.change(uri, ++version, [{ range: { start: pos, end: pos }, text: e.insert }])!;
          const incremental = diagnostics(doc, ctx);
          assert.deepEqual(incremental, await fromScratch(uri, doc.text), `${f.name} after inserting ${JSON.stringify(e.insert)} at line ${pos.line + 1}`);
        }
      } finally {
        store.close(uri);
      }
    });
  }

  it('a body edit reuses the file\'s standings and the other programs\' load diagnostics as they were', async () => {
    const { store, uri, doc: opened } = await openPlain('execwatch.bpf.c');
    let doc = opened;
    try {
      const ctx = freshContext();
      const standings = programStandings(doc.c!.programs, doc.intents!, ctx);
      const before = loadDiagnostics(doc, ctx);
      assert.ok(before.length >= 2, `the fixture has load findings on ${TARGETS.join(', ')}: ${JSON.stringify(before.map((d) => d.message))}`);
      // A character inside the body of the last program (fentry/do_unlinkat).
      const body = doc.c!.programs.at(-1)!.bodyRange!.start;
      doc = store.change(uri, 2, [{ range: { start: body, end: body }, text: ' ' }])!;
      assert.equal(programStandings(doc.c!.programs, doc.intents!, ctx), standings, 'the standings are reused');
      const after = loadDiagnostics(doc, ctx);
      assert.deepEqual(after, await fromScratch(uri, doc.text, loadDiagnostics));
      const edited = doc.c!.programs.at(-1)!.secRange.start.line;
      const others = after.filter((d) => d.relatedInformation?.[0].location.range.start.line !== edited);
      assert.ok(others.length > 0, 'findings of other programs');
      for (const d of others) assert.ok(before.includes(d), `reused, not worded again: ${d.message}`);
    } finally {
      store.close(uri);
    }
  });

  it('random edits of real fixtures (in handlers and in the functions they call) give what a run from scratch gives', async () => {
    // A fixed seed: the same edits on every run. Edits touch any body, so a static function a
    // handler reaches changes while the handler's own program object stays the same.
    let seed = 0x14;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const inserts = [' ', 'x', '\n', 'bpf_ktime_get_ns();', 'bpf_loop(1, 0, 0, 0);', ';', '}', '{'];
    const store = await documentStore();
    for (const f of fixtures().filter((x) => /\bstatic\b[^;{]*\(/.test(x.text))) {
      const uri = `file:///incremental/random/${path.basename(f.name)}`;
      let doc = store.open(uri, 'c', 1, f.text);
      const ctx = freshContext();
      try {
        diagnostics(doc, ctx);
        for (let version = 2; version < 14; version++) {
          const bodies = [...doc.text.matchAll(/\)\s*\{\n/g)].map((m) => m.index! + m[0].length);
          const at = bodies[random(bodies.length)];
          const pos = doc.lines.positionAt(at);
          const remove = random(3) === 0;
          const end = remove ? doc.lines.positionAt(Math.min(doc.text.length, at + 1 + random(20))) : pos;
          const insert = remove ? '' : inserts[random(inserts.length)];
          doc = store.change(uri, version, [{ range: { start: pos, end }, text: insert }])!;
          assert.deepEqual(diagnostics(doc, ctx), await fromScratch(uri, doc.text),
            `${f.name} version ${version}: ${remove ? 'removed' : 'inserted'} ${JSON.stringify(insert)} at line ${pos.line + 1}`);
        }
      } finally {
        store.close(uri);
      }
    }
  });

  it('a body edit keeps the other programs\' load needs and verdicts as the same objects', async () => {
    const { fileLoadCheck } = await import('../../server/src/analysis/loadCheck');
    const { store, uri, doc: opened } = await openPlain('execwatch.bpf.c');
    let doc = opened;
    try {
      const ctx = freshContext();
      const before = fileLoadCheck(doc, ctx);
      const body = doc.c!.programs.at(-1)!.bodyRange!.start;
      doc = store.change(uri, 2, [{ range: { start: body, end: body }, text: ' ' }])!;
      const after = fileLoadCheck(doc, ctx);
      assert.equal(after.needs.programs.length, before.needs.programs.length);
      let kept = 0;
      after.needs.programs.forEach((p, i) => {
        const was = before.needs.programs[i];
        if (p.program !== was.program) return;
        kept++;
        if ((was.scans?.length ?? 0) <= 1) assert.equal(p, was, `the needs of ${p.program.section} are reused`);
        assert.equal(after.byProgram.get(p.program), before.byProgram.get(was.program), `the verdict of ${p.program.section} is reused`);
      });
      assert.ok(kept >= 1, 'an unchanged program keeps its object');
      assert.notEqual(after.needs.programs.at(-1), before.needs.programs.at(-1), 'the edited program is read again');
    } finally {
      store.close(uri);
    }
  });

  it('a cancelled member check is not kept for its text: the next run over the same text is whole', async () => {
    const { store, uri, doc } = await openPlain('schedsnap.bpf.c');
    try {
      const ctx = freshContext();
      const whole = memberDiagnostics(doc, { ...ctx, cache: new AnalysisCache() });
      assert.ok(whole.length > 0, 'the fixture has member findings');
      assert.deepEqual(memberDiagnostics(doc, { ...ctx, isCancelled: () => true }), [], 'cancelled before the first read');
      assert.deepEqual(memberDiagnostics(doc, ctx), whole);
    } finally {
      store.close(uri);
    }
  });

  it('runs cut short by the work budget continue until they say what one unlimited run says', async () => {
    const store = await documentStore();
    const texts = fixtures().map((f) => f.text.replace(/char LICENSE\[\][^\n]*\n/, ''));
    const text = `${texts.join('\n')}\nchar LICENSE[] SEC("license") = "GPL";\n`;
    const uri = 'file:///incremental/all.bpf.c';
    const doc = store.open(uri, 'c', 1, text);
    try {
      const programs = doc.c!.programs.length;
      let stopped = 0;
      const ctx = freshContext({ budget: { maxAttachPoints: 5, minAttachPoints: 5 }, onStoppedEarly: () => { stopped++; } });
      let runs = 0;
      let last: Diagnostic[] = [];
      for (let before = -1; before !== stopped && runs < programs; runs++) {
        before = stopped;
        last = diagnostics(doc, ctx);
        if (stopped > before) assert.ok(last.some((d) => /before it stopped/.test(d.message)), 'a run cut short says so');
      }
      assert.ok(stopped >= 2, `the budget cut ${stopped} runs short`);
      assert.ok(runs > stopped, 'a run finished without stopping');
      assert.deepEqual(last, await fromScratch(uri, text));
    } finally {
      store.close(uri);
    }
  });
});
