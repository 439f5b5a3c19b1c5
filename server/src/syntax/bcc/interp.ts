// A small abstract interpreter for the Python side of BCC tools. It walks the tree-sitter Python
// tree the way the tool runs, keeping for each variable what the file fixes of its value (strings
// as symbolic text, lists, the results of bcc's kernel checks), and records every `BPF(...)`
// program and every `attach_*` call with the conditions under which it happens: the tests of the
// enclosing `if`s (elif/else branches carry the negated earlier tests), an `exit()` in an earlier
// branch, a try block whose except clause tolerates the failure, a loop over values read at run
// time. Local functions are followed into with their constant arguments (statsnoop's
// `try_attach_syscall_probes("statx")`); functions never called from the file are walked once with
// unknown arguments so their attach calls are still found.
//
// It is bounded (a step budget, a call depth, alternatives per value) and never throws on odd
// code: anything it does not model is an unknown value. Nothing here knows about kernels.

import type { SyntaxNode } from '../parser';
import type { LineMap } from '../cModel';
import {
  constText, expand, formatStr, IdSource, lit, mergeStrs, replaceStr, strSize, type Piece, type Str,
} from './symText';
import { decodeLiteral, literalPrefix } from './pyStrings';
import type { BccCondition, BccGuard, GuardExpr } from './types';

// ---------------------------------------------------------------- values

export type Value =
  | { t: 'str'; s: Str }
  | { t: 'num'; n: number }
  | { t: 'bool'; b: boolean }
  | { t: 'none' }
  | { t: 'list'; items: Item[]; open: boolean }
  | { t: 'guard'; expr: GuardExpr; check?: string }
  | { t: 'bpf'; program: number }
  | { t: 'func'; node: SyntaxNode; name: string }
  | { t: 'alt'; alts: Item[] }
  | { t: 'unknown'; text: string; guards: BccGuard[] };

export interface Item { v: Value; conds: BccCondition[] }

/** One `attach_*` (or USDT enable_probe) call as evaluated: its arguments by parameter name. */
/** An evaluated call argument: its value, the value's node and the whole argument (`event="x"`). */
export interface RawArg { v: Value; node: SyntaxNode; whole: SyntaxNode; keyword: boolean }

export interface RawAttach {
  method: string;
  node: SyntaxNode;
  args: Map<string, RawArg>;
  conds: BccCondition[];
  /** The BPF object it was called on, when the file shows it. */
  program?: number;
}

/** One `BPF(...)` call as evaluated. */
export interface RawProgram {
  node: SyntaxNode;
  text?: Value;
  srcFile?: Value;
  conds: BccCondition[];
}

export interface InterpResult {
  programs: RawProgram[];
  attaches: RawAttach[];
  /** Placeholders replaced with text the file does not fix (`FILTER`). */
  unknownPlaceholders: Set<string>;
  /** The step budget ran out: the model covers the file up to there. */
  truncated: boolean;
  ids: IdSource;
}

// ---------------------------------------------------------------- bcc's vocabulary

/** Parameters of bcc's attach methods, in order (src/python/bcc/__init__.py). */
export const ATTACH_SIGNATURES: Readonly<Record<string, readonly string[]>> = {
  attach_kprobe: ['event', 'event_off', 'fn_name', 'event_re'],
  attach_kretprobe: ['event', 'fn_name', 'event_re', 'maxactive'],
  attach_tracepoint: ['tp', 'tp_re', 'fn_name'],
  attach_raw_tracepoint: ['tp', 'fn_name'],
  attach_kfunc: ['fn_name'],
  attach_kretfunc: ['fn_name'],
  attach_lsm: ['fn_name'],
  attach_fmod_ret: ['fn_name'],
  attach_uprobe: ['name', 'sym', 'sym_re', 'addr', 'fn_name', 'pid', 'sym_off'],
  attach_uretprobe: ['name', 'sym', 'sym_re', 'addr', 'fn_name', 'pid'],
  attach_perf_event: ['ev_type', 'ev_config', 'fn_name', 'sample_period', 'sample_freq', 'pid', 'cpu', 'group_fd'],
  attach_perf_event_raw: ['attr', 'fn_name', 'pid', 'cpu', 'group_fd'],
  enable_probe: ['probe', 'fn_name'],
  enable_probe_or_bail: ['probe', 'fn_name'],
};

/** Parameters of `BPF(...)`. */
const BPF_SIGNATURE = ['src_file', 'hdr_file', 'text', 'cb', 'debug', 'cflags', 'usdt_contexts'];

/** Kernel checks a tool can branch on: bcc's own and the usual run-time probes of the kernel. */
const GUARD_CHECKS = new Set([
  'get_kprobe_functions', 'tracepoint_exists', 'get_tracepoints', 'support_kfunc', 'support_lsm',
  'support_fmod_ret', 'support_raw_tracepoint', 'support_raw_tracepoint_in_module', 'ksymname', 'ksym',
  'kernel_struct_has_field', 'kernel_enum_has_val', 'num_open_kprobes', 'num_open_tracepoints',
  'get_user_functions', 'find_library',
]);

/** File checks that tools use to probe the kernel's interfaces (tracefs events, /proc, /sys). */
const PATH_CHECKS = new Set(['os.path.exists', 'os.path.isdir', 'os.path.isfile', 'path.exists', 'path.isdir', 'os.access']);

/** Calls that leave the program. */
const EXIT_CALLS = new Set(['exit', 'quit', 'sys.exit', 'os._exit', 'os.abort']);

/** What a check returns when it fails, to read comparisons such as `ksymname(x) != -1`. */
function failedResult(check: string): number | null {
  return check === 'ksymname' || check === 'ksym' ? -1 : 0;
}

// ---------------------------------------------------------------- guard expressions

type Truth = GuardExpr | boolean;

function guardsOf(e: GuardExpr): BccGuard[] {
  switch (e.op) {
    case 'guard': return [e.guard];
    case 'not': return guardsOf(e.arg);
    case 'and': case 'or': return e.args.flatMap(guardsOf);
    case 'opaque': return e.guards;
  }
}

export function dependsOnKernel(e: GuardExpr): boolean {
  return guardsOf(e).length > 0;
}

function not(t: Truth): Truth {
  if (typeof t === 'boolean') return !t;
  if (t.op === 'not') return t.arg;
  return { op: 'not', arg: t };
}

function and(ts: Truth[]): Truth {
  const args: GuardExpr[] = [];
  for (const t of ts) {
    if (t === false) return false;
    if (t === true) continue;
    if (t.op === 'and') args.push(...t.args); else args.push(t);
  }
  return args.length === 0 ? true : args.length === 1 ? args[0] : { op: 'and', args };
}

function or(ts: Truth[]): Truth {
  const args: GuardExpr[] = [];
  for (const t of ts) {
    if (t === true) return true;
    if (t === false) continue;
    if (t.op === 'or') args.push(...t.args); else args.push(t);
  }
  return args.length === 0 ? false : args.length === 1 ? args[0] : { op: 'or', args };
}

