// What one bpftrace probe means on the target kernels, computed once and shared by diagnostics,
// quick fixes and hover: the cross-kernel attach report (analysis/report.ts: the hazard
// taxonomy is decided there, not here), wildcard expansion per kernel the way bpftrace expands it,
// and the rewrites worth offering, written as bpftrace probes.

import { kernelConfigHazard } from '../../atlas/kernelConfig';
import { tracepointHeads, type AttachTarget, type Hazard, type KernelQuery } from '../../atlas/model';
import { baseName } from '../../model/symbols';
import type { BtProbe } from '../../syntax/bpftrace';
import { compileGlob } from '../../model/glob';
import { isKprobeKind } from '../../model/programKinds';
import type { StableAlternative } from '../../analysis/alternatives';
import { targetKey } from '../../analysis/cache';
import { GLOB_MATCH_LIMIT, matchFunctionGlob } from '../../analysis/globs';
import { attachReport, suggestedNames, type AttachReport } from '../../analysis/report';
import { probeTargets } from '../../analysis/targets';
import type { FeatureContext } from '../shared/context';
import { kernelOf, probeText } from './common';

/** How a wildcard probe expands on one kernel. */
export interface WildcardOnKernel {
  kernel: string;
  /** False when the kernel could not be loaded (nothing is said about it). */
  known: boolean;
  /** Symbols or events bpftrace attaches to. */
  attachable: string[];
  /** Matched, but refused or skipped by bpftrace, with the hazard that explains it. */
  skipped: { symbol: string; hazard: 'kprobe-blacklist' | 'notrace' | 'no-btf' }[];
  /** Attachable matches that carry a compiler suffix (`.isra.0`, `.constprop.0`). */
  clones: string[];
  /** More names match than were expanded (GLOB_MATCH_LIMIT): `attachable` and `skipped` hold the
   *  first matches only, and `functions` is the count. */
  truncated?: boolean;
  /** Functions matched (by name, counted to the end; notrace and blacklisted ones included). */
  functions?: number;
  /** `functions` is a lower bound (globs.ts `exact`). */
  functionsAtLeast?: boolean;
  /** Nothing matched, but the kernel's atlas does not cover modules (nor, for DepSurf data,
   *  syscall events): absence there proves nothing, as assess() says `unknown` for one name. */
  inconclusive?: boolean;
  /** The kernel's configuration refuses this kind of probe altogether (atlas/kernelConfig.ts):
   *  nothing attaches, whatever matches. */
  refused?: Hazard;
}

/** A rewrite of the probe text. */
export interface ProbeRewrite {
  title: string;
  newText: string;
  /** Why: `alternative`, `rename`, `closest`. */
  reason: 'alternative' | 'rename' | 'closest';
  preferred?: boolean;
}

export interface ProbeAnalysis {
  probe: BtProbe;
  targets: AttachTarget[];
  /** Reports for exact (non-wildcard) targets, one per target. */
  reports: AttachReport[];
  /** Per-kernel expansion for wildcard targets, one array per target. */
  wildcards: { target: AttachTarget; perKernel: WildcardOnKernel[] }[];
  /** Stable alternatives that exist on every target, as bpftrace probes. */
  alternatives: { probe: string; alternative: StableAlternative }[];
  rewrites: ProbeRewrite[];
}

/** Expands a function glob on one kernel the way bpftrace does: kprobes from the traceable
 *  functions (available_filter_functions: notrace and blacklisted functions drop out), fentry
 *  from BTF functions with an ftrace site. */
export function expandFunctionGlob(ctx: Pick<FeatureContext, 'cache'>, kernel: KernelQuery, kernelId: string, kind: AttachTarget['kind'], glob: string): WildcardOnKernel {
  const out: WildcardOnKernel = { kernel: kernelId, known: true, attachable: [], skipped: [], clones: [] };
  const { symbols, truncated, functions, exact } = matchFunctionGlob(ctx, kernel, glob, 'bpftrace', GLOB_MATCH_LIMIT);
  if (truncated) out.truncated = true;
  out.functions = functions;
  if (!exact) out.functionsAtLeast = true;
  const matcher = compileGlob(glob, 'bpftrace');
  const seenBase = new Set<string>();
  for (const symbol of symbols) {
    const base = baseName(symbol);
    const facts = kernel.fn(base);
    if (isKprobeKind(kind)) {
      if (facts?.kprobeBlacklisted === true) out.skipped.push({ symbol, hazard: 'kprobe-blacklist' });
      else if (facts?.ftrace === false) out.skipped.push({ symbol, hazard: 'notrace' });
      else {
        out.attachable.push(symbol);
        if (symbol !== base) out.clones.push(symbol);
      }
    } else {
      // fentry/fexit attach by BTF name: clones collapse onto their base function.
      if (seenBase.has(base) || !matcher.test(base)) continue;
      seenBase.add(base);
      if (facts?.inBtf === false) out.skipped.push({ symbol: base, hazard: 'no-btf' });
      else if (facts?.ftrace === false) out.skipped.push({ symbol: base, hazard: 'notrace' });
      else out.attachable.push(base);
    }
  }
  return out;
}

