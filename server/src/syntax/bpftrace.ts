// The bpftrace document model: a tolerant, hand-written scanner of bpftrace scripts that finds what
// the editor features need (probe lists with their kinds and targets, predicates, action blocks and
// the `args`/`retval`/`argN` uses inside them) with exact ranges. It never throws: unknown or broken
// text becomes a `BtError` and scanning resumes at the next probe block. It knows nothing of the
// atlas or LSP beyond plain line/character positions.

import { BT_PROBE_TYPES, probeTypeInfo, type BtProbeKind } from '../model/programKinds';

export type { BtProbeKind };

export interface BtPosition {
  line: number;
  character: number;
}

export interface BtRange {
  start: BtPosition;
  end: BtPosition;
}

/** A use of `args.field` / `args->field` (or `args[...]`, with field ''). */
export interface BtArgUse {
  field: string;
  accessor: '.' | '->';
  /** Range of the field name (empty range right after the accessor when the name is missing). */
  range: BtRange;
  /** Range of `args` through the field name. */
  fullRange: BtRange;
}

export interface BtProbe {
  kind: BtProbeKind;
  /** Type as written (`k`, `kfunc`, `tracepoint`), '' when the probe has no type prefix. */
  typeText: string;
  /** The whole probe text as written. */
  raw: string;
  /** Text after `type:`, split on ':' outside quotes (quotes removed). */
  parts: string[];
  system?: string;
  event?: string;
  function?: string;
  module?: string;
  /** `+0x10` offset, without the '+'. */
  offset?: string;
  /** uprobe/usdt binary path. */
  binary?: string;
  /** The name being probed (function, event) contains `*` or a `{a,b}` group. */
  wildcard: boolean;
  range: BtRange;
  typeRange: BtRange;
  /** Range of everything after `type:` (empty after the colon when nothing follows). */
  targetRange: BtRange;
  /** Range of the name being probed (function or event); undefined when there is none. */
  nameRange?: BtRange;
  /** Range of the tracepoint system. */
  systemRange?: BtRange;
  /** Index of the block this probe belongs to in `BtModel.blocks`. */
  block: number;
  /** `args` fields used in the action block (shared by every probe of a comma list). */
  argsUsed: BtArgUse[];
}

export interface BtBlock {
  probes: BtProbe[];
  /** Range of the whole item: first probe through closing brace. */
  range: BtRange;
  predicate?: { text: string; range: BtRange };
  /** Offsets of `{` and of the matching `}` (or end of text when unclosed). */
  bodyStart: number;
  bodyEnd: number;
  bodyRange: BtRange;
  closed: boolean;
  argsUses: BtArgUse[];
  retvalUses: BtRange[];
  /** `arg0`, `arg1` ... uses. */
  argNUses: { index: number; range: BtRange }[];
}

export interface BtComment {
  text: string;
  range: BtRange;
  line: boolean;
}

export interface BtDirective {
  /** `include`, `define` ... */
  name: string;
  text: string;
  range: BtRange;
}

/** Top-level items that are not probes: struct/enum definitions, config blocks, fn/macro, import. */
export interface BtOtherItem {
  keyword: string;
  range: BtRange;
}

export interface BtError {
  message: string;
  range: BtRange;
}

export interface BtModel {
  text: string;
  shebang?: { text: string; range: BtRange };
  blocks: BtBlock[];
  /** All probes of all blocks, in text order. */
  probes: BtProbe[];
  comments: BtComment[];
  directives: BtDirective[];
  others: BtOtherItem[];
  errors: BtError[];
  /** Offset of the start of each line. */
  lineStarts: number[];
}

// ---- position helpers ----

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

/** Offset → position in a model's text. */
export function positionAt(model: Pick<BtModel, 'lineStarts' | 'text'>, offset: number): BtPosition {
  const o = Math.max(0, Math.min(offset, model.text.length));
  const starts = model.lineStarts;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= o) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: o - starts[lo] };
}

/** Position → offset in a model's text (clamped to the line and the text). */
export function offsetAt(model: Pick<BtModel, 'lineStarts' | 'text'>, pos: BtPosition): number {
  const starts = model.lineStarts;
  if (pos.line < 0) return 0;
  if (pos.line >= starts.length) return model.text.length;
  const lineStart = starts[pos.line];
  const lineEnd = pos.line + 1 < starts.length ? starts[pos.line + 1] : model.text.length;
  return Math.max(lineStart, Math.min(lineStart + Math.max(0, pos.character), lineEnd));
}

