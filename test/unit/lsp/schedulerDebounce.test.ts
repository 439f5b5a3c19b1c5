// The diagnostics debounce (lsp/diagnosticsScheduler.ts) adapts to what a document's runs cost,
// but not to its first run, which opens the target kernels and remembers nothing yet: the first
// edit after opening runs on the next tick when the open was costly; a costly edit run still
// makes the next edit wait. Mocked timers and clock: no wall-clock bound.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { DiagnosticsScheduler, TYPING_DEBOUNCE_MS, TYPING_WINDOW_MS } from '../../../server/src/lsp/diagnosticsScheduler';

/** A scheduler over a document whose version `version()` gives; each run is recorded in `runs`
 *  and advances the mocked clock by what `cost(n)` says the n-th run (0-based) costs. */
function schedulerOver(version: () => number, runs: number[], cost: (n: number) => number): DiagnosticsScheduler {
  return withRuns(version, () => {
    runs.push(version());
    mock.timers.setTime(Date.now() + cost(runs.length - 1));
    return { diagnostics: [], stoppedEarly: false };
  });
}

/** A scheduler over a document whose version `versionOf` gives; `run` stands for a run. */
function withRuns(versionOf: () => number, run: () => { diagnostics: []; stoppedEarly: boolean }): DiagnosticsScheduler {
  return new DiagnosticsScheduler({
    versionOf, run, publish: () => undefined, logError: (m) => assert.fail(m), ready: () => true,
  }, {});
}

describe('diagnostics debounce after the first run', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setImmediate', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('the first run does not set the debounce; later runs do', () => {
    let version = 1;
    const runs: number[] = [];
    const uri = 'file:///a.bpf.c';
    const scheduler = schedulerOver(() => version, runs, () => 300); // each run costs 300 ms
    scheduler.schedule(uri);
    mock.timers.tick(200);
    assert.deepEqual(runs, [1], 'the open runs after the default delay');
    version = 2;
    scheduler.schedule(uri);
    mock.timers.tick(0);
    assert.deepEqual(runs, [1, 2], 'the first edit runs at once: the open\'s cost does not count');
    version = 3;
    scheduler.schedule(uri);
    mock.timers.tick(0);
    assert.deepEqual(runs, [1, 2], 'an edit after a costly edit run waits');
    mock.timers.tick(200);
    assert.deepEqual(runs, [1, 2, 3]);
  });

  it('one slow run does not set the debounce: the least of the last three runs does', () => {
    let version = 1;
    const runs: number[] = [];
    // What each run costs, in order: the open, then edits at 120 ms, one at 190 ms (a garbage
    // collection), and 120 ms again.
    const costs = [300, 120, 190, 120];
    const uri = 'file:///b.bpf.c';
    const scheduler = schedulerOver(() => version, runs, (n) => (costs[n] ?? 120));
    scheduler.schedule(uri, 0);
    mock.timers.tick(0);
    const edit = () => { version++; scheduler.schedule(uri); };
    edit();
    mock.timers.tick(0);
    assert.deepEqual(runs, [1, 2], 'the first edit runs at once');
    edit();
    mock.timers.tick(119);
    assert.deepEqual(runs, [1, 2], 'after a 120 ms run, an edit waits 120 ms');
    mock.timers.tick(1);
    assert.deepEqual(runs, [1, 2, 3]);
    edit();
    mock.timers.tick(120);
    assert.deepEqual(runs, [1, 2, 3, 4], 'after the 190 ms run, still 120 ms: the least of 120 and 190');
  });

  it('an edit after a pause as long as a run runs at once; the keystrokes right after it wait', () => {
    let version = 1;
    const runs: number[] = [];
    const uri = 'file:///c.bpf.c';
    const scheduler = schedulerOver(() => version, runs, () => 120); // each run costs 120 ms
    const edit = () => { version++; scheduler.schedule(uri); };
    scheduler.schedule(uri, 0);
    mock.timers.tick(0);
    edit();
    mock.timers.tick(0);
    assert.deepEqual(runs, [1, 2], 'the open, and the first edit at once');
    mock.timers.tick(500); // the user pauses
    edit();
    mock.timers.tick(0);
    assert.deepEqual(runs, [1, 2, 3], 'after a pause, at once');
    mock.timers.tick(30);
    edit();
    mock.timers.tick(100);
    edit();
    mock.timers.tick(100);
    assert.deepEqual(runs, [1, 2, 3], 'keystrokes 30 and 100 ms apart wait for each other');
    mock.timers.tick(20);
    assert.deepEqual(runs, [1, 2, 3, 5], 'then the last version runs, 120 ms after the last keystroke');
  });

  it('keystrokes soon after a completion wait for a quiet moment even when runs are cheap', () => {
    let version = 1;
    const runs: number[] = [];
    const uri = 'file:///d.bpf.c';
    const scheduler = schedulerOver(() => version, runs, () => 5); // cheap runs: 5 ms
    scheduler.schedule(uri, 0);
    mock.timers.tick(0);
    scheduler.completionAsked(uri); // a completion after opening, before any edit: no typing
    const keystroke = (completion: boolean) => {
      version++;
      scheduler.schedule(uri);
      if (completion) scheduler.completionAsked(uri);
    };
    keystroke(true);
    mock.timers.tick(0);
    assert.deepEqual(runs, [1, 2], 'the first keystroke runs at once');
    mock.timers.tick(10);
    keystroke(true);
    mock.timers.tick(10);
    keystroke(false); // a newline: no completion, same burst
    mock.timers.tick(TYPING_DEBOUNCE_MS - 1);
    assert.deepEqual(runs, [1, 2], 'keystrokes soon after a completion wait');
    mock.timers.tick(1);
    assert.deepEqual(runs, [1, 2, 4], 'then the last version runs after a quiet moment');
    mock.timers.tick(TYPING_WINDOW_MS);
    keystroke(false);
    mock.timers.tick(0);
    assert.deepEqual(runs, [1, 2, 4, 5], 'an edit long after the last completion runs at once when runs are cheap');
    mock.timers.tick(10);
    keystroke(false);
    mock.timers.tick(0);
    assert.deepEqual(runs, [1, 2, 4, 5, 6], 'so do edits with no completion asked');
  });

  it('follow-up runs over the same version (a huge open continued) do not set the debounce', () => {
    let version = 1;
    const runs: number[] = [];
    const uri = 'file:///e.bpf.c';
    // The open stops at its work budget three times (300 ms runs), then finishes; edits cost 20 ms.
    let stops = 3;
    const scheduler = withRuns(() => version, () => {
      runs.push(version);
      mock.timers.setTime(Date.now() + (version === 1 ? 300 : 20));
      return { diagnostics: [], stoppedEarly: version === 1 && stops-- > 0 };
    });
    scheduler.schedule(uri, 0);
    for (let i = 0; i < 4; i++) mock.timers.tick(0);
    assert.deepEqual(runs, [1, 1, 1, 1], 'the open and its three follow-ups');
    version = 2;
    scheduler.schedule(uri);
    mock.timers.tick(0);
    assert.deepEqual(runs, [1, 1, 1, 1, 2], 'the first edit runs at once');
    version = 3;
    scheduler.schedule(uri);
    mock.timers.tick(0);
    assert.deepEqual(runs, [1, 1, 1, 1, 2, 3], 'and so does the next: edit runs are cheap');
  });
});
