// The one reader of the running kernel (`live`), as a KernelQuery indexed lazily: every question
// reads only the sources its answer needs, once. A tracepoint lookup reads its tracefs format file
// and two BTF types; a function lookup the kallsyms symbols (read on a worker thread, scanned as
// the chunks arrive, kallsymsReader.ts) and the BTF FUNC names; listing everything reads
// everything. Names are kept as byte ranges in hash tables (nameTable.ts), facts are built the
// first time a name is asked for, then cached. Module BTF under /sys/kernel/btf/<module> is
// parsed on the first question vmlinux BTF cannot answer.
//
// Nothing here needs root. What a normal user cannot read (tracefs, kallsyms addresses, debugfs)
// becomes a problem message and leaves its facts unknown, never absent by default; what can be
// derived without it is derived: syscall events from the syscall wrappers in kallsyms, the
// kernel's configuration (CONFIG_FTRACE_SYSCALLS) and the syscall metadata of the nearest bundled
// kernel; other event records from the event's class (`struct trace_event_raw_<class>` in BTF,
// the class found from the event's own struct or the bundled kernels' event → class facts),
// spelled as tracefs spells them. The kernel's build options (kernel/config.ts) are exposed as
// meta.capabilities. The same reader opens a bare BTF file (`index --btf`): no symbols, tracefs
// or configuration, a FUNC standing for its own symbol.

import fs from 'node:fs';
import path from 'node:path';
import { Btf, BtfKind, parseBtf } from './btf';
import { BTF_TYPES_COVERAGE, btfTypeStore } from './btfTypes';
import { TypeIndex } from '../model/coreTypes';
import { RawTracepointSource, classRecord, namesFromClass, tracepointArgsResolver } from './btfTracepoints';
import { KernelConfig, capabilitiesFromConfig, readActiveLsms, readRunningConfig } from './config';
import { KernelDataError, describeFsError } from './errors';
import type {
  Coverage, FunctionFacts, KernelCapabilities, KernelMeta, KernelQuery, KernelSourceKind, KernelTypesQuery, LsmHookFacts, Param,
  SyscallFacts, TraceField, TracepointFacts, TracepointHead,
} from '../model/facts';
import { baseName as symbolBaseName, preferredSymbol } from '../model/symbols';
import { KallsymsIndex } from './procKallsyms';
import { FNV_OFFSET, FNV_PRIME, NameTable } from './nameTable';
import { KallsymsRead, KallsymsReadOptions, startKallsymsRead } from './kallsymsReader';
import { lsmHooksOf } from './lsm';
import { syscallEventName, syscallEventRecord, syscallWrapperPrefix } from './syscallEvents';
import {
  BLACKLIST_UNKNOWN, EventFormat, FILTER_FUNCTIONS_UNKNOWN, findEventsRoot, listEventDirs, parseAvailableFilterFunctions,
  parseKprobeBlacklist, probeReadable, readEventFormat,
} from './tracefs';

/** Bump when what this reader derives changes: it keys the cached live atlas (atlas/liveCache.ts),
 *  so a new version never answers from facts an older one wrote. */
export const LIVE_READER_VERSION = 3;

/** A kernel bundled with bpf-atlas, consulted for what the running kernel's own sources do not
 *  say to this user (no tracefs): loaded the first time it is asked. */
export interface ReferenceKernel {
  id: string;
  /** `6.12`. */
  version: string;
  kernel(): KernelQuery | undefined;
}

/** The bundled kernels of the running kernel's architecture, nearest version first, and the
 *  event → trace system map over all bundled kernels (cheap: it is in the atlas headers). */
export interface ReferenceKernels {
  systems: ReadonlyMap<string, string>;
  kernels: readonly ReferenceKernel[];
}

export interface LiveOptions {
  /** Prefix for /sys, /proc and /boot (tests, containers with the host mounted elsewhere). Default `/`. */
  sysRoot?: string;
  /** tracefs mount to read; default <sysRoot>/sys/kernel/tracing, then …/sys/kernel/debug/tracing. */
  tracefsRoot?: string;
  /** debugfs mount holding kprobes/blacklist; default <sysRoot>/sys/kernel/debug. */
  debugfsRoot?: string;
  /** The bundled kernels, asked only where tracefs is unreadable (a function: opening the atlases
   *  is not paid for when tracefs answers). */
  references?: () => ReferenceKernels | undefined;
  /** Called once per problem (unreadable file, missing mount) as it is found. */
  onProblem?: (message: string) => void;
  /** How /proc/kallsyms is read (default: on a worker thread while the BTF names are scanned). */
  kallsyms?: KallsymsReadOptions;
  /** Start reading /proc/kallsyms at open (the server, which will need it), instead of on the
   *  first question that needs symbols (a CLI lookup of a tracepoint never does). */
  prefetchSymbols?: boolean;
}

