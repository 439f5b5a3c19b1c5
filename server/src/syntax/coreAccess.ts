// The kernel-memory reads of a libbpf C document, as CO-RE relocates them: every member access
// chain (`p->a.b->c`, `BPF_CORE_READ(p, a.b, c)` and its _INTO/_STR_INTO/_BITFIELD/_USER forms,
// `bpf_core_read(&d, sz, &p->a)`, `__builtin_preserve_access_index(&p->a)`) with the type of the
// expression it starts from, as far as the program itself says it: handler and function
// parameters, local declarations, casts (`(struct task_struct___o *)t`), container_of(),
// bpf_get_current_task_btf(), and the result of another read. Also the document's own struct
// definitions (flavors such as `struct task_struct___o { ... } __attribute__((preserve_access_index))`)
// and which reads are guarded (inside an `if`/`?:` on bpf_core_field_exists, bpf_core_type_exists,
// bpf_core_enum_value_exists, bpf_core_field_size, or after one that returns early).
//
// Which member a step names on each kernel, and whether it exists there, is the analysis layer's
// question (analysis/members.ts): this module only reads the document. Nothing here knows the atlas.

import { LineMap, type Position, type Range } from './cModel';
import type { SyntaxNode, Tree } from './parser';

/** One member of a chain. `arrow`: reached through a pointer (`->`, or the start of a
 *  BPF_CORE_READ accessor argument); otherwise an embedded member (`.`). */
export interface AccessStep {
  name: string;
  range: Range;
  arrow: boolean;
}

/** A struct/union type as the program writes it (`struct task_struct___o *` → tag struct,
 *  name task_struct___o, pointers 1). */
export interface WrittenType {
  tag: 'struct' | 'union';
  name: string;
  pointers: number;
  /** The text it was read from. */
  text: string;
}

/** What a chain starts from: a written type, or the value another read gives (its last member). */
export type AccessRoot =
  | { kind: 'type'; type: WrittenType }
  | { kind: 'access'; access: CoreAccess };

export type AccessVia = 'direct' | 'core-read' | 'core-builtin';

export interface CoreAccess {
  root: AccessRoot;
  steps: AccessStep[];
  /** `direct`: plain `->`/`.` (a relocation only for types with preserve_access_index, e.g. from
   *  vmlinux.h); `core-read`: a BPF_CORE_READ macro; `core-builtin`: inside bpf_core_read() or
   *  __builtin_preserve_access_index(). */
  via: AccessVia;
  /** The macro, for core-read (`BPF_CORE_READ_INTO`). */
  macro?: string;
  /** `.` reads through a pointer too (bpftrace): each step's kind follows the member's type. */
  autoDeref?: boolean;
  /** The whole expression. */
  range: Range;
  /** Inside a guard's branches (or after a guard that returns early), or naming a member a guard
   *  of the same function tests: not a load failure when missing. */
  guarded: boolean;
  /** Reached only when the loader sets an option: the consequence of an `if`/`?:` that requires
   *  a `const volatile` global that is off by default (the verifier drops the branch while it is
   *  off), or a function called only from such branches. The option's name. */
  option?: string;
  /** The enclosing function. */
  fn?: string;
  /** Offsets of the expression (for quick fixes). */
  start: number;
  end: number;
}

/** A struct or union the document defines itself. */
export interface LocalType {
  tag: 'struct' | 'union';
  name: string;
  members: string[];
  /** Declared with __attribute__((preserve_access_index)) (or under the clang pragma): CO-RE
   *  relocates its accesses against the kernel's type of the same essential name. */
  preserveAccessIndex: boolean;
  range: Range;
}

export interface CoreModel {
  accesses: CoreAccess[];
  /** struct/union definitions of the document, by tag and name (`struct task_struct___o`). */
  localTypes: Map<string, LocalType>;
  /** The document includes a vmlinux.h: its kernel types carry preserve_access_index, so plain
   *  member accesses on them are relocations too. */
  includesVmlinux: boolean;
  /** Where a new flavor definition would go: after the last top-level #include. */
  insertAt: Position;
  /** The functions of the document with their declared variables (for completion's lookups). */
  scopes: Scope[];
}

/** Calls whose argument is a relocation that tests existence (or size), never fails to load. */
export const GUARD_CALLS = new Set([
  'bpf_core_field_exists', 'bpf_core_field_size', 'bpf_core_field_offset', 'bpf_core_type_exists', 'bpf_core_type_size',
  'bpf_core_type_matches', 'bpf_core_enum_value_exists', 'bpf_core_enum_value', 'bpf_core_type_id_kernel',
  '__builtin_preserve_field_info', '__builtin_preserve_type_info', '__builtin_preserve_enum_value',
]);

/** The CO-RE read macros of bpf_core_read.h, with the index of their source argument. */
const CORE_READ = /^BPF_CORE_READ(?:_USER)?(?:_INTO|_STR_INTO)?$|^BPF_CORE_READ_BITFIELD(?:_PROBED)?$/;
const CORE_BUILTINS = new Set(['bpf_core_read', 'bpf_core_read_str', 'bpf_core_read_user', 'bpf_core_read_user_str', '__builtin_preserve_access_index']);

export function coreReadSourceIndex(macro: string): number {
  return /_INTO$/.test(macro) ? 1 : 0;
}

