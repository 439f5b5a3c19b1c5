// The libbpf C document model: every BPF program of a *.bpf.c file with its SEC() section, the
// attach kind and target that section names, the handler (BPF_PROG/BPF_KPROBE/... macro or a plain
// ctx parameter), its body and the ctx field reads, plus the BPF helper calls of the file.
//
// Why two sources: `SEC("...")` in front of a function is not valid C, and tree-sitter's error
// recovery around it changes with whatever follows (half-typed strings swallow the next line,
// #if branches split the declaration). So sections and handler headers are read from a small C
// token stream that never fails, while expressions inside bodies (ctx->field chains,
// BPF_CORE_READ calls, helper calls) come from the tree-sitter tree, whose recovery is local and
// reliable there. Nothing here knows about the atlas or LSP requests; positions are LSP-style
// (0-based line, UTF-16 character), which is also what web-tree-sitter reports for JS strings.

import { hasWildcard } from '../model/glob';
import { HAZARD_DOCS } from '../model/hazards';
import { builtinSectionPrefix, type AttachKind, type SectionPrefixInfo } from '../model/programKinds';
import type { SyntaxNode, Tree } from './parser';

export interface Position { line: number; character: number }
export interface Range { start: Position; end: Position }

/** What the model needs to know about one libbpf section prefix (model/programKinds.ts): the
 *  subset of knowledge/types.ts SectionPrefix, so `knowledge.sectionPrefix` can be passed directly. */
export type { SectionPrefixInfo };

/** Longest matching libbpf prefix for a whole section string (`tp_btf/sched_switch` → tp_btf). */
export type SectionResolver = (section: string) => SectionPrefixInfo | undefined;

/** The target part of a section, split according to the attach kind. */
export interface SectionTarget {
  /** Everything after the prefix and its `/`. */
  text: string;
  range: Range;
  /** Function, event, hook, syscall or iterator name. Tracepoints: the event. */
  name?: string;
  nameRange?: Range;
  /** Tracepoint system (`sched` in `tracepoint/sched/sched_switch`). */
  system?: string;
  systemRange?: Range;
  /** `kprobe/fn+0x10`: the offset text. */
  offset?: string;
  /** `fentry/module:function`, `kprobe/module:function`. */
  module?: string;
  /** Contains `*` or `?` (multi-attach patterns). */
  pattern?: boolean;
  /** uprobe/usdt: the binary path; usdt: the provider. */
  binary?: string;
  provider?: string;
}

export interface Suppression {
  /** The comment text. */
  text: string;
  range: Range;
  /** Hazard names or codes after `bpf-atlas-ignore:`; empty means everything. */
  codes: string[];
  /** Free text after the codes (a reason), if any. */
  reason?: string;
}

export type HandlerMacro =
  | 'BPF_PROG' | 'BPF_PROG2' | 'BPF_KPROBE' | 'BPF_KRETPROBE' | 'BPF_KSYSCALL'
  | 'BPF_KPROBE_SYSCALL' | 'BPF_UPROBE' | 'BPF_URETPROBE' | 'BPF_USDT';

export const HANDLER_MACROS: readonly HandlerMacro[] = [
  'BPF_PROG', 'BPF_PROG2', 'BPF_KPROBE', 'BPF_KRETPROBE', 'BPF_KSYSCALL', 'BPF_KPROBE_SYSCALL',
  'BPF_UPROBE', 'BPF_URETPROBE', 'BPF_USDT',
];

/** A handler parameter (macro argument after the program name, or a plain C parameter). */
export interface HandlerParam {
  /** C type without the name, `struct task_struct *`; empty when only a name was written. */
  type: string;
  /** Empty when only a type was written (`void`). */
  name: string;
  /** The whole parameter text. */
  range: Range;
  nameRange?: Range;
  typeRange?: Range;
}

export interface Handler {
  /** Program name: the macro's first argument, or the function name. */
  name: string;
  nameRange: Range;
  macro?: HandlerMacro;
  macroRange?: Range;
  /** Macro arguments after the name, or the plain function's parameters. */
  params: HandlerParam[];
  /** From `(` to `)` (to the end of what was typed when unclosed). */
  paramListRange: Range;
  /** The parameter list was closed with `)`. */
  paramsClosed: boolean;
  /** Return type text before the name (`int`, `int __always_inline`...). */
  returnType: string;
  /** Plain handlers: the first parameter (`struct trace_event_raw_sched_switch *ctx`). */
  ctx?: HandlerParam;
  /** From the return type to the end of the parameter list. */
  headerRange: Range;
}

export interface CtxAccess {
  /** The variable read from (`ctx`). */
  base: string;
  /** First field after the base: `prev_pid` in `ctx->prev_pid`, `args` in `ctx->args[1]`. */
  field: string;
  fieldRange: Range;
  /** All fields of the chain (`ctx->a.b` → [a, b]; `BPF_CORE_READ(ctx, a, b)` → [a, b]). */
  path: string[];
  via: 'arrow' | 'core-read';
  /** The whole expression. */
  range: Range;
}

export interface BpfProgram {
  /** The section string as written (without quotes). */
  section: string;
  /** The string content (inside the quotes). */
  sectionRange: Range;
  /** The whole `SEC("...")` or `section("...")` expression. */
  secRange: Range;
  form: 'SEC' | 'attribute';
  /** The closing quote was typed. */
  sectionClosed: boolean;
  /** Matched libbpf prefix (`kprobe`, `tp_btf`, `fentry.s`...); undefined if unknown. */
  prefix?: string;
  prefixRange: Range;
  /** What the atlas looks up; undefined for prefixes it does not index (uprobe, xdp...). */
  kind?: AttachKind;
  /** Absent for target-less sections (`SEC("fentry")`: set at load time). */
  target?: SectionTarget;
  handler?: Handler;
  /** From `{` to `}` (to the end of what was typed when unclosed). */
  bodyRange?: Range;
  ctxAccesses: CtxAccess[];
  suppression?: Suppression;
  /** Enclosing preprocessor conditions, outermost first (`#ifdef USE_TP_BTF`, `#else`). */
  conditions: string[];
  /** `SEC("?...")`: libbpf does not load it unless user space switches it on. */
  optional?: boolean;
  /** Built by a macro (`SEC("lsm/" #name)` in a `#define`): the macro's name; the ranges are
   *  those of the invocation. */
  fromMacro?: string;
  /** Identifiers the body uses (to tell a handler argument that is read from one only declared). */
  bodyIdentifiers?: ReadonlySet<string>;
}

export interface HelperCall {
  name: string;
  range: Range;
}

/** A global placed in a data section: a map (`SEC(".maps")`, legacy `SEC("maps")`), the licence
 *  (`SEC("license")`), a global of `.data`/`.rodata`/`.bss` named with SEC. */
