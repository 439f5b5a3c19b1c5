// Shared plumbing of the bpftrace features: what they need from a document (its parsed model and
// its URI), and how a bpftrace probe maps onto the atlas's attach targets. The document type is
// structural so that the store's AnalyzedDocument (syntax/documents.ts, where `bt` is `unknown`
// because the parser is injected) satisfies it as it is.

import { parseBpftrace, type BtModel, type BtProbe } from '../../syntax/bpftrace';
import type { AttachTarget, KernelQuery } from '../../atlas/model';
import { normalizeCType } from '../../model/cTypes';
import type { FeatureContext } from '../shared/context';
import { kernelOf } from '../../analysis/kernels';

export { kernelOf };

export interface BtDocumentLike {
  uri?: string;
  text?: string;
  bt?: unknown;
}

function isBtModel(value: unknown): value is BtModel {
  return !!value && typeof value === 'object' && Array.isArray((value as BtModel).probes) && Array.isArray((value as BtModel).lineStarts);
}

/** The document's bpftrace model: the store's when present, else parsed from its text. */
export function btModelOf(doc: BtDocumentLike): BtModel {
  if (isBtModel(doc.bt)) return doc.bt;
  return parseBpftrace(typeof doc.text === 'string' ? doc.text : '');
}

/** bpftrace probe types that have a return value, and those whose `args` the atlas describes. */
export function hasRetval(kind: BtProbe['kind']): boolean {
  return kind === 'kretprobe' || kind === 'fexit' || kind === 'uretprobe';
}

/** The `args` of a probe on one kernel: record fields (tracepoint), parameters (fentry/fexit),
 *  TP_PROTO arguments (rawtracepoint). Undefined when unknown there. */
export function argsOn(kernel: KernelQuery, probe: BtProbe): { name: string; type: string }[] | undefined {
  switch (probe.kind) {
    case 'tracepoint': {
      if (!probe.event || !probe.system) return undefined;
      const tp = kernel.tracepoint(probe.event, probe.system);
      // An empty field list means the source did not record fields (DepSurf's syscall events).
      return tp && tp.event && tp.fields?.length ? tp.fields.map((f) => ({ name: f.name, type: normaliseCType(f.type) })) : undefined;
    }
    case 'fentry': case 'fexit': {
      if (!probe.function) return undefined;
      const fn = kernel.fn(probe.function);
      return fn?.proto?.params.map((p) => ({ name: p.name, type: normaliseCType(p.type) }));
    }
    case 'rawtracepoint': {
      if (!probe.event) return undefined;
      return kernel.tracepoint(probe.event)?.args?.map((p) => ({ name: p.name, type: normaliseCType(p.type) }));
    }
    default:
      return undefined;
  }
}

/** A type as bpftrace features show and group it: the display spelling with one spelling per
 *  integer type (`long unsigned int` → `unsigned long`), model/cTypes.ts. */
function normaliseCType(type: string): string {
  return normalizeCType(type, { integers: 'canonical' });
}

/** The probe written out for a target, in bpftrace syntax. */
export function probeText(target: AttachTarget, module?: string): string | undefined {
  const mod = module ? `${module}:` : '';
  switch (target.kind) {
    case 'kprobe': return `kprobe:${mod}${target.name}`;
    case 'kretprobe': return `kretprobe:${mod}${target.name}`;
    case 'fentry': return `fentry:${mod}${target.name}`;
    case 'fexit': return `fexit:${mod}${target.name}`;
    case 'tracepoint': return target.system ? `tracepoint:${target.system}:${target.name}` : undefined;
    case 'raw_tp': case 'tp_btf': return `rawtracepoint:${target.name}`;
    case 'ksyscall': return `tracepoint:syscalls:sys_enter_${target.name}`;
    case 'kretsyscall': return `tracepoint:syscalls:sys_exit_${target.name}`;
    default: return undefined;
  }
}

/** The type of a function's parameter at `index` on each target, grouped by type. Names and
 *  qualifiers are not compared: `argN` reads a register by position, so a renamed or
 *  const-qualified parameter reads the same thing. */
export function paramPerKernel(fn: string, index: number, ctx: FeatureContext): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const id of ctx.targets) {
    const proto = kernelOf(ctx, id)?.fn(fn)?.proto;
    if (!proto) continue;
    const p = proto.params[index];
    const key = p ? normalizeCType(p.type, { integers: 'canonical', qualifiers: 'drop' }) : `(none: ${fn} takes ${proto.params.length} parameter${proto.params.length === 1 ? '' : 's'})`;
    out.set(key, [...(out.get(key) ?? []), id]);
  }
  return out;
}
