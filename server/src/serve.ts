// Starts one language server on a transport: creates the Connection, keeps stdout clean for the
// protocol (console output goes to the client's log instead), keeps the process alive through
// stray exceptions, builds the services and wires them with startServer. Shared by dist/server.js
// (main.ts) and `bpf-atlas lsp` (cli/lsp.ts).

import {
  type Connection, createConnection, ErrorCodes, ProposedFeatures, type ResponseMessage, StreamMessageReader, StreamMessageWriter,
} from 'vscode-languageserver/node';
import { escapeUnsafeText } from './atlas/safeText';
import { guardFraming } from './lsp/framing';
import { startServer } from './server';
import { createServices, type ServicesOptions } from './services';
import { publishReusingEncoder } from './lsp/jsonEncoder';

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

/** Answers a message whose body is not JSON with JSON-RPC's parse error, and says so on stderr
 *  (the client's bytes escaped). */
async function notJson(writer: StreamMessageWriter, reason: string): Promise<void> {
  const message = `the client sent a message that is not JSON (${reason}): answered with a parse error`;
  process.stderr.write(escapeUnsafeText(`bpf-atlas language server: ${message}`) + '\n');
  try {
    await writer.write({ jsonrpc: '2.0', id: null, error: { code: ErrorCodes.ParseError, message: `Parse error: ${reason}` } } as ResponseMessage);
  } catch {
    // The writer reports its own failures (a closed stream ends the connection).
  }
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
    // The frames pass through guardFraming's limits first (a Content-Length the reader would
    // wait for forever, a header without its end).
    const input = (options.stdin ?? process.stdin).pipe(guardFraming((reason) => brokenFraming(reason)));
    const reader = new StreamMessageReader(input);
    const writer = new StreamMessageWriter(options.stdout ?? process.stdout, { contentTypeEncoder: publishReusingEncoder() });
    reader.onError((e) => {
      // A body that is not JSON leaves the framing intact: the client gets JSON-RPC's parse
      // error (-32700, no id to answer) and the connection goes on.
      if (e instanceof SyntaxError) void notJson(writer, e.message);
      else brokenFraming(e.message);
    });
    connection = createConnection(ProposedFeatures.all, reader, writer);
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
      brokenFraming = () => undefined;
      const why = `the client broke the message framing (${reason}): closing the connection`;
      // The reason quotes the client's bytes: no control character reaches the terminal.
      process.stderr.write(escapeUnsafeText(`bpf-atlas language server: ${why}`) + '\n');
      connection.dispose();
      resolve(why);
    };
  });
  let broke: string | undefined;
  void closed.then((why) => { broke = why ?? undefined; });
  const services = await createServices(options);
  // The guard reads ahead while the services load: a stream broken by then has no client left.
  if (broke) return broke;
  startServer(connection, services);
  connection.listen();
  return closed;
}