export interface DataDeclaration {
  section: string;
  /** The declared name (`switches`, `LICENSE`). */
  name: string;
  nameRange: Range;
  /** The declaration, from its first token to its `;` (or as far as was typed). */
  range: Range;
  /** The string a licence is initialised with (`GPL`). */
  value?: string;
  /** Maps: the type, from `__uint(type, BPF_MAP_TYPE_HASH)` or a legacy `.type = ...`. */
  mapType?: string;
}

export interface CModel {
  programs: BpfProgram[];
  /** Maps, the licence and other globals with a data section, in document order. */
  data: DataDeclaration[];
  /** Calls to `bpf_*` functions anywhere in the file. */
  helperCalls: HelperCall[];
  /** Every `bpf-atlas-ignore` comment of the file. */
  suppressions: Suppression[];
}

// ---------------------------------------------------------------- offsets and positions

/** Converts UTF-16 offsets of one text to LSP positions and back. */
export class LineMap {
  /** Where each line starts: a typed array, counted then filled, so a 30,000-line document's
   *  map is one buffer outside V8's heap rather than a growing array of 240 KB made per version. */
  private readonly starts: Int32Array;
  constructor(private readonly text: string) {
    // indexOf is native and many times faster than a per-character loop on large documents.
    let lines = 1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
    this.starts = new Int32Array(lines);
    let n = 1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts[n++] = i + 1;
  }
  positionAt(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0, hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= o) lo = mid; else hi = mid - 1;
    }
    return { line: lo, character: o - this.starts[lo] };
  }
  offsetAt(pos: Position): number {
    if (pos.line < 0) return 0;
    if (pos.line >= this.starts.length) return this.text.length;
    const lineEnd = pos.line + 1 < this.starts.length ? this.starts[pos.line + 1] : this.text.length;
    return Math.max(this.starts[pos.line], Math.min(this.starts[pos.line] + pos.character, lineEnd));
  }
  range(start: number, end: number): Range {
    return { start: this.positionAt(start), end: this.positionAt(end) };
  }
}

export function comparePositions(a: Position, b: Position): number {
  return a.line - b.line || a.character - b.character;
}

/** `pos` is inside `range`, ends included (a cursor right after a word still touches it). */
export function rangeContains(range: Range, pos: Position): boolean {
  return comparePositions(range.start, pos) <= 0 && comparePositions(pos, range.end) <= 0;
}

// ---------------------------------------------------------------- tokens

export type TokenKind = 'ident' | 'number' | 'string' | 'char' | 'punct';

export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
  /** Strings and chars: the closing quote was found on the same line. */
  closed?: boolean;
}

export interface Comment { text: string; start: number; end: number }

export interface Directive { text: string; start: number; end: number }

export interface Lexed {
  tokens: Token[];
  comments: Comment[];
  directives: Directive[];
  /** A comment, directive or string ran into the end of what was lexed. */
  open?: boolean;
}

const PUNCT3 = ['...', '<<=', '>>='];
const PUNCT2 = ['->', '++', '--', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '##'];

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

/** Records the `//` or `/*` comment at `i` (an unclosed block comment runs to the end); returns
 *  the offset after it. */
function lexComment(text: string, i: number, comments: Comment[], n: number, state: LexState): number {
  let j: number;
  if (text.charCodeAt(i + 1) === 42) {
    const close = text.indexOf('*/', i + 2);
    if (close < 0 || close + 2 > n) state.open = true;
    j = close < 0 || close + 2 > n ? n : close + 2;
  } else {
    j = i;
    while (j < n && text.charCodeAt(j) !== 10) j++;
  }
  comments.push({ text: text.slice(i, j), start: i, end: j });
  return j;
}

/** The end of the preprocessor directive at `i`: up to an unescaped line end. Comments inside are
 *  kept as comments. */
function lexDirective(text: string, i: number, comments: Comment[], n: number, state: LexState): number {
  let j = i;
  while (j < n) {
    const d = text.charCodeAt(j);
    if (d === 10) {
      let k = j - 1;
      if (k >= i && text.charCodeAt(k) === 13) k--;
      if (k >= i && text.charCodeAt(k) === 92) { j++; continue; }
      break;
    }
    if (d === 47 && text.charCodeAt(j + 1) === 42) {
      j = lexComment(text, j, comments, n, state);
      continue;
    }
    if (d === 47 && text.charCodeAt(j + 1) === 47) {
      j = lexComment(text, j, comments, n, state);
      break;
    }
    j++;
  }
  if (j >= n) state.open = true;
  return j;
}

/** The string or char literal at `i`, ending at its closing quote or (unterminated) the line end. */
function lexQuoted(text: string, i: number, n: number, state: LexState): Token {
  const c = text.charCodeAt(i);
  let j = i + 1;
  let closed = false;
  while (j < n) {
    const d = text.charCodeAt(j);
    if (d === 92) { j += 2; continue; }
    if (d === 10) break;
    if (d === c) { closed = true; j++; break; }
    j++;
  }
  if (!closed && j >= n) state.open = true;
  if (j > n) j = n;
  return { kind: c === 34 ? 'string' : 'char', text: text.slice(i, j), start: i, end: j, closed };
}

/** What the lexer knows when it stops: `open` when a comment, directive or string ran into the
 *  end (lexing a part of a text, the next part would not start afresh). */
interface LexState { open: boolean }

/** A forgiving C lexer: comments, preprocessor lines (with continuations), strings that may be
 *  unterminated (they end at the line end), identifiers, numbers and punctuation. `from`..`to`
 *  (from at a line start) lexes a part of the text as if it were all of it, offsets in the text. */
export function lex(text: string, from = 0, to = text.length): Lexed {
  const tokens: Token[] = [];
  const comments: Comment[] = [];
  const directives: Directive[] = [];
  const state: LexState = { open: false };
  let i = from;
  let lineStart = true;
  const n = to;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) { lineStart = true; i++; continue; }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) { i++; continue; }
    if (c === 47 && (text.charCodeAt(i + 1) === 47 || text.charCodeAt(i + 1) === 42)) {
      i = lexComment(text, i, comments, n, state);
      continue;
    }
    if (c === 35 && lineStart) {
      const j = lexDirective(text, i, comments, n, state);
      directives.push({ text: text.slice(i, j), start: i, end: j });
      i = j;
      continue;
    }
    lineStart = false;
    if (c === 34 || c === 39) {
      const token = lexQuoted(text, i, n, state);
      tokens.push(token);
      i = token.end;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      tokens.push({ kind: 'ident', text: text.slice(i, j), start: i, end: j });
      i = j;
      continue;
    }
    if (c >= 48 && c <= 57) {
      let j = i + 1;
      while (j < n && (isIdentPart(text.charCodeAt(j)) || text.charCodeAt(j) === 46)) j++;
      tokens.push({ kind: 'number', text: text.slice(i, j), start: i, end: j });
      i = j;
      continue;
    }
    const three = text.substr(i, 3);
    const two = text.substr(i, 2);
    const len = PUNCT3.includes(three) ? 3 : PUNCT2.includes(two) ? 2 : 1;
    tokens.push({ kind: 'punct', text: text.slice(i, i + len), start: i, end: i + len });
    i += len;
  }
  return { tokens, comments, directives, ...(state.open ? { open: true } : {}) };
}

