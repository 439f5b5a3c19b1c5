// The cross-kernel report for one attach target: what happens on each target kernel (from the
// atlas's assess()), the worst outcome, how the hook differs between kernels, the stable
// alternatives that exist on every target, and the closest real names for a misspelt target.
// Pure: reads the atlas through the FeatureContext and returns plain data. libbpf C diagnostics,
// quick fixes, `bpf-atlas check` and the bpftrace features all build on it, so it knows nothing of
// C or bpftrace syntax.

import { HAZARD_DOCS, HAZARD_SEVERITY, worse, type Status } from '../model/hazards';
import type {
  Assessment, AtlasQuery, AttachKind, AttachTarget, Hazard, HazardName, KernelQuery, Param, Severity, TraceField,
} from '../atlas/model';
import { compileGlob, lowerBound, type GlobDialect } from '../model/glob';
import { hazardApplies, isFunctionKind } from '../model/programKinds';
import { baseName, hasCompilerSuffix, isFragment, preferredSymbol } from '../model/symbols';
import { assess } from '../atlas/assess';
import { cTypeKey } from '../model/cTypes';
import type { Equivalent } from '../knowledge/types';
import type { FeatureContext } from './context';

export { HAZARD_SEVERITY, worse, type Status };

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
  /** For glob targets (kprobe.multi, bpftrace wildcards): attachable symbols matched. */
  matches?: number;
  /** More symbols match than were counted (GLOB_MATCH_LIMIT). */
  matchesTruncated?: boolean;
}

/** A difference of the hook's shape between target kernels (stray reads, not attach failures). */
export interface ShapeDifference {
  hazard: 'signature-changed' | 'fields-changed' | 'args-changed';
  /** One line: what changed, e.g. "parameter `flags` added; `rq` changed type". */
  message: string;
  /** Kernels grouped by the variant they carry, in target order. */
  variants: { kernels: string[]; text: string }[];
}

export type AlternativeReason = 'equivalent' | 'related' | 'fentry' | 'fexit' | 'ksyscall' | 'btf-tracepoint';

/** A stable hook that can replace the target on every target kernel. */
export interface StableAlternative {
  target: AttachTarget;
  reason: AlternativeReason;
  /** Why it is offered, one line. */
  note: string;
  since?: string;
  caveat?: string;
  evidence?: string;
  source?: string;
  /** Its assessment on each target kernel, in target order. */
  perKernel: Assessment[];
}

/** An equivalent that exists on some targets only (e.g. `block:block_io_start` from 6.5). */
export interface PartialAlternative {
  target: AttachTarget;
  presentOn: string[];
  missingOn: string[];
  since?: string;
  caveat?: string;
  evidence?: string;
}

/** Where only compiler-suffixed symbols exist, or clones sit beside the plain symbol: what to
 *  attach to instead. */
export interface RenameAdvice {
  /** Kernels that need the suffixed name, with that name. */
  perKernel: { kernel: string; symbol: string }[];
  /** One exact symbol that every target has, when there is one. */
  exact?: string;
  /** A glob for kprobe.multi that catches the plain name and its clones on every target. */
  pattern: string;
  /** Symbols the pattern matches on each target (names, attachable ones only). */
  patternMatches: { kernel: string; symbols: string[] }[];
}

export interface AttachReport {
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
  alternatives: StableAlternative[];
  partialAlternatives: PartialAlternative[];
  rename?: RenameAdvice;
  /** Closest existing names on all targets, for a target absent from at least one. */
  closest: string[];
}

export interface ReportOptions {
  /** Skip the edit-distance search (it scans every name of the kind). */
  closest?: boolean;
  /** Maximum closest names. */
  closestLimit?: number;
}

export { isFunctionKind };

/** Hazards that are about a kind of program other than this one are dropped (a kprobe does not
 *  need BTF or an ftrace site; an fentry is not refused by the kprobe blacklist). assess() sets
 *  the severities; `unknown` is capped at information whatever its source says. */
function relevantHazards(kind: AttachKind, hazards: readonly Hazard[]): Hazard[] {
  const out: Hazard[] = [];
  for (const h of hazards) {
    if (!hazardApplies(kind, h.name)) continue;
    const severity: Severity = h.name === 'unknown' ? 'info' : h.severity;
    if (out.some((o) => o.name === h.name)) continue;
    out.push({ ...h, severity });
  }
  return out;
}

function statusOf(hazards: readonly Hazard[], a: Assessment): Status {
  let s: Status = 'ok';
  for (const h of hazards) s = worse(s, h.severity);
  if (!a.found && s === 'ok' && !hazards.some((h) => h.name === 'unknown')) s = 'error';
  if (a.found && !a.attachable && s !== 'error' && !hazards.some((h) => h.name === 'unknown')) s = 'error';
  return s;
}

// ---- glob targets ----

const sortedCopies = new WeakMap<readonly string[], readonly string[]>();

