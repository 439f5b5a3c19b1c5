// libbpf C diagnostics: for every BPF program of a document, one diagnostic per attach point that
// summarises all target kernels (attach failures are errors, silently missed calls warnings), the
// handler checks (arguments against the hook's prototype, the ctx struct of a tracepoint, the
// ctx->field reads against each kernel's record), and hints where a stable alternative exists on
// every target. Pure: the C model and the cross-kernel report in, LSP Diagnostic objects out.
//
// Deliberately silent on: programs without a target (`SEC("fentry")`, set at load time), placeholder
// targets that user space retargets (`kprobe/dummy_*` with bpf_program__set_attach_target),
// sections the atlas does not index (networking, uprobe, usdt), and programs carrying a
// `// bpf-atlas-ignore[: codes]` comment on or just above their SEC line. `unknown` facts never
// raise a warning: they only appear in the per-kernel related information.

import {
  DiagnosticSeverity, type Diagnostic, type DiagnosticRelatedInformation, type Range,
} from 'vscode-languageserver';
import type { AttachTarget, Hazard, HazardName, KernelQuery, Param, Severity, TraceField } from '../../atlas/model';
import { cTypeKey } from '../../model/cTypes';
import { hasCompilerSuffix } from '../../model/symbols';
import { sectionOf } from '../../model/targets';
import type { Evidence } from '../../knowledge/types';
import type { SeverityOverride } from '../../settings';
import type { BpfProgram, CModel, CtxAccess, HandlerParam, LineMap } from '../../syntax/cModel';
import type { CoreModel } from '../../syntax/coreAccess';
import { syscallOfWrapper, type StableAlternative } from '../../analysis/alternatives';
import { hookParams } from '../../analysis/hooks';
import { kernelOf } from '../../analysis/kernels';
import { kprobeMultiLimit } from '../../analysis/probeLimits';
import { attachReport, missingEverywhere, suggestedNames, type AttachReport } from '../../analysis/report';
import { isPlaceholderName, programTarget } from '../../analysis/targets';
import { programLabel, programStandings, type ProgramStandings } from '../../analysis/intent';
import { hookKey, type IntentModel, type ProgramIntent } from '../../syntax/intent';
import type { LoaderSite } from '../../syntax/loader';
import type { KernelVerdict } from '../../analysis/verdicts';
import { codeDocsHref, diagnosticCodes } from '../shared/diagnosticCodes';
import { type AttachClause, attachMessage, fitMessage, groupByPhrase, hazardPhrase, kernelList, verdictLines } from '../shared/phrases';
import type { FeatureContext } from '../shared/context';
import { WorkMeter } from '../shared/workBudget';

/** What C diagnostics need from a document (the AnalyzedDocument of syntax/documents.ts fits). */
export interface CDocumentLike {
  uri: string;
  text: string;
  c?: CModel;
  /** How the tool uses each program (syntax/intent.ts); without it each is judged by its section. */
  intents?: IntentModel;
  /** The CO-RE member reads (syntax/coreAccess.ts). */
  core?: CoreModel;
  lines?: LineMap;
}

export const DIAGNOSTIC_SOURCE = 'bpf-atlas';

/** What a diagnostic carries for the code actions (LSP `data`, echoed back by the client). The
 *  target kernels are the session's, not repeated here: 30 ids on each of 1,000 diagnostics were
 *  a quarter of a big document's publish, and nothing read them. */
export interface DiagnosticData {
  section: string;
  target: AttachTarget;
}


// ---- severities ----

const LSP_SEVERITY: Record<Exclude<SeverityOverride, 'off'>, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

const FROM_HAZARD_SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information,
};

/** The severity a code is shown with after settings.severity; undefined when turned off. Without
 *  an override: the severity the atlas gave this hazard (`given`), else the code's default. */
export function effectiveSeverity(code: string, ctx: FeatureContext, given?: Severity): DiagnosticSeverity | undefined {
  const override = (ctx.settings.severity as Record<string, SeverityOverride | undefined>)[code];
  if (override === 'off') return undefined;
  if (override && LSP_SEVERITY[override]) return LSP_SEVERITY[override];
  if (given) return FROM_HAZARD_SEVERITY[given];
  const doc = diagnosticCodes().find((c) => c.code === code);
  return LSP_SEVERITY[doc?.defaultSeverity ?? 'warning'];
}

function suppressedCodes(program: BpfProgram): { all: boolean; codes: Set<string> } {
  const s = program.suppression;
  if (!s) return { all: false, codes: new Set() };
  const all = s.codes.length === 0 || s.codes.includes('all');
  return { all, codes: new Set(s.codes) };
}

// ---- messages ----

interface KernelEntry { kernel: string; verdict: KernelVerdict; hazards: { hazard: Hazard; severity: DiagnosticSeverity; optional?: boolean }[] }

/** How the tool uses the program (syntax/intent.ts) and where it stands on each kernel
 *  (analysis/intent.ts), for the attach diagnostic; absent: judged by its section alone. */
export interface ProgramUse {
  intent: ProgramIntent;
  standings: ProgramStandings;
  /** Labels of the file's programs by index (`tp_btf/block_io_start (line 79)`). */
  label: (index: number) => string;
  /** The covering programs, those for the same hook first. */
  related?: (indexes: number[]) => number[];
}

function siteText(site: LoaderSite | undefined): string {
  return site ? ` (${site.file}:${site.line})` : '';
}

/** Kernels where the program does not attach and need not, with why: `debian-12: the loader
 *  uses tracepoint/writeback/writeback_dirty_folio (line 83) there (cachestat.c:171)`. */
function coveredKernels(use: ProgramUse | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!use) return out;
  for (const [kernel, s] of use.standings) {
    if (s.attaches && s.via) out.set(kernel, `attaches there as ${s.via}, ${use.intent.because ?? 'retargeted by the loader'}${siteText(use.intent.site)}`);
    else if (!s.attaches && s.covered) {
      const all = use.related ? use.related(s.covered.by) : s.covered.by;
      const by = all.slice(0, 2).map(use.label);
      if (all.length > 2) by.push(`${all.length - 2} more`);
      out.set(kernel, by.length
        ? `${s.covered.site ? 'the loader attaches' : 'covered by'} ${by.join(', ')} there instead${siteText(s.covered.site)}`
        : `the loader switches it off there${siteText(s.covered.site ?? use.intent.site)}`);
    }
  }
  return out;
}

