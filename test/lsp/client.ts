// A minimal LSP client for the protocol tests: spawns the BUILT server (node dist/server.js --stdio)
// and talks JSON-RPC to it with vscode-jsonrpc over the process's stdin/stdout, as an editor does.
// It answers the server's own requests (workspace/configuration with the test's settings,
// client/registerCapability), records window/showMessage and publishDiagnostics, and lets tests
// wait for the next diagnostics of a document without sleeping.

import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  createMessageConnection,
  type MessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import type {
  Diagnostic,
  InitializeResult,
  PublishDiagnosticsParams,
  ShowMessageParams,
  TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol';
import { HANG_GUARD_MS } from '../hangGuard';
import { SERVER_NODE_OPTIONS, serverEnvironment } from '../../server/src/protocol';

export const ROOT = path.resolve(__dirname, '../../..');
export const SERVER = path.join(ROOT, 'dist/server.js');
export const FIXTURES = path.join(ROOT, 'test/lsp/fixtures');

export interface StartOptions {
  /** What the server gets for the bpfAtlas section of workspace/configuration. */
  settings?: unknown;
  /** Advertise workspace/configuration (default true); false makes the server use pushed settings. */
  pullConfiguration?: boolean;
  initializationOptions?: unknown;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Announce hierarchical document symbols (default true; false: the server sends a flat list). */
  hierarchicalSymbols?: boolean;
  /** Script and arguments to run with node instead of `dist/server.js --stdio`. */
  command?: string[];
}

export class TestClient {
  readonly messages: ShowMessageParams[] = [];
  readonly logs: string[] = [];
  readonly stderr: string[] = [];
  private readonly diagnostics = new Map<string, PublishDiagnosticsParams[]>();
  private readonly waiters: { uri: string; pick: (p: PublishDiagnosticsParams) => boolean; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  private readonly versions = new Map<string, number>();
  settings: unknown;
  initializeResult!: InitializeResult;

  private constructor(readonly proc: ChildProcess, readonly connection: MessageConnection, settings: unknown) {
    this.settings = settings;
  }

  static async start(options: StartOptions = {}): Promise<TestClient> {
    if (!fs.existsSync(SERVER)) throw new Error(`${SERVER} is missing: run npm run build first`);
    // The server runs as the VS Code client starts it (SERVER_NODE_OPTIONS, protocol.ts).
    const argv = options.command ?? [...SERVER_NODE_OPTIONS, SERVER, '--stdio', ...(options.args ?? [])];
    const proc = spawn(process.execPath, argv, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...serverEnvironment(process.env), ...options.env },
    });
    const connection = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    const client = new TestClient(proc, connection, options.settings);
    proc.stderr!.on('data', (d: Buffer) => client.stderr.push(String(d)));
    connection.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) =>
      params.items.map((item) => (item.section === 'bpfAtlas' ? client.settings ?? null : null)));
    connection.onRequest('client/registerCapability', () => null);
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onNotification('window/showMessage', (p: ShowMessageParams) => client.messages.push(p));
    connection.onNotification('window/logMessage', (p: { message: string }) => client.logs.push(p.message));
    connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => client.onDiagnostics(p));
    connection.listen();
    const pull = options.pullConfiguration !== false;
    client.initializeResult = await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: {
        workspace: { configuration: pull, didChangeConfiguration: { dynamicRegistration: pull } },
        textDocument: {
          synchronization: { dynamicRegistration: false },
          completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown', 'plaintext'] } },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          publishDiagnostics: { versionSupport: true },
          codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } } },
          documentSymbol: { hierarchicalDocumentSymbolSupport: options.hierarchicalSymbols !== false },
          codeLens: {},
          definition: {},
          typeDefinition: {},
        },
        window: { workDoneProgress: true },
      },
      initializationOptions: options.initializationOptions,
    });
    await connection.sendNotification('initialized', {});
    return client;
  }

  private onDiagnostics(p: PublishDiagnosticsParams): void {
    const list = this.diagnostics.get(p.uri) ?? [];
    list.push(p);
    this.diagnostics.set(p.uri, list);
    for (const w of [...this.waiters]) {
      if (w.uri === p.uri && w.pick(p)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(p);
      }
    }
  }

  /** Resolves with the first publish for `uri` (already received or future) that `pick` accepts. */
  waitForDiagnostics(uri: string, pick: (p: PublishDiagnosticsParams) => boolean = () => true, ms = HANG_GUARD_MS): Promise<PublishDiagnosticsParams> {
    const seen = (this.diagnostics.get(uri) ?? []).find(pick);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching diagnostics for ${uri} within ${ms} ms; got ${JSON.stringify(this.diagnostics.get(uri) ?? [])}`)), ms);
      this.waiters.push({ uri, pick, resolve: (p) => { clearTimeout(timer); resolve(p); } });
    });
  }

  /** All diagnostics publishes received for `uri`, oldest first. */
  published(uri: string): PublishDiagnosticsParams[] {
    return this.diagnostics.get(uri) ?? [];
  }

  open(uri: string, text: string, languageId = 'c'): Promise<void> {
    this.versions.set(uri, 1);
    return this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
  }

  /** Opens a fixture file; returns its uri and text. */
  async openFixture(name: string, languageId = 'c'): Promise<{ uri: string; text: string }> {
    const file = path.join(FIXTURES, name);
    const text = fs.readFileSync(file, 'utf8');
    const uri = `file://${file}`;
    await this.open(uri, text, languageId);
    return { uri, text };
  }

  change(uri: string, changes: TextDocumentContentChangeEvent[], version?: number): Promise<void> {
    const v = version ?? (this.versions.get(uri) ?? 0) + 1;
    this.versions.set(uri, Math.max(v, this.versions.get(uri) ?? 0));
    return this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: changes });
  }

  close(uri: string): Promise<void> {
    return this.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  /** shutdown + exit; resolves with the server's exit code. */
  async stop(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => {
      if (this.proc.exitCode !== null) resolve(this.proc.exitCode);
      else this.proc.once('exit', (code) => resolve(code));
    });
    try {
      await this.connection.sendRequest('shutdown');
      await this.connection.sendNotification('exit');
    } catch {
      this.proc.kill();
    }
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<null>((resolve) => { timer = setTimeout(() => { this.proc.kill('SIGKILL'); resolve(null); }, 5000); })]);
    clearTimeout(timer);
    this.connection.dispose();
    return code;
  }
}

/** LSP position just after the first occurrence of `marker` in `source` (plus `offset` characters). */
export function positionAfter(source: string, marker: string, offset = 0): { line: number; character: number } {
  const i = source.indexOf(marker);
  if (i < 0) throw new Error(`marker ${JSON.stringify(marker)} not found`);
  const upTo = source.slice(0, i + marker.length + offset);
  const lines = upTo.split('\n');
  return { line: lines.length - 1, character: lines[lines.length - 1].length };
}

export type { Diagnostic };
