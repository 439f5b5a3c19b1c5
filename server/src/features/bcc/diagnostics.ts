// BCC diagnostics: one diagnostic per attach point of a Python tool (or its C text), with the
// messages and evidence of libbpf C (features/c/diagnostics.ts attachDiagnostic over the one
// analysis path), landing where the target is written in the Python file; `args->field` reads of
// TRACEPOINT_PROBE handlers checked against each kernel's record.
//
// Only kernels where the tool actually makes the attach are judged: an attach behind the tool's
// own kernel checks (syntax/bcc conditions, answered per kernel by analysis/bccChecks.ts) counts on
// the kernels where those checks pass, and is silent where they fail or where the facts cannot
// tell. bcc's syscall names (get_syscall_fnname, kprobe__sys_*) are attached by symbol under bcc's
// own prefix for each kernel, so they are judged as that kprobe.

import type { Diagnostic, DiagnosticRelatedInformation } from 'vscode-languageserver';
import type { AttachKind, AttachTarget, KernelQuery } from '../../atlas/model';
import { kernelCheckAnswer, syscallPrefix } from '../../analysis/bccChecks';
import { kernelConfigHazard } from '../../atlas/kernelConfig';
import { kernelOf } from '../../analysis/kernels';
import type { StableAlternative } from '../../analysis/alternatives';
import { attachReport, type AttachReport } from '../../analysis/report';
import { assessOn, attachVerdicts } from '../../analysis/verdicts';
import { sectionOf } from '../../model/targets';
import { conditionsHold, type Tri } from '../../syntax/bcc/conditions';
import { compilePythonRegex } from '../../syntax/bcc/pyRegex';
import type { BccAttachPoint, BccGuard, BccModel } from '../../syntax/bcc/types';
import type { Range, Suppression } from '../../syntax/cModel';
import { attachDiagnostic, effectiveSeverity, recordFieldDiagnostics, DIAGNOSTIC_SOURCE } from '../c/diagnostics';
import type { FeatureContext } from '../shared/context';
import { codeDocsHref } from '../shared/diagnosticCodes';
import { fitMessage, kernelList } from '../shared/phrases';

export interface BccDocumentLike {
  uri: string;
  bcc?: BccModel;
}

/** Attach kinds the atlas judges (uprobes, USDT and perf events are not kernel hooks). */
const JUDGED: ReadonlySet<string> = new Set(['kprobe', 'kretprobe', 'ksyscall', 'kretsyscall', 'tracepoint', 'raw_tp', 'fentry', 'fexit', 'fmod_ret', 'lsm']);

export function isJudgedKind(kind: string): boolean {
  return JUDGED.has(kind);
}

/** The answer of one kernel to one of the tool's checks, memoised in the analysis cache (a regex
 *  check walks every function name of the kernel). */
function answer(ctx: FeatureContext, kernel: KernelQuery, g: BccGuard): Tri {
  const key = `${ctx.cache.instanceId(kernel)}|${g.check}|${JSON.stringify(g.args)}|${g.syscallArg ?? ''}`;
  return ctx.cache.remember('bcc-checks', key, () => ({ v: kernelCheckAnswer(kernel, g) })).v;
}

/** The target kernels on which the tool makes this attach for sure. */
export function reachedKernels(ap: BccAttachPoint, ctx: FeatureContext): string[] {
  return ctx.targets.filter((id) => {
    const k = kernelOf(ctx, id);
    if (!k) return false;
    return conditionsHold(ap.conditions, (g) => answer(ctx, k, g)) === true;
  });
}

/** The atlas target(s) of an attach point, with the kernels each one applies to: bcc's syscall
 *  names become the symbol under each kernel's own prefix. */
