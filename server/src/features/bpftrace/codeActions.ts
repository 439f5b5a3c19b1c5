// bpftrace quick fixes: rewrite a probe to one that attaches on every target kernel — the stable
// tracepoint real tools switched to (`kprobe:tcp_drop` → `tracepoint:skb:kfree_skb`), fentry
// instead of kprobe, a wildcard that also catches a compiler clone (`kprobe:finish_task_switch*`),
// or the closest existing names for a misspelt target. The candidates come from the same probe
// analysis as the diagnostics, recomputed here so no state travels with the diagnostic.

import { CodeActionKind, type CodeAction, type Diagnostic, type Range } from 'vscode-languageserver';
import { BT_PROBE_TYPES, rangeContains, type BtBlock, type BtProbe, type BtRange } from '../../syntax/bpftrace';
import { editDistance } from '../attachReport';
import type { FeatureContext } from '../context';
import { analyseProbe } from './analysis';
import { btModelOf, type BtDocumentLike } from './common';
import { BT_SOURCE } from './diagnostics';

function overlaps(a: BtRange, b: BtRange): boolean {
  return rangeContains(a, b.start) || rangeContains(a, b.end) || rangeContains(b, a.start);
}

/** Probe type spellings within two edits of a misspelt one (`kprboe` → `kprobe`). */
function closestProbeTypes(typed: string): string[] {
  return BT_PROBE_TYPES
    .filter((t) => !t.aliasOf && t.name.length > 2)
    .map((t) => ({ name: t.name, d: editDistance(typed.toLowerCase(), t.name.toLowerCase(), 2) }))
    .filter((x) => x.d <= 2)
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map((x) => x.name);
}

/** The edit that removes one probe of a list with its separating comma. */
function removeFromList(block: BtBlock, probe: BtProbe): { range: BtRange; newText: string } {
  const i = block.probes.indexOf(probe);
  // Up to the next probe; for the last one, from the end of the previous one (comma included).
  if (i < block.probes.length - 1) return { range: { start: probe.range.start, end: block.probes[i + 1].range.start }, newText: '' };
  return { range: { start: block.probes[i - 1].range.end, end: probe.range.end }, newText: '' };
}

export function codeActionsBpftrace(doc: BtDocumentLike, range: Range, diagnostics: Diagnostic[], ctx: FeatureContext): CodeAction[] {
  const model = btModelOf(doc);
  const uri = doc.uri ?? '';
  const actions: CodeAction[] = [];
  for (const probe of model.probes) {
    if (!overlaps(probe.range, range)) continue;
    if (probe.kind === 'unknown' && probe.typeText) {
      const syntax = diagnostics.filter((d) => d.source === BT_SOURCE && d.code === 'syntax' && overlaps(probe.typeRange, d.range));
      for (const type of closestProbeTypes(probe.typeText)) {
        actions.push({
          title: `Change probe type to ${type}`, kind: CodeActionKind.QuickFix,
          diagnostics: syntax.length ? syntax : undefined,
          edit: { changes: { [uri]: [{ range: probe.typeRange, newText: type }] } },
        });
      }
      continue;
    }
    const related = diagnostics.filter((d) => d.source === BT_SOURCE && overlaps(probe.range, d.range) && d.code !== 'syntax');
    const analysis = analyseProbe(probe, ctx);
    const fixes = related.filter((d) => d.code !== 'pattern-matches');
    const block = model.blocks[probe.block];
    const siblings = block ? block.probes.filter((p) => p !== probe).map((p) => p.raw) : [];
    for (const rewrite of analysis.rewrites) {
      const kind = fixes.length ? CodeActionKind.QuickFix : CodeActionKind.RefactorRewrite;
      if (siblings.includes(rewrite.newText)) {
        // The list already has the replacement: drop this probe instead of duplicating it.
        actions.push({
          title: `Remove ${probe.raw} (${rewrite.newText} is already in the list)`, kind,
          diagnostics: fixes.length ? fixes : undefined, isPreferred: rewrite.preferred || undefined,
          edit: { changes: { [uri]: [removeFromList(block!, probe)] } },
        });
        continue;
      }
      actions.push({
        title: rewrite.title, kind,
        diagnostics: fixes.length ? fixes : undefined,
        isPreferred: rewrite.preferred || undefined,
        edit: { changes: { [uri]: [{ range: probe.range, newText: rewrite.newText }] } },
      });
      if (block && block.probes.length > 1 && rewrite.reason === 'alternative') {
        // Lists such as `kprobe:blk_account_io_start, kprobe:__blk_account_io_start` name one
        // hook by its several names: one tracepoint replaces them all.
        const first = block.probes[0].range.start;
        const last = block.probes[block.probes.length - 1].range.end;
        actions.push({
          title: `Replace the probe list with ${rewrite.newText}`, kind,
          diagnostics: fixes.length ? fixes : undefined,
          edit: { changes: { [uri]: [{ range: { start: first, end: last }, newText: rewrite.newText }] } },
        });
      }
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
