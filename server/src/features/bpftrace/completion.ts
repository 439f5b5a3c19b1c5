// bpftrace completion. Where the cursor is decides what is offered:
// - at the start of a probe: probe types and their aliases, a line each;
// - after `type:`: targets from the atlas for the target kernels, filtered wildcard-aware
//   (`kprobe:tcp_*`): functions for kprobe/fentry (BTF functions for fentry), tracepoint systems
//   then events, raw tracepoints; each item says on how many targets it exists and its hazards,
//   and stable hooks sort first;
// - after `args.` / `args->` in an action block or predicate: the record fields (tracepoint),
//   parameters (fentry/fexit) or TP_PROTO arguments (rawtracepoint) of the block's probes;
// - elsewhere in a block or predicate: bpftrace builtins (knowledge), `retval` and `args` where
//   the block's probes have them.

import {
  CompletionItemKind, MarkupKind, type CompletionItem, type CompletionList, type Position, type Range,
} from 'vscode-languageserver';
import { tracepointHeads, type AttachTarget, type KernelQuery } from '../../atlas/model';
import { BT_PROBE_TYPES, probeTypeInfo } from '../../model/programKinds';
import { blockAtOffset, offsetAt, positionAt, type BtBlock, type BtModel } from '../../syntax/bpftrace';
import { compileGlob, hasWildcard } from '../../model/glob';
import { namesWithPrefix, sortedFunctionNames } from '../../analysis/kernels';
import { attachVerdicts, type AttachVerdicts } from '../../analysis/verdicts';
import { targetItemData } from '../completionResolve';
import type { FeatureContext } from '../shared/context';
import { argsOn, btModelOf, hasRetval, kernelOf, type BtDocumentLike } from './common';

/** Items returned for one request; the list is marked incomplete beyond it. */
const MAX_ITEMS = 200;
/** Items given a full cross-kernel report (hazards, ranking); the rest are ranked by presence. */
const MAX_ASSESSED = 60;

const EMPTY: CompletionList = { isIncomplete: false, items: [] };

export function completionBpftrace(doc: BtDocumentLike, pos: Position, ctx: FeatureContext): CompletionList {
  const model = btModelOf(doc);
  const offset = offsetAt(model, pos);
  const block = blockAtOffset(model, offset);
  if (block) return inCode(model, block, offset, ctx);
  const pred = model.blocks.find((b) => b.predicate && offset > offsetAt(model, b.predicate.range.start)
    && (offset < offsetAt(model, b.predicate.range.end) || (offset === model.text.length && !b.predicate.text.endsWith('/'))));
  if (pred) return inCode(model, pred, offset, ctx);
  if (insideComment(model, pos)) return EMPTY;
  return inProbeHeader(model, offset, ctx);
}

function insideComment(model: BtModel, pos: Position): boolean {
  return model.comments.some((c) => {
    const s = c.range.start;
    const e = c.range.end;
    const after = pos.line > s.line || (pos.line === s.line && pos.character > s.character);
    const before = pos.line < e.line || (pos.line === e.line && pos.character <= e.character);
    return after && before;
  });
}

function rangeOf(model: BtModel, a: number, b: number): Range {
  return { start: positionAt(model, a), end: positionAt(model, b) };
}

// ---- action blocks and predicates ----

function inCode(model: BtModel, block: BtBlock, offset: number, ctx: FeatureContext): CompletionList {
  const text = model.text;
  let start = offset;
  while (start > 0 && /[A-Za-z0-9_]/.test(text[start - 1])) start--;
  const before = text.slice(Math.max(0, start - 16), start);
  const range = rangeOf(model, start, offset);
  const accessor = /\bargs\s*(?:\.|->)\s*$/.exec(before);
  if (accessor) return { isIncomplete: false, items: argsItems(block, range, ctx) };
  const prev = text[start - 1];
  if (prev === '$' || prev === '@' || prev === '.' || (prev === '>' && text[start - 2] === '-')) return EMPTY;
  return { isIncomplete: false, items: builtinItems(block, range, ctx) };
}