export function atlasTargets(ap: BccAttachPoint, kernels: readonly string[], ctx: FeatureContext): { target: AttachTarget; kernels: string[] }[] {
  const t = ap.target;
  if (!t?.name || t.regex) return [];
  if (!t.syscall) return [{ target: { kind: ap.kind as AttachKind, name: t.name, ...(t.system ? { system: t.system } : {}) }, kernels: [...kernels] }];
  const kind: AttachKind = ap.kind === 'ksyscall' ? 'kprobe' : ap.kind === 'kretsyscall' ? 'kretprobe' : ap.kind as AttachKind;
  const groups = new Map<string, string[]>();
  for (const id of kernels) {
    const k = kernelOf(ctx, id);
    const prefix = k && syscallPrefix(k);
    if (!prefix) continue;
    groups.set(prefix, [...(groups.get(prefix) ?? []), id]);
  }
  return [...groups].map(([prefix, ids]) => ({ target: { kind, name: prefix + t.name }, kernels: ids }));
}

function suppressedCodes(s: Suppression | undefined): { all: boolean; codes: Set<string> } {
  if (!s) return { all: false, codes: new Set() };
  return { all: s.codes.length === 0 || s.codes.includes('all'), codes: new Set(s.codes) };
}

/** Why only some kernels are judged: a related-information line (the message stays one sentence). */
function reachNote(doc: BccDocumentLike, ap: BccAttachPoint, range: Range): DiagnosticRelatedInformation[] {
  if (ap.intent !== 'runtime-chosen') return [];
  const tests = ap.conditions.filter((c) => c.kind !== 'loop').map((c) => c.text);
  return tests.length
    ? [{ location: { uri: doc.uri, range }, message: `The tool attaches it there after its own checks (${tests.slice(0, 3).join('; ')}${tests.length > 3 ? '; ...' : ''}).` }]
    : [];
}

export function diagnosticsBcc(doc: BccDocumentLike, ctx: FeatureContext): Diagnostic[] {
  const model = doc.bcc;
  if (!model) return [];
  const out: Diagnostic[] = [];
  for (const ap of model.attachPoints) {
    if (!JUDGED.has(ap.kind) || !ap.target) continue;
    const suppressed = suppressedCodes(ap.suppression);
    if (suppressed.all) continue;
    const reached = reachedKernels(ap, ctx);
    if (!reached.length) continue;
    const range = ap.targetRange ?? ap.range;
    if (ap.target.regex) {
      const d = regexDiagnostic(doc, ap, ap.target.regex, reached, range, ctx, suppressed.codes);
      if (d) out.push(d);
      continue;
    }
    for (const group of atlasTargets(ap, reached, ctx)) {
      const sub: FeatureContext = { ...ctx, targets: group.kernels };
      const report = bccReport(group.target, sub);
      const site = { section: sectionOf(group.target), sectionRange: range };
      const d = attachDiagnostic(doc, site, group.target, report, sub, suppressed.codes);
      if (d) {
        d.relatedInformation = [...reachNote(doc, ap, range), ...(d.relatedInformation ?? [])];
        out.push(d);
      }
      const fn = ap.handlerFunction;
      if (group.target.kind === 'tracepoint' && fn) {
        const base = recordBase(fn);
        if (base) out.push(...recordFieldDiagnostics(doc, site, fn.argAccesses, base, group.target, report, sub, suppressed.codes));
      }
    }
  }
  return out;
}

/** The name a tracepoint handler reads the record through: `args` in a TRACEPOINT_PROBE, else a
 *  `struct tracepoint__<system>__<event> *` first parameter. */
export function recordBase(fn: NonNullable<BccAttachPoint['handlerFunction']>): string | undefined {
  return fn.macro === 'TRACEPOINT_PROBE' ? 'args' : /^struct tracepoint__/.test(fn.params[0]?.type ?? '') ? fn.params[0].name : undefined;
}

/** The attach report of a target as bcc can act on it. bcc has no tp_btf programs: a BTF
 *  tracepoint alternative is offered as the classic trace event of the same tracepoint
 *  (TRACEPOINT_PROBE, `args->` fields) where that attaches on every target without an error or a
 *  warning, else as its raw tracepoint (RAW_TRACEPOINT_PROBE, the same TP_PROTO arguments, no BTF
 *  needed). Diagnostics and quick fixes both read it, so a fix offers what the message names. */
