// Strings of a document's text that outlive its version. V8 keeps a slice of a long string
// (tree-sitter's node.text, text.slice) as a view that holds the whole string: a part model, a
// body scan or a cache key kept across versions held the whole text of the version it was read
// from (a 30,000-line document kept ~50 old versions, 30 MB, after 30 body edits: heap snapshot),
// and every full collection had them to mark. What is kept gets its own copy.

/** A string of its own: V8 keeps a slice of a long string as a view that holds the whole string,
 *  and a kept part would hold the whole text of the version it was built from. */
export function ownCopy(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

/** Replaces, in place, the strings of a freshly built part with their own copies (see ownCopy). */
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
