// bpftrace hover: probes on each target kernel, args field types, builtins.

import type { Hover, Position } from 'vscode-languageserver';
import type { FeatureContext } from '../context';
import type { BtDocumentLike } from './common';

export function hoverBpftrace(doc: BtDocumentLike, pos: Position, ctx: FeatureContext): Hover | null {
  void doc; void pos; void ctx;
  return null;
}
