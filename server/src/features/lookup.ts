// bpfAtlas/lookup: what the client's "Look up an attach point" box shows. The query is read
// leniently through the one alias table (model/targets.ts: `rt:sched_switch` is a raw tracepoint,
// a bare name a kprobe function, `sched/sched_switch` a tracepoint), then reported like a hover.

import { attachReport, suggestedNames } from '../analysis/report';
import type { AttachTarget } from '../atlas/model';
import { parseTarget } from '../model/targets';
import type { LookupResult } from '../protocol';
import type { FeatureContext } from './shared/context';
import { renderAttachPoint } from './shared/render';

/** Parses what a user types into the lookup box: `kprobe:vfs_read`, `kprobe/vfs_read`, `rt:sched_switch`,
 *  `tracepoint:sched:sched_switch`, `tp/sched/sched_switch`, `sched/sched_switch`, `vfs_read`
 *  (model/targets.ts, leniently). Undefined when it is not an attach point. */
export function parseLookupQuery(query: string): AttachTarget | undefined {
  try {
    const target = parseTarget(query, { lenient: true });
    return target.kind === 'tracepoint' && !target.system ? undefined : target;
  } catch {
    return undefined;
  }
}

/** Looks up one attach point over the target kernels (or the kernels asked for): the verdicts and
 *  advice of analysis/report.ts rendered as the markdown report the client shows. */
export function lookup(query: string, kernels: string[] | undefined, ctx: FeatureContext): LookupResult {
  const target = parseLookupQuery(query);
  if (!target) {
    return { assessments: [], markdown: '', error: `cannot read "${query}" as an attach point: try kprobe:vfs_read or tracepoint/sched/sched_switch` };
  }
  let targets = ctx.targets;
  if (kernels?.length) {
    const { ids, errors } = ctx.atlas.resolveAll(kernels);
    if (!ids.length) return { target, assessments: [], markdown: '', error: errors.join('; ') };
    targets = ids;
  }
  const report = attachReport(target, { ...ctx, targets });
  const releases = new Map(ctx.atlas.list().map((m) => [m.id, m.release]));
  const markdown = renderAttachPoint({
    target,
    kernels: report.kernels.map((k) => ({ kernel: k.kernel, release: k.release ?? releases.get(k.kernel), assessment: k.assessment, hazards: k.hazards })),
    alternatives: report.alternatives.map((a) => ({ target: a.target, note: a.note, since: a.since, caveat: a.caveat, evidence: a.evidence })),
    evidence: ctx.knowledge.evidenceFor(target.name),
  });
  const names = suggestedNames(report, { ...ctx, targets });
  const closest = names.length ? `\n\nDid you mean: ${names.map((n) => `\`${n}\``).join(', ')}?` : '';
  return { target, assessments: report.kernels.map((k) => k.assessment), markdown: markdown + closest };
}
