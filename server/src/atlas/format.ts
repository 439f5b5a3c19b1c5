// The atlas file format: many kernels' KernelFacts in one file, sharing what they have in common,
// readable lazily. The same format serves the bundled atlases (data/atlas/*.atlas, dozens of
// kernels) and the single-kernel files `bpf-atlas index -o FILE` writes.
//
// Layout (all integers little endian):
//   0  "BPFATLAS"                 8-byte magic
//   8  u32 format version         ATLAS_FORMAT_VERSION
//  12  u32 header length          bytes of the JSON header that follows
//  16  header (UTF-8 JSON)        AtlasHeader: kernel metadata and a table of sections
//  ..  sections                   each brotli-compressed on its own, with its CRC-32
//
// Shared sections, decoded once per file and only when a kernel is loaded:
//   strings   every name, type, symbol, format string, NUL-separated; everything else refers
//             to strings by index
//   protos    distinct prototypes (ret, params) as varints of string ids
//   fn/tp/sc/lsm  record tables: each distinct function / tracepoint / syscall / LSM-hook record
//             once, whatever number of kernels share it (a function unchanged across 20 kernels
//             costs one record). Records are numbered in name order.
// Per-kernel sections: for each record kind the sorted, delta-coded list of record numbers the
// kernel has, plus its extra symbols and kfuncs.
// Index sections (format 2; without them a reader scans): where each string and each record
// starts, as fixed-width arrays a reader uses in place, so a load does not walk megabytes of
// varints before its first answer. A string index is u32 block starts (every 64th string) then
// u16 byte lengths; a record index (prototypes and each record table) is u32 first numbers (every
// record starts with its name's string id, so function names binary-search without touching the
// records), u32 block offsets, then u16 record lengths. All little endian. A table with a string
// or record longer than 65,535 bytes has no index. Listing kernels reads the header only; loading
// one kernel decompresses the shared tables plus that kernel's lists, and function records are
// turned into objects only when asked for; a string table in pieces (the live cache writes 64 KiB
// ones) is decompressed piece by piece as its strings are read, unless prefetch() did it whole.

import type { Hash } from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { ByteFormatError, ByteReader, ByteWriter } from './bytes';
import { typeStoreFromTypes } from '../model/coreTypes';
import { escapeUnsafeText, hasUnsafeText, sanitiseFileText } from './safeText';
import { lowerBound } from '../model/glob';
import type {
  EnumFacts, FunctionFacts, InlineStatus, KernelFacts, KernelMeta, KernelTypes, LsmHookFacts, Param, Proto,
  StructFacts, SyscallFacts, TraceField, TracepointFacts, TracepointHead, TypedefFacts, TypeStore,
} from './model';
import { TYPE_KINDS, TYPE_WRITERS, readEnum, readStruct, readTypedef, skipTypeRecord, type TypeKind } from './typeRecords';

export const ATLAS_MAGIC = 'BPFATLAS';
/** The version written. Version 1 files (no index sections, no chunks) are still read. */
export const ATLAS_FORMAT_VERSION = 2;
const OLDEST_READABLE_VERSION = 1;
const PREFIX_BYTES = 16;
// What a file may claim. A reader's memory is bounded by these whatever the file holds: every
// size and count in the header is checked against them at open, and decompression stops as soon
// as a piece passes the size its header gives (so a small file that inflates to gigabytes is
// refused after at most one section's worth of output).
/** Header lengths beyond this are corruption, not a real atlas (the 25-kernel Ubuntu bundle's
 *  header is 90 kB, the Debian one 210 kB). */
const MAX_HEADER_BYTES = 16 << 20;
/** One section decompressed: the biggest real one, the Debian bundle's string table, is 14 MB. */
const MAX_SECTION_BYTES = 256 << 20;
/** Records in a table, strings in the string table, entries in a kernel's list (the Debian
 *  bundle's function table has 446k records). */
const MAX_COUNT = 1 << 24;
/** Everything a file can make a reader hold: its sections decompressed plus 8 bytes for each
 *  record, string and list entry it declares (the arrays a reader builds over them). The Debian
 *  bundle needs 37 MB. */
const MAX_FILE_COST = 512 << 20;
/** Kernel ids and metadata strings (release, arch, ...); provenance is one line of prose. */
const MAX_META_TEXT = 200;
const MAX_PROVENANCE_TEXT = 2000;

/** A bad, foreign, old or truncated atlas file. The message names the file and says what to do. */
export class AtlasFileError extends Error {
  constructor(readonly file: string, readonly detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'AtlasFileError';
  }
}

const REBUILD_HINT = 'rebuild it with `bpf-atlas index ... -o FILE` (bundled atlases: reinstall bpf-atlas or run scripts/build-bundle)';

interface SectionRef {
  /** Offset from the end of the header. */
  off: number;
  /** Compressed length. */
  len: number;
  /** Decompressed length. */
  raw: number;
  /** CRC-32 of the compressed bytes. */
  crc: number;
  /** A big section is compressed in independent pieces, [compressed, decompressed] length each,
   *  so that its decompression spreads over the thread pool. Absent: one piece. */
  chunks?: [number, number][];
}

/** Function records per decoded sample entry (AtlasFile.fnLowerBound). */
const FN_SAMPLE = 32;

/** Sections bigger than this are compressed in pieces of this size (format 2). */
const CHUNK_BYTES = 2 << 20;

type RecordKind = 'fn' | 'tp' | 'sc' | 'lsm';
const RECORD_KINDS: RecordKind[] = ['fn', 'tp', 'sc', 'lsm'];

interface KernelEntry {
  meta: KernelMeta;
  /** Number of records of each kind in the kernel. */
  counts: Record<RecordKind, number>;
  lists: Record<RecordKind, SectionRef>;
  misc: SectionRef;
  /** This kernel's record numbers in the types tables: the struct, typedef and enum lists one
   *  after the other in one section, delta-coded like the others. Absent: no types. */
  types?: { counts: Record<TypeKind, number>; lists: SectionRef };
}

interface AtlasHeader {
  format: number;
  generator: string;
  compression: 'br';
  strings: SectionRef;
  protos: SectionRef;
  tables: Record<RecordKind, SectionRef & { count: number }>;
  kernels: KernelEntry[];
  /** Trace event name → system over all kernels (later kernels win): lets the live reader name
   *  systems when tracefs is unreadable without decoding any kernel. */
  systems?: Record<string, string>;
  /** Positions of strings and records (see the layout above); absent in format 1 files. */
  index?: {
    strings?: SectionRef & { count: number };
    protos?: SectionRef & { count: number };
    tables: Partial<Record<RecordKind, SectionRef>>;
  };
  /** Structs/unions, typedefs and enums (typeRecords.ts), with their own string table so that
   *  nothing of them is read or decompressed until a type is asked for. Absent: no types. */
  types?: TypesHeader;
}

interface TypesHeader {
  strings: SectionRef & { count: number };
  tables: Record<TypeKind, SectionRef & { count: number }>;
  /** As `index` above: the string index and each table's record index, where they fit. */
  index: { strings?: SectionRef } & Partial<Record<TypeKind, SectionRef>>;
}

export interface EncodeOptions {
  /** Brotli quality 0-11: 11 for bundles (smallest), lower for quick user files. Default 11. */
  quality?: number;
  /** Sections bigger than this are compressed in pieces of this size (default CHUNK_BYTES). The
   *  live cache uses small pieces: a string table in pieces is decompressed piece by piece as
   *  its strings are read (AtlasFile.stringTable), so one lookup inflates a few pieces. */
  pieceBytes?: number;
  generator?: string;
  /** Write the event → system map into the header (default true): what bundled atlases offer
   *  the running kernel's reader; a single kernel's own file (the live cache, `index`) skips it,
   *  so opening it parses and checks a header of kilobytes, not of every event name. */
  systems?: boolean;
}

// ---- flags shared by encoder and decoder ----

const INLINE_CODES: InlineStatus[] = ['none', 'partial', 'full', 'unknown'];
function triCode(v: boolean | null | undefined): number {
  return v === null || v === undefined ? 0 : v ? 2 : 1;
}
function triValue(code: number): boolean | null {
  return code === 0 ? null : code === 2;
}

const FN_PROTO = 1 << 9;
const FN_SITES = 1 << 10;
const FN_MODULE = 1 << 11;
const FN_INLINED_INTO = 1 << 12;
const FN_INIT_ONLY = 1 << 8;
const FN_NO_DATA = 1 << 13;
const FN_EXIT_ONLY = 1 << 14;

const TP_SYSTEM = 1;
const TP_TEMPLATE = 2;
const TP_FIELDS = 4;
const TP_ARGS = 8;
const TP_FMT = 16;
const TP_EVENT = 32;
const TP_MODULE = 64;
// bits 7-8: btf tri-state
/** Whether the event exists is unknown (TP_EVENT clear). Older readers take it as no event. */
const TP_EVENT_UNKNOWN = 1 << 9;

// ---- encoder ----

class StringTable {
  readonly ids = new Map<string, number>();
  readonly list: string[] = [];
  id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      if (s.includes('\0')) throw new Error(`atlas encoder: string contains NUL: ${JSON.stringify(s)}`);
      id = this.list.length;
      this.ids.set(s, id);
      this.list.push(s);
    }
    return id;
  }
}

/** Deduplicating table of encoded records: identical bytes get one number, in the order they
 *  are first added; sorted() renumbers them by a sort key (the name) when the writer is done. */
class RecordTable {
  readonly out = new ByteWriter(1 << 16);
  private readonly lengths: number[] = [];
  private readonly firsts: number[] = [];
  private readonly keys: string[] = [];
  private readonly ids = new Map<string, number>();
  count = 0;
  add(bytes: Uint8Array, sortKey = ''): number {
    const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.count++;
      this.ids.set(key, id);
      this.out.bytes(bytes);
      this.lengths.push(bytes.length);
      this.firsts.push(new ByteReader(bytes).uint());
      this.keys.push(sortKey);
    }
    return id;
  }

  /** Record numbers ordered by sort key (records of equal keys in the order first added). */
  order(): number[] {
    const keys = this.keys;
    return Array.from({ length: this.count }, (_, i) => i).sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : a - b));
  }

  private starts?: Float64Array;

  /** A reader at the start of record `i`. */
  reader(i: number): ByteReader {
    if (!this.starts || this.starts.length < this.count) {
      this.starts = new Float64Array(this.count);
      for (let k = 1; k < this.count; k++) this.starts[k] = this.starts[k - 1] + this.lengths[k - 1];
    }
    return new ByteReader(this.out.view(), this.starts[i]);
  }

  /** The index section of this table, or null when a record is too long for it. */
  indexBytes(): Uint8Array | null {
    const n = this.count;
    if (this.lengths.some((l) => l > 0xffff) || this.firsts.some((f) => f > 0xffffffff)) return null;
    const blocks = Math.ceil(n / INDEX_BLOCK);
    const out = Buffer.alloc(4 * n + 4 * blocks + 2 * n);
    let off = 0;
    for (let i = 0; i < n; i++) {
      if (i % INDEX_BLOCK === 0) out.writeUInt32LE(off, 4 * n + 4 * (i / INDEX_BLOCK));
      out.writeUInt32LE(this.firsts[i], 4 * i);
      out.writeUInt16LE(this.lengths[i], 4 * n + 4 * blocks + 2 * i);
      off += this.lengths[i];
    }
    return out;
  }
}

/** Entries per block of an index: a position is a block start plus at most 63 lengths. */
const INDEX_BLOCK = 64;

/** The string table's index section, or null when a string is too long for it. */
function stringIndexBytes(list: readonly string[]): Uint8Array | null {
  const n = list.length;
  const blocks = Math.ceil(n / INDEX_BLOCK);
  const out = Buffer.alloc(4 * blocks + 2 * n);
  let start = 0;
  for (let i = 0; i < n; i++) {
    const len = Buffer.byteLength(list[i], 'utf8');
    if (len > 0xffff) return null;
    if (i % INDEX_BLOCK === 0) out.writeUInt32LE(start, 4 * (i / INDEX_BLOCK));
    out.writeUInt16LE(len, 4 * blocks + 2 * i);
    start += len + 1;
  }
  return out;
}

class Encoder {
  readonly strings = new StringTable();
  readonly protos = new RecordTable();
  readonly tables: Record<RecordKind, RecordTable> = { fn: new RecordTable(), tp: new RecordTable(), sc: new RecordTable(), lsm: new RecordTable() };
  private readonly scratch = new ByteWriter();
  private readonly protoScratch = new ByteWriter();

  str(s: string): number {
    return this.strings.id(s);
  }

  proto(p: Proto): number {
    const w = this.protoScratch;
    w.reset();
    w.uint(this.str(p.ret));
    w.uint(p.variadic ? 1 : 0);
    this.params(w, p.params);
    return this.protos.add(w.view());
  }

  private params(w: ByteWriter, params: Param[]): void {
    w.uint(params.length);
    for (const p of params) {
      w.uint(this.str(p.name));
      w.uint(this.str(p.type));
    }
  }

