// What a BPF tool's user-space loader decides about its programs: which ones it may switch off
// (`bpf_program__set_autoload(obj->progs.X, false)`), between which it chooses (the branches of an
// `if`/`else` chain, `switch` cases, through the loader's own helper functions), which it retargets
// (`bpf_program__set_attach_target(prog, 0, "name")`) and which it attaches itself by name
// (`bpf_program__attach_kprobe(prog, false, func)`). Read with tree-sitter C for `.c` loaders (the
// skeleton's `obj->progs.NAME`, or `bpf_object__find_program_by_name(obj, "NAME")`), and with simple
// patterns for Go (cilium/ebpf `Programs["name"]`, libbpfgo `GetProgram("name")`) and Rust
// (libbpf-rs `progs_mut().name()`) loaders. Pure: text (and the tree of a C loader) in, facts out.
//
// The choices are kept as configurations: each one is the set of programs switched off on one path
// through the loader; a program never switched off is loaded on every path. analysis/intent.ts
// judges, per kernel, whether some path loads only programs that attach there.

import { LineMap } from './cModel';
import type { SyntaxNode, Tree } from './parser';

export type LoaderLanguage = 'c' | 'go' | 'rust';

/** One loader file as read from disk, beside the BPF source. */
export interface LoaderSource {
  /** File name for messages (`biosnoop.c`). */
  name: string;
  language: LoaderLanguage;
  text: string;
}

/** A place in a loader: file name and 1-based line. */
export interface LoaderSite { file: string; line: number }

/** A check the loader makes of the kernel before choosing (libbpf-tools' trace_helpers:
 *  `tracepoint_exists("block", "block_io_start")`, `fentry_can_attach("f", NULL)`,
 *  `kprobe_exists("f")`, `probe_tp_btf("e")`, `ksyms__get_symbol(ksyms, "f")`), with the value
 *  it has on one path. analysis/intent.ts answers it per kernel from the kernel's facts. */
export interface LoaderGuard {
  check: 'tracepoint_exists' | 'fentry_can_attach' | 'kprobe_exists' | 'probe_tp_btf' | 'ksyms__get_symbol';
  args: string[];
  value: boolean;
}

/** A point where the loader chooses: the programs it mentions, and the configurations (each a set
 *  of programs switched off on one path) it can produce, with the checks each path assumes. */
export interface LoaderChoice {
  site: LoaderSite;
  programs: string[];
  configs: string[][];
  /** Per configuration: the kernel checks that path assumes (empty: none known). */
  guards: LoaderGuard[][];
}

export interface LoaderFacts {
  files: string[];
  /** Every program the loader names (by skeleton field or by name). */
  mentioned: Set<string>;
  /** Programs switched off somewhere, with the first place. */
  switchedOff: Map<string, LoaderSite>;
  /** Programs switched on explicitly (`set_autoload(X, true)`: the `?` sections the loader wants). */
  switchedOn: Map<string, LoaderSite>;
  /** `set_attach_target` calls: literal target names, and whether a computed name was seen. */
  retargets: Map<string, { names: string[]; computed: boolean; site: LoaderSite }>;
  /** Programs the loader attaches itself (`bpf_program__attach_kprobe(X, ...)` and kin, Go/Rust
   *  attach calls): literal targets, and whether a computed one was seen. */
  attachedByName: Map<string, { names: string[]; computed: boolean; site: LoaderSite }>;
  /** The loader's choices, outermost first; programs of one choice are alternatives. */
  choices: LoaderChoice[];
}

export function emptyLoaderFacts(): LoaderFacts {
  return { files: [], mentioned: new Set(), switchedOff: new Map(), switchedOn: new Map(), retargets: new Map(), attachedByName: new Map(), choices: [] };
}

/** Configurations beyond this many collapse into "any subset" (one per program and none). */
const MAX_CONFIGS = 256;

/** libbpf calls that attach a program to a target given as an argument (0-based index), and the
 *  index of a second name part (tracepoint: category, name). */
