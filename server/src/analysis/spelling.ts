// Spelling search: which names lie within a small edit distance of a misspelt one. The distance
// (optimal string alignment: Levenshtein plus transpositions of neighbours), and a SpellingIndex
// over one list of names (a kernel's functions, tracepoints, ...) built once and kept in the
// analysis cache, so a search is a few posting-list walks instead of a pass over ~275,000 names.
//
// How: an inverted index from each bigram (character pair) to the names containing it, names
// numbered in order of length so that each posting list's names of one length form one run. An
// edit destroys at most three of the misspelt name's bigram occurrences (a transposition touches
// three), so a name within distance d still has all but 3d of its distinct bigrams: one count over
// the posting lists, limited to the possible lengths, leaves only those names, which then pass a
// character-count bound and the banded alignment. Distances are tried from 1 up, and the search
// stops at the first that fills the list, so a plain typo costs a count and a handful of
// alignments. The answer is exactly a full scan's (SpellingIndex.scan, kept for the first search
// of a list and as the reference): the bounds only skip names that cannot be within the distance.

/** Rows of editDistance(), grown on demand: one set per search, which aligns many names. */
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

/** Character pairs fold code units into 7 bits: collisions only let more names through. */
const BIGRAMS = 128 * 128;
const bigram = (s: string, i: number): number => ((s.charCodeAt(i) & 127) << 7) | (s.charCodeAt(i + 1) & 127);

/** hits[] of a name already found within a smaller distance. */
const MATCHED = 0xffff;

export interface SpellingMatch {
  name: string;
  distance: number;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Nearest first, then the longest common prefix with the misspelt name, then by name. */
function ranked(wanted: string, found: SpellingMatch[], limit: number): SpellingMatch[] {
  return found
    .sort((x, y) => x.distance - y.distance || commonPrefix(wanted, y.name) - commonPrefix(wanted, x.name) || x.name.localeCompare(y.name))
    .slice(0, limit);
}

/** One search's checks of a name: length, a character-count bound, then the alignment. */
class Matcher {
  private readonly counts = new Int32Array(128);
  private readonly original: Int32Array;
  private readonly rows = new AlignmentRows();

  constructor(readonly wanted: string) {
    for (let i = 0; i < wanted.length; i++) this.counts[wanted.charCodeAt(i) & 127]++;
    this.original = this.counts.slice();
  }

  /** The distance of `name` when at most `max`, else undefined. */
  within(name: string, max: number): number | undefined {
    const wanted = this.wanted;
    if (name === wanted || Math.abs(name.length - wanted.length) > max) return undefined;
    if (this.countsBound(name) > max) return undefined;
    const d = editDistance(wanted, name, max, this.rows);
    return d <= max ? d : undefined;
  }

  /** A lower bound of the edit distance from character counts alone: characters one side has and
   *  the other lacks each cost at least one edit. Linear, so most names never reach the alignment. */
  private countsBound(name: string): number {
    const counts = this.counts;
    let extra = 0;
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i) & 127;
      if (counts[c] > 0) counts[c]--;
      else extra++;
    }
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i) & 127;
      counts[c] = this.original[c];
    }
    const missing = this.wanted.length - (name.length - extra);
    return extra > missing ? extra : missing;
  }
}

export class SpellingIndex {
  /** Names by id: ids are given in order of name length, so the names of one length are one id
   *  range (lengthStarts[l] .. lengthStarts[l + 1]) and so is each length range of a posting list. */
  private readonly names: string[];
  private readonly lengthStarts: Uint32Array;
  /** Ids of the names with bigram b: postings[starts[b] .. starts[b + 1]), ascending, each once. */
  private readonly starts: Uint32Array;
  private readonly postings: Uint32Array;
  /** Scratch: bigram hits per name (MATCHED once within a distance), zero between searches. */
  private readonly hits: Uint16Array;

