// The code actions feature: routes a document to its dialect's quick fixes (libbpf C, bpftrace or
// BCC). Each rewrites a hook to one that works on every target kernel, from the same attach report.
// Pure: server.ts answers textDocument/codeAction with the result.

import type { CodeAction, Diagnostic, Range } from 'vscode-languageserver';
import type { AnalyzedDocument } from '../syntax/documents';
import { codeActionsBcc } from './bcc/codeActions';
import { codeActionsBpftrace } from './bpftrace/codeActions';
import type { BtDocumentLike } from './bpftrace/common';
import { codeActionsC } from './c/codeActions';
import type { FeatureContext } from './shared/context';

export function codeActions(doc: AnalyzedDocument, range: Range, diagnostics: Diagnostic[], ctx: FeatureContext): CodeAction[] {
  if (doc.c) return codeActionsC(doc, range, diagnostics, ctx);
  if (doc.bt !== undefined) return codeActionsBpftrace(doc as BtDocumentLike, range, diagnostics, ctx);
  if (doc.bcc) return codeActionsBcc(doc, range, diagnostics, ctx);
  return [];
}
