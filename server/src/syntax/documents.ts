// The document store: the one owner of document texts and their tree-sitter trees. It applies LSP
// content changes (incremental ranges or full text), re-parses incrementally from the edited old
// tree, deletes every tree it replaces or closes, and keeps the analysed model of each version
// (the libbpf C model, the bpftrace model of syntax/bpftrace.ts, or the BCC model of a Python tool
// that imports bcc, syntax/bcc/) ready for features. Python files that do not import bcc get no
// model: features say nothing about them. A C file that a bcc tool loads with
// `BPF(src_file="x.c")` (an open Python document, or one the `bccLoaders` option finds next to
// it) gets the BCC model of that file, not the libbpf one.

import { TextDocument, type TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { buildBccCModel, buildBccModel, usesBcc, type BccLoader } from './bcc/bccModel';
import { loadingProgram, type LoaderSource } from './bcc/srcFile';
import type { BccModel } from './bcc/types';
import { parseBpftrace, type BtModel } from './bpftrace';
import { buildCModel, builtinSectionResolver, LineMap, type CModel, type SectionResolver } from './cModel';
import { buildIntents, fileFacts, type IntentModel } from './intent';
import type { Companions } from './companions';
import { emptyLoaderFacts, readCLoader, readPatternLoader, type LoaderFacts } from './loader';
import { buildCoreModel, type CoreModel } from './coreAccess';
import { buildCModelByParts, buildCoreModelByParts, PartCache } from './parts';
import { commonEnds } from './textEnds';

export { commonEnds };
import type { CParserFactory, Parser, PythonParserFactory, Tree } from './parser';

/** One document version as features see it. Read-only for them. */
export interface AnalyzedDocument {
  uri: string;
  languageId: string;
  version: number;
  text: string;
  /** Present for C documents. */
  c?: CModel;
  /** C documents: when each program attaches, from the file and its loader (syntax/intent.ts),
   *  parallel to `c.programs`. */
  intents?: IntentModel;
  /** C documents: the CO-RE member reads (syntax/coreAccess.ts), built when first asked for. */
  core?: CoreModel;
  /** Present for bpftrace documents. */
  bt?: BtModel;
  /** Present for Python documents that import bcc. */
  bcc?: BccModel;
  /** Set when only a prefix of the text was analysed (see MAX_ANALYSED_CHARS): its length. */
  analysedLength?: number;
  /** The tree-sitter tree of a C document; owned by the store: never delete or edit it. */
  tree?: Tree;
  lines: LineMap;
}

/** The bpftrace parser; syntax/bpftrace.ts `parseBpftrace` unless a test injects another. */
export type BpftraceParser = (text: string) => BtModel;

export interface DocumentStoreOptions {
  parser: CParserFactory;
  /** libbpf section prefixes: pass `knowledge.sectionPrefix` (the built-in table otherwise). */
  resolveSection?: SectionResolver;
  parseBpftrace?: BpftraceParser;
  /** The Python grammar, for BCC tools; without it Python documents get no model. */
  pythonParser?: PythonParserFactory;
  /** Python files that may load a C file with `BPF(src_file=...)` (syntax/bcc/srcFile.ts
   *  `loaderCandidates` reads them next to it); open Python documents are looked at first. */
  bccLoaders?: (cUri: string) => LoaderSource[];
  /** The loader and local headers beside a C document (syntax/companions.ts `readCompanions`
   *  reads them from disk); without it, programs are judged from their file alone. */
  companions?: (uri: string, text: string) => Companions;
}

/** Language ids treated as libbpf C. Files named *.c / *.h are C whatever the id says. */
const C_LANGUAGE_IDS = new Set(['c', 'bpf-c', 'bpfc', 'libbpf-c', 'objective-c']);

/** Python documents (BCC tools are Python); whether one is a BCC tool is up to its imports. */
export function isPythonDocument(uri: string, languageId: string): boolean {
  return languageId === 'python' || (languageId !== 'bpftrace' && /\.py$/i.test(uri));
}

export function isCDocument(uri: string, languageId: string): boolean {
  if (languageId === 'bpftrace') return false;
  return C_LANGUAGE_IDS.has(languageId) || /\.(c|h)$/i.test(uri);
}

const SEC_CALL = /\bSEC\s*\(\s*"(?:[^"\\\n]|\\.)*"\s*\)/g;