export interface BtfFileOptions {
  /** Kernel id for the facts; default: the file name without extension. */
  id?: string;
  /** uname -r style release, when the caller knows it. */
  release?: string;
  /** vmlinux BTF the file builds on, when the file is split (module) BTF. */
  base?: string;
  arch?: string;
  references?: () => ReferenceKernels | undefined;
  onProblem?: (message: string) => void;
}

export interface OpenLiveResult {
  kernel: LiveKernel;
  /** Everything that could not be read so far, one sentence each; later lazy reads append to it. */
  problems: string[];
}

export interface ProblemSink {
  list: string[];
  add(message: string): void;
}

export function problemSink(onProblem?: (message: string) => void): ProblemSink {
  const list: string[] = [];
  return {
    list,
    add(message: string) {
      list.push(message);
      onProblem?.(message);
    },
  };
}

/**
 * Open the running kernel for queries. Throws KernelDataError only when its BTF is unreadable.
 * Symbols are read when first needed (or now, with prefetchSymbols), waiting without running the
 * event loop (openLiveKernelAsync reads them with the event loop running).
 */
export function openLiveKernel(opts: LiveOptions = {}): OpenLiveResult {
  const problems = problemSink(opts.onProblem);
  const kernel = new LiveKernel(liveSources(opts), opts, problems);
  if (opts.prefetchSymbols) kernel.startSymbols();
  return { kernel, problems: problems.list };
}

/** openLiveKernel that reads /proc/kallsyms before it resolves, letting the event loop run. */
export async function openLiveKernelAsync(opts: LiveOptions = {}): Promise<OpenLiveResult> {
  const problems = problemSink(opts.onProblem);
  const kernel = new LiveKernel(liveSources(opts), opts, problems);
  await kernel.loadSymbols();
  return { kernel, problems: problems.list };
}

/**
 * A bare BTF file (raw .BTF bytes, e.g. /sys/kernel/btf/vmlinux copied from a host) as a kernel.
 * It has prototypes, raw tracepoints, LSM hooks and kfuncs but no symbols, so every BTF function
 * is taken to have exactly its own symbol (pahole emits a FUNC only for a function with a symbol
 * of that name); clones, duplicates, ftrace sites, blacklist and configuration stay unknown, and
 * trace events are derived from their classes as for the running kernel without tracefs.
 */
export function openBtfFileKernel(file: string, opts: BtfFileOptions = {}): OpenLiveResult {
  const problems = problemSink(opts.onProblem);
  const release = opts.release ?? 'unknown';
  const sources: Sources = {
    kind: 'file',
    id: opts.id ?? path.basename(file).replace(/\.[^.]*$/, ''),
    release,
    arch: opts.arch ?? kernelArch(),
    btfFile: file,
    baseBtfFile: opts.base,
    tracefsRoots: [],
  };
  const kernel = new LiveKernel(sources, { references: opts.references }, problems);
  problems.add(`${file}: a bare BTF file has no symbol table, ftrace, blacklist or configuration data; those facts are unknown`);
  return { kernel, problems: problems.list };
}

/** Where a LiveKernel reads from. */
interface Sources {
  kind: KernelSourceKind;
  id: string;
  release?: string;
  arch: string;
  btfFile: string;
  /** vmlinux BTF a split BTF file builds on. */
  baseBtfFile?: string;
  /** Folder of module BTF (/sys/kernel/btf). */
  moduleDir?: string;
  kallsymsFile?: string;
  tracefsRoots: string[];
  debugfsRoot?: string;
  /** Root for /proc and /boot (configuration, LSM list, modules); absent for a bare file. */
  sysRoot?: string;
}

function liveSources(opts: LiveOptions): Sources {
  const root = opts.sysRoot ?? '/';
  const sys = (p: string) => path.join(root, p);
  return {
    kind: 'live',
    id: 'live',
    arch: kernelArch(),
    btfFile: sys('sys/kernel/btf/vmlinux'),
    moduleDir: sys('sys/kernel/btf'),
    kallsymsFile: sys('proc/kallsyms'),
    tracefsRoots: opts.tracefsRoot ? [opts.tracefsRoot] : [sys('sys/kernel/tracing'), sys('sys/kernel/debug/tracing')],
    debugfsRoot: opts.debugfsRoot ?? sys('sys/kernel/debug'),
    sysRoot: root,
  };
}

/** `6.1.0-56-amd64` → `6.1`. */
export function versionOf(release: string): string {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? `${m[1]}.${m[2]}` : release;
}

/** This machine's architecture, spelled as the bundled atlases spell it (Debian names). */
export function kernelArch(nodeArch: string = process.arch): string {
  const names: Record<string, string> = {
    x64: 'amd64', arm64: 'arm64', arm: 'armhf', ia32: 'i386', ppc64: 'ppc64el', riscv64: 'riscv64',
    s390x: 's390x', loong64: 'loong64', mips64el: 'mips64el',
  };
  return names[nodeArch] ?? nodeArch;
}

/** Whether a name missing from the running kernel is known to be missing (coverage.modules):
 *  kallsyms lists every loaded module's symbols, so with kallsyms read and either some module
 *  loaded or no module support at all, a function not found cannot be attached by that name now.
 *  A kernel that supports modules but has none loaded stays uncovered (an unloaded module could
 *  provide the name). */