export function isCoreReadMacro(name: string): boolean {
  return CORE_READ.test(name);
}

/** `struct task_struct *`, `const struct sock **`, `union bpf_attr` → the written type. */
export function parseWrittenType(text: string): WrittenType | undefined {
  const m = /^\s*(?:(?:const|volatile)\s+)*(struct|union)\s+([A-Za-z_]\w*)\s*((?:\*\s*(?:const\s*|volatile\s*|restrict\s*)*)*)$/.exec(text.replace(/\s+/g, ' '));
  if (!m) return undefined;
  return { tag: m[1] as 'struct' | 'union', name: m[2], pointers: (m[3].match(/\*/g) ?? []).length, text: text.trim() };
}

/** Accessor argument of a BPF_CORE_READ: `a.b[1].c` → names with their offsets in the text. */
function accessorSteps(text: string, base: number, lines: LineMap): AccessStep[] | undefined {
  const parts: AccessStep[] = [];
  const re = /[A-Za-z_]\w*/g;
  const plain = text.replace(/\[[^\]]*\]/g, (m) => ' '.repeat(m.length));
  if (!/^\s*[A-Za-z_]\w*\s*(?:\s*\.\s*[A-Za-z_]\w*\s*)*$/.test(plain)) return undefined;
  for (const m of plain.matchAll(re)) {
    const at = base + m.index!;
    parts.push({ name: m[0], range: lines.range(at, at + m[0].length), arrow: parts.length === 0 });
  }
  return parts.length ? parts : undefined;
}

/** Split an argument list's text at top-level commas, with each part's offset. */
export function splitArgs(text: string, base: number): { text: string; start: number }[] {
  const out: { text: string; start: number }[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push({ text: text.slice(from, i), start: base + from });
      from = i + 1;
    }
  }
  out.push({ text: text.slice(from), start: base + from });
  return out.map((p) => {
    const lead = p.text.length - p.text.trimStart().length;
    return { text: p.text.trim(), start: p.start + lead };
  });
}

function callName(node: SyntaxNode): string | undefined {
  const fn = node.childForFieldName('function');
  return fn?.type === 'identifier' ? fn.text : undefined;
}

function argNodes(call: SyntaxNode): SyntaxNode[] {
  return (call.childForFieldName('arguments')?.namedChildren ?? []).filter((c): c is SyntaxNode => !!c && c.type !== 'comment');
}

/** A variable's declared type, from the declarations and parameters of its function. */
export interface Scope {
  name?: string;
  start: number;
  end: number;
  /** name → declarations (offset from `start`, type), in order; relative, so that a function
   *  that moved keeps its declarations (syntax/parts.ts). */
  vars: Map<string, { at: number; type: WrittenType | undefined }[]>;
  /** Member names tested by a guard in this function (bpf_core_field_exists(t->a) names a). */
  guardedNames: Set<string>;
}

/** The type a declarator gives: pointers from pointer_declarators, the identifier it names. */
function declaratorOf(node: SyntaxNode | null): { name: string; pointers: number } | undefined {
  let n = node;
  let pointers = 0;
  for (let i = 0; n && i < 16; i++) {
    if (n.type === 'identifier') return { name: n.text, pointers };
    if (n.type === 'pointer_declarator') pointers++;
    if (n.type === 'init_declarator' || n.type === 'pointer_declarator' || n.type === 'array_declarator' || n.type === 'parenthesized_declarator' || n.type === 'attributed_declarator') {
      n = n.childForFieldName('declarator') ?? n.namedChildren.find((c) => !!c && c.type !== 'attribute_specifier') ?? null;
      continue;
    }
    return undefined;
  }
  return undefined;
}

function declare(scope: Scope, typeNode: SyntaxNode | null, declarator: SyntaxNode | null): void {
  const d = declaratorOf(declarator);
  if (!d || !typeNode) return;
  const base = typeNode.type === 'struct_specifier' || typeNode.type === 'union_specifier' ? typeNode : undefined;
  const name = base?.childForFieldName('name')?.text;
  const type = base && name ? { tag: (base.type === 'union_specifier' ? 'union' : 'struct') as 'struct' | 'union', name, pointers: d.pointers, text: `${base.type === 'union_specifier' ? 'union' : 'struct'} ${name}${d.pointers ? ` ${'*'.repeat(d.pointers)}` : ''}` } : undefined;
  const list = scope.vars.get(d.name) ?? [];
  list.push({ at: (declarator ?? typeNode).startIndex - scope.start, type });
  scope.vars.set(d.name, list);
}

function buildScope(fn: SyntaxNode): Scope {
  const declarator = fn.childForFieldName('declarator');
  const fname = declarator?.childForFieldName('declarator')?.text;
  const scope: Scope = { name: fname, start: fn.startIndex, end: fn.endIndex, vars: new Map(), guardedNames: new Set() };
  for (const p of declarator?.childForFieldName('parameters')?.namedChildren ?? []) {
    if (p?.type === 'parameter_declaration') declare(scope, p.childForFieldName('type'), p.childForFieldName('declarator'));
  }
  return scope;
}

/** A guard call kept in a variable (`bool has = bpf_core_field_exists(t->x)`) guards the reads
 *  of what it names in its function; one in an if/?: condition guards its branches instead. */
