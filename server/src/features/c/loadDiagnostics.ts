// libbpf C diagnostics for what a program needs from the kernel besides its attach point: a helper,
// kfunc, map type or program type that a target kernel lacks, or that the program's type may not
// call there, at the line that uses it, naming the kernels and the first version that has it. From
// the one load check of the file (analysis/loadCheck.ts); only certain failures are diagnostics
// (`unknown` never is), and the attach point itself keeps its own diagnostics.

import type { Diagnostic } from 'vscode-languageserver';
import { fileLoadCheck } from '../../analysis/loadCheck';
import type { LoadReason, ProgramVerdict } from '../../analysis/loadVerdict';
import { kernelLabel } from '../../analysis/kernels';
import { compareKernelVersions } from '../../knowledge/loadability';
import type { BpfProgram } from '../../syntax/cModel';
import type { AnalyzedDocument } from '../../syntax/documents';
import { codeDocsHref } from '../shared/diagnosticCodes';
import { fitMessageNaming, kernelList } from '../shared/phrases';
import type { FeatureContext } from '../shared/context';
import { DIAGNOSTIC_SOURCE, effectiveSeverity } from './diagnostics';

/** The diagnostic code of a failing reason. */
export function loadReasonCode(r: LoadReason): string | undefined {
  switch (r.kind) {
    case 'helpers': return r.rule === 'helper-absent' ? 'helper-unavailable' : 'helper-not-allowed';
    case 'kfuncs': return r.rule === 'kfunc-absent' || r.rule === 'no-kfunc-support' ? 'kfunc-unavailable' : 'kfunc-not-allowed';
    case 'maps': return 'map-type-unavailable';
    case 'program-type': return 'prog-type-unavailable';
    default: return undefined;
  }
}

type LoadDocument = Pick<AnalyzedDocument, 'uri' | 'text' | 'tree' | 'lines' | 'c'>;

export function loadDiagnostics(doc: LoadDocument, ctx: FeatureContext): Diagnostic[] {
  if (!doc.c?.programs.length || !ctx.targets.length) return [];
  const check = fileLoadCheck(doc, ctx);
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  // A program's diagnostics follow from its verdict (the load check keeps the same verdict object
  // while what it was judged on is the same: the program's section, places and calls, the file's
  // maps, the kernels), its suppression comment, the document, targets and severities: an edit to
  // one program leaves the others' as they were, reused rather than worded again on each run.
  const memo = ctx.cache.table<ProgramLoadDiagnostic[]>('c-load-diagnostics');
  const config = ctx.cache.remember('c-load-configs', `${doc.uri}|${ctx.targets.join(',')}|${JSON.stringify(ctx.settings.severity)}`, () => ({}));
  // The kernels' versions, listed once per run (not once per program-type reason).
  let metas: ReturnType<FeatureContext['atlas']['list']> | undefined;
  const versionOf = (id: string) => (metas ??= ctx.atlas.list()).find((m) => m.id === id)?.version;
  for (const program of doc.c.programs) {
    const v = check.byProgram.get(program);
    if (!v) continue;
    const key = `${ctx.cache.instanceId(config)}|${ctx.cache.instanceId(v)}|${JSON.stringify(program.suppression ?? null)}`;
    let found = memo.get(key);
    if (!found) {
      found = programLoadDiagnostics(doc.uri, program, v, ctx, versionOf);
      memo.set(key, found);
    }
    for (const { place, diagnostic } of found) {
      // One diagnostic per place and message (a static function shared by programs, a map).
      if (seen.has(place)) continue;
      seen.add(place);
      out.push(diagnostic);
    }
  }
  return out;
}

/** A diagnostic of one program, with its place and reason (shared ones are shown once). */
interface ProgramLoadDiagnostic {
  place: string;
  diagnostic: Diagnostic;
}

