// The BCC document model: builds, from a Python tool that uses bcc (or a .c file it loads with
// `BPF(src_file=...)`), the list of its attach points with their targets, handlers, conditions and
// intent, the C functions of its program text, and the maps between the Python file and the C text
// it builds. interp.ts runs the Python side, symText.ts holds the strings, cText.ts reads the C.
//
// Intent follows issue 12: an attach that happens only under a kernel check the tool makes
// (`if BPF.get_kprobe_functions(...)`, `if BPF.tracepoint_exists(...)`, `BPF.support_kfunc()`, an
// exit() on a failed check), or inside a try block whose except clause carries on, is
// `runtime-chosen`; everything else the tool does whenever it runs is `always` (a command-line
// option does not change that: with the option, it attaches on every kernel).

import { LineMap, parseSuppression, type Range, type Suppression } from '../cModel';
import type { SyntaxNode, Tree } from '../parser';
import { macroFunctionName, scanBccC, type CTextSource } from './cText';
import { dependsOnKernel, Interp, SYSCALL_PREFIXES, type RawAttach, type Value } from './interp';
import { constText, expand, render, SYSCALL_PREFIX_TEXT, writtenRange, type Piece, type Str } from './symText';
import type {
  BccAttachPoint, BccCallArg, BccCondition, BccFunction, BccIntent, BccModel, BccProgram, BccTarget, EmbeddedC,
} from './types';

/** A Python file uses bcc: `from bcc import ...`, `import bcc`, `from bcc.xxx import ...`. */
const BCC_IMPORT = /^[ \t]*(?:from[ \t]+bcc(?:\.[\w.]+)?[ \t]+import\b|import[ \t]+(?:[\w.]+[ \t]*,[ \t]*)*bcc\b)/m;

export function usesBcc(pythonText: string): boolean {
  return BCC_IMPORT.test(pythonText);
}

export interface BccBuildOptions {
  /** Parses C text with tree-sitter (the document store's C parser); the model deletes the tree
   *  after use. Without it, `args->field` reads are not collected. */
  parseC?: (text: string) => Tree | undefined;
}

/** Builds the model of a Python file from its tree-sitter-python tree. */
export function buildBccModel(text: string, tree: Tree, options: BccBuildOptions = {}): BccModel {
  const lines = new LineMap(text);
  const suppressions = pythonComments(tree.rootNode)
    .map((c) => parseSuppression({ text: c.text, start: c.startIndex, end: c.endIndex }, lines))
    .filter((s): s is Suppression => !!s);
  const model: BccModel = { usesBcc: usesBcc(text), programs: [], attachPoints: [], suppressions, embedded: [] };
  const raw = new Interp(text, lines).run(tree.rootNode);
  const maxChars = Math.min(2_000_000, 8 * text.length + 65_536);
  raw.programs.forEach((p, index) => {
    const program: BccProgram = { range: lines.range(p.node.startIndex, p.node.endIndex), conditions: p.conds, functions: [], ...bindingOf(p.node, lines) };
    const src = p.srcFile && strOf(p.srcFile);
    if (src) program.srcFile = constText(src);
    const textValue = p.text && strOf(p.text);
    if (textValue) {
      const r = render(textValue, maxChars);
      program.cText = r.text;
      const source: CTextSource = {
        text: r.text,
        docStart: (i) => r.toDoc[Math.min(i, r.text.length)],
        docEnd: (i) => r.toDocEnd[Math.min(i, r.text.length - 1)] ?? r.toDoc[r.text.length],
        condSpans: r.condSpans,
        choiceSpans: r.choiceSpans,
        unknownSpans: r.unknownSpans,
        syscallSpans: r.syscallSpans,
        unknownPlaceholders: raw.unknownPlaceholders,
      };
      const cTree = options.parseC?.(r.text);
      try {
        const scan = scanBccC(source, lines, cTree);
        program.functions = scan.functions;
        model.suppressions.push(...scan.suppressions);
      } finally {
        cTree?.delete();
      }
      model.embedded.push(embedded(index, r));
    }
    model.programs.push(program);
  });
  for (const a of raw.attaches) model.attachPoints.push(...callAttachPoints(a, model.programs, lines));
  model.programs.forEach((p, index) => model.attachPoints.push(...autoAttachPoints(p, index, lines)));
  model.attachPoints = dedupe(model.attachPoints);
  for (const ap of model.attachPoints) ap.suppression = suppressionFor(model.suppressions, ap.range);
  return model;
}

