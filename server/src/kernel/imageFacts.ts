// Assembles KernelFacts (model/facts.ts) for one packaged kernel from its vmlinux: decoded
// kallsyms, the image's BTF, the data walks of vmlinux.ts, optionally the DWARF inline classes of
// the same build (made offline from the -dbg package) and module facts from modules.ts. This is
// where the per-source facts meet: which symbol a name attaches to, whether that symbol has an
// ftrace site or is blacklisted, and what DWARF says about inlined callers.

import { Btf, BtfKind, parseBtf } from './btf';
import { withBtfTypes } from './btfTypes';
import { ElfFile, parseElf } from './elf';
import { KernelDataError } from './errors';
import { KernelSymbol, decodeKallsyms } from './kallsymsImage';
import { lsmHooksOf } from './lsm';
import { baseName, preferredSymbol } from '../model/symbols';
import { BlacklistReport, McountReport, RawTracepoint, TraceEvent, VmlinuxImage } from './vmlinux';
import type {
  Coverage, FunctionFacts, KernelFacts, KernelMeta, SyscallFacts, TracepointFacts,
} from '../model/facts';

export type DwarfInlineClass = 'fully_inlined' | 'partially_inlined' | 'out_of_line_only' | 'no_code';

/** One row of the DWARF inline classification (see scripts/debian/README.md). */
export interface InlineInfo {
  class: DwarfInlineClass;
  /** DW_TAG_inlined_subroutine sites of the name, self sites included. */
  sites: number;
  /** Sites inside the function's own out-of-line body: a probe on the symbol sees them. */
  selfSites: number;
  /** DWARF subprograms with code (out-of-line bodies, clones included), when the table says. */
  outOfLine?: number;
  /** The build's System.map has a text symbol of exactly this name, or one with a compiler
   *  suffix (in the kernel text ranges), when the table says. */
  hasTextSymbol?: boolean;
}

/** What modules.ts contributes: functions and tracepoints that live in loadable modules. */
export interface ModuleContribution {
  functions: FunctionFacts[];
  tracepoints: TracepointFacts[];
}

export interface ImageFactsInput {
  vmlinux: Uint8Array;
  /** Names the input in errors. */
  file: string;
  /** Parsed already (e.g. to parse module BTF against it); parsed from .BTF otherwise. */
  btf?: Btf;
  /** Decoded already; decoded from the image otherwise. */
  symbols?: KernelSymbol[];
  inline?: Map<string, InlineInfo>;
  modules?: ModuleContribution;
  meta: Omit<KernelMeta, 'coverage' | 'counts'> & { coverage?: Partial<Coverage> };
}

/** Figures of one build, for reports and tests (not part of KernelFacts). */
export interface ImageStats {
  symbols: number;
  textFunctions: number;
  mcountEntries: number;
  mcountFunctions: number;
  blacklistEntries: number;
  blacklistFunctions: number;
  tracepointStructs: number;
  traceEvents: number;
  rawTracepoints: number;
  btfFuncs: number;
}

/** The vmlinux BTF of an image ELF; throws naming the file when it has none. */
export function imageBtf(elf: ElfFile): Btf {
  const s = elf.section('.BTF');
  if (!s) throw new KernelDataError(elf.file, 'no .BTF section (kernel built without CONFIG_DEBUG_INFO_BTF)');
  return parseBtf(elf.sectionBytes(s), { file: `${elf.file} .BTF` });
}

/** The name a probe on `base` attaches to among its symbols (model/symbols.ts preferredSymbol). */
function attachSymbol(base: string, symbols: string[]): string {
  return preferredSymbol(base, symbols) ?? symbols[0];
}

function inlineFacts(info: InlineInfo | undefined, haveDwarf: boolean, hasSymbol: boolean): Pick<FunctionFacts, 'inline' | 'inlinedSites'> {
  if (!haveDwarf) return { inline: 'unknown' };
  if (!info) return { inline: 'none' }; // no DWARF subprogram: asm or linker-made code, never inlined
  const missed = info.sites - info.selfSites;
  switch (info.class) {
    case 'fully_inlined':
      // A few names are fully inlined in DWARF yet have a symbol from another definition.
      return hasSymbol ? { inline: 'partial', inlinedSites: info.sites } : { inline: 'full', inlinedSites: info.sites };
    case 'partially_inlined':
      return missed > 0 ? { inline: 'partial', inlinedSites: missed } : { inline: 'none' };
    default:
      return { inline: 'none' };
  }
}