  fn(f: FunctionFacts): number {
    const protoId = f.proto ? this.proto(f.proto) : -1;
    const w = this.scratch;
    w.reset();
    w.uint(this.str(f.name));
    let flags = INLINE_CODES.indexOf(f.inline);
    if (flags < 0) throw new Error(`atlas encoder: bad inline status ${f.inline} for ${f.name}`);
    flags |= triCode(f.inBtf) << 2 | triCode(f.ftrace) << 4 | triCode(f.kprobeBlacklisted) << 6;
    if (f.initOnly) flags |= FN_INIT_ONLY;
    if (f.proto) flags |= FN_PROTO;
    if (f.inlinedSites !== undefined) flags |= FN_SITES;
    if (f.module) flags |= FN_MODULE;
    if (f.inlinedInto?.length) flags |= FN_INLINED_INTO;
    if (f.noData) flags |= FN_NO_DATA;
    if (f.exitOnly) flags |= FN_EXIT_ONLY;
    w.uint(flags);
    if (f.proto) w.uint(protoId);
    if (f.inlinedSites !== undefined) w.uint(f.inlinedSites);
    w.uint(f.symbols.length);
    for (const s of f.symbols) w.uint(s === f.name ? 0 : this.str(s) + 1);
    if (f.module) w.uint(this.str(f.module));
    if (f.inlinedInto?.length) {
      w.uint(f.inlinedInto.length);
      for (const s of f.inlinedInto) w.uint(this.str(s));
    }
    return this.tables.fn.add(w.view(), f.name);
  }

  tp(t: TracepointFacts): number {
    const w = this.scratch;
    w.reset();
    w.uint(this.str(t.name));
    let flags = triCode(t.btf) << 7;
    if (t.system !== undefined) flags |= TP_SYSTEM;
    if (t.template !== undefined) flags |= TP_TEMPLATE;
    if (t.fields) flags |= TP_FIELDS;
    if (t.args) flags |= TP_ARGS;
    if (t.fmt !== undefined) flags |= TP_FMT;
    if (t.event) flags |= TP_EVENT;
    else if (t.event === null) flags |= TP_EVENT_UNKNOWN;
    if (t.module) flags |= TP_MODULE;
    w.uint(flags);
    if (t.system !== undefined) w.uint(this.str(t.system));
    if (t.template !== undefined) w.uint(this.str(t.template));
    if (t.fields) {
      w.uint(t.fields.length);
      for (const f of t.fields) {
        w.uint(this.str(f.name));
        w.uint(this.str(f.type));
        w.uint(f.offset === undefined ? 0 : f.offset + 1);
        w.uint(f.size === undefined ? 0 : f.size + 1);
        w.uint(triCode(f.signed));
      }
    }
    if (t.args) this.params(w, t.args);
    if (t.fmt !== undefined) w.uint(this.str(t.fmt));
    if (t.module) w.uint(this.str(t.module));
    return this.tables.tp.add(w.view(), `${t.name}\0${t.system ?? ''}`);
  }

  sc(s: SyscallFacts): number {
    const w = this.scratch;
    w.reset();
    w.uint(this.str(s.name));
    w.uint(s.nr === undefined ? 0 : s.nr + 1);
    this.params(w, s.args);
    return this.tables.sc.add(w.view(), s.name);
  }

  lsm(h: LsmHookFacts): number {
    const protoId = h.proto ? this.proto(h.proto) : -1;
    const w = this.scratch;
    w.reset();
    w.uint(this.str(h.name));
    w.uint(protoId + 1);
    return this.tables.lsm.add(w.view(), h.name);
  }
}

function compress(raw: Uint8Array, quality: number, pieceBytes = CHUNK_BYTES): { data: Buffer; raw: number; crc: number; chunks?: [number, number][] } {
  const one = (piece: Uint8Array) => zlib.brotliCompressSync(piece, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: quality,
      [zlib.constants.BROTLI_PARAM_LGWIN]: 24,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: piece.length,
    },
  });
  if (raw.length <= pieceBytes) {
    const data = one(raw);
    return { data, raw: raw.length, crc: zlib.crc32(data) };
  }
  const pieces: Buffer[] = [];
  const chunks: [number, number][] = [];
  for (let at = 0; at < raw.length; at += pieceBytes) {
    const piece = raw.subarray(at, Math.min(raw.length, at + pieceBytes));
    const data = one(piece);
    pieces.push(data);
    chunks.push([data.length, piece.length]);
  }
  const data = Buffer.concat(pieces);
  return { data, raw: raw.length, crc: zlib.crc32(data), chunks };
}

/** One piece's output buffer: the whole declared size at once (no concatenation), so a piece
 *  that inflates past it fills the buffer and stops at the first check. */
function chunkSizeFor(raw: number): number {
  return Math.max(64 * 1024, raw + 1);
}

/** zlib options that stop a piece as soon as its output passes its declared size: Node checks
 *  maxOutputLength after each output chunk while inflating, not once at the end. */
function inflateOptions(raw: number): zlib.BrotliOptions {
  return { chunkSize: chunkSizeFor(raw), maxOutputLength: Math.max(1, raw) };
}

