// The C side of a BCC program: its function definitions and probe macros (TRACEPOINT_PROBE,
// RAW_TRACEPOINT_PROBE, KFUNC_PROBE, ...), their parameters and `args->field` reads. The text is
// what symText.render made of the Python strings (or a .c file as is); every range is mapped back
// to the document through `toDoc`. Headers come from the C token stream (cModel's lexer, which
// never fails on BCC's placeholders such as a bare `FILTER` or `STORAGE` line); field reads come
// from the tree-sitter tree, as for libbpf C. BCC's rewriter conventions (`p->a->b` without
// bpf_probe_read, `map.update()`, `events.perf_submit()`) are plain C expressions here: nothing
// in them is an error.

import {
  collectCtxAccesses, conditionTracker, lex, LineMap, matchParen, parseParam, parseSuppression, splitParams,
  type CtxAccess, type HandlerParam, type Range, type Suppression, type Token,
} from '../cModel';
import type { Tree } from '../parser';
import type { BccCondition, BccFunction, BccProbeMacro } from './types';

/** How many leading macro arguments name the hook, per BCC probe macro (helpers.h). */
const MACRO_HOOK_ARGS: Record<BccProbeMacro, number> = {
  TRACEPOINT_PROBE: 2,
  RAW_TRACEPOINT_PROBE: 1,
  RAW_TRACEPOINT_PROBE_WRITABLE: 1,
  KFUNC_PROBE: 1,
  KRETFUNC_PROBE: 1,
  MODULE_KFUNC_PROBE: 2,
  MODULE_KRETFUNC_PROBE: 2,
  KMOD_RET: 1,
  LSM_PROBE: 1,
  BPF_ITER: 1,
};

export function isProbeMacro(name: string): name is BccProbeMacro {
  return Object.prototype.hasOwnProperty.call(MACRO_HOOK_ARGS, name);
}

/** The C function name a probe macro defines (what bcc's autoload sees). */
export function macroFunctionName(macro: BccProbeMacro, args: readonly string[]): string {
  switch (macro) {
    case 'TRACEPOINT_PROBE': return `tracepoint__${args[0]}__${args[1]}`;
    case 'RAW_TRACEPOINT_PROBE':
    case 'RAW_TRACEPOINT_PROBE_WRITABLE': return `raw_tracepoint__${args[0]}`;
    case 'KFUNC_PROBE': return `kfunc__vmlinux__${args[0]}`;
    case 'KRETFUNC_PROBE': return `kretfunc__vmlinux__${args[0]}`;
    case 'MODULE_KFUNC_PROBE': return `kfunc__${args[0]}__${args[1]}`;
    case 'MODULE_KRETFUNC_PROBE': return `kretfunc__${args[0]}__${args[1]}`;
    case 'KMOD_RET': return `kmod_ret__${args[0]}`;
    case 'LSM_PROBE': return `lsm__${args[0]}`;
    case 'BPF_ITER': return `bpf_iter__${args[0]}`;
  }
}

/** Names bcc attaches by when the program loads (BPF._trace_autoload). */
export const AUTO_PREFIX = /^(kprobe|kretprobe|tracepoint|raw_tracepoint|kfunc|kretfunc|lsm)__/;

/** The `{` after a run of function headers at depth 0 (`name(...)` groups and type words), or -1
 *  when a `;` or anything else comes first. */
function sharedBody(tokens: readonly Token[], depth: Int32Array, from: number): number {
  for (let j = from; j < tokens.length; j++) {
    const t = tokens[j];
    if (depth[j] !== 0) return -1;
    if (t.text === '{') return j;
    if (t.kind === 'ident' || t.text === '*') {
      if (tokens[j + 1]?.text === '(') {
        const close = matchParen(tokens as Token[], j + 1, true);
        if (close < 0) return -1;
        j = close;
      }
      continue;
    }
    return -1;
  }
  return -1;
}

const NOT_A_FUNCTION = new Set(['if', 'while', 'for', 'switch', 'return', 'sizeof', '__attribute__', 'defined', 'do', 'else']);

