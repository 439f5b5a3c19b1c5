// What the server keeps across versions of a document (per-part models, the load check's body
// scans and their keys, verdicts) must not hold the text of the version it was read from: V8 keeps
// a slice of a long string (tree-sitter's node.text, text.slice) as a view of the whole string.
// A 30,000-line document held ~50 old versions (30 MB) after 30 body edits, and every full
// collection had them to mark. Here a real tool (execwatch.bpf.c) padded to a large text is
// edited inside a handler body, one version after another, with diagnostics (load check
// included) after each; then a heap snapshot of this process says which versions' texts live.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import { diagnostics } from '../../server/src/features/diagnostics';
import { documentStore, featureContext, loadFixture } from './fixture';

const TARGETS = ['debian-12', 'debian-13'];
const VERSIONS = 6;

/** The string contents of a heap snapshot of this process that begin with `prefix`. */
async function liveStrings(prefix: string): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const c of v8.getHeapSnapshot()) chunks.push(c as Buffer);
  const snap = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { strings: string[] };
  return snap.strings.filter((s) => s.startsWith(prefix));
}

describe('texts of earlier versions', () => {
  it('are not kept alive by what outlives a version (part models, body scans, verdicts)', async () => {
    const f = loadFixture('c/execwatch.bpf.c');
    const marker = `// kept-text ${process.pid} version `;
    // Large enough that a slice of it is a view (and that a leak would be visible), real C.
    const padding = `\n/*\n${'padding line of a large document\n'.repeat(2000)}*/\n`;
    const store = await documentStore();
    const ctx = featureContext(TARGETS);
    const uri = `file:///fixtures/kept-text-${process.pid}.bpf.c`;
    let doc = store.open(uri, 'c', 1, `${marker}1\n${f.text}${padding}`);
    diagnostics(doc, ctx);
    for (let v = 2; v <= VERSIONS; v++) {
      // The version marker on line 0, and a character inside a handler body: that part is
      // rebuilt (its names read from this version's text), the others are reused.
      const text = doc.text;
      const body = text.indexOf('bpf_get_current_pid_tgid()');
      assert.ok(body > 0, 'a handler body to edit');
      const first = text.indexOf('\n');
      const next = `${marker}${v}${text.slice(first, body)}${v % 2 ? ' ' : '\t'}${text.slice(body)}`;
      const changed = store.change(uri, v, [{ text: next }]);
      assert.ok(changed);
      doc = changed;
      diagnostics(doc, ctx);
    }
    const alive = new Set((await liveStrings(marker)).map((s) => Number(/^\S+ \S+ \d+ version (\d+)/.exec(s)?.[1])));
    store.close(uri);
    // The last version is the document's; the one before may still sit in this test's own frame.
    const old = [...alive].filter((v) => v < VERSIONS - 1);
    assert.deepEqual(old, [], `texts of versions ${old.join(', ')} are still alive (versions alive: ${[...alive].join(', ')})`);
  });
});