/** Each kernel in the clause of its worst hazard only (its lesser ones are in the related
 *  information), grouped by the phrase of those hazards. */
function clauseGroups(entries: readonly KernelEntry[], severity: DiagnosticSeverity): { phrase: string; kernels: string[] }[] {
  const worstOf = (e: KernelEntry) => Math.min(...e.hazards.map((h) => h.severity));
  return groupByPhrase(entries.filter((e) => e.hazards.length && worstOf(e) === severity),
    (e) => e.hazards.filter((h) => h.severity === severity).map((h) => hazardPhrase(h.hazard, e.verdict)).join(', '), (e) => e.kernel);
}

/** `tp_btf/block_rq_issue works on every target` (the best alternative; the others are quick fixes). */
function alternativeClause(report: AttachReport): string | undefined {
  return report.alternatives.length ? `${sectionOf(report.alternatives[0].target)} works on every target` : undefined;
}

function relatedPerKernel(uri: string, range: Range, report: AttachReport): DiagnosticRelatedInformation[] {
  const out: DiagnosticRelatedInformation[] = verdictLines(report.kernels).map((message) => ({ location: { uri, range }, message }));
  for (const p of report.partialAlternatives.slice(0, 3)) {
    const where = `${p.target.system ? `${p.target.system}:` : ''}${p.target.name}`;
    out.push({ location: { uri, range }, message: `${where} exists on ${p.presentOn.join(', ')} but not on ${p.missingOn.join(', ')}${p.since ? ` (since ${p.since})` : ''}.` });
  }
  for (const d of report.differences) out.push({ location: { uri, range }, message: d.message });
  if (report.alternatives.length > 1) {
    out.push({ location: { uri, range }, message: `Also on every target: ${report.alternatives.slice(1, 4).map((a) => sectionOf(a.target)).join(', ')}.` });
  }
  return out;
}

function makeDiagnostic(code: string, severity: DiagnosticSeverity, range: Range, message: string, extra: Partial<Diagnostic> = {}): Diagnostic {
  return { range, severity, code, codeDescription: { href: codeDocsHref(code) }, source: DIAGNOSTIC_SOURCE, message, ...extra };
}

/** Real breakage reports about a hook (FIELD-NOTES §2 via data/knowledge/evidence.json). */
function evidenceFor(ctx: FeatureContext, subject: string): readonly Evidence[] {
  try {
    return ctx.knowledge.evidenceFor(subject);
  } catch {
    return [];
  }
}

// ---- the attach diagnostic ----

const RANK: Record<number, number> = { 1: 4, 2: 3, 3: 2, 4: 1 };

/** Where an attach point is written, for its diagnostic: the section-style name the message
 *  speaks of (`kprobe/vfs_read`) and the range it lands on. A BpfProgram is one; the BCC dialect
 *  makes one for each of its attach points. */
export interface AttachSite {
  section: string;
  sectionRange: Range;
  /** `SEC("?...")`. */
  optional?: boolean;
}

/** The one diagnostic of an attach point over the target kernels (libbpf C, BCC). */
export function attachDiagnostic(doc: { uri: string }, program: AttachSite, target: AttachTarget, report: AttachReport,
  ctx: FeatureContext, suppressed: Set<string>, use?: ProgramUse): Diagnostic | undefined {
  const covered = coveredKernels(use);
  const optional = use?.intent.intent === 'optional' || (program.optional && use?.intent.intent !== 'runtime-chosen');
  const coveredCodes: HazardName[] = [];
  const entries: KernelEntry[] = report.kernels.map((v) => ({
    kernel: v.kernel,
    verdict: v,
    hazards: v.hazards
      .filter((h) => h.name !== 'unknown' && !suppressed.has(h.name))
      .map((h) => ({ hazard: h, severity: effectiveSeverity(h.name, ctx, h.severity) }))
      .filter((x): x is { hazard: Hazard; severity: DiagnosticSeverity } => x.severity !== undefined),
  }));
  for (const e of entries) {
    if (covered.has(e.kernel)) {
      // Not attached there by this program: its hazards there are facts, not failures.
      for (const h of e.hazards) if (h.severity <= DiagnosticSeverity.Warning) coveredCodes.push(h.hazard.name);
      e.hazards = [];
    } else if (optional) {
      // `SEC("?...")`: loaded only where user space switches it on.
      e.hazards = e.hazards.map((h) => h.severity === DiagnosticSeverity.Error ? { ...h, severity: DiagnosticSeverity.Warning, optional: true } : h);
    }
  }
  let worst: { code: HazardName; severity: DiagnosticSeverity } | undefined;
  for (const e of entries) {
    for (const h of e.hazards) {
      // Worst severity first; among equals the hazard that says why (fully-inlined, renamed...)
      // names the diagnostic rather than a bare `absent` from another kernel.
      if (!worst || RANK[h.severity] > RANK[worst.severity]
        || (RANK[h.severity] === RANK[worst.severity] && worst.code === 'absent' && h.hazard.name !== 'absent')) {
        worst = { code: h.hazard.name, severity: h.severity };
      }
    }
  }
  const coverNotes = [...covered].map(([k, why]) => `on ${k} it ${why.startsWith('attaches') ? '' : 'does not attach; '}${why}`);
  if (!worst && coveredCodes.length) {
    const code = coveredCodes.find((c) => c !== 'absent') ?? coveredCodes[0];
    const severity = effectiveSeverity(code, ctx, 'info');
    if (severity === undefined || severity < DiagnosticSeverity.Information) return undefined;
    worst = { code, severity: DiagnosticSeverity.Information };
  }
  if (!worst) return undefined;
  const section = program.section;
  // `SEC("?...")` hazards are warnings (user space may leave the program off) but say "cannot attach".
  const shown = entries.map((e) => ({ ...e, hazards: e.hazards.map((h) => (h.optional ? { ...h, severity: DiagnosticSeverity.Error } : h)) }));
  const clauses: AttachClause[] = [
    { verb: optional ? 'is optional and cannot attach on' : 'cannot attach on', groups: clauseGroups(shown, DiagnosticSeverity.Error) },
    { verb: target.kind.startsWith('k') ? 'misses calls on' : 'needs care on', groups: clauseGroups(shown, DiagnosticSeverity.Warning) },
    { verb: 'has notes on', groups: [...clauseGroups(shown, DiagnosticSeverity.Information), ...clauseGroups(shown, DiagnosticSeverity.Hint)] },
  ].filter((c) => c.groups.length);
  // Names are suggested only for a target found on no target kernel (elsewhere it is not misspelt).
  const closest = missingEverywhere(report) && covered.size < report.kernels.length ? suggestedNames(report, ctx) : [];
  const tail = closest.length ? `did you mean ${closest.slice(0, 3).join(', ')}?` : alternativeClause(report);
  // Kernels where another program of the file does the work: said in one clause, detailed below.
  const coverGroups = groupByPhrase([...covered], ([, why]) => why, ([k]) => k);
  const message = clauses.length
    ? attachMessage(section, clauses, report.kernels.length, tail).replace(/\?\.$/, '?')
    : fitMessage(
      `${section} is not needed where it cannot attach: ${coverNotes.join('; ')}.`,
      ...(coverGroups.length === 1 ? [`${section} is not needed on ${kernelList(coverGroups[0].kernels, 3)}: ${coverGroups[0].phrase}.`] : []),
      `${section} is not needed on ${kernelList([...covered.keys()], 3)}, where another program of this file covers it.`,
      `${section} is not needed on ${covered.size} of ${report.kernels.length} targets, where another program of this file covers it.`);
  const notes: string[] = [];
  if (coverNotes.length) notes.push(`${clauses.length ? 'Elsewhere' : 'Where it is not needed'}: ${coverNotes.join('; ')}.`);
  if (optional && clauses.some((c) => c.verb.includes('cannot attach'))) notes.push('It is optional (SEC("?...")): user space must leave it off there.');
  const ok = report.kernels.filter((v) => v.status === 'ok' && !covered.has(v.kernel)).map((v) => v.kernel);
  if (ok.length && ok.length < report.kernels.length) notes.push(`Fine on ${ok.join(', ')}.`);
  const data: DiagnosticData = { section, target };
  const related = [...notes.map((n) => ({ location: { uri: doc.uri, range: program.sectionRange }, message: n })), ...relatedPerKernel(doc.uri, program.sectionRange, report)];
  for (const e of evidenceFor(ctx, target.name).slice(0, 2)) {
    related.push({ location: { uri: doc.uri, range: program.sectionRange }, message: `Reported: ${e.ref} "${e.title}" (${e.url})` });
  }
  return makeDiagnostic(worst.code, worst.severity, program.sectionRange, message, { relatedInformation: related, data });
}