/** Trace events matching a system glob and an event glob on one kernel. */
export function expandTracepointGlob(kernel: KernelQuery, kernelId: string, system: string, event: string): WildcardOnKernel {
  const systemGlob = compileGlob(system, 'bpftrace');
  const eventGlob = compileGlob(event, 'bpftrace');
  const attachable: string[] = [];
  for (const tp of tracepointHeads(kernel)) {
    if (tp.event && tp.system && systemGlob.test(tp.system) && eventGlob.test(tp.name)) attachable.push(`${tp.system}:${tp.name}`);
  }
  return { kernel: kernelId, known: true, attachable, skipped: [], clones: [] };
}

function expandOn(ctx: FeatureContext, target: AttachTarget): WildcardOnKernel[] {
  return ctx.targets.map((id) => expandOnKernel(ctx, id, target));
}

/** One wildcard on one kernel, memoised in the cache (keyed by the kernel's instance): a
 *  `kprobe:*` costs a walk over every function name once, not once per diagnostics run. Shared:
 *  callers must not modify it. */
function expandOnKernel(ctx: FeatureContext, id: string, target: AttachTarget): WildcardOnKernel {
  const kernel = kernelOf(ctx, id);
  if (!kernel) return { kernel: id, known: false, attachable: [], skipped: [], clones: [] };
  return ctx.cache.remember('bpftrace-wildcards', `${ctx.cache.instanceId(kernel)}|${targetKey(target)}`, () => {
    const result = expandOnLoadedKernel(ctx, kernel, id, target);
    const modules = ctx.atlas.list().find((m) => m.id === id)?.coverage.modules;
    if (result.known && !result.attachable.length && modules === false) result.inconclusive = true;
    return result;
  });
}

function expandOnLoadedKernel(ctx: FeatureContext, kernel: KernelQuery, id: string, target: AttachTarget): WildcardOnKernel {
  const refused = kernelConfigHazard(kernel.meta, target);
  if (refused?.severity === 'error') return { kernel: id, known: true, attachable: [], skipped: [], clones: [], refused };
  if (target.kind === 'tracepoint') return expandTracepointGlob(kernel, id, target.system ?? '*', target.name);
  if (target.kind === 'raw_tp') {
    const glob = compileGlob(target.name, 'bpftrace');
    return { kernel: id, known: true, attachable: tracepointHeads(kernel).filter((t) => glob.test(t.name)).map((t) => t.name), skipped: [], clones: [] };
  }
  return expandFunctionGlob(ctx, kernel, id, target.kind, target.name);
}

/** bpftrace has no tp_btf probe: an alternative the atlas phrases as tp_btf becomes the classic
 *  tracepoint (what bpftrace tools use) when every target has the trace event, else a
 *  rawtracepoint. */
function asBpftraceAlternative(ctx: FeatureContext, alt: StableAlternative): string | undefined {
  const t = alt.target;
  if (t.kind === 'tp_btf' || (t.kind === 'tracepoint' && !t.system)) {
    let system: string | undefined = t.system;
    let everywhere = true;
    for (const id of ctx.targets) {
      const tp = kernelOf(ctx, id)?.tracepoint(t.name, system);
      if (!tp?.event || !tp.system) { everywhere = false; break; }
      system = system ?? tp.system;
    }
    if (everywhere && system) return `tracepoint:${system}:${t.name}`;
    return `rawtracepoint:${t.name}`;
  }
  if (t.kind === 'ksyscall' || t.kind === 'kretsyscall' || t.kind === 'lsm') {
    // Only offered when the syscall tracepoint exists on every target.
    const text = probeText(t);
    if (!text) return undefined;
    const [, system, event] = text.split(':');
    const onAll = ctx.targets.every((id) => !!kernelOf(ctx, id)?.tracepoint(event, system)?.event);
    return onAll ? text : undefined;
  }
  return probeText(t);
}

/** Analyse one probe over the target kernels. Probes the atlas does not index give empty results.
 *  The rewrites do not include the closest names for a misspelt target: closestRewrites() adds
 *  them where they are shown (a spelling search is the costliest part of an analysis). */
