// The facts of one kernel as plain data: what the readers (server/src/kernel) produce, the atlas
// file format stores and the atlas answers questions over (KernelQuery). Types and two small
// renderers only; imports nothing of ours, so every layer may use it.

import type { KernelCapabilities } from './capabilities';

export type { Capability, CapabilityName, KernelCapabilities, Tri } from './capabilities';

/** A function parameter or tracepoint argument. `type` is the C type with the name left out, where
 *  the name would go marked by `%` when it is not at the end (`void (*%)(int)`, `char %[16]`). */
export interface Param {
  name: string;
  type: string;
}

/** A C prototype, as BTF (or DepSurf's pahole BTF) gives it. */
export interface Proto {
  ret: string;
  params: Param[];
  variadic?: boolean;
}

/** Inline status of a function's calls in one build. `unknown` when no DWARF data was available. */
export type InlineStatus = 'none' | 'partial' | 'full' | 'unknown';

/** Everything known about one kernel function name in one kernel. Fields that a source cannot
 *  tell are `null` (unknown), never guessed. */
export interface FunctionFacts {
  name: string;
  /** Text symbols whose base name (text before the first compiler suffix) is `name`, in
   *  address order: `finish_task_switch.isra.0`, or `name` itself, possibly several times. */
  symbols: string[];
  /** Prototype from BTF, when the kernel's BTF (or the source's) has a FUNC of exactly this name. */
  proto?: Proto;
  /** The shipped kernel's own BTF has a FUNC of this name (fentry/fexit need it). null: unknown. */
  inBtf: boolean | null;
  inline: InlineStatus;
  /** Inlined call sites that a probe on the symbol misses (self sites excluded when known). */
  inlinedSites?: number;
  /** Has an ftrace (mcount/__fentry__) site: fentry/fexit possible. null: unknown. */
  ftrace: boolean | null;
  /** In the kprobe blacklist (NOKPROBE_SYMBOL, noinstr, entry text). null: unknown. */
  kprobeBlacklisted: boolean | null;
  /** All its code is in .init.text: freed after boot. */
  initOnly?: boolean;
  /** All its code is in .exit.text (built-in `__exit` code): discarded with the init memory after
   *  boot, never run; BTF may still list it. */
  exitOnly?: boolean;
  /** Loadable module that holds it; absent for vmlinux. */
  module?: string;
  /** Up to a few callers it was inlined into (hint for where to probe instead). */
  inlinedInto?: string[];
  /** The source knows the name but has no facts about it for this kernel (e.g. a DepSurf page
   *  missing from its snapshot): every question about it is unknown. Optional, added by H2. */
  noData?: boolean;
}

/** One field of a trace event record (what `SEC("tracepoint/…")` ctx and bpftrace `args` read). */
export interface TraceField {
  name: string;
  type: string;
  /** Byte offsets; undefined when the source gives only types (then never shown as exact). */
  offset?: number;
  size?: number;
  signed?: boolean;
}

export interface TracepointFacts {
  /** Event name: `sched_switch`. */
  name: string;
  /** Trace system (tracefs category): `sched`. Undefined for raw-only tracepoints. */
  system?: string;
  /** Event class / template (`trace_event_raw_<template>` is the ctx struct). */
  template?: string;
  /** Record fields after the common header, in order (exact when offsets are present). */
  fields?: TraceField[];
  /** TP_PROTO arguments, what raw_tp / tp_btf programs receive (without `void *__data`). */
  args?: Param[];
  /** print_fmt of the event. */
  fmt?: string;
  /** A trace event exists: `tracepoint/<system>/<name>` can attach. null: the source cannot tell
   *  (the running kernel without tracefs, for a raw tracepoint no other source knows). */
  event: boolean | null;
  /** BTF has `btf_trace_<name>`: tp_btf can attach. null: unknown. */
  btf: boolean | null;
  module?: string;
}

/** What lists of tracepoint names need of one: its name, system, whether it is an event and the
 *  module that defines it. */