/** The text tree-sitter parses: every complete `SEC("...")` replaced by as many spaces (lines and
 *  offsets unchanged). tree-sitter-c reads `SEC("x") int f(...)` as an expression statement
 *  missing its `;`, and subtrees holding errors are never reused, so each edit re-ran error
 *  recovery at every program of the file; blanked, the file parses cleanly and incrementally.
 *  The tree serves the handler bodies (ctx reads); sections come from the token scan. */
export function maskSections(text: string): string {
  return text.replace(SEC_CALL, (m) => m.replace(/[^\n]/g, ' '));
}

/** maskSections(text), from the masked text of an earlier version: only the edited lines are
 *  masked again, between cuts that no SEC() can span (a line start after `;` or `}`: a SEC()
 *  crosses a line break only where it holds white space, after `SEC`, `(` or its string). */
export function maskEdited(oldText: string, oldMasked: string, text: string): string {
  const { prefix, suffix } = commonEnds(oldText, text);
  const grow = text.length - oldText.length;
  const cut = (t: string, x: number) => {
    if (x <= 0 || x >= t.length) return true;
    if (t.charCodeAt(x - 1) !== 10) return false;
    let k = x - 1;
    while (k >= 0 && /\s/.test(t[k])) k--;
    return k < 0 || t[k] === ';' || t[k] === '}';
  };
  // (lastIndexOf reads a negative start as 0.)
  const lineStartAtOrBefore = (x: number) => (x <= 0 ? 0 : text.lastIndexOf('\n', x - 1) + 1);
  let a = lineStartAtOrBefore(prefix);
  while (!cut(text, a)) a = lineStartAtOrBefore(a - 1);
  let b = text.length - suffix;
  if (b > 0 && text.charCodeAt(b - 1) !== 10) b = text.indexOf('\n', b) + 1 || text.length;
  while (!(cut(text, b) && cut(oldText, b - grow))) b = text.indexOf('\n', b) + 1 || text.length;
  return oldMasked.slice(0, a) + maskSections(text.slice(a, b)) + oldMasked.slice(b - grow);
}

/** Largest C document parsed with tree-sitter (characters). */
export const MAX_TREE_CHARS = 2_000_000;

/** The part of a document that is analysed. Real BPF programs and bpftrace scripts are far
 *  smaller, and a 0.6 MB file of 1,000 real programs is analysed whole (issue 14); past this,
 *  rebuilding the models would take seconds per keystroke, so the model covers the text up to
 *  the last line break before the limit and the features say so. The document's text itself is
 *  always kept whole: edits anywhere are applied and nothing is lost. */
export const MAX_ANALYSED_CHARS = 1024 * 1024;

/** The analysed prefix of a text: all of it, or up to a line break within the limit. */
export function analysedPrefix(text: string): string {
  if (text.length <= MAX_ANALYSED_CHARS) return text;
  // Prefer a blank line (between functions or probe blocks), so no block is cut in half.
  const blank = text.lastIndexOf('\n\n', MAX_ANALYSED_CHARS - 2);
  if (blank > MAX_ANALYSED_CHARS / 2) return text.slice(0, blank + 2);
  const cut = text.lastIndexOf('\n', MAX_ANALYSED_CHARS - 1);
  return text.slice(0, cut > 0 ? cut + 1 : MAX_ANALYSED_CHARS);
}