// ---------------------------------------------------------------- sections

/** The declaration a data section's SEC belongs to: `struct {...} name SEC(".maps");`,
 *  `char LICENSE[] SEC("license") = "GPL";`, or the legacy `struct bpf_map_def SEC("maps") name = {...};`.
 *  Undefined when no declared name is found (the user is still typing). */
function dataDeclaration(tokens: Token[], sec: RawSection, section: string, lines: LineMap, edge: PartEdge): DataDeclaration | undefined {
  let nameIdx = -1;
  if (tokens[sec.afterIndex]?.kind === 'ident') {
    nameIdx = sec.afterIndex;
  } else {
    let k = sec.tokenIndex - 1;
    if (tokens[k]?.text === ']') {
      while (k >= 0 && tokens[k].text !== '[') k--;
      if (k < 0) edge.before = true;
      k--;
    }
    if (tokens[k]?.kind === 'ident') nameIdx = k;
  }
  if (nameIdx < 0) return undefined;
  // Backwards from the name (or from SEC in the legacy form) over the type: `*`, words, one
  // struct body.
  let first = Math.min(nameIdx, sec.tokenIndex);
  let k = first - 1;
  while (k >= 0 && tokens[k].text === '*') k--;
  // (Before a part come `}` or `;`, never an identifier: only a struct body could be missed.)
  if (k < 0) edge.before = true;
  if (tokens[k]?.text === '}') {
    let depth = 0;
    for (; k >= 0; k--) {
      if (tokens[k].text === '}') depth++;
      else if (tokens[k].text === '{' && --depth === 0) break;
    }
    if (k < 0) edge.before = true;
    k--;
  }
  while (k >= 0 && tokens[k].kind === 'ident' && !NOT_A_HANDLER_NAME.has(tokens[k].text)) k--;
  first = Math.max(0, k + 1);
  // Forwards to the `;` that ends it, over an initialiser's braces.
  let end = Math.min(Math.max(nameIdx, sec.afterIndex - 1), tokens.length - 1);
  let depth = 0;
  let ended = false;
  for (let j = end + 1; j < tokens.length; j++) {
    const t = tokens[j].text;
    if (t === '{' || t === '(') depth++;
    else if (t === '}' || t === ')') depth--;
    end = j;
    if ((t === ';' && depth <= 0) || depth < 0) { ended = true; break; }
  }
  if (!ended) edge.after = true;
  const decl: DataDeclaration = {
    section,
    name: tokens[nameIdx].text,
    nameRange: lines.range(tokens[nameIdx].start, tokens[nameIdx].end),
    range: lines.range(tokens[first].start, tokens[end].end),
  };
  for (let j = first; j <= end; j++) {
    const t = tokens[j];
    if (t.text === '=' && tokens[j + 1]?.kind === 'string' && /^license$/.test(section)) {
      decl.value = tokens[j + 1].text.replace(/^"|"$/g, '');
    }
    // `__uint(type, BPF_MAP_TYPE_X)` (BTF-defined maps) or `.type = BPF_MAP_TYPE_X` (legacy).
    if (t.text === 'type' && tokens[j + 2]?.kind === 'ident' && ((tokens[j - 1]?.text === '(' && tokens[j + 1]?.text === ',') || (tokens[j - 1]?.text === '.' && tokens[j + 1]?.text === '='))) {
      decl.mapType = tokens[j + 2].text;
    }
  }
  return decl;
}

/** Sections that hold data, maps or metadata rather than programs. */
function isDataSection(section: string): boolean {
  return /^(\.maps|maps|license|version|\.data|\.rodata|\.bss|\.kconfig|\.ksyms|\.struct_ops|\.addr_space)/.test(section);
}

/** Resolves with the built-in tracing table (model/programKinds.ts), the fallback when the
 *  knowledge tables cannot be loaded; the server and CLI pass `knowledge.sectionPrefix`. */
export const builtinSectionResolver: SectionResolver = builtinSectionPrefix;

/** Splits a section's target according to the attach kind. `base` is the offset of the first
 *  target character in the document. */
export function parseTarget(prefix: string | undefined, kind: AttachKind | undefined, target: string,
  base: number, lines: LineMap): SectionTarget {
  const t: SectionTarget = { text: target, range: lines.range(base, base + target.length) };
  if (hasWildcard(target, 'libbpf')) t.pattern = true;
  const setName = (name: string, at: number) => {
    t.name = name;
    t.nameRange = lines.range(base + at, base + at + name.length);
  };
  if (kind === 'tracepoint') {
    const slash = target.indexOf('/');
    if (slash < 0) {
      t.system = target;
      t.systemRange = t.range;
    } else {
      t.system = target.slice(0, slash);
      t.systemRange = lines.range(base, base + slash);
      setName(target.slice(slash + 1), slash + 1);
    }
    return t;
  }
  if (kind) {
    // kprobe/[module:]fn[+off], fentry/[module:]fn, raw_tp/event, lsm/hook, ksyscall/name.
    let name = target;
    let at = 0;
    const colon = name.indexOf(':');
    if (colon >= 0) {
      t.module = name.slice(0, colon);
      name = name.slice(colon + 1);
      at = colon + 1;
    }
    const plus = name.indexOf('+');
    if (plus >= 0 && (kind === 'kprobe' || kind === 'kretprobe')) {
      t.offset = name.slice(plus + 1);
      name = name.slice(0, plus);
    }
    setName(name, at);
    return t;
  }
  if (prefix && /^(uprobe|uretprobe)/.test(prefix)) {
    const colon = target.lastIndexOf(':');
    if (colon >= 0) {
      t.binary = target.slice(0, colon);
      let name = target.slice(colon + 1);
      const plus = name.indexOf('+');
      if (plus >= 0) { t.offset = name.slice(plus + 1); name = name.slice(0, plus); }
      setName(name, colon + 1);
    } else {
      t.binary = target;
    }
  } else if (prefix && prefix.startsWith('usdt')) {
    const parts = target.split(':');
    if (parts.length >= 3) {
      t.binary = parts.slice(0, -2).join(':');
      t.provider = parts[parts.length - 2];
      setName(parts[parts.length - 1], target.length - parts[parts.length - 1].length);
    }
  }
  return t;
}

// ---------------------------------------------------------------- suppression comments

const IGNORE_RE = /bpf-atlas-ignore(?:\s*:\s*([^*\n]*))?/;

