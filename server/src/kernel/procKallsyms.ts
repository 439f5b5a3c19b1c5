// Text symbol tables: /proc/kallsyms and System.map (`addr type name [module]`). It owns that line
// format and the naming rules every symbol source shares: compiler suffixes (`.isra.0`,
// `.constprop.0`, `.part.0`, `.cold`, ...) map a symbol to its base function name, and the
// `__pfx_`/`__cfi_` padding labels are not functions. Addresses are BigInt; a non-root reader of
// /proc/kallsyms sees them all as zero, which is tolerated (names and types still count).

import { KernelDataError } from './errors';
import { FNV_OFFSET, FNV_PRIME, NameTable, hashBytes } from './nameTable';
import { baseName as symbolBaseName } from '../model/symbols';

export interface KernelSymbol {
  addr: bigint;
  /** nm-style type letter: T/t text, W/w weak, D/d data, R/r rodata, B/b bss, A absolute, ... */
  type: string;
  name: string;
  /** Loadable module (`[ext4]`), absent for vmlinux. */
  module?: string;
}

export interface KallsymsTable {
  symbols: KernelSymbol[];
  /** Every address is zero (kptr_restrict for a non-root reader): ranges cannot be used. */
  addressesZeroed: boolean;
}

const LINE = /^([0-9a-fA-F]+)\s+([A-Za-z?])\s+(\S+)(?:\s+\[([^\]\s]+)\])?\s*$/;

/**
 * Parse /proc/kallsyms or System.map text. Lines that do not have the `addr type name` shape
 * are errors (KernelDataError naming `file` and the line) unless they are blank; a text with no
 * symbol at all is an error too, so a wrong file is not taken for an empty kernel.
 */
export function parseKallsyms(text: string, file: string): KallsymsTable {
  if (text.length < 512 && text.includes('The real System.map is in')) {
    throw new KernelDataError(file, 'is the placeholder Debian ships, not a symbol table: the real System.map is in the linux-image-<version>-dbg package (or decode kallsyms from the image)');
  }
  const symbols: KernelSymbol[] = [];
  let nonZero = false;
  let bad = 0;
  let firstBad = '';
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    const line = text.slice(start, end);
    start = end + 1;
    if (line.trim() === '') continue;
    const m = LINE.exec(line);
    if (!m) {
      if (bad++ === 0) firstBad = `line ${lineNo}: ${JSON.stringify(line.slice(0, 100))}`;
      continue;
    }
    const addr = BigInt('0x' + m[1]);
    if (addr !== 0n) nonZero = true;
    const sym: KernelSymbol = { addr, type: m[2], name: m[3] };
    if (m[4]) sym.module = m[4];
    symbols.push(sym);
  }
  // A stray line in a real table is not worth failing for, but mostly-garbage text is not a table.
  if (symbols.length === 0 || bad > symbols.length / 100 + 10) {
    throw new KernelDataError(file, symbols.length === 0 && bad === 0
      ? 'no symbols (empty file)'
      : `not a kallsyms / System.map table: ${bad} malformed line(s), first at ${firstBad || 'start'}`);
  }
  return { symbols, addressesZeroed: !nonZero };
}

/** A code symbol by its type letter (t/T, and weak w/W, which kallsyms uses for weak functions). */
export function isTextType(type: string): boolean {
  return type === 't' || type === 'T' || type === 'w' || type === 'W';
}

/** A 64-bit kallsyms address as its high and low 32 bits. */
type Addr = [number, number];

/** The vmlinux text ranges (`_stext`.. `_etext`, `_sinittext`.. `_einittext`) read from kallsyms. */
export interface TextRanges {
  stext: Addr;
  etext: Addr;
  sinit?: Addr;
  einit?: Addr;
}

/**
 * The code symbols of a /proc/kallsyms text, read as it arrives (in chunks from a reader thread,
 * or all at once) without a string or record per line: each text symbol that is not a
 * `__pfx_`/`__cfi_` padding label has its name bytes copied into one arena, its address split
 * into 32-bit halves, its module as an id, and a hash of its base name (symbolBaseName).
 * Lines are checked as parseKallsyms checks them (every address has the width of the first
 * line's); a text with no symbol, or with more malformed lines than a stray one, is a
 * KernelDataError naming the file when finish() is called.
 */
