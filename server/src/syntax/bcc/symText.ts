// Symbolic strings: the value of a Python string as far as the file fixes it. A string is a list of
// pieces: literal text (each character mapped to where it is written in the document), unknown
// text (an f-string interpolation, a `%s` filled at run time), the kernel's syscall prefix
// (`get_syscall_prefix()`), and choices (`if ...: text += A else: text += B`), each alternative with
// the conditions under which it is taken. BCC tools build their C program this way; the same
// values name their attach targets.
//
// Branches are merged piece by piece (a longest common subsequence over pieces), so the C text
// after `if pid: text = text.replace('FILTER', A) else: text = text.replace('FILTER', B)` is the
// text once with a one-line choice where FILTER was, not the whole program twice.

import type { BccCondition } from './types';

export interface LitPiece {
  k: 'lit';
  text: string;
  /** Document offset of each character, plus the end (length text.length + 1). */
  offsets: readonly number[];
}

export interface UnknownPiece {
  k: 'unknown';
  /** What stands for it in rendered C text (an identifier-like run, or nothing). */
  text: string;
  /** Document range of what produced it. */
  from: number;
  to: number;
}

export interface SyscallPiece {
  k: 'syscall';
  from: number;
  to: number;
}

export interface ChoiceAlt {
  pieces: Piece[];
  conds: BccCondition[];
}

export interface ChoicePiece {
  k: 'choice';
  /** Shared by the choices derived from one another (by replace or format), so branches that
   *  transformed the same choice differently are merged alternative by alternative. */
  origin: number;
  alts: ChoiceAlt[];
  /** The merge that made it, so a chain of branches adds to one choice. */
  mergeId?: number;
}

export type Piece = LitPiece | UnknownPiece | SyscallPiece | ChoicePiece;
export type Str = readonly Piece[];

/** Creates choice and merge ids; one per model build (no module state). */
export class IdSource {
  private next = 1;
  id(): number { return this.next++; }
}

/** How the rendered C text spells the syscall prefix (any identifier works; the span is kept). */
export const SYSCALL_PREFIX_TEXT = 'sys_';

export function lit(text: string, offsets: readonly number[]): LitPiece {
  return { k: 'lit', text, offsets };
}

function sliceLit(p: LitPiece, start: number, end: number): LitPiece {
  return { k: 'lit', text: p.text.slice(start, end), offsets: p.offsets.slice(start, end + 1) };
}

function key(p: Piece): string {
  switch (p.k) {
    case 'lit': return `L${p.offsets[0]}:${p.offsets[p.text.length]}:${p.text}`;
    case 'unknown': return `U${p.from}:${p.to}:${p.text}`;
    case 'syscall': return `S${p.from}`;
    case 'choice': return `C${p.origin}`;
  }
}

/** The number of pieces a string stands for, choices unfolded (their alternatives summed). Shared
 *  choices are measured once (`memo`), so a string doubled forty times is measured quickly. */
export function strSize(s: Str, memo: WeakMap<ChoicePiece, number> = new WeakMap()): number {
  let n = 0;
  for (const p of s) {
    if (p.k !== 'choice') { n += p.k === 'lit' ? 1 + (p.text.length >> 6) : 1; continue; }
    let m = memo.get(p);
    if (m === undefined) {
      m = 1;
      for (const a of p.alts) { m += strSize(a.pieces, memo); if (m > 1e9) break; }
      memo.set(p, m);
    }
    n += m;
    if (n > 1e9) return n;
  }
  return n;
}

// ---------------------------------------------------------------- text transforms

/** `s.replace(old, rep)` on every literal piece (inside choices too). A match across two pieces is
 *  not seen (bcc placeholders are identifiers written inside one literal). */
export function replaceStr(s: Str, old: string, rep: Str, ids: IdSource): Piece[] {
  if (!old) return [...s];
  const out: Piece[] = [];
  for (const p of s) {
    if (p.k === 'lit') {
      let from = 0;
      for (let at = p.text.indexOf(old); at >= 0; at = p.text.indexOf(old, from)) {
        if (at > from) out.push(sliceLit(p, from, at));
        out.push(...rep);
        from = at + old.length;
      }
      if (from === 0) out.push(p);
      else if (from < p.text.length) out.push(sliceLit(p, from, p.text.length));
    } else if (p.k === 'choice') {
      out.push(mapChoice(p, (alt) => replaceStr(alt, old, rep, ids)));
    } else {
      out.push(p);
    }
  }
  void ids;
  return out;
}

function mapChoice(c: ChoicePiece, f: (pieces: Str) => Piece[]): ChoicePiece {
  return { k: 'choice', origin: c.origin, alts: c.alts.map((a) => ({ pieces: f(a.pieces), conds: a.conds })) };
}

