// The table of program kinds: what each attach kind targets and which hazards can apply to it, the
// libbpf SEC() prefixes that name a kind (the built-in fallback of data/knowledge/sections.json),
// bpftrace's probe types with their short names, and the one alias table through which everything
// users type (`kprobe:`, `k:`, `tp/`, `t:`, `rt:`, `kfunc:`, ...) becomes a kind. `rt` is
// bpftrace's rawtracepoint, never a tracepoint system. Imports nothing of ours but the hazard names.

import type { HazardName } from './hazards';

export type AttachKind =
  | 'kprobe' | 'kretprobe' | 'kprobe.multi' | 'kretprobe.multi' | 'kprobe.session'
  | 'ksyscall' | 'kretsyscall'
  | 'fentry' | 'fexit' | 'fmod_ret' | 'fsession'
  | 'tracepoint' | 'raw_tp' | 'tp_btf'
  | 'lsm' | 'iter';

/** A parsed attach target: `kprobe:do_sys_open`, `tracepoint:sched:sched_switch`. */
export interface AttachTarget {
  kind: AttachKind;
  /** Function, event, hook or syscall name (for tracepoints the event name). */
  name: string;
  /** Tracepoint system, when given. */
  system?: string;
  /** A glob pattern (`kprobe.multi`, bpftrace wildcards). */
  pattern?: boolean;
  /** The name holds `*` or `?`, but the loader takes it literally: libbpf expands wildcards only
   *  in the sections of libbpfExpandsGlob (`SEC("kprobe/*")` asks for a function named `*`). */
  unexpandedGlob?: boolean;
}

interface KindFacts {
  /** What the name after the kind names. */
  targets: 'function' | 'syscall' | 'tracepoint' | 'lsm-hook' | 'iterator';
  /** Attaches through a kprobe: the kprobe blacklist refuses it. */
  kprobe: boolean;
  /** Needs the kernel's BTF (and the target in it). */
  btf: boolean;
  /** Attaches through a BTF trampoline at the function's ftrace site (notrace functions refuse it). */
  ftrace: boolean;
}

const KPROBE: KindFacts = { targets: 'function', kprobe: true, btf: false, ftrace: false };
const TRAMPOLINE: KindFacts = { targets: 'function', kprobe: false, btf: true, ftrace: true };

const KINDS: Record<AttachKind, KindFacts> = {
  'kprobe': KPROBE, 'kretprobe': KPROBE, 'kprobe.multi': KPROBE, 'kretprobe.multi': KPROBE, 'kprobe.session': KPROBE,
  'ksyscall': { targets: 'syscall', kprobe: true, btf: false, ftrace: false },
  'kretsyscall': { targets: 'syscall', kprobe: true, btf: false, ftrace: false },
  'fentry': TRAMPOLINE, 'fexit': TRAMPOLINE, 'fmod_ret': TRAMPOLINE, 'fsession': TRAMPOLINE,
  'tracepoint': { targets: 'tracepoint', kprobe: false, btf: false, ftrace: false },
  'raw_tp': { targets: 'tracepoint', kprobe: false, btf: false, ftrace: false },
  'tp_btf': { targets: 'tracepoint', kprobe: false, btf: true, ftrace: false },
  'lsm': { targets: 'lsm-hook', kprobe: false, btf: true, ftrace: false },
  'iter': { targets: 'iterator', kprobe: false, btf: true, ftrace: false },
};

export const ATTACH_KINDS = Object.keys(KINDS) as readonly AttachKind[];

/** Kinds whose target is a kernel function (kprobes and BTF trampolines). */
export function isFunctionKind(kind: AttachKind): boolean {
  return KINDS[kind].targets === 'function';
}

/** Kinds that attach through a kprobe (also ksyscall, a kprobe on the syscall wrapper). */
export function isKprobeKind(kind: AttachKind): boolean {
  return KINDS[kind].kprobe;
}

/** Kinds whose SEC() target libbpf expands as a glob (libbpf.c attach_kprobe_multi: `kprobe.multi/`,
 *  `kretprobe.multi/`, `kprobe.session/`). Every other tracing section names one target: for
 *  `kprobe/` libbpf reads the name with sscanf("%m[a-zA-Z0-9_.]+%li"), so `*` is refused as an
 *  invalid kprobe name and `vfs_*` asks for a function `vfs_`. */
export function libbpfExpandsGlob(kind: AttachKind): boolean {
  return kind === 'kprobe.multi' || kind === 'kretprobe.multi' || kind === 'kprobe.session';
}