  constructor(names: Iterable<string>) {
    const list = [...new Set(names)];
    let maxLength = 0;
    for (const s of list) if (s.length > maxLength) maxLength = s.length;
    this.lengthStarts = new Uint32Array(maxLength + 2);
    for (const s of list) this.lengthStarts[s.length + 1]++;
    for (let l = 1; l <= maxLength + 1; l++) this.lengthStarts[l] += this.lengthStarts[l - 1];
    const at = this.lengthStarts.slice(0, maxLength + 1);
    this.names = new Array<string>(list.length);
    for (const s of list) this.names[at[s.length]++] = s;

    const n = this.names.length;
    const last = new Int32Array(BIGRAMS).fill(-1);
    const counts = new Uint32Array(BIGRAMS);
    for (let id = 0; id < n; id++) {
      const s = this.names[id];
      for (let i = 0; i + 1 < s.length; i++) {
        const g = bigram(s, i);
        if (last[g] !== id) { last[g] = id; counts[g]++; }
      }
    }
    this.starts = new Uint32Array(BIGRAMS + 1);
    for (let g = 0; g < BIGRAMS; g++) this.starts[g + 1] = this.starts[g] + counts[g];
    this.postings = new Uint32Array(this.starts[BIGRAMS]);
    const fill = this.starts.slice(0, BIGRAMS);
    last.fill(-1);
    for (let id = 0; id < n; id++) {
      const s = this.names[id];
      for (let i = 0; i + 1 < s.length; i++) {
        const g = bigram(s, i);
        if (last[g] !== id) { last[g] = id; this.postings[fill[g]++] = id; }
      }
    }
    this.hits = new Uint16Array(n);
  }

  get size(): number {
    return this.names.length;
  }

  /** The full scan the index answers for: every name, checked; the same ranking. */
  static scan(names: Iterable<string>, wanted: string, max: number, limit: number, accept: (name: string) => boolean = () => true): SpellingMatch[] {
    const m = new Matcher(wanted);
    const found: SpellingMatch[] = [];
    const seen = new Set<string>();
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      const distance = m.within(name, max);
      if (distance !== undefined && accept(name)) found.push({ name, distance });
    }
    return ranked(wanted, found, limit);
  }

  /** The `limit` names closest to `wanted` within distance `max` among those `accept` lets
   *  through, nearest first (then the longest common prefix, then by name). Distances are tried in
   *  increasing order and the search stops at the first that fills the list: no farther name could
   *  rank before those. */
  closest(wanted: string, max: number, limit: number, accept: (name: string) => boolean = () => true): SpellingMatch[] {
    const lastLength = this.lengthStarts.length - 2;
    const idsOfLength = (l: number) => this.lengthStarts[Math.min(lastLength + 1, Math.max(0, l))];
    const lo = idsOfLength(wanted.length - max);
    const hi = idsOfLength(wanted.length + max + 1);
    // Count, for every name of a possible length, how many distinct bigrams of `wanted` it has.
    const lists: number[] = [];
    for (let i = 0; i + 1 < wanted.length; i++) {
      const g = bigram(wanted, i);
      if (!lists.includes(g)) lists.push(g);
    }
    const hits = this.hits;
    for (const g of lists) {
      for (let p = this.lowerBound(this.starts[g], this.starts[g + 1], lo), end = this.starts[g + 1]; p < end; p++) {
        const id = this.postings[p];
        if (id >= hi) break;
        hits[id]++;
      }
    }
    const m = new Matcher(wanted);
    const found: SpellingMatch[] = [];
    try {
      for (let d = 1; d <= max && found.length < limit; d++) {
        // Within d edits a name keeps all but 3d of the distinct bigrams; where that says nothing
        // (short names), every name of a possible length is looked at.
        const need = Math.max(0, lists.length - 3 * d);
        for (let id = idsOfLength(wanted.length - d), end = idsOfLength(wanted.length + d + 1); id < end; id++) {
          if (hits[id] < need || hits[id] === MATCHED) continue;
          const name = this.names[id];
          const distance = m.within(name, d);
          if (distance === undefined) continue;
          hits[id] = MATCHED;
          if (accept(name)) found.push({ name, distance });
        }
      }
    } finally {
      hits.fill(0, lo, hi);
    }
    return ranked(wanted, found, limit);
  }

  /** First position in postings[from, to) holding an id ≥ id. */
  private lowerBound(from: number, to: number, id: number): number {
    let a = from;
    let b = to;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (this.postings[mid] < id) a = mid + 1;
      else b = mid;
    }
    return a;
  }
}
