// A JSON-RPC client for the soak layer: starts the BUILT language server (node dist/server.js
// --stdio), optionally behind a wrapper command (unshare for a private mount namespace, setpriv to
// drop root, strace to watch syscalls), and talks to it as an editor does. Unlike the protocol
// tests' client it keeps the server's pid (for /proc/<pid>/status and /proc/<pid>/fd), counts every
// request it sent and every response it got, records every message and log line, and answers
// workspace/configuration with whatever settings a test sets, right or wrong.

import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  CancellationTokenSource,
  createMessageConnection,
  type MessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import type { PublishDiagnosticsParams, TextDocumentContentChangeEvent } from 'vscode-languageserver-protocol';
import { HANG_GUARD_MS } from '../hangGuard';
import { SERVER_NODE_OPTIONS, serverEnvironment } from '../../server/src/protocol';

export { HANG_GUARD_MS };

export const ROOT = path.resolve(__dirname, '../../..');
export const SERVER = path.join(ROOT, 'dist/server.js');
export const C_FIXTURES = path.join(ROOT, 'test/fixtures/c');
export const BT_FIXTURES = path.join(ROOT, 'test/fixtures/bt');

/** JSON-RPC RequestCancelled: the one error a cancelled request may legitimately answer with. */
export const REQUEST_CANCELLED = -32800;

export interface SoakServerOptions {
  /** The bpfAtlas section answered to workspace/configuration (anything, on purpose). */
  settings?: unknown;
  initializationOptions?: unknown;
  /** argv prefix run before `node dist/server.js --stdio` (e.g. ['unshare', '-m', ...]); the
   *  wrapper must exec the server so the spawned pid is the server's. */
  wrapper?: string[];
  /** processId sent in initialize (default this process's pid; null: none). vscode-languageserver
   *  exits the server when `kill(processId, 0)` fails, which it also does with EPERM when the
   *  server runs as another user. */
  processId?: number | null;
  /** node options for the server process (e.g. --heapsnapshot-signal=SIGUSR2). */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface Outcome<R> {
  /** 'result' or 'cancelled' (RequestCancelled error); any other error is thrown. */
  kind: 'result' | 'cancelled';
  result?: R;
  ms: number;
}

export class SoakServer {
  readonly messages: { type: number; message: string }[] = [];
  readonly logs: string[] = [];
  readonly stderr: string[] = [];
  readonly statuses: unknown[] = [];
  private readonly diagnostics = new Map<string, PublishDiagnosticsParams[]>();
  private readonly versions = new Map<string, number>();
  sent = 0;
  answered = 0;
  cancelled = 0;
  exitCode: number | null | undefined;
  settings: unknown;
  cwd = ROOT;

