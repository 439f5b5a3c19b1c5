// bpftrace diagnostics: syntax problems from the parser, then, per probe, the same hazard taxonomy
// and codes as the libbpf C diagnostics (the verdicts come from analysis/verdicts.ts), plus
// what is particular to bpftrace: wildcard expansion per target kernel, probe lists where a
// sibling probe covers a kernel, `args` fields missing on some targets, `retval` where the probe
// has none, and hints towards a stable alternative. Suppression: `// bpf-atlas-ignore` or
// `// bpf-atlas-ignore: hazard[, hazard]` on the probe's line or the line before it.

import {
  DiagnosticSeverity, type Diagnostic, type DiagnosticRelatedInformation,
} from 'vscode-languageserver';
import type { AttachKind, HazardName } from '../../atlas/model';
import { offsetAt, type BtBlock, type BtModel, type BtProbe, type BtRange } from '../../syntax/bpftrace';
import type { AttachReport } from '../../analysis/report';
import { GLOB_MATCH_LIMIT } from '../../analysis/globs';
import { kernelLabel, kernelMeta } from '../../analysis/kernels';
import { bpftraceProbeLimit } from '../../analysis/probeLimits';
import type { Status } from '../../model/hazards';
import { codeDocsHref, diagnosticCodes } from '../shared/diagnosticCodes';
import type { FeatureContext } from '../shared/context';
import { cTypeKey } from '../../model/cTypes';
import { type AttachClause, attachMessage, fitMessage, groupByPhrase, hazardPhrase, kernelList, verdictLines } from '../shared/phrases';
import { WorkMeter } from '../shared/workBudget';
import { analyseProbe, closestRewrites, type ProbeAnalysis, type WildcardOnKernel } from './analysis';
import { argsOn, btModelOf, hasRetval, kernelOf, paramPerKernel, type BtDocumentLike } from './common';
import { btMemberFindings } from './members';

export const BT_SOURCE = 'bpf-atlas';

// Codes: the hazard names (as C), C's `field-missing`, `prefer-tracepoint` and `prefer-fentry`,
// and three of bpftrace's own: `syntax` (parser errors), `retval-unavailable` and
// `pattern-matches` (the information on what a wildcard expands to).

const TO_LSP: Record<Status | 'hint', DiagnosticSeverity | undefined> = {
  ok: undefined, error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information, hint: DiagnosticSeverity.Hint,
};

const OVERRIDE: Record<string, DiagnosticSeverity | null> = {
  error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information, hint: DiagnosticSeverity.Hint, off: null,
};

/** Codes with a section in docs/diagnostics.md: only these get a documentation link. */
const DOCUMENTED: ReadonlySet<string> = new Set(diagnosticCodes().map((c) => c.code));

/** Data attached to probe diagnostics, so code actions can find the probe again. */
export interface BtDiagnosticData {
  probe: string;
  code: string;
}

// ---- suppression ----

const IGNORE_RE = /bpf-atlas-ignore(?:\s*:\s*([\w\s,.-]+))?/;

/** Codes suppressed per line: '*' for all. A comment applies to its own line and the next one. */
function suppressions(model: BtModel): Map<number, Set<string>> {
  const byLine = new Map<number, Set<string>>();
  for (const c of model.comments) {
    const m = IGNORE_RE.exec(c.text);
    if (!m) continue;
    const codes = m[1] ? m[1].split(/[\s,]+/).map((s) => s.trim()).filter(Boolean) : ['*'];
    for (const line of [c.range.end.line, c.range.end.line + 1]) {
      const set = byLine.get(line) ?? new Set<string>();
      for (const code of codes) set.add(code);
      byLine.set(line, set);
    }
  }
  return byLine;
}

function isSuppressed(sup: Map<number, Set<string>>, lines: number[], code: string): boolean {
  return lines.some((l) => {
    const set = sup.get(l);
    return !!set && (set.has('*') || set.has(code));
  });
}

// ---- helpers ----

const label = kernelLabel;

/** Names for a message: `a, b and c`, longer lists cut to `max` and a count. */
function list(items: readonly string[], max = 6): string {
  return kernelList(items, max);
}

class Collector {
  readonly out: Diagnostic[] = [];
  constructor(private readonly ctx: FeatureContext, private readonly uri: string | undefined,
    private readonly sup: Map<number, Set<string>>) {}