/** What the C scan needs besides the text: where each C character is written in the document,
 *  and the conditions and run-time choices the text carries (all empty for a plain .c file). */
export interface CTextSource {
  text: string;
  /** Document offset of C offset `i`, and just after C character `i`. */
  docStart(i: number): number;
  docEnd(i: number): number;
  condSpans: readonly { start: number; end: number; conds: BccCondition[] }[];
  choiceSpans: readonly { start: number; end: number; alts: { text: string; syscall: boolean; conds: BccCondition[]; range?: { from: number; to: number } }[] }[];
  unknownSpans: readonly { start: number; end: number }[];
  syscallSpans: readonly { start: number; end: number }[];
  /** Placeholders the tool replaces with text the file does not fix (`FILTER`, `START_TP`). */
  unknownPlaceholders: ReadonlySet<string>;
}

export interface CScan {
  functions: BccFunction[];
  suppressions: Suppression[];
}

/** Scans the C text. `parse` gives the tree-sitter tree of the text (deleted by the caller). */
export function scanBccC(src: CTextSource, docLines: LineMap, tree: Tree | undefined): CScan {
  const text = src.text;
  const cLines = new LineMap(text);
  const { tokens, comments, directives } = lex(text);
  const toDocRange = (start: number, end: number): Range => {
    const s = src.docStart(Math.min(start, text.length));
    const e = end > start ? src.docEnd(end - 1) : s;
    return docLines.range(s, Math.max(s, e));
  };
  const mapRange = (r: Range): Range => toDocRange(cLines.offsetAt(r.start), cLines.offsetAt(r.end));
  const mapParam = (p: HandlerParam): HandlerParam => ({
    ...p,
    range: mapRange(p.range),
    nameRange: p.nameRange && mapRange(p.nameRange),
    typeRange: p.typeRange && mapRange(p.typeRange),
  });
  const suppressions = comments.map((c) => parseSuppression(c, cLines)).filter((s): s is Suppression => !!s)
    .map((s) => ({ ...s, range: mapRange(s.range) }));
  const conditionsAt = conditionTracker(directives);
  const functions: BccFunction[] = [];
  const depth = braceDepths(tokens, directives);
  let stmtStart = 0;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (depth[k] !== 0) continue;
    if (t.kind === 'punct') {
      if (t.text === ';' || t.text === '}' || t.text === '{') stmtStart = k + 1;
      continue;
    }
    if (t.kind !== 'ident' || tokens[k + 1]?.text !== '(' || NOT_A_FUNCTION.has(t.text)) continue;
    const close = matchParen(tokens, k + 1, true);
    if (close < 0) continue;
    // `f(...)` then `{`: a definition (BPF_HASH(...); and other declarations end with `;`).
    let after = close + 1;
    if (tokens[after]?.text === '__attribute__' && tokens[after + 1]?.text === '(') {
      const attrClose = matchParen(tokens, after + 1, true);
      if (attrClose > 0) after = attrClose + 1;
    }
    if (tokens[after]?.text !== '{') {
      // Alternative headers written before one body (a Python choice rendered in full, such as
      // readahead's `KRETFUNC_PROBE(filemap_alloc_folio, ...)` / `(filemap_alloc_folio_noprof, ...)`):
      // a probe header followed by other headers and then `{` shares that body.
      const shared = isProbeMacro(t.text) || AUTO_PREFIX.test(t.text) ? sharedBody(tokens, depth, after) : -1;
      if (shared < 0) continue;
      after = shared;
    }
    const bodyOpen = after;
    let bodyClose = -1;
    for (let j = bodyOpen + 1; j < tokens.length; j++) {
      if (tokens[j].text === '}' && depth[j] === 1) { bodyClose = j; break; }
    }
    const bodyEnd = bodyClose >= 0 ? tokens[bodyClose].end : text.length;
    const fn = readFunction(src, tokens, k, close, stmtStart, cLines, docLines, toDocRange, mapParam);
    if (fn) {
      fn.preprocessor = conditionsAt(t.start);
      fn.conditions = [...condsAt(src, t.start), ...fn.preprocessor.map((d) => preprocessorCondition(d, toDocRange(t.start, t.end)))];
      const bases = new Set<string>();
      if (fn.macro === 'TRACEPOINT_PROBE') bases.add('args');
      else if (fn.params[0]?.name) bases.add(fn.params[0].name);
      fn.argAccesses = collectCtxAccesses(text, tree, tokens[bodyOpen].start, bodyEnd, bases, cLines)
        .map((a): CtxAccess => ({ ...a, fieldRange: mapRange(a.fieldRange), range: mapRange(a.range) }));
      fn.bodyRange = toDocRange(tokens[bodyOpen].start, bodyEnd);
      fn.cSpans.body = { start: tokens[bodyOpen].start, end: bodyEnd };
      functions.push(fn);
    }
    // Go on after the header: its body is at depth 1 and skipped; a header sharing the body
    // comes next.
    k = close;
  }
  return { functions, suppressions };
}

