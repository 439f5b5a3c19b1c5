// textDocument/hover: dispatches on the document's language to the libbpf C hover
// (features/c/hover.ts) or the bpftrace one (features/bpftrace/hover.ts).

import type { Hover, Position } from 'vscode-languageserver';
import type { AnalyzedDocument } from '../syntax/documents';
import { hoverBpftrace } from './bpftrace/hover';
import { hoverC } from './c/hover';
import type { FeatureContext } from './shared/context';

export function hover(doc: AnalyzedDocument, pos: Position, ctx: FeatureContext): Hover | null {
  if (doc.bt) return hoverBpftrace(doc, pos, ctx);
  if (doc.c) return hoverC(doc, pos, ctx);
  return null;
}
