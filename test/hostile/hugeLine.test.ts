// A 2.8 MB line with 100,000 SEC() calls (issue 13): completion went unanswered for 10 s and the
// diagnostics came after 19 s. Requests sent with the open must be answered before the document's
// diagnostics pass runs (lsp/diagnosticsScheduler.ts whenQuiet), each diagnostics pass must be
// bounded (its work budget; spelling searches run only for the names a message shows, over the
// closest-name index), and the diagnostics must say how far they got. Asserted on order and on what the answers hold; the timeouts only turn a
// hang into a failure.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { MAX_DIAGNOSTICS } from '../../server/src/features/diagnostics';
import { SoakServer } from '../soak/server';

const HANG = 120_000;

function hugeLine(): string {
  const calls: string[] = [];
  for (let i = 0; i < 100_000; i++) calls.push(`SEC("kprobe/vfs_read_${i}") `);
  return `${calls.join('')}\nint handler(void *ctx)\n{\n\t\n}\n`;
}

describe('a 2.8 MB line of 100,000 SEC() calls', { timeout: 3 * HANG }, () => {
  it('requests sent with the open are answered before its diagnostics; each pass is bounded and says so', async () => {
    const server = await SoakServer.start({ settings: { targetKernels: ['debian-12', 'ubuntu-22.04'], useLiveKernel: false } });
    try {
      const uri = 'file:///hostile/huge-line.bpf.c';
      const text = hugeLine();
      assert.ok(text.length > 2_800_000, `${text.length} characters`);
      const order: string[] = [];
      const first = new Promise<PublishDiagnosticsParams>((resolve) => {
        void server.waitForDiagnostics(uri, (p) => p.version === 1, HANG).then((p) => { order.push('diagnostics'); resolve(p); });
      });
      const opened = server.open(uri, text, 'c');
      const asked = [
        server.outcome('textDocument/completion', { textDocument: { uri }, position: { line: 3, character: 1 } }, HANG),
        server.outcome('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 8 } }, HANG),
        server.outcome('textDocument/codeAction', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 40 } }, context: { diagnostics: [] } }, HANG),
      ].map((p) => p.then((o) => { order.push('answer'); return o; }));
      await opened;
      const answers = await Promise.all(asked);
      assert.ok(answers.every((a) => a.kind === 'result'));
      assert.match(JSON.stringify(answers[1].result), /vfs_read_0/, 'the hover names the first section');
      const published = await first;
      assert.deepEqual(order, ['answer', 'answer', 'answer', 'diagnostics'], 'the requests did not wait for the diagnostics pass');
      // Bounded: the pass stopped early and says so, the analysed part is named, and the count
      // is capped whatever the file holds.
      const ds = published.diagnostics;
      assert.ok(ds.length <= MAX_DIAGNOSTICS + 2, `${ds.length} diagnostics`);
      assert.ok(ds.some((d) => /analysis stopped after \d+ of \d+ attach points/.test(d.message)), 'says the pass stopped early');
      assert.ok(ds.some((d) => d.code === 'analysis-limit'), 'says which part of the document is analysed');
      // Later passes continue from memoised work; the server keeps answering in between.
      const again = await server.outcome('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 30 } }, HANG);
      assert.equal(again.kind, 'result');
      assert.ok(server.alive);
    } finally {
      await server.stop();
    }
  });
});