export class KallsymsScanner {
  private carry?: Uint8Array;
  private width = -1;
  private lineNo = 0;
  private wellFormed = 0;
  private bad = 0;
  private firstBad = '';
  private addressesZeroed = true;
  private hasModules = false;
  private readonly boundaries = new Map<string, Addr>();
  private readonly modules: string[] = [];
  private readonly moduleIds = new Map<string, number>();
  private lastModule = '';
  private lastModuleId = -1;
  private count = 0;
  private nameOff = new Int32Array(1 << 16);
  private nameLen = new Int32Array(1 << 16);
  /** Length of the base name (a prefix of the name); -1 for a local label (`.L...`). */
  private baseLen = new Int32Array(1 << 16);
  private hash = new Int32Array(1 << 16);
  private addrHi = new Uint32Array(1 << 16);
  private addrLo = new Uint32Array(1 << 16);
  private moduleOf = new Int32Array(1 << 16);
  /** 1 for a weak symbol (w/W): on vmlinux, e.g. the `__x64_sys_*` stub of a syscall not built. */
  private weak = new Uint8Array(1 << 16);
  private arena = new Uint8Array(1 << 21);
  private used = 0;
  /** Names looked up as the symbols arrive (setKnown), and per symbol whether its base is one. */
  private known?: NameTable;
  private knownFrom = 0;
  private inKnown = new Uint8Array(1 << 16);
  /** Base names grouped as the symbols arrive, guessing which vmlinux symbols are inside the text
   *  ranges from the boundaries seen so far (kallsyms lists vmlinux in address order, so the
   *  guess is right unless the text is odd); finish() checks every guess and regroups when one
   *  was wrong. Per entry its first symbol; per symbol the next one and whether it was grouped. */
  private readonly bases = new NameTable('', 1 << 16);
  private first = new Int32Array(1 << 16);
  private lastOf = new Int32Array(1 << 16);
  private next = new Int32Array(1 << 16);
  private grouped = new Uint8Array(1 << 16);
  private stext?: Addr;
  private etext?: Addr;
  private sinit?: Addr;
  private einit?: Addr;

  /** Look every symbol's base name up in `names` while scanning (the caller has the table ready
   *  before the last chunks arrive; finish() looks up what was scanned before). */
  setKnown(names: NameTable): void {
    this.known = names;
    this.knownFrom = this.count;
  }

