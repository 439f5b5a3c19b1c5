// bpftrace quick fixes: rewrite a probe to one that attaches on every target kernel — the stable
// tracepoint real tools switched to (`kprobe:tcp_drop` → `tracepoint:skb:kfree_skb`), fentry
// instead of kprobe, a wildcard that also catches a compiler clone (`kprobe:finish_task_switch*`),
// or the closest existing names for a misspelt target — and replace a whole probe list by its
// tracepoint; also a misspelt probe type or args field, and suppression comments. The candidates
// come from the same probe analysis as the diagnostics, recomputed here so that no state travels
// with a diagnostic.

import { CodeActionKind, type CodeAction, type Diagnostic, type Range } from 'vscode-languageserver';
import { BT_PROBE_TYPES } from '../../model/programKinds';
import { rangeContains, type BtBlock, type BtModel, type BtProbe, type BtRange } from '../../syntax/bpftrace';
import { editDistance } from '../../analysis/spelling';
import type { FeatureContext } from '../shared/context';
import { WorkMeter } from '../shared/workBudget';
import { analyseProbe, closestRewrites } from './analysis';
import { argsOn, btModelOf, kernelOf, type BtDocumentLike } from './common';
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

/** Diagnostics indexed by the lines they cover, so that each probe looks at its own lines only
 *  (a large script has thousands of probes and diagnostics; filtering them all per probe was
 *  quadratic). Results keep the order of the diagnostics list. */
function diagnosticsByLine(diagnostics: readonly Diagnostic[]): (r: BtRange) => Diagnostic[] {
  const WIDE = 200;
  const byLine = new Map<number, number[]>();
  const wide: number[] = [];
  diagnostics.forEach((d, i) => {
    if (d.range.end.line - d.range.start.line > WIDE) { wide.push(i); return; }
    for (let line = d.range.start.line; line <= d.range.end.line; line++) {
      const list = byLine.get(line);
      if (list) list.push(i);
      else byLine.set(line, [i]);
    }
  });
  return (r) => {
    const found = new Set<number>(wide);
    for (let line = r.start.line; line <= r.end.line; line++) for (const i of byLine.get(line) ?? []) found.add(i);
    return [...found].sort((a, b) => a - b).map((i) => diagnostics[i]).filter((d) => overlaps(r, d.range));
  };
}

export function codeActionsBpftrace(doc: BtDocumentLike, range: Range, diagnostics: Diagnostic[], ctx: FeatureContext): CodeAction[] {
  const model = btModelOf(doc);
  const uri = doc.uri ?? '';
  const actions: CodeAction[] = [];
  const near = diagnosticsByLine(diagnostics);
  const meter = new WorkMeter(ctx);
  for (const probe of model.probes) {
    if (!overlaps(probe.range, range)) continue;
    if (!meter.next()) break;
    if (probe.kind === 'unknown' && probe.typeText) {
      const syntax = near(probe.typeRange).filter((d) => d.source === BT_SOURCE && d.code === 'syntax');
      for (const type of closestProbeTypes(probe.typeText)) {
        actions.push({
          title: `Change probe type to ${type}`, kind: CodeActionKind.QuickFix,
          diagnostics: syntax.length ? syntax : undefined,
          edit: { changes: { [uri]: [{ range: probe.typeRange, newText: type }] } },
        });
      }
      continue;
    }
    const related = near(probe.range).filter((d) => d.source === BT_SOURCE && d.code !== 'syntax');
    const analysis = analyseProbe(probe, ctx);
    const fixes = related.filter((d) => d.code !== 'pattern-matches');
    const block = model.blocks[probe.block];
    const siblings = block ? block.probes.filter((p) => p !== probe).map((p) => p.raw) : [];
    for (const rewrite of [...analysis.rewrites, ...closestRewrites(analysis, ctx)]) {
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
  actions.push(...fieldFixes(model, range, diagnostics, ctx, uri));
  return actions;
}

/** `args.next_pidd` → the record fields (or parameters) within two edits that every target has. */
function fieldFixes(model: BtModel, range: Range, diagnostics: Diagnostic[], ctx: FeatureContext, uri: string): CodeAction[] {
  const out: CodeAction[] = [];
  for (const block of model.blocks) {
    for (const use of block.argsUses) {
      if (!use.field || !overlaps(use.range, range)) continue;
      const related = diagnostics.filter((d) => d.source === BT_SOURCE && d.code === 'field-missing' && overlaps(use.range, d.range));
      if (!related.length) continue;
      // Fields present on every target kernel where some probe of the block has known args.
      let common: Set<string> | undefined;
      for (const probe of block.probes) {
        for (const id of ctx.targets) {
          const kernel = kernelOf(ctx, id);
          const args = kernel ? argsOn(kernel, probe) : undefined;
          if (!args) continue;
          const names = new Set(args.map((a) => a.name));
          common = common ? new Set([...common].filter((n) => names.has(n))) : names;
        }
      }
      const candidates = [...(common ?? [])]
        .map((name) => ({ name, d: editDistance(use.field, name, 2) }))
        .filter((x) => x.d <= 2 && x.name !== use.field)
        .sort((a, b) => a.d - b.d)
        .slice(0, 3);
      for (const c of candidates) {
        out.push({
          title: `Change args.${use.field} to args.${c.name}`, kind: CodeActionKind.QuickFix, diagnostics: related,
          isPreferred: candidates.length === 1 || undefined,
          edit: { changes: { [uri]: [{ range: use.range, newText: c.name }] } },
        });
      }
    }
  }
  return out;
}