export interface ImageFactsResult {
  facts: KernelFacts;
  stats: ImageStats;
}

/** vmlinux (+ DWARF classes, + modules) → KernelFacts, with the figures behind them. */
export function factsFromVmlinux(input: ImageFactsInput): ImageFactsResult {
  const elf = parseElf(input.vmlinux, input.file);
  const btf = input.btf ?? imageBtf(elf);
  const symbols = input.symbols ?? decodeKallsyms(elf).symbols;
  const img = new VmlinuxImage(elf, btf, symbols);
  const haveDwarf = !!input.inline;

  const mcount = img.mcount();
  const blacklist = img.kprobeBlacklist();
  const btfFuncs = new Set<string>();
  for (const f of btf.funcs()) btfFuncs.add(f.name);

  const functions = functionFactsOf(input, elf, img, btf, btfFuncs, mcount, blacklist);
  const { tracepoints, events, raw, structTps, inTable } = tracepointFactsOf(input, img, btf);

  // ---- syscalls, LSM hooks, kfuncs
  const syscalls: SyscallFacts[] = img.syscalls().filter((s) => inTable(s.name)).map((s) => ({ name: s.name, args: s.args }));
  syscalls.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lsmHooks = lsmHooksOf(btf);
  const kfuncs = btf.declTags('bpf_kfunc').filter((n) => btfFuncs.has(n)).sort();

  const coverage: Coverage = {
    inline: haveDwarf ? 'dwarf' : 'none',
    ftrace: true,
    blacklist: true,
    modules: !!input.modules && input.modules.functions.length > 0,
    btf: true,
    exactFieldOffsets: true,
    ...input.meta.coverage,
  };
  const meta: KernelMeta = {
    ...input.meta,
    coverage,
    counts: { functions: functions.length, tracepoints: tracepoints.length, syscalls: syscalls.length, lsmHooks: lsmHooks.length },
  };
  const facts: KernelFacts = { meta, functions, tracepoints, syscalls, lsmHooks };
  if (kfuncs.length) facts.kfuncs = kfuncs;
  withBtfTypes(facts, btf);
  const stats: ImageStats = {
    symbols: symbols.length,
    textFunctions: img.text.functions.length,
    mcountEntries: mcount.entries,
    mcountFunctions: mcount.functions.size,
    blacklistEntries: blacklist.entries,
    blacklistFunctions: blacklist.functions.size,
    tracepointStructs: structTps.length,
    traceEvents: events.length,
    rawTracepoints: raw.size,
    btfFuncs: btfFuncs.size,
  };
  return { facts, stats };
}

/** The functions of one build: text symbols, DWARF-only inlined and exit-only names, modules; by name. */
function functionFactsOf(
  input: ImageFactsInput, elf: ElfFile, img: VmlinuxImage, btf: Btf, btfFuncs: Set<string>,
  mcount: McountReport, blacklist: BlacklistReport,
): FunctionFacts[] {
  const functions: FunctionFacts[] = [];
  const seen = new Set<string>();
  const push = (f: FunctionFacts) => {
    functions.push(f);
    seen.add(f.name);
  };
  symbolFunctions(input, img, btf, btfFuncs, mcount, blacklist).forEach(push);
  // Names DWARF knows as fully inlined and that have no symbol: how `fully-inlined` is known.
  if (input.inline) {
    for (const [name, info] of input.inline) {
      if (info.class !== 'fully_inlined' || seen.has(name)) continue;
      push(withProto(btf, {
        name, symbols: [], inBtf: btfFuncs.has(name), inline: 'full', inlinedSites: info.sites,
        ftrace: false, kprobeBlacklisted: false,
      }));
    }
  }
  exitOnlyFunctions(input, elf, btf, btfFuncs, mcount, seen).forEach(push);
  for (const mf of input.modules?.functions ?? []) {
    if (seen.has(mf.name)) continue;
    push(mf);
  }
  functions.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return functions;
}

/** `f` with its BTF prototype set when it is in BTF and BTF has one. */
function withProto(btf: Btf, f: FunctionFacts): FunctionFacts {
  const proto = f.inBtf ? btf.funcProto(f.name) : undefined;
  if (proto) f.proto = proto;
  return f;
}