  add(range: BtRange, severity: Status | 'hint', code: string, message: string, opts: {
    lines?: number[]; related?: { range: BtRange; message: string }[]; probe?: string;
  } = {}): void {
    let lsp = TO_LSP[severity];
    const override = this.ctx.settings.severity[code as HazardName];
    if (override !== undefined) lsp = OVERRIDE[override] ?? undefined;
    if (lsp === undefined) return;
    const lines = opts.lines ?? [range.start.line];
    if (isSuppressed(this.sup, lines, code)) return;
    const d: Diagnostic = { range, severity: lsp, code, source: BT_SOURCE, message };
    if (DOCUMENTED.has(code)) d.codeDescription = { href: codeDocsHref(code) };
    if (this.uri && opts.related?.length) {
      d.relatedInformation = opts.related.map((r): DiagnosticRelatedInformation => ({ location: { uri: this.uri!, range: r.range }, message: r.message }));
    }
    if (opts.probe) d.data = { probe: opts.probe, code } satisfies BtDiagnosticData;
    this.out.push(d);
  }

  /** A finding built elsewhere (features/shared/memberFindings.ts), under the same severity
   *  overrides and suppressions. */
  addBuilt(d: Diagnostic): void {
    const code = String(d.code);
    const override = this.ctx.settings.severity[code as HazardName];
    const lsp = override !== undefined ? OVERRIDE[override] ?? undefined : d.severity;
    if (lsp === undefined || isSuppressed(this.sup, [d.range.start.line], code)) return;
    this.out.push({ ...d, severity: lsp });
  }
}

/** Lines where a suppression comment for this probe may sit: the probe's own line, and the line
 *  before the probe list when the probe continues a list. */
function probeLines(probe: BtProbe, block: BtBlock): number[] {
  const lines = new Set([probe.range.start.line, block.probes[0].range.start.line]);
  return [...lines];
}

// ---- exact targets ----

const RANK: Record<Status, number> = { ok: 0, info: 1, warning: 2, error: 3 };

/** The hazard that best names a report's problem: the first of the worst severity, preferring
 *  one that says why (fully-inlined, renamed...) over a bare `absent` from another kernel. */
function primaryHazard(report: AttachReport, status: Status): HazardName {
  let first: HazardName | undefined;
  for (const k of report.kernels) {
    for (const h of k.hazards) {
      if (h.severity !== status) continue;
      if (h.name !== 'absent') return h.name;
      first ??= h.name;
    }
  }
  return first ?? (status === 'error' ? 'absent' : 'unknown');
}

/** What bpftrace does with a probe of a list that cannot attach while another attaches: the
 *  script's `config = { missing_probes = ... }` (bpftrace/bpftrace#3246), or `default` when the
 *  script does not say. Older bpftrace warns and skips such a probe; the current documentation
 *  gives `error` as the default, so without the setting the outcome depends on the version. */
export type MissingProbesMode = 'error' | 'warn' | 'ignore' | 'default';

export function missingProbesMode(model: BtModel): MissingProbesMode {
  for (const item of model.others) {
    if (item.keyword !== 'config') continue;
    const text = model.text.slice(offsetAt(model, item.range.start), offsetAt(model, item.range.end));
    const m = /\bmissing_probes\s*=\s*"?(error|warn|ignore)"?/.exec(text);
    if (m) return m[1] as 'error' | 'warn' | 'ignore';
  }
  return 'default';
}

/** The clause verb for kernels where a sibling of the list attaches, by mode (the full sentence,
 *  skippedSentence(), goes to the related information). */
function skippedVerb(mode: MissingProbesMode): string {
  return mode === 'default'
    ? 'needs missing_probes = "warn" to be skipped (older bpftrace skips it; current docs default to error) on'
    : `is skipped (another probe of the list attaches; missing_probes = ${mode}) on`;
}

/** The sentence for a probe skipped where a sibling of its list attaches, by mode. */
function skippedSentence(what: string, where: string, mode: MissingProbesMode): string {
  if (mode === 'default') {
    return `${what} on ${where}; another probe of this list does. bpftrace that warns on missing probes (older versions) skips it there; with missing_probes = error (the default its current docs give) the script fails: set config = { missing_probes = "warn" } to be sure.`;
  }
  return `${what} on ${where}; another probe of this list does, so bpftrace ${mode === 'ignore' ? 'skips it silently' : 'warns and skips it'} there (config missing_probes = ${mode}).`;
}

