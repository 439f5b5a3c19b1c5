// The one verdict path: what happens to one attach target on each target kernel (the atlas's
// assess(), with the hazards that concern the program's kind), the worst outcome, and how the
// hook's shape differs between them. Completion, hover, diagnostics, code actions and the CLI all
// reach their verdicts here (report.ts adds the advice on top), memoised in the one cache.

import { assess } from '../atlas/assess';
import type { Assessment, AttachTarget, Hazard, KernelQuery } from '../atlas/model';
import { HAZARD_SEVERITY, worse, type Severity, type Status } from '../model/hazards';
import { hazardApplies, isFunctionKind, isKprobeKind, type AttachKind } from '../model/programKinds';
import { REPORTS_TABLE, targetKey } from './cache';
import type { AnalysisContext } from './context';
import { matchFunctionGlob, type FunctionGlobMatches } from './globs';
import { kernelMeta, kernelOf } from './kernels';
import { shapeDifferences, type ShapeDifference } from './shapes';

/** One target kernel's verdict. */
export interface KernelVerdict {
  kernel: string;
  /** uname -r style release, for messages (`6.1.0-56-amd64`). */
  release?: string;
  version?: string;
  assessment: Assessment;
  /** Hazards that apply to this kind of program, with the severities assess() gave (`unknown` capped at info). */
  hazards: Hazard[];
  status: Status;
  /** For glob targets (kprobe.multi, bpftrace wildcards): functions matched (globs.ts). */
  matches?: number;
  /** `matches` is a lower bound: the search for suffixed copies stopped at its budget. */
  matchesTruncated?: boolean;
  /** The function is absent and so is every function of its family (`zpl_`): code the kernel's
   *  data does not cover, said as unknown (foreignFamily()). */
  foreignFamily?: string;
}

/** The verdicts on one target over the target kernels: per kernel, and across them. */
export interface AttachVerdicts {
  target: AttachTarget;
  kernels: KernelVerdict[];
  /** Worst status over all target kernels and shape differences. */
  worst: Status;
  /** Kernels where attaching fails, with the hazards that make it fail. */
  failing: { kernel: string; hazards: Hazard[] }[];
  /** Kernels where it attaches but misses calls or needs care (warnings). */
  degraded: { kernel: string; hazards: Hazard[] }[];
  /** Kernels the atlas cannot judge fully (`unknown`). */
  unknownOn: string[];
  differences: ShapeDifference[];
}

/** Hazards that are about a kind of program other than this one are dropped (a kprobe does not
 *  need BTF or an ftrace site; an fentry is not refused by the kprobe blacklist). assess() sets
 *  the severities; `unknown` is capped at information whatever its source says. */
export function relevantHazards(kind: AttachKind, hazards: readonly Hazard[]): Hazard[] {
  const out: Hazard[] = [];
  for (const h of hazards) {
    if (!hazardApplies(kind, h.name)) continue;
    const severity: Severity = h.name === 'unknown' ? 'info' : h.severity;
    if (out.some((o) => o.name === h.name)) continue;
    out.push({ ...h, severity });
  }
  return out.slice(); // exact size (cached by the thousand; a pushed list has room for 17)
}

function statusOf(hazards: readonly Hazard[], a: Assessment): Status {
  let s: Status = 'ok';
  for (const h of hazards) s = worse(s, h.severity);
  if (!a.found && s === 'ok' && !hazards.some((h) => h.name === 'unknown')) s = 'error';
  if (a.found && !a.attachable && s !== 'error' && !hazards.some((h) => h.name === 'unknown')) s = 'error';
  return s;
}

/** Assess a target on one kernel; a kernel that fails to load is reported as `unknown` for it. */
export function assessOn(ctx: AnalysisContext, kernelId: string, target: AttachTarget): Assessment {
  let kernel: KernelQuery;
  try {
    kernel = ctx.atlas.get(kernelId);
  } catch (err) {
    return {
      kernel: kernelId, found: false, attachable: false,
      hazards: [{ name: 'unknown', severity: 'info', message: `Kernel ${kernelId} could not be loaded: ${(err as Error).message}` }],
    };
  }
  return assessLoaded(ctx, kernel, target);
}

function assessLoaded(ctx: AnalysisContext, kernel: KernelQuery, target: AttachTarget): Assessment {
  return assess(kernel, target, (key, make) => ctx.cache.derived(kernel, key, make));
}

/** Symbols of a glob target a verdict lists (messages show a few). */
const VERDICT_SYMBOLS = 50;

