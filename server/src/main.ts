// Language server process entry (dist/server.js). The transport comes from the command line, as
// vscode-languageserver reads it: `--stdio`, `--node-ipc` (how the VS Code client starts it) or
// `--socket=<port>`. Everything else is in serve.ts.

import { serve } from './serve';

void serve({ argv: process.argv.slice(2) }).then(
  // A connection closed for broken framing ends the process: there is no client left to serve.
  (broken) => { if (broken) process.exit(1); },
  (e: unknown) => {
    process.stderr.write(`bpf-atlas language server failed to start: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
