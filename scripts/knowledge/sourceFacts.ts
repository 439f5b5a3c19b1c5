// Facts read from one kernel source tree for program-types.json: the program types the kernel
// registers (include/linux/bpf_types.h) with their verifier ops and get_func_proto functions, which
// helpers each program type may call and under what condition (cEval.ts over the *_func_proto
// functions), the helper protos' flags (gpl_only, might_sleep, .allowed callbacks), the BTF id sets
// those callbacks consult (btf_allowlist_d_path, sleepable_lsm_hooks), and libbpf's SEC() table
// (tools/lib/bpf/libbpf.c section_defs[]).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Parser } from 'web-tree-sitter';
import { type Formula, and, atoms, or, simplify } from '../../server/src/knowledge/formula';
import type { HelperProtoFacts, HelperRule } from '../../server/src/knowledge/types';
import { type Outcome, ProtoEvaluator, SourceIndex } from './cEval';
import { walkLines } from './cpp';
import { parseHelperIds } from './helpers';


export interface ProgTypeFacts {
  name: string;
  /** bpf_types.h line guard (config options the type needs). */
  guard: Formula;
  ops: string;
  getFuncProto?: string;
  /** file:function of get_func_proto. */
  where?: string;
  /** Only helpers the type can get under some condition; absent helpers are refused. */
  helpers: Record<string, HelperRule[]>;
}

export interface SectionDef {
  prefix: string;
  progType: string;
  attachType: string | null;
  sleepable: boolean;
  /** `+`: the section takes an extra part after the prefix. */
  takesTarget: boolean;
}

export type { HelperRule };

export interface SourceFacts {
  helperIds: Map<string, number>;
  progTypes: ProgTypeFacts[];
  protos: Record<string, HelperProtoFacts>;
  sets: Record<string, { where: string; members: [name: string, guard: Formula][] }>;
  /** Functions on the error-injection list (ALLOW_ERROR_INJECTION): bpf_override_return can only
   *  be attached to these, and syscalls through the arch's wrapper prefixes. */
  errorInjection: { functions: string[]; syscallPrefixes: string[] };
  /** Parse problems and unknown conditions met, for the build log. */
  problems: string[];
}

/** Folders holding BPF helper and program-type code (arch/ and most of drivers/ do not). */
const SCAN_DIRS = ['kernel', 'net', 'fs', 'security', 'mm', 'io_uring', 'crypto', 'block', 'lib', 'drivers/media/rc', 'drivers/hid/bpf', 'drivers/net', 'drivers/base'];

/** Relative paths of the .c files that mention `pattern` (grep -rlE). */
export function grepFiles(tree: string, pattern: string): string[] {
  const dirs = SCAN_DIRS.filter((d) => fs.existsSync(path.join(tree, d)));
  let out = '';
  try {
    out = execFileSync('grep', ['-rlE', '--include=*.c', pattern, ...dirs], { cwd: tree, encoding: 'utf8', maxBuffer: 16 << 20 });
  } catch (err) {
    if ((err as { status?: number }).status !== 1) throw err; // 1: no match
  }
  return out.split('\n').filter(Boolean).sort();
}

/** `BPF_PROG_TYPE(BPF_PROG_TYPE_KPROBE, kprobe, ...)` lines of include/linux/bpf_types.h. */
export function parseBpfTypes(text: string): { name: string; ops: string; guard: Formula }[] {
  const out: { name: string; ops: string; guard: Formula }[] = [];
  walkLines(text, (line, guard) => {
    const m = /^\s*BPF_PROG_TYPE\(\s*(BPF_PROG_TYPE_\w+)\s*,\s*(\w+)\s*,/.exec(line);
    if (m) out.push({ name: m[1], ops: `${m[2]}_verifier_ops`, guard });
  });
  return out;
}

/** `const struct bpf_verifier_ops NAME = { ... .get_func_proto = FN ... };` */
export function parseVerifierOps(text: string): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const m of text.matchAll(/const\s+struct\s+bpf_verifier_ops\s+(\w+)\s*=\s*\{([\s\S]*?)\n\s*\};/g)) {
    out.set(m[1], /\.get_func_proto\s*=\s*(\w+)/.exec(m[2])?.[1]);
  }
  return out;
}

/** `BTF_SET_START(name)` / `BTF_SET8_START(name)` / `BTF_KFUNCS_START(name)` lists with their members. */
export function parseBtfSets(text: string): { name: string; kind: 'set' | 'set8' | 'kfuncs'; members: { name: string; flags: string[]; guard: Formula; line: number }[] }[] {
  const sets: { name: string; kind: 'set' | 'set8' | 'kfuncs'; members: { name: string; flags: string[]; guard: Formula; line: number }[] }[] = [];
  let open: (typeof sets)[number] | undefined;
  walkLines(text, (line, guard, lineNo) => {
    const start = /^\s*BTF_(SET|SET8|KFUNCS)_START\((\w+)\)/.exec(line);
    if (start) {
      open = { name: start[2], kind: start[1] === 'SET' ? 'set' : start[1] === 'SET8' ? 'set8' : 'kfuncs', members: [] };
      sets.push(open);
      return;
    }
    if (/^\s*BTF_(SET|SET8|KFUNCS)_END\(/.test(line)) {
      open = undefined;
      return;
    }
    if (!open) return;
    const id = /^\s*BTF_ID(?:_FLAGS)?\(\s*func\s*,\s*(\w+)\s*(?:,([^)]*))?\)/.exec(line);
    if (id) open.members.push({ name: id[1], flags: (id[2] ?? '').split('|').map((f) => f.trim()).filter(Boolean), guard, line: lineNo });
  });
  return sets;
}