/** The literal text of a string when it has no unknown, syscall or choice piece. */
export function constText(s: Str): string | undefined {
  let out = '';
  for (const p of s) {
    if (p.k !== 'lit') return undefined;
    out += p.text;
  }
  return out;
}

/** A %-conversion of Python's printf-style formatting. */
const CONVERSION = /%(?:\(([^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([diouxXeEfFgGcrsab%])/g;

/** Supplies the string form of format arguments: positional by index or by mapping key. */
export interface FormatArgs {
  positional(index: number): Str | undefined;
  named(name: string): Str | undefined;
}

/** `s % args`: literal pieces with their conversions filled where the argument is known, unknown
 *  pieces where not; `%%` is one `%`. */
export function formatStr(s: Str, args: FormatArgs, unknownAt: { from: number; to: number }): Piece[] {
  let index = 0;
  const fmt = (pieces: Str): Piece[] => {
    const out: Piece[] = [];
    for (const p of pieces) {
      if (p.k === 'choice') {
        const start = index;
        let end = index;
        out.push(mapChoice(p, (alt) => { index = start; const r = fmt(alt); end = Math.max(end, index); return r; }));
        index = end;
        continue;
      }
      if (p.k !== 'lit') { out.push(p); continue; }
      let from = 0;
      CONVERSION.lastIndex = 0;
      for (let m = CONVERSION.exec(p.text); m; m = CONVERSION.exec(p.text)) {
        if (m.index > from) out.push(sliceLit(p, from, m.index));
        from = m.index + m[0].length;
        if (m[2] === '%') {
          out.push(sliceLit(p, m.index, m.index + 1));
          continue;
        }
        const value = m[1] !== undefined ? args.named(m[1]) : args.positional(index++);
        if (value) out.push(...value);
        else out.push({ k: 'unknown', text: '_'.repeat(Math.max(1, m[0].length)), from: p.offsets[m.index], to: p.offsets[from] });
      }
      if (from === 0) out.push(p);
      else if (from < p.text.length) out.push(sliceLit(p, from, p.text.length));
    }
    return out;
  };
  void unknownAt;
  return fmt(s);
}

// ---------------------------------------------------------------- merging branches

/** Merges the values a string has at the end of each branch of an `if` into one string with
 *  choices where they differ. `branches[i].conds` are the conditions of branch i. */
export function mergeStrs(branches: readonly { s: Str; conds: BccCondition[] }[], ids: IdSource, anyOf: (lists: BccCondition[][]) => BccCondition[]): Piece[] {
  if (!branches.length) return [];
  const mergeId = ids.id();
  let acc: Piece[] = [...branches[0].s];
  const seen: BccCondition[][] = [branches[0].conds];
  for (let b = 1; b < branches.length; b++) {
    acc = merge2(acc, branches[b].s, anyOf(seen), branches[b].conds, mergeId, ids, anyOf);
    seen.push(branches[b].conds);
  }
  return acc;
}

const LCS_CELLS = 400_000;

/** Splits the literal pieces of both lists at every place where a literal piece of either begins
 *  or ends, so that a literal replaced in one branch and whole in the other lines up around the
 *  replaced part (`FILTER` in one, its replacement in the other) instead of differing as a whole. */
function refine(a: Str, b: Str): [Str, Str] {
  const cuts = new Set<number>();
  for (const p of [...a, ...b]) {
    if (p.k !== 'lit' || !p.text.length) continue;
    cuts.add(p.offsets[0]);
    cuts.add(p.offsets[p.text.length]);
  }
  const split = (list: Str): Str => {
    let changed = false;
    const out: Piece[] = [];
    for (const p of list) {
      if (p.k !== 'lit' || p.text.length < 2) { out.push(p); continue; }
      let from = 0;
      for (let k = 1; k < p.text.length; k++) {
        if (cuts.has(p.offsets[k]) && p.offsets[k] !== p.offsets[k - 1]) {
          out.push(sliceLit(p, from, k));
          from = k;
          changed = true;
        }
      }
      out.push(from ? sliceLit(p, from, p.text.length) : p);
    }
    return changed ? out : list;
  };
  return [split(a), split(b)];
}

function merge2(a: Str, b: Str, ca: BccCondition[], cb: BccCondition[], mergeId: number, ids: IdSource,
  anyOf: (lists: BccCondition[][]) => BccCondition[]): Piece[] {
  if (a === b) return [...a];
  [a, b] = refine(a, b);
  const ka = a.map(key);
  const kb = b.map(key);
  // Pairs of indexes that line up: the longest common subsequence of piece keys (common prefix and
  // suffix only when the table would be too large).
  const pairs: [number, number][] = [];
  let pre = 0;
  while (pre < a.length && pre < b.length && ka[pre] === kb[pre]) { pairs.push([pre, pre]); pre++; }
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && ka[a.length - 1 - suf] === kb[b.length - 1 - suf]) suf++;
  const n = a.length - pre - suf;
  const m = b.length - pre - suf;
  if (n > 0 && m > 0 && n * m <= LCS_CELLS) {
    const w = m + 1;
    const dp = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        dp[i * w + j] = ka[pre + i] === kb[pre + j] ? dp[(i + 1) * w + j + 1] + 1 : Math.max(dp[(i + 1) * w + j], dp[i * w + j + 1]);
      }
    }
    let i = 0, j = 0;
    while (i < n && j < m) {
      if (ka[pre + i] === kb[pre + j]) { pairs.push([pre + i, pre + j]); i++; j++; }
      else if (dp[(i + 1) * w + j] >= dp[i * w + j + 1]) i++;
      else j++;
    }
  }
  for (let k = suf; k > 0; k--) pairs.push([a.length - k, b.length - k]);
  const out: Piece[] = [];
  let ia = 0, ib = 0;
  const gap = (ea: number, eb: number) => {
    const ga = a.slice(ia, ea);
    const gb = b.slice(ib, eb);
    if (!ga.length && !gb.length) return;
    const only = ga.length === 1 ? ga[0] : undefined;
    if (only && only.k === 'choice' && only.mergeId === mergeId) {
      out.push({ ...only, alts: [...only.alts, { pieces: gb, conds: cb }] });
    } else {
      out.push({ k: 'choice', origin: ids.id(), mergeId, alts: [{ pieces: ga, conds: ca }, { pieces: gb, conds: cb }] });
    }
  };
  for (const [pa, pb] of pairs) {
    gap(pa, pb);
    const x = a[pa];
    const y = b[pb];
    if (x.k === 'choice' && y.k === 'choice' && x !== y && x.alts.length === y.alts.length) {
      out.push({ k: 'choice', origin: x.origin, alts: x.alts.map((alt, q) => ({
        pieces: merge2(alt.pieces, y.alts[q].pieces, ca, cb, ids.id(), ids, anyOf), conds: alt.conds })) });
    } else {
      out.push(x);
    }
    ia = pa + 1;
    ib = pb + 1;
  }
  gap(a.length, b.length);
  return out;
}

// ---------------------------------------------------------------- concrete alternatives

/** One way the string can come out: its pieces without choices and the conditions of the
 *  alternatives taken. */
export interface Expansion {
  pieces: Piece[];
  conds: BccCondition[];
}

/** Every way the string can come out, up to `limit` (the rest are dropped: `truncated`). */
export function expand(s: Str, limit = 64): { expansions: Expansion[]; truncated: boolean } {
  let acc: Expansion[] = [{ pieces: [], conds: [] }];
  let truncated = false;
  for (const p of s) {
    if (p.k !== 'choice') {
      for (const e of acc) e.pieces.push(p);
      continue;
    }
    const next: Expansion[] = [];
    for (const e of acc) {
      for (const alt of p.alts) {
        const sub = expand(alt.pieces, limit);
        if (sub.truncated) truncated = true;
        for (const x of sub.expansions) {
          if (next.length >= limit) { truncated = true; break; }
          next.push({ pieces: [...e.pieces, ...x.pieces], conds: [...e.conds, ...alt.conds, ...x.conds] });
        }
      }
    }
    acc = next;
  }
  return { expansions: acc, truncated };
}

/** The plain text of pieces without choices (unknown pieces as their stand-in). */
export function flatText(pieces: Str): string {
  return pieces.map((p) => p.k === 'lit' || p.k === 'unknown' ? p.text : p.k === 'syscall' ? SYSCALL_PREFIX_TEXT : '').join('');
}

/** A contiguous document range that holds exactly these pieces' literal text (one literal, no
 *  escapes changing lengths in between), if there is one. */
export function writtenRange(pieces: Str): { from: number; to: number } | undefined {
  const lits = pieces.filter((p): p is LitPiece => p.k === 'lit' && p.text.length > 0);
  if (!lits.length || lits.length !== pieces.filter((p) => !(p.k === 'lit' && p.text.length === 0)).length) return undefined;
  const from = lits[0].offsets[0];
  const to = lits[lits.length - 1].offsets[lits[lits.length - 1].text.length];
  for (let k = 1; k < lits.length; k++) {
    if (lits[k].offsets[0] !== lits[k - 1].offsets[lits[k - 1].text.length]) return undefined;
  }
  return { from, to };
}

// ---------------------------------------------------------------- rendering C text

/** The C text of a string, as the C scanner reads it, with the maps back to the document. */
export interface Rendered {
  text: string;
  /** Document offset where each C character is written, plus one entry for the end of the text. */
  toDoc: Int32Array;
  /** Document offset just after each C character (after its whole escape sequence). */
  toDocEnd: Int32Array;
  /** Spans present only under conditions (a multi-line choice renders every alternative). */
  condSpans: { start: number; end: number; conds: BccCondition[] }[];
  /** Spans where a one-line choice stands: the text holds its first alternative; `alts` lists
   *  every alternative's text with its conditions. */
  choiceSpans: { start: number; end: number; alts: { text: string; syscall: boolean; conds: BccCondition[]; range?: { from: number; to: number } }[] }[];
  /** Unknown pieces and syscall prefixes as rendered. */
  unknownSpans: { start: number; end: number }[];
  syscallSpans: { start: number; end: number }[];
  /** Literal runs: [cStart, cEnd) holds document offsets `offsets` (for document → C). */
  runs: { start: number; end: number; offsets: readonly number[] }[];
}

/** The C text chars[start, end) leaves a block comment open (strings and line comments skipped). */
function endsInComment(chars: readonly string[], start: number, end: number): boolean {
  let inBlock = false;
  for (let k = start; k < end; k++) {
    const c = chars[k];
    if (inBlock) { if (c === '*' && chars[k + 1] === '/') { inBlock = false; k++; } continue; }
    if (c === '/' && chars[k + 1] === '*') { inBlock = true; k++; continue; }
    if (c === '/' && chars[k + 1] === '/') { while (k < end && chars[k] !== '\n') k++; continue; }
    if (c === '"' || c === "'") { for (k++; k < end && chars[k] !== c && chars[k] !== '\n'; k++) if (chars[k] === '\\') k++; }
  }
  return inBlock;
}

function isMultiLine(alts: readonly ChoiceAlt[]): boolean {
  const has = (pieces: Str): boolean => pieces.some((p) => (p.k === 'lit' && p.text.includes('\n')) || (p.k === 'choice' && p.alts.some((a) => has(a.pieces))));
  return alts.some((a) => has(a.pieces));
}

/** Renders a string as C text, up to `maxChars` characters. */
export function render(s: Str, maxChars: number): Rendered {
  const chars: string[] = [];
  const toDoc: number[] = [];
  const toDocEnd: number[] = [];
  const out: Rendered = { text: '', toDoc: new Int32Array(0), toDocEnd: new Int32Array(0), condSpans: [], choiceSpans: [], unknownSpans: [], syscallSpans: [], runs: [] };
  let length = 0;
  let lastEnd = 0;
  const emit = (text: string, doc: (k: number) => number, docEnd: (k: number) => number) => {
    for (let k = 0; k < text.length && length < maxChars; k++) {
      chars.push(text[k]);
      toDoc.push(doc(k));
      lastEnd = docEnd(k);
      toDocEnd.push(lastEnd);
      length++;
    }
  };
  const walk = (pieces: Str) => {
    for (const p of pieces) {
      if (length >= maxChars) return;
      const start = length;
      switch (p.k) {
        case 'lit':
          emit(p.text, (k) => p.offsets[k], (k) => p.offsets[k + 1]);
          if (length > start) out.runs.push({ start, end: length, offsets: p.offsets.slice(0, length - start + 1) });
          break;
        case 'unknown':
          emit(p.text, () => p.from, () => p.to);
          out.unknownSpans.push({ start, end: length });
          break;
        case 'syscall':
          emit(SYSCALL_PREFIX_TEXT, () => p.from, () => p.to);
          out.syscallSpans.push({ start, end: length });
          break;
        case 'choice':
          if (isMultiLine(p.alts)) {
            for (const alt of p.alts) {
              const altStart = length;
              walk(alt.pieces);
              // Each alternative stands alone in C: one that ends inside a block comment (its
              // `*/` was in text the file does not fix) must not swallow the ones after it.
              if (endsInComment(chars, altStart, length)) emit(' */', () => lastEnd, () => lastEnd);
              if (length > altStart) out.condSpans.push({ start: altStart, end: length, conds: alt.conds });
            }
          } else {
            const first = p.alts.find((a) => flatText(expand(a.pieces, 1).expansions[0]?.pieces ?? []).length > 0) ?? p.alts[0];
            if (first) walk(first.pieces);
            const alts = p.alts.flatMap((a) => expand(a.pieces, 16).expansions.map((e) => ({
              text: flatText(e.pieces), syscall: e.pieces.some((x) => x.k === 'syscall'), conds: [...a.conds, ...e.conds],
              range: writtenRange(e.pieces.filter((x) => x.k !== 'syscall')) })));
            out.choiceSpans.push({ start, end: length, alts });
          }
          break;
      }
    }
  };
  walk(s);
  toDoc.push(lastEnd);
  out.text = chars.join('');
  out.toDoc = Int32Array.from(toDoc);
  out.toDocEnd = Int32Array.from(toDocEnd);
  return out;
}