/** A kernel's function names in code-unit order: the list itself when the kernel keeps it
 *  sorted (atlas files), else a sorted copy made once per list (the running kernel gives its
 *  names in no set order, and wildcard matches should not depend on kallsyms order). */
export function sortedFunctionNames(kernel: KernelQuery): readonly string[] {
  const names = kernel.functionNames();
  let sorted = sortedCopies.get(names);
  if (!sorted) {
    let inOrder = true;
    for (let i = 1; i < names.length && inOrder; i++) if (names[i - 1] > names[i]) inOrder = false;
    sorted = inOrder ? names : [...names].sort();
    sortedCopies.set(names, sorted);
  }
  return sorted;
}

/** Most symbols a glob is matched to on one kernel: past it, counts say "more than". */
export const GLOB_MATCH_LIMIT = 10_000;

export interface FunctionGlobMatches {
  /** Symbols the glob attaches to, in name order, at most the limit. */
  symbols: string[];
  /** More symbols match than the limit. */
  truncated: boolean;
}

/** Symbols a function glob attaches to on one kernel, in the dialect's semantics (model/glob.ts).
 *  `.cold` fragments are not functions of their own (no ftrace site, not in
 *  available_filter_functions), so they never count; `.part` copies are real functions and do.
 *  Each function name that starts with the glob's literal prefix is visited once, and its facts
 *  are decoded only when the glob matches the name or may match a suffixed copy of it; the walk
 *  stops after `limit` symbols. */
export function matchFunctionGlob(kernel: KernelQuery, pattern: string, dialect: GlobDialect = 'libbpf', limit = Infinity): FunctionGlobMatches {
  const glob = compileGlob(pattern, dialect);
  const symbols: string[] = [];
  let truncated = false;
  const visit = (name: string): boolean => {
    if (!glob.test(name) && !glob.mayMatchAfter(`${name}.`)) return true;
    const seen = new Set<string>();
    for (const sym of kernel.fn(name)?.symbols ?? []) {
      if (seen.has(sym) || isFragment(sym) || !glob.test(sym)) continue;
      seen.add(sym);
      if (symbols.length >= limit) {
        truncated = true;
        return false;
      }
      symbols.push(sym);
    }
    return true;
  };
  const prefix = glob.prefix;
  const dot = prefix.indexOf('.');
  if (dot > 0) {
    // `name.isra*`: only the base name before the suffix can own matching symbols.
    visit(prefix.slice(0, dot));
    return { symbols, truncated };
  }
  // In name order, so that a limit keeps the same (first) matches on every kernel.
  const names = sortedFunctionNames(kernel);
  for (let i = lowerBound(names.length, (k) => names[k], prefix); i < names.length && names[i].startsWith(prefix); i++) {
    if (!visit(names[i])) break;
  }
  return { symbols, truncated };
}

// ---- the report ----

/** Kernel metadata for messages, tolerating a target the atlas cannot load. */
function kernelLabel(ctx: FeatureContext, id: string): { release?: string; version?: string } {
  const meta = ctx.atlas.list().find((m) => m.id === id);
  return { release: meta?.release, version: meta?.version };
}

/** Assess a target on one kernel; a kernel that fails to load is reported as `unknown` for it. */
export function assessOn(ctx: FeatureContext, kernelId: string, target: AttachTarget): Assessment {
  let kernel: KernelQuery;
  try {
    kernel = ctx.atlas.get(kernelId);
  } catch (err) {
    return {
      kernel: kernelId, found: false, attachable: false,
      hazards: [{ name: 'unknown', severity: 'info', message: `Kernel ${kernelId} could not be loaded: ${(err as Error).message}` }],
    };
  }
  return assess(kernel, target);
}

function verdictFor(ctx: FeatureContext, kernelId: string, target: AttachTarget): KernelVerdict {
  const label = kernelLabel(ctx, kernelId);
  if (target.pattern && isFunctionKind(target.kind)) {
    let matches: string[] = [];
    let truncated = false;
    let loadError: string | undefined;
    try {
      ({ symbols: matches, truncated } = matchFunctionGlob(ctx.atlas.get(kernelId), target.name, 'libbpf', GLOB_MATCH_LIMIT));
    } catch (err) {
      loadError = (err as Error).message;
    }
    const hazards: Hazard[] = loadError
      ? [{ name: 'unknown', severity: 'info', message: `Kernel ${kernelId} could not be loaded: ${loadError}` }]
      : matches.length ? [] : [{ name: 'absent', severity: 'error', message: `The pattern ${target.name} matches no function.` }];
    const assessment: Assessment = {
      kernel: kernelId, found: matches.length > 0, attachable: matches.length > 0, hazards, symbols: matches.slice(0, 50),
    };
    return { kernel: kernelId, ...label, assessment, hazards, status: statusOf(hazards, assessment), matches: matches.length, matchesTruncated: truncated || undefined };
  }
  const assessment = assessOn(ctx, kernelId, target);
  const hazards = relevantHazards(target.kind, assessment.hazards);
  return { kernel: kernelId, ...label, assessment, hazards, status: statusOf(hazards, assessment) };
}

