// What server.ts is given to serve: the document store, the pure features, the knowledge and the
// atlas jobs (services.ts builds them), and its options. Types only.

import type { ActivityClock } from './activity';
import type {
  CodeAction, CodeLens, CompletionItem, CompletionList, Diagnostic, DocumentSymbol, Hover, Location, Position, Range,
  TextDocumentContentChangeEvent,
} from 'vscode-languageserver';
import type { AnalysisCache } from '../analysis/cache';
import type { AtlasQuery } from '../atlas/model';
import type { DefinitionResult } from '../features/definition';
import type { FeatureContext } from '../features/shared/context';
import type { Knowledge } from '../knowledge/types';
import type { BuildLiveAtlasResult, IndexProgressParams, LookupResult } from '../protocol';
import type { Settings } from '../settings';

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
  documentSymbols(doc: D, ctx: FeatureContext): DocumentSymbol[];
  /** Unresolved lenses (range and data); resolveCodeLens gives each its title and command. */
  codeLenses(doc: D, ctx: FeatureContext): CodeLens[];
  resolveCodeLens(lens: CodeLens, ctx: FeatureContext): CodeLens;
  /** completionItem/resolve: a target item with its detail and documentation (the hook's
   *  prototype or record, its availability per kernel). */
  resolveCompletion(item: CompletionItem, ctx: FeatureContext): CompletionItem;
  definition(doc: D, pos: Position, ctx: FeatureContext, mode: 'definition' | 'typeDefinition'): DefinitionResult | undefined;
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
  /** Writes a definition's generated headers (read-only files in the user's cache) and returns
   *  where to land in each. */
  headerLocations(result: DefinitionResult): Location[];
  /** Told of every message the server receives, so that idle work waits for a quiet moment. */
  activity?: ActivityClock;
}

export interface ServerOptions {
  /** Longest quiet time after an edit before diagnostics run (the wait adapts to how long the
   *  document's last run took). */
  diagnosticsDelayMs?: number;
  /** How often to check whether the running kernel's modules changed (default 10 s, or
   *  BPF_ATLAS_LIVE_WATCH_MS). */
  liveWatchMs?: number;
  /** Milliseconds one diagnostics run may spend (features/shared/workBudget.ts maxMs); a run that
   *  stops there is followed by another over the same version. */
  diagnosticsBudgetMs?: number;
}
