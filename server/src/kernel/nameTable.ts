// A set of names held as ranges of one latin1 string (kallsyms names, a BTF string section), for
// the running-kernel index: 60k names can be grouped, deduplicated and looked up without a JS
// string or Map entry per name, which is most of what building Maps of them costs (allocation,
// string hashing, garbage collection). An entry is an (offset, length, hash) triple in typed
// arrays; an open-addressing table of entry ids finds them; strings are sliced only for the names
// someone asks for. Hashes are FNV-1a over the characters (bytes, for latin1), the same whether
// computed from bytes while scanning or from a JS string when looking up.

export const FNV_OFFSET = 0x811c9dc5 | 0;
export const FNV_PRIME = 0x01000193;

/** FNV-1a of bytes[start, start + len). */
export function hashBytes(bytes: Uint8Array, start: number, len: number): number {
  let h = FNV_OFFSET;
  for (let q = start; q < start + len; q++) h = Math.imul(h ^ bytes[q], FNV_PRIME);
  return h;
}

export class NameTable {
  /** The text every entry is a range of (a table built from bytes gets it when they are all in:
   *  setText). */
  text: string;
  /** Number of distinct names. */
  size = 0;
  private off: Int32Array;
  private len: Int32Array;
  private hashes: Int32Array;
  private slots: Int32Array;
  private mask: number;

  constructor(text: string, expected = 1024) {
    this.text = text;
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    const n = Math.max(16, expected);
    this.off = new Int32Array(n);
    this.len = new Int32Array(n);
    this.hashes = new Int32Array(n);
  }

  /** The entry of text[off, off + len) (whose hash is `h`), added if the name is new; a new
   *  entry is the one numbered size - 1 afterwards. */
  add(off: number, len: number, h: number): number {
    const text = this.text;
    return this.insert(off, len, h, (at) => sameRange(text, at, text, off, len));
  }

  /** add() for a table still being built from bytes (the text is not made yet): the name is
   *  bytes[off, off + len), and every entry is a range of the same `bytes`. */
  addBytes(bytes: Uint8Array, off: number, len: number, h: number): number {
    return this.insert(off, len, h, (at) => sameByteRanges(bytes, at, off, len));
  }

  /** The open-addressing probe both add()s share: `same(at)` tells whether the entry of the same
   *  hash and length starting at `at` holds the same name. */
  private insert(off: number, len: number, h: number, same: (at: number) => boolean): number {
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const slot = this.slots[s];
      if (slot === 0) {
        const e = this.size++;
        if (e === this.off.length) this.growEntries();
        this.off[e] = off;
        this.len[e] = len;
        this.hashes[e] = h;
        this.slots[s] = e + 1;
        if (this.size * 2 > this.slots.length) this.rehash();
        return e;
      }
      const e = slot - 1;
      if (this.hashes[e] === h && this.len[e] === len && same(this.off[e])) return e;
    }
  }

  /** The latin1 text of the bytes a table was built from with addBytes(). */
  setText(text: string): void {
    this.text = text;
  }

  /** The entry named `name`, or -1. */
  find(name: string): number {
    const len = name.length;
    let h = FNV_OFFSET;
    for (let k = 0; k < len; k++) {
      const c = name.charCodeAt(k);
      if (c > 255) return -1;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    const text = this.text;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const slot = this.slots[s];
      if (slot === 0) return -1;
      const e = slot - 1;
      if (this.hashes[e] === h && this.len[e] === len && text.startsWith(name, this.off[e])) return e;
    }
  }

  /** The entry named other[off, off + len) (hash `h`), a range of another text; or -1. */
  findRange(other: string, off: number, len: number, h: number): number {
    const text = this.text;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const slot = this.slots[s];
      if (slot === 0) return -1;
      const e = slot - 1;
      if (this.hashes[e] === h && this.len[e] === len && sameRange(text, this.off[e], other, off, len)) return e;
    }
  }

  /** The entry named by bytes[off, off + len) (hash `h`), latin1; or -1. */
  findBytes(bytes: Uint8Array, off: number, len: number, h: number): number {
    const text = this.text;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const slot = this.slots[s];
      if (slot === 0) return -1;
      const e = slot - 1;
      if (this.hashes[e] === h && this.len[e] === len && sameBytes(text, this.off[e], bytes, off, len)) return e;
    }
  }

  has(name: string): boolean {
    return this.find(name) >= 0;
  }

  name(e: number): string {
    const off = this.off[e];
    return this.text.slice(off, off + this.len[e]);
  }

  offset(e: number): number {
    return this.off[e];
  }

  length(e: number): number {
    return this.len[e];
  }

  hash(e: number): number {
    return this.hashes[e];
  }

  /** Every name, in the order entries were added. */
  names(): string[] {
    const out = new Array<string>(this.size);
    const text = this.text;
    for (let e = 0; e < this.size; e++) out[e] = text.slice(this.off[e], this.off[e] + this.len[e]);
    return out;
  }

  /** Entries whose name starts with `prefix`, in the order they were added. */
  withPrefix(prefix: string): number[] {
    const out: number[] = [];
    const text = this.text;
    const c0 = prefix.length ? prefix.charCodeAt(0) : -1;
    for (let e = 0; e < this.size; e++) {
      if (c0 < 0) {
        out.push(e);
        continue;
      }
      const off = this.off[e];
      if (text.charCodeAt(off) === c0 && this.len[e] >= prefix.length && text.startsWith(prefix, off)) out.push(e);
    }
    return out;
  }

  private growEntries(): void {
    const n = this.off.length * 2;
    const grow = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.off = grow(this.off);
    this.len = grow(this.len);
    this.hashes = grow(this.hashes);
  }

  private rehash(): void {
    const cap = this.slots.length * 2;
    const slots = new Int32Array(cap);
    const mask = cap - 1;
    for (let e = 0; e < this.size; e++) {
      let s = this.hashes[e] & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = e + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

function sameRange(a: string, aOff: number, b: string, bOff: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (a.charCodeAt(aOff + k) !== b.charCodeAt(bOff + k)) return false;
  return true;
}

function sameBytes(a: string, aOff: number, b: Uint8Array, bOff: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (a.charCodeAt(aOff + k) !== b[bOff + k]) return false;
  return true;
}

function sameByteRanges(bytes: Uint8Array, a: number, b: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (bytes[a + k] !== bytes[b + k]) return false;
  return true;
}
