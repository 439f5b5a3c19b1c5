// How BPF CO-RE resolves a program's type and member names against one kernel's types, as libbpf
// does it (tools/lib/bpf/relo_core.c): a local type name matches the kernel's types of the same
// "essential" name (the `___flavor` suffix of `task_struct___old` dropped); a field matches a
// member of exactly that name, looking through anonymous struct/union members; typedefs and
// qualifiers are skipped on the way. The rules sit here once, over the exact-name lookups of a
// TypeStore (facts.ts), so the atlas files, in-memory facts and the running kernel's BTF answer
// alike. Nothing here reads files; imports nothing of ours but the facts vocabulary.

import type {
  EnumFacts, EnumValueAnswer, KernelTypes, KernelTypesQuery, MemberAnswer, MemberFacts, StructFacts, TypedefFacts,
  TypeStore, TypesCoverage,
} from './facts';

/** libbpf's bpf_core_essential_name_len(): the name up to the last `X___Y` separator (X and Y
 *  not underscores): `task_struct___old` → `task_struct`, `sk_buff___new___x` → `sk_buff___new`. */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_') {
      return name.slice(0, i + 1);
    }
  }
  return name;
}

/** The BPF UAPI enums a `bpf-uapi` enum coverage holds (DepSurf's bpf-enums data). */
export const BPF_UAPI_ENUMS: readonly string[] = ['bpf_func_id', 'bpf_prog_type', 'bpf_attach_type', 'bpf_map_type', 'bpf_link_type'];

const QUALIFIERS = /\b(const|volatile|restrict)\b/g;

/** C's own type words: what a name that is no typedef may be. */
const BASE_WORDS = new Set(['void', 'char', 'short', 'int', 'long', 'signed', 'unsigned', '_Bool', 'bool', 'float', 'double']);

/** What a type spelling names once qualifiers and array dimensions are set aside. */
export type TypeShape =
  | { kind: 'struct' | 'union' | 'enum'; name: string }
  | { kind: 'anonymous'; union: boolean }
  | { kind: 'pointer' }
  | { kind: 'function' }
  | { kind: 'name'; name: string }
  | { kind: 'base'; name: string };

/** Parse a type as MemberFacts/Param spell it (`const struct sock *`, `char %[16]`,
 *  `struct {...}`, `u32`, `void (*%)(int)`). Arrays count as their element type (CO-RE walks
 *  `a[1].b` into the element). */
export function typeShape(type: string): TypeShape {
  let t = type.replace(QUALIFIERS, ' ').replace(/%?\s*(\[\d*\])+\s*$/, '').replace(/\s+/g, ' ').trim();
  t = t.replace(/\s*%$/, '').trim();
  if (/\(\s*\*/.test(t) && t.includes(')(')) return { kind: 'function' };
  if (t.endsWith('*')) return { kind: 'pointer' };
  if (t.includes('(')) return { kind: 'function' };
  const tagged = /^(struct|union|enum) (.+)$/.exec(t);
  if (tagged) {
    const name = tagged[2].trim();
    if (name === '{...}' || name === '(anon)') {
      if (tagged[1] === 'enum') return { kind: 'base', name: 'int' };
      return { kind: 'anonymous', union: tagged[1] === 'union' };
    }
    return { kind: tagged[1] as 'struct' | 'union' | 'enum', name };
  }
  if (t.split(' ').every((w) => BASE_WORDS.has(w))) return { kind: 'base', name: t };
  return { kind: 'name', name: t };
}

/** A member path `a.b[2].c` as its names (array indexes dropped: they select an element of the
 *  same type). */
export function memberPath(path: string): string[] {
  return path.split('.').map((p) => p.replace(/\[[^\]]*\]/g, '').trim()).filter((p) => p.length > 0);
}

/** A tag prefix (`struct task_struct`, `union bpf_attr`) split from the name. */
function splitTag(spec: string): { tag?: 'struct' | 'union' | 'enum'; name: string } {
  const m = /^\s*(struct|union|enum)\s+(\S+)\s*$/.exec(spec);
  return m ? { tag: m[1] as 'struct' | 'union' | 'enum', name: m[2] } : { name: spec.trim() };
}