export type TracepointHead = Pick<TracepointFacts, 'name' | 'system' | 'event' | 'module'>;

export interface SyscallFacts {
  name: string;
  nr?: number;
  args: Param[];
}

export interface LsmHookFacts {
  name: string;
  proto?: Proto;
}

export type KernelSourceKind = 'bundled' | 'live' | 'file';

/** What a kernel's facts were built from, so hovers can say how sure they are. */
export interface Coverage {
  /** Where inline status comes from: DWARF of the same build, or nothing. */
  inline: 'dwarf' | 'none';
  /** __mcount_loc / available_filter_functions were read. */
  ftrace: boolean;
  /** The kprobe blacklist was read. */
  blacklist: boolean;
  /** Module functions and tracepoints are included. */
  modules: boolean;
  /** The shipped kernel has BTF (CONFIG_DEBUG_INFO_BTF): fentry, tp_btf and CO-RE work at all. */
  btf: boolean;
  /** Trace event record offsets are exact (image walk or tracefs), not recomputed. */
  exactFieldOffsets: boolean;
  /** What the kernel's types (structs, unions, typedefs, enums) cover; absent when the source
   *  has none (atlas files written before types were stored). */
  types?: TypesCoverage;
}

// ---- Types: structs, unions, typedefs and enums of one kernel (what CO-RE relocates against) ----

/** Which kinds of types a kernel's source gives. A kind it does not give is `unknown` to every
 *  question, never `absent`. */
export interface TypesCoverage {
  structs: boolean;
  unions: boolean;
  typedefs: boolean;
  /** `all`: every named enum and the anonymous ones; `bpf-uapi`: only the BPF UAPI enums
   *  (bpf_func_id, bpf_prog_type, bpf_attach_type, bpf_map_type, bpf_link_type). */
  enums: 'all' | 'bpf-uapi' | 'none';
  /** Member offsets and type sizes are known (BTF); false for member lists without layout. */
  layout: boolean;
  /** Types defined only in loadable modules are included. */
  modules: boolean;
}

/** One member of a struct or union as CO-RE field access sees it: members of anonymous struct
 *  or union members are listed as members of the parent (C11 anonymous members; libbpf's field
 *  matching looks through them too), with `viaAnon` saying so where the source can tell. */
export interface MemberFacts {
  name: string;
  /** C type with the name left out, `%` where the name would go inside it (as Param.type):
   *  `struct task_struct *`, `char %[16]`, `void (*%)(struct sk_buff *)`; `struct {...}` for an
   *  anonymous struct type. */
  type: string;
  /** Bits from the start of the outermost named struct; undefined when the source has no layout. */
  bitOffset?: number;
  /** Width of a bitfield in bits; undefined for an ordinary member. */
  bitSize?: number;
  /** Bytes of the member's type; undefined when unknown. */
  size?: number;
  /** Reached through an anonymous struct/union member of the parent. Undefined when the source
   *  flattened without saying (DepSurf). */
  viaAnon?: boolean;
  /** A named member of anonymous struct/union type (`struct { ... } flags;`): that type's
   *  members, flattened alike, so `flags.piix4` can be followed. */
  members?: MemberFacts[];
}

export interface StructFacts {
  name: string;
  union?: boolean;
  /** Bytes; undefined when the source has no layout. */
  size?: number;
  members: MemberFacts[];
}

export interface TypedefFacts {
  name: string;
  /** The type it names, spelled as MemberFacts.type (`unsigned int`, `struct {...}`). */
  type: string;
  /** When it names an anonymous struct/union (`typedef struct { int counter; } atomic_t`): its
   *  members, so `count.counter` can be followed. */
  members?: MemberFacts[];
  union?: boolean;
}

export interface EnumValue {
  name: string;
  /** A number when it is a safe integer, else the decimal text of the 64-bit value. */
  value: number | string;
}

export interface EnumFacts {
  /** Empty for an anonymous enum. */
  name: string;
  /** Bytes; undefined when unknown. */
  size?: number;
  values: EnumValue[];
}
/** A kernel's types as plain data (what readers produce and atlas files store). */
export interface KernelTypes {
  structs: StructFacts[];
  typedefs: TypedefFacts[];
  enums: EnumFacts[];
}

