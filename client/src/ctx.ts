// The extension's one context object: owns the LanguageClient (start, stop, restart), the output
// channel with the server log, and every disposable. Client features receive it in their
// activate(ctx) and ask it for the running client at the moment they need one, so a restart never
// leaves a feature holding a dead client. Notification handlers registered here are re-installed
// on every new client.

import * as vscode from 'vscode';
import {
  LanguageClient,
  type LanguageClientOptions,
  type NotificationType,
  type ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';
import { SETTINGS_SECTION } from '../../server/src/settings';
import { type InitializationOptions, WorkspaceTrustedNotification } from '../../server/src/protocol';
import { SERVER_NODE_OPTIONS, serverEnvironment } from '../../server/src/protocol';
import { restrictForTrust } from './trust';

type Handler = { type: NotificationType<unknown>; handler: (params: unknown) => void };

export class Ctx implements vscode.Disposable {
  readonly output: vscode.LogOutputChannel;
  private client: LanguageClient | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly handlers: Handler[] = [];
  /** Subscriptions tied to the current client, dropped when it stops. */
  private clientDisposables: vscode.Disposable[] = [];
  private readonly clientChanged = new vscode.EventEmitter<LanguageClient | undefined>();
  /** Fires after a client started (or undefined after it stopped). */
  readonly onDidChangeClient = this.clientChanged.event;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('bpf-atlas', { log: true });
    this.disposables.push(this.output, this.clientChanged);
    // Trust can only be granted while running, never withdrawn: tell the server to re-read settings.
    this.disposables.push(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        void this.client?.sendNotification(WorkspaceTrustedNotification, {});
      }),
    );
  }

  /** Registers a disposable to be disposed when the extension deactivates. */
  push(...items: vscode.Disposable[]): void {
    this.disposables.push(...items);
  }

  /** Subscribes to a server notification for the lifetime of the extension (across restarts). */
  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): void {
    const entry = { type, handler } as Handler;
    this.handlers.push(entry);
    if (this.client?.isRunning()) this.clientDisposables.push(this.client.onNotification(entry.type, entry.handler));
  }

  /** The running client, or an error message for the user when there is none. */
  runningClient(): LanguageClient | undefined {
    if (this.client?.isRunning()) return this.client;
    void vscode.window.showWarningMessage('bpf-atlas: the language server is not running (see the bpf-atlas output).');
    return undefined;
  }

  async start(): Promise<void> {
    const serverModule = this.extension.asAbsolutePath('dist/server.js');
    // Node options and environment that only work at spawn (protocol.ts), as the bench uses them.
    const env = serverEnvironment(process.env);
    const serverOptions: ServerOptions = {
      run: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: [...SERVER_NODE_OPTIONS], env } },
      // "attach to server" in .vscode/launch.json connects to this port.
      debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: [...SERVER_NODE_OPTIONS, '--nolazy', '--inspect=6009'], env } },
    };
    // The settings go along too, so the server starts reading the target kernels before it gets
    // to ask for them (it still asks, and that answer wins).
    const trusted = vscode.workspace.isTrusted;
    const initializationOptions: InitializationOptions = {
      workspaceTrusted: trusted,
      settings: restrictForTrust(vscode.workspace.getConfiguration().get<Record<string, unknown>>(SETTINGS_SECTION), trusted, (key) =>
        vscode.workspace.getConfiguration(SETTINGS_SECTION).inspect(key)),
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { language: 'c', scheme: 'file' },
        { language: 'c', scheme: 'untitled' },
        { language: 'bpftrace', scheme: 'file' },
        { language: 'bpftrace', scheme: 'untitled' },
        // BCC tools are Python: the Python extension keeps the language; the server answers only
        // for files that import bcc (no model, so no diagnostics or hovers, for the others).
        { language: 'python', scheme: 'file' },
        { language: 'python', scheme: 'untitled' },
      ],
      outputChannel: this.output,
      initializationOptions,
      middleware: {
        workspace: {
          configuration: async (params, token, next) => {
            const result = await next(params, token);
            if (!Array.isArray(result)) return result;
            return result.map((value, i) =>
              params.items[i]?.section === SETTINGS_SECTION
                ? restrictForTrust(value as Record<string, unknown>, vscode.workspace.isTrusted, (key) =>
                    vscode.workspace.getConfiguration(SETTINGS_SECTION).inspect(key))
                : value,
            );
          },
        },
      },
    };
    const client = new LanguageClient('bpfAtlas', 'bpf-atlas language server', serverOptions, clientOptions);
    this.client = client;
    await client.start();
    for (const h of this.handlers) this.clientDisposables.push(client.onNotification(h.type, h.handler));
    this.clientChanged.fire(client);
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    for (const d of this.clientDisposables.splice(0)) d.dispose();
    this.clientChanged.fire(undefined);
    if (!client) return;
    // A client whose server never started cannot be stopped (vscode-languageclient throws), and a
    // hung server must not hold up deactivation: bounded stop, errors logged.
    try {
      if (client.needsStop()) await client.stop(3000);
    } catch (e) {
      this.output.warn(`stopping the language server: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  async restart(): Promise<void> {
    this.output.info('restarting the language server');
    await this.stop();
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }
}