/** The Python tool that loads a C file: its uri, its model and the index of the loading program. */
export interface BccLoader { uri: string; model: BccModel; program: number }

/** Builds the model of a C file that a bcc tool loads (`BPF(src_file="x.c")`): its functions and
 *  the attach points bcc makes from their names. With the loading Python file, the conditions of
 *  its `BPF(...)` call apply to every attach, and each attach call of that program whose handler
 *  is a function here is shown on the function's name (`loadedBy` names the call). */
export function buildBccCModel(text: string, tree: Tree | undefined, loader?: BccLoader): BccModel {
  const lines = new LineMap(text);
  const source: CTextSource = {
    text,
    docStart: (i) => i,
    docEnd: (i) => i + 1,
    condSpans: [], choiceSpans: [], unknownSpans: [], syscallSpans: [],
    unknownPlaceholders: new Set(),
  };
  const scan = scanBccC(source, lines, tree);
  const loading = loader?.model.programs[loader.program];
  const program: BccProgram = { range: lines.range(0, 0), conditions: loading?.conditions ?? [], functions: scan.functions, cText: text };
  const model: BccModel = {
    usesBcc: true, programs: [program], attachPoints: autoAttachPoints(program, 0, lines), suppressions: scan.suppressions,
    embedded: [{ program: 0, text, toDocument: (c) => c, toDocumentEnd: (c) => Math.min(c + 1, text.length), fromDocument: (d) => d }],
  };
  if (loader) {
    model.loader = { uri: loader.uri, program: loader.program };
    model.attachPoints.push(...loadedAttachPoints(loader, program, model.attachPoints));
  }
  for (const ap of model.attachPoints) ap.suppression ??= suppressionFor(model.suppressions, ap.range);
  return model;
}

/** The loader's attach calls whose handler is a function of this C file, placed on its name. The
 *  call's own arguments stay in the Python file (quick fixes edit them there). */
function loadedAttachPoints(loader: BccLoader, program: BccProgram, auto: readonly BccAttachPoint[]): BccAttachPoint[] {
  const out: BccAttachPoint[] = [];
  for (const ap of loader.model.attachPoints) {
    if (ap.via !== 'call' || ap.program !== loader.program || !ap.handler) continue;
    const prefix = KFUNC_PREFIXES[ap.method];
    const names = prefix && !ap.handler.startsWith(prefix) ? [prefix + ap.handler] : [ap.handler];
    const fn = program.functions.find((f) => names.includes(f.name));
    // bcc attaches kfunc__/lsm__ functions itself when it loads them: the call repeats that one.
    if (!fn || auto.some((a) => a.handlerFunction === fn && a.kind === ap.kind)) continue;
    const { args: _args, methodRange: _method, ...rest } = ap;
    out.push({
      ...rest, range: fn.headerRange, targetRange: fn.macro ? macroTargetRange(fn) : fn.nameRange, handlerFunction: fn, program: 0,
      loadedBy: { uri: loader.uri, range: ap.targetRange ?? ap.range },
    });
  }
  return out;
}

/** The C name prefix bcc gives the function an attach_kfunc-like call names. */
const KFUNC_PREFIXES: Record<string, string | undefined> = { attach_kfunc: 'kfunc__', attach_kretfunc: 'kretfunc__', attach_lsm: 'lsm__', attach_fmod_ret: 'kmod_ret__' };

/** What a `BPF(...)` call is assigned to, and the statement that holds it. */
function bindingOf(call: SyntaxNode, lines: LineMap): Pick<BccProgram, 'binding' | 'statementRange'> {
  const parent = call.parent;
  const out: Pick<BccProgram, 'binding' | 'statementRange'> = {};
  if (parent?.type === 'assignment' && parent.childForFieldName('right')?.id === call.id) {
    const left = parent.childForFieldName('left');
    if (left && (left.type === 'identifier' || left.type === 'attribute')) out.binding = left.text;
  }
  let stmt: SyntaxNode | null = call;
  while (stmt && !/_statement$/.test(stmt.type)) stmt = stmt.parent;
  if (stmt) out.statementRange = lines.range(stmt.startIndex, stmt.endIndex);
  return out;
}

