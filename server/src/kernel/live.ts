// KernelFacts for the running kernel (`live`) and for a bare BTF file. This is where the live
// sources meet: /sys/kernel/btf/vmlinux (+ module BTF under /sys/kernel/btf), /proc/kallsyms,
// tracefs event formats, available_filter_functions and the kprobe blacklist when readable.
// Nothing here needs root: every file that cannot be read becomes a problem message and the facts
// it would have given stay unknown (null / coverage false). Only unreadable BTF is fatal, because
// without it there is nothing to describe; that throws a KernelDataError naming the file.

import fs from 'node:fs';
import path from 'node:path';
import { Btf, BtfKind, parseBtf } from './btf';
import { withBtfTypes } from './btfTypes';
import { KernelDataError, describeFsError } from './errors';
import { KallsymsTable, parseKallsyms, isTextType } from './procKallsyms';
import { baseName as symbolBaseName, isLsmHookName, isPaddingLabel as isPaddingSymbol, preferredSymbol } from '../model/symbols';
import { EventFormat, TracefsData, readTracefs } from './tracefs';
import type {
  Coverage, FunctionFacts, KernelFacts, KernelMeta, LsmHookFacts, Param, SyscallFacts, TraceField, TracepointFacts,
} from '../model/facts';

export interface LiveOptions {
  /** Prefix for /sys and /proc (tests, containers with the host mounted elsewhere). Default `/`. */
  sysRoot?: string;
  /** tracefs mount to read; default <sysRoot>/sys/kernel/tracing, then …/sys/kernel/debug/tracing. */
  tracefsRoot?: string;
  /** debugfs mount holding kprobes/blacklist; default <sysRoot>/sys/kernel/debug. */
  debugfsRoot?: string;
  /** Event name → trace system, from the bundled atlases, used when tracefs is unreadable. A
   *  function is called only then (LiveKernel: opening the bundled atlases is not paid for when
   *  tracefs answers). */
  bundledSystems?: ReadonlyMap<string, string> | (() => ReadonlyMap<string, string>);
  /** Called once per problem (unreadable file, missing mount) as it is found. */
  onProblem?: (message: string) => void;
}

export interface BtfFileOptions {
  /** Kernel id for the facts; default: the file name without extension. */
  id?: string;
  /** uname -r style release, when the caller knows it. */
  release?: string;
  /** vmlinux BTF the file builds on, when the file is split (module) BTF. */
  base?: string;
  arch?: string;
  bundledSystems?: ReadonlyMap<string, string>;
  onProblem?: (message: string) => void;
}

export interface FactsResult {
  facts: KernelFacts;
  /** Everything that could not be read, one sentence each. */
  problems: string[];
}

/** The running kernel's facts; problems are reported through opts.onProblem. */
export function factsFromLive(opts: LiveOptions = {}): KernelFacts {
  return readLive(opts).facts;
}

/** The running kernel's facts together with the list of what could not be read. */
export function readLive(opts: LiveOptions = {}): FactsResult {
  const sys = (p: string) => path.join(opts.sysRoot ?? '/', p);
  const problems = problemSink(opts.onProblem);

  const btfFile = sys('sys/kernel/btf/vmlinux');
  const btf = readBtf(btfFile, undefined, 'the kernel BTF',
    'the running kernel was built without CONFIG_DEBUG_INFO_BTF, or /sys is not mounted; without BTF there are no facts to read');

  let release = 'unknown';
  try {
    release = fs.readFileSync(sys('proc/sys/kernel/osrelease'), 'utf8').trim();
  } catch (e) {
    problems.add(`${sys('proc/sys/kernel/osrelease')}: ${describeFsError(e)}; kernel release unknown`);
  }

  const moduleBtfs = readModuleBtfs(path.dirname(btfFile), btf, problems);

  let kallsyms: KallsymsTable | undefined;
  const kallsymsFile = sys('proc/kallsyms');
  try {
    kallsyms = parseKallsyms(fs.readFileSync(kallsymsFile, 'utf8'), kallsymsFile);
    if (kallsyms.addressesZeroed) {
      problems.add(`${kallsymsFile}: addresses are hidden (kptr_restrict, not root); init-only functions cannot be told apart`);
    }
  } catch (e) {
    problems.add(e instanceof KernelDataError ? e.message : `${kallsymsFile}: ${describeFsError(e)}; symbols (renamed/duplicate functions) unknown`);
  }

  const tracefsRoots = opts.tracefsRoot ? [opts.tracefsRoot] : [sys('sys/kernel/tracing'), sys('sys/kernel/debug/tracing')];
  const tracefs = readTracefs(tracefsRoots, { debugfs: opts.debugfsRoot ?? sys('sys/kernel/debug') });
  for (const p of tracefs.problems) problems.add(p);

  const facts = buildFacts({
    btf, moduleBtfs, kallsyms, tracefs: tracefs.root ? tracefs : undefined,
    noModuleSupport: !fs.existsSync(sys('proc/modules')),
    bundledSystems: !tracefs.root && typeof opts.bundledSystems === 'function' ? opts.bundledSystems() : opts.bundledSystems as ReadonlyMap<string, string> | undefined,
    problems,
    meta: {
      id: 'live', release, version: versionOf(release), arch: kernelArch(), source: 'live',
      provenance: `running kernel ${release}: ${btfFile}${moduleBtfs.size ? ` + ${moduleBtfs.size} module BTF` : ''}`
        + `${kallsyms ? ', /proc/kallsyms' : ''}${tracefs.root ? `, tracefs ${tracefs.root}` : ''}`,
    },
  });
  return { facts, problems: problems.list };
}