/** Kernels where some other probe of the same list attaches (bpftrace's missing_probes tolerance
 *  for lists such as `kprobe:blk_account_io_start, kprobe:__blk_account_io_start`). */
function coveredBySibling(analyses: Map<BtProbe, ProbeAnalysis>, block: BtBlock, probe: BtProbe, kernel: string): boolean {
  for (const other of block.probes) {
    if (other === probe) continue;
    const a = analyses.get(other);
    if (!a || !a.targets.length) continue;
    const ok = a.reports.some((r) => r.kernels.some((k) => k.kernel === kernel && k.status !== 'error'))
      || a.wildcards.some((w) => w.perKernel.some((k) => k.kernel === kernel && k.attachable.length > 0));
    if (ok) return true;
  }
  return false;
}

function exactDiagnostics(c: Collector, ctx: FeatureContext, analyses: Map<BtProbe, ProbeAnalysis>, block: BtBlock,
  probe: BtProbe, analysis: ProbeAnalysis, report: AttachReport, mode: MissingProbesMode): void {
  const lines = probeLines(probe, block);
  let status: Status = 'ok';
  const coveredOn: string[] = [];
  for (const k of report.kernels) {
    let s = k.status;
    if (s === 'error' && mode !== 'error' && block.probes.length > 1 && coveredBySibling(analyses, block, probe, k.kernel)) {
      coveredOn.push(k.kernel);
      s = mode === 'default' ? 'warning' : 'info';
    }
    if (RANK[s] > RANK[status]) status = s;
  }
  const related = verdictLines(report.kernels.filter((k) => k.status !== 'ok')).map((message) => ({ range: probe.range, message }));
  // What the atlas cannot tell (exact offsets, a blacklist it did not read) stays in the hover:
  // as a diagnostic on every probe it would only be noise.
  if (status === 'info' && !coveredOn.length) status = 'ok';
  if (status !== 'ok') {
    const code = primaryHazard(report, report.kernels.some((k) => k.status === 'error') ? 'error' : status === 'info' ? 'info' : 'warning');
    const failing = report.failing.filter((f) => !coveredOn.includes(f.kernel));
    const verdictOf = (kernel: string) => report.kernels.find((k) => k.kernel === kernel)!;
    const failed = new Set(failing.map((f) => f.kernel));
    // Each kernel in the clause of its worst outcome; the hazards' own words are in the related
    // information (one line per kernel).
    const clauses: AttachClause[] = [
      { verb: 'does not attach on', groups: groupByPhrase(failing, (f) => f.hazards.map((h) => hazardPhrase(h, verdictOf(f.kernel))).join(', ') || 'absent', (f) => f.kernel) },
      { verb: skippedVerb(mode), groups: coveredOn.length ? [{ phrase: '', kernels: coveredOn }] : [] },
      { verb: 'misses calls on', groups: groupByPhrase(report.degraded.filter((d) => !failed.has(d.kernel) && !coveredOn.includes(d.kernel)), (d) => d.hazards.map((h) => hazardPhrase(h, verdictOf(d.kernel))).join(', '), (d) => d.kernel) },
    ].filter((x) => x.groups.length);
    if (!clauses.length && report.unknownOn.length) clauses.push({ verb: 'cannot be fully judged on', groups: [{ phrase: '', kernels: report.unknownOn }] });
    if (coveredOn.length) related.push({ range: probe.range, message: skippedSentence(`${probe.raw} does not attach`, list(coveredOn.map((k) => label(ctx, k))), mode) });
    // fentry does not see inlined calls either: offer it for attach failures, not for misses.
    const usable = (r: { newText: string }) => status === 'error' || !/\b(fentry|fexit):/.test(r.newText);
    let rewrites = analysis.rewrites;
    let fix = rewrites.find(usable);
    // The closest names come last: searched only when the message would name them.
    if (status !== 'info' && (!fix || fix.reason === 'closest')) {
      rewrites = [...rewrites, ...closestRewrites(analysis, ctx)];
      fix = rewrites.find(usable);
    }
    let tail: string | undefined;
    if (fix && status !== 'info') {
      const closest = rewrites.filter((r) => r.reason === 'closest').map((r) => r.newText);
      tail = fix.reason === 'closest' ? `did you mean ${list(closest, 3)}?` : `use ${fix.newText}`;
    } else if (report.partialAlternatives.length) {
      const p = report.partialAlternatives[0];
      related.push({ range: probe.range, message: `tracepoint:${p.target.system}:${p.target.name} exists on ${list(p.presentOn)} only.` });
    }
    const message = attachMessage(probe.raw, clauses, report.kernels.length, tail).replace(/\?\.$/, '?');
    c.add(probe.nameRange ?? probe.range, status, code, message, { lines, related, probe: probe.raw });
  } else if (analysis.alternatives.length) {
    const alt = analysis.alternatives[0];
    const isFentry = alt.alternative.reason === 'fentry' || alt.alternative.reason === 'fexit';
    if (isFentry || alt.alternative.reason === 'equivalent') {
      const code = isFentry ? 'prefer-fentry' : 'prefer-tracepoint';
      const note = [alt.alternative.note, alt.alternative.caveat ? `Caveat: ${alt.alternative.caveat}` : ''].filter(Boolean).join(' ');
      c.add(probe.range, 'hint', code, fitMessage(`${alt.probe} works on every target kernel instead of ${probe.raw}.`, `${alt.probe} works on every target kernel.`),
        { lines, probe: probe.raw, related: note ? [{ range: probe.range, message: note }] : undefined });
    }
  }
}