/** True when `pos` lies within `range` (end inclusive, so a cursor right after a word is inside it). */
export function rangeContains(range: BtRange, pos: BtPosition): boolean {
  const afterStart = pos.line > range.start.line || (pos.line === range.start.line && pos.character >= range.start.character);
  const beforeEnd = pos.line < range.end.line || (pos.line === range.end.line && pos.character <= range.end.character);
  return afterStart && beforeEnd;
}

/** A probe type with its colon at a line start (BEGIN/END stand alone): where a new probe starts. */
const PROBE_KEYWORDS_AT_LINE_START = new RegExp(`^(?:${BT_PROBE_TYPES.filter((t) => t.kind !== 'begin' && t.kind !== 'end').map((t) => t.name).join('|')}):|^(?:BEGIN|END)\\b`);
const NON_PROBE_ITEMS = new Set(['struct', 'union', 'enum', 'config', 'fn', 'macro', 'import', 'let', 'typedef']);
const IDENT_START = /[A-Za-z_]/;
const IDENT = /[A-Za-z0-9_]/;
/** bpftrace's wildcard is `*` only (model/glob.ts); a `{a,b}` group glued to a name is not one
 *  bpftrace knows either, but it is no single name the features could look up. */
const WILDCARD = /\*|\{[^}]*,[^}]*\}/;

/** One ':'-separated part of a probe's target, with its offsets. */
interface Piece { text: string; start: number; end: number }

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

// ---- the scanner ----

class Scanner {
  readonly model: BtModel;
  private pos = 0;

  constructor(readonly text: string) {
    this.model = {
      text, blocks: [], probes: [], comments: [], directives: [], others: [], errors: [],
      lineStarts: computeLineStarts(text),
    };
  }

  private at(o: number): BtPosition {
    return positionAt(this.model, o);
  }

  private range(a: number, b: number): BtRange {
    return { start: this.at(a), end: this.at(b) };
  }

  private error(message: string, a: number, b: number): void {
    this.model.errors.push({ message, range: this.range(a, Math.max(b, a)) });
  }

  run(): BtModel {
    const t = this.text;
    if (t.startsWith('#!')) {
      const eol = this.lineEnd(0);
      this.model.shebang = { text: t.slice(0, eol), range: this.range(0, eol) };
      this.pos = eol;
    }
    while (this.pos < t.length) {
      this.skipTrivia();
      if (this.pos >= t.length) break;
      const c = t[this.pos];
      if (c === '#') {
        this.directive();
      } else if (c === ';') {
        this.pos++;
      } else if (c === '}') {
        this.error("Unmatched '}'", this.pos, this.pos + 1);
        this.pos++;
      } else {
        const word = this.peekWord(this.pos);
        if (NON_PROBE_ITEMS.has(word) && !/^\s*:/.test(t.slice(this.pos + word.length))) this.otherItem(word);
        else this.probeItem();
      }
    }
    return this.model;
  }

  private lineEnd(o: number): number {
    const t = this.text;
    let i = o;
    while (i < t.length && t[i] !== '\n' && t[i] !== '\r') i++;
    return i;
  }