export class DocumentStore {
  private readonly docs = new Map<string, AnalyzedDocument>();
  /** Each open document's text as TextDocument keeps it: its line offsets are updated by each
   *  change, where a TextDocument made per change counted the lines of the whole text again
   *  (~2.5 ms and a 240 KB array per keystroke in a 30,000-line file). */
  private readonly texts = new Map<string, TextDocument>();
  /** The text each C document's tree was parsed from, masked (and as it was), with its line starts. */
  private readonly parsedTexts = new Map<string, { text: string; masked: string; lines: LineMap }>();
  /** Detaches a replaced version's lazy C model from its (deleted) tree. */
  private readonly retire = new WeakMap<AnalyzedDocument, () => void>();
  private readonly parser: Parser;
  private readonly resolveSection: SectionResolver;
  private parseBpftrace: BpftraceParser;
  private readonly pythonParser: Parser | undefined;
  private readonly findLoaders: ((cUri: string) => LoaderSource[]) | undefined;
  /** The parts of each C document's last models, reused by the next version (syntax/parts.ts). */
  private readonly partCaches = new Map<string, PartCache>();
  /** The Python tool found loading each BCC C document when it was opened. */
  private readonly loaders = new Map<string, BccLoader>();
  private readonly companions: DocumentStoreOptions['companions'];

  constructor(options: DocumentStoreOptions) {
    this.companions = options.companions;
    this.parser = options.parser.create();
    this.pythonParser = options.pythonParser?.create();
    this.findLoaders = options.bccLoaders;
    this.resolveSection = options.resolveSection ?? builtinSectionResolver;
    this.parseBpftrace = options.parseBpftrace ?? parseBpftrace;
  }

  get(uri: string): AnalyzedDocument | undefined {
    return this.docs.get(uri);
  }

  all(): AnalyzedDocument[] {
    return [...this.docs.values()];
  }

  open(uri: string, languageId: string, version: number, text: string): AnalyzedDocument {
    this.close(uri);
    if (isCDocument(uri, languageId)) {
      const loader = this.findLoader(uri, text);
      if (loader) this.loaders.set(uri, loader);
    }
    const doc = this.analyse(uri, languageId, version, text, undefined);
    this.docs.set(uri, doc);
    const kept = TextDocument.create(uri, languageId, version, text);
    void kept.lineCount; // its line offsets now, with the open, rather than in the first keystroke
    this.texts.set(uri, kept);
    return doc;
  }

  /** Applies content changes in order, by vscode-languageserver-textdocument's TextDocument.update
   *  (LSP semantics: each range refers to the text after the previous change; a position past the
   *  end of a line is that line's end, before its `\n` or `\r\n`). Unknown uri: undefined. */
  change(uri: string, version: number, changes: readonly TextDocumentContentChangeEvent[]): AnalyzedDocument | undefined {
    const old = this.docs.get(uri);
    if (!old) return undefined;
    let kept = this.texts.get(uri);
    if (kept?.getText() !== old.text) kept = TextDocument.create(uri, old.languageId, old.version, old.text);
    const text = TextDocument.update(kept, [...changes], version).getText();
    this.texts.set(uri, kept);
    const doc = this.analyse(uri, old.languageId, version, text, old.tree);
    this.retire.get(old)?.();
    old.tree?.delete();
    this.docs.set(uri, doc);
    return doc;
  }

