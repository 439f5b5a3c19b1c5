// Function globs on one kernel: the symbols a `kprobe.multi/<glob>` or a bpftrace `kprobe:<glob>`
// attaches to, with the loader's semantics (model/glob.ts). Bounded: each name is visited once and
// the walk stops at a limit, so `kprobe:*` over a whole kernel answers in milliseconds.

import type { KernelQuery } from '../atlas/model';
import { compileGlob, type Glob, type GlobDialect } from '../model/glob';
import { isFragment, suffixedNameMayEndWith } from '../model/symbols';
import type { AnalysisContext } from './context';
import { functionNamesWithPrefix, sortedFunctionNames } from './kernels';

/** Most symbols a glob is expanded into on one kernel: past it the list stops (the count of
 *  functions goes on to the end). Enough to tell whether bpftrace's 1,024-probe limit is passed,
 *  and to name the notrace, blacklisted and renamed matches among them. */
export const GLOB_MATCH_LIMIT = 2_000;

/** Most functions whose records are decoded only to look for a matching suffixed copy
 *  (`*_read` may match no name yet match `foo_read.isra.0`... or not: only the record can tell).
 *  Past it the count is a lower bound (`exact` false), never a false "matches nothing". */
export const GLOB_SUFFIX_PROBES = 2_000;

export interface FunctionGlobMatches {
  /** Symbols the glob attaches to, in name order, at most the limit. */
  symbols: string[];
  /** More symbols match than the limit. */
  truncated: boolean;
  /** Functions with a matching symbol: every name that matches (counted without decoding its
   *  record), plus those that match only through a suffixed copy. Exact when `exact`. */
  functions: number;
  /** Every function was judged, so `functions` is the count and 0 means none matches; false when
   *  the search for suffixed copies stopped at GLOB_SUFFIX_PROBES (`functions` is then a lower
   *  bound). */
  exact: boolean;
  /** Function records decoded: the work done (at most `limit` matching names plus
   *  GLOB_SUFFIX_PROBES others). */
  decoded: number;
}

/** Symbols a function glob attaches to on one kernel, in the dialect's semantics (model/glob.ts),
 *  and how many functions it matches (unless `count` is false: then the walk stops at the limit
 *  and the count is a lower bound). `.cold` fragments are not functions of their own (no ftrace
 *  site, not in available_filter_functions), so they never count; `.part` copies are real
 *  functions and do. Bounded by design: each name that starts with the glob's literal prefix is
 *  tested once (a string test; `kprobe:*` over 275,000 functions takes ~0.1 s), records are
 *  decoded only for the first `limit` matching names and for at most GLOB_SUFFIX_PROBES names that
 *  do not match but may have a matching suffixed copy. */
export function matchFunctionGlob(ctx: Pick<AnalysisContext, 'cache'>, kernel: KernelQuery, pattern: string, dialect: GlobDialect = 'libbpf', limit = Infinity,
  options: { count?: boolean } = {}): FunctionGlobMatches {
  options = { count: true, ...options };
  const glob = compileGlob(pattern, dialect);
  const out: FunctionGlobMatches = { symbols: [], truncated: false, functions: 0, exact: true, decoded: 0 };
  // A glob whose literal end no compiler suffix can end (`*_read`) matches only plain names: no
  // record is decoded to look for a suffixed copy, and the count stays exact.
  const suffixed = suffixedNameMayEndWith(glob.suffix);
  let probes = 0;
  /** The matching symbols of one function, decoded. */
  const matchingSymbols = (name: string): string[] => decodeMatchingSymbols(kernel, glob, name, out);
  const take = (symbols: readonly string[]) => takeSymbols(out, symbols, limit);
  const visit = (name: string): void => {
    if (glob.test(name)) {
      out.functions++;
      if (out.truncated || out.symbols.length >= limit) out.truncated = true;
      else take(matchingSymbols(name));
      return;
    }
    // Past the budget the remaining names are not judged at all (the automaton test below is
    // itself the costlier step, and with a leading `*` it says "may" for every name).
    if (!suffixed || probes >= GLOB_SUFFIX_PROBES) return;
    if (!glob.mayMatchAfter(`${name}.`)) return;
    if (++probes === GLOB_SUFFIX_PROBES) out.exact = false;
    const symbols = matchingSymbols(name);
    if (!symbols.length) return;
    out.functions++;
    if (out.symbols.length >= limit) out.truncated = true;
    else take(symbols);
  };
  const prefix = glob.prefix;
  const dot = prefix.indexOf('.');
  if (dot > 0) {
    // `name.isra*`: only the base name before the suffix can own matching symbols.
    const base = prefix.slice(0, dot);
    const symbols = matchingSymbols(base);
    if (symbols.length) {
      out.functions = 1;
      take(symbols);
    }
    return out;
  }
  // In name order, so that a limit keeps the same (first) matches on every kernel; module copies
  // of a name are one function. `prefix*` (`*`, `vfs_*`): every name of the prefix range
  // matches, so past the expansion limit the rest of the range is only counted, without testing
  // a name. A caller that wants no count stops at the limit.
  const everyName = pattern === `${prefix}*`;
  let previous: string | undefined;
  const each = (name: string): boolean => {
    if (name === previous) return true;
    previous = name;
    if (out.truncated && !options.count) {
      out.exact = false;
      return false;
    }
    if (everyName && out.truncated) out.functions++;
    else visit(name);
    return true;
  };
  // With a literal prefix the kernel's own table is searched by prefix: building the whole sorted
  // name list (every name decoded; ~1.4 s over 30 kernels for the rename advice of a diagnostics
  // run) is only needed for a glob that starts with a wildcard. Names are fetched in growing
  // batches, so a walk that stops at its limit reads few of them.
  walkFunctionNames(ctx, kernel, prefix, each);
  return out;
}

/** The symbols of function `name` that match the glob (no `.cold` fragments, each once), counting the decode in `out`. */
function decodeMatchingSymbols(kernel: KernelQuery, glob: Glob, name: string, out: FunctionGlobMatches): string[] {
  out.decoded++;
  const seen = new Set<string>();
  for (const sym of kernel.fn(name)?.symbols ?? []) {
    if (!seen.has(sym) && !isFragment(sym) && glob.test(sym)) seen.add(sym);
  }
  return [...seen];
}

/** Appends symbols to `out.symbols` up to `limit`, marking `out` truncated when one does not fit. */
function takeSymbols(out: FunctionGlobMatches, symbols: readonly string[], limit: number): void {
  for (const sym of symbols) {
    if (out.symbols.length >= limit) {
      out.truncated = true;
      return;
    }
    out.symbols.push(sym);
  }
}

/** Calls `each` on the kernel's function names in name order (those starting with `prefix`, fetched
 *  in growing batches, or every name when there is none) until it returns false. */
function walkFunctionNames(ctx: Pick<AnalysisContext, 'cache'>, kernel: KernelQuery, prefix: string, each: (name: string) => boolean): void {
  if (prefix) {
    for (let want = 64, done = 0; ; want *= 4) {
      const names = functionNamesWithPrefix(ctx, kernel, prefix, want);
      for (let i = done; i < names.length; i++) if (!each(names[i])) return;
      if (names.length < want) return;
      done = names.length;
    }
  }
  for (const name of sortedFunctionNames(ctx, kernel)) if (!each(name)) break;
}
