// textDocument/codeLens: above every program (libbpf C) and probe (bpftrace) that names an attach
// target, where it attaches across the target kernels, e.g. "attaches on 3/4 targets · fails on
// debian-12 (fully inlined)". The lenses are sent unresolved (range and target only) and each is
// resolved on its own (codeLens/resolve) from the cross-kernel verdicts, which the diagnostics have
// usually computed already (one cache). The lens's command opens the per-kernel table: the lookup
// report of the target, rendered by the VS Code client. Pure: server.ts wires both requests.

import type { CodeLens, Range } from 'vscode-languageserver';
import type { AttachTarget } from '../atlas/model';
import { probeTargets, programTarget } from '../analysis/targets';
import { attachVerdicts, type AttachVerdicts, type KernelVerdict } from '../analysis/verdicts';
import { sectionOf } from '../model/targets';
import type { AnalyzedDocument } from '../syntax/documents';
import type { FeatureContext } from './shared/context';
import { groupByPhrase, groupedKernels, hazardPhrase } from './shared/phrases';

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

/** A kernel attaches when the program can attach there: not an error, and the atlas says so
 *  (a name the atlas cannot find but cannot rule out either is `unknown`, not attaching). */
function attaches(k: KernelVerdict): boolean {
  return k.status !== 'error' && k.assessment.attachable;
}

/** Why a kernel lands where it does, in a few words: its worst hazards of `severity`. */
function reasons(k: KernelVerdict, severity: 'error' | 'warning'): string | undefined {
  const hs = k.hazards.filter((h) => h.severity === severity);
  return hs.length ? hs.map((h) => hazardPhrase(h, k)).join(', ') : undefined;
}

const DIFFERENCE_PHRASE: Partial<Record<string, string>> = {
  'args-changed': 'arguments differ',
  'fields-changed': 'record fields differ',
  'signature-changed': 'the prototype differs',
};

/** The lens title for a target's verdicts. */
export function lensTitle(v: AttachVerdicts): string {
  const n = v.kernels.length;
  if (!n) return 'no target kernel';
  const ok = v.kernels.filter(attaches);
  const failing = v.kernels.filter((k) => k.status === 'error');
  const unknown = v.kernels.filter((k) => k.status !== 'error' && !k.assessment.attachable);
  const degraded = ok.filter((k) => k.status === 'warning');
  const failGroups = groupByPhrase(failing, (k) => reasons(k, 'error') ?? 'fails', (k) => k.kernel);
  let head: string;
  if (n === 1) {
    const only = v.kernels[0].kernel;
    head = ok.length ? `attaches on ${only}` : failing.length ? `does not attach on ${only} (${failGroups[0].phrase})` : `unknown on ${only}`;
  } else {
    head = ok.length === n ? `attaches on all ${n} targets` : `attaches on ${ok.length}/${n} targets`;
  }
  const parts = [head];
  if (n > 1 && failing.length) parts.push(`fails on ${groupedKernels(failGroups, 2)}`);
  if (degraded.length) parts.push(`misses calls on ${groupedKernels(groupByPhrase(degraded, (k) => reasons(k, 'warning') ?? '', (k) => k.kernel), 2)}`);
  const difference = v.differences[0];
  if (difference) parts.push(`${DIFFERENCE_PHRASE[difference.hazard] ?? 'the hook differs'} between targets`);
  if (n > 1 && unknown.length) parts.push(`unknown on ${groupedKernels([{ phrase: '', kernels: unknown.map((k) => k.kernel) }], 2)}`);
  return parts.join(' · ');
}

/** Resolves a lens: its title from the verdicts and the command that opens the per-kernel table.
 *  A lens whose data is not ours comes back unchanged. */
export function resolveCodeLens(lens: CodeLens, ctx: FeatureContext): CodeLens {
  if (!isLensData(lens.data)) return lens;
  const verdicts = attachVerdicts(lens.data.target, ctx);
  return { ...lens, command: { title: lensTitle(verdicts), command: LENS_COMMAND, arguments: [lens.data.query] } };
}