// ---- wildcards ----

/** No match on the kernel, but the search for compiler copies stopped at its limit. */
function unsearched(k: WildcardOnKernel): boolean {
  return !!k.functionsAtLeast && !k.functions && !k.attachable.length;
}

/** The error for a wildcard on the kernels that refuse its attach type. */
function wildcardRefused(c: Collector, ctx: FeatureContext, probe: BtProbe, pattern: string, perKernel: WildcardOnKernel[], range: BtRange, lines: number[]): void {
  const refused = perKernel.filter((k) => k.known && k.refused);
  if (refused.length) {
    c.add(range, 'error', 'kernel-config', fitMessage(`${pattern} cannot attach on ${list(refused.map((k) => k.kernel), 3)} (${refused[0].refused!.message.replace(/\.$/, '')}).`, `${pattern} cannot attach on ${refused.length} of ${perKernel.length} targets.`),
      { lines, probe: probe.raw, related: refused.map((k) => ({ range, message: `${label(ctx, k.kernel)}: ${k.refused!.message}` })) });
  }
}

/** A probe-limit diagnostic for each kernel where the wildcard attaches past bpftrace's limit. */
function wildcardLimits(c: Collector, ctx: FeatureContext, probe: BtProbe, pattern: string, kind: AttachKind, known: WildcardOnKernel[], noun: string, range: BtRange, lines: number[]): void {
  for (const k of known) {
    // The attachable matches counted (all of them, or the first GLOB_MATCH_LIMIT: then the
    // count is a lower bound, and a limit it passes is passed for sure).
    const limit = bpftraceProbeLimit(kind, k.attachable.length, kernelMeta(ctx, k.kernel));
    if (!limit) continue;
    const atLeast = k.truncated || k.functionsAtLeast ? 'at least ' : '';
    const byNameNote = k.truncated && k.functions
      ? ` (the first ${GLOB_MATCH_LIMIT} expanded of ${k.functionsAtLeast ? 'at least ' : ''}${k.functions} that match by name)` : '';
    // The loader's rule is longer than a message may be: it is the related information.
    const why = limit.why.replace(/\.$/, '');
    c.add(range, limit.severity, 'probe-limit', fitMessage(
      `${pattern} attaches ${atLeast}${k.attachable.length} ${noun}s on ${label(ctx, k.kernel)}${byNameNote}, past what bpftrace allows there.`,
      `${pattern} attaches ${atLeast}${k.attachable.length} ${noun}s on ${label(ctx, k.kernel)}, past what bpftrace allows there.`,
      `${pattern} attaches ${atLeast}${k.attachable.length} ${noun}s on ${k.kernel}, past what bpftrace allows there.`),
      { lines, probe: probe.raw, related: [{ range, message: `${label(ctx, k.kernel)}: ${why}.` }] });
  }
}

