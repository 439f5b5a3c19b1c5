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
