// The C and CO-RE models of a document built part by part, each part reused across versions when
// its text did not change (issue 14: a 30,000-line document rebuilt both models on every edit).
//
// A part is a run of top-level declarations from a line start: the cuts are taken between the
// children of the tree-sitter root, at the first line start after one child ends. A part's model
// is keyed by its text; found again in a later version (anywhere in the document), it is shifted
// by the line and offset deltas instead of rebuilt. What a part's model needs from the rest of the
// document is added when the parts are put together (cModel.ts assembleCModel, coreAccess.ts
// assembleCoreModel). A part is reused only when it can be built alone with the same result:
// - its tree is free of errors (error recovery may depend on the text around it), or its model
//   does not come from the tree (a C part without handler bodies);
// - its scans stayed inside it (buildCPart / buildCorePart say when they did not: the part is then
//   joined to its neighbour and built again);
// - its reads did not look at the text before it (buildCorePart's readsBefore).
// The result is the model a build of the whole text gives (test/unit/syntax/parts.test.ts applies
// random edits to real files and compares).

import { assembleCModel, buildCModel, buildCPart, lex, LineMap, sectionMacros, type CModel, type CPart, type Range, type SectionResolver } from './cModel';
import { assembleCoreModel, buildCorePart, loaderOptions, reviseAccesses, type CoreModel, type CorePart, type Scope } from './coreAccess';
import type { Tree } from './parser';
import { commonEnds } from './textEnds';
import { ownCopy, unpinStrings } from '../model/ownStrings';

/** A candidate part: text[from, to), `clean` when the tree holds no error there. */
export interface Span {
  from: number;
  to: number;
  clean: boolean;
}

/** The candidate parts of a text from its tree: cuts between the root's children, each at the
 *  first line start after the previous child; together they cover the whole text. */
export function topLevelSpans(text: string, tree: Tree): Span[] {
  const spans: Span[] = [];
  const errors = tree.rootNode.hasError;
  let from = 0;
  let clean = true;
  let prevEnd = -1;
  const cursor = tree.walk();
  try {
    if (cursor.gotoFirstChild()) {
      do {
        const start = cursor.startIndex;
        if (prevEnd >= 0) {
          const cut = prevEnd === 0 || text.charCodeAt(prevEnd - 1) === 10 ? prevEnd : text.indexOf('\n', prevEnd) + 1;
          if (cut > from && cut <= start) {
            spans.push({ from, to: cut, clean });
            from = cut;
            clean = true;
          }
        }
        if (errors && cursor.currentNode.hasError) clean = false;
        prevEnd = Math.max(prevEnd, cursor.endIndex);
      } while (cursor.gotoNextSibling());
    }
  } finally {
    cursor.delete();
  }
  spans.push({ from, to: text.length, clean });
  return spans;
}

interface Entry<P> {
  /** The part's text (its own copy). */
  key: string;
  part: P;
  /** Where the part was when it was built. */
  from: number;
  line: number;
  /** Built without the tree (kept where the tree has errors). */
  treeless: boolean;
}

/** What one document keeps between versions: the parts of its last build, by text. */
export class PartCache {
  c = new Map<string, Entry<CPart>>();
  core = new Map<string, Entry<CorePart>>();
  /** The loader options the CO-RE parts were judged with (loaderOptions of the whole text). */
  coreOptions = '';
  /** Of the last build (C or CO-RE): parts built, and parts taken from the previous build. */
  built = 0;
  reused = 0;
  /** The texts the C and CO-RE parts were last built from. */
  cText?: string;
  coreText?: string;
  /** The spans of the last tree asked about (both models of a version cut the same way). */
  private last?: { text: string; tree: Tree; spans: Span[] };
  private lastEnds?: { before: string; text: string; same: Unchanged };

  /** Where `text` is the same as `before` (undefined: no build before). */
  unchanged(before: string | undefined, text: string): Unchanged | undefined {
    if (before === undefined) return undefined;
    if (this.lastEnds?.before !== before || this.lastEnds.text !== text) {
      const { prefix, suffix } = commonEnds(before, text);
      this.lastEnds = { before, text, same: { prefix, suffix, delta: text.length - before.length } };
    }
    return this.lastEnds.same;
  }

