// completionItem/resolve: an attach-target item (a kernel function, tracepoint, raw tracepoint,
// LSM hook or syscall offered in a SEC() string or a bpftrace probe) carries its target in `data`;
// when the editor shows the item, it is resolved to where the target attaches over the target
// kernels: the detail says it in one line, each kernel named once (the code lens's words:
// "attaches on all 5 targets", "attaches on 3/5 targets · fails on debian-11 (absent)"), and the
// documentation gains one line per kernel. The list itself stays cheap (the first items' verdicts
// only order it). Pure: server.ts wires the request.

import { type CompletionItem, MarkupKind } from 'vscode-languageserver';
import type { AttachTarget } from '../atlas/model';
import { attachVerdicts, type KernelVerdict } from '../analysis/verdicts';
import type { FeatureContext } from './shared/context';
import { availabilityTitle, hazardPhrase } from './shared/phrases';

/** What a target item carries to completionItem/resolve (echoed back by the client). */
export interface TargetItemData {
  bpfAtlas: 'target';
  target: AttachTarget;
  /** The hook's signature or arguments, kept at the head of the resolved detail. */
  signature?: string;
}

export function targetItemData(target: AttachTarget, signature?: string): TargetItemData {
  return signature ? { bpfAtlas: 'target', target, signature } : { bpfAtlas: 'target', target };
}

function isTargetData(x: unknown): x is TargetItemData {
  const d = x as TargetItemData | undefined;
  return !!d && d.bpfAtlas === 'target' && typeof d.target?.kind === 'string' && typeof d.target?.name === 'string';
}

/** One kernel's line: what happens there and why, in the hazards' own few words. */
function kernelLine(k: KernelVerdict): string {
  const phrases = (severity: 'error' | 'warning') => k.hazards.filter((h) => h.severity === severity).map((h) => hazardPhrase(h, k));
  const release = k.release ?? k.version;
  const name = `**${k.kernel}**${release ? ` (${release})` : ''}`;
  if (k.status === 'error') return `- ❌ ${name}: fails${phrases('error').length ? ` (${phrases('error').join(', ')})` : ''}`;
  if (!k.assessment.attachable) return `- ❔ ${name}: unknown${k.assessment.found ? '' : ' (not in the atlas)'}`;
  const warnings = phrases('warning');
  return warnings.length ? `- ⚠️ ${name}: attaches, ${warnings.join(', ')}` : `- ✅ ${name}: attaches`;
}

/** The item with its availability over the target kernels; items that are not ours come back
 *  unchanged. */
export function resolveCompletion(item: CompletionItem, ctx: FeatureContext): CompletionItem {
  if (!isTargetData(item.data)) return item;
  const verdicts = attachVerdicts(item.data.target, ctx);
  const title = availabilityTitle(verdicts);
  const prior = typeof item.documentation === 'string' ? item.documentation : item.documentation?.value;
  const perKernel = verdicts.kernels.map(kernelLine).join('\n');
  return {
    ...item,
    detail: item.data.signature ? `${item.data.signature} · ${title}` : title,
    documentation: { kind: MarkupKind.Markdown, value: [prior, perKernel].filter(Boolean).join('\n\n') },
  };
}