// ---- memo ----
//
// A report depends only on the target, the target kernels' facts and the knowledge tables, all
// immutable once loaded, and diagnostics rerun on every edit. So reports and spelling searches are
// memoised in a WeakMap keyed by the AtlasQuery (a new Atlas, e.g. after the live kernel changes,
// starts fresh) and then by the Knowledge; keys name each target kernel's KernelQuery instance, so
// a kernel reloaded in place misses too. Each memo is bounded (least recently used goes first).

const MEMO_LIMIT = 4000;

interface FeatureMemo {
  reports: Map<string, AttachReport>;
  closest: Map<string, string[]>;
}

const memos = new WeakMap<AtlasQuery, WeakMap<object, FeatureMemo>>();
const instanceIds = new WeakMap<object, number>();
let nextInstanceId = 1;

function instanceId(o: object): number {
  let id = instanceIds.get(o);
  if (id === undefined) {
    id = nextInstanceId++;
    instanceIds.set(o, id);
  }
  return id;
}

function memoOf(ctx: FeatureContext): FeatureMemo {
  let byKnowledge = memos.get(ctx.atlas);
  if (!byKnowledge) {
    byKnowledge = new WeakMap();
    memos.set(ctx.atlas, byKnowledge);
  }
  let memo = byKnowledge.get(ctx.knowledge);
  if (!memo) {
    memo = { reports: new Map(), closest: new Map() };
    byKnowledge.set(ctx.knowledge, memo);
  }
  return memo;
}

/** The target kernels as loaded now: ids with their KernelQuery instances (`!` when unloadable). */
function kernelsKey(ctx: FeatureContext): string {
  return ctx.targets.map((id) => {
    try {
      return `${id}#${instanceId(ctx.atlas.get(id))}`;
    } catch {
      return `${id}#!`;
    }
  }).join(',');
}

function targetKey(target: AttachTarget): string {
  return `${target.kind}|${target.system ?? ''}|${target.pattern ? '*' : ''}|${target.name}`;
}

function remember<T>(map: Map<string, T>, key: string, compute: () => T): T {
  const hit = map.get(key);
  if (hit !== undefined) {
    map.delete(key);
    map.set(key, hit);
    return hit;
  }
  const value = compute();
  if (map.size >= MEMO_LIMIT) map.delete(map.keys().next().value as string);
  map.set(key, value);
  return value;
}

/** Whether a report's target deserves a spelling check: missing somewhere for sure, or missing
 *  from every target (even where the atlas cannot rule out a module), and no renamed symbol
 *  explains it. */
export function wantsClosestNames(report: AttachReport): boolean {
  if (report.target.pattern || report.rename) return false;
  const absentSomewhere = report.kernels.some((k) => !k.assessment.found && !k.hazards.some((h) => h.name === 'unknown'));
  const missingEverywhere = report.kernels.length > 0 && report.kernels.every((k) => !k.assessment.found);
  return absentSomewhere || missingEverywhere;
}

/** The cross-kernel report of one target, memoised (see above). Reports are shared between
 *  requests: callers must not modify them. */
export function attachReport(target: AttachTarget, ctx: FeatureContext, options: ReportOptions = {}): AttachReport {
  const memo = memoOf(ctx);
  const report = remember(memo.reports, `${targetKey(target)}@${kernelsKey(ctx)}`, () => computeReport(target, ctx));
  if (options.closest === false || !wantsClosestNames(report)) return report;
  const closest = closestNames(target, ctx, options.closestLimit ?? 5);
  return closest.length ? { ...report, closest } : report;
}

function computeReport(target: AttachTarget, ctx: FeatureContext): AttachReport {
  const kernels = ctx.targets.map((id) => verdictFor(ctx, id, target));
  const differences = shapeDifferences(target, kernels, ctx);
  let worst: Status = 'ok';
  for (const k of kernels) worst = worse(worst, k.status);
  for (const d of differences) worst = worse(worst, HAZARD_SEVERITY[d.hazard]);

  const failing = kernels.filter((k) => k.status === 'error')
    .map((k) => ({ kernel: k.kernel, hazards: k.hazards.filter((h) => h.severity === 'error') }));
  const degraded = kernels.filter((k) => k.status === 'warning')
    .map((k) => ({ kernel: k.kernel, hazards: k.hazards.filter((h) => h.severity === 'warning') }));
  const unknownOn = kernels.filter((k) => k.hazards.some((h) => h.name === 'unknown')).map((k) => k.kernel);

  const { alternatives, partialAlternatives } = findAlternatives(target, ctx);
  const rename = target.pattern ? undefined : renameAdvice(target, ctx, kernels);
  return { target, kernels, worst, failing, degraded, unknownOn, differences, alternatives, partialAlternatives, rename, closest: [] };
}

// ---- shape differences between kernels ----

/** Parameter types only: a renamed parameter reads the same value, a retyped or moved one does not. */
function paramsText(params: readonly Param[] | undefined): string {
  return (params ?? []).map((p) => cTypeKey(p.type)).join(', ');
}

