// A pragmatic evaluator of the kernel's helper-selection code: it parses the C files with tree-sitter
// and runs the `*_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)` functions
// symbolically for one helper at a time, the way the verifier calls them (check_helper_call ->
// env->ops->get_func_proto). Every path through `switch (func_id)`, `if`, `?:`, `#ifdef`, local
// variables (`fn = raw_tp_prog_func_proto(func_id, prog); if (!fn && ...)`) and calls into other
// proto functions (the fall-through chains kprobe_prog_func_proto -> bpf_tracing_func_proto ->
// bpf_base_func_proto) ends in an outcome: the proto variable returned (and in which function) or
// NULL, under a condition (a Formula over program facts and config options). Boolean helpers the
// conditions call (bpf_prog_has_trampoline, bpf_lsm_is_sleepable_hook, the `.allowed` callbacks)
// are evaluated the same way into formulas. Anything it does not understand becomes an
// `unknown:<C text>` atom, never a guess.

import fs from 'node:fs';
import path from 'node:path';
import type { Node as SyntaxNode, Parser } from 'web-tree-sitter';
import { type Formula, and, not, or } from '../../server/src/knowledge/formula';
import { ppCondition, walkLines } from './cpp';

/** A value on one path: a helper proto, NULL, a boolean, or a symbolic program field. */
export type Value =
  | { kind: 'proto'; name: string; fn: string; file: string }
  | { kind: 'null' }
  | { kind: 'bool'; f: Formula }
  | { kind: 'sym'; text: string }
  | { kind: 'funcId' }
  | { kind: 'unknown'; why: string };

export interface Outcome { when: Formula; v: Value }

interface FunctionDef {
  name: string;
  file: string;
  node: SyntaxNode;
  params: string[];
  /** `const struct bpf_func_proto *` (proto), `bool` (bool), anything else (other). */
  returns: 'proto' | 'bool' | 'other';
  /** #if conditions around the definition. */
  guard: Formula;
  /** `__weak`: a fallback the linker drops when a strong definition exists (CONFIG_BPF_EVENTS off). */
  weak: boolean;
}

export interface ProtoDef {
  name: string;
  file: string;
  func?: string;
  gplOnly?: boolean;
  mightSleep?: boolean;
  allowed?: string;
  guard: Formula;
}

export interface BtfSet { name: string; file: string; kind: 'set' | 'set8' | 'kfuncs'; entries: { name: string; flags: string[]; guard: Formula }[] }

/** The parsed C files of one kernel source tree. */
export class SourceIndex {
  readonly functions = new Map<string, FunctionDef[]>();
  readonly protos = new Map<string, ProtoDef>();
  /** Parse problems inside function bodies the evaluation used (reported, not fatal). */
  readonly problems: string[] = [];

  constructor(readonly root: string, private readonly parser: Parser) {}

  /** Indexes the proto-returning and bool functions of `rel` (relative to the tree) and its proto
   *  structs. Whole kernel files are macro soup that tree-sitter's error recovery sometimes skips
   *  silently (a `BPF_CALL_3(...)` header once made it drop the function after it), so each function
   *  is cut out by its header and brace-matched body and parsed on its own. */
  addFile(rel: string): void {
    const text = fs.readFileSync(path.join(this.root, rel), 'utf8');
    const guards: Formula[] = [true];
    walkLines(text, (_line, guard, lineNo) => { guards[lineNo] = guard; });
    const header = /^((?:(?:static|inline|const|__always_inline|notrace)\s+)*)(struct\s+bpf_func_proto\s*\*|bool)\s*(__weak\s+)?(\w+)\s*\(([^;{}()]*)\)\s*\{/gm;
    for (const m of text.matchAll(header)) {
      const open = m.index! + m[0].length - 1;
      const close = matchBrace(text, open);
      if (close < 0) {
        this.problems.push(`${rel}: no closing brace for ${m[4]}()`);
        continue;
      }
      const snippet = text.slice(m.index!, close + 1);
      const tree = this.parser.parse(snippet);
      const fn = tree?.rootNode.namedChildren.find((c) => c?.type === 'function_definition');
      if (!fn) {
        this.problems.push(`${rel}: ${m[4]}() did not parse as a function`);
        continue;
      }
      const lineNo = text.slice(0, m.index!).split('\n').length;
      const params = m[5].split(',').map((p) => /(\w+)\s*(?:\[[^\]]*\])?\s*$/.exec(p.trim())?.[1] ?? '').filter((p) => p && p !== 'void');
      const list = this.functions.get(m[4]) ?? [];
      list.push({
        name: m[4], file: rel, node: fn, params, returns: m[2] === 'bool' ? 'bool' : 'proto',
        guard: guards[lineNo] ?? true, weak: !!m[3],
      });
      this.functions.set(m[4], list);
    }
    for (const p of parseProtoStructs(text, rel)) if (!this.protos.has(p.name)) this.protos.set(p.name, p);
  }
}

