// Seeded, reproducible randomness for the fuzz suites. The seed comes from FUZZ_SEED (decimal) or
// a fixed default, and every failure message carries it so a run can be replayed exactly.

export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261121) >>> 0;
/** Scales every suite's iteration count (FUZZ_SCALE=10 for a long local run). The count never
 *  depends on the clock: the same seed and scale try the same inputs on any machine, however busy.
 *  How long the readers take on hostile input is measured by `npm run bench`, not here. */
export const FUZZ_SCALE = Number(process.env.FUZZ_SCALE ?? 1);

export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }
  /** mulberry32: small, fast, good enough for input mutation. */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** One mutation of a real input: truncate, flip bytes, overwrite a run with 0x00/0xff/random,
 *  duplicate or delete a slice, or set a 32-bit word to an extreme value. */
export function mutate(rng: Rng, input: Uint8Array, focus = input.length): { bytes: Uint8Array; what: string } {
  const len = input.length;
  const at = () => rng.int(Math.max(1, Math.min(len, focus)));
  switch (rng.int(6)) {
    case 0: {
      const cut = rng.int(len);
      return { bytes: input.slice(0, cut), what: `truncate to ${cut}` };
    }
    case 1: {
      const out = input.slice();
      const n = 1 + rng.int(16);
      for (let i = 0; i < n; i++) out[at()] ^= 1 << rng.int(8);
      return { bytes: out, what: `flip ${n} bits` };
    }
    case 2: {
      const out = input.slice();
      const start = at();
      const n = Math.min(len - start, 1 + rng.int(64));
      const fill = rng.pick([0, 0xff, -1]);
      for (let i = 0; i < n; i++) out[start + i] = fill < 0 ? rng.int(256) : fill;
      return { bytes: out, what: `overwrite ${n} bytes at ${start}` };
    }
    case 3: {
      const start = at();
      const n = Math.min(len - start, 1 + rng.int(256));
      const out = new Uint8Array(len + n);
      out.set(input.subarray(0, start + n), 0);
      out.set(input.subarray(start), start + n);
      return { bytes: out, what: `duplicate ${n} bytes at ${start}` };
    }
    case 4: {
      const start = at();
      const n = Math.min(len - start, 1 + rng.int(256));
      const out = new Uint8Array(len - n);
      out.set(input.subarray(0, start), 0);
      out.set(input.subarray(start + n), start);
      return { bytes: out, what: `delete ${n} bytes at ${start}` };
    }
    default: {
      const out = input.slice();
      const pos = at() & ~3;
      if (pos + 4 <= len) new DataView(out.buffer).setUint32(pos, rng.pick([0, 0xffffffff, 0x7fffffff, 0x80000000, len, len + 1]), true);
      return { bytes: out, what: `extreme word at ${pos}` };
    }
  }
}

/** Runs `body` exactly `iterations` × FUZZ_SCALE times (at least once); returns the count. */
export function fuzzLoop(iterations: number, body: (i: number) => void): number {
  const n = Math.max(1, Math.round(iterations * (Number.isFinite(FUZZ_SCALE) && FUZZ_SCALE > 0 ? FUZZ_SCALE : 1)));
  for (let i = 0; i < n; i++) body(i);
  return n;
}