/** A conjunct of the top-level AND that depends on no kernel check (a command-line option). */
function hasUserConjunct(e: GuardExpr): boolean {
  const conjuncts = e.op === 'and' ? e.args : [e];
  return conjuncts.some((c) => !dependsOnKernel(c));
}

function opaque(text: string, guards: BccGuard[] = []): GuardExpr {
  return { op: 'opaque', text, guards };
}

function condsTruth(conds: readonly BccCondition[]): Truth {
  return and(conds.map((c) => c.expr));
}

// ---------------------------------------------------------------- the interpreter

const STEP_BUDGET = 400_000;
const MAX_CALL_DEPTH = 6;
const MAX_ALTS = 24;
const MAX_LOOP_ITEMS = 64;
/** Largest string value kept (pieces, choices unfolded, a literal piece counting one per 64
 *  characters): past it the value is unknown. Real tools stay far below. */
const MAX_STR_SIZE = 50_000;

type Flow = 'normal' | 'exit' | 'return' | 'break' | 'continue';

export class Interp {
  private env = new Map<string, Value>();
  private conds: BccCondition[] = [];
  private steps = 0;
  private depth = 0;
  private readonly active = new Set<number>();
  private readonly evaluatedFunctions = new Set<number>();
  private readonly allFunctions: SyntaxNode[] = [];
  private returns: Item[] | undefined;
  private readonly ids = new IdSource();
  private readonly out: InterpResult;

  constructor(private readonly source: string, private readonly lines: LineMap) {
    this.out = { programs: [], attaches: [], unknownPlaceholders: new Set(), truncated: false, ids: this.ids };
  }

  run(root: SyntaxNode): InterpResult {
    this.collectFunctions(root);
    // The tool runs as a script.
    this.env.set('__name__', { t: 'str', s: [lit('__main__', Array.from({ length: 9 }, () => 0))] });
    this.execBlock(root.namedChildren);
    // Functions and methods the file never calls with what it fixes: walked once, arguments
    // unknown, so their attach calls are found (class-based tools, callbacks).
    for (const fn of this.allFunctions) {
      if (this.evaluatedFunctions.has(fn.id) || this.out.truncated) continue;
      this.callFunction({ t: 'func', node: fn, name: fn.childForFieldName('name')?.text ?? '' }, [], undefined, true);
    }
    return this.out;
  }

  private collectFunctions(node: SyntaxNode): void {
    for (const f of node.descendantsOfType('function_definition')) if (f) this.allFunctions.push(f);
  }

  private tick(): boolean {
    if (++this.steps > STEP_BUDGET) {
      this.out.truncated = true;
      return false;
    }
    return true;
  }

  // ------------------------------------------------------------ statements

  private execBlock(stmts: readonly (SyntaxNode | null)[]): Flow {
    for (const s of stmts) {
      if (!s || s.type === 'comment') continue;
      const flow = this.execStmt(s);
      if (flow !== 'normal') return flow;
    }
    return 'normal';
  }

  private body(node: SyntaxNode | null): (SyntaxNode | null)[] {
    if (!node) return [];
    return node.type === 'block' ? node.namedChildren : [node];
  }

  private execStmt(s: SyntaxNode): Flow {
    if (!this.tick()) return 'exit';
    switch (s.type) {
      case 'expression_statement': {
        for (const e of s.namedChildren) {
          if (!e) continue;
          if (e.type === 'call' && EXIT_CALLS.has(e.childForFieldName('function')?.text ?? '')) {
            this.evalArgs(e);
            return 'exit';
          }
          this.evalExprStmt(e);
        }
        return 'normal';
      }
      case 'if_statement': return this.execIf(s);
      case 'for_statement': return this.execFor(s);
      case 'while_statement': return this.execWhile(s);
      case 'try_statement': return this.execTry(s);
      case 'with_statement': {
        for (const c of s.namedChildren) if (c && c.type === 'with_clause') this.evalExpr(c);
        return this.execBlock(this.body(s.childForFieldName('body')));
      }
      case 'function_definition': {
        const name = s.childForFieldName('name')?.text;
        if (name) this.env.set(name, { t: 'func', node: s, name });
        return 'normal';
      }
      case 'decorated_definition': {
        const def = s.childForFieldName('definition');
        return def ? this.execStmt(def) : 'normal';
      }
      case 'class_definition': {
        // Methods are walked later as functions the file does not call directly.
        return 'normal';
      }
      case 'return_statement': {
        const value = s.namedChildren[0];
        const v = value ? this.evalExpr(value) : { t: 'none' as const };
        this.returns?.push({ v, conds: [...this.conds] });
        return 'return';
      }
      case 'raise_statement':
        return 'exit';
      case 'break_statement': return 'break';
      case 'continue_statement': return 'continue';
      case 'global_statement': case 'nonlocal_statement': case 'import_statement': case 'import_from_statement':
      case 'future_import_statement': case 'pass_statement': case 'comment':
        return 'normal';
      case 'match_statement': {
        for (const c of s.descendantsOfType('block')) if (c) this.execBranchesOpaque(c, s);
        return 'normal';
      }
      default:
        for (const c of s.namedChildren) if (c) this.evalExpr(c);
        return 'normal';
    }
  }

  private evalExprStmt(e: SyntaxNode): void {
    if (e.type === 'assignment') { this.assign(e); return; }
    if (e.type === 'augmented_assignment') { this.augAssign(e); return; }
    this.evalExpr(e);
  }

  private assign(node: SyntaxNode): void {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    if (!left || !right) return;
    let value: Value;
    if (right.type === 'assignment') {
      // a = b = value
      this.assign(right);
      value = this.evalExpr(right.childForFieldName('left') ?? right);
    } else {
      value = this.evalExpr(right);
    }
    this.bind(left, value);
  }

  private bind(target: SyntaxNode, value: Value): void {
    const name = this.targetName(target);
    if (name) { this.env.set(name, value); return; }
    if (target.type === 'pattern_list' || target.type === 'tuple_pattern' || target.type === 'list_pattern' || target.type === 'expression_list' || target.type === 'tuple') {
      const targets = target.namedChildren.filter((c): c is SyntaxNode => !!c);
      const items = value.t === 'list' && !value.open && value.items.length === targets.length && value.items.every((i) => !i.conds.length) ? value.items : undefined;
      targets.forEach((t, k) => this.bind(t, items ? items[k].v : this.unknown(t)));
    }
  }

  /** `x`, `self.attr`, `a.b.c`: the dotted name a target or value is stored under. */
  private targetName(node: SyntaxNode): string | undefined {
    if (node.type === 'identifier') return node.text;
    if (node.type === 'attribute') {
      const obj = node.childForFieldName('object');
      const attr = node.childForFieldName('attribute');
      const base = obj && this.targetName(obj);
      return base && attr ? `${base}.${attr.text}` : undefined;
    }
    return undefined;
  }