/** Record fields by name and type; the common header and `__data_loc` spellings do not count. */
function fieldsText(fields: readonly TraceField[] | undefined): string {
  return (fields ?? []).filter((f) => !f.name.startsWith('common_'))
    .map((f) => {
      const dataLoc = f.name.startsWith('__data_loc_') || f.type.includes('__data_loc');
      return `${f.name.replace(/^__data_loc_/, '')}:${dataLoc ? '__data_loc' : cTypeKey(f.type)}`;
    }).join('; ');
}

function recordFields(fields: readonly TraceField[] | undefined): { name: string; type: string }[] {
  return (fields ?? []).filter((f) => !f.name.startsWith('common_'))
    .map((f) => ({ name: f.name.replace(/^__data_loc_/, ''), type: f.type.includes('__data_loc') || f.name.startsWith('__data_loc_') ? '__data_loc' : cTypeKey(f.type) }));
}

/** What changed from one list of named, typed items to another, in a few words. */
export function describeChange(
  before: readonly { name: string; type: string }[], after: readonly { name: string; type: string }[], noun: string,
): string {
  const parts: string[] = [];
  const beforeByName = new Map(before.map((p) => [p.name, p]));
  const afterByName = new Map(after.map((p) => [p.name, p]));
  for (const p of after) if (!beforeByName.has(p.name)) parts.push(`${noun} \`${p.name}\` added`);
  for (const p of before) if (!afterByName.has(p.name)) parts.push(`${noun} \`${p.name}\` removed`);
  for (const p of after) {
    const old = beforeByName.get(p.name);
    if (old && cTypeKey(old.type) !== cTypeKey(p.type)) parts.push(`\`${p.name}\` changed type (${old.type} → ${p.type})`);
  }
  if (!parts.length) {
    const orderBefore = before.map((p) => p.name).join(',');
    const orderAfter = after.map((p) => p.name).join(',');
    if (orderBefore !== orderAfter) parts.push(`${noun}s reordered`);
  }
  return parts.join('; ');
}

/** The parameters of a function-like target on one kernel, for signature comparison. */
function hookParamsOn(ctx: FeatureContext, kernelId: string, target: AttachTarget, a: Assessment): Param[] | undefined {
  if (a.args) return a.args;
  let kernel: KernelQuery;
  try {
    kernel = ctx.atlas.get(kernelId);
  } catch {
    return undefined;
  }
  if (target.kind === 'lsm') return kernel.lsmHook(target.name)?.proto?.params;
  if (isFunctionKind(target.kind)) return kernel.fn(baseName(target.name))?.proto?.params;
  return undefined;
}

function shapeDifferences(target: AttachTarget, kernels: readonly KernelVerdict[], ctx: FeatureContext): ShapeDifference[] {
  const found = kernels.filter((k) => k.assessment.found);
  if (found.length < 2 || target.pattern) return [];
  const paramsByKernel = new Map<string, Param[]>();
  for (const k of found) {
    const params = hookParamsOn(ctx, k.kernel, target, k.assessment);
    if (params) paramsByKernel.set(k.kernel, params);
  }
  const out: ShapeDifference[] = [];
  const group = (key: (a: Assessment) => string | undefined) => {
    const variants: { kernels: string[]; text: string; a: Assessment }[] = [];
    for (const k of found) {
      const text = key(k.assessment);
      if (text === undefined) continue;
      const v = variants.find((x) => x.text === text);
      if (v) v.kernels.push(k.kernel);
      else variants.push({ kernels: [k.kernel], text, a: k.assessment });
    }
    return variants;
  };
  if (isFunctionKind(target.kind) || target.kind === 'lsm' || target.kind === 'ksyscall' || target.kind === 'kretsyscall') {
    const variants = group((a) => {
      const params = paramsByKernel.get(a.kernel);
      return params ? paramsText(params) : a.proto;
    });
    if (variants.length > 1) {
      const argsOf = (a: Assessment) => paramsByKernel.get(a.kernel) ?? a.args ?? [];
      const first = variants[0];
      const changes = variants.slice(1).map((v) => {
        const what = describeChange(argsOf(first.a), argsOf(v.a), 'parameter');
        return what ? `${what} on ${v.kernels.join(', ')}` : '';
      }).filter(Boolean);
      out.push({
        hazard: 'signature-changed',
        message: changes.length ? `The prototype differs between targets: ${changes.join('; ')} (compared with ${first.kernels.join(', ')}).`
          : 'The prototype differs between targets.',
        variants: variants.map(({ kernels: ks, text }) => ({ kernels: ks, text })),
      });
    }
  }
  if (target.kind === 'tracepoint') {
    const variants = group((a) => (a.fields ? fieldsText(a.fields) : undefined));
    if (variants.length > 1) {
      const first = variants[0];
      const changes = variants.slice(1).map((v) => {
        const what = describeChange(recordFields(first.a.fields), recordFields(v.a.fields), 'field');
        return what ? `${what} on ${v.kernels.join(', ')}` : '';
      }).filter(Boolean);
      out.push({
        hazard: 'fields-changed',
        message: changes.length ? `The record fields differ between targets: ${changes.join('; ')} (compared with ${first.kernels.join(', ')}).`
          : 'The record fields differ between targets.',
        variants: variants.map(({ kernels: ks, text }) => ({ kernels: ks, text })),
      });
    }
  }
  if (target.kind === 'tp_btf' || target.kind === 'raw_tp') {
    const variants = group((a) => (a.args ? paramsText(a.args) : undefined));
    if (variants.length > 1) {
      const first = variants[0];
      const changes = variants.slice(1).map((v) => {
        const what = describeChange(first.a.args ?? [], v.a.args ?? [], 'argument');
        return what ? `${what} on ${v.kernels.join(', ')}` : '';
      }).filter(Boolean);
      out.push({
        hazard: 'args-changed',
        message: changes.length ? `The tracepoint arguments differ between targets: ${changes.join('; ')} (compared with ${first.kernels.join(', ')}).`
          : 'The tracepoint arguments differ between targets.',
        variants: variants.map(({ kernels: ks, text }) => ({ kernels: ks, text })),
      });
    }
  }
  return out;
}

