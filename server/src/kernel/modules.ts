// Facts from loadable kernel modules (.ko, or .ko.xz from 6.12 on). A module is an ET_REL object:
// its functions come from .symtab plus its split BTF (parsed on top of the vmlinux BTF), and its
// kernel data (__mcount_loc, _kprobe_blacklist, _ftrace_events, __bpf_raw_tp_map) only makes
// sense after applying RELA relocations, because every pointer in it is 0 plus a relocation. This
// module resolves pointers as (section, offset) locations instead of addresses, using the
// vmlinux BTF for struct layouts. Modules without BTF (Debian 11 / 5.10) contribute nothing:
// their functions would have no prototype and cannot be fentry targets.
// Decompressing .ko.xz calls the system `xz` (offline generation only).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Btf, BtfKind, parseBtf } from './btf';
import { ElfFile, ElfSection, ElfSymbol, SHT_RELA, parseElf, cString } from './elf';
import { KernelDataError } from './errors';
import { baseName, preferredSymbol } from '../model/symbols';
import type { FunctionFacts, TraceField, TracepointFacts } from '../model/facts';
import type { ModuleContribution } from './imageFacts';

const STT_FUNC = 2;
const STT_SECTION = 3;
const SHF_EXECINSTR = 4n;

/** A location inside a relocatable object: section index + byte offset. */
interface Loc { sec: number; off: number }

export interface ModuleFacts {
  name: string;
  hasBtf: boolean;
  functions: FunctionFacts[];
  tracepoints: TracepointFacts[];
}

/** `kernel/fs/ext4/ext4.ko.xz` → `ext4` (the kernel replaces - with _ in module names). */
export function moduleName(file: string): string {
  return path.basename(file).replace(/\.ko(\.xz|\.zst|\.gz)?$/, '').replace(/-/g, '_');
}