/** Index of the `}` matching the `{` at `open`, skipping strings, chars and comments; -1 if none. */
function matchBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2);
      if (i < 0) return -1;
      i++;
    } else if (c === '/' && text[i + 1] === '/') {
      i = text.indexOf('\n', i);
      if (i < 0) return -1;
    } else if (c === '"' || c === "'") {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (c === '{') {
      depth++;
    } else if (c === '}') {
      if (--depth === 0) return i;
    }
  }
  return -1;
}

/** `static const struct bpf_func_proto bpf_x_proto = { .func = ..., .gpl_only = true, ... };` */
export function parseProtoStructs(text: string, file: string): ProtoDef[] {
  const out: ProtoDef[] = [];
  const re = /(?:^|\n)\s*(?:static\s+)?const\s+struct\s+bpf_func_proto\s+(\w+)\s*=\s*\{([\s\S]*?)\n\s*\};/g;
  for (const m of text.matchAll(re)) {
    const body = m[2];
    const field = (f: string) => new RegExp(`\\.${f}\\s*=\\s*([^,\\n]+)`).exec(body)?.[1].trim();
    out.push({
      name: m[1], file, func: field('func'), gplOnly: field('gpl_only') === 'true',
      mightSleep: field('might_sleep') === 'true', allowed: field('allowed'), guard: true,
    });
  }
  return out;
}

// ---- preprocessor conditions ----

function isPreproc(n: SyntaxNode): boolean {
  return n.type === 'preproc_ifdef' || n.type === 'preproc_if' || n.type === 'preproc_elif' || n.type === 'preproc_else' ||
    n.type === 'preproc_elifdef';
}

/** A pseudo-node list wrapper so preprocessor bodies can be walked like a translation unit. */
function wrap(nodes: SyntaxNode | SyntaxNode[]): SyntaxNode {
  const list = Array.isArray(nodes) ? nodes : nodes.type === 'preproc_else' ? nodes.namedChildren.filter((x): x is SyntaxNode => !!x) : [nodes];
  return { namedChildren: list } as unknown as SyntaxNode;
}

function preprocParts(n: SyntaxNode): { cond: SyntaxNode | null; body: SyntaxNode[]; alternative: SyntaxNode | null } {
  const cond = n.childForFieldName('condition') ?? n.childForFieldName('name');
  const alternative = n.childForFieldName('alternative');
  const body = n.namedChildren.filter((c): c is SyntaxNode => !!c && c.id !== cond?.id && c.id !== alternative?.id);
  return { cond, body, alternative };
}

/** The formula of an `#ifdef X` / `#ifndef X` / `#if EXPR` / `#elif EXPR` line. */
function preprocCondition(n: SyntaxNode, cond: SyntaxNode | null): Formula {
  if (n.type === 'preproc_else') return true;
  if (!cond) return 'unknown:#if';
  if (n.type === 'preproc_ifdef' || n.type === 'preproc_elifdef') {
    const atom = ppCondition(`defined(${cond.text})`);
    return /^#\s*(ifndef|elifndef)/.test(n.text) ? not(atom) : atom;
  }
  return ppCondition(cond.text);
}

function configAtom(name: string, orModule: boolean): Formula {
  return name.startsWith('CONFIG_') ? `${orModule ? 'configm' : 'config'}:${name}` : `unknown:IS_ENABLED(${name})`;
}

// ---- the evaluator ----

interface State { when: Formula; env: Map<string, Value> }
interface Flow { ret: Outcome[]; next: State[]; brk: State[] }

const MAX_DEPTH = 24;
const MAX_PATHS = 4096;

export class ProtoEvaluator {
  private readonly memo = new Map<string, Outcome[]>();
  private depth = 0;
  /** File of the function being evaluated (for same-file resolution of calls). */
  private file?: string;

