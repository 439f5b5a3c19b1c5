// textDocument/completion: dispatches on the document's language to the libbpf C completion
// (features/c/completion.ts), the bpftrace one (features/bpftrace/completion.ts) or the BCC one.
// Target items are resolved by completionResolve.ts.

import type { CompletionItem, CompletionList, Position } from 'vscode-languageserver';
import type { AnalyzedDocument } from '../syntax/documents';
import { completionBcc } from './bcc/completion';
import { completionBpftrace } from './bpftrace/completion';
import { completionC } from './c/completion';
import type { FeatureContext } from './shared/context';

export function completion(doc: AnalyzedDocument, pos: Position, ctx: FeatureContext): CompletionList {
  if (doc.bt) {
    // The bpftrace side may answer with a plain item array or a full list.
    const result: CompletionItem[] | CompletionList = completionBpftrace(doc, pos, ctx);
    return Array.isArray(result) ? { isIncomplete: false, items: result } : result;
  }
  if (doc.c) return completionC(doc, pos, ctx);
  if (doc.bcc) return completionBcc(doc, pos, ctx);
  return { isIncomplete: false, items: [] };
}