const ATTACH_CALLS: Record<string, number[]> = {
  bpf_program__attach_kprobe: [2],
  bpf_program__attach_kprobe_opts: [1],
  bpf_program__attach_ksyscall: [1],
  bpf_program__attach_kprobe_multi_opts: [1],
  bpf_program__attach_tracepoint: [1, 2],
  bpf_program__attach_tracepoint_opts: [1, 2],
  bpf_program__attach_raw_tracepoint: [1],
  bpf_program__attach_raw_tracepoint_opts: [1],
  bpf_program__attach_trace: [],
  bpf_program__attach_trace_opts: [],
  bpf_program__attach_lsm: [],
  bpf_program__attach_uprobe: [3],
  bpf_program__attach_uprobe_opts: [3],
  bpf_program__attach_usdt: [3, 4],
  bpf_program__attach_iter: [],
  bpf_program__attach_freplace: [2],
};

/** One path: the programs it switches off (false) or on (true), the last call winning, and the
 *  kernel checks it assumes (keys starting with GUARD: the check's value on that path). */
type Config = Map<string, boolean>;
type Configs = Config[];

const GUARD = '?';
const GUARD_CHECKS: Record<string, { check: LoaderGuard['check']; name: number[] }> = {
  tracepoint_exists: { check: 'tracepoint_exists', name: [0, 1] },
  fentry_can_attach: { check: 'fentry_can_attach', name: [0] },
  fentry_exists: { check: 'fentry_can_attach', name: [0] },
  kprobe_exists: { check: 'kprobe_exists', name: [0] },
  probe_tp_btf: { check: 'probe_tp_btf', name: [0] },
  ksyms__get_symbol: { check: 'ksyms__get_symbol', name: [1] },
};

function guardKey(check: string, args: readonly string[]): string {
  return `${GUARD}${[check, ...args].join('\u0000')}`;
}

function guardsOf(c: Config): LoaderGuard[] {
  return [...c].filter(([k]) => k.startsWith(GUARD)).map(([k, value]) => {
    const [check, ...args] = k.slice(GUARD.length).split('\u0000');
    return { check: check as LoaderGuard['check'], args, value };
  });
}

function product(a: Configs, b: Configs): Configs {
  if (a.length * b.length > MAX_CONFIGS) return collapse([...a, ...b]);
  const out: Configs = [];
  for (const x of a) {
    for (const y of b) {
      // A path that assumes a check both true and false does not exist.
      if ([...y].some(([k, v]) => k.startsWith(GUARD) && x.has(k) && x.get(k) !== v)) continue;
      out.push(new Map([...x, ...y]));
    }
  }
  return dedupe(out);
}

function offSet(c: Config): string[] {
  return [...c].filter(([p, on]) => !on && !p.startsWith(GUARD)).map(([p]) => p).sort();
}

function union(a: Configs, b: Configs): Configs {
  const out = dedupe([...a, ...b]);
  return out.length > MAX_CONFIGS ? collapse(out) : out;
}

/** Too many paths: each program may be off on its own, or none. */
function collapse(configs: Configs): Configs {
  return [new Map(), ...namesOf(configs).map((p) => new Map([[p, false]]))];
}

function dedupe(configs: Configs): Configs {
  const seen = new Map<string, Config>();
  for (const c of configs) seen.set([...c].map(([p, on]) => `${p}=${on}`).sort().join(','), c);
  return [...seen.values()];
}

const NONE: Configs = [new Map()];

function namesOf(configs: Configs): string[] {
  const all = new Set<string>();
  for (const c of configs) for (const p of c.keys()) if (!p.startsWith(GUARD)) all.add(p);
  return [...all].sort();
}

/** Every assignment of the boolean variables in `exprs` (at most 5 of them), and each
 *  expression's value under it; undefined when an expression is not plain boolean logic. */
function enumerate(written: readonly string[]): boolean[][] | undefined {
  const exprs = written.map((e) => e.replace(/->/g, '.'));
  const vars = [...new Set(exprs.flatMap((e) => e.match(/[A-Za-z_][\w.]*/g) ?? []))].filter((v) => !/^(true|false)$/.test(v));
  if (vars.length > 5 || exprs.some((e) => !/^[\s\w.()!&|]*$/.test(e) || /[^&|]&[^&]|[^|&]\|[^|]/.test(` ${e} `))) return undefined;
  const out: boolean[][] = [];
  for (let bits = 0; bits < 1 << vars.length; bits++) {
    const value = (v: string) => (v === 'true' ? true : v === 'false' ? false : ((bits >> vars.indexOf(v)) & 1) === 1);
    out.push(exprs.map((e) => evalBool(e, value)));
  }
  return out;
}

