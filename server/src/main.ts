// Language server process entry (dist/server.js). The transport comes from the command line, as
// vscode-languageserver reads it: `--stdio`, `--node-ipc` (how the VS Code client starts it) or
// `--socket=<port>`. Everything else is in serve.ts.

import v8 from 'node:v8';
import { serve } from './serve';

// A long-running server's heap: V8 lets the old generation grow up to ~4x what survived the last
// full collection when the process allocates fast, and keeps it. Over 30 target kernels a typing
// session holds ~80-90 MB live, yet the heap reached 237 MB (RSS 398 MB; bench targets30 group,
// process.memoryUsage at its end); growing by at most half of what survives, it ended at 149 MB
// (RSS 319 MB). By at most a quarter (with the spawn options of protocol.ts), RSS 243-247
// vs 266-280 MB at a half, alternating runs; 14-19 full collections instead of 11-13 over the
// session, whose pause time stays a few ms each (incremental, concurrent marking; 110-445 vs
// 148-344 ms in all, on a loaded machine) and the server's CPU time did not rise (8.0-8.4 vs
// 9.2-10.1 s, noise). Nothing is forgotten: only garbage is collected sooner. Set before anything
// is allocated; V8 reads this one at each collection, so it needs no spawn option.
v8.setFlagsFromString('--heap-growing-percent=25');

void serve({ argv: process.argv.slice(2) }).then(
  // A connection closed for broken framing ends the process: there is no client left to serve.
  (broken) => { if (broken) process.exit(1); },
  (e: unknown) => {
    process.stderr.write(`bpf-atlas language server failed to start: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