/** Reads a .ko or .ko.xz file into ELF bytes. */
export function readModuleBytes(file: string): Uint8Array {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (e) {
    throw new KernelDataError(file, `cannot read module: ${(e as Error).message}`);
  }
  if (file.endsWith('.xz')) {
    const r = spawnSync('xz', ['-dc'], { input: data, maxBuffer: 1 << 30 });
    if (r.error || r.status !== 0) throw new KernelDataError(file, `xz could not decompress the module: ${r.error?.message ?? String(r.stderr).trim()}`);
    data = r.stdout;
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Relocation-aware view of a module object. */
class ModuleObject {
  readonly symbols: ElfSymbol[];
  /** RELA sections by the section they patch; parsed on first use (most patch .text, never read here). */
  private readonly relaFor = new Map<number, ElfSection[]>();
  private readonly relocs = new Map<number, Map<number, { symbol: number; addend: number }>>();
  private symbolAt: Map<string, string> | undefined;
  /** FUNC symbols per executable section, sorted by offset. */
  private readonly funcsBySection = new Map<number, ElfSymbol[]>();

  constructor(readonly elf: ElfFile, readonly btf: Btf) {
    this.symbols = elf.symbols();
    for (const s of elf.sections) {
      if (s.type !== SHT_RELA) continue;
      const l = this.relaFor.get(s.info);
      if (l) l.push(s); else this.relaFor.set(s.info, [s]);
    }
    for (const sym of this.symbols) {
      if (sym.type !== STT_FUNC || sym.shndx === 0 || sym.shndx >= elf.sections.length) continue;
      const l = this.funcsBySection.get(sym.shndx);
      if (l) l.push(sym); else this.funcsBySection.set(sym.shndx, [sym]);
    }
    for (const l of this.funcsBySection.values()) l.sort((a, b) => Number(a.value - b.value));
  }

  get file(): string { return this.elf.file; }

  /** The function symbols of executable sections. */
  textFunctions(): { sym: ElfSymbol; section: ElfSection }[] {
    const out: { sym: ElfSymbol; section: ElfSection }[] = [];
    for (const [sec, syms] of this.funcsBySection) {
      const section = this.elf.sections[sec];
      if (!(section.flags & SHF_EXECINSTR)) continue;
      for (const sym of syms) out.push({ sym, section });
    }
    return out;
  }

  /** The function containing a location in an executable section (binary search). */
  functionAt(loc: Loc): ElfSymbol | undefined {
    const l = this.funcsBySection.get(loc.sec);
    if (!l) return undefined;
    let lo = 0, hi = l.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (Number(l[mid].value) <= loc.off) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found >= 0 ? l[found] : undefined;
  }

  private relocsOf(sec: number): Map<number, { symbol: number; addend: number }> {
    let m = this.relocs.get(sec);
    if (!m) {
      m = new Map();
      for (const rs of this.relaFor.get(sec) ?? []) {
        for (const r of this.elf.relocations(rs)) m.set(Number(r.offset), { symbol: r.symbol, addend: Number(r.addend) });
      }
      this.relocs.set(sec, m);
    }
    return m;
  }

  /** Where the pointer stored at `at` points, from its relocation; undefined when none or external. */
  ptr(at: Loc): Loc | undefined {
    const r = this.relocsOf(at.sec).get(at.off);
    if (!r) return undefined;
    const sym = this.symbols[r.symbol];
    if (!sym || sym.shndx === 0 || sym.shndx >= 0xff00) return undefined;
    return { sec: sym.shndx, off: Number(sym.value) + r.addend };
  }

  /** The symbol name a pointer at `at` refers to (externals included). */
  ptrSymbolName(at: Loc): string | undefined {
    const r = this.relocsOf(at.sec).get(at.off);
    if (!r) return undefined;
    const sym = this.symbols[r.symbol];
    if (!sym) return undefined;
    if (sym.type === STT_SECTION || !sym.name) {
      return this.namedSymbolAt({ sec: sym.shndx, off: Number(sym.value) + r.addend });
    }
    return r.addend === 0 ? sym.name : this.namedSymbolAt({ sec: sym.shndx, off: Number(sym.value) + r.addend });
  }

  namedSymbolAt(loc: Loc): string | undefined {
    if (!this.symbolAt) {
      this.symbolAt = new Map();
      for (const s of this.symbols) {
        if (!s.name || s.type === STT_SECTION) continue;
        const key = `${s.shndx}:${s.value}`;
        if (!this.symbolAt.has(key)) this.symbolAt.set(key, s.name);
      }
    }
    return this.symbolAt.get(`${loc.sec}:${loc.off}`);
  }

  str(loc: Loc | undefined): string | undefined {
    if (!loc) return undefined;
    const s = this.elf.sections[loc.sec];
    if (!s || loc.off >= s.size) return undefined;
    return cString(this.elf.bytes, s.offset + loc.off);
  }

  private member(struct: string, name: string) {
    const m = this.btf.member(struct, name);
    if (!m) throw new KernelDataError(this.file, `BTF has no member ${name} in struct ${struct}`);
    return m;
  }

  field(at: Loc, struct: string, name: string): Loc { return { sec: at.sec, off: at.off + Math.floor(this.member(struct, name).bitOffset / 8) }; }

  int(at: Loc, struct: string, name: string): number {
    const m = this.member(struct, name);
    const s = this.elf.sections[at.sec];
    const end = at.off + Math.ceil((m.bitOffset + Math.max(m.bitSize, 8 * this.btf.sizeOf(m.type))) / 8);
    if (!s || at.off < 0 || end > s.size) throw new KernelDataError(this.file, `${struct}.${name} at ${s?.name ?? `section ${at.sec}`}+${at.off} lies outside the section`);
    const base = s.offset + at.off;
    const bytes = this.elf.bytes;
    if (m.bitSize) {
      const first = Math.floor(m.bitOffset / 8), shift = m.bitOffset % 8, n = Math.ceil((shift + m.bitSize) / 8);
      let w = 0;
      for (let i = n - 1; i >= 0; i--) w = w * 256 + bytes[base + first + i];
      return Math.floor(w / 2 ** shift) % 2 ** m.bitSize;
    }
    const size = this.btf.sizeOf(m.type);
    const o = base + m.bitOffset / 8;
    const v = this.elf.view;
    const signed = this.btf.isSigned(m.type);
    if (size === 1) return signed ? v.getInt8(o) : v.getUint8(o);
    if (size === 2) return signed ? v.getInt16(o, true) : v.getUint16(o, true);
    if (size === 4) return signed ? v.getInt32(o, true) : v.getUint32(o, true);
    return Number(v.getBigInt64(o, true));
  }

  /** Relocated pointer targets of an array-of-pointers section (one per 8 bytes). */
  pointerTable(sectionName: string): (Loc | undefined)[] {
    const s = this.elf.section(sectionName);
    if (!s) return [];
    const out: (Loc | undefined)[] = [];
    for (let off = 0; off + 8 <= s.size; off += 8) out.push(this.ptr({ sec: s.index, off }));
    return out;
  }
}

function traceEventsOf(mod: ModuleObject): { name: string; system: string; template?: string; fields?: TraceField[]; fmt?: string }[] {
  const calls = mod.pointerTable('_ftrace_events');
  if (!calls.length) return [];
  const flTp = Number(mod.btf.enumValue('TRACE_EVENT_FL_TRACEPOINT') ?? 0);
  const stride = mod.btf.sizeOf(mod.btf.structId('trace_event_fields') ?? 0);
  const out: { name: string; system: string; template?: string; fields?: TraceField[]; fmt?: string }[] = [];
  for (const call of calls) {
    if (!call) continue;
    const cls = mod.ptr(mod.field(call, 'trace_event_call', 'class'));
    if (!cls) continue;
    const isTp = (mod.int(call, 'trace_event_call', 'flags') & flTp) !== 0;
    const nameAt = mod.ptr(mod.field(call, 'trace_event_call', 'name'));
    const name = isTp ? mod.str(nameAt && mod.ptr(mod.field(nameAt, 'tracepoint', 'name'))) : mod.str(nameAt);
    const system = mod.str(mod.ptr(mod.field(cls, 'trace_event_class', 'system')));
    if (!name || !system) continue;
    const template = mod.namedSymbolAt(cls)?.replace(/^event_class_/, '');
    const fmt = mod.str(mod.ptr(mod.field(call, 'trace_event_call', 'print_fmt')));
    let fields: TraceField[] | undefined;
    const fa = mod.ptr(mod.field(cls, 'trace_event_class', 'fields_array'));
    if (fa && stride) {
      fields = [];
      let off = 8;
      for (let k = 0; k < 512; k++) {
        const fe = { sec: fa.sec, off: fa.off + k * stride };
        const type = mod.str(mod.ptr(mod.field(fe, 'trace_event_fields', 'type')));
        if (type === undefined) break;
        const size = mod.int(fe, 'trace_event_fields', 'size');
        const align = mod.int(fe, 'trace_event_fields', 'align');
        if (align > 1) off = Math.ceil(off / align) * align;
        const resolved = type.replace(/\[([A-Za-z_][A-Za-z0-9_]*)\]/g, (w, n: string) => {
          const v = mod.btf.enumValue(n);
          return v === undefined ? w : `[${v.toString()}]`;
        });
        fields.push({ name: mod.str(mod.ptr(mod.field(fe, 'trace_event_fields', 'name'))) ?? '', type: resolved, offset: off, size, signed: mod.int(fe, 'trace_event_fields', 'is_signed') !== 0 });
        off += size;
      }
    }
    out.push({ name, system, template, fields, fmt: fmt || undefined });
  }
  return out;
}

/** raw tracepoint → template, from the module's __bpf_raw_tp_map section. */
function rawTemplates(mod: ModuleObject): Map<string, string> {
  const out = new Map<string, string>();
  const s = mod.elf.section('__bpf_raw_tp_map');
  if (!s) return out;
  const stride = mod.btf.sizeOf(mod.btf.structId('bpf_raw_event_map') ?? 0);
  if (!stride) return out;
  for (let off = 0; off + stride <= s.size; off += stride) {
    const at = { sec: s.index, off };
    const tp = mod.ptr(mod.field(at, 'bpf_raw_event_map', 'tp'));
    const name = mod.str(tp && mod.ptr(mod.field(tp, 'tracepoint', 'name')));
    const fn = mod.ptrSymbolName(mod.field(at, 'bpf_raw_event_map', 'bpf_func'));
    if (name && fn?.startsWith('__bpf_trace_')) out.set(name, fn.slice('__bpf_trace_'.length));
  }
  return out;
}

/** Facts of one module object against the vmlinux BTF. */
export function moduleFacts(bytes: Uint8Array, file: string, vmlinuxBtf: Btf): ModuleFacts {
  try {
    return readModule(bytes, file, vmlinuxBtf);
  } catch (e) {
    // Bounds are checked where offsets come from the file; anything that still slips through a
    // malformed object is reported against the file rather than crashing the whole build.
    if (e instanceof RangeError) throw new KernelDataError(file, `malformed module object: ${e.message}`, { cause: e });
    throw e;
  }
}

function readModule(bytes: Uint8Array, file: string, vmlinuxBtf: Btf): ModuleFacts {
  const elf = parseElf(bytes, file);
  const name = moduleName(file);
  const btfSec = elf.section('.BTF');
  if (!btfSec) return { name, hasBtf: false, functions: [], tracepoints: [] };
  const btf = parseBtf(elf.sectionBytes(btfSec), { base: vmlinuxBtf, file: `${file} .BTF` });
  const mod = new ModuleObject(elf, btf);

  const ftraceFns = new Set<string>();
  const mc = elf.section('__mcount_loc');
  if (mc) {
    for (let off = 0; off + 8 <= mc.size; off += 8) {
      const site = mod.ptr({ sec: mc.index, off });
      const f = site && mod.functionAt(site);
      if (f) ftraceFns.add(f.name);
    }
  }
  const blacklisted = new Set<string>();
  for (const loc of mod.pointerTable('_kprobe_blacklist')) {
    const f = loc && mod.functionAt(loc);
    if (f) blacklisted.add(f.name);
  }
  const btfFuncs = new Set<string>();
  for (const f of btf.funcs()) btfFuncs.add(f.name);

  const byBase = new Map<string, { sym: ElfSymbol; section: ElfSection }[]>();
  for (const t of mod.textFunctions()) {
    if (!t.sym.name || t.sym.name.startsWith('__pfx_') || t.sym.name.startsWith('__cfi_')) continue;
    if (t.section.name.startsWith('.noinstr') || t.section.name.startsWith('.kprobes')) blacklisted.add(t.sym.name);
    const b = baseName(t.sym.name);
    const l = byBase.get(b);
    if (l) l.push(t); else byBase.set(b, [t]);
  }
  const functions: FunctionFacts[] = [];
  for (const [fname, list] of byBase) {
    const symbols = list.map((t) => t.sym.name);
    const attach = preferredSymbol(fname, symbols) ?? symbols[0];
    const f: FunctionFacts = {
      name: fname, symbols, inBtf: btfFuncs.has(fname), inline: 'unknown',
      ftrace: ftraceFns.has(attach), kprobeBlacklisted: blacklisted.has(attach), module: name,
    };
    const proto = f.inBtf ? btf.funcProto(fname) : undefined;
    if (proto) f.proto = proto;
    if (list.every((t) => t.section.name.startsWith('.init.text'))) f.initOnly = true;
    functions.push(f);
  }

  const events = traceEventsOf(mod);
  const raw = rawTemplates(mod);
  const tracepoints: TracepointFacts[] = [];
  const seen = new Set<string>();
  const ownTraceTypedefs: string[] = [];
  for (const id of btf.ids(BtfKind.TYPEDEF)) {
    const n = btf.name(id);
    if (n.startsWith('btf_trace_')) ownTraceTypedefs.push(n.slice('btf_trace_'.length));
  }
  const hasBtfTrace = new Set(ownTraceTypedefs);
  for (const ev of events) {
    const t: TracepointFacts = { name: ev.name, system: ev.system, event: true, btf: hasBtfTrace.has(ev.name), module: name };
    if (ev.template) t.template = ev.template;
    if (ev.fields) t.fields = ev.fields;
    if (ev.fmt) t.fmt = ev.fmt;
    if (t.btf) {
      const args = btf.btfTraceArgs(ev.name, raw.get(ev.name));
      if (args) t.args = args;
    }
    tracepoints.push(t);
    seen.add(ev.name);
  }
  for (const tp of ownTraceTypedefs) {
    if (seen.has(tp)) continue;
    const t: TracepointFacts = { name: tp, event: false, btf: true, module: name };
    const tmpl = raw.get(tp);
    if (tmpl) t.template = tmpl;
    const args = btf.btfTraceArgs(tp, tmpl);
    if (args) t.args = args;
    tracepoints.push(t);
  }
  return { name, hasBtf: true, functions, tracepoints };
}

/** Every .ko / .ko.xz under a directory (sorted, for stable output). */
export function findModuleFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ko(\.xz)?$/.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

export interface ModulesSummary extends ModuleContribution {
  modules: number;
  withBtf: number;
  /** Modules skipped because they were unreadable, with the reason. */
  errors: string[];
}

/** All modules of a directory → contribution to KernelFacts (first definition of a name wins). */
export function modulesFacts(files: string[], vmlinuxBtf: Btf): ModulesSummary {
  const functions: FunctionFacts[] = [];
  const tracepoints: TracepointFacts[] = [];
  const errors: string[] = [];
  let withBtf = 0;
  for (const f of files) {
    try {
      const m = moduleFacts(readModuleBytes(f), f, vmlinuxBtf);
      if (m.hasBtf) withBtf++;
      functions.push(...m.functions);
      tracepoints.push(...m.tracepoints);
    } catch (e) {
      if (e instanceof KernelDataError) errors.push(e.message); else throw e;
    }
  }
  return { modules: files.length, withBtf, functions, tracepoints, errors };
}
