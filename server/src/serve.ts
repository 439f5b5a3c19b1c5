// Starts one language server on a transport: creates the Connection, keeps stdout clean for the
// protocol (console output goes to the client's log instead), keeps the process alive through
// stray exceptions, builds the services and wires them with startServer. Shared by dist/server.js
// (main.ts) and `bpf-atlas lsp` (cli/lsp.ts).

import {
  type Connection, createConnection, ProposedFeatures, StreamMessageReader, StreamMessageWriter,
} from 'vscode-languageserver/node';
import { escapeUnsafeText } from './atlas/safeText';
import { startServer } from './server';
import { createServices, type ServicesOptions } from './services';

export interface ServeOptions extends ServicesOptions {
  /** Transport flags as given on the command line (`--stdio`, `--node-ipc`, `--socket=N`). */
  argv: readonly string[];
  /** Streams for `--stdio` (default the process's own). */
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
}

function errorText(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

/** vscode-languageserver watches the editor's process with `process.kill(pid, 0)` every few
 *  seconds and exits on any error. EPERM means the process exists but belongs to another user,
 *  which is the normal case when the server runs through sudo to read tracefs: treat that as
 *  alive instead of exiting. Only the existence probe (signal 0) is affected. */
function toleratePermissionErrorsInParentWatch(): void {
  const kill = process.kill.bind(process);
  process.kill = ((pid: number, signal?: string | number) => {
    try {
      return kill(pid, signal);
    } catch (e) {
      if (signal === 0 && (e as NodeJS.ErrnoException).code === 'EPERM') return true;
      throw e;
    }
  }) as typeof process.kill;
}

/** Resolves when the connection is closed: by the client (exit), or because the client broke the
 *  message framing (then with the reason, already written to stderr: nothing can be said over a
 *  stream whose message boundaries are lost, and a silent server would wait forever). */
export async function serve(options: ServeOptions): Promise<string | void> {
  toleratePermissionErrorsInParentWatch();
  const stdio = options.argv.includes('--stdio');
  let connection: Connection;
  let brokenFraming: (reason: string) => void = () => undefined;
  if (stdio) {
    const reader = new StreamMessageReader(options.stdin ?? process.stdin);
    reader.onError((e) => brokenFraming(e.message));
    connection = createConnection(ProposedFeatures.all, reader, new StreamMessageWriter(options.stdout ?? process.stdout));
  } else {
    // vscode-languageserver reads --node-ipc / --socket / --pipe from process.argv.
    for (const flag of options.argv) if (!process.argv.includes(flag)) process.argv.push(flag);
    connection = createConnection(ProposedFeatures.all);
  }
  // On stdio, anything printed to stdout would corrupt the protocol stream.
  console.log = (...args: unknown[]) => connection.console.log(args.map(String).join(' '));
  console.info = console.log;
  console.warn = (...args: unknown[]) => connection.console.warn(args.map(String).join(' '));
  console.error = (...args: unknown[]) => connection.console.error(args.map(String).join(' '));
  // The server must outlive any bug: log it and carry on serving.
  process.on('uncaughtException', (e) => connection.console.error(`uncaught exception: ${errorText(e)}`));
  process.on('unhandledRejection', (e) => connection.console.error(`unhandled rejection: ${errorText(e)}`));

  const closed = new Promise<string | void>((resolve) => {
    connection.onExit(() => resolve());
    brokenFraming = (reason) => {
      const why = `the client broke the message framing (${reason}): closing the connection`;
      // The reason quotes the client's bytes: no control character reaches the terminal.
      process.stderr.write(escapeUnsafeText(`bpf-atlas language server: ${why}`) + '\n');
      connection.dispose();
      resolve(why);
    };
  });
  const services = await createServices(options);
  startServer(connection, services);
  connection.listen();
  return closed;
}
