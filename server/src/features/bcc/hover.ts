// BCC hover: on an attach point's target in the Python file (the event string, the tracepoint
// name, the C name after kprobe__, a probe macro's hook), the same content as a libbpf C section
// (features/c/hover.ts targetHover). Nothing for Python files that do not import bcc.

import type { Hover, Position } from 'vscode-languageserver';
import { rangeContains } from '../../syntax/cModel';
import type { BccModel } from '../../syntax/bcc/types';
import { targetHover } from '../c/hover';
import type { FeatureContext } from '../shared/context';
import { atlasTargets, isJudgedKind } from './diagnostics';

export function hoverBcc(doc: { bcc?: BccModel }, pos: Position, ctx: FeatureContext): Hover | null {
  for (const ap of doc.bcc?.attachPoints ?? []) {
    const range = ap.targetRange;
    if (!range || !rangeContains(range, pos) || !isJudgedKind(ap.kind)) continue;
    const [first] = atlasTargets(ap, ctx.targets, ctx);
    if (!first) continue;
    const summary = ap.intent === 'runtime-chosen' ? `attached by the tool after its own checks: ${ap.conditions.map((c) => c.text).slice(0, 3).join('; ')}` : undefined;
    return targetHover(first.target, range, { ...ctx, targets: first.kernels }, summary);
  }
  return null;
}