/** `a && !(b || c)` with `value` for the identifiers. */
function evalBool(expr: string, value: (v: string) => boolean): boolean {
  const toks = expr.match(/&&|\|\||[()!]|[A-Za-z_][\w.]*|\d+/g) ?? [];
  let i = 0;
  const primary = (): boolean => {
    const t = toks[i++];
    if (t === '!') return !primary();
    if (t === '(') { const v = or(); i++; return v; }
    if (t === undefined) return false;
    if (/^\d+$/.test(t)) return t !== '0';
    return value(t);
  };
  const and = (): boolean => { let v = primary(); while (toks[i] === '&&') { i++; const r = primary(); v = v && r; } return v; };
  const or = (): boolean => { let v = and(); while (toks[i] === '||') { i++; const r = and(); v = v || r; } return v; };
  return or();
}

function stringLiteral(node: SyntaxNode | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'string_literal') {
    const content = node.namedChildren.filter((c) => c?.type === 'string_content').map((c) => c!.text).join('');
    return content || node.text.replace(/^"|"$/g, '');
  }
  if (node.type === 'concatenated_string') return node.namedChildren.map((c) => stringLiteral(c) ?? '').join('');
  return undefined;
}

function callName(node: SyntaxNode): string | undefined {
  const fn = node.childForFieldName('function');
  return fn?.type === 'identifier' ? fn.text : undefined;
}

function args(node: SyntaxNode): SyntaxNode[] {
  return (node.childForFieldName('arguments')?.namedChildren ?? []).filter((c): c is SyntaxNode => !!c && c.type !== 'comment');
}

function isFalse(node: SyntaxNode | undefined): boolean {
  return !!node && /^(false|0)$/.test(node.text.trim());
}

/** Per-read state of readCLoader: the facts being gathered and the loader's own functions. */
interface CLoaderState {
  facts: LoaderFacts;
  site: (n: SyntaxNode) => LoaderSite;
  functions: Map<string, SyntaxNode>;
  memo: Map<string, Configs>;
  active: Set<string>;
  /** Per function being read: its `set_autoload(prog, expression)` calls. */
  computed: { prog: string; expr: string; at: SyntaxNode }[][];
}

/** Reads a C loader. */
export function readCLoader(name: string, text: string, tree: Tree, facts: LoaderFacts = emptyLoaderFacts()): LoaderFacts {
  facts.files.push(name);
  const lines = new LineMap(text);
  const st: CLoaderState = {
    facts,
    site: (n: SyntaxNode): LoaderSite => ({ file: name, line: lines.positionAt(n.startIndex).line + 1 }),
    functions: functionDefinitions(tree),
    memo: new Map(),
    active: new Set(),
    computed: [],
  };
  // Every function once (main, callbacks, helpers): each choice is recorded where it is read.
  for (const fname of st.functions.keys()) configsOfFunction(st, fname);
  return facts;
}

/** The top-level function definitions of a C tree, by name. */
function functionDefinitions(tree: Tree): Map<string, SyntaxNode> {
  const functions = new Map<string, SyntaxNode>();
  for (const node of tree.rootNode.namedChildren) {
    if (node?.type !== 'function_definition') continue;
    let decl = node.childForFieldName('declarator');
    while (decl && decl.type !== 'function_declarator') decl = decl.childForFieldName('declarator');
    const id = decl?.childForFieldName('declarator');
    if (id?.type === 'identifier') functions.set(id.text, node);
  }
  return functions;
}

/** The program an expression names: `obj->progs.X`, `skel->progs.X`, `find_program_by_name(o, "X")`, or a local variable set from one. */
function programOf(node: SyntaxNode | undefined, vars: Map<string, string>): string | undefined {
  if (!node) return undefined;
  let n: SyntaxNode = node;
  while (n.type === 'parenthesized_expression' || n.type === 'cast_expression' || n.type === 'pointer_expression') {
    const inner = n.type === 'cast_expression' ? n.childForFieldName('value') : n.namedChildren.at(-1);
    if (!inner) break;
    n = inner;
  }
  const m = /\bprogs\s*(?:\.|->)\s*(\w+)\s*$/.exec(n.text);
  if (m && n.type === 'field_expression') return m[1];
  if (n.type === 'call_expression' && callName(n) === 'bpf_object__find_program_by_name') return stringLiteral(args(n)[1]);
  if (n.type === 'identifier') return vars.get(n.text);
  return undefined;
}

