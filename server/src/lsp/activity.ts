// When the server last received a request or a document notification. Background work that only
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