  private peekWord(o: number): string {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(o, o + 64));
    return m ? m[0] : '';
  }

  /** Skips whitespace and comments, recording comments. */
  private skipTrivia(): void {
    const t = this.text;
    for (;;) {
      while (this.pos < t.length && /\s/.test(t[this.pos])) this.pos++;
      if (t.startsWith('//', this.pos)) {
        const e = this.lineEnd(this.pos);
        this.model.comments.push({ text: t.slice(this.pos, e), range: this.range(this.pos, e), line: true });
        this.pos = e;
      } else if (t.startsWith('/*', this.pos)) {
        this.pos = this.blockComment(this.pos);
      } else return;
    }
  }

  private blockComment(o: number): number {
    const t = this.text;
    const close = t.indexOf('*/', o + 2);
    const e = close < 0 ? t.length : close + 2;
    if (close < 0) this.error('Unterminated comment', o, o + 2);
    this.model.comments.push({ text: t.slice(o, e), range: this.range(o, e), line: false });
    return e;
  }

  /** Returns the offset after a string or char literal starting at `o` (handles escapes). */
  private skipQuoted(o: number): number {
    const t = this.text;
    const q = t[o];
    let i = o + 1;
    while (i < t.length) {
      const c = t[i];
      if (c === '\\') { i += 2; continue; }
      if (c === q) return i + 1;
      if (c === '\n') break;
      i++;
    }
    this.error(q === '"' ? 'Unterminated string' : 'Unterminated character literal', o, Math.min(i, t.length));
    return Math.min(i, t.length);
  }

  private directive(): void {
    const t = this.text;
    const start = this.pos;
    let e = this.lineEnd(start);
    while (e > start && t[e - 1] === '\\' && e < t.length) e = this.lineEnd(e + (t[e] === '\r' && t[e + 1] === '\n' ? 2 : 1));
    const m = /^#\s*([A-Za-z_]+)/.exec(t.slice(start, e));
    this.model.directives.push({ name: m ? m[1] : '', text: t.slice(start, e), range: this.range(start, e) });
    this.pos = e;
  }

  /** struct/enum definitions, config = { }, fn/macro definitions, import: skipped as a unit. */
  private otherItem(keyword: string): void {
    const t = this.text;
    const start = this.pos;
    let i = start + keyword.length;
    for (; i < t.length; i++) {
      const c = t[i];
      if (c === '"' || c === "'") { i = this.skipQuoted(i) - 1; continue; }
      if (t.startsWith('//', i)) { i = this.lineEnd(i) - 1; continue; }
      if (t.startsWith('/*', i)) { i = this.blockComment(i) - 1; continue; }
      if (c === ';') { i++; break; }
      if (c === '{') {
        const { end } = this.matchBraces(i);
        i = end;
        while (i < t.length && /[ \t]/.test(t[i])) i++;
        if (t[i] === ';') i++;
        break;
      }
      if (c === '\n' && keyword === 'import') break;
    }
    this.model.others.push({ keyword, range: this.range(start, i) });
    this.pos = Math.max(i, start + 1);
  }

  /** From `{` at `o`, finds the matching `}`; stops early at a line that starts a new probe when
   *  the block is unclosed. Returns the offset after `}` (or where recovery stopped). */
  private matchBraces(o: number): { end: number; close: number; closed: boolean } {
    const t = this.text;
    let depth = 0;
    for (let i = o; i < t.length; i++) {
      const c = t[i];
      if (c === '"' || c === "'") { i = this.skipQuoted(i) - 1; continue; }
      if (c === '/' && t[i + 1] === '/') { const e = this.lineEnd(i); this.model.comments.push({ text: t.slice(i, e), range: this.range(i, e), line: true }); i = e - 1; continue; }
      if (c === '/' && t[i + 1] === '*') { i = this.blockComment(i) - 1; continue; }
      if (c === '{') depth++;
      else if (c === '}') {
        depth--;
        if (depth === 0) return { end: i + 1, close: i, closed: true };
      } else if ((c === '\n' || c === '\r') && depth > 0 && i + 1 < t.length && isLetter(t.charCodeAt(i + 1))) {
        // Only a line starting with a letter at column 0 can start a probe (bodies are indented).
        const rest = t.slice(i + 1, i + 200);
        if (PROBE_KEYWORDS_AT_LINE_START.test(rest) && this.looksLikeProbeHeader(rest)) {
          return { end: i + 1, close: i + 1, closed: false };
        }
      }
    }
    return { end: t.length, close: t.length, closed: false };
  }

  /** Text at column 0 that looks like a probe header: `kprobe:x {`, `tracepoint:a:b /pred/ {`,
   *  possibly a comma list over lines with the `{` on a following line. */
  private looksLikeProbeHeader(text: string): boolean {
    const head = text.split('\n').slice(0, 4).join('\n');
    return /^[A-Za-z]+(:[^\s{]*)?(\s*,\s*[A-Za-z]+:[^\s{]*)*\s*(\/[^\n]*\/\s*)?\{/.test(head);
  }

  private probeItem(): void {
    const t = this.text;
    const itemStart = this.pos;
    const blockIndex = this.model.blocks.length;
    const probes: BtProbe[] = [];
    let expectProbe = true;
    let predicate: BtBlock['predicate'];
    let predicateOffsets: [number, number] | undefined;
    for (;;) {
      this.skipTrivia();
      if (this.pos >= t.length) break;
      const c = t[this.pos];
      if (c === '{') break;
      if (c === ',') {
        if (expectProbe) this.error('Empty probe in probe list', this.pos, this.pos + 1);
        expectProbe = true;
        this.pos++;
        continue;
      }
      if (c === '/' && probes.length > 0 && !expectProbe) {
        const predStart = this.pos;
        predicate = this.predicateAt(this.pos);
        predicateOffsets = [predStart + 1, Math.max(predStart + 1, this.pos - 1)];
        continue;
      }
      if (c === '}' || c === ';') {
        break;
      }
      if (c === '#') break;
      if (!expectProbe) {
        // Two probes without a comma between them: accept, but say so.
        const p = this.probeSpec(blockIndex);
        this.error('Missing comma between probes', p.startOffset, p.startOffset);
        probes.push(p.probe);
        continue;
      }
      const p = this.probeSpec(blockIndex);
      probes.push(p.probe);
      expectProbe = false;
      if (p.length === 0) { this.pos++; }
    }
    if (expectProbe && probes.length > 0) this.error('Probe list ends with a comma', this.pos, this.pos);

    let bodyStart = this.pos;
    let bodyEnd = this.pos;
    let closed = false;
    let itemEnd = this.pos;
    if (t[this.pos] === '{') {
      const m = this.matchBraces(this.pos);
      bodyStart = this.pos;
      bodyEnd = m.close;
      closed = m.closed;
      itemEnd = m.end;
      if (!closed) this.error("Action block is not closed: missing '}'", bodyStart, bodyStart + 1);
      this.pos = m.end;
    } else {
      if (probes.length > 0) this.error('Probe has no action block', itemStart, this.pos);
      else {
        this.error('Expected a probe', itemStart, this.lineEnd(itemStart));
        this.pos = Math.max(this.lineEnd(itemStart), itemStart + 1);
      }
      if (this.pos === itemStart) this.pos++;
      itemEnd = this.pos;
    }
    if (probes.length === 0) return;

    const block: BtBlock = {
      probes, predicate, bodyStart, bodyEnd, closed,
      range: this.range(itemStart, itemEnd),
      bodyRange: this.range(bodyStart, Math.min(bodyEnd + (closed ? 1 : 0), t.length)),
      argsUses: [], retvalUses: [], argNUses: [],
    };
    if (predicateOffsets) this.scanUses(block, predicateOffsets[0], predicateOffsets[1]);
    if (bodyEnd > bodyStart) this.scanUses(block, bodyStart + 1, bodyEnd);
    for (const p of probes) p.argsUsed = block.argsUses;
    this.model.blocks.push(block);
    this.model.probes.push(...probes);
  }

  /** `/ expr /` before the block: from the first '/' to the last '/' before the next '{'. */
  private predicateAt(o: number): BtBlock['predicate'] {
    const t = this.text;
    let i = o + 1;
    let lastSlash = -1;
    for (; i < t.length; i++) {
      const c = t[i];
      if (c === '"' || c === "'") { i = this.skipQuoted(i) - 1; continue; }
      if (c === '{' || c === '}') break;
      if (c === '/') lastSlash = i;
    }
    if (lastSlash < 0) {
      this.error("Predicate is not closed: missing '/'", o, o + 1);
      this.pos = i;
      return { text: t.slice(o + 1, i).trim(), range: this.range(o, i) };
    }
    this.pos = lastSlash + 1;
    return { text: t.slice(o + 1, lastSlash).trim(), range: this.range(o, lastSlash + 1) };
  }

  /** One probe of a probe list: runs to whitespace, ',' or the block's '{' (a `{a,b}` group glued
   *  to the name is brace expansion, not a block). */
  private probeSpec(block: number): { probe: BtProbe; startOffset: number; length: number } {
    const t = this.text;
    const start = this.pos;
    let i = start;
    let braceDepth = 0;
    while (i < t.length) {
      const c = t[i];
      if (c === '"') { i = this.skipQuoted(i); continue; }
      if (braceDepth === 0) {
        if (/\s/.test(c) || c === ',') break;
        if (c === '{') {
          const close = t.indexOf('}', i);
          const group = close > 0 ? t.slice(i + 1, close) : '';
          const prev = i > start ? t[i - 1] : ' ';
          if (close > 0 && /^[\w.*?,-]*,[\w.*?,-]*$/.test(group) && /[\w:*?.]/.test(prev)) { braceDepth = 1; i++; continue; }
          break;
        }
        if (c === '}' || c === ';') break;
        if (t.startsWith('//', i) || t.startsWith('/*', i)) break;
      } else if (c === '}') braceDepth = 0;
      else if (/\s/.test(c)) break;
      i++;
    }
    this.pos = i;
    return { probe: this.makeProbe(start, i, block), startOffset: start, length: i - start };
  }

  private makeProbe(start: number, end: number, block: number): BtProbe {
    const raw = this.text.slice(start, end);
    const colon = raw.indexOf(':');
    const typeText = colon < 0 ? raw : raw.slice(0, colon);
    const info = probeTypeInfo(typeText);
    const typeEnd = start + typeText.length;
    const targetStart = colon < 0 ? end : start + colon + 1;
    const pieces = colon >= 0 ? this.targetPieces(targetStart, end) : [];
    const probe: BtProbe = {
      kind: info ? info.kind : 'unknown',
      typeText, raw,
      parts: pieces.map((p) => p.text),
      wildcard: false,
      range: this.range(start, end),
      typeRange: this.range(start, typeEnd),
      targetRange: this.range(targetStart, end),
      block,
      argsUsed: [],
    };
    if (!info) {
      if (typeText && colon >= 0) this.error(`Unknown probe type '${typeText}'`, start, typeEnd);
      else this.error(`Unknown probe '${raw}'`, start, end);
    }
    this.fillTarget(probe, pieces, start, end);
    return probe;
  }

  /** The target of a probe split on ':' outside quotes (quotes removed), with offsets; a C++ `::`
   *  scope stays inside its piece. */
  private targetPieces(targetStart: number, end: number): Piece[] {
    const pieces: Piece[] = [];
    let pieceStart = targetStart;
    let buf = '';
    for (let i = targetStart; i <= end; i++) {
      const c = i < end ? this.text[i] : ':';
      if (c === '"') {
        const q = this.endOfQuoted(i, end);
        const closed = q - 1 > i && this.text[q - 1] === '"';
        buf += this.text.slice(i + 1, closed ? q - 1 : q);
        i = q - 1;
        continue;
      }
      const cppScope = i < end && ((i + 1 < end && this.text[i + 1] === ':') || (i - 1 >= targetStart && this.text[i - 1] === ':'));
      if (c === ':' && !cppScope) {
        pieces.push({ text: buf, start: pieceStart, end: i });
        buf = '';
        pieceStart = i + 1;
      } else buf += c;
    }
    return pieces;
  }

  /** Module, system, name, binary and wildcard of a probe, from its target pieces by kind. */
  private fillTarget(probe: BtProbe, pieces: Piece[], start: number, end: number): void {
    const setName = (piece: Piece, key: 'function' | 'event') => {
      let name = piece.text;
      let nameEnd = piece.end;
      const plus = name.indexOf('+');
      if (plus >= 0 && key === 'function') {
        probe.offset = name.slice(plus + 1);
        name = name.slice(0, plus);
        nameEnd = piece.start + plus;
      }
      probe[key] = name;
      probe.nameRange = this.range(piece.start, Math.max(piece.start, nameEnd));
      probe.wildcard = WILDCARD.test(name);
    };
    switch (probe.kind) {
      case 'kprobe': case 'kretprobe': case 'fentry': case 'fexit':
        if (pieces.length >= 2) { probe.module = pieces[0].text; setName(pieces[pieces.length - 1], 'function'); }
        else if (pieces.length === 1) setName(pieces[0], 'function');
        if (probe.module !== undefined && WILDCARD.test(probe.module)) probe.wildcard = true;
        break;
      case 'rawtracepoint':
        if (pieces.length >= 2) { probe.module = pieces[0].text; setName(pieces[pieces.length - 1], 'event'); }
        else if (pieces.length === 1) setName(pieces[0], 'event');
        break;
      case 'tracepoint':
        if (pieces.length >= 1) {
          probe.system = pieces[0].text;
          probe.systemRange = this.range(pieces[0].start, pieces[0].end);
        }
        if (pieces.length >= 2) setName(pieces[1], 'event');
        if (probe.system && WILDCARD.test(probe.system)) probe.wildcard = true;
        if (pieces.length > 2) this.error('A tracepoint takes tracepoint:system:event', start, end);
        break;
      case 'uprobe': case 'uretprobe':
        if (pieces.length >= 1) probe.binary = pieces[0].text;
        if (pieces.length >= 2) setName(pieces[pieces.length - 1], 'function');
        break;
      case 'usdt':
        if (pieces.length >= 1) probe.binary = pieces[0].text;
        if (pieces.length >= 2) setName(pieces[pieces.length - 1], 'event');
        break;
      case 'iter':
        if (pieces.length >= 1) setName(pieces[0], 'event');
        break;
      default:
        break;
    }
  }

  /** Offset after the string or char literal at `o` (escapes honoured), without reporting
   *  anything: parsing already reported unterminated literals. Stops at `end` and at a newline. */
  private endOfQuoted(o: number, end: number): number {
    const t = this.text;
    const q = t[o];
    let i = o + 1;
    while (i < end) {
      if (t[i] === '\\') { i += 2; continue; }
      if (t[i] === q || t[i] === '\n') return Math.min(i + 1, end);
      i++;
    }
    return end;
  }

  /** Finds `args.x`, `args->x`, `retval`, `argN` between two offsets of the predicate or the
   *  action block (strings and comments skipped). */
  private scanUses(block: BtBlock, from: number, to: number): void {
    const t = this.text;
    const end = Math.min(to, t.length);
    for (let i = from; i < end; i++) {
      const c = t[i];
      if (c === '"' || c === "'") { i = this.endOfQuoted(i, end) - 1; continue; }
      if (c === '/' && t[i + 1] === '/') { i = this.lineEnd(i) - 1; continue; }
      if (c === '/' && t[i + 1] === '*') { const e = t.indexOf('*/', i + 2); i = (e < 0 ? end : e + 2) - 1; continue; }
      if (!IDENT_START.test(c) || (i > 0 && (IDENT.test(t[i - 1]) || t[i - 1] === '$' || t[i - 1] === '@' || t[i - 1] === '.' || (t[i - 1] === '>' && t[i - 2] === '-')))) continue;
      let j = i;
      while (j < end && IDENT.test(t[j])) j++;
      const word = t.slice(i, j);
      if (word === 'args') {
        let k = j;
        while (k < end && /[ \t]/.test(t[k])) k++;
        let accessor: '.' | '->' | undefined;
        if (t[k] === '.') { accessor = '.'; k++; } else if (t[k] === '-' && t[k + 1] === '>') { accessor = '->'; k += 2; }
        if (accessor) {
          while (k < end && /[ \t]/.test(t[k])) k++;
          let f = k;
          while (f < end && IDENT.test(t[f])) f++;
          block.argsUses.push({ field: t.slice(k, f), accessor, range: this.range(k, f), fullRange: this.range(i, f) });
          j = f;
        }
      } else if (word === 'retval') {
        block.retvalUses.push(this.range(i, j));
      } else if (/^arg\d+$/.test(word)) {
        block.argNUses.push({ index: Number(word.slice(3)), range: this.range(i, j) });
      }
      i = j - 1;
    }
  }
}

/** Parses a bpftrace script. Never throws: problems are reported in `errors`. */
export function parseBpftrace(text: string): BtModel {
  try {
    return new Scanner(typeof text === 'string' ? text : String(text ?? '')).run();
  } catch (e) {
    // A scanner bug must not take the server down: return what an empty document would give.
    const safe = typeof text === 'string' ? text : '';
    const model: BtModel = { text: safe, blocks: [], probes: [], comments: [], directives: [], others: [], errors: [], lineStarts: computeLineStarts(safe) };
    model.errors.push({ message: `bpftrace parser failure: ${(e as Error).message}`, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } });
    return model;
  }
}

/** The probe whose text contains `pos`, if any. */
export function probeAt(model: BtModel, pos: BtPosition): BtProbe | undefined {
  return model.probes.find((p) => rangeContains(p.range, pos));
}

/** The block whose action body contains the offset, if any. */
export function blockAtOffset(model: BtModel, offset: number): BtBlock | undefined {
  return model.blocks.find((b) => offset > b.bodyStart && offset <= b.bodyEnd);
}
