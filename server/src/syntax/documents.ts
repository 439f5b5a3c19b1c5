// The document store: the one owner of document texts and their tree-sitter trees. It applies LSP
// content changes (incremental ranges or full text), re-parses incrementally from the edited old
// tree, deletes every tree it replaces or closes, and keeps the analysed model of each version
// (the libbpf C model, or the bpftrace model of syntax/bpftrace.ts) ready for features.

import type { TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { parseBpftrace, type BtModel } from './bpftrace';
import { buildCModel, builtinSectionResolver, LineMap, type CModel, type SectionResolver } from './cModel';
import type { CParserFactory, Parser, Tree } from './parser';

/** One document version as features see it. Read-only for them. */
export interface AnalyzedDocument {
  uri: string;
  languageId: string;
  version: number;
  text: string;
  /** Present for C documents. */
  c?: CModel;
  /** Present for bpftrace documents. */
  bt?: BtModel;
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
}

/** Language ids treated as libbpf C. Files named *.c / *.h are C whatever the id says. */
const C_LANGUAGE_IDS = new Set(['c', 'bpf-c', 'bpfc', 'libbpf-c', 'objective-c']);

export function isCDocument(uri: string, languageId: string): boolean {
  if (languageId === 'bpftrace') return false;
  return C_LANGUAGE_IDS.has(languageId) || /\.(c|h)$/i.test(uri);
}

export class DocumentStore {
  private readonly docs = new Map<string, AnalyzedDocument>();
  private readonly parser: Parser;
  private readonly resolveSection: SectionResolver;
  private parseBpftrace: BpftraceParser;

  constructor(options: DocumentStoreOptions) {
    this.parser = options.parser.create();
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
    const doc = this.analyse(uri, languageId, version, text, undefined);
    this.docs.set(uri, doc);
    return doc;
  }

  /** Applies content changes in order (LSP semantics: each range refers to the text after the
   *  previous change). Unknown uri: undefined. */
  change(uri: string, version: number, changes: readonly TextDocumentContentChangeEvent[]): AnalyzedDocument | undefined {
    const old = this.docs.get(uri);
    if (!old) return undefined;
    let text = old.text;
    let tree = old.tree;
    let incremental = !!tree;
    for (const change of changes) {
      if (!('range' in change) || !change.range) {
        text = change.text;
        incremental = false;
        continue;
      }
      const lines = new LineMap(text);
      const startIndex = lines.offsetAt(change.range.start);
      const oldEndIndex = Math.max(startIndex, lines.offsetAt(change.range.end));
      const newText = text.slice(0, startIndex) + change.text + text.slice(oldEndIndex);
      if (incremental && tree) {
        const startPosition = lines.positionAt(startIndex);
        const oldEndPosition = lines.positionAt(oldEndIndex);
        const newEndPosition = new LineMap(newText).positionAt(startIndex + change.text.length);
        tree.edit({
          startIndex,
          oldEndIndex,
          newEndIndex: startIndex + change.text.length,
          startPosition: { row: startPosition.line, column: startPosition.character },
          oldEndPosition: { row: oldEndPosition.line, column: oldEndPosition.character },
          newEndPosition: { row: newEndPosition.line, column: newEndPosition.character },
        });
      }
      text = newText;
    }
    const doc = this.analyse(uri, old.languageId, version, text, incremental ? tree : undefined);
    old.tree?.delete();
    this.docs.set(uri, doc);
    return doc;
  }

  close(uri: string): void {
    const doc = this.docs.get(uri);
    if (!doc) return;
    doc.tree?.delete();
    this.docs.delete(uri);
  }

  /** Frees every tree and the parser. */
  dispose(): void {
    for (const uri of [...this.docs.keys()]) this.close(uri);
    this.parser.delete();
  }

  private analyse(uri: string, languageId: string, version: number, text: string, oldTree: Tree | undefined): AnalyzedDocument {
    const lines = new LineMap(text);
    if (isCDocument(uri, languageId)) {
      const tree = this.parser.parse(text, oldTree) ?? undefined;
      return { uri, languageId, version, text, lines, tree, c: buildCModel(text, tree, this.resolveSection) };
    }
    if (languageId === 'bpftrace') {
      return { uri, languageId, version, text, lines, bt: this.parseBpftrace(text) };
    }
    return { uri, languageId, version, text, lines };
  }
}