  /** Scans the complete lines of `chunk` (with what was left over from the previous one). */
  push(chunk: Uint8Array): void {
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.carry) {
      buf = Buffer.concat([this.carry, buf]);
      this.carry = undefined;
    }
    const last = buf.lastIndexOf(10);
    if (last + 1 < buf.length) this.carry = Buffer.from(buf.subarray(last + 1));
    if (last >= 0) this.scan(buf, last + 1);
  }

  /** Scans the last (unterminated) line and builds the index. */
  finish(file: string): KallsymsIndex {
    if (this.carry) {
      const rest = this.carry;
      this.carry = undefined;
      this.scan(Buffer.from(rest), rest.length);
    }
    if (this.wellFormed === 0 || this.bad > this.wellFormed / 100 + 10) {
      throw new KernelDataError(file, this.wellFormed === 0 && this.bad === 0
        ? 'no symbols (empty file)'
        : `not a kallsyms / System.map table: ${this.bad} malformed line(s), first at ${this.firstBad || 'start'}`);
    }
    const b = this.boundaries;
    const stext = b.get('_stext');
    const etext = b.get('_etext');
    const ranges = !this.addressesZeroed && stext && etext
      ? { stext, etext, sinit: b.get('_sinittext'), einit: b.get('_einittext') }
      : undefined;
    const n = this.count;
    const known = this.known;
    if (known) {
      for (let i = 0; i < this.knownFrom; i++) {
        const len = this.baseLen[i];
        if (len >= 0) this.inKnown[i] = known.findBytes(this.arena, this.nameOff[i], len, this.hash[i]) >= 0 ? 1 : 0;
      }
    }
    const text = Buffer.from(this.arena.buffer, this.arena.byteOffset, this.used).toString('latin1');
    return new KallsymsIndex({
      text,
      count: n,
      nameOff: this.nameOff.subarray(0, n),
      nameLen: this.nameLen.subarray(0, n),
      baseLen: this.baseLen.subarray(0, n),
      hash: this.hash.subarray(0, n),
      addrHi: this.addrHi.subarray(0, n),
      addrLo: this.addrLo.subarray(0, n),
      moduleOf: this.moduleOf.subarray(0, n),
      weak: this.weak.subarray(0, n),
      inKnown: known ? this.inKnown.subarray(0, n) : undefined,
      modules: this.modules,
      addressesZeroed: this.addressesZeroed,
      hasModules: this.hasModules,
      ranges,
    }, this.checkedGrouping(text, ranges));
  }

  /** The grouping made while scanning, with the symbols it left out wrongly (listed before the
   *  boundary that puts them inside the ranges) put in; undefined when it holds one it must not
   *  (removing a name from the table is not worth having: the index is then grouped afresh). */
  private checkedGrouping(text: string, ranges: TextRanges | undefined): Grouping | undefined {
    const { baseLen, moduleOf, addrHi, addrLo, grouped, nameOff, nameLen } = this;
    const extra = new Set<string>();
    const missed: number[] = [];
    for (let i = 0; i < this.count; i++) {
      if (baseLen[i] < 0) {
        extra.add(text.slice(nameOff[i], nameOff[i] + nameLen[i]));
        continue;
      }
      const wanted = !ranges || moduleOf[i] >= 0 || inText(ranges, addrHi[i], addrLo[i]);
      if (wanted === (grouped[i] === 1)) continue;
      if (!wanted) return undefined;
      missed.push(i);
    }
    for (const i of missed) this.group(i);
    this.bases.setText(text);
    return { bases: this.bases, first: this.first.subarray(0, this.bases.size), next: this.next.subarray(0, this.count), extra: [...extra].sort() };
  }

  /** Adds symbol i to its base name's symbols, which stay in kallsyms order. */
  private group(i: number): void {
    const size = this.bases.size;
    const e = this.bases.addBytes(this.arena, this.nameOff[i], this.baseLen[i], this.hash[i]);
    const { first, next } = this;
    if (e === size) {
      first[e] = i;
      next[i] = -1;
    } else if (i < first[e]) {
      next[i] = first[e];
      first[e] = i;
    } else {
      let j = first[e];
      while (next[j] >= 0 && next[j] < i) j = next[j];
      next[i] = next[j];
      next[j] = i;
    }
    if (next[i] < 0) this.lastOf[e] = i;
    this.grouped[i] = 1;
  }

  /** The lines of buf[0, limit). */
  private scan(buf: Buffer, limit: number): void {
    if (this.width < 0) {
      let w = 0;
      while (w < limit && isHex(buf[w])) w++;
      this.width = w;
    }
    const width = this.width;
    let lineNo = this.lineNo;
    let zeroed = this.addressesZeroed;
    let p = 0;
    while (p < limit) {
      const lineStart = p;
      lineNo++;
      let eol = buf.indexOf(10, p);
      if (eol < 0 || eol > limit) eol = limit;
      p = eol + 1;
      let end = eol;
      while (end > lineStart && (buf[end - 1] === 13 || isSpace(buf[end - 1]))) end--;
      if (end === lineStart) continue; // blank line
      const t = lineStart + width;
      if (width === 0 || t + 3 >= end || !isSpace(buf[t]) || !isLetterOrQ(buf[t + 1]) || !isSpace(buf[t + 2]) || isSpace(buf[t + 3])
        || !isHex(buf[lineStart]) || !isHex(buf[t - 1])) {
        if (this.bad++ === 0) this.firstBad = `line ${lineNo}: ${JSON.stringify(buf.toString('latin1', lineStart, Math.min(eol, lineStart + 100)))}`;
        continue;
      }
      this.wellFormed++;
      const type = buf[t + 1];
      const nameStart = t + 3;
      let nameEnd = end;
      let module = -1;
      if (buf[end - 1] === 93) { // `name\t[module]`
        let open = end - 2;
        while (open > nameStart + 1 && buf[open] !== 91) open--;
        if (open > nameStart + 1 && isSpace(buf[open - 1])) {
          nameEnd = open - 1;
          while (nameEnd > nameStart && isSpace(buf[nameEnd - 1])) nameEnd--;
          this.hasModules = true;
          module = this.moduleId(buf, open + 1, end - 1);
        }
      }
      const isText = type === 116 || type === 84 || type === 119 || type === 87; // t T w W
      const nameLen = nameEnd - nameStart;
      const boundary = module < 0 && buf[nameStart] === 95 && nameLen >= 6 && nameLen <= 10;
      if (!isText && !boundary) {
        if (zeroed && !allZero(buf, lineStart, t)) zeroed = false;
        continue;
      }
      let hi = 0;
      let lo = 0;
      for (let q = lineStart; q < t; q++) {
        const c = buf[q];
        const d = c <= 57 ? c - 48 : (c | 32) - 87;
        hi = ((hi * 16) + (lo >>> 28)) >>> 0;
        lo = ((lo << 4) | d) >>> 0;
      }
      if (hi !== 0 || lo !== 0) zeroed = false;
      if (boundary && (nameLen === 6 || nameLen === 10)) {
        const name = boundaryName(buf, nameStart, nameLen);
        if (name && !this.boundaries.has(name)) this.noteBoundary(name, [hi, lo]);
      }
      if (!isText) continue;
      if (buf[nameStart] === 95 && buf[nameStart + 1] === 95 && nameLen >= 6 && buf[nameStart + 5] === 95
        && ((buf[nameStart + 2] === 112 && buf[nameStart + 3] === 102 && buf[nameStart + 4] === 120) // __pfx_
          || (buf[nameStart + 2] === 99 && buf[nameStart + 3] === 102 && buf[nameStart + 4] === 105))) { // __cfi_
        continue;
      }
      this.keep(buf, nameStart, nameEnd, hi, lo, module, type === 119 || type === 87);
    }
    this.lineNo = lineNo;
    this.addressesZeroed = zeroed;
  }

  private noteBoundary(name: string, at: Addr): void {
    this.boundaries.set(name, at);
    if (name === '_stext') this.stext = at;
    else if (name === '_etext') this.etext = at;
    else if (name === '_sinittext') this.sinit = at;
    else this.einit = at;
  }

  /** Inside the text ranges as far as the boundaries seen so far tell (an end not seen yet is
   *  taken as still ahead). */
  private inTextSoFar(hi: number, lo: number): boolean {
    const st = this.stext;
    if (st && !addrLess(hi, lo, st[0], st[1]) && (!this.etext || addrLess(hi, lo, this.etext[0], this.etext[1]))) return true;
    const si = this.sinit;
    return !!si && !addrLess(hi, lo, si[0], si[1]) && (!this.einit || addrLess(hi, lo, this.einit[0], this.einit[1]));
  }

  /** Module id of the name in buf[start, end); consecutive lines mostly share one. */
  private moduleId(buf: Buffer, start: number, end: number): number {
    const last = this.lastModule;
    if (this.lastModuleId >= 0 && last.length === end - start) {
      let same = true;
      for (let i = 0; i < last.length && same; i++) same = last.charCodeAt(i) === buf[start + i];
      if (same) return this.lastModuleId;
    }
    const name = buf.toString('latin1', start, end);
    let id = this.moduleIds.get(name);
    if (id === undefined) {
      id = this.modules.length;
      this.modules.push(name);
      this.moduleIds.set(name, id);
    }
    this.lastModule = name;
    this.lastModuleId = id;
    return id;
  }

  private keep(buf: Buffer, start: number, end: number, hi: number, lo: number, module: number, weak: boolean): void {
    const i = this.count++;
    if (i === this.nameOff.length) this.growSymbols();
    const len = end - start;
    if (this.used + len > this.arena.length) {
      const bigger = new Uint8Array(Math.max(this.arena.length * 2, this.used + len));
      bigger.set(this.arena.subarray(0, this.used));
      this.arena = bigger;
    }
    const arena = this.arena;
    const off = this.used;
    let h = FNV_OFFSET;
    let dot = -1;
    for (let q = start, o = off; q < end; q++, o++) {
      const c = buf[q];
      arena[o] = c;
      h = Math.imul(h ^ c, FNV_PRIME);
      if (c === 46 && dot < 0) dot = q - start;
    }
    let base = len;
    if (dot === 0) {
      base = -1;
    } else if (dot > 0) {
      base = symbolBaseName(buf.toString('latin1', start, end)).length;
      if (base !== len) h = hashBytes(arena, off, base);
    }
    this.used += len;
    this.nameOff[i] = off;
    this.nameLen[i] = len;
    this.baseLen[i] = base;
    this.hash[i] = h;
    this.addrHi[i] = hi;
    this.addrLo[i] = lo;
    this.moduleOf[i] = module;
    this.weak[i] = weak ? 1 : 0;
    if (this.known && base >= 0) this.inKnown[i] = this.known.findBytes(arena, off, base, h) >= 0 ? 1 : 0;
    if (base >= 0 && (module >= 0 || this.inTextSoFar(hi, lo))) {
      const size = this.bases.size;
      const e = this.bases.addBytes(arena, off, base, h);
      if (e === size) this.first[e] = i;
      else this.next[this.lastOf[e]] = i;
      this.lastOf[e] = i;
      this.next[i] = -1;
      this.grouped[i] = 1;
    } else {
      this.grouped[i] = 0;
    }
  }

  private growSymbols(): void {
    const n = this.nameOff.length * 2;
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    const u32 = (a: Uint32Array) => {
      const b = new Uint32Array(n);
      b.set(a);
      return b;
    };
    this.nameOff = i32(this.nameOff);
    this.nameLen = i32(this.nameLen);
    this.baseLen = i32(this.baseLen);
    this.hash = i32(this.hash);
    this.addrHi = u32(this.addrHi);
    this.addrLo = u32(this.addrLo);
    this.moduleOf = i32(this.moduleOf);
    this.first = i32(this.first);
    this.lastOf = i32(this.lastOf);
    this.next = i32(this.next);
    const u8 = (a: Uint8Array) => {
      const b = new Uint8Array(n);
      b.set(a);
      return b;
    };
    this.inKnown = u8(this.inKnown);
    this.weak = u8(this.weak);
    this.grouped = u8(this.grouped);
  }
}

