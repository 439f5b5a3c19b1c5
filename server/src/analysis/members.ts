// What one CO-RE member access (syntax/coreAccess.ts) is on each target kernel: every step looked
// up in that kernel's types as libbpf would (model/coreTypes.ts: flavors stripped, anonymous
// members looked through, `a.b` through embedded members, `->` through a pointer member), giving
// present (with the member's type and offset), absent (at which step, and the member's name there
// when it was renamed), or unknown (the kernel's source cannot tell, or the struct is not among
// its types: it may live in a module). Also which accesses are checked at all: reads through the
// document's own flavor structs, and plain `->` on types that carry no preserve_access_index, are
// not relocations against the kernel (or are the documented pattern) and are left alone.

import type { KernelQuery, KernelTypesQuery, MemberFacts } from '../atlas/model';
import { essentialName, memberPath, typeShape } from '../model/coreTypes';
import type { AccessStep, CoreAccess, CoreModel, WrittenType } from '../syntax/coreAccess';
import type { AnalysisContext } from './context';
import { kernelOf } from './kernels';

export type MemberStatus = 'present' | 'absent' | 'unknown' | 'no-type';

/** One access on one kernel. */
export interface MemberOnKernel {
  kernel: string;
  version?: string;
  status: MemberStatus;
  /** absent: the step (index into access.steps) that is missing, and the type it was looked for in. */
  missingStep?: number;
  within?: string;
  /** absent: a member of that type here whose name says it is the same one renamed (`__state`). */
  renamedTo?: string;
  /** present: the last step's member (offset counted from the type the last `->` reached). */
  member?: MemberFacts;
  reason?: string;
}

export interface AccessVerdict {
  access: CoreAccess;
  /** The struct the chain starts in, as the kernel names it (`struct task_struct`). */
  rootType: string;
  kernels: MemberOnKernel[];
}

/** Why an access is not judged against the kernels (undefined: it is judged). */
export function notARelocation(access: CoreAccess, model: CoreModel): string | undefined {
  if (access.root.kind === 'access') return notARelocation(access.root.access, model);
  const t = access.root.type;
  const local = model.localTypes.get(`${t.tag} ${t.name}`);
  if (local && essentialName(t.name) !== t.name) return 'a flavor the program declares (the libbpf pattern for members that differ between kernels)';
  if (local && !local.preserveAccessIndex) return 'a type the program defines without preserve_access_index: not relocated';
  if (!local && access.via === 'direct' && !model.includesVmlinux) return 'a plain member access without vmlinux.h: not relocated';
  // Tracepoint records are checked against the event's own fields (features/c/diagnostics.ts).
  if (t.name.startsWith('trace_event_raw_')) return 'a tracepoint record';
  return undefined;
}

/** Steps grouped by the pointer they go through: `a.b->c` → [[a, b], [c]]. */
function groups(steps: readonly AccessStep[]): { first: number; path: string }[] {
  const out: { first: number; names: string[] }[] = [];
  steps.forEach((s, i) => {
    if (i === 0 || s.arrow) out.push({ first: i, names: [s.name] });
    else out[out.length - 1].names.push(s.name);
  });
  return out.map((g) => ({ first: g.first, path: g.names.join('.') }));
}

/** Groups for a language where `.` also reads through a pointer (bpftrace): a step starts a new
 *  group when the member before it is a pointer. A step the kernel lacks ends the grouping (the
 *  lookup then says where). */
function derefGroups(steps: readonly AccessStep[], struct: string, types: KernelTypesQuery): { first: number; path: string }[] {
  const out: { first: number; names: string[] }[] = [{ first: 0, names: [steps[0].name] }];
  let owner = struct;
  for (let i = 1; i < steps.length; i++) {
    const g = out[out.length - 1];
    const a = types.member(owner, g.names.join('.'));
    const next = a.status === 'present' && !a.member.members ? pointee(types, a.member.type) : undefined;
    if (next) {
      owner = next;
      out.push({ first: i, names: [steps[i].name] });
    } else {
      g.names.push(steps[i].name);
    }
  }
  return out.map((g) => ({ first: g.first, path: g.names.join('.') }));
}