/** Why a piece did not decompress to its declared size. */
function inflateProblem(err: Error | null, out: Buffer | undefined, raw: number): string | undefined {
  if (err) {
    return (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
      ? `decompresses to more than the ${raw} bytes its header declares; stopped there`
      : `does not decompress (${err.message})`;
  }
  return out!.length === raw ? undefined : `decompresses to ${out!.length} bytes, not the ${raw} its header declares`;
}

function inflatePiece(data: Buffer, raw: number): Buffer {
  let out: Buffer | undefined;
  let err: Error | null = null;
  try {
    out = zlib.brotliDecompressSync(data, inflateOptions(raw));
  } catch (e) {
    err = e as Error;
  }
  const problem = inflateProblem(err, out, raw);
  if (problem) throw new ByteFormatError(problem);
  return out!;
}

/** Decompress a section's bytes, piece by piece when it has pieces, each bounded by its
 *  declared size; throws ByteFormatError saying what was wrong. */
function decompressSync(data: Buffer, ref: SectionRef): Buffer {
  if (!ref.chunks) return inflatePiece(data, ref.raw);
  const out = Buffer.allocUnsafe(ref.raw);
  let at = 0;
  let to = 0;
  for (const [len, raw] of ref.chunks) {
    inflatePiece(data.subarray(at, at + len), raw).copy(out, to);
    at += len;
    to += raw;
  }
  return out;
}

/** decompressSync on libuv's thread pool, the pieces of a section in parallel, with the same
 *  bound; null on any problem (the synchronous path reports it). */
async function decompressAsync(data: Buffer, ref: SectionRef): Promise<Buffer | null> {
  const one = (piece: Buffer, raw: number) => new Promise<Buffer | null>((resolve) => {
    zlib.brotliDecompress(piece, inflateOptions(raw), (err, out) => resolve(inflateProblem(err, out, raw) ? null : out));
  });
  if (!ref.chunks) return one(data, ref.raw);
  let at = 0;
  const parts = await Promise.all(ref.chunks.map(([len, raw]) => {
    const piece = data.subarray(at, at + len);
    at += len;
    return one(piece, raw);
  }));
  if (parts.some((p) => p === null)) return null;
  return Buffer.concat(parts as Buffer[], ref.raw);
}

/** A kernel's record numbers, renumbered by `rank`, ascending and delta-coded. */
function sortedIdList(ids: Uint32Array, rank: Uint32Array): Uint8Array {
  const sorted = Uint32Array.from(ids, (id) => rank[id]).sort();
  const w = new ByteWriter(sorted.length * 2 + 8);
  let prev = 0;
  for (const id of sorted) {
    w.uint(id - prev);
    prev = id;
  }
  return w.take();
}

/** Encode kernels into one atlas file (bytes). Records are numbered in name order across all
 *  kernels, so each kernel's list of record numbers is ascending and delta-codes to small numbers. */
export function encodeAtlas(kernels: KernelFacts[], opts: EncodeOptions = {}): Buffer {
  const w = new AtlasWriter();
  for (const k of kernels) w.add(k);
  return w.encode(opts);
}

/** A kernel as the writer keeps it between add() and encode(): its record numbers and string
 *  ids in the writer's staging tables. */
interface PendingKernel {
  meta: KernelMeta;
  lists: Record<RecordKind, Uint32Array>;
  extraSymbols: Uint32Array;
  kfuncs: Uint32Array;
  types?: Record<TypeKind, Uint32Array>;
}

/** Builds an atlas file one kernel at a time: each kernel's records go into deduplicating
 *  staging tables as it is added, so only distinct records stay in memory (`index --btf` over
 *  hundreds of kernels, `merge` of many files), not every kernel's facts at once. encode() then
 *  writes the distinct records again in name order across all kernels (strings interned in that
 *  order too, which compresses best): the same bytes as encoding all kernels in one go. */
/** Re-adds the distinct staged records to `enc` in name order; per kind, staged number → written number. */
function reencodeRecords(staging: Encoder, enc: Encoder): Record<RecordKind, Uint32Array> {
  const sstr = (i: number) => staging.strings.list[i];
  const sproto = (i: number) => decodeProto(staging.protos.reader(i), sstr);
  const decoders: Record<RecordKind, (r: ByteReader) => unknown> = {
    fn: (r) => decodeFn(r, sstr, sproto),
    tp: (r) => decodeTp(r, sstr),
    sc: (r) => decodeSc(r, sstr),
    lsm: (r) => decodeLsm(r, sstr, sproto),
  };
  const rank = {} as Record<RecordKind, Uint32Array>;
  for (const kind of RECORD_KINDS) {
    const table = staging.tables[kind];
    const map = new Uint32Array(table.count);
    const put = enc[kind].bind(enc) as (x: unknown) => number;
    for (const old of table.order()) map[old] = put(decoders[kind](table.reader(old)));
    rank[kind] = map;
  }
  return rank;
}

/** A section compressor that lays the compressed sections end to end in `chunks`, storing
 *  sections with the same bytes once (identical kernels of a fleet share their lists). */
function sectionWriter(quality: number, pieceBytes?: number): { section: (raw: Uint8Array) => SectionRef; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  let offset = 0;
  const seen = new Map<string, SectionRef>();
  const section = (raw: Uint8Array): SectionRef => {
    const key = sha256().update(raw).digest('base64');
    const known = seen.get(key);
    if (known) return { ...known };
    const c = compress(raw, quality, pieceBytes);
    const ref: SectionRef = { off: offset, len: c.data.length, raw: c.raw, crc: c.crc };
    if (c.chunks) ref.chunks = c.chunks;
    chunks.push(c.data);
    offset += c.data.length;
    seen.set(key, ref);
    return { ...ref };
  };
  return { section, chunks };
}

/** The index sections of the written string, prototype and record tables. */
function indexSections(enc: Encoder, section: (raw: Uint8Array) => SectionRef): NonNullable<AtlasHeader['index']> {
  const index: NonNullable<AtlasHeader['index']> = { tables: {} };
  const stringIndex = stringIndexBytes(enc.strings.list);
  if (stringIndex) index.strings = { ...section(stringIndex), count: enc.strings.list.length };
  const protoIndex = enc.protos.indexBytes();
  if (protoIndex) index.protos = { ...section(protoIndex), count: enc.protos.count };
  for (const kind of RECORD_KINDS) {
    const bytes = enc.tables[kind].indexBytes();
    if (bytes) index.tables[kind] = section(bytes);
  }
  return index;
}

/** The file: fixed prefix (magic, format, header length), JSON header, then the sections. */
function atlasBytes(header: AtlasHeader, chunks: Buffer[]): Buffer {
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  prefix.write(ATLAS_MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(ATLAS_FORMAT_VERSION, 8);
  prefix.writeUInt32LE(headerBytes.length, 12);
  return Buffer.concat([prefix, headerBytes, ...chunks]);
}

export class AtlasWriter {
  private readonly staging = new Encoder();
  private readonly typeStrings = new StringTable();
  private readonly typeTables: Record<TypeKind, RecordTable> = { struct: new RecordTable(), typedef: new RecordTable(), enum: new RecordTable() };
  private readonly kernels: PendingKernel[] = [];
  private readonly ids = new Set<string>();
  private readonly digests = new Map<string, string>();
  private readonly scratch = new ByteWriter();

  get size(): number {
    return this.kernels.length;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Add a kernel. The answer names an earlier kernel with the same facts, if any; `skipIf`
   *  decides from that id whether to leave this one out instead (`merge --unique`). */
  add(kf: KernelFacts, opts: { skipIf?: (sameAs: string) => boolean } = {}): { added: boolean; sameAs?: string } {
    if (this.ids.has(kf.meta.id)) throw new Error(`atlas encoder: kernel id ${kf.meta.id} given twice`);
    if (kf.types && !kf.meta.coverage.types) throw new Error(`atlas encoder: kernel ${kf.meta.id} has types but no coverage.types`);
    const enc = this.staging;
    const strs = (list: readonly string[] | undefined) => Uint32Array.from(list ?? [], (x) => enc.str(x));
    const k: PendingKernel = {
      meta: kf.meta,
      lists: {
        fn: Uint32Array.from(kf.functions, (f) => enc.fn(f)),
        tp: Uint32Array.from(kf.tracepoints, (t) => enc.tp(t)),
        sc: Uint32Array.from(kf.syscalls, (x) => enc.sc(x)),
        lsm: Uint32Array.from(kf.lsmHooks, (h) => enc.lsm(h)),
      },
      extraSymbols: strs(kf.extraSymbols),
      kfuncs: strs(kf.kfuncs),
    };
    if (kf.types) {
      const str = (x: string) => this.typeStrings.id(x);
      const add = <T extends { name: string }>(kind: TypeKind, items: readonly T[]) => Uint32Array.from(items, (item) => {
        const w = this.scratch;
        w.reset();
        (TYPE_WRITERS[kind] as unknown as (w: ByteWriter, t: T, s: (x: string) => number) => void)(w, item, str);
        return this.typeTables[kind].add(w.view(), item.name);
      });
      k.types = { struct: add('struct', kf.types.structs), typedef: add('typedef', kf.types.typedefs), enum: add('enum', kf.types.enums) };
    }
    const digest = kernelDigest(k);
    const same = this.digests.get(digest);
    if (same !== undefined && opts.skipIf?.(same)) return { added: false, sameAs: same };
    if (same === undefined) this.digests.set(digest, kf.meta.id);
    this.kernels.push(k);
    this.ids.add(kf.meta.id);
    return { added: true, ...(same !== undefined ? { sameAs: same } : {}) };
  }

  /** Append to the provenance of a kernel already added. */
  note(id: string, text: string): void {
    const k = this.kernels.find((x) => x.meta.id === id);
    if (k) k.meta = { ...k.meta, provenance: `${k.meta.provenance}${text}` };
  }

  encode(opts: EncodeOptions = {}): Buffer {
    const staging = this.staging;
    const sstr = (i: number) => staging.strings.list[i];
    // The distinct records again, in name order, into the tables that are written.
    const enc = new Encoder();
    const rank = reencodeRecords(staging, enc);
    const miscs = this.kernels.map((k) => {
      const w = new ByteWriter();
      for (const list of [k.extraSymbols, k.kfuncs]) {
        w.uint(list.length);
        for (const s of list) w.uint(enc.str(sstr(s)));
      }
      return w.take();
    });

    const { section, chunks } = sectionWriter(opts.quality ?? 11, opts.pieceBytes);
    const header: AtlasHeader = {
      format: ATLAS_FORMAT_VERSION,
      generator: opts.generator ?? 'bpf-atlas',
      compression: 'br',
      strings: section(Buffer.from(enc.strings.list.join('\0'), 'utf8')),
      protos: section(enc.protos.out.view()),
      tables: {} as AtlasHeader['tables'],
      kernels: [],
    };
    for (const kind of RECORD_KINDS) header.tables[kind] = { ...section(enc.tables[kind].out.view()), count: enc.tables[kind].count };
    const systems: Record<string, string> = {};
    this.kernels.forEach((k, i) => {
      const entry: KernelEntry = {
        meta: k.meta,
        counts: { fn: k.lists.fn.length, tp: k.lists.tp.length, sc: k.lists.sc.length, lsm: k.lists.lsm.length },
        lists: {} as KernelEntry['lists'],
        misc: section(miscs[i]),
      };
      for (const kind of RECORD_KINDS) entry.lists[kind] = section(sortedIdList(k.lists[kind], rank[kind]));
      header.kernels.push(entry);
      if (opts.systems !== false) {
        for (const id of k.lists.tp) {
          const t = decodeTp(staging.tables.tp.reader(id), sstr);
          if (t.system && t.event) systems[t.name] = t.system;
        }
      }
    });
    if (opts.systems !== false) header.systems = systems;
    header.index = indexSections(enc, section);
    if (this.kernels.some((k) => k.types)) header.types = this.encodeTypes(header.kernels, section);
    return atlasBytes(header, chunks);
  }

  /** The types sections: each distinct struct/typedef/enum record once, written again in name
   *  order across kernels, and per kernel its three record lists in one section. */
  private encodeTypes(entries: KernelEntry[], section: (raw: Uint8Array) => SectionRef): TypesHeader {
    const sstr = (i: number) => this.typeStrings.list[i];
    const strings = new StringTable();
    const str = (x: string) => strings.id(x);
    const readers = { struct: readStruct, typedef: readTypedef, enum: readEnum };
    const tables = {} as Record<TypeKind, RecordTable>;
    const rank = {} as Record<TypeKind, Uint32Array>;
    const w = new ByteWriter();
    for (const kind of TYPE_KINDS) {
      const staged = this.typeTables[kind];
      const out = new RecordTable();
      const map = new Uint32Array(staged.count);
      for (const old of staged.order()) {
        const item = readers[kind](staged.reader(old), sstr);
        w.reset();
        (TYPE_WRITERS[kind] as unknown as (w: ByteWriter, t: unknown, s: (x: string) => number) => void)(w, item, str);
        map[old] = out.add(w.view(), item.name);
      }
      tables[kind] = out;
      rank[kind] = map;
    }
    this.kernels.forEach((k, i) => {
      if (!k.types) return;
      const out = new ByteWriter();
      for (const kind of TYPE_KINDS) out.bytes(sortedIdList(k.types[kind], rank[kind]));
      entries[i].types = { counts: { struct: k.types.struct.length, typedef: k.types.typedef.length, enum: k.types.enum.length }, lists: section(out.take()) };
    });
    const header: TypesHeader = {
      strings: { ...section(Buffer.from(strings.list.join('\0'), 'utf8')), count: strings.list.length },
      tables: {} as TypesHeader['tables'],
      index: {},
    };
    for (const kind of TYPE_KINDS) header.tables[kind] = { ...section(tables[kind].out.view()), count: tables[kind].count };
    const stringIndex = stringIndexBytes(strings.list);
    if (stringIndex) header.index.strings = section(stringIndex);
    for (const kind of TYPE_KINDS) {
      const bytes = tables[kind].indexBytes();
      if (bytes) header.index[kind] = section(bytes);
    }
    return header;
  }
}

/** A SHA-256 hash. node:crypto is loaded by the first writer that needs it, not by every reader
 *  (loading it is ~3 ms of a whole-process `bpf-atlas lookup`, which writes nothing). */
function sha256(): Hash {
  return (require('node:crypto') as typeof import('node:crypto')).createHash('sha256');
}

/** What identifies a kernel's facts inside one writer: its staging record numbers and strings
 *  (equal facts give equal numbers), so identical kernels of a fleet are recognised. */
function kernelDigest(k: PendingKernel): string {
  const h = sha256();
  const meta = k.meta;
  h.update(JSON.stringify([meta.release, meta.arch, meta.coverage]));
  for (const kind of RECORD_KINDS) {
    h.update(kind);
    h.update(new Uint8Array(k.lists[kind].buffer, k.lists[kind].byteOffset, k.lists[kind].byteLength));
  }
  for (const list of [k.extraSymbols, k.kfuncs, ...(k.types ? TYPE_KINDS.map((t) => k.types![t]) : [])]) {
    h.update('|');
    h.update(new Uint8Array(list.buffer, list.byteOffset, list.byteLength));
  }
  return h.digest('base64');
}

// ---- decoder ----

/** One kernel as stored: small tables decoded, functions decoded one at a time on demand.
 *  KernelIndex wraps this (and the same shape built from in-memory KernelFacts). */
export interface KernelData {
  readonly meta: KernelMeta;
  /** Number of functions (records; a name may repeat for module copies). */
  readonly functionCount: number;
  /** Name of the function at a position, in name order (code-unit order), without building
   *  the whole list: by-name lookups binary-search with it. */
  nameAt(i: number): string;
  /** The first position whose name is not below `key` (code-unit order), when the data can find
   *  it without a sample of its own names (KernelIndex keeps one otherwise). */
  lowerBoundName?(key: string): number;
  /** All function names, in name order (built on first use). */
  readonly functionNames: readonly string[];
  /** Decode the function at a position of functionNames. */
  functionAt(i: number): FunctionFacts;
  readonly tracepoints: readonly TracepointFacts[];
  /** The tracepoint records with this event name (one per system), in table order, decoding
   *  only those: a diagnostic on one tracepoint does not pay for the other thousands. */
  tracepointsNamed(name: string): readonly TracepointFacts[];
  /** The event, system and kind of every tracepoint, read from the records' heads (no fields or
   *  arguments decoded), when the data can do that more cheaply than `tracepoints`. */
  tracepointHeads?(): readonly TracepointHead[];
  readonly syscalls: readonly SyscallFacts[];
  readonly lsmHooks: readonly LsmHookFacts[];
  readonly extraSymbols: readonly string[];
  readonly kfuncs: readonly string[];
  /** Structs, unions, typedefs and enums, decoded one at a time on first use; undefined when
   *  the kernel has none stored. */
  readonly types?: TypeStore;
}

/** KernelData over facts already in memory (live kernel, freshly indexed files). */
export function kernelDataFromFacts(facts: KernelFacts): KernelData {
  const fns = [...facts.functions].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const tpByName = once(() => {
    const m = new Map<string, TracepointFacts[]>();
    for (const t of facts.tracepoints) {
      const list = m.get(t.name);
      if (list) list.push(t);
      else m.set(t.name, [t]);
    }
    return m;
  });
  return {
    meta: facts.meta,
    functionCount: fns.length,
    nameAt: (i) => fns[i].name,
    functionNames: fns.map((f) => f.name),
    functionAt: (i) => fns[i],
    tracepoints: facts.tracepoints,
    tracepointsNamed: (name) => tpByName().get(name) ?? [],
    syscalls: facts.syscalls,
    lsmHooks: facts.lsmHooks,
    extraSymbols: facts.extraSymbols ?? [],
    kfuncs: facts.kfuncs ?? [],
    types: facts.types && facts.meta.coverage.types ? typeStoreFromTypes(facts.types, facts.meta.coverage.types) : undefined,
  };
}

/** Read-only and non-blocking: opening a FIFO for reading otherwise waits for a writer (forever,
 *  and a synchronous open blocks the whole event loop meanwhile). O_NONBLOCK changes nothing for
 *  a regular file. */
const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;

/** What a non-regular file is, in words, or undefined for a regular file. */
function notRegular(st: fs.Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** Open an atlas file: regular files only, refused at once otherwise (a FIFO, device, socket or
 *  directory would block, never end, or not be data). Throws AtlasFileError naming the file. */
function openRegular(file: string): { fd: number; size: number } {
  const refuse = (what: string) => new AtlasFileError(file, `is ${what}, not an atlas file (a regular file built with \`bpf-atlas index\`)`);
  let fd: number;
  try {
    fd = fs.openSync(file, OPEN_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AtlasFileError(file, 'no such atlas file');
    if (code === 'EISDIR') throw refuse('a directory');
    // open() of a Unix socket fails with ENXIO.
    if (code === 'ENXIO') {
      let st: fs.Stats | undefined;
      try {
        st = fs.statSync(file);
      } catch {
        /* reported below */
      }
      if (st && notRegular(st)) throw refuse(notRegular(st)!);
    }
    throw new AtlasFileError(file, `cannot read: ${(e as Error).message}`);
  }
  try {
    const st = fs.fstatSync(fd);
    const what = notRegular(st);
    if (what) throw refuse(what);
    return { fd, size: st.size };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/** Descriptors of AtlasFiles no longer referenced, closed when they are collected. */
const openDescriptors = new FinalizationRegistry<number>((fd) => {
  try {
    fs.closeSync(fd);
  } catch {
    /* already closed */
  }
});

/** An opened atlas file: the header is read at open, everything else on demand, all of it through
 *  the descriptor opened then. The file opened is the one read to the end: another process that
 *  replaces the path (a rename over it) or removes it (the live cache of another kernel, a
 *  rebuilt user atlas) leaves this reader's file intact, so a lazy read never meets another
 *  file's sections or "no such atlas file". The descriptor is closed when the AtlasFile is
 *  collected. */
export class AtlasFile {
  private readonly header: AtlasHeader;
  private readonly dataStart: number;
  private readonly fileSize: number;
  private readonly fd: number;
  private stringsCache?: LazyStrings;
  private protoTable?: RecordIndex;
  private readonly tableCache = new Map<RecordKind, RecordIndex>();
  /** Tracepoint records decoded so far, by record number. A file's kernels share records (a
   *  bundle's 25 Ubuntu kernels list mostly the same ones), so each is decoded once per file,
   *  not once per kernel: the first tracepoint question over 30 targets decoded ~60,000 records
   *  (and held as many objects) where the files hold a few thousand. Readers must not modify. */
  private tpDecoded?: (TracepointFacts | undefined)[];
  /** Tracepoint heads read without their records (kernelTracepoints). */
  private tpHeads?: (TracepointHead | undefined)[];
  /** Function records and prototypes decoded so far, by record and prototype number: shared by
   *  the file's kernels like tracepoints (30 targets asked about one function decoded it 25
   *  times from the Ubuntu bundle, and held as many copies). Readers must not modify. */
  private readonly fnDecoded = new Map<number, FunctionFacts>();
  private readonly protoDecoded = new Map<number, Proto>();

  private constructor(readonly path: string, header: AtlasHeader, dataStart: number, fileSize: number, fd: number) {
    this.header = header;
    this.dataStart = dataStart;
    this.fileSize = fileSize;
    this.fd = fd;
    openDescriptors.register(this, fd);
  }

  /** Open a file and validate its header; throws AtlasFileError naming the file. */
  static open(file: string): AtlasFile {
    const { fd, size } = openRegular(file);
    let kept = false;
    try {
      const prefix = Buffer.alloc(PREFIX_BYTES);
      const got = fs.readSync(fd, prefix, 0, PREFIX_BYTES, 0);
      if (got < 8 || prefix.toString('latin1', 0, 8) !== ATLAS_MAGIC) {
        throw new AtlasFileError(file, `not a bpf-atlas atlas file (no "${ATLAS_MAGIC}" signature); build one with \`bpf-atlas index --live -o FILE\``);
      }
      if (got < PREFIX_BYTES) throw new AtlasFileError(file, `truncated atlas file (${size} bytes); ${REBUILD_HINT}`);
      const version = prefix.readUInt32LE(8);
      if (version < OLDEST_READABLE_VERSION || version > ATLAS_FORMAT_VERSION) {
        throw new AtlasFileError(file, `atlas format version ${version}, but this bpf-atlas reads versions ${OLDEST_READABLE_VERSION} to ${ATLAS_FORMAT_VERSION}; ${version < ATLAS_FORMAT_VERSION ? REBUILD_HINT : 'update bpf-atlas or rebuild the file with this version'}`);
      }
      const headerLen = prefix.readUInt32LE(12);
      if (headerLen > MAX_HEADER_BYTES || PREFIX_BYTES + headerLen > size) {
        throw new AtlasFileError(file, `truncated or corrupt atlas file (header of ${headerLen} bytes, file of ${size}); ${REBUILD_HINT}`);
      }
      const headerBytes = Buffer.alloc(headerLen);
      if (fs.readSync(fd, headerBytes, 0, headerLen, PREFIX_BYTES) !== headerLen) {
        throw new AtlasFileError(file, `truncated atlas file (header of ${headerLen} bytes); ${REBUILD_HINT}`);
      }
      let header: unknown;
      try {
        header = JSON.parse(headerBytes.toString('utf8'));
      } catch {
        throw new AtlasFileError(file, `corrupt atlas header (not valid JSON); ${REBUILD_HINT}`);
      }
      const dataStart = PREFIX_BYTES + headerLen;
      const opened = new AtlasFile(file, validateHeader(file, header, version, size - dataStart), dataStart, size, fd);
      kept = true;
      return opened;
    } finally {
      if (!kept) fs.closeSync(fd);
    }
  }

  get generator(): string {
    return this.header.generator;
  }

  /** Kernel metadata, without decoding any kernel. */
  kernels(): KernelMeta[] {
    return this.header.kernels.map((k) => k.meta);
  }

  /** The compressed bytes of a section, bounds- and CRC-checked. */
  private readChecked(ref: SectionRef, what: string): Buffer {
    if (this.dataStart + ref.off + ref.len > this.fileSize) {
      throw new AtlasFileError(this.path, `truncated atlas file (${what} runs past the end); ${REBUILD_HINT}`);
    }
    // Not zeroed first: every byte is read over, or the read is refused below.
    const data = Buffer.allocUnsafe(ref.len);
    const got = fs.readSync(this.fd, data, 0, ref.len, this.dataStart + ref.off);
    if (got !== ref.len) throw new AtlasFileError(this.path, `truncated atlas file (${what}); ${REBUILD_HINT}`);
    if (zlib.crc32(data) !== ref.crc) {
      throw new AtlasFileError(this.path, `corrupt atlas file (checksum mismatch in ${what}); ${REBUILD_HINT}`);
    }
    return data;
  }

  /** Sections decompressed ahead of use by prefetch(), by offset; taken (once) by section(). */
  private readonly prefetched = new Map<number, Buffer>();
  private readonly inflight = new Map<number, Promise<void>>();

  /** Read and decompress, on libuv's thread pool, every section a first load() of this kernel
   *  needs (the shared tables with their indexes, the kernel's function list), so several
   *  kernels and the server's own start-up proceed in parallel; load() then finds them ready.
   *  Checksums are checked here too. Errors are left for load() to report. */
  async prefetch(id: string): Promise<void> {
    const entry = this.header.kernels.find((k) => k.meta.id === id);
    if (!entry) return;
    const h = this.header;
    const refs: SectionRef[] = [entry.lists.fn];
    if (!this.stringsCache) refs.push(h.strings, ...(h.index?.strings ? [h.index.strings] : []));
    if (!this.tableCache.has('fn')) refs.push(h.tables.fn, ...(h.index?.tables.fn ? [h.index.tables.fn] : []));
    if (!this.protoTable) refs.push(h.protos, ...(h.index?.protos ? [h.index.protos] : []));
    await Promise.all(refs.map((ref) => {
      let job = this.inflight.get(ref.off);
      if (!job) {
        job = this.readCheckedAsync(ref).then(async (data) => {
          if (!data) return;
          this.verified.add(ref.off);
          const raw = await decompressAsync(data, ref);
          if (raw) this.prefetched.set(ref.off, raw);
        });
        this.inflight.set(ref.off, job);
      }
      return job;
    }));
  }

  /** readChecked off the main thread; null on any problem (the synchronous path reports it). */
  private async readCheckedAsync(ref: SectionRef): Promise<Buffer | null> {
    if (this.dataStart + ref.off + ref.len > this.fileSize) return null;
    const data = Buffer.allocUnsafe(ref.len);
    // The descriptor opened at open() (a regular file, checked there); `this` stays referenced
    // until the read ends, so the descriptor is not closed under it.
    const bytesRead = await new Promise<number>((resolve) => {
      fs.read(this.fd, data, 0, ref.len, this.dataStart + ref.off, (err, n) => resolve(err ? -1 : n));
    });
    return bytesRead === ref.len && zlib.crc32(data) === ref.crc ? data : null;
  }

  /** A section read, checked and decompressed (or taken from what prefetch() made ready). */
  private section(ref: SectionRef, what: string): Uint8Array {
    const ready = this.prefetched.get(ref.off);
    if (ready) {
      this.prefetched.delete(ref.off);
      return ready;
    }
    const data = this.readChecked(ref, what);
    return this.guard(what, () => decompressSync(data, ref));
  }

  private readonly verified = new Set<number>();

  /** Read a section and check its CRC without decompressing it. */
  private verify(ref: SectionRef, what: string): void {
    if (this.verified.has(ref.off)) return;
    this.readChecked(ref, what);
    this.verified.add(ref.off);
  }

  /** Run a decoding step, turning malformed bytes into an AtlasFileError naming the file. */
  private guard<T>(what: string, step: () => T): T {
    try {
      return step();
    } catch (e) {
      if (e instanceof ByteFormatError || e instanceof RangeError) {
        throw new AtlasFileError(this.path, `corrupt atlas file (${what}: ${e.message}); ${REBUILD_HINT}`);
      }
      throw e;
    }
  }

  private strings(): LazyStrings {
    this.stringsCache ??= this.stringTable(this.header.strings, this.header.index?.strings, this.header.index?.strings?.count ?? 0, '');
    return this.stringsCache;
  }

  /** A string table (`what`: '' or 'types ') with its index when it has one. A table in pieces
   *  that prefetch() has not decompressed already is decompressed piece by piece as strings are
   *  read (PiecewiseSection): a lookup in a big table inflates the pieces it reads. */
  private stringTable(ref: SectionRef, index: SectionRef | undefined, count: number, what: string): LazyStrings {
    const table = `${what}string table`;
    if (index && ref.chunks && ref.chunks.length > 1 && !this.prefetched.has(ref.off)) {
      const pieces = new PiecewiseSection(this.readChecked(ref, table), ref as SectionRef & { chunks: [number, number][] });
      return this.guard(`${what}string index`, () => LazyStrings.fromIndexInPieces(pieces, this.section(index, `${what}string index`), count,
        (step) => this.guard(table, step)));
    }
    const raw = this.section(ref, table);
    const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
    return index
      ? this.guard(`${what}string index`, () => LazyStrings.fromIndex(bytes, this.section(index, `${what}string index`), count))
      : LazyStrings.byScan(bytes);
  }

  private table(kind: RecordKind): RecordIndex {
    let t = this.tableCache.get(kind);
    if (!t) {
      const ref = this.header.tables[kind];
      const buf = this.section(ref, `${kind} records`);
      const index = this.header.index?.tables[kind];
      t = index
        ? this.guard(`${kind} index`, () => recordsFromIndex(buf, this.section(index, `${kind} index`), ref.count))
        : this.guard(`${kind} records`, () => (kind === 'fn' ? indexFnRecords(buf, ref.count) : indexRecords(buf, ref.count, SKIPPERS[kind])));
      this.tableCache.set(kind, t);
    }
    return t;
  }

  private protos(): RecordIndex {
    if (!this.protoTable) {
      const buf = this.section(this.header.protos, 'prototype table');
      const index = this.header.index?.protos;
      this.protoTable = index
        ? this.guard('prototype index', () => recordsFromIndex(buf, this.section(index, 'prototype index'), index.count))
        : this.guard('prototype table', () => indexRecords(buf, -1, skipProto));
    }
    return this.protoTable;
  }

  /** Check the checksum of every section a kernel can touch, decompressing nothing: what a copy
   *  of an atlas file needs (its sections are not decoded by the copy). Throws AtlasFileError. */
  checkKernel(id: string): void {
    const entry = this.header.kernels.find((k) => k.meta.id === id);
    if (!entry) throw new AtlasFileError(this.path, `has no kernel "${id}" (it has: ${this.header.kernels.map((k) => k.meta.id).join(', ')})`);
    this.verifyKernel(entry);
  }

  private verifyKernel(entry: KernelEntry): void {
    const h = this.header;
    const id = entry.meta.id;
    for (const [ref, what] of [
      [h.strings, 'string table'], [h.protos, 'prototype table'], ...RECORD_KINDS.map((k) => [h.tables[k], `${k} records`]),
      ...RECORD_KINDS.map((k) => [entry.lists[k], `${id} ${k} list`]), [entry.misc, `${id} symbols`],
      [h.index?.strings, 'string index'], [h.index?.protos, 'prototype index'], ...RECORD_KINDS.map((k) => [h.index?.tables[k], `${k} index`]),
    ] as [SectionRef | undefined, string][]) if (ref) this.verify(ref, what);
  }

  /** Load one kernel by id. Every section the kernel can touch is checksummed now, so a bad
   *  file is refused at load; the function table and names are decoded now, prototypes,
   *  tracepoints, syscalls, LSM hooks and symbol lists on first use. */
  load(id: string): KernelData {
    const entry = this.header.kernels.find((k) => k.meta.id === id);
    if (!entry) throw new AtlasFileError(this.path, `has no kernel "${id}" (it has: ${this.header.kernels.map((k) => k.meta.id).join(', ')})`);
    const h = this.header;
    this.verifyKernel(entry);

    const strings = this.strings();
    const str = (i: number): string => {
      const s = strings.get(i);
      if (s === undefined) throw new ByteFormatError(`string ${i} out of range`);
      return s;
    };
    const list = (kind: RecordKind): Uint32Array => {
      const raw = this.section(entry.lists[kind], `${id} ${kind} list`);
      return this.guard(`${id} ${kind} list`, () => decodeIdList(raw, entry.counts[kind], this.header.tables[kind].count));
    };
    const proto = (i: number): Proto => {
      const known = this.protoDecoded.get(i);
      if (known) return known;
      const protoTable = this.protos();
      if (i >= protoTable.count) throw new ByteFormatError(`prototype ${i} out of range`);
      const p = decodeProto(new ByteReader(protoTable.buf, protoTable.offset(i)), str);
      this.protoDecoded.set(i, p);
      return p;
    };

    const { fns, nameAt, functionAt, names, lowerBoundName } = this.kernelFunctions(id, strings, str, list, proto);
    const decodeAll = <T>(kind: RecordKind, decode: (r: ByteReader) => T): T[] => {
      const table = this.table(kind);
      const ids = list(kind);
      return this.guard(`${id} ${kind} records`, () => Array.from(ids, (rid) => decode(new ByteReader(table.buf, table.offset(rid)))));
    };
    const misc = once(() => {
      const miscRaw = this.section(entry.misc, `${id} symbols`);
      return this.guard(`${id} symbols`, () => {
        const r = new ByteReader(miscRaw);
        const read = () => Array.from({ length: r.uint() }, () => str(r.uint()));
        return { extraSymbols: read(), kfuncs: read() };
      });
    });
    const { tracepoints, tracepointsNamed, tracepointHeads } = this.kernelTracepoints(id, str, list);
    const syscalls = once(() => decodeAll('sc', (r) => decodeSc(r, str)));
    const lsmHooks = once(() => decodeAll('lsm', (r) => decodeLsm(r, str, proto)));
    return {
      meta: entry.meta,
      get functionCount() { return fns().ids.size; },
      nameAt,
      ...(lowerBoundName ? { lowerBoundName: (key: string) => this.guard(`${id} function names`, () => lowerBoundName(key)) } : {}),
      get functionNames() { return names(); },
      functionAt,
      get tracepoints() { return tracepoints(); },
      tracepointsNamed,
      tracepointHeads,
      get syscalls() { return syscalls(); },
      get lsmHooks() { return lsmHooks(); },
      get extraSymbols() { return misc().extraSymbols; },
      get kfuncs() { return misc().kfuncs; },
      types: entry.types && h.types && entry.meta.coverage?.types ? this.typeStore(entry, entry.types) : undefined,
    };
  }

  /** The function side of a loaded kernel: its table and list (decoded on first use), names and records. */
  private kernelFunctions(
    id: string, strings: LazyStrings, str: (i: number) => string,
    list: (kind: RecordKind) => Uint32Array, proto: (i: number) => Proto,
  ) {
    // The function table and list are decoded on the first function question: a lookup of a
    // tracepoint (the running kernel's cached atlas, a bundled kernel) does not pay for them.
    const fns = once(() => {
      const table = this.table('fn');
      return { table, ids: recordSet(list('fn'), table.count), nameIds: table.nameIds! };
    });
    const nameAt = (i: number): string => {
      const { ids, nameIds } = fns();
      const s = strings.get(nameIds[ids.at(i)]);
      if (s === undefined) throw new AtlasFileError(this.path, `corrupt atlas file (${id} function name out of range); ${REBUILD_HINT}`);
      return s;
    };
    // A prototype is decoded when first read (decodeFn): a glob walk over thousands of
    // functions wants their symbols, not their parameters. Its errors name the file all the same.
    const lazyProto = (p: number): Proto => this.guard(`${id} prototype ${p}`, () => proto(p));
    const functionAt = (i: number): FunctionFacts => {
      const { table, ids } = fns();
      const rid = ids.at(i);
      let f = this.fnDecoded.get(rid);
      if (!f) {
        f = this.guard(`${id} function ${nameAt(i)}`, () => decodeFn(new ByteReader(table.buf, table.offset(rid)), str, lazyProto));
        this.fnDecoded.set(rid, f);
      }
      return f;
    };
    const names = once(() => Array.from({ length: fns().ids.size }, (_, i) => nameAt(i)));
    // Records are numbered in name order (format 2), so this kernel's first position whose name is
    // not below a key is the count of its record numbers below the file's first such record: a
    // search over integers, after one over the file's names that every kernel of the file shares.
    const lowerBoundName = this.header.format >= 2
      ? (key: string): number => fns().ids.rank(this.fnLowerBound(key, strings))
      : undefined;
    return { fns, nameAt, functionAt, names, lowerBoundName };
  }

  /** Every FN_SAMPLE-th function record's name, in record (= name) order: decoded once for the
   *  file, where each kernel decoded a sample of its own list (30 targets decoded ~200,000 names
   *  on their first lookups, ~0.1 s of a first completion). */
  private fnSample?: string[];

  /** The last fnLowerBound question and its answer: a verdict over the target kernels asks each
   *  kernel of the file for the same name in turn (25 of 30 targets share the Ubuntu file), and
   *  the search over the file's names gives the same record every time. */
  private fnLastKey?: string;
  private fnLastBound = 0;

  /** The first function record whose name is not below `key` (format 2: records in name order). */
  private fnLowerBound(key: string, strings: LazyStrings): number {
    if (key === this.fnLastKey) return this.fnLastBound;
    const bound = this.fnSearch(key, strings);
    this.fnLastKey = key;
    this.fnLastBound = bound;
    return bound;
  }

  private fnSearch(key: string, strings: LazyStrings): number {
    const table = this.table('fn');
    const nameIds = table.nameIds!;
    const n = table.count;
    const nameOf = (r: number): string => {
      const s = strings.get(nameIds[r]);
      if (s === undefined) throw new AtlasFileError(this.path, `corrupt atlas file (function name out of range); ${REBUILD_HINT}`);
      return s;
    };
    if (!this.fnSample) {
      const sample: string[] = [];
      for (let r = 0; r < n; r += FN_SAMPLE) sample.push(nameOf(r));
      this.fnSample = sample;
    }
    const sample = this.fnSample;
    const j = lowerBound(sample.length, (k) => sample[k], key);
    // Records up to (j - 1)·FN_SAMPLE are below key; the one at j·FN_SAMPLE (if any) is not.
    const first = j === 0 ? 0 : (j - 1) * FN_SAMPLE + 1;
    return first + lowerBound(Math.min(n, j * FN_SAMPLE) - first, (k) => nameOf(first + k), key);
  }

  /** The tracepoint side of a loaded kernel: all its tracepoints, and those of one event name. */
  private kernelTracepoints(id: string, str: (i: number) => string, list: (kind: RecordKind) => Uint32Array) {
    const h = this.header;
    const tpRecord = (rid: number): TracepointFacts => {
      const table = this.table('tp');
      const decoded = (this.tpDecoded ??= new Array<TracepointFacts | undefined>(table.count));
      return (decoded[rid] ??= decodeTp(new ByteReader(table.buf, table.offset(rid)), str));
    };
    const tracepoints = once(() => this.guard(`${id} tp records`, () => Array.from(list('tp'), tpRecord)));
    // The heads alone (name, flags, system), shared by the kernels of the file like the records:
    // listing the systems of 30 kernels decoded every field of ~2,000 tracepoints each.
    const tpHead = (rid: number): TracepointHead => {
      const full = this.tpDecoded?.[rid];
      if (full) return full;
      const table = this.table('tp');
      const heads = (this.tpHeads ??= new Array<TracepointHead | undefined>(table.count));
      return (heads[rid] ??= decodeTpHead(new ByteReader(table.buf, table.offset(rid)), str) ?? tpRecord(rid));
    };
    const tracepointHeads = once(() => this.guard(`${id} tp records`, () => Array.from(list('tp'), tpHead)));
    // Records are numbered in name order, so this kernel's tp list is sorted by event name: with
    // the table's index (each record's name string id), a binary search reads a dozen names.
    const tpIds = once(() => list('tp'));
    const tpName = (rid: number): string => {
      const table = this.table('tp');
      return this.guard(`${id} tp records`, () => str(table.nameIds ? table.nameIds[rid] : new ByteReader(table.buf, table.offset(rid)).uint()));
    };
    const tpRecordsNamed = (name: string): number[] => {
      const ids = tpIds();
      let lo = 0;
      let hi = ids.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (tpName(ids[mid]) < name) lo = mid + 1;
        else hi = mid;
      }
      const out: number[] = [];
      for (let i = lo; i < ids.length && tpName(ids[i]) === name; i++) out.push(ids[i]);
      return out;
    };
    // Event name → this kernel's tp record numbers: one name read per record, nothing decoded
    // (files whose records are not in name order: format 1).
    const tpRecordsByName = once(() => {
      const table = this.table('tp');
      const m = new Map<string, number[]>();
      for (const rid of list('tp')) {
        const name = this.guard(`${id} tp records`, () => str(new ByteReader(table.buf, table.offset(rid)).uint()));
        const ids = m.get(name);
        if (ids) ids.push(rid);
        else m.set(name, [rid]);
      }
      return m;
    });
    const tracepointsNamed = (name: string): TracepointFacts[] => {
      const rids = h.format >= 2 ? tpRecordsNamed(name) : tpRecordsByName().get(name);
      if (!rids?.length) return [];
      return this.guard(`${id} tracepoint ${name}`, () => rids.map(tpRecord));
    };
    return { tracepoints, tracepointsNamed, tracepointHeads };
  }

  private typeStringsCache?: LazyStrings;
  private readonly typeTableCache = new Map<TypeKind, RecordIndex>();

  /** The types' string table: read, checked and decompressed on the first type question. */
  private typeStrings(): LazyStrings {
    if (!this.typeStringsCache) {
      const t = this.header.types!;
      this.verify(t.strings, 'types string table');
      const index = t.index.strings;
      if (index) this.verify(index, 'types string index');
      this.typeStringsCache = this.stringTable(t.strings, index, t.strings.count, 'types ');
    }
    return this.typeStringsCache;
  }

  private typeTable(kind: TypeKind): RecordIndex {
    let t = this.typeTableCache.get(kind);
    if (!t) {
      const types = this.header.types!;
      const ref = types.tables[kind];
      this.verify(ref, `${kind} types`);
      const buf = this.section(ref, `${kind} types`);
      const index = types.index[kind];
      if (index) this.verify(index, `${kind} types index`);
      t = index
        ? this.guard(`${kind} types index`, () => recordsFromIndex(buf, this.section(index, `${kind} types index`), ref.count))
        : this.guard(`${kind} types`, () => indexRecords(buf, ref.count, (r) => skipTypeRecord(kind, r)));
      this.typeTableCache.set(kind, t);
    }
    return t;
  }

  /** One kernel's record numbers in each types table. */
  private typeLists(id: string, ref: NonNullable<KernelEntry['types']>): Record<TypeKind, Uint32Array> {
    this.verify(ref.lists, `${id} types lists`);
    const raw = this.section(ref.lists, `${id} types lists`);
    return this.guard(`${id} types lists`, () => {
      const r = new ByteReader(raw);
      const out = {} as Record<TypeKind, Uint32Array>;
      for (const kind of TYPE_KINDS) {
        const count = ref.counts[kind];
        const records = this.header.types!.tables[kind].count;
        if (!Number.isInteger(count) || count < 0 || count > raw.length) throw new ByteFormatError(`${kind} count ${count}`);
        const ids = new Uint32Array(count);
        let prev = 0;
        for (let i = 0; i < count; i++) {
          prev += r.uint();
          if (prev >= records) throw new ByteFormatError(`${kind} record ${prev} out of range`);
          ids[i] = prev;
        }
        out[kind] = ids;
      }
      return out;
    });
  }

  private typeStr(): (i: number) => string {
    const strings = this.typeStrings();
    return (i) => {
      const s = strings.get(i);
      if (s === undefined) throw new ByteFormatError(`types string ${i} out of range`);
      return s;
    };
  }

  /** A kernel's types as a TypeStore: nothing is read until the first question, then only the
   *  sections it needs; each record is decoded when asked for and kept. */
  private typeStore(entry: KernelEntry, ref: NonNullable<KernelEntry['types']>): TypeStore {
    const id = entry.meta.id;
    const lists = once(() => this.typeLists(id, ref));
    const decoded = new Map<string, unknown>();
    const decode = <T>(kind: TypeKind, rid: number, read: (r: ByteReader, str: (i: number) => string) => T): T => {
      const key = `${kind}${rid}`;
      let v = decoded.get(key) as T | undefined;
      if (v === undefined) {
        const table = this.typeTable(kind);
        const str = this.typeStr();
        v = this.guard(`${id} ${kind} type`, () => read(new ByteReader(table.buf, table.offset(rid)), str));
        decoded.set(key, v);
      }
      return v;
    };
    const nameOf = (kind: TypeKind, rid: number): string => {
      const table = this.typeTable(kind);
      const strings = this.typeStrings();
      const s = table.nameIds ? strings.get(table.nameIds[rid]) : this.guard(`${id} ${kind} type`, () => strings.get(new ByteReader(table.buf, table.offset(rid)).uint()));
      if (s === undefined) throw new AtlasFileError(this.path, `corrupt atlas file (${id} ${kind} type name out of range); ${REBUILD_HINT}`);
      return s;
    };
    /** The record numbers of this kernel with this name (a sorted list binary-searched by name). */
    const named = (kind: TypeKind, name: string): number[] => {
      const ids = lists()[kind];
      let lo = 0;
      let hi = ids.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (nameOf(kind, ids[mid]) < name) lo = mid + 1;
        else hi = mid;
      }
      const out: number[] = [];
      for (let i = lo; i < ids.length && nameOf(kind, ids[i]) === name; i++) out.push(ids[i]);
      return out;
    };
    const allEnums = once(() => Array.from(lists().enum, (rid) => decode('enum', rid, readEnum)));
    const structNames = once(() => {
      const out: string[] = [];
      for (const rid of lists().struct) {
        const n = nameOf('struct', rid);
        if (out[out.length - 1] !== n) out.push(n);
      }
      return out;
    });
    return {
      coverage: entry.meta.coverage.types!,
      structsNamed: (name) => named('struct', name).map((rid) => decode('struct', rid, readStruct)),
      typedefNamed: (name) => {
        const rid = named('typedef', name)[0];
        return rid === undefined ? undefined : decode('typedef', rid, readTypedef);
      },
      enumsNamed: (name) => named('enum', name).map((rid) => decode('enum', rid, readEnum)),
      allEnums,
      structNames,
      all: () => this.allTypes(entry, ref),
    };
  }

  /** Every type of a kernel, decoded (round trips, re-export). */
  private allTypes(entry: KernelEntry, ref: NonNullable<KernelEntry['types']>): KernelTypes {
    const lists = this.typeLists(entry.meta.id, ref);
    const str = this.typeStr();
    const all = <T>(kind: TypeKind, read: (r: ByteReader, str: (i: number) => string) => T): T[] => {
      const table = this.typeTable(kind);
      return this.guard(`${entry.meta.id} ${kind} types`, () => Array.from(lists[kind], (rid) => read(new ByteReader(table.buf, table.offset(rid)), str)));
    };
    return { structs: all<StructFacts>('struct', readStruct), typedefs: all<TypedefFacts>('typedef', readTypedef), enums: all<EnumFacts>('enum', readEnum) };
  }

  /** Event name → trace system over every kernel of the file (later kernels win), decoding
   *  only the string and tracepoint tables. */
  traceSystems(): Map<string, string> {
    if (this.header.systems && typeof this.header.systems === 'object') return new Map(Object.entries(this.header.systems));
    const strings = this.strings();
    const t = this.table('tp');
    const out = new Map<string, string>();
    this.guard('tp records', () => {
      for (let i = 0; i < t.count; i++) {
        const r = new ByteReader(t.buf, t.offset(i));
        const name = strings.get(r.uint());
        const flags = r.uint();
        if (flags & TP_SYSTEM) {
          const system = strings.get(r.uint());
          if (name !== undefined && system !== undefined) out.set(name, system);
        }
      }
    });
    return out;
  }

  /** Every kernel fully decoded (round trips, `index` re-export). */
  loadFacts(id: string): KernelFacts {
    const d = this.load(id);
    const facts: KernelFacts = {
      meta: d.meta,
      functions: d.functionNames.map((_, i) => d.functionAt(i)),
      tracepoints: [...d.tracepoints],
      syscalls: [...d.syscalls],
      lsmHooks: [...d.lsmHooks],
    };
    if (d.extraSymbols.length) facts.extraSymbols = [...d.extraSymbols];
    if (d.kfuncs.length) facts.kfuncs = [...d.kfuncs];
    if (d.types) facts.types = d.types.all();
    return facts;
  }
}

/** The NUL-separated string table, decoded one string at a time on first use: a kernel load
 *  touches only its own names, and kernels of the same file share the decoded strings. */
class LazyStrings {
  private readonly decoded: (string | undefined)[];

  /** String i is `length(i)` bytes from `start(i)`, once `prepare(i)` (when given) has made
   *  those bytes ready. */
  private constructor(
    private readonly raw: Buffer, count: number, private readonly start: (i: number) => number, private readonly length: (i: number) => number,
    private readonly prepare?: (i: number) => void,
  ) {
    this.decoded = new Array(count);
  }

  /** Find the strings by their NUL separators (format 1 files). */
  static byScan(raw: Buffer): LazyStrings {
    const starts: number[] = raw.length ? [0] : [];
    for (let p = raw.indexOf(0); p >= 0; p = raw.indexOf(0, p + 1)) starts.push(p + 1);
    if (raw.length) starts.push(raw.length + 1);
    const at = Uint32Array.from(starts);
    return new LazyStrings(raw, Math.max(0, at.length - 1), (i) => at[i], (i) => at[i + 1] - 1 - at[i]);
  }

  /** Place the strings by the index section (format 2), after one pass that checks every
   *  string ends in a NUL (the last one at the end) and the block starts agree. */
  static fromIndex(raw: Buffer, index: Uint8Array, count: number): LazyStrings {
    const blocks = Math.ceil(count / INDEX_BLOCK);
    if (index.length !== 4 * blocks + 2 * count) throw new ByteFormatError(`string index of ${index.length} bytes for ${count} strings`);
    const blockStarts = u32s(index, 0, blocks);
    const lengths = u16s(index, 4 * blocks, count);
    let pos = 0;
    for (let i = 0; i < count; i++) {
      if ((i & (INDEX_BLOCK - 1)) === 0 && blockStarts[i / INDEX_BLOCK] !== pos) throw new ByteFormatError(`string index block ${i / INDEX_BLOCK} is misplaced`);
      pos += lengths[i] + 1;
      if (pos <= raw.length ? raw[pos - 1] !== 0 : pos !== raw.length + 1) throw new ByteFormatError(`string ${i} does not end where the index says`);
    }
    if (count ? pos !== raw.length + 1 : raw.length !== 0) throw new ByteFormatError('string index does not cover the string table');
    return new LazyStrings(raw, count, indexedStart(blockStarts, lengths), (i) => lengths[i]);
  }

  /** fromIndex over a string table in pieces (PiecewiseSection) that are decompressed as their
   *  strings are read, with the same checks made a block of 64 strings at a time, when one of
   *  its strings is first read (after its pieces are decompressed): each string of the block
   *  ends in a NUL where the index says, and the block ends where the next one starts (the last
   *  at the end of the table). Reading every string (loadFacts) checks all of them, as
   *  fromIndex does at once. `guard` turns a problem met then into the file's error. */
  static fromIndexInPieces(table: PiecewiseSection, index: Uint8Array, count: number, guard: (step: () => void) => void): LazyStrings {
    const raw = table.bytes;
    const blocks = Math.ceil(count / INDEX_BLOCK);
    if (index.length !== 4 * blocks + 2 * count) throw new ByteFormatError(`string index of ${index.length} bytes for ${count} strings`);
    const blockStarts = u32s(index, 0, blocks);
    const lengths = u16s(index, 4 * blocks, count);
    if (count ? blockStarts[0] !== 0 : raw.length !== 0) throw new ByteFormatError(count ? 'string index block 0 is misplaced' : 'string index does not cover the string table');
    const checked = new Uint8Array(blocks);
    const prepare = (i: number) => {
      const b = i >>> 6;
      if (checked[b]) return;
      guard(() => {
        const last = b + 1 === blocks;
        let at = blockStarts[b];
        table.ensure(at, last ? raw.length : blockStarts[b + 1]);
        for (let j = b * INDEX_BLOCK; j < Math.min(count, (b + 1) * INDEX_BLOCK); j++) {
          at += lengths[j] + 1;
          if (at <= raw.length ? raw[at - 1] !== 0 : at !== raw.length + 1) throw new ByteFormatError(`string ${j} does not end where the index says`);
        }
        if (last && at !== raw.length + 1) throw new ByteFormatError('string index does not cover the string table');
        if (!last && blockStarts[b + 1] !== at) throw new ByteFormatError(`string index block ${b + 1} is misplaced`);
      });
      checked[b] = 1;
    };
    return new LazyStrings(raw, count, indexedStart(blockStarts, lengths), (i) => lengths[i], prepare);
  }

  get count(): number {
    return this.decoded.length;
  }

  get(i: number): string | undefined {
    if (!(i >= 0 && i < this.decoded.length)) return undefined;
    let s = this.decoded[i];
    if (s === undefined) {
      this.prepare?.(i);
      const from = this.start(i);
      // The one place file strings enter: what a terminal or a markdown renderer would act on
      // is replaced here, once, for every sink.
      s = sanitiseFileText(this.raw.toString('utf8', from, from + this.length(i)));
      this.decoded[i] = s;
    }
    return s;
  }
}

/** Where string i starts, from the string index's block starts and lengths. */
function indexedStart(blockStarts: Uint32Array, lengths: Uint16Array): (i: number) => number {
  return (i) => {
    let at = blockStarts[i >>> 6];
    for (let j = i & ~(INDEX_BLOCK - 1); j < i; j++) at += lengths[j] + 1;
    return at;
  };
}

/** A section in pieces (SectionRef.chunks) whose pieces are decompressed, each bounded by its
 *  declared size as decompressSync does, the first time one of their bytes is asked for. */
class PiecewiseSection {
  /** The section's bytes; only the pieces ensure() made ready hold them. */
  readonly bytes: Buffer;
  private readonly rawStarts: number[] = [];
  private readonly dataStarts: number[] = [];
  private readonly ready: Uint8Array;

  constructor(private readonly data: Buffer, ref: SectionRef & { chunks: [number, number][] }) {
    this.bytes = Buffer.allocUnsafe(ref.raw);
    let at = 0;
    let to = 0;
    for (const [len, raw] of ref.chunks) {
      this.dataStarts.push(at);
      this.rawStarts.push(to);
      at += len;
      to += raw;
    }
    this.rawStarts.push(to);
    this.dataStarts.push(at);
    this.ready = new Uint8Array(ref.chunks.length);
  }

  /** Make bytes [from, to) ready; throws ByteFormatError for a piece that does not inflate to
   *  its declared size. */
  ensure(from: number, to: number): void {
    const starts = this.rawStarts;
    let lo = 0;
    let hi = this.ready.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= from) lo = mid;
      else hi = mid - 1;
    }
    for (let k = lo; k < this.ready.length && (starts[k] < to || k === lo); k++) {
      if (this.ready[k]) continue;
      const piece = this.data.subarray(this.dataStarts[k], this.dataStarts[k + 1]);
      inflatePiece(piece, starts[k + 1] - starts[k]).copy(this.bytes, starts[k]);
      this.ready[k] = 1;
    }
  }
}

/** A value computed on first use. */
function once<T>(make: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = make();
      done = true;
    }
    return value;
  };
}

function optNr(v: number): { nr?: number } {
  return v ? { nr: v - 1 } : {};
}

/** Checks one header, field by field, before anything uses it: types, ranges, the sizes and
 *  counts it declares against the limits above and against the file. Every refusal names the
 *  file and the field (`kernels[0].counts.fn is "abc", expected a count`). */
class HeaderCheck {
  /** Sum of what the declared sections and counts make a reader hold (see MAX_FILE_COST). */
  private cost = 0;

  constructor(private readonly file: string, private readonly dataBytes: number) {}

  fail(field: string, problem: string): never {
    throw new AtlasFileError(this.file, `corrupt atlas header (${field} ${problem}); ${REBUILD_HINT}`);
  }

  /** A value as the message shows it: JSON, cut short, with no control character left raw
   *  (JSON.stringify escapes C0 but leaves C1 and bidi controls as they are). */
  private shown(v: unknown): string {
    const json = escapeUnsafeText(JSON.stringify(v) ?? String(v));
    return json.length > 40 ? `${json.slice(0, 40)}…` : json;
  }

  object(v: unknown, field: string): Record<string, unknown> {
    if (!v || typeof v !== 'object' || Array.isArray(v)) this.fail(field, v === undefined ? 'is missing' : `is ${this.shown(v)}, expected an object`);
    return v as Record<string, unknown>;
  }

  /** An integer in [0, max]. */
  count(v: unknown, field: string, max: number, limit = 'this file allows'): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) this.fail(field, v === undefined ? 'is missing' : `is ${this.shown(v)}, expected a count`);
    if (v > max) this.fail(field, `is ${v}, more than the ${max} ${limit}`);
    return v;
  }

  /** Text that reaches terminals and hovers: a string without control characters. */
  text(v: unknown, field: string, max = MAX_META_TEXT): string {
    if (typeof v !== 'string') this.fail(field, v === undefined ? 'is missing' : `is ${this.shown(v)}, expected a string`);
    if (v.length > max) this.fail(field, `is ${v.length} characters long, more than ${max}`);
    if (hasUnsafeText(v)) this.fail(field, `holds control characters: ${this.shown(v)}`);
    return v;
  }

  optionalText(v: unknown, field: string): void {
    if (v !== undefined) this.text(v, field);
  }

  boolean(v: unknown, field: string): boolean {
    if (typeof v !== 'boolean') this.fail(field, v === undefined ? 'is missing' : `is ${this.shown(v)}, expected true or false`);
    return v;
  }

  oneOf<T extends string>(v: unknown, field: string, values: readonly T[]): T {
    if (!values.includes(v as T)) this.fail(field, `is ${this.shown(v)}, expected one of ${values.join(', ')}`);
    return v as T;
  }

  /** What a reader holds for `n` declared records, strings or list entries. */
  entries(n: number): void {
    this.cost += 8 * n;
  }

  section(v: unknown, field: string): SectionRef {
    const o = this.object(v, field);
    const len = this.count(o.len, `${field}.len`, Number.MAX_SAFE_INTEGER);
    const off = this.count(o.off, `${field}.off`, Number.MAX_SAFE_INTEGER);
    if (off + len > this.dataBytes) {
      throw new AtlasFileError(this.file, `truncated atlas file (${this.dataBytes} data bytes, ${field} needs ${off + len}); ${REBUILD_HINT}`);
    }
    const raw = this.count(o.raw, `${field}.raw`, MAX_SECTION_BYTES, 'bytes an atlas section may decompress to');
    const crc = this.count(o.crc, `${field}.crc`, 0xffffffff, '(a CRC-32)');
    const ref: SectionRef = { off, len, raw, crc };
    if (o.chunks !== undefined) {
      if (!Array.isArray(o.chunks) || !o.chunks.length) this.fail(`${field}.chunks`, `is ${this.shown(o.chunks)}, expected a list of pieces`);
      let lens = 0;
      let raws = 0;
      ref.chunks = o.chunks.map((c: unknown, i: number) => {
        if (!Array.isArray(c) || c.length !== 2) this.fail(`${field}.chunks[${i}]`, `is ${this.shown(c)}, expected [compressed, decompressed] lengths`);
        const piece: [number, number] = [this.count(c[0], `${field}.chunks[${i}][0]`, len), this.count(c[1], `${field}.chunks[${i}][1]`, raw)];
        if (!piece[0] || !piece[1]) this.fail(`${field}.chunks[${i}]`, 'is an empty piece');
        lens += piece[0];
        raws += piece[1];
        return piece;
      });
      if (lens !== len || raws !== raw) this.fail(`${field}.chunks`, `do not add up to their section: pieces of ${lens} → ${raws} bytes, section of ${len} → ${raw}`);
    }
    this.cost += raw;
    if (this.cost > MAX_FILE_COST) this.fail(field, `brings what the file declares to more than the ${MAX_FILE_COST} bytes an atlas may decompress to`);
    return ref;
  }

  meta(v: unknown, field: string): KernelMeta {
    const m = this.object(v, field);
    this.text(m.id, `${field}.id`);
    if (!m.id || /[`<>[\]|\\*]/.test(m.id as string)) this.fail(`${field}.id`, `is ${this.shown(m.id)}: a kernel id is not empty and has none of \` < > [ ] | \\ *`);
    for (const k of ['release', 'version', 'arch']) this.text(m[k], `${field}.${k}`);
    for (const k of ['distro', 'codename', 'flavor']) this.optionalText(m[k], `${field}.${k}`);
    if (m.lts !== undefined) this.boolean(m.lts, `${field}.lts`);
    this.oneOf(m.source, `${field}.source`, ['bundled', 'live', 'file']);
    this.text(m.provenance, `${field}.provenance`, MAX_PROVENANCE_TEXT);
    const c = this.object(m.coverage, `${field}.coverage`);
    this.oneOf(c.inline, `${field}.coverage.inline`, ['dwarf', 'none']);
    for (const k of ['ftrace', 'blacklist', 'modules', 'btf', 'exactFieldOffsets']) this.boolean(c[k], `${field}.coverage.${k}`);
    if (c.types !== undefined) {
      const t = this.object(c.types, `${field}.coverage.types`);
      for (const k of ['structs', 'unions', 'typedefs', 'layout', 'modules']) this.boolean(t[k], `${field}.coverage.types.${k}`);
      this.oneOf(t.enums, `${field}.coverage.types.enums`, ['all', 'bpf-uapi', 'none']);
    }
    const n = this.object(m.counts, `${field}.counts`);
    for (const k of ['functions', 'tracepoints', 'syscalls', 'lsmHooks']) this.count(n[k], `${field}.counts.${k}`, MAX_COUNT);
    return m as unknown as KernelMeta;
  }
}

