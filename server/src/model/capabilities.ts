// A kernel's capabilities: the build options (and the boot-time active LSM list) that decide
// whether a kind of BPF program can work on it at all, whatever its target, each with the evidence
// for it. The running kernel's come from its configuration (kernel/config.ts), bundled kernels'
// from their image packages or DepSurf's selection of options; atlas/kernelConfig.ts turns them
// into verdicts. Types only; imports nothing of ours.

/** Known true, known false, or null when the source cannot tell. */
export type Tri = boolean | null;

/** One capability and the evidence for it, as a phrase a message can quote
 *  (`# CONFIG_KPROBES is not set in /proc/config.gz`). */
export interface Capability {
  value: Tri;
  evidence: string;
}

export interface KernelCapabilities {
  /** Where the build configuration was read (`/proc/config.gz`, `/boot/config-6.1.0-56-amd64 in
   *  linux-image-…deb`); absent when none was. */
  config?: string;
  /** CONFIG_KPROBES: kprobe, kretprobe, ksyscall and every kprobe.multi kind. */
  kprobes: Capability;
  /** CONFIG_FPROBE: kprobe.multi, kretprobe.multi, kprobe.session (5.18+). */
  kprobeMulti: Capability;
  /** CONFIG_BPF_EVENTS: BPF programs on kprobes, tracepoints and raw tracepoints. */
  bpfEvents: Capability;
  /** CONFIG_FTRACE_SYSCALLS: the syscalls:sys_enter_* / sys_exit_* trace events. */
  ftraceSyscalls: Capability;
  /** CONFIG_DEBUG_INFO_BTF: the kernel ships BTF (fentry, tp_btf, lsm, CO-RE). */
  debugInfoBtf: Capability;
  /** CONFIG_BPF_LSM built in: lsm/ programs can load. */
  bpfLsmBuilt: Capability;
  /** BPF LSM built in and `bpf` in the active LSM list: lsm/ programs run. */
  bpfLsm: Capability;
  /** The active LSMs in order, when known, and where the list came from. */
  lsms?: { list: string[]; source: string };
}

export type CapabilityName = Exclude<keyof KernelCapabilities, 'config' | 'lsms'>;
