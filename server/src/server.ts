// The only module that touches the LSP Connection. It declares the capabilities, keeps the document
// store in sync (incremental), binds each request to a pure feature through one table, publishes
// diagnostics (debounced per document, dropped when a newer version arrives), pulls and validates
// settings, and answers the custom bpfAtlas/* requests. Every handler is guarded: an exception is
// logged and the request gets an empty answer, so a feature bug never takes the server down.
// What the features and the atlas are comes in through ServerServices (built by services.ts), so
// this file knows the protocol and nothing about kernels or C.

import {
  type CancellationToken,
  type CodeAction,
  CodeActionKind,
  type CodeActionParams,
  type CompletionItem,
  type CompletionList,
  type CompletionParams,
  type Connection,
  type Diagnostic,
  DidChangeConfigurationNotification,
  ErrorCodes,
  type Hover,
  type HoverParams,
  type InitializeParams,
  type InitializeResult,
  LSPErrorCodes,
  type Position,
  MessageType,
  type Range,
  ResponseError,
  ShowMessageNotification,
  type TextDocumentContentChangeEvent,
  TextDocumentSyncKind,
} from 'vscode-languageserver';
import type { AnalysisCache } from './analysis/cache';
import type { AtlasQuery } from './atlas/model';
import type { FeatureContext } from './features/shared/context';
import { DEFAULT_WORK_BUDGET } from './features/shared/workBudget';
import type { Knowledge } from './knowledge/types';
import {
  AtlasInUseRequest,
  BuildLiveAtlasRequest,
  type BuildLiveAtlasResult,
  IndexProgressNotification,
  type IndexProgressParams,
  type InitializationOptions,
  ListKernelsRequest,
  LookupRequest,
  type LookupResult,
  StatusNotification,
  summarizeKernel,
  WorkspaceTrustedNotification,
} from './protocol';
import { DEFAULT_SETTINGS, type Settings, SETTINGS_SECTION, validateSettings } from './settings';

/** The document store as the server needs it (syntax/documents.ts provides it). */
export interface DocumentStore<D extends VersionedDocument> {
  open(uri: string, languageId: string, version: number, text: string): D;
  change(uri: string, version: number, changes: readonly TextDocumentContentChangeEvent[]): D | undefined;
  close(uri: string): void;
  get(uri: string): D | undefined;
}

/** The version is what drops stale diagnostics and out-of-order edits. */
export interface VersionedDocument {
  version: number;
}

/** The pure features, one per LSP method. */
export interface LanguageFeatures<D> {
  completion(doc: D, pos: Position, ctx: FeatureContext): CompletionItem[] | CompletionList | null | undefined;
  hover(doc: D, pos: Position, ctx: FeatureContext): Hover | null | undefined;
  diagnostics(doc: D, ctx: FeatureContext): Diagnostic[];
  codeActions(doc: D, range: Range, diagnostics: Diagnostic[], ctx: FeatureContext): CodeAction[];
}

/** The atlas and targets for the current settings. */
export interface AtlasState {
  atlas: AtlasQuery;
  /** The analysis cache that lives as long as this atlas. */
  cache: AnalysisCache;
  targets: readonly string[];
  /** Target specs from the settings that could not be resolved, with the reason. */
  unresolved: { spec: string; reason: string }[];
  /** Set when no atlas could be loaded at all. */
  error?: string;
}

export interface ServerServices<D extends VersionedDocument> {
  documents: DocumentStore<D>;
  features: LanguageFeatures<D>;
  knowledge: Knowledge;
  dataDir: string;
  /** Builds the atlas for the settings and reads what the targets need (the live kernel).
   *  Problems go into AtlasState. `trusted` false means no file named by the workspace may be
   *  read. `busy` reports a long step (or undefined when it is over) for the status bar. */
  configureAtlas(settings: Settings, trusted: boolean, busy: (what: string | undefined) => void): Promise<AtlasState>;
  /** Starts reading what these settings will need, without waiting and without reporting (the
   *  settings a client pushes at initialize, before it is asked for them): configureAtlas then
   *  finds the work under way or done. Optional. */
  warmUp?(settings: Settings, trusted: boolean): void;
  lookup(query: string, kernels: string[] | undefined, ctx: FeatureContext): LookupResult;
  /** Indexes the running kernel and makes it the `live` atlas of later configureAtlas calls. */
  buildLiveAtlas(report: (p: IndexProgressParams) => void): Promise<BuildLiveAtlasResult>;
  /** True when the running kernel's modules changed since the last call (the next
   *  configureAtlas then reads it afresh). Optional: servers without a live kernel omit it. */
  liveKernelChanged?(): boolean;
}