// ---- hints: a stable alternative on every target ----

/** Which hint family an alternative belongs to: tracepoints (and other stable hooks), BTF
 *  trampolines, or the portable syscall entry. */
export function hintCodeFor(alt: StableAlternative): 'prefer-tracepoint' | 'prefer-fentry' | 'prefer-ksyscall' {
  switch (alt.target.kind) {
    case 'fentry': case 'fexit': case 'fmod_ret': case 'fsession': return 'prefer-fentry';
    case 'ksyscall': case 'kretsyscall': return 'prefer-ksyscall';
    default: return 'prefer-tracepoint';
  }
}

function hintEnabled(code: string, ctx: FeatureContext): boolean {
  if (code === 'prefer-tracepoint') return ctx.settings.hints.preferTracepoints;
  if (code === 'prefer-fentry') return ctx.settings.hints.preferFentry;
  return true;
}

function hintDiagnostics(doc: CDocumentLike, program: BpfProgram, target: AttachTarget, report: AttachReport, ctx: FeatureContext,
  suppressed: Set<string>, attach: Diagnostic | undefined): Diagnostic[] {
  // An error or warning already names the alternatives and carries the fixes; a probe at an
  // instruction offset has no alternative.
  if (attach && (attach.severity === DiagnosticSeverity.Error || attach.severity === DiagnosticSeverity.Warning)) return [];
  if (program.target?.offset) return [];
  const out: Diagnostic[] = [];
  const data: DiagnosticData = { section: program.section, target };
  for (const code of ['prefer-ksyscall', 'prefer-tracepoint', 'prefer-fentry'] as const) {
    // fentry/fexit are already cheap and BTF-typed: only an equivalent tracepoint is worth a hint.
    const btfProgram = target.kind === 'fentry' || target.kind === 'fexit' || target.kind === 'fmod_ret';
    const alts = report.alternatives.filter((a) => hintCodeFor(a) === code && !(btfProgram && a.reason === 'related'));
    if (!alts.length || !hintEnabled(code, ctx) || suppressed.has(code)) continue;
    const severity = effectiveSeverity(code, ctx);
    if (severity === undefined) continue;
    const best = alts[0];
    const others = alts.slice(1, 3).map((a) => sectionOf(a.target));
    let message: string;
    if (code === 'prefer-ksyscall' && syscallOfWrapper(target.name)) {
      message = fitMessage(
        `${program.section} names an architecture's syscall wrapper; ${sectionOf(best.target)} with BPF_KSYSCALL works on every architecture and reads the arguments portably.`,
        `${program.section} names an architecture's syscall wrapper; ${sectionOf(best.target)} works on every architecture.`);
    } else if (code === 'prefer-fentry' && best.target.name === target.name) {
      message = fitMessage(
        `${sectionOf(best.target)} attaches on every target through BTF, with typed arguments and about 2-5x less overhead than a kprobe.`,
        `${sectionOf(best.target)} attaches on every target through BTF.`);
    } else {
      const kind = best.reason === 'related' ? 'related, approximate' : 'stable';
      message = fitMessage(
        `${sectionOf(best.target)} is a ${kind} alternative to ${program.section} on every target${others.length ? `, as are ${others.join(' and ')}` : ''}.`,
        `${sectionOf(best.target)} is a ${kind} alternative to ${program.section} on every target.`,
        `${sectionOf(best.target)} is a ${kind} alternative on every target.`);
    }
    // A caveat of the alternative (what it does not see) is a note beside the hint.
    const related = best.caveat ? [{ location: { uri: doc.uri, range: program.sectionRange }, message: `Note: ${best.caveat}` }] : undefined;
    out.push(makeDiagnostic(code, severity, program.sectionRange, message, { data, ...(related ? { relatedInformation: related } : {}) }));
  }
  return out;
}