function noteGuardNames(scope: Scope, call: SyntaxNode): void {
  if (inCondition(call)) return;
  for (const id of call.descendantsOfType('field_identifier')) if (id) scope.guardedNames.add(id.text);
  // The two-argument forms: bpf_core_field_exists(struct X, field).
  for (const a of argNodes(call).slice(1)) if (a.type === 'identifier') scope.guardedNames.add(a.text);
}

function lookup(scope: Scope | undefined, name: string, at: number): WrittenType | undefined {
  const list = scope?.vars.get(name);
  if (!list) return undefined;
  let found: WrittenType | undefined;
  let seen = false;
  for (const d of list) {
    if (d.at + scope!.start > at && seen) break;
    found = d.type;
    seen = true;
  }
  return found;
}

/** The node is part of an if/?:/while condition. */
function inCondition(node: SyntaxNode): boolean {
  let child: SyntaxNode = node;
  for (let p = node.parent; p; child = p, p = p.parent) {
    if ((p.type === 'if_statement' || p.type === 'conditional_expression' || p.type === 'while_statement') && p.childForFieldName('condition')?.id === child.id) return true;
    if (p.type.endsWith('_statement') || p.type === 'declaration' || p.type === 'function_definition') return false;
  }
  return false;
}

/** The statement ends the flow (return, break, continue, goto), itself or as its block's last. */
function exits(node: SyntaxNode | null): boolean {
  if (!node) return false;
  if (['return_statement', 'break_statement', 'continue_statement', 'goto_statement'].includes(node.type)) return true;
  if (node.type === 'compound_statement') {
    const kids = node.namedChildren.filter((c): c is SyntaxNode => !!c && c.type !== 'comment');
    return exits(kids[kids.length - 1] ?? null);
  }
  return false;
}

function hasGuardCall(node: SyntaxNode | null): boolean {
  if (!node) return false;
  if (node.type === 'call_expression' && GUARD_CALLS.has(callName(node) ?? '')) return true;
  return node.descendantsOfType('call_expression').some((c) => !!c && GUARD_CALLS.has(callName(c) ?? ''));
}



/** The `const volatile` globals of a document that are off unless the loader sets them: the
 *  options a libbpf tool writes into .rodata before load (`const volatile bool targ_per_pidns =
 *  false;`, no initializer, or 0). */
export function loaderOptions(text: string): Set<string> {
  const out = new Set<string>();
  const re = /^[ \t]*(?:static[ \t]+)?(?:const[ \t]+volatile|volatile[ \t]+const)[ \t]+[\w \t*]*?\b([A-Za-z_]\w*)[ \t]*(?:=[ \t]*([^;]*?)[ \t]*)?;/gm;
  for (const m of text.matchAll(re)) if (m[2] === undefined || /^(?:false|0[uUlL]*|NULL)$/.test(m[2])) out.add(m[1]);
  return out;
}

/** The option a condition requires to be set: the option itself, or one operand of a top-level
 *  `&&` chain (`targ_tgid && pid != targ_tgid`). */
function requiredOption(cond: SyntaxNode | null, options: ReadonlySet<string>): string | undefined {
  let n = cond;
  while (n && n.type === 'parenthesized_expression') n = n.namedChildren.find((c) => !!c && c.type !== 'comment') ?? null;
  if (!n) return undefined;
  if (n.type === 'identifier') return options.has(n.text) ? n.text : undefined;
  if (n.type === 'binary_expression' && n.childForFieldName('operator')?.text === '&&') {
    return requiredOption(n.childForFieldName('left'), options) ?? requiredOption(n.childForFieldName('right'), options);
  }
  return undefined;
}

/** Where code runs only when the loader sets an option: the consequence of an `if`/`?:` whose
 *  condition requires it (the verifier drops the branch otherwise; the else branch is the
 *  default path). The bodies of functions called only from such places are added over the whole
 *  document (assembleCoreModel). */
function loaderOptionRegions(options: ReadonlySet<string>, conds: readonly SyntaxNode[]): Region<string>[] {
  const regions: Region<string>[] = [];
  if (!options.size) return regions;
  for (const cond of conds) {
    const option = requiredOption(cond.childForFieldName('condition'), options);
    const branch = option && cond.childForFieldName('consequence');
    if (option && branch) regions.push({ from: branch.startIndex, to: branch.endIndex, value: option });
  }
  return regions;
}

interface Region<T> {
  from: number;
  to: number;
  value: T;
}

function regionAt<T>(regions: readonly Region<T>[], a: number, b: number): Region<T> | undefined {
  return regions.find((r) => a >= r.from && b <= r.to);
}

/** The calls of a document by the name they call (each name read from the tree once: a lookup per
 *  function and call made a 1,000-program file quadratic, seconds per version). */
type CallSites = ReadonlyMap<string, readonly { start: number; end: number }[]>;

function callSitesOf(calls: readonly SyntaxNode[]): CallSites {
  const out = new Map<string, { start: number; end: number }[]>();
  for (const c of calls) {
    const name = callName(c);
    if (name === undefined) continue;
    const site = { start: c.startIndex, end: c.endIndex };
    const list = out.get(name);
    if (list) list.push(site);
    else out.set(name, [site]);
  }
  return out;
}

