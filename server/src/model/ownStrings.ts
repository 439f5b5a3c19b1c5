// Strings that outlive what they were made from. V8 keeps a slice of a long string (tree-sitter's
// node.text, text.slice) as a view that holds the whole string: a part model, a body scan or a
// cache key kept across versions held the whole text of the version it was read from (a
// 30,000-line document kept ~50 old versions, 30 MB, after 30 body edits: heap snapshot). And a
// string built by `+` or a template is a tree of pieces, one heap object each, until something
// flattens it: the messages of the verdicts kept for 1,000 programs over 30 kernels were ~570,000
// such objects for every full collection to mark. What is kept gets its own flat copy.

/** A flat string of its own (a view of nothing else, not a tree of pieces). Short strings are
 *  copied by V8 already. */
export function ownCopy(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

/** Replaces, in place, the strings of plain data (objects, arrays, sets, maps: a freshly built
 *  part, a body scan) with their own copies (see ownCopy). */
export function unpinStrings<T>(value: T): T {
  const seen = new Set<object>();
  const visit = (v: unknown): unknown => {
    if (typeof v === 'string') return ownCopy(v);
    if (!v || typeof v !== 'object' || seen.has(v)) return v;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = visit(v[i]);
    } else if (v instanceof Set) {
      const items = [...v];
      v.clear();
      for (const x of items) v.add(visit(x));
    } else if (v instanceof Map) {
      const entries = [...v];
      v.clear();
      for (const [k, x] of entries) v.set(visit(k), visit(x));
    } else {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) o[k] = visit(o[k]);
    }
    return v;
  };
  visit(value);
  return value;
}