export function parseSuppression(c: Comment, lines: LineMap): Suppression | undefined {
  const m = IGNORE_RE.exec(c.text);
  if (!m) return undefined;
  const rest = (m[1] ?? '').trim();
  const codes: string[] = [];
  let reason: string | undefined;
  if (rest) {
    // Codes are hazard-like words (`renamed`, `partially-inlined`, `BPFA001`) separated by commas
    // or spaces; the first word that is not one starts a free-text reason.
    const words = rest.split(/[\s,]+/).filter(Boolean);
    let k = 0;
    while (k < words.length && /^[a-z][a-z0-9-]*$|^[A-Z]+[0-9]+$/.test(words[k]) &&
      (words[k].includes('-') || /[0-9]/.test(words[k]) || KNOWN_SINGLE_WORD_CODES.has(words[k]))) {
      codes.push(words[k]);
      k++;
    }
    if (k < words.length) reason = words.slice(k).join(' ').replace(/^[-–—:]\s*/, '') || undefined;
  }
  return { text: c.text, range: lines.range(c.start, c.end), codes, reason };
}

/** Hazard names without a hyphen (model/hazards.ts), so `bpf-atlas-ignore: renamed` is a code
 *  and `bpf-atlas-ignore: checked by hand` is a reason. */
const KNOWN_SINGLE_WORD_CODES = new Set([...Object.keys(HAZARD_DOCS).filter((name) => !name.includes('-')), 'all']);

// ---------------------------------------------------------------- the model

interface RawSection {
  form: 'SEC' | 'attribute';
  tokenIndex: number;
  /** Index of the first token after the whole SEC(...) / attribute. */
  afterIndex: number;
  str: Token;
  exprStart: number;
  exprEnd: number;
}

export function matchParen(tokens: Token[], open: number, stopAtBrace: boolean): number {
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    const t = tokens[k].text;
    if (tokens[k].kind !== 'punct') continue;
    if (t === '(') depth++;
    else if (t === ')') { depth--; if (depth === 0) return k; }
    else if (stopAtBrace && (t === '{' || t === ';' || t === '}')) return -1;
  }
  return -1;
}

function findSections(tokens: Token[], edge: PartEdge): RawSection[] {
  const out: RawSection[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.kind !== 'ident') continue;
    if ((t.text === 'SEC' || t.text === '__section') && tokens[k + 1]?.text === '(' && tokens[k + 2]?.kind === 'string') {
      const close = tokens[k + 3]?.text === ')' ? k + 3 : -1;
      const endTok = close >= 0 ? tokens[close] : tokens[k + 2];
      out.push({ form: 'SEC', tokenIndex: k, afterIndex: (close >= 0 ? close : k + 2) + 1, str: tokens[k + 2], exprStart: t.start, exprEnd: endTok.end });
    } else if (t.text === '__attribute__' && tokens[k + 1]?.text === '(') {
      const close = matchParen(tokens, k + 1, true);
      if (close < 0 && k + 12 > tokens.length - 1) edge.after = true;
      const last = close >= 0 ? close : Math.min(tokens.length - 1, k + 12);
      for (let j = k + 2; j < last; j++) {
        if (tokens[j].text === 'section' && tokens[j + 1]?.text === '(' && tokens[j + 2]?.kind === 'string') {
          out.push({ form: 'attribute', tokenIndex: k, afterIndex: last + 1, str: tokens[j + 2], exprStart: tokens[j].start, exprEnd: (tokens[j + 3]?.text === ')' ? tokens[j + 3] : tokens[j + 2]).end });
          break;
        }
      }
    }
  }
  return out;
}

const NOT_A_HANDLER_NAME = new Set(['__attribute__', '__section', 'SEC', 'sizeof', '__always_inline', '__noinline', 'if', 'while', 'for', 'switch', 'return', '__uint', '__type', '__array']);

const TYPE_WORDS = new Set(['const', 'volatile', 'struct', 'union', 'enum', 'unsigned', 'signed', 'int', 'long', 'short', 'char', 'void', 'bool', '_Bool', 'float', 'double', 'restrict', '__restrict']);

export function tokensText(text: string, toks: Token[]): string {
  return toks.map((t) => t.text).join(' ').replace(/\* \*/g, '**').replace(/\* \*/g, '**').replace(/ \[/g, '[').replace(/\[ /g, '[').replace(/ \]/g, ']');
}

export function parseParam(text: string, toks: Token[], lines: LineMap): HandlerParam | undefined {
  if (!toks.length) return undefined;
  const range = lines.range(toks[0].start, toks[toks.length - 1].end);
  // The name is the last identifier that is not a type word, before any array suffix.
  let nameIdx = -1;
  const bracket = toks.findIndex((t) => t.text === '[');
  const searchEnd = bracket >= 0 ? bracket : toks.length;
  for (let k = searchEnd - 1; k >= 0; k--) {
    if (toks[k].kind === 'ident') {
      if (!TYPE_WORDS.has(toks[k].text) && !(k > 0 && ['struct', 'union', 'enum'].includes(toks[k - 1].text))) nameIdx = k;
      break;
    }
    if (toks[k].text !== ')' && toks[k].text !== '(') break;
  }
  if (nameIdx < 0) {
    return { type: tokensText(text, toks), name: '', range, typeRange: range };
  }
  const name = toks[nameIdx];
  const typeToks = [...toks.slice(0, nameIdx), ...(bracket >= 0 ? toks.slice(bracket) : [])];
  let type = tokensText(text, typeToks);
  if (bracket >= 0) type = tokensText(text, toks.slice(0, nameIdx)) + ' %' + tokensText(text, toks.slice(bracket));
  const typeRange = nameIdx > 0 ? lines.range(toks[0].start, toks[nameIdx - 1].end) : undefined;
  return { type, name: name.text, range, nameRange: lines.range(name.start, name.end), typeRange };
}

export function splitParams(tokens: Token[], open: number, close: number): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (let k = open + 1; k < close; k++) {
    const t = tokens[k];
    if (t.kind === 'punct' && (t.text === '(' || t.text === '[')) depth++;
    if (t.kind === 'punct' && (t.text === ')' || t.text === ']')) depth--;
    if (depth === 0 && t.text === ',') { parts.push([]); continue; }
    parts[parts.length - 1].push(t);
  }
  return parts;
}

interface HeaderScan {
  handler?: Handler;
  bodyStart?: number;
  bodyEnd?: number;
  /** Raw sections met before the header (they share it: #if/#else alternatives). */
  sharedSections: number[];
  variable: boolean;
}

/** Reads the handler header that follows a section, from the token stream. */
function directiveBetween(directives: readonly Directive[], start: number, end: number): boolean {
  return directives.some((d) => d.start >= start && d.start < end);
}

/** The first section start after token `k` (section starts are in token order: a binary search,
 *  since every program asks and a long file has hundreds). */
function nextSectionAfter(sectionStarts: SectionStarts, k: number, none: number): number {
  const order = sectionStarts.order;
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (order[mid] <= k) lo = mid + 1;
    else hi = mid;
  }
  return lo < order.length ? order[lo] : none;
}

