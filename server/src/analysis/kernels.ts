// The target kernels as the analyses read them: loaded tolerantly (a kernel that cannot load is
// left out and said so, never thrown at a feature), their metadata for messages, and their
// function names in code-unit order, where every name-list walk (completion, globs) starts.

import type { KernelMeta, KernelQuery } from '../atlas/model';
import { lowerBound } from '../model/glob';
import type { AnalysisContext } from './context';

/** A target's kernel, or undefined when it cannot load (the caller then says nothing about it). */
export function kernelOf(ctx: Pick<AnalysisContext, 'atlas'>, id: string): KernelQuery | undefined {
  try {
    return ctx.atlas.get(id);
  } catch {
    return undefined;
  }
}

/** The target kernels that load, with their ids, and the load errors of the others. */
export function targetKernels(ctx: Pick<AnalysisContext, 'atlas' | 'targets'>): { kernels: KernelQuery[]; errors: string[] } {
  const kernels: KernelQuery[] = [];
  const errors: string[] = [];
  for (const id of ctx.targets) {
    try {
      kernels.push(ctx.atlas.get(id));
    } catch (e) {
      errors.push(`${id}: ${(e as Error).message}`);
    }
  }
  return { kernels, errors };
}

/** The first value `get` gives over the target kernels, in target order. */
export function firstKernelWith<T>(ctx: Pick<AnalysisContext, 'atlas' | 'targets'>, get: (k: KernelQuery) => T | undefined): T | undefined {
  for (const id of ctx.targets) {
    const k = kernelOf(ctx, id);
    const v = k && get(k);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** A kernel's metadata without loading its facts. */
export function kernelMeta(ctx: Pick<AnalysisContext, 'atlas'>, id: string): KernelMeta | undefined {
  return ctx.atlas.meta ? ctx.atlas.meta(id) : ctx.atlas.list().find((m) => m.id === id);
}

/** `debian-12 (6.1)`, or the id alone when the version is not known. */
export function kernelLabel(ctx: Pick<AnalysisContext, 'atlas'>, id: string): string {
  const meta = kernelMeta(ctx, id);
  return meta?.version ? `${id} (${meta.version})` : id;
}

/** A name list in code-unit order: the list itself when already sorted (atlas files keep their
 *  names so), else a sorted copy made once per list and kept in the cache (the running kernel
 *  gives its names in no set order; matches must not depend on kallsyms order). */
export function sortedNames(ctx: Pick<AnalysisContext, 'cache'>, names: readonly string[]): readonly string[] {
  let sorted = ctx.cache.sortedNames.get(names);
  if (!sorted) {
    let inOrder = true;
    for (let i = 1; i < names.length && inOrder; i++) if (names[i - 1] > names[i]) inOrder = false;
    sorted = inOrder ? names : [...names].sort();
    ctx.cache.sortedNames.set(names, sorted);
  }
  return sorted;
}

/** A kernel's function names in code-unit order. */
export function sortedFunctionNames(ctx: Pick<AnalysisContext, 'cache'>, kernel: KernelQuery): readonly string[] {
  return sortedNames(ctx, kernel.functionNames());
}

/** Up to `limit` names of a sorted list that start with `prefix`: a binary search for the first,
 *  then a walk while names match (300k functions cost microseconds per keystroke). */
export function namesWithPrefix(sorted: readonly string[], prefix: string, limit = Infinity): string[] {
  const out: string[] = [];
  for (let i = lowerBound(sorted.length, (k) => sorted[k], prefix); i < sorted.length && out.length < limit && sorted[i].startsWith(prefix); i++) {
    out.push(sorted[i]);
  }
  return out;
}

/** Up to `limit` distinct function names of a kernel that start with `prefix`, in name order,
 *  without building the whole list where the kernel can search its table by prefix. */
export function functionNamesWithPrefix(ctx: Pick<AnalysisContext, 'cache'>, kernel: KernelQuery, prefix: string, limit: number): string[] {
  return kernel.functionNamesWithPrefix ? kernel.functionNamesWithPrefix(prefix, limit) : namesWithPrefix(sortedFunctionNames(ctx, kernel), prefix, limit);
}

/** What the first completion on each target kernel would otherwise build inside a request: the
 *  decoded sample its function-name search starts from, and its tracepoint systems (every record
 *  decoded). One step per kernel and structure, each a few milliseconds, for the server to run
 *  while it is idle: over 30 targets they cost ~0.3 s each, which the first `SEC("kprobe/` and
 *  `SEC("tracepoint/` paid while the user typed. Steps throw what the kernel throws. */
export function warmUpSteps(ctx: Pick<AnalysisContext, 'cache'>, kernels: readonly KernelQuery[]): (() => void)[] {
  return kernels.flatMap((k) => [
    () => void functionNamesWithPrefix(ctx, k, '', 1),
    () => void k.systems(),
  ]);
}