  /** Parses the C text with SEC() annotations blanked out (see maskSections), reusing the old
   *  tree where it has one: the edit given to tree-sitter is the span where the blanked texts
   *  differ, so a change that completes or breaks a SEC() is described exactly. */
  private parseC(uri: string, text: string, oldTree: Tree | undefined, lines: LineMap): Tree | undefined {
    // `lines`: of `text`, and so of the masked text too (masking keeps every line break).
    const parsed = this.parsedTexts.get(uri);
    const masked = parsed ? maskEdited(parsed.text, parsed.masked, text) : maskSections(text);
    let reuse: Tree | undefined;
    if (oldTree && parsed !== undefined) {
      const before = parsed.masked;
      const { prefix, suffix } = commonEnds(before, masked);
      const oldLines = parsed.lines;
      const newLines = lines;
      const point = (lines: LineMap, offset: number) => {
        const p = lines.positionAt(offset);
        return { row: p.line, column: p.character };
      };
      oldTree.edit({
        startIndex: prefix,
        oldEndIndex: before.length - suffix,
        newEndIndex: masked.length - suffix,
        startPosition: point(oldLines, prefix),
        oldEndPosition: point(oldLines, before.length - suffix),
        newEndPosition: point(newLines, masked.length - suffix),
      });
      reuse = oldTree;
    }
    const tree = this.parser.parse(masked, reuse) ?? undefined;
    if (tree) this.parsedTexts.set(uri, { text, masked, lines });
    else this.parsedTexts.delete(uri);
    return tree;
  }

  close(uri: string): void {
    this.parsedTexts.delete(uri);
    this.texts.delete(uri);
    this.partCaches.delete(uri);
    this.loaders.delete(uri);
    const doc = this.docs.get(uri);
    if (!doc) return;
    this.retire.get(doc)?.();
    doc.tree?.delete();
    this.docs.delete(uri);
  }

  /** Frees every tree and the parser. */
  dispose(): void {
    for (const uri of [...this.docs.keys()]) this.close(uri);
    this.parser.delete();
    this.pythonParser?.delete();
  }

  /** The BCC model of a Python tool: parsed afresh per version (tools are tens of KB: a few ms),
   *  the tree deleted at once; the C text it builds is parsed with the C parser, without reuse. */
  private analyseBcc(text: string): BccModel | undefined {
    if (!this.pythonParser || !usesBcc(text)) return undefined;
    const tree = this.pythonParser.parse(text);
    if (!tree) return undefined;
    try {
      return buildBccModel(text, tree, { parseC: (c) => this.parser.parse(c) ?? undefined });
    } finally {
      tree.delete();
    }
  }