/** One FunctionFacts per base name of the image's text symbols, in symbol order. */
function symbolFunctions(
  input: ImageFactsInput, img: VmlinuxImage, btf: Btf, btfFuncs: Set<string>,
  mcount: McountReport, blacklist: BlacklistReport,
): FunctionFacts[] {
  const haveDwarf = !!input.inline;
  const byBase = new Map<string, KernelSymbol[]>();
  for (const s of img.text.functions) {
    const b = baseName(s.name);
    const l = byBase.get(b);
    if (l) l.push(s); else byBase.set(b, [s]);
  }
  const functions: FunctionFacts[] = [];
  for (const [name, syms] of byBase) {
    const symNames = syms.map((s) => s.name);
    const attach = attachSymbol(name, symNames);
    const f = withProto(btf, {
      name,
      symbols: symNames,
      inBtf: btfFuncs.has(name),
      ...inlineFacts(input.inline?.get(name), haveDwarf, true),
      ftrace: mcount.functions.has(attach),
      kprobeBlacklisted: blacklist.functions.has(attach),
    });
    if (syms.every((s) => img.text.inInitText(s.addr))) f.initOnly = true;
    functions.push(f);
  }
  return functions;
}

/** The built-in exit code functions DWARF has a body of and no text symbol covers (not in `seen`). */
function exitOnlyFunctions(
  input: ImageFactsInput, elf: ElfFile, btf: Btf, btfFuncs: Set<string>, mcount: McountReport, seen: Set<string>,
): FunctionFacts[] {
  // Built-in exit code (`__exit`): DWARF has its out-of-line body and BTF lists the function, yet
  // no text symbol exists in the kernel text ranges. Such code sits in the image's .exit.text,
  // which kallsyms does not cover, ftrace does not patch, and the kernel never runs (built-in code
  // is never unloaded) and frees with the init memory after boot: found, never attachable.
  // BTF is the witness that the body is kernel C code with an address (on 7.2, 305 other
  // DWARF bodies without a plain symbol are Rust and early position-independent startup code,
  // none in BTF). A BTF that lists ftrace-able functions only (the pahole of 5.10: 16 of its
  // 35,009 functions lack an mcount site; 6.1: 5,424 of 44,546) cannot witness exit code, which
  // has no mcount site: there the DWARF body alone counts (5.10: 101 names, every one an `__exit`
  // function). An image without an .exit.text section claims none.
  let notFtraced = 0;
  for (const n of btfFuncs) if (!mcount.functions.has(n)) notFtraced++;
  const btfFtraceOnly = notFtraced * 1000 <= btfFuncs.size;
  const exitText = elf.section('.exit.text');
  const functions: FunctionFacts[] = [];
  if (input.inline && exitText && exitText.size > 0) {
    for (const [name, info] of input.inline) {
      if (seen.has(name) || !info.outOfLine || info.hasTextSymbol !== false || !(btfFuncs.has(name) || btfFtraceOnly)) continue;
      functions.push(withProto(btf, {
        name, symbols: [], inBtf: btfFuncs.has(name), inline: 'none', ftrace: false, kprobeBlacklisted: null, exitOnly: true,
      }));
    }
  }
  return functions;
}