/** Adds the bodies of functions whose every call lies in a region (with that call's value),
 *  followed through callers a few levels: such a function runs only where its callers do. */
function extendToCallees<T>(regions: Region<T>[], calls: CallSites, scopes: readonly Scope[]): void {
  for (let round = 0; round < 4; round++) {
    let added = false;
    for (const scope of scopes) {
      if (!scope.name || regionAt(regions, scope.start, scope.end)) continue;
      const sites = (calls.get(scope.name) ?? []).filter((c) => !(c.start >= scope.start && c.end <= scope.end));
      const found = sites.map((c) => regionAt(regions, c.start, c.end));
      if (!sites.length || found.some((r) => !r)) continue;
      regions.push({ from: scope.start, to: scope.end, value: found[0]!.value });
      added = true;
    }
    if (!added) break;
  }
}

/** What the ancestors of a node say about it, found by position (tree-sitter's parent lookup
 *  walks down from the root each time: far too slow per node). */
interface Walk {
  /** The span of the expression the walk was made for. */
  from: number;
  to: number;
  scope?: Scope;
  /** In a guard's branch, or after a guard that left the block. */
  guarded: boolean;
  /** Inside bpf_core_read()/__builtin_preserve_access_index(). */
  builtin: boolean;
  /** Under a loader setting (CoreAccess.option). */
  option?: string;
}

/** Whether [a, b] lies inside one of the ranges. */
function within(ranges: readonly [number, number][], a: number, b: number): boolean {
  return ranges.some(([x, y]) => a >= x && b <= y);
}

/** The regions the clang pragma gives preserve_access_index (push to pop, or to the end). */
function pragmaAccessRegions(text: string): [number, number][] {
  const pragmaRegions: [number, number][] = [];
  const push = /#\s*pragma\s+clang\s+attribute\s+push\s*\(\s*__attribute__\s*\(\s*\(\s*preserve_access_index\s*\)\s*\)/g;
  for (const m of text.matchAll(push)) {
    const pop = text.indexOf('#pragma clang attribute pop', m.index!);
    pragmaRegions.push([m.index!, pop < 0 ? text.length : pop]);
  }
  return pragmaRegions;
}

/** One pass over the tree for every node type of interest (each pass walks every node in wasm),
 *  for the nodes that start in text[from, to). */
function nodesByType(root: SyntaxNode, text: string, from: number, to: number, lines: LineMap): Map<string, SyntaxNode[]> {
  const byType = new Map<string, SyntaxNode[]>();
  const types = ['function_definition', 'declaration', 'call_expression', 'field_expression', 'if_statement', 'conditional_expression', 'struct_specifier', 'union_specifier'];
  const whole = from === 0 && to === text.length;
  const point = (offset: number) => {
    const p = lines.positionAt(offset);
    return { row: p.line, column: p.character };
  };
  for (const n of whole ? root.descendantsOfType(types) : root.descendantsOfType(types, point(from), point(to))) {
    if (!n || (!whole && (n.startIndex < from || n.startIndex >= to))) continue;
    const list = byType.get(n.type);
    if (list) list.push(n);
    else byType.set(n.type, [n]);
  }
  return byType;
}

/** A struct/union definition of a part, before the pragma regions of the whole text are known. */
interface PartType {
  key: string;
  type: LocalType;
  /** Offset of the specifier (pragma regions are looked up by it). */
  at: number;
}

/** The struct/union definitions among `specs`, with preserve_access_index when their declaration
 *  says so; undefined when a declaration's `;` lies past `to` (the part ends inside it). */
function partTypes(text: string, lines: LineMap, specs: readonly SyntaxNode[], to: number): PartType[] | undefined {
  const out: PartType[] = [];
  for (const spec of specs) {
    const body = spec.childForFieldName('body');
    const name = spec.childForFieldName('name')?.text;
    if (!body || !name) continue;
    const tag = spec.type === 'union_specifier' ? 'union' : 'struct';
    const members = body.descendantsOfType('field_identifier').filter((n): n is SyntaxNode => !!n).map((n) => n.text);
    // The attribute sits in the specifier or after it, before the declaration's `;`.
    const semi = text.indexOf(';', spec.endIndex);
    if (semi < 0 ? to < text.length : semi >= to) return undefined;
    const after = text.slice(spec.startIndex, semi < 0 ? text.length : semi);
    const pai = /preserve_access_index/.test(after);
    out.push({ key: `${tag} ${name}`, at: spec.startIndex, type: { tag, name, members, preserveAccessIndex: pai, range: lines.range(spec.startIndex, spec.endIndex) } });
  }
  return out;
}

/** The regions made by the calls of interest: guards, CO-RE builtins and BPF_CORE_READ accessors. */
interface CallRegions {
  guardCalls: [number, number][];
  builtinCalls: [number, number][];
  accessorArgs: [number, number][];
  coreCalls: SyntaxNode[];
}