/** Kinds that need the kernel's BTF. */
export function needsBtf(kind: AttachKind): boolean {
  return KINDS[kind].btf;
}

/** Whether a hazard can concern a program of this kind: a kprobe needs neither BTF nor an ftrace
 *  site, a BTF trampoline is not refused by the kprobe blacklist, tp_btf/lsm/iter need BTF but no
 *  ftrace site. Every other hazard can apply to any kind. */
export function hazardApplies(kind: AttachKind, hazard: HazardName): boolean {
  switch (hazard) {
    case 'no-btf': return KINDS[kind].btf;
    case 'notrace': return KINDS[kind].ftrace;
    case 'kprobe-blacklist': return KINDS[kind].kprobe;
    default: return true;
  }
}

// ---- libbpf SEC() prefixes ----

/** One libbpf section prefix as the document model needs it. */
export interface SectionPrefixInfo {
  prefix: string;
  kind?: AttachKind;
  takesTarget: boolean;
}

/** libbpf's tracing prefixes (section_defs `+` entries, FIELD-NOTES §4.1): the fallback when the
 *  knowledge tables (data/knowledge/sections.json) cannot be loaded, so a damaged install still
 *  finds programs. */
export const LIBBPF_SECTIONS: readonly SectionPrefixInfo[] = [
  ...(['kprobe', 'kretprobe', 'ksyscall', 'kretsyscall', 'kprobe.multi', 'kretprobe.multi', 'kprobe.session'] as const)
    .map((p) => ({ prefix: p, kind: p as AttachKind, takesTarget: true })),
  ...['fentry', 'fexit', 'fmod_ret', 'fsession'].flatMap((p) => [
    { prefix: p, kind: p as AttachKind, takesTarget: true },
    { prefix: `${p}.s`, kind: p as AttachKind, takesTarget: true },
  ]),
  ...['tracepoint', 'tp', 'tracepoint.s', 'tp.s'].map((p) => ({ prefix: p, kind: 'tracepoint' as AttachKind, takesTarget: true })),
  ...['raw_tracepoint', 'raw_tp', 'raw_tracepoint.s', 'raw_tp.s', 'raw_tracepoint.w', 'raw_tp.w']
    .map((p) => ({ prefix: p, kind: 'raw_tp' as AttachKind, takesTarget: true })),
  { prefix: 'tp_btf', kind: 'tp_btf', takesTarget: true },
  { prefix: 'tp_btf.s', kind: 'tp_btf', takesTarget: true },
  { prefix: 'lsm', kind: 'lsm', takesTarget: true },
  { prefix: 'lsm.s', kind: 'lsm', takesTarget: true },
  { prefix: 'lsm_cgroup', kind: 'lsm', takesTarget: true },
  { prefix: 'iter', kind: 'iter', takesTarget: true },
  { prefix: 'iter.s', kind: 'iter', takesTarget: true },
  ...['uprobe', 'uprobe.s', 'uretprobe', 'uretprobe.s', 'uprobe.multi', 'uretprobe.multi', 'uprobe.multi.s',
    'uretprobe.multi.s', 'uprobe.session', 'uprobe.session.s', 'usdt', 'usdt.s', 'freplace', 'struct_ops', 'struct_ops.s']
    .map((p) => ({ prefix: p, takesTarget: true })),
  { prefix: 'perf_event', takesTarget: false },
  { prefix: 'syscall', takesTarget: false },
];

/** libbpf's rule over the built-in table: the whole section, else the longest `prefix/` match. */
export function builtinSectionPrefix(section: string): SectionPrefixInfo | undefined {
  let best: SectionPrefixInfo | undefined;
  for (const p of LIBBPF_SECTIONS) {
    if (section === p.prefix || (p.takesTarget && section.startsWith(p.prefix + '/'))) {
      if (!best || p.prefix.length > best.prefix.length) best = p;
    }
  }
  return best;
}

// ---- bpftrace probe types ----

/** Normalised probe kinds (aliases such as `k`, `kfunc`, `t`, `U` map to these). */
export type BtProbeKind =
  | 'kprobe' | 'kretprobe' | 'fentry' | 'fexit' | 'tracepoint' | 'rawtracepoint'
  | 'uprobe' | 'uretprobe' | 'usdt' | 'profile' | 'interval' | 'software' | 'hardware'
  | 'watchpoint' | 'asyncwatchpoint' | 'iter' | 'begin' | 'end' | 'self' | 'test' | 'bench'
  | 'unknown';