  private augAssign(node: SyntaxNode): void {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    const op = node.childForFieldName('operator')?.text ?? node.children.find((c) => c && /=$/.test(c.type))?.text;
    if (!left || !right) return;
    const name = this.targetName(left);
    const before = name ? this.env.get(name) ?? this.unknown(left) : this.unknown(left);
    const rhs = this.evalExpr(right);
    const value = op === '+=' ? this.add(before, rhs, node) : op === '%=' ? this.format(before, rhs, node) : this.unknown(node, [before, rhs]);
    if (name) this.env.set(name, value);
  }

  // ------------------------------------------------------------ branches

  private makeCond(kind: BccCondition['kind'], expr: GuardExpr, node: SyntaxNode, text = node.text): BccCondition {
    return { kind, expr, text: text.replace(/\s+/g, ' ').trim(), range: this.lines.range(node.startIndex, node.endIndex) };
  }

  private negatedCond(c: BccCondition): BccCondition {
    const e = not(c.expr);
    return { kind: c.kind, expr: typeof e === 'boolean' ? opaque(`not (${c.text})`) : e, text: `not (${c.text})`, range: c.range };
  }

  private withScope<T>(conds: BccCondition[], f: () => T): { result: T; env: Map<string, Value> } {
    const savedEnv = this.env;
    const savedConds = this.conds;
    this.env = new Map(savedEnv);
    this.conds = [...savedConds, ...conds.filter((c) => !savedConds.includes(c))];
    try {
      const result = f();
      return { result, env: this.env };
    } finally {
      this.env = savedEnv;
      this.conds = savedConds;
    }
  }

  private execIf(node: SyntaxNode): Flow {
    const tests: { cond: SyntaxNode; block: SyntaxNode | null }[] = [];
    const cond0 = node.childForFieldName('condition');
    if (cond0) tests.push({ cond: cond0, block: node.childForFieldName('consequence') });
    let elseBlock: SyntaxNode | null = null;
    for (const c of node.childrenForFieldName('alternative')) {
      if (!c) continue;
      if (c.type === 'elif_clause') {
        const cc = c.childForFieldName('condition');
        if (cc) tests.push({ cond: cc, block: c.childForFieldName('consequence') });
      } else if (c.type === 'else_clause') {
        elseBlock = c.childForFieldName('body');
      }
    }
    const branches: { conds: BccCondition[]; env: Map<string, Value>; flow: Flow }[] = [];
    const prior: BccCondition[] = [];
    let exhaustive = false;
    for (const t of tests) {
      const truth = this.truth(this.evalExpr(t.cond));
      if (truth === false) continue;
      const own = truth === true ? [] : [this.makeCond('if', truth, t.cond)];
      const conds = [...prior, ...own];
      const { result, env } = this.withScope(conds, () => this.execBlock(this.body(t.block)));
      branches.push({ conds, env, flow: result });
      if (truth === true) { exhaustive = true; break; }
      prior.push(this.negatedCond(own[0]));
    }
    if (!exhaustive) {
      const conds = [...prior];
      const { result, env } = this.withScope(conds, () => this.execBlock(this.body(elseBlock)));
      branches.push({ conds, env, flow: result });
    }
    return this.join(branches, node);
  }

  /** Continues after branches: the environment merged over the branches that go on, and, for
   *  each branch that leaves (exit, raise, return), the negation of its test as a condition on
   *  everything after. */
  private join(branches: { conds: BccCondition[]; env: Map<string, Value>; flow: Flow }[], node: SyntaxNode): Flow {
    const live = branches.filter((b) => b.flow === 'normal' || b.flow === 'break' || b.flow === 'continue');
    const left = branches.filter((b) => b.flow === 'exit' || b.flow === 'return');
    if (!live.length) return left.some((b) => b.flow === 'return') ? 'return' : 'exit';
    this.env = this.mergeEnvs(live);
    for (const b of left) {
      const t = condsTruth(b.conds);
      // Only a branch that leaves on the kernel's answer alone makes what follows depend on the
      // kernel: `if args.flags and not tp: exit()` leaves only when the user asks for flags.
      if (typeof t === 'boolean' || !dependsOnKernel(t) || hasUserConjunct(t)) continue;
      const e = not(t);
      if (typeof e === 'boolean') continue;
      this.conds = [...this.conds, this.makeCond('exit', e, node, `not (${b.conds.map((c) => c.text).join(' and ')})`)];
    }
    return 'normal';
  }

  private mergeEnvs(branches: { conds: BccCondition[]; env: Map<string, Value> }[]): Map<string, Value> {
    if (branches.length === 1) return branches[0].env;
    const keys = new Set<string>();
    for (const b of branches) for (const k of b.env.keys()) keys.add(k);
    const out = new Map<string, Value>();
    for (const k of keys) {
      const vals = branches.map((b) => b.env.get(k));
      if (vals.every((v) => v === vals[0])) { if (vals[0]) out.set(k, vals[0]); continue; }
      const merged = this.mergeValues(branches.map((b, i) => ({ v: vals[i], conds: b.conds })));
      if (merged) out.set(k, merged);
    }
    return out;
  }

  private anyOf = (lists: BccCondition[][]): BccCondition[] => {
    if (lists.some((l) => l.length === 0)) return [];
    if (lists.length === 1) return lists[0];
    const t = or(lists.map(condsTruth));
    if (typeof t === 'boolean') return [];
    return [{ kind: 'if', expr: t, text: lists.map((l) => l.map((c) => c.text).join(' and ')).join(' or '), range: lists[0][0].range }];
  };

  private mergeValues(items: { v: Value | undefined; conds: BccCondition[] }[]): Value | undefined {
    const defined = items.filter((i): i is { v: Value; conds: BccCondition[] } => !!i.v);
    if (!defined.length) return undefined;
    if (defined.length === items.length && defined.every((i) => i.v.t === 'str')) {
      const s = mergeStrs(defined.map((i) => ({ s: (i.v as { s: Str }).s, conds: i.conds })), this.ids, this.anyOf);
      return strSize(s) > MAX_STR_SIZE ? { t: 'unknown', text: 'text too large to follow', guards: [] } : { t: 'str', s };
    }
    if (defined.every((i) => i.v.t === 'list')) {
      const seen = new Set<Item>();
      const merged: Item[] = [];
      let open = false;
      for (const i of defined) {
        const l = i.v as Extract<Value, { t: 'list' }>;
        open ||= l.open;
        for (const it of l.items) if (!seen.has(it)) { seen.add(it); merged.push(it); }
      }
      return { t: 'list', items: merged, open };
    }
    if (defined.every((i) => i.v.t === 'bpf' && (i.v as { program: number }).program === (defined[0].v as { program: number }).program)) return defined[0].v;
    const alts: Item[] = [];
    for (const i of defined) {
      if (i.v.t === 'alt') for (const a of i.v.alts) alts.push({ v: a.v, conds: [...i.conds, ...a.conds] });
      else alts.push({ v: i.v, conds: i.conds });
    }
    if (alts.length > MAX_ALTS) return { t: 'unknown', text: 'value chosen among many branches', guards: alts.flatMap((a) => a.conds.flatMap((c) => guardsOf(c.expr))) };
    return { t: 'alt', alts };
  }