/** One kernel's verdict. `family` is familyOf(target.name), worked out once for all kernels. */
function verdictFor(ctx: AnalysisContext, kernelId: string, target: AttachTarget, family: string | undefined): KernelVerdict {
  // The loaded kernel's own metadata (listing every kernel's to find one cost as much as the
  // assessment over 30 targets); the listed one when it cannot load.
  const kernel = kernelOf(ctx, kernelId);
  const meta = kernel?.meta ?? kernelMeta(ctx, kernelId);
  const label = { release: meta?.release, version: meta?.version };
  if (target.unexpandedGlob) {
    // libbpf takes the name literally (model/programKinds.ts libbpfExpandsGlob).
    const hazards: Hazard[] = [{
      name: 'absent', severity: 'error',
      message: `libbpf does not expand wildcards in a ${target.kind}/ section: it takes ${target.system ? `${target.system}/` : ''}${target.name} as one name, which no kernel has, so nothing attaches.${isKprobeKind(target.kind) && !target.kind.includes('syscall') ? ` Patterns work in ${target.kind === 'kretprobe' ? 'kretprobe' : 'kprobe'}.multi/${target.name}.` : ''}`,
    }];
    const assessment: Assessment = { kernel: kernelId, found: false, attachable: false, hazards };
    return { kernel: kernelId, ...label, assessment, hazards, status: 'error' };
  }
  if (target.pattern && isFunctionKind(target.kind)) {
    let found: FunctionGlobMatches | undefined;
    let loadError: string | undefined;
    try {
      // The count goes to the end; the symbols are only shown, 50 at most.
      found = matchFunctionGlob(ctx, ctx.atlas.get(kernelId), target.name, 'libbpf', VERDICT_SYMBOLS);
    } catch (err) {
      loadError = (err as Error).message;
    }
    const symbols = found?.symbols ?? [];
    const hazards: Hazard[] = loadError
      ? [{ name: 'unknown', severity: 'info', message: `Kernel ${kernelId} could not be loaded: ${loadError}` }]
      : symbols.length ? []
        : found?.exact ? [{ name: 'absent', severity: 'error', message: `The pattern ${target.name} matches no function.` }]
          : [{ name: 'unknown', severity: 'info', message: `The pattern ${target.name} matches no function name; whether a compiler copy (.isra, .constprop) matches was not searched to the end.` }];
    const assessment: Assessment = {
      kernel: kernelId, found: symbols.length > 0, attachable: symbols.length > 0, hazards, symbols,
    };
    return {
      kernel: kernelId, ...label, assessment, hazards, status: statusOf(hazards, assessment),
      matches: found?.functions ?? 0, matchesTruncated: found && !found.exact ? true : undefined,
    };
  }
  const assessment = kernel ? assessLoaded(ctx, kernel, target) : assessOn(ctx, kernelId, target);
  const own = relevantHazards(target.kind, assessment.hazards);
  const foreign = assessment.found || !kernel ? undefined : foreignFamily(ctx, kernelId, kernel, target, own, family);
  const hazards = foreign ? own.map((h) => (h.name === 'absent' ? foreign.unknown : h)) : own;
  // Written out, not spread: tens of thousands of these make one completion list over 30 targets.
  const verdict: KernelVerdict = { kernel: kernelId, release: label.release, version: label.version, assessment, hazards, status: statusOf(hazards, assessment) };
  if (foreign) verdict.foreignFamily = foreign.family;
  return verdict;
}

/** `zpl_` of `zpl_read`, `blk_` of `__blk_account_io_start`: the subsystem prefix of a function
 *  name, undefined for a name without one. */
export function familyOf(name: string): string | undefined {
  const m = /^_*([A-Za-z0-9]{2,}_)/.exec(name);
  return m?.[1];
}

/** An absent function none of whose family (same prefix) exists in the kernel or its in-tree
 *  modules belongs to code this kernel's data knows nothing of: an out-of-tree module (zfs's
 *  `zpl_*`, a vendor driver) or a subsystem not built. Its absence is then not a confident error:
 *  it is said as `unknown`, with why. A misspelt or removed name of a known family stays absent. */
function foreignFamily(ctx: AnalysisContext, kernelId: string, kernel: KernelQuery, target: AttachTarget, hazards: Hazard[], family: string | undefined): { family: string; unknown: Hazard } | undefined {
  if (!isFunctionKind(target.kind) || target.pattern) return undefined;
  if (hazards.some((h) => h.severity === 'error' && h.name !== 'absent')) return undefined;
  if (!family) return undefined;
  if (hasFamily(ctx, kernel, family)) return undefined;
  return {
    family,
    unknown: { name: 'unknown', severity: 'info', message: `${target.name}() is not in ${kernelId}${kernel.meta.coverage.modules ? ' nor its in-tree modules' : ''}, and no ${family}* function is: likely an out-of-tree module (e.g. zfs) or a subsystem not built.` },
  };
}

/** Whether any function name of the kernel is of `family` (familyOf gives it), answered once per
 *  kernel and family. A name is of family F (alphanumerics then `_`) exactly when it is F after
 *  its leading underscores, so a prefix search for `F`, `_F`, `__F`, ... (up to the most leading
 *  underscores a name of the kernel has) answers it: a binary search on an atlas kernel, where
 *  collecting every family cost decoding every name (~15 ms a kernel, the first absent name of a
 *  completion list paid it on each of 30 targets). Kernels without a binary prefix search (the
 *  running kernel) collect the families of their names once. */
