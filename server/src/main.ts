// Language server process entry (dist/server.js). The transport comes from the command line, as
// vscode-languageserver reads it: `--stdio`, `--node-ipc` (how the VS Code client starts it) or
// `--socket=<port>`. Everything else is in serve.ts.

import { serve } from './serve';

void serve({ argv: process.argv.slice(2) }).then(
  () => undefined,
  (e: unknown) => {
    process.stderr.write(`bpf-atlas language server failed to start: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