/** `_stext`, `_etext`, `_sinittext` or `_einittext` when buf[start, start + len) is one of them. */
function boundaryName(buf: Buffer, start: number, len: number): string | undefined {
  const c = buf[start + 1];
  if (c !== 115 && c !== 101) return undefined; // s e
  const name = buf.toString('latin1', start, start + len);
  return name === '_stext' || name === '_etext' || name === '_sinittext' || name === '_einittext' ? name : undefined;
}

/** Scan a whole kallsyms text at once (see KallsymsScanner). */
export function scanKallsyms(bytes: Uint8Array, file: string, known?: NameTable): KallsymsIndex {
  const scanner = new KallsymsScanner();
  if (known) scanner.setKnown(known);
  scanner.push(bytes);
  return scanner.finish(file);
}

/** Base names grouped: entry e's symbols are first[e], then next[...]; and the local labels. */
interface Grouping {
  bases: NameTable;
  first: Int32Array;
  next: Int32Array;
  extra: string[];
}

interface KallsymsIndexParts {
  text: string;
  count: number;
  nameOff: Int32Array;
  nameLen: Int32Array;
  baseLen: Int32Array;
  hash: Int32Array;
  addrHi: Uint32Array;
  addrLo: Uint32Array;
  moduleOf: Int32Array;
  /** Per symbol, 1 when it is weak (type w/W). */
  weak?: Uint8Array;
  /** Per symbol, 1 when its base name is in the scanner's known names (setKnown). */
  inKnown?: Uint8Array;
  modules: string[];
  addressesZeroed: boolean;
  hasModules: boolean;
  ranges?: TextRanges;
}

