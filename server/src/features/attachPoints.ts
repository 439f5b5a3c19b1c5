// Every attach point of a document, in every dialect, with its per-kernel verdict: what
// `bpf-atlas check --format json` lists as `attachPoints` (docs/cli.md), so users and we can
// measure recall and verdicts. Pure: the document model and the analysis path in, plain data out.

import type { AttachTarget } from '../atlas/model';
import { probeTargets, programTarget } from '../analysis/targets';
import { attachVerdicts } from '../analysis/verdicts';
import { formatTarget } from '../model/targets';
import type { BccAttachPoint } from '../syntax/bcc/types';
import type { AnalyzedDocument } from '../syntax/documents';
import { atlasTargets, isJudgedKind, reachedKernels } from './bcc/diagnostics';
import type { FeatureContext } from './shared/context';

export type { AttachIntent } from '../syntax/intent';
import type { AttachIntent } from '../syntax/intent';

export interface AttachPointKernel {
  /** Attaches there; null where the tool does not attach it on that kernel for sure (BCC checks)
   *  or the facts cannot tell. */
  attachable: boolean | null;
  hazards: string[];
}

export interface AttachPointEntry {
  file: string;
  /** 1-based line and column of where the target is written. */
  line: number;
  column: number;
  dialect: 'libbpf-c' | 'bpftrace' | 'bcc';
  kind: string;
  /** `kprobe:vfs_read`-style target, or undefined when the file does not fix it. */
  target?: string;
  intent: AttachIntent;
  kernels: Record<string, AttachPointKernel>;
  /** BCC: why the target is not known. */
  unresolved?: string;
}

function judge(target: AttachTarget, ctx: FeatureContext): Record<string, AttachPointKernel> {
  const out: Record<string, AttachPointKernel> = {};
  for (const v of attachVerdicts(target, ctx).kernels) {
    const unknown = v.hazards.some((h) => h.name === 'unknown') && !v.assessment.found;
    out[v.kernel] = { attachable: unknown ? null : v.status !== 'error' && v.assessment.attachable, hazards: v.hazards.map((h) => h.name) };
  }
  return out;
}

export function attachPoints(doc: AnalyzedDocument, file: string, ctx: FeatureContext): AttachPointEntry[] {
  const out: AttachPointEntry[] = [];
  (doc.c?.programs ?? []).forEach((p, i) => {
    const target = programTarget(p);
    if (!target) return;
    const at = p.target?.nameRange?.start ?? p.sectionRange.start;
    // The intent read from the file and its loader (syntax/intent.ts).
    const intent: AttachIntent = doc.intents?.programs[i]?.intent ?? (p.optional ? 'optional' : 'always');
    out.push({
      file, line: at.line + 1, column: at.character + 1, dialect: 'libbpf-c', kind: target.kind, target: formatTarget(target),
      intent, kernels: judge(target, ctx),
    });
  });
  for (const probe of doc.bt?.probes ?? []) {
    for (const target of probeTargets(probe)) {
      const at = probe.nameRange?.start ?? probe.range.start;
      out.push({ file, line: at.line + 1, column: at.character + 1, dialect: 'bpftrace', kind: target.kind, target: formatTarget(target), intent: 'always', kernels: judge(target, ctx) });
    }
  }
  for (const ap of doc.bcc?.attachPoints ?? []) out.push(bccEntry(ap, file, ctx));
  return out;
}

function bccEntry(ap: BccAttachPoint, file: string, ctx: FeatureContext): AttachPointEntry {
  const at = (ap.targetRange ?? ap.range).start;
  const t = ap.target;
  const written = !t ? undefined : t.regex ? `${ap.kind}:/${t.regex}/` : `${ap.kind}:${t.system ? `${t.system}:` : ''}${t.name ?? ''}`;
  const entry: AttachPointEntry = { file, line: at.line + 1, column: at.character + 1, dialect: 'bcc', kind: ap.kind, target: written, intent: ap.intent, kernels: {} };
  if (ap.unresolved) entry.unresolved = ap.unresolved;
  for (const id of ctx.targets) entry.kernels[id] = { attachable: null, hazards: [] };
  if (!t || t.regex || !isJudgedKind(ap.kind)) return entry;
  const reached = reachedKernels(ap, ctx);
  for (const group of atlasTargets(ap, reached, ctx)) Object.assign(entry.kernels, judge(group.target, { ...ctx, targets: group.kernels }));
  return entry;
}
