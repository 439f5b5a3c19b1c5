// The closest real names for a misspelt target, on every target kernel, memoised in the one
// cache. Asked for only where a message or a quick fix shows them (report.ts suggestedNames): a
// name present on some target is not misspelt, and most targets are. The names searched are
// those of the target's kind on the target kernel that has the fewest (a name must exist on
// every target, so that list holds every answer), through its spelling index (spelling.ts):
// the first search of a list scans it, the second builds the index, kept with the loaded kernel,
// so a file with many misspelt targets never scans ~275,000 names per target.

import { tracepointHeads, type AttachTarget, type KernelMeta, type KernelQuery } from '../atlas/model';
import type { AnalysisContext } from './context';
import { SpellingIndex } from './spelling';

type NameKind = 'events' | 'tracepoints' | 'syscalls' | 'lsm' | 'functions';

function nameKind(target: AttachTarget): NameKind {
  switch (target.kind) {
    case 'tracepoint': return 'events';
    case 'raw_tp': case 'tp_btf': return 'tracepoints';
    case 'ksyscall': case 'kretsyscall': return 'syscalls';
    case 'lsm': return 'lsm';
    default: return 'functions';
  }
}

/** Names of one kind on one kernel, and whether a name exists there. */
function namesOfKind(kernel: KernelQuery, kind: NameKind): { names: () => Iterable<string>; has: (n: string) => boolean } {
  switch (kind) {
    case 'events':
      return { names: () => tracepointHeads(kernel).filter((t) => t.event).map((t) => t.name), has: (n) => !!kernel.tracepoint(n)?.event };
    case 'tracepoints':
      return { names: () => tracepointHeads(kernel).map((t) => t.name), has: (n) => !!kernel.tracepoint(n) };
    case 'syscalls':
      return { names: () => kernel.syscalls().map((s) => s.name), has: (n) => !!kernel.syscall(n) };
    case 'lsm':
      return { names: () => kernel.lsmHooks().map((h) => h.name), has: (n) => !!kernel.lsmHook(n) };
    default:
      return { names: () => kernel.functionNames(), has: (n) => !!kernel.fn(n) || kernel.hasSymbol(n) };
  }
}

/** How many names of a kind a kernel's metadata says it has (the running kernel's counts need
 *  its full name lists, so it is taken only when it is the only target). */
function countOf(meta: KernelMeta, kind: NameKind): number {
  if (meta.source === 'live') return Infinity;
  switch (kind) {
    case 'events': case 'tracepoints': return meta.counts.tracepoints;
    case 'syscalls': return meta.counts.syscalls;
    case 'lsm': return meta.counts.lsmHooks;
    default: return meta.counts.functions;
  }
}

/** Searches made over one kernel's list of one kind, and its index once built. */
interface ListSpelling {
  searches: number;
  index?: SpellingIndex;
}

/** The closest existing names that exist on every target kernel, nearest first (then the longest
 *  common prefix, then by name). The one spelling search of the features (libbpf C and bpftrace). */
export function closestNames(target: AttachTarget, ctx: AnalysisContext, limit = 5): string[] {
  if (!target.name) return [];
  const key = `${target.kind}|${target.name}|${limit}@${ctx.cache.kernelsKey(ctx.atlas, ctx.targets)}`;
  return ctx.cache.remember('closest', key, () => searchClosest(target, ctx, limit));
}

function searchClosest(target: AttachTarget, ctx: AnalysisContext, limit: number): string[] {
  const kind = nameKind(target);
  const kernels: KernelQuery[] = [];
  for (const id of ctx.targets) {
    try {
      kernels.push(ctx.atlas.get(id));
    } catch {
      // A kernel that cannot load cannot vouch for a name; the others still can.
    }
  }
  if (!kernels.length) return [];
  const smallest = kernels.reduce((a, b) => (countOf(b.meta, kind) < countOf(a.meta, kind) ? b : a));
  const lookups = kernels.map((k) => namesOfKind(k, kind));
  const onEveryTarget = (name: string) => lookups.every((l) => l.has(name));
  const wanted = target.name;
  const max = Math.max(1, Math.min(4, Math.floor(wanted.length / 4)));
  const list = ctx.cache.derived<ListSpelling>(smallest, `spelling:${kind}`, () => ({ searches: 0 }));
  const names = namesOfKind(smallest, kind).names;
  list.searches++;
  if (!list.index && list.searches > 1) list.index = new SpellingIndex(names());
  const found = list.index ? list.index.closest(wanted, max, limit, onEveryTarget) : SpellingIndex.scan(names(), wanted, max, limit, onEveryTarget);
  return found.map((m) => m.name);
}
