// Static knowledge that is not read from a kernel: libbpf section prefixes, kprobe→tracepoint
// equivalents, version floors, BPF helper documentation, breakage evidence, bpftrace builtins.
// Every row carries its source. Loaded from data/knowledge/ by knowledge/load.ts.

import type { AttachKind } from '../model/programKinds';
import type { Formula } from './formula';

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
  /** First upstream kernel with the helper (`5.17`), where that comes from, and the helper id. */
  since?: string;
  sinceSource?: string;
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
  /** Helpers per program type per kernel source, and libbpf's SEC() table (program-types.json). */
  programTypes(): ProgramTypesData;
  /** kfunc sets per kernel source (kfuncs.json). */
  kfuncData(): KfuncData;
  /** First upstream kernel of a map or program type (`BPF_MAP_TYPE_RINGBUF`). */
  typeSince(name: string): TypeSince | undefined;
  bpfTypes(): readonly TypeSince[];
}

// ---- Will it load there: program types, helpers per program type, kfuncs (program-types.json,
// kfuncs.json, generated from Debian's kernel sources by scripts/knowledge/programTypes.ts) ----


/** libbpf's SEC() table row: the program type and expected attach type a section loads as. */
export interface SectionProgType {
  prefix: string;
  progType: string;
  attachType: string | null;
  sleepable: boolean;
  takesTarget: boolean;
  source: string;
}

/** [condition, proto (`?`: not followed), "file:function" returning it]. */
export type HelperRule = [when: Formula, proto: string, where: string | null];

export interface HelperProtoFacts {
  func?: string;
  gplOnly: boolean;
  mightSleep: boolean;
  allowedFn?: string;
  allowed?: Formula;
  where: string;
}

/** What every per-source row says of its source. */
export interface SourceRow {
  version: string;
  /** The Debian atlas kernel built from this source (its config is `configValues`). */
  kernel: string;
  source: string;
  config: string;
  configValues: Record<string, string>;
}

/** The facts of one kernel source tree (one Debian kernel). */
export interface ProgramTypeSource extends SourceRow {
  helperIds: Record<string, number>;
  progTypes: Record<string, { guard: Formula; ops: string; getFuncProto: string | null }>;
  funcProtos: Record<string, Record<string, HelperRule[]>>;
  protos: Record<string, HelperProtoFacts>;
  sets: Record<string, { where: string; members: [string, Formula][] }>;
  /** ALLOW_ERROR_INJECTION functions, and the syscall stub prefixes the arch marks. */
  errorInjection: { functions: string[]; syscallPrefixes: string[] };
}

export interface ProgramTypesData {
  sections: SectionProgType[];
  /** Helpers libbpf replaces with an older one when the kernel lacks them (probe_read_kernel →
   *  probe_read): a program using them still loads there through libbpf. */
  libbpfFallbacks: { helper: string; fallback: string; source: string }[];
  /** Oldest first. */
  kernels: ProgramTypeSource[];
}

export interface KfuncSetData {
  name: string;
  file: string;
  guard: Formula;
  members: { name: string; flags: string[]; guard: Formula }[];
  /** Program types it is registered for (BPF_PROG_TYPE_UNSPEC: the common hook, every type). */
  registrations: { progType: string; guard: Formula; via: string }[];
  /** `.filter` callback of the id set struct, when there is one (it can refuse per program). */
  filter?: string;
  /** How the Debian build compiles the set's file: y (vmlinux), m (module), n; null when unknown. */
  built: 'y' | 'm' | 'n' | null;
}

export interface KfuncSource extends SourceRow {
  /** `none` (no kfunc calls), `check_kfunc_call` (5.13-5.17 per-ops callbacks), `id_sets` (5.18+). */
  mechanism: 'none' | 'check_kfunc_call' | 'id_sets';
  /** bpf_prog_type_to_kfunc_hook(): program type to hook; types not listed map to `default`. */
  hooks: { progType: string; hook: string; when: Formula }[];
  sets: KfuncSetData[];
}

export interface KfuncData {
  /** Oldest first. */
  kernels: KfuncSource[];
}

/** First upstream kernel of a map or program type (bcc docs/kernel-versions.md). */
export interface TypeSince {
  kind: 'map' | 'prog';
  name: string;
  since: string;
  commit?: string;
  source: string;
}