/** Sorts the calls into their regions, noting guarded names in their scopes. */
function classifyCalls(calls: readonly SyntaxNode[], scopeOf: (at: number) => Scope | undefined): CallRegions {
  const out: CallRegions = { guardCalls: [], builtinCalls: [], accessorArgs: [], coreCalls: [] };
  for (const call of calls) {
    const name = callName(call);
    if (!name) continue;
    if (GUARD_CALLS.has(name)) {
      out.guardCalls.push([call.startIndex, call.endIndex]);
      const scope = scopeOf(call.startIndex);
      if (scope) noteGuardNames(scope, call);
    }
    else if (CORE_BUILTINS.has(name)) out.builtinCalls.push([call.startIndex, call.endIndex]);
    else if (isCoreReadMacro(name)) {
      out.coreCalls.push(call);
      for (const a of argNodes(call).slice(coreReadSourceIndex(name) + 1)) out.accessorArgs.push([a.startIndex, a.endIndex]);
    }
  }
  return out;
}

/** The spans guarded by a field-exists style check. Helpers called only from them are guarded
 *  too: assembleCoreModel adds them over the whole document. */
function guardedRegionsOf(conds: readonly SyntaxNode[], calls: CallSites): [number, number][] {
  const guardedRegions: [number, number][] = [];
  // No guard call anywhere in the part: no condition holds one (skips a tree lookup per `if`).
  if (![...GUARD_CALLS].some((name) => calls.has(name))) return guardedRegions;
  for (const cond of conds) {
    if (!hasGuardCall(cond.childForFieldName('condition'))) continue;
    for (const field of ['consequence', 'alternative']) {
      const branch = cond.childForFieldName(field);
      if (branch) guardedRegions.push([branch.startIndex, branch.endIndex]);
    }
    // `if (!bpf_core_field_exists(...)) return;`: the rest of the block is the other branch.
    if (cond.type === 'if_statement' && exits(cond.childForFieldName('consequence'))) {
      const block = cond.parent;
      if (block?.type === 'compound_statement') guardedRegions.push([cond.endIndex, block.endIndex]);
    }
  }
  return guardedRegions;
}

/** Collects the accesses of one document, memoised by start offset, remembering inner chains. */
class AccessCollector {
  /** Reads by start offset (×2, +1 for BPF_CORE_READ calls). */
  private readonly accessOf = new Map<number, CoreAccess>();
  /** Field expressions that are the argument of a longer chain (collected with it). */
  readonly inner = new Set<number>();
  /** Every access made, with the span of the walk that judged it. */
  readonly made: MadeAccess[] = [];
  /** An access outside any function took its root's type from the text before it. */
  readsBefore = false;

  constructor(private readonly text: string, private readonly lines: LineMap) {}

  /** The root an access starts from: a typed variable, a cast, a typed call, or another access. */
  rootOf(node: SyntaxNode, w: Walk): AccessRoot | undefined {
    const text = this.text;
    let n: SyntaxNode | null = node;
    while (n && n.type === 'parenthesized_expression') n = n.namedChildren.find((c) => !!c && c.type !== 'comment') ?? null;
    if (!n) return undefined;
    if (n.type === 'identifier') {
      // Outside any function the tree recovered (an unclosed body being typed): the nearest
      // declaration written before it.
      if (!w.scope) this.readsBefore = true;
      const t = w.scope ? lookup(w.scope, n.text, n.startIndex) : declaredInText(text, n.text, 0, n.startIndex);
      return t ? { kind: 'type', type: t } : undefined;
    }
    if (n.type === 'cast_expression') {
      const t = parseWrittenType(n.childForFieldName('type')?.text ?? '');
      return t ? { kind: 'type', type: t } : undefined;
    }
    if (n.type === 'call_expression') return this.callRootOf(n, w);
    if (n.type === 'field_expression') {
      const a = this.collectChain(n, w);
      return a ? { kind: 'access', access: a } : undefined;
    }
    return undefined;
  }

  /** The root an access starts from when it is a call. */
  private callRootOf(n: SyntaxNode, w: Walk): AccessRoot | undefined {
    const name = callName(n);
    if (name === 'bpf_get_current_task_btf') return { kind: 'type', type: { tag: 'struct', name: 'task_struct', pointers: 1, text: 'struct task_struct *' } };
    if (name === 'container_of' || name === 'bpf_core_cast') {
      const args = n.childForFieldName('arguments');
      const parts = args ? splitArgs(this.text.slice(args.startIndex + 1, args.endIndex - 1), args.startIndex + 1) : [];
      const t = parseWrittenType(parts[1]?.text ?? '');
      return t ? { kind: 'type', type: { ...t, pointers: t.pointers + 1 } } : undefined;
    }
    if (name && isCoreReadMacro(name)) {
      const a = this.collectCoreRead(n, w);
      return a ? { kind: 'access', access: a } : undefined;
    }
    return undefined;
  }

  /** Whether the access is guarded where it is, or by a guard on one of its members' names. */
  private isGuarded(w: Walk, steps: AccessStep[]): boolean {
    return w.guarded || steps.some((st) => w.scope?.guardedNames.has(st.name));
  }