/** The kernels list of a header, checked: each entry's meta (ids once), lists and counts. */
function checkKernelEntries(c: HeaderCheck, kernelsIn: unknown[]): KernelEntry[] {
  const ids = new Set<string>();
  return kernelsIn.map((v: unknown, i: number): KernelEntry => {
    const field = `kernels[${i}]`;
    const k = c.object(v, field);
    const meta = c.meta(k.meta, `${field}.meta`);
    if (ids.has(meta.id)) c.fail(`${field}.meta.id`, `"${meta.id}" is given twice`);
    ids.add(meta.id);
    const listsIn = c.object(k.lists, `${field}.lists`);
    const countsIn = c.object(k.counts, `${field}.counts`);
    const lists = {} as KernelEntry['lists'];
    const counts = {} as KernelEntry['counts'];
    for (const kind of RECORD_KINDS) {
      lists[kind] = c.section(listsIn[kind], `${field}.lists.${kind}`);
      // A list entry is at least one byte.
      counts[kind] = c.count(countsIn[kind], `${field}.counts.${kind}`, Math.min(MAX_COUNT, lists[kind].raw), `entries its list's ${lists[kind].raw} bytes can hold`);
      c.entries(counts[kind]);
    }
    return { meta, counts, lists, misc: c.section(k.misc, `${field}.misc`) };
  });
}