/** One attach point per site and hook: a function evaluated twice with the same arguments, or a
 *  probe written in both branches of an `#if` (one C function either way). */
function dedupe(points: BccAttachPoint[]): BccAttachPoint[] {
  const seen = new Set<string>();
  return points.filter((p) => {
    const site = `${p.via}:${p.program}:${p.range.start.line}:${p.range.start.character}`;
    const key = `${site}|${p.kind}|${p.target ? JSON.stringify(p.target) : '?'}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function pythonComments(root: SyntaxNode): SyntaxNode[] {
  return root.descendantsOfType('comment').filter((c): c is SyntaxNode => !!c);
}

function suppressionFor(suppressions: readonly Suppression[], range: Range): Suppression | undefined {
  const line = range.start.line;
  return suppressions.find((s) => s.range.end.line === line || s.range.end.line === line - 1);
}

function embedded(program: number, r: ReturnType<typeof render>): EmbeddedC {
  return {
    program,
    text: r.text,
    toDocument: (c) => r.toDoc[Math.max(0, Math.min(c, r.text.length))],
    toDocumentEnd: (c) => (c < r.text.length ? r.toDocEnd[Math.max(0, c)] : r.toDoc[r.text.length]),
    fromDocument: (d) => {
      for (const run of r.runs) {
        const offs = run.offsets;
        if (d < offs[0] || d > offs[offs.length - 1]) continue;
        let lo = 0, hi = offs.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (offs[mid] <= d) lo = mid; else hi = mid - 1;
        }
        return run.start + lo;
      }
      return undefined;
    },
  };
}

// ---------------------------------------------------------------- values → targets

/** A value as a string, when it is one (alternatives of strings become one string with choices). */
function strOf(v: Value): Str | undefined {
  if (v.t === 'str') return v.s;
  if (v.t === 'alt') {
    const strs = v.alts.filter((a) => a.v.t === 'str');
    if (strs.length === 1) return (strs[0].v as { s: Str }).s;
    if (strs.length > 1) return [{ k: 'choice', origin: -1, alts: strs.map((a) => ({ pieces: [...(a.v as { s: Str }).s], conds: a.conds })) }];
  }
  return undefined;
}

interface TextAlt {
  /** The text, with a leading syscall prefix removed (then `syscall`). */
  text?: string;
  syscall: boolean;
  conds: BccCondition[];
  range?: { from: number; to: number };
  /** Why the text is not known. */
  unresolved?: string;
}

/** Every text a value can be, with the conditions of each. `none` alternatives are dropped. */
function textAlternatives(v: Value | undefined): TextAlt[] {
  if (!v || v.t === 'none') return [];
  if (v.t === 'alt') {
    return v.alts.flatMap((a) => textAlternatives(a.v).map((t) => ({ ...t, conds: [...a.conds, ...t.conds] })));
  }
  if (v.t !== 'str') return [{ syscall: false, conds: [], unresolved: v.t === 'unknown' ? `\`${v.text}\` is not a constant of the file` : 'not a string' }];
  const { expansions } = expand(v.s, 32);
  return expansions.map((e) => {
    let pieces: Piece[] = e.pieces.filter((p) => !(p.k === 'lit' && p.text === ''));
    let syscall = false;
    if (pieces[0]?.k === 'syscall') { syscall = true; pieces = pieces.slice(1); }
    if (pieces.some((p) => p.k !== 'lit')) {
      const src = pieces.find((p) => p.k === 'unknown');
      return { syscall, conds: e.conds, unresolved: src ? 'part of the text is set at run time' : 'the syscall prefix is inside the text' };
    }
    return { text: pieces.map((p) => (p as { text: string }).text).join(''), syscall, conds: e.conds, range: writtenRange(pieces) };
  });
}

/** Alternatives other than the empty name (a default that some branch replaces); all of them
 *  when every one is empty, so the attach is still listed, unresolved. */
