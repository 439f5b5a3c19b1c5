// Language server process entry (dist/server.js). The transport comes from the command line, as
// vscode-languageserver reads it: `--stdio`, `--node-ipc` (how the VS Code client starts it) or
// `--socket=<port>`. Everything else is in serve.ts.

import v8 from 'node:v8';
import { serve } from './serve';

// A long-running server's heap: V8 lets the old generation grow up to ~4x what survived the last
// full collection when the process allocates fast, and keeps it. Over 30 target kernels a typing
// session holds ~90-110 MB live, yet the heap reached 237 MB (RSS 398 MB; bench targets30 group,
// process.memoryUsage at its end); growing by at most half of what survives, it ended at 149 MB
// (RSS 319 MB), typing completion p99 27 vs 30 ms in the same minute (noise). Nothing is
// forgotten: only garbage is collected sooner. Set before anything is allocated.
v8.setFlagsFromString('--heap-growing-percent=50');

void serve({ argv: process.argv.slice(2) }).then(
  // A connection closed for broken framing ends the process: there is no client left to serve.
  (broken) => { if (broken) process.exit(1); },
  (e: unknown) => {
    process.stderr.write(`bpf-atlas language server failed to start: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
