// The bundle of `bpf-atlas lookup` alone (dist/cli-lookup.js): the bin entry (cliEntry.ts) runs
// it instead of the bundle of every verb when the first argument is `lookup`, so that a lookup
// reads and compiles only the code it runs (~0.3 MB, not 1.8 MB: no language server, parsers or
// `check`). Same dispatch, same verb module, same output as `lookup` in dist/cli-main.js.

import { runProcess, SUMMARIES } from './dispatch';
import { run } from './lookup';

export function runAsMain(): void {
  runProcess({ lookup: { summary: SUMMARIES.lookup, run } });
}