/**
 * The code symbols of the running kernel grouped by base name: a NameTable over the kept names
 * (one latin1 string holds them all), so a lookup or the list of base names makes strings only
 * for what is asked. vmlinux symbols outside the kernel text ranges are left out (the type letter
 * is not trusted there: 7.x kernels mark some data `t`); local labels (`.L...`) are kept apart,
 * as `extra`.
 */
export class KallsymsIndex {
  /** Every address is zero (kptr_restrict for a non-root reader): ranges cannot be used. */
  readonly addressesZeroed: boolean;
  /** Some line (of any type) names a module. */
  readonly hasModules: boolean;
  readonly ranges?: TextRanges;
  /** Text symbols whose name starts with '.' (local asm labels), sorted and unique. */
  readonly extra: readonly string[];
  /** Base names; entry e's symbols are first[e], then next[...] in kallsyms order. */
  readonly bases: NameTable;
  private readonly p: KallsymsIndexParts;
  private readonly first: Int32Array;
  private readonly next: Int32Array;

  constructor(parts: KallsymsIndexParts, grouping?: Grouping) {
    this.p = parts;
    this.addressesZeroed = parts.addressesZeroed;
    this.hasModules = parts.hasModules;
    this.ranges = parts.ranges;
    if (grouping) {
      this.bases = grouping.bases;
      this.first = grouping.first;
      this.next = grouping.next;
      this.extra = grouping.extra;
      return;
    }
    const { count, text, nameOff, nameLen, baseLen, hash, addrHi, addrLo, moduleOf, ranges } = parts;
    const bases = new NameTable(text, count);
    const first = new Int32Array(count);
    const lastOf = new Int32Array(count);
    const next = new Int32Array(count).fill(-1);
    const extra = new Set<string>();
    for (let i = 0; i < count; i++) {
      const len = baseLen[i];
      if (len < 0) {
        extra.add(text.slice(nameOff[i], nameOff[i] + nameLen[i]));
        continue;
      }
      if (ranges && moduleOf[i] < 0 && !inText(ranges, addrHi[i], addrLo[i])) continue;
      const size = bases.size;
      const e = bases.add(nameOff[i], len, hash[i]);
      if (e === size) first[e] = i;
      else next[lastOf[e]] = i;
      lastOf[e] = i;
    }
    this.bases = bases;
    this.first = first;
    this.next = next;
    this.extra = [...extra].sort();
  }