export function hasFamily(ctx: Pick<AnalysisContext, 'cache'>, kernel: KernelQuery, family: string): boolean {
  const answers = ctx.cache.derived(kernel, 'function-families', () => new Map<string, boolean>());
  let known = answers.get(family);
  if (known === undefined) {
    // The running kernel's prefix search is a scan of every name: there the set, made once
    // from its name list (which it keeps), is cheaper than a few scans per family.
    known = kernel.functionNamesWithPrefix && kernel.meta.source !== 'live' ? familyByPrefix(ctx, kernel, family) : familySet(ctx, kernel).has(family);
    answers.set(family, known);
  }
  return known;
}

function familyByPrefix(ctx: Pick<AnalysisContext, 'cache'>, kernel: KernelQuery, family: string): boolean {
  const search = kernel.functionNamesWithPrefix!.bind(kernel);
  // The most leading underscores of any name: `_` repeated while some name starts so.
  const deepest = ctx.cache.derived(kernel, 'function-underscores', () => {
    let u = 0;
    while (search('_'.repeat(u + 1), 1).length) u++;
    return u;
  });
  for (let u = 0; u <= deepest; u++) if (search('_'.repeat(u) + family, 1).length) return true;
  return false;
}

function familySet(ctx: Pick<AnalysisContext, 'cache'>, kernel: KernelQuery): ReadonlySet<string> {
  return ctx.cache.derived(kernel, 'function-family-set', () => {
    const set = new Set<string>();
    for (const n of kernel.functionNames()) {
      const f = familyOf(n);
      if (f) set.add(f);
    }
    return set;
  });
}

/** The verdicts on one target, memoised in the cache. Shared between requests: do not modify.
 *  A target with a report (report.ts, same key) has its verdicts there: the reports table holds
 *  every target of an open document, while the verdicts table is sized for completion lists
 *  (cache.ts) and, cycled through by a document of more targets than it holds (1,000 programs
 *  over 30 kernels), missed on each of them in every diagnostics run (~300 ms a run). */
export function attachVerdicts(target: AttachTarget, ctx: AnalysisContext): AttachVerdicts {
  const key = `${targetKey(target)}@${ctx.cache.kernelsKey(ctx.atlas, ctx.targets)}`;
  return ctx.cache.table<AttachVerdicts>(REPORTS_TABLE).get(key) ?? ctx.cache.remember('verdicts', key, () => computeVerdicts(target, ctx));
}

function computeVerdicts(target: AttachTarget, ctx: AnalysisContext): AttachVerdicts {
  const family = familyOf(target.name);
  const kernels = ctx.targets.map((id) => verdictFor(ctx, id, target, family));
  const differences = shapeDifferences(target, kernels, ctx);
  let worst: Status = 'ok';
  for (const k of kernels) worst = worse(worst, k.status);
  for (const d of differences) worst = worse(worst, HAZARD_SEVERITY[d.hazard]);
  const failing = kernels.filter((k) => k.status === 'error')
    .map((k) => ({ kernel: k.kernel, hazards: k.hazards.filter((h) => h.severity === 'error') }));
  const degraded = kernels.filter((k) => k.status === 'warning')
    .map((k) => ({ kernel: k.kernel, hazards: k.hazards.filter((h) => h.severity === 'warning') }));
  const unknownOn = kernels.filter((k) => k.hazards.some((h) => h.name === 'unknown')).map((k) => k.kernel);
  return { target, kernels, worst, failing, degraded, unknownOn, differences };
}

/** How a verdict names its kernel in a line: `debian-12 (6.1)`. */
export function verdictLabel(v: KernelVerdict): string {
  return v.version ? `${v.kernel} (${v.version})` : v.kernel;
}

/** One line per kernel for relatedInformation and CLI detail: `debian-12 (6.1): fully inlined ...`. */
export function verdictLine(v: KernelVerdict): string {
  return `${verdictLabel(v)}: ${verdictText(v)}`;
}

/** What verdictLine says after the kernel's label. */
export function verdictText(v: KernelVerdict): string {
  if (!v.hazards.length) {
    if (v.matches !== undefined) return `matches ${v.matchesTruncated ? 'at least ' : ''}${v.matches} function${v.matches === 1 ? '' : 's'}.`;
    return `attaches${v.assessment.proto ? ` (${v.assessment.proto})` : ''}.`;
  }
  const parts = v.hazards.map((h) => {
    let text = `${h.name}: ${h.message}`;
    if (h.name === 'partially-inlined' && v.assessment.inlinedSites !== undefined && !h.message.includes(String(v.assessment.inlinedSites))) {
      text += ` (${v.assessment.inlinedSites} inlined call site${v.assessment.inlinedSites === 1 ? '' : 's'})`;
    }
    if (h.name === 'renamed' && v.assessment.attachAs && !h.message.includes(v.assessment.attachAs)) text += ` (attach to ${v.assessment.attachAs})`;
    return text;
  });
  return parts.join(' ');
}