export function liveModulesCovered(kallsymsRead: boolean, anyModuleSymbol: boolean, noModuleSupport: boolean): boolean {
  return kallsymsRead && (anyModuleSymbol || noModuleSupport);
}

/** The symbol a probe on `base` attaches to (model/symbols.ts preferredSymbol). */
export function attachSymbol(base: string, symbols: string[]): string {
  return preferredSymbol(base, symbols) ?? symbols[0];
}

function stripCommonFlag(f: TraceField & { common?: boolean }): TraceField {
  const { common: _common, ...rest } = f;
  return rest;
}

function readBtfFile(file: string, base: Btf | undefined, what: string, hint?: string): { btf: Btf; bytes: Uint8Array } {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new KernelDataError(file, `cannot read ${what}: ${describeFsError(e)}${hint ? `; ${hint}` : ''}`, { cause: e });
  }
  if (bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) {
    throw new KernelDataError(file, 'is an ELF file (a vmlinux or module), not raw BTF: read its .BTF section instead (bpf-atlas index --vmlinux FILE)');
  }
  return { btf: parseBtf(bytes, { file, base }), bytes };
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

const TRACEFS_UNREADABLE_EVENTS = 'tracefs unreadable: trace events are derived from BTF (their class structs), the kernel configuration and the bundled kernels; an event none of them settles is unknown';

export class LiveKernel implements KernelQuery {
  private readonly src: Sources;
  private readonly opts: LiveOptions;
  private readonly problems: ProblemSink;
  private readonly btf: Btf;
  private readonly btfBytes: Uint8Array;
  private readonly release: string;
  private readonly eventsDir?: string;
  private readonly tracefsRoot?: string;
  private readonly filterFunctionsFile?: string;
  private readonly blacklistFile?: string;
  private readonly moduleNames: string[];
  private readonly noModuleSupport: boolean;

  private symbols?: KallsymsIndex;
  private symbolRead?: KallsymsRead;
  private symbolsSettled = false;
  private eventDirCache?: Map<string, string[]>;
  private metaCache?: KernelMeta;
  private caps?: KernelCapabilities;
  private modules?: [string, Btf][];
  private scannedNames?: VmlinuxNames;
  private moduleFuncs?: Map<string, { btf: Btf; protoId: number; module: string }>;
  private names?: string[];
  private readonly fnCache = new Map<string, FunctionFacts | null>();
  private ftraceable?: Set<string> | null;
  private blacklisted?: Set<string> | null;
  private vmlinuxRawTps?: Set<string>;
  private moduleRawTps?: Map<string, RawTracepointSource>;
  private argsOf?: ReturnType<typeof tracepointArgsResolver>;
  private eventSystems?: Map<string, string[]>;
  private readonly tpCache = new Map<string, TracepointFacts[]>();
  private readonly formatCache = new Map<string, TracepointFacts | null>();
  private allTracepoints?: TracepointFacts[];
  private systemMap?: Map<string, string[]>;
  private readonly syscallCache = new Map<string, SyscallFacts | null>();
  private allSyscalls?: SyscallFacts[];
  private lsm?: LsmHookFacts[];
  private lsmMap?: Map<string, LsmHookFacts>;
  private kfuncList?: string[];
  private refs?: ReferenceKernels | null;

  /** The synchronous part of opening: the BTF, the release and which sources can be read. */
  constructor(src: Sources, opts: LiveOptions, problems: ProblemSink) {
    this.src = src;
    this.opts = opts;
    this.problems = problems;
    const base = src.baseBtfFile ? readBtfFile(src.baseBtfFile, undefined, 'base BTF').btf : undefined;
    const read = src.kind === 'live'
      ? readBtfFile(src.btfFile, undefined, 'the kernel BTF',
        'the running kernel was built without CONFIG_DEBUG_INFO_BTF, or /sys is not mounted; without BTF there are no facts to read')
      : readBtfFile(src.btfFile, base, 'BTF file');
    this.btf = read.btf;
    this.btfBytes = read.bytes;

    let release = src.release ?? 'unknown';
    if (src.sysRoot !== undefined && src.release === undefined) {
      const file = path.join(src.sysRoot, 'proc/sys/kernel/osrelease');
      try {
        release = fs.readFileSync(file, 'utf8').trim();
      } catch (e) {
        problems.add(`${file}: ${describeFsError(e)}; kernel release unknown`);
      }
    }
    this.release = release;

    // Module BTF: names now (one readdir), parsed on the first question vmlinux cannot answer.
    this.moduleNames = [];
    if (src.moduleDir) {
      try {
        this.moduleNames = fs.readdirSync(src.moduleDir).filter((n) => n !== 'vmlinux').sort();
      } catch (e) {
        problems.add(`${src.moduleDir}: ${describeFsError(e)}; module BTF not read`);
      }
    }

    // tracefs: whether its events folder can be listed; format files, event folder names, filter
    // functions and blacklist on demand.
    const tracefsProblems: string[] = [];
    if (src.tracefsRoots.length) {
      this.tracefsRoot = findEventsRoot(src.tracefsRoots, tracefsProblems);
      if (this.tracefsRoot) {
        this.eventsDir = path.join(this.tracefsRoot, 'events');
        const aff = path.join(this.tracefsRoot, 'available_filter_functions');
        const affProblem = probeReadable(aff, FILTER_FUNCTIONS_UNKNOWN);
        if (affProblem) tracefsProblems.push(affProblem);
        else this.filterFunctionsFile = aff;
      }
    }
    if (src.debugfsRoot) {
      const blacklist = path.join(src.debugfsRoot, 'kprobes', 'blacklist');
      const blProblem = probeReadable(blacklist, BLACKLIST_UNKNOWN);
      if (blProblem) tracefsProblems.push(blProblem);
      else this.blacklistFile = blacklist;
    }
    for (const p of tracefsProblems) problems.add(p);
    if (src.kind === 'live' && !this.tracefsRoot) problems.add(TRACEFS_UNREADABLE_EVENTS);
    this.noModuleSupport = src.sysRoot !== undefined && !fs.existsSync(path.join(src.sysRoot, 'proc/modules'));
  }

