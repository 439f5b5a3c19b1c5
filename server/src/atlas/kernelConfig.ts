// One rule: a kernel's build configuration decides whether a kind of program can work at all,
// whatever its target (kernel/facts.ts KernelCapabilities). A kernel built without CONFIG_KPROBES
// refuses every kprobe, kretprobe, ksyscall and kprobe.multi; one without CONFIG_FPROBE every
// kprobe.multi; one without CONFIG_BPF_EVENTS every kprobe and tracepoint program; one without
// CONFIG_FTRACE_SYSCALLS has no syscalls:* events; BPF LSM programs need CONFIG_BPF_LSM to load
// and `bpf` in the active LSM list to ever run. Where that is the case it is the one reason given
// for the kernel (the hook's own facts do not matter then); where the configuration is unknown
// nothing is said here.

import type { Assessment, AttachKind, AttachTarget, Capability, Hazard, KernelMeta } from './model';

const KPROBE_KINDS: readonly AttachKind[] = ['kprobe', 'kretprobe', 'ksyscall', 'kretsyscall', 'kprobe.multi', 'kretprobe.multi', 'kprobe.session'];
const MULTI_KINDS: readonly AttachKind[] = ['kprobe.multi', 'kretprobe.multi', 'kprobe.session'];
const PERF_EVENT_KINDS: readonly AttachKind[] = [...KPROBE_KINDS, 'tracepoint', 'raw_tp'];

function isSyscallEvent(target: AttachTarget): boolean {
  return target.kind === 'tracepoint' && (target.system === 'syscalls' || (!target.system && /^sys_(enter|exit)_/.test(target.name)));
}

/** The kernel-config hazard of `target` on a kernel, or undefined when its configuration allows
 *  the program kind (or is unknown). */
export function kernelConfigHazard(meta: KernelMeta, target: AttachTarget): Hazard | undefined {
  const caps = meta.capabilities;
  if (!caps) return undefined;
  const k = meta.id;
  const refused = (cap: Capability | undefined, what: string): Hazard | undefined => (cap?.value === false
    ? { name: 'kernel-config', severity: 'error', message: `${what} cannot attach on ${k}: ${cap.evidence}.` }
    : undefined);
  if (KPROBE_KINDS.includes(target.kind)) {
    const hazard = refused(caps.kprobes, 'kprobes (kprobe, kretprobe, ksyscall, kprobe.multi)');
    if (hazard) return hazard;
    if (MULTI_KINDS.includes(target.kind)) {
      const multi = refused(caps.kprobeMulti, `${target.kind} programs (fprobe)`);
      if (multi) return multi;
    }
  }
  if (PERF_EVENT_KINDS.includes(target.kind)) {
    const hazard = refused(caps.bpfEvents, 'BPF programs on kprobes and tracepoints');
    if (hazard) return hazard;
  }
  if (isSyscallEvent(target)) return refused(caps.ftraceSyscalls, 'syscalls:* trace events');
  if (target.kind === 'lsm') {
    const built = refused(caps.bpfLsmBuilt, 'BPF LSM programs');
    if (built) return built;
    if (caps.bpfLsm?.value === false) {
      return { name: 'kernel-config', severity: 'warning', message: `lsm/ programs load on ${k} but never run: ${caps.bpfLsm.evidence} (boot with bpf in lsm= to enable it).` };
    }
  }
  return undefined;
}

/** An assessment with the kernel-config hazard applied: a refusal replaces every other verdict
 *  on that kernel (it is the reason, whatever the hook), a warning joins them. */
export function withKernelConfig(a: Assessment, meta: KernelMeta, target: AttachTarget): Assessment {
  const hazard = kernelConfigHazard(meta, target);
  if (!hazard) return a;
  if (hazard.severity === 'error') {
    a.attachable = false;
    a.hazards = [hazard];
    delete a.attachAs;
  } else {
    a.hazards = [hazard, ...a.hazards];
  }
  return a;
}