  private execFor(node: SyntaxNode): Flow {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    const body = this.body(node.childForFieldName('body'));
    if (!left || !right) return 'normal';
    const iter = this.evalExpr(right);
    const items = this.iterItems(iter);
    if (items && items.length <= MAX_LOOP_ITEMS) {
      for (const item of items) {
        this.bind(left, item.v);
        const { result, env } = this.withScope(item.conds, () => this.execBlock(body));
        this.env = env;
        if (result === 'break') break;
        if (result === 'exit' || result === 'return') return result;
      }
      return 'normal';
    }
    return this.execBranchesOpaque(node.childForFieldName('body'), node, () => this.bind(left, this.unknown(left)), 'loop', `for ${left.text} in ${right.text}`);
  }

  private iterItems(v: Value): Item[] | undefined {
    if (v.t === 'list' && !v.open) return v.items;
    if (v.t === 'alt') {
      const out: Item[] = [];
      for (const a of v.alts) {
        const sub = this.iterItems(a.v);
        if (!sub) return undefined;
        for (const s of sub) out.push({ v: s.v, conds: [...a.conds, ...s.conds] });
      }
      return out;
    }
    return undefined;
  }

  /** A body that runs zero or more times for reasons the file does not fix: walked once under a
   *  condition, and merged with the state where it did not run. */
  private execBranchesOpaque(block: SyntaxNode | null, node: SyntaxNode, before?: () => void, kind: BccCondition['kind'] = 'loop', text?: string): Flow {
    const cond = this.makeCond(kind, opaque(text ?? node.text.split('\n')[0]), node, text ?? node.text.split('\n')[0]);
    const { result, env } = this.withScope([cond], () => { before?.(); return this.execBlock(this.body(block)); });
    const ran = { conds: [cond], env, flow: result === 'break' || result === 'continue' ? 'normal' as Flow : result };
    const skipped = { conds: [this.negatedCond(cond)], env: this.env, flow: 'normal' as Flow };
    return this.join([ran, skipped], node);
  }

  private execWhile(node: SyntaxNode): Flow {
    const c = node.childForFieldName('condition');
    const truth = c ? this.truth(this.evalExpr(c)) : true;
    if (truth === false) return 'normal';
    return this.execBranchesOpaque(node.childForFieldName('body'), node, undefined, 'loop', `while ${c?.text ?? ''}`);
  }

  private execTry(node: SyntaxNode): Flow {
    const handlers = node.namedChildren.filter((c): c is SyntaxNode => !!c && (c.type === 'except_clause' || c.type === 'except_group_clause'));
    // A failure inside the try block is tolerated when some handler that catches ordinary
    // exceptions lets the program go on.
    const tolerant = handlers.filter((h) => {
      const caught = h.namedChildren.filter((c): c is SyntaxNode => !!c && c.type !== 'block' && c.type !== 'comment').map((c) => c.text).join(' ');
      if (/^\s*\(?\s*KeyboardInterrupt\s*\)?\s*(as\s+\w+)?\s*$/.test(caught)) return false;
      const block = h.namedChildren.find((c) => c?.type === 'block') ?? null;
      return !this.alwaysLeaves(block);
    });
    const bodyNode = node.childForFieldName('body');
    let flow: Flow;
    if (tolerant.length) {
      const cond = this.makeCond('try', opaque('try'), node, 'try');
      const { result, env } = this.withScope([cond], () => this.execBlock(this.body(bodyNode)));
      this.env = env;
      flow = result;
      for (const h of tolerant) {
        const hc = this.makeCond('except', opaque(`except ${h.namedChildren[0]?.text ?? ''}`), h, 'except');
        const block = h.namedChildren.find((c) => c?.type === 'block') ?? null;
        const r = this.withScope([hc], () => this.execBlock(this.body(block)));
        this.env = this.mergeEnvs([{ conds: [], env: this.env }, { conds: [hc], env: r.env }]);
      }
    } else {
      flow = this.execBlock(this.body(bodyNode));
    }
    for (const c of node.namedChildren) {
      if (c && (c.type === 'else_clause' || c.type === 'finally_clause') && flow === 'normal') {
        flow = this.execBlock(this.body(c.childForFieldName('body') ?? c.namedChildren.find((x) => x?.type === 'block') ?? null));
      }
    }
    return flow;
  }

  /** The block ends in exit/raise/return on every path (syntactically: its last statement). */
  private alwaysLeaves(block: SyntaxNode | null): boolean {
    const stmts = this.body(block).filter((s): s is SyntaxNode => !!s && s.type !== 'comment');
    const last = stmts[stmts.length - 1];
    if (!last) return false;
    if (last.type === 'raise_statement' || last.type === 'return_statement') return true;
    if (last.type === 'expression_statement') {
      const e = last.namedChildren[0];
      return !!e && e.type === 'call' && EXIT_CALLS.has(e.childForFieldName('function')?.text ?? '');
    }
    return false;
  }

  // ------------------------------------------------------------ expressions

  private unknown(node: SyntaxNode, from: Value[] = []): Value {
    const guards = from.flatMap((v) => this.valueGuards(v));
    return { t: 'unknown', text: node.text.length > 80 ? node.text.slice(0, 77) + '...' : node.text, guards };
  }

  private valueGuards(v: Value): BccGuard[] {
    switch (v.t) {
      case 'guard': return guardsOf(v.expr);
      case 'unknown': return v.guards;
      case 'alt': return v.alts.flatMap((a) => [...a.conds.flatMap((c) => guardsOf(c.expr)), ...this.valueGuards(a.v)]);
      case 'list': return v.items.flatMap((i) => i.conds.flatMap((c) => guardsOf(c.expr)));
      case 'str': return v.s.flatMap((p) => p.k === 'choice' ? p.alts.flatMap((a) => a.conds.flatMap((c) => guardsOf(c.expr))) : []);
      default: return [];
    }
  }