export interface ServerOptions {
  /** Longest quiet time after an edit before diagnostics run (the wait adapts to how long the
   *  document's last run took). */
  diagnosticsDelayMs?: number;
  /** How often to check whether the running kernel's modules changed (default 10 s, or
   *  BPF_ATLAS_LIVE_WATCH_MS). */
  liveWatchMs?: number;
  /** A diagnostics run at least this long may have stopped early and is followed by another. */
  diagnosticsBudgetMs?: number;
}

/** Follow-up diagnostics runs per document version after runs that spent their time budget. */
const MAX_FOLLOW_UPS = 3;

const SERVER_NAME = 'bpf-atlas';
const SERVER_VERSION = '0.1.0';

function errorText(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

/** Wires the connection to the services. The caller calls connection.listen(). */
export function startServer<D extends VersionedDocument>(connection: Connection, services: ServerServices<D>, options: ServerOptions = {}): void {
  const diagnosticsDelayMs = options.diagnosticsDelayMs ?? 200;
  const log = (message: string) => connection.console.log(message);
  const logError = (message: string) => connection.console.error(message);

  let canPullConfiguration = false;
  let canRegisterConfigurationChange = false;
  let trusted = true;
  /** Settings a client pushed (initializationOptions or didChangeConfiguration), for clients
   *  that cannot answer workspace/configuration. */
  let pushedSettings: unknown;
  let settings: Settings = DEFAULT_SETTINGS;
  let settingsProblems: string[] = [];
  const reportedProblems = new Set<string>();
  let state: AtlasState | undefined;
  let busy: string | undefined;

  // LSP: a request before `initialize` is answered at once with ServerNotInitialized.
  let initialized = false;
  const requireInitialized = (name: string) => {
    if (!initialized) throw new ResponseError(ErrorCodes.ServerNotInitialized, `${name}: the server is not initialized (send initialize first)`);
  };
  // Requests wait until the first settings pull has built the atlas.
  let resolveReady!: () => void;
  let isReady = false;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));
  const markReady = () => {
    isReady = true;
    resolveReady();
  };

  const context = (token?: CancellationToken): FeatureContext => {
    const current = state;
    if (!current) throw new Error('no atlas is loaded (see the messages above)');
    return {
      atlas: current.atlas,
      cache: current.cache,
      targets: current.targets,
      settings,
      knowledge: services.knowledge,
      isCancelled: token ? () => token.isCancellationRequested : undefined,
    };
  };

  const sendStatus = () => {
    const targets = (state?.targets ?? []).map((id) => {
      try {
        const meta = state!.atlas.list().find((m) => m.id === id);
        return { id, release: meta?.release ?? id, source: meta?.source ?? ('bundled' as const) };
      } catch {
        return { id, release: id, source: 'bundled' as const };
      }
    });
    void connection.sendNotification(StatusNotification, { targets, busy, error: state?.error });
  };

  // ---- diagnostics: debounced per document, stale versions dropped ----

  const pending = new Map<string, NodeJS.Timeout>();
  const openUris = new Set<string>();

  /** Follow-up runs already made for a document version (see below). */
  const followUps = new Map<string, { version: number; count: number }>();

  const publishDiagnostics = (uri: string) => {
    pending.delete(uri);
    const doc = services.documents.get(uri);
    if (!doc) return;
    const version = doc.version;
    const stale = () => services.documents.get(uri)?.version !== version;
    let diagnostics: Diagnostic[] = [];
    const started = Date.now();
    try {
      const ctx = context();
      diagnostics = services.features.diagnostics(doc, { ...ctx, isCancelled: stale });
    } catch (e) {
      logError(`diagnostics failed for ${uri}: ${errorText(e)}`);
    }
    lastCostMs.set(uri, Date.now() - started);
    if (stale()) return; // a newer version has its own run scheduled
    void connection.sendDiagnostics({ uri, version, diagnostics });
    // A run that used up its time budget (typically the first one, which loads kernels) may have
    // stopped early; the features memoise what they analysed, so run again for the same version
    // rather than wait for the next edit. Bounded, so a file that is always slow is not re-run forever.
    if (Date.now() - started >= (options.diagnosticsBudgetMs ?? DEFAULT_WORK_BUDGET.maxMs)) {
      const seen = followUps.get(uri);
      const count = seen?.version === version ? seen.count : 0;
      if (count < MAX_FOLLOW_UPS) {
        followUps.set(uri, { version, count: count + 1 });
        scheduleDiagnostics(uri, 0);
      }
    }
  };

  /** A run this cheap is simply repeated after every edit (edits queued in the same tick still
   *  coalesce); costlier documents wait about as long as their last run took. */
  const CHEAP_RUN_MS = 50;
  /** How long the last diagnostics run of each document took. */
  const lastCostMs = new Map<string, number>();

  /** Debounce that adapts to the document: wait about as long as its last run took (at most
   *  diagnosticsDelayMs). A typical program (a few ms) updates on the next tick after each
   *  keystroke, while edits already queued in the same tick are coalesced; a huge file whose run
   *  takes hundreds of ms leaves the server that long to answer other requests between runs. */
  const scheduleDiagnostics = (uri: string, delayMs?: number) => {
    const old = pending.get(uri);
    if (old) clearTimeout(old);
    const cost = lastCostMs.get(uri);
    const delay = delayMs ?? (cost === undefined ? diagnosticsDelayMs : cost <= CHEAP_RUN_MS ? 0 : Math.min(diagnosticsDelayMs, cost));
    pending.set(uri, setTimeout(() => {
      // Before the first settings are applied there is nothing to run on; applying them
      // schedules every open document again, after the requests that were waiting (a first
      // completion should not wait behind a first diagnostics run).
      if (isReady) publishDiagnostics(uri);
    }, delay));
  };

  // ---- settings ----

  // Settings changes are applied one at a time, in order, so a slow live-kernel read cannot let an
  // older configuration overwrite a newer one.
  let settingsQueue: Promise<void> = Promise.resolve();
  const applySettings = (why: string): Promise<void> => {
    settingsQueue = settingsQueue.then(() => applySettingsNow(why), (e) => logError(errorText(e)));
    return settingsQueue;
  };

  const applySettingsNow = async (why: string) => {
    let raw: unknown = pushedSettings;
    if (canPullConfiguration) {
      try {
        raw = await connection.workspace.getConfiguration(SETTINGS_SECTION);
      } catch (e) {
        logError(`could not read the ${SETTINGS_SECTION} settings: ${errorText(e)}`);
      }
    }
    const validated = validateSettings(raw);
    settings = validated.settings;
    settingsProblems = validated.problems;
    for (const problem of validated.problems) {
      if (reportedProblems.has(problem)) continue;
      reportedProblems.add(problem);
      logError(`settings: ${problem}`);
      // A notification, not window/showMessageRequest: nothing to answer, and every client shows it.
      void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message: `bpf-atlas: ${problem}` });
    }
    try {
      state = await services.configureAtlas(settings, trusted, (what) => {
        busy = what;
        sendStatus();
      });
    } catch (e) {
      logError(`atlas configuration failed: ${errorText(e)}`);
    }
    busy = undefined;
    for (const u of state?.unresolved ?? []) {
      const text = u.spec === 'live' ? `running kernel: ${u.reason}` : `target kernel ${JSON.stringify(u.spec)}: ${u.reason}`;
      logError(text);
      // A kernel id or atlas file the user named and that cannot be used is shown, once per
      // problem; what the running kernel does not let a non-root reader see is only logged
      // (expected, and the status bar says what `live` covers).
      if (u.spec === 'live' || reportedProblems.has(text)) continue;
      reportedProblems.add(text);
      void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message: `bpf-atlas: ${text}` });
    }
    if (state?.error) logError(`atlas: ${state.error}`);
    log(`${why}: target kernels ${state?.targets.join(', ') || '(none)'}`);
    sendStatus();
    markReady();
    watchLiveKernel();
    for (const uri of openUris) scheduleDiagnostics(uri, 0);
  };

  // A module loaded or removed while the server runs changes what `live` holds: check now and
  // then (one directory listing) and re-read the running kernel when it changed.
  let liveWatch: NodeJS.Timeout | undefined;
  const watchLiveKernel = () => {
    if (liveWatch || !services.liveKernelChanged) return;
    services.liveKernelChanged();
    liveWatch = setInterval(() => {
      if (!settings.useLiveKernel || !state?.targets.includes('live')) return;
      if (services.liveKernelChanged?.()) void applySettings('the running kernel changed (a module was loaded or removed)');
    }, options.liveWatchMs ?? (Number(process.env.BPF_ATLAS_LIVE_WATCH_MS) || 10_000));
    liveWatch.unref();
  };

  // ---- lifecycle ----

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    initialized = true;
    const caps = params.capabilities ?? {};
    canPullConfiguration = !!caps.workspace?.configuration;
    canRegisterConfigurationChange = !!caps.workspace?.didChangeConfiguration?.dynamicRegistration;
    const init = (params.initializationOptions ?? {}) as InitializationOptions;
    trusted = init.workspaceTrusted !== false;
    pushedSettings = init.settings;
    // Start decompressing the target kernels now, while the client finishes its handshake and
    // opens documents; problems are reported when the settings are applied.
    if (pushedSettings !== undefined) services.warmUp?.(validateSettings(pushedSettings).settings, trusted);
    return {
      serverInfo: { name: SERVER_NAME, version: SERVER_VERSION },
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        completionProvider: { triggerCharacters: ['"', '/', ':', '.', '>', '*'], resolveProvider: false },
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix], resolveProvider: false },
      },
    };
  });

  connection.onInitialized(() => {
    if (canPullConfiguration && canRegisterConfigurationChange) {
      void connection.client.register(DidChangeConfigurationNotification.type, { section: SETTINGS_SECTION });
    }
    void applySettings('started');
  });

  connection.onDidChangeConfiguration((params) => {
    const pushed = (params.settings as Record<string, unknown> | null | undefined)?.[SETTINGS_SECTION];
    if (pushed !== undefined) pushedSettings = pushed;
    void applySettings('settings changed');
  });

  connection.onNotification(WorkspaceTrustedNotification, () => {
    trusted = true;
    void applySettings('workspace trusted');
  });

  // ---- documents ----

  connection.onDidOpenTextDocument(({ textDocument: t }) => {
    try {
      services.documents.open(t.uri, t.languageId, t.version, t.text);
      openUris.add(t.uri);
      scheduleDiagnostics(t.uri, 0);
    } catch (e) {
      logError(`open ${t.uri} failed: ${errorText(e)}`);
    }
  });

  connection.onDidChangeTextDocument(({ textDocument: t, contentChanges }) => {
    try {
      const current = services.documents.get(t.uri)?.version;
      // Versions only grow; a late or duplicated change must not be applied over newer text.
      if (current !== undefined && t.version !== null && t.version <= current) {
        logError(`ignored out-of-order change to ${t.uri} (version ${t.version} after ${current})`);
        return;
      }
      services.documents.change(t.uri, t.version, contentChanges);
      scheduleDiagnostics(t.uri);
    } catch (e) {
      logError(`change ${t.uri} failed: ${errorText(e)}`);
    }
  });

  connection.onDidCloseTextDocument(({ textDocument: t }) => {
    const timer = pending.get(t.uri);
    if (timer) clearTimeout(timer);
    pending.delete(t.uri);
    openUris.delete(t.uri);
    lastCostMs.delete(t.uri);
    followUps.delete(t.uri);
    try {
      services.documents.close(t.uri);
    } catch (e) {
      logError(`close ${t.uri} failed: ${errorText(e)}`);
    }
    void connection.sendDiagnostics({ uri: t.uri, diagnostics: [] });
  });

  // ---- requests on documents: one table, every entry guarded ----

  /** Runs a feature on the stored document. A feature failure yields `empty` (and a log line);
   *  a request cancelled before it ran gets RequestCancelled, one without a document
   *  InvalidParams. */
  const onDocument = <P extends { textDocument: { uri: string } }, R>(
    name: string,
    empty: R,
    run: (doc: D, params: P, ctx: FeatureContext) => R | null | undefined,
  ) => async (params: P, token: CancellationToken): Promise<R> => {
    requireInitialized(name);
    const uri = (params as { textDocument?: { uri?: unknown } } | null)?.textDocument?.uri;
    if (typeof uri !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, `${name}: params.textDocument.uri is missing`);
    await ready;
    if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, `${name} cancelled`);
    const doc = services.documents.get(uri);
    if (!doc) return empty;
    try {
      return run(doc, params, context(token)) ?? empty;
    } catch (e) {
      logError(`${name} failed for ${params.textDocument.uri}: ${errorText(e)}`);
      return empty;
    }
  };

  const documentRequests = {
    completion: onDocument<CompletionParams, CompletionItem[] | CompletionList>('completion', [],
      (doc, p, ctx) => services.features.completion(doc, p.position, ctx)),
    hover: onDocument<HoverParams, Hover | null>('hover', null,
      (doc, p, ctx) => services.features.hover(doc, p.position, ctx)),
    codeAction: onDocument<CodeActionParams, CodeAction[]>('codeAction', [],
      (doc, p, ctx) => services.features.codeActions(doc, p.range, p.context.diagnostics, ctx)),
  };
  connection.onCompletion(documentRequests.completion);
  connection.onHover(documentRequests.hover);
  connection.onCodeAction(documentRequests.codeAction);

  // ---- custom requests ----

  /** Guards a custom request the same way. */
  const guarded = <P, R>(name: string, empty: () => R, run: (params: P, token: CancellationToken) => R | Promise<R>) =>
    async (params: P, token: CancellationToken): Promise<R> => {
      requireInitialized(name);
      await ready;
      try {
        return await run(params, token);
      } catch (e) {
        logError(`${name} failed: ${errorText(e)}`);
        return empty();
      }
    };

  connection.onRequest(ListKernelsRequest, guarded('listKernels', () => ({ kernels: [], targets: [] }), () => {
    const ctx = context();
    return { kernels: ctx.atlas.list().map(summarizeKernel), targets: [...ctx.targets] };
  }));

  connection.onRequest(LookupRequest, guarded('lookup',
    (): LookupResult => ({ assessments: [], markdown: '', error: 'the lookup failed (see the bpf-atlas output)' }),
    (params, token) => {
      const query = typeof params?.query === 'string' ? params.query.trim() : '';
      if (!query) return { assessments: [], markdown: '', error: 'nothing to look up' };
      const kernels = Array.isArray(params.kernels) ? params.kernels.filter((k) => typeof k === 'string') : undefined;
      return services.lookup(query, kernels, context(token));
    }));

  connection.onRequest(AtlasInUseRequest, guarded('atlasInUse',
    () => ({ targets: [], unresolved: [], dataDir: services.dataDir, settingsProblems, workspaceTrusted: trusted }),
    () => {
      const ctx = context();
      const metas = ctx.atlas.list();
      return {
        targets: ctx.targets.flatMap((id) => metas.filter((m) => m.id === id).map(summarizeKernel)),
        unresolved: state?.unresolved ?? [],
        dataDir: services.dataDir,
        settingsProblems,
        workspaceTrusted: trusted,
      };
    }));

  let building: Promise<BuildLiveAtlasResult> | undefined;
  connection.onRequest(BuildLiveAtlasRequest, guarded('buildLiveAtlas',
    (): BuildLiveAtlasResult => ({ ok: false, ms: 0, error: 'indexing failed (see the bpf-atlas output)' }),
    () => {
      // One build at a time: a second request shares the first one's answer.
      building ??= (async () => {
        busy = 'indexing the live kernel';
        sendStatus();
        try {
          const result = await services.buildLiveAtlas((p) => void connection.sendNotification(IndexProgressNotification, p));
          log(result.ok ? `live kernel indexed in ${result.ms} ms` : `live kernel indexing failed: ${result.error}`);
          return result;
        } finally {
          busy = undefined;
          building = undefined;
          await applySettings('live atlas rebuilt');
        }
      })();
      return building;
    }));
}
