// The only module that touches the LSP Connection: it declares the capabilities, keeps the
// document store in sync, binds each request to a pure feature through one table, and answers the
// custom bpfAtlas/* requests. Every handler is guarded: an exception is logged and the request gets
// an empty answer, so a feature bug never takes the server down. When diagnostics run
// (lsp/diagnosticsScheduler.ts), which settings and atlas apply (lsp/settingsController.ts) and
// watching the running kernel (lsp/liveWatcher.ts) are collaborators built here and spoken to
// through hooks; what the features and the atlas are comes in through ServerServices
// (services.ts), so this file knows the protocol and nothing about kernels or C.

import {
  type CancellationToken,
  type CodeAction,
  type CodeLens,
  type CodeLensParams,
  CodeLensRefreshRequest,
  type DefinitionParams,
  type DocumentSymbol,
  type DocumentSymbolParams,
  type Location,
  type SymbolInformation,
  type TypeDefinitionParams,
  CodeActionKind,
  type CodeActionParams,
  type CompletionItem,
  type CompletionList,
  type CompletionParams,
  type Connection,
  DidChangeConfigurationNotification,
  ErrorCodes,
  type Hover,
  type HoverParams,
  type InitializeParams,
  type InitializeResult,
  LSPErrorCodes,
  MessageType,
  ResponseError,
  ShowMessageNotification,
  TextDocumentSyncKind,
  CodeActionRequest,
  CodeLensRequest,
  CompletionRequest,
  DefinitionRequest,
  DocumentSymbolRequest,
  HoverRequest,
  TypeDefinitionRequest,
} from 'vscode-languageserver';
import type { FeatureContext } from './features/shared/context';
import { DiagnosticsScheduler, OPEN_DEBOUNCE_MS } from './lsp/diagnosticsScheduler';
import { LiveWatcher } from './lsp/liveWatcher';
import { paramsProblem, type ParamShape } from './lsp/params';
import { SettingsController } from './lsp/settingsController';
import type { ServerOptions, ServerServices, VersionedDocument } from './lsp/types';
import {
  AtlasInUseRequest,
  BuildLiveAtlasRequest,
  type BuildLiveAtlasResult,
  type InitializationOptions,
  ListKernelsRequest,
  LookupRequest,
  type LookupResult,
  StatusNotification,
  summarizeKernel,
  WorkspaceTrustedNotification,
} from './protocol';
import { SETTINGS_SECTION } from './settings';

export type { ServerOptions, ServerServices } from './lsp/types';

const SERVER_NAME = 'bpf-atlas';
const SERVER_VERSION = '0.1.0';

/** DocumentSymbol trees as the flat SymbolInformation list of clients without hierarchy. */
function flattenSymbols(uri: string, symbols: readonly DocumentSymbol[], container?: string): SymbolInformation[] {
  return symbols.flatMap((s) => [
    { name: s.name, kind: s.kind, location: { uri, range: s.range }, ...(container ? { containerName: container } : {}) },
    ...flattenSymbols(uri, s.children ?? [], s.name),
  ]);
}

