// The byte records of the atlas file's types sections (format.ts owns the sections around them):
// one record per distinct struct/union, typedef or enum, every string an id into the types'
// own string table. Every record starts with its name's string id, so a table's index section
// gives the names without decoding a record. Unsigned LEB128 varints throughout (bytes.ts).
//
//   struct   name, flags (1 union, 2 size known), [size], member count, members
//   member   name, type, flags (1 offset, 2 size, 4 bitfield, 8 via an anonymous member,
//            16 nested members), [bit offset], [size], [bit width], [count, nested members]
//   typedef  name, type, flags (1 union, 2 members), [count, members]
//   enum     name, flags (1 size known), [size], value count, values
//   value    name, kind (0 non-negative number, 1 negative number, 2 decimal text), payload
//            (the number, its magnitude, or the text's string id)

import { ByteFormatError, ByteReader, ByteWriter } from './bytes';
import type { EnumFacts, EnumValue, MemberFacts, StructFacts, TypedefFacts } from './model';

export type TypeKind = 'struct' | 'typedef' | 'enum';
export const TYPE_KINDS: TypeKind[] = ['struct', 'typedef', 'enum'];

const M_OFFSET = 1;
const M_SIZE = 2;
const M_BITFIELD = 4;
const M_VIA_ANON = 8;
const M_NESTED = 16;

/** Nested member lists deeper than this are corrupt data. */
const MAX_NESTING = 64;

type Str = (s: string) => number;
type StrOf = (i: number) => string;

function writeMembers(w: ByteWriter, members: readonly MemberFacts[], str: Str): void {
  w.uint(members.length);
  for (const m of members) {
    w.uint(str(m.name));
    w.uint(str(m.type));
    let flags = 0;
    if (m.bitOffset !== undefined) flags |= M_OFFSET;
    if (m.size !== undefined) flags |= M_SIZE;
    if (m.bitSize !== undefined) flags |= M_BITFIELD;
    if (m.viaAnon) flags |= M_VIA_ANON;
    if (m.members) flags |= M_NESTED;
    w.uint(flags);
    if (m.bitOffset !== undefined) w.uint(m.bitOffset);
    if (m.size !== undefined) w.uint(m.size);
    if (m.bitSize !== undefined) w.uint(m.bitSize);
    if (m.members) writeMembers(w, m.members, str);
  }
}

function readMembers(r: ByteReader, str: StrOf, depth: number): MemberFacts[] {
  if (depth > MAX_NESTING) throw new ByteFormatError('nested members do not end');
  const n = r.uint();
  if (n > r.end - r.pos) throw new ByteFormatError(`member count ${n} exceeds the record`);
  const out: MemberFacts[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const m: MemberFacts = { name: str(r.uint()), type: str(r.uint()) };
    const flags = r.uint();
    if (flags & M_OFFSET) m.bitOffset = r.uint();
    if (flags & M_SIZE) m.size = r.uint();
    if (flags & M_BITFIELD) m.bitSize = r.uint();
    if (flags & M_VIA_ANON) m.viaAnon = true;
    if (flags & M_NESTED) m.members = readMembers(r, str, depth + 1);
    out[i] = m;
  }
  return out;
}

export function writeStruct(w: ByteWriter, s: StructFacts, str: Str): void {
  w.uint(str(s.name));
  w.uint((s.union ? 1 : 0) | (s.size !== undefined ? 2 : 0));
  if (s.size !== undefined) w.uint(s.size);
  writeMembers(w, s.members, str);
}

export function readStruct(r: ByteReader, str: StrOf): StructFacts {
  const name = str(r.uint());
  const flags = r.uint();
  const s: StructFacts = { name, members: [] };
  if (flags & 1) s.union = true;
  if (flags & 2) s.size = r.uint();
  s.members = readMembers(r, str, 0);
  return s;
}

export function writeTypedef(w: ByteWriter, t: TypedefFacts, str: Str): void {
  w.uint(str(t.name));
  w.uint(str(t.type));
  w.uint((t.union ? 1 : 0) | (t.members ? 2 : 0));
  if (t.members) writeMembers(w, t.members, str);
}

export function readTypedef(r: ByteReader, str: StrOf): TypedefFacts {
  const t: TypedefFacts = { name: str(r.uint()), type: str(r.uint()) };
  const flags = r.uint();
  if (flags & 2) t.members = readMembers(r, str, 0);
  if (flags & 1) t.union = true;
  return t;
}

export function writeEnum(w: ByteWriter, e: EnumFacts, str: Str): void {
  w.uint(str(e.name));
  w.uint(e.size !== undefined ? 1 : 0);
  if (e.size !== undefined) w.uint(e.size);
  w.uint(e.values.length);
  for (const v of e.values) {
    w.uint(str(v.name));
    if (typeof v.value === 'string') {
      w.uint(2);
      w.uint(str(v.value));
    } else if (Number.isSafeInteger(v.value)) {
      w.uint(v.value < 0 ? 1 : 0);
      w.uint(Math.abs(v.value));
    } else {
      throw new Error(`atlas encoder: enum ${e.name} value ${v.name} is not an integer: ${v.value}`);
    }
  }
}

export function readEnum(r: ByteReader, str: StrOf): EnumFacts {
  const name = str(r.uint());
  const flags = r.uint();
  const e: EnumFacts = { name, values: [] };
  if (flags & 1) e.size = r.uint();
  const n = r.uint();
  if (n > r.end - r.pos) throw new ByteFormatError(`enum value count ${n} exceeds the record`);
  const values: EnumValue[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const vname = str(r.uint());
    const kind = r.uint();
    const payload = r.uint();
    if (kind > 2) throw new ByteFormatError(`enum value kind ${kind}`);
    values[i] = { name: vname, value: kind === 2 ? str(payload) : kind === 1 ? -payload : payload };
  }
  e.values = values;
  return e;
}

export const TYPE_WRITERS = { struct: writeStruct, typedef: writeTypedef, enum: writeEnum } as const;

/** Read-and-discard of one record of a kind: finds record boundaries in a table that has no
 *  index section. */
export function skipTypeRecord(kind: TypeKind, r: ByteReader): void {
  const str: StrOf = () => '';
  if (kind === 'struct') readStruct(r, str);
  else if (kind === 'typedef') readTypedef(r, str);
  else readEnum(r, str);
}