/** Follow typedefs through at most this many steps (real chains are 2-4 long). */
const MAX_TYPEDEF_CHAIN = 32;
/** Member paths deeper than this are not followed (libbpf's BPF_CORE_SPEC_MAX_LEN is 64). */
const MAX_PATH = 64;

/** CO-RE's view of one kernel's types over a TypeStore. Holds no decoded data of its own: the
 *  store decodes and keeps records. */
export class TypeIndex implements KernelTypesQuery {
  constructor(private readonly store: TypeStore) {}

  get coverage(): TypesCoverage {
    return this.store.coverage;
  }

  structs(spec: string): readonly StructFacts[] {
    const { tag, name } = splitTag(spec);
    if (tag === 'enum') return [];
    const all = this.store.structsNamed(essentialName(name));
    if (!tag) return all;
    return all.filter((s) => !!s.union === (tag === 'union'));
  }

  struct(spec: string): StructFacts | undefined {
    return this.structs(spec)[0];
  }

  /** Whether a missing struct/union of this tag means "not in this kernel's types" (no-type)
   *  rather than "not a kind the source holds" (unknown). */
  private holdsKind(tag: 'struct' | 'union' | undefined): boolean {
    const c = this.store.coverage;
    if (tag === 'struct') return c.structs;
    if (tag === 'union') return c.unions;
    return c.structs && c.unions;
  }

  member(structSpec: string, path: string): MemberAnswer {
    const steps = memberPath(path);
    if (!steps.length) return { status: 'unknown', reason: `no member named in "${path}"` };
    if (steps.length > MAX_PATH) return { status: 'unknown', reason: `member path of ${steps.length} steps is too deep` };
    const { tag, name } = splitTag(structSpec);
    if (tag === 'enum') return { status: 'unknown', reason: `enum ${name} has no members` };
    const candidates = this.structs(structSpec);
    if (!candidates.length) {
      return this.holdsKind(tag)
        ? { status: 'no-type', name: essentialName(name) }
        : { status: 'unknown', reason: `the source of this kernel's types has no ${tag ?? 'union'}s` };
    }
    let unknown: MemberAnswer | undefined;
    let absent: MemberAnswer | undefined;
    for (const s of candidates) {
      const r = this.walk(s, s.members, steps, s.name, 0, 0);
      if (r.status === 'present') return r;
      if (r.status === 'unknown') unknown ??= r;
      else absent ??= r;
    }
    return unknown ?? absent!;
  }

  /** Find steps[i..] in `members` (of the type named `within`); `base` is the bit offset of that
   *  type inside `root`, added to offsets of members of named embedded structs. */
  private walk(root: StructFacts, members: readonly MemberFacts[], steps: string[], within: string, i: number, base: number | undefined): MemberAnswer {
    const m = members.find((x) => x.name === steps[i]);
    if (!m) return { status: 'absent', struct: root, missing: steps[i], within };
    const offset = base === undefined || m.bitOffset === undefined ? undefined : base + m.bitOffset;
    if (i === steps.length - 1) {
      const member: MemberFacts = offset === m.bitOffset ? m : { ...m, bitOffset: offset };
      if (offset === undefined) delete member.bitOffset;
      return { status: 'present', member, struct: root };
    }
    const where = `${within}.${m.name}`;
    // Members of an anonymous type carry offsets from the outermost struct already.
    if (m.members) return this.walk(root, m.members, steps, where, i + 1, base);
    const resolved = this.resolveType(m.type);
    if (!resolved) return { status: 'unknown', reason: `the type ${m.type} of ${where} is not known on this kernel` };
    if (resolved.members) return this.walk(root, resolved.members, steps, where, i + 1, offset);
    const shape = typeShape(resolved.type);
    if (shape.kind !== 'struct' && shape.kind !== 'union') {
      return { status: 'unknown', reason: `${where} is ${resolved.type}, not a struct or union: "${steps[i + 1]}" cannot be a member of it` };
    }
    const inner = this.store.structsNamed(shape.name).filter((s) => !!s.union === (shape.kind === 'union'));
    if (!inner.length) return { status: 'unknown', reason: `${shape.kind} ${shape.name} (the type of ${where}) is not among this kernel's types` };
    let first: MemberAnswer | undefined;
    for (const s of inner) {
      const r = this.walk(root, s.members, steps, `${shape.kind} ${shape.name}`, i + 1, offset);
      if (r.status === 'present') return r;
      first ??= r;
    }
    return first!;
  }