  private constructor(readonly proc: ChildProcess, readonly connection: MessageConnection, settings: unknown) {
    this.settings = settings;
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  static async start(options: SoakServerOptions = {}): Promise<SoakServer> {
    if (!fs.existsSync(SERVER)) throw new Error(`${SERVER} is missing: run npm run build first`);
    // The server runs as the VS Code client starts it (SERVER_NODE_OPTIONS, protocol.ts).
    const argv = [...(options.wrapper ?? []), process.execPath, ...SERVER_NODE_OPTIONS, ...(options.nodeArgs ?? []), SERVER, '--stdio'];
    const proc = spawn(argv[0], argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...serverEnvironment(process.env), ...options.env },
      cwd: options.cwd ?? ROOT,
    });
    const connection = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    const server = new SoakServer(proc, connection, options.settings);
    server.cwd = options.cwd ?? ROOT;
    proc.on('exit', (code) => (server.exitCode = code));
    proc.stderr!.on('data', (d: Buffer) => server.stderr.push(String(d)));
    connection.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) =>
      params.items.map((item) => (item.section === 'bpfAtlas' ? server.settings ?? null : null)));
    connection.onRequest('client/registerCapability', () => null);
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onNotification('window/showMessage', (p: { type: number; message: string }) => server.messages.push(p));
    connection.onNotification('window/logMessage', (p: { message: string }) => server.logs.push(p.message));
    connection.onNotification('bpfAtlas/status', (p: unknown) => server.statuses.push(p));
    connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      const list = server.diagnostics.get(p.uri) ?? [];
      list.push(p);
      server.diagnostics.set(p.uri, list);
    });
    connection.onError(() => undefined);
    connection.listen();
    await server.request('initialize', {
      processId: options.processId === undefined ? process.pid : options.processId,
      rootUri: null,
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
        textDocument: {
          synchronization: { dynamicRegistration: false },
          completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown', 'plaintext'] } },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          publishDiagnostics: { versionSupport: true },
          codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } } },
        },
        window: { workDoneProgress: true },
      },
      initializationOptions: options.initializationOptions,
    });
    await connection.sendNotification('initialized', {});
    return server;
  }

  /** Sends a request and waits for its response; rejects when none comes within `ms` (a hang).
   *  With `cancelAfterMs` the request is cancelled ($/cancelRequest) after that delay (0: at once). */
  async request<R>(method: string, params: unknown, ms = HANG_GUARD_MS, cancelAfterMs?: number): Promise<R> {
    const outcome = await this.outcome<R>(method, params, ms, cancelAfterMs);
    return outcome.result as R;
  }

  async outcome<R>(method: string, params: unknown, ms = HANG_GUARD_MS, cancelAfterMs?: number): Promise<Outcome<R>> {
    const source = new CancellationTokenSource();
    const started = performance.now();
    this.sent++;
    const pending = this.connection.sendRequest(method, params, source.token) as Promise<R>;
    let cancelTimer: NodeJS.Timeout | undefined;
    if (cancelAfterMs !== undefined) {
      if (cancelAfterMs <= 0) source.cancel();
      else cancelTimer = setTimeout(() => source.cancel(), cancelAfterMs);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no response to ${method} within ${ms} ms (server ${this.alive ? 'alive' : `exited ${this.exitCode}`})`)), ms);
    });
    try {
      const result = await Promise.race([pending, timeout]);
      this.answered++;
      return { kind: 'result', result, ms: performance.now() - started };
    } catch (e) {
      if (e instanceof ResponseError && e.code === REQUEST_CANCELLED) {
        this.answered++;
        this.cancelled++;
        return { kind: 'cancelled', ms: performance.now() - started };
      }
      throw e;
    } finally {
      clearTimeout(timer);
      clearTimeout(cancelTimer);
      source.dispose();
    }
  }

  notify(method: string, params: unknown): Promise<void> {
    return this.connection.sendNotification(method, params);
  }

  open(uri: string, text: string, languageId = 'c', version = 1): Promise<void> {
    this.versions.set(uri, version);
    return this.notify('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
  }

  /** didChange with the next version (or the given one, even a stale one). */
  change(uri: string, changes: TextDocumentContentChangeEvent[], version?: number): Promise<void> {
    const v = version ?? (this.versions.get(uri) ?? 0) + 1;
    this.versions.set(uri, Math.max(v, this.versions.get(uri) ?? 0));
    return this.notify('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: changes });
  }

  version(uri: string): number | undefined {
    return this.versions.get(uri);
  }

  published(uri: string): PublishDiagnosticsParams[] {
    return this.diagnostics.get(uri) ?? [];
  }

  /** Polls until `pick` accepts a publish for `uri` (already received or future). */
  async waitForDiagnostics(uri: string, pick: (p: PublishDiagnosticsParams) => boolean, ms = HANG_GUARD_MS): Promise<PublishDiagnosticsParams> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.published(uri).find(pick);
      if (hit) return hit;
      if (Date.now() > deadline) {
        const last = this.published(uri).at(-1);
        throw new Error(`no matching diagnostics for ${uri} within ${ms} ms; last publish: version ${last?.version}, ${last?.diagnostics.length} diagnostics`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** shutdown + exit; resolves with the exit code (null when it had to be killed). */
  async stop(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => {
      if (this.proc.exitCode !== null) resolve(this.proc.exitCode);
      else this.proc.once('exit', (code) => resolve(code));
    });
    try {
      await this.request('shutdown', undefined, 10_000);
      await this.notify('exit', undefined);
    } catch {
      this.proc.kill();
    }
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<null>((resolve) => {
      timer = setTimeout(() => {
        this.proc.kill('SIGKILL');
        resolve(null);
      }, 5000);
    })]);
    clearTimeout(timer);
    this.connection.dispose();
    return code;
  }
}

/** Every fixture program, with the uri and language id an editor would use. */
export function fixturePrograms(): { uri: string; text: string; languageId: string; name: string }[] {
  const out: { uri: string; text: string; languageId: string; name: string }[] = [];
  for (const [dir, ext, languageId] of [[C_FIXTURES, '.bpf.c', 'c'], [BT_FIXTURES, '.bt', 'bpftrace']] as const) {
    for (const name of fs.readdirSync(dir).filter((n) => n.endsWith(ext)).sort()) {
      const file = path.join(dir, name);
      out.push({ uri: `file://${file}`, text: fs.readFileSync(file, 'utf8'), languageId, name });
    }
  }
  return out;
}

/** LSP position (line, UTF-16 character) of string offset `offset` in `text`. */
export function positionAt(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, character: Math.min(offset, text.length) - lineStart };
}
