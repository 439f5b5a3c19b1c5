// Builds the collaborators the language server wires to the protocol: the document store (tree-
// sitter C + the bpftrace parser), the pure features (lookup among them), the knowledge files and
// the atlas for the current settings (lsp/atlasConfigurator.ts). Built once per server process by
// main.ts or `bpf-atlas lsp`; nothing here touches the Connection.

import path from 'node:path';
import { dataDir as defaultDataDir } from './dataDir';
import { codeActions } from './features/codeActions';
import { codeLenses, resolveCodeLens } from './features/codeLens';
import { resolveCompletion } from './features/completionResolve';
import { completion } from './features/completion';
import { definition } from './features/definition';
import { documentSymbols } from './features/documentSymbol';
import { diagnostics } from './features/diagnostics';
import { hover } from './features/hover';
import { lookup } from './features/lookup';
import { loadKnowledge } from './knowledge/load';
import { ActivityClock } from './lsp/activity';
import { AtlasConfigurator } from './lsp/atlasConfigurator';
import { headerLocations } from './lsp/headerFiles';
import type { ServerServices } from './lsp/types';
import type { Knowledge } from './knowledge/types';
import { builtinSectionResolver, type SectionResolver } from './syntax/cModel';
import { type AnalyzedDocument, DocumentStore } from './syntax/documents';
import { readCompanions } from './syntax/companions';
import { loadCParser, loadPythonParser } from './syntax/parser';
import { loaderCandidates } from './syntax/bcc/srcFile';

export interface ServicesOptions {
  /** The bundled data folder; default dataDir(). */
  dataDir?: string;
  /** Root under which /sys and /proc are read (tests); default `/`. */
  sysRoot?: string;
  /** Where "build an atlas of this machine's kernel" writes its file; default the user cache. */
  cacheDir?: string;
}

export async function createServices(options: ServicesOptions = {}): Promise<ServerServices<AnalyzedDocument>> {
  const dir = options.dataDir ?? defaultDataDir();
  const knowledge: Knowledge = loadKnowledge(path.join(dir, 'knowledge'));
  // Section prefixes come from the knowledge file; when it cannot be read, the document model uses
  // the built-in table (features that read knowledge themselves fail in their guarded handlers and
  // the error is logged there).
  const resolveSection: SectionResolver = (section) => {
    try {
      return knowledge.sectionPrefix(section) ?? builtinSectionResolver(section);
    } catch {
      return builtinSectionResolver(section);
    }
  };
  // Python documents: only tools that import bcc get a model (and so diagnostics or hovers); a C
  // file one of them loads with BPF(src_file=...) is read as bcc C.
  const documents = new DocumentStore({
    parser: await loadCParser(), pythonParser: await loadPythonParser(), resolveSection, companions: readCompanions, bccLoaders: loaderCandidates,
  });

  const activity = new ActivityClock();
  const atlases = new AtlasConfigurator({ dataDir: dir, sysRoot: options.sysRoot, cacheDir: options.cacheDir, knowledge, activity });

  return {
    documents,
    features: { completion, hover, diagnostics, codeActions, documentSymbols, codeLenses, resolveCodeLens, resolveCompletion, definition },
    knowledge,
    dataDir: dir,
    configureAtlas: (settings, trusted, busy) => atlases.configure(settings, trusted, busy),
    warmUp: (settings, trusted) => atlases.warmUp(settings, trusted),
    lookup,
    buildLiveAtlas: (report) => atlases.buildLiveAtlas(report),
    liveKernelChanged: () => atlases.liveKernelChanged(),
    headerLocations: (result) => headerLocations(result, options.cacheDir),
    activity,
  };
}