function nonEmpty(alts: TextAlt[]): TextAlt[] {
  const named = alts.filter((a) => a.text !== '' || a.syscall);
  if (named.length) return named;
  return alts.map((a) => (a.text === '' ? { ...a, text: undefined, unresolved: 'the name is empty' } : a));
}

function intentOf(conds: readonly BccCondition[]): BccIntent {
  return conds.some((c) => c.kind === 'try' || c.kind === 'except' || dependsOnKernel(c.expr)) ? 'runtime-chosen' : 'always';
}

function uniqueConds(...lists: readonly BccCondition[][]): BccCondition[] {
  const out: BccCondition[] = [];
  for (const l of lists) for (const c of l) if (!out.includes(c)) out.push(c);
  return out;
}

/** The C function an attach call names, in the program of its BPF object (or any program). */
function findFunction(programs: readonly BccProgram[], program: number | undefined, name: string): { fn: BccFunction; program: number } | undefined {
  const order = program !== undefined ? [program, ...programs.keys()] : [...programs.keys()];
  for (const p of order) {
    const fn = programs[p]?.functions.find((f) => f.name === name || f.alternatives?.some((a) => a.name === name));
    if (fn) return { fn, program: p };
  }
  return undefined;
}

/** The hook a kfunc/kretfunc/lsm function name stands for (`kfunc__vmlinux__vfs_read` → vfs_read). */
function hookFromName(prefix: string, name: string): string | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return rest.startsWith('vmlinux__') ? rest.slice('vmlinux__'.length) : rest;
}

/** One attach call's shared parts: its handler name, and builders of its attach points. */
interface CallAttach {
  fnName: string | undefined;
  /** The fields every attach point of the call shares, under `conds`. */
  base: (conds: BccCondition[]) => Omit<BccAttachPoint, 'kind'>;
  /** Sets the handler function (named `cName`, by default fn_name) and program of a point. */
  withHandler: (ap: BccAttachPoint, cName?: string) => BccAttachPoint;
  /** One attach point per text alternative of `v`, its target made by `make`. */
  fromText: (kind: BccAttachPoint['kind'], v: Value | undefined, make: (t: string, alt: TextAlt) => BccTarget | undefined, syscallKind?: BccAttachPoint['kind']) => BccAttachPoint[];
  /** A keyword argument's value, or undefined when absent or spelled as its empty default. */
  given: (name: string) => Value | undefined;
}

/** Builds the shared parts of an attach call's points (see CallAttach). */
function callAttach(a: RawAttach, programs: readonly BccProgram[], lines: LineMap): CallAttach {
  const range = lines.range(a.node.startIndex, a.node.endIndex);
  const fnArg = a.args.get('fn_name');
  const fnName = fnArg?.v.t === 'str' ? constText(fnArg.v.s) : undefined;
  const args = callArgs(a, lines);
  const methodNode = a.node.childForFieldName('function')?.childForFieldName('attribute') ?? a.node.childForFieldName('function');
  const methodRange = methodNode ? lines.range(methodNode.startIndex, methodNode.endIndex) : undefined;
  const base = (conds: BccCondition[]) => ({ via: 'call' as const, method: a.method, range, handler: fnName, conditions: conds, intent: intentOf(conds), args, methodRange });
  const withHandler = (ap: BccAttachPoint, cName = fnName): BccAttachPoint => {
    const found = cName ? findFunction(programs, a.program, cName) : undefined;
    if (found) { ap.handlerFunction = found.fn; ap.program = found.program; } else if (a.program !== undefined) ap.program = a.program;
    return ap;
  };
  const fromText = (kind: BccAttachPoint['kind'], v: Value | undefined, make: (t: string, alt: TextAlt) => BccTarget | undefined, syscallKind?: BccAttachPoint['kind']): BccAttachPoint[] =>
    nonEmpty(textAlternatives(v)).map((alt) => {
      const conds = uniqueConds(a.conds, alt.conds);
      const ap: BccAttachPoint = { kind: alt.syscall && syscallKind ? syscallKind : kind, ...base(conds) };
      if (alt.text === undefined) ap.unresolved = alt.unresolved;
      else {
        const target = make(alt.text, alt);
        if (target) ap.target = target; else ap.unresolved = `\`${alt.text}\` is not a valid target`;
      }
      if (alt.range) ap.targetRange = lines.range(alt.range.from, alt.range.to);
      return withHandler(ap);
    });
  const given = (name: string) => {
    const arg = a.args.get(name);
    if (!arg) return undefined;
    const alts = textAlternatives(arg.v);
    // `event_re=""` (the default spelled out) means "not given".
    return alts.length && alts.every((t) => t.text === '') ? undefined : arg.v;
  };
  return { fnName, base, withHandler, fromText, given };
}