  // ---------------------------------------------------------------- symbols, when needed

  /** Start reading the symbol table (a worker thread), scanning the BTF FUNC names meanwhile. */
  startSymbols(): void {
    if (this.symbolRead || this.symbolsSettled || !this.src.kallsymsFile) return;
    const read = startKallsymsRead(this.src.kallsymsFile, this.opts.kallsyms);
    this.symbolRead = read;
    try {
      // functionNames() looks each kallsyms base name up in the BTF FUNC names: give the scan
      // the table while the worker still reads.
      read.setKnown(this.vmlinuxFunctions().table);
    } catch (e) {
      read.cancel();
      throw e;
    }
  }

  /** Read the symbol table now, letting the event loop run (the server's open). */
  async loadSymbols(): Promise<void> {
    this.startSymbols();
    const read = this.symbolRead;
    if (!read || this.symbolsSettled) return;
    let index: KallsymsIndex | undefined;
    let error: unknown;
    try {
      index = await read.index();
    } catch (e) {
      error = e;
    }
    if (!this.symbolsSettled) this.settleSymbols(() => {
      if (!index) throw error;
      return index;
    });
  }

  /** The kallsyms index, read (and waited for) the first time; undefined when unreadable or when
   *  the source has no symbol table. */
  private syms(): KallsymsIndex | undefined {
    if (!this.symbolsSettled) {
      this.startSymbols();
      const read = this.symbolRead;
      if (read) this.settleSymbols(() => read.indexSync());
      else this.symbolsSettled = true;
    }
    return this.symbols;
  }

  private settleSymbols(read: () => KallsymsIndex): void {
    this.symbolsSettled = true;
    const file = this.src.kallsymsFile!;
    try {
      const index = read();
      if (index.addressesZeroed) {
        this.problems.add(`${file}: addresses are hidden (kptr_restrict, not root); init-only functions cannot be told apart`);
      }
      this.symbols = index;
    } catch (e) {
      this.problems.add(e instanceof KernelDataError ? e.message : `${file}: ${describeFsError(e)}; symbols (renamed/duplicate functions) unknown`);
    }
  }

  private references(): ReferenceKernels | undefined {
    if (this.refs === undefined) this.refs = this.opts.references?.() ?? null;
    return this.refs ?? undefined;
  }

  // ---------------------------------------------------------------- metadata and capabilities

  /** Metadata; the counts are computed when first read (they need the full name lists), the rest
   *  is cheap. */
  get meta(): KernelMeta {
    if (!this.metaCache) {
      const src = this.src;
      const counts = (): KernelMeta['counts'] => ({
        functions: this.functionNames().length,
        tracepoints: this.tracepointCount(),
        syscalls: this.syscallList().length,
        lsmHooks: this.lsmHooks().length,
      });
      const meta = {
        id: src.id, release: this.release, version: versionOf(this.release), arch: src.arch, source: src.kind,
        provenance: '',
        coverage: this.coverage(),
        capabilities: this.capabilities(),
      } as KernelMeta;
      let countsCache: KernelMeta['counts'] | undefined;
      let provenanceCache: string | undefined;
      Object.defineProperty(meta, 'counts', { enumerable: true, get: () => (countsCache ??= counts()) });
      Object.defineProperty(meta, 'provenance', { enumerable: true, get: () => (provenanceCache ??= this.provenance()) });
      this.metaCache = meta;
    }
    return this.metaCache;
  }