  spans(text: string, tree: Tree): Span[] {
    if (this.last?.tree !== tree || this.last.text !== text) this.last = { text, tree, spans: topLevelSpans(text, tree) };
    return this.last.spans;
  }
}

/** The unchanged ends of a text against the one the previous parts were built from: text[0,
 *  prefix) and text[length - suffix, length) are as they were, the latter `delta` further on. */
export interface Unchanged {
  prefix: number;
  suffix: number;
  delta: number;
}

/** What building one part gave. */
interface Built<P> {
  /** Undefined: the part ends inside a declaration; join it to the next part. */
  part: P | undefined;
  /** A scan read before the part: join it to the previous part. */
  before?: boolean;
  /** A scan read past the part's end: join it to the next part. */
  after?: boolean;
  /** The result depends on the text before the part: build it again next time. */
  volatile?: boolean;
  /** The result does not depend on the tree: it may be kept even where the tree has errors. */
  treeless?: boolean;
}

/** The parts of a text in order, from the previous build where the text is the same. `next`
 *  receives what the following version may reuse. */
function buildParts<P>(text: string, spans: readonly Span[], lines: LineMap, previous: ReadonlyMap<string, Entry<P>>, next: Map<string, Entry<P>>,
  build: (from: number, to: number) => Built<P>, shift: (part: P, offset: number, lines: number) => P, counts: PartCache, same?: Unchanged): P[] {
  counts.built = 0;
  counts.reused = 0;
  // A span inside the unchanged ends holds the text of the entry built where it was: found by
  // place, without slicing and hashing its text (~600 KB a version for a 30,000-line document).
  let byPlace: Map<number, Entry<P>> | undefined;
  const atPlace = (from: number, to: number): Entry<P> | undefined => {
    if (!same) return undefined;
    const was = to <= same.prefix ? from : from >= text.length - same.suffix ? from - same.delta : -1;
    if (was < 0) return undefined;
    byPlace ??= new Map([...previous.values()].map((e) => [e.from, e]));
    const e = byPlace.get(was);
    return e && e.key.length === to - from ? e : undefined;
  };
  const out: { part: P; from: number; clean: boolean }[] = [];
  for (let i = 0; i < spans.length; i++) {
    let from = spans[i].from;
    let clean = spans[i].clean;
    for (;;) {
      const to = spans[i].to;
      const placed = atPlace(from, to);
      const key = placed ? placed.key : text.slice(from, to);
      const line = lines.positionAt(from).line;
      const hit = placed ?? previous.get(key);
      if (hit && (clean || hit.treeless)) {
        const part = from === hit.from && line === hit.line ? hit.part : shift(hit.part, from - hit.from, line - hit.line);
        next.set(hit.key, { ...hit, part, from, line });
        counts.reused++;
        out.push({ part, from, clean });
        break;
      }
      const built = build(from, to);
      counts.built++;
      if (built.before && out.length) {
        const prev = out.pop()!;
        from = prev.from;
        clean &&= prev.clean;
        continue;
      }
      if ((built.after || !built.part) && i + 1 < spans.length) {
        i++;
        clean &&= spans[i].clean;
        continue;
      }
      // The last span takes what is left: nothing past it can be missing. Its strings get their
      // own copies whether or not the part is kept here: the analysis caches keep what its
      // programs say (verdicts, diagnostics) beyond this version.
      const part = unpinStrings(built.part!);
      if ((clean || built.treeless) && !built.before && !built.after && !built.volatile) {
        const own = ownCopy(key);
        next.set(own, { key: own, part, from, line, treeless: !!built.treeless });
      }
      out.push({ part, from, clean });
      break;
    }
  }
  return out.map((p) => p.part);
}

/** The C model of a document, reusing the parts of the previous build. Falls back to a whole build
 *  when a `#define` of the file or of its headers builds SEC() strings (their programs are
 *  wherever the macro is used). */