/** The index sections of a header (string and prototype offsets, table indexes), checked. */
function checkIndexHeader(c: HeaderCheck, value: unknown, strings: SectionRef, protos: SectionRef): NonNullable<AtlasHeader['index']> {
  const x = c.object(value, 'index');
  const index: NonNullable<AtlasHeader['index']> = { tables: {} };
  for (const [key, of] of [['strings', strings], ['protos', protos]] as const) {
    if (x[key] === undefined) continue;
    const ref = c.section(x[key], `index.${key}`);
    // n strings need n - 1 separators; a prototype record is at least one byte.
    const count = c.count(c.object(x[key], `index.${key}`).count, `index.${key}.count`, Math.min(MAX_COUNT, of.raw + 1), `its table's ${of.raw} bytes can hold`);
    c.entries(count);
    index[key] = { ...ref, count };
  }
  const xt = c.object(x.tables, 'index.tables');
  for (const kind of RECORD_KINDS) if (xt[kind] !== undefined) index.tables[kind] = c.section(xt[kind], `index.tables.${kind}`);
  return index;
}

/** The per-kernel types sections of a header, checked and set on the kernel entries. */
function checkKernelTypes(c: HeaderCheck, kernelsIn: unknown[], header: AtlasHeader, kernels: KernelEntry[]): void {
  kernelsIn.forEach((v: unknown, i: number) => {
    const k = v as Record<string, unknown>;
    if (k.types === undefined) return;
    const field = `kernels[${i}].types`;
    if (!header.types) c.fail(field, 'is given, but the file has no types sections');
    const t = c.object(k.types, field);
    const lists = c.section(t.lists, `${field}.lists`);
    const countsIn = c.object(t.counts, `${field}.counts`);
    const counts = {} as Record<TypeKind, number>;
    for (const kind of TYPE_KINDS) {
      // A list entry is at least one byte.
      counts[kind] = c.count(countsIn[kind], `${field}.counts.${kind}`, Math.min(MAX_COUNT, lists.raw), `entries its list's ${lists.raw} bytes can hold`);
      c.entries(counts[kind]);
    }
    kernels[i].types = { counts, lists };
  });
}