function callAttachPoints(a: RawAttach, programs: readonly BccProgram[], lines: LineMap): BccAttachPoint[] {
  const c = callAttach(a, programs, lines);
  const { base, withHandler, fromText, given } = c;
  switch (a.method) {
    case 'attach_kprobe':
    case 'attach_kretprobe': {
      const kind = a.method === 'attach_kprobe' ? 'kprobe' : 'kretprobe';
      const re = given('event_re');
      if (re) return fromText(kind, re, (t) => ({ regex: t }));
      return fromText(kind, given('event'), (t, alt) => ({ name: t, ...(alt.syscall ? { syscall: true } : {}) }), kind === 'kprobe' ? 'ksyscall' : 'kretsyscall');
    }
    case 'attach_tracepoint': {
      const re = given('tp_re');
      if (re) return fromText('tracepoint', re, (t) => ({ regex: t }));
      return fromText('tracepoint', given('tp'), (t) => {
        const parts = t.split(':');
        return parts.length === 2 && parts[0] && parts[1] ? { system: parts[0], name: parts[1] } : undefined;
      });
    }
    case 'attach_raw_tracepoint':
      return fromText('raw_tp', given('tp'), (t) => (t ? { name: t } : undefined));
    case 'attach_kfunc': case 'attach_kretfunc': case 'attach_lsm': case 'attach_fmod_ret':
      return [kfuncAttachPoint(a, programs, c)];
    case 'attach_uprobe': case 'attach_uretprobe': {
      const kind = a.method === 'attach_uprobe' ? 'uprobe' : 'uretprobe';
      const binary = textAlternatives(a.args.get('name')?.v)[0]?.text;
      const re = given('sym_re');
      const pts = re ? fromText(kind, re, (t) => ({ regex: t })) : fromText(kind, given('sym'), (t) => ({ name: t }));
      if (!pts.length) pts.push(withHandler({ kind, ...base([...a.conds]), unresolved: 'attached by address' }));
      for (const p of pts) if (binary !== undefined) p.target = { ...(p.target ?? {}), binary };
      return pts;
    }
    case 'enable_probe': case 'enable_probe_or_bail':
      return fromText('usdt', a.args.get('probe')?.v, (t) => ({ name: t }));
    default:
      return [withHandler({ kind: 'perf_event', ...base([...a.conds]) })];
  }
}

/** The attach point of an attach_kfunc/kretfunc/lsm/fmod_ret call: its hook read from the C function. */
function kfuncAttachPoint(a: RawAttach, programs: readonly BccProgram[], c: CallAttach): BccAttachPoint {
  const prefix = KFUNC_PREFIXES[a.method]!;
  const kind = ({ attach_kfunc: 'fentry', attach_kretfunc: 'fexit', attach_lsm: 'lsm', attach_fmod_ret: 'fmod_ret' } as const)[a.method as 'attach_kfunc'];
  const fnName = c.fnName;
  const cName = fnName === undefined ? undefined : fnName.startsWith(prefix) ? fnName : prefix + fnName;
  const ap: BccAttachPoint = { kind, ...c.base([...a.conds]) };
  const found = cName ? findFunction(programs, a.program, cName) : undefined;
  const hook = found?.fn.macroArgs ? found.fn.macroArgs[found.fn.macroArgs.length - 1] : cName ? hookFromName(prefix, cName) : undefined;
  if (hook && !found?.fn.unknownName) {
    ap.target = { name: hook };
    if (found?.fn.macro?.startsWith('MODULE_')) ap.target.module = found.fn.macroArgs![0];
    if (found?.fn.syscall) { ap.target.syscall = true; ap.target.name = hook.replace(new RegExp(`^${SYSCALL_PREFIX_TEXT}`), ''); }
    ap.targetRange = found?.fn.nameRange;
  } else {
    ap.unresolved = cName ? 'the C function name is set at run time' : 'fn_name is not a constant of the file';
  }
  return c.withHandler(ap, cName);
}

