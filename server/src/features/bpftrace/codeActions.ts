// bpftrace quick fixes: rewrite a probe to a stable or existing one.

import type { CodeAction, Diagnostic, Range } from 'vscode-languageserver';
import type { FeatureContext } from '../context';
import type { BtDocumentLike } from './common';

export function codeActionsBpftrace(doc: BtDocumentLike, range: Range, diagnostics: Diagnostic[], ctx: FeatureContext): CodeAction[] {
  void doc; void range; void diagnostics; void ctx;
  return [];
}