/** A name found on no target while the atlas cannot rule out a module: information only, with
 *  the closest names (the quick fixes offer them). */
function notFoundAnywhere(doc: CDocumentLike, program: BpfProgram, target: AttachTarget, report: AttachReport,
  ctx: FeatureContext, suppressed: Set<string>): Diagnostic | undefined {
  if (suppressed.has('unknown') || !missingEverywhere(report)) return undefined;
  const severity = effectiveSeverity('unknown', ctx);
  if (severity === undefined) return undefined;
  const family = report.kernels.every((v) => v.foreignFamily) ? report.kernels[0]?.foreignFamily : undefined;
  if (family) {
    // No function of its family anywhere: not a misspelling to correct, code the data does not cover.
    return makeDiagnostic('unknown', severity, program.target?.nameRange ?? program.sectionRange,
      `${target.name}: no target kernel has any ${family}* function (image or covered modules); likely an out-of-tree module (e.g. zfs) or a subsystem not built: cannot be told here.`,
      { data: { section: program.section, target }, relatedInformation: relatedPerKernel(doc.uri, program.sectionRange, report) });
  }
  const closest = suggestedNames(report, ctx);
  if (!closest.length) return undefined;
  const data: DiagnosticData = { section: program.section, target };
  return makeDiagnostic('unknown', severity, program.target?.nameRange ?? program.sectionRange,
    fitMessage(
      `${target.name} is in no target kernel's image; unless a module provides it, did you mean ${closest.slice(0, 3).join(', ')}?`,
      `${target.name} is in no target kernel's image; unless a module provides it, did you mean ${closest[0]}?`,
      `${target.name} is in no target kernel's image.`),
    { data, relatedInformation: relatedPerKernel(doc.uri, program.sectionRange, report) });
}

// ---- handler checks ----

/** Two parameter types that cannot be the same argument: different struct/union/enum tags, or a
 *  pointer against a non-pointer. Integer widths and typedefs are not judged (they read the same
 *  register or slot). */
export function typesConflict(written: string, actual: string): boolean {
  const a = cTypeKey(written, { dropQualifiers: true });
  const b = cTypeKey(actual, { dropQualifiers: true });
  if (!a || !b || a === b) return false;
  if (a.includes('%') || b.includes('%')) return false;
  const tag = (t: string) => /\b(struct|union|enum)\s+(\w+)/.exec(t);
  const ta = tag(a);
  const tb = tag(b);
  const ptrA = (a.match(/\*/g) ?? []).length;
  const ptrB = (b.match(/\*/g) ?? []).length;
  if (ta && tb && ptrA > 0 && ptrB > 0 && ta[2] !== tb[2]) return true;
  if (ta && tb && ta[1] === 'struct' && tb[1] === 'struct' && ta[2] !== tb[2] && ptrA === ptrB) return true;
  if ((ptrA > 0) !== (ptrB > 0) && (ta || tb) && !/^void\*?$/.test(a)) return true;
  return false;
}

/** The parameters a hook passes on one kernel, as the handler macro sees them. */
function handlerHookParams(kernel: KernelQuery, target: AttachTarget): Param[] | undefined {
  switch (target.kind) {
    case 'kprobe': case 'kprobe.session': case 'fentry': case 'fexit': case 'fmod_ret':
      // A compiler copy (`.isra.0`) may take other arguments than the source prototype.
      return hasCompilerSuffix(target.name) ? undefined : hookParams(kernel, target);
    case 'tp_btf': case 'raw_tp':
      return hookParams(kernel, target);
    case 'ksyscall': {
      // An empty list means the source did not record the arguments, not a syscall without any.
      const args = kernel.syscall(target.name)?.args;
      return args?.length ? args : undefined;
    }
    default:
      return undefined;
  }
}

const MACROS_WITH_ARGS = new Set(['BPF_PROG', 'BPF_PROG2', 'BPF_KPROBE', 'BPF_KSYSCALL', 'BPF_KPROBE_SYSCALL']);

function handlerArgDiagnostics(doc: CDocumentLike, program: BpfProgram, target: AttachTarget, report: AttachReport, ctx: FeatureContext,
  suppressed: Set<string>): Diagnostic[] {
  const handler = program.handler;
  if (!handler?.macro || !MACROS_WITH_ARGS.has(handler.macro) || target.pattern) return [];
  const declared = handler.params.filter((p) => p.type || p.name);
  if (!declared.length) return [];
  const found = report.kernels.filter((v) => v.assessment.found);
  const mismatches: { kernel: string; param?: HandlerParam; text: string; detail: string }[] = [];
  let judged = 0;
  for (const v of found) {
    const kernel = kernelOf(ctx, v.kernel);
    const params = kernel && handlerHookParams(kernel, target);
    if (!params) continue;
    judged++;
    // fexit: BPF_PROG(name, args..., ret) may carry the return value after the arguments.
    const allowed = target.kind === 'fexit' ? params.length + 1 : params.length;
    if (declared.length > allowed) {
      const text = `the hook passes ${params.length} argument${params.length === 1 ? '' : 's'}`;
      mismatches.push({ kernel: v.kernel, param: declared[allowed], text, detail: `${text} (${params.map((p) => p.name || p.type).join(', ') || 'none'})` });
      continue;
    }
    for (let i = 0; i < declared.length && i < params.length; i++) {
      const d = declared[i];
      if (d.type && typesConflict(d.type, params[i].type)) {
        const text = `argument ${i + 1} is \`${params[i].type.includes('%') ? params[i].type.replace('%', params[i].name) : `${params[i].type} ${params[i].name}`.replace('* ', '*')}\``;
        mismatches.push({ kernel: v.kernel, param: d, text, detail: text });
        break;
      }
    }
  }
  // A mismatching argument that the body never reads misreads nothing.
  const read = (p?: HandlerParam) => !p?.name || !program.bodyIdentifiers || program.bodyIdentifiers.has(p.name);
  mismatches.splice(0, mismatches.length, ...mismatches.filter((m) => read(m.param)));
  if (!mismatches.length) return [];
  const kernels = [...new Set(mismatches.map((m) => m.kernel))];
  const some = kernels.length < judged;
  const code = some ? (target.kind === 'tp_btf' || target.kind === 'raw_tp' ? 'args-changed' : 'signature-changed') : 'handler-args';
  if (suppressed.has(code)) return [];
  const severity = effectiveSeverity(code, ctx);
  if (severity === undefined) return [];
  const range = mismatches[0].param?.range ?? handler.paramListRange;
  // Kernels grouped by what differs there, each kernel named once: `on debian-11 argument 1 is
  // \`struct inode *dir\`, on debian-12 and debian-13 ...`.
  const groups = groupByPhrase(mismatches, (m) => m.text, (m) => m.kernel);
  const what = (max: number) => groups.map((g) => `on ${kernelList(g.kernels, max)} ${g.phrase}`).join(', ');
  const message = some
    ? fitMessage(
      `The handler's arguments do not match ${program.section}: ${what(3)}, so it would read wrong values there.`,
      `The handler's arguments do not match ${program.section}: ${what(1)}.`,
      `The handler's arguments do not match ${program.section} on ${kernels.length} of ${judged} targets.`)
    : fitMessage(
      groups.length === 1 ? `The handler's arguments do not match ${program.section} on any target: ${groups[0].phrase}.` : `The handler's arguments do not match ${program.section} on any target: ${what(3)}.`,
      `The handler's arguments do not match ${program.section} on any target.`);
  const related = mismatches.map((m) => ({ location: { uri: doc.uri, range: program.sectionRange }, message: `${m.kernel}: ${m.detail}.` }));
  return [makeDiagnostic(code, severity, range, message, { data: { section: program.section, target } as DiagnosticData, relatedInformation: related })];
}

