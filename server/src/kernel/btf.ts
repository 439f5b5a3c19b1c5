// BTF reader: the kernel's own type information (/sys/kernel/btf/vmlinux, the .BTF section of a
// vmlinux or a module .ko). It owns the binary format and nothing above it: parseBtf() turns bytes
// into a Btf whose accessors answer what the atlas needs (function prototypes as C, struct layouts,
// btf_trace_* raw tracepoint prototypes, enum values, decl tags).
//
// Speed matters (the live BTF is ~5.5 MB and ~126k types), so the type table is kept as parallel
// typed arrays (struct-of-arrays), names are sliced out of one latin1 string of the string section
// only when asked for, and every name index is built on first use. Every read is bounds-checked:
// bad bytes give a KernelDataError naming the file and the problem, never a RangeError or a loop.

import { KernelDataError } from './errors';
import type { Param, Proto, TraceField } from '../model/facts';

/** BTF kind numbers (include/uapi/linux/btf.h). */
export const BtfKind = {
  UNKN: 0, INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8,
  VOLATILE: 9, CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15,
  FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;
export type BtfKindName = keyof typeof BtfKind;
const KIND_NAMES = Object.keys(BtfKind) as BtfKindName[];
const MAX_KIND = 19;

const HEADER_MIN = 24;
/** Name lookups answered by scanning before the name index is built (Btf.scanByName). */
const SCANS_BEFORE_INDEX = 24;
const MAGIC = 0xeb9f;
/** Type chains deeper than this are treated as a cycle in corrupt data. Real BTF stays under 20. */
const MAX_CHAIN = 256;

/** INT encoding bits. */
const INT_SIGNED = 1;
const INT_CHAR = 2;
const INT_BOOL = 4;

export interface BtfMember {
  name: string;
  type: number;
  bitOffset: number;
  /** 0 unless the member is a bitfield. */
  bitSize: number;
}

export interface BtfFunc {
  id: number;
  name: string;
  protoId: number;
}

export interface BtfIntInfo {
  encoding: number;
  signed: boolean;
  char: boolean;
  bool: boolean;
  bits: number;
  offset: number;
}

export interface ParseBtfOptions {
  /** The vmlinux BTF a split (module) BTF builds on. */
  base?: Btf;
  /** File name (or described source) used in error messages. */
  file?: string;
}

/** Parse BTF bytes. Throws KernelDataError (naming opts.file) on anything malformed. */
export function parseBtf(bytes: Uint8Array, opts: ParseBtfOptions = {}): Btf {
  return new Btf(bytes, opts.file ?? '<btf>', opts.base);
}

/** One parsed BTF blob (vmlinux or split module BTF on top of a base). */
export class Btf {
  readonly file: string;
  readonly base: Btf | undefined;
  /** Highest valid type id (for split BTF this includes the base's types). */
  readonly count: number;
  /** First type id defined by this blob: 1, or base.count + 1 for split BTF. */
  readonly firstId: number;
  readonly littleEndian: boolean;

  private readonly dv: DataView;
  private readonly bytes: Uint8Array;
  /** String section start (absolute byte offset) and length. */
  private readonly strStart: number;
  private readonly strLen: number;
  /** String offsets below this belong to the base. */
  private readonly strBase: number;
  private readonly strText: string;

  // The type table, indexed by (id - firstId).
  private readonly kinds: Uint8Array;
  private readonly nameOffs: Uint32Array;
  private readonly infoVlen: Uint16Array;
  private readonly kflags: Uint8Array;
  private readonly sizeOrType: Uint32Array;
  /** Absolute byte offset of each record's kind-specific tail. */
  private readonly tails: Uint32Array;

  private nameCache: (string | undefined)[] = [];
  private typeNameCache: (string | undefined)[] = [];
  private byName: Map<string, number[]>[] | undefined;
  private enumIndex: Map<string, { value: bigint | number }> | undefined;
  private declTagIndex: Map<string, number[]> | undefined;
  private pointerSize: number | undefined;

  constructor(bytes: Uint8Array, file: string, base?: Btf) {
    this.file = file;
    this.base = base;
    this.bytes = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const h = this.readHeader();
    this.littleEndian = h.le;
    this.strStart = h.strStart;
    this.strLen = h.strLen;
    this.strBase = base ? base.totalStrLen() : 0;
    this.strText = Buffer.from(bytes.buffer, bytes.byteOffset + this.strStart, h.strLen).toString('latin1');
    this.firstId = base ? base.count + 1 : 1;
    const t = this.scanRecords(h.typeStart, h.typeEnd);
    this.count = this.firstId - 1 + t.kinds.length;
    this.kinds = t.kinds;
    this.nameOffs = t.nameOffs;
    this.infoVlen = t.infoVlen;
    this.kflags = t.kflags;
    this.sizeOrType = t.sizeOrType;
    this.tails = t.tails;
  }

  /** The header, each section checked to lie inside the blob. */
  private readHeader(): { le: boolean; typeStart: number; typeEnd: number; strStart: number; strLen: number } {
    const { bytes, dv, base } = this;
    if (bytes.byteLength < HEADER_MIN) {
      throw this.error(`too short for a BTF header (${bytes.byteLength} bytes, need ${HEADER_MIN})`);
    }
    const magicLe = dv.getUint16(0, true);
    if (magicLe !== MAGIC && magicLe !== 0x9feb) throw this.error(`not BTF: magic is 0x${magicLe.toString(16).padStart(4, '0')}, expected 0xeb9f`);
    const le = magicLe === MAGIC;
    const version = dv.getUint8(2);
    if (version !== 1) throw this.error(`unsupported BTF version ${version} (only version 1 is known)`);
    const hdrLen = dv.getUint32(4, le);
    const typeOff = dv.getUint32(8, le);
    const typeLen = dv.getUint32(12, le);
    const strOff = dv.getUint32(16, le);
    const strLen = dv.getUint32(20, le);
    if (hdrLen < HEADER_MIN || hdrLen > bytes.byteLength) {
      throw this.error(`bad header length ${hdrLen} (file is ${bytes.byteLength} bytes)`);
    }
    const typeStart = hdrLen + typeOff;
    const typeEnd = typeStart + typeLen;
    if (typeEnd > bytes.byteLength) {
      throw this.error(`type section [${typeStart}, ${typeEnd}) runs past the end (${bytes.byteLength} bytes): truncated?`);
    }
    const strStart = hdrLen + strOff;
    if (strStart + strLen > bytes.byteLength) {
      throw this.error(`string section [${strStart}, ${strStart + strLen}) runs past the end (${bytes.byteLength} bytes): truncated?`);
    }
    if (strLen > 0 && bytes[strStart + strLen - 1] !== 0) {
      throw this.error('string section does not end with a NUL byte');
    }
    if (!base && strLen > 0 && bytes[strStart] !== 0) {
      throw this.error('string section does not start with the empty string');
    }
    return { le, typeStart, typeEnd, strStart, strLen };
  }

  /** One pass over the records, checking each one fits, into arrays sized for the most records
   *  the section could hold (trimmed after). Words are read through a Uint32Array where the
   *  section is aligned little-endian BTF (every kernel's), which a cold process runs several
   *  times faster than DataView calls. */
  private scanRecords(typeStart: number, typeEnd: number) {
    const { bytes, dv } = this;
    const le = this.littleEndian;
    const maxN = Math.floor((typeEnd - typeStart) / 12);
    const kinds = new Uint8Array(maxN);
    const nameOffs = new Uint32Array(maxN);
    const infoVlen = new Uint16Array(maxN);
    const kflags = new Uint8Array(maxN);
    const sizeOrType = new Uint32Array(maxN);
    const tails = new Uint32Array(maxN);
    const aligned = le && (bytes.byteOffset + typeStart) % 4 === 0;
    const words = aligned ? new Uint32Array(bytes.buffer, bytes.byteOffset + typeStart, (typeEnd - typeStart) >>> 2) : undefined;
    const totalStr = this.strBase + this.strLen;
    let n = 0;
    let p = typeStart;
    while (p < typeEnd) {
      if (p + 12 > typeEnd) throw this.error(`type record #${this.firstId + n} at byte ${p} is cut off`);
      const w = (p - typeStart) >>> 2;
      const nameOff = words ? words[w] : dv.getUint32(p, le);
      const info = words ? words[w + 1] : dv.getUint32(p + 4, le);
      const size = recordSize(info);
      if (size < 0) {
        throw this.error(`type #${this.firstId + n} at byte ${p} has unknown kind ${(info >>> 24) & 0x1f}`);
      }
      if (p + size > typeEnd) {
        throw this.error(`type #${this.firstId + n} (${KIND_NAMES[(info >>> 24) & 0x1f]}) at byte ${p} runs past the type section: truncated?`);
      }
      if (nameOff >= totalStr) {
        throw this.error(`type #${this.firstId + n} has name offset ${nameOff} outside the string section (${totalStr} bytes)`);
      }
      kinds[n] = (info >>> 24) & 0x1f;
      nameOffs[n] = nameOff;
      infoVlen[n] = info & 0xffff;
      kflags[n] = info >>> 31;
      sizeOrType[n] = words ? words[w + 2] : dv.getUint32(p + 8, le);
      tails[n] = p + 12;
      p += size;
      n++;
    }
    return {
      kinds: kinds.subarray(0, n), nameOffs: nameOffs.subarray(0, n), infoVlen: infoVlen.subarray(0, n),
      kflags: kflags.subarray(0, n), sizeOrType: sizeOrType.subarray(0, n), tails: tails.subarray(0, n),
    };
  }

  // ---------------------------------------------------------------- raw access

  private error(detail: string): KernelDataError {
    return new KernelDataError(this.file, detail);
  }

  /** Base string length plus own: where the next split BTF's strings would start. */
  private totalStrLen(): number {
    return this.strBase + this.strLen;
  }

  private u32(off: number): number {
    return this.dv.getUint32(off, this.littleEndian);
  }

  private s32(off: number): number {
    return this.dv.getInt32(off, this.littleEndian);
  }

  /** Check an id and return the owning blob and local index. */
  private slot(id: number): number {
    if (!Number.isInteger(id) || id < this.firstId || id > this.count) {
      throw this.error(`type id ${id} out of range (${this.firstId}..${this.count})`);
    }
    return id - this.firstId;
  }

  private owner(id: number): Btf {
    if (id < this.firstId && this.base && id >= 1) return this.base.owner(id);
    return this;
  }

  /** The string at a name offset (base strings for split BTF below the base length). */
  str(off: number): string {
    if (off < this.strBase) return this.base!.str(off);
    const local = off - this.strBase;
    if (local >= this.strLen) throw this.error(`string offset ${off} outside the string section`);
    const end = this.strText.indexOf('\0', local);
    const s = this.strText.slice(local, end);
    // The section is decoded as latin1 (one char per byte); re-decode the rare non-ASCII name.
    if (/[\x80-\xff]/.test(s)) {
      return new TextDecoder().decode(this.bytes.subarray(this.strStart + local, this.strStart + end));
    }
    return s;
  }

  kind(id: number): number {
    if (id === 0) return BtfKind.UNKN;
    const o = this.owner(id);
    return o.kinds[o.slot(id)];
  }

  kindName(id: number): BtfKindName | 'VOID' {
    return id === 0 ? 'VOID' : KIND_NAMES[this.kind(id)];
  }

  name(id: number): string {
    if (id === 0) return '';
    const o = this.owner(id);
    const i = o.slot(id);
    let s = o.nameCache[i];
    if (s === undefined) {
      s = o.str(o.nameOffs[i]);
      o.nameCache[i] = s;
    }
    return s;
  }

  vlen(id: number): number {
    const o = this.owner(id);
    return o.infoVlen[o.slot(id)];
  }

  kindFlag(id: number): boolean {
    const o = this.owner(id);
    return o.kflags[o.slot(id)] === 1;
  }

  /** The raw size_or_type word: a size for INT/STRUCT/UNION/ENUM/FLOAT/DATASEC, else a type id. */
  sizeOrTypeOf(id: number): number {
    const o = this.owner(id);
    return o.sizeOrType[o.slot(id)];
  }

  /** The type a PTR/TYPEDEF/qualifier/FUNC/VAR/DECL_TAG/TYPE_TAG points to, or a FUNC_PROTO's return type. */
  refType(id: number): number {
    const t = this.sizeOrTypeOf(id);
    this.checkRef(t, id);
    return t;
  }

  private checkRef(t: number, from: number): void {
    if (t > this.count) throw this.error(`type #${from} refers to type id ${t}, past the last type ${this.count}`);
  }

  private tail(id: number): { o: Btf; at: number } {
    const o = this.owner(id);
    return { o, at: o.tails[o.slot(id)] };
  }

  intInfo(id: number): BtfIntInfo {
    if (this.kind(id) !== BtfKind.INT) throw this.error(`type #${id} is ${this.kindName(id)}, not INT`);
    const { o, at } = this.tail(id);
    const v = o.u32(at);
    const encoding = (v >>> 24) & 0xf;
    return {
      encoding,
      signed: (encoding & INT_SIGNED) !== 0,
      char: (encoding & INT_CHAR) !== 0,
      bool: (encoding & INT_BOOL) !== 0,
      bits: v & 0xff,
      offset: (v >>> 16) & 0xff,
    };
  }

  array(id: number): { elem: number; index: number; nelems: number } {
    if (this.kind(id) !== BtfKind.ARRAY) throw this.error(`type #${id} is ${this.kindName(id)}, not ARRAY`);
    const { o, at } = this.tail(id);
    const elem = o.u32(at);
    this.checkRef(elem, id);
    return { elem, index: o.u32(at + 4), nelems: o.u32(at + 8) };
  }

  // ---------------------------------------------------------------- lookups

  /** The first type of a kind with this name (own types first, then the base's). */
  findByName(kind: number | BtfKindName, name: string): number | undefined {
    return this.findAllByName(kind, name)[0];
  }

  findAllByName(kind: number | BtfKindName, name: string): number[] {
    const k = typeof kind === 'number' ? kind : BtfKind[kind];
    const own = (this.byName || this.scans >= SCANS_BEFORE_INDEX ? this.nameIndex()[k]?.get(name) : this.scanByName(k, name)) ?? [];
    if (!this.base) return own;
    const inBase = this.base.findAllByName(k, name);
    return own.length ? (inBase.length ? own.concat(inBase) : own) : inBase;
  }

  /** Own types of a kind named `name`, found without the name index: the string's offsets in the
   *  string section (one, as BTF deduplicates strings), then the types with that name offset. A
   *  process that asks a handful of questions (one `lookup`) never pays for indexing 100k names;
   *  after SCANS_BEFORE_INDEX scans the index is built. */
  private scanByName(kind: number, name: string): number[] {
    this.scans++;
    const out: number[] = [];
    if (!name || /[^\x01-\x7f]/.test(name)) return this.nameIndex()[kind]?.get(name) ?? [];
    const needle = `\0${name}\0`;
    const offsets: number[] = this.strText.startsWith(needle.slice(1)) ? [this.strBase] : [];
    for (let at = this.strText.indexOf(needle); at >= 0; at = this.strText.indexOf(needle, at + 1)) offsets.push(this.strBase + at + 1);
    if (!offsets.length) return out;
    const { kinds, nameOffs } = this;
    // TypedArray.indexOf runs natively: a cold process does not interpret a loop over every type.
    for (const off of offsets) {
      for (let i = nameOffs.indexOf(off); i >= 0; i = nameOffs.indexOf(off, i + 1)) if (kinds[i] === kind) out.push(this.firstId + i);
    }
    return offsets.length > 1 ? out.sort((a, b) => a - b) : out;
  }

  private scans = 0;

  private nameIndex(): Map<string, number[]>[] {
    if (this.byName) return this.byName;
    const idx: Map<string, number[]>[] = [];
    for (let k = 0; k <= MAX_KIND; k++) idx.push(new Map());
    for (let i = 0; i < this.kinds.length; i++) {
      if (this.nameOffs[i] === 0) continue;
      const id = this.firstId + i;
      const m = idx[this.kinds[i]];
      const nm = this.name(id);
      const list = m.get(nm);
      if (list) list.push(id);
      else m.set(nm, [id]);
    }
    this.byName = idx;
    return idx;
  }

  /** Ids defined by this blob (not the base's), optionally of one kind. */
  *ids(kind?: number | BtfKindName): Iterable<number> {
    const k = kind === undefined ? -1 : typeof kind === 'number' ? kind : BtfKind[kind];
    for (let i = 0; i < this.kinds.length; i++) {
      if (k < 0 || this.kinds[i] === k) yield this.firstId + i;
    }
  }

  /** Every FUNC this blob defines (a module's own functions for split BTF). */
  *funcs(): Iterable<BtfFunc> {
    for (let i = 0; i < this.kinds.length; i++) {
      if (this.kinds[i] !== BtfKind.FUNC) continue;
      const id = this.firstId + i;
      yield { id, name: this.name(id), protoId: this.refType(id) };
    }
  }

  // ---------------------------------------------------------------- type resolution

  /** Skip typedef/const/volatile/restrict/type_tag to the underlying type (0 = void). */
  resolve(id: number): number {
    let t = id;
    for (let depth = 0; depth < MAX_CHAIN; depth++) {
      if (t === 0) return 0;
      const k = this.kind(t);
      if (k === BtfKind.TYPEDEF || k === BtfKind.CONST || k === BtfKind.VOLATILE ||
          k === BtfKind.RESTRICT || k === BtfKind.TYPE_TAG) {
        t = this.refType(t);
      } else {
        return t;
      }
    }
    throw this.error(`type chain from #${id} does not end (cycle in corrupt BTF?)`);
  }

  /** Size in bytes of a type (0 for void, functions and forward declarations). */
  sizeOf(id: number): number {
    let t = id;
    let mult = 1;
    for (let depth = 0; depth < MAX_CHAIN; depth++) {
      t = this.resolve(t);
      if (t === 0) return 0;
      switch (this.kind(t)) {
        case BtfKind.INT: case BtfKind.STRUCT: case BtfKind.UNION: case BtfKind.ENUM:
        case BtfKind.ENUM64: case BtfKind.FLOAT: case BtfKind.DATASEC:
          return mult * this.sizeOrTypeOf(t);
        case BtfKind.PTR:
          return mult * this.ptrSize();
        case BtfKind.ARRAY: {
          const a = this.array(t);
          mult *= a.nelems;
          t = a.elem;
          break;
        }
        case BtfKind.VAR:
          t = this.refType(t);
          break;
        default:
          return 0;
      }
    }
    throw this.error(`array chain from #${id} does not end (cycle in corrupt BTF?)`);
  }

  /** Pointer size: the size of `long` in this BTF (8 on 64-bit kernels, 4 on 32-bit). */
  private ptrSize(): number {
    if (this.base) return this.base.ptrSize();
    if (this.pointerSize === undefined) {
      const longId = this.findByName(BtfKind.INT, 'long unsigned int') ?? this.findByName(BtfKind.INT, 'long int');
      this.pointerSize = longId !== undefined ? this.sizeOrTypeOf(longId) : 8;
    }
    return this.pointerSize;
  }

  /** Whether a value of this type is signed as the kernel's is_signed_type() sees it. */
  isSigned(id: number): boolean {
    const t = this.resolve(id);
    if (t === 0) return false;
    const k = this.kind(t);
    if (k === BtfKind.INT) return this.intInfo(t).signed;
    if (k === BtfKind.ENUM || k === BtfKind.ENUM64) return this.kindFlag(t);
    if (k === BtfKind.FLOAT) return true;
    return false;
  }

  // ---------------------------------------------------------------- structs

  /** Members of a STRUCT or UNION (by id), with bit offsets and bitfield sizes. */
  members(structId: number): BtfMember[] {
    const k = this.kind(structId);
    if (k !== BtfKind.STRUCT && k !== BtfKind.UNION) {
      throw this.error(`type #${structId} is ${this.kindName(structId)}, not STRUCT or UNION`);
    }
    const { o, at } = this.tail(structId);
    const bitfields = this.kindFlag(structId);
    const n = this.vlen(structId);
    const out: BtfMember[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const p = at + 12 * i;
      const type = o.u32(p + 4);
      this.checkRef(type, structId);
      const off = o.u32(p + 8);
      out[i] = {
        name: o.str(o.u32(p)),
        type,
        bitOffset: bitfields ? off & 0xffffff : off,
        bitSize: bitfields ? off >>> 24 : 0,
      };
    }
    return out;
  }

  /** Look a struct/union up by name (struct first, then union). */
  structId(name: string): number | undefined {
    return this.findByName(BtfKind.STRUCT, name) ?? this.findByName(BtfKind.UNION, name);
  }

  /**
   * A member of a struct (by name or id), looking through anonymous struct/union members, with its
   * bit offset counted from the start of the outer struct. `a.b` walks into named members too.
   */
  member(struct: string | number, memberName: string): BtfMember | undefined {
    const sid = typeof struct === 'number' ? struct : this.structId(struct);
    if (sid === undefined) return undefined;
    const path = memberName.split('.');
    let cur = sid;
    let base = 0;
    let found: BtfMember | undefined;
    for (let i = 0; i < path.length; i++) {
      found = this.findMember(cur, path[i], base, 0);
      if (!found) return undefined;
      base = found.bitOffset;
      cur = this.resolve(found.type);
      const k = cur === 0 ? 0 : this.kind(cur);
      if (i < path.length - 1 && k !== BtfKind.STRUCT && k !== BtfKind.UNION) return undefined;
    }
    return found;
  }

  private findMember(sid: number, name: string, base: number, depth: number): BtfMember | undefined {
    if (depth > MAX_CHAIN) throw this.error(`anonymous member nesting from #${sid} does not end`);
    const ms = this.members(sid);
    for (const m of ms) {
      if (m.name === name) return { ...m, bitOffset: base + m.bitOffset };
    }
    for (const m of ms) {
      if (m.name !== '') continue;
      const t = this.resolve(m.type);
      const k = t === 0 ? 0 : this.kind(t);
      if (k !== BtfKind.STRUCT && k !== BtfKind.UNION) continue;
      const inner = this.findMember(t, name, base + m.bitOffset, depth + 1);
      if (inner) return inner;
    }
    return undefined;
  }

  /**
   * The record fields of a trace event struct (`trace_event_raw_<x>`) as tracefs would list them
   * after the common header: the leading `struct trace_entry ent` and the trailing `__data[]` are
   * left out, `__data_loc_<f>`/`__rel_loc_<f>` words are reported as field `<f>`. Undefined when
   * no such struct exists.
   */
  structFields(structName: string): TraceField[] | undefined {
    const sid = this.findByName(BtfKind.STRUCT, structName);
    if (sid === undefined) return undefined;
    const out: TraceField[] = [];
    for (const m of this.members(sid)) {
      if (m.name === 'ent' && this.typeName(m.type) === 'struct trace_entry') continue;
      if (m.name === '__data' && this.sizeOf(m.type) === 0) continue;
      const loc = /^__(data|rel)_loc_(.+)$/.exec(m.name);
      const type = stripPlaceholder(this.typeName(m.type));
      out.push({
        name: loc ? loc[2] : m.name,
        type: loc ? `__${loc[1]}_loc ${type}` : type,
        offset: Math.floor(m.bitOffset / 8),
        size: m.bitSize ? Math.ceil(m.bitSize / 8) : this.sizeOf(m.type),
        signed: this.fieldSigned(m.type),
      });
    }
    return out;
  }

  /** Signedness as trace events report it: an array reports its element type. */
  private fieldSigned(id: number): boolean {
    let t = this.resolve(id);
    for (let d = 0; d < MAX_CHAIN && t !== 0 && this.kind(t) === BtfKind.ARRAY; d++) t = this.resolve(this.array(t).elem);
    return this.isSigned(t);
  }

  // ---------------------------------------------------------------- enums and tags

  /** The value of an enumerator (ENUM gives a number, ENUM64 a bigint), searching all enums. */
  enumValue(name: string): bigint | number | undefined {
    const own = this.enumMap().get(name);
    if (own) return own.value;
    return this.base?.enumValue(name);
  }

  private enumMap(): Map<string, { value: bigint | number }> {
    if (this.enumIndex) return this.enumIndex;
    const m = new Map<string, { value: bigint | number }>();
    for (let i = 0; i < this.kinds.length; i++) {
      const k = this.kinds[i];
      if (k !== BtfKind.ENUM && k !== BtfKind.ENUM64) continue;
      const signed = this.kflags[i] === 1;
      const at = this.tails[i];
      for (let j = 0; j < this.infoVlen[i]; j++) {
        if (k === BtfKind.ENUM) {
          const p = at + 8 * j;
          const nm = this.str(this.u32(p));
          if (!m.has(nm)) m.set(nm, { value: signed ? this.s32(p + 4) : this.u32(p + 4) });
        } else {
          const p = at + 12 * j;
          const nm = this.str(this.u32(p));
          const lo = BigInt(this.u32(p + 4));
          const hi = BigInt(this.u32(p + 8));
          let v = (hi << 32n) | lo;
          if (signed) v = BigInt.asIntN(64, v);
          if (!m.has(nm)) m.set(nm, { value: v });
        }
      }
    }
    this.enumIndex = m;
    return m;
  }

  /** Enumerators of one ENUM/ENUM64 type. */
  enumerators(id: number): { name: string; value: bigint | number }[] {
    const k = this.kind(id);
    if (k !== BtfKind.ENUM && k !== BtfKind.ENUM64) throw this.error(`type #${id} is ${this.kindName(id)}, not ENUM`);
    const { o, at } = this.tail(id);
    const signed = this.kindFlag(id);
    const out: { name: string; value: bigint | number }[] = [];
    for (let j = 0; j < this.vlen(id); j++) {
      if (k === BtfKind.ENUM) {
        const p = at + 8 * j;
        out.push({ name: o.str(o.u32(p)), value: signed ? o.s32(p + 4) : o.u32(p + 4) });
      } else {
        const p = at + 12 * j;
        const v = (BigInt(o.u32(p + 8)) << 32n) | BigInt(o.u32(p + 4));
        out.push({ name: o.str(o.u32(p)), value: signed ? BigInt.asIntN(64, v) : v });
      }
    }
    return out;
  }

  /**
   * Names of the declarations carrying a DECL_TAG (whole-declaration tags only, component -1),
   * e.g. declTags('bpf_kfunc') lists the kfuncs. Own and base tags, each name once.
   */
  declTags(tag: string): string[] {
    const ids = this.declTagMap().get(tag) ?? [];
    const names = ids.map((id) => this.name(id));
    const all = this.base ? this.base.declTags(tag).concat(names) : names;
    return [...new Set(all)];
  }

  private declTagMap(): Map<string, number[]> {
    if (this.declTagIndex) return this.declTagIndex;
    const m = new Map<string, number[]>();
    for (let i = 0; i < this.kinds.length; i++) {
      if (this.kinds[i] !== BtfKind.DECL_TAG) continue;
      if (this.s32(this.tails[i]) !== -1) continue;
      const id = this.firstId + i;
      const tag = this.name(id);
      const target = this.refType(id);
      const list = m.get(tag);
      if (list) list.push(target);
      else m.set(tag, [target]);
    }
    this.declTagIndex = m;
    return m;
  }

  // ---------------------------------------------------------------- C rendering

  /**
   * The C spelling of a type without a name. Typedef names are kept as written. Where a name
   * would sit inside the declarator it is marked with `%`: `void (*%)(int)`, `char %[16]`;
   * otherwise the string ends where the name would go: `struct file *`, `int`.
   */
  typeName(id: number): string {
    const o = this.owner(id);
    if (id === 0) return 'void';
    const i = o.slot(id);
    let s = o.typeNameCache[i];
    if (s === undefined) {
      s = stripTrailingPlaceholder(this.decl(id, '%', 0));
      o.typeNameCache[i] = s;
    }
    return s;
  }

  /** A full C declaration of `name` with type `id`: `char *buf`, `void (*cb)(int)`. */
  declaration(id: number, name: string): string {
    return this.decl(id, name, 0);
  }

  /** Raw parameters of a FUNC_PROTO: names and type ids (a trailing `{'', 0}` means `...`). */
  params(funcProtoId: number): { name: string; type: number }[] {
    if (this.kind(funcProtoId) !== BtfKind.FUNC_PROTO) {
      throw this.error(`type #${funcProtoId} is ${this.kindName(funcProtoId)}, not FUNC_PROTO`);
    }
    const { o, at } = this.tail(funcProtoId);
    const out: { name: string; type: number }[] = [];
    for (let i = 0; i < this.vlen(funcProtoId); i++) {
      const type = o.u32(at + 8 * i + 4);
      this.checkRef(type, funcProtoId);
      out.push({ name: o.str(o.u32(at + 8 * i)), type });
    }
    return out;
  }

  /** The prototype of a FUNC_PROTO (parameter names as BTF records them, possibly empty). */
  proto(funcProtoId: number): Proto {
    if (this.kind(funcProtoId) !== BtfKind.FUNC_PROTO) {
      throw this.error(`type #${funcProtoId} is ${this.kindName(funcProtoId)}, not FUNC_PROTO`);
    }
    const { o, at } = this.tail(funcProtoId);
    const n = this.vlen(funcProtoId);
    const params: Param[] = [];
    let variadic = false;
    for (let i = 0; i < n; i++) {
      const nameOff = o.u32(at + 8 * i);
      const type = o.u32(at + 8 * i + 4);
      if (i === n - 1 && nameOff === 0 && type === 0) {
        variadic = true;
        break;
      }
      this.checkRef(type, funcProtoId);
      params.push({ name: o.str(nameOff), type: this.typeName(type) });
    }
    const proto: Proto = { ret: this.typeName(this.refType(funcProtoId)), params };
    if (variadic) proto.variadic = true;
    return proto;
  }

  /** The prototype of the FUNC with this name, if BTF has one. */
  funcProto(name: string): Proto | undefined {
    const id = this.findByName(BtfKind.FUNC, name);
    if (id === undefined) return undefined;
    const protoId = this.refType(id);
    if (this.kind(protoId) !== BtfKind.FUNC_PROTO) {
      throw this.error(`FUNC ${name} (#${id}) points to ${this.kindName(protoId)}, not FUNC_PROTO`);
    }
    return this.proto(protoId);
  }

  /**
   * TP_PROTO arguments of raw tracepoint `tpName` (what raw_tp/tp_btf programs get), from
   * `typedef btf_trace_<tp>` → PTR → FUNC_PROTO without its leading `void *__data`. Names come from
   * FUNC `__bpf_trace_<template>`: the given template, else a same-named one whose parameter types
   * match; otherwise arguments are named arg0, arg1, ...
   */
  btfTraceArgs(tpName: string, template?: string): Param[] | undefined {
    const td = this.findByName(BtfKind.TYPEDEF, `btf_trace_${tpName}`);
    if (td === undefined) return undefined;
    const ptr = this.refType(td);
    if (ptr === 0 || this.kind(ptr) !== BtfKind.PTR) return undefined;
    const fp = this.refType(ptr);
    if (fp === 0 || this.kind(fp) !== BtfKind.FUNC_PROTO) return undefined;
    const args = this.proto(fp).params.slice(1);
    const named = this.namesFrom(`__bpf_trace_${template ?? tpName}`, args);
    return args.map((a, i) => ({ type: a.type, name: named?.[i] || a.name || `arg${i}` }));
  }

  private namesFrom(funcName: string, args: Param[]): string[] | undefined {
    const p = this.funcProto(funcName);
    if (!p) return undefined;
    const params = p.params.slice(1);
    if (params.length !== args.length) return undefined;
    for (let i = 0; i < args.length; i++) if (params[i].type !== args[i].type) return undefined;
    return params.map((x) => x.name);
  }

  private decl(id: number, d: string, depth: number): string {
    if (depth > MAX_CHAIN) throw this.error(`type chain from #${id} does not end (cycle in corrupt BTF?)`);
    const sp = d ? ` ${d}` : '';
    if (id === 0) return `void${sp}`;
    const k = this.kind(id);
    switch (k) {
      case BtfKind.INT: case BtfKind.FLOAT: case BtfKind.TYPEDEF:
        return `${this.name(id)}${sp}`;
      case BtfKind.STRUCT: case BtfKind.UNION: case BtfKind.ENUM: case BtfKind.ENUM64: case BtfKind.FWD: {
        const kw = k === BtfKind.UNION || (k === BtfKind.FWD && this.kindFlag(id)) ? 'union'
          : k === BtfKind.ENUM || k === BtfKind.ENUM64 ? 'enum' : 'struct';
        return `${kw} ${this.name(id) || '{...}'}${sp}`;
      }
      case BtfKind.CONST: case BtfKind.VOLATILE: case BtfKind.RESTRICT: {
        const q = k === BtfKind.CONST ? 'const' : k === BtfKind.VOLATILE ? 'volatile' : 'restrict';
        const inner = this.refType(id);
        const innerKind = inner === 0 ? 0 : this.kind(this.skipTags(inner));
        if (innerKind === BtfKind.PTR) return this.decl(inner, d ? `${q} ${d}` : q, depth + 1);
        return `${q} ${this.decl(inner, d, depth + 1)}`;
      }
      case BtfKind.TYPE_TAG:
        return this.decl(this.refType(id), d, depth + 1);
      case BtfKind.PTR: {
        const t = this.refType(id);
        const tk = t === 0 ? 0 : this.kind(this.skipTags(t));
        if (tk === BtfKind.FUNC_PROTO || tk === BtfKind.ARRAY) return this.decl(t, `(*${d})`, depth + 1);
        return this.decl(t, `*${d}`, depth + 1);
      }
      case BtfKind.ARRAY: {
        const a = this.array(id);
        return this.decl(a.elem, `${d}[${a.nelems}]`, depth + 1);
      }
      case BtfKind.FUNC_PROTO: {
        // Parameters are rendered at this depth too, so a corrupt proto that reaches itself
        // through a parameter stops at MAX_CHAIN instead of overflowing the stack.
        const raw = this.params(id);
        const variadic = raw.length > 0 && raw[raw.length - 1].type === 0 && raw[raw.length - 1].name === '';
        const params = (variadic ? raw.slice(0, -1) : raw)
          .map((x) => cDeclOf(stripTrailingPlaceholder(this.decl(x.type, '%', depth + 1)), x.name));
        if (variadic) params.push('...');
        return this.decl(this.refType(id), `${d}(${params.length ? params.join(', ') : 'void'})`, depth + 1);
      }
      case BtfKind.FUNC:
        return this.decl(this.refType(id), this.name(id) + (d === '%' ? '' : d), depth + 1);
      case BtfKind.VAR:
        return this.decl(this.refType(id), this.name(id), depth + 1);
      default:
        return `/* ${KIND_NAMES[k]} ${this.name(id)} */${sp}`;
    }
  }

  private skipTags(id: number): number {
    let t = id;
    for (let i = 0; i < MAX_CHAIN && t !== 0 && this.kind(t) === BtfKind.TYPE_TAG; i++) t = this.refType(t);
    return t;
  }
}

/** Byte size of a type record (header + tail), or -1 for an unknown kind. */
function recordSize(info: number): number {
  const kind = (info >>> 24) & 0x1f;
  const vlen = info & 0xffff;
  switch (kind) {
    case BtfKind.INT: case BtfKind.VAR: case BtfKind.DECL_TAG: return 16;
    case BtfKind.ARRAY: return 24;
    case BtfKind.STRUCT: case BtfKind.UNION: case BtfKind.DATASEC: case BtfKind.ENUM64: return 12 + 12 * vlen;
    case BtfKind.ENUM: case BtfKind.FUNC_PROTO: return 12 + 8 * vlen;
    case BtfKind.PTR: case BtfKind.FWD: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST:
    case BtfKind.RESTRICT: case BtfKind.FUNC: case BtfKind.FLOAT: case BtfKind.TYPE_TAG: return 12;
    default: return -1;
  }
}

function stripTrailingPlaceholder(s: string): string {
  if (s.endsWith(' %')) return s.slice(0, -2);
  if (s.endsWith('%')) return s.slice(0, -1);
  return s;
}

/** `char %[16]` → `char[16]`: the kernel's own spelling of an unnamed field type. */
export function stripPlaceholder(type: string): string {
  return type.replace(/ ?%/, '');
}

function cDeclOf(type: string, name: string): string {
  if (type.includes('%')) return type.replace('%', name);
  if (!name) return type;
  return type.endsWith('*') ? `${type}${name}` : `${type} ${name}`;
}
