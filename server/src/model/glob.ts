// Wildcard patterns over kernel names, with the exact semantics of the two loaders that take them:
//
// - libbpf (`SEC("kprobe.multi/vfs_*")`, and the knowledge rows' function globs): libbpf.c
//   glob_match(), adapted from perf: `*` matches any run of characters (also none), `?` exactly
//   one, every other character itself; no escapes, no classes, no braces.
// - bpftrace (`kprobe:vfs_*`): bpftrace's util/wildcard.cpp. Only `*` is a wildcard (`?` is an
//   ordinary character: bpftrace does not even expand a probe without `*`), and the match is
//   bpftrace's own: the pattern is split at `*` into tokens, each found at its first occurrence
//   after the previous one, and a pattern that does not end in `*` must end exactly where the last
//   token was found. So `*_read` does not match `xfs_read_file_read` in bpftrace, although a shell
//   glob would. bpftrace's documentation lists `*` wildcards and comma lists only: no `{a,b}`.
//
// Our own matcher rather than minimatch/picomatch: both treat `[`, `{`, `!`, `@(` and `/` as
// syntax, and neither reproduces bpftrace's first-occurrence rule. A compiled pattern tests a name
// in time linear in the name (no regex backtracking, whatever a user types), and the name-list
// walks below visit each name once and stop at a limit. Imports nothing of ours.

export type GlobDialect = 'libbpf' | 'bpftrace';

export interface Glob {
  readonly pattern: string;
  readonly dialect: GlobDialect;
  /** The literal text before the first wildcard: every match starts with it. */
  readonly prefix: string;
  /** The literal text after the last wildcard: every match ends with it ('' when the pattern
   *  ends with a wildcard). */
  readonly suffix: string;
  /** The pattern has a wildcard in its dialect (else it matches only itself). */
  readonly wildcard: boolean;
  test(name: string): boolean;
  /** Whether some longer name that starts with `head` may match (never false when one does): a
   *  name list walk uses it to skip `foo` when no `foo.<suffix>` can match either. */
  mayMatchAfter(head: string): boolean;
  /** What the first `*` matched (leftmost, shortest), or undefined when `name` does not match or
   *  the pattern has no `*`. Knowledge rows use it for `{stem}`. */
  firstStar(name: string): string | undefined;
}

/** Whether `text` holds a wildcard of the dialect. */
export function hasWildcard(text: string, dialect: GlobDialect): boolean {
  return dialect === 'bpftrace' ? text.includes('*') : /[*?]/.test(text);
}

export function compileGlob(pattern: string, dialect: GlobDialect): Glob {
  return dialect === 'bpftrace' ? bpftraceGlob(pattern) : libbpfGlob(pattern);
}

// ---- libbpf: `*` and `?` ----

/** The pattern as an automaton over its positions: after reading `head`, is a position short of
 *  the end still reachable? Then some non-empty continuation of `head` matches. `?` is a wildcard
 *  when `anyChar` (libbpf), else a literal; bpftrace's first-occurrence rule matches a subset of
 *  what this accepts, which is what a "may" test needs. */
function mayContinue(pattern: string, anyChar: boolean, head: string): boolean {
  const n = pattern.length;
  let cur = new Uint8Array(n + 1);
  let next = new Uint8Array(n + 1);
  const close = (states: Uint8Array) => {
    for (let j = 0; j < n; j++) if (states[j] && pattern.charCodeAt(j) === 42 /* * */) states[j + 1] = 1;
  };
  cur[0] = 1;
  close(cur);
  for (let i = 0; i < head.length; i++) {
    const c = head.charCodeAt(i);
    next.fill(0);
    let any = false;
    for (let j = 0; j < n; j++) {
      if (!cur[j]) continue;
      const p = pattern.charCodeAt(j);
      if (p === 42) { next[j] = 1; any = true; } else if (p === c || (anyChar && p === 63)) { next[j + 1] = 1; any = true; }
    }
    if (!any) return false;
    close(next);
    [cur, next] = [next, cur];
  }
  for (let j = 0; j < n; j++) if (cur[j]) return true;
  return false;
}

/** `seg` (which may hold `?`) matches `s` at `at`. */
function segmentAt(s: string, at: number, seg: string): boolean {
  if (at < 0 || at + seg.length > s.length) return false;
  for (let i = 0; i < seg.length; i++) {
    const c = seg.charCodeAt(i);
    if (c !== 63 /* ? */ && c !== s.charCodeAt(at + i)) return false;
  }
  return true;
}

/** First position in [from, to - seg.length] where `seg` matches, or -1. */
function findSegment(s: string, seg: string, from: number, to: number): number {
  if (!seg.includes('?')) {
    const at = s.indexOf(seg, from);
    return at >= 0 && at + seg.length <= to ? at : -1;
  }
  for (let at = from; at + seg.length <= to; at++) if (segmentAt(s, at, seg)) return at;
  return -1;
}