/** Token indexes of the SEC() starts: a set for membership and the ascending list. */
interface SectionStarts {
  has(index: number): boolean;
  order: readonly number[];
}

function scanHeader(text: string, tokens: Token[], from: number, sectionStarts: SectionStarts, directives: readonly Directive[], lines: LineMap): HeaderScan {
  const res: HeaderScan = { sharedSections: [], variable: false };
  const first = tokens[from];
  if (!first) return res;
  if (['=', ';', ',', ')'].includes(first.text)) { res.variable = true; return res; }
  let k = from;
  let typeStart = from;
  const limit = Math.min(tokens.length, from + 80);
  while (k < limit) {
    const t = tokens[k];
    if (sectionStarts.has(k)) {
      // Another section right after this one with only preprocessor lines between: #if/#else
      // alternatives for the same handler. Otherwise this section has no handler yet.
      if (k !== typeStart || !directiveBetween(directives, tokens[k - 1]?.end ?? 0, tokens[k].start)) return res;
      res.sharedSections.push(k);
      // Skip the shared SEC(...) itself.
      const close = tokens[k + 3]?.text === ')' ? k + 3 : k + 2;
      k = close + 1;
      typeStart = k;
      continue;
    }
    if (t.kind === 'punct' && ['{', '}', ';', '='].includes(t.text)) return res;
    if (t.kind === 'ident' && t.text === '__attribute__' && tokens[k + 1]?.text === '(') {
      const close = matchParen(tokens, k + 1, true);
      if (close < 0) return res;
      k = close + 1;
      continue;
    }
    if (t.kind === 'ident' && tokens[k + 1]?.text === '(' && !NOT_A_HANDLER_NAME.has(t.text)) {
      break;
    }
    k++;
  }
  if (k >= limit) return res;
  const nameTok = tokens[k];
  const nextSectionToken = nextSectionAfter(sectionStarts, k, tokens.length);
  const open = k + 1;
  let close = matchParen(tokens, open, true);
  const paramsClosed = close >= 0;
  if (!paramsClosed) {
    // Unclosed list: up to the next `{`, `;`, section or end of line where typing stopped.
    close = open + 1;
    while (close < tokens.length && !['{', ';', '}'].includes(tokens[close].text) && close < nextSectionToken) close++;
  }
  const retToks = tokens.slice(typeStart, k).filter((t) => t.text !== 'static' && t.text !== 'inline');
  res.handler = buildHandler(text, tokens, { nameTok, open, close, paramsClosed, retToks }, lines);
  const afterHeader = paramsClosed ? close + 1 : close;
  if (tokens[afterHeader]?.text === '{') {
    res.bodyStart = tokens[afterHeader].start;
    res.bodyEnd = bodyEnd(text, tokens, afterHeader, nextSectionToken);
  }
  return res;
}

/** The handler from its header tokens: a macro (`BPF_PROG(name, args...)`) or a plain function. */
function buildHandler(text: string, tokens: Token[], h: { nameTok: Token; open: number; close: number; paramsClosed: boolean; retToks: Token[] },
  lines: LineMap): Handler {
  const { nameTok, open, close, paramsClosed, retToks } = h;
  const macro = (HANDLER_MACROS as readonly string[]).includes(nameTok.text) ? nameTok.text as HandlerMacro : undefined;
  const parts = splitParams(tokens, open, close);
  const endOffset = paramsClosed ? tokens[close].end : (tokens[close - 1] ?? tokens[open]).end;
  let handler: Handler;
  if (macro) {
    const nameParts = parts[0] ?? [];
    const progName = nameParts.length === 1 && nameParts[0].kind === 'ident' ? nameParts[0] : undefined;
    handler = {
      name: progName?.text ?? '',
      nameRange: progName ? lines.range(progName.start, progName.end) : lines.range(tokens[open].end, tokens[open].end),
      macro,
      macroRange: lines.range(nameTok.start, nameTok.end),
      params: parts.slice(1).map((p) => parseParam(text, p, lines)).filter((p): p is HandlerParam => !!p),
      paramListRange: lines.range(tokens[open].start, endOffset),
      paramsClosed,
      returnType: tokensText(text, retToks),
      headerRange: lines.range((retToks[0] ?? nameTok).start, endOffset),
    };
  } else {
    const params = parts.map((p) => parseParam(text, p, lines)).filter((p): p is HandlerParam => !!p);
    handler = {
      name: nameTok.text,
      nameRange: lines.range(nameTok.start, nameTok.end),
      params,
      paramListRange: lines.range(tokens[open].start, endOffset),
      paramsClosed,
      returnType: tokensText(text, retToks),
      ctx: params[0] && params[0].name ? params[0] : undefined,
      headerRange: lines.range((retToks[0] ?? nameTok).start, endOffset),
    };
  }
  return handler;
}

/** The end offset of the body whose `{` is token `open`: its matching `}`, or, unclosed (typing in
 *  progress), up to the next section or the end of the file. */
function bodyEnd(text: string, tokens: Token[], open: number, nextSectionToken: number): number {
  let depth = 0;
  for (let j = open; j < tokens.length && j < nextSectionToken; j++) {
    if (tokens[j].text === '{') depth++;
    else if (tokens[j].text === '}') { depth--; if (depth === 0) return tokens[j].end; }
  }
  return nextSectionToken < tokens.length ? tokens[nextSectionToken - 1].end : text.length;
}

/** Preprocessor conditions enclosing each offset: a stack walk over the directives. Asked in
 *  increasing offsets (one per program), so the walk resumes where the previous question left it:
 *  linear in the directives for the whole file rather than per program. */
export function conditionTracker(directives: readonly Directive[]): (offset: number) => string[] {
  const stack: string[] = [];
  let next = 0;
  let lastOffset = -1;
  return (offset: number) => {
    if (offset < lastOffset) {
      stack.length = 0;
      next = 0;
    }
    lastOffset = offset;
    for (; next < directives.length && directives[next].start < offset; next++) applyDirective(stack, directives[next]);
    return [...stack];
  };
}