/** Fields of the block's probes on the targets: one item per name, with its type per kernel. */
function argsItems(block: BtBlock, range: Range, ctx: FeatureContext): CompletionItem[] {
  const byName = new Map<string, { types: Map<string, string[]>; order: number }>();
  // Kernels where some probe's args are known: presence is judged against these only (a kernel
  // whose atlas lacks the record says nothing either way).
  const knownOn = new Set<string>();
  let order = 0;
  for (const probe of block.probes) {
    if (probe.wildcard) continue;
    for (const id of ctx.targets) {
      const kernel = kernelOf(ctx, id);
      const args = kernel ? argsOn(kernel, probe) : undefined;
      if (!args) continue;
      knownOn.add(id);
      for (const a of args) {
        const entry = byName.get(a.name) ?? { types: new Map<string, string[]>(), order: order++ };
        const ks = entry.types.get(a.type) ?? [];
        if (!ks.includes(id)) ks.push(id);
        entry.types.set(a.type, ks);
        byName.set(a.name, entry);
      }
    }
  }
  const probeKinds = new Set(block.probes.map((p) => p.kind));
  const kindWord = probeKinds.has('tracepoint') ? 'record field' : probeKinds.has('rawtracepoint') ? 'tracepoint argument' : 'parameter';
  return [...byName].map(([name, e]) => {
    const kernelsWith = new Set([...e.types.values()].flat());
    const types = [...e.types.keys()];
    const everywhere = kernelsWith.size === knownOn.size;
    const detail = `${types.join(' | ')}${everywhere ? '' : ` — on ${kernelsWith.size} of ${knownOn.size} targets`}`;
    const docLines = types.length > 1 || !everywhere
      ? [...e.types].map(([t, ks]) => `- \`${t}\` on ${ks.join(', ')}`)
      : [`\`${types[0]}\` on ${knownOn.size === ctx.targets.length ? 'every target kernel' : list(knownOn)}`];
    return {
      label: name, kind: CompletionItemKind.Field, detail,
      documentation: { kind: MarkupKind.Markdown, value: [`args ${kindWord} \`${name}\``, '', ...docLines].join('\n') },
      textEdit: { range, newText: name },
      sortText: `${everywhere ? 0 : 1}${String(e.order).padStart(4, '0')}`,
    } satisfies CompletionItem;
  });
}

function list(ids: Iterable<string>): string {
  return [...ids].join(', ');
}

function builtinItems(block: BtBlock, range: Range, ctx: FeatureContext): CompletionItem[] {
  const items: CompletionItem[] = [];
  const kinds = block.probes.map((p) => p.kind);
  const withRetval = kinds.length > 0 && kinds.every((k) => hasRetval(k));
  const withArgs = kinds.some((k) => k === 'tracepoint' || k === 'fentry' || k === 'fexit' || k === 'rawtracepoint' || k === 'uprobe' || k === 'usdt');
  for (const b of ctx.knowledge.bpftraceBuiltins()) {
    if (b.kind === 'probe') continue;
    if (b.name === 'retval' && !withRetval) continue;
    if (b.name === 'args' && !withArgs) continue;
    items.push({
      label: b.name,
      kind: b.kind === 'variable' ? CompletionItemKind.Variable : CompletionItemKind.Function,
      detail: b.signature ?? b.kind,
      documentation: { kind: MarkupKind.Markdown, value: b.doc },
      textEdit: { range, newText: b.name },
      sortText: `${b.name === 'retval' || b.name === 'args' ? 0 : 1}${b.name}`,
    });
  }
  return items;
}

// ---- probe headers ----

/** The probe being typed: from the last whitespace or ',' before the cursor. */
function currentProbeText(model: BtModel, offset: number): { start: number; text: string } | undefined {
  const t = model.text;
  let start = offset;
  let braces = 0;
  while (start > 0) {
    const c = t[start - 1];
    if (c === '}') braces++;
    else if (c === '{') {
      if (braces === 0) break;
      braces--;
    } else if (braces === 0 && (/\s/.test(c) || c === ',')) break;
    start--;
  }
  const text = t.slice(start, offset);
  if (text.startsWith('/') || text.startsWith('#')) return undefined;
  return { start, text };
}

function inProbeHeader(model: BtModel, offset: number, ctx: FeatureContext): CompletionList {
  const current = currentProbeText(model, offset);
  if (!current) return EMPTY;
  const colon = current.text.indexOf(':');
  if (colon < 0) return { isIncomplete: false, items: probeTypeItems(rangeOf(model, current.start, offset)) };
  const typeText = current.text.slice(0, colon);
  const info = probeTypeInfo(typeText);
  if (!info) return EMPTY;
  const rest = current.text.slice(colon + 1);
  const lastColon = rest.lastIndexOf(':');
  const typed = rest.slice(lastColon + 1);
  const nameStart = offset - typed.length;
  const range = rangeOf(model, nameStart, offset);
  const parts = rest.split(':');
  switch (info.kind) {
    case 'kprobe': case 'kretprobe': case 'fentry': case 'fexit':
      return functionItems(info.kind, typed, range, ctx);
    case 'tracepoint':
      return parts.length === 1 ? systemItems(typed, range, ctx) : parts.length === 2 ? eventItems(parts[0], typed, range, ctx) : EMPTY;
    case 'rawtracepoint':
      return rawTracepointItems(typed, range, ctx);
    default:
      return EMPTY;
  }
}