const SYSCALL_CTX_STRUCTS = new Set(['trace_event_raw_sys_enter', 'trace_event_raw_sys_exit', 'syscall_trace_enter', 'syscall_trace_exit']);

function ctxStructName(param: HandlerParam | undefined): string | undefined {
  if (!param?.type) return undefined;
  return /\bstruct\s+(\w+)\s*\*/.exec(param.type)?.[1];
}

function tracepointCtxDiagnostics(doc: CDocumentLike, program: BpfProgram, target: AttachTarget, report: AttachReport,
  ctx: FeatureContext, suppressed: Set<string>): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (target.kind !== 'tracepoint' || target.pattern || program.handler?.macro) return out;
  const ctxParam = program.handler?.ctx;
  const structName = ctxStructName(ctxParam);
  if (!ctxParam || !structName) return out;
  const found = report.kernels.filter((v) => v.assessment.found);
  if (!found.length) return out;
  const isSyscallEvent = target.system === 'syscalls' || /^sys_(enter|exit)_/.test(target.name);
  const data: DiagnosticData = { section: program.section, target };

  // The ctx struct must be the record of the event's class.
  let typeMatches = true;
  // Only a record that is read can be misread.
  const readsCtx = program.ctxAccesses.some((a) => a.base === ctxParam.name);
  if (readsCtx && (structName.startsWith('trace_event_raw_') || SYSCALL_CTX_STRUCTS.has(structName))) {
    const wrongOn = found.filter((v) => {
      const template = v.assessment.template;
      if (isSyscallEvent) return !SYSCALL_CTX_STRUCTS.has(structName) && structName !== `trace_event_raw_${template ?? ''}`;
      if (!template) return false;
      return structName !== `trace_event_raw_${template}`;
    });
    if (wrongOn.length) {
      typeMatches = false;
      if (!suppressed.has('wrong-ctx-type')) {
        const severity = effectiveSeverity('wrong-ctx-type', ctx);
        const expected = [...new Set(wrongOn.map((v) => isSyscallEvent ? (target.name.startsWith('sys_exit') ? 'syscall_trace_exit' : 'syscall_trace_enter') : `trace_event_raw_${v.assessment.template}`))];
        if (severity !== undefined) {
          const event = `${target.system}:${target.name}`;
          const onSome = wrongOn.length < found.length;
          const where = (max: number) => (onSome ? ` on ${kernelList(wrongOn.map((v) => v.kernel), max)}` : '');
          // The class was renamed between targets: one struct name cannot fit all of them.
          const advice = onSome && !isSyscallEvent ? 'use tp_btf or a CO-RE flavour of the struct' : 'field offsets would be wrong';
          const related: DiagnosticRelatedInformation[] = wrongOn.map((v) => ({
            location: { uri: doc.uri, range: program.sectionRange },
            message: `${v.kernel}: the record is struct ${isSyscallEvent ? expected[0] : `trace_event_raw_${v.assessment.template}`}${isSyscallEvent ? '' : ` (event class ${v.assessment.template})`}.`,
          }));
          if (onSome && !isSyscallEvent) {
            related.push({ location: { uri: doc.uri, range: program.sectionRange }, message: 'The record struct is named differently across the targets: use tp_btf, or read the fields through CO-RE flavours (struct trace_event_raw_<class>___<suffix>) checked with bpf_core_type_exists().' });
          }
          out.push(makeDiagnostic('wrong-ctx-type', severity, ctxParam.typeRange ?? ctxParam.range, fitMessage(
            `struct ${structName} is not the record of ${event}${where(3)} (it is struct ${expected.join(' or ')}); ${advice}.`,
            `struct ${structName} is not the record of ${event}${where(1)}; ${advice}.`,
            `struct ${structName} is not the record of ${event}${onSome ? ` on ${wrongOn.length} of ${found.length} targets` : ''}.`),
            { data, relatedInformation: related }));
        }
      }
    }
  }
  // Field reads: only against the event's own record struct (syscall structs have args[], not the format fields).
  if (!typeMatches || !structName.startsWith('trace_event_raw_') || isSyscallEvent) return out;
  out.push(...recordFieldDiagnostics(doc, program, program.ctxAccesses, ctxParam.name, target, report, ctx, suppressed));
  return out;
}

/** Reads of a tracepoint's record (`ctx->prev_pid`, BCC's `args->prev_pid`) checked against each
 *  kernel's record fields: missing everywhere is an error, on some targets a warning. */