function libbpfGlob(pattern: string): Glob {
  const segments = pattern.split('*');
  const stars = segments.length - 1;
  const first = segments[0];
  const last = segments[stars];
  const minLength = segments.reduce((n, s) => n + s.length, 0);
  /** Match, returning where the first `*` starts and ends, or undefined. Segments between stars
   *  are taken at their leftmost place: for `*`/`?` globs that finds a match whenever one exists. */
  const match = (s: string): [number, number] | undefined => {
    if (stars === 0) return s.length === pattern.length && segmentAt(s, 0, pattern) ? [0, 0] : undefined;
    if (s.length < minLength || !segmentAt(s, 0, first)) return undefined;
    const end = s.length - last.length;
    if (!segmentAt(s, end, last)) return undefined;
    let pos = first.length;
    let starEnd = stars === 1 ? end : -1;
    for (let k = 1; k < stars; k++) {
      const at = findSegment(s, segments[k], pos, end);
      if (at < 0) return undefined;
      if (k === 1) starEnd = at;
      pos = at + segments[k].length;
    }
    return [first.length, starEnd];
  };
  return {
    pattern,
    dialect: 'libbpf',
    prefix: pattern.split(/[*?]/)[0],
    suffix: pattern.split(/[*?]/).pop() ?? '',
    wildcard: /[*?]/.test(pattern),
    test: (name) => match(name) !== undefined,
    mayMatchAfter: (head) => mayContinue(pattern, true, head),
    firstStar: (name) => {
      if (!stars) return undefined;
      const m = match(name);
      return m ? name.slice(m[0], m[1]) : undefined;
    },
  };
}

// ---- bpftrace: `*` only, first occurrences ----

function bpftraceGlob(pattern: string): Glob {
  const tokens = pattern.split('*').filter((t) => t.length > 0);
  const startWildcard = pattern.startsWith('*');
  const endWildcard = pattern.endsWith('*');
  /** bpftrace's wildcard_match, returning where the first `*` starts and ends. */
  const match = (s: string): [number, number] | undefined => {
    if (!tokens.length) return pattern.length ? [0, s.length] : s === '' ? [0, 0] : undefined;
    if (!startWildcard && !s.startsWith(tokens[0])) return undefined;
    let next = 0;
    let star: [number, number] | undefined;
    for (let i = 0; i < tokens.length; i++) {
      const found = s.indexOf(tokens[i], next);
      if (found < 0) return undefined;
      if (!star && (i > 0 || startWildcard)) star = [next, found];
      next = found + tokens[i].length;
    }
    if (!endWildcard && s.length !== next) return undefined;
    return star ?? [next, s.length];
  };
  return {
    pattern,
    dialect: 'bpftrace',
    prefix: pattern.split('*')[0],
    suffix: pattern.split('*').pop() ?? '',
    wildcard: pattern.includes('*'),
    test: (name) => match(name) !== undefined,
    mayMatchAfter: (head) => mayContinue(pattern, false, head),
    firstStar: (name) => {
      if (!pattern.includes('*')) return undefined;
      const m = match(name);
      return m ? name.slice(m[0], m[1]) : undefined;
    },
  };
}

// ---- walking name lists ----

/** Index of the first name >= `key` among `count` names in code-unit order, read through `at`. */
export function lowerBound(count: number, at: (i: number) => string, key: string): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at(mid) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface GlobMatches {
  /** The matching names, in the order visited, at most `limit`. */
  names: string[];
  /** More names match than `limit`. */
  truncated: boolean;
}

/** The names of a list that match, visiting each name once and stopping after `limit` matches
 *  (one more is looked for, to tell whether the list is complete). */
export function matchNames(names: Iterable<string>, glob: Glob, limit = Infinity): GlobMatches {
  const out: string[] = [];
  for (const name of names) {
    if (!glob.test(name)) continue;
    if (out.length >= limit) return { names: out, truncated: true };
    out.push(name);
  }
  return { names: out, truncated: false };
}

/** The same over names in code-unit order: only the run that starts with the pattern's literal
 *  prefix is visited. */
export function matchSortedNames(sorted: readonly string[], glob: Glob, limit = Infinity): GlobMatches {
  const out: string[] = [];
  const prefix = glob.prefix;
  for (let i = lowerBound(sorted.length, (k) => sorted[k], prefix); i < sorted.length && sorted[i].startsWith(prefix); i++) {
    if (!glob.test(sorted[i])) continue;
    if (out.length >= limit) return { names: out, truncated: true };
    out.push(sorted[i]);
  }
  return { names: out, truncated: false };
}

/** How many names match, counting no further than `atMost` (an existence test is `atMost` 1). */
export function countMatches(names: Iterable<string>, glob: Glob, atMost = Infinity): number {
  let n = 0;
  for (const name of names) {
    if (glob.test(name) && ++n >= atMost) break;
  }
  return n;
}
