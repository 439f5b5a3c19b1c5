// BCC hover: on an attach point's target in the Python file (the event string, the tracepoint
// name, the C name after kprobe__, a probe macro's hook), the same content as a libbpf C section
// (features/c/hover.ts targetHover); on an `args->field` read in a TRACEPOINT_PROBE body (or of a
// `struct tracepoint__*` handler argument), the field's type on each target kernel from the event's
// record format. Nothing for Python files that do not import bcc.

import type { Hover, Position } from 'vscode-languageserver';
import { rangeContains } from '../../syntax/cModel';
import type { BccModel } from '../../syntax/bcc/types';
import { recordFieldHover, targetHover } from '../c/hover';
import type { FeatureContext } from '../shared/context';
import { atlasTargets, isJudgedKind, recordBase } from './diagnostics';

export function hoverBcc(doc: { bcc?: BccModel }, pos: Position, ctx: FeatureContext): Hover | null {
  for (const ap of doc.bcc?.attachPoints ?? []) {
    const range = ap.targetRange;
    if (!range || !rangeContains(range, pos) || !isJudgedKind(ap.kind)) continue;
    const [first] = atlasTargets(ap, ctx.targets, ctx);
    if (!first) continue;
    const summary = ap.intent === 'runtime-chosen' ? `attached by the tool after its own checks: ${ap.conditions.map((c) => c.text).slice(0, 3).join('; ')}` : undefined;
    return targetHover(first.target, range, { ...ctx, targets: first.kernels }, summary);
  }
  return fieldHover(doc, pos, ctx);
}

/** `args->filename` in a tracepoint handler: the field on each target kernel. */
function fieldHover(doc: { bcc?: BccModel }, pos: Position, ctx: FeatureContext): Hover | null {
  for (const ap of doc.bcc?.attachPoints ?? []) {
    const fn = ap.handlerFunction;
    const t = ap.target;
    if (ap.kind !== 'tracepoint' || !fn || !t?.name || !t.system || t.regex) continue;
    const base = recordBase(fn);
    const access = base && fn.argAccesses.find((a) => a.base === base && rangeContains(a.fieldRange, pos));
    if (!access) continue;
    const { name, system } = t;
    return recordFieldHover(access, ctx, (k) => {
      const tp = k.tracepoint(name, system);
      return tp?.fields ? { fields: tp.fields, struct: `struct tracepoint__${system}__${name}` } : undefined;
    });
  }
  return null;
}