// ---- stable alternatives ----

/** Attachable without an error or warning on every target (unknown facts do not disqualify). */
function onEveryTarget(ctx: FeatureContext, target: AttachTarget): { ok: boolean; perKernel: Assessment[]; presentOn: string[]; missingOn: string[] } {
  const perKernel = ctx.targets.map((id) => assessOn(ctx, id, target));
  const presentOn: string[] = [];
  const missingOn: string[] = [];
  perKernel.forEach((a, i) => {
    const hazards = relevantHazards(target.kind, a.hazards);
    // A replacement that silently misses calls (partially inlined, clones) is no better.
    const fails = !a.found || !a.attachable || hazards.some((h) => h.severity === 'error' || h.severity === 'warning');
    (fails ? missingOn : presentOn).push(ctx.targets[i]);
  });
  return { ok: missingOn.length === 0 && perKernel.length > 0, perKernel, presentOn, missingOn };
}

function sameTarget(a: AttachTarget, b: AttachTarget): boolean {
  return a.kind === b.kind && a.name === b.name && (a.system ?? '') === (b.system ?? '');
}

/** The tracepoint form that works on every target: tp_btf when all have BTF for it, else the
 *  classic trace event. */
function bestTracepointForm(ctx: FeatureContext, name: string, system: string | undefined) {
  const btf = onEveryTarget(ctx, { kind: 'tp_btf', name });
  if (btf.ok) return { target: { kind: 'tp_btf' as AttachKind, name }, check: btf };
  const classic = onEveryTarget(ctx, { kind: 'tracepoint', name, system });
  if (classic.ok) return { target: { kind: 'tracepoint' as AttachKind, name, system: system ?? classic.perKernel.find((a) => a.system)?.system }, check: classic };
  return { target: undefined, check: classic };
}

/** Knowledge rows for a function; a broken knowledge file (reported by its loader elsewhere)
 *  leaves the report without them rather than failing it. */
function equivalentsOf(ctx: FeatureContext, name: string): readonly Equivalent[] {
  try {
    return ctx.knowledge.equivalentsFor(name);
  } catch {
    return [];
  }
}

const SYSCALL_WRAPPER = /^__(?:x64|ia32|arm64|s390x|riscv|powerpc|se)_sys_(\w+)$/;

/** The syscall a kprobe on an arch wrapper (`__x64_sys_openat`) stands for. */
export function syscallOfWrapper(name: string): string | undefined {
  return SYSCALL_WRAPPER.exec(name)?.[1];
}