export function analyseProbe(probe: BtProbe, ctx: FeatureContext): ProbeAnalysis {
  const targets = probeTargets(probe);
  const analysis: ProbeAnalysis = { probe, targets, reports: [], wildcards: [], alternatives: [], rewrites: [] };
  if (!targets.length || !ctx.targets.length) return analysis;
  if (probe.module && probe.module !== 'vmlinux' && !moduleCovered(ctx)) return analysis;
  for (const target of targets) {
    if (target.pattern) analysis.wildcards.push({ target, perKernel: expandOn(ctx, target) });
    else analysis.reports.push(attachReport(target, ctx));
  }
  // Rewrites only make sense for a probe that names one exact target.
  if (analysis.reports.length !== 1 || targets.length !== 1) return analysis;
  const report = analysis.reports[0];
  const module = probe.module;
  for (const alt of report.alternatives) {
    if (alt.reason === 'fentry' || alt.reason === 'fexit') {
      if (!ctx.settings.hints.preferFentry) continue;
    } else if (!ctx.settings.hints.preferTracepoints && report.worst !== 'error') continue;
    const text = asBpftraceAlternative(ctx, alt);
    if (!text || text === probe.raw || analysis.alternatives.some((a) => a.probe === text)) continue;
    analysis.alternatives.push({ probe: text, alternative: alt });
  }
  const isEntry = probe.kind === 'kprobe' || probe.kind === 'fentry';
  analysis.alternatives.forEach((a, i) => {
    const why = a.alternative.reason === 'equivalent' ? 'the equivalent tracepoint'
      : a.alternative.reason === 'related' ? 'a related tracepoint'
        : a.alternative.reason === 'fentry' || a.alternative.reason === 'fexit' ? 'BTF-typed, cheaper' : 'stable on every target';
    analysis.rewrites.push({
      title: `Replace with ${a.probe} (${why})`, newText: a.probe, reason: 'alternative',
      preferred: i === 0 && isEntry && report.worst === 'error',
    });
  });
  if (report.rename && (probe.kind === 'kprobe' || probe.kind === 'kretprobe')) {
    const prefix = `${probe.typeText}:${module ? `${module}:` : ''}`;
    const pattern = `${prefix}${report.rename.pattern}`;
    const counts = report.rename.patternMatches.map((m) => `${m.kernel}: ${m.symbols.join(', ') || 'none'}`).join('; ');
    analysis.rewrites.push({
      title: `Replace with ${pattern} (also catches the compiler clone; ${counts})`, newText: pattern, reason: 'rename',
      preferred: report.worst === 'error' && !analysis.rewrites.some((r) => r.preferred),
    });
    if (report.rename.exact) {
      analysis.rewrites.push({ title: `Replace with ${prefix}${report.rename.exact} (the symbol on every target)`, newText: `${prefix}${report.rename.exact}`, reason: 'rename' });
    }
  }
  // A tracepoint filed under the wrong system: the event exists, under one system, everywhere.
  if (probe.kind === 'tracepoint' && probe.event && report.worst === 'error') {
    const systems = new Set(ctx.targets.map((id) => kernelOf(ctx, id)?.tracepoint(probe.event!)?.system));
    const [system] = [...systems];
    if (systems.size === 1 && system && system !== probe.system) {
      const text = `${probe.typeText}:${system}:${probe.event}`;
      analysis.rewrites.push({ title: `Did you mean ${text}? (${probe.event} is in system ${system})`, newText: text, reason: 'closest', preferred: true });
    }
  }
  return analysis;
}

/** The rewrites to the closest existing names when the probe names one exact target that deserves
 *  a spelling check (after analyseProbe's own rewrites, in this order). */
export function closestRewrites(analysis: ProbeAnalysis, ctx: FeatureContext): ProbeRewrite[] {
  if (analysis.reports.length !== 1 || analysis.targets.length !== 1) return [];
  const probe = analysis.probe;
  const module = probe.module;
  return suggestedNames(analysis.reports[0], ctx).map((name) => {
    const text = probe.kind === 'tracepoint'
      ? closestTracepointText(ctx, probe, name)
      : `${probe.typeText}:${module ? `${module}:` : ''}${name}${probe.offset ? `+${probe.offset}` : ''}`;
    return { title: `Did you mean ${text}?`, newText: text, reason: 'closest' };
  });
}

function closestTracepointText(ctx: FeatureContext, probe: BtProbe, event: string): string {
  const kernel = ctx.targets.map((id) => kernelOf(ctx, id)).find(Boolean);
  const system = kernel?.tracepoint(event)?.system ?? probe.system ?? '';
  return `${probe.typeText}:${system}:${event}`;
}

/** Every target kernel's facts include module functions and tracepoints. */
export function moduleCovered(ctx: FeatureContext): boolean {
  const metas = ctx.atlas.list();
  return ctx.targets.every((id) => metas.find((m) => m.id === id)?.coverage.modules === true);
}
