// textDocument/documentSymbol: the outline of a document, dispatched to its dialect (libbpf C
// programs, maps and licence; bpftrace probe blocks). Pure: server.ts sends the result (flattened
// for clients without hierarchical symbols).

import type { DocumentSymbol } from 'vscode-languageserver';
import type { AnalyzedDocument } from '../syntax/documents';
import { documentSymbolsBpftrace } from './bpftrace/documentSymbol';
import { documentSymbolsC } from './c/documentSymbol';
import type { FeatureContext } from './shared/context';

export function documentSymbols(doc: AnalyzedDocument, ctx: Pick<FeatureContext, 'knowledge'>): DocumentSymbol[] {
  if (doc.bt) return documentSymbolsBpftrace(doc.bt);
  if (doc.c) return documentSymbolsC(doc, ctx.knowledge);
  return [];
}