/** The arguments of an attach call as written. */
function callArgs(a: RawAttach, lines: LineMap): Record<string, BccCallArg> {
  const out: Record<string, BccCallArg> = {};
  for (const [name, arg] of a.args) {
    const r = (n: SyntaxNode) => lines.range(n.startIndex, n.endIndex);
    const entry: BccCallArg = { range: r(arg.whole), valueRange: r(arg.node), keyword: arg.keyword };
    const lit = arg.node.type === 'string' ? plainLiteral(arg.node) : undefined;
    if (lit) entry.literal = { contentRange: lines.range(lit.start, lit.end), text: lit.text, prefix: lit.prefix, quote: lit.quote };
    out[name] = entry;
  }
  return out;
}

/** A string literal without interpolation: its content span, text (as written) and delimiters. */
function plainLiteral(node: SyntaxNode): { start: number; end: number; text: string; prefix: string; quote: string } | undefined {
  if (node.namedChildren.some((c) => c?.type === 'interpolation')) return undefined;
  const open = node.children.find((c) => c?.type === 'string_start');
  const close = node.children.find((c) => c?.type === 'string_end');
  if (!open || !close) return undefined;
  const m = /^([A-Za-z]*)(.*)$/s.exec(open.text)!;
  return { start: open.endIndex, end: close.startIndex, text: node.text.slice(open.endIndex - node.startIndex, close.startIndex - node.startIndex), prefix: m[1], quote: m[2] };
}

/** bcc's autoload (`BPF._trace_autoload`): functions whose names start with kprobe__,
 *  kretprobe__, tracepoint__, raw_tracepoint__, kfunc__, kretfunc__ or lsm__ are attached when
 *  the program loads; the probe macros expand to such names. */
function autoAttachPoints(p: BccProgram, index: number, lines: LineMap): BccAttachPoint[] {
  const out: BccAttachPoint[] = [];
  const twinned = preprocessorTwins(p.functions);
  for (const fn of p.functions) {
    const spellings: NonNullable<BccFunction['alternatives']> = fn.alternatives?.length ? fn.alternatives : [{ macroArgs: fn.macroArgs ?? [], name: fn.name, syscall: fn.syscall, conditions: [] }];
    for (const s of spellings) {
      const hook = autoHook(fn, s.name, s.macroArgs, !!s.syscall);
      if (!hook) continue;
      const conds = uniqueConds(p.conditions, fn.conditions, s.conditions).filter((c) => !twinned.has(c));
      const ap: BccAttachPoint = {
        kind: hook.kind,
        via: 'auto',
        method: fn.macro ?? hook.prefix,
        range: fn.headerRange,
        handler: fn.name,
        handlerFunction: fn,
        conditions: conds,
        intent: intentOf(conds),
        program: index,
      };
      if (fn.unknownName) ap.unresolved = 'the name is set at run time';
      else ap.target = hook.target;
      ap.targetRange = s.range ?? (fn.macro ? macroTargetRange(fn) : nameTail(fn.nameRange, fn.name, hook.prefix, lines));
      out.push(ap);
    }
  }
  return out;
}

/** Where a probe macro's hook is written: its arguments when they are in the header, else (text
 *  put there by `.replace()` from elsewhere) the macro name. */
function macroTargetRange(fn: BccFunction): Range {
  const header = fn.headerRange;
  const inside = fn.nameRange.start.line >= header.start.line && fn.nameRange.end.line <= header.end.line;
  return inside || !fn.macroRange ? fn.nameRange : fn.macroRange;
}

/** Preprocessor conditions that do not decide whether a hook is attached: the same function is
 *  defined under `#if X` and under its `#else` (opensnoop's two KRETFUNC_PROBE headers for
 *  kernels with and without syscall wrappers), so one of them is compiled whatever X is. */