/** libbpf's section_defs[]: `SEC_DEF("kprobe+", KPROBE, 0, SEC_NONE, attach_kprobe)`. */
export function parseSectionDefs(libbpfC: string): SectionDef[] {
  const out: SectionDef[] = [];
  for (const m of libbpfC.matchAll(/^\s*SEC_DEF\("([^"]+)",\s*(\w+),\s*(\w+),\s*([^,)]+)/gm)) {
    const raw = m[1];
    out.push({
      prefix: raw.replace(/\+$/, ''),
      progType: `BPF_PROG_TYPE_${m[2]}`,
      attachType: m[3] === '0' ? null : m[3],
      sleepable: /SEC_SLEEPABLE/.test(m[4]),
      takesTarget: raw.endsWith('+'),
    });
  }
  return out;
}

/** Helpers libbpf swaps for older ones when the kernel lacks them (bpf_object__sanitize_prog():
 *  `case BPF_FUNC_probe_read_kernel: ... insn->imm = BPF_FUNC_probe_read;`). */
export function parseLibbpfFallbacks(libbpfC: string): { helper: string; fallback: string }[] {
  const start = libbpfC.search(/static int bpf_object__sanitize_prog\(/);
  if (start < 0) return [];
  const body = libbpfC.slice(start, libbpfC.indexOf('\n}', start));
  const out: { helper: string; fallback: string }[] = [];
  let pending: string[] = [];
  for (const line of body.split('\n')) {
    const c = /case\s+BPF_FUNC_(\w+)\s*:/.exec(line);
    if (c) pending.push(c[1]);
    const r = /insn->imm\s*=\s*BPF_FUNC_(\w+)\s*;/.exec(line);
    if (r) {
      for (const h of pending) out.push({ helper: `bpf_${h}`, fallback: `bpf_${r[1]}` });
      pending = [];
    }
    if (/\bbreak\s*;/.test(line)) pending = [];
  }
  return out;
}

/** Reads one unpacked kernel tree. `parser` is a tree-sitter C parser. */
export function readSourceFacts(tree: string, parser: Parser): SourceFacts {
  const uapi = fs.readFileSync(path.join(tree, 'include/uapi/linux/bpf.h'), 'utf8');
  const helperIds = parseHelperIds(uapi);
  // The .c files with proto functions, and the headers whose static inline predicates they call
  // (bpf_prog_check_recur() in bpf_verifier.h...).
  const files = [...grepFiles(tree, 'bpf_func_proto|bpf_verifier_ops'),
    ...['include/linux/bpf.h', 'include/linux/bpf_verifier.h', 'include/linux/bpf_lsm.h'].filter((h) => fs.existsSync(path.join(tree, h)))];
  const index = new SourceIndex(tree, parser);
  const opsByName = new Map<string, { fn?: string; file: string }>();
  const setTexts: { file: string; text: string }[] = [];
  for (const rel of files) {
    index.addFile(rel);
    const text = fs.readFileSync(path.join(tree, rel), 'utf8');
    for (const [ops, fn] of parseVerifierOps(text)) opsByName.set(ops, { fn, file: rel });
    if (/BTF_SET_START|BTF_SET8_START/.test(text)) setTexts.push({ file: rel, text });
  }
  const types = parseBpfTypes(fs.readFileSync(path.join(tree, 'include/linux/bpf_types.h'), 'utf8'));
  const problems: string[] = [];
  const protoNames = new Set<string>();
  const progTypes: ProgTypeFacts[] = types.map((t) => {
    const ops = opsByName.get(t.ops);
    if (!ops) problems.push(`${t.name}: no ${t.ops} found`);
    const defs = ops?.fn ? index.functions.get(ops.fn) ?? [] : [];
    const fnDef = defs.find((d) => !d.weak) ?? defs[0];
    return { name: t.name, guard: t.guard, ops: t.ops, getFuncProto: ops?.fn, where: fnDef ? `${fnDef.file}:${fnDef.name}` : undefined, helpers: {} };
  });
  const unknownAtoms = new Set<string>();
  for (const [helper] of [...helperIds].sort((a, b) => a[1] - b[1])) {
    if (helper === 'bpf_unspec') continue;
    const ev = new ProtoEvaluator(index, `BPF_FUNC_${helper.replace(/^bpf_/, '')}`);
    for (const pt of progTypes) {
      if (!pt.getFuncProto) continue;
      const outcomes = ev.call(pt.getFuncProto, [{ kind: 'funcId' }, { kind: 'sym', text: 'prog' }]);
      const rules = toRules(outcomes);
      if (!rules.length) continue;
      pt.helpers[helper] = rules;
      for (const r of rules) {
        if (r[1] !== '?') protoNames.add(r[1]);
        for (const a of atoms(r[0])) if (a.startsWith('unknown:')) unknownAtoms.add(a);
      }
    }
  }
  // Proto flags and .allowed callbacks, evaluated into formulas over the program.
  const protos: Record<string, HelperProtoFacts> = {};
  const usedSets = new Set<string>();
  for (const name of [...protoNames].sort()) {
    const p = index.protos.get(name);
    if (!p) {
      problems.push(`proto ${name} not found`);
      continue;
    }
    const facts: HelperProtoFacts = { func: p.func, gplOnly: !!p.gplOnly, mightSleep: !!p.mightSleep, where: `${p.file}:${name}` };
    if (p.allowed) {
      const ev = new ProtoEvaluator(index, '');
      facts.allowedFn = p.allowed;
      facts.allowed = simplify(or(...ev.call(p.allowed, [{ kind: 'sym', text: 'prog' }]).map((o) => and(o.when, o.v.kind === 'bool' ? o.v.f : `unknown:${p.allowed}()`))));
      for (const a of atoms(facts.allowed)) if (a.startsWith('inSet:')) usedSets.add(a.slice(6));
    }
    protos[name] = facts;
  }
  for (const pt of progTypes) for (const rules of Object.values(pt.helpers)) for (const r of rules) for (const a of atoms(r[0])) if (a.startsWith('inSet:')) usedSets.add(a.slice(6));
  const sets: SourceFacts['sets'] = {};
  for (const { file, text } of setTexts) {
    for (const s of parseBtfSets(text)) {
      if (usedSets.has(s.name) && !sets[s.name]) sets[s.name] = { where: file, members: s.members.map((m) => [m.name, m.guard]) };
    }
  }
  for (const s of usedSets) if (!sets[s]) problems.push(`BTF set ${s} not found`);
  problems.push(...new Set(index.problems), ...[...unknownAtoms].sort().map((a) => `condition not understood: ${a}`));
  return { helperIds, progTypes, protos, sets, errorInjection: readErrorInjection(tree), problems };
}

/** `ALLOW_ERROR_INJECTION(fn, TYPE)` across the tree, and the x86 syscall wrappers that mark every
 *  `__x64_sys_*` / `__ia32_sys_*` stub (arch/x86/include/asm/syscall_wrapper.h). */
export function readErrorInjection(tree: string): SourceFacts['errorInjection'] {
  let out = '';
  try {
    out = execFileSync('grep', ['-rhoE', '--include=*.c', '--include=*.h', '--exclude-dir=tools', '--exclude-dir=Documentation',
      'ALLOW_ERROR_INJECTION\\(\\s*[A-Za-z_][A-Za-z0-9_]*\\s*,', '.'], { cwd: tree, encoding: 'utf8', maxBuffer: 16 << 20 });
  } catch (err) {
    if ((err as { status?: number }).status !== 1) throw err;
  }
  const functions = [...new Set(out.split('\n').map((l) => /\(\s*(\w+)/.exec(l)?.[1]).filter((n): n is string => !!n && n !== 'fname'))].sort();
  const wrapper = path.join(tree, 'arch/x86/include/asm/syscall_wrapper.h');
  const syscallPrefixes = fs.existsSync(wrapper) && /ALLOW_ERROR_INJECTION\(__##abi##_##name/.test(fs.readFileSync(wrapper, 'utf8'))
    ? ['__x64_sys_', '__ia32_sys_'] : [];
  return { functions, syscallPrefixes };
}

/** Outcomes into rules: equal results merged (their conditions or-ed). NULL outcomes are left out
 *  (a helper is refused wherever no rule applies); outcomes the evaluator could not follow become
 *  rules with proto `?` (the helper may or may not be given there). */
function toRules(outcomes: Outcome[]): HelperRule[] {
  const byResult = new Map<string, { when: Formula; proto: string; where: string | null }>();
  for (const o of outcomes) {
    if (o.when === false || o.v.kind === 'null') continue;
    let proto = '?';
    let where: string | null = null;
    let when: Formula = o.when;
    if (o.v.kind === 'proto') {
      proto = o.v.name;
      where = `${o.v.file}:${o.v.fn}`;
    } else {
      when = and(o.when, `unknown:${o.v.kind === 'unknown' ? o.v.why : o.v.kind}`);
    }
    const key = `${proto}@${where}`;
    const prev = byResult.get(key);
    byResult.set(key, { when: prev ? or(prev.when, when) : when, proto, where });
  }
  return [...byResult.values()].map((r) => [simplify(r.when), r.proto, r.where]);
}