  /** `helper` is the enum name (BPF_FUNC_map_lookup_elem). */
  constructor(private readonly index: SourceIndex, private readonly helper: string) {}

  /** Outcomes of calling `name(func_id, prog)` (or a bool predicate with bound arguments). */
  call(name: string, args: Value[], fromFile?: string): Outcome[] {
    const found = this.index.functions.get(name);
    const all = found?.some((d) => !d.weak) ? found.filter((d) => !d.weak) : found;
    // A static function of the caller's own file wins over same-named ones elsewhere.
    const defs = all?.some((d) => d.file === fromFile) ? all.filter((d) => d.file === fromFile) : all;
    if (!defs?.length) return [{ when: true, v: { kind: 'unknown', why: `${name}() is not defined in the parsed sources` } }];
    const key = `${defs?.[0]?.file}:${name}(${args.map(valueKey).join(',')})`;
    const cached = this.memo.get(key);
    if (cached) return cached;
    if (this.depth > MAX_DEPTH) return [{ when: true, v: { kind: 'unknown', why: `call depth at ${name}()` } }];
    this.depth++;
    try {
      const out: Outcome[] = [];
      const outer = this.file;
      for (const def of defs) {
        this.file = def.file;
        const env = new Map<string, Value>();
        def.params.forEach((p, i) => env.set(p, args[i] ?? { kind: 'unknown', why: `missing argument ${p}` }));
        const body = def.node.childForFieldName('body');
        if (!body) continue;
        if (body.hasError) this.index.problems.push(`${def.file}: ${name}() has parse errors; results may be unknown`);
        const flow = this.exec(body, [{ when: def.guard, env }], def);
        out.push(...flow.ret);
        // Falling off the end of a proto function returns nothing useful; treat as unknown.
        for (const s of [...flow.next, ...flow.brk]) out.push({ when: s.when, v: { kind: 'unknown', why: `${name}() ends without return` } });
      }
      this.file = outer;
      this.memo.set(key, out);
      return out;
    } finally {
      this.depth--;
    }
  }