/** A warning per hazard (blacklist, notrace, no BTF) for the matches bpftrace will not trace. */
function wildcardHazards(c: Collector, ctx: FeatureContext, probe: BtProbe, pattern: string, known: WildcardOnKernel[], noun: string, range: BtRange, lines: number[]): void {
  for (const hazard of ['kprobe-blacklist', 'notrace', 'no-btf'] as const) {
    const per = known.map((k) => ({ k, symbols: k.skipped.filter((s) => s.hazard === hazard).map((s) => s.symbol) })).filter((x) => x.symbols.length);
    if (!per.length) continue;
    const all = [...new Set(per.flatMap((x) => x.symbols))];
    const one = all.length === 1;
    const why = hazard === 'kprobe-blacklist' ? `${one ? 'is' : 'are'} on the kprobe blacklist`
      : hazard === 'notrace' ? `${one ? 'has' : 'have'} no ftrace site (notrace)` : `${one ? 'is' : 'are'} not in the kernel BTF`;
    c.add(range, 'warning', hazard, fitMessage(
      `${all.length} ${noun}${all.length === 1 ? '' : 's'} matching ${pattern} ${why} and will not be traced: ${list(all, 3)}.`,
      `${all.length} ${noun}${all.length === 1 ? '' : 's'} matching ${pattern} ${why} and will not be traced.`),
      { lines, probe: probe.raw, related: per.map((x) => ({ range, message: `${label(ctx, x.k.kernel)}: ${list(x.symbols, 10)}${x.k.truncated ? ` (among the first ${GLOB_MATCH_LIMIT})` : ''}.` })) });
  }
}

function wildcardDiagnostics(c: Collector, ctx: FeatureContext, block: BtBlock, probe: BtProbe, pattern: string, kind: AttachKind, perKernel: WildcardOnKernel[],
  mode: MissingProbesMode, analyses: Map<BtProbe, ProbeAnalysis>): void {
  const lines = probeLines(probe, block);
  const range = probe.nameRange ?? probe.range;
  wildcardRefused(c, ctx, probe, pattern, perKernel, range, lines);
  const known = perKernel.filter((k) => k.known && !k.refused);
  if (!known.length) return;
  const noun = probe.kind === 'tracepoint' || probe.kind === 'rawtracepoint' ? 'event' : 'function';
  // What bpftrace attaches where the expansion went to the end; the count of matching functions
  // (by name) where it stopped at GLOB_MATCH_LIMIT.
  const countOf = (k: WildcardOnKernel) => (k.inconclusive ? '0 known'
    : unsearched(k) ? 'no function by name (compiler copies not searched to the end)'
    : k.truncated ? `${k.functionsAtLeast ? 'at least ' : ''}${k.functions ?? k.attachable.length} functions`
      : `${k.functionsAtLeast ? 'at least ' : ''}${k.attachable.length}`);
  const countsRelated = known.map((k) => ({ range, message: `${label(ctx, k.kernel)}: ${k.inconclusive ? 'no match known' : `matches ${countOf(k)}`}.` }));
  const byName = known.filter((k) => k.truncated);
  if (byName.length) {
    countsRelated.push({ range, message: `On ${list(byName.map((k) => label(ctx, k.kernel)))} the functions are counted by name (notrace and blacklisted ones, which bpftrace skips, included) and the first ${GLOB_MATCH_LIMIT} expanded.` });
  }
  wildcardLimits(c, ctx, probe, pattern, kind, known, noun, range, lines);
  // No match, where the search for suffixed copies stopped short, is not "none" (verdicts.ts
  // says `unknown` for the same case of a libbpf pattern).
  const none = known.filter((k) => k.attachable.length === 0 && !k.inconclusive && !unsearched(k));
  // A count in a message says of what: `2 events`, `1847 functions` (countOf's by-name forms do).
  const counted = (k: WildcardOnKernel) => (k.truncated || unsearched(k) ? countOf(k) : `${countOf(k)} ${noun}${k.attachable.length === 1 && !k.functionsAtLeast ? '' : 's'}`);
  // Counts grouped, each kernel named once with its version (the evidence is the count):
  // `42 on debian-11 (5.10) and debian-12 (6.1), 40 on debian-13 (6.12)`.
  const countsOver = (ks: readonly WildcardOnKernel[], max: number, named: (k: WildcardOnKernel) => string) =>
    groupByPhrase(ks, (k) => (k.inconclusive ? 'none known' : counted(k)), named).map((g) => `${g.phrase} on ${list(g.kernels, max)}`).join(', ');
  const labelled = (k: WildcardOnKernel) => label(ctx, k.kernel);
  // Where another probe of the list attaches, the missing_probes setting decides (as for exact probes).
  const skipped = mode === 'error' || block.probes.length < 2 ? [] : none.filter((k) => coveredBySibling(analyses, block, probe, k.kernel));
  const failing = none.filter((k) => !skipped.includes(k));
  if (failing.length) {
    // A "none" is a count that went to the end: the message says so, and what the others match.
    const exact = failing.every((k) => !k.functionsAtLeast) ? ' (every name searched)' : '';
    const others = known.filter((k) => !none.includes(k));
    const rest = (max: number, named: (k: WildcardOnKernel) => string) => (others.length ? `; ${countsOver(others, max, named)}` : '');
    c.add(range, 'error', 'absent', fitMessage(
      `${pattern} matches no ${noun} on ${list(failing.map(labelled), 3)}${exact}${rest(3, labelled)}.`,
      `${pattern} matches no ${noun} on ${list(failing.map(labelled), 3)}${exact}.`,
      `${pattern} matches no ${noun} on ${list(failing.map((k) => k.kernel), 3)}${exact}.`,
      `${pattern} matches no ${noun} on ${failing.length} of ${known.length} targets${exact}.`),
      { lines, probe: probe.raw, related: countsRelated });
  }
  if (skipped.length) {
    c.add(range, mode === 'default' ? 'warning' : 'info', 'absent',
      fitMessage(`${pattern} matches no ${noun} on ${list(skipped.map((k) => k.kernel), 3)}: ${skippedVerb(mode).replace(/ on$/, '')}.`, `${pattern} matches no ${noun} on ${skipped.length} of ${known.length} targets.`),
      { lines, probe: probe.raw, related: [...countsRelated, { range, message: skippedSentence(`${pattern} matches no ${noun}`, list(skipped.map((k) => label(ctx, k.kernel))), mode) }] });
  }
  if (!none.length) {
    const counts = (max: number, named: (k: WildcardOnKernel) => string = labelled) => countsOver(known, max, named);
    const clones = [...new Set(known.flatMap((k) => k.clones))];
    const sample = [...new Set(known.flatMap((k) => k.attachable))];
    const related = [...countsRelated];
    if (sample.length) related.push({ range, message: `Matches include ${list(sample, 8)}.` });
    if (clones.length) related.push({ range, message: `Compiler-renamed symbols among them: ${list(clones)}.` });
    c.add(range, 'info', 'pattern-matches', fitMessage(
      `${pattern} matches ${counts(3)}${clones.length ? ', some compiler-renamed' : ''}.`,
      `${pattern} matches ${counts(1)}.`,
      `${pattern} matches ${counts(1, (k) => k.kernel)}.`,
      `${pattern} matches ${noun}s on every target.`), { lines, probe: probe.raw, related });
  }
  wildcardHazards(c, ctx, probe, pattern, known, noun, range, lines);
}