export function recordFieldDiagnostics(doc: { uri: string }, program: AttachSite, accesses: readonly CtxAccess[], base: string,
  target: AttachTarget, report: AttachReport, ctx: FeatureContext, suppressed: Set<string>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const found = report.kernels.filter((v) => v.assessment.found);
  const data: DiagnosticData = { section: program.section, target };
  const seen = new Set<string>();
  for (const access of accesses) {
    if (access.base !== base || seen.has(access.field)) continue;
    seen.add(access.field);
    const field = access.field;
    if (field === 'ent' || field === '__data' || field.startsWith('common_')) continue;
    const missingOn: KernelVerdict[] = [];
    let judged = 0;
    for (const v of found) {
      const fields: TraceField[] | undefined = v.assessment.fields;
      if (!fields) continue;
      judged++;
      const has = fields.some((f) => f.name === field || `__data_loc_${f.name}` === field || `__rel_loc_${f.name}` === field);
      if (!has) missingOn.push(v);
    }
    if (!missingOn.length) continue;
    const some = missingOn.length < judged;
    const code = some ? 'fields-changed' : 'field-missing';
    if (suppressed.has(code)) continue;
    const severity = effectiveSeverity(code, ctx);
    if (severity === undefined) continue;
    const kernels = (max: number) => kernelList(missingOn.map((v) => v.kernel), max);
    const event = `${target.system}:${target.name}`;
    const message = some
      ? fitMessage(
        `${event} has no field \`${field}\` on ${kernels(3)}: guard the read with bpf_core_field_exists(${base}->${field}) or it fails to load there.`,
        `${event} has no field \`${field}\` on ${kernels(1)}: guard the read with bpf_core_field_exists().`,
        `${event} has no field \`${field}\` on ${missingOn.length} of ${judged} targets.`)
      : fitMessage(`${event} has no field \`${field}\` on any target.`, `The record has no field \`${field}\` on any target.`);
    const fieldsOf = missingOn[0].assessment.fields ?? [];
    out.push(makeDiagnostic(code, severity, access.fieldRange, message, {
      data,
      relatedInformation: missingOn.slice(0, 4).map((v) => ({
        location: { uri: doc.uri, range: program.sectionRange },
        message: `${v.kernel} fields: ${(v.assessment.fields ?? fieldsOf).map((f) => f.name).join(', ')}`,
      })),
    }));
  }
  return out;
}

// ---- the handler macro must fit the program type ----

/** Handler macros that read a program type's context correctly, the first being the usual one. */
export function macrosFor(kind: AttachTarget['kind']): readonly string[] | undefined {
  switch (kind) {
    case 'kprobe': case 'kprobe.multi': case 'kprobe.session': return ['BPF_KPROBE'];
    case 'kretprobe': case 'kretprobe.multi': return ['BPF_KRETPROBE'];
    case 'ksyscall': return ['BPF_KSYSCALL', 'BPF_KPROBE_SYSCALL'];
    case 'kretsyscall': return ['BPF_KRETPROBE'];
    case 'fentry': case 'fexit': case 'fmod_ret': case 'fsession': case 'tp_btf': case 'raw_tp': case 'lsm': case 'iter':
      return ['BPF_PROG', 'BPF_PROG2'];
    default: return undefined;
  }
}

const MACRO_READS: Record<string, string> = {
  BPF_PROG: 'an array of u64 arguments', BPF_PROG2: 'an array of u64 arguments',
  BPF_KPROBE: 'the registers of struct pt_regs', BPF_KRETPROBE: 'the return register of struct pt_regs',
  BPF_KSYSCALL: 'the syscall wrapper\'s inner struct pt_regs', BPF_KPROBE_SYSCALL: 'the syscall wrapper\'s inner struct pt_regs',
  BPF_UPROBE: 'the registers of struct pt_regs', BPF_URETPROBE: 'the return register of struct pt_regs',
  BPF_USDT: 'USDT argument specs',
};

function handlerMacroDiagnostic(program: BpfProgram, target: AttachTarget, ctx: FeatureContext, suppressed: Set<string>): Diagnostic | undefined {
  const handler = program.handler;
  if (!handler?.macro || !handler.macroRange || suppressed.has('handler-macro')) return undefined;
  const fits = macrosFor(target.kind);
  // Tracepoint programs take the record struct; no macro reads it.
  if (target.kind === 'tracepoint') {
    if (handler.macro === 'BPF_PROG' || handler.macro === 'BPF_PROG2') return undefined;
  } else if (!fits || fits.includes(handler.macro)) {
    return undefined;
  }
  // A macro whose arguments are not read (`BPF_PROG(name)` using PT_REGS_RC(ctx)) misreads nothing.
  const readArgs = handler.params.filter((p) => p.name && (!program.bodyIdentifiers || program.bodyIdentifiers.has(p.name)));
  if (!readArgs.length) return undefined;
  const severity = effectiveSeverity('handler-macro', ctx);
  if (severity === undefined) return undefined;
  const expected = target.kind === 'tracepoint' ? 'a plain function taking struct trace_event_raw_<class> *ctx' : fits![0];
  const data: DiagnosticData = { section: program.section, target };
  return makeDiagnostic('handler-macro', severity, handler.macroRange,
    `${handler.macro} reads ${MACRO_READS[handler.macro] ?? 'another context'}, but a ${target.kind} program gets ${CONTEXT_OF[target.kind] ?? 'another context'}: use ${expected}.`, { data });
}

const CONTEXT_OF: Partial<Record<AttachTarget['kind'], string>> = {
  'kprobe': 'struct pt_regs', 'kretprobe': 'struct pt_regs', 'kprobe.multi': 'struct pt_regs', 'kretprobe.multi': 'struct pt_regs',
  'kprobe.session': 'struct pt_regs', 'ksyscall': 'the syscall wrapper\'s struct pt_regs', 'kretsyscall': 'struct pt_regs',
  'fentry': 'a u64 array of BTF-typed arguments', 'fexit': 'a u64 array of BTF-typed arguments', 'fmod_ret': 'a u64 array of BTF-typed arguments',
  'tp_btf': 'a u64 array of TP_PROTO arguments', 'raw_tp': 'a u64 array of TP_PROTO arguments', 'lsm': 'a u64 array of hook arguments',
  'iter': 'an iterator context', 'tracepoint': 'the trace event record',
};