/** The brace depth before each token. Preprocessor alternatives restart at the depth of their
 *  `#if`: opensnoop's `#if ... KRETFUNC_PROBE(...) { #else KRETFUNC_PROBE(...) { #endif` opens
 *  one body, written twice. */
function braceDepths(tokens: readonly Token[], directives: readonly { text: string; start: number }[]): Int32Array {
  const out = new Int32Array(tokens.length);
  const stack: number[] = [];
  let depth = 0;
  let d = 0;
  for (let k = 0; k < tokens.length; k++) {
    for (; d < directives.length && directives[d].start < tokens[k].start; d++) {
      const word = /^#\s*(\w+)/.exec(directives[d].text)?.[1];
      if (word === 'if' || word === 'ifdef' || word === 'ifndef') stack.push(depth);
      else if ((word === 'else' || word === 'elif' || word === 'elifdef' || word === 'elifndef') && stack.length) depth = stack[stack.length - 1];
      else if (word === 'endif') stack.pop();
    }
    out[k] = depth;
    const t = tokens[k];
    if (t.kind !== 'punct') continue;
    if (t.text === '{') depth++;
    else if (t.text === '}') depth = Math.max(0, depth - 1);
  }
  return out;
}

/** Conditions of the preprocessor that the kernel decides (its version, configuration or
 *  architecture), as opposed to the tool's own `-D` flags. */
const KERNEL_MACRO = /\b(LINUX_VERSION_CODE|KERNEL_VERSION|CONFIG_\w+|__x86_64__|__aarch64__|__s390x__|__s390__|__powerpc64__|__riscv\w*|__arm__|__i386__|__mips__|bpf_target_\w+|__TARGET_ARCH_\w+)\b/;

function preprocessorCondition(directive: string, range: Range): BccCondition {
  const kernel = KERNEL_MACRO.test(directive);
  return {
    kind: 'preprocessor',
    expr: { op: 'opaque', text: directive, guards: kernel ? [{ check: 'preprocessor', args: [directive], text: directive, range }] : [] },
    text: directive,
    range,
  };
}

function overlaps(a: { start: number; end: number }, start: number, end: number): boolean {
  return a.start < end && start < a.end;
}

function condsAt(src: CTextSource, offset: number): BccCondition[] {
  const out: BccCondition[] = [];
  for (const s of src.condSpans) {
    if (s.start <= offset && offset < s.end) for (const c of s.conds) if (!out.includes(c)) out.push(c);
  }
  return out;
}