// ---- args and retval ----

/** A wildcard tracepoint's `args` must exist in every event it matches (bpftrace builds one
 *  record type for them all): fields missing from some matched events are reported. */
function wildcardArgsDiagnostics(c: Collector, ctx: FeatureContext, block: BtBlock, probe: BtProbe, analysis: ProbeAnalysis): void {
  for (const w of analysis.wildcards) {
    if (w.target.kind !== 'tracepoint') continue;
    for (const use of uniqueFields(block)) {
      const gaps: { event: string; kernel: string }[] = [];
      for (const k of w.perKernel) {
        const kernel = k.known ? kernelOf(ctx, k.kernel) : undefined;
        if (!kernel) continue;
        for (const qualified of k.attachable) {
          const [system, event] = qualified.split(':');
          const fields = kernel.tracepoint(event, system)?.fields;
          if (fields?.length && !fields.some((f) => f.name === use.field) && !gaps.some((g) => g.event === event && g.kernel === k.kernel)) gaps.push({ event, kernel: k.kernel });
        }
      }
      if (gaps.length) {
        // `event on kernel` pairs, grouped by event so each kernel is named once per event.
        const byEvent = groupByPhrase(gaps, (g) => g.event, (g) => g.kernel);
        c.add(use.range, 'error', 'field-missing', fitMessage(
          `${probe.raw} matches events without args field \`${use.field}\`: ${list(byEvent.map((g) => g.phrase), 3)}.`,
          `${probe.raw} matches ${byEvent.length} events without args field \`${use.field}\`.`),
          { lines: [use.range.start.line, ...probeLines(probe, block)], probe: probe.raw,
            related: byEvent.map((g) => ({ range: use.range, message: `${g.phrase} has no field ${use.field} on ${g.kernels.join(', ')}.` })) });
      }
    }
  }
}

