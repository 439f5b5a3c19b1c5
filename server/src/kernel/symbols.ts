// The text map of a kernel image: it classifies symbols by address range (`_stext.._etext`,
// `_sinittext.._einittext`) instead of by type letter, because 7.x kernels mark data symbols
// `t`/`T` (their .data section is WAX). Symbol names and suffixes: model/symbols.ts. The text map also answers "which
// function contains this address", which the mcount and blacklist walks need.

import { KernelDataError } from './errors';
import type { KernelSymbol } from './kallsymsImage';
import { isPaddingLabel } from '../model/symbols';

export interface TextRanges {
  stext: number;
  etext: number;
  sinittext: number;
  einittext: number;
}

/** Sorted real function symbols of the kernel text, with a containing-function lookup. */
export class TextMap {
  readonly ranges: TextRanges;
  /** Real function symbols (no padding labels), sorted by address. */
  readonly functions: KernelSymbol[];
  private readonly starts: Float64Array;

  constructor(readonly symbols: KernelSymbol[], readonly file: string) {
    const first = new Map<string, number>();
    for (const s of symbols) if (!first.has(s.name)) first.set(s.name, s.addr);
    const need = (n: string) => {
      const a = first.get(n);
      if (a === undefined) throw new KernelDataError(file, `symbol ${n} missing: cannot tell kernel text from data`);
      return a;
    };
    this.ranges = { stext: need('_stext'), etext: need('_etext'), sinittext: need('_sinittext'), einittext: need('_einittext') };
    this.functions = symbols
      .filter((s) => 'tTwW'.includes(s.type) && this.inText(s.addr) && !s.name.startsWith('.') && !isPaddingLabel(s.name))
      .sort((a, b) => a.addr - b.addr);
    this.starts = Float64Array.from(this.functions, (s) => s.addr);
  }

  inText(addr: number): boolean {
    const r = this.ranges;
    return (addr >= r.stext && addr < r.etext) || (addr >= r.sinittext && addr < r.einittext);
  }

  inInitText(addr: number): boolean {
    return addr >= this.ranges.sinittext && addr < this.ranges.einittext;
  }

  /** Index (into `functions`) of the last function starting at or before addr, or -1. */
  indexAt(addr: number): number {
    let lo = 0, hi = this.starts.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] <= addr) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    // Several names can share an address (aliases): report the first of them.
    while (found > 0 && this.starts[found - 1] === this.starts[found]) found--;
    return found;
  }

  /** The function symbol containing a text address (undefined outside the text ranges). */
  functionAt(addr: number): KernelSymbol | undefined {
    if (!this.inText(addr)) return undefined;
    const i = this.indexAt(addr);
    return i >= 0 ? this.functions[i] : undefined;
  }

  /** Every function symbol starting in [lo, hi). */
  functionsIn(lo: number, hi: number): KernelSymbol[] {
    const out: KernelSymbol[] = [];
    let i = this.indexAt(lo);
    if (i < 0 || this.starts[i] < lo) i++;
    for (; i < this.functions.length && this.starts[i] < hi; i++) out.push(this.functions[i]);
    return out;
  }
}