  /** A chain of `->`/`.` ending at `outer` (the outermost field_expression). */
  collectChain(outer: SyntaxNode, w: Walk): CoreAccess | undefined {
    const known = this.accessOf.get(outer.startIndex * 2);
    if (known) return known;
    const steps: AccessStep[] = [];
    let n: SyntaxNode | null = outer;
    while (n && (n.type === 'field_expression' || n.type === 'subscript_expression')) {
      if (n !== outer && n.type === 'field_expression') this.inner.add(n.id);
      if (n.type === 'field_expression') {
        const field = n.childForFieldName('field');
        const op = n.childForFieldName('operator')?.text ?? n.children.find((c) => c && (c.text === '->' || c.text === '.'))?.text;
        if (!field) return undefined;
        steps.unshift({ name: field.text, range: this.lines.range(field.startIndex, field.endIndex), arrow: op === '->' });
      }
      n = n.childForFieldName('argument');
    }
    if (!n || !steps.length) return undefined;
    const r = this.rootOf(n, w);
    if (!r) return undefined;
    const a: CoreAccess = {
      root: r, steps, via: w.builtin ? 'core-builtin' : 'direct', range: this.lines.range(outer.startIndex, outer.endIndex),
      guarded: this.isGuarded(w, steps), fn: w.scope?.name, start: outer.startIndex, end: outer.endIndex,
      ...(w.option ? { option: w.option } : {}),
    };
    this.accessOf.set(outer.startIndex * 2, a);
    this.made.push({ access: a, from: w.from, to: w.to });
    return a;
  }

  /** A BPF_CORE_READ-style call: its source argument and the accessor steps after it. */
  collectCoreRead(call: SyntaxNode, w: Walk): CoreAccess | undefined {
    const known = this.accessOf.get(call.startIndex * 2 + 1);
    if (known) return known;
    const macro = callName(call)!;
    const args = call.childForFieldName('arguments');
    if (!args) return undefined;
    const parts = splitArgs(this.text.slice(args.startIndex + 1, args.endIndex - 1), args.startIndex + 1);
    const src = coreReadSourceIndex(macro);
    const srcNode = argNodes(call).find((c) => c.startIndex === parts[src]?.start);
    if (!srcNode || parts.length <= src + 1) return undefined;
    const steps: AccessStep[] = [];
    for (const p of parts.slice(src + 1)) {
      const st = accessorSteps(p.text, p.start, this.lines);
      if (!st) return undefined;
      steps.push(...st);
    }
    const r = this.rootOf(srcNode, w);
    if (!r) return undefined;
    const a: CoreAccess = {
      root: r, steps, via: 'core-read', macro, range: this.lines.range(call.startIndex, call.endIndex),
      guarded: this.isGuarded(w, steps), fn: w.scope?.name, start: call.startIndex, end: call.endIndex,
      ...(w.option ? { option: w.option } : {}),
    };
    this.accessOf.set(call.startIndex * 2 + 1, a);
    this.made.push({ access: a, from: w.from, to: w.to });
    return a;
  }
}

/** Builds the CO-RE model of a C document from its tree (the text it was parsed from). */
export function buildCoreModel(text: string, tree: Tree | undefined, lines = new LineMap(text)): CoreModel {
  if (!tree) return assembleCoreModel(text, lines, []);
  const options = loaderOptions(text);
  return assembleCoreModel(text, lines, [buildCorePart(text, 0, text.length, tree, lines, options)!], options);
}

/** An access a part made, with the span of the expression whose walk judged it (an access that
 *  is the root of another is judged with it). */
interface MadeAccess {
  access: CoreAccess;
  from: number;
  to: number;
}

/** The CO-RE reads of a run of top-level declarations of a document (text[from, to) with the
 *  tree of the whole text), positions in the whole text. Reads are judged by what the part
 *  holds; assembleCoreModel adds what needs the whole document: functions guarded (or under a
 *  loader option) because every call of them is. */
export interface CorePart {
  /** The reads, by start. */
  accesses: CoreAccess[];
  scopes: Scope[];
  /** What only the assembly reads, with offsets `delta` short of where the part is now (a part
   *  moved to a later version is not copied for them): */
  delta: number;
  made: MadeAccess[];
  structs: PartType[];
  unions: PartType[];
  /** Every call: name and span. */
  calls: { name: string; start: number; end: number }[];
  guardRegions: [number, number][];
  optionRegions: Region<string>[];
  /** A read outside any function whose root's type came from the text before the part: the part
   *  depends on more than its own text. */
  readsBefore: boolean;
}

/** The CO-RE part of text[from, to), `options` the loader options of the whole text (loaderOptions).
 *  Undefined when the part ends inside a declaration (join it to the next). */