  /** The Python tool that loads the C document `uri` with `BPF(src_file=...)`: an open Python
   *  document first, else a file the bccLoaders option finds. A C file with libbpf sections is
   *  never a bcc program. */
  private findLoader(uri: string, text: string): BccLoader | undefined {
    if (!this.pythonParser || /\bSEC\s*\(\s*"/.test(text)) return undefined;
    for (const doc of this.docs.values()) {
      const program = doc.bcc ? loadingProgram(doc.bcc, doc.uri, uri) : undefined;
      if (doc.bcc && program !== undefined) return { uri: doc.uri, model: doc.bcc, program };
    }
    for (const candidate of this.findLoaders?.(uri) ?? []) {
      if (this.docs.has(candidate.uri)) continue;
      const model = this.analyseBcc(analysedPrefix(candidate.text));
      const program = model ? loadingProgram(model, candidate.uri, uri) : undefined;
      if (model && program !== undefined) return { uri: candidate.uri, model, program };
    }
    return undefined;
  }

  /** The loader of a BCC C document as of now: the open Python document's current model when it
   *  is open, else the one found when the C document was opened. */
  private currentLoader(uri: string): BccLoader | undefined {
    const found = this.loaders.get(uri);
    if (!found) return undefined;
    const open = this.docs.get(found.uri)?.bcc;
    if (!open || open === found.model) return found;
    const program = loadingProgram(open, found.uri, uri);
    return program === undefined ? found : { uri: found.uri, model: open, program };
  }

  /** The C model is built when a feature first asks for it (a completion, the debounced
   *  diagnostics run), once per version, not on every keystroke; the tree is parsed at once,
   *  incrementally from the edited old tree. A version replaced before anyone asked builds its
   *  model without the tree, which is deleted by then. */
  private withLazyCModel(doc: AnalyzedDocument, analysed: string, tree: Tree | undefined): AnalyzedDocument {
    let model: CModel | undefined;
    let intents: IntentModel | undefined;
    let companions: { loader?: LoaderFacts; headers: string[] } | undefined;
    let core: CoreModel | undefined;
    let liveTree = tree;
    const resolve = this.resolveSection;
    const found = () => (companions ??= this.readCompanions(doc.uri, analysed));
    let lines: LineMap | undefined;
    const linesOf = () => (lines ??= analysed === doc.text ? doc.lines : new LineMap(analysed));
    // With its tree (the newest version), a model reuses the parts of the previous version's.
    const parts = () => {
      let cache = this.partCaches.get(doc.uri);
      if (!cache) this.partCaches.set(doc.uri, cache = new PartCache());
      return cache;
    };
    const buildC = () => liveTree ? buildCModelByParts(analysed, liveTree, resolve, found().headers, linesOf(), parts()) : buildCModel(analysed, undefined, resolve, found().headers, linesOf());
    const buildCore = () => liveTree ? buildCoreModelByParts(analysed, liveTree, linesOf(), parts()) : buildCoreModel(analysed, undefined, linesOf());
    Object.defineProperty(doc, 'c', { enumerable: true, get: () => (model ??= buildC()) });
    Object.defineProperty(doc, 'intents', { enumerable: true, get: () => (intents ??= buildIntents(doc.c!.programs, fileFacts(analysed), found().loader)) });
    Object.defineProperty(doc, 'core', { enumerable: true, get: () => (core ??= buildCore()) });
    this.retire.set(doc, () => { liveTree = undefined; });
    return doc;
  }

  /** The loader's facts and the local headers of a C document, when a reader was given. */
  private readCompanions(uri: string, text: string): { loader?: LoaderFacts; headers: string[] } {
    if (!this.companions) return { headers: [] };
    let found: Companions;
    try {
      found = this.companions(uri, text);
    } catch {
      return { headers: [] };
    }
    let loader: LoaderFacts | undefined;
    for (const src of found.loaders) {
      loader ??= emptyLoaderFacts();
      if (src.language !== 'c') {
        readPatternLoader(src, loader);
        continue;
      }
      const tree = this.parser.parse(src.text);
      if (!tree) continue;
      try {
        readCLoader(src.name, src.text, tree, loader);
      } finally {
        tree.delete();
      }
    }
    return { loader, headers: found.headers };
  }

  private analyse(uri: string, languageId: string, version: number, text: string, oldTree: Tree | undefined): AnalyzedDocument {
    const lines = new LineMap(text);
    const analysed = analysedPrefix(text);
    const limited = analysed.length < text.length ? { analysedLength: analysed.length } : {};
    if (isCDocument(uri, languageId)) {
      const loader = this.currentLoader(uri);
      if (loader) {
        // A bcc program: its model is built at once (the tree serves its `args->` reads).
        const tree = analysed.length <= MAX_TREE_CHARS ? this.parseC(uri, analysed, oldTree, analysed === text ? lines : new LineMap(analysed)) : undefined;
        return { uri, languageId, version, text, lines, tree, bcc: buildBccCModel(analysed, tree, loader), ...limited };
      }
      // Past MAX_TREE_CHARS the tree-sitter parse alone takes seconds; the model then comes from
      // the token scan only (programs, sections, handlers), without the ctx reads the tree gives.
      if (analysed.length > MAX_TREE_CHARS) this.parsedTexts.delete(uri);
      const tree = analysed.length <= MAX_TREE_CHARS ? this.parseC(uri, analysed, oldTree, analysed === text ? lines : new LineMap(analysed)) : undefined;
      return this.withLazyCModel({ uri, languageId, version, text, lines, tree, ...limited }, analysed, tree);
    }
    if (isPythonDocument(uri, languageId)) {
      return { uri, languageId, version, text, lines, bcc: this.analyseBcc(analysed), ...limited };
    }
    if (languageId === 'bpftrace') {
      return { uri, languageId, version, text, lines, bt: this.parseBpftrace(analysed), ...limited };
    }
    return { uri, languageId, version, text, lines };
  }
}