  evalExpr(node: SyntaxNode): Value {
    if (!this.tick()) return this.unknown(node);
    switch (node.type) {
      case 'string': return { t: 'str', s: this.stringPieces(node) };
      case 'concatenated_string': return { t: 'str', s: node.namedChildren.flatMap((c) => c && c.type === 'string' ? this.stringPieces(c) : []) };
      case 'integer': {
        const n = Number(node.text.replace(/_/g, '').replace(/[lL]$/, ''));
        return Number.isFinite(n) ? { t: 'num', n } : this.unknown(node);
      }
      case 'float': return { t: 'num', n: Number(node.text) };
      case 'true': return { t: 'bool', b: true };
      case 'false': return { t: 'bool', b: false };
      case 'none': return { t: 'none' };
      case 'identifier': return this.env.get(node.text) ?? this.unknown(node);
      case 'attribute': return this.evalAttribute(node);
      case 'parenthesized_expression': {
        const inner = node.namedChildren.find((c) => c && c.type !== 'comment');
        return inner ? this.evalExpr(inner) : this.unknown(node);
      }
      case 'list': case 'tuple': case 'set': case 'expression_list': return this.evalSequence(node);
      case 'binary_operator': return this.evalBinary(node);
      case 'unary_operator': {
        const arg = node.childForFieldName('argument');
        const v = arg ? this.evalExpr(arg) : undefined;
        const op = node.childForFieldName('operator')?.text ?? node.text.trim()[0];
        if (v?.t === 'num' && op === '-') return { t: 'num', n: -v.n };
        return this.unknown(node, v ? [v] : []);
      }
      case 'not_operator': {
        const arg = node.childForFieldName('argument');
        const t = arg ? this.truth(this.evalExpr(arg)) : true;
        return this.fromTruth(not(t));
      }
      case 'boolean_operator': return this.evalBoolean(node);
      case 'comparison_operator': return this.compare(node);
      case 'conditional_expression': return this.evalConditional(node);
      case 'call': return this.evalCall(node);
      case 'assignment': this.assign(node); return this.unknown(node);
      case 'named_expression': {
        const name = node.childForFieldName('name');
        const value = node.childForFieldName('value');
        const v = value ? this.evalExpr(value) : this.unknown(node);
        if (name) this.env.set(name.text, v);
        return v;
      }
      case 'keyword_argument': {
        const value = node.childForFieldName('value');
        return value ? this.evalExpr(value) : this.unknown(node);
      }
      default:
        // Walk into what is not modelled (comprehensions, lambdas, subscripts, dicts) for calls
        // with effects, such as an attach inside a list comprehension.
        for (const c of node.namedChildren) if (c && c.type !== 'comment') this.evalSubtreeCalls(c);
        return this.unknown(node);
    }
  }

  /** `obj.attr`: the value bound to the dotted name, else unknown (evaluating a non-name object for its effects). */
  private evalAttribute(node: SyntaxNode): Value {
    const name = this.targetName(node);
    const known = name ? this.env.get(name) : undefined;
    if (known) return known;
    const obj = node.childForFieldName('object');
    if (obj && obj.type !== 'identifier') this.evalExpr(obj);
    return this.unknown(node);
  }

  /** A list, tuple, set or bare `a, b` literal: its items, open when a `*splat` is not followed. */
  private evalSequence(node: SyntaxNode): Value {
    const items: Item[] = [];
    let open = false;
    for (const c of node.namedChildren) {
      if (!c || c.type === 'comment') continue;
      if (c.type === 'list_splat') {
        const inner = c.namedChildren[0] ? this.evalExpr(c.namedChildren[0]) : undefined;
        const sub = inner && this.iterItems(inner);
        if (sub) items.push(...sub); else open = true;
        continue;
      }
      items.push({ v: this.evalExpr(c), conds: [] });
    }
    return { t: 'list', items, open };
  }

  /** `a OP b`: string concatenation and `%` formatting, integer arithmetic, else unknown. */
  private evalBinary(node: SyntaxNode): Value {
    const l = node.childForFieldName('left');
    const r = node.childForFieldName('right');
    const op = node.childForFieldName('operator')?.text;
    if (!l || !r) return this.unknown(node);
    const lv = this.evalExpr(l);
    const rv = this.evalExpr(r);
    if (op === '+') return this.add(lv, rv, node);
    if (op === '%' && (lv.t === 'str' || lv.t === 'alt')) return this.format(lv, rv, node);
    if (lv.t === 'num' && rv.t === 'num') {
      switch (op) {
        case '-': return { t: 'num', n: lv.n - rv.n };
        case '*': return { t: 'num', n: lv.n * rv.n };
        case '|': return { t: 'num', n: lv.n | rv.n };
        case '&': return { t: 'num', n: lv.n & rv.n };
      }
    }
    return this.unknown(node, [lv, rv]);
  }

  /** `a and b` / `a or b`: the truth of both sides combined. */
  private evalBoolean(node: SyntaxNode): Value {
    const l = node.childForFieldName('left');
    const r = node.childForFieldName('right');
    const op = node.childForFieldName('operator')?.text ?? node.children.find((c) => c && (c.type === 'and' || c.type === 'or'))?.type;
    if (!l || !r) return this.unknown(node);
    const lt = this.truth(this.evalExpr(l));
    const rt = this.truth(this.evalExpr(r));
    return this.fromTruth(op === 'or' ? or([lt, rt]) : and([lt, rt]));
  }

  /** `a if c else b`: the chosen side when the test is known, else both under their conditions. */
  private evalConditional(node: SyntaxNode): Value {
    const [a, c, b] = node.namedChildren.filter((x): x is SyntaxNode => !!x && x.type !== 'comment');
    if (!a || !c || !b) return this.unknown(node);
    const t = this.truth(this.evalExpr(c));
    if (t === true) return this.evalExpr(a);
    if (t === false) return this.evalExpr(b);
    const ct = this.makeCond('if', t, c);
    const av = this.withScope([ct], () => this.evalExpr(a)).result;
    const bv = this.withScope([this.negatedCond(ct)], () => this.evalExpr(b)).result;
    return this.mergeValues([{ v: av, conds: [ct] }, { v: bv, conds: [this.negatedCond(ct)] }]) ?? this.unknown(node);
  }

  private evalSubtreeCalls(node: SyntaxNode): void {
    if (node.type === 'call' || node.type === 'assignment' || node.type === 'named_expression') { this.evalExpr(node); return; }
    if (node.type === 'lambda' || node.type === 'function_definition') return;
    for (const c of node.namedChildren) if (c && c.type !== 'comment') this.evalSubtreeCalls(c);
  }

  private fromTruth(t: Truth): Value {
    return typeof t === 'boolean' ? { t: 'bool', b: t } : { t: 'guard', expr: t };
  }

  /** What the test `if value:` depends on. */
  truth(v: Value): Truth {
    switch (v.t) {
      case 'bool': return v.b;
      case 'num': return v.n !== 0;
      case 'none': return false;
      case 'guard': return v.expr;
      case 'bpf': case 'func': return true;
      case 'str': {
        const { expansions, truncated } = expand(v.s, 32);
        if (truncated) return opaque('text chosen at run time', this.valueGuards(v));
        return or(expansions.map((e) => {
          const text = e.pieces.every((p) => p.k === 'lit') ? e.pieces.map((p) => (p as { text: string }).text).join('') : undefined;
          const nonEmpty: Truth = text !== undefined ? text.length > 0 : e.pieces.some((p) => (p.k === 'lit' && p.text.length > 0) || p.k === 'syscall') ? true : opaque('text read at run time');
          return and([condsTruth(e.conds), nonEmpty]);
        }));
      }
      case 'list': {
        const items = or(v.items.map((i) => condsTruth(i.conds)));
        return v.open ? or([items, opaque('list filled at run time')]) : items;
      }
      case 'alt': return or(v.alts.map((a) => and([condsTruth(a.conds), this.truth(a.v)])));
      case 'unknown': return opaque(v.text, v.guards);
    }
  }

