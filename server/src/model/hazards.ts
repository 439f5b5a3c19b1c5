// The public hazard taxonomy: the names (also the diagnostic codes, the CLI JSON and the SARIF rule
// ids: keep them stable), what each means, its usual severity, and the per-kernel answer that
// carries them. Imports nothing of ours but the facts vocabulary.

import type { Param, TraceField } from './facts';

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

/** The usual severity of each hazard, for documentation, SARIF rule levels and cross-kernel
 *  differences: attach failures are errors, silent under-counts and changed shapes are warnings,
 *  and `unknown` is never more than information (the atlas cannot tell, so it must not alarm).
 *  Per-kernel verdicts keep the severity the atlas gave. */
export const HAZARD_SEVERITY: Record<HazardName, Severity> = {
  'absent': 'error',
  'fully-inlined': 'error',
  'renamed': 'error',
  'kprobe-blacklist': 'error',
  'no-btf': 'error',
  'notrace': 'error',
  'no-event': 'error',
  'init-only': 'error',
  'kernel-config': 'error',
  'partially-inlined': 'warning',
  'clone': 'warning',
  'duplicate': 'warning',
  'signature-changed': 'warning',
  'fields-changed': 'warning',
  'args-changed': 'warning',
  'unknown': 'info',
};

/** A verdict's overall outcome: `ok`, or the worst severity it carries. */
export type Status = 'ok' | Severity;

const STATUS_RANK: Record<Status, number> = { ok: 0, info: 1, warning: 2, error: 3 };

export function worse(a: Status, b: Status): Status {
  return STATUS_RANK[a] >= STATUS_RANK[b] ? a : b;
}
