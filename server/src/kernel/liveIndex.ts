// LiveKernel: the running kernel as a KernelQuery, indexed lazily so it is usable sooner than
// `bpftool btf dump` can print the BTF (issue 6). The eager part is only what every question
// needs: the vmlinux BTF parse, one hand-rolled scan of /proc/kallsyms that keeps code symbols
// grouped by base name, and the names of the tracefs event folders. FunctionFacts and
// TracepointFacts are built the first time a name is asked for, then cached; module BTF under
// /sys/kernel/btf/<module> is parsed on the first question vmlinux BTF cannot answer; a format
// file is read the first time its event is asked for. Answers are the ones live.ts's eager
// factsFromLive gives (test/unit/kernel/liveIndex.test.ts checks that on the running kernel),
// with the same honesty: unreadable sources leave facts null/unknown and become problems.

import fs from 'node:fs';
import path from 'node:path';
import { Btf, BtfKind, parseBtf } from './btf';
import { KernelDataError, describeFsError } from './errors';
import {
  LiveOptions, ProblemSink, RawTracepointSource, attachSymbol, buildLsmHooks, kernelArch, problemSink, readBtfBytes,
  stripCommonFlag, tracepointArgsResolver, versionOf, liveModulesCovered,
} from './live';
import { TextSymbolScan, scanKallsymsText, symbolBaseName } from './procKallsyms';
import {
  BLACKLIST_UNKNOWN, EventFormat, FILTER_FUNCTIONS_UNKNOWN, findEventsRoot, listEventDirs, parseAvailableFilterFunctions,
  parseKprobeBlacklist, probeReadable, readEventFormat,
} from './tracefs';
import type {
  Coverage, FunctionFacts, KernelMeta, KernelQuery, LsmHookFacts, Param, SyscallFacts, TraceField, TracepointFacts,
} from '../atlas/model';

export interface OpenLiveResult {
  kernel: LiveKernel;
  /** Everything that could not be read so far, one sentence each; later lazy reads append to it. */
  problems: string[];
}

/** Open the running kernel for queries. Throws KernelDataError only when its BTF is unreadable. */
export function openLiveKernel(opts: LiveOptions = {}): OpenLiveResult {
  const problems = problemSink(opts.onProblem);
  const kernel = new LiveKernel(opts, problems);
  return { kernel, problems: problems.list };
}

/** Code symbols of /proc/kallsyms grouped by base name (indexes into the scan's arrays). */
interface SymbolIndex {
  scan: TextSymbolScan;
  byBase: Map<string, number | number[]>;
  ranges?: { stext: Addr; etext: Addr; sinit?: Addr; einit?: Addr };
  /** Text symbols whose name starts with '.' (local asm labels), sorted and unique. */
  extra: string[];
}

type Addr = [number, number];

