// Reads kernel *data* out of a vmlinux image at link-time addresses, with struct layouts from the
// image's own BTF (layouts differ between versions: bitfields in trace_event_fields and
// syscall_metadata, moved members). It owns the walks that tracefs/debugfs would otherwise be
// needed for, so a packaged kernel can be indexed offline:
//   __mcount_loc            → functions with an ftrace (__fentry__) site;
//   _kprobe_blacklist + noinstr/entry/kprobes text ranges → the kprobe blacklist;
//   __tracepoints_ptrs      → every struct tracepoint;
//   _ftrace_events          → trace events: system, template, exact record fields, print fmt;
//   __syscalls_metadata     → syscall events and typed syscall arguments;
//   __bpf_raw_tp            → raw tracepoint → template, hence named TP_PROTO args from BTF.
// Boundary symbols come from the decoded kallsyms (the image has no .symtab). Pointers in the
// image are absolute link-time values; no relocation is needed for vmlinux.

import type { Btf } from './btf';
import { ElfFile, SHT_NOBITS, cString } from './elf';
import { KernelDataError } from './errors';
import { KernelSymbol, fromAddress } from './kallsymsImage';
import { TextMap } from './symbols';
import { syscallEventRecord } from './syscallEvents';
import type { Param, TraceField } from '../model/facts';

export interface TraceEvent {
  system: string;
  name: string;
  /** Template (event class) name from the `event_class_<template>` symbol. */
  template?: string;
  /** Backed by a struct tracepoint (TRACE_EVENT_FL_TRACEPOINT); false for syscalls and ftrace-internal events. */
  tracepoint: boolean;
  /** Fields after the common header; undefined when the class defines them by callback. */
  fields?: TraceField[];
  fmt?: string;
}

export interface SyscallMeta {
  /** Without the `sys_` prefix: `openat`. */
  name: string;
  args: Param[];
}

export interface RawTracepoint {
  name: string;
  /** From `__bpf_trace_<template>` the map entry points to. */
  template?: string;
  numArgs: number;
}

export interface BlacklistReport {
  /** Symbol names of blacklisted functions. */
  functions: Set<string>;
  /** `_kprobe_blacklist` entries. */
  entries: number;
  /** Functions per text range (noinstr, entry, irqentry, kprobes). */
  ranges: Record<string, number>;
}

export interface McountReport {
  /** Symbol names of functions owning at least one mcount site. */
  functions: Set<string>;
  entries: number;
  inInitText: number;
}

interface Region { start: number; end: number; offset: number }

/** A vmlinux with its decoded symbols and BTF: the data walks. */
export class VmlinuxImage {
  readonly text: TextMap;
  private readonly firstAddr = new Map<string, number>();
  private readonly namesAt = new Map<number, string[]>();
  private readonly regions: Region[];
  private readonly memberCache = new Map<string, { byte: number; bitOffset: number; bitSize: number; size: number; type: number }>();

  constructor(readonly elf: ElfFile, readonly btf: Btf, readonly symbols: KernelSymbol[]) {
    this.text = new TextMap(symbols, elf.file);
    for (const s of symbols) {
      if (!this.firstAddr.has(s.name)) this.firstAddr.set(s.name, s.addr);
      const l = this.namesAt.get(s.addr);
      if (l) l.push(s.name); else this.namesAt.set(s.addr, [s.name]);
    }
    this.regions = elf.sections
      .filter((s) => s.addr !== 0n && s.type !== SHT_NOBITS && s.size > 0)
      .map((s) => ({ start: fromAddress(s.addr), end: fromAddress(s.addr) + s.size, offset: s.offset }))
      .sort((a, b) => a.start - b.start);
  }

  get file(): string { return this.elf.file; }

  addrOf(name: string): number | undefined { return this.firstAddr.get(name); }

  private need(name: string): number {
    const a = this.firstAddr.get(name);
    if (a === undefined) throw new KernelDataError(this.file, `symbol ${name} not found in the decoded kallsyms`);
    return a;
  }

  /** Symbol names starting exactly at addr. */
  namesAtAddr(addr: number): string[] { return this.namesAt.get(addr) ?? []; }

