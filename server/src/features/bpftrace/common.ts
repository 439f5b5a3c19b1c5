// What the bpftrace features need from a document: its parsed model and, for edits, its URI.
// Structural, so the shared AnalyzedDocument (syntax/documents.ts) satisfies it as it is.

import type { BtModel } from '../../syntax/bpftrace';

export interface BtDocumentLike {
  uri?: string;
  bt?: BtModel;
}
