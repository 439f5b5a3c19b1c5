// A kernel's types from its BTF, in the atlas vocabulary (model.ts StructFacts, TypedefFacts,
// EnumFacts): every named struct and union with its members flattened as CO-RE field access sees
// them (members of anonymous struct/union members belong to the parent, marked viaAnon), with
// bit offsets, bitfield widths and sizes; every typedef; every enum (named and anonymous).
// `btfTypes` extracts them all (atlas files); `btfTypeStore` answers by name, converting only
// what is asked for (the running kernel, where nobody should pay for 10,000 structs up front).

import { Btf, BtfKind } from './btf';
import type { EnumFacts, KernelFacts, KernelTypes, MemberFacts, StructFacts, TypedefFacts, TypeStore, TypesCoverage } from '../model/facts';

/** Nesting of anonymous members deeper than this is corrupt data (real BTF stays under 10). */
const MAX_NESTING = 64;

/** What types read from a vmlinux BTF cover. */
export const BTF_TYPES_COVERAGE: TypesCoverage = { structs: true, unions: true, typedefs: true, enums: 'all', layout: true, modules: false };

function isComposite(btf: Btf, id: number): boolean {
  if (id === 0) return false;
  const k = btf.kind(id);
  return k === BtfKind.STRUCT || k === BtfKind.UNION;
}

/** Skip const/volatile/restrict/type tags, but not typedefs (a typedef keeps its name). */
function skipQualifiers(btf: Btf, id: number): number {
  let t = id;
  for (let i = 0; i < MAX_NESTING && t !== 0; i++) {
    const k = btf.kind(t);
    if (k !== BtfKind.CONST && k !== BtfKind.VOLATILE && k !== BtfKind.RESTRICT && k !== BtfKind.TYPE_TAG) return t;
    t = btf.refType(t);
  }
  return t;
}

/** The members of a struct/union, anonymous members flattened, offsets counted from `base`. */
function members(btf: Btf, sid: number, base: number, viaAnon: boolean, depth: number): MemberFacts[] {
  if (depth > MAX_NESTING) throw new Error(`${btf.file}: anonymous member nesting from type #${sid} does not end`);
  const out: MemberFacts[] = [];
  for (const m of btf.members(sid)) {
    const inner = skipQualifiers(btf, m.type);
    const off = base + m.bitOffset;
    if (m.name === '') {
      // libbpf descends into every unnamed member of struct/union type, named type or not.
      const t = btf.resolve(m.type);
      if (isComposite(btf, t)) {
        out.push(...members(btf, t, off, true, depth + 1));
        continue;
      }
    }
    const f: MemberFacts = { name: m.name, type: btf.typeName(m.type), bitOffset: off, size: btf.sizeOf(m.type) };
    if (m.bitSize) f.bitSize = m.bitSize;
    if (viaAnon) f.viaAnon = true;
    if (isComposite(btf, inner) && btf.name(inner) === '') f.members = members(btf, inner, off, false, depth + 1);
    out.push(f);
  }
  return out;
}

export function structFacts(btf: Btf, id: number): StructFacts {
  const s: StructFacts = { name: btf.name(id), size: btf.sizeOrTypeOf(id), members: members(btf, id, 0, false, 0) };
  if (btf.kind(id) === BtfKind.UNION) s.union = true;
  return s;
}

export function typedefFacts(btf: Btf, id: number): TypedefFacts {
  const target = btf.refType(id);
  const t: TypedefFacts = { name: btf.name(id), type: btf.typeName(target) };
  const inner = skipQualifiers(btf, target);
  if (isComposite(btf, inner) && btf.name(inner) === '') {
    t.members = members(btf, inner, 0, false, 0);
    if (btf.kind(inner) === BtfKind.UNION) t.union = true;
  }
  return t;
}

export function enumFacts(btf: Btf, id: number): EnumFacts {
  return {
    name: btf.name(id),
    size: btf.sizeOrTypeOf(id),
    values: btf.enumerators(id).map((e) => ({
      name: e.name,
      value: typeof e.value === 'number' ? e.value : Number.isSafeInteger(Number(e.value)) ? Number(e.value) : e.value.toString(),
    })),
  };
}

/** Every named struct/union, typedef and enum this BTF blob defines (a split module BTF: its own
 *  types only), in name order (code units; same names in type id order), which is the order an
 *  atlas file gives them back in. */
export function btfTypes(btf: Btf): KernelTypes {
  const out: KernelTypes = { structs: [], typedefs: [], enums: [] };
  for (const id of btf.ids()) {
    const k = btf.kind(id);
    if (k === BtfKind.STRUCT || k === BtfKind.UNION) {
      if (btf.name(id) !== '') out.structs.push(structFacts(btf, id));
    } else if (k === BtfKind.TYPEDEF) {
      out.typedefs.push(typedefFacts(btf, id));
    } else if (k === BtfKind.ENUM || k === BtfKind.ENUM64) {
      out.enums.push(enumFacts(btf, id));
    }
  }
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  out.structs.sort(byName);
  out.typedefs.sort(byName);
  out.enums.sort(byName);
  return out;
}

/** Facts with the types of their vmlinux BTF added (and said so in coverage.types). */
export function withBtfTypes(facts: KernelFacts, btf: Btf): KernelFacts {
  facts.types = btfTypes(btf);
  facts.meta.coverage = { ...facts.meta.coverage, types: BTF_TYPES_COVERAGE };
  return facts;
}

/** A TypeStore over a BTF blob, converting a type the first time it is asked for. */
export function btfTypeStore(btf: Btf, coverage: TypesCoverage = BTF_TYPES_COVERAGE): TypeStore {
  const structs = new Map<number, StructFacts>();
  const typedefs = new Map<string, TypedefFacts | null>();
  let enums: EnumFacts[] | undefined;
  let names: string[] | undefined;
  const struct = (id: number): StructFacts => {
    let s = structs.get(id);
    if (!s) {
      s = structFacts(btf, id);
      structs.set(id, s);
    }
    return s;
  };
  const allEnums = (): EnumFacts[] => {
    if (!enums) {
      enums = [];
      for (const id of btf.ids()) {
        const k = btf.kind(id);
        if (k === BtfKind.ENUM || k === BtfKind.ENUM64) enums.push(enumFacts(btf, id));
      }
    }
    return enums;
  };
  return {
    coverage,
    structsNamed: (name) => (name === '' ? [] : [...btf.findAllByName(BtfKind.STRUCT, name), ...btf.findAllByName(BtfKind.UNION, name)].map(struct)),
    typedefNamed: (name) => {
      let t = typedefs.get(name);
      if (t === undefined) {
        const id = btf.findByName(BtfKind.TYPEDEF, name);
        t = id === undefined ? null : typedefFacts(btf, id);
        typedefs.set(name, t);
      }
      return t ?? undefined;
    },
    enumsNamed: (name) => (name === ''
      ? allEnums().filter((e) => e.name === '')
      : [...btf.findAllByName(BtfKind.ENUM, name), ...btf.findAllByName(BtfKind.ENUM64, name)].map((id) => enumFacts(btf, id))),
    allEnums,
    structNames: () => {
      if (!names) {
        const set = new Set<string>();
        for (const id of btf.ids()) {
          if (isComposite(btf, id)) {
            const n = btf.name(id);
            if (n) set.add(n);
          }
        }
        names = [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      }
      return names;
    },
    all: () => btfTypes(btf),
  };
}