function programLoadDiagnostics(uri: string, program: BpfProgram, v: ProgramVerdict, ctx: FeatureContext,
  versionOf: (id: string) => string | undefined): ProgramLoadDiagnostic[] {
  // `SEC("?...")`: libbpf does not load it unless the loader asks; never an error here.
  if (program.section.startsWith('?')) return [];
  const suppression = program.suppression;
  if (suppression && (suppression.codes.length === 0 || suppression.codes.includes('all'))) return [];
  const out: ProgramLoadDiagnostic[] = [];
  for (const r of v.reasons) {
    if (r.effect !== 'fails' || !r.range) continue;
    const code = loadReasonCode(r);
    if (!code || suppression?.codes.includes(code)) continue;
    const kernels = r.kind === 'program-type' ? kernelsPastFloor(program, r, v, ctx, versionOf) : r.kernels;
    if (!kernels.length) continue;
    const severity = effectiveSeverity(code, ctx);
    if (severity === undefined) continue;
    const message = loadMessage(r, code, kernels, kernels.map((k) => kernelLabel(ctx, k)), ctx.targets.length);
    out.push({
      place: `${code}|${r.range.start.line}:${r.range.start.character}|${r.message}`,
      diagnostic: {
        range: r.range,
        severity,
        code,
        codeDescription: { href: codeDocsHref(code) },
        source: DIAGNOSTIC_SOURCE,
        message,
        // The evidence first (every diagnostic names it); the reason's own words after it only
        // when the message had to be shorter than them, never the message twice.
        relatedInformation: [
          { location: { uri, range: program.secRange }, message: `${v.name} (SEC("${v.section}")): ${r.evidence}` },
          ...(message === `${r.message}.` ? [] : [{ location: { uri, range: program.secRange }, message: `${r.message}.` }]),
        ],
      },
    });
  }
  return out;
}

/** What a failing reason says in a few words, before the kernels: `kfunc bpf_task_acquire does
 *  not exist`. */
function loadPhrase(r: LoadReason, code: string): string {
  switch (code) {
    case 'helper-unavailable': return `${r.subject} does not exist`;
    case 'helper-not-allowed': return `this program type may not call ${r.subject}`;
    case 'kfunc-unavailable': return `kfunc ${r.subject} does not exist`;
    case 'kfunc-not-allowed': return `this program type may not call kfunc ${r.subject}`;
    case 'map-type-unavailable': return `${r.subject} maps do not exist`;
    default: return `${r.subject} programs cannot load`;
  }
}

/** The diagnostic's sentence: the reason's own words when they fit the rules (one sentence of
 *  at most 200 characters, each kernel named once), else the short form with the kernels, else
 *  with a count; the reason's own words are then in the related information. */
function loadMessage(r: LoadReason, code: string, kernels: readonly string[], labels: readonly string[], targets: number): string {
  const phrase = loadPhrase(r, code);
  // A kfunc's first version is inferred from the newest bundled kernel without it: a bound.
  const since = r.since ? (r.kind === 'kfuncs' ? ` (not before ${r.since})` : ` (first in Linux ${r.since})`) : '';
  return fitMessageNaming(kernels,
    `${r.message}.`,
    `${phrase} on ${kernelList(labels, 3)}${since}.`,
    `${phrase} on ${kernelList(labels, 1)}${since}.`,
    `${phrase} on ${kernels.length} of ${targets} targets${since}.`);
}

/** The kernels a program-type reason adds beyond the section's version floor (kernel-too-old
 *  already says those). */
function kernelsPastFloor(program: BpfProgram, r: LoadReason, v: ProgramVerdict, ctx: FeatureContext,
  versionOf: (id: string) => string | undefined): string[] {
  let since: string | undefined;
  try {
    since = ctx.knowledge.sectionPrefix(program.section)?.since;
  } catch {
    since = undefined;
  }
  if (!since) return r.kernels;
  return r.kernels.filter((id) => {
    const version = versionOf(id);
    return !version || !/^\d+\.\d+/.test(version) || compareKernelVersions(version, since!) >= 0 || v.kernels[id] === undefined;
  });
}