/** The header of a file, checked; throws AtlasFileError naming the file and the field. */
function validateHeader(file: string, value: unknown, version: number, dataBytes: number): AtlasHeader {
  const c: HeaderCheck = new HeaderCheck(file, dataBytes);
  const h = c.object(value, 'header');
  // The prefix's version is the one that counts; the header repeats it.
  if (h.format !== undefined) c.count(h.format, 'format', ATLAS_FORMAT_VERSION, '(the newest format version)');
  if (h.generator !== undefined) c.text(h.generator, 'generator');
  if (h.compression !== 'br') c.fail('compression', `is ${JSON.stringify(h.compression)}, expected "br" (Brotli)`);
  const strings = c.section(h.strings, 'strings');
  const protos = c.section(h.protos, 'protos');
  const tablesIn = c.object(h.tables, 'tables');
  const tables = {} as AtlasHeader['tables'];
  for (const kind of RECORD_KINDS) {
    const ref = c.section(tablesIn[kind], `tables.${kind}`);
    // A record is at least one byte.
    const count = c.count(c.object(tablesIn[kind], `tables.${kind}`).count, `tables.${kind}.count`, Math.min(MAX_COUNT, ref.raw), `records its ${ref.raw} bytes can hold`);
    c.entries(count);
    tables[kind] = { ...ref, count };
  }
  const kernelsIn = h.kernels;
  if (!Array.isArray(kernelsIn)) c.fail('kernels', kernelsIn === undefined ? 'is missing' : 'is not a list');
  const kernels = checkKernelEntries(c, kernelsIn);
  const header: AtlasHeader = { format: version, generator: (h.generator as string | undefined) ?? '', compression: 'br', strings, protos, tables, kernels };
  if (h.systems !== undefined) {
    const systems = c.object(h.systems, 'systems');
    for (const [name, system] of Object.entries(systems)) {
      c.text(name, 'systems (an event name)');
      c.text(system, `systems.${name}`);
    }
    header.systems = systems as Record<string, string>;
  }
  if (h.index !== undefined) header.index = checkIndexHeader(c, h.index, strings, protos);
  if (h.types !== undefined) header.types = checkTypesHeader(c, h.types);
  checkKernelTypes(c, kernelsIn, header, kernels);
  return header;
}