function findAlternatives(target: AttachTarget, ctx: FeatureContext) {
  const alternatives: StableAlternative[] = [];
  const partialAlternatives: PartialAlternative[] = [];
  if (target.pattern) return { alternatives, partialAlternatives };
  const add = (alt: StableAlternative) => {
    if (sameTarget(alt.target, target)) return;
    if (!alternatives.some((a) => sameTarget(a.target, alt.target))) alternatives.push(alt);
  };
  const isEntry = target.kind === 'kprobe' || target.kind === 'fentry' || target.kind === 'kprobe.session';

  // A kprobe on a syscall's arch wrapper: libbpf's ksyscall resolves the wrapper itself.
  const syscall = (target.kind === 'kprobe' || target.kind === 'kretprobe') ? syscallOfWrapper(target.name) : undefined;
  if (syscall) {
    const ks: AttachTarget = { kind: target.kind === 'kprobe' ? 'ksyscall' : 'kretsyscall', name: syscall };
    const check = onEveryTarget(ctx, ks);
    if (check.ok) {
      add({
        target: ks, reason: 'ksyscall', perKernel: check.perKernel,
        note: `libbpf resolves the architecture's syscall wrapper (${target.name} on x86-64) and reads the arguments portably with BPF_KSYSCALL.`,
      });
    }
  }

  // Knowledge rows: tracepoints that real tools use instead of this function.
  if (isEntry && isFunctionKind(target.kind)) {
    for (const row of equivalentsOf(ctx, target.name)) {
      for (const alt of row.alternative) {
        if (alt.kind === 'tracepoint' || alt.kind === 'tp_btf' || alt.kind === 'raw_tp') {
          const best = bestTracepointForm(ctx, alt.name, alt.system);
          if (best.target) {
            add({
              target: best.target, reason: row.strength, perKernel: best.check.perKernel,
              note: row.strength === 'equivalent'
                ? `Real tools use the ${alt.system ? `${alt.system}:` : ''}${alt.name} tracepoint instead: ${row.evidence}.`
                : `Related tracepoint ${alt.system ? `${alt.system}:` : ''}${alt.name} (approximate semantics).`,
              since: alt.since ?? row.since, caveat: row.caveat, evidence: row.evidence, source: row.source,
            });
          } else if (best.check.presentOn.length && !partialAlternatives.some((p) => p.target.name === alt.name && p.target.system === alt.system)) {
            partialAlternatives.push({
              target: { kind: 'tracepoint', name: alt.name, system: alt.system },
              presentOn: best.check.presentOn, missingOn: best.check.missingOn,
              since: alt.since ?? row.since, caveat: row.caveat, evidence: row.evidence,
            });
          }
        } else {
          const t: AttachTarget = { kind: alt.kind, name: alt.name, system: alt.system };
          const check = onEveryTarget(ctx, t);
          // A BTF trampoline is only promised where the atlas knows the ftrace site and BTF.
          const needsCertainty = t.kind === 'fentry' || t.kind === 'fexit';
          if (check.ok && (!needsCertainty || check.perKernel.every((a) => !a.hazards.some((h) => h.name === 'unknown')))) {
            add({ target: t, reason: row.strength, perKernel: check.perKernel, note: `Real tools use ${alt.kind}/${alt.name} instead: ${row.evidence}.`,
              since: alt.since ?? row.since, caveat: row.caveat, evidence: row.evidence, source: row.source });
          }
        }
      }
    }
  }

  // fentry/fexit instead of kprobe/kretprobe where every target has BTF and an ftrace site.
  if ((target.kind === 'kprobe' || target.kind === 'kretprobe') && !syscall) {
    const kind: AttachKind = target.kind === 'kprobe' ? 'fentry' : 'fexit';
    const t: AttachTarget = { kind, name: target.name };
    const check = onEveryTarget(ctx, t);
    const trustworthy = check.ok && check.perKernel.every((a) => !a.hazards.some((h) => h.name === 'unknown'));
    if (trustworthy) {
      add({
        target: t, reason: kind, perKernel: check.perKernel,
        note: `${kind} attaches through BTF on every target, costs about 2-5x less than a kprobe and gives typed arguments.`,
      });
    }
  }

  // raw_tp → tp_btf where BTF is everywhere (typed arguments, same cost).
  if (target.kind === 'raw_tp') {
    const check = onEveryTarget(ctx, { kind: 'tp_btf', name: target.name });
    if (check.ok) {
      add({ target: { kind: 'tp_btf', name: target.name }, reason: 'btf-tracepoint', perKernel: check.perKernel,
        note: 'tp_btf gives the same arguments typed through BTF, and direct pointer access.' });
    }
  }
  return { alternatives, partialAlternatives };
}

// ---- renamed symbols ----

function renameAdvice(target: AttachTarget, ctx: FeatureContext, kernels: readonly KernelVerdict[]): RenameAdvice | undefined {
  if (!(target.kind === 'kprobe' || target.kind === 'kretprobe' || target.kind === 'kprobe.session')) return undefined;
  const suffixed = hasCompilerSuffix(target.name);
  const base = baseName(target.name);
  const perKernel: { kernel: string; symbol: string }[] = [];
  for (const k of kernels) {
    if (k.hazards.some((h) => h.name === 'renamed')) {
      perKernel.push({ kernel: k.kernel, symbol: k.assessment.attachAs ?? k.assessment.symbols?.[0] ?? target.name });
    } else if (suffixed && !k.assessment.found) {
      // `kprobe/name.isra.0` on a kernel whose compiler made another (or no) copy.
      let sym: string | undefined;
      try {
        sym = preferredSymbol(base, ctx.atlas.get(k.kernel).fn(base)?.symbols ?? []);
      } catch {
        sym = undefined;
      }
      if (sym) perKernel.push({ kernel: k.kernel, symbol: sym });
    }
  }
  // Plain symbol plus clones (`should_failslab` + `.constprop.0`): no single symbol covers both,
  // only a glob does.
  const clonedOn = kernels.filter((k) => k.hazards.some((h) => h.name === 'clone'));
  if (!perKernel.length && !clonedOn.length) return undefined;
  const candidates = [...new Set([...perKernel.map((p) => p.symbol), base])].filter((sym) => sym !== target.name);
  let exact: string | undefined;
  for (const sym of candidates) {
    const everywhere = ctx.targets.every((id) => {
      try {
        return ctx.atlas.get(id).hasSymbol(sym);
      } catch {
        return false;
      }
    });
    if (everywhere) { exact = sym; break; }
  }
  if (!perKernel.length) exact = undefined;
  const pattern = `${base}*`;
  const patternMatches = ctx.targets.map((id) => {
    try {
      return { kernel: id, symbols: matchFunctionGlob(ctx.atlas.get(id), pattern, 'libbpf', 20).symbols };
    } catch {
      return { kernel: id, symbols: [] };
    }
  });
  return { perKernel, exact, pattern, patternMatches };
}