  private exec(node: SyntaxNode, states: State[], def: FunctionDef): Flow {
    const flow: Flow = { ret: [], next: [], brk: [] };
    if (!states.length) return flow;
    if (states.length > MAX_PATHS) {
      flow.ret.push({ when: or(...states.map((s) => s.when)), v: { kind: 'unknown', why: `too many paths in ${def.name}()` } });
      return flow;
    }
    switch (node.type) {
      case 'compound_statement':
        return this.execList(node.namedChildren.filter((c): c is SyntaxNode => !!c), states, def);
      case 'comment':
        return { ret: [], next: states, brk: [] };
      case 'return_statement': {
        const expr = node.namedChildren.find((c) => c && c.type !== 'comment');
        for (const s of states) {
          for (const o of expr ? this.eval(expr, s) : [{ when: true, v: { kind: 'unknown', why: 'return without value' } as Value }]) {
            // A proto is attributed to the function whose return statement names it.
            const v: Value = o.v.kind === 'proto' && !o.v.fn ? { ...o.v, fn: def.name, file: def.file } : o.v;
            flow.ret.push({ when: and(s.when, o.when), v });
          }
        }
        return flow;
      }
      case 'break_statement':
        return { ret: [], next: [], brk: states };
      case 'expression_statement': {
        const e = node.namedChildren[0];
        if (e?.type === 'assignment_expression' && e.childForFieldName('operator')?.text === '=') {
          const target = e.childForFieldName('left')?.text ?? '';
          for (const s of states) {
            for (const o of this.eval(e.childForFieldName('right')!, s)) {
              flow.next.push({ when: and(s.when, o.when), env: new Map(s.env).set(target, o.v) });
            }
          }
          return flow;
        }
        return { ret: [], next: states, brk: [] }; // calls for effect (WARN_ON...), ignored
      }
      case 'declaration': {
        let next = states;
        for (const d of node.namedChildren) {
          if (d?.type !== 'init_declarator') continue;
          const name = declaredName(d.childForFieldName('declarator'));
          const value = d.childForFieldName('value');
          if (!value) continue;
          const after: State[] = [];
          for (const s of next) for (const o of this.eval(value, s)) after.push({ when: and(s.when, o.when), env: new Map(s.env).set(name, o.v) });
          next = after;
        }
        return { ret: [], next, brk: [] };
      }
      case 'if_statement': {
        const cond = node.childForFieldName('condition')!;
        const cons = node.childForFieldName('consequence')!;
        const alt = node.childForFieldName('alternative');
        const thenStates: State[] = [];
        const elseStates: State[] = [];
        for (const s of states) {
          const f = this.cond(cond, s);
          const t = and(s.when, f);
          const e = and(s.when, not(f));
          if (t !== false) thenStates.push({ when: t, env: s.env });
          if (e !== false) elseStates.push({ when: e, env: s.env });
        }
        const a = this.exec(cons, thenStates, def);
        const altBody = alt ? (alt.type === 'else_clause' ? alt.namedChildren[0]! : alt) : undefined;
        const b = altBody ? this.exec(altBody, elseStates, def) : { ret: [], next: elseStates, brk: [] };
        return { ret: [...a.ret, ...b.ret], next: [...a.next, ...b.next], brk: [...a.brk, ...b.brk] };
      }
      case 'switch_statement':
        return this.execSwitch(node, states, def);
      case 'preproc_ifdef': case 'preproc_if': case 'preproc_else': case 'preproc_elif': case 'preproc_elifdef': {
        const { cond, body, alternative } = preprocParts(node);
        const g = preprocCondition(node, cond);
        const yes = states.map((s) => ({ when: and(s.when, g), env: s.env })).filter((s) => s.when !== false);
        const no = states.map((s) => ({ when: and(s.when, not(g)), env: s.env })).filter((s) => s.when !== false);
        const a = this.execList(body, yes, def);
        const b = alternative ? this.exec(alternative.type === 'preproc_else' ? wrapBlock(alternative) : alternative, no, def) : { ret: [], next: no, brk: [] };
        return { ret: [...a.ret, ...b.ret], next: [...a.next, ...b.next], brk: [...a.brk, ...b.brk] };
      }
      case 'block_list':
        return this.execList(node.namedChildren.filter((c): c is SyntaxNode => !!c), states, def);
      default:
        if (/^preproc_(call|def|function_def|include)$/.test(node.type)) return { ret: [], next: states, brk: [] };
        for (const s of states) flow.ret.push({ when: s.when, v: { kind: 'unknown', why: `${def.name}(): ${node.type} not understood` } });
        return flow;
    }
  }

  private execList(list: SyntaxNode[], states: State[], def: FunctionDef): Flow {
    const flow: Flow = { ret: [], next: [], brk: [] };
    let current = states;
    for (const stmt of list) {
      if (!current.length) break;
      const f = this.exec(stmt, current, def);
      flow.ret.push(...f.ret);
      flow.brk.push(...f.brk);
      current = f.next;
    }
    flow.next = current;
    return flow;
  }

  /** `switch (func_id)` picks the case of the helper; a switch on a program field forks per case. */
  private execSwitch(node: SyntaxNode, states: State[], def: FunctionDef): Flow {
    const subject = node.childForFieldName('condition')!;
    const items = flattenSwitch(node.childForFieldName('body')!, true);
    const flow: Flow = { ret: [], next: [], brk: [] };
    for (const s of states) {
      const subj = this.value(stripParens(subject), s);
      // Entry points: [start index, condition].
      const entries: { at: number; when: Formula }[] = [];
      const labels = items.map((it, i) => ({ it, i })).filter((x) => x.it.kind === 'label');
      const defaultAt = labels.find((x) => x.it.value === undefined)?.i;
      let noneMatched: Formula = true;
      for (const { it, i } of labels) {
        if (it.value === undefined) continue;
        let match: Formula;
        if (subj.kind === 'funcId') match = it.value === this.helper;
        else if (subj.kind === 'sym') match = symAtom(subj.text, '==', it.value);
        else match = `unknown:switch (${subject.text}) case ${it.value}`;
        const m = and(it.guard, match);
        if (m === false) continue;
        entries.push({ at: i, when: and(noneMatched, m) });
        noneMatched = and(noneMatched, not(m));
      }
      if (noneMatched !== false) {
        if (defaultAt !== undefined) entries.push({ at: defaultAt, when: and(noneMatched, items[defaultAt].guard) });
        const skip = defaultAt === undefined ? noneMatched : and(noneMatched, not(items[defaultAt].guard));
        if (skip !== false) flow.next.push({ when: and(s.when, skip), env: s.env });
      }
      for (const entry of entries) {
        let current: State[] = [{ when: and(s.when, entry.when), env: s.env }];
        if (current[0].when === false) continue;
        for (let i = entry.at + 1; i < items.length && current.length; i++) {
          const it = items[i];
          if (it.kind === 'label') continue;
          const g = it.guard;
          const run = current.map((c) => ({ when: and(c.when, g), env: c.env })).filter((c) => c.when !== false);
          const skip = current.map((c) => ({ when: and(c.when, not(g)), env: c.env })).filter((c) => c.when !== false);
          const f = this.exec(it.node!, run, def);
          flow.ret.push(...f.ret);
          flow.next.push(...f.brk);
          current = [...f.next, ...skip];
        }
        flow.next.push(...current);
      }
    }
    return flow;
  }