/** Records the target names (or that one was computed) a call gives a program. */
function note(st: CLoaderState, map: Map<string, { names: string[]; computed: boolean; site: LoaderSite }>, prog: string, at: SyntaxNode, names: (string | undefined)[]): void {
  const entry = map.get(prog) ?? { names: [], computed: false, site: st.site(at) };
  const literal = names.every((x) => x !== undefined);
  if (literal && names.length) {
    const joined = names.join(':');
    if (!entry.names.includes(joined)) entry.names.push(joined);
  } else if (names.length) {
    entry.computed = true;
  }
  map.set(prog, entry);
}

/** The configurations of a `bpf_program__set_autoload(prog, value)` call, after `out`. */
function configsOfSetAutoload(st: CLoaderState, call: SyntaxNode, a: SyntaxNode[], vars: Map<string, string>, out: Configs): Configs {
  const facts = st.facts;
  const prog = programOf(a[0], vars);
  if (!prog) return out;
  facts.mentioned.add(prog);
  if (isFalse(a[1])) {
    if (!facts.switchedOff.has(prog)) facts.switchedOff.set(prog, st.site(call));
    return product(out, [new Map([[prog, false]])]);
  }
  if (a[1] && !/^(true|1)$/.test(a[1].text.trim())) {
    // `set_autoload(prog, use_fentry && use_folio)`: decided with the function's other such calls.
    if (!facts.switchedOff.has(prog)) facts.switchedOff.set(prog, st.site(call));
    st.computed.at(-1)?.push({ prog, expr: a[1].text, at: call });
    return out;
  }
  if (!facts.switchedOn.has(prog)) facts.switchedOn.set(prog, st.site(call));
  return product(out, [new Map([[prog, true]])]);
}

/** The configurations a call produces: libbpf's autoload/retarget/attach calls, or a local function's. */
function configsOfCall(st: CLoaderState, call: SyntaxNode, vars: Map<string, string>): Configs {
  const facts = st.facts;
  const fname = callName(call);
  const a = args(call);
  let out: Configs = NONE;
  // Arguments may themselves call helpers (rare): walk them for nested calls too.
  for (const arg of a) if (arg.type === 'call_expression') out = product(out, configsOfCall(st, arg, vars));
  if (!fname) return out;
  if (fname === 'bpf_program__set_autoload') return configsOfSetAutoload(st, call, a, vars, out);
  if (fname === 'bpf_program__set_attach_target') {
    const prog = programOf(a[0], vars);
    if (prog) {
      facts.mentioned.add(prog);
      note(st, facts.retargets, prog, call, [stringLiteral(a[2])]);
    }
    return out;
  }
  const attach = ATTACH_CALLS[fname];
  if (attach) {
    const prog = programOf(a[0], vars);
    if (prog) {
      facts.mentioned.add(prog);
      note(st, facts.attachedByName, prog, call, attach.map((i) => stringLiteral(a[i])));
    }
    return out;
  }
  const local = st.functions.get(fname);
  if (local && !st.active.has(fname)) {
    // Program arguments bind the callee's parameters (`set_target(obj->progs.x)`).
    const bound = new Map<string, string>();
    paramNames(local).forEach((pname, i) => {
      const prog = programOf(a[i], vars);
      if (prog && pname) bound.set(pname, prog);
    });
    return product(out, configsOfFunction(st, fname, bound));
  }
  for (const arg of a) {
    const prog = programOf(arg, vars);
    if (prog) facts.mentioned.add(prog);
  }
  return out;
}

/** Records a choice at `node` when its configurations differ; returns them unchanged. */
function choice(st: CLoaderState, node: SyntaxNode, configs: Configs): Configs {
  const programs = namesOf(configs);
  if (programs.length && configs.length > 1) st.facts.choices.push({ site: st.site(node), programs, configs: configs.map(offSet), guards: configs.map(guardsOf) });
  return configs;
}