// ---- program type version floors ----

/** Version `a` >= `b` for dotted upstream versions (`6.1` >= `5.18`). */
export function versionAtLeast(a: string, b: string): boolean {
  const pa = a.split('.').map((x) => parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) > (pb[i] ?? 0);
  }
  return true;
}

/** A program type newer than some target kernel (kprobe.multi on 5.15): it cannot load there. */
function versionFloorDiagnostic(program: BpfProgram, target: AttachTarget, ctx: FeatureContext, suppressed: Set<string>): Diagnostic | undefined {
  if (suppressed.has('kernel-too-old')) return undefined;
  let since: string | undefined;
  let prefix: string | undefined;
  try {
    const p = ctx.knowledge.sectionPrefix(program.section);
    since = p?.since;
    prefix = p?.prefix;
  } catch {
    return undefined;
  }
  if (!since || !prefix) return undefined;
  const metas = ctx.atlas.list();
  const older = ctx.targets
    .map((id) => ({ id, version: metas.find((m) => m.id === id)?.version }))
    .filter((k): k is { id: string; version: string } => !!k.version && /^\d+\.\d+/.test(k.version) && !versionAtLeast(k.version, since!));
  if (!older.length) return undefined;
  const severity = effectiveSeverity('kernel-too-old', ctx);
  if (severity === undefined) return undefined;
  const data: DiagnosticData = { section: program.section, target };
  return makeDiagnostic('kernel-too-old', severity, program.prefixRange,
    fitMessage(
      `${prefix} programs need Linux ${since} or newer, so ${kernelList(older.map((k) => `${k.id} (${k.version})`), 3)} cannot load them.`,
      `${prefix} programs need Linux ${since} or newer, so ${kernelList(older.map((k) => k.id), 1)} cannot load them.`,
      `${prefix} programs need Linux ${since} or newer, which ${older.length} of ${ctx.targets.length} targets are not.`), { data });
}

// ---- glob targets: what a pattern matches, and the kernel's limit ----

/** `61234 functions on debian-12 (6.1), at least 475 on ubuntu-22.04 (5.15)`. */
function matchCounts(report: AttachReport): string {
  return report.kernels.filter((v) => v.matches !== undefined)
    .map((v, i) => `${v.matchesTruncated ? 'at least ' : ''}${v.matches}${i ? '' : ` function${v.matches === 1 ? '' : 's'}`} on ${v.version ? `${v.kernel} (${v.version})` : v.kernel}`).join(', ');
}

/** A kprobe.multi pattern says how many functions it attaches to on each target (one link each),
 *  and where the kernel's limit on one link refuses it: a `*` is not attached in silence. */
function patternDiagnostics(doc: { uri: string }, program: BpfProgram, target: AttachTarget, report: AttachReport, ctx: FeatureContext,
  suppressed: Set<string>, attach: Diagnostic | undefined): Diagnostic[] {
  if (!target.pattern || !report.kernels.some((v) => v.matches)) return [];
  const out: Diagnostic[] = [];
  const data: DiagnosticData = { section: program.section, target };
  const over = report.kernels.map((v) => ({ v, limit: kprobeMultiLimit(v.matches ?? 0) })).filter((x) => x.limit);
  const limitSeverity = suppressed.has('probe-limit') ? undefined : effectiveSeverity('probe-limit', ctx, over[0]?.limit?.severity);
  if (over.length && limitSeverity !== undefined) {
    const where = (max: number) => kernelList(over.map((x) => x.v.kernel), max);
    out.push(makeDiagnostic('probe-limit', limitSeverity, program.sectionRange, fitMessage(
      `${program.section} matches too many functions on ${where(3)}: ${over[0].limit!.why}.`,
      `${program.section} matches too many functions on ${where(1)} for one ${target.kind} link.`,
      `${program.section} matches too many functions on ${over.length} of ${report.kernels.length} targets for one ${target.kind} link.`),
    { data, relatedInformation: [{ location: { uri: doc.uri, range: program.sectionRange }, message: `Matches: ${matchCounts(report)}.` }] }));
  }
  const infoSeverity = suppressed.has('pattern-matches') ? undefined : effectiveSeverity('pattern-matches', ctx);
  // An error or warning on the same section already carries the per-kernel counts.
  if (infoSeverity !== undefined && !out.length && !(attach && attach.severity! <= DiagnosticSeverity.Warning)) {
    const sample = [...new Set(report.kernels.flatMap((v) => v.assessment.symbols ?? []))].slice(0, 5);
    const related = [`Counted by name: libbpf skips those without an ftrace site; one ${target.kind} link attaches them all on each kernel.`];
    if (sample.length) related.push(`Matches include ${sample.join(', ')}.`);
    out.push(makeDiagnostic('pattern-matches', infoSeverity, program.sectionRange, fitMessage(
      `${program.section} matches ${matchCounts(report)}.`,
      `${program.section} matches functions on ${report.kernels.filter((v) => v.matches).length} of ${report.kernels.length} targets.`),
    { data, relatedInformation: related.map((message) => ({ location: { uri: doc.uri, range: program.sectionRange }, message })) }));
  }
  return out;
}

// ---- entry point ----

/** Diagnostics of one program (exported for the check verb and tests). */
export function programDiagnostics(doc: CDocumentLike, program: BpfProgram, ctx: FeatureContext, use?: ProgramUse): Diagnostic[] {
  const target = programTarget(program);
  if (!target || !ctx.targets.length) return [];
  const { all, codes } = suppressedCodes(program);
  if (all) return [];
  // Tail-call programs, programs the loader attaches itself by a computed name, BPF-to-BPF tracing:
  // the section names no attach target.
  if (use?.intent.intent === 'not-attached-by-section') return [];
  const report = attachReport(target, ctx);
  const nowhere = report.kernels.every((v) => !v.assessment.found);
  // A placeholder retargeted at load time names no real function on any kernel; in a file that
  // fills prog-array maps at run time, a section naming no hook is a tail-call entry.
  if (nowhere && (isPlaceholderName(target.name) || use?.intent.tailCallFile)) return [];
  const out: Diagnostic[] = [];
  const floor = versionFloorDiagnostic(program, target, ctx, codes);
  if (floor) out.push(floor);
  const macro = handlerMacroDiagnostic(program, target, ctx, codes);
  if (macro) out.push(macro);
  const attach = attachDiagnostic(doc, program, target, report, ctx, codes, use) ?? notFoundAnywhere(doc, program, target, report, ctx, codes);
  if (attach) out.push(attach);
  out.push(...patternDiagnostics(doc, program, target, report, ctx, codes, attach));
  out.push(...hintDiagnostics(doc, program, target, report, ctx, codes, attach));
  out.push(...handlerArgDiagnostics(doc, program, target, report, ctx, codes));
  out.push(...tracepointCtxDiagnostics(doc, program, target, report, ctx, codes));
  return out;
}

