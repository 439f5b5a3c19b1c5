// textDocument/hover: dispatches on the document's language to the libbpf C hover
// (features/c/hover.ts), the bpftrace one (features/bpftrace/hover.ts) or the BCC one.

import type { Hover, Position } from 'vscode-languageserver';
import type { AnalyzedDocument } from '../syntax/documents';
import { hoverBcc } from './bcc/hover';
import { hoverBpftrace } from './bpftrace/hover';
import { hoverC } from './c/hover';
import type { FeatureContext } from './shared/context';

export function hover(doc: AnalyzedDocument, pos: Position, ctx: FeatureContext): Hover | null {
  if (doc.bt) return hoverBpftrace(doc, pos, ctx);
  if (doc.c) return hoverC(doc, pos, ctx);
  if (doc.bcc) return hoverBcc(doc, pos, ctx);
  return null;
}