  /** Evaluates an expression into outcomes. */
  eval(node: SyntaxNode, s: State): Outcome[] {
    const n = stripParens(node);
    switch (n.type) {
      case 'null': return [{ when: true, v: { kind: 'null' } }];
      case 'true': return [{ when: true, v: { kind: 'bool', f: true } }];
      case 'false': return [{ when: true, v: { kind: 'bool', f: false } }];
      case 'number_literal': return [{ when: true, v: { kind: 'bool', f: Number(n.text) !== 0 } }];
      case 'pointer_expression': {
        const arg = n.childForFieldName('argument');
        if (n.child(0)?.text === '&' && arg?.type === 'identifier') {
          return [{ when: true, v: { kind: 'proto', name: arg.text, fn: '', file: '' } }];
        }
        break;
      }
      case 'identifier': {
        if (n.text === 'NULL') return [{ when: true, v: { kind: 'null' } }];
        const v = s.env.get(n.text);
        if (v) return [{ when: true, v }];
        break;
      }
      case 'conditional_expression': {
        const f = this.cond(n.childForFieldName('condition')!, s);
        const out: Outcome[] = [];
        for (const o of this.eval(n.childForFieldName('consequence')!, s)) out.push({ when: and(f, o.when), v: o.v });
        for (const o of this.eval(n.childForFieldName('alternative')!, s)) out.push({ when: and(not(f), o.when), v: o.v });
        return out.filter((o) => o.when !== false);
      }
      case 'call_expression': {
        const fn = n.childForFieldName('function');
        if (fn && ATOM_CALLS.test(fn.text)) return [{ when: true, v: { kind: 'bool', f: this.cond(n, s) } }];
        const defs = fn?.type === 'identifier' ? this.index.functions.get(fn.text) : undefined;
        if (defs?.length) {
          const args = (n.childForFieldName('arguments')?.namedChildren ?? []).filter((a): a is SyntaxNode => !!a && a.type !== 'comment')
            .map((a) => this.value(a, s));
          return this.call(fn!.text, args, this.file);
        }
        break;
      }
    }
    // A program field (`prog->expected_attach_type`) stays symbolic for later comparisons.
    const sym = this.symText(n, s);
    if (sym && !fieldAtom(sym)) return [{ when: true, v: { kind: 'sym', text: sym } }];
    // Boolean expressions (in predicates): comparisons, !, &&, ||, known calls.
    if (['binary_expression', 'unary_expression', 'field_expression', 'call_expression'].includes(n.type)) {
      return [{ when: true, v: { kind: 'bool', f: this.cond(n, s) } }];
    }
    return [{ when: true, v: { kind: 'unknown', why: n.text.replace(/\s+/g, ' ').slice(0, 120) } }];
  }

  /** A single symbolic value for arguments and switch subjects (no forking). */
  private value(node: SyntaxNode, s: State): Value {
    const n = stripParens(node);
    if (n.type === 'identifier') {
      const v = s.env.get(n.text);
      if (v) return v;
      return { kind: 'sym', text: n.text };
    }
    const text = this.symText(n, s);
    if (text) return { kind: 'sym', text };
    if (n.type === 'pointer_expression' && n.child(0)?.text === '&') return { kind: 'sym', text: n.text.replace(/\s+/g, '') };
    return { kind: 'unknown', why: n.text.replace(/\s+/g, ' ').slice(0, 120) };
  }

