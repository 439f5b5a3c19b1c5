// The `bpf-atlas` command line: a table of verbs, each a module under cli/ exporting
// `run(argv, io) → Promise<exit status>`. This file only dispatches; every verb parses its own
// arguments, prints usage and returns 2 on bad ones, and never lets a stack trace reach the user
// for a user error. Bundled as dist/cli-main.js, which the bin entry dist/cli.js (cliEntry.ts) runs
// through V8's code cache (runAsMain).

import fs from 'node:fs';
import path from 'node:path';
import { dataDir } from './dataDir';
import { escapeUnsafeText } from './atlas/safeText';
import type { CliIo } from './cli/io';

export type { CliIo };

interface Verb {
  summary: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

const VERBS: Record<string, Verb> = {
  kernels: { summary: 'list every known kernel (bundled, live, atlas files)', run: async (a, io) => (await import('./cli/kernels')).run(a, io) },
  lookup: { summary: 'what an attach point is on each target kernel, with its hazards', run: async (a, io) => (await import('./cli/lookup')).run(a, io) },
  check: { summary: 'report attach hazards of BPF programs (files or folders) for CI', run: async (a, io) => (await import('./cli/check')).run(a, io) },
  index: { summary: 'build an atlas file of a kernel (running, BTF files or folders, vmlinux, .deb)', run: async (a, io) => (await import('./cli/index')).run(a, io) },
  merge: { summary: 'join atlas files built on many hosts into one', run: async (a, io) => (await import('./cli/merge')).run(a, io) },
  // The server speaks JSON-RPC over the real process streams, whatever io the caller passed.
  lsp: { summary: 'run the language server (--stdio)', run: async (a) => (await import('./cli/lsp')).run(a, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }) },
};

function usage(): string {
  const width = Math.max(...Object.keys(VERBS).map((v) => v.length));
  const lines = Object.entries(VERBS).map(([name, v]) => `  ${name.padEnd(width)}  ${v.summary}`);
  return `usage: bpf-atlas <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun \`bpf-atlas <command> --help\` for the options of a command.\n`;
}

/** The terminal sink: every verb writes through this, so no kernel id, name or message that came
 *  from a file (an atlas, a package, a program) puts a control character on the user's terminal
 *  (ESC would start an escape sequence: clear the screen, set the title, write the clipboard).
 *  Tabs and newlines pass; the rest is written as a visible \uXXXX escape. */
function terminalSafe(io: CliIo): CliIo {
  return {
    stdout: { write: (text: string) => io.stdout.write(escapeUnsafeText(text)) },
    stderr: { write: (text: string) => io.stderr.write(escapeUnsafeText(text)) },
  };
}

export async function main(argv: string[], rawIo: CliIo): Promise<number> {
  const io = terminalSafe(rawIo);
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    if (verb === 'help' && rest[0] && VERBS[rest[0]]) return VERBS[rest[0]].run(['--help'], io);
    (verb ? io.stdout : io.stderr).write(usage());
    return verb ? 0 : 2;
  }
  if (verb === '--version' || verb === '-V') {
    io.stdout.write(`bpf-atlas ${version()}\n`);
    return 0;
  }
  const v = VERBS[verb];
  if (!v) {
    io.stderr.write(`bpf-atlas: unknown command "${verb}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await v.run(rest, io);
  } catch (e) {
    // A verb should have reported this itself; still no stack trace for the user.
    io.stderr.write(`bpf-atlas ${verb}: ${(e as Error).message ?? String(e)}\n`);
    if (process.env.BPF_ATLAS_DEBUG) io.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}

function version(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dataDir(), '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The command as a process runs it (dist/cli.js, cliEntry.ts): argv, exit status, quiet EPIPE. */
export function runAsMain(): void {
  // `bpf-atlas kernels | head`: a closed pipe ends the output quietly, not with a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  main(process.argv.slice(2), process).then(
    (code) => { process.exitCode = code; },
    (e: Error) => { process.stderr.write(escapeUnsafeText(`bpf-atlas: ${e.message}\n`)); process.exitCode = 1; },
  );
}

if (require.main === module) runAsMain();