export interface KernelMeta {
  /** Stable id: `debian-12`, `ubuntu-22.04`, `ubuntu-20.04-arm64`, `live`, or a file's own id. */
  id: string;
  /** uname -r style release: `6.1.0-56-amd64`. */
  release: string;
  /** Upstream major.minor: `6.1`. */
  version: string;
  arch: string;
  distro?: string;
  /** Distro release name: `bookworm`, `jammy`. */
  codename?: string;
  flavor?: string;
  lts?: boolean;
  source: KernelSourceKind;
  /** One line on where the facts come from. */
  provenance: string;
  coverage: Coverage;
  counts: { functions: number; tracepoints: number; syscalls: number; lsmHooks: number };
  /** What the kernel's build configuration (and boot-time LSM order) allows; absent when no
   *  configuration was read (every capability unknown). */
  capabilities?: KernelCapabilities;
}

/** All facts of one kernel as plain data: what readers produce and atlas files store. */
export interface KernelFacts {
  meta: KernelMeta;
  functions: FunctionFacts[];
  tracepoints: TracepointFacts[];
  syscalls: SyscallFacts[];
  lsmHooks: LsmHookFacts[];
  /** Text symbols that exist only with a compiler suffix or otherwise outside `functions`, for
   *  exact-name lookups such as `kprobe/finish_task_switch.isra.0`. Optional. */
  extraSymbols?: string[];
  /** BPF kfuncs (DECL_TAG bpf_kfunc), names only. */
  kfuncs?: string[];
  /** Structs, unions, typedefs and enums; what they cover is meta.coverage.types. */
  types?: KernelTypes;
}

/** Render a parameter as a C declaration: `struct file *file`, `void (*cb)(int)`, and arrays
 *  spelt either way (`char %[16]` with the marker, or `char[16]` as DepSurf and tracefs write
 *  them) as `char comm[16]`. */
export function cDecl(type: string, name: string): string {
  if (type.includes('%')) return type.replace('%', name);
  if (!name) return type;
  const array = /^(.*?)\s*((?:\[[^\]]*\])+)$/.exec(type);
  if (array) return `${array[1]} ${name}${array[2]}`;
  return type.endsWith('*') ? `${type}${name}` : `${type} ${name}`;
}

/** Render a prototype: `ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t *pos)`. */
export function renderProto(name: string, proto: Proto): string {
  const params = proto.params.map((p) => cDecl(p.type, p.name));
  if (proto.variadic) params.push('...');
  return `${cDecl(proto.ret, name)}(${params.length ? params.join(', ') : 'void'})`;
}

/** Read-only queries over one kernel's facts, with indexes built once (atlas/kernelIndex.ts for
 *  atlas files, kernel/liveIndex.ts for the running kernel). */
export interface KernelQuery {
  readonly meta: KernelMeta;
  fn(name: string): FunctionFacts | undefined;
  /** Any text symbol with exactly this name (plain or suffixed) exists. */
  hasSymbol(name: string): boolean;
  /** Every function name, each once. Atlas kernels (KernelIndex) give them in name order; the
   *  running kernel (LiveKernel) in no set order, as sorting 60k names would cost more than
   *  opening it: callers that show names sort what they keep. */
  functionNames(): readonly string[];
  /** Up to `limit` distinct function names starting with `prefix`, in name order, without
   *  building the whole name list (completion on a cold kernel). Optional, added by H2. */
  functionNamesWithPrefix?(prefix: string, limit: number): string[];
  tracepoint(name: string, system?: string): TracepointFacts | undefined;
  tracepoints(): readonly TracepointFacts[];
  /** Every tracepoint's head, without what each carries (the running kernel reads no format
   *  file, an atlas decodes no fields). Optional: read through tracepointHeads(kernel). */
  tracepointHeads?(): readonly TracepointHead[];
  /** Trace systems with their event names. */
  systems(): ReadonlyMap<string, readonly string[]>;
  syscall(name: string): SyscallFacts | undefined;
  syscalls(): readonly SyscallFacts[];
  lsmHook(name: string): LsmHookFacts | undefined;
  lsmHooks(): readonly LsmHookFacts[];
  /** The kernel's structs, unions, typedefs and enums, decoded on first use; undefined when its
   *  source has none (an atlas file written before types were stored). */
  types?(): KernelTypesQuery | undefined;
}

