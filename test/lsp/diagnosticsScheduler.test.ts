// The diagnostics scheduler (issue 14): a run that stops at its work budget publishes progress and
// is followed by another over the same version until one completes, so a stopped run is never the
// version's last word; a complete run is not repeated however long it took; a document that is
// always cut short gets a bounded number of follow-ups. Counted, not timed.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver';
import { DiagnosticsScheduler, MAX_FOLLOW_UPS, type RunResult } from '../../server/src/lsp/diagnosticsScheduler';

/** A scheduler over one document whose runs answer `results` in turn (the last one after). */
function harness(results: (i: number) => RunResult) {
  const published: { version: number; diagnostics: Diagnostic[] }[] = [];
  let runs = 0;
  let settle: () => void = () => undefined;
  let quiet = Promise.resolve();
  const poke = () => { quiet = new Promise((r) => { settle = r; }); };
  poke();
  const scheduler = new DiagnosticsScheduler({
    versionOf: () => 1,
    run: () => results(runs++),
    publish: (_uri, version, diagnostics) => { published.push({ version, diagnostics }); settle(); poke(); },
    logError: (m) => assert.fail(m),
    ready: () => true,
  }, { delayMs: 0 });
  /** Waits until no publish happened for a few turns of the event loop. */
  const idle = async () => {
    for (;;) {
      const before = published.length;
      await Promise.race([quiet, new Promise((r) => setTimeout(r, 20))]);
      await new Promise((r) => setTimeout(r, 20));
      if (published.length === before) return;
    }
  };
  return { scheduler, published, idle, runs: () => runs };
}

const note = (n: number): Diagnostic => ({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, message: `checked ${n}` });

describe('diagnostics scheduler: runs cut short by the work budget', () => {
  it('are followed by runs over the same version until one completes', async () => {
    const h = harness((i) => ({ diagnostics: [note(i)], stoppedEarly: i < 5 }));
    h.scheduler.schedule('file:///a.bpf.c', 0);
    await h.idle();
    assert.equal(h.runs(), 6);
    assert.deepEqual(h.published.map((p) => p.diagnostics[0].message), ['checked 0', 'checked 1', 'checked 2', 'checked 3', 'checked 4', 'checked 5']);
  });

  it('a complete run is not repeated', async () => {
    const h = harness(() => ({ diagnostics: [], stoppedEarly: false }));
    h.scheduler.schedule('file:///a.bpf.c', 0);
    await h.idle();
    assert.equal(h.runs(), 1);
  });

  it('a document always cut short gets a bounded number of follow-ups', async () => {
    const h = harness((i) => ({ diagnostics: [note(i)], stoppedEarly: true }));
    h.scheduler.schedule('file:///a.bpf.c', 0);
    await h.idle();
    assert.equal(h.runs(), MAX_FOLLOW_UPS + 1);
  });
});