/** One spelling of a probe type: canonical name or alias, with what it normalises to. */
export interface BtProbeType {
  name: string;
  kind: BtProbeKind;
  /** The canonical spelling when `name` is an alias. */
  aliasOf?: string;
  /** Target format after the type, for completion and hover. */
  format: string;
  summary: string;
}

/** Every probe type spelling bpftrace accepts (docs/language.md "Probes"). */
export const BT_PROBE_TYPES: readonly BtProbeType[] = [
  { name: 'kprobe', kind: 'kprobe', format: 'kprobe[:module]:function[+offset]', summary: 'Kernel function entry (dynamic, any traceable symbol; unstable across kernels).' },
  { name: 'k', kind: 'kprobe', aliasOf: 'kprobe', format: 'k[:module]:function[+offset]', summary: 'Alias of kprobe.' },
  { name: 'kretprobe', kind: 'kretprobe', format: 'kretprobe[:module]:function', summary: 'Kernel function return; `retval` holds the return value.' },
  { name: 'kr', kind: 'kretprobe', aliasOf: 'kretprobe', format: 'kr[:module]:function', summary: 'Alias of kretprobe.' },
  { name: 'fentry', kind: 'fentry', format: 'fentry[:module]:function', summary: 'Kernel function entry via BTF trampoline: typed `args`, lower overhead than kprobe (5.5+, needs BTF).' },
  { name: 'f', kind: 'fentry', aliasOf: 'fentry', format: 'f[:module]:function', summary: 'Alias of fentry.' },
  { name: 'kfunc', kind: 'fentry', aliasOf: 'fentry', format: 'kfunc[:module]:function', summary: 'Older name of fentry.' },
  { name: 'fexit', kind: 'fexit', format: 'fexit[:module]:function', summary: 'Kernel function return via BTF trampoline: typed `args` and `retval` (5.5+, needs BTF).' },
  { name: 'fr', kind: 'fexit', aliasOf: 'fexit', format: 'fr[:module]:function', summary: 'Alias of fexit.' },
  { name: 'kretfunc', kind: 'fexit', aliasOf: 'fexit', format: 'kretfunc[:module]:function', summary: 'Older name of fexit.' },
  { name: 'tracepoint', kind: 'tracepoint', format: 'tracepoint:system:event', summary: 'Static kernel tracepoint: a stable hook; `args` is the trace event record.' },
  { name: 't', kind: 'tracepoint', aliasOf: 'tracepoint', format: 't:system:event', summary: 'Alias of tracepoint.' },
  { name: 'rawtracepoint', kind: 'rawtracepoint', format: 'rawtracepoint[:module]:event', summary: 'Raw tracepoint: the TP_PROTO arguments before the record is built (4.17+).' },
  { name: 'rt', kind: 'rawtracepoint', aliasOf: 'rawtracepoint', format: 'rt[:module]:event', summary: 'Alias of rawtracepoint.' },
  { name: 'uprobe', kind: 'uprobe', format: 'uprobe:binary:function[+offset]', summary: 'User-space function entry in a binary or library.' },
  { name: 'u', kind: 'uprobe', aliasOf: 'uprobe', format: 'u:binary:function', summary: 'Alias of uprobe.' },
  { name: 'uretprobe', kind: 'uretprobe', format: 'uretprobe:binary:function', summary: 'User-space function return; `retval` holds the return value.' },
  { name: 'ur', kind: 'uretprobe', aliasOf: 'uretprobe', format: 'ur:binary:function', summary: 'Alias of uretprobe.' },
  { name: 'usdt', kind: 'usdt', format: 'usdt:binary[:provider]:probe', summary: 'User-level statically defined tracing probe (USDT) in a binary.' },
  { name: 'U', kind: 'usdt', aliasOf: 'usdt', format: 'U:binary[:provider]:probe', summary: 'Alias of usdt.' },
  { name: 'profile', kind: 'profile', format: 'profile:hz:rate | profile:s|ms|us:period', summary: 'Timed sampling on every CPU.' },
  { name: 'p', kind: 'profile', aliasOf: 'profile', format: 'p:hz:rate', summary: 'Alias of profile.' },
  { name: 'interval', kind: 'interval', format: 'interval:s|ms|us|hz:period', summary: 'Timed event on one CPU (periodic output).' },
  { name: 'i', kind: 'interval', aliasOf: 'interval', format: 'i:s:period', summary: 'Alias of interval.' },
  { name: 'software', kind: 'software', format: 'software:event[:count]', summary: 'Kernel software perf event (cpu-clock, page-faults, context-switches ...).' },
  { name: 's', kind: 'software', aliasOf: 'software', format: 's:event[:count]', summary: 'Alias of software.' },
  { name: 'hardware', kind: 'hardware', format: 'hardware:event[:count]', summary: 'Processor PMC event (cycles, cache-misses ...).' },
  { name: 'h', kind: 'hardware', aliasOf: 'hardware', format: 'h:event[:count]', summary: 'Alias of hardware.' },
  { name: 'watchpoint', kind: 'watchpoint', format: 'watchpoint:address:length:mode', summary: 'Hardware memory watchpoint (r, w, x).' },
  { name: 'w', kind: 'watchpoint', aliasOf: 'watchpoint', format: 'w:address:length:mode', summary: 'Alias of watchpoint.' },
  { name: 'asyncwatchpoint', kind: 'asyncwatchpoint', format: 'asyncwatchpoint:address:length:mode', summary: 'Watchpoint whose handler runs asynchronously.' },
  { name: 'aw', kind: 'asyncwatchpoint', aliasOf: 'asyncwatchpoint', format: 'aw:address:length:mode', summary: 'Alias of asyncwatchpoint.' },
  { name: 'iter', kind: 'iter', format: 'iter:object[:pin]', summary: 'BPF iterator over kernel objects (task, task_file, task_vma ...; 5.8+).' },
  { name: 'it', kind: 'iter', aliasOf: 'iter', format: 'it:object', summary: 'Alias of iter.' },
  { name: 'BEGIN', kind: 'begin', format: 'BEGIN', summary: 'Runs once when the script starts.' },
  { name: 'begin', kind: 'begin', aliasOf: 'BEGIN', format: 'begin', summary: 'Runs once when the script starts (newer spelling).' },
  { name: 'END', kind: 'end', format: 'END', summary: 'Runs once when the script ends.' },
  { name: 'end', kind: 'end', aliasOf: 'END', format: 'end', summary: 'Runs once when the script ends (newer spelling).' },
  { name: 'self', kind: 'self', format: 'self:signal:SIGUSR1', summary: 'An event raised by bpftrace itself (e.g. a signal to the bpftrace process).' },
  { name: 'test', kind: 'test', format: 'test:name', summary: 'A unit test block run by `bpftrace --test`.' },
  { name: 'bench', kind: 'bench', format: 'bench:name', summary: 'A micro-benchmark block run by `bpftrace --test=bench`.' },
];