  private compare(node: SyntaxNode): Value {
    const operands = node.namedChildren.filter((c): c is SyntaxNode => !!c && c.type !== 'comment');
    const ops = node.children.filter((c): c is SyntaxNode => !!c && !c.isNamed).map((c) => c.text);
    if (operands.length !== 2) {
      for (const o of operands) this.evalExpr(o);
      return this.unknown(node);
    }
    // `is not` and `not in` arrive as two tokens.
    const op = ops.join(' ').replace(/\s+/g, ' ').trim();
    const a = this.evalExpr(operands[0]);
    const b = this.evalExpr(operands[1]);
    const constOf = (v: Value): number | boolean | null | string | undefined =>
      v.t === 'num' ? v.n : v.t === 'bool' ? v.b : v.t === 'none' ? null : v.t === 'str' ? constText(v.s) : undefined;
    const ca = constOf(a);
    const cb = constOf(b);
    if (ca !== undefined && cb !== undefined) {
      const r = compareConst(ca, op, cb);
      if (r !== undefined) return { t: 'bool', b: r };
    }
    // A kernel check compared with a constant: `ksymname(x) != -1`, `kernel_struct_has_field(...) == 1`.
    const guardSide = a.t === 'guard' && cb !== undefined ? { g: a, c: cb, flip: false } : b.t === 'guard' && ca !== undefined ? { g: b, c: ca, flip: true } : undefined;
    if (guardSide && typeof guardSide.c !== 'string') {
      const failed = failedResult(guardSide.g.check ?? '');
      const present = failed === -1 ? 0x1000 : 1;
      const cmp = (x: number | boolean | null) => guardSide.flip ? compareConst(guardSide.c as number, op, x) : compareConst(x, op, guardSide.c as number);
      const ifPresent = cmp(present);
      const ifAbsent = cmp(failed);
      if (ifPresent === true && ifAbsent === false) return { t: 'guard', expr: guardSide.g.expr, check: guardSide.g.check };
      if (ifPresent === false && ifAbsent === true) return this.fromTruth(not(guardSide.g.expr));
    }
    return this.unknown(node, [a, b]);
  }

  private stringPieces(node: SyntaxNode): Piece[] {
    const start = node.childForFieldName('start') ?? node.children.find((c) => c?.type === 'string_start');
    const prefix = literalPrefix(start?.text ?? '');
    const out: Piece[] = [];
    for (const c of node.namedChildren) {
      if (!c) continue;
      if (c.type === 'string_content') {
        const d = decodeLiteral(this.source, c.startIndex, c.endIndex, prefix);
        out.push(lit(d.text, d.offsets));
      } else if (c.type === 'interpolation') {
        const expr = c.childForFieldName('expression') ?? c.namedChildren.find((x) => x && x.type !== 'comment');
        const v = expr ? this.evalExpr(expr) : undefined;
        const s = v && this.toStr(v, c);
        if (s) out.push(...s);
        else out.push({ k: 'unknown', text: '_'.repeat(Math.max(1, c.endIndex - c.startIndex)), from: c.startIndex, to: c.endIndex });
      } else if (c.type === 'escape_interpolation') {
        out.push(lit(c.text[0], [c.startIndex, c.endIndex]));
      }
    }
    if (!out.length) out.push(lit('', [start ? start.endIndex : node.startIndex]));
    return out;
  }

  /** A value as text, where the file fixes it (numbers as Python prints them, choices kept). */
  private toStr(v: Value, node: SyntaxNode): Str | undefined {
    const synth = (text: string): Piece[] => [lit(text, [...Array.from(text, () => node.startIndex), node.endIndex])];
    switch (v.t) {
      case 'str': return v.s;
      case 'num': return synth(String(v.n));
      case 'bool': return synth(v.b ? 'True' : 'False');
      case 'none': return synth('None');
      case 'alt': {
        const strs = v.alts.map((a) => ({ s: this.toStr(a.v, node), conds: a.conds }));
        const known = strs.filter((x): x is { s: Str; conds: BccCondition[] } => !!x.s && !(x.s.length === 1 && x.s[0].k === 'lit' && x.s[0].text === 'None' && x.s[0].offsets[0] === node.startIndex));
        if (!known.length) return undefined;
        if (known.length === 1) return known[0].s;
        return mergeStrs(known, this.ids, this.anyOf);
      }
      default: return undefined;
    }
  }

  private add(a: Value, b: Value, node: SyntaxNode): Value {
    if (a.t === 'num' && b.t === 'num') return { t: 'num', n: a.n + b.n };
    if (a.t === 'list' && b.t === 'list') return { t: 'list', items: [...a.items, ...b.items], open: a.open || b.open };
    const sa = this.toStr(a, node);
    const sb = this.toStr(b, node);
    if (!sa && !sb) return this.unknown(node, [a, b]);
    const unknownPiece = (v: Value, n: SyntaxNode): Piece => ({ k: 'unknown', text: '', from: n.startIndex, to: n.endIndex, ...(v.t === 'unknown' ? {} : {}) });
    const left = node.childForFieldName('left') ?? node;
    const right = node.childForFieldName('right') ?? node;
    return this.bounded({ t: 'str', s: [...(sa ?? [unknownPiece(a, left)]), ...(sb ?? [unknownPiece(b, right)])] }, node);
  }

  private format(a: Value, args: Value, node: SyntaxNode): Value {
    const s = this.toStr(a, node);
    if (!s) return this.unknown(node, [a, args]);
    const argNode = node.childForFieldName('right') ?? node;
    const positional = args.t === 'list' && !args.open && args.items.every((i) => !i.conds.length) ? args.items.map((i) => i.v) : [args];
    const pieces = formatStr(s, {
      positional: (k) => (k < positional.length ? this.toStr(positional[k], argNode) : undefined),
      named: () => undefined,
    }, { from: argNode.startIndex, to: argNode.endIndex });
    return this.bounded({ t: 'str', s: pieces }, node);
  }

  /** A string value, or unknown when it grew past MAX_STR_SIZE. */
  private bounded(v: Extract<Value, { t: 'str' }>, node: SyntaxNode): Value {
    return strSize(v.s) > MAX_STR_SIZE ? { t: 'unknown', text: `text too large to follow (${node.text.slice(0, 40)})`, guards: this.valueGuards(v) } : v;
  }

  // ------------------------------------------------------------ calls

