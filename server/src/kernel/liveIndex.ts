// LiveKernel: the running kernel as a KernelQuery, indexed lazily so it is usable sooner than
// `bpftool btf dump` can print the BTF (issue 6). The eager part is only what every question
// needs: the vmlinux BTF parse and its FUNC names, /proc/kallsyms's code symbols grouped by base
// name, and the names of the tracefs event folders. kallsyms is the slow one (the kernel formats
// it 4 KB per read), so a worker thread reads it while this thread parses the BTF, and its
// chunks are scanned as they arrive (kallsymsReader.ts). Names are kept as byte ranges in hash
// tables (nameTable.ts), not Maps of strings. FunctionFacts and TracepointFacts are built the
// first time a name is asked for, then cached; module BTF under /sys/kernel/btf/<module> is
// parsed on the first question vmlinux BTF cannot answer; a format file is read the first time
// its event is asked for. Answers are the ones live.ts's eager factsFromLive gives
// (test/unit/kernel/liveIndex.test.ts checks that on the running kernel), with the same honesty:
// unreadable sources leave facts null/unknown and become problems.

import fs from 'node:fs';
import path from 'node:path';
import { Btf, BtfKind, parseBtf } from './btf';
import { BTF_TYPES_COVERAGE, btfTypeStore } from './btfTypes';
import { TypeIndex } from '../model/coreTypes';
import { KernelDataError, describeFsError } from './errors';
import {
  LiveOptions, ProblemSink, RawTracepointSource, attachSymbol, buildLsmHooks, kernelArch, problemSink, readBtfBytes,
  stripCommonFlag, tracepointArgsResolver, versionOf, liveModulesCovered,
} from './live';
import { KallsymsIndex } from './procKallsyms';
import { baseName as symbolBaseName } from '../model/symbols';
import { FNV_OFFSET, FNV_PRIME, NameTable } from './nameTable';
import { KallsymsRead, KallsymsReadOptions, startKallsymsRead } from './kallsymsReader';
import {
  BLACKLIST_UNKNOWN, EventFormat, FILTER_FUNCTIONS_UNKNOWN, findEventsRoot, listEventDirs, parseAvailableFilterFunctions,
  parseKprobeBlacklist, probeReadable, readEventFormat,
} from './tracefs';
import type {
  Coverage, FunctionFacts, KernelMeta, KernelQuery, KernelTypesQuery, LsmHookFacts, Param, SyscallFacts, TraceField, TracepointFacts,
} from '../model/facts';

export interface OpenLiveResult {
  kernel: LiveKernel;
  /** Everything that could not be read so far, one sentence each; later lazy reads append to it. */
  problems: string[];
}

export interface LiveIndexOptions extends LiveOptions {
  /** How /proc/kallsyms is read (default: on a worker thread while the BTF is parsed). */
  kallsyms?: KallsymsReadOptions;
}

/**
 * Open the running kernel for queries. Throws KernelDataError only when its BTF is unreadable.
 * /proc/kallsyms is read on a worker thread meanwhile; this waits for it without running the
 * event loop (openLiveKernelAsync lets it run).
 */
export function openLiveKernel(opts: LiveIndexOptions = {}): OpenLiveResult {
  const { kernel, problems, read, kallsymsFile } = startOpen(opts);
  kernel.attachSymbols(kallsymsFile, () => read.indexSync());
  return { kernel, problems: problems.list };
}

/** openLiveKernel that awaits the kallsyms read, so the event loop runs while it finishes. */
export async function openLiveKernelAsync(opts: LiveIndexOptions = {}): Promise<OpenLiveResult> {
  const { kernel, problems, read, kallsymsFile } = startOpen(opts);
  let index: KallsymsIndex | undefined;
  let error: unknown;
  try {
    index = await read.index();
  } catch (e) {
    error = e;
  }
  kernel.attachSymbols(kallsymsFile, () => {
    if (!index) throw error;
    return index;
  });
  return { kernel, problems: problems.list };
}

