// The cross-kernel report for one attach target: the verdicts (verdicts.ts) and the advice built
// on them: stable alternatives, rename advice and, for a name missing somewhere, the closest real
// names. Pure and memoised in the one cache; libbpf C and bpftrace diagnostics, quick fixes, hover
// and `bpf-atlas check` build on it, so it knows nothing of C or bpftrace syntax.

import type { AttachTarget } from '../atlas/model';
import { findAlternatives, type PartialAlternative, type StableAlternative } from './alternatives';
import { targetKey } from './cache';
import { closestNames } from './closest';
import type { AnalysisContext } from './context';
import { renameAdvice, type RenameAdvice } from './rename';
import { attachVerdicts, type AttachVerdicts } from './verdicts';

export interface AttachReport extends AttachVerdicts {
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

/** Whether a report's target deserves a spelling check: missing somewhere for sure, or missing
 *  from every target (even where the atlas cannot rule out a module), and no renamed symbol
 *  explains it. */
export function wantsClosestNames(report: AttachReport): boolean {
  if (report.target.pattern || report.rename) return false;
  const absentSomewhere = report.kernels.some((k) => !k.assessment.found && !k.hazards.some((h) => h.name === 'unknown'));
  const missingEverywhere = report.kernels.length > 0 && report.kernels.every((k) => !k.assessment.found);
  return absentSomewhere || missingEverywhere;
}

/** The cross-kernel report of one target, memoised. Reports are shared between requests: callers
 *  must not modify them. */
export function attachReport(target: AttachTarget, ctx: AnalysisContext, options: ReportOptions = {}): AttachReport {
  const report = ctx.cache.remember('reports', `${targetKey(target)}@${ctx.cache.kernelsKey(ctx.atlas, ctx.targets)}`, () => computeReport(target, ctx));
  if (options.closest === false || !wantsClosestNames(report)) return report;
  const closest = closestNames(target, ctx, options.closestLimit ?? 5);
  return closest.length ? { ...report, closest } : report;
}

function computeReport(target: AttachTarget, ctx: AnalysisContext): AttachReport {
  const verdicts = attachVerdicts(target, ctx);
  const { alternatives, partialAlternatives } = findAlternatives(target, ctx);
  const rename = target.pattern ? undefined : renameAdvice(target, ctx, verdicts.kernels);
  return { ...verdicts, alternatives, partialAlternatives, rename, closest: [] };
}
