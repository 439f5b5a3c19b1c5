// Shared plumbing of the bpftrace features: what they need from a document (its parsed model and
// its URI), and how a bpftrace probe maps onto the atlas's attach targets. The document type is
// structural so that the store's AnalyzedDocument (syntax/documents.ts, where `bt` is `unknown`
// because the parser is injected) satisfies it as it is.

import { parseBpftrace, type BtModel, type BtProbe } from '../../syntax/bpftrace';
import type { AttachKind, AttachTarget, KernelQuery } from '../../atlas/model';
import type { FeatureContext } from '../context';

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

const KIND_TO_ATTACH: Partial<Record<BtProbe['kind'], AttachKind>> = {
  kprobe: 'kprobe', kretprobe: 'kretprobe', fentry: 'fentry', fexit: 'fexit',
  tracepoint: 'tracepoint', rawtracepoint: 'raw_tp',
};

/** `{a,b}` groups expanded (bpftrace brace expansion); at most 64 results. */
export function expandBraces(name: string): string[] {
  const m = /\{([^{}]*)\}/.exec(name);
  if (!m) return [name];
  const out: string[] = [];
  for (const alt of m[1].split(',')) {
    for (const rest of expandBraces(name.slice(0, m.index) + alt + name.slice(m.index + m[0].length))) {
      if (out.length < 64) out.push(rest);
    }
  }
  return out;
}

/** The atlas targets a probe names (several when braces expand); empty for probes the atlas does
 *  not index (uprobe, usdt, profile, BEGIN ...) or while the name is still being typed. */
export function attachTargetsOf(probe: BtProbe): AttachTarget[] {
  const kind = KIND_TO_ATTACH[probe.kind];
  if (!kind) return [];
  if (kind === 'tracepoint') {
    if (!probe.system || !probe.event) return [];
    const out: AttachTarget[] = [];
    for (const system of expandBraces(probe.system)) {
      for (const event of expandBraces(probe.event)) {
        out.push({ kind, system, name: event, pattern: /[*?]/.test(system + event) || undefined });
      }
    }
    return out;
  }
  const name = kind === 'raw_tp' ? probe.event : probe.function;
  if (!name) return [];
  return expandBraces(name).map((n) => ({ kind, name: n, pattern: /[*?]/.test(n) || undefined }));
}

/** A target's kernel, or undefined when it cannot load (features then say nothing about it). */
export function kernelOf(ctx: FeatureContext, id: string): KernelQuery | undefined {
  try {
    return ctx.atlas.get(id);
  } catch {
    return undefined;
  }
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

const INTEGER_WORDS = new Set(['signed', 'unsigned', 'short', 'long', 'int', 'char']);

/** One spelling per C integer type, so that DWARF/pahole names (`long int`, `short unsigned int`)
 *  and BTF names (`long`, `unsigned short`) of the same type compare equal. Other types are only
 *  whitespace-normalised. */
export function normaliseCType(type: string): string {
  const t = type.replace(/\s+/g, ' ').trim();
  const m = /^((?:const |volatile )*)([a-z ]+?)((?: ?[*[(%].*)?)$/.exec(t);
  if (!m) return t;
  const words = m[2].trim().split(' ');
  if (!words.every((w) => INTEGER_WORDS.has(w))) return t;
  const longs = words.filter((w) => w === 'long').length;
  const unsigned = words.includes('unsigned');
  let base: string;
  if (words.includes('char')) base = `${unsigned ? 'unsigned ' : words.includes('signed') ? 'signed ' : ''}char`;
  else {
    const size = words.includes('short') ? 'short' : longs === 2 ? 'long long' : longs === 1 ? 'long' : 'int';
    base = `${unsigned ? 'unsigned ' : ''}${size}`;
  }
  return `${m[1]}${base}${m[3]}`;
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
    const key = p ? normaliseCType(p.type.replace(/\b(?:const|volatile)\b\s*/g, '').trim()) : `(none: ${fn} takes ${proto.params.length} parameter${proto.params.length === 1 ? '' : 's'})`;
    out.set(key, [...(out.get(key) ?? []), id]);
  }
  return out;
}
