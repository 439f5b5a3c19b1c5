// When the server last received a request or a document notification, or published diagnostics
// (the user reads them and often answers with an edit at once: a warm-up step there held up the
// first edit after a 30,000-line document's analysis by ~20 ms). Background work that only
// prepares answers (the idle warm-up of lsp/atlasConfigurator.ts) waits for a quiet moment rather
// than put its steps between a user's keystrokes: what a request needs meanwhile it builds itself.

import { performance } from 'node:perf_hooks';

export class ActivityClock {
  private last = -Infinity;

  /** A message arrived. */
  touch(now = performance.now()): void {
    this.last = now;
  }

  /** Milliseconds since the last message (Infinity before the first). */
  quietFor(now = performance.now()): number {
    return now - this.last;
  }
}

export interface IdleStepsOptions {
  /** Steps wait until the clock has been quiet this long (no clock: they do not wait). */
  quietMs: number;
  clock?: ActivityClock;
  /** False once the work is superseded (newer settings): the remaining steps are dropped. */
  current(): boolean;
  /** Delay before the first step. */
  startMs?: number;
}

/** Runs `steps` one per turn of the event loop, each after `quietMs` of quiet, until they are
 *  done or no longer current; a step that throws is skipped (what it prepares is built by the
 *  request that needs it, which reports the error). Resolves when the steps stop. The timers are
 *  unref'd, so pending steps never keep a process alive. Timers rather than setImmediate: an
 *  unref'd immediate does not keep libuv's poll phase from blocking, so on a server idle on its
 *  input the next step waited for the next message or timer (over 30 targets, the warm-up's 93
 *  steps took seconds, or had not run when the user began typing). */
export function runIdleSteps(steps: (() => void)[], o: IdleStepsOptions): Promise<void> {
  const queue = [...steps];
  return new Promise((resolve) => {
    const next = (): void => {
      if (!queue.length || !o.current()) {
        resolve();
        return;
      }
      const quiet = o.clock?.quietFor() ?? Infinity;
      if (quiet < o.quietMs) {
        setTimeout(next, o.quietMs - quiet).unref();
        return;
      }
      const step = queue.shift()!;
      try {
        step();
      } catch {
        /* skipped: see above */
      }
      setTimeout(next, 0).unref();
    };
    setTimeout(next, o.startMs ?? 0).unref();
  });
}
