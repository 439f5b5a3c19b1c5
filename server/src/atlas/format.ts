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
// kernel has, plus its extra symbols and kfuncs. Listing kernels reads the header only; loading
// one kernel decompresses the shared tables plus that kernel's lists, and function records are
// turned into objects only when asked for.

import fs from 'node:fs';
import zlib from 'node:zlib';
import { ByteFormatError, ByteReader, ByteWriter } from './bytes';
import type {
  FunctionFacts, InlineStatus, KernelFacts, KernelMeta, LsmHookFacts, Param, Proto, SyscallFacts,
  TraceField, TracepointFacts,
} from './model';

export const ATLAS_MAGIC = 'BPFATLAS';
export const ATLAS_FORMAT_VERSION = 1;
const PREFIX_BYTES = 16;
/** Header lengths beyond this are corruption, not a real atlas. */
const MAX_HEADER_BYTES = 64 << 20;

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
  crc: number;
}

type RecordKind = 'fn' | 'tp' | 'sc' | 'lsm';
const RECORD_KINDS: RecordKind[] = ['fn', 'tp', 'sc', 'lsm'];

interface KernelEntry {
  meta: KernelMeta;
  /** Number of records of each kind in the kernel. */
  counts: Record<RecordKind, number>;
  lists: Record<RecordKind, SectionRef>;
  misc: SectionRef;
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
}

export interface EncodeOptions {
  /** Brotli quality 0-11: 11 for bundles (smallest), lower for quick user files. Default 11. */
  quality?: number;
  generator?: string;
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

const TP_SYSTEM = 1;
const TP_TEMPLATE = 2;
const TP_FIELDS = 4;
const TP_ARGS = 8;
const TP_FMT = 16;
const TP_EVENT = 32;
const TP_MODULE = 64;
// bits 7-8: btf tri-state

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

/** Deduplicating table of encoded records: identical bytes get one number. */
class RecordTable {
  readonly out = new ByteWriter(1 << 16);
  private readonly ids = new Map<string, number>();
  count = 0;
  add(bytes: Uint8Array): number {
    const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.count++;
      this.ids.set(key, id);
      this.out.bytes(bytes);
    }
    return id;
  }
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
    return this.tables.fn.add(w.view());
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
    return this.tables.tp.add(w.view());
  }

  sc(s: SyscallFacts): number {
    const w = this.scratch;
    w.reset();
    w.uint(this.str(s.name));
    w.uint(s.nr === undefined ? 0 : s.nr + 1);
    this.params(w, s.args);
    return this.tables.sc.add(w.view());
  }

  lsm(h: LsmHookFacts): number {
    const protoId = h.proto ? this.proto(h.proto) : -1;
    const w = this.scratch;
    w.reset();
    w.uint(this.str(h.name));
    w.uint(protoId + 1);
    return this.tables.lsm.add(w.view());
  }
}