  private coverage(): Coverage {
    const live = this.src.kind === 'live';
    return {
      inline: 'none',
      ftrace: !!this.filterFunctionsFile,
      blacklist: !!this.blacklistFile,
      // Whether kallsyms is readable is known without reading it: a lookup of a tracepoint does
      // not pay for the symbol table. A read that fails later leaves names unknown, not absent.
      modules: live && liveModulesCovered(this.kallsymsReadable(), this.modulesLoaded(), this.noModuleSupport),
      btf: true,
      // tracefs gives the offsets, and without it the class structs of BTF are the records.
      exactFieldOffsets: true,
      types: BTF_TYPES_COVERAGE,
    };
  }

  /** Some module is loaded (/proc/modules lists it, or kallsyms names one). */
  private modulesLoaded(): boolean {
    if (this.symbols?.hasModules || this.moduleNames.length) return true;
    if (this.src.sysRoot === undefined || this.noModuleSupport) return false;
    try {
      return fs.readFileSync(path.join(this.src.sysRoot, 'proc/modules'), 'utf8').trim() !== '';
    } catch {
      return false;
    }
  }

  private kallsymsReadable(): boolean {
    if (this.symbolsSettled) return !!this.symbols;
    const file = this.src.kallsymsFile;
    if (!file) return false;
    try {
      fs.accessSync(file, fs.constants.R_OK);
      return true;
    } catch {
      return false;
    }
  }

  /** The kernel's build options that decide which program kinds work at all (kernel/config.ts). */
  capabilities(): KernelCapabilities {
    if (!this.caps) {
      const root = this.src.sysRoot;
      if (root === undefined) {
        this.caps = capabilitiesFromConfig(undefined, undefined, 'a bare BTF file has no configuration');
      } else {
        const problems: string[] = [];
        const config: KernelConfig | undefined = readRunningConfig(root, this.release, problems);
        for (const p of problems) this.problems.add(p);
        this.caps = capabilitiesFromConfig(config, readActiveLsms(root, config), problems[0] ?? 'the kernel configuration was not read');
      }
    }
    return this.caps;
  }

  /** Names the module BTF that parsed, so it is built when first read, like the counts. */
  private provenance(): string {
    if (this.src.kind === 'file') {
      return `BTF file ${this.src.btfFile}${this.src.baseBtfFile ? ` (split, base ${this.src.baseBtfFile})` : ''}: prototypes and raw tracepoints only`;
    }
    const modules = this.moduleNames.length ? this.moduleBtfs().length : 0;
    return `running kernel ${this.release}: ${this.src.btfFile}${modules ? ` + ${modules} module BTF` : ''}`
      + `${this.syms() ? ', /proc/kallsyms' : ''}${this.tracefsRoot ? `, tracefs ${this.tracefsRoot}` : ''}`
      + `${this.capabilities().config ? `, ${this.capabilities().config}` : ''}`;
  }

  // ---------------------------------------------------------------- BTF, lazily

