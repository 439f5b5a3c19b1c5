// How the `bpf-atlas` command runs a verb, whatever bundle holds it: dispatch on the first
// argument, the terminal-safe sink, no stack trace for the user, exit status and quiet EPIPE.
// cli.ts binds it to the table of every verb (dist/cli-main.js); cli/lookupMain.ts to `lookup`
// alone (dist/cli-lookup.js, the bundle the entry runs for `bpf-atlas lookup`).

import fs from 'node:fs';
import path from 'node:path';
import { dataDir } from '../dataDir';
import { escapeUnsafeText } from '../atlas/safeText';
import type { CliIo } from './io';

export interface Verb {
  summary: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

export type Verbs = Record<string, Verb>;

/** What each verb does, in one line: the usage text lists them. */
export const SUMMARIES = {
  kernels: 'list every known kernel (bundled, live, atlas files)',
  lookup: 'what an attach point is on each target kernel, with its hazards',
  check: 'report attach hazards of BPF programs (files or folders) for CI',
  index: 'build an atlas file of a kernel (running, BTF files or folders, vmlinux, .deb)',
  merge: 'join atlas files built on many hosts into one',
  lsp: 'run the language server (--stdio)',
} as const;

function usage(verbs: Verbs): string {
  const width = Math.max(...Object.keys(verbs).map((v) => v.length));
  const lines = Object.entries(verbs).map(([name, v]) => `  ${name.padEnd(width)}  ${v.summary}`);
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

/** Run the verb argv names from `verbs`; the exit status. */
export async function dispatch(verbs: Verbs, argv: string[], rawIo: CliIo): Promise<number> {
  const io = terminalSafe(rawIo);
  const [verb, ...rest] = argv;
  const v = verb !== undefined && Object.hasOwn(verbs, verb) ? verbs[verb] : undefined;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    if (verb === 'help' && rest[0] && Object.hasOwn(verbs, rest[0])) return verbs[rest[0]].run(['--help'], io);
    (verb ? io.stdout : io.stderr).write(usage(verbs));
    return verb ? 0 : 2;
  }
  if (verb === '--version' || verb === '-V') {
    io.stdout.write(`bpf-atlas ${version()}\n`);
    return 0;
  }
  if (!v) {
    io.stderr.write(`bpf-atlas: unknown command "${verb}"\n\n${usage(verbs)}`);
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

/** The process stream, ending the run quietly on a closed pipe (`bpf-atlas kernels | head`)
 *  rather than with a stack trace. */
export function processStream(name: 'stdout' | 'stderr'): NodeJS.WriteStream {
  const stream = process[name];
  if (!stream.listeners('error').includes(quietOnEpipe)) stream.on('error', quietOnEpipe);
  return stream;
}

function quietOnEpipe(e: NodeJS.ErrnoException): void {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
}

/** Standard output or error written synchronously through its descriptor, as Node writes to
 *  files, terminals and (on Linux) pipes anyway: a run that writes this way never builds the
 *  stream objects (for a pipe, a net.Socket and the modules behind it: ~3 ms of a lookup). A
 *  closed pipe ends the run quietly; a descriptor that would block (a non-blocking pipe a
 *  parent shares) hands the rest to the stream. */
function descriptorWriter(fd: 1 | 2, name: 'stdout' | 'stderr'): CliIo['stdout'] {
  let stream: NodeJS.WriteStream | undefined;
  return {
    write(text: string) {
      if (stream) return stream.write(text);
      const bytes = Buffer.from(text, 'utf8');
      for (let at = 0; at < bytes.length;) {
        try {
          at += fs.writeSync(fd, bytes, at);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EPIPE') process.exit(process.exitCode ?? 0);
          if (code !== 'EAGAIN') throw e;
          stream = processStream(name);
          return stream.write(bytes.subarray(at));
        }
      }
      return true;
    },
  };
}

/** The command as a process runs it (dist/cli.js, cliEntry.ts): argv, exit status, quiet EPIPE. */
export function runProcess(verbs: Verbs): void {
  const io: CliIo = { stdout: descriptorWriter(1, 'stdout'), stderr: descriptorWriter(2, 'stderr') };
  dispatch(verbs, process.argv.slice(2), io).then(
    (code) => { process.exitCode = code; },
    (e: Error) => { io.stderr.write(escapeUnsafeText(`bpf-atlas: ${e.message}\n`)); process.exitCode = 1; },
  );
}
