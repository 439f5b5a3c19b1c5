// bpftrace completion: probe types, probe targets from the atlas, args fields, builtins.

import type { CompletionItem, Position } from 'vscode-languageserver';
import type { FeatureContext } from '../context';
import type { BtDocumentLike } from './common';

export function completionBpftrace(doc: BtDocumentLike, pos: Position, ctx: FeatureContext): CompletionItem[] {
  void doc; void pos; void ctx;
  return [];
}