function probeTypeItems(range: Range): CompletionItem[] {
  return BT_PROBE_TYPES.map((t, i) => {
    const bare = t.kind === 'begin' || t.kind === 'end';
    return {
      label: t.name,
      kind: bare ? CompletionItemKind.Event : CompletionItemKind.Keyword,
      detail: t.aliasOf ? `alias of ${t.aliasOf}` : t.format,
      documentation: { kind: MarkupKind.Markdown, value: `${t.summary}\n\n\`${t.format}\`` },
      textEdit: { range, newText: bare ? t.name : `${t.name}:` },
      // Re-open completion after the colon so targets follow.
      command: bare ? undefined : { title: 'targets', command: 'editor.action.triggerSuggest' },
      sortText: `${t.aliasOf ? 1 : 0}${String(i).padStart(3, '0')}`,
    } satisfies CompletionItem;
  });
}

/** Matcher for what is typed: a glob when it has wildcards, else a prefix. */
function matcher(typed: string): (name: string) => boolean {
  if (hasWildcard(typed, 'bpftrace')) {
    const glob = compileGlob(typed.endsWith('*') ? typed : `${typed}*`, 'bpftrace');
    return (n) => glob.test(n);
  }
  return (n) => n.startsWith(typed);
}

function loadedTargets(ctx: FeatureContext): { id: string; kernel: KernelQuery }[] {
  const out: { id: string; kernel: KernelQuery }[] = [];
  for (const id of ctx.targets) {
    const kernel = kernelOf(ctx, id);
    if (kernel) out.push({ id, kernel });
  }
  return out;
}

// Completion asks about the same names again and again as the user types (`tcp_`, `tcp_s`,
// `tcp_se`): the verdicts come memoised from the one verdict path diagnostics use too.
function verdictFor(target: AttachTarget, total: number, ctx: FeatureContext): { detail: string; rank: number } {
  return describeVerdicts(attachVerdicts(target, ctx), total);
}

/** Status words for an item's detail, from the cross-kernel verdicts. */
function describeVerdicts(report: AttachVerdicts, total: number): { detail: string; rank: number } {
  const present = report.kernels.filter((k) => k.assessment.found).length;
  const hazards = [...new Set(report.kernels.flatMap((k) => k.hazards.filter((h) => h.name !== 'unknown').map((h) => h.name)))];
  const rank = report.worst === 'error' ? 3 : report.worst === 'warning' ? 2 : hazards.length ? 1 : 0;
  const mark = rank === 3 ? '✗' : rank === 2 ? '⚠' : '✓';
  const detail = `${mark} on ${present}/${total} targets${hazards.length ? ` — ${hazards.join(', ')}` : ''}`;
  return { detail, rank };
}

/** Plain ordering of identifiers (localeCompare is far slower over a whole kernel's names). */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Internal names (`__x`, `____bpf_x`) after public ones, unless the user typed the underscore. */
function internal(name: string): number {
  return name.startsWith('_') ? 1 : 0;
}

function targetItems(candidates: Map<string, number>, total: number, range: Range, ctx: FeatureContext,
  toTarget: (name: string) => AttachTarget, kind: CompletionItemKind,
  opts: { keep?: (name: string) => boolean; assess?: boolean } = {}): CompletionList {
  // Presence first, then public before internal names, then name: the first ones are assessed in
  // full. `keep` is applied lazily in that order, so costly checks run on what is shown only.
  const sorted = [...candidates].sort((a, b) => b[1] - a[1] || internal(a[0]) - internal(b[0]) || byCodeUnits(a[0], b[0]));
  const shown: [string, number][] = [];
  let incomplete = false;
  for (const entry of sorted) {
    if (opts.keep && !opts.keep(entry[0])) continue;
    if (shown.length === MAX_ITEMS) { incomplete = true; break; }
    shown.push(entry);
  }
  const items = shown.map(([name, count], i): CompletionItem => {
    let detail = `on ${count}/${total} targets`;
    let rank = count === total ? 1 : 2;
    const target = toTarget(name);
    if (opts.assess !== false && i < MAX_ASSESSED) {
      const v = verdictFor(target, total, ctx);
      detail = v.detail;
      rank = v.rank + (count === total ? 0 : 4);
    }
    // Every item, assessed here or not, gets its per-kernel availability on completionItem/resolve.
    return {
      label: name, kind, detail, data: targetItemData(target),
      textEdit: { range, newText: name },
      filterText: name,
      sortText: `${rank}${internal(name)}${name}`,
    };
  });
  return { isIncomplete: incomplete, items };
}

