// What a libbpf C file needs from a kernel to load, read from its text and tree: per program, the
// BPF helpers and kfuncs its handler calls (directly or through the file's static functions and
// callbacks, e.g. bpf_loop(n, cb, ...)), each call with the guard that protects it; per file, the
// maps it defines (libbpf creates every map of the object, whichever program uses it) and its
// license. Calls inside headers are not seen (they are not in the text): a miss, never a false
// alarm.
//
// Guards. libbpf and the verifier drop code a CO-RE check rules out, so a call under
//   if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop)) { bpf_loop(...); }
//   if (!bpf_ksym_exists(bpf_task_from_pid)) return 0; ... bpf_task_release(t);
// is dead code on every kernel where the checked helper or kfunc is missing, and live where it is
// there (where it is then judged like any call: present, allowed for the program type). Such
// `helper` / `ksym` guards are recorded by name; any other CO-RE check (bpf_core_type_exists,
// bpf_core_field_exists, ...) is a `core` guard: it may or may not rule the call out, so the call
// is never an error (the verdict says unknown where it would fail).

import { ownCopy, unpinStrings } from '../model/ownStrings';
import crypto from 'node:crypto';
import type { Node as SyntaxNode, Tree } from 'web-tree-sitter';
import type { BpfProgram, LineMap, Range } from '../syntax/cModel';

/** A condition a call sits under: a helper or kfunc that must exist, or another CO-RE check. */
export type Guard =
  | { kind: 'helper'; name: string; text: string }
  | { kind: 'ksym'; name: string; text: string }
  | { kind: 'core'; text: string };

export interface CallSite {
  range: Range;
  /** Every guard around the call (empty: unguarded). */
  guards: Guard[];
}

export interface FunctionNeed {
  name: string;
  sites: CallSite[];
}

export interface KfuncNeed extends FunctionNeed {
  /** Declared `__ksym __weak` (libbpf tolerates it missing; calls must then be guarded). */
  weak: boolean;
  /** Where the file declares it (undefined: a known kfunc called without a declaration in the file). */
  declRange?: Range;
}

export interface ProgramNeeds {
  program: BpfProgram;
  helpers: FunctionNeed[];
  kfuncs: KfuncNeed[];
  /** The scans its helpers and kfuncs were read from (its handler's and those of the functions
   *  it reaches, in the order reached), when the scans are kept between versions (NeedsInput
   *  scans): the same objects say the same needs, as a scan is kept for its body's text and
   *  place and the file's function names and kfunc declarations. */
  scans?: readonly BodyScan[];
}

export interface MapNeed {
  name: string;
  /** BPF_MAP_TYPE_RINGBUF */
  type: string;
  /** The type token in the definition. */
  range: Range;
}

export interface FileNeeds {
  programs: ProgramNeeds[];
  maps: MapNeed[];
  /** SEC("license") string, when the file has one. */
  license?: string;
  /** Whether that license is GPL-compatible (include/linux/license.h); undefined without one. */
  gplCompatible?: boolean;
}

export interface NeedsInput {
  text: string;
  tree: Tree | undefined;
  lines: LineMap;
  programs: readonly BpfProgram[];
  /** Body scans kept between versions of the document (the one cache's table; values are never
   *  modified): a scan is keyed on the body's text and place and on the file's function names
   *  and kfunc declarations, so an edit to one program rescans that body only. */
  scans?: { get(key: string): BodyScan | undefined; set(key: string, value: BodyScan): unknown };
  /** Needs kept between versions by program object (with scans only): a program object is the
   *  same only while its part's text and place are (syntax/parts.ts), so its handler's scan is
   *  too; kept for programs that reach no other function of the file (whose body may change
   *  while the program does not) and checked against the file's function names and kfunc
   *  declarations. Spares the text-keyed lookup of every body on every run (~5 ms a run for
   *  1,000 programs: the key of a body is its whole text, hashed anew). */
  kept?: WeakMap<BpfProgram, { fileKey: string; needs: ProgramNeeds }>;
}

export interface NeedsVocabulary {
  /** Is this name a BPF helper (helpers.json). */
  isHelper(name: string): boolean;
  /** Is this name a kfunc on some bundled kernel (kfuncs.json). */
  isKfunc(name: string): boolean;
}

