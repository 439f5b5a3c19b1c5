// Decodes the kernel's own compressed kallsyms tables from a stripped vmlinux (Debian ships no
// usable System.map). The tables (scripts/kallsyms.c) sit in .rodata: kallsyms_num_syms,
// kallsyms_names (per symbol a 1- or 2-byte length then token indexes), kallsyms_markers (byte
// offset of every 256th name), [kallsyms_seqs_of_names], kallsyms_token_table (256 NUL-terminated
// strings), kallsyms_token_index (256 u16), and the addresses in one of three layouts:
//   a) ≤6.1: kallsyms_offsets + kallsyms_relative_base just before num_syms (absolute_percpu);
//   b) 6.12: offsets right after token_index (8-aligned), then relative_base;
//   c) 7.x: offsets right after token_index, each PC-relative (addr = &offsets[i] + offsets[i]).
// Every table is found from the token table, which is located by its literal "0".."9" tokens,
// so the search touches only the bytes around it (a few ms on a 60 MB image).
//
// Addresses are kept as JS numbers holding the *signed* 64-bit value: kernel text addresses
// (0xffffffff8…) are then small negative integers, exact in a double, and sort like the unsigned
// addresses within the kernel map. `toAddress()` gives the BigInt back.

import { ElfFile } from './elf';
import { KernelDataError } from './errors';

export interface KernelSymbol {
  name: string;
  /** System.map type letter (unreliable on 7.x, where .data is WAX: classify by address). */
  type: string;
  /** Signed 64-bit view of the address (see module comment). */
  addr: number;
}

export type KallsymsLayout = 'offsets-before-num-syms' | 'offsets-after-token-index' | 'pc-relative';

export interface DecodedKallsyms {
  symbols: KernelSymbol[];
  layout: KallsymsLayout;
  absolutePercpu: boolean;
}

/** The signed-number address of a BigInt kernel address. */
export function fromAddress(a: bigint): number {
  return Number(BigInt.asIntN(64, a));
}

/** The unsigned 64-bit address of a signed-number address. */
export function toAddress(n: number): bigint {
  return BigInt.asUintN(64, BigInt(n));
}

/** `ffffffff81000000 T _stext` style hex of an address. */
export function addressHex(n: number): string {
  return toAddress(n).toString(16).padStart(16, '0');
}

const TYPE_LETTERS = new Set('TtDdBbRrAaWwVvUuNn?'.split(''));
const DIGIT_TOKENS = Uint8Array.from([0x30, 0, 0x31, 0, 0x32, 0, 0x33, 0, 0x34, 0, 0x35, 0, 0x36, 0, 0x37, 0, 0x38, 0, 0x39, 0]);

interface TokenTable { start: number; indexStart: number; tokens: string[] }

function findTokenTable(r: Buffer): TokenTable | undefined {
  for (let p = r.indexOf(DIGIT_TOKENS); p >= 0; p = r.indexOf(DIGIT_TOKENS, p + 1)) {
    // '0' is token 0x30: walk back 0x30 NUL-terminated strings to the table start.
    let s = p;
    let ok = true;
    for (let k = 0; k < 0x30; k++) {
      const q = r.lastIndexOf(0, s - 2);
      if (q < 0) { ok = false; break; }
      s = q + 1;
    }
    if (!ok) continue;
    const offsets: number[] = [];
    let e = s;
    for (let k = 0; k < 256; k++) {
      offsets.push(e - s);
      const z = r.indexOf(0, e);
      if (z < 0) { ok = false; break; }
      e = z + 1;
    }
    if (!ok) continue;
    for (let ti = e + (e & 1); ti < e + 16 && ti + 512 <= r.length; ti += 2) {
      let same = true;
      for (let k = 0; k < 256 && same; k++) same = r.readUInt16LE(ti + 2 * k) === offsets[k];
      if (!same) continue;
      const tokens = offsets.map((o) => r.toString('latin1', s + o, r.indexOf(0, s + o)));
      return { start: s, indexStart: ti, tokens };
    }
  }
  return undefined;
}

/** Decodes `count` names from `pos`; undefined when an entry is empty or runs past `limit`. */
function decodeNames(r: Buffer, pos: number, count: number, limit: number, tokens: string[], checkType: boolean): { names: string[]; end: number; after256: number } | undefined {
  const names: string[] = new Array(count);
  let after256 = -1;
  for (let i = 0; i < count; i++) {
    if (i === 256) after256 = pos;
    if (pos >= limit) return undefined;
    let len = r[pos];
    if (len & 0x80) { len = (len & 0x7f) | (r[pos + 1] << 7); pos += 2; } else pos += 1;
    if (len === 0 || pos + len > limit) return undefined;
    let name = '';
    for (let k = 0; k < len; k++) name += tokens[r[pos + k]];
    if (checkType && !TYPE_LETTERS.has(name[0])) return undefined;
    names[i] = name;
    pos += len;
  }
  if (count <= 256) after256 = pos;
  return { names, end: pos, after256 };
}

