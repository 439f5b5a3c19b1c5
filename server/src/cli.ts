// The `bpf-atlas` command line: a table of verbs, each a module under cli/ exporting
// `run(argv, io) → Promise<exit status>`. This file only lists them (cli/dispatch.ts runs one);
// every verb parses its own arguments, prints usage and returns 2 on bad ones, and never lets a
// stack trace reach the user for a user error. Bundled as dist/cli-main.js, which the bin entry
// dist/cli.js (cliEntry.ts) runs through V8's code cache (runAsMain); `lookup` has a bundle of
// its own (cli/lookupMain.ts).

import { dispatch, processStream, runProcess, SUMMARIES, type Verbs } from './cli/dispatch';
import type { CliIo } from './cli/io';

export type { CliIo };

const VERBS: Verbs = {
  kernels: { summary: SUMMARIES.kernels, run: async (a, io) => (await import('./cli/kernels')).run(a, io) },
  lookup: { summary: SUMMARIES.lookup, run: async (a, io) => (await import('./cli/lookup')).run(a, io) },
  check: { summary: SUMMARIES.check, run: async (a, io) => (await import('./cli/check')).run(a, io) },
  index: { summary: SUMMARIES.index, run: async (a, io) => (await import('./cli/index')).run(a, io) },
  merge: { summary: SUMMARIES.merge, run: async (a, io) => (await import('./cli/merge')).run(a, io) },
  // The server speaks JSON-RPC over the real process streams, whatever io the caller passed.
  lsp: { summary: SUMMARIES.lsp, run: async (a) => (await import('./cli/lsp')).run(a, { stdin: process.stdin, stdout: processStream('stdout'), stderr: processStream('stderr') }) },
};

export function main(argv: string[], rawIo: CliIo): Promise<number> {
  return dispatch(VERBS, argv, rawIo);
}

/** The command as a process runs it (dist/cli.js, cliEntry.ts): argv, exit status, quiet EPIPE. */
export function runAsMain(): void {
  runProcess(VERBS);
}

if (require.main === module) runAsMain();
