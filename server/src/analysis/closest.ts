// The closest real names for a misspelt target, on every target kernel: an edit-distance search
// over the names of the target's kind, dismissing most names by length and character counts
// before aligning, memoised in the one cache.

import type { AttachTarget, KernelQuery } from '../atlas/model';
import type { AnalysisContext } from './context';

/** Rows of editDistance(), grown on demand: one set per search, which aligns thousands of names. */
export class AlignmentRows {
  prev2 = new Int32Array(64);
  prev = new Int32Array(64);
  cur = new Int32Array(64);
  fit(n: number): void {
    if (this.prev.length > n) return;
    this.prev2 = new Int32Array(n + 1);
    this.prev = new Int32Array(n + 1);
    this.cur = new Int32Array(n + 1);
  }
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), giving up as
 *  soon as the distance must exceed `max` (returns max + 1 then). */
export function editDistance(a: string, b: string, max: number, rows = new AlignmentRows()): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  rows.fit(n);
  let prev2 = rows.prev2;
  let prev = rows.prev;
  let cur = rows.cur;
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    const ai = a.charCodeAt(i - 1);
    for (let j = 1; j <= n; j++) {
      const bj = b.charCodeAt(j - 1);
      let v = prev[j - 1] + (ai === bj ? 0 : 1);
      if (prev[j] + 1 < v) v = prev[j] + 1;
      if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj && prev2[j - 2] + 1 < v) v = prev2[j - 2] + 1;
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[n];
}

/** Names of the target's kind on one kernel, and whether a name exists there. */
function namesOfKind(kernel: KernelQuery, target: AttachTarget): { names: () => Iterable<string>; has: (n: string) => boolean } {
  switch (target.kind) {
    case 'tracepoint':
      return {
        names: () => kernel.tracepoints().filter((t) => t.event).map((t) => t.name),
        has: (n) => !!kernel.tracepoint(n)?.event,
      };
    case 'raw_tp':
    case 'tp_btf':
      return { names: () => kernel.tracepoints().map((t) => t.name), has: (n) => !!kernel.tracepoint(n) };
    case 'ksyscall':
    case 'kretsyscall':
      return { names: () => kernel.syscalls().map((s) => s.name), has: (n) => !!kernel.syscall(n) };
    case 'lsm':
      return { names: () => kernel.lsmHooks().map((h) => h.name), has: (n) => !!kernel.lsmHook(n) };
    default:
      return { names: () => kernel.functionNames(), has: (n) => !!kernel.fn(n) || kernel.hasSymbol(n) };
  }
}

/** Character counts of a name (code units folded into 128 buckets), for the cheap lower bound. */
function charCounts(name: string): Int32Array {
  const counts = new Int32Array(128);
  for (let i = 0; i < name.length; i++) counts[name.charCodeAt(i) & 127]++;
  return counts;
}

/** A lower bound of the edit distance from the counts alone: characters one side has and the
 *  other lacks each cost at least one edit. Linear, so most names are dismissed before the
 *  quadratic alignment. */
function countsBound(wanted: Int32Array, wantedLength: number, scratch: Int32Array, name: string): number {
  scratch.set(wanted);
  let extra = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i) & 127;
    if (scratch[c] > 0) scratch[c]--;
    else extra++;
  }
  const missing = wantedLength - (name.length - extra);
  return extra > missing ? extra : missing;
}

/** The closest existing names that exist on every target kernel, nearest first (then the longest
 *  common prefix, then by name). The one spelling search of the features (libbpf C and bpftrace):
 *  it scans every name of the kind on the first target, dismissing most by length and character
 *  counts before aligning, and is memoised per atlas, knowledge and target kernels. */
export function closestNames(target: AttachTarget, ctx: AnalysisContext, limit = 5): string[] {
  if (!target.name) return [];
  const key = `${target.kind}|${target.name}|${limit}@${ctx.cache.kernelsKey(ctx.atlas, ctx.targets)}`;
  return ctx.cache.remember('closest', key, () => searchClosest(target, ctx, limit));
}

function searchClosest(target: AttachTarget, ctx: AnalysisContext, limit: number): string[] {
  const kernels: KernelQuery[] = [];
  for (const id of ctx.targets) {
    try {
      kernels.push(ctx.atlas.get(id));
    } catch {
      // A kernel that cannot load cannot vouch for a name; the others still can.
    }
  }
  if (!kernels.length) return [];
  const wanted = target.name;
  const max = Math.max(1, Math.min(4, Math.floor(wanted.length / 4)));
  const wantedCounts = charCounts(wanted);
  const scratch = new Int32Array(128);
  const rows = new AlignmentRows();
  const scored: { name: string; d: number }[] = [];
  const lookups = kernels.map((k) => namesOfKind(k, target));
  for (const name of lookups[0].names()) {
    if (name === wanted || Math.abs(name.length - wanted.length) > max) continue;
    if (countsBound(wantedCounts, wanted.length, scratch, name) > max) continue;
    const d = editDistance(wanted, name, max, rows);
    if (d <= max) scored.push({ name, d });
  }
  scored.sort((x, y) => x.d - y.d || commonPrefix(wanted, y.name) - commonPrefix(wanted, x.name) || x.name.localeCompare(y.name));
  const out: string[] = [];
  for (const s of scored) {
    if (out.length === limit) break;
    if (lookups.every((l) => l.has(s.name))) out.push(s.name);
  }
  return out;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