export function buildCorePart(text: string, from: number, to: number, tree: Tree, lines: LineMap, options: ReadonlySet<string>): CorePart | undefined {
  const byType = nodesByType(tree.rootNode, text, from, to, lines);
  const ofType = (...types: string[]) => types.flatMap((t) => byType.get(t) ?? []);
  const structs = partTypes(text, lines, ofType('struct_specifier'), to);
  const unions = partTypes(text, lines, ofType('union_specifier'), to);
  if (!structs || !unions) return undefined;

  const scopes = ofType('function_definition').map(buildScope);
  const scopeOf = (at: number) => scopes.find((sc) => at >= sc.start && at < sc.end);
  for (const d of ofType('declaration')) {
    const scope = scopeOf(d.startIndex);
    if (!scope) continue;
    const type = d.childForFieldName('type');
    for (const c of d.childrenForFieldName('declarator')) declare(scope, type, c);
  }

  // Regions, from the few nodes that make them (wasm-side type filtering finds them cheaply).
  const { guardCalls, builtinCalls, accessorArgs, coreCalls } = classifyCalls(ofType('call_expression'), scopeOf);
  const sites = callSitesOf(ofType('call_expression'));
  const guardRegions = guardedRegionsOf(ofType('if_statement', 'conditional_expression'), sites);
  const optionRegions = loaderOptionRegions(options, ofType('if_statement', 'conditional_expression'));
  const walkAt = (a: number, b: number): Walk => ({
    from: a,
    to: b,
    scope: scopeOf(a),
    guarded: within(guardRegions, a, b),
    builtin: within(builtinCalls, a, b),
    option: regionAt(optionRegions, a, b)?.value,
  });
  const collector = new AccessCollector(text, lines);
  const accesses: CoreAccess[] = [];

  for (const call of coreCalls) {
    if (within(guardCalls, call.startIndex, call.endIndex) || within(accessorArgs, call.startIndex, call.endIndex)) continue;
    const a = collector.collectCoreRead(call, walkAt(call.startIndex, call.endIndex));
    if (a) accesses.push(a);
  }
  // Outermost chains first (a chain's inner parts are collected with it), by decreasing length.
  const chains = ofType('field_expression')
    .sort((x, y) => (y.endIndex - y.startIndex) - (x.endIndex - x.startIndex));
  for (const fe of chains) {
    if (collector.inner.has(fe.id)) continue;
    if (within(guardCalls, fe.startIndex, fe.endIndex) || within(accessorArgs, fe.startIndex, fe.endIndex)) continue;
    const a = collector.collectChain(fe, walkAt(fe.startIndex, fe.endIndex));
    if (a) accesses.push(a);
  }
  accesses.sort((x, y) => x.start - y.start);
  const calls = [...sites].flatMap(([name, list]) => list.map((c) => ({ name, start: c.start, end: c.end })));
  return { accesses, scopes, delta: 0, made: collector.made, structs, unions, calls, guardRegions, optionRegions, readsBefore: collector.readsBefore };
}

/** The document's CO-RE model from its parts in order. `options`: loaderOptions(text), given when
 *  the parts were built with it. */