function errorText(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

/** Wires the connection to the services. The caller calls connection.listen(). */
export function startServer<D extends VersionedDocument>(connection: Connection, services: ServerServices<D>, options: ServerOptions = {}): void {
  new LanguageServer(connection, services, options).bind();
}

/** One session: the connection, the services and the collaborators, wired once. */
class LanguageServer<D extends VersionedDocument> {
  private canPullConfiguration = false;
  private canRegisterConfigurationChange = false;
  /** The client takes DocumentSymbol trees (else flat SymbolInformation). */
  private hierarchicalSymbols = false;
  /** The client re-asks for code lenses on workspace/codeLens/refresh (titles follow the targets). */
  private canRefreshCodeLenses = false;
  /** LSP: a request before `initialize` is answered at once with ServerNotInitialized. */
  private initialized = false;
  /** Requests wait until the first settings are applied (the atlas is built). */
  private isReady = false;
  private resolveReady!: () => void;
  private readonly ready = new Promise<void>((resolve) => (this.resolveReady = resolve));
  private readonly openUris = new Set<string>();
  /** Requests and document notifications handled so far: a diagnostics run waits until the
   *  messages already received are handled (lsp/diagnosticsScheduler.ts whenQuiet). */
  private messagesHandled = 0;

  /** A request or document notification arrived: counted for the scheduler, and the idle work
   *  (services.activity) waits for the next quiet moment. */
  private handled(): void {
    this.messagesHandled++;
    this.services.activity?.touch();
  }
  private readonly settings: SettingsController;
  private readonly scheduler: DiagnosticsScheduler;
  private readonly liveWatcher?: LiveWatcher;
  private building?: Promise<BuildLiveAtlasResult>;

  constructor(private readonly connection: Connection, private readonly services: ServerServices<D>, options: ServerOptions) {
    this.settings = new SettingsController(services, {
      pull: async () => (this.canPullConfiguration ? { value: await connection.workspace.getConfiguration(SETTINGS_SECTION) } : undefined),
      // A notification, not window/showMessageRequest: nothing to answer, and every client shows it.
      warn: (logged, shown) => {
        this.logError(logged);
        void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message: `bpf-atlas: ${shown}` });
      },
      log: (m) => this.log(m),
      logError: (m) => this.logError(m),
      status: () => this.sendStatus(),
      applied: () => {
        this.isReady = true;
        this.resolveReady();
        this.liveWatcher?.start();
        for (const uri of this.openUris) this.scheduler.schedule(uri, 0);
        // The lenses say where programs attach on the targets: ask the client for fresh ones.
        if (this.canRefreshCodeLenses && this.openUris.size) {
          void connection.sendRequest(CodeLensRefreshRequest.type).catch((e) => this.logError(`codeLens refresh: ${errorText(e)}`));
        }
      },
    });
    this.scheduler = new DiagnosticsScheduler({
      versionOf: (uri) => services.documents.get(uri)?.version,
      run: (uri, isStale) => {
        const doc = services.documents.get(uri);
        let stoppedEarly = false;
        const ctx: FeatureContext = { ...this.context(undefined, isStale), onStoppedEarly: () => { stoppedEarly = true; } };
        if (options.diagnosticsBudgetMs !== undefined) ctx.budget = { maxMs: options.diagnosticsBudgetMs };
        return { diagnostics: doc ? services.features.diagnostics(doc, ctx) : [], stoppedEarly };
      },
      publish: (uri, version, diagnostics) => {
        // The user reads them and answers with an edit: idle work waits for the next quiet moment.
        this.services.activity?.touch();
        void connection.sendDiagnostics({ uri, version, diagnostics });
      },
      logError: (m) => this.logError(m),
      ready: () => this.isReady,
      messagesHandled: () => this.messagesHandled,
    }, { delayMs: options.diagnosticsDelayMs });
    // A module loaded or removed while the server runs changes what `live` holds.
    const changed = services.liveKernelChanged?.bind(services);
    if (changed) {
      this.liveWatcher = new LiveWatcher({
        changed,
        inUse: () => this.settings.settings.useLiveKernel && !!this.settings.state?.targets.includes('live'),
        reload: (why) => void this.settings.apply(why),
      }, options.liveWatchMs ?? (Number(process.env.BPF_ATLAS_LIVE_WATCH_MS) || 10_000));
    }
  }

  bind(): void {
    this.bindLifecycle();
    this.bindDocuments();
    this.bindDocumentRequests();
    this.bindCustomRequests();
  }

  private log(message: string): void {
    this.connection.console.log(message);
  }

  private logError(message: string): void {
    this.connection.console.error(message);
  }

  private requireInitialized(name: string): void {
    if (!this.initialized) throw new ResponseError(ErrorCodes.ServerNotInitialized, `${name}: the server is not initialized (send initialize first)`);
  }

  private context(token?: CancellationToken, isCancelled?: () => boolean): FeatureContext {
    const current = this.settings.state;
    if (!current) throw new Error('no atlas is loaded (see the messages above)');
    return {
      atlas: current.atlas,
      cache: current.cache,
      targets: current.targets,
      settings: this.settings.settings,
      knowledge: this.services.knowledge,
      isCancelled: isCancelled ?? (token ? () => token.isCancellationRequested : undefined),
    };
  }

  private sendStatus(): void {
    const state = this.settings.state;
    const targets = (state?.targets ?? []).map((id) => {
      try {
        const meta = state!.atlas.list().find((m) => m.id === id);
        return { id, release: meta?.release ?? id, source: meta?.source ?? ('bundled' as const) };
      } catch {
        return { id, release: id, source: 'bundled' as const };
      }
    });
    void this.connection.sendNotification(StatusNotification, { targets, busy: this.settings.busy, error: state?.error });
  }

  private bindLifecycle(): void {
    const { connection, settings } = this;
    connection.onInitialize((params: InitializeParams): InitializeResult => {
      this.initialized = true;
      const caps = params.capabilities ?? {};
      this.canPullConfiguration = !!caps.workspace?.configuration;
      this.canRegisterConfigurationChange = !!caps.workspace?.didChangeConfiguration?.dynamicRegistration;
      this.hierarchicalSymbols = !!caps.textDocument?.documentSymbol?.hierarchicalDocumentSymbolSupport;
      this.canRefreshCodeLenses = !!caps.workspace?.codeLens?.refreshSupport;
      const init = (params.initializationOptions ?? {}) as InitializationOptions;
      settings.trusted = init.workspaceTrusted !== false;
      settings.pushed = init.settings;
      // Start decompressing the target kernels now, while the client finishes its handshake and
      // opens documents; problems are reported when the settings are applied.
      settings.warmUp();
      return {
        serverInfo: { name: SERVER_NAME, version: SERVER_VERSION },
        capabilities: {
          textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
          completionProvider: { triggerCharacters: ['"', '/', ':', '.', '>', '*'], resolveProvider: true },
          hoverProvider: true,
          codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix], resolveProvider: false },
          documentSymbolProvider: { label: 'bpf-atlas' },
          codeLensProvider: { resolveProvider: true },
          definitionProvider: true,
          typeDefinitionProvider: true,
        },
      };
    });
    connection.onInitialized(() => {
      if (this.canPullConfiguration && this.canRegisterConfigurationChange) {
        void connection.client.register(DidChangeConfigurationNotification.type, { section: SETTINGS_SECTION });
      }
      void settings.apply('started');
    });
    connection.onDidChangeConfiguration((params) => {
      const pushed = (params.settings as Record<string, unknown> | null | undefined)?.[SETTINGS_SECTION];
      if (pushed !== undefined) settings.pushed = pushed;
      void settings.apply('settings changed');
    });
    connection.onNotification(WorkspaceTrustedNotification, () => {
      settings.trusted = true;
      void settings.apply('workspace trusted');
    });
  }

  private bindDocuments(): void {
    const { connection, services, scheduler, openUris } = this;
    connection.onDidOpenTextDocument((params) => {
      this.handled();
      if (this.refused('didOpen', params, 'didOpen')) return;
      const t = params.textDocument;
      try {
        services.documents.open(t.uri, t.languageId, t.version, t.text);
        openUris.add(t.uri);
        scheduler.schedule(t.uri, OPEN_DEBOUNCE_MS);
      } catch (e) {
        this.logError(`open ${t.uri} failed: ${errorText(e)}`);
      }
    });
    connection.onDidChangeTextDocument((params) => {
      this.handled();
      if (this.refused('didChange', params, 'didChange')) return;
      const { textDocument: t, contentChanges } = params;
      try {
        const current = services.documents.get(t.uri)?.version;
        // Versions only grow; a late or duplicated change must not be applied over newer text.
        if (current !== undefined && t.version !== null && t.version <= current) {
          this.logError(`ignored out-of-order change to ${t.uri} (version ${t.version} after ${current})`);
          return;
        }
        services.documents.change(t.uri, t.version, contentChanges);
        scheduler.schedule(t.uri);
      } catch (e) {
        this.logError(`change ${t.uri} failed: ${errorText(e)}`);
      }
    });
    connection.onDidCloseTextDocument((params) => {
      if (this.refused('didClose', params, 'document')) return;
      const t = params.textDocument;
      scheduler.forget(t.uri);
      openUris.delete(t.uri);
      try {
        services.documents.close(t.uri);
      } catch (e) {
        this.logError(`close ${t.uri} failed: ${errorText(e)}`);
      }
      void connection.sendDiagnostics({ uri: t.uri, diagnostics: [] });
    });
  }

  /** Runs a feature on the stored document. A feature failure yields `empty` (and a log line);
   *  a request cancelled before it ran gets RequestCancelled, one without a document
   *  InvalidParams. */
  private onDocument<P extends { textDocument: { uri: string } }, R>(
    name: string, empty: R, run: (doc: D, params: P, ctx: FeatureContext) => R | null | undefined, shape: ParamShape = 'document',
  ) {
    return async (params: P, token: CancellationToken): Promise<R> => {
      this.handled();
      this.requireInitialized(name);
      const problem = paramsProblem(params, shape);
      if (problem) throw new ResponseError(ErrorCodes.InvalidParams, `${name}: ${problem}`);
      const uri = params.textDocument.uri;
      await this.ready;
      if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, `${name} cancelled`);
      const doc = this.services.documents.get(uri);
      if (!doc) return empty;
      try {
        return run(doc, params, this.context(token)) ?? empty;
      } catch (e) {
        this.logError(`${name} failed for ${params.textDocument.uri}: ${errorText(e)}`);
        return empty;
      }
    };
  }

  /** Whether a notification's params are malformed (then logged, naming the field: a
   *  notification has no answer to carry the error). */
  private refused(name: string, params: unknown, shape: ParamShape): boolean {
    const problem = paramsProblem(params, shape);
    if (problem) this.logError(`${name} ignored: ${problem}`);
    return !!problem;
  }

  /** Guards a custom request the same way. */
  private guarded<P, R>(name: string, empty: () => R, run: (params: P, token: CancellationToken) => R | Promise<R>) {
    return async (params: P, token: CancellationToken): Promise<R> => {
      this.handled();
      this.requireInitialized(name);
      await this.ready;
      try {
        return await run(params, token);
      } catch (e) {
        this.logError(`${name} failed: ${errorText(e)}`);
        return empty();
      }
    };
  }

  /** The LSP requests on documents: one table, every entry guarded. */
  private bindDocumentRequests(): void {
    const { connection, services, scheduler } = this;
    connection.onRequest(CompletionRequest.type, this.onDocument<CompletionParams, CompletionItem[] | CompletionList>('completion', [],
      (doc, p, ctx) => {
        scheduler.completionAsked(p.textDocument.uri);
        return services.features.completion(doc, p.position, ctx);
      }, 'position'));
    connection.onRequest(HoverRequest.type, this.onDocument<HoverParams, Hover | null>('hover', null,
      (doc, p, ctx) => services.features.hover(doc, p.position, ctx), 'position'));
    connection.onRequest(CodeActionRequest.type, this.onDocument<CodeActionParams, CodeAction[]>('codeAction', [],
      (doc, p, ctx) => services.features.codeActions(doc, p.range, p.context.diagnostics, ctx), 'codeAction'));
    connection.onRequest(DocumentSymbolRequest.type, this.onDocument<DocumentSymbolParams, DocumentSymbol[] | SymbolInformation[]>('documentSymbol', [],
      (doc, p, ctx) => {
        const symbols = services.features.documentSymbols(doc, ctx);
        return this.hierarchicalSymbols ? symbols : flattenSymbols(p.textDocument.uri, symbols);
      }));
    connection.onRequest(CodeLensRequest.type, this.onDocument<CodeLensParams, CodeLens[]>('codeLens', [], (doc, _p, ctx) => services.features.codeLenses(doc, ctx)));
    // A lens carries its target, not its document: resolving it needs only the targets in use.
    connection.onCodeLensResolve(async (lens: CodeLens, token: CancellationToken) => {
      const resolve = this.guarded<CodeLens, CodeLens>('codeLens/resolve', () => lens, (l) => {
        if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'codeLens/resolve cancelled');
        return services.features.resolveCodeLens(l, this.context(token));
      });
      return resolve(lens, token);
    });
    // Like a lens, a target item carries its target: resolving it needs only the targets in use.
    connection.onCompletionResolve(async (item: CompletionItem, token: CancellationToken) => {
      const resolve = this.guarded<CompletionItem, CompletionItem>('completionItem/resolve', () => item, (i) => {
        if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'completionItem/resolve cancelled');
        return services.features.resolveCompletion(i, this.context(token));
      });
      return resolve(item, token);
    });
    const definition = (mode: 'definition' | 'typeDefinition') =>
      this.onDocument<DefinitionParams | TypeDefinitionParams, Location[] | null>(mode, null, (doc, p, ctx) => {
        const result = services.features.definition(doc, p.position, ctx, mode);
        return result ? services.headerLocations(result) : null;
      }, 'position');
    connection.onRequest(DefinitionRequest.type, definition('definition'));
    connection.onRequest(TypeDefinitionRequest.type, definition('typeDefinition'));
  }

  private bindCustomRequests(): void {
    const { connection, services, settings } = this;
    connection.onRequest(ListKernelsRequest, this.guarded('listKernels', () => ({ kernels: [], targets: [] }), () => {
      const ctx = this.context();
      return { kernels: ctx.atlas.list().map(summarizeKernel), targets: [...ctx.targets] };
    }));
    connection.onRequest(LookupRequest, this.guarded('lookup',
      (): LookupResult => ({ assessments: [], markdown: '', error: 'the lookup failed (see the bpf-atlas output)' }),
      (params, token) => {
        const query = typeof params?.query === 'string' ? params.query.trim() : '';
        if (!query) return { assessments: [], markdown: '', error: 'nothing to look up' };
        const kernels = Array.isArray(params.kernels) ? params.kernels.filter((k) => typeof k === 'string') : undefined;
        return services.lookup(query, kernels, this.context(token));
      }));
    connection.onRequest(AtlasInUseRequest, this.guarded('atlasInUse',
      () => ({ targets: [], unresolved: [], dataDir: services.dataDir, settingsProblems: settings.problems, workspaceTrusted: settings.trusted }),
      () => {
        const ctx = this.context();
        const metas = ctx.atlas.list();
        return {
          targets: ctx.targets.flatMap((id) => metas.filter((m) => m.id === id).map(summarizeKernel)),
          unresolved: settings.state?.unresolved ?? [],
          dataDir: services.dataDir,
          settingsProblems: settings.problems,
          workspaceTrusted: settings.trusted,
        };
      }));
    connection.onRequest(BuildLiveAtlasRequest, this.guarded('buildLiveAtlas',
      (): BuildLiveAtlasResult => ({ ok: false, ms: 0, error: 'indexing failed (see the bpf-atlas output)' }),
      () => this.buildLiveAtlas()));
  }

  /** One build at a time: a second request shares the first one's answer. */
  private buildLiveAtlas(): Promise<BuildLiveAtlasResult> {
    this.building ??= (async () => {
      this.settings.busy = 'indexing the live kernel';
      this.sendStatus();
      try {
        // LSP work-done progress: the client shows it natively (no custom notification).
        const progress = await this.connection.window.createWorkDoneProgress();
        progress.begin('bpf-atlas: indexing this machine’s kernel', 0, undefined, false);
        try {
          const result = await this.services.buildLiveAtlas((p) => progress.report(p.percent ?? 0, p.message));
          this.log(result.ok ? `live kernel indexed in ${result.ms} ms` : `live kernel indexing failed: ${result.error}`);
          return result;
        } finally {
          progress.done();
        }
      } finally {
        this.settings.busy = undefined;
        this.building = undefined;
        await this.settings.apply('live atlas rebuilt');
      }
    })();
    return this.building;
  }
}