export function diagnosticsC(doc: CDocumentLike, ctx: FeatureContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const programs = doc.c?.programs ?? [];
  const meter = new WorkMeter(ctx);
  // An edit touches one program of a file, so the diagnostics of the others are reused as they
  // were (same text at the same place, same targets and settings), from the one cache: a
  // re-read kernel comes with a new cache. Cached diagnostics are shared: nothing may modify them.
  const memo = ctx.cache.table<Diagnostic[]>('c-program-diagnostics');
  // The document, targets and settings, as a short id: the key of each program is made and
  // hashed on every run, and with the full text of these in each (30 target ids) the lookups of a
  // 1,000-program document cost ~15 ms a run.
  const config = ctx.cache.remember('c-diagnostics-configs', `${doc.uri}|${ctx.targets.join(',')}|${JSON.stringify(ctx.settings.hints)}|${JSON.stringify(ctx.settings.severity)}`, () => ({}));
  const configKey = `#${ctx.cache.instanceId(config)}`;
  const standingsKeys = ctx.cache.derived(ctx.knowledge, 'c-standings-keys', () => new WeakMap<ProgramStandings, string>());
  const lastRun = ctx.cache.derived(ctx.knowledge, 'c-program-diagnostics-last', () => new WeakMap<BpfProgram, { use: string; found: Diagnostic[] }>());
  const intents = doc.intents;
  const standings = intents ? programStandings(programs, intents, ctx) : [];
  const label = (i: number) => programLabel(programs[i]);
  for (let i = 0; i < programs.length; i++) {
    const program = programs[i];
    const intent = intents?.programs[i];
    const key0 = hookKey(program);
    const dir = key0?.split(':')[0];
    const rank = (x: number) => { const k = hookKey(programs[x]); return k === key0 ? 0 : k?.split(':')[0] === dir ? 1 : 2; };
    const related = (xs: number[]) => [...xs].sort((a, b) => rank(a) - rank(b) || a - b);
    const use: ProgramUse | undefined = intent ? { intent, standings: standings[i], label, related } : undefined;
    // The program's diagnostics depend on the others through its intent and standings: the
    // kernels where it does not simply attach by its section (the others follow from the targets).
    const useKey = use ? `|${JSON.stringify(intent)}|${standingsKey(use.standings, label, standingsKeys)}` : '';
    // The same program object as in the last run (its part's text and place, its suppression and
    // conditions unchanged: syntax/parts.ts, cModel.ts assembleCModel) with the same settings,
    // intent and standings is the same key: not made and hashed again (a program's text, for
    // 1,000 programs, ~5 ms a run).
    const seen = lastRun.get(program);
    if (seen && seen.use === configKey + useKey) {
      out.push(...seen.found);
      continue;
    }
    const key = programKey(doc, program, configKey + useKey);
    const known = key === undefined ? undefined : memo.get(key);
    if (known) {
      if (key !== undefined) lastRun.set(program, { use: configKey + useKey, found: known });
      out.push(...known);
      continue;
    }
    if (!meter.next()) {
      if (meter.exhausted) {
        out.push(meter.note(program.secRange, programs.length, DIAGNOSTIC_SOURCE));
      }
      break;
    }
    const found = programDiagnostics(doc, program, ctx, use);
    if (key !== undefined) {
      memo.set(key, found);
      lastRun.set(program, { use: configKey + useKey, found });
    }
    out.push(...found);
  }
  return out;
}

/** What a program's diagnostics read of its standings: the kernels where it does not simply attach
 *  by its section. Standings are shared between runs while the file's targets are the same
 *  (analysis/intent.ts programStandings), so the text is made once per standings object, unless
 *  it names covering programs (by label, which an edit may change): over 30 kernels, spreading
 *  and filtering every program's standings on every run was ~5 MB of garbage per body edit of a
 *  1,000-program file, the most of any step (sampling heap profile). */
function standingsKey(standings: ProgramStandings, label: (i: number) => string, kept: WeakMap<ProgramStandings, string>): string {
  const known = kept.get(standings);
  if (known !== undefined) return known;
  let covered = false;
  const rows: unknown[] = [];
  for (const [k, st] of standings) {
    if (st.attaches && !st.via && !st.covered) continue;
    if (st.covered) covered = true;
    rows.push([k, st.attaches, st.via, st.covered?.by.map(label), st.covered?.site]);
  }
  const key = JSON.stringify(rows);
  if (!covered) kept.set(standings, key);
  return key;
}

/** Characters of program text a memo key holds at most (real programs: a few kB). */
const MAX_PROGRAM_KEY = 64 * 1024;

/** The program's own text with its position; undefined when the document has no line map. */
function programKey(doc: CDocumentLike, program: BpfProgram, configKey: string): string | undefined {
  const lines = (doc as { lines?: { offsetAt(p: { line: number; character: number }): number } }).lines;
  const text = (doc as { text?: string }).text;
  if (!lines || text === undefined) return undefined;
  // From the line before SEC (where a suppression comment may stand) to the end of the body.
  const start = { line: Math.max(0, program.secRange.start.line - 1), character: 0 };
  const end = program.bodyRange?.end ?? program.handler?.headerRange.end ?? program.secRange.end;
  const from = lines.offsetAt(start);
  const to = lines.offsetAt(end);
  // A key is hashed on every lookup: one that spans a huge line (100,000 SEC() on one line share
  // one handler) would make each run quadratic. Such programs are simply not memoised.
  if (to - from > MAX_PROGRAM_KEY) return undefined;
  return `${configKey}|${start.line}|${program.conditions.join('\u0001')}|${text.slice(from, to)}`;
}