/**
 * Facts from a bare BTF file (raw .BTF bytes, e.g. /sys/kernel/btf/vmlinux copied from a host).
 * It has prototypes, raw tracepoints, LSM hooks and kfuncs but no symbols, so every BTF function
 * is taken to have exactly its own symbol (pahole emits a FUNC only for a function with a symbol
 * of that name); clones, duplicates, ftrace sites, blacklist and trace systems stay unknown
 * unless `bundledSystems` names the systems.
 */
export function factsFromBtfFile(file: string, opts: BtfFileOptions = {}): KernelFacts {
  return readBtfFile(file, opts).facts;
}

export function readBtfFile(file: string, opts: BtfFileOptions = {}): FactsResult {
  const problems = problemSink(opts.onProblem);
  const base = opts.base ? readBtf(opts.base, undefined, 'base BTF') : undefined;
  const btf = readBtf(file, base, 'BTF file');
  problems.add(`${file}: a bare BTF file has no symbol table, ftrace or blacklist data; those facts are unknown`);
  const release = opts.release ?? 'unknown';
  const facts = buildFacts({
    btf, moduleBtfs: new Map(), bundledSystems: opts.bundledSystems, problems,
    meta: {
      id: opts.id ?? path.basename(file).replace(/\.[^.]*$/, ''), release, version: versionOf(release),
      arch: opts.arch ?? kernelArch(), source: 'file',
      provenance: `BTF file ${file}${base ? ` (split, base ${opts.base})` : ''}: prototypes and raw tracepoints only`,
    },
  });
  return { facts, problems: problems.list };
}

// ---------------------------------------------------------------- reading

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

export function readBtf(file: string, base: Btf | undefined, what: string, hint?: string): Btf {
  return readBtfBytes(file, base, what, hint).btf;
}