/** Licenses the kernel counts as GPL-compatible (include/linux/license.h license_is_gpl_compatible). */
const GPL_COMPATIBLE = new Set(['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL']);

const CORE_CHECK = /\b(bpf_core_enum_value_exists|bpf_core_type_exists|bpf_core_field_exists|bpf_core_type_matches|bpf_core_enum_value|bpf_core_field_size|bpf_ksym_exists|LINUX_KERNEL_VERSION|bpf_core_type_size)\b/;

export function fileNeeds(input: NeedsInput, vocab: NeedsVocabulary): FileNeeds {
  const { text, tree, lines } = input;
  // What the verdicts quote of the file (map types, kfunc names, the licence) outlives this
  // version in their caches: own copies, not views of the text (model/ownStrings.ts).
  const externs = unpinStrings(kfuncDeclarations(text, lines));
  const licenseText = /\bSEC\s*\(\s*"license"\s*\)\s*=\s*"([^"]*)"/.exec(text)?.[1];
  const license = licenseText === undefined ? undefined : ownCopy(licenseText);
  const out: FileNeeds = {
    programs: [],
    maps: unpinStrings(mapDefinitions(text, lines)),
    license,
    gplCompatible: license === undefined ? undefined : GPL_COMPATIBLE.has(license),
  };
  if (!tree) {
    out.programs = input.programs.map((program) => ({ program, helpers: [], kfuncs: [] }));
    return out;
  }
  // Bodies of the file's plain functions, by name (static helpers, callbacks).
  const bodies = new Map<string, SyntaxNode>();
  for (const fn of functionDefinitions(tree.rootNode)) {
    if (!fn) continue;
    const name = functionName(fn);
    const body = fn.childForFieldName('body');
    if (name && body && !bodies.has(name)) bodies.set(name, body);
  }
  const scanCache = new Map<number, BodyScan>();
  // Digested: it heads the key of every body, and a file of 1,000 functions made it ~15 KB.
  const fileKey = input.scans && crypto.createHash('sha1').update(JSON.stringify([[...bodies.keys()], [...externs]])).digest('base64');
  const scan = (body: SyntaxNode): BodyScan => {
    let s = scanCache.get(body.id);
    if (!s) {
      const start = lines.positionAt(body.startIndex);
      const key = fileKey && `${fileKey}|${start.line}:${start.character}|${text.slice(body.startIndex, body.endIndex)}`;
      s = key ? input.scans!.get(key) : undefined;
      if (!s) {
        s = scanBody(body, bodies, vocab, externs, lines);
        // Kept across versions: its names must not hold this version's text.
        if (key) input.scans!.set(key, unpinStrings(s));
      }
      scanCache.set(body.id, s);
    }
    return s;
  };
  for (const program of input.programs) {
    const kept = fileKey ? input.kept?.get(program) : undefined;
    if (kept && kept.fileKey === fileKey) {
      out.programs.push(kept.needs);
      continue;
    }
    const helpers = new Map<string, CallSite[]>();
    const kfuncs = new Map<string, CallSite[]>();
    const root = program.bodyRange ? bodyNode(tree, lines, program.bodyRange) : undefined;
    const reached: BodyScan[] = [];
    if (root) {
      // The handler and everything it reaches in this file.
      const seen = new Set<number>();
      const queue: SyntaxNode[] = [root];
      while (queue.length) {
        const body = queue.pop()!;
        if (seen.has(body.id)) continue;
        seen.add(body.id);
        const s = scan(body);
        reached.push(s);
        for (const [n, sites] of s.helpers) helpers.set(n, [...(helpers.get(n) ?? []), ...sites]);
        for (const [n, sites] of s.kfuncs) kfuncs.set(n, [...(kfuncs.get(n) ?? []), ...sites]);
        for (const callee of s.calls) {
          const b = bodies.get(callee);
          if (b) queue.push(b);
        }
      }
    }
    const needs: ProgramNeeds = {
      program,
      helpers: [...helpers].map(([name, sites]) => ({ name, sites })),
      kfuncs: [...kfuncs].map(([name, sites]) => {
        const decl = externs.get(name);
        return { name, sites, weak: decl?.weak ?? false, declRange: decl?.range };
      }),
      ...(input.scans ? { scans: reached } : {}),
    };
    if (fileKey && input.kept && reached.length <= 1) input.kept.set(program, { fileKey, needs });
    out.programs.push(needs);
  }
  return out;
}