/** The tracepoints of one build and what they were read from (the figures want the counts). */
function tracepointFactsOf(input: ImageFactsInput, img: VmlinuxImage, btf: Btf) {
  // ---- tracepoints: struct tracepoints ∪ btf_trace_* typedefs, events from _ftrace_events
  const events = img.traceEvents();
  const raw = new Map(img.rawTracepoints().map((r) => [r.name, r]));
  const structTps = img.tracepoints();
  const tracepoints = structTracepoints(img, btf, events, raw, structTps);
  // Events without a struct tracepoint that programs can attach to: syscalls:* (ftrace:* cannot be
  // enabled). At boot, init_syscall_trace() keeps the events of the native syscall table's calls
  // only: compat-only syscalls (chown16, sync_file_range2, ...) have metadata but no event.
  const table = img.syscallTable();
  const inTable = (syscall: string) => !table || table.has(syscall);
  for (const e of events) {
    if (e.tracepoint || e.system === 'ftrace') continue;
    if (e.system === 'syscalls' && !inTable(e.name.replace(/^sys_(enter|exit)_/, ''))) continue;
    const t: TracepointFacts = { name: e.name, system: e.system, event: true, btf: false };
    if (e.template) t.template = e.template;
    if (e.fields) t.fields = e.fields;
    if (e.fmt) t.fmt = e.fmt;
    tracepoints.push(t);
  }
  const tpSeen = new Set(tracepoints.map((t) => `${t.system ?? ''}:${t.name}`));
  const tpNamesSeen = new Set(tracepoints.map((t) => t.name));
  for (const mt of input.modules?.tracepoints ?? []) {
    if (tpSeen.has(`${mt.system ?? ''}:${mt.name}`) || (!mt.system && tpNamesSeen.has(mt.name))) continue;
    tracepoints.push(mt);
    tpSeen.add(`${mt.system ?? ''}:${mt.name}`);
  }
  tracepoints.sort((a, b) => {
    const ka = `${a.system ?? '~'}:${a.name}`, kb = `${b.system ?? '~'}:${b.name}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return { tracepoints, events, raw, structTps, inTable };
}

/** One TracepointFacts per struct tracepoint or btf_trace_* typedef, with its event and BTF args. */
function structTracepoints(
  img: VmlinuxImage, btf: Btf, events: TraceEvent[], raw: Map<string, RawTracepoint>, structTps: string[],
): TracepointFacts[] {
  const tpEvents = new Map<string, TraceEvent>();
  for (const e of events) if (e.tracepoint && !tpEvents.has(e.name)) tpEvents.set(e.name, e);
  const btfTrace = new Set<string>();
  for (const id of btf.ids(BtfKind.TYPEDEF)) {
    const n = btf.name(id);
    if (n.startsWith('btf_trace_')) btfTrace.add(n.slice('btf_trace_'.length));
  }
  const tpNames = [...new Set([...structTps, ...btfTrace])];
  const tracepoints: TracepointFacts[] = [];
  for (const name of tpNames) {
    const ev = tpEvents.get(name);
    const template = ev?.template ?? raw.get(name)?.template;
    const t: TracepointFacts = { name, event: !!ev, btf: btfTrace.has(name) };
    if (ev) {
      t.system = ev.system;
      if (ev.fields) t.fields = ev.fields;
      if (ev.fmt) t.fmt = ev.fmt;
    }
    if (template) t.template = template;
    if (t.btf) {
      const args = btf.btfTraceArgs(name, raw.get(name)?.template);
      if (args) t.args = args;
    }
    tracepoints.push(t);
  }
  return tracepoints;
}

/**
 * Parses the DWARF inline classification (`<version>-inline.tsv`: name, class, out_of_line_instances,
 * inlined_sites, ...) and its self-sites side file (`name`, `self_inlined_sites`), both with a
 * header line. `file` names the input in errors.
 */
export function parseInlineTsv(inlineTsv: string, selfSitesTsv: string | undefined, file: string): Map<string, InlineInfo> {
  const out = new Map<string, InlineInfo>();
  const classes = new Set<string>(['fully_inlined', 'partially_inlined', 'out_of_line_only', 'no_code']);
  const lines = inlineTsv.split('\n');
  const header = lines[0].split('\t');
  const col = (n: string) => {
    const i = header.indexOf(n);
    if (i < 0) throw new KernelDataError(file, `inline tsv has no column ${n} (header: ${lines[0].slice(0, 120)})`);
    return i;
  };
  const cName = col('name'), cClass = col('class'), cSites = col('inlined_sites');
  // Older tables may lack these: the facts they give (exit-only functions) are then not claimed.
  const cOol = header.indexOf('out_of_line_instances'), cPlain = header.indexOf('plain_symbol'), cSuffixed = header.indexOf('suffixed_symbols');
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i]) continue;
    const f = lines[i].split('\t');
    const cls = f[cClass];
    const sites = Number(f[cSites]);
    if (!classes.has(cls) || !Number.isInteger(sites)) throw new KernelDataError(file, `line ${i + 1}: bad row "${lines[i].slice(0, 80)}"`);
    const row: InlineInfo = { class: cls as DwarfInlineClass, sites, selfSites: 0 };
    if (cOol >= 0 && Number.isInteger(Number(f[cOol]))) row.outOfLine = Number(f[cOol]);
    if (cPlain >= 0 && cSuffixed >= 0) row.hasTextSymbol = f[cPlain] === '1' || (f[cSuffixed] ?? '') !== '';
    out.set(f[cName], row);
  }
  if (selfSitesTsv) {
    const sl = selfSitesTsv.split('\n');
    for (let i = 1; i < sl.length; i++) {
      if (!sl[i]) continue;
      const [name, n] = sl[i].split('\t');
      const row = out.get(name);
      const v = Number(n);
      if (!Number.isInteger(v)) throw new KernelDataError(file, `self-sites line ${i + 1}: bad count "${sl[i].slice(0, 80)}"`);
      if (row) row.selfSites = v;
    }
  }
  return out;
}