function uniqueFields(block: BtBlock): BtBlock['argsUses'] {
  const seen = new Set<string>();
  return block.argsUses.filter((u) => u.field && !seen.has(u.field) && !!seen.add(u.field));
}

function argsDiagnostics(c: Collector, ctx: FeatureContext, block: BtBlock, analyses: Map<BtProbe, ProbeAnalysis>): void {
  if (!block.argsUses.length) return;
  for (const probe of block.probes) {
    const wildcard = analyses.get(probe);
    if (probe.wildcard && wildcard) wildcardArgsDiagnostics(c, ctx, block, probe, wildcard);
    if (probe.wildcard || !['tracepoint', 'fentry', 'fexit', 'rawtracepoint'].includes(probe.kind)) continue;
    const analysis = analyses.get(probe);
    if (!analysis || !analysis.targets.length) continue;
    // Kernels where the hook exists and its args are known.
    const perKernel: { kernel: string; args: Map<string, string> }[] = [];
    for (const id of ctx.targets) {
      const kernel = kernelOf(ctx, id);
      const args = kernel ? argsOn(kernel, probe) : undefined;
      if (args) perKernel.push({ kernel: id, args: new Map(args.map((a) => [a.name, a.type])) });
    }
    if (!perKernel.length) continue;
    const seen = new Set<string>();
    for (const use of block.argsUses) {
      if (!use.field) continue;
      const missing = perKernel.filter((k) => !k.args.has(use.field)).map((k) => k.kernel);
      const lines = [use.range.start.line, ...probeLines(probe, block)];
      if (missing.length) {
        const all = missing.length === perKernel.length;
        const sample = [...perKernel[0].args.keys()];
        c.add(use.range, all ? 'error' : 'warning', 'field-missing', all
          ? fitMessage(`${probe.raw} has no args field \`${use.field}\` on any target.`, `No args field \`${use.field}\` on any target.`)
          : fitMessage(`${probe.raw} has no args field \`${use.field}\` on ${list(missing, 3)}.`, `${probe.raw} has no args field \`${use.field}\` on ${missing.length} of ${perKernel.length} targets.`),
          { lines, probe: probe.raw, related: all
            ? [{ range: use.range, message: `Fields: ${list(sample, 20)}.` }]
            : [{ range: use.range, message: `It exists on ${list(perKernel.filter((k) => !missing.includes(k.kernel)).map((k) => label(ctx, k.kernel)), 10)}.` }] });
        continue;
      }
      // Grouped by the comparison key (model/cTypes.ts), shown as the first kernel spells it.
      const types = new Map<string, string[]>();
      const shown = new Map<string, string>();
      for (const k of perKernel) {
        const t = k.args.get(use.field)!;
        const canonical = cTypeKey(t);
        if (!shown.has(canonical)) shown.set(canonical, t);
        types.set(canonical, [...(types.get(canonical) ?? []), k.kernel]);
      }
      const key = `${probe.raw}\0${use.field}`;
      if (types.size > 1 && !seen.has(key)) {
        seen.add(key);
        const code = probe.kind === 'tracepoint' ? 'fields-changed' : probe.kind === 'rawtracepoint' ? 'args-changed' : 'signature-changed';
        const byType = (max: number) => [...types].map(([t, ks]) => `${shown.get(t)} on ${list(ks, max)}`).join(', ');
        c.add(use.range, 'warning', code, fitMessage(
          `args.${use.field} of ${probe.raw} changes type between targets: ${byType(3)}.`,
          `args.${use.field} of ${probe.raw} changes type between targets: ${byType(1)}.`,
          `args.${use.field} of ${probe.raw} has ${types.size} types across the targets.`),
          { lines, probe: probe.raw, related: [...types].map(([t, ks]) => ({ range: use.range, message: `${shown.get(t)} on ${ks.map((k) => label(ctx, k)).join(', ')}.` })) });
      }
    }
  }
}

/** `argN` in a kprobe reads the N-th parameter by register: where the prototype differs at that
 *  position between targets, the same script reads different things. */
