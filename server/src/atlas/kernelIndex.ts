// KernelIndex: read-only queries over one kernel (model.ts KernelQuery), built over KernelData
// from an atlas file or from in-memory facts. Functions are decoded on first lookup and cached;
// by-name lookups binary-search the name list, which KernelData keeps sorted (code-unit order),
// through a decoded sample of it so that a lookup reads few names from the table.

import { TypeIndex } from '../model/coreTypes';
import { kernelDataFromFacts, type KernelData } from './format';
import type {
  FunctionFacts, KernelFacts, KernelMeta, KernelQuery, KernelTypesQuery, LsmHookFacts, SyscallFacts, TracepointFacts, TracepointHead,
} from './model';
import { lowerBound } from '../model/glob';
import { baseName, isLsmHookName } from '../model/symbols';

/** Function names per decoded sample entry (lowerBoundName). */
const SAMPLE = 32;

export class KernelIndex implements KernelQuery {
  readonly meta: KernelMeta;
  private readonly data: KernelData;
  /** Functions asked for by name and found (absent names are not kept: typos are many). */
  private readonly decoded = new Map<string, FunctionFacts>();
  private extraSet?: Set<string>;
  private readonly tpByName = new Map<string, readonly TracepointFacts[]>();
  private systemMap?: Map<string, string[]>;
  private syscallMap?: Map<string, SyscallFacts>;
  private lsmMap?: Map<string, LsmHookFacts>;
  private lsmList?: readonly LsmHookFacts[];
  private typeIndex?: TypeIndex | null;
  /** Every SAMPLE-th function name in table order (see lowerBoundName). */
  private sample?: string[];
  /** The last name fn() did not find (absent names are not kept in `decoded`). */
  private lastMissing?: string;

  /** `meta` overrides the stored metadata (the Atlas sets id and source) without touching the
   *  lazily decoded parts of `data`. */
  constructor(data: KernelData, meta: KernelMeta = data.meta) {
    this.data = data;
    this.meta = meta;
  }

  static fromFacts(facts: KernelFacts): KernelIndex {
    return new KernelIndex(kernelDataFromFacts(facts));
  }

  /** Position of the first function with this name, by lowerBoundName(). */
  private position(name: string): number | undefined {
    const data = this.data;
    const lo = this.lowerBoundName(name);
    return lo < data.functionCount && data.nameAt(lo) === name ? lo : undefined;
  }

  /** The first position whose name is not below `key`. A binary search over the decoded sample
   *  (every SAMPLE-th name, decoded once, on the first lookup) finds the block that holds it
   *  without reading the table; only that block's names are read (log2 SAMPLE of them). Before,
   *  every step of the search read and decoded a name from the table: ~18 per lookup, ~30 µs
   *  each lookup on debian-12, the largest cost of a diagnostics run over many kernels. A Map
   *  over every name would cost more to build and hold than all lookups of a session. */
  private lowerBoundName(key: string): number {
    const data = this.data;
    // An atlas file searches the names all its kernels share (format.ts).
    if (data.lowerBoundName) return data.lowerBoundName(key);
    const n = data.functionCount;
    if (!this.sample) {
      const sample: string[] = [];
      for (let i = 0; i < n; i += SAMPLE) sample.push(data.nameAt(i));
      this.sample = sample;
    }
    const sample = this.sample;
    const j = lowerBound(sample.length, (k) => sample[k], key);
    // Names up to (j - 1)·SAMPLE are below key; the name at j·SAMPLE (if any) is not.
    let lo = j === 0 ? 0 : (j - 1) * SAMPLE + 1;
    let hi = Math.min(n, j * SAMPLE);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (data.nameAt(mid) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  fn(name: string): FunctionFacts | undefined {
    // By name: one verdict asks for a function several times (its assessment, its symbols, the
    // shape comparison), and a name found once is not searched for again.
    let f = this.decoded.get(name);
    if (f) return f;
    // The last name not found: an absent name is asked again at once (hasSymbol after fn).
    if (name === this.lastMissing) return undefined;
    const i = this.position(name);
    if (i === undefined) {
      this.lastMissing = name;
      return undefined;
    }
    f = this.data.functionAt(i);
    this.decoded.set(name, f);
    return f;
  }

  /** Every record with this name (vmlinux and module copies). */
  fnAll(name: string): FunctionFacts[] {
    const first = this.position(name);
    if (first === undefined) return [];
    const out: FunctionFacts[] = [];
    for (let i = first; i < this.data.functionCount && this.data.nameAt(i) === name; i++) out.push(this.data.functionAt(i));
    return out;
  }

  hasSymbol(name: string): boolean {
    const f = this.fn(baseName(name));
    if (f?.symbols.includes(name)) return true;
    if (!this.extraSet) this.extraSet = new Set(this.data.extraSymbols);
    return this.extraSet.has(name);
  }

  functionNames(): readonly string[] {
    return this.data.functionNames;
  }

  functionNamesWithPrefix(prefix: string, limit: number): string[] {
    const data = this.data;
    const out: string[] = [];
    for (let i = this.lowerBoundName(prefix); i < data.functionCount && out.length < limit; i++) {
      const name = data.nameAt(i);
      if (!name.startsWith(prefix)) break;
      if (out[out.length - 1] !== name) out.push(name);
    }
    return out;
  }

  extraSymbols(): readonly string[] {
    return this.data.extraSymbols;
  }

  kfuncs(): readonly string[] {
    return this.data.kfuncs;
  }

  tracepoint(name: string, system?: string): TracepointFacts | undefined {
    let list = this.tpByName.get(name);
    if (!list) {
      list = this.data.tracepointsNamed(name);
      if (list.length) this.tpByName.set(name, list); // absent names are cheap to ask again
    }
    if (!list.length) return undefined;
    if (system === undefined) return list.find((t) => t.event) ?? list[0];
    return list.find((t) => t.system === system);
  }

  tracepoints(): readonly TracepointFacts[] {
    return this.data.tracepoints;
  }

  tracepointHeads(): readonly TracepointHead[] {
    return this.data.tracepointHeads?.() ?? this.data.tracepoints;
  }

  systems(): ReadonlyMap<string, readonly string[]> {
    if (!this.systemMap) {
      const m = new Map<string, string[]>();
      for (const t of this.tracepointHeads()) {
        if (!t.system || !t.event) continue;
        const list = m.get(t.system);
        if (list) list.push(t.name);
        else m.set(t.system, [t.name]);
      }
      this.systemMap = new Map([...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    }
    return this.systemMap;
  }

  syscall(name: string): SyscallFacts | undefined {
    if (!this.syscallMap) this.syscallMap = new Map(this.data.syscalls.map((s) => [s.name, s]));
    return this.syscallMap.get(name);
  }

  syscalls(): readonly SyscallFacts[] {
    return this.data.syscalls;
  }

  lsmHook(name: string): LsmHookFacts | undefined {
    if (!this.lsmMap) this.lsmMap = new Map(this.lsmHooks().map((h) => [h.name, h]));
    return this.lsmMap.get(name);
  }

  /** The LSM hooks, by the one rule of model/symbols.ts: atlases built before it list a few
   *  `bpf_lsm_*` helpers (`bpf_lsm_init`) as hooks. */
  lsmHooks(): readonly LsmHookFacts[] {
    if (!this.lsmList) this.lsmList = this.data.lsmHooks.filter((h) => isLsmHookName(h.name));
    return this.lsmList;
  }

  types(): KernelTypesQuery | undefined {
    if (this.typeIndex === undefined) this.typeIndex = this.data.types ? new TypeIndex(this.data.types) : null;
    return this.typeIndex ?? undefined;
  }
}