/** The kernel checks a condition settles when it is true and when it is false (undefined: none
 *  known): a trace_helpers call with literal arguments, `!`, `&&` (true: all hold), `||` (false:
 *  none holds), and a local function that returns such an expression. */
function settles(st: CLoaderState, node: SyntaxNode | null | undefined, depth = 0): { yes?: Config; no?: Config } {
  if (!node || depth > 4) return {};
  switch (node.type) {
    case 'parenthesized_expression': case 'condition_clause':
      return settles(st, node.namedChildren.find((c) => c?.type !== 'comment'), depth);
    case 'unary_expression': {
      if (node.childForFieldName('operator')?.text !== '!') return {};
      const inner = settles(st, node.childForFieldName('argument'), depth);
      return { yes: inner.no, no: inner.yes };
    }
    case 'binary_expression': {
      const op = node.childForFieldName('operator')?.text;
      const l = settles(st, node.childForFieldName('left'), depth);
      const r = settles(st, node.childForFieldName('right'), depth);
      if (op === '&&') return { yes: l.yes && r.yes ? new Map([...l.yes, ...r.yes]) : undefined };
      if (op === '||') return { no: l.no && r.no ? new Map([...l.no, ...r.no]) : undefined };
      return {};
    }
    case 'call_expression':
      return settlesCall(st, node, depth);
    default:
      return {};
  }
}

/** What a call in a condition settles: a known kernel check, or a local function returning one. */
function settlesCall(st: CLoaderState, node: SyntaxNode, depth: number): { yes?: Config; no?: Config } {
  const fname = callName(node);
  if (!fname) return {};
  const known = GUARD_CHECKS[fname];
  if (known) {
    const names = known.name.map((i) => stringLiteral(args(node)[i]));
    if (names.some((n) => n === undefined)) return {};
    const key = guardKey(known.check, names as string[]);
    return { yes: new Map([[key, true]]), no: new Map([[key, false]]) };
  }
  // `static bool has_block_io_tracepoints(void) { return a && b; }`
  const body = st.functions.get(fname)?.childForFieldName('body');
  const stmts = (body?.namedChildren ?? []).filter((c) => c && c.type !== 'comment');
  if (args(node).length === 0 && stmts.length === 1 && stmts[0]!.type === 'return_statement') {
    return settles(st, stmts[0]!.namedChildren.find((c) => c?.type !== 'comment'), depth + 1);
  }
  return {};
}