/** Exact-name lookups over one kernel's types, with no rules: what each source (an atlas file,
 *  in-memory facts, a BTF blob) provides. model/coreTypes.ts adds CO-RE's rules on top. */
export interface TypeStore {
  readonly coverage: TypesCoverage;
  /** Every struct and union with exactly this name (a kernel can hold several). */
  structsNamed(name: string): readonly StructFacts[];
  typedefNamed(name: string): TypedefFacts | undefined;
  /** Every enum with exactly this name (`''`: the anonymous ones). */
  enumsNamed(name: string): readonly EnumFacts[];
  /** Every enum, named and anonymous (decodes them all: for enumerator searches). */
  allEnums(): readonly EnumFacts[];
  /** Names of every struct and union, each once, in code-unit order. */
  structNames(): readonly string[];
  /** Every type, decoded (writing a kernel out as an atlas file). */
  all(): KernelTypes;
}

/** Where a member path (`__state`, `sk_common.skc_dport`) stands on one kernel. */
export type MemberAnswer =
  /** `struct` is the candidate (same essential name) that has it. */
  | { status: 'present'; member: MemberFacts; struct: StructFacts }
  /** The struct exists and every candidate lacks `missing` (the first path element not found,
   *  `within` the type it was looked for in). */
  | { status: 'absent'; struct: StructFacts; missing: string; within: string }
  /** No struct or union of that name among the kernel's types (it may live in a module). */
  | { status: 'no-type'; name: string }
  /** The source cannot tell (no such kind of types, a step through a type it does not hold). */
  | { status: 'unknown'; reason: string };

export type EnumValueAnswer =
  | { status: 'present'; value: number | string; enum: EnumFacts }
  | { status: 'absent'; enum?: EnumFacts }
  | { status: 'no-type'; name: string }
  | { status: 'unknown'; reason: string };

/** CO-RE's view of one kernel's types (implemented by model/coreTypes.ts TypeIndex). */
export interface KernelTypesQuery {
  readonly coverage: TypesCoverage;
  /** Structs and unions CO-RE would match for a local type name: the flavor suffix
   *  (`task_struct___old`) stripped. */
  structs(name: string): readonly StructFacts[];
  struct(name: string): StructFacts | undefined;
  /** A member path of a struct or union (`a.b[2].c` follows embedded members; anonymous
   *  members are looked through, as libbpf does); the struct name may carry a flavor. */
  member(struct: string, path: string): MemberAnswer;
  typedef(name: string): TypedefFacts | undefined;
  /** A type with its typedefs followed to the end (`u32` → `unsigned int`, `atomic_t` →
   *  `struct {...}` with members); undefined when a typedef on the way is not known. */
  resolveType(type: string): { type: string; members?: MemberFacts[]; union?: boolean } | undefined;
  enumType(name: string): EnumFacts | undefined;
  /** An enumerator: of a named enum (flavor stripped), or searched in every enum when `enumName`
   *  is undefined. */
  enumValue(enumName: string | undefined, valueName: string): EnumValueAnswer;
  structNames(): readonly string[];
  /** Every type, decoded (writing a kernel out as an atlas file). */
  all(): KernelTypes;
}

/** Every tracepoint of `kernel`, as much as name lists need: its heads when it can give them
 *  cheaply, else its whole records. */
export function tracepointHeads(kernel: Pick<KernelQuery, 'tracepoints' | 'tracepointHeads'>): readonly TracepointHead[] {
  return kernel.tracepointHeads?.() ?? kernel.tracepoints();
}