  private evalArgs(call: SyntaxNode): { positional: RawArg[]; keywords: Map<string, RawArg> } {
    const positional: RawArg[] = [];
    const keywords = new Map<string, RawArg>();
    const argList = call.childForFieldName('arguments');
    for (const a of argList?.namedChildren ?? []) {
      if (!a || a.type === 'comment') continue;
      if (a.type === 'keyword_argument') {
        const name = a.childForFieldName('name')?.text;
        const value = a.childForFieldName('value');
        if (name && value) keywords.set(name, { v: this.evalExpr(value), node: value, whole: a, keyword: true });
      } else if (a.type === 'list_splat' || a.type === 'dictionary_splat') {
        this.evalSubtreeCalls(a);
      } else {
        positional.push({ v: this.evalExpr(a), node: a, whole: a, keyword: false });
      }
    }
    return { positional, keywords };
  }

  private bindSignature(sig: readonly string[], args: ReturnType<Interp['evalArgs']>): Map<string, RawArg> {
    const out = new Map<string, RawArg>();
    args.positional.forEach((a, k) => { if (k < sig.length) out.set(sig[k], a); });
    for (const [k, v] of args.keywords) out.set(k, v);
    return out;
  }

  private evalCall(node: SyntaxNode): Value {
    const fn = node.childForFieldName('function');
    if (!fn) return this.unknown(node);
    if (fn.type === 'attribute') return this.evalMethodCall(node, fn);
    const name = fn.type === 'identifier' ? fn.text : undefined;
    if (name === 'BPF') {
      const args = this.bindSignature(BPF_SIGNATURE, this.evalArgs(node));
      const index = this.out.programs.length;
      this.out.programs.push({ node, text: args.get('text')?.v, srcFile: args.get('src_file')?.v, conds: [...this.conds] });
      return { t: 'bpf', program: index };
    }
    if (name === 'set' || name === 'list' || name === 'tuple' || name === 'frozenset' || name === 'sorted') {
      const args = this.evalArgs(node);
      const a = args.positional[0]?.v;
      if (!a) return { t: 'list', items: [], open: false };
      const items = this.iterItems(a);
      return items ? { t: 'list', items, open: false } : this.unknown(node, [a]);
    }
    if (name === 'str' || name === 'bytes' || name === 'len' || name === 'bool' || name === 'int') return this.evalConversion(node, name);
    const callee = name ? this.env.get(name) : undefined;
    if (callee?.t === 'func') {
      const args = this.evalArgs(node);
      return this.callFunction(callee, args.positional, args.keywords, false);
    }
    this.evalArgs(node);
    return this.unknown(node);
  }

  /** `recv.method(...)`: attaches, kernel checks, syscall names, string and list methods; else unknown. */
  private evalMethodCall(node: SyntaxNode, fn: SyntaxNode): Value {
    const method = fn.childForFieldName('attribute')?.text ?? '';
    const recvNode = fn.childForFieldName('object');
    const recv = recvNode ? this.evalExpr(recvNode) : undefined;
    if (ATTACH_SIGNATURES[method]) {
      const args = this.bindSignature(ATTACH_SIGNATURES[method], this.evalArgs(node));
      this.out.attaches.push({ method, node, args, conds: [...this.conds], program: recv?.t === 'bpf' ? recv.program : undefined });
      return recv ?? this.unknown(node);
    }
    if (GUARD_CHECKS.has(method)) return this.evalGuardCheck(node, method);
    if (PATH_CHECKS.has(`${recvNode?.text ?? ''}.${method}`)) {
      const args = this.evalArgs(node);
      const guard = this.pathGuard(node, args.positional[0]?.v);
      if (guard) return { t: 'guard', expr: { op: 'guard', guard }, check: guard.check };
      return this.unknown(node, args.positional.map((a) => a.v));
    }
    if (method === 'get_syscall_fnname' || method === 'get_syscall_prefix' || method === 'fix_syscall_fnname') return this.evalSyscallName(node, method);
    if (recv && (method === 'decode' || method === 'encode') && (recv.t === 'str' || recv.t === 'alt')) {
      this.evalArgs(node);
      return recv;
    }
    if (recv && method === 'replace') return this.replace(recv, node);
    if (recv && (method === 'add' || method === 'append' || method === 'extend' || method === 'update') && recvNode) {
      return this.evalListMutation(node, method, recv, recvNode);
    }
    if (recv?.t === 'func' && recvNode?.text === 'self') {
      // self.method(): walked later as a function the file does not call directly.
    }
    this.evalArgs(node);
    return this.unknown(node, recv ? [recv] : []);
  }

  /** One of bcc's kernel checks (`BPF.ksymname(...)`, ...): a guard on its constant arguments. */
  private evalGuardCheck(node: SyntaxNode, method: string): Value {
    const args = this.evalArgs(node);
    const guard: BccGuard = {
      check: method,
      args: args.positional.map((a) => (a.v.t === 'str' ? constText(a.v.s) : undefined)),
      text: node.text.replace(/\s+/g, ' '),
      range: this.lines.range(node.startIndex, node.endIndex),
    };
    // `ksymname(b.get_syscall_fnname("stat"))`: the name after the kernel's syscall prefix.
    args.positional.forEach((a, k) => {
      if (a.v.t !== 'str' || a.v.s[0]?.k !== 'syscall') return;
      const rest = constText(a.v.s.slice(1));
      if (rest === undefined) return;
      guard.args[k] = rest;
      guard.syscallArg = k;
    });
    return { t: 'guard', expr: { op: 'guard', guard }, check: method };
  }

  /** `get_syscall_fnname` / `get_syscall_prefix` / `fix_syscall_fnname`: text behind the kernel's syscall prefix. */
  private evalSyscallName(node: SyntaxNode, method: string): Value {
    const args = this.evalArgs(node);
    const prefix: Piece = { k: 'syscall', from: node.startIndex, to: node.endIndex };
    if (method === 'get_syscall_prefix') return { t: 'str', s: [prefix] };
    const arg = args.positional[0] ?? args.keywords.get('name');
    const s = arg && this.toStr(arg.v, arg.node);
    if (!s) return this.unknown(node);
    if (method === 'fix_syscall_fnname') {
      const text = constText(s);
      const p = text !== undefined ? SYSCALL_PREFIXES.find((x) => text.startsWith(x)) : undefined;
      return p ? { t: 'str', s: [prefix, lit(text!.slice(p.length), (s[0] as { offsets: readonly number[] }).offsets.slice(p.length))] } : { t: 'str', s };
    }
    return { t: 'str', s: [prefix, ...s] };
  }

  /** `xs.add/append/extend/update(...)` on a named list: rebinds the name to the grown list; None. */
  private evalListMutation(node: SyntaxNode, method: string, recv: Value, recvNode: SyntaxNode): Value {
    const args = this.evalArgs(node);
    const name = this.targetName(recvNode);
    if (name && recv.t === 'list' && args.positional[0]) {
      const added = method === 'add' || method === 'append'
        ? [{ v: args.positional[0].v, conds: [...this.conds] }]
        : (this.iterItems(args.positional[0].v) ?? []).map((i) => ({ v: i.v, conds: [...this.conds, ...i.conds] }));
      const open = recv.open || ((method === 'extend' || method === 'update') && !this.iterItems(args.positional[0].v));
      this.env.set(name, { t: 'list', items: [...recv.items, ...added], open });
    }
    return { t: 'none' };
  }