function preprocessorTwins(functions: readonly BccFunction[]): Set<BccCondition> {
  const out = new Set<BccCondition>();
  const byName = new Map<string, BccFunction[]>();
  for (const f of functions) byName.set(f.name, [...(byName.get(f.name) ?? []), f]);
  for (const group of byName.values()) {
    if (group.length < 2) continue;
    const conds = group.flatMap((f) => f.conditions.filter((c) => c.kind === 'preprocessor'));
    for (const c of conds) {
      const opening = c.text.replace(/^#(else|elif.*?) of (?=#)/, '');
      const partner = conds.find((d) => d !== c && d.text.replace(/^#(else|elif.*?) of (?=#)/, '') === opening && d.text !== c.text);
      if (partner) { out.add(c); out.add(partner); }
    }
  }
  return out;
}

function nameTail(range: Range, name: string, prefix: string, lines: LineMap): Range {
  const start = lines.offsetAt(range.start);
  const end = lines.offsetAt(range.end);
  if (end - start !== name.length) return range;
  return lines.range(start + prefix.length, end);
}

function autoHook(fn: BccFunction, name: string, args: readonly string[], syscall: boolean):
  { kind: BccAttachPoint['kind']; target: BccTarget; prefix: string } | undefined {
  const stripSys = (n: string) => (syscall && n.startsWith(SYSCALL_PREFIX_TEXT) ? n.slice(SYSCALL_PREFIX_TEXT.length) : n);
  const sys = syscall ? { syscall: true } : {};
  switch (fn.macro) {
    case 'TRACEPOINT_PROBE': return { kind: 'tracepoint', target: { system: args[0], name: args[1] }, prefix: 'tracepoint__' };
    case 'RAW_TRACEPOINT_PROBE': case 'RAW_TRACEPOINT_PROBE_WRITABLE': return { kind: 'raw_tp', target: { name: args[0] }, prefix: 'raw_tracepoint__' };
    case 'KFUNC_PROBE': return { kind: 'fentry', target: { name: stripSys(args[0]), ...sys }, prefix: 'kfunc__' };
    case 'KRETFUNC_PROBE': return { kind: 'fexit', target: { name: stripSys(args[0]), ...sys }, prefix: 'kretfunc__' };
    case 'MODULE_KFUNC_PROBE': return { kind: 'fentry', target: { module: args[0], name: args[1] }, prefix: 'kfunc__' };
    case 'MODULE_KRETFUNC_PROBE': return { kind: 'fexit', target: { module: args[0], name: args[1] }, prefix: 'kretfunc__' };
    case 'LSM_PROBE': return { kind: 'lsm', target: { name: args[0] }, prefix: 'lsm__' };
    case 'KMOD_RET': case 'BPF_ITER': return undefined;
  }
  const fixSyscall = (n: string): BccTarget => {
    const p = SYSCALL_PREFIXES.find((x) => n.startsWith(x));
    return p ? { name: n.slice(p.length), syscall: true } : { name: n };
  };
  if (name.startsWith('kprobe__')) {
    const t = fixSyscall(name.slice(8));
    return { kind: t.syscall ? 'ksyscall' : 'kprobe', target: t, prefix: 'kprobe__' };
  }
  if (name.startsWith('kretprobe__')) {
    const t = fixSyscall(name.slice(11));
    return { kind: t.syscall ? 'kretsyscall' : 'kretprobe', target: t, prefix: 'kretprobe__' };
  }
  if (name.startsWith('tracepoint__')) {
    const parts = name.slice('tracepoint__'.length).split('__');
    return parts.length === 2 ? { kind: 'tracepoint', target: { system: parts[0], name: parts[1] }, prefix: 'tracepoint__' } : undefined;
  }
  if (name.startsWith('raw_tracepoint__')) return { kind: 'raw_tp', target: { name: name.slice(16) }, prefix: 'raw_tracepoint__' };
  if (name.startsWith('kfunc__')) return { kind: 'fentry', target: { name: hookFromName('kfunc__', name)! }, prefix: 'kfunc__' };
  if (name.startsWith('kretfunc__')) return { kind: 'fexit', target: { name: hookFromName('kretfunc__', name)! }, prefix: 'kretfunc__' };
  if (name.startsWith('lsm__')) return { kind: 'lsm', target: { name: name.slice(5) }, prefix: 'lsm__' };
  void macroFunctionName;
  return undefined;
}
