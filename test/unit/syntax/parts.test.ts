// The C and CO-RE models built part by part (syntax/parts.ts), reusing the previous version's
// parts, equal the models of a whole build of the same text and tree, after random edits of real
// files; an edit inside one handler's body builds that part again and reuses the others.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCModel, builtinSectionResolver, LineMap } from '../../../server/src/syntax/cModel';
import { buildCoreModel } from '../../../server/src/syntax/coreAccess';
import { DocumentStore, maskSections } from '../../../server/src/syntax/documents';
import { loadCParser } from '../../../server/src/syntax/parser';
import { buildCModelByParts, buildCoreModelByParts, PartCache, topLevelSpans } from '../../../server/src/syntax/parts';
import { loadFixture } from '../../features/fixture';

/** A deterministic pseudo-random sequence, so a failing edit script can be replayed. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x7fffffff;
  };
}

function positionOf(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length - 1, character: offset - (before.lastIndexOf('\n') + 1) };
}

const FIXTURES = ['biosnoop', 'broken', 'execwatch', 'offcputime', 'opensnoop', 'runqlat', 'schedsnap', 'taskguard', 'tcpconnect', 'wakelat']
  .map((name) => `c/${name}.bpf.c`);

/** What edits insert: code that opens and closes things, sections, CO-RE reads and guards,
 *  loader options, comments, directives, quotes. */
const INSERTS = [
  'x', ' ', '\n', '\n\n', '{', '}', '(', ')', ';', '"', "'", '/*', '*/', '//', '#', '\\\n', '#if X\n', '#endif\n', '#define M(n) SEC("kprobe/" #n)\n',
  'SEC("kprobe/vfs_read")\n', 'int BPF_PROG(a, int b)', 'ctx->', 'task->mm->', 'BPF_CORE_READ(t, real_parent, tgid)',
  'if (bpf_core_field_exists(t->__state)) return 0;\n', 'const volatile bool opt = false;\n', 'if (opt) { x = t->pid; }\n',
  '/* bpf-atlas-ignore: renamed */\n', 'struct task_struct___o { int __state; } __attribute__((preserve_access_index));\n',
  '}\n', '}\n\n', 'é✓😀',
];

describe('models built part by part', () => {
  it('equal a whole build after random edits of real files', async () => {
    const store = new DocumentStore({ parser: await loadCParser() });
    const rand = rng(7);
    for (const fixture of FIXTURES) {
      // Two copies of the file, so that parts repeat and sit at several places.
      let text = loadFixture(fixture).text + '\n' + loadFixture(fixture).text;
      const uri = `file:///${fixture.replace('/', '_')}`;
      store.open(uri, 'c', 1, text);
      for (let step = 0; step < 40; step++) {
        const changes = [];
        const batch = 1 + Math.floor(rand() * 2);
        for (let c = 0; c < batch; c++) {
          const a = Math.floor(rand() * (text.length + 1));
          const b = rand() < 0.5 ? a : Math.min(text.length, a + Math.floor(rand() * 40));
          let insert = rand() < 0.2 ? '' : INSERTS[Math.floor(rand() * INSERTS.length)];
          // Sometimes a copy of a piece of the file elsewhere (whole functions move).
          if (rand() < 0.1) {
            const from = Math.floor(rand() * text.length);
            insert = text.slice(from, from + Math.floor(rand() * 400));
          }
          changes.push({ range: { start: positionOf(text, a), end: positionOf(text, b) }, text: insert });
          text = text.slice(0, a) + insert + text.slice(b);
        }
        const doc = store.change(uri, step + 2, changes)!;
        assert.equal(doc.text, text);
        const where = `${fixture}, step ${step}`;
        // Ask in both orders: each model is built on its own.
        if (step % 2) assert.ok(doc.core);
        assert.deepEqual(doc.c, buildCModel(text, doc.tree, builtinSectionResolver, []), `C model, ${where}`);
        assert.deepEqual(doc.core, buildCoreModel(text, doc.tree), `CO-RE model, ${where}`);
      }
      store.close(uri);
    }
    store.dispose();
  });

  it('an edit inside one handler body builds that part again and reuses every other', async () => {
    const parser = (await loadCParser()).create();
    const one = loadFixture('c/runqlat.bpf.c').text;
    const text = [one, one, one].join('\n');
    const tree = parser.parse(maskSections(text))!;
    // Map definitions (`__uint(type, ...)` in a struct) are errors to tree-sitter: the CO-RE
    // model builds their parts again every time.
    const unclean = topLevelSpans(text, tree).filter((s) => !s.clean).length;
    assert.ok(unclean > 0);
    const cache = new PartCache();
    const before = buildCModelByParts(text, tree, builtinSectionResolver, [], new LineMap(text), cache);
    const parts = cache.built;
    assert.ok(parts > 10, `${parts} parts`);
    buildCoreModelByParts(text, tree, new LineMap(text), cache);
    // A character inside the second copy's first handler body, and a new line after it.
    const body = before.programs[before.programs.length / 3].bodyRange!;
    const at = new LineMap(text).offsetAt(body.start) + 1;
    for (const insert of ['x', '\n']) {
      const edited = text.slice(0, at) + insert + text.slice(at);
      const next = parser.parse(maskSections(edited))!;
      const lines = new LineMap(edited);
      const c = buildCModelByParts(edited, next, builtinSectionResolver, [], lines, cache);
      assert.deepEqual({ built: cache.built, reused: cache.reused }, { built: 1, reused: parts - 1 }, `C parts after inserting ${JSON.stringify(insert)}`);
      assert.deepEqual(c, buildCModel(edited, next, builtinSectionResolver, []));
      const core = buildCoreModelByParts(edited, next, lines, cache);
      assert.deepEqual({ built: cache.built, reused: cache.reused }, { built: 1 + unclean, reused: parts - 1 - unclean }, `CO-RE parts after inserting ${JSON.stringify(insert)}`);
      assert.deepEqual(core, buildCoreModel(edited, next));
      // Back to the first text: every part is found again, the edited one in the other copies.
      buildCModelByParts(text, tree, builtinSectionResolver, [], new LineMap(text), cache);
      assert.equal(cache.built, 0);
      next.delete();
    }
    tree.delete();
    parser.delete();
  });

  it('cuts between top-level declarations at line starts, covering the whole text', async () => {
    const parser = (await loadCParser()).create();
    const text = loadFixture('c/taskguard.bpf.c').text;
    const tree = parser.parse(maskSections(text))!;
    const spans = topLevelSpans(text, tree);
    assert.equal(spans[0].from, 0);
    assert.equal(spans.at(-1)!.to, text.length);
    for (let i = 1; i < spans.length; i++) {
      assert.equal(spans[i].from, spans[i - 1].to);
      assert.equal(text[spans[i].from - 1], '\n');
    }
    // A part is clean when no error of the tree starts in it.
    const errors = tree.rootNode.descendantsOfType('ERROR').map((e) => e!.startIndex);
    assert.ok(errors.length);
    for (const s of spans) assert.equal(s.clean, !errors.some((at) => at >= s.from && at < s.to), text.slice(s.from, s.to));
    tree.delete();
    parser.delete();
  });
});
