// Growable byte writer and bounds-checked reader for the atlas file format: unsigned LEB128
// varints and nothing else. Kept apart from format.ts so the encoding primitives can be tested
// (and trusted) on their own.

export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(initial = 1024) {
    this.buf = new Uint8Array(initial);
  }

  get length(): number {
    return this.len;
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Unsigned varint (LEB128); values up to 2^53. */
  uint(value: number): void {
    if (!Number.isInteger(value) || value < 0) throw new Error(`atlas encoder: not an unsigned integer: ${value}`);
    this.ensure(8);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  reset(): void {
    this.len = 0;
  }

  /** A view of the bytes written so far (valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** A copy of the bytes written so far. */
  take(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Thrown when encoded bytes end early or hold an impossible value; format.ts turns it into a
 *  message that names the file. */
export class ByteFormatError extends Error {}

export class ByteReader {
  pos: number;

  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  uint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw new ByteFormatError('data ends inside a number');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
    throw new ByteFormatError('number longer than 8 bytes');
  }
}
