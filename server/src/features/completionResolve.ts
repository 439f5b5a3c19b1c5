// completionItem/resolve: an attach-target item (a kernel function, tracepoint, raw tracepoint,
// LSM hook or syscall offered in a SEC() string, a BCC attach call or a bpftrace probe) carries its
// target in `data`; when the editor shows the item, it is resolved to where the target attaches
// over the target kernels: the detail says it in one line, each kernel named once (the code lens's
// words: "attaches on all 5 targets", "attaches on 3/5 targets · fails on debian-11 (absent)"),
// headed by the hook's prototype or arguments for C items, and the documentation gains the hook's
// record or BPF_PROG form (C items) and one line per kernel. The list itself stays cheap: no
// prototype, record or per-kernel text is computed for an item the editor does not show. Pure:
// server.ts wires the request.

import { type CompletionItem, MarkupKind } from 'vscode-languageserver';
import type { AttachTarget, KernelQuery } from '../atlas/model';
import { targetKernels } from '../analysis/kernels';
import { attachVerdicts, type KernelVerdict } from '../analysis/verdicts';
import type { FeatureContext } from './shared/context';
import { availabilityTitle, hazardPhrase } from './shared/phrases';
import { renderArgs, renderFields } from './shared/render';

/** What a target item carries to completionItem/resolve (echoed back by the client). */
export interface TargetItemData {
  bpfAtlas: 'target';
  target: AttachTarget;
  /** A C item (libbpf section, BCC): the resolved item also shows the hook's prototype or
   *  arguments (detail) and its record or BPF_PROG form (documentation). */
  hook?: true;
}

export function targetItemData(target: AttachTarget, opts: { hook?: boolean } = {}): TargetItemData {
  return opts.hook ? { bpfAtlas: 'target', target, hook: true } : { bpfAtlas: 'target', target };
}

function isTargetData(x: unknown): x is TargetItemData {
  const d = x as TargetItemData | undefined;
  return !!d && d.bpfAtlas === 'target' && typeof d.target?.kind === 'string' && typeof d.target?.name === 'string';
}

/** The hook as C sees it on the target kernels: its signature (head of the detail) and its
 *  record fields or BPF_PROG form (documentation). */
function hookDetails(target: AttachTarget, kernels: readonly KernelQuery[]): { signature?: string; doc?: string } {
  const name = target.name;
  switch (target.kind) {
    case 'tracepoint': {
      const tp = kernels.map((k) => k.tracepoint(name, target.system)).find((t) => t?.fields);
      return { doc: tp?.fields ? `\`struct trace_event_raw_${tp.template ?? name}\`\n\n${renderFields(tp.fields)}` : undefined };
    }
    case 'raw_tp': case 'tp_btf': {
      // TP_PROTO arguments per kernel, grouped: they do change (sched_switch gained prev_state).
      const variants = new Map<string, string[]>();
      for (const k of kernels) {
        const args = k.tracepoint(name)?.args;
        if (!args) continue;
        const text = renderArgs(args);
        variants.set(text, [...(variants.get(text) ?? []), k.meta.id]);
      }
      const texts = [...variants.keys()];
      const signature = texts.length ? `(${texts[0]})${texts.length > 1 ? ` · differs on ${texts.slice(1).flatMap((t) => variants.get(t)!).join(', ')}` : ''}` : undefined;
      const doc = texts.map((t) => `\`\`\`c\nBPF_PROG(${name}${t === 'void' ? '' : ', ' + t})\n\`\`\`\n${texts.length > 1 ? `on ${variants.get(t)!.join(', ')}` : ''}`).join('\n');
      return { signature, doc: doc || undefined };
    }
    case 'ksyscall': case 'kretsyscall': {
      const sc = kernels.map((k) => k.syscall(name)).find(Boolean);
      return { signature: sc ? `(${renderArgs(sc.args)})` : undefined };
    }
    case 'lsm': {
      const hook = kernels.map((k) => k.lsmHook(name)).find((h) => h?.proto);
      return { signature: hook?.proto ? `(${renderArgs(hook.proto.params)})` : undefined };
    }
    default: {
      const fn = kernels.map((k) => k.fn(name)).find((f) => f?.proto);
      const proto = fn?.proto ? `${fn.proto.ret} ${name}(${renderArgs(fn.proto.params)})` : undefined;
      return { signature: proto, doc: proto ? '```c\n' + proto + '\n```' : undefined };
    }
  }
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
  const { target, hook } = item.data;
  const verdicts = attachVerdicts(target, ctx);
  const title = availabilityTitle(verdicts);
  const { signature, doc } = hook ? hookDetails(target, targetKernels(ctx).kernels) : {};
  const perKernel = verdicts.kernels.map(kernelLine).join('\n');
  return {
    ...item,
    detail: signature ? `${signature} · ${title}` : title,
    documentation: { kind: MarkupKind.Markdown, value: [doc, perKernel].filter(Boolean).join('\n\n') },
  };
}
