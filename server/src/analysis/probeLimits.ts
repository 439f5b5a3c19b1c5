// What the loaders refuse however many functions a wildcard matches: the one place that knows
// bpftrace's probe limits and the kernel's kprobe.multi limit, so that a wildcard is reported with
// its count and a warning where it would be refused, not attached in silence (issue 13).
//
// bpftrace (docs/language.md, config variables; src/bpftrace.cpp prerun and
// src/ast/passes/ap_probe_expansion.cpp): a wildcard kprobe becomes one kprobe_multi probe when the
// kernel supports it (5.18+, CONFIG_FPROBE); otherwise, and for fentry/fexit, tracepoint and
// rawtracepoint wildcards, it is expanded into one probe and one BPF program per match. bpftrace
// then refuses more than `max_probes` probes ("Can't attach to N probes because it exceeds the
// current limit of 1024 probes") and more than `max_bpf_progs` programs, both 1024 by default
// (512 in older releases), raised with BPFTRACE_MAX_PROBES / BPFTRACE_MAX_BPF_PROGS.
//
// The kernel (kernel/trace/bpf_trace.c, bpf_kprobe_multi_link_attach): one kprobe.multi link takes
// at most MAX_KPROBE_MULTI_CNT = 1 << 20 functions (-E2BIG past it).

import type { AttachKind, KernelMeta } from '../atlas/model';
import { compareKernelVersions } from '../knowledge/loadability';

/** bpftrace's default max_probes and max_bpf_progs. */
export const BPFTRACE_MAX_PROBES = 1024;
/** The kernel's MAX_KPROBE_MULTI_CNT. */
export const KPROBE_MULTI_MAX = 1 << 20;
/** kprobe.multi (fprobe) links exist since this release. */
export const KPROBE_MULTI_SINCE = '5.18';

/** Whether a kernel can take a kprobe.multi link: known from its configuration (CONFIG_FPROBE),
 *  else from its version (undefined when neither tells). */
export function hasKprobeMulti(meta: KernelMeta | undefined): boolean | undefined {
  if (!meta) return undefined;
  if (meta.version && /^\d+\.\d+/.test(meta.version) && compareKernelVersions(meta.version, KPROBE_MULTI_SINCE) < 0) return false;
  const fprobe = meta.capabilities?.kprobeMulti.value;
  if (fprobe === true || fprobe === false) return fprobe;
  return meta.version && /^\d+\.\d+/.test(meta.version) ? true : undefined;
}

/** How bpftrace attaches a wildcard probe of this kind on a kernel: through one kprobe_multi link,
 *  or one probe per match. */
export function bpftraceExpansion(kind: AttachKind, meta: KernelMeta | undefined): 'multi' | 'each' | undefined {
  if (kind === 'kprobe' || kind === 'kretprobe') {
    const multi = hasKprobeMulti(meta);
    return multi === undefined ? undefined : multi ? 'multi' : 'each';
  }
  return 'each';
}

export interface ProbeLimit {
  severity: 'error' | 'warning';
  /** Why the loader refuses it, for a message that goes on `… on <kernel>: <why>`. */
  why: string;
}

/** The limit a wildcard with `count` matches (a lower bound when `exact` is false) runs into on
 *  one kernel when bpftrace attaches it, or undefined when it attaches. Over max_probes it is a
 *  warning, not an error: the limit is a setting (BPFTRACE_MAX_PROBES). */
export function bpftraceProbeLimit(kind: AttachKind, count: number, meta: KernelMeta | undefined): ProbeLimit | undefined {
  const how = bpftraceExpansion(kind, meta);
  if (how === 'multi') return kprobeMultiLimit(count);
  if (how !== 'each' || count <= BPFTRACE_MAX_PROBES) return undefined;
  const reason = kind === 'kprobe' || kind === 'kretprobe'
    ? `the kernel has no kprobe_multi (before ${KPROBE_MULTI_SINCE} or without CONFIG_FPROBE), so bpftrace makes one probe per function`
    : 'bpftrace makes one probe and one BPF program per match';
  return {
    severity: 'warning',
    why: `${reason}, and refuses more than ${BPFTRACE_MAX_PROBES} (max_probes and max_bpf_progs; BPFTRACE_MAX_PROBES and BPFTRACE_MAX_BPF_PROGS raise them, at the risk of a long attach and a heavy overhead)`,
  };
}

/** The kernel's limit on one kprobe.multi link, or undefined when `count` functions fit. */
export function kprobeMultiLimit(count: number): ProbeLimit | undefined {
  if (count <= KPROBE_MULTI_MAX) return undefined;
  return { severity: 'error', why: `one kprobe.multi link takes at most ${KPROBE_MULTI_MAX} functions (MAX_KPROBE_MULTI_CNT); the kernel refuses more with E2BIG` };
}