  /** `prog->aux->sleepable` with `prog` (or an alias of it) canonicalised; undefined if not a prog field. */
  private symText(n: SyntaxNode, s: State): string | undefined {
    n = stripParens(n);
    if (n.type === 'identifier') {
      const v = s.env.get(n.text);
      return v?.kind === 'sym' ? v.text : undefined;
    }
    if (n.type === 'field_expression') {
      const base = this.symText(n.childForFieldName('argument')!, s);
      const field = n.childForFieldName('field')?.text;
      return base && field ? `${base}->${field}` : undefined;
    }
    if (n.type === 'call_expression' && n.childForFieldName('function')?.text === 'resolve_prog_type') {
      const arg = n.childForFieldName('arguments')?.namedChildren[0];
      const base = arg ? this.symText(arg, s) : undefined;
      return base ? `${base}->type` : undefined;
    }
    return undefined;
  }

  /** A boolean context: the formula under which `node` is true. */
  cond(node: SyntaxNode, s: State): Formula {
    const n = stripParens(node);
    switch (n.type) {
      case 'true': return true;
      case 'false': return false;
      case 'number_literal': return Number(n.text) !== 0;
      case 'unary_expression': {
        const op = n.childForFieldName('operator')?.text;
        if (op === '!') return not(this.cond(n.childForFieldName('argument')!, s));
        break;
      }
      case 'binary_expression': {
        const op = n.childForFieldName('operator')!.text;
        const l = n.childForFieldName('left')!;
        const r = n.childForFieldName('right')!;
        if (op === '&&') return and(this.cond(l, s), this.cond(r, s));
        if (op === '||') return or(this.cond(l, s), this.cond(r, s));
        if (op === '==' || op === '!=') {
          const eq = this.equality(l, r, s);
          if (eq !== undefined) return op === '==' ? eq : not(eq);
        }
        if ((op === '<' || op === '!=') && stripParens(l).type === 'call_expression' &&
          stripParens(l).childForFieldName('function')?.text === 'security_locked_down') {
          return `locked:${stripParens(l).childForFieldName('arguments')?.namedChildren[0]?.text ?? '?'}`;
        }
        break;
      }
      case 'field_expression': case 'identifier': {
        const text = this.symText(n, s);
        if (text) {
          const atom = fieldAtom(text);
          if (atom) return atom;
        }
        if (n.type === 'identifier') {
          const v = s.env.get(n.text);
          if (v) return truthy(v);
        }
        break;
      }
      case 'call_expression': {
        const fn = n.childForFieldName('function')?.text ?? '';
        const args = (n.childForFieldName('arguments')?.namedChildren ?? []).filter((a): a is SyntaxNode => !!a && a.type !== 'comment');
        if (/^(bpf_capable|perfmon_capable|capable|ns_capable|bpf_token_capable|has_capability)$/.test(fn)) {
          return `priv:${n.text.replace(/\s+/g, '')}`;
        }
        if (fn === 'IS_ENABLED' || fn === 'IS_REACHABLE') return configAtom(args[0]?.text ?? '', true);
        if (fn === 'btf_id_set_contains' || fn === 'btf_id_set8_contains') {
          const set = args[0]?.text.replace(/^&/, '');
          const id = args[1] ? this.value(args[1], s) : undefined;
          if (set && id?.kind === 'sym' && /->aux->attach_btf_id$/.test(id.text)) return `inSet:${set}`;
          break;
        }
        if (fn === 'in_sleepable' || fn === 'bpf_prog_is_sleepable') return 'sleepable';
        const defs = this.index.functions.get(fn);
        if (defs?.length) {
          const values = args.map((a) => this.value(a, s));
          return or(...this.call(fn, values, this.file).map((o) => and(o.when, truthy(o.v))));
        }
        break;
      }
    }
    return `unknown:${n.text.replace(/\s+/g, ' ').slice(0, 160)}`;
  }

  private equality(l: SyntaxNode, r: SyntaxNode, s: State): Formula | undefined {
    const lv = this.value(l, s);
    const rv = this.value(r, s);
    const pair = (a: Value, b: Value): Formula | undefined => {
      if (a.kind === 'funcId' && b.kind === 'sym') return b.text === this.helper;
      if (a.kind === 'sym' && b.kind === 'sym' && /^[A-Z][A-Z0-9_]+$/.test(b.text)) return symAtom(a.text, '==', b.text);
      if ((a.kind === 'proto' || a.kind === 'null') && stripParens(r).type === 'null') return a.kind === 'null';
      return undefined;
    };
    return pair(lv, rv) ?? pair(rv, lv);
  }
}