  /** The symbols of a base-name entry (indexes), in address order when the text ranges are
   *  known, else in kallsyms order. */
  symbolsOf(entry: number): number[] {
    const out: number[] = [];
    for (let i = this.first[entry]; i >= 0; i = this.next[i]) out.push(i);
    if (this.ranges && out.length > 1) {
      const { addrHi, addrLo } = this.p;
      out.sort((a, b) => (addrLess(addrHi[a], addrLo[a], addrHi[b], addrLo[b]) ? -1
        : addrLess(addrHi[b], addrLo[b], addrHi[a], addrLo[a]) ? 1 : 0));
    }
    return out;
  }

  symbolName(i: number): string {
    const off = this.p.nameOff[i];
    return this.p.text.slice(off, off + this.p.nameLen[i]);
  }

  /** Module of a symbol, undefined for vmlinux. */
  moduleOf(i: number): string | undefined {
    const m = this.p.moduleOf[i];
    return m < 0 ? undefined : this.p.modules[m];
  }

  /** Whether a base name is among the names given to the scanner's setKnown (undefined: none
   *  were given). */
  isKnown(entry: number): boolean | undefined {
    const inKnown = this.p.inKnown;
    return inKnown ? inKnown[this.first[entry]] === 1 : undefined;
  }

  /** A weak symbol (type w/W). */
  isWeak(i: number): boolean {
    return this.p.weak?.[i] === 1;
  }

  /** A vmlinux symbol inside `_sinittext`.. `_einittext`. */
  isInit(i: number): boolean {
    const r = this.ranges;
    return !!r && this.p.moduleOf[i] < 0 && inInit(r, this.p.addrHi[i], this.p.addrLo[i]);
  }
}

function addrLess(hiA: number, loA: number, hiB: number, loB: number): boolean {
  return hiA < hiB || (hiA === hiB && loA < loB);
}

function inInit(r: TextRanges, hi: number, lo: number): boolean {
  return !!r.sinit && !!r.einit && !addrLess(hi, lo, r.sinit[0], r.sinit[1]) && addrLess(hi, lo, r.einit[0], r.einit[1]);
}

function inText(r: TextRanges, hi: number, lo: number): boolean {
  return (!addrLess(hi, lo, r.stext[0], r.stext[1]) && addrLess(hi, lo, r.etext[0], r.etext[1])) || inInit(r, hi, lo);
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function allZero(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 48) return false;
  return true;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

function isLetterOrQ(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 63;
}
