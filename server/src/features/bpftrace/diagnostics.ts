// bpftrace diagnostics: the C hazard taxonomy applied to bpftrace probes.

import type { Diagnostic } from 'vscode-languageserver';
import type { FeatureContext } from '../context';
import type { BtDocumentLike } from './common';

export function diagnosticsBpftrace(doc: BtDocumentLike, ctx: FeatureContext): Diagnostic[] {
  void doc; void ctx;
  return [];
}