function compress(raw: Uint8Array, quality: number): { data: Buffer; raw: number; crc: number } {
  const data = zlib.brotliCompressSync(raw, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: quality,
      [zlib.constants.BROTLI_PARAM_LGWIN]: 24,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  return { data, raw: raw.length, crc: zlib.crc32(data) };
}

function sortedIdList(ids: number[]): Uint8Array {
  const sorted = Int32Array.from(ids).sort();
  const w = new ByteWriter(sorted.length * 2 + 8);
  let prev = 0;
  for (const id of sorted) {
    w.uint(id - prev);
    prev = id;
  }
  return w.take();
}

function byKey<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

/** Encode kernels into one atlas file (bytes). Records are numbered in name order across all
 *  kernels, so each kernel's list of record numbers is ascending and delta-codes to small numbers. */
export function encodeAtlas(kernels: KernelFacts[], opts: EncodeOptions = {}): Buffer {
  const quality = opts.quality ?? 11;
  const ids = new Set<string>();
  for (const k of kernels) {
    if (ids.has(k.meta.id)) throw new Error(`atlas encoder: kernel id ${k.meta.id} given twice`);
    ids.add(k.meta.id);
  }
  const enc = new Encoder();
  const lists: Record<RecordKind, number[]>[] = kernels.map(() => ({ fn: [], tp: [], sc: [], lsm: [] }));

  // Visit every record kind in name order across kernels so record numbers follow names.
  const visit = <T>(kind: RecordKind, get: (k: KernelFacts) => T[], key: (t: T) => string, add: (t: T) => number) => {
    const all: { k: number; item: T }[] = [];
    kernels.forEach((kf, k) => { for (const item of get(kf)) all.push({ k, item }); });
    const groups = byKey(all, (e) => key(e.item));
    const names = [...groups.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      for (const e of groups.get(name)!) lists[e.k][kind].push(add(e.item));
    }
  };
  visit('fn', (k) => k.functions, (f) => f.name, (f) => enc.fn(f));
  visit('tp', (k) => k.tracepoints, (t) => `${t.name}\0${t.system ?? ''}`, (t) => enc.tp(t));
  visit('sc', (k) => k.syscalls, (s) => s.name, (s) => enc.sc(s));
  visit('lsm', (k) => k.lsmHooks, (h) => h.name, (h) => enc.lsm(h));

  const miscs = kernels.map((kf) => {
    const w = new ByteWriter();
    for (const list of [kf.extraSymbols ?? [], kf.kfuncs ?? []]) {
      w.uint(list.length);
      for (const s of list) w.uint(enc.str(s));
    }
    return w.take();
  });

  const chunks: Buffer[] = [];
  let offset = 0;
  const section = (raw: Uint8Array): SectionRef => {
    const c = compress(raw, quality);
    const ref = { off: offset, len: c.data.length, raw: c.raw, crc: c.crc };
    chunks.push(c.data);
    offset += c.data.length;
    return ref;
  };

  const stringBytes = Buffer.from(enc.strings.list.join('\0'), 'utf8');
  const header: AtlasHeader = {
    format: ATLAS_FORMAT_VERSION,
    generator: opts.generator ?? 'bpf-atlas',
    compression: 'br',
    strings: section(stringBytes),
    protos: section(enc.protos.out.view()),
    tables: {} as AtlasHeader['tables'],
    kernels: [],
  };
  for (const kind of RECORD_KINDS) {
    header.tables[kind] = { ...section(enc.tables[kind].out.view()), count: enc.tables[kind].count };
  }
  kernels.forEach((kf, k) => {
    const entry: KernelEntry = {
      meta: kf.meta,
      counts: { fn: lists[k].fn.length, tp: lists[k].tp.length, sc: lists[k].sc.length, lsm: lists[k].lsm.length },
      lists: {} as KernelEntry['lists'],
      misc: section(miscs[k]),
    };
    for (const kind of RECORD_KINDS) entry.lists[kind] = section(sortedIdList(lists[k][kind]));
    header.kernels.push(entry);
  });

  const systems: Record<string, string> = {};
  for (const kf of kernels) for (const t of kf.tracepoints) if (t.system && t.event) systems[t.name] = t.system;
  header.systems = systems;
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  prefix.write(ATLAS_MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(ATLAS_FORMAT_VERSION, 8);
  prefix.writeUInt32LE(headerBytes.length, 12);
  return Buffer.concat([prefix, headerBytes, ...chunks]);
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
  /** All function names, in name order (built on first use). */
  readonly functionNames: readonly string[];
  /** Decode the function at a position of functionNames. */
  functionAt(i: number): FunctionFacts;
  readonly tracepoints: readonly TracepointFacts[];
  readonly syscalls: readonly SyscallFacts[];
  readonly lsmHooks: readonly LsmHookFacts[];
  readonly extraSymbols: readonly string[];
  readonly kfuncs: readonly string[];
}

/** KernelData over facts already in memory (live kernel, freshly indexed files). */
export function kernelDataFromFacts(facts: KernelFacts): KernelData {
  const fns = [...facts.functions].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    meta: facts.meta,
    functionCount: fns.length,
    nameAt: (i) => fns[i].name,
    functionNames: fns.map((f) => f.name),
    functionAt: (i) => fns[i],
    tracepoints: facts.tracepoints,
    syscalls: facts.syscalls,
    lsmHooks: facts.lsmHooks,
    extraSymbols: facts.extraSymbols ?? [],
    kfuncs: facts.kfuncs ?? [],
  };
}

function isSectionRef(v: unknown): v is SectionRef {
  const s = v as SectionRef;
  return !!s && typeof s === 'object' && [s.off, s.len, s.raw, s.crc].every((n) => Number.isInteger(n) && n >= 0);
}

/** An opened atlas file: the header is read at open, everything else on demand. */
export class AtlasFile {
  private readonly header: AtlasHeader;
  private readonly dataStart: number;
  private readonly fileSize: number;
  private stringsCache?: LazyStrings;
  private protoTable?: RecordIndex;
  private readonly tableCache = new Map<RecordKind, RecordIndex>();

  private constructor(readonly path: string, header: AtlasHeader, dataStart: number, fileSize: number) {
    this.header = header;
    this.dataStart = dataStart;
    this.fileSize = fileSize;
  }

  /** Open a file and validate its header; throws AtlasFileError naming the file. */
  static open(file: string): AtlasFile {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new AtlasFileError(file, code === 'ENOENT' ? 'no such atlas file' : code === 'EISDIR' ? 'is a directory, expected an atlas file' : `cannot read: ${(e as Error).message}`);
    }
    try {
      const stat = fs.fstatSync(fd);
      if (stat.isDirectory()) throw new AtlasFileError(file, 'is a directory, expected an atlas file');
      const size = stat.size;
      const prefix = Buffer.alloc(PREFIX_BYTES);
      const got = fs.readSync(fd, prefix, 0, PREFIX_BYTES, 0);
      if (got < 8 || prefix.toString('latin1', 0, 8) !== ATLAS_MAGIC) {
        throw new AtlasFileError(file, `not a bpf-atlas atlas file (no "${ATLAS_MAGIC}" signature); build one with \`bpf-atlas index --live -o FILE\``);
      }
      if (got < PREFIX_BYTES) throw new AtlasFileError(file, `truncated atlas file (${size} bytes); ${REBUILD_HINT}`);
      const version = prefix.readUInt32LE(8);
      if (version !== ATLAS_FORMAT_VERSION) {
        throw new AtlasFileError(file, `atlas format version ${version}, but this bpf-atlas reads version ${ATLAS_FORMAT_VERSION}; ${version < ATLAS_FORMAT_VERSION ? REBUILD_HINT : 'update bpf-atlas or rebuild the file with this version'}`);
      }
      const headerLen = prefix.readUInt32LE(12);
      if (headerLen > MAX_HEADER_BYTES || PREFIX_BYTES + headerLen > size) {
        throw new AtlasFileError(file, `truncated or corrupt atlas file (header of ${headerLen} bytes, file of ${size}); ${REBUILD_HINT}`);
      }
      const headerBytes = Buffer.alloc(headerLen);
      fs.readSync(fd, headerBytes, 0, headerLen, PREFIX_BYTES);
      let header: AtlasHeader;
      try {
        header = JSON.parse(headerBytes.toString('utf8')) as AtlasHeader;
      } catch {
        throw new AtlasFileError(file, `corrupt atlas header (not valid JSON); ${REBUILD_HINT}`);
      }
      const dataStart = PREFIX_BYTES + headerLen;
      validateHeader(file, header, size - dataStart);
      return new AtlasFile(file, header, dataStart, size);
    } finally {
      fs.closeSync(fd);
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
    const data = Buffer.alloc(ref.len);
    let fd: number;
    try {
      fd = fs.openSync(this.path, 'r');
    } catch (e) {
      throw new AtlasFileError(this.path, `cannot read: ${(e as Error).message}`);
    }
    try {
      const got = fs.readSync(fd, data, 0, ref.len, this.dataStart + ref.off);
      if (got !== ref.len) throw new AtlasFileError(this.path, `truncated atlas file (${what}); ${REBUILD_HINT}`);
    } finally {
      fs.closeSync(fd);
    }
    if (zlib.crc32(data) !== ref.crc) {
      throw new AtlasFileError(this.path, `corrupt atlas file (checksum mismatch in ${what}); ${REBUILD_HINT}`);
    }
    return data;
  }

  /** A section read, checked and decompressed. */
  /** Sections decompressed ahead of use by prefetch(), by offset; taken (once) by section(). */
  private readonly prefetched = new Map<number, Buffer>();

  /** Decompress the big shared sections and a kernel's lists on libuv's thread pool, so that
   *  several kernels (and other start-up work) proceed in parallel; load() then finds them
   *  ready. Errors are left for load() to report. */
  async prefetch(id: string): Promise<void> {
    const entry = this.header.kernels.find((k) => k.meta.id === id);
    if (!entry) return;
    const refs: SectionRef[] = [entry.lists.fn];
    if (!this.stringsCache) refs.push(this.header.strings);
    if (!this.tableCache.has('fn')) refs.push(this.header.tables.fn);
    await Promise.all(refs.map((ref) => {
      let job = this.inflight.get(ref.off);
      if (!job) {
        job = (async () => {
          try {
            const data = this.readChecked(ref, 'section');
            const raw = await new Promise<Buffer>((resolve, reject) => {
              zlib.brotliDecompress(data, { chunkSize: Math.max(64 * 1024, ref.raw) }, (err, out) => (err ? reject(err) : resolve(out)));
            });
            if (raw.length === ref.raw) this.prefetched.set(ref.off, raw);
          } catch {
            /* load() reads the section again and reports the problem */
          }
        })();
        this.inflight.set(ref.off, job);
      }
      return job;
    }));
  }

  private readonly inflight = new Map<number, Promise<void>>();

  private section(ref: SectionRef, what: string): Uint8Array {
    const ready = this.prefetched.get(ref.off);
    if (ready) {
      this.prefetched.delete(ref.off);
      return ready;
    }
    const data = this.readChecked(ref, what);
    let raw: Buffer;
    try {
      raw = zlib.brotliDecompressSync(data, { chunkSize: Math.max(64 * 1024, ref.raw) });
    } catch {
      throw new AtlasFileError(this.path, `corrupt atlas file (${what} does not decompress); ${REBUILD_HINT}`);
    }
    if (raw.length !== ref.raw) throw new AtlasFileError(this.path, `corrupt atlas file (${what} has the wrong size); ${REBUILD_HINT}`);
    return raw;
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
    if (!this.stringsCache) {
      const raw = this.section(this.header.strings, 'string table');
      this.stringsCache = new LazyStrings(Buffer.from(raw.buffer, raw.byteOffset, raw.length));
    }
    return this.stringsCache;
  }

  private table(kind: RecordKind): RecordIndex {
    let t = this.tableCache.get(kind);
    if (!t) {
      const ref = this.header.tables[kind];
      const buf = this.section(ref, `${kind} records`);
      t = this.guard(`${kind} records`, () => (kind === 'fn' ? indexFnRecords(buf, ref.count) : indexRecords(buf, ref.count, SKIPPERS[kind])));
      this.tableCache.set(kind, t);
    }
    return t;
  }

  private protos(): RecordIndex {
    if (!this.protoTable) {
      const buf = this.section(this.header.protos, 'prototype table');
      this.protoTable = this.guard('prototype table', () => indexRecords(buf, -1, skipProto));
    }
    return this.protoTable;
  }

  /** Load one kernel by id. Every section the kernel can touch is checksummed now, so a bad
   *  file is refused at load; the function table and names are decoded now, prototypes,
   *  tracepoints, syscalls, LSM hooks and symbol lists on first use. */
  load(id: string): KernelData {
    const entry = this.header.kernels.find((k) => k.meta.id === id);
    if (!entry) throw new AtlasFileError(this.path, `has no kernel "${id}" (it has: ${this.header.kernels.map((k) => k.meta.id).join(', ')})`);
    const h = this.header;
    for (const [ref, what] of [
      [h.strings, 'string table'], [h.protos, 'prototype table'], ...RECORD_KINDS.map((k) => [h.tables[k], `${k} records`]),
      ...RECORD_KINDS.map((k) => [entry.lists[k], `${id} ${k} list`]), [entry.misc, `${id} symbols`],
    ] as [SectionRef, string][]) this.verify(ref, what);

    const strings = this.strings();
    const str = (i: number): string => {
      const s = strings.get(i);
      if (s === undefined) throw new ByteFormatError(`string ${i} out of range`);
      return s;
    };
    const list = (kind: RecordKind): Uint32Array => {
      const raw = this.section(entry.lists[kind], `${id} ${kind} list`);
      return this.guard(`${id} ${kind} list`, () => {
        const out = new Uint32Array(entry.counts[kind]);
        const r = new ByteReader(raw);
        let prev = 0;
        for (let i = 0; i < out.length; i++) {
          prev += r.uint();
          if (prev >= this.header.tables[kind].count) throw new ByteFormatError(`record ${prev} out of range`);
          out[i] = prev;
        }
        return out;
      });
    };
    const proto = (i: number): Proto => {
      const protoTable = this.protos();
      if (i >= protoTable.offsets.length) throw new ByteFormatError(`prototype ${i} out of range`);
      const r = new ByteReader(protoTable.buf, protoTable.offsets[i]);
      const ret = str(r.uint());
      const variadic = r.uint() === 1;
      const p: Proto = { ret, params: readParams(r, str) };
      if (variadic) p.variadic = true;
      return p;
    };

    const fnTable = this.table('fn');
    const fnIds = list('fn');
    const nameIds = fnTable.nameIds!;
    const nameAt = (i: number): string => {
      const s = strings.get(nameIds[fnIds[i]]);
      if (s === undefined) throw new AtlasFileError(this.path, `corrupt atlas file (${id} function name out of range); ${REBUILD_HINT}`);
      return s;
    };
    const functionAt = (i: number): FunctionFacts => this.guard(`${id} function ${nameAt(i)}`, () => decodeFn(new ByteReader(fnTable.buf, fnTable.offsets[fnIds[i]]), str, proto));
    const decodeAll = <T>(kind: RecordKind, decode: (r: ByteReader) => T): T[] => {
      const table = this.table(kind);
      const ids = list(kind);
      return this.guard(`${id} ${kind} records`, () => Array.from(ids, (rid) => decode(new ByteReader(table.buf, table.offsets[rid]))));
    };
    const misc = once(() => {
      const miscRaw = this.section(entry.misc, `${id} symbols`);
      return this.guard(`${id} symbols`, () => {
        const r = new ByteReader(miscRaw);
        const read = () => Array.from({ length: r.uint() }, () => str(r.uint()));
        return { extraSymbols: read(), kfuncs: read() };
      });
    });
    const names = once(() => Array.from({ length: fnIds.length }, (_, i) => nameAt(i)));
    const tracepoints = once(() => decodeAll('tp', (r) => decodeTp(r, str)));
    const syscalls = once(() => decodeAll('sc', (r) => ({ name: str(r.uint()), ...optNr(r.uint()), args: readParams(r, str) })));
    const lsmHooks = once(() => decodeAll('lsm', (r) => {
      const name = str(r.uint());
      const p = r.uint();
      return p ? { name, proto: proto(p - 1) } : { name };
    }));
    return {
      meta: entry.meta,
      functionCount: fnIds.length,
      nameAt,
      get functionNames() { return names(); },
      functionAt,
      get tracepoints() { return tracepoints(); },
      get syscalls() { return syscalls(); },
      get lsmHooks() { return lsmHooks(); },
      get extraSymbols() { return misc().extraSymbols; },
      get kfuncs() { return misc().kfuncs; },
    };
  }

  /** Event name → trace system over every kernel of the file (later kernels win), decoding
   *  only the string and tracepoint tables. */
  traceSystems(): Map<string, string> {
    if (this.header.systems && typeof this.header.systems === 'object') return new Map(Object.entries(this.header.systems));
    const strings = this.strings();
    const t = this.table('tp');
    const out = new Map<string, string>();
    this.guard('tp records', () => {
      for (let i = 0; i < t.offsets.length; i++) {
        const r = new ByteReader(t.buf, t.offsets[i]);
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
    return facts;
  }
}

/** The NUL-separated string table, decoded one string at a time on first use: a kernel load
 *  touches only its own names, and kernels of the same file share the decoded strings. */
class LazyStrings {
  private readonly starts: Uint32Array;
  private readonly decoded: (string | undefined)[];

  constructor(private readonly raw: Buffer) {
    const starts: number[] = raw.length ? [0] : [];
    for (let p = raw.indexOf(0); p >= 0; p = raw.indexOf(0, p + 1)) starts.push(p + 1);
    if (raw.length) starts.push(raw.length + 1);
    this.starts = Uint32Array.from(starts);
    this.decoded = new Array(Math.max(0, this.starts.length - 1));
  }

  get count(): number {
    return this.decoded.length;
  }

  get(i: number): string | undefined {
    if (!(i >= 0 && i < this.decoded.length)) return undefined;
    let s = this.decoded[i];
    if (s === undefined) {
      s = this.raw.toString('utf8', this.starts[i], this.starts[i + 1] - 1);
      this.decoded[i] = s;
    }
    return s;
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

function validateHeader(file: string, h: AtlasHeader, dataBytes: number): void {
  const bad = (what: string) => new AtlasFileError(file, `corrupt atlas header (${what}); ${REBUILD_HINT}`);
  if (!h || typeof h !== 'object' || !Array.isArray(h.kernels)) throw bad('no kernel list');
  if (h.compression !== 'br') throw bad(`unknown compression ${String(h.compression)}`);
  const refs: SectionRef[] = [h.strings, h.protos];
  for (const kind of RECORD_KINDS) {
    const t = h.tables?.[kind];
    if (!isSectionRef(t) || !Number.isInteger(t.count)) throw bad(`no ${kind} table`);
    refs.push(t);
  }
  for (const k of h.kernels) {
    if (!k?.meta || typeof k.meta.id !== 'string' || !k.lists || !k.counts) throw bad('a kernel entry has no id or lists');
    refs.push(k.misc, ...RECORD_KINDS.map((kind) => k.lists[kind]));
  }
  for (const r of refs) {
    if (!isSectionRef(r)) throw bad('a section reference is malformed');
    if (r.off + r.len > dataBytes) {
      throw new AtlasFileError(file, `truncated atlas file (${dataBytes} data bytes, a section needs ${r.off + r.len}); ${REBUILD_HINT}`);
    }
  }
}

type Skipper = (r: ByteReader) => void;

/** Where each record of a table starts; for functions also each record's name string id. */
interface RecordIndex {
  buf: Uint8Array;
  offsets: Uint32Array;
  nameIds?: Uint32Array;
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
    return { buf, offsets: out };
  }
  const out: number[] = [];
  while (!r.done) {
    out.push(r.pos);
    skip(r);
  }
  return { buf, offsets: Uint32Array.from(out) };
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
  return { buf, offsets, nameIds };
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
  if (flags & FN_PROTO) f.proto = proto(r.uint());
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
  return f;
}

function decodeTp(r: ByteReader, str: (i: number) => string): TracepointFacts {
  const name = str(r.uint());
  const flags = r.uint();
  const t: TracepointFacts = { name, event: (flags & TP_EVENT) !== 0, btf: triValue((flags >> 7) & 3) };
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

/** Write kernels to a file (atomically: temp file then rename). */
export function writeAtlasFile(file: string, kernels: KernelFacts[], opts: EncodeOptions = {}): number {
  const bytes = encodeAtlas(kernels, opts);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
  return bytes.length;
}