/** The struct a pointer type points to (`struct mm_struct *` → struct mm_struct), following typedefs. */
function pointee(types: KernelTypesQuery, type: string): string | undefined {
  const r = types.resolveType(type);
  if (!r) return undefined;
  const t = r.type.replace(/\s*%.*$/, '').trim();
  if (!t.endsWith('*') || /\(/.test(t)) return undefined;
  const inner = t.slice(0, -1).trim();
  const shape = typeShape(inner);
  if (shape.kind === 'struct' || shape.kind === 'union') return `${shape.kind} ${shape.name}`;
  if (shape.kind === 'name') {
    const again = types.resolveType(inner);
    const s = again && typeShape(again.type);
    if (s && (s.kind === 'struct' || s.kind === 'union')) return `${s.kind} ${s.name}`;
  }
  return undefined;
}

function startType(t: WrittenType): string {
  return `${t.tag} ${essentialName(t.name)}`;
}

/** The type the access's value has on a kernel (its last member's), for a read that starts from it. */
function valueType(access: CoreAccess, kernel: KernelQuery, types: KernelTypesQuery): { struct?: string; type?: string } {
  const r = onKernel(access, kernel, types, '');
  if (r.status !== 'present' || !r.member) return {};
  return { type: r.member.type, struct: pointee(types, r.member.type) };
}

function onKernel(access: CoreAccess, kernel: KernelQuery, types: KernelTypesQuery, id: string): MemberOnKernel {
  const base: MemberOnKernel = { kernel: id, version: kernel.meta.version, status: 'unknown' };
  let struct: string | undefined;
  if (access.root.kind === 'type') {
    struct = startType(access.root.type);
  } else {
    struct = valueType(access.root.access, kernel, types).struct;
    if (!struct) return { ...base, reason: 'the value it reads from is not a struct pointer on this kernel' };
  }
  const gs = access.autoDeref ? derefGroups(access.steps, struct, types) : groups(access.steps);
  let member: MemberFacts | undefined;
  for (let g = 0; g < gs.length; g++) {
    const a = types.member(struct, gs[g].path);
    if (a.status === 'unknown') return { ...base, reason: a.reason };
    if (a.status === 'no-type') return g === 0 && access.root.kind === 'type' ? { ...base, status: 'no-type', reason: `${struct} is not among this kernel's types` } : { ...base, reason: `${struct} is not among this kernel's types` };
    if (a.status === 'absent') {
      const names = memberPath(gs[g].path);
      const k = names.indexOf(a.missing);
      const step = gs[g].first + (k < 0 ? 0 : k);
      const out: MemberOnKernel = { ...base, status: 'absent', missingStep: step, within: a.within };
      const renamed = renameCandidate(types, a.within, a.missing);
      if (renamed) out.renamedTo = renamed;
      return out;
    }
    member = a.member;
    if (g < gs.length - 1) {
      const next = pointee(types, member.type);
      if (!next) return { ...base, reason: `${access.steps[gs[g + 1].first - 1].name} is ${member.type} here, not a struct pointer` };
      struct = next;
    }
  }
  return { ...base, status: 'present', member };
}

/** A member of `within` on this kernel that is the missing one renamed: the same name but for
 *  leading/trailing underscores (`state` ↔ `__state`, `i_atime` ↔ `__i_atime`), or the missing
 *  name with a suffix (`i_atime` → `i_atime_sec`). */
export function renameCandidate(types: KernelTypesQuery, within: string, missing: string): string | undefined {
  if (within.includes('.')) return undefined;
  const s = types.struct(within.includes(' ') ? within : within);
  if (!s) return undefined;
  const bare = (n: string) => n.replace(/^_+|_+$/g, '');
  const names = s.members.map((m) => m.name).filter((n) => n && n !== missing);
  return names.find((n) => bare(n) === bare(missing))
    ?? names.find((n) => n.startsWith(`${missing}_`) || n.startsWith(`${bare(missing)}_`));
}

/** The access on every target kernel that loads and has types; undefined when it is not judged.
 *  `kernelsKey` (AnalysisCache.kernelsKey of the targets), when the caller asks for many. With the cache, the answer for the same chain on the same kernels is computed once (a chain
 *  is the same wherever it is written: every edit reruns diagnostics over every read). */
export function accessVerdict(access: CoreAccess, model: CoreModel, ctx: Pick<AnalysisContext, 'atlas' | 'targets'> & Partial<Pick<AnalysisContext, 'cache'>>,
  kernelsKey?: string): AccessVerdict | undefined {
  if (notARelocation(access, model)) return undefined;
  if (!ctx.cache) return accessOnTargets(access, ctx);
  const key = `${kernelsKey ?? ctx.cache.kernelsKey(ctx.atlas, ctx.targets)}|${chainKey(access)}`;
  const kernels = ctx.cache.remember('member-verdicts', key, () => accessOnTargets(access, ctx).kernels);
  return { access, rootType: access.root.kind === 'type' ? startType(access.root.type) : '', kernels };
}

/** What a chain's answer depends on: where it starts and the members it names. */
function chainKey(a: CoreAccess): string {
  const root = a.root.kind === 'type' ? `${a.root.type.tag} ${a.root.type.name}` : `(${chainKey(a.root.access)})`;
  return `${root}${a.autoDeref ? '~' : ''}${a.steps.map((s) => `${s.arrow ? '->' : '.'}${s.name}`).join('')}`;
}

/** The access on every target kernel, judged or not (hover shows flavors' members too). */
export function accessOnTargets(access: CoreAccess, ctx: Pick<AnalysisContext, 'atlas' | 'targets'>): AccessVerdict {
  const kernels: MemberOnKernel[] = [];
  for (const id of ctx.targets) {
    const kernel = kernelOf(ctx, id);
    const types = kernel?.types?.();
    if (!kernel || !types) {
      kernels.push({ kernel: id, status: 'unknown', reason: kernel ? 'this kernel\'s atlas has no types' : 'the kernel could not be loaded' });
      continue;
    }
    kernels.push(onKernel(access, kernel, types, id));
  }
  const root = access.root.kind === 'type' ? startType(access.root.type) : '';
  return { access, rootType: root, kernels };
}

/** `5.10` < `6.1`, numerically. */
function versionKey(v: string | undefined): number[] {
  return (v ?? '').split('.').map((x) => parseInt(x, 10)).filter((x) => !Number.isNaN(x));
}

export function compareVersions(a: string | undefined, b: string | undefined): number {
  const x = versionKey(a);
  const y = versionKey(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** Where the targets say the member changed: the newest version that has it and the oldest that
 *  does not (or the other way round). Undefined when versions do not order the two sides. */
export function changeWindow(v: AccessVerdict): { from: MemberOnKernel; to: MemberOnKernel; appeared: boolean } | undefined {
  const known = v.kernels.filter((k) => (k.status === 'present' || k.status === 'absent') && versionKey(k.version).length >= 2);
  const present = known.filter((k) => k.status === 'present').sort((a, b) => compareVersions(a.version, b.version));
  const absent = known.filter((k) => k.status === 'absent').sort((a, b) => compareVersions(a.version, b.version));
  if (!present.length || !absent.length) return undefined;
  const newestPresent = present[present.length - 1];
  const oldestAbsent = absent[0];
  if (compareVersions(newestPresent.version, oldestAbsent.version) < 0) return { from: newestPresent, to: oldestAbsent, appeared: false };
  const newestAbsent = absent[absent.length - 1];
  const oldestPresent = present[0];
  if (compareVersions(newestAbsent.version, oldestPresent.version) < 0) return { from: newestAbsent, to: oldestPresent, appeared: true };
  return undefined;
}

/** Members of the struct an expression at the cursor points to, over the target kernels: each
 *  name with the kernels that lack it and its type on the first kernel that has it. */
export interface MemberChoice {
  name: string;
  type: string;
  /** Target kernels (with types for this struct) that do not have it. */
  missingOn: string[];
  presentOn: string[];
}

/** The struct type (`struct mm_struct`) a chain's value points to on each kernel, or its own type
 *  for an embedded member: what completion after `->`/`.` offers members of. */
export function memberChoices(root: WrittenType | undefined, prefixAccess: CoreAccess | undefined, ctx: Pick<AnalysisContext, 'atlas' | 'targets'>,
  dot: boolean): { struct: string; choices: MemberChoice[]; judged: string[] } | undefined {
  const byName = new Map<string, MemberChoice>();
  const judged: string[] = [];
  let structName: string | undefined;
  for (const id of ctx.targets) {
    const kernel = kernelOf(ctx, id);
    const types = kernel?.types?.();
    if (!kernel || !types) continue;
    let struct: string | undefined;
    let members: readonly MemberFacts[] | undefined;
    if (prefixAccess) {
      const r = onKernel(prefixAccess, kernel, types, id);
      if (r.status !== 'present' || !r.member) continue;
      if (dot) {
        if (r.member.members) members = r.member.members;
        else {
          const res = types.resolveType(r.member.type);
          const shape = res && typeShape(res.type);
          if (res?.members) members = res.members;
          else if (shape && (shape.kind === 'struct' || shape.kind === 'union')) struct = `${shape.kind} ${shape.name}`;
        }
      } else {
        struct = pointee(types, r.member.type);
      }
    } else if (root) {
      struct = startType(root);
    }
    if (struct) {
      const found = types.structs(struct);
      if (!found.length) continue;
      members = found.flatMap((s) => s.members);
      structName ??= struct;
    }
    if (!members) continue;
    judged.push(id);
    const seen = new Set<string>();
    for (const m of members) {
      if (!m.name || seen.has(m.name)) continue;
      seen.add(m.name);
      let c = byName.get(m.name);
      if (!c) {
        c = { name: m.name, type: m.type, missingOn: [], presentOn: [] };
        byName.set(m.name, c);
      }
      c.presentOn.push(id);
    }
  }
  if (!judged.length) return undefined;
  for (const c of byName.values()) c.missingOn = judged.filter((k) => !c.presentOn.includes(k));
  return { struct: structName ?? '', choices: [...byName.values()], judged };
}