export function bccReport(target: AttachTarget, ctx: FeatureContext): AttachReport {
  const report = attachReport(target, ctx);
  if (!report.alternatives.some((a) => a.target.kind === 'tp_btf')) return report;
  const seen = new Set<string>();
  const alternatives = report.alternatives
    .map((a) => (a.target.kind === 'tp_btf' ? classicOrRaw(a, ctx) : a))
    .filter((a) => { const k = sectionOf(a.target); if (seen.has(k)) return false; seen.add(k); return true; });
  return { ...report, alternatives };
}

function classicOrRaw(alt: StableAlternative, ctx: FeatureContext): StableAlternative {
  const system = alt.perKernel.find((a) => a.system)?.system;
  if (system) {
    const classic = attachVerdicts({ kind: 'tracepoint', name: alt.target.name, system }, ctx);
    if (classic.kernels.length && !classic.failing.length && !classic.degraded.length) {
      return { ...alt, target: classic.target, perKernel: classic.kernels.map((k) => k.assessment) };
    }
  }
  return { ...alt, target: { kind: 'raw_tp', name: alt.target.name } };
}

/** `event_re=`: bcc attaches every symbol the regex fully matches, and fails when none attaches. */
function regexDiagnostic(doc: BccDocumentLike, ap: BccAttachPoint, regex: string, kernels: readonly string[], range: Range,
  ctx: FeatureContext, suppressed: Set<string>): Diagnostic | undefined {
  const compiled = compilePythonRegex(regex);
  if (!compiled.ok) return undefined;
  const failing: string[] = [];
  for (const id of kernels) {
    const k = kernelOf(ctx, id);
    if (!k || !k.meta.coverage.modules) continue;
    const matches = ctx.cache.remember('bcc-regex', `${ctx.cache.instanceId(k)}|${regex}`, () => {
      const symbols: string[] = [];
      for (const name of k.functionNames()) for (const s of k.fn(name)?.symbols ?? []) if (compiled.pattern.test(s)) symbols.push(s);
      return { symbols };
    }).symbols;
    const attachable = matches.some((s) => assessOn(ctx, id, { kind: ap.kind as AttachKind, name: s }).attachable);
    if (!attachable) failing.push(id);
  }
  if (!failing.length) return undefined;
  // A kernel that refuses the kind altogether (no CONFIG_KPROBES) fails for that one reason.
  const target: AttachTarget = { kind: ap.kind as AttachKind, name: regex, pattern: true };
  const refusals = failing.map((id) => kernelConfigHazard(kernelOf(ctx, id)!.meta, target)).filter((h) => h?.severity === 'error');
  const code = refusals.length === failing.length ? 'kernel-config' : 'absent';
  if (suppressed.has(code)) return undefined;
  const severity = effectiveSeverity(code, ctx, 'error');
  if (severity === undefined) return undefined;
  return {
    range, severity, code, codeDescription: { href: codeDocsHref(code) }, source: DIAGNOSTIC_SOURCE,
    message: code === 'kernel-config'
      ? fitMessage(
        `${ap.kind} event_re ${regex} cannot attach on ${kernelList(failing, 3)} (${[...new Set(refusals.map((h) => h!.message.replace(/^.*?: /, '').replace(/\.$/, '')))].join('; ')}).`,
        `${ap.kind} event_re ${regex} cannot attach on ${failing.length} of ${kernels.length} targets: the kernel is built without it.`)
      : fitMessage(
        `${ap.kind} event_re ${regex} matches no attachable function on ${kernelList(failing, 3)}, so bcc's attach fails there.`,
        `${ap.kind} event_re ${regex} matches no attachable function on ${failing.length} of ${kernels.length} targets.`),
    relatedInformation: reachNote(doc, ap, range),
    data: { section: `${ap.kind}/${regex}`, target },
  };
}