const TYPE_BY_NAME: ReadonlyMap<string, BtProbeType> = new Map(BT_PROBE_TYPES.map((t) => [t.name, t]));

/** Normalise a probe type spelling; undefined when bpftrace does not know it. */
export function probeTypeInfo(name: string): BtProbeType | undefined {
  return TYPE_BY_NAME.get(name);
}


/** The atlas kind a bpftrace probe kind looks up; undefined for probes the atlas does not index. */
export const BT_ATTACH_KIND: Partial<Record<BtProbeKind, AttachKind>> = {
  kprobe: 'kprobe', kretprobe: 'kretprobe', fentry: 'fentry', fexit: 'fexit',
  tracepoint: 'tracepoint', rawtracepoint: 'raw_tp',
};

// ---- the one alias table ----

/** Every spelling of a kind users type in a lookup: libbpf prefixes (`tp`, `raw_tracepoint`,
 *  `fentry.s`...) and bpftrace probe types with their short names (`k`, `kr`, `f`, `fr`, `kfunc`,
 *  `t`, `rt`...). */
const SPELLINGS: ReadonlyMap<string, AttachKind> = (() => {
  const m = new Map<string, AttachKind>();
  for (const k of ATTACH_KINDS) m.set(k, k);
  for (const p of LIBBPF_SECTIONS) if (p.kind) m.set(p.prefix, p.kind);
  for (const t of BT_PROBE_TYPES) {
    const kind = BT_ATTACH_KIND[t.kind];
    if (kind && !m.has(t.name)) m.set(t.name, kind);
  }
  return m;
})();

/** The kind a spelling names (`rt` → raw_tp, `t` → tracepoint), or undefined. */
export function kindOfSpelling(spelling: string): AttachKind | undefined {
  return SPELLINGS.get(spelling);
}