  /** `str/bytes/len/bool/int(x)`: the converted value where the file fixes it, else unknown. */
  private evalConversion(node: SyntaxNode, name: string): Value {
    const args = this.evalArgs(node);
    const a = args.positional[0]?.v;
    if (!a) return this.unknown(node);
    if (name === 'str' || name === 'bytes') return a.t === 'str' ? a : this.toStr(a, node) ? { t: 'str', s: this.toStr(a, node)! } : this.unknown(node, [a]);
    if (name === 'bool' || a.t === 'guard') return name === 'int' ? this.unknown(node, [a]) : a.t === 'guard' ? a : this.fromTruth(this.truth(a));
    if (name === 'len' && a.t === 'list' && !a.open && a.items.every((i) => !i.conds.length)) return { t: 'num', n: a.items.length };
    if (name === 'int' && a.t === 'num') return a;
    return this.unknown(node, [a]);
  }

  /** `os.path.exists(path)` of a kernel interface: a trace event directory is tracepoint_exists;
   *  any other path under /sys, /proc or tracefs is a kernel check the facts cannot answer. */
  private pathGuard(node: SyntaxNode, v: Value | undefined): BccGuard | undefined {
    if (!v || v.t !== 'str') return undefined;
    const known = v.s.map((p) => (p.k === 'lit' ? p.text : '\u0000')).join('');
    const range = this.lines.range(node.startIndex, node.endIndex);
    const text = node.text.replace(/\s+/g, ' ');
    const event = /(?:^|\/)events\/(\w+)\/(\w+)\/?$/.exec(known);
    if (event) return { check: 'tracepoint_exists', args: [event[1], event[2]], text, range };
    if (/\/sys\/|\/proc\/|tracing\/|debug\/|kernel/.test(known)) return { check: 'path_exists', args: [known.includes('\u0000') ? undefined : known], text, range };
    return undefined;
  }

  private replace(recv: Value, node: SyntaxNode): Value {
    const args = this.evalArgs(node);
    const oldArg = args.positional[0]?.v;
    const newArg = args.positional[1];
    const old = oldArg && oldArg.t === 'str' ? constText(oldArg.s) : undefined;
    const s = this.toStr(recv, node);
    if (!s) return this.unknown(node, [recv]);
    if (old === undefined || !newArg) return { t: 'str', s };
    const rep = this.toStr(newArg.v, newArg.node);
    if (!rep) {
      // Text the file does not fix: the placeholder stays as written and is known to be one.
      this.out.unknownPlaceholders.add(old);
      return { t: 'str', s };
    }
    return this.bounded({ t: 'str', s: replaceStr(s, old, rep, this.ids) }, node);
  }

  private callFunction(fn: Extract<Value, { t: 'func' }>, positional: RawArg[],
    keywords: Map<string, RawArg> | undefined, uncalled: boolean): Value {
    if (this.depth >= MAX_CALL_DEPTH || this.active.has(fn.node.id)) return this.unknown(fn.node);
    this.evaluatedFunctions.add(fn.node.id);
    const params = fn.node.childForFieldName('parameters')?.namedChildren.filter((p): p is SyntaxNode => !!p && p.type !== 'comment') ?? [];
    const bound = new Map<string, Value>();
    let k = 0;
    for (const p of params) {
      const nameNode = p.type === 'identifier' ? p : p.childForFieldName('name') ?? p.namedChildren.find((c) => c?.type === 'identifier') ?? null;
      const pname = nameNode?.text;
      if (!pname) continue;
      if (p.type === 'list_splat_pattern' || p.type === 'dictionary_splat_pattern') { bound.set(pname, this.unknown(p)); continue; }
      const kw = keywords?.get(pname);
      if (kw) bound.set(pname, kw.v);
      else if (k < positional.length) bound.set(pname, positional[k++].v);
      else {
        const def = p.childForFieldName('value');
        bound.set(pname, def && !uncalled ? this.evalExpr(def) : this.unknown(p));
      }
    }
    const savedEnv = this.env;
    const savedConds = this.conds;
    const savedReturns = this.returns;
    this.env = new Map(savedEnv);
    for (const [n, v] of bound) this.env.set(n, v);
    this.returns = [];
    this.depth++;
    this.active.add(fn.node.id);
    const globals = new Set(fn.node.descendantsOfType('global_statement').flatMap((g) => g ? g.namedChildren.map((c) => c?.text ?? '') : []));
    let returns: Item[] = [];
    try {
      const flow = this.execBlock(this.body(fn.node.childForFieldName('body')));
      returns = this.returns;
      if (flow === 'normal') returns.push({ v: { t: 'none' }, conds: [...this.conds] });
      const after = this.env;
      this.env = savedEnv;
      for (const g of globals) { const v = after.get(g); if (v) this.env.set(g, v); }
      // Methods walked on their own (nobody in the file calls them with what it fixes) share the
      // object's attributes in file order: `self.program` built in one method is what
      // `BPF(text=self.program)` compiles in the next (trace.py, argdist.py).
      if (uncalled) for (const [k, v] of after) if (k.startsWith('self.') && savedEnv.get(k) !== v) this.env.set(k, v);
    } finally {
      this.depth--;
      this.active.delete(fn.node.id);
      this.returns = savedReturns;
      if (this.env !== savedEnv) this.env = savedEnv;
      this.conds = savedConds;
    }
    if (!returns.length) return { t: 'none' };
    // Conditions inside the function relative to the call.
    const rel = returns.map((r) => ({ v: r.v, conds: r.conds.filter((c) => !savedConds.includes(c)) }));
    if (rel.length === 1 || rel.every((r) => r.v === rel[0].v)) return rel[0].v;
    return this.mergeValues(rel) ?? { t: 'none' };
  }
}

/** bcc's `_syscall_prefixes` (src/python/bcc/__init__.py), in its order. */
export const SYSCALL_PREFIXES = ['sys_', '__x64_sys_', '__x32_compat_sys_', '__ia32_compat_sys_', '__arm64_sys_', '__s390x_sys_', '__s390_sys_'];

function compareConst(a: number | boolean | null | string, op: string, b: number | boolean | null | string): boolean | undefined {
  const num = (x: number | boolean | null | string) => (typeof x === 'boolean' ? Number(x) : x);
  const x = num(a);
  const y = num(b);
  switch (op) {
    case '==': return x === y;
    case '!=': return x !== y;
    case 'is': return a === b;
    case 'is not': return a !== b;
    case '<': return x !== null && y !== null ? x < y : undefined;
    case '<=': return x !== null && y !== null ? x <= y : undefined;
    case '>': return x !== null && y !== null ? x > y : undefined;
    case '>=': return x !== null && y !== null ? x >= y : undefined;
    default: return undefined;
  }
}