function functionItems(kind: 'kprobe' | 'kretprobe' | 'fentry' | 'fexit', typed: string, range: Range, ctx: FeatureContext): CompletionList {
  const kernels = loadedTargets(ctx);
  if (!kernels.length) return EMPTY;
  const matches = matcher(typed);
  const prefix = compileGlob(typed, 'bpftrace').prefix;
  const counts = new Map<string, number>();
  if (!hasWildcard(typed, 'bpftrace') && prefix.length < 2) {
    // Nearly nothing typed: a whole kernel matches. Offer the first public names of the first
    // target with their presence elsewhere, and let the client ask again as the user types.
    const others = kernels.slice(1);
    for (const name of namesWithPrefix(sortedFunctionNames(ctx, kernels[0].kernel), prefix)) {
      if (!prefix.startsWith('_') && name.startsWith('_')) continue;
      counts.set(name, 1 + others.filter(({ kernel }) => !!kernel.fn(name)).length);
      if (counts.size === MAX_ITEMS) break;
    }
    const list = targetItems(counts, kernels.length, range, ctx, (name) => ({ kind, name }), CompletionItemKind.Function, { assess: false });
    return { isIncomplete: true, items: list.items };
  }
  for (const { kernel } of kernels) {
    for (const name of namesWithPrefix(sortedFunctionNames(ctx, kernel), prefix)) {
      if (matches(name)) counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  }
  // fentry/fexit need the function in BTF on some target.
  const keep = kind === 'fentry' || kind === 'fexit'
    ? (name: string) => kernels.some(({ kernel }) => kernel.fn(name)?.inBtf !== false)
    : undefined;
  return targetItems(counts, kernels.length, range, ctx, (name) => ({ kind, name }), CompletionItemKind.Function, { keep });
}

function systemItems(typed: string, range: Range, ctx: FeatureContext): CompletionList {
  const kernels = loadedTargets(ctx);
  const matches = matcher(typed);
  const info = new Map<string, { kernels: number; events: Set<string> }>();
  for (const { kernel } of kernels) {
    for (const [system, events] of kernel.systems()) {
      if (!matches(system)) continue;
      const e = info.get(system) ?? { kernels: 0, events: new Set<string>() };
      e.kernels++;
      for (const ev of events) e.events.add(ev);
      info.set(system, e);
    }
  }
  const items = [...info].sort((a, b) => a[0].localeCompare(b[0])).map(([system, e]): CompletionItem => ({
    label: system, kind: CompletionItemKind.Module,
    detail: `${e.events.size} events — on ${e.kernels}/${kernels.length} targets`,
    textEdit: { range, newText: `${system}:` }, filterText: system,
    sortText: `${e.kernels === kernels.length ? 0 : 1}${system}`,
    command: { title: 'events', command: 'editor.action.triggerSuggest' },
  }));
  return { isIncomplete: false, items };
}

function eventItems(system: string, typed: string, range: Range, ctx: FeatureContext): CompletionList {
  const kernels = loadedTargets(ctx);
  const systemGlob = compileGlob(system || '*', 'bpftrace');
  const matches = matcher(typed);
  const counts = new Map<string, number>();
  const systemOf = new Map<string, string>();
  for (const { kernel } of kernels) {
    for (const tp of tracepointHeads(kernel)) {
      if (!tp.event || !tp.system || !systemGlob.test(tp.system) || !matches(tp.name)) continue;
      counts.set(tp.name, (counts.get(tp.name) ?? 0) + 1);
      systemOf.set(tp.name, tp.system);
    }
  }
  return targetItems(counts, kernels.length, range, ctx, (name) => ({ kind: 'tracepoint', name, system: systemOf.get(name) }), CompletionItemKind.Event);
}

function rawTracepointItems(typed: string, range: Range, ctx: FeatureContext): CompletionList {
  const kernels = loadedTargets(ctx);
  const matches = matcher(typed);
  const counts = new Map<string, number>();
  for (const { kernel } of kernels) {
    for (const tp of tracepointHeads(kernel)) {
      if (matches(tp.name)) counts.set(tp.name, (counts.get(tp.name) ?? 0) + 1);
    }
  }
  return targetItems(counts, kernels.length, range, ctx, (name) => ({ kind: 'raw_tp', name }), CompletionItemKind.Event);
}