function addrLess(hiA: number, loA: number, hiB: number, loB: number): boolean {
  return hiA < hiB || (hiA === hiB && loA < loB);
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export class LiveKernel implements KernelQuery {
  private readonly opts: LiveOptions;
  private readonly problems: ProblemSink;
  private readonly btf: Btf;
  private readonly btfBytes: Uint8Array;
  private readonly btfDir: string;
  private readonly release: string;
  private readonly symbols?: SymbolIndex;
  private readonly eventsDir?: string;
  private readonly tracefsRoot?: string;
  private readonly eventDirs?: Map<string, string[]>;
  private readonly filterFunctionsFile?: string;
  private readonly blacklistFile?: string;
  private readonly moduleNames: string[];
  private readonly coverage: Coverage;
  private readonly btfFile: string;

  private metaCache?: KernelMeta;
  private modules?: [string, Btf][];
  private vmlinuxFuncs?: Map<string, number>;
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

    const kallsymsFile = sys('proc/kallsyms');
    try {
      const scan = scanKallsymsText(fs.readFileSync(kallsymsFile), kallsymsFile);
      if (scan.addressesZeroed) {
        problems.add(`${kallsymsFile}: addresses are hidden (kptr_restrict, not root); init-only functions cannot be told apart`);
      }
      this.symbols = indexSymbols(scan);
    } catch (e) {
      problems.add(e instanceof KernelDataError ? e.message : `${kallsymsFile}: ${describeFsError(e)}; symbols (renamed/duplicate functions) unknown`);
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

    this.coverage = {
      inline: 'none',
      ftrace: !!this.filterFunctionsFile,
      blacklist: !!this.blacklistFile,
      modules: liveModulesCovered(!!this.symbols, !!this.symbols?.scan.hasModules, !fs.existsSync(sys('proc/modules'))),
      btf: true,
      exactFieldOffsets: !!this.tracefsRoot,
    };
    this.btfFile = btfFile;
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
        coverage: this.coverage,
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

  private vmlinuxFunctions(): Map<string, number> {
    if (!this.vmlinuxFuncs) {
      this.vmlinuxFuncs = this.vmlinuxNames().funcs;
    }
    return this.vmlinuxFuncs;
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
    const entry = k?.byBase.get(name);
    if (k && entry !== undefined) {
      const idx = typeof entry === 'number' ? [entry] : [...entry];
      const { scan, ranges } = k;
      if (ranges) idx.sort((a, b) => (addrLess(scan.addrHi[a], scan.addrLo[a], scan.addrHi[b], scan.addrLo[b]) ? -1
        : addrLess(scan.addrHi[b], scan.addrLo[b], scan.addrHi[a], scan.addrLo[a]) ? 1 : 0));
      const names = idx.map((i) => scan.names[i]);
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
      const module = scan.moduleOf[idx[0]];
      if (module >= 0 && idx.every((i) => scan.moduleOf[i] === module)) f.module = scan.modules[module];
      if (ranges && module < 0 && idx.every((i) => scan.moduleOf[i] < 0 && inInit(ranges, scan.addrHi[i], scan.addrLo[i]))) f.initOnly = true;
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

  /** The sorted union of kallsyms base names and BTF FUNC names (sorted once, on first call). */
  functionNames(): readonly string[] {
    if (!this.names) {
      const byBase = this.symbols?.byBase;
      const names = byBase ? [...byBase.keys()] : [];
      for (const n of this.vmlinuxFunctions().keys()) if (!byBase?.has(n)) names.push(n);
      if (this.moduleNames.length) for (const n of this.moduleFunctions().keys()) if (!byBase?.has(n)) names.push(n);
      this.names = sortNames(names, 0);
    }
    return this.names;
  }

  /** Before the full list is sorted, only the names with the prefix are collected and sorted,
   *  so a first completion on a cold kernel does not pay for sorting 60k names. */
  functionNamesWithPrefix(prefix: string, limit: number): string[] {
    if (!this.names) {
      const byBase = this.symbols?.byBase;
      const found: string[] = [];
      if (byBase) for (const n of byBase.keys()) if (n.startsWith(prefix)) found.push(n);
      for (const n of this.vmlinuxFunctions().keys()) if (n.startsWith(prefix) && !byBase?.has(n)) found.push(n);
      if (this.moduleNames.length) for (const n of this.moduleFunctions().keys()) if (n.startsWith(prefix) && !byBase?.has(n)) found.push(n);
      return found.sort().slice(0, limit);
    }
    const names = this.names;
    const out: string[] = [];
    for (let i = lowerBound(names, prefix); i < names.length && out.length < limit && names[i].startsWith(prefix); i++) out.push(names[i]);
    return out;
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
}

// ---------------------------------------------------------------- helpers

/** Group the scanned code symbols by base name, dropping vmlinux symbols outside the kernel text
 *  (the type letter is not trusted there: 7.x kernels mark some data `t`). */
function indexSymbols(scan: TextSymbolScan): SymbolIndex {
  const b = scan.boundaries;
  const stext = b.get('_stext');
  const etext = b.get('_etext');
  const ranges = !scan.addressesZeroed && stext && etext
    ? { stext, etext, sinit: b.get('_sinittext'), einit: b.get('_einittext') }
    : undefined;
  const byBase = new Map<string, number | number[]>();
  const extra = new Set<string>();
  const { names, addrHi, addrLo, moduleOf, baseOf } = scan;
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (name.charCodeAt(0) === 46) {
      extra.add(name);
      continue;
    }
    if (ranges && moduleOf[i] < 0 && !inText(ranges, addrHi[i], addrLo[i])) continue;
    const base = baseOf[i] ?? name;
    const prev = byBase.get(base);
    if (prev === undefined) byBase.set(base, i);
    else if (typeof prev === 'number') byBase.set(base, [prev, i]);
    else prev.push(i);
  }
  return { scan, byBase, ranges, extra: [...extra].sort() };
}

function inInit(r: NonNullable<SymbolIndex['ranges']>, hi: number, lo: number): boolean {
  return !!r.sinit && !!r.einit && !addrLess(hi, lo, r.sinit[0], r.sinit[1]) && addrLess(hi, lo, r.einit[0], r.einit[1]);
}

function inText(r: NonNullable<SymbolIndex['ranges']>, hi: number, lo: number): boolean {
  return (!addrLess(hi, lo, r.stext[0], r.stext[1]) && addrLess(hi, lo, r.etext[0], r.etext[1])) || inInit(r, hi, lo);
}

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

function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function binarySearch(sorted: readonly string[], key: string): number {
  const i = lowerBound(sorted, key);
  return i < sorted.length && sorted[i] === key ? i : -1;
}

/**
 * FUNC name → its FUNC_PROTO id (first FUNC of a name wins), read straight off the type section
 * of bytes `btf` has already parsed and checked. Btf.funcs() gives the same through its general
 * name cache; this pass decodes only FUNC names, the one list every live lookup needs, which is
 * about half the cost of making the running kernel usable after the kallsyms read.
 */
interface VmlinuxNames {
  /** FUNC name → FUNC_PROTO id (first FUNC of a name). */
  funcs: Map<string, number>;
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
  const strings = Buffer.from(bytes.buffer, bytes.byteOffset + strStart, strLen).toString('latin1');
  // Names are latin1 slices unless the section has a non-ASCII byte; then Btf decodes them.
  const ascii = !/[^\x00-\x7f]/.test(strings);
  const out: VmlinuxNames = { funcs: new Map(), traceTypedefs: new Map(), rawStructs: new Set() };
  const nameOf = (off: number, id: number) => (off === 0 ? '' : ascii ? strings.slice(off, strings.indexOf('\0', off)) : btf.name(id));
  let id = btf.firstId;
  for (let p = typeStart; p < typeEnd; id++) {
    const info = dv.getUint32(p + 4, le);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    if (kind === BtfKind.FUNC) {
      const name = nameOf(dv.getUint32(p, le), id);
      if (!out.funcs.has(name)) out.funcs.set(name, dv.getUint32(p + 8, le));
    } else if (kind === BtfKind.TYPEDEF) {
      const off = dv.getUint32(p, le);
      if (off !== 0 && strings.startsWith('btf_trace_', off)) {
        const tp = nameOf(off, id).slice('btf_trace_'.length);
        if (!out.traceTypedefs.has(tp)) out.traceTypedefs.set(tp, id);
      }
    } else if (kind === BtfKind.STRUCT) {
      const off = dv.getUint32(p, le);
      if (off !== 0 && strings.startsWith('trace_event_raw_', off)) out.rawStructs.add(nameOf(off, id));
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

const INDEX_SPAN = 131072; // 2^17 names at most per packed sort
const PACKED_CHARS = 5; // 5 x 7 bits + 17 bits of index = 52 bits: exact in a double

/**
 * Distinct names in code-unit order (what Array.prototype.sort gives), for the 60k-name list of
 * the running kernel at about half the cost: each name's next five (ASCII) characters and its
 * position are packed into one double, a Float64Array sort orders them natively, and only the
 * runs sharing those characters are sorted again on the following five. Non-ASCII names or
 * very long lists fall back to the plain sort.
 */
function sortNames(names: string[], from: number): string[] {
  const n = names.length;
  if (n < 32 || n >= INDEX_SPAN) return names.sort();
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = names[i];
    let k = 0;
    for (let j = from; j < from + PACKED_CHARS; j++) {
      const c = j < s.length ? s.charCodeAt(j) : 0;
      if (c > 127) return names.sort();
      k = k * 128 + c;
    }
    keys[i] = k * INDEX_SPAN + i;
  }
  keys.sort();
  const out = new Array<string>(n);
  let i = 0;
  while (i < n) {
    const prefix = Math.floor(keys[i] / INDEX_SPAN);
    let j = i + 1;
    while (j < n && Math.floor(keys[j] / INDEX_SPAN) === prefix) j++;
    if (j - i === 1) {
      out[i] = names[keys[i] % INDEX_SPAN];
    } else {
      const group: string[] = [];
      for (let g = i; g < j; g++) group.push(names[keys[g] % INDEX_SPAN]);
      // A run sharing the packed characters ends at most one name that is exactly that long.
      const sorted = sortNames(group, from + PACKED_CHARS);
      for (let g = 0; g < sorted.length; g++) out[i + g] = sorted[g];
    }
    i = j;
  }
  return out;
}