export function buildCModelByParts(text: string, tree: Tree, resolve: SectionResolver, headers: readonly string[], lines: LineMap, cache: PartCache): CModel {
  if (headers.some((h) => sectionMacros(lex(h).directives).length)) return buildCModel(text, tree, resolve, headers, lines);
  const next = new Map<string, Entry<CPart>>();
  const parts = buildParts(text, cache.spans(text, tree), lines, cache.c, next, (from, to) => {
    const { part, edge } = buildCPart(text, from, to, tree, resolve, lines);
    // Only handler bodies are read from the tree (ctx accesses).
    return { part, before: edge.before, after: edge.after, treeless: part.programs.every((p) => !p.bodyRange) };
  }, shiftCPart, cache, cache.unchanged(cache.cText, text));
  cache.c = next;
  cache.cText = text;
  if (parts.some((p) => p.sectionMacros)) return buildCModel(text, tree, resolve, headers, lines);
  return assembleCModel(parts);
}

/** The CO-RE model of a document, reusing the parts of the previous build. */
export function buildCoreModelByParts(text: string, tree: Tree, lines: LineMap, cache: PartCache): CoreModel {
  const options = loaderOptions(text);
  const optionsKey = [...options].join(' ');
  const previous = cache.coreOptions === optionsKey ? cache.core : new Map<string, Entry<CorePart>>();
  const next = new Map<string, Entry<CorePart>>();
  const parts = buildParts(text, cache.spans(text, tree), lines, previous, next, (from, to) => {
    const part = buildCorePart(text, from, to, tree, lines, options);
    return { part, volatile: part?.readsBefore };
  }, shiftCorePart, cache, cache.unchanged(cache.coreText, text));
  cache.core = next;
  cache.coreText = text;
  cache.coreOptions = optionsKey;
  return assembleCoreModel(text, lines, parts, options);
}

// ---------------------------------------------------------------- moving a part

function shiftRange(r: Range, by: number): Range {
  return { start: { line: r.start.line + by, character: r.start.character }, end: { line: r.end.line + by, character: r.end.character } };
}

/** A copy of a model value with every position `by` lines further (characters stay: parts start
 *  at line starts). Sets and maps hold no positions here and are shared, and so are empty arrays.
 *  (Runs over every program after an inserted line: kept to plain loops.) */
function shiftLines<T>(value: T, by: number): T {
  if (typeof value !== 'object' || value === null || value instanceof Set || value instanceof Map) return value;
  if (Array.isArray(value)) {
    if (!value.length) return value;
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = shiftLines(value[i], by);
    return out as T;
  }
  const v = value as Record<string, unknown>;
  if (typeof v.line === 'number' && typeof v.character === 'number') return { line: v.line + by, character: v.character } as T;
  const out: Record<string, unknown> = {};
  for (const k in v) out[k] = shiftLines(v[k], by);
  return out as T;
}

/** A C part `lines` further down. Its offsets (programStarts, directives) are only compared with
 *  each other (assembleCModel) and stay as they are. */
function shiftCPart(part: CPart, _offset: number, lines: number): CPart {
  if (!lines) return part;
  return {
    ...part,
    assembled: undefined,
    programs: shiftLines(part.programs, lines), data: shiftLines(part.data, lines), helperCalls: shiftLines(part.helperCalls, lines),
    suppressions: shiftLines(part.suppressions, lines),
  };
}

function shiftScope(s: Scope, offset: number): Scope {
  return { ...s, start: s.start + offset, end: s.end + offset };
}

/** A CO-RE part moved by `offset` characters and `lines` lines: what the model shows is copied
 *  (accesses, scopes, local types' ranges), the rest takes the offset in `delta`. */
function shiftCorePart(part: CorePart, offset: number, lines: number): CorePart {
  const copies = new Map();
  const shift = { offset, lines };
  const accesses = reviseAccesses(part.accesses, () => undefined, shift, copies);
  const made = part.made.map((m) => ({ ...m, access: reviseAccesses([m.access], () => undefined, shift, copies)[0] }));
  const types = (list: CorePart['structs']) => lines ? list.map((t) => ({ ...t, type: { ...t.type, range: shiftRange(t.type.range, lines) } })) : list;
  return {
    ...part,
    accesses,
    scopes: part.scopes.map((s) => shiftScope(s, offset)),
    delta: part.delta + offset,
    made,
    structs: types(part.structs),
    unions: types(part.unions),
  };
}