function argNDiagnostics(c: Collector, ctx: FeatureContext, block: BtBlock): void {
  const indexes = [...new Set(block.argNUses.map((u) => u.index))];
  for (const probe of block.probes) {
    if (probe.kind !== 'kprobe' || !probe.function || probe.wildcard) continue;
    for (const index of indexes) {
      const variants = paramPerKernel(probe.function, index, ctx);
      if (variants.size < 2) continue;
      const first = block.argNUses.find((u) => u.index === index)!;
      const byDecl = (max: number) => [...variants].map(([d, ks]) => `${d} on ${list(ks, max)}`).join(', ');
      c.add(first.range, 'warning', 'signature-changed', fitMessage(
        `arg${index} of ${probe.raw} differs between targets: ${byDecl(3)}.`,
        `arg${index} of ${probe.raw} differs between targets: ${byDecl(1)}.`,
        `arg${index} of ${probe.raw} is ${variants.size} different parameters across the targets.`),
        { lines: [first.range.start.line, ...probeLines(probe, block)], probe: probe.raw,
          related: [...variants].map(([d, ks]) => ({ range: first.range, message: `${d} on ${ks.map((k) => label(ctx, k)).join(', ')}.` })) });
    }
  }
}

function retvalDiagnostics(c: Collector, block: BtBlock): void {
  if (!block.retvalUses.length) return;
  const without = block.probes.filter((p) => p.kind !== 'unknown' && !hasRetval(p.kind));
  if (!without.length) return;
  for (const r of block.retvalUses) {
    c.add(r, 'error', 'retval-unavailable', fitMessage(
      `retval exists only in kretprobe, fexit and uretprobe probes, not in ${list(without.map((p) => p.raw), 3)}.`,
      'retval exists only in kretprobe, fexit and uretprobe probes.'),
      { lines: [r.start.line, block.probes[0].range.start.line] });
  }
}

// ---- entry point ----

export function diagnosticsBpftrace(doc: BtDocumentLike, ctx: FeatureContext): Diagnostic[] {
  const model = btModelOf(doc);
  const c = new Collector(ctx, doc.uri, suppressions(model));
  for (const e of model.errors) c.add(e.range, 'error', 'syntax', fitMessage(e.message));
  const mode = missingProbesMode(model);
  const analyses = new Map<BtProbe, ProbeAnalysis>();
  // Scripts repeat probes (copies of a tool, BEGIN/END): one analysis per distinct probe text.
  const byText = new Map<string, ProbeAnalysis>();
  const meter = new WorkMeter(ctx);
  const probeCount = model.blocks.reduce((n, b) => n + b.probes.length, 0);
  analyse: for (const block of model.blocks) {
    for (const probe of block.probes) {
      if ((probe.kind === 'tracepoint' && (!probe.system || !probe.event))
        || (['kprobe', 'kretprobe', 'fentry', 'fexit'].includes(probe.kind) && !probe.function)) {
        c.add(probe.range, 'error', 'syntax', `Incomplete probe ${probe.raw}: expected ${probe.kind === 'tracepoint' ? `${probe.typeText}:system:event` : `${probe.typeText}:function`}.`);
        continue;
      }
      let analysis = byText.get(probe.raw);
      if (!analysis) {
        if (!meter.next()) {
          if (meter.exhausted) c.out.push(meter.note(probe.range, probeCount, BT_SOURCE));
          break analyse;
        }
        analysis = analyseProbe(probe, ctx);
        byText.set(probe.raw, analysis);
      }
      analyses.set(probe, analysis);
    }
  }
  for (const block of model.blocks) {
    for (const probe of block.probes) {
      const analysis = analyses.get(probe);
      if (!analysis) continue;
      for (const report of analysis.reports) exactDiagnostics(c, ctx, analyses, block, probe, analysis, report, mode);
      for (const w of analysis.wildcards) {
        const pattern = w.target.kind === 'tracepoint' ? `${probe.typeText}:${w.target.system}:${w.target.name}` : `${probe.typeText}:${w.target.name}`;
        wildcardDiagnostics(c, ctx, block, probe, pattern, w.target.kind, w.perKernel, mode, analyses);
      }
    }
    argsDiagnostics(c, ctx, block, analyses);
    argNDiagnostics(c, ctx, block);
    retvalDiagnostics(c, block);
  }
  for (const d of btMemberFindings(model, doc.uri ?? '', ctx)) c.addBuilt(d);
  return c.out;
}