  typedef(name: string): TypedefFacts | undefined {
    return this.store.typedefNamed(name);
  }

  resolveType(type: string): { type: string; members?: MemberFacts[]; union?: boolean } | undefined {
    let t = type;
    for (let i = 0; i < MAX_TYPEDEF_CHAIN; i++) {
      const shape = typeShape(t);
      if (shape.kind !== 'name') return { type: t };
      const td = this.store.typedefNamed(shape.name);
      if (!td) return undefined;
      if (td.members) return { type: td.type, members: td.members, union: td.union };
      // Keep what the typedef sat in (`const u32 %[4]` → `const unsigned int %[4]`).
      t = t.replace(new RegExp(`\\b${shape.name}\\b`), td.type.replace(/\s*%$/, ''));
    }
    return undefined;
  }

  enumType(spec: string): EnumFacts | undefined {
    const { name } = splitTag(spec);
    return this.store.enumsNamed(essentialName(name))[0];
  }

  enumValue(enumSpec: string | undefined, valueName: string): EnumValueAnswer {
    const c = this.store.coverage.enums;
    if (c === 'none') return { status: 'unknown', reason: "the source of this kernel's types has no enums" };
    if (enumSpec === undefined) {
      for (const e of this.store.allEnums()) {
        const v = e.values.find((x) => x.name === valueName);
        if (v) return { status: 'present', value: v.value, enum: e };
      }
      return c === 'all' ? { status: 'absent' } : { status: 'unknown', reason: 'only the BPF UAPI enums are known for this kernel' };
    }
    const name = essentialName(splitTag(enumSpec).name);
    const enums = this.store.enumsNamed(name);
    if (!enums.length) {
      return c === 'all' || BPF_UAPI_ENUMS.includes(name)
        ? { status: 'no-type', name }
        : { status: 'unknown', reason: `only the BPF UAPI enums are known for this kernel, not enum ${name}` };
    }
    for (const e of enums) {
      const v = e.values.find((x) => x.name === valueName);
      if (v) return { status: 'present', value: v.value, enum: e };
    }
    return { status: 'absent', enum: enums[0] };
  }

  structNames(): readonly string[] {
    return this.store.structNames();
  }

  all(): KernelTypes {
    return this.store.all();
  }
}

/** A TypeStore over types already in memory (freshly read facts, tests). */
export function typeStoreFromTypes(types: KernelTypes, coverage: TypesCoverage): TypeStore {
  const group = <T extends { name: string }>(items: T[]): Map<string, T[]> => {
    const m = new Map<string, T[]>();
    for (const it of items) {
      const list = m.get(it.name);
      if (list) list.push(it);
      else m.set(it.name, [it]);
    }
    return m;
  };
  let structs: Map<string, StructFacts[]> | undefined;
  let typedefs: Map<string, TypedefFacts> | undefined;
  let enums: Map<string, EnumFacts[]> | undefined;
  let names: string[] | undefined;
  return {
    coverage,
    structsNamed: (name) => (structs ??= group(types.structs)).get(name) ?? [],
    typedefNamed: (name) => {
      if (!typedefs) {
        typedefs = new Map();
        for (const t of types.typedefs) if (!typedefs.has(t.name)) typedefs.set(t.name, t);
      }
      return typedefs.get(name);
    },
    enumsNamed: (name) => (enums ??= group(types.enums)).get(name) ?? [],
    allEnums: () => types.enums,
    structNames: () => (names ??= [...new Set(types.structs.map((s) => s.name))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))),
    all: () => types,
  };
}
