// The diagnostics feature: routes a document to its dialect (libbpf C, bpftrace or BCC). The
// dialects speak the same codes (shared/diagnosticCodes.ts) and build on the same
// cross-kernel attach report. Pure: server.ts publishes the result, the check verb prints it.

import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import type { AnalyzedDocument } from '../syntax/documents';
import { diagnosticsBcc } from './bcc/diagnostics';
import { diagnosticsBpftrace } from './bpftrace/diagnostics';
import type { BtDocumentLike } from './bpftrace/common';
import { diagnosticsC } from './c/diagnostics';
import { loadDiagnostics } from './c/loadDiagnostics';
import { memberDiagnostics } from './c/memberDiagnostics';
import type { FeatureContext } from './shared/context';
import { ANALYSIS_LIMIT_CODE } from './shared/workBudget';

/** At most this many diagnostics per document: past it, a client's Problems list is no help and
 *  sending them costs more than computing them. */
export const MAX_DIAGNOSTICS = 1000;

export function diagnostics(doc: AnalyzedDocument, ctx: FeatureContext): Diagnostic[] {
  let out: Diagnostic[];
  // C: the attach points (diagnostics.ts), what the programs need from the kernel, and the
  // struct members their CO-RE reads name (memberDiagnostics.ts).
  if (doc.c) out = [...diagnosticsC(doc, ctx), ...loadDiagnostics(doc, ctx), ...memberDiagnostics(doc, ctx)];
  else if (doc.bt !== undefined) out = diagnosticsBpftrace(doc as BtDocumentLike, ctx);
  else if (doc.bcc) out = diagnosticsBcc(doc, ctx);
  else return [];
  // The notes on how far the run got (a run stopped by the work budget) are not findings: they
  // are neither counted nor cut off by the cap. Cut off, a run that stopped past the 1,000th
  // finding would look complete, with a count of findings that depends on where it stopped.
  const notes = out.filter(isLimitNote);
  if (notes.length) out = out.filter((d) => !isLimitNote(d));
  if (out.length > MAX_DIAGNOSTICS) {
    const last = out[MAX_DIAGNOSTICS - 1].range.end;
    notes.push(note(last, `bpf-atlas shows the first ${MAX_DIAGNOSTICS} of ${out.length} findings in this document.`));
    out = out.slice(0, MAX_DIAGNOSTICS);
  }
  if (doc.analysedLength !== undefined) {
    const end = doc.lines.positionAt(doc.analysedLength);
    const mb = (n: number) => (n / 1e6).toFixed(1);
    notes.push(note(end, `bpf-atlas analyses the first ${mb(doc.analysedLength)} MB of this ${mb(doc.text.length)} MB document: attach points after line ${end.line + 1} are not checked.`));
  }
  return notes.length ? [...out, ...notes] : out;
}

function isLimitNote(d: Diagnostic): boolean {
  return d.code === ANALYSIS_LIMIT_CODE;
}

function note(at: { line: number; character: number }, message: string): Diagnostic {
  return { range: { start: at, end: at }, severity: DiagnosticSeverity.Information, source: 'bpf-atlas', code: ANALYSIS_LIMIT_CODE, message };
}