/** The condition stack after one more directive. */
function applyDirective(stack: string[], d: Directive): void {
  const word = /^#\s*(\w+)/.exec(d.text)?.[1];
  if (word === 'if' || word === 'ifdef' || word === 'ifndef') stack.push(directiveLine(d));
  else if (word === 'elif' || word === 'else' || word === 'elifdef' || word === 'elifndef') {
    // Keep the opening condition visible: `#else of #ifdef USE_TP_BTF`.
    if (stack.length) {
      const opening = stack[stack.length - 1].replace(/^.* of (?=#)/, '');
      stack[stack.length - 1] = `${directiveLine(d)} of ${opening}`;
    }
  } else if (word === 'endif') stack.pop();
}

function directiveLine(d: Directive): string {
  return d.text.replace(/\\\r?\n/g, ' ').replace(/\s+/g, ' ').trim();
}

/** ctx reads inside a body, from the tree: `base->field...` and `BPF_CORE_READ*(base, field...)`. */
export function collectCtxAccesses(text: string, tree: Tree | undefined, startOffset: number, endOffset: number, bases: ReadonlySet<string>, lines: LineMap): CtxAccess[] {
  if (!tree || !bases.size) return [];
  // Walking the tree costs far more than reading the body's text: a body that never names a base,
  // or has neither `->` nor a BPF_CORE_READ call, has no ctx read to find (most bodies, on every edit).
  const body = text.slice(startOffset, endOffset);
  if (![...bases].some((b) => body.includes(b))) return [];
  const arrows = body.includes('->');
  const coreReads = body.includes('BPF_CORE_READ');
  if (!arrows && !coreReads) return [];
  const out: CtxAccess[] = [];
  const start = lines.positionAt(startOffset);
  const end = lines.positionAt(endOffset);
  const startPoint = { row: start.line, column: start.character };
  const endPoint = { row: end.line, column: end.character };
  for (const node of arrows ? tree.rootNode.descendantsOfType('field_expression', startPoint, endPoint) : []) {
    if (!node || node.startIndex < startOffset || node.endIndex > endOffset) continue;
    const arg = node.childForFieldName('argument');
    const op = node.childForFieldName('operator');
    const field = node.childForFieldName('field');
    if (!arg || !field || arg.type !== 'identifier' || !bases.has(arg.text) || op?.text !== '->') continue;
    const path = [field.text];
    let inner: SyntaxNode = node;
    let outer: SyntaxNode | null = node.parent;
    while (outer && outer.type === 'field_expression' && outer.childForFieldName('argument')?.id === inner.id) {
      const f = outer.childForFieldName('field');
      if (f) path.push(f.text);
      inner = outer;
      outer = outer.parent;
    }
    out.push({ base: arg.text, field: field.text, fieldRange: lines.range(field.startIndex, field.endIndex), path, via: 'arrow', range: lines.range(node.startIndex, node.endIndex) });
  }
  for (const node of coreReads ? tree.rootNode.descendantsOfType('call_expression', startPoint, endPoint) : []) {
    if (!node || node.startIndex < startOffset || node.endIndex > endOffset) continue;
    const fn = node.childForFieldName('function');
    if (!fn || !/^BPF_CORE_READ/.test(fn.text)) continue;
    const args = node.childForFieldName('arguments')?.namedChildren.filter((c): c is SyntaxNode => !!c && c.type !== 'comment') ?? [];
    // BPF_CORE_READ(src, a, b); BPF_CORE_READ_INTO(&dst, src, a, b); *_STR_INTO likewise.
    const srcIdx = /_INTO$/.test(fn.text) ? 1 : 0;
    const src = args[srcIdx];
    const fields = args.slice(srcIdx + 1);
    if (!src || src.type !== 'identifier' || !bases.has(src.text) || !fields.length || fields[0].type !== 'identifier') continue;
    out.push({ base: src.text, field: fields[0].text, fieldRange: lines.range(fields[0].startIndex, fields[0].endIndex), path: fields.map((f) => f.text), via: 'core-read', range: lines.range(node.startIndex, node.endIndex) });
  }
  out.sort((a, b) => comparePositions(a.fieldRange.start, b.fieldRange.start));
  return out;
}

/** Builds the model of one C document. `tree` is the tree-sitter tree of the same text (ctx
 *  accesses need it; without it they are empty). */
export function buildCModel(text: string, tree: Tree | undefined, resolve: SectionResolver = builtinSectionResolver, headers: readonly string[] = [], lines = new LineMap(text)): CModel {
  // `headers`: texts of the local headers the file includes, for sections built by their macros.
  const { part, tokens } = buildCPart(text, 0, text.length, tree, resolve, lines);
  const model = assembleCModel([part]);
  const macros = macroPrograms(text, tokens, part.directives, headers, resolve, lines, model.suppressions, conditionTracker(part.directives));
  if (macros.length) {
    model.programs.push(...macros);
    model.programs.sort((a, b) => comparePositions(a.secRange.start, b.secRange.start));
  }
  return model;
}

/** Where a part's scans reached past its ends (see buildCPart). */
interface PartEdge {
  /** A scan read tokens before the part (a declaration that starts earlier). */
  before: boolean;
  /** The part ends inside something: a comment, directive or string, an unclosed `{`, a
   *  declaration without its `;`, or it does not end with `}` or `;`. */
  after: boolean;
}

/** The model of a run of top-level declarations of a document: its programs (without their
 *  preprocessor conditions and suppression, which depend on what comes before: assembleCModel
 *  adds them), data, helper calls, suppressions and directives, positions in the whole text. */
export interface CPart {
  programs: BpfProgram[];
  /** Offset of each program's SEC(...), to place it among the directives. */
  programStarts: number[];
  data: DataDeclaration[];
  helperCalls: HelperCall[];
  suppressions: Suppression[];
  directives: Directive[];
  /** The part's text holds a `#define` that builds a SEC(): its programs are anywhere. */
  sectionMacros: boolean;
  /** The programs as assembleCModel last completed them: given again while their conditions and
   *  suppression are the same, so an unchanged program keeps its identity across versions. */
  assembled?: BpfProgram[];
}

/** The C model of text[from, to) (`from` at a line start), lexed on its own. When `edge` says a
 *  scan reached past either end, the result is not what the whole text gives there: the caller
 *  joins the part to its neighbour. The whole text is one part. */
export function buildCPart(text: string, from: number, to: number, tree: Tree | undefined, resolve: SectionResolver, lines: LineMap): { part: CPart; tokens: Token[]; edge: PartEdge } {
  const { tokens, comments, directives, open } = lex(text, from, to);
  const edge: PartEdge = { before: false, after: !!open || !closesEverything(tokens) };
  const suppressions = comments.map((c) => parseSuppression(c, lines)).filter((s): s is Suppression => !!s);
  const raw = findSections(tokens, edge);
  const startSet = new Set(raw.map((r) => r.tokenIndex));
  const sectionStarts: SectionStarts = { has: (i) => startSet.has(i), order: [...startSet].sort((a, b) => a - b) };
  const programs: BpfProgram[] = [];
  const programStarts: number[] = [];
  const data: DataDeclaration[] = [];
  const headerCache = new Map<number, HeaderScan>();
  for (let r = 0; r < raw.length; r++) {
    const sec = raw[r];
    const { section } = sectionContent(text, sec);
    if (isDataSection(section)) {
      const decl = dataDeclaration(tokens, sec, section, lines, edge);
      if (decl) data.push(decl);
      continue;
    }
    // Sections sharing a header (#if alternatives) reuse one scan.
    let scan = headerCache.get(r);
    if (!scan) {
      scan = scanHeader(text, tokens, sec.afterIndex, sectionStarts, directives, lines);
      for (const shared of scan.sharedSections) {
        const idx = raw.findIndex((o) => o.tokenIndex === shared);
        if (idx >= 0) headerCache.set(idx, scan);
      }
    }
    if (scan.variable) continue;
    programs.push(sectionProgram(text, tree, tokens, sec, scan, resolve, lines));
    programStarts.push(sec.exprStart);
  }
  const part: CPart = {
    programs, programStarts, data, helperCalls: helperCallsOf(tokens, lines), suppressions, directives,
    sectionMacros: sectionMacros(directives).length > 0,
  };
  return { part, tokens, edge };
}

/** Every `{` of the tokens is closed within them and the last one is `}` or `;`: scans that
 *  start inside (a handler's header and body) end inside. */
function closesEverything(tokens: readonly Token[]): boolean {
  if (!tokens.length) return true;
  const last = tokens[tokens.length - 1].text;
  if (last !== '}' && last !== ';') return false;
  let depth = 0;
  for (const t of tokens) {
    if (t.kind !== 'punct') continue;
    if (t.text === '{') depth++;
    else if (t.text === '}' && depth > 0) depth--;
  }
  return depth === 0;
}

/** The document's model from its parts in order: programs get the preprocessor conditions around
 *  them and their suppression comment. */
export function assembleCModel(parts: readonly CPart[]): CModel {
  const suppressions = parts.flatMap((p) => p.suppressions);
  const programs: BpfProgram[] = [];
  const stack: string[] = [];
  for (const part of parts) {
    let next = 0;
    const assembled = part.assembled ??= [];
    part.programs.forEach((p, i) => {
      for (; next < part.directives.length && part.directives[next].start < part.programStarts[i]; next++) applyDirective(stack, part.directives[next]);
      const secLine = p.secRange.start.line;
      const suppression = suppressions.find((s) => s.range.end.line === secLine || s.range.end.line === secLine - 1 ||
        (s.range.start.line <= secLine && s.range.end.line >= secLine));
      const last = assembled[i];
      if (last && last.suppression === suppression && last.conditions.length === stack.length && last.conditions.every((c, k) => c === stack[k])) {
        programs.push(last);
      } else {
        programs.push(assembled[i] = { ...p, suppression, conditions: [...stack] });
      }
    });
    for (; next < part.directives.length; next++) applyDirective(stack, part.directives[next]);
  }
  return { programs, data: parts.flatMap((p) => p.data), helperCalls: parts.flatMap((p) => p.helperCalls), suppressions };
}

/** A section string's content (between the quotes) and its offsets in the text. */
function sectionContent(text: string, sec: RawSection): { section: string; contentStart: number; contentEnd: number } {
  const strTok = sec.str;
  const contentStart = strTok.start + 1;
  const contentEnd = strTok.closed ? strTok.end - 1 : strTok.end;
  return { section: text.slice(contentStart, contentEnd), contentStart, contentEnd };
}

/** The program of one (non-data) section: its prefix, target, handler, body and suppression. */
function sectionProgram(text: string, tree: Tree | undefined, tokens: readonly Token[], sec: RawSection, scan: HeaderScan,
  resolve: SectionResolver, lines: LineMap): BpfProgram {
  const { section, contentStart, contentEnd } = sectionContent(text, sec);
  // `?` (libbpf: not auto-loaded) precedes the prefix; the rest reads as any section.
  const optional = section.startsWith('?');
  const bare = optional ? section.slice(1) : section;
  const bareStart = optional ? contentStart + 1 : contentStart;
  const info = resolve(bare);
  const slash = bare.indexOf('/');
  let prefix = info?.prefix;
  let prefixLen = prefix ? prefix.length : slash >= 0 ? slash : bare.length;
  const kind = info?.kind;
  let target: SectionTarget | undefined;
  if ((info ? info.takesTarget : slash >= 0) && bare.length > prefixLen && bare[prefixLen] === '/') {
    target = parseTarget(prefix, kind, bare.slice(prefixLen + 1), bareStart + prefixLen + 1, lines);
  }
  if (!prefix && slash < 0) prefixLen = bare.length;
  const bases = new Set<string>();
  if (scan.handler?.ctx?.name) bases.add(scan.handler.ctx.name);
  const ctxAccesses = scan.bodyStart !== undefined && scan.bodyEnd !== undefined
    ? collectCtxAccesses(text, tree, scan.bodyStart, scan.bodyEnd, bases, lines) : [];
  const program: BpfProgram = {
    bodyIdentifiers: bodyIdentifiersOf(tokens, sec.afterIndex, scan),
    section,
    sectionRange: lines.range(contentStart, contentEnd),
    secRange: lines.range(sec.exprStart, sec.exprEnd),
    form: sec.form,
    sectionClosed: !!sec.str.closed,
    prefix,
    prefixRange: lines.range(bareStart, bareStart + prefixLen),
    kind,
    target,
    handler: scan.handler,
    bodyRange: scan.bodyStart !== undefined && scan.bodyEnd !== undefined ? lines.range(scan.bodyStart, scan.bodyEnd) : undefined,
    ctxAccesses,
    // Filled in by assembleCModel (they depend on the text before the program).
    suppression: undefined,
    conditions: [],
    ...(optional ? { optional } : {}),
  };
  if (!prefix) delete program.prefix;
  return program;
}

/** The identifiers in a handler's body (tokens from `from` within the scanned body range). */
function bodyIdentifiersOf(tokens: readonly Token[], from: number, scan: HeaderScan): Set<string> {
  const bodyIdentifiers = new Set<string>();
  if (scan.bodyStart !== undefined && scan.bodyEnd !== undefined) {
    for (let t = from; t < tokens.length && tokens[t].start < scan.bodyEnd; t++) {
      if (tokens[t].start >= scan.bodyStart && tokens[t].kind === 'ident') bodyIdentifiers.add(tokens[t].text);
    }
  }
  return bodyIdentifiers;
}

/** Calls of `bpf_*` helpers in the token stream (not member calls). */
function helperCallsOf(tokens: readonly Token[], lines: LineMap): HelperCall[] {
  const helperCalls: HelperCall[] = [];
  for (let k = 0; k + 1 < tokens.length; k++) {
    const t = tokens[k];
    if (t.kind === 'ident' && t.text.startsWith('bpf_') && tokens[k + 1].text === '(' && tokens[k - 1]?.text !== '.' && tokens[k - 1]?.text !== '->') {
      helperCalls.push({ name: t.text, range: lines.range(t.start, t.end) });
    }
  }
  return helperCalls;
}

/** The program whose section string, handler or body contains `pos`. */
export function programAt(model: CModel, pos: Position): BpfProgram | undefined {
  return model.programs.find((p) => rangeContains(p.secRange, pos)) ??
    model.programs.find((p) => p.handler && rangeContains(p.handler.headerRange, pos)) ??
    model.programs.find((p) => p.bodyRange && rangeContains(p.bodyRange, pos));
}

// ---------------------------------------------------------------- sections built by macros

interface SectionMacro {
  name: string;
  /** Parameter names; undefined for an object-like macro. */
  params?: string[];
  /** The tokens of the SEC(...) argument in the body. */
  sectionTokens: Token[];
  /** The handler name pattern after the SEC (`name##_entry`), when one is written. */
  handlerTokens: Token[];
  handlerMacro?: HandlerMacro;
}

/** `#define NAME(a, b) ... SEC("lsm/" #a) int BPF_PROG(a##_hook, ...) ...`: the macros whose body
 *  holds a SEC() with a string built from literals, `#param` and string parameters. */
export function sectionMacros(directives: readonly Directive[]): SectionMacro[] {
  const out: SectionMacro[] = [];
  for (const d of directives) {
    const m = /^#\s*define\s+(\w+)(\(([^)]*)\))?/.exec(d.text);
    if (!m || !/\bSEC\s*\(/.test(d.text)) continue;
    const body = d.text.slice(m[0].length).replace(/\\\r?\n/g, ' \n');
    const toks = lex(body).tokens;
    const sec = toks.findIndex((t, i) => t.text === 'SEC' && toks[i + 1]?.text === '(');
    if (sec < 0) continue;
    const close = matchParen(toks, sec + 1, false);
    if (close < 0) continue;
    const after = toks.slice(close + 1);
    let handlerTokens: Token[] = [];
    let handlerMacro: HandlerMacro | undefined;
    const call = after.findIndex((t, i) => t.kind === 'ident' && after[i + 1]?.text === '(' && !NOT_A_HANDLER_NAME.has(t.text));
    if (call >= 0) {
      if ((HANDLER_MACROS as readonly string[]).includes(after[call].text)) {
        handlerMacro = after[call].text as HandlerMacro;
        const end = after.findIndex((t, i) => i > call + 1 && (t.text === ',' || t.text === ')'));
        handlerTokens = after.slice(call + 2, end < 0 ? call + 3 : end);
      } else {
        // `int name##_x(` : the identifier and paste pieces before the call's parenthesis.
        let s = call;
        while (s >= 2 && after[s - 1].text === '##') s -= 2;
        handlerTokens = after.slice(s, call + 1);
      }
    }
    out.push({
      name: m[1],
      params: m[2] !== undefined ? m[3].split(',').map((p) => p.trim()).filter(Boolean) : undefined,
      sectionTokens: toks.slice(sec + 2, close),
      handlerTokens,
      handlerMacro,
    });
  }
  return out;
}

function stringContent(t: Token): string {
  return t.text.replace(/^"/, '').replace(/"$/, '');
}

/** Substitutes a macro's arguments into a token list: `"lsm/" #name` → `lsm/file_open`, pasted
 *  identifiers `name##_hook` → `file_open_hook`. Undefined when a piece is not a literal. */
function expandPieces(toks: readonly Token[], params: readonly string[], args: readonly string[], joinAsString: boolean): string | undefined {
  let out = '';
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.text === '#' && toks[i + 1]?.kind === 'ident') {
      const p = params.indexOf(toks[i + 1].text);
      if (p < 0) return undefined;
      out += args[p];
      i++;
      continue;
    }
    if (t.text === '##') continue;
    if (t.kind === 'string') { out += stringContent(t); continue; }
    if (t.kind === 'ident' || t.kind === 'number') {
      const p = params.indexOf(t.text);
      if (p >= 0) {
        const a = args[p];
        if (joinAsString && !/^".*"$/.test(a)) return undefined;
        out += joinAsString ? a.slice(1, -1) : a;
        continue;
      }
      if (joinAsString) return undefined;
      out += t.text;
      continue;
    }
    return undefined;
  }
  return out;
}

/** Programs whose SEC() a macro of the file or of its local headers builds, one per invocation. */
function macroPrograms(text: string, tokens: readonly Token[], directives: readonly Directive[], headers: readonly string[],
  resolve: SectionResolver, lines: LineMap, suppressions: readonly Suppression[], conditionsAt: (offset: number) => string[]): BpfProgram[] {
  const macros = [...sectionMacros(directives), ...headers.flatMap((h) => sectionMacros(lex(h).directives))];
  if (!macros.length) return [];
  const byName = new Map(macros.map((m) => [m.name, m]));
  const out: BpfProgram[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    const macro = t.kind === 'ident' ? byName.get(t.text) : undefined;
    if (!macro || tokens[k - 1]?.text === '.' || tokens[k - 1]?.text === '->') continue;
    let args: string[] = [];
    let end = k;
    if (macro.params) {
      if (tokens[k + 1]?.text !== '(') continue;
      const close = matchParen(tokens as Token[], k + 1, false);
      if (close < 0) continue;
      args = splitParams(tokens as Token[], k + 1, close).map((p) => text.slice(p[0]?.start ?? 0, p.at(-1)?.end ?? 0).trim());
      end = close;
    }
    const section = expandPieces(macro.sectionTokens, macro.params ?? [], args, false);
    if (!section || isDataSection(section)) continue;
    const range = lines.range(t.start, tokens[end].end);
    const optional = section.startsWith('?');
    const bare = optional ? section.slice(1) : section;
    const info = resolve(bare);
    const slash = bare.indexOf('/');
    let target: SectionTarget | undefined;
    const prefixLen = info?.prefix ? info.prefix.length : slash;
    if ((info ? info.takesTarget : slash >= 0) && prefixLen >= 0 && bare[prefixLen] === '/') {
      target = parseTarget(info?.prefix, info?.kind, bare.slice(prefixLen + 1), 0, new LineMap(''));
      target.range = range;
      if (target.name !== undefined) target.nameRange = range;
      if (target.system !== undefined) target.systemRange = range;
    }
    const handlerName = macro.handlerTokens.length ? expandPieces(macro.handlerTokens, macro.params ?? [], args, false) : undefined;
    const secLine = range.start.line;
    const program: BpfProgram = {
      section, sectionRange: range, secRange: range, form: 'SEC', sectionClosed: true,
      prefixRange: range, kind: info?.kind, target,
      handler: handlerName && /^\w+$/.test(handlerName) ? {
        name: handlerName, nameRange: range, params: [], paramListRange: range, paramsClosed: true, returnType: 'int', headerRange: range,
        ...(macro.handlerMacro ? { macro: macro.handlerMacro, macroRange: range } : {}),
      } : undefined,
      ctxAccesses: [],
      suppression: suppressions.find((s) => s.range.end.line === secLine || s.range.end.line === secLine - 1),
      conditions: conditionsAt(t.start),
      fromMacro: macro.name,
      ...(optional ? { optional } : {}),
    };
    if (info?.prefix) program.prefix = info.prefix;
    out.push(program);
    k = end;
  }
  return out;
}