/** Whether a statement always leaves the function (return, goto, exit). */
function endsWithReturn(node: SyntaxNode | null): boolean {
  if (!node) return false;
  if (node.type === 'return_statement' || node.type === 'goto_statement') return true;
  if (node.type === 'compound_statement') return endsWithReturn(node.namedChildren.filter((c) => c?.type !== 'comment').at(-1) ?? null);
  if (node.type === 'expression_statement') return /^\s*(exit|_exit|abort)\s*\(/.test(node.text);
  return false;
}

/** The configurations of a statement sequence, an early `if (cond) return;` making the rest optional. */
function configsOfStatements(st: CLoaderState, stmts: SyntaxNode[], vars: Map<string, string>): Configs {
  let out: Configs = NONE;
  for (let i = 0; i < stmts.length; i++) {
    const s = stmts[i];
    // `if (cond) return;` (no else): whatever follows happens on some paths only.
    if (s.type === 'if_statement' && !s.childForFieldName('alternative') && endsWithReturn(s.childForFieldName('consequence'))) {
      out = product(out, configsOf(st, s, vars));
      const rest = configsOfStatements(st, stmts.slice(i + 1), vars);
      return product(out, rest.length > 1 || rest[0]?.size ? union(rest, NONE) : rest);
    }
    out = product(out, configsOf(st, s, vars));
  }
  return out;
}

/** Notes local variables a declaration or assignment sets to a program. */
function trackVars(node: SyntaxNode, vars: Map<string, string>): void {
  if (node.type === 'declaration') {
    for (const d of node.namedChildren) {
      if (d?.type !== 'init_declarator') continue;
      let id = d.childForFieldName('declarator');
      while (id && id.type === 'pointer_declarator') id = id.childForFieldName('declarator');
      const prog = programOf(d.childForFieldName('value') ?? undefined, vars);
      if (id?.type === 'identifier' && prog) vars.set(id.text, prog);
    }
  }
  if (node.type === 'expression_statement') {
    const e = node.namedChildren[0];
    if (e?.type === 'assignment_expression') {
      const left = e.childForFieldName('left');
      const prog = programOf(e.childForFieldName('right') ?? undefined, vars);
      if (left?.type === 'identifier' && prog) vars.set(left.text, prog);
    }
  }
}

/** The configurations of an `if` statement: each branch under what its condition settles. */
function configsOfIf(st: CLoaderState, node: SyntaxNode, vars: Map<string, string>): Configs {
  const condition = node.childForFieldName('condition');
  const cond = configsOf(st, condition, vars);
  const guard = settles(st, condition);
  const alt = node.childForFieldName('alternative');
  // Each branch's paths assume what its condition settles about the kernel.
  const yes = product(guard.yes ? [guard.yes] : NONE, configsOf(st, node.childForFieldName('consequence'), vars));
  const no = product(guard.no ? [guard.no] : NONE, alt ? configsOf(st, alt.type === 'else_clause' ? alt.namedChildren.find((c) => c?.type !== 'comment') : alt, vars) : NONE);
  return product(cond, choice(st, node, union(yes, no)));
}

/** The configurations of a `switch` statement: one per case, and none without a default. */
function configsOfSwitch(st: CLoaderState, node: SyntaxNode, vars: Map<string, string>): Configs {
  const body = node.childForFieldName('body');
  let configs: Configs = [];
  let hasDefault = false;
  for (const c of body?.namedChildren ?? []) {
    if (c?.type !== 'case_statement') continue;
    if (!c.childForFieldName('value')) hasDefault = true;
    configs = union(configs, configsOfStatements(st, c.namedChildren.filter((x): x is SyntaxNode => !!x && x.id !== c.childForFieldName('value')?.id), vars));
  }
  if (!hasDefault || !configs.length) configs = union(configs, NONE);
  return choice(st, node, configs);
}

/** The configurations (paths through the loader) a node produces. */
function configsOf(st: CLoaderState, node: SyntaxNode | null | undefined, vars: Map<string, string>): Configs {
  if (!node) return NONE;
  switch (node.type) {
    case 'compound_statement':
      return configsOfStatements(st, node.namedChildren.filter((c): c is SyntaxNode => !!c), vars);
    case 'if_statement':
      return configsOfIf(st, node, vars);
    case 'else_clause':
      return configsOf(st, node.namedChildren.find((c) => c?.type !== 'comment'), vars);
    case 'switch_statement':
      return configsOfSwitch(st, node, vars);
    case 'for_statement': case 'while_statement': case 'do_statement': {
      // A loop body may run or not.
      const body = configsOf(st, node.childForFieldName('body'), vars);
      return union(body, NONE);
    }
    case 'call_expression':
      return configsOfCall(st, node, vars);
    case 'function_definition':
      return configsOf(st, node.childForFieldName('body'), vars);
    default: {
      trackVars(node, vars);
      // Expression statements, declarations, returns, conditions: the calls inside, in order;
      // `a && b()` and `c ? x() : y()` are not choices the loader's programs depend on.
      let out: Configs = NONE;
      for (const child of node.namedChildren) {
        if (!child) continue;
        if (child.type === 'call_expression') out = product(out, configsOfCall(st, child, vars));
        else if (child.namedChildCount) out = product(out, configsOf(st, child, vars));
      }
      return out;
    }
  }
}

/** The configurations of a local function, with program parameters bound; memoised. */
function configsOfFunction(st: CLoaderState, fname: string, bound: Map<string, string> = new Map()): Configs {
  const key = `${fname}(${[...bound].map(([k, v]) => `${k}=${v}`).join(',')})`;
  const known = st.memo.get(key);
  if (known) return known;
  st.active.add(fname);
  st.computed.push([]);
  let result = configsOf(st, st.functions.get(fname), new Map(bound));
  const joint = st.computed.pop()!;
  st.active.delete(fname);
  if (joint.length) {
    const values = enumerate(joint.map((j) => j.expr));
    const configs: Configs = values
      ? values.map((row) => new Map(joint.map((j, i) => [j.prog, row[i]] as [string, boolean])))
      : collapse([new Map(joint.map((j) => [j.prog, false] as [string, boolean]))]);
    result = product(result, choice(st, joint[0].at, dedupe(configs)));
  }
  // The function as a whole: its paths combine its choices (switch off all, then switch one
  // back on: readahead's fallbacks).
  const fn = st.functions.get(fname);
  if (fn && result.length > 1 && !bound.size) choice(st, fn, result);
  st.memo.set(key, result);
  return result;
}

/** The parameter names of a function definition, in order ('' where unnamed). */
function paramNames(fn: SyntaxNode): string[] {
  let decl = fn.childForFieldName('declarator');
  while (decl && decl.type !== 'function_declarator') decl = decl.childForFieldName('declarator');
  return (decl?.childForFieldName('parameters')?.namedChildren ?? []).map((p) => {
    let d = p?.childForFieldName('declarator');
    while (d && d.type !== 'identifier') d = d.childForFieldName('declarator');
    return d?.text ?? '';
  });
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Go (cilium/ebpf, libbpfgo) and Rust (libbpf-rs) loaders: the programs named by string, those
 *  deleted from a collection spec or switched off, and those attached by the loader itself. */
export function readPatternLoader(src: LoaderSource, facts: LoaderFacts = emptyLoaderFacts()): LoaderFacts {
  facts.files.push(src.name);
  const text = src.text;
  const at = (offset: number): LoaderSite => ({ file: src.name, line: lineAt(text, offset) });
  const mention = (name: string) => facts.mentioned.add(name);
  if (src.language === 'go') {
    for (const m of text.matchAll(/\bPrograms\s*\[\s*"(\w+)"\s*\]/g)) mention(m[1]);
    for (const m of text.matchAll(/\bGetProgram\s*\(\s*"(\w+)"\s*\)/g)) mention(m[1]);
    for (const m of text.matchAll(/\bdelete\s*\(\s*\w+(?:\.\w+)*\.Programs\s*,\s*"(\w+)"\s*\)/g)) {
      mention(m[1]);
      if (!facts.switchedOff.has(m[1])) facts.switchedOff.set(m[1], at(m.index!));
    }
    for (const m of text.matchAll(/\bGetProgram\s*\(\s*"(\w+)"\s*\)[^\n]*\n?[^\n]*\bSetAutoload\s*\(\s*false\s*\)/g)) {
      if (!facts.switchedOff.has(m[1])) facts.switchedOff.set(m[1], at(m.index!));
    }
    // `prog.AttachTo = ...` on a spec named by string, or libbpfgo's Attach* on a named program.
    for (const m of text.matchAll(/\bPrograms\s*\[\s*"(\w+)"\s*\]\s*\.\s*AttachTo\s*=\s*("([^"]*)")?/g)) {
      const e = facts.retargets.get(m[1]) ?? { names: [], computed: false, site: at(m.index!) };
      if (m[3] !== undefined) e.names.push(m[3]); else e.computed = true;
      facts.retargets.set(m[1], e);
    }
  } else {
    for (const m of text.matchAll(/\bprogs(?:_mut)?\s*\(\s*\)\s*\.\s*(\w+)\s*\(\s*\)/g)) mention(m[1]);
    for (const m of text.matchAll(/\bprogs(?:_mut)?\s*\(\s*\)\s*\.\s*(\w+)\s*\(\s*\)\s*\.\s*set_autoload\s*\(\s*false\s*\)/g)) {
      if (!facts.switchedOff.has(m[1])) facts.switchedOff.set(m[1], at(m.index!));
    }
    for (const m of text.matchAll(/\bprogs(?:_mut)?\s*\(\s*\)\s*\.\s*(\w+)\s*\(\s*\)\s*\.\s*set_attach_target\s*\(\s*[^,]*,\s*(Some\s*\(\s*"([^"]*)"|[^)]*)/g)) {
      const e = facts.retargets.get(m[1]) ?? { names: [], computed: false, site: at(m.index!) };
      if (m[3] !== undefined) e.names.push(m[3]); else e.computed = true;
      facts.retargets.set(m[1], e);
    }
  }
  return facts;
}