/** Calls that are read as atoms rather than evaluated (cond() knows each). */
const ATOM_CALLS = /^(bpf_capable|perfmon_capable|capable|ns_capable|bpf_token_capable|has_capability|IS_ENABLED|IS_REACHABLE|btf_id_set_contains|btf_id_set8_contains|in_sleepable|bpf_prog_is_sleepable|security_locked_down)$/;

function truthy(v: Value): Formula {
  switch (v.kind) {
    case 'proto': return true;
    case 'null': return false;
    case 'bool': return v.f;
    case 'sym': return fieldAtom(v.text) ?? `unknown:${v.text}`;
    default: return `unknown:${v.kind === 'unknown' ? v.why : v.kind}`;
  }
}

/** Atoms for a canonical program field: `prog->aux->sleepable` → sleepable. */
function fieldAtom(text: string): string | undefined {
  if (/^prog->(aux->)?sleepable$/.test(text)) return 'sleepable';
  if (/^prog->aux->dst_prog$/.test(text)) return 'dstProg';
  return undefined;
}

function symAtom(text: string, op: '==', value: string): Formula {
  if (text === 'prog->expected_attach_type') return `attach:${value}`;
  if (text === 'prog->type') return `type:${value}`;
  return `unknown:${text} ${op} ${value}`;
}

function valueKey(v: Value): string {
  switch (v.kind) {
    case 'sym': return v.text;
    case 'funcId': return 'func_id';
    case 'proto': return `&${v.name}`;
    default: return v.kind;
  }
}

function stripParens(n: SyntaxNode): SyntaxNode {
  while (n.type === 'parenthesized_expression' && n.namedChildren[0]) n = n.namedChildren[0];
  if (n.type === 'cast_expression') return stripParens(n.childForFieldName('value')!);
  return n;
}

function declaredName(d: SyntaxNode | null | undefined): string {
  let n = d;
  while (n && n.type !== 'identifier') n = n.childForFieldName('declarator') ?? n.namedChildren.find((c) => c?.type === 'identifier') ?? null;
  return n?.text ?? '';
}

function findDescendant(n: SyntaxNode, type: string): SyntaxNode | undefined {
  if (n.type === type) return n;
  for (const c of n.namedChildren) {
    if (!c) continue;
    const f = findDescendant(c, type);
    if (f) return f;
  }
  return undefined;
}

function wrapBlock(n: SyntaxNode): SyntaxNode {
  return { type: 'block_list', namedChildren: n.namedChildren } as unknown as SyntaxNode;
}

interface SwitchItem { kind: 'label' | 'stmt'; value?: string; node?: SyntaxNode; guard: Formula }

/** The body of a switch as one list of labels and statements, each with its #if guard
 *  (tree-sitter nests the statements after a label inside its case_statement). */
function flattenSwitch(body: SyntaxNode, guard: Formula, out: SwitchItem[] = []): SwitchItem[] {
  for (const c of body.namedChildren) {
    if (!c || c.type === 'comment') continue;
    if (c.type === 'case_statement') {
      const value = c.childForFieldName('value');
      out.push({ kind: 'label', value: value?.text, guard });
      for (const st of c.namedChildren) {
        if (!st || st.id === value?.id || st.type === 'comment') continue;
        if (isPreproc(st)) flattenPreproc(st, guard, out);
        else out.push({ kind: 'stmt', node: st, guard });
      }
    } else if (isPreproc(c)) {
      flattenPreproc(c, guard, out);
    } else {
      out.push({ kind: 'stmt', node: c, guard });
    }
  }
  return out;
}

function flattenPreproc(n: SyntaxNode, guard: Formula, out: SwitchItem[]): void {
  const { cond, body, alternative } = preprocParts(n);
  const g = preprocCondition(n, cond);
  flattenSwitch({ namedChildren: body } as unknown as SyntaxNode, and(guard, g), out);
  if (alternative) {
    if (alternative.type === 'preproc_else') flattenSwitch(alternative, and(guard, not(g)), out);
    else flattenPreproc(alternative, and(guard, not(g)), out);
  }
}
