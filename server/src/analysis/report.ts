// The cross-kernel report for one attach target: the verdicts (verdicts.ts) and the advice built
// on them: stable alternatives, rename advice and, asked for separately where shown, the closest
// real names for a name missing somewhere. Pure and memoised in the one cache; libbpf C and
// bpftrace diagnostics, quick fixes, hover and `bpf-atlas check` build on it, so it knows nothing
// of C or bpftrace syntax.

import type { AttachTarget } from '../atlas/model';
import { findAlternatives, type PartialAlternative, type StableAlternative } from './alternatives';
import { REPORTS_TABLE, targetKey } from './cache';
import { closestNames } from './closest';
import type { AnalysisContext } from './context';
import { renameAdvice, type RenameAdvice } from './rename';
import { attachVerdicts, type AttachVerdicts } from './verdicts';

export interface AttachReport extends AttachVerdicts {
  alternatives: StableAlternative[];
  partialAlternatives: PartialAlternative[];
  rename?: RenameAdvice;
}

/** Whether a report's target deserves a spelling check: missing somewhere for sure, or missing
 *  from every target (even where the atlas cannot rule out a module), and no renamed symbol
 *  explains it. */
export function wantsClosestNames(report: AttachReport): boolean {
  if (report.target.pattern || report.target.unexpandedGlob || report.rename) return false;
  const absentSomewhere = report.kernels.some((k) => !k.assessment.found && !k.hazards.some((h) => h.name === 'unknown'));
  return absentSomewhere || missingEverywhere(report);
}

/** Whether the target is found on no target kernel: the case where a message names the closest
 *  names (elsewhere it exists, so it is not misspelt, and only quick fixes may offer them). */
export function missingEverywhere(report: AttachReport): boolean {
  return report.kernels.length > 0 && report.kernels.every((k) => !k.assessment.found);
}

/** The closest existing names on all targets for a report's target when it deserves a spelling
 *  check, else none. Searched when asked (memoised in closest.ts), never with the report: most
 *  reports are never shown with suggestions. */
export function suggestedNames(report: AttachReport, ctx: AnalysisContext, limit = 5): string[] {
  return wantsClosestNames(report) ? closestNames(report.target, ctx, limit) : [];
}

/** The cross-kernel report of one target, memoised. Reports are shared between requests: callers
 *  must not modify them. */
export function attachReport(target: AttachTarget, ctx: AnalysisContext): AttachReport {
  return ctx.cache.remember(REPORTS_TABLE, `${targetKey(target)}@${ctx.cache.kernelsKey(ctx.atlas, ctx.targets)}`, () => computeReport(target, ctx));
}

function computeReport(target: AttachTarget, ctx: AnalysisContext): AttachReport {
  const verdicts = attachVerdicts(target, ctx);
  const { alternatives, partialAlternatives } = findAlternatives(target, ctx);
  const rename = target.pattern || target.unexpandedGlob ? undefined : renameAdvice(target, ctx, verdicts.kernels);
  return { ...verdicts, alternatives, partialAlternatives, rename };
}