function readFunction(src: CTextSource, tokens: Token[], nameIdx: number, close: number, stmtStart: number,
  cLines: LineMap, docLines: LineMap, toDocRange: (s: number, e: number) => Range,
  mapParam: (p: HandlerParam) => HandlerParam): BccFunction | undefined {
  const text = src.text;
  const nameTok = tokens[nameIdx];
  const parts = splitParams(tokens, nameIdx + 1, close);
  // The return type: the identifiers and `*` before the name on its line (or on the line before,
  // for `static int\nf(...)`), never a placeholder line further up (`STORAGE` alone on a line).
  const lineOf = (tok: Token) => cLines.positionAt(tok.start).line;
  const nameLine = lineOf(nameTok);
  let first = nameIdx;
  const typeToken = (tok: Token) => tok.kind === 'ident' || tok.text === '*';
  while (first > stmtStart && typeToken(tokens[first - 1]) && lineOf(tokens[first - 1]) === nameLine) first--;
  if (first === nameIdx) {
    while (first > stmtStart && typeToken(tokens[first - 1]) && lineOf(tokens[first - 1]) === nameLine - 1) first--;
  }
  const headerRange = toDocRange(tokens[first].start, tokens[close].end);
  const base: Omit<BccFunction, 'name' | 'nameRange' | 'params'> = {
    headerRange, argAccesses: [], preprocessor: [], conditions: [],
    cSpans: {
      header: { start: tokens[first].start, end: tokens[close].end },
      name: { start: nameTok.start, end: nameTok.end },
      params: { start: tokens[nameIdx + 1].end, end: tokens[close].start },
    },
  };
  if (isProbeMacro(nameTok.text)) {
    const macro = nameTok.text;
    const hookCount = MACRO_HOOK_ARGS[macro];
    const hookParts = parts.slice(0, hookCount);
    if (hookParts.length < hookCount || hookParts.some((p) => p.length === 0)) return undefined;
    const hookStart = hookParts[0][0].start;
    const hookEnd = hookParts[hookCount - 1][hookParts[hookCount - 1].length - 1].end;
    const macroArgs = hookParts.map((p) => text.slice(p[0].start, p[p.length - 1].end).trim());
    const fn: BccFunction = {
      ...base,
      cSpans: { ...base.cSpans, name: { start: hookStart, end: hookEnd } },
      name: macroFunctionName(macro, macroArgs),
      macro,
      macroArgs,
      nameRange: toDocRange(hookStart, hookEnd),
      macroRange: toDocRange(nameTok.start, nameTok.end),
      params: parts.slice(hookCount).map((p) => parseParam(text, p, cLines)).filter((p): p is HandlerParam => !!p).map(mapParam),
    };
    markRuntimeText(src, fn, hookStart, hookEnd, hookParts.map((p) => [p[0].start, p[p.length - 1].end]), docLines);
    return fn;
  }
  const fn: BccFunction = {
    ...base,
    name: nameTok.text,
    nameRange: toDocRange(nameTok.start, nameTok.end),
    params: parts.map((p) => parseParam(text, p, cLines)).filter((p): p is HandlerParam => !!p).map(mapParam),
  };
  markRuntimeText(src, fn, nameTok.start, nameTok.end, [[nameTok.start, nameTok.end]], docLines);
  return fn;
}

/** Marks a name (or macro hook arguments) made of text chosen at run time: alternatives from
 *  one-line choices, the syscall prefix, unknown text and unresolved placeholders. */
function markRuntimeText(src: CTextSource, fn: BccFunction, start: number, end: number, argSpans: [number, number][], docLines: LineMap): void {
  const text = src.text;
  if (src.unknownSpans.some((s) => overlaps(s, start, end))) fn.unknownName = true;
  const words = text.slice(start, end).match(/[A-Za-z_]\w*/g) ?? [];
  if (words.some((w) => src.unknownPlaceholders.has(w))) fn.unknownName = true;
  const sys = src.syscallSpans.find((s) => overlaps(s, start, end));
  if (sys) fn.syscall = true;
  const choices = src.choiceSpans.filter((s) => overlaps(s, start, end));
  if (!choices.length) return;
  // One alternative per alternative of the first choice (several choices in one name are rare;
  // the others keep their rendered text).
  const choice = choices[0];
  fn.alternatives = choice.alts.map((alt) => {
    const args = argSpans.map(([s, e]) => {
      if (choice.start >= e || choice.end <= s) return text.slice(s, e).trim();
      return (text.slice(s, Math.max(s, choice.start)) + alt.text + text.slice(Math.min(e, choice.end), e)).trim();
    });
    const name = fn.macro ? macroFunctionName(fn.macro, args) : args[0];
    return { macroArgs: args, name, syscall: alt.syscall || undefined, conditions: alt.conds, range: alt.range && docLines.range(alt.range.from, alt.range.to) };
  });
}