export function assembleCoreModel(text: string, lines: LineMap, parts: readonly CorePart[], options?: ReadonlySet<string>): CoreModel {
  const includesVmlinux = /^\s*#\s*include\s*[<"][^>"]*vmlinux\.h[>"]/m.test(text);
  let insertAt = 0;
  for (const m of text.matchAll(/^[ \t]*#[ \t]*include[^\n]*\n?/gm)) insertAt = m.index! + m[0].length;
  const model: CoreModel = { accesses: [], localTypes: new Map(), includesVmlinux, insertAt: lines.positionAt(insertAt), scopes: [] };
  if (!parts.length) return model;
  const pragmaRegions = pragmaAccessRegions(text);
  const types = (p: CorePart, list: readonly PartType[]) => list.map((t) => ({ ...t, at: t.at + p.delta }));
  for (const t of [...parts.flatMap((p) => types(p, p.structs)), ...parts.flatMap((p) => types(p, p.unions))]) {
    const pai = t.type.preserveAccessIndex || pragmaRegions.some(([a, b]) => t.at > a && t.at < b);
    model.localTypes.set(t.key, pai === t.type.preserveAccessIndex ? t.type : { ...t.type, preserveAccessIndex: pai });
  }
  model.scopes = parts.flatMap((p) => p.scopes);
  // A helper called only from guarded places (`if (bpf_core_field_exists(t->__state)) return
  // state_of(t);`), or only under a loader option, is so too: found over the whole document.
  const guardBase = parts.flatMap((p) => p.guardRegions.map(([from, to]): Region<true> => ({ from: from + p.delta, to: to + p.delta, value: true })));
  const optionBase = options?.size ? parts.flatMap((p) => p.optionRegions.map((r) => ({ ...r, from: r.from + p.delta, to: r.to + p.delta }))) : [];
  let sites: CallSites | undefined;
  const callers = () => (sites ??= partCallSites(parts));
  const guardedFns = guardBase.length ? calleesOf(guardBase, callers(), model.scopes) : [];
  const optionFns = optionBase.length ? calleesOf(optionBase, callers(), model.scopes) : [];
  for (const part of parts) {
    if (!guardedFns.length && !optionFns.length) {
      model.accesses.push(...part.accesses);
      continue;
    }
    const revised = new Map<CoreAccess, { guarded: boolean; option?: string }>();
    for (const m of part.made) {
      const [from, to] = [m.from + part.delta, m.to + part.delta];
      const guarded = m.access.guarded || !!regionAt(guardedFns, from, to);
      const option = m.access.option ?? regionAt(optionFns, from, to)?.value;
      if (guarded !== m.access.guarded || option !== m.access.option) revised.set(m.access, { guarded, option });
    }
    model.accesses.push(...(revised.size ? reviseAccesses(part.accesses, (a) => revised.get(a)) : part.accesses));
  }
  return model;
}

/** The call sites of all parts by name. */
function partCallSites(parts: readonly CorePart[]): CallSites {
  const out = new Map<string, { start: number; end: number }[]>();
  for (const part of parts) {
    for (const c of part.calls) {
      const site = { start: c.start + part.delta, end: c.end + part.delta };
      const list = out.get(c.name);
      if (list) list.push(site);
      else out.set(c.name, [site]);
    }
  }
  return out;
}

/** The function bodies extendToCallees adds to `base` (base itself left as it is). */
function calleesOf<T>(base: readonly Region<T>[], calls: CallSites, scopes: readonly Scope[]): Region<T>[] {
  const regions = [...base];
  extendToCallees(regions, calls, scopes);
  return regions.slice(base.length);
}

/** Copies of accesses with other guarded/option values, the roots they share copied once. */
export function reviseAccesses(accesses: readonly CoreAccess[], change: (a: CoreAccess) => { guarded: boolean; option?: string } | undefined,
  shift?: { offset: number; lines: number }, copies = new Map<CoreAccess, CoreAccess>()): CoreAccess[] {
  const range = (r: Range): Range => shift?.lines ? { start: { line: r.start.line + shift.lines, character: r.start.character }, end: { line: r.end.line + shift.lines, character: r.end.character } } : r;
  const copy = (a: CoreAccess): CoreAccess => {
    let c = copies.get(a);
    if (c) return c;
    const root: AccessRoot = a.root.kind === 'access' ? { kind: 'access', access: copy(a.root.access) } : a.root;
    c = { ...a, root };
    if (shift) {
      c.steps = a.steps.map((st) => ({ ...st, range: range(st.range) }));
      c.range = range(a.range);
      c.start = a.start + shift.offset;
      c.end = a.end + shift.offset;
    }
    const changed = change(a);
    if (changed) {
      c.guarded = changed.guarded;
      if (changed.option !== undefined) c.option = changed.option;
    }
    copies.set(a, c);
    return c;
  };
  return accesses.map(copy);
}

/** The access whose member at `pos` is one of its steps. */
export function accessAt(model: CoreModel, pos: Position): { access: CoreAccess; step: number } | undefined {
  for (const access of model.accesses) {
    const i = access.steps.findIndex((s) => s.range.start.line === pos.line && s.range.start.character <= pos.character && pos.character <= s.range.end.character);
    if (i >= 0) return { access, step: i };
  }
  return undefined;
}

/** The declared struct type of a variable at an offset: from its function's declarations, or
 *  (code being typed, where the tree lost the function) the nearest `struct X *name` written
 *  before it. */
export function declaredTypeAt(model: CoreModel, text: string, name: string, offset: number): WrittenType | undefined {
  const scope = model.scopes.find((s) => offset >= s.start && offset < s.end);
  return lookup(scope, name, offset) ?? declaredInText(text, name, scope?.start ?? 0, offset);
}

/** The last `struct X *name` declaration written in text[from, to). */
function declaredInText(text: string, name: string, from: number, to: number): WrittenType | undefined {
  const re = new RegExp(`\\b(struct|union)\\s+([A-Za-z_]\\w*)\\s*((?:\\*\\s*)*)${name}\\s*[=;,)\\[]`, 'g');
  let found: WrittenType | undefined;
  for (const m of text.slice(from, to).matchAll(re)) found = { tag: m[1] as 'struct' | 'union', name: m[2], pointers: (m[3].match(/\*/g) ?? []).length, text: `${m[1]} ${m[2]} ${m[3]}`.trim() };
  return found;
}

/** The value an expression text starts from, and its member steps: `((struct x *)p)->a.b`,
 *  `t->mm`, `bpf_get_current_task_btf()->real_parent`, `container_of(p, struct x, m)->y`.
 *  Undefined when the text is not such a chain. */
export function parseChainText(expr: string, base: number, model: CoreModel, text: string, lines: LineMap): { root: WrittenType; steps: AccessStep[] } | undefined {
  const e = expr.trim();
  const lead = base + (expr.length - expr.trimStart().length);
  let rest: string;
  let root: WrittenType | undefined;
  let at: number;
  const cast = /^\(\s*\(\s*((?:const\s+)?(?:struct|union)\s+\w+\s*\*+)\s*\)\s*[A-Za-z_][\w.>-]*\s*\)/.exec(e);
  const call = /^(bpf_get_current_task_btf\s*\(\s*\)|(?:container_of|bpf_core_cast)\s*\(([^()]*)\))/.exec(e);
  const ident = /^[A-Za-z_]\w*/.exec(e);
  if (cast) {
    root = parseWrittenType(cast[1]);
    at = cast[0].length;
  } else if (call) {
    if (call[2] !== undefined) {
      const t = parseWrittenType(splitArgs(call[2], 0)[1]?.text ?? '');
      root = t && { ...t, pointers: t.pointers + 1 };
    } else {
      root = { tag: 'struct', name: 'task_struct', pointers: 1, text: 'struct task_struct *' };
    }
    at = call[0].length;
  } else if (ident) {
    root = declaredTypeAt(model, text, ident[0], lead);
    at = ident[0].length;
  } else {
    return undefined;
  }
  if (!root) return undefined;
  rest = e.slice(at);
  const steps: AccessStep[] = [];
  const step = /^\s*(->|\.)\s*([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*/;
  let pos = at;
  for (let m = step.exec(rest); m; m = step.exec(rest)) {
    const nameAt = lead + pos + m[0].indexOf(m[2], m[1].length);
    steps.push({ name: m[2], range: lines.range(nameAt, nameAt + m[2].length), arrow: m[1] === '->' });
    pos += m[0].length;
    rest = rest.slice(m[0].length);
  }
  if (rest.trim()) return undefined;
  return { root, steps };
}