// ---- closest names for a misspelt target ----

// Rows of editDistance(), grown on demand and reused: the search below calls it for thousands of
// names per request.
let rowPrev2 = new Int32Array(64);
let rowPrev = new Int32Array(64);
let rowCur = new Int32Array(64);

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), giving up as
 *  soon as the distance must exceed `max` (returns max + 1 then). */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  if (rowPrev.length <= n) {
    rowPrev2 = new Int32Array(n + 1);
    rowPrev = new Int32Array(n + 1);
    rowCur = new Int32Array(n + 1);
  }
  let prev2 = rowPrev2;
  let prev = rowPrev;
  let cur = rowCur;
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    const ai = a.charCodeAt(i - 1);
    for (let j = 1; j <= n; j++) {
      const bj = b.charCodeAt(j - 1);
      let v = prev[j - 1] + (ai === bj ? 0 : 1);
      if (prev[j] + 1 < v) v = prev[j] + 1;
      if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj && prev2[j - 2] + 1 < v) v = prev2[j - 2] + 1;
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[n];
}

/** Names of the target's kind on one kernel, and whether a name exists there. */
function namesOfKind(kernel: KernelQuery, target: AttachTarget): { names: () => Iterable<string>; has: (n: string) => boolean } {
  switch (target.kind) {
    case 'tracepoint':
      return {
        names: () => kernel.tracepoints().filter((t) => t.event).map((t) => t.name),
        has: (n) => !!kernel.tracepoint(n)?.event,
      };
    case 'raw_tp':
    case 'tp_btf':
      return { names: () => kernel.tracepoints().map((t) => t.name), has: (n) => !!kernel.tracepoint(n) };
    case 'ksyscall':
    case 'kretsyscall':
      return { names: () => kernel.syscalls().map((s) => s.name), has: (n) => !!kernel.syscall(n) };
    case 'lsm':
      return { names: () => kernel.lsmHooks().map((h) => h.name), has: (n) => !!kernel.lsmHook(n) };
    default:
      return { names: () => kernel.functionNames(), has: (n) => !!kernel.fn(n) || kernel.hasSymbol(n) };
  }
}

/** Character counts of a name (code units folded into 128 buckets), for the cheap lower bound. */
function charCounts(name: string): Int32Array {
  const counts = new Int32Array(128);
  for (let i = 0; i < name.length; i++) counts[name.charCodeAt(i) & 127]++;
  return counts;
}

/** A lower bound of the edit distance from the counts alone: characters one side has and the
 *  other lacks each cost at least one edit. Linear, so most names are dismissed before the
 *  quadratic alignment. */
function countsBound(wanted: Int32Array, wantedLength: number, scratch: Int32Array, name: string): number {
  scratch.set(wanted);
  let extra = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i) & 127;
    if (scratch[c] > 0) scratch[c]--;
    else extra++;
  }
  const missing = wantedLength - (name.length - extra);
  return extra > missing ? extra : missing;
}

/** The closest existing names that exist on every target kernel, nearest first (then the longest
 *  common prefix, then by name). The one spelling search of the features (libbpf C and bpftrace):
 *  it scans every name of the kind on the first target, dismissing most by length and character
 *  counts before aligning, and is memoised per atlas, knowledge and target kernels. */
export function closestNames(target: AttachTarget, ctx: FeatureContext, limit = 5): string[] {
  if (!target.name) return [];
  const memo = memoOf(ctx);
  const key = `${target.kind}|${target.name}|${limit}@${kernelsKey(ctx)}`;
  return remember(memo.closest, key, () => searchClosest(target, ctx, limit));
}

