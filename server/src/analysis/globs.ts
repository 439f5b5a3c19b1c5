// Function globs on one kernel: the symbols a `kprobe.multi/<glob>` or a bpftrace `kprobe:<glob>`
// attaches to, with the loader's semantics (model/glob.ts). Bounded: each name is visited once and
// the walk stops at a limit, so `kprobe:*` over a whole kernel answers in milliseconds.

import type { KernelQuery } from '../atlas/model';
import { compileGlob, lowerBound, type GlobDialect } from '../model/glob';
import { isFragment } from '../model/symbols';
import type { AnalysisContext } from './context';
import { sortedFunctionNames } from './kernels';

/** Most symbols a glob is matched to on one kernel: past it, counts say "more than". */
export const GLOB_MATCH_LIMIT = 10_000;

export interface FunctionGlobMatches {
  /** Symbols the glob attaches to, in name order, at most the limit. */
  symbols: string[];
  /** More symbols match than the limit. */
  truncated: boolean;
}

/** Symbols a function glob attaches to on one kernel, in the dialect's semantics (model/glob.ts).
 *  `.cold` fragments are not functions of their own (no ftrace site, not in
 *  available_filter_functions), so they never count; `.part` copies are real functions and do.
 *  Each function name that starts with the glob's literal prefix is visited once, and its facts
 *  are decoded only when the glob matches the name or may match a suffixed copy of it; the walk
 *  stops after `limit` symbols. */
export function matchFunctionGlob(ctx: Pick<AnalysisContext, 'cache'>, kernel: KernelQuery, pattern: string, dialect: GlobDialect = 'libbpf', limit = Infinity): FunctionGlobMatches {
  const glob = compileGlob(pattern, dialect);
  const symbols: string[] = [];
  let truncated = false;
  const visit = (name: string): boolean => {
    if (!glob.test(name) && !glob.mayMatchAfter(`${name}.`)) return true;
    const seen = new Set<string>();
    for (const sym of kernel.fn(name)?.symbols ?? []) {
      if (seen.has(sym) || isFragment(sym) || !glob.test(sym)) continue;
      seen.add(sym);
      if (symbols.length >= limit) {
        truncated = true;
        return false;
      }
      symbols.push(sym);
    }
    return true;
  };
  const prefix = glob.prefix;
  const dot = prefix.indexOf('.');
  if (dot > 0) {
    // `name.isra*`: only the base name before the suffix can own matching symbols.
    visit(prefix.slice(0, dot));
    return { symbols, truncated };
  }
  // In name order, so that a limit keeps the same (first) matches on every kernel.
  const names = sortedFunctionNames(ctx, kernel);
  for (let i = lowerBound(names.length, (k) => names[k], prefix); i < names.length && names[i].startsWith(prefix); i++) {
    if (!visit(names[i])) break;
  }
  return { symbols, truncated };
}