/** Walks `count` name entries by their lengths only; the end offset, or -1 when they do not fit. */
function skipNames(r: Buffer, pos: number, count: number, limit: number): number {
  if (pos + 2 * count > limit) return -1;
  for (let i = 0; i < count; i++) {
    let len = r[pos];
    if (len & 0x80) { len = (len & 0x7f) | (r[pos + 1] << 7); pos += 2; } else pos += 1;
    if (len === 0) return -1;
    pos += len;
    if (pos > limit) return -1;
  }
  return pos;
}

/** Decodes the kallsyms tables of a vmlinux; throws KernelDataError when they cannot be found. */
export function decodeKallsyms(elf: ElfFile): DecodedKallsyms {
  const ro = elf.section('.rodata');
  if (!ro) throw new KernelDataError(elf.file, 'no .rodata section: not a vmlinux');
  const rb = elf.sectionBytes(ro);
  const r = Buffer.from(rb.buffer, rb.byteOffset, rb.byteLength);
  const tt = findTokenTable(r);
  if (!tt) throw new KernelDataError(elf.file, 'kallsyms token table not found in .rodata (kernel built without CONFIG_KALLSYMS?)');

  // kallsyms_num_syms precedes the names, which precede the token table: scan backwards from it.
  let found: { numPos: number; n: number; names: string[]; namesEnd: number } | undefined;
  for (let a = (tt.start - 8) & ~3; a >= 0 && !found; a -= 4) {
    const n = r.readUInt32LE(a);
    if (n < 1000 || n > 4_000_000) continue;
    for (const namesStart of new Set([a + 4, (a + 4 + 7) & ~7])) {
      const head = decodeNames(r, namesStart, Math.min(n, 256), tt.start, tt.tokens, true);
      if (!head) continue;
      const end = skipNames(r, namesStart, n, tt.start);
      if (end < 0) continue;
      const markerCount = (n + 255) >> 8;
      for (const m of new Set([end, (end + 3) & ~3, (end + 7) & ~7])) {
        if (m + 4 * markerCount > tt.start) continue;
        if (r.readUInt32LE(m) === 0 && (markerCount < 2 || r.readUInt32LE(m + 4) === head.after256 - namesStart)) {
          const all = decodeNames(r, namesStart, n, tt.start, tt.tokens, false);
          if (all) found = { numPos: a, n, names: all.names, namesEnd: all.end };
          break;
        }
      }
      if (found) break;
    }
  }
  if (!found) throw new KernelDataError(elf.file, 'kallsyms_num_syms/kallsyms_names not found before the token table');
  const { numPos, n, names } = found;

  const KERNEL_BASE = -0x80000000; // 0xffffffff80000000 as a signed number
  const roAddr = fromAddress(ro.addr);
  const before = numPos >= 8 ? fromAddress(r.readBigUInt64LE(numPos - 8)) : 0;
  let layout: KallsymsLayout;
  let offStart: number;
  let relBase = 0;
  if (numPos >= 8 && before >= KERNEL_BASE && before < 0) {
    layout = 'offsets-before-num-syms';
    relBase = before;
    offStart = numPos - 8 - ((n * 4 + 7) & ~7);
  } else {
    offStart = (tt.indexStart + 512 + 7) & ~7;
    const basePos = (offStart + n * 4 + 7) & ~7;
    if (basePos + 8 > r.length) throw new KernelDataError(elf.file, 'kallsyms offsets run past .rodata');
    const after = fromAddress(r.readBigUInt64LE(basePos));
    if (after >= KERNEL_BASE && after < 0) { layout = 'offsets-after-token-index'; relBase = after; } else layout = 'pc-relative';
  }
  if (offStart < 0 || offStart + 4 * n > r.length) throw new KernelDataError(elf.file, 'kallsyms offsets table lies outside .rodata');
  const offs = new Int32Array(n);
  for (let i = 0; i < n; i++) offs[i] = r.readInt32LE(offStart + 4 * i);
  let absolutePercpu = false;
  if (layout !== 'pc-relative') {
    let nonNegHead = false, negative = false;
    for (let i = 0; i < n; i++) {
      if (offs[i] >= 0 && i < 50) nonNegHead = true;
      if (offs[i] < 0) negative = true;
    }
    absolutePercpu = nonNegHead && negative;
  }
  const symbols: KernelSymbol[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const o = offs[i];
    let addr: number;
    if (layout === 'pc-relative') addr = roAddr + offStart + 4 * i + o;
    else if (absolutePercpu) addr = o >= 0 ? o : relBase - 1 - o;
    else addr = relBase + (o >>> 0);
    const nm = names[i];
    symbols[i] = { name: nm.slice(1), type: nm[0], addr };
  }
  return { symbols, layout, absolutePercpu };
}

/** System.map text of decoded symbols (for oracles and debugging). */
export function formatSystemMap(symbols: KernelSymbol[]): string {
  return symbols.map((s) => `${addressHex(s.addr)} ${s.type} ${s.name}\n`).join('');
}
