// The vocabulary of the kernel atlas: how an attach point is named and judged. What one kernel is
// known to contain (KernelFacts, KernelQuery) is defined with its readers in kernel/facts.ts and
// re-exported here; the atlas file format stores those facts; KernelIndex answers questions over
// them; assess() turns them into the public hazard taxonomy. Nothing here knows about LSP, files
// or the CLI.

import type { KernelMeta, KernelQuery, Param, Proto, TraceField } from '../kernel/facts';

export type {
  Capability, CapabilityName, Coverage, FunctionFacts, InlineStatus, KernelCapabilities, KernelFacts, KernelMeta, KernelQuery, KernelSourceKind,
  LsmHookFacts, Param, Proto, SyscallFacts, TraceField, TracepointFacts, Tri,
} from '../kernel/facts';

// ---- Attach targets and their assessment (the public hazard taxonomy) ----

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
}

/** Public hazard names. They are part of the CLI JSON and diagnostics codes: keep them stable. */
export type HazardName =
  | 'absent' | 'fully-inlined' | 'partially-inlined' | 'renamed' | 'clone' | 'duplicate'
  | 'no-btf' | 'notrace' | 'kprobe-blacklist' | 'init-only' | 'kernel-config'
  | 'signature-changed' | 'fields-changed' | 'args-changed' | 'no-event' | 'unknown';

export type Severity = 'error' | 'warning' | 'info';

export interface Hazard {
  name: HazardName;
  severity: Severity;
  /** One sentence for a human. */
  message: string;
}

/** The answer for one target on one kernel (the element of `lookup --json` results). */
export interface Assessment {
  kernel: string;
  found: boolean;
  attachable: boolean;
  hazards: Hazard[];
  /** The symbol to attach to when it differs from the name (renamed). */
  attachAs?: string;
  inlinedSites?: number;
  /** C prototype, rendered. */
  proto?: string;
  fields?: TraceField[];
  args?: Param[];
  /** Extra facts for hovers: system, template, fmt, symbols, module. */
  system?: string;
  template?: string;
  fmt?: string;
  symbols?: string[];
  module?: string;
}

export const HAZARD_DOCS: Record<HazardName, string> = {
  'absent': 'The kernel has no such attach point (removed, renamed in source, or built as a module not covered).',
  'fully-inlined': 'Every call was inlined by the compiler: there is no symbol to attach to.',
  'partially-inlined': 'A symbol exists, but some callers run an inlined copy: the probe silently misses those calls.',
  'renamed': 'Only a compiler-suffixed symbol exists (e.g. .isra.0): attaching by the plain name fails.',
  'clone': 'A plain symbol and a compiler clone (.isra/.constprop) both exist: calls to the clone are missed.',
  'duplicate': 'Several static functions share the name: attaching by name is ambiguous.',
  'no-btf': 'The function is not in the kernel BTF: fentry/fexit and BTF-typed access are impossible.',
  'notrace': 'The function has no ftrace site (notrace): fentry/fexit cannot attach.',
  'kprobe-blacklist': 'The function is on the kprobe blacklist: kprobes are refused.',
  'init-only': 'The function lives in .init.text (or is built-in exit code in .exit.text): its code is freed after boot.',
  'kernel-config': 'The kernel is built without what this kind of program needs (CONFIG_KPROBES, CONFIG_FPROBE, CONFIG_BPF_EVENTS, CONFIG_FTRACE_SYSCALLS, CONFIG_BPF_LSM and bpf in the active LSMs): nothing of this kind attaches, whatever the target.',
  'signature-changed': 'The prototype differs between target kernels: arguments may be read wrongly.',
  'fields-changed': 'The tracepoint record fields differ between target kernels.',
  'args-changed': 'The tracepoint arguments (TP_PROTO) differ between target kernels.',
  'no-event': 'The tracepoint has no trace event (raw only): use raw_tp or tp_btf, not tracepoint/.',
  'unknown': 'The atlas cannot tell for this kernel (e.g. no inline data, or module not covered).',
};

/** Render a parameter as a C declaration: `struct file *file`, `void (*cb)(int)`. */
export function cDecl(type: string, name: string): string {
  if (type.includes('%')) return type.replace('%', name);
  if (!name) return type;
  return type.endsWith('*') ? `${type}${name}` : `${type} ${name}`;
}

/** Render a prototype: `ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t *pos)`. */
export function renderProto(name: string, proto: Proto): string {
  const params = proto.params.map((p) => cDecl(p.type, p.name));
  if (proto.variadic) params.push('...');
  return `${cDecl(proto.ret, name)}(${params.length ? params.join(', ') : 'void'})`;
}

// ---- Many kernels ----

/** Many kernels, loaded lazily by id. */
export interface AtlasQuery {
  /** Every known kernel (bundled, live when readable, user files), without loading their facts. */
  list(): readonly KernelMeta[];
  /** Resolve an id, a release (`6.1`, `5.15`) or a file path to kernel ids; throws a clear Error when unknown or ambiguous. */
  resolve(spec: string): string;
  /** Load (once) and return a kernel; throws a clear Error naming the file on bad data. */
  get(id: string): KernelQuery;
}
