// bpftrace quick fixes: rewrite a probe to one that attaches on every target kernel — the stable
// tracepoint real tools switched to (`kprobe:tcp_drop` → `tracepoint:skb:kfree_skb`), fentry
// instead of kprobe, a wildcard that also catches a compiler clone (`kprobe:finish_task_switch*`),
// or the closest existing names for a misspelt target. The candidates come from the same probe
// analysis as the diagnostics, recomputed here so no state travels with the diagnostic.

import { CodeActionKind, type CodeAction, type Diagnostic, type Range } from 'vscode-languageserver';
import { rangeContains, type BtRange } from '../../syntax/bpftrace';
import type { FeatureContext } from '../context';
import { analyseProbe } from './analysis';
import { btModelOf, type BtDocumentLike } from './common';
import { BT_SOURCE } from './diagnostics';

function overlaps(a: BtRange, b: BtRange): boolean {
  return rangeContains(a, b.start) || rangeContains(a, b.end) || rangeContains(b, a.start);
}

export function codeActionsBpftrace(doc: BtDocumentLike, range: Range, diagnostics: Diagnostic[], ctx: FeatureContext): CodeAction[] {
  const model = btModelOf(doc);
  const uri = doc.uri ?? '';
  const actions: CodeAction[] = [];
  for (const probe of model.probes) {
    if (!overlaps(probe.range, range)) continue;
    const related = diagnostics.filter((d) => d.source === BT_SOURCE && overlaps(probe.range, d.range) && d.code !== 'syntax');
    const analysis = analyseProbe(probe, ctx);
    for (const rewrite of analysis.rewrites) {
      const fixes = related.filter((d) => d.code !== 'pattern-matches');
      actions.push({
        title: rewrite.title,
        kind: fixes.length ? CodeActionKind.QuickFix : CodeActionKind.RefactorRewrite,
        diagnostics: fixes.length ? fixes : undefined,
        isPreferred: rewrite.preferred || undefined,
        edit: { changes: { [uri]: [{ range: probe.range, newText: rewrite.newText }] } },
      });
    }
    // Suppression, for probes the author keeps on purpose.
    const ignored = new Set<string>();
    for (const d of related) {
      if (typeof d.code !== 'string' || d.code === 'pattern-matches' || ignored.has(d.code)) continue;
      ignored.add(d.code);
      const line = model.blocks[probe.block]?.probes[0].range.start.line ?? probe.range.start.line;
      const indent = /^[ \t]*/.exec(model.text.slice(model.lineStarts[line]))?.[0] ?? '';
      actions.push({
        title: `Ignore ${d.code} for this probe (// bpf-atlas-ignore: ${d.code})`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        edit: { changes: { [uri]: [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: `${indent}// bpf-atlas-ignore: ${d.code}\n` }] } },
      });
    }
  }
  return actions;
}