/** readBtf, also handing back the bytes it parsed (for scans the Btf API does not offer). */
export function readBtfBytes(file: string, base: Btf | undefined, what: string, hint?: string): { btf: Btf; bytes: Uint8Array } {
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

/** /sys/kernel/btf/<module>: split BTF of each loaded module that has it. */
function readModuleBtfs(dir: string, vmlinux: Btf, problems: ProblemSink): Map<string, Btf> {
  const out = new Map<string, Btf>();
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    problems.add(`${dir}: ${describeFsError(e)}; module BTF not read`);
    return out;
  }
  for (const name of names.sort()) {
    if (name === 'vmlinux') continue;
    const file = path.join(dir, name);
    try {
      out.set(name, parseBtf(fs.readFileSync(file), { file, base: vmlinux }));
    } catch (e) {
      problems.add(e instanceof KernelDataError ? e.message : `${file}: ${describeFsError(e)}`);
    }
  }
  return out;
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

// ---------------------------------------------------------------- assembling

/** Whether a name missing from the running kernel is known to be missing (coverage.modules):
 *  kallsyms lists every loaded module's symbols, so with kallsyms read and either some module
 *  loaded or no module support at all, a function not found cannot be attached by that name now.
 *  A kernel that supports modules but has none loaded stays uncovered (an unloaded module could
 *  provide the name). */
export function liveModulesCovered(kallsymsRead: boolean, anyModuleSymbol: boolean, noModuleSupport: boolean): boolean {
  return kallsymsRead && (anyModuleSymbol || noModuleSupport);
}

interface BuildInput {
  btf: Btf;
  moduleBtfs: Map<string, Btf>;
  /** Absent when no symbol table was read: then BTF FUNCs stand for their own symbols. */
  kallsyms?: KallsymsTable;
  tracefs?: TracefsData;
  /** The kernel cannot load modules (no /proc/modules): kallsyms is then the whole kernel. */
  noModuleSupport?: boolean;
  bundledSystems?: ReadonlyMap<string, string>;
  problems: ProblemSink;
  meta: Omit<KernelMeta, 'coverage' | 'counts'>;
}

interface TextSymbol {
  name: string;
  addr: bigint;
  module?: string;
}

function buildFacts(input: BuildInput): KernelFacts {
  const { btf, moduleBtfs, kallsyms, tracefs } = input;
  const functions = buildFunctions(input);
  const tracepoints = buildTracepoints(input);
  const syscalls = tracefs ? syscallsFromTracefs(tracefs.events) : [];
  if (!tracefs) input.problems.add('syscall arguments unknown: they come from tracefs syscalls/sys_enter_* formats');
  const lsmHooks = buildLsmHooks(btf);
  const kfuncs = new Set(btf.declTags('bpf_kfunc'));
  for (const m of moduleBtfs.values()) for (const k of m.declTags('bpf_kfunc')) kfuncs.add(k);

  const coverage: Coverage = {
    inline: 'none',
    ftrace: !!tracefs?.filterFunctions,
    blacklist: !!tracefs?.blacklist,
    modules: liveModulesCovered(!!kallsyms, !!kallsyms && kallsyms.symbols.some((s) => s.module !== undefined), !!input.noModuleSupport),
    btf: true,
    exactFieldOffsets: !!tracefs,
  };
  const meta: KernelMeta = {
    ...input.meta,
    coverage,
    counts: { functions: functions.length, tracepoints: tracepoints.length, syscalls: syscalls.length, lsmHooks: lsmHooks.length },
  };
  const facts: KernelFacts = { meta, functions, tracepoints, syscalls, lsmHooks };
  withBtfTypes(facts, btf);
  const extra = extraSymbols(kallsyms);
  if (extra.length) facts.extraSymbols = extra;
  if (kfuncs.size) facts.kfuncs = [...kfuncs].sort();
  return facts;
}

interface TextRanges {
  inText(a: bigint): boolean;
  inInit(a: bigint): boolean;
}

/** Address ranges of vmlinux text, from the boundary symbols (undefined when addresses are hidden). */
function textRanges(k: KallsymsTable): TextRanges | undefined {
  if (k.addressesZeroed) return undefined;
  const wanted: Record<string, bigint | undefined> = { _stext: undefined, _etext: undefined, _sinittext: undefined, _einittext: undefined };
  for (const s of k.symbols) {
    // Every boundary name starts with '_': skip the rest without hashing their names.
    if (s.module || s.name.charCodeAt(0) !== 95 || !(s.name in wanted) || wanted[s.name] !== undefined) continue;
    wanted[s.name] = s.addr;
  }
  const { _stext: stext, _etext: etext, _sinittext: sinit, _einittext: einit } = wanted;
  if (stext === undefined || etext === undefined) return undefined;
  const inInit = (a: bigint) => sinit !== undefined && einit !== undefined && a >= sinit && a < einit;
  return { inText: (a) => (a >= stext && a < etext) || inInit(a), inInit };
}

/** Kernel text symbols (no padding labels, no `.L`-style local labels), grouped by base name. */
function textSymbolsByBase(k: KallsymsTable, ranges: TextRanges | undefined): Map<string, TextSymbol[]> {
  const byBase = new Map<string, TextSymbol[]>();
  for (const s of k.symbols) {
    if (!isTextType(s.type) || isPaddingSymbol(s.name) || s.name.startsWith('.')) continue;
    // vmlinux: trust the text ranges over the type letter (data can be marked t on 7.x kernels).
    if (!s.module && ranges && !ranges.inText(s.addr)) continue;
    const base = symbolBaseName(s.name);
    const t: TextSymbol = { name: s.name, addr: s.addr };
    if (s.module) t.module = s.module;
    const list = byBase.get(base);
    if (list) list.push(t);
    else byBase.set(base, [t]);
  }
  if (ranges) for (const list of byBase.values()) list.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  return byBase;
}

/** Local asm labels (`.E_copy`) are text but no function: kept for exact-name lookups. */
function extraSymbols(k: KallsymsTable | undefined): string[] {
  if (!k) return [];
  const out = new Set<string>();
  for (const s of k.symbols) if (isTextType(s.type) && s.name.startsWith('.')) out.add(s.name);
  return [...out].sort();
}

/** The symbol a probe on `base` attaches to (model/symbols.ts preferredSymbol). */
export function attachSymbol(base: string, symbols: string[]): string {
  return preferredSymbol(base, symbols) ?? symbols[0];
}

function buildFunctions(input: BuildInput): FunctionFacts[] {
  const { btf, moduleBtfs, kallsyms, tracefs } = input;
  const btfFuncs = new Map<string, { btf: Btf; protoId: number; module?: string }>();
  for (const f of btf.funcs()) if (!btfFuncs.has(f.name)) btfFuncs.set(f.name, { btf, protoId: f.protoId });
  for (const [module, m] of moduleBtfs) {
    for (const f of m.funcs()) if (!btfFuncs.has(f.name)) btfFuncs.set(f.name, { btf: m, protoId: f.protoId, module });
  }

  const ftraceable = tracefs?.filterFunctions ? new Set(tracefs.filterFunctions.map((f) => f.name)) : undefined;
  const blacklisted = tracefs?.blacklist ? new Set(tracefs.blacklist.map((b) => b.name)) : undefined;
  const ranges = kallsyms ? textRanges(kallsyms) : undefined;

  const protoOf = (name: string) => {
    const src = btfFuncs.get(name);
    return src && src.btf.kind(src.protoId) === BtfKind.FUNC_PROTO ? src.btf.proto(src.protoId) : undefined;
  };
  const functions: FunctionFacts[] = [];
  const seen = new Set<string>();
  if (kallsyms) {
    for (const [name, syms] of textSymbolsByBase(kallsyms, ranges)) {
      const names = syms.map((s) => s.name);
      const attach = attachSymbol(name, names);
      const f: FunctionFacts = {
        name,
        symbols: names,
        inBtf: btfFuncs.has(name),
        inline: 'unknown',
        ftrace: ftraceable ? ftraceable.has(attach) : null,
        kprobeBlacklisted: blacklisted ? blacklisted.has(attach) : null,
      };
      const proto = protoOf(name);
      if (proto) f.proto = proto;
      const module = syms[0].module;
      if (module !== undefined && syms.every((s) => s.module === module)) f.module = module;
      if (ranges && module === undefined && syms.every((s) => !s.module && ranges.inInit(s.addr))) f.initOnly = true;
      functions.push(f);
      seen.add(name);
    }
  }
  // BTF functions without a text symbol: with a symbol table, BTF lists them but nothing can attach
  // (symbols: []); without one (a bare BTF file), a FUNC stands for its own symbol.
  for (const [name, src] of btfFuncs) {
    if (seen.has(name)) continue;
    const f: FunctionFacts = {
      name,
      symbols: kallsyms ? [] : [name],
      inBtf: true,
      inline: 'unknown',
      ftrace: ftraceable ? ftraceable.has(name) : null,
      kprobeBlacklisted: blacklisted ? blacklisted.has(name) : null,
    };
    const proto = protoOf(name);
    if (proto) f.proto = proto;
    if (src.module) f.module = src.module;
    functions.push(f);
  }
  return sortByName(functions);
}

export function buildLsmHooks(btf: Btf): LsmHookFacts[] {
  // The LSM hook list is the member list of union security_list_options; bpf_lsm_<hook> is the
  // BPF attach stub. bpf_lsm.c also has helpers with the prefix (bpf_lsm_verify_prog, ...).
  const union = btf.findByName(BtfKind.UNION, 'security_list_options');
  const hooks = union !== undefined ? new Set(btf.members(union).map((m) => m.name)) : undefined;
  const out: LsmHookFacts[] = [];
  for (const f of btf.funcs()) {
    if (!f.name.startsWith('bpf_lsm_')) continue;
    const hook = f.name.slice('bpf_lsm_'.length);
    if (hooks ? !hooks.has(hook) : !isLsmHookName(hook)) continue;
    if (out.some((h) => h.name === hook)) continue;
    out.push({ name: hook, proto: btf.proto(f.protoId) });
  }
  return sortByName(out);
}

function sortByName<T extends { name: string }>(items: T[]): T[] {
  return items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// ---------------------------------------------------------------- tracepoints

/** Raw tracepoints (btf_trace_<tp>) of one BTF blob. */
export function btfTracepoints(btf: Btf): string[] {
  const out: string[] = [];
  for (const id of btf.ids(BtfKind.TYPEDEF)) {
    const n = btf.name(id);
    if (n.startsWith('btf_trace_')) out.push(n.slice('btf_trace_'.length));
  }
  return out;
}

/**
 * Templates by TP_PROTO signature: `__bpf_trace_<template>` FUNCs (named params) keyed by their
 * parameter types after `void *__data`. Used to name the args of a DEFINE_EVENT instance when
 * exactly one template (or several agreeing on names) has its signature.
 */
function templatesBySignature(btf: Btf): Map<string, { template: string; names: string[] }[]> {
  const out = new Map<string, { template: string; names: string[] }[]>();
  for (const f of btf.funcs()) {
    if (!f.name.startsWith('__bpf_trace_')) continue;
    const params = btf.proto(f.protoId).params.slice(1);
    const key = params.map((p) => p.type).join(',');
    const entry = { template: f.name.slice('__bpf_trace_'.length), names: params.map((p) => p.name) };
    const list = out.get(key);
    if (list) list.push(entry);
    else out.set(key, [entry]);
  }
  return out;
}

/** Fields equal by name, offset and size (types are spelled differently by BTF and tracefs). */
function sameLayout(a: TraceField[], b: TraceField[]): boolean {
  return a.length === b.length && a.every((f, i) => f.name === b[i].name && f.offset === b[i].offset && f.size === b[i].size);
}

/** Where a raw tracepoint's `btf_trace_<name>` typedef lives. */
export interface RawTracepointSource {
  btf: Btf;
  module?: string;
}

/**
 * Args and, when it can be proven, the template of a raw tracepoint: names from the same-named
 * `__bpf_trace_<name>` FUNC, else from the templates sharing its TP_PROTO signature (narrowed by
 * the record layout when `fields` are known). The signature index is built once per BTF.
 */
/** Name lookups a caller can answer faster than a Btf's general name index (LiveKernel does
 *  for vmlinux); each returns undefined to defer to the Btf. */
export interface TracepointLookups {
  traceArgs(btf: Btf, name: string): Param[] | undefined | null;
  hasFunc(btf: Btf, name: string): boolean | undefined;
  hasStruct(btf: Btf, name: string): boolean | undefined;
}

export function tracepointArgsResolver(sourceOf: (name: string) => RawTracepointSource | undefined, lookups?: TracepointLookups):
  (name: string, fields?: TraceField[]) => { args?: Param[]; template?: string } {
  const signatures = new Map<Btf, Map<string, { template: string; names: string[] }[]>>();
  const sigIndex = (b: Btf) => {
    let s = signatures.get(b);
    if (!s) signatures.set(b, (s = templatesBySignature(b)));
    return s;
  };

  return (name: string, fields?: TraceField[]): { args?: Param[]; template?: string } => {
    const src = sourceOf(name);
    if (!src) return {};
    const fast = lookups?.traceArgs(src.btf, name);
    const args = fast === null ? undefined : fast ?? src.btf.btfTraceArgs(name);
    if (!args) return {};
    const hasFunc = lookups?.hasFunc(src.btf, `__bpf_trace_${name}`) ?? src.btf.findByName(BtfKind.FUNC, `__bpf_trace_${name}`) !== undefined;
    const sameName = hasFunc && args.every((a, i) => a.name !== `arg${i}`);
    const hasStruct = () => lookups?.hasStruct(src.btf, `trace_event_raw_${name}`) ?? src.btf.findByName(BtfKind.STRUCT, `trace_event_raw_${name}`) !== undefined;
    if (sameName) return { args, template: hasStruct() ? name : undefined };
    const candidates = sigIndex(src.btf).get(args.map((a) => a.type).join(',')) ?? [];
    const byLayout = fields
      ? candidates.filter((c) => {
        const f = src.btf.structFields(`trace_event_raw_${c.template}`);
        return !!f && sameLayout(f, fields);
      })
      : [];
    const chosen = byLayout.length === 1 ? byLayout : candidates;
    const agree = chosen.length > 0 && chosen.every((c) => c.names.join(',') === chosen[0].names.join(','));
    const named = agree ? args.map((a, i) => ({ type: a.type, name: chosen[0].names[i] || a.name })) : args;
    return { args: named, template: byLayout.length === 1 ? byLayout[0].template : undefined };
  };
}

function buildTracepoints(input: BuildInput): TracepointFacts[] {
  const { btf, moduleBtfs, tracefs, bundledSystems } = input;
  const btfOf = new Map<string, { btf: Btf; module?: string }>();
  for (const tp of btfTracepoints(btf)) btfOf.set(tp, { btf });
  for (const [module, m] of moduleBtfs) {
    for (const tp of btfTracepoints(m)) if (!btfOf.has(tp)) btfOf.set(tp, { btf: m, module });
  }
  const argsOf = tracepointArgsResolver((name) => btfOf.get(name));

  const out: TracepointFacts[] = [];
  const withEvent = new Set<string>();
  if (tracefs) {
    for (const ev of tracefs.events) {
      if (ev.system === 'ftrace') continue; // ftrace:* internal events cannot be enabled or attached
      const fields = ev.fields.filter((f) => !f.common).map(stripCommonFlag);
      const t: TracepointFacts = { name: ev.name, event: true, btf: btfOf.has(ev.name), fields };
      if (ev.system) t.system = ev.system;
      if (ev.printFmt) t.fmt = ev.printFmt;
      const { args, template } = argsOf(ev.name, fields);
      if (args) t.args = args;
      if (template) t.template = template;
      const mod = btfOf.get(ev.name)?.module;
      if (mod) t.module = mod;
      out.push(t);
      withEvent.add(ev.name);
    }
  } else if (btfOf.size) {
    input.problems.add(bundledSystems?.size
      ? 'tracefs unreadable: trace systems come from the bundled atlases and record fields from same-named trace_event_raw_* structs; a raw tracepoint neither of them knows is listed without an event'
      : 'tracefs unreadable and no bundled systems given: tracepoint systems unknown; only raw tracepoints with a same-named trace_event_raw_* struct are known to have an event');
  }
  for (const [name, src] of btfOf) {
    if (withEvent.has(name)) continue;
    const system = tracefs ? undefined : bundledSystems?.get(name);
    const fields = tracefs ? undefined : src.btf.structFields(`trace_event_raw_${name}`);
    // With tracefs, every event is listed there: a raw tracepoint missing from it has none.
    const event = !tracefs && (system !== undefined || fields !== undefined);
    const t: TracepointFacts = { name, event, btf: true };
    if (system) t.system = system;
    if (fields) t.fields = fields;
    const { args, template } = argsOf(name, fields);
    if (args) t.args = args;
    if (template) t.template = template;
    if (src.module) t.module = src.module;
    out.push(t);
  }
  out.sort((a, b) => {
    const ka = `${a.system ?? '~'}:${a.name}`, kb = `${b.system ?? '~'}:${b.name}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return out;
}

export function stripCommonFlag(f: TraceField & { common?: boolean }): TraceField {
  const { common: _common, ...rest } = f;
  return rest;
}

/** syscalls/sys_enter_<name>: the arguments are the fields after `__syscall_nr`. */
function syscallsFromTracefs(events: EventFormat[]): SyscallFacts[] {
  const out: SyscallFacts[] = [];
  for (const ev of events) {
    if (ev.system !== 'syscalls' || !ev.name.startsWith('sys_enter_')) continue;
    const args = ev.fields.filter((f) => !f.common && f.name !== '__syscall_nr').map((f) => ({ name: f.name, type: f.type }));
    out.push({ name: ev.name.slice('sys_enter_'.length), args });
  }
  return sortByName(out);
}
