// 10 MB programs over a real connection (issue 7): a C program and a bpftrace script of ~10 MB
// (real fixtures repeated with distinct handler names), each on a server of its own. A hover is
// sent right after didOpen, as an editor does when the pointer rests on the text while it loads;
// then the diagnostics are awaited and completion, hover and codeAction are asked in the middle
// and past the end, and a completion once more after a single keystroke. Every request must be
// answered (a result, never an error), the diagnostics published and the server alive. How long
// the answers take on 10 MB (the issue asks for a partial or cancelled answer rather than a long
// wait) is measured by `npm run bench`; the figures are only reported here.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixturePrograms, positionAt, SoakServer } from './server';

type Timing = { method: string; ms: number; where: string };

describe('10 MB programs over a real connection', () => {
  const programs = fixturePrograms();

  /** Requests in the middle and past the end of `text`, each timed. */
  async function requestsOver(server: SoakServer, uri: string, text: string, label: string): Promise<Timing[]> {
    const out: Timing[] = [];
    const spots: [string, { line: number; character: number }][] = [
      ['middle', positionAt(text, Math.floor(text.length / 2))],
      ['past the end', { line: 10_000_000, character: 10_000_000 }],
    ];
    for (const [where, position] of spots) {
      for (const method of ['textDocument/completion', 'textDocument/hover', 'textDocument/codeAction']) {
        const params = method === 'textDocument/codeAction'
          ? { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: position }, context: { diagnostics: [] } }
          : { textDocument: { uri }, position };
        const o = await server.outcome(method, params).catch((e: Error) => new Error(`${label}: ${method} at ${where}: ${e.message}`));
        if (o instanceof Error) throw o;
        out.push({ method, ms: o.ms, where });
      }
    }
    return out;
  }

  /** ~10 MB of a real program: copies with distinct handler names, joined. */
  function tenMegabytes(name: string): { text: string; languageId: string; uri: string } {
    const base = programs.find((p) => p.name === name)!;
    const copies: string[] = [];
    let size = 0;
    for (let i = 0; size < 10_000_000; i++) {
      const copy = base.text.replace(/\b(handle_\w+|trace_\w+)\b/g, (m) => `${m}_${i}`);
      copies.push(copy);
      size += copy.length;
    }
    return { text: copies.join('\n'), languageId: base.languageId, uri: `file:///soak/huge-${base.name}` };
  }

  /** Opens a 10 MB program on a server of its own (a stuck server must not hold up the other
   *  cases), asks for a hover at once (an editor does: the mouse rests on the text while it
   *  loads), then waits for the diagnostics and runs the requests. Returns what failed. */
  async function tenMegabyteCase(t: { diagnostic(m: string): void }, name: string): Promise<string[]> {
    const huge = tenMegabytes(name);
    const own = await SoakServer.start({ settings: { targetKernels: ['debian-12', 'ubuntu-22.04'], useLiveKernel: false } });
    const findings: string[] = [];
    try {
      const started = performance.now();
      await own.open(huge.uri, huge.text, huge.languageId);
      const firstHover = await own.outcome('textDocument/hover', { textDocument: { uri: huge.uri }, position: { line: 0, character: 0 } })
        .then((o) => o.ms, (e: Error) => e);
      if (firstHover instanceof Error) {
        findings.push(`10 MB ${name}: hover sent right after didOpen: ${firstHover.message}`);
        return findings;
      }
      const p = await own.waitForDiagnostics(huge.uri, (x) => x.version === 1);
      const openMs = performance.now() - started;
      const timings = await requestsOver(own, huge.uri, huge.text, `10 MB ${name}`);
      // One keystroke in the huge document, then a completion: how long an edit blocks requests.
      const editStarted = performance.now();
      await own.change(huge.uri, [{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: 'x' }]);
      await own.outcome('textDocument/completion', { textDocument: { uri: huge.uri }, position: { line: 3, character: 1 } });
      timings.push({ method: 'textDocument/completion after one keystroke', ms: performance.now() - editStarted, where: 'line 4' });
      const worst = timings.reduce((a, b) => (b.ms > a.ms ? b : a));
      t.diagnostic(`10 MB ${name}: ${(huge.text.length / 1e6).toFixed(2)} M chars; hover right after didOpen ${firstHover.toFixed(0)} ms; first diagnostics (${p.diagnostics.length}) after ${openMs.toFixed(0)} ms; slowest request ${worst.method} at ${worst.where}: ${worst.ms.toFixed(0)} ms`);
      assert.ok(own.alive, `10 MB ${name}: server exited with ${own.exitCode}`);
    } finally {
      for (const f of findings) t.diagnostic(`FINDING ${f}`);
      own.proc.kill('SIGKILL');
      own.connection.dispose();
    }
    return findings;
  }

  it('a 10 MB bpftrace script: opened, diagnosed, every request answered', async (t) => {
    assert.deepEqual(await tenMegabyteCase(t, 'biosnoop.bt'), []);
  });

  it('a 10 MB C program: opened, diagnosed, every request answered', async (t) => {
    assert.deepEqual(await tenMegabyteCase(t, 'runqlat.bpf.c'), []);
  });

});
