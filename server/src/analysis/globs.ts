// Function globs on one kernel: the symbols a `kprobe.multi/<glob>` or a bpftrace `kprobe:<glob>`
// attaches to, with the loader's semantics (model/glob.ts). Bounded: each name is visited once and
// the walk stops at a limit, so `kprobe:*` over a whole kernel answers in milliseconds.

import type { KernelQuery } from '../atlas/model';
import { compileGlob, type GlobDialect } from '../model/glob';
import { isFragment } from '../model/symbols';
import type { AnalysisContext } from './context';
import { functionNamesWithPrefix, sortedFunctionNames } from './kernels';

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
  // In name order, so that a limit keeps the same (first) matches on every kernel. With a literal
  // prefix the kernel's own table is searched by prefix: building the whole sorted name list
  // (every name decoded; ~1.4 s over 30 kernels for the rename advice of a diagnostics run) is
  // only needed for a glob that starts with a wildcard.
  // Names are fetched in growing batches, so a glob that stops at its limit reads few of them.
  if (prefix) {
    for (let want = 64, done = 0; ; want *= 4) {
      const names = functionNamesWithPrefix(ctx, kernel, prefix, want);
      for (let i = done; i < names.length; i++) if (!visit(names[i])) return { symbols, truncated };
      if (names.length < want) return { symbols, truncated };
      done = names.length;
    }
  }
  const names = sortedFunctionNames(ctx, kernel);
  for (const name of names) if (!visit(name)) break;
  return { symbols, truncated };
}