  /** File offset of an address; throws naming the file when no section holds it. */
  offset(addr: number, what = 'address'): number {
    const r = this.regions;
    let lo = 0, hi = r.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (r[mid].start <= addr) lo = mid + 1; else hi = mid - 1;
    }
    for (let i = hi; i >= 0 && i >= hi - 3; i--) {
      if (addr >= r[i].start && addr < r[i].end) return r[i].offset + (addr - r[i].start);
    }
    throw new KernelDataError(this.file, `${what} 0x${BigInt.asUintN(64, BigInt(addr)).toString(16)} is not inside any section with data`);
  }

  hasData(addr: number): boolean {
    try { this.offset(addr); return true; } catch { return false; }
  }

  /** Pointer (u64) at addr, as a signed-number address. */
  ptr(addr: number): number { return fromAddress(this.elf.view.getBigUint64(this.offset(addr, 'pointer'), true)); }

  i32(addr: number): number { return this.elf.view.getInt32(this.offset(addr), true); }

  /** NUL-terminated string at addr; undefined for NULL or unmapped pointers. */
  str(addr: number): string | undefined {
    if (addr === 0 || !this.hasData(addr)) return undefined;
    return cString(this.elf.bytes, this.offset(addr));
  }

  private memberInfo(struct: string, member: string) {
    const key = `${struct}.${member}`;
    let m = this.memberCache.get(key);
    if (!m) {
      const bm = this.btf.member(struct, member);
      if (!bm) throw new KernelDataError(this.file, `BTF has no member ${member} in struct ${struct}`);
      m = { byte: Math.floor(bm.bitOffset / 8), bitOffset: bm.bitOffset, bitSize: bm.bitSize, size: this.btf.sizeOf(bm.type), type: bm.type };
      this.memberCache.set(key, m);
    }
    return m;
  }

  /** Byte offset of a struct member (through anonymous members). */
  memberOffset(struct: string, member: string): number { return this.memberInfo(struct, member).byte; }

  /** A pointer member of the struct at addr. */
  ptrField(addr: number, struct: string, member: string): number { return this.ptr(addr + this.memberOffset(struct, member)); }

  /** An integer (or bitfield) member of the struct at addr, signedness from BTF. */
  intField(addr: number, struct: string, member: string): number {
    const m = this.memberInfo(struct, member);
    const v = this.elf.view;
    if (m.bitSize) {
      const firstByte = Math.floor(m.bitOffset / 8);
      const shift = m.bitOffset % 8;
      const bytes = Math.ceil((shift + m.bitSize) / 8);
      let word = 0n;
      const o = this.offset(addr + firstByte);
      for (let i = bytes - 1; i >= 0; i--) word = (word << 8n) | BigInt(this.elf.bytes[o + i]);
      return Number((word >> BigInt(shift)) & ((1n << BigInt(m.bitSize)) - 1n));
    }
    const o = this.offset(addr + m.byte);
    const signed = this.btf.isSigned(m.type);
    switch (m.size) {
      case 1: return signed ? v.getInt8(o) : v.getUint8(o);
      case 2: return signed ? v.getInt16(o, true) : v.getUint16(o, true);
      case 4: return signed ? v.getInt32(o, true) : v.getUint32(o, true);
      case 8: return Number(signed ? v.getBigInt64(o, true) : v.getBigUint64(o, true));
      default: throw new KernelDataError(this.file, `member ${struct}.${member} has size ${m.size}, not an integer`);
    }
  }

  /** [start, stop) of a linker-defined table. */
  private table(start: string, stop: string): [number, number] {
    const a = this.need(start);
    const e = this.need(stop);
    if (e < a) throw new KernelDataError(this.file, `${stop} lies before ${start}`);
    return [a, e];
  }

  /** __mcount_loc: call-site addresses → functions with an ftrace site. */
  mcount(): McountReport {
    const [a, e] = this.table('__start_mcount_loc', '__stop_mcount_loc');
    const functions = new Set<string>();
    let inInitText = 0;
    const entries = (e - a) / 8;
    const base = this.offset(a, '__start_mcount_loc');
    const view = this.elf.view;
    for (let i = 0; i < entries; i++) {
      const site = fromAddress(view.getBigUint64(base + 8 * i, true));
      if (this.text.inInitText(site)) inInitText++;
      const f = this.text.functionAt(site);
      if (f) functions.add(f.name);
    }
    return { functions, entries, inInitText };
  }

  /** kernel/kprobes.c populate_kprobe_blacklist() + x86 arch_populate_kprobe_blacklist(). */
  kprobeBlacklist(): BlacklistReport {
    const functions = new Set<string>();
    const [a, e] = this.table('__start_kprobe_blacklist', '__stop_kprobe_blacklist');
    const entries = (e - a) / 8;
    for (let i = 0; i < entries; i++) {
      const f = this.text.functionAt(this.ptr(a + 8 * i));
      if (f) functions.add(f.name);
    }
    const ranges: Record<string, number> = {};
    for (const r of ['kprobes', 'noinstr', 'entry', 'irqentry']) {
      const lo = this.addrOf(`__${r}_text_start`);
      const hi = this.addrOf(`__${r}_text_end`);
      if (lo === undefined || hi === undefined) continue;
      const inRange = this.text.functionsIn(lo, hi);
      ranges[r] = new Set(inRange.map((f) => f.name)).size;
      for (const f of inRange) functions.add(f.name);
    }
    return { functions, entries, ranges };
  }

  private tracepointName(tp: number): string | undefined {
    return this.str(this.ptrField(tp, 'tracepoint', 'name'));
  }

  /** Every struct tracepoint, from the PREL32 table __tracepoints_ptrs. */
  tracepoints(): string[] {
    const [a, e] = this.table('__start___tracepoints_ptrs', '__stop___tracepoints_ptrs');
    const out: string[] = [];
    for (let p = a; p < e; p += 4) {
      const n = this.tracepointName(p + this.i32(p));
      if (n) out.push(n);
    }
    return out;
  }

  /** `char[TASK_COMM_LEN]` → `char[16]`: resolve enum names the kernel's eval maps would. */
  resolveTypeMacros(type: string): string {
    return type.replace(/\[([A-Za-z_][A-Za-z0-9_]*)\]/g, (whole, name: string) => {
      const v = this.btf.enumValue(name);
      return v === undefined ? whole : `[${v.toString()}]`;
    });
  }

  private syscallMetadata(): { byCall: Map<number, { kind: 'enter' | 'exit'; meta: SyscallMeta }>; list: SyscallMeta[] } {
    const byCall = new Map<number, { kind: 'enter' | 'exit'; meta: SyscallMeta }>();
    const list: SyscallMeta[] = [];
    const start = this.addrOf('__start_syscalls_metadata');
    const stop = this.addrOf('__stop_syscalls_metadata');
    if (start === undefined || stop === undefined) return { byCall, list };
    const S = 'syscall_metadata';
    for (let p = start; p < stop; p += 8) {
      const m = this.ptr(p);
      if (!m) continue;
      const full = this.str(this.ptrField(m, S, 'name')) ?? '';
      const nb = this.intField(m, S, 'nb_args');
      const types = this.ptrField(m, S, 'types');
      const argNames = this.ptrField(m, S, 'args');
      const args: Param[] = [];
      for (let k = 0; k < nb && k < 6; k++) {
        args.push({ type: this.str(this.ptr(types + 8 * k)) ?? '', name: this.str(this.ptr(argNames + 8 * k)) ?? `arg${k}` });
      }
      const meta: SyscallMeta = { name: full.replace(/^sys_/, ''), args };
      list.push(meta);
      byCall.set(this.ptrField(m, S, 'enter_event'), { kind: 'enter', meta });
      byCall.set(this.ptrField(m, S, 'exit_event'), { kind: 'exit', meta });
    }
    return { byCall, list };
  }

  /** Syscalls with their typed arguments, from __syscalls_metadata (compat-only ones included:
   *  syscallTable() says which the kernel keeps). */
  syscalls(): SyscallMeta[] { return this.syscallMetadata().list; }

  private tableNames?: Set<string> | null;

  /**
   * The syscalls of the native syscall table (`sys_call_table`: x86-64's, kept for tracing where
   * dispatch is a switch), by the names of the functions its entries point to
   * (`__x64_sys_openat`, or `__do_sys_getpid` at the same address): what arch_syscall_addr()
   * finds when the kernel maps metadata to table slots. Undefined when the image has no table.
   */
  syscallTable(): Set<string> | undefined {
    if (this.tableNames === undefined) {
      this.tableNames = null;
      const start = this.addrOf('sys_call_table');
      if (start !== undefined) {
        let end = Infinity;
        for (const s of this.symbols) if (s.addr > start && s.addr < end) end = s.addr;
        const names = new Set<string>();
        for (let p = start; p + 8 <= end && this.hasData(p); p += 8) {
          for (const n of this.namesAtAddr(this.ptr(p))) {
            const m = /^(?:__(?:x64|arm64|riscv|s390x|do|se)_)?sys_(.+)$/.exec(n);
            if (m) names.add(m[1]);
          }
        }
        if (names.size) this.tableNames = names;
      }
    }
    return this.tableNames ?? undefined;
  }

  private templateOf(classAddr: number): string | undefined {
    const n = this.namesAtAddr(classAddr).find((x) => x.startsWith('event_class_'));
    return n?.slice('event_class_'.length);
  }

  /** The fields_array of an event class, offsets recomputed as trace_define_field users do. */
  private classFields(fieldsArray: number): TraceField[] | undefined {
    const F = 'trace_event_fields';
    const stride = this.btf.sizeOf(this.btf.structId(F) ?? 0);
    if (!stride) throw new KernelDataError(this.file, 'BTF has no struct trace_event_fields');
    const fields: TraceField[] = [];
    let off = 8; // sizeof(struct trace_entry)
    for (let k = 0; ; k++) {
      const fe = fieldsArray + k * stride;
      const typePtr = this.ptrField(fe, F, 'type');
      if (typePtr === 0) break;
      // TRACE_FUNCTION_TYPE ((char *)~0): the class defines its fields by callback at boot.
      if (typePtr === -1) return undefined;
      const type = this.str(typePtr);
      if (type === undefined) return undefined;
      const size = this.intField(fe, F, 'size');
      const align = this.intField(fe, F, 'align');
      if (align > 1) off = Math.ceil(off / align) * align;
      fields.push({
        name: this.str(this.ptrField(fe, F, 'name')) ?? '',
        type: this.resolveTypeMacros(type),
        offset: off,
        size,
        signed: this.intField(fe, F, 'is_signed') !== 0,
      });
      off += size;
    }
    return fields;
  }

  /** Every trace event of _ftrace_events (tracepoint-backed, syscalls, ftrace-internal). */
  traceEvents(): TraceEvent[] {
    const [a, e] = this.table('__start_ftrace_events', '__stop_ftrace_events');
    const C = 'trace_event_call';
    const K = 'trace_event_class';
    const flTp = Number(this.btf.enumValue('TRACE_EVENT_FL_TRACEPOINT') ?? NaN);
    if (Number.isNaN(flTp)) throw new KernelDataError(this.file, 'BTF has no enum value TRACE_EVENT_FL_TRACEPOINT');
    const { byCall } = this.syscallMetadata();
    const out: TraceEvent[] = [];
    for (let p = a; p < e; p += 8) {
      const call = this.ptr(p);
      const cls = this.ptrField(call, C, 'class');
      const flags = this.intField(call, C, 'flags');
      const isTp = (flags & flTp) !== 0;
      const nameOrTp = this.ptrField(call, C, 'name');
      const name = (isTp ? this.tracepointName(nameOrTp) : this.str(nameOrTp)) ?? '';
      const system = this.str(this.ptrField(cls, K, 'system')) ?? '';
      const template = this.templateOf(cls);
      const sc = byCall.get(call);
      let fields: TraceField[] | undefined;
      let fmt = this.str(this.ptrField(call, C, 'print_fmt'));
      if (sc) {
        ({ fields, fmt } = syscallEventRecord(sc.kind, sc.meta.args));
      } else {
        const fa = this.ptrField(cls, K, 'fields_array');
        fields = fa ? this.classFields(fa) : undefined;
      }
      out.push({ system, name, template, tracepoint: isTp, fields, fmt: fmt || undefined });
    }
    return out;
  }

  /** __bpf_raw_tp: tracepoint → `__bpf_trace_<template>` (the FUNC whose params name the args). */
  rawTracepoints(): RawTracepoint[] {
    const start = this.addrOf('__start__bpf_raw_tp');
    const stop = this.addrOf('__stop__bpf_raw_tp');
    if (start === undefined || stop === undefined) return [];
    const M = 'bpf_raw_event_map';
    const stride = this.btf.sizeOf(this.btf.structId(M) ?? 0);
    if (!stride) throw new KernelDataError(this.file, 'BTF has no struct bpf_raw_event_map');
    const out: RawTracepoint[] = [];
    for (let m = start; m + stride <= stop; m += stride) {
      const name = this.tracepointName(this.ptrField(m, M, 'tp'));
      if (!name) continue;
      const fn = this.namesAtAddr(this.ptrField(m, M, 'bpf_func')).find((x) => x.startsWith('__bpf_trace_'));
      out.push({ name, template: fn?.slice('__bpf_trace_'.length), numArgs: this.intField(m, M, 'num_args') });
    }
    return out;
  }
}