/** The types sections of a header, checked like the rest. */
function checkTypesHeader(c: HeaderCheck, value: unknown): TypesHeader {
  const t = c.object(value, 'types');
  const strings = c.section(t.strings, 'types.strings');
  // n strings need n - 1 separators.
  const count = c.count(c.object(t.strings, 'types.strings').count, 'types.strings.count', Math.min(MAX_COUNT, strings.raw + 1), `its table's ${strings.raw} bytes can hold`);
  c.entries(count);
  const tablesIn = c.object(t.tables, 'types.tables');
  const tables = {} as TypesHeader['tables'];
  for (const kind of TYPE_KINDS) {
    const ref = c.section(tablesIn[kind], `types.tables.${kind}`);
    const n = c.count(c.object(tablesIn[kind], `types.tables.${kind}`).count, `types.tables.${kind}.count`, Math.min(MAX_COUNT, ref.raw), `records its ${ref.raw} bytes can hold`);
    c.entries(n);
    tables[kind] = { ...ref, count: n };
  }
  const indexIn = c.object(t.index, 'types.index');
  const index: TypesHeader['index'] = {};
  if (indexIn.strings !== undefined) index.strings = c.section(indexIn.strings, 'types.index.strings');
  for (const kind of TYPE_KINDS) if (indexIn[kind] !== undefined) index[kind] = c.section(indexIn[kind], `types.index.${kind}`);
  return { strings: { ...strings, count }, tables, index };
}

type Skipper = (r: ByteReader) => void;

/** Where each record of a table starts; for functions also each record's name string id. */
interface RecordIndex {
  buf: Uint8Array;
  count: number;
  offset(record: number): number;
  nameIds?: Uint32Array;
}

/** A RecordIndex over offsets found by scanning (format 1 files). */
function scannedIndex(buf: Uint8Array, offsets: Uint32Array, nameIds?: Uint32Array): RecordIndex {
  return { buf, count: offsets.length, offset: (i) => offsets[i], nameIds };
}

/** The u32 array at `at` of a little-endian section, in place when aligned. */
function u32s(bytes: Uint8Array, at: number, n: number): Uint32Array {
  const start = bytes.byteOffset + at;
  if (start % 4 === 0) return new Uint32Array(bytes.buffer, start, n);
  return new Uint32Array(Uint8Array.prototype.slice.call(bytes, at, at + 4 * n).buffer);
}

function u16s(bytes: Uint8Array, at: number, n: number): Uint16Array {
  const start = bytes.byteOffset + at;
  if (start % 2 === 0) return new Uint16Array(bytes.buffer, start, n);
  return new Uint16Array(Uint8Array.prototype.slice.call(bytes, at, at + 2 * n).buffer);
}

/** A table's index section (format 2), used in place after one pass that checks the lengths
 *  tile the table and agree with the block offsets. */
function recordsFromIndex(buf: Uint8Array, index: Uint8Array, count: number): RecordIndex {
  const blocks = Math.ceil(count / INDEX_BLOCK);
  if (index.length !== 4 * count + 4 * blocks + 2 * count) throw new ByteFormatError(`index of ${index.length} bytes for ${count} records`);
  const nameIds = u32s(index, 0, count);
  const blockOffsets = u32s(index, 4 * count, blocks);
  const lengths = u16s(index, 4 * count + 4 * blocks, count);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    if ((i & (INDEX_BLOCK - 1)) === 0 && blockOffsets[i / INDEX_BLOCK] !== pos) throw new ByteFormatError(`index block ${i / INDEX_BLOCK} is misplaced`);
    pos += lengths[i];
  }
  if (pos !== buf.length) throw new ByteFormatError('index does not cover its table');
  return {
    buf,
    count,
    nameIds,
    offset(i: number): number {
      let off = blockOffsets[i >>> 6];
      for (let j = i & ~(INDEX_BLOCK - 1); j < i; j++) off += lengths[j];
      return off;
    },
  };
}

/** Offsets of consecutive records; count -1 means "until the end". */
function indexRecords(buf: Uint8Array, count: number, skip: Skipper): RecordIndex {
  const r = new ByteReader(buf);
  if (count >= 0) {
    const out = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      out[i] = r.pos;
      skip(r);
    }
    if (!r.done) throw new ByteFormatError(`table holds more than its ${count} records`);
    return scannedIndex(buf, out);
  }
  const out: number[] = [];
  while (!r.done) {
    out.push(r.pos);
    skip(r);
  }
  return scannedIndex(buf, Uint32Array.from(out));
}

