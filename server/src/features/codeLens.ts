// textDocument/codeLens: above every program (libbpf C) and probe (bpftrace) that names an attach
// target, where it attaches across the target kernels, e.g. "attaches on 3/4 targets · fails on
// debian-12 (fully inlined)". The lenses are sent unresolved (range and target only) and each is
// resolved on its own (codeLens/resolve) from the cross-kernel verdicts, which the diagnostics have
// usually computed already (one cache). The lens's command opens the per-kernel table: the lookup
// report of the target, rendered by the VS Code client. Pure: server.ts wires both requests.

import type { CodeLens, Range } from 'vscode-languageserver';
import type { AttachTarget } from '../atlas/model';
import { probeTargets, programTarget } from '../analysis/targets';
import { attachVerdicts } from '../analysis/verdicts';
import { sectionOf } from '../model/targets';
import type { AnalyzedDocument } from '../syntax/documents';
import type { FeatureContext } from './shared/context';
import { availabilityTitle } from './shared/phrases';

/** The command a resolved lens runs: the client's "look up an attach point" with the target. */
export const LENS_COMMAND = 'bpfAtlas.lookup';

/** What an unresolved lens carries to codeLens/resolve (echoed back by the client). */
export interface LensData {
  target: AttachTarget;
  /** What the lookup command is given: the section (`kprobe/kfree_skb`) or probe as written. */
  query: string;
}

function isLensData(x: unknown): x is LensData {
  const d = x as LensData | undefined;
  return !!d && typeof d.query === 'string' && typeof d.target?.kind === 'string' && typeof d.target?.name === 'string';
}

/** The unresolved lenses of a document: one per program or probe that names a target. */
export function codeLenses(doc: AnalyzedDocument): CodeLens[] {
  const out: CodeLens[] = [];
  const add = (range: Range, target: AttachTarget, query: string) => out.push({ range, data: { target, query } satisfies LensData });
  if (doc.c) {
    for (const p of doc.c.programs) {
      const target = programTarget(p);
      if (target) add(p.secRange, target, p.section.includes('/') ? p.section : sectionOf(target));
    }
  } else if (doc.bt) {
    for (const probe of doc.bt.probes) {
      for (const target of probeTargets(probe)) add(probe.range, target, probe.raw);
    }
  }
  return out;
}

/** Resolves a lens: its title from the verdicts and the command that opens the per-kernel table.
 *  A lens whose data is not ours comes back unchanged. */
export function resolveCodeLens(lens: CodeLens, ctx: FeatureContext): CodeLens {
  if (!isLensData(lens.data)) return lens;
  const verdicts = attachVerdicts(lens.data.target, ctx);
  return { ...lens, command: { title: availabilityTitle(verdicts), command: LENS_COMMAND, arguments: [lens.data.query] } };
}