/** Starts the kallsyms read, then does the synchronous part of opening while it runs. */
function startOpen(opts: LiveIndexOptions): { kernel: LiveKernel; problems: ProblemSink; read: KallsymsRead; kallsymsFile: string } {
  const problems = problemSink(opts.onProblem);
  const kallsymsFile = path.join(opts.sysRoot ?? '/', 'proc/kallsyms');
  const read = startKallsymsRead(kallsymsFile, opts.kallsyms);
  let kernel: LiveKernel;
  try {
    kernel = new LiveKernel(opts, problems);
    // Every question needs the BTF FUNC names; scan them while the worker still reads, then look
    // each kallsyms base name up in them as its chunk arrives (for functionNames()).
    read.setKnown(kernel.prepare());
  } catch (e) {
    read.cancel();
    throw e;
  }
  return { kernel, problems, read, kallsymsFile };
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export class LiveKernel implements KernelQuery {
  private readonly opts: LiveOptions;
  private readonly problems: ProblemSink;
  private readonly btf: Btf;
  private readonly btfBytes: Uint8Array;
  private readonly btfDir: string;
  private readonly release: string;
  private symbols?: KallsymsIndex;
  private readonly eventsDir?: string;
  private readonly tracefsRoot?: string;
  private readonly eventDirs?: Map<string, string[]>;
  private readonly filterFunctionsFile?: string;
  private readonly blacklistFile?: string;
  private readonly moduleNames: string[];
  private coverage?: Coverage;
  private readonly noModuleSupport: boolean;
  private readonly btfFile: string;

  private metaCache?: KernelMeta;
  private modules?: [string, Btf][];
  private scannedNames?: VmlinuxNames;
  private moduleFuncs?: Map<string, { btf: Btf; protoId: number; module: string }>;
  private names?: string[];
  private readonly fnCache = new Map<string, FunctionFacts | null>();
  private ftraceable?: Set<string> | null;
  private blacklisted?: Set<string> | null;
  private vmlinuxRawTps?: Set<string>;
  private moduleRawTps?: Map<string, RawTracepointSource>;
  private argsOf?: (name: string, fields?: TraceField[]) => { args?: Param[]; template?: string };
  private eventSystems?: Map<string, string[]>;
  private readonly tpCache = new Map<string, TracepointFacts[]>();
  private allTracepoints?: TracepointFacts[];
  private systemMap?: Map<string, string[]>;
  private readonly syscallCache = new Map<string, SyscallFacts | null>();
  private allSyscalls?: SyscallFacts[];
  private lsm?: LsmHookFacts[];
  private lsmMap?: Map<string, LsmHookFacts>;
  private kfuncList?: string[];

  /** The synchronous part of opening; openLiveKernel(Async) then attaches the symbols. */
  constructor(opts: LiveOptions, problems: ProblemSink) {
    this.opts = opts;
    this.problems = problems;
    const sys = (p: string) => path.join(opts.sysRoot ?? '/', p);

    const btfFile = sys('sys/kernel/btf/vmlinux');
    const read = readBtfBytes(btfFile, undefined, 'the kernel BTF',
      'the running kernel was built without CONFIG_DEBUG_INFO_BTF, or /sys is not mounted; without BTF there are no facts to read');
    this.btf = read.btf;
    this.btfBytes = read.bytes;
    this.btfDir = path.dirname(btfFile);

    let release = 'unknown';
    try {
      release = fs.readFileSync(sys('proc/sys/kernel/osrelease'), 'utf8').trim();
    } catch (e) {
      problems.add(`${sys('proc/sys/kernel/osrelease')}: ${describeFsError(e)}; kernel release unknown`);
    }
    this.release = release;

    // Module BTF: names now (one readdir), parsed on the first question vmlinux cannot answer.
    this.moduleNames = [];
    try {
      this.moduleNames = fs.readdirSync(this.btfDir).filter((n) => n !== 'vmlinux').sort();
    } catch (e) {
      problems.add(`${this.btfDir}: ${describeFsError(e)}; module BTF not read`);
    }

    // tracefs: event folder names only; format files, filter functions and blacklist on demand.
    const roots = opts.tracefsRoot ? [opts.tracefsRoot] : [sys('sys/kernel/tracing'), sys('sys/kernel/debug/tracing')];
    const tracefsProblems: string[] = [];
    this.tracefsRoot = findEventsRoot(roots, tracefsProblems);
    if (this.tracefsRoot) {
      this.eventsDir = path.join(this.tracefsRoot, 'events');
      this.eventDirs = listEventDirs(this.eventsDir, tracefsProblems);
      const aff = path.join(this.tracefsRoot, 'available_filter_functions');
      const affProblem = probeReadable(aff, FILTER_FUNCTIONS_UNKNOWN);
      if (affProblem) tracefsProblems.push(affProblem);
      else this.filterFunctionsFile = aff;
    }
    const blacklist = path.join(opts.debugfsRoot ?? sys('sys/kernel/debug'), 'kprobes', 'blacklist');
    const blProblem = probeReadable(blacklist, BLACKLIST_UNKNOWN);
    if (blProblem) tracefsProblems.push(blProblem);
    else this.blacklistFile = blacklist;
    for (const p of tracefsProblems) problems.add(p);
    if (!this.tracefsRoot) {
      if (this.vmlinuxRawTracepoints().size || (this.moduleNames.length && this.moduleRawTracepoints().size)) {
        problems.add(this.bundledSystems()?.size
          ? 'tracefs unreadable: trace systems come from the bundled atlases and record fields from same-named trace_event_raw_* structs; a raw tracepoint neither of them knows is listed without an event'
          : 'tracefs unreadable and no bundled systems given: tracepoint systems unknown; only raw tracepoints with a same-named trace_event_raw_* struct are known to have an event');
      }
      problems.add('syscall arguments unknown: they come from tracefs syscalls/sys_enter_* formats');
    }

    this.noModuleSupport = !fs.existsSync(sys('proc/modules'));
    this.btfFile = btfFile;
  }

  /** Work every question needs, done while the kallsyms read is still running; gives the BTF
   *  FUNC names, for the kallsyms scan to look its base names up in. */
  prepare(): NameTable {
    const funcs = this.vmlinuxFunctions();
    funcs.names();
    return funcs.table;
  }

  /** Takes the kallsyms index (or the reason there is none, thrown by `read`) as a problem. */
  attachSymbols(kallsymsFile: string, read: () => KallsymsIndex): void {
    try {
      const index = read();
      if (index.addressesZeroed) {
        this.problems.add(`${kallsymsFile}: addresses are hidden (kptr_restrict, not root); init-only functions cannot be told apart`);
      }
      this.symbols = index;
    } catch (e) {
      this.problems.add(e instanceof KernelDataError ? e.message : `${kallsymsFile}: ${describeFsError(e)}; symbols (renamed/duplicate functions) unknown`);
    }
    this.coverage = {
      inline: 'none',
      ftrace: !!this.filterFunctionsFile,
      blacklist: !!this.blacklistFile,
      modules: liveModulesCovered(!!this.symbols, !!this.symbols?.hasModules, this.noModuleSupport),
      btf: true,
      exactFieldOffsets: !!this.tracefsRoot,
      types: BTF_TYPES_COVERAGE,
    };
  }

  private bundledMap?: ReadonlyMap<string, string> | null;

  /** The caller's event → system map (resolved once, only when tracefs is unreadable). */
  private bundledSystems(): ReadonlyMap<string, string> | undefined {
    if (this.bundledMap === undefined) {
      const given = this.opts.bundledSystems;
      this.bundledMap = (typeof given === 'function' ? given() : given) ?? null;
    }
    return this.bundledMap ?? undefined;
  }

  /** Metadata; the counts are computed on first read (they need the full name lists). */
  get meta(): KernelMeta {
    if (!this.metaCache) {
      this.metaCache = {
        id: 'live', release: this.release, version: versionOf(this.release), arch: kernelArch(), source: 'live',
        provenance: this.provenance(),
        coverage: this.coverage!,
        counts: {
          functions: this.functionNames().length,
          tracepoints: this.tracepointCount(),
          syscalls: this.syscallNames().length,
          lsmHooks: this.lsmHooks().length,
        },
      };
    }
    return this.metaCache;
  }

  /** Names the module BTF that parsed, so it is built when first read, like the counts. */
  private provenance(): string {
    const modules = this.moduleNames.length ? this.moduleBtfs().length : 0;
    return `running kernel ${this.release}: ${this.btfFile}${modules ? ` + ${modules} module BTF` : ''}`
      + `${this.symbols ? ', /proc/kallsyms' : ''}${this.tracefsRoot ? `, tracefs ${this.tracefsRoot}` : ''}`;
  }

  // ---------------------------------------------------------------- BTF, lazily

  private moduleBtfs(): [string, Btf][] {
    if (this.modules) return this.modules;
    this.modules = [];
    for (const name of this.moduleNames) {
      const file = path.join(this.btfDir, name);
      try {
        this.modules.push([name, parseBtf(fs.readFileSync(file), { file, base: this.btf })]);
      } catch (e) {
        this.problems.add(e instanceof KernelDataError ? e.message : `${file}: ${describeFsError(e)}`);
      }
    }
    return this.modules;
  }

  private vmlinuxNames(): VmlinuxNames {
    if (!this.scannedNames) this.scannedNames = scanVmlinuxNames(this.btfBytes, this.btf);
    return this.scannedNames;
  }

  private vmlinuxFunctions(): FuncNames {
    return this.vmlinuxNames().funcs;
  }

  /** FUNCs of module BTF that vmlinux BTF lacks, first module (in name order) wins. */
  private moduleFunctions(): Map<string, { btf: Btf; protoId: number; module: string }> {
    if (!this.moduleFuncs) {
      const vm = this.vmlinuxFunctions();
      const m = new Map<string, { btf: Btf; protoId: number; module: string }>();
      for (const [module, b] of this.moduleBtfs()) {
        for (const f of b.funcs()) if (!vm.has(f.name) && !m.has(f.name)) m.set(f.name, { btf: b, protoId: f.protoId, module });
      }
      this.moduleFuncs = m;
    }
    return this.moduleFuncs;
  }

  private btfFunc(name: string): { btf: Btf; protoId: number; module?: string } | undefined {
    const protoId = this.vmlinuxFunctions().get(name);
    if (protoId !== undefined) return { btf: this.btf, protoId };
    return this.moduleNames.length ? this.moduleFunctions().get(name) : undefined;
  }

  // ---------------------------------------------------------------- functions

  fn(name: string): FunctionFacts | undefined {
    let f = this.fnCache.get(name);
    if (f === undefined) {
      f = this.buildFunction(name) ?? null;
      this.fnCache.set(name, f);
    }
    return f ?? undefined;
  }

  private buildFunction(name: string): FunctionFacts | undefined {
    const src = this.btfFunc(name);
    const proto = src && src.btf.kind(src.protoId) === BtfKind.FUNC_PROTO ? src.btf.proto(src.protoId) : undefined;
    const k = this.symbols;
    const entry = k ? k.bases.find(name) : -1;
    if (k && entry >= 0) {
      const idx = k.symbolsOf(entry);
      const names = idx.map((i) => k.symbolName(i));
      const attach = attachSymbol(name, names);
      const f: FunctionFacts = {
        name,
        symbols: names,
        inBtf: src !== undefined,
        inline: 'unknown',
        ftrace: this.ftraceSet()?.has(attach) ?? null,
        kprobeBlacklisted: this.blacklistSet()?.has(attach) ?? null,
      };
      if (proto) f.proto = proto;
      const module = k.moduleOf(idx[0]);
      if (module !== undefined && idx.every((i) => k.moduleOf(i) === module)) f.module = module;
      if (module === undefined && idx.every((i) => k.isInit(i))) f.initOnly = true;
      return f;
    }
    if (!src) return undefined;
    // In BTF without a text symbol: nothing can attach (symbols: []); without a symbol table
    // at all, a FUNC stands for its own symbol.
    const f: FunctionFacts = {
      name,
      symbols: k ? [] : [name],
      inBtf: true,
      inline: 'unknown',
      ftrace: this.ftraceSet()?.has(name) ?? null,
      kprobeBlacklisted: this.blacklistSet()?.has(name) ?? null,
    };
    if (proto) f.proto = proto;
    if (src.module) f.module = src.module;
    return f;
  }

  private ftraceSet(): Set<string> | null {
    if (this.ftraceable === undefined) {
      this.ftraceable = null;
      const file = this.filterFunctionsFile;
      if (file) {
        try {
          this.ftraceable = new Set(parseAvailableFilterFunctions(fs.readFileSync(file, 'utf8')).map((f) => f.name));
        } catch (e) {
          this.problems.add(`${file}: ${describeFsError(e)}; ${FILTER_FUNCTIONS_UNKNOWN}`);
        }
      }
    }
    return this.ftraceable;
  }

  private blacklistSet(): Set<string> | null {
    if (this.blacklisted === undefined) {
      this.blacklisted = null;
      const file = this.blacklistFile;
      if (file) {
        try {
          this.blacklisted = new Set(parseKprobeBlacklist(fs.readFileSync(file, 'utf8')).map((b) => b.name));
        } catch (e) {
          this.problems.add(`${file}: ${describeFsError(e)}; ${BLACKLIST_UNKNOWN}`);
        }
      }
    }
    return this.blacklisted;
  }

  hasSymbol(name: string): boolean {
    const k = this.symbols;
    if (!k) return this.fn(name)?.symbols.includes(name) ?? false;
    const base = name.charCodeAt(0) === 46 ? name : symbolBaseName(name);
    if (this.fn(base)?.symbols.includes(name)) return true;
    return binarySearch(k.extra, name) >= 0;
  }

  /** The union of BTF FUNC names and kallsyms base names, each once, in no set order (KernelQuery
   *  allows that for the running kernel: sorting 60k names would cost more than the rest of
   *  opening it). Built on first call. */
  functionNames(): readonly string[] {
    if (!this.names) {
      const k = this.symbols?.bases;
      const funcs = this.vmlinuxFunctions();
      const names = funcs.names().slice();
      const index = this.symbols;
      if (index && k) {
        // kallsyms base names BTF lacks (looked up as kallsyms was scanned, or by hash and
        // characters now): no string is made for the others
        for (let e = 0; e < k.size; e++) {
          const inBtf = index.isKnown(e) ?? funcs.table.findRange(k.text, k.offset(e), k.length(e), k.hash(e)) >= 0;
          if (inBtf) continue;
          const n = k.name(e);
          if (!funcs.other.has(n)) names.push(n);
        }
      }
      if (this.moduleNames.length) for (const n of this.moduleFunctions().keys()) if (!k?.has(n)) names.push(n);
      this.names = names;
    }
    return this.names;
  }

  /** The first `limit` names with the prefix in name order: one pass over the names, keeping
   *  the smallest `limit` matches, so even an empty prefix sorts no more than `limit` names. */
  functionNamesWithPrefix(prefix: string, limit: number): string[] {
    // SmallestNames drops repeats, so a name both kallsyms and BTF hold needs no lookup.
    const smallest = new SmallestNames(limit);
    const k = this.symbols?.bases;
    if (k) for (const e of k.withPrefix(prefix)) smallest.offer(k.name(e));
    const funcs = this.vmlinuxFunctions();
    for (const e of funcs.table.withPrefix(prefix)) smallest.offer(funcs.table.name(e));
    for (const n of funcs.other.keys()) if (n.startsWith(prefix)) smallest.offer(n);
    if (this.moduleNames.length) for (const n of this.moduleFunctions().keys()) if (n.startsWith(prefix)) smallest.offer(n);
    return smallest.names;
  }

  /** Local asm labels (`.E_copy`): text, but no function; kept for exact-name lookups. */
  extraSymbols(): readonly string[] {
    return this.symbols?.extra ?? [];
  }

  /** BPF kfuncs (DECL_TAG bpf_kfunc) of vmlinux and module BTF. */
  kfuncs(): readonly string[] {
    if (!this.kfuncList) {
      const all = new Set(this.btf.declTags('bpf_kfunc'));
      for (const [, m] of this.moduleBtfs()) for (const k of m.declTags('bpf_kfunc')) all.add(k);
      this.kfuncList = [...all].sort();
    }
    return this.kfuncList;
  }

  /** Every record with this name (a live kernel has one per name), like KernelIndex.fnAll. */
  fnAll(name: string): FunctionFacts[] {
    const f = this.fn(name);
    return f ? [f] : [];
  }

  // ---------------------------------------------------------------- tracepoints

  private vmlinuxRawTracepoints(): Set<string> {
    if (!this.vmlinuxRawTps) this.vmlinuxRawTps = new Set(this.vmlinuxNames().traceTypedefs.keys());
    return this.vmlinuxRawTps;
  }

  private moduleRawTracepoints(): Map<string, RawTracepointSource> {
    if (!this.moduleRawTps) {
      const vm = this.vmlinuxRawTracepoints();
      const m = new Map<string, RawTracepointSource>();
      for (const [module, b] of this.moduleBtfs()) {
        for (const tp of rawTracepointNames(b)) if (!vm.has(tp) && !m.has(tp)) m.set(tp, { btf: b, module });
      }
      this.moduleRawTps = m;
    }
    return this.moduleRawTps;
  }

  private rawTracepointSource(name: string): RawTracepointSource | undefined {
    if (this.vmlinuxRawTracepoints().has(name)) return { btf: this.btf };
    return this.moduleNames.length ? this.moduleRawTracepoints().get(name) : undefined;
  }

  /** Event name → systems holding it (tracefs), `ftrace` left out as live.ts does. */
  private systemsOfEvent(): Map<string, string[]> {
    if (!this.eventSystems) {
      const m = new Map<string, string[]>();
      for (const [system, events] of this.eventDirs ?? []) {
        if (system === 'ftrace') continue;
        for (const ev of events) {
          const list = m.get(ev);
          if (list) list.push(system);
          else m.set(ev, [system]);
        }
      }
      this.eventSystems = m;
    }
    return this.eventSystems;
  }

  /** Every record for this event name, in the order factsFromLive sorts tracepoints. */
  private tracepointList(name: string): TracepointFacts[] {
    let list = this.tpCache.get(name);
    if (list) return list;
    list = [];
    if (!this.argsOf) {
      const vmlinux = this.btf;
      this.argsOf = tracepointArgsResolver((n) => this.rawTracepointSource(n), {
        traceArgs: (b, tp) => (b === vmlinux ? traceArgsFromNames(b, this.vmlinuxNames(), tp) : undefined),
        hasFunc: (b, fn) => (b === vmlinux ? this.vmlinuxNames().funcs.has(fn) : undefined),
        hasStruct: (b, st) => (b === vmlinux ? this.vmlinuxNames().rawStructs.has(st) : undefined),
      });
    }
    const argsOf = this.argsOf;
    const raw = this.rawTracepointSource(name);
    if (this.eventsDir) {
      for (const system of this.systemsOfEvent().get(name) ?? []) {
        const ev = this.readFormat(system, name);
        if (!ev) continue;
        const fields = ev.fields.filter((f) => !f.common).map(stripCommonFlag);
        const t: TracepointFacts = { name: ev.name, event: true, btf: this.rawTracepointSource(ev.name) !== undefined, fields };
        if (ev.system) t.system = ev.system;
        if (ev.printFmt) t.fmt = ev.printFmt;
        const { args, template } = argsOf(ev.name, fields);
        if (args) t.args = args;
        if (template) t.template = template;
        const mod = this.rawTracepointSource(ev.name)?.module;
        if (mod) t.module = mod;
        list.push(t);
      }
    }
    if (!list.length && raw) {
      const tracefs = !!this.eventsDir;
      const system = tracefs ? undefined : this.bundledSystems()?.get(name);
      const fields = tracefs ? undefined : raw.btf.structFields(`trace_event_raw_${name}`);
      const t: TracepointFacts = { name, event: !tracefs && (system !== undefined || fields !== undefined), btf: true };
      if (system) t.system = system;
      if (fields) t.fields = fields;
      const { args, template } = argsOf(name, fields);
      if (args) t.args = args;
      if (template) t.template = template;
      if (raw.module) t.module = raw.module;
      list.push(t);
    }
    list.sort(byTracepointKey);
    this.tpCache.set(name, list);
    return list;
  }

  private readFormat(system: string, event: string): EventFormat | undefined {
    const sink: string[] = [];
    const ev = readEventFormat(this.eventsDir!, system, event, sink);
    for (const p of sink) this.problems.add(p);
    return ev;
  }

  tracepoint(name: string, system?: string): TracepointFacts | undefined {
    const list = this.tracepointList(name);
    if (!list.length) return undefined;
    if (system === undefined) return list.find((t) => t.event) ?? list[0];
    return list.find((t) => t.system === system);
  }

  /** Every tracepoint: reads every format file (once). */
  tracepoints(): readonly TracepointFacts[] {
    if (!this.allTracepoints) {
      const out: TracepointFacts[] = [];
      for (const name of this.tracepointNames()) out.push(...this.tracepointList(name));
      this.allTracepoints = out.sort(byTracepointKey);
    }
    return this.allTracepoints;
  }

  private tracepointNames(): Set<string> {
    const names = new Set<string>(this.eventsDir ? this.systemsOfEvent().keys() : []);
    for (const n of this.vmlinuxRawTracepoints()) names.add(n);
    if (this.moduleNames.length) for (const n of this.moduleRawTracepoints().keys()) names.add(n);
    return names;
  }

  private tracepointCount(): number {
    if (this.allTracepoints) return this.allTracepoints.length;
    if (!this.eventsDir) return this.tracepointNames().size;
    let n = 0;
    const events = this.systemsOfEvent();
    for (const systems of events.values()) n += systems.length;
    for (const name of this.tracepointNames()) if (!events.has(name)) n++;
    return n;
  }

  /** Trace systems with their event names, from the tracefs folder names (or the bundled
   *  systems map when tracefs is unreadable), without reading any format file. */
  systems(): ReadonlyMap<string, readonly string[]> {
    if (!this.systemMap) {
      const m = new Map<string, string[]>();
      const add = (system: string, event: string) => {
        const list = m.get(system);
        if (list) list.push(event);
        else m.set(system, [event]);
      };
      if (this.eventDirs) {
        for (const [system, events] of this.eventDirs) if (system !== 'ftrace') for (const ev of events) add(system, ev);
      } else {
        for (const name of this.tracepointNames()) {
          const system = this.bundledSystems()?.get(name);
          if (system) add(system, name);
        }
      }
      for (const list of m.values()) list.sort();
      this.systemMap = new Map([...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    }
    return this.systemMap;
  }

  // ---------------------------------------------------------------- syscalls and LSM hooks

  private syscallNames(): string[] {
    const events = this.eventDirs?.get('syscalls') ?? [];
    return events.filter((e) => e.startsWith('sys_enter_')).map((e) => e.slice('sys_enter_'.length));
  }

  syscall(name: string): SyscallFacts | undefined {
    let s = this.syscallCache.get(name);
    if (s === undefined) {
      s = null;
      if (this.eventDirs?.get('syscalls')?.includes(`sys_enter_${name}`)) {
        const ev = this.readFormat('syscalls', `sys_enter_${name}`);
        if (ev && ev.name.startsWith('sys_enter_')) {
          const args = ev.fields.filter((f) => !f.common && f.name !== '__syscall_nr').map((f) => ({ name: f.name, type: f.type }));
          s = { name: ev.name.slice('sys_enter_'.length), args };
        }
      }
      this.syscallCache.set(name, s);
    }
    return s ?? undefined;
  }

  syscalls(): readonly SyscallFacts[] {
    if (!this.allSyscalls) {
      const out: SyscallFacts[] = [];
      for (const n of this.syscallNames()) {
        const s = this.syscall(n);
        if (s) out.push(s);
      }
      this.allSyscalls = out.sort(byName);
    }
    return this.allSyscalls;
  }

  lsmHooks(): readonly LsmHookFacts[] {
    if (!this.lsm) this.lsm = buildLsmHooks(this.btf);
    return this.lsm;
  }

  lsmHook(name: string): LsmHookFacts | undefined {
    if (!this.lsmMap) this.lsmMap = new Map(this.lsmHooks().map((h) => [h.name, h]));
    return this.lsmMap.get(name);
  }
  private typeIndex?: TypeIndex;

  /** The vmlinux BTF's types, each converted the first time it is asked for. */
  types(): KernelTypesQuery {
    this.typeIndex ??= new TypeIndex(btfTypeStore(this.btf));
    return this.typeIndex;
  }

}

// ---------------------------------------------------------------- helpers

/** `btf_trace_<tp>` typedef names of one BTF blob (its own types only). */
function rawTracepointNames(btf: Btf): Set<string> {
  const out = new Set<string>();
  for (const id of btf.ids(BtfKind.TYPEDEF)) {
    const n = btf.name(id);
    if (n.startsWith('btf_trace_')) out.add(n.slice('btf_trace_'.length));
  }
  return out;
}

function byTracepointKey(a: TracepointFacts, b: TracepointFacts): number {
  const ka = `${a.system ?? '~'}:${a.name}`, kb = `${b.system ?? '~'}:${b.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function binarySearch(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo] === key ? lo : -1;
}

/** The `limit` smallest distinct names offered, in code-unit order: names larger than the
 *  largest kept one are turned away with one comparison, the others inserted in place. */
class SmallestNames {
  readonly names: string[] = [];
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = Math.max(0, limit);
  }

  offer(name: string): void {
    const kept = this.names;
    if (kept.length === this.limit && (this.limit === 0 || name >= kept[kept.length - 1])) return;
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (kept[mid] < name) lo = mid + 1;
      else hi = mid;
    }
    if (kept[lo] === name) return;
    kept.splice(lo, 0, name);
    if (kept.length > this.limit) kept.pop();
  }
}

/**
 * FUNC names of vmlinux BTF with their FUNC_PROTO ids (first FUNC of a name wins): ASCII names
 * (all of them in practice) as a NameTable over the string section, any other name decoded by
 * Btf in `other`. Every live lookup needs them, so they are read straight off the type section
 * of bytes `btf` has already parsed and checked, hashing the name bytes, with no string made.
 */
class FuncNames {
  readonly table: NameTable;
  readonly protoIds: number[] = [];
  readonly other = new Map<string, number>();

  constructor(strings: string) {
    this.table = new NameTable(strings, 65536);
  }

  get(name: string): number | undefined {
    const e = this.table.find(name);
    return e >= 0 ? this.protoIds[e] : this.other.get(name);
  }

  has(name: string): boolean {
    return this.table.find(name) >= 0 || this.other.has(name);
  }

  private list?: string[];

  /** Every name, each once, in no set order (made once). */
  names(): readonly string[] {
    if (!this.list) {
      this.list = this.table.names();
      for (const n of this.other.keys()) this.list.push(n);
    }
    return this.list;
  }
}

interface VmlinuxNames {
  funcs: FuncNames;
  /** Raw tracepoint name → id of its `btf_trace_<name>` typedef (first of a name). */
  traceTypedefs: Map<string, number>;
  /** Names of `trace_event_raw_*` structs. */
  rawStructs: Set<string>;
}

function scanVmlinuxNames(bytes: Uint8Array, btf: Btf): VmlinuxNames {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = btf.littleEndian;
  const hdrLen = dv.getUint32(4, le);
  const typeStart = hdrLen + dv.getUint32(8, le);
  const typeEnd = typeStart + dv.getUint32(12, le);
  const strStart = hdrLen + dv.getUint32(16, le);
  const strLen = dv.getUint32(20, le);
  const str = bytes.subarray(strStart, strStart + strLen);
  const strings = Buffer.from(str.buffer, str.byteOffset, strLen).toString('latin1');
  const funcs = new FuncNames(strings);
  const out: VmlinuxNames = { funcs, traceTypedefs: new Map(), rawStructs: new Set() };
  let id = btf.firstId;
  for (let p = typeStart; p < typeEnd; id++) {
    const info = dv.getUint32(p + 4, le);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    if (kind === BtfKind.FUNC) {
      const off = dv.getUint32(p, le);
      let h = FNV_OFFSET;
      let ascii = true;
      let q = off;
      for (let c = str[q]; c !== 0; c = str[++q]) {
        if (c > 127) ascii = false;
        h = Math.imul(h ^ c, FNV_PRIME);
      }
      const protoId = dv.getUint32(p + 8, le);
      if (ascii) {
        const size = funcs.table.size;
        if (funcs.table.add(off, q - off, h) === size) funcs.protoIds.push(protoId);
      } else {
        const name = btf.name(id);
        if (!funcs.other.has(name)) funcs.other.set(name, protoId);
      }
    } else if (kind === BtfKind.TYPEDEF) {
      const off = dv.getUint32(p, le);
      if (off !== 0 && strings.startsWith('btf_trace_', off)) {
        const tp = btf.name(id).slice('btf_trace_'.length);
        if (!out.traceTypedefs.has(tp)) out.traceTypedefs.set(tp, id);
      }
    } else if (kind === BtfKind.STRUCT) {
      const off = dv.getUint32(p, le);
      if (off !== 0 && strings.startsWith('trace_event_raw_', off)) out.rawStructs.add(btf.name(id));
    }
    p += 12 + TAIL_BYTES[kind] + vlen * VLEN_BYTES[kind];
  }
  return out;
}

/** Btf.btfTraceArgs over the scanned names: typedef btf_trace_<tp> → PTR → FUNC_PROTO, names
 *  from the same-named __bpf_trace_<tp> FUNC when its parameter types match. null: no args. */
function traceArgsFromNames(btf: Btf, names: VmlinuxNames, tp: string): Param[] | null {
  const td = names.traceTypedefs.get(tp);
  if (td === undefined) return null;
  const ptr = btf.refType(td);
  if (ptr === 0 || btf.kind(ptr) !== BtfKind.PTR) return null;
  const fp = btf.refType(ptr);
  if (fp === 0 || btf.kind(fp) !== BtfKind.FUNC_PROTO) return null;
  const args = btf.proto(fp).params.slice(1);
  let named: string[] | undefined;
  const protoId = names.funcs.get(`__bpf_trace_${tp}`);
  if (protoId !== undefined) {
    if (btf.kind(protoId) !== BtfKind.FUNC_PROTO) return btf.btfTraceArgs(tp) ?? null; // let Btf report the corrupt FUNC
    const params = btf.proto(protoId).params.slice(1);
    if (params.length === args.length && params.every((p, i) => p.type === args[i].type)) named = params.map((p) => p.name);
  }
  return args.map((a, i) => ({ type: a.type, name: named?.[i] || a.name || `arg${i}` }));
}

/** Per BTF kind (index): fixed bytes after the 12-byte header, and bytes per vlen entry. */
const TAIL_BYTES = [0, 4, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 4, 0, 0];
const VLEN_BYTES = [0, 0, 0, 0, 12, 12, 8, 0, 0, 0, 0, 0, 0, 8, 0, 12, 0, 0, 0, 12];