  private moduleBtfs(): [string, Btf][] {
    if (this.modules) return this.modules;
    this.modules = [];
    for (const name of this.moduleNames) {
      const file = path.join(this.src.moduleDir!, name);
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
    const k = this.syms();
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
    // A vmlinux BTF function without a kallsyms symbol is built-in exit code (.exit.text): pahole
    // encodes functions that have code (an ELF symbol at build time), and kallsyms covers every
    // kernel text section but .exit.text, which the kernel never runs and frees after boot. (A
    // BTF of the old pahole that encoded ftrace-able functions only has no such function at all.)
    // On this machine's kernel all 349 such functions are `__exit` ones (cryptomgr_exit, ...),
    // as are the 119/144/142 of the Debian 6.1/6.12/7.2 images. Module functions are left alone:
    // a loaded module keeps its exit code, in kallsyms.
    if (k && !src.module) {
      f.exitOnly = true;
      f.inline = 'none';
      f.ftrace = false;
    }
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
    const k = this.syms();
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
      const index = this.syms();
      const k = index?.bases;
      const funcs = this.vmlinuxFunctions();
      const names = funcs.names().slice();
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
    const k = this.syms()?.bases;
    if (k) for (const e of k.withPrefix(prefix)) smallest.offer(k.name(e));
    const funcs = this.vmlinuxFunctions();
    for (const e of funcs.table.withPrefix(prefix)) smallest.offer(funcs.table.name(e));
    for (const n of funcs.other.keys()) if (n.startsWith(prefix)) smallest.offer(n);
    if (this.moduleNames.length) for (const n of this.moduleFunctions().keys()) if (n.startsWith(prefix)) smallest.offer(n);
    return smallest.names;
  }

  /** Local asm labels (`.E_copy`): text, but no function; kept for exact-name lookups. */
  extraSymbols(): readonly string[] {
    return this.syms()?.extra ?? [];
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

  /** Where `btf_trace_<name>` is: one BTF lookup (no scan of every name) until the names are
   *  listed anyway. */
  private rawTracepointSource(name: string): RawTracepointSource | undefined {
    const inVmlinux = this.vmlinuxRawTps || this.scannedNames
      ? this.vmlinuxRawTracepoints().has(name)
      : this.btf.findByName(BtfKind.TYPEDEF, `btf_trace_${name}`) !== undefined;
    if (inVmlinux) return { btf: this.btf };
    return this.moduleNames.length ? this.moduleRawTracepoints().get(name) : undefined;
  }

  private resolver(): ReturnType<typeof tracepointArgsResolver> {
    if (!this.argsOf) {
      const vmlinux = this.btf;
      const scanned = () => this.scannedNames;
      this.argsOf = tracepointArgsResolver((n) => this.rawTracepointSource(n), {
        traceArgs: (b, tp) => (b === vmlinux && scanned() ? traceArgsFromNames(b, scanned()!, tp) : undefined),
        hasFunc: (b, fn) => (b === vmlinux && scanned() ? scanned()!.funcs.has(fn) : undefined),
        hasStruct: (b, st) => (b === vmlinux && scanned() ? scanned()!.rawStructs.has(st) : undefined),
      });
    }
    return this.argsOf;
  }

  private hasStruct(btf: Btf, name: string): boolean {
    if (btf === this.btf && this.scannedNames) return this.scannedNames.rawStructs.has(name);
    return btf.findByName(BtfKind.STRUCT, name) !== undefined;
  }

  /** tracefs folders: system → event names (one readdir per system, on first need). */
  private eventDirs(): Map<string, string[]> | undefined {
    if (!this.eventsDir) return undefined;
    if (!this.eventDirCache) {
      const problems: string[] = [];
      this.eventDirCache = listEventDirs(this.eventsDir, problems);
      for (const p of problems) this.problems.add(p);
    }
    return this.eventDirCache;
  }

  /** Event name → systems holding it (tracefs), `ftrace` left out: its events cannot be attached. */
  private systemsOfEvent(): Map<string, string[]> {
    if (!this.eventSystems) {
      const m = new Map<string, string[]>();
      for (const [system, events] of this.eventDirs() ?? []) {
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

  /** The event `system:name` as its tracefs format file gives it (null: no such event). */
  private formatTracepoint(system: string, name: string): TracepointFacts | null {
    const key = `${system}:${name}`;
    let t = this.formatCache.get(key);
    if (t !== undefined) return t;
    t = null;
    if (system !== 'ftrace' && fs.existsSync(path.join(this.eventsDir!, system, name, 'format'))) {
      const sink: string[] = [];
      const ev = readEventFormat(this.eventsDir!, system, name, sink);
      for (const p of sink) this.problems.add(p);
      if (ev) t = this.fromFormat(ev);
    }
    this.formatCache.set(key, t);
    return t;
  }

  private fromFormat(ev: EventFormat): TracepointFacts {
    const fields = ev.fields.filter((f) => !f.common).map(stripCommonFlag);
    const raw = this.rawTracepointSource(ev.name);
    const t: TracepointFacts = { name: ev.name, event: true, btf: raw !== undefined, fields };
    if (ev.system) t.system = ev.system;
    if (ev.printFmt) t.fmt = ev.printFmt;
    const { args, template } = this.resolver()(ev.name, fields);
    if (args) t.args = args;
    if (template) t.template = template;
    if (raw?.module) t.module = raw.module;
    return t;
  }

  /** Every record for this event name, in the order KernelIndex sorts tracepoints. */
  private tracepointList(name: string): TracepointFacts[] {
    let list = this.tpCache.get(name);
    if (list) return list;
    list = [];
    if (this.eventsDir) {
      for (const system of this.systemsOfEvent().get(name) ?? []) {
        const t = this.formatTracepoint(system, name);
        if (t) list.push(t);
      }
      const raw = list.length ? undefined : this.rawTracepointSource(name);
      if (raw) {
        // With tracefs, every event is listed there: a raw tracepoint missing from it has none.
        const t: TracepointFacts = { name, event: false, btf: true };
        const { args, template } = this.resolver()(name);
        if (args) t.args = args;
        if (template) t.template = template;
        if (raw.module) t.module = raw.module;
        list.push(t);
      }
    } else {
      const t = this.derivedTracepoint(name);
      if (t) list.push(t);
    }
    list.sort(byTracepointKey);
    this.tpCache.set(name, list);
    return list;
  }

  /** The nearest reference kernel that has a tracepoint `name` (for its class, system and whether
   *  it is an event), and the nearest whose record types are tracefs's own text (read from the
   *  image or tracefs, not rebuilt from BTF) to spell the fields by. */
  private referenceTracepoint(name: string): { kernel: string; tp: TracepointFacts; spelling?: readonly TraceField[] } | undefined {
    let found: { kernel: string; tp: TracepointFacts; spelling?: readonly TraceField[] } | undefined;
    for (const ref of this.references()?.kernels ?? []) {
      const k = ref.kernel();
      const tp = k?.tracepoint(name);
      if (!tp) continue;
      found ??= { kernel: ref.id, tp };
      if (tp.fields && k!.meta.coverage.exactFieldOffsets) {
        found.spelling = tp.fields;
        break;
      }
    }
    return found;
  }

  /**
   * A tracepoint without tracefs. It exists when BTF has `btf_trace_<name>`; it has a trace event
   * when its class is known: its own `trace_event_raw_<name>` struct (TRACE_EVENT), or the class a
   * bundled kernel gives the same event when this kernel's BTF has that class's struct and its
   * `__bpf_trace_<class>` takes the tracepoint's arguments. A bundled kernel that has the event
   * (or knows it as raw-only) settles `event` when the class cannot be proven; otherwise whether
   * an event exists is unknown (null). The record is the class struct (btfTracepoints.ts).
   */
  private derivedTracepoint(name: string): TracepointFacts | undefined {
    const sc = syscallEventName(name);
    if (sc) return this.syscallEvent(sc.kind, sc.syscall);
    const raw = this.rawTracepointSource(name);
    if (!raw) return undefined;
    const ref = this.referenceTracepoint(name);
    let cls: string | undefined;
    let event: boolean | null = null;
    if (this.hasStruct(raw.btf, `trace_event_raw_${name}`)) {
      cls = name;
      event = true;
    } else if (ref?.tp.event && ref.tp.template && this.hasStruct(raw.btf, `trace_event_raw_${ref.tp.template}`)) {
      const rawArgs = raw.btf.btfTraceArgs(name);
      if (rawArgs && namesFromClass(raw.btf, ref.tp.template, rawArgs)) cls = ref.tp.template;
      event = true;
    } else if (ref) {
      event = ref.tp.event;
    }
    const t: TracepointFacts = { name, event, btf: true };
    const system = event !== false ? ref?.tp.system ?? this.references()?.systems.get(name) : undefined;
    if (system) t.system = system;
    if (cls && event) {
      // The same event on a bundled kernel spells the types as tracefs does.
      const fields = classRecord(raw.btf, cls, ref?.spelling, ref?.spelling ?? ref?.tp.fields);
      if (fields) t.fields = fields;
    }
    const { args, template } = this.resolver()(name, undefined, cls);
    if (args) t.args = args;
    if (template ?? cls) t.template = template ?? cls;
    if (raw.module) t.module = raw.module;
    return t;
  }

  /** The first reference kernel (nearest first) whose syscall metadata has `name`. */
  private referenceSyscall(name: string): { kernel: string; sc: SyscallFacts } | undefined {
    for (const ref of this.references()?.kernels ?? []) {
      const sc = ref.kernel()?.syscall(name);
      if (sc) return { kernel: ref.id, sc };
    }
    return undefined;
  }

  /** Whether the syscall entry wrapper (`__x64_sys_<name>`) is built: 'built', 'stub' (only the
   *  weak stub of a syscall not configured), 'none', or 'unknown' (BTF lists it, no symbols). */
  private syscallWrapper(syscall: string): 'built' | 'stub' | 'none' | 'unknown' {
    const wrapper = `${syscallWrapperPrefix(this.src.arch)}${syscall}`;
    const k = this.syms();
    if (k) {
      const e = k.bases.find(wrapper);
      if (e < 0) return 'none';
      const idx = k.symbolsOf(e).filter((i) => k.moduleOf(i) === undefined);
      if (!idx.length) return 'none';
      return idx.some((i) => !k.isWeak(i)) ? 'built' : 'stub';
    }
    return this.vmlinuxFunctions().has(wrapper) ? 'unknown' : 'none';
  }

  /**
   * syscalls:sys_enter_<x> / sys_exit_<x> without tracefs: no event when the kernel is built
   * without CONFIG_FTRACE_SYSCALLS or has no built `__<arch>_sys_<x>` wrapper; the event and its
   * record (syscallEvents.ts) when a bundled kernel's syscall metadata has x (the arguments are
   * the syscall ABI); unknown when none does (a new syscall, or one only a compat table has).
   */
  private syscallEvent(kind: 'enter' | 'exit', syscall: string): TracepointFacts | undefined {
    const name = `sys_${kind}_${syscall}`;
    if (this.capabilities().ftraceSyscalls.value === false) return undefined;
    const wrapper = this.syscallWrapper(syscall);
    if (wrapper === 'none' || wrapper === 'stub') return undefined;
    const ref = this.referenceSyscall(syscall);
    const known = !!ref && wrapper === 'built' && this.capabilities().ftraceSyscalls.value === true;
    const t: TracepointFacts = { name, system: 'syscalls', event: known ? true : null, btf: false };
    if (ref) {
      const { fields, fmt } = syscallEventRecord(kind, ref.sc.args);
      t.fields = fields;
      t.fmt = fmt;
    }
    return t;
  }

  tracepoint(name: string, system?: string): TracepointFacts | undefined {
    if (this.eventsDir && system !== undefined) {
      const direct = this.formatTracepoint(system, name);
      if (direct) return direct;
    }
    const list = this.tracepointList(name);
    if (!list.length) return undefined;
    if (system === undefined) return list.find((t) => t.event) ?? list[0];
    return list.find((t) => t.system === system);
  }

  /** Every tracepoint: reads every format file (once), or derives every event. */
  tracepoints(): readonly TracepointFacts[] {
    if (!this.allTracepoints) {
      const out: TracepointFacts[] = [];
      for (const name of this.tracepointNames()) out.push(...this.tracepointList(name));
      this.allTracepoints = out.sort(byTracepointKey);
    }
    return this.allTracepoints;
  }

  /** Every tracepoint's head from the tracefs folder names and the raw tracepoints in BTF, without
   *  reading a format file (the first tp_btf/ list read ~2,000 of them: ~150 ms); without tracefs,
   *  the derived records. */
  tracepointHeads(): readonly TracepointHead[] {
    if (this.allTracepoints || !this.eventsDir) return this.tracepoints();
    if (!this.heads) {
      const out: TracepointHead[] = [];
      const events = this.systemsOfEvent();
      const head = (name: string, system: string | undefined): TracepointHead => {
        const module = this.rawTracepointSource(name)?.module;
        return { name, event: system !== undefined, ...(system !== undefined ? { system } : {}), ...(module ? { module } : {}) };
      };
      for (const [name, systems] of events) for (const system of systems) out.push(head(name, system));
      for (const name of this.tracepointNames()) if (!events.has(name)) out.push(head(name, undefined));
      this.heads = out.sort(byTracepointKey);
    }
    return this.heads;
  }

  private heads?: TracepointHead[];

  private tracepointNames(): Set<string> {
    const names = new Set<string>(this.eventsDir ? this.systemsOfEvent().keys() : []);
    for (const n of this.vmlinuxRawTracepoints()) names.add(n);
    if (this.moduleNames.length) for (const n of this.moduleRawTracepoints().keys()) names.add(n);
    if (!this.eventsDir) for (const s of this.syscallList()) names.add(`sys_enter_${s.name}`).add(`sys_exit_${s.name}`);
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

  /** Trace systems with their event names, from the tracefs folder names (without tracefs: the
   *  bundled systems map and the derived syscall events), without reading any format file. */
  systems(): ReadonlyMap<string, readonly string[]> {
    if (!this.systemMap) {
      const m = new Map<string, string[]>();
      const add = (system: string, event: string) => {
        const list = m.get(system);
        if (list) list.push(event);
        else m.set(system, [event]);
      };
      const dirs = this.eventDirs();
      if (dirs) {
        for (const [system, events] of dirs) if (system !== 'ftrace') for (const ev of events) add(system, ev);
      } else {
        const systems = this.references()?.systems;
        for (const name of this.tracepointNames()) {
          if (syscallEventName(name)) add('syscalls', name);
          else {
            const system = systems?.get(name);
            if (system) add(system, name);
          }
        }
      }
      for (const list of m.values()) list.sort();
      this.systemMap = new Map([...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    }
    return this.systemMap;
  }

  // ---------------------------------------------------------------- syscalls and LSM hooks

  /** The syscalls whose trace events exist: tracefs's syscalls folder, or without it those
   *  syscallEvent() knows to have an event. */
  private syscallList(): SyscallFacts[] {
    if (!this.allSyscalls) {
      const out: SyscallFacts[] = [];
      if (this.eventsDir) {
        const events = this.eventDirs()?.get('syscalls') ?? [];
        for (const e of events) {
          if (!e.startsWith('sys_enter_')) continue;
          const s = this.syscall(e.slice('sys_enter_'.length));
          if (s) out.push(s);
        }
      } else if (this.src.kind === 'live') {
        const prefix = syscallWrapperPrefix(this.src.arch);
        const k = this.syms();
        const candidates = k
          ? k.bases.withPrefix(prefix).map((e) => k.bases.name(e))
          : this.vmlinuxFunctions().table.withPrefix(prefix).map((e) => this.vmlinuxFunctions().table.name(e));
        for (const wrapper of candidates) {
          const s = this.syscall(wrapper.slice(prefix.length));
          if (s) out.push(s);
        }
      }
      this.allSyscalls = out.sort(byName);
    }
    return this.allSyscalls;
  }

  syscall(name: string): SyscallFacts | undefined {
    let s = this.syscallCache.get(name);
    if (s === undefined) {
      s = null;
      if (this.eventsDir) {
        const t = this.formatTracepoint('syscalls', `sys_enter_${name}`);
        if (t?.fields) s = { name, args: t.fields.filter((f) => f.name !== '__syscall_nr').map((f) => ({ name: f.name, type: f.type })) };
      } else if (this.src.kind === 'live') {
        const t = this.syscallEvent('enter', name);
        if (t?.event && t.fields) s = { name, args: t.fields.filter((f) => f.name !== '__syscall_nr').map((f) => ({ name: f.name, type: f.type })) };
      }
      this.syscallCache.set(name, s);
    }
    return s ?? undefined;
  }

  syscalls(): readonly SyscallFacts[] {
    return this.syscallList();
  }

  lsmHooks(): readonly LsmHookFacts[] {
    if (!this.lsm) this.lsm = lsmHooksOf(this.btf);
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

function byTracepointKey(a: TracepointHead, b: TracepointHead): number {
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