export interface BodyScan {
  helpers: Map<string, CallSite[]>;
  kfuncs: Map<string, CallSite[]>;
  /** Local functions called or passed as callbacks. */
  calls: Set<string>;
}

function scanBody(body: SyntaxNode, bodies: Map<string, SyntaxNode>, vocab: NeedsVocabulary,
  externs: Map<string, { weak: boolean; range: Range }>, lines: LineMap): BodyScan {
  const res: BodyScan = { helpers: new Map(), kfuncs: new Map(), calls: new Set() };
  for (const call of body.descendantsOfType('call_expression')) {
    if (!call) continue;
    const fn = call.childForFieldName('function');
    if (fn?.type === 'identifier') {
      const name = fn.text;
      const site = (): CallSite => ({ range: lines.range(fn.startIndex, fn.endIndex), guards: guardsOf(call, body) });
      if (externs.has(name) || (vocab.isKfunc(name) && !vocab.isHelper(name))) push(res.kfuncs, name, site());
      else if (vocab.isHelper(name)) push(res.helpers, name, site());
      else if (bodies.has(name)) res.calls.add(name);
    }
    // Callbacks: bpf_loop(n, cb, ...), bpf_for_each_map_elem(map, cb, ...), timers.
    for (const arg of call.childForFieldName('arguments')?.namedChildren ?? []) {
      const id = arg?.type === 'pointer_expression' ? arg.childForFieldName('argument') : arg;
      if (id?.type === 'identifier' && bodies.has(id.text)) res.calls.add(id.text);
    }
  }
  return res;
}

function push(m: Map<string, CallSite[]>, name: string, site: CallSite): void {
  const list = m.get(name);
  if (list) list.push(site);
  else m.set(name, [site]);
}

/** The CO-RE checks a call sits under, searching up to the function body: `if`, `?:` and `&&`
 *  conditions on the path to it, and `if (!check) return/goto` statements before it in a block. */
