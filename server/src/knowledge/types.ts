// Static knowledge that is not read from a kernel: libbpf section prefixes, kprobe→tracepoint
// equivalents, version floors, BPF helper documentation, breakage evidence, bpftrace builtins.
// Every row carries its source. Loaded from data/knowledge/ by knowledge/load.ts.

import type { AttachKind } from '../model/programKinds';

/** One libbpf SEC() prefix (libbpf section_defs) and what an editor should do with it. */
export interface SectionPrefix {
  /** `kprobe`, `tp`, `fentry.s`, `xdp` ... */
  prefix: string;
  /** What the atlas looks up for this prefix; undefined for prefixes the atlas does not index (networking, uprobe). */
  kind?: AttachKind;
  /** Accepts `/<target>`. */
  takesTarget: boolean;
  /** The target is a glob (`*`, `?`) over many names (`kprobe.multi`, `fentry.multi`). */
  pattern?: boolean;
  /** `kprobe/<function>[+<offset>]` */
  targetFormat?: string;
  /** One line on what it is for. */
  summary: string;
  /** Handler macro that fits: BPF_PROG, BPF_KPROBE ... */
  macro?: string;
  sleepable?: boolean;
  /** Minimum upstream kernel, e.g. "5.5". */
  since?: string;
  source: string;
}

/** A stable alternative for a kprobe/fentry target (FIELD-NOTES §5.2 verified pairs, §5.3 related). */
export interface Equivalent {
  /** Function names this row applies to. */
  functions: string[];
  /** `tracepoint` (system/event) or `lsm`/`ksyscall`... */
  alternative: {
    kind: AttachKind;
    system?: string;
    name: string;
    /** Upstream kernel where this alternative appeared, when it differs per alternative. */
    since?: string;
  }[];
  /** `equivalent` (used by real tools) or `related` (approximate semantics). */
  strength: 'equivalent' | 'related';
  /** Upstream/distro kernel where the alternative appeared, e.g. "6.5". */
  since?: string;
  caveat?: string;
  /** Who uses it: tools, commits, PRs. */
  evidence: string;
  source: string;
}

/** A real breakage report, cited in hovers. */
export interface Evidence {
  /** `iovisor/bcc#4261` */
  ref: string;
  url: string;
  title: string;
  /** Functions or tracepoints it concerns. */
  subjects: string[];
  hazard?: string;
  gist: string;
  /** Where the row comes from, when it is not the report itself (e.g. the DepSurf paper). */
  source?: string;
}

export interface HelperDoc {
  name: string;
  /** `long bpf_probe_read_kernel(void *dst, u32 size, const void *unsafe_ptr)` */
  proto: string;
  description: string;
  returns?: string;
  /** First bundled UAPI header version that documents it, and the helper id. */
  since?: string;
  id?: number;
  /** Known pitfalls, each with a source. */
  pitfalls?: { text: string; source: string }[];
  /** Headers the text was taken from (package versions). */
  source?: string;
}

export interface VersionFloor {
  feature: string;
  minKernel: string;
  note?: string;
  source: string;
}

export interface BpftraceBuiltin {
  name: string;
  kind: 'variable' | 'function' | 'map-function' | 'probe';
  signature?: string;
  doc: string;
  /** Short spellings of a probe type (`k` for kprobe). */
  aliases?: string[];
  /** Documentation page the entry was checked against. */
  source?: string;
}

export interface Knowledge {
  sectionPrefixes(): readonly SectionPrefix[];
  /** Longest matching prefix of a SEC() string (`tp_btf/sched_switch` → tp_btf). */
  sectionPrefix(section: string): SectionPrefix | undefined;
  equivalentsFor(functionName: string): readonly Equivalent[];
  evidenceFor(subject: string): readonly Evidence[];
  helper(name: string): HelperDoc | undefined;
  helpers(): readonly HelperDoc[];
  versionFloors(): readonly VersionFloor[];
  bpftraceBuiltins(): readonly BpftraceBuiltin[];
}