/** The function table is the one scanned at every load (hundreds of thousands of records):
 *  a tight loop with inline varints and no allocation, equivalent to SKIPPERS.fn. */
function indexFnRecords(buf: Uint8Array, count: number): RecordIndex {
  const offsets = new Uint32Array(count);
  const nameIds = new Uint32Array(count);
  const end = buf.length;
  let pos = 0;
  const next = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (pos >= end) throw new ByteFormatError('data ends inside a number');
      const b = buf[pos++];
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
      if (scale > 2 ** 56) throw new ByteFormatError('number longer than 8 bytes');
    }
  };
  for (let i = 0; i < count; i++) {
    offsets[i] = pos;
    nameIds[i] = next();
    const flags = next();
    if (flags & FN_PROTO) next();
    if (flags & FN_SITES) next();
    for (let n = next(); n > 0; n--) next();
    if (flags & FN_MODULE) next();
    if (flags & FN_INLINED_INTO) for (let n = next(); n > 0; n--) next();
  }
  if (pos !== end) throw new ByteFormatError(`table holds more than its ${count} records`);
  return scannedIndex(buf, offsets, nameIds);
}

/** A kernel's record numbers (ascending): the member at a position, and how many are below a
 *  record number. */
export interface RecordSet {
  readonly size: number;
  at(i: number): number;
  rank(record: number): number;
}

/** Words of a RecordBitmap per rank entry. */
const RANK_WORDS = 8;

function popcount(w: number): number {
  w -= (w >>> 1) & 0x55555555;
  w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
  return (((w + (w >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** A kernel's function records as one bit per record of the file's table, with the count of
 *  members before every RANK_WORDS-th word: ~0.14 bytes per record of the file where the list
 *  took 4 per function of the kernel (30 targets held 9 MB of lists, ~1 MB as bitmaps). */
class RecordBitmap implements RecordSet {
  private readonly words: Uint32Array;
  private readonly ranks: Uint32Array;
  readonly size: number;

  constructor(ids: Uint32Array, records: number) {
    this.words = new Uint32Array(Math.ceil(records / 32));
    for (const r of ids) this.words[r >>> 5] |= 1 << (r & 31);
    this.ranks = new Uint32Array(Math.ceil(this.words.length / RANK_WORDS) + 1);
    let count = 0;
    for (let w = 0; w < this.words.length; w++) {
      if (w % RANK_WORDS === 0) this.ranks[w / RANK_WORDS] = count;
      count += popcount(this.words[w]);
    }
    this.ranks[this.ranks.length - 1] = count;
    this.size = count;
  }

  at(i: number): number {
    if (!(i >= 0 && i < this.size)) return NaN;
    const ranks = this.ranks;
    // The last block whose members before it are at most i.
    let lo = 0;
    let hi = ranks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (ranks[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    let left = i - ranks[lo];
    for (let w = lo * RANK_WORDS; ; w++) {
      let word = this.words[w];
      const c = popcount(word);
      if (left < c) {
        for (; left > 0; left--) word &= word - 1;
        return w * 32 + 31 - Math.clz32(word & -word);
      }
      left -= c;
    }
  }

  rank(record: number): number {
    if (record <= 0) return 0;
    const end = Math.min(record, this.words.length * 32);
    const w = end >>> 5;
    const block = Math.floor(w / RANK_WORDS);
    let count = this.ranks[block];
    for (let k = block * RANK_WORDS; k < w; k++) count += popcount(this.words[k]);
    const bits = end & 31;
    if (bits) count += popcount(this.words[w] & ((1 << bits) - 1));
    return count;
  }
}

/** A plain list, for a kernel that lists a record twice (a bitmap holds each once). */
class RecordList implements RecordSet {
  constructor(private readonly ids: Uint32Array) {}
  get size(): number {
    return this.ids.length;
  }
  at(i: number): number {
    return this.ids[i];
  }
  rank(record: number): number {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids[mid] < record) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The record set of an ascending list: a bitmap, unless a record repeats or the list is small
 *  beside the file's table (a bitmap costs 1/8 byte per record of the table). */
export function recordSet(ids: Uint32Array, records: number): RecordSet {
  for (let k = 1; k < ids.length; k++) if (ids[k] === ids[k - 1]) return new RecordList(ids);
  return ids.length * 4 > records / 6 ? new RecordBitmap(ids, records) : new RecordList(ids);
}

/** A kernel's list of record numbers (ascending, delta-coded varints): a tight loop, since the
 *  function list of a kernel with modules has 300k entries and is decoded at every load. */
function decodeIdList(raw: Uint8Array, count: number, records: number): Uint32Array {
  const out = new Uint32Array(count);
  const end = raw.length;
  let pos = 0;
  let prev = 0;
  for (let i = 0; i < count; i++) {
    let delta = 0;
    let scale = 1;
    for (;;) {
      if (pos >= end) throw new ByteFormatError('data ends inside a number');
      const b = raw[pos++];
      delta += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
      if (scale > 2 ** 28) throw new ByteFormatError('record number too large');
    }
    prev += delta;
    if (prev >= records) throw new ByteFormatError(`record ${prev} out of range`);
    out[i] = prev;
  }
  // A count that undercounts its list would silently hide records ("not found").
  if (pos !== end) throw new ByteFormatError(`list holds more than its ${count} entries`);
  return out;
}

function skipN(r: ByteReader, n: number): void {
  for (let i = 0; i < n; i++) r.uint();
}

function skipProto(r: ByteReader): void {
  r.uint();
  r.uint();
  skipN(r, r.uint() * 2);
}

const SKIPPERS: Record<RecordKind, Skipper> = {
  fn(r) {
    r.uint();
    const flags = r.uint();
    if (flags & FN_PROTO) r.uint();
    if (flags & FN_SITES) r.uint();
    skipN(r, r.uint());
    if (flags & FN_MODULE) r.uint();
    if (flags & FN_INLINED_INTO) skipN(r, r.uint());
  },
  tp(r) {
    r.uint();
    const flags = r.uint();
    if (flags & TP_SYSTEM) r.uint();
    if (flags & TP_TEMPLATE) r.uint();
    if (flags & TP_FIELDS) skipN(r, r.uint() * 5);
    if (flags & TP_ARGS) skipN(r, r.uint() * 2);
    if (flags & TP_FMT) r.uint();
    if (flags & TP_MODULE) r.uint();
  },
  sc(r) {
    r.uint();
    r.uint();
    skipN(r, r.uint() * 2);
  },
  lsm(r) {
    r.uint();
    r.uint();
  },
};

function readParams(r: ByteReader, str: (i: number) => string): Param[] {
  const n = r.uint();
  const out: Param[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = { name: str(r.uint()), type: str(r.uint()) };
  return out;
}

function decodeFn(r: ByteReader, str: (i: number) => string, proto: (i: number) => Proto): FunctionFacts {
  const name = str(r.uint());
  const flags = r.uint();
  const f: FunctionFacts = {
    name,
    symbols: [],
    inBtf: triValue((flags >> 2) & 3),
    inline: INLINE_CODES[flags & 3],
    ftrace: triValue((flags >> 4) & 3),
    kprobeBlacklisted: triValue((flags >> 6) & 3),
  };
  if (flags & FN_PROTO) {
    const id = r.uint();
    // An own enumerable property (round trips, spreads and deepEqual see it) that decodes on
    // first read and then becomes a plain value.
    const settle = (value: Proto): Proto => {
      Object.defineProperty(f, 'proto', { value, writable: true, enumerable: true, configurable: true });
      return value;
    };
    Object.defineProperty(f, 'proto', { get: () => settle(proto(id)), set: settle, enumerable: true, configurable: true });
  }
  if (flags & FN_SITES) f.inlinedSites = r.uint();
  const nsym = r.uint();
  for (let i = 0; i < nsym; i++) {
    const s = r.uint();
    f.symbols.push(s === 0 ? name : str(s - 1));
  }
  if (flags & FN_MODULE) f.module = str(r.uint());
  if (flags & FN_INLINED_INTO) f.inlinedInto = Array.from({ length: r.uint() }, () => str(r.uint()));
  if (flags & FN_INIT_ONLY) f.initOnly = true;
  if (flags & FN_NO_DATA) f.noData = true;
  if (flags & FN_EXIT_ONLY) f.exitOnly = true;
  return f;
}

function decodeSc(r: ByteReader, str: (i: number) => string): SyscallFacts {
  return { name: str(r.uint()), ...optNr(r.uint()), args: readParams(r, str) };
}

function decodeLsm(r: ByteReader, str: (i: number) => string, proto: (i: number) => Proto): LsmHookFacts {
  const name = str(r.uint());
  const p = r.uint();
  return p ? { name, proto: proto(p - 1) } : { name };
}

function decodeProto(r: ByteReader, str: (i: number) => string): Proto {
  const ret = str(r.uint());
  const variadic = r.uint() === 1;
  const p: Proto = { ret, params: readParams(r, str) };
  if (variadic) p.variadic = true;
  return p;
}

/** A tracepoint record's head: its name, whether it is an event, its system; undefined for a
 *  module's tracepoint (the module is written last: the whole record says it). */
function decodeTpHead(r: ByteReader, str: (i: number) => string): TracepointHead | undefined {
  const nameId = r.uint();
  const flags = r.uint();
  if (flags & TP_MODULE) return undefined;
  const t: TracepointHead = { name: str(nameId), event: tpEvent(flags) };
  if (flags & TP_SYSTEM) t.system = str(r.uint());
  return t;
}

const tpEvent = (flags: number): boolean | null => (flags & TP_EVENT ? true : flags & TP_EVENT_UNKNOWN ? null : false);

function decodeTp(r: ByteReader, str: (i: number) => string): TracepointFacts {
  const name = str(r.uint());
  const flags = r.uint();
  const t: TracepointFacts = { name, event: tpEvent(flags), btf: triValue((flags >> 7) & 3) };
  if (flags & TP_SYSTEM) t.system = str(r.uint());
  if (flags & TP_TEMPLATE) t.template = str(r.uint());
  if (flags & TP_FIELDS) {
    const n = r.uint();
    t.fields = [];
    for (let i = 0; i < n; i++) {
      const field: TraceField = { name: str(r.uint()), type: str(r.uint()) };
      const off = r.uint();
      const size = r.uint();
      const signed = triValue(r.uint());
      if (off) field.offset = off - 1;
      if (size) field.size = size - 1;
      if (signed !== null) field.signed = signed;
      t.fields.push(field);
    }
  }
  if (flags & TP_ARGS) t.args = readParams(r, str);
  if (flags & TP_FMT) t.fmt = str(r.uint());
  if (flags & TP_MODULE) t.module = str(r.uint());
  return t;
}

/** Copy a single-kernel atlas file with its kernel's metadata changed (a new id, source, ...):
 *  the sections are copied as they are, only the header is rewritten (atomically, like
 *  writeAtlasFile). Throws AtlasFileError when `src`'s header is not that of a single-kernel
 *  atlas; load the copy to check its sections. */
export function copyKernelAtlasFile(src: string, dest: string, meta: Partial<KernelMeta>): number {
  const kernels = AtlasFile.open(src).kernels();
  if (kernels.length !== 1) throw new AtlasFileError(src, `holds ${kernels.length} kernels, expected one`);
  // The sections are copied unread: the caller loads the copy (checking every section) once.
  const bytes = fs.readFileSync(src);
  const headerLen = bytes.readUInt32LE(12);
  const header = JSON.parse(bytes.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + headerLen)) as AtlasHeader;
  header.kernels[0].meta = { ...header.kernels[0].meta, ...meta };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.from(bytes.subarray(0, PREFIX_BYTES));
  prefix.writeUInt32LE(headerBytes.length, 12);
  const out = Buffer.concat([prefix, headerBytes, bytes.subarray(PREFIX_BYTES + headerLen)]);
  writeAtomically(dest, out);
  return out.length;
}

/** The suffix of a file being written: `${file}${TEMP_SUFFIX}${pid}`, renamed over `file` once
 *  complete. */
export const TEMP_SUFFIX = '.tmp-';

/** Write bytes to a file atomically: to a temporary file in the same folder, then renamed over
 *  it, so a concurrent reader opens either the previous file or the new one, never part of one.
 *  A failed write (a full disk) removes its temporary file. */
function writeAtomically(file: string, bytes: Uint8Array): void {
  const tmp = `${file}${TEMP_SUFFIX}${process.pid}`;
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Write kernels to a file (atomically: temp file then rename). */
export function writeAtlasFile(file: string, kernels: KernelFacts[], opts: EncodeOptions = {}): number {
  return writeAtlasBytes(file, encodeAtlas(kernels, opts));
}

/** Write an encoded atlas (AtlasWriter.encode) atomically: temp file then rename. */
export function writeAtlasBytes(file: string, bytes: Buffer): number {
  writeAtomically(file, bytes);
  return bytes.length;
}