function guardsOf(call: SyntaxNode, stop: SyntaxNode): Guard[] {
  const out: Guard[] = [];
  const note = (cond: string, negated: boolean) => {
    const text = cond.replace(/\s+/g, ' ');
    // A negated check guards the `else` side only; we read guards of the `then` side and of early
    // returns, where a positive (or, for early returns, negated) check is what keeps the code alive.
    if (negated) return;
    let named = false;
    for (const m of text.matchAll(/bpf_core_enum_value_exists\s*\(\s*enum\s+bpf_func_id\s*,\s*BPF_FUNC_(\w+)\s*\)/g)) {
      out.push({ kind: 'helper', name: `bpf_${m[1]}`, text });
      named = true;
    }
    for (const m of text.matchAll(/bpf_ksym_exists\s*\(\s*(\w+)\s*\)/g)) {
      out.push({ kind: 'ksym', name: m[1], text });
      named = true;
    }
    if (!named && CORE_CHECK.test(text)) out.push({ kind: 'core', text });
  };
  let child: SyntaxNode = call;
  for (let node = call.parent; node && node.id !== stop.parent?.id; child = node, node = node.parent) {
    if (node.type === 'if_statement' || node.type === 'conditional_expression') {
      const cond = node.childForFieldName('condition');
      const alt = node.childForFieldName('alternative');
      // Inside the condition itself, or on the else side: the check does not keep it alive.
      if (cond && cond.id !== child.id && alt?.id !== child.id) note(cond.text, startsNegated(cond.text));
    } else if (node.type === 'binary_expression' && node.childForFieldName('operator')?.text === '&&') {
      const left = node.childForFieldName('left');
      if (left && left.id !== child.id) note(left.text, startsNegated(left.text));
    }
    if (node.type === 'compound_statement') {
      for (const s of node.namedChildren) {
        if (!s || s.startIndex >= child.startIndex) break;
        if (s.type !== 'if_statement') continue;
        const cons = s.childForFieldName('consequence');
        const exits = cons && /^(return|goto)\b/.test(cons.text.trim().replace(/^\{\s*/, ''));
        const cond = s.childForFieldName('condition')?.text ?? '';
        if (exits && startsNegated(cond)) note(cond.replace(/^\(\s*!/, '('), false);
      }
    }
  }
  return out;
}

/** `(!bpf_ksym_exists(x))`: the condition is a negation. */
function startsNegated(cond: string): boolean {
  return /^\(?\s*!/.test(cond.trim());
}

/** Every function definition of the tree, in document order. C has no nested functions (clang
 *  refuses GNU's), so a tree without errors is not searched inside them: a search of every node
 *  of a 30,000-line file took ~90 ms per version. A tree with errors may have wrapped a function
 *  into another one: searched whole. */
function functionDefinitions(root: SyntaxNode): (SyntaxNode | null)[] {
  if (root.hasError) return root.descendantsOfType('function_definition');
  const out: SyntaxNode[] = [];
  const visit = (node: SyntaxNode): void => {
    for (const child of node.namedChildren) {
      if (!child) continue;
      if (child.type === 'function_definition') out.push(child);
      else if (child.namedChildCount) visit(child);
    }
  };
  visit(root);
  return out;
}

function functionName(fn: SyntaxNode): string | undefined {
  let d: SyntaxNode | null = fn.childForFieldName('declarator');
  while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
  const id = d?.childForFieldName('declarator');
  return id?.type === 'identifier' ? id.text : undefined;
}

/** The compound statement of a program's body. */
function bodyNode(tree: Tree, lines: LineMap, range: Range): SyntaxNode | undefined {
  const start = lines.offsetAt(range.start);
  let node: SyntaxNode | null = tree.rootNode.descendantForIndex(start, start + 1);
  while (node && !(node.type === 'compound_statement' && node.startIndex === start)) node = node.parent;
  return node ?? undefined;
}

/** `extern <type> name(...) __ksym [__weak];` (either order of __ksym/__weak). */
function kfuncDeclarations(text: string, lines: LineMap): Map<string, { weak: boolean; range: Range }> {
  const out = new Map<string, { weak: boolean; range: Range }>();
  const re = /\bextern\b[^;{}]*?\b(\w+)\s*\([^;{}]*\)\s*((?:__ksym|__weak|__attribute__\s*\(\([^)]*\)\))(?:\s+(?:__ksym|__weak|__attribute__\s*\(\([^)]*\)\)))*)\s*;/g;
  for (const m of text.matchAll(re)) {
    if (!/__ksym/.test(m[2])) continue;
    const at = m.index! + Math.max(0, m[0].search(new RegExp(`\\b${m[1]}\\s*\\(`)));
    out.set(m[1], { weak: /__weak|weak\)\)/.test(m[2]), range: lines.range(at, at + m[1].length) });
  }
  return out;
}

/** `struct { __uint(type, BPF_MAP_TYPE_X); ... } name SEC(".maps");` and the legacy
 *  `struct bpf_map_def SEC("maps") name = { .type = BPF_MAP_TYPE_X, ... };`. */
function mapDefinitions(text: string, lines: LineMap): MapNeed[] {
  const out: MapNeed[] = [];
  for (const m of text.matchAll(/struct\s*\{([^{}]*)\}\s*(\w+)\s+SEC\s*\(\s*"\.maps"\s*\)/g)) {
    const t = /__uint\s*\(\s*type\s*,\s*(BPF_MAP_TYPE_\w+)\s*\)/.exec(m[1]);
    if (!t) continue;
    const at = m.index! + m[0].indexOf(t[1]);
    out.push({ name: m[2], type: t[1], range: lines.range(at, at + t[1].length) });
  }
  for (const m of text.matchAll(/struct\s+bpf_map_def\s+SEC\s*\(\s*"maps"\s*\)\s*(\w+)\s*=\s*\{([^{}]*)\}/g)) {
    const t = /\.type\s*=\s*(BPF_MAP_TYPE_\w+)/.exec(m[2]);
    if (!t) continue;
    const at = m.index! + m[0].indexOf(t[1]);
    out.push({ name: m[1], type: t[1], range: lines.range(at, at + t[1].length) });
  }
  return out;
}
