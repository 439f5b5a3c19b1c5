// The diagnostics feature: routes a document to its dialect (libbpf C or bpftrace). Both dialects
// speak the same codes (features/attachReport.ts diagnosticCodes) and build on the same
// cross-kernel attach report. Pure: server.ts publishes the result, the check verb prints it.

import type { Diagnostic } from 'vscode-languageserver';
import type { AnalyzedDocument } from '../syntax/documents';
import { diagnosticsBpftrace } from './bpftrace/diagnostics';
import type { BtDocumentLike } from './bpftrace/common';
import { diagnosticsC } from './c/diagnostics';
import type { FeatureContext } from './context';

export function diagnostics(doc: AnalyzedDocument, ctx: FeatureContext): Diagnostic[] {
  if (doc.c) return diagnosticsC(doc, ctx);
  if (doc.bt !== undefined) return diagnosticsBpftrace(doc as BtDocumentLike, ctx);
  return [];
}