function searchClosest(target: AttachTarget, ctx: FeatureContext, limit: number): string[] {
  const kernels: KernelQuery[] = [];
  for (const id of ctx.targets) {
    try {
      kernels.push(ctx.atlas.get(id));
    } catch {
      // A kernel that cannot load cannot vouch for a name; the others still can.
    }
  }
  if (!kernels.length) return [];
  const wanted = target.name;
  const max = Math.max(1, Math.min(4, Math.floor(wanted.length / 4)));
  const wantedCounts = charCounts(wanted);
  const scratch = new Int32Array(128);
  const scored: { name: string; d: number }[] = [];
  const lookups = kernels.map((k) => namesOfKind(k, target));
  for (const name of lookups[0].names()) {
    if (name === wanted || Math.abs(name.length - wanted.length) > max) continue;
    if (countsBound(wantedCounts, wanted.length, scratch, name) > max) continue;
    const d = editDistance(wanted, name, max);
    if (d <= max) scored.push({ name, d });
  }
  scored.sort((x, y) => x.d - y.d || commonPrefix(wanted, y.name) - commonPrefix(wanted, x.name) || x.name.localeCompare(y.name));
  const out: string[] = [];
  for (const s of scored) {
    if (out.length === limit) break;
    if (lookups.every((l) => l.has(s.name))) out.push(s.name);
  }
  return out;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

// ---- rendering targets as they are written ----

/** One line per kernel for relatedInformation and CLI detail: `debian-12 (6.1): fully inlined ...`. */
export function verdictLine(v: KernelVerdict): string {
  const label = v.version ? `${v.kernel} (${v.version})` : v.kernel;
  if (!v.hazards.length) {
    if (v.matches !== undefined) return `${label}: matches ${v.matchesTruncated ? 'more than ' : ''}${v.matches} function${v.matches === 1 ? '' : 's'}.`;
    return `${label}: attaches${v.assessment.proto ? ` (${v.assessment.proto})` : ''}.`;
  }
  const parts = v.hazards.map((h) => {
    let text = `${h.name}: ${h.message}`;
    if (h.name === 'partially-inlined' && v.assessment.inlinedSites !== undefined && !h.message.includes(String(v.assessment.inlinedSites))) {
      text += ` (${v.assessment.inlinedSites} inlined call site${v.assessment.inlinedSites === 1 ? '' : 's'})`;
    }
    if (h.name === 'renamed' && v.assessment.attachAs && !h.message.includes(v.assessment.attachAs)) text += ` (attach to ${v.assessment.attachAs})`;
    return text;
  });
  return `${label}: ${parts.join(' ')}`;
}

// ---- diagnostic codes and their documentation ----
//
// The codes bpf-atlas diagnostics emit: the public hazard names plus the handler and hint codes.
// They are stable: settings.severity, inline suppressions, `check --format json` and SARIF rule ids
// use them. docs/diagnostics.md has one section per code whose heading is the code itself, so
// `#<code>` is its anchor.

/** Base of every `codeDescription.href`. One constant so that a fork or mirror changes one line. */
export const DIAGNOSTICS_DOCS_URL = 'https://github.com/bpf-atlas/bpf-atlas/blob/main/docs/diagnostics.md';

export type CodeSeverity = 'error' | 'warning' | 'information' | 'hint';

export interface DiagnosticCodeDoc {
  code: string;
  defaultSeverity: CodeSeverity;
  summary: string;
}

/** Codes beyond the hazard taxonomy. */
const EXTRA_CODES: readonly DiagnosticCodeDoc[] = [
  { code: 'field-missing', defaultSeverity: 'warning', summary: 'The handler reads a tracepoint record field that some target kernel does not have.' },
  { code: 'wrong-ctx-type', defaultSeverity: 'warning', summary: 'The handler\'s ctx struct is not the record type of this tracepoint (trace_event_raw_<class>).' },
  { code: 'handler-args', defaultSeverity: 'warning', summary: 'The handler declares arguments that do not match the hook\'s parameters on some target kernel.' },
  { code: 'handler-macro', defaultSeverity: 'warning', summary: 'The handler macro reads another program type\'s context (BPF_PROG on a kprobe, BPF_KPROBE on fentry): every argument is garbage.' },
  { code: 'kernel-too-old', defaultSeverity: 'error', summary: 'The program type needs a newer kernel than some target runs (kprobe.multi needs 5.18, fentry and tp_btf 5.5).' },
  { code: 'prefer-tracepoint', defaultSeverity: 'hint', summary: 'A tracepoint that real tools use instead of this function exists on every target kernel.' },
  { code: 'prefer-fentry', defaultSeverity: 'hint', summary: 'fentry/fexit can attach to this function on every target kernel, at lower cost and with typed arguments.' },
  { code: 'prefer-ksyscall', defaultSeverity: 'hint', summary: 'A kprobe on an architecture\'s syscall wrapper: ksyscall/<name> is portable across architectures.' },
  { code: 'check-failed', defaultSeverity: 'error', summary: 'bpf-atlas check could not read or analyse a file.' },
];

const SEVERITY_NAME: Record<string, CodeSeverity> = { error: 'error', warning: 'warning', info: 'information' };

/** Every code with its documentation, hazards first, in a stable order. */
export function diagnosticCodes(): readonly DiagnosticCodeDoc[] {
  const hazards = (Object.keys(HAZARD_DOCS) as HazardName[]).map((name) => ({
    code: name, defaultSeverity: SEVERITY_NAME[HAZARD_SEVERITY[name]], summary: HAZARD_DOCS[name],
  }));
  return [...hazards, ...EXTRA_CODES];
}

export function codeDocsHref(code: string): string {
  return `${DIAGNOSTICS_DOCS_URL}#${code}`;
}
