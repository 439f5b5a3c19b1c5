// Text symbol tables: /proc/kallsyms and System.map (`addr type name [module]`). It owns that line
// format and the naming rules every symbol source shares: compiler suffixes (`.isra.0`,
// `.constprop.0`, `.part.0`, `.cold`, ...) map a symbol to its base function name, and the
// `__pfx_`/`__cfi_` padding labels are not functions. Addresses are BigInt; a non-root reader of
// /proc/kallsyms sees them all as zero, which is tolerated (names and types still count).

import { KernelDataError } from './errors';

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

/** `__pfx_`/`__cfi_` labels pad a function's entry (CONFIG_CALL_PADDING / CFI); not functions. */
export function isPaddingSymbol(name: string): boolean {
  return name.startsWith('__pfx_') || name.startsWith('__cfi_');
}

const SUFFIX = /\.(?:isra|constprop|part|cold|lto_priv|llvm|localalias)(?:\.|$)/;

/** `finish_task_switch.isra.0` → `finish_task_switch`; names without a compiler suffix unchanged. */
export function symbolBaseName(name: string): string {
  const m = SUFFIX.exec(name);
  return m && m.index > 0 ? name.slice(0, m.index) : name;
}

/** The compiler suffix kinds in a symbol name, in order: `a.constprop.0.isra.0` → [constprop, isra]. */
export function symbolSuffixes(name: string): string[] {
  const out: string[] = [];
  const re = /\.(isra|constprop|part|cold|lto_priv|llvm|localalias)(?=\.|$)/g;
  for (let m = re.exec(name); m; m = re.exec(name)) if (m.index > 0) out.push(m[1]);
  return out;
}

/**
 * Only the code symbols of a /proc/kallsyms text, for indexing the running kernel without the
 * cost of a record (and a BigInt) per line: parallel arrays, one entry per text symbol that is
 * not a `__pfx_`/`__cfi_` padding label. Addresses are split into their high and low 32 bits.
 */
export interface TextSymbolScan {
  names: string[];
  addrHi: number[];
  addrLo: number[];
  /** Index into `modules`, or -1 for vmlinux. */
  moduleOf: number[];
  modules: string[];
  /** Base name (symbolBaseName) where it differs from the name; undefined entries otherwise. */
  baseOf: (string | undefined)[];
  /** Every address is zero (kptr_restrict for a non-root reader). */
  addressesZeroed: boolean;
  /** Some line (of any type) names a module. */
  hasModules: boolean;
  /** First vmlinux `_stext`, `_etext`, `_sinittext`, `_einittext`, as [hi, lo]. */
  boundaries: Map<string, [number, number]>;
}

const BOUNDARY_NAMES = new Set(['_stext', '_etext', '_sinittext', '_einittext']);

/**
 * Scan /proc/kallsyms bytes by hand (no regex or string per line): non-text lines are skipped
 * after their type letter unless they might be a text-range boundary. The same lines
 * parseKallsyms rejects count as malformed, with the same tolerance; too many is a
 * KernelDataError naming `file`.
 */
export function scanKallsymsText(bytes: Uint8Array, file: string): TextSymbolScan {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // One latin1 decode of the whole text; names are slices of it (kallsyms names are ASCII).
  const text = buf.toString('latin1');
  const out: TextSymbolScan = {
    names: [], addrHi: [], addrLo: [], moduleOf: [], modules: [], baseOf: [],
    addressesZeroed: true, hasModules: false, boundaries: new Map(),
  };
  const moduleIds = new Map<string, number>();
  const len = buf.length;
  // Every address has the same width (%px: 16 hex digits on 64-bit): find it once, then only
  // check each line's separators at the fixed places; memchr (indexOf) finds the line ends.
  let width = 0;
  while (width < len && isHex(buf[width])) width++;
  let symbols = 0;
  let bad = 0;
  let firstBad = '';
  let lineNo = 0;
  let p = 0;
  while (p < len) {
    const lineStart = p;
    lineNo++;
    let eol = buf.indexOf(10, p);
    if (eol < 0) eol = len;
    p = eol + 1;
    let end = eol;
    while (end > lineStart && (buf[end - 1] === 13 || isSpace(buf[end - 1]))) end--;
    if (end === lineStart) continue; // blank line
    const t = lineStart + width;
    if (width === 0 || !isSpace(buf[t]) || !isLetterOrQ(buf[t + 1]) || !isSpace(buf[t + 2]) || t + 3 >= end || isSpace(buf[t + 3])
      || !isHex(buf[lineStart]) || !isHex(buf[t - 1])) {
      if (bad++ === 0) firstBad = `line ${lineNo}: ${JSON.stringify(text.slice(lineStart, Math.min(eol, lineStart + 100)))}`;
      continue;
    }
    symbols++;
    const type = buf[t + 1];
    const nameStart = t + 3;
    let nameEnd = end;
    let module = -1;
    if (buf[end - 1] === 93) { // `name\t[module]`
      const open = buf.lastIndexOf(91, end - 1);
      if (open > nameStart + 1 && isSpace(buf[open - 1])) {
        nameEnd = open - 1;
        while (nameEnd > nameStart && isSpace(buf[nameEnd - 1])) nameEnd--;
        const m = text.slice(open + 1, end - 1);
        out.hasModules = true;
        let id = moduleIds.get(m);
        if (id === undefined) {
          id = out.modules.length;
          out.modules.push(m);
          moduleIds.set(m, id);
        }
        module = id;
      }
    }
    const text_ = type === 116 || type === 84 || type === 119 || type === 87; // t T w W
    const nameLen = nameEnd - nameStart;
    const boundary = module < 0 && buf[nameStart] === 95 && nameLen >= 6 && nameLen <= 10;
    if (!text_ && !boundary) {
      if (out.addressesZeroed && !allZero(buf, lineStart, t)) out.addressesZeroed = false;
      continue;
    }
    // address, into two 32-bit halves
    let hi = 0;
    let lo = 0;
    for (let q = lineStart; q < t; q++) {
      const c = buf[q];
      const d = c <= 57 ? c - 48 : (c | 32) - 87;
      hi = ((hi * 16) + (lo >>> 28)) >>> 0;
      lo = ((lo << 4) | d) >>> 0;
    }
    if (hi !== 0 || lo !== 0) out.addressesZeroed = false;
    if (boundary) {
      const n = text.slice(nameStart, nameEnd);
      if (BOUNDARY_NAMES.has(n) && !out.boundaries.has(n)) out.boundaries.set(n, [hi, lo]);
    }
    if (!text_) continue;
    if (buf[nameStart] === 95 && buf[nameStart + 1] === 95 && nameLen >= 6 && buf[nameStart + 5] === 95
      && ((buf[nameStart + 2] === 112 && buf[nameStart + 3] === 102 && buf[nameStart + 4] === 120) // __pfx_
        || (buf[nameStart + 2] === 99 && buf[nameStart + 3] === 102 && buf[nameStart + 4] === 105))) { // __cfi_
      continue;
    }
    const name = text.slice(nameStart, nameEnd);
    out.names.push(name);
    out.addrHi.push(hi);
    out.addrLo.push(lo);
    out.moduleOf.push(module);
    out.baseOf.push(name.indexOf('.') > 0 ? symbolBaseName(name) : undefined);
  }
  if (symbols === 0 || bad > symbols / 100 + 10) {
    throw new KernelDataError(file, symbols === 0 && bad === 0
      ? 'no symbols (empty file)'
      : `not a kallsyms / System.map table: ${bad} malformed line(s), first at ${firstBad || 'start'}`);
  }
  return out;
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
