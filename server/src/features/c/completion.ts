// Completion for libbpf C. Three places are served:
//  1. inside SEC("…"): the libbpf prefixes with what each is for, then the targets the atlas knows
//     on the target kernels (tracepoint systems then events, raw/BTF tracepoints, functions, LSM
//     hooks, syscalls), each saying on how many targets it exists and what hazards it carries,
//     ranked stable-first; function lists (~60k names) are prefix-filtered before any item is built
//     and truncated lists are marked incomplete;
//  2. the line after a known section: the handler signature as a snippet, built from the hook's
//     prototype on the first target kernel that has it;
//  3. `ctx->` in a tracepoint handler: the record fields, with their type and offset per kernel;
//  4. struct members after `->`, `.` and inside BPF_CORE_READ(x, ...), marked with the target
//     kernels that lack each (memberCompletion.ts).

import type { CompletionItem, CompletionList, Position } from 'vscode-languageserver';
import { CompletionItemKind, CompletionItemTag, InsertTextFormat, MarkupKind } from 'vscode-languageserver';
import { cDecl, tracepointHeads, type AttachKind, type AttachTarget, type Hazard, type KernelQuery, type Param } from '../../atlas/model';
import type { SectionPrefix } from '../../knowledge/types';
import type { AnalyzedDocument } from '../../syntax/documents';
import { comparePositions, rangeContains, type BpfProgram, type Range } from '../../syntax/cModel';
import { targetItemData } from '../completionResolve';
import type { FeatureContext } from '../shared/context';
import { hookParams } from '../../analysis/hooks';
import { functionNamesWithPrefix, kernelOf, namesWithPrefix, sortedNames, targetKernels } from '../../analysis/kernels';
import { programTarget } from '../../analysis/targets';
import { attachVerdicts } from '../../analysis/verdicts';
import { ctxFieldsOn, expectedCtxType } from './hover';
import { memberCompletion } from './memberCompletion';

/** Most target items returned at once; the list is marked incomplete beyond it. */
export const MAX_TARGET_ITEMS = 100;

/** Kernel verdicts one target list may ask for (names × target kernels). Every name of a list is
 *  judged on every target kernel, with the verdicts diagnostics use, so a fresh list costs in
 *  proportion to both: 100 names over 30 targets took 20-60 ms, and each keystroke in
 *  `SEC("kprobe/…` can bring a fresh list. Over many targets a list offers fewer names, in the
 *  same order and with the same marks, and says it is incomplete (the client asks again as the
 *  user types): 100 names up to 9 targets, 30 over 30 (still more than an editor shows at once). */
const LIST_VERDICT_BUDGET = 900;

/** Fewest target items a list offers, however many the target kernels. */
const MIN_TARGET_ITEMS = 20;

/** How many target names one list offers over `kernelCount` target kernels. */
export function targetItemLimit(kernelCount: number): number {
  return Math.min(MAX_TARGET_ITEMS, Math.max(MIN_TARGET_ITEMS, Math.floor(LIST_VERDICT_BUDGET / Math.max(1, kernelCount))));
}

const EMPTY: CompletionList = { isIncomplete: false, items: [] };

function list(items: CompletionItem[], isIncomplete = false): CompletionList {
  return { isIncomplete, items };
}

function replaceRange(start: Position, end: Position): Range {
  return { start, end };
}

// ---------------------------------------------------------------- ranking

interface Availability {
  /** Kernels where the target attaches without hazards. */
  ok: string[];
  /** Kernels where it attaches with warnings (calls missed, shape differences). */
  degraded: string[];
  /** Kernels where it exists but attaching fails. */
  failing: string[];
  /** Kernels where the atlas does not find it (absent, or in a module it does not cover). */
  missing: string[];
  hazards: Hazard[];
}

/** Where a target attaches, from the verdicts diagnostics use (analysis/verdicts.ts): the same
 *  hazards, including how the hook's shape differs between the targets. */
function availability(ctx: FeatureContext, target: AttachTarget): Availability {
  const av: Availability = { ok: [], degraded: [], failing: [], missing: [], hazards: [] };
  const verdicts = attachVerdicts(target, ctx);
  for (const v of verdicts.kernels) {
    const a = v.assessment;
    const hs = v.hazards.filter((h) => h.severity !== 'info');
    if (!a.found) av.missing.push(v.kernel);
    else if (!a.attachable || hs.some((h) => h.severity === 'error')) av.failing.push(v.kernel);
    else if (hs.length) av.degraded.push(v.kernel);
    else av.ok.push(v.kernel);
    for (const h of hs) if (!av.hazards.some((x) => x.name === h.name)) av.hazards.push(h);
  }
  for (const d of verdicts.differences) {
    if (!av.hazards.some((x) => x.name === d.hazard)) av.hazards.push({ name: d.hazard, severity: 'warning', message: d.message });
  }
  return av;
}

/** Sort key: attachable everywhere first, then by how many targets fail or lack it, then by how
 *  many carry warnings; then by name. */
function sortKey(av: Availability, name: string): string {
  const bad = av.failing.length + av.missing.length;
  return `${String(bad).padStart(2, '0')}${String(av.degraded.length).padStart(2, '0')}${name}`;
}

function availabilityLine(av: Availability, total: number): string {
  const attaches = av.ok.length + av.degraded.length;
  const where = attaches === total ? (total === 1 ? 'on the target' : `all ${total} targets`) : `${attaches}/${total} targets`;
  const marks: string[] = av.hazards.map((h) => h.name);
  if (av.missing.length && !marks.includes('absent')) marks.unshift(`missing on ${av.missing.length}`);
  return marks.length ? `${where} · ⚠ ${marks.join(', ')}` : where;
}

/** A target item as first sent: what ranks and marks it (the verdicts over the target kernels,
 *  shared with diagnostics) and what it inserts. Its detail and documentation (the hook's
 *  prototype or record, one line per kernel) come from completionItem/resolve
 *  (completionResolve.ts) when the editor shows it. */
function targetItem(name: string, target: AttachTarget, ctx: FeatureContext): { item: CompletionItem; newText: string } {
  const av = availability(ctx, target);
  const item: CompletionItem = {
    label: name,
    kind: target.kind === 'tracepoint' || target.kind === 'raw_tp' || target.kind === 'tp_btf' ? CompletionItemKind.Event : CompletionItemKind.Function,
    labelDetails: { description: availabilityLine(av, ctx.targets.length) },
    sortText: sortKey(av, name),
    filterText: name,
    data: targetItemData(target, { hook: true }),
  };
  if (av.failing.length || av.missing.length) item.tags = [CompletionItemTag.Deprecated];
  return { item, newText: name };
}

// ---------------------------------------------------------------- SEC("…") strings

function prefixItems(ctx: FeatureContext, typed: string, range: Range): CompletionList {
  const items: CompletionItem[] = [];
  for (const p of ctx.knowledge.sectionPrefixes()) {
    if (!p.prefix.startsWith(typed)) continue;
    const tracing = !!p.kind;
    items.push({
      label: p.prefix,
      kind: tracing ? CompletionItemKind.Module : CompletionItemKind.Keyword,
      detail: p.summary,
      labelDetails: { description: p.kind ?? 'not indexed by the atlas' },
      documentation: {
        kind: MarkupKind.Markdown,
        value: [p.summary, p.targetFormat ? `Target: \`${p.targetFormat}\`` : '', p.macro ? `Handler: \`${p.macro}\`` : '',
          p.since ? `Since Linux ${p.since}` : '', `Source: ${p.source}`].filter(Boolean).join('\n\n'),
      },
      // Stable kinds first: BTF tracepoints and tracepoints, then fentry, then kprobes, then the rest.
      sortText: `${prefixRank(p)}${p.prefix}`,
      textEdit: { range, newText: p.takesTarget ? `${p.prefix}/` : p.prefix },
      command: p.takesTarget && p.kind ? { title: 'targets', command: 'editor.action.triggerSuggest' } : undefined,
    });
  }
  return list(items);
}

function prefixRank(p: SectionPrefix): number {
  switch (p.kind) {
    case 'tp_btf': case 'tracepoint': case 'raw_tp': return 0;
    case 'fentry': case 'fexit': case 'fmod_ret': case 'lsm': case 'ksyscall': case 'kretsyscall': return 1;
    case 'kprobe': case 'kretprobe': case 'kprobe.multi': case 'kretprobe.multi': return 2;
    case undefined: return 4;
    default: return 3;
  }
}

/** Names from several kernels: union, capped; `truncated` when more exist. */
function unionMatches(kernels: readonly KernelQuery[], matches: (k: KernelQuery) => readonly string[], limit: number): { names: string[]; truncated: boolean } {
  const seen = new Set<string>();
  for (const k of kernels) for (const n of matches(k)) seen.add(n);
  const all = [...seen].sort();
  return { names: all.slice(0, limit), truncated: all.length > limit };
}

/** A completion list as computed once per target kernels, kind and typed text (cached): items
 *  without their text edit, which depends on where the text is. */
interface TargetList {
  isIncomplete: boolean;
  entries: { item: CompletionItem; newText: string }[];
}

/** Tracepoint systems, each completed with `sep`. */
function tracepointSystems(kernels: readonly KernelQuery[], typed: string, sep: string): TargetList {
  const systems = new Map<string, { kernels: string[]; events: number }>();
  for (const k of kernels) {
    for (const [sys, events] of k.systems()) {
      if (!sys.startsWith(typed)) continue;
      const e = systems.get(sys) ?? { kernels: [], events: 0 };
      e.kernels.push(k.meta.id);
      e.events = Math.max(e.events, events.length);
      systems.set(sys, e);
    }
  }
  const entries = [...systems].map(([sys, e]) => {
    const everywhere = e.kernels.length === kernels.length;
    const item: CompletionItem = {
      label: sys,
      kind: CompletionItemKind.Folder,
      detail: `${e.events} events · ${everywhere ? (kernels.length === 1 ? 'on the target' : `on all ${kernels.length} targets`) : `on ${e.kernels.length}/${kernels.length} targets`}`,
      sortText: `${everywhere ? 0 : 1}${sys}`,
      command: { title: 'events', command: 'editor.action.triggerSuggest' },
    };
    return { item, newText: `${sys}${sep}` };
  });
  return { isIncomplete: false, entries };
}

/** Target items for names from each kernel: union, prefix-filtered, capped at targetItemLimit(). */
function targetList(ctx: FeatureContext, kernels: readonly KernelQuery[], kind: AttachKind, typed: string,
  matches: (k: KernelQuery, limit: number) => readonly string[], system?: string): TargetList {
  const limit = targetItemLimit(ctx.targets.length);
  const { names, truncated } = unionMatches(kernels, (k) => matches(k, limit + 1), limit);
  return { isIncomplete: truncated, entries: names.map((name) => targetItem(name, system ? { kind, system, name } : { kind, name }, ctx)) };
}

/** The list for what is typed after a prefix (for tracepoints, a system, then `sep` and an event). */
function targetCompletion(ctx: FeatureContext, kernels: readonly KernelQuery[], kind: AttachKind, targetText: string, sep: string): TargetList {
  const names = (list: (k: KernelQuery) => readonly string[], typed = targetText) =>
    (k: KernelQuery, limit: number) => namesWithPrefix(sortedNames(ctx, list(k)), typed, limit);
  // Name lists made from a kernel's records (a new array per call, so sortedNames would sort a
  // fresh copy on every keystroke: ~50 ms over 30 targets for tp_btf/): made once per kernel.
  const derivedNames = (key: string, list: (k: KernelQuery) => readonly string[]) =>
    names((k) => ctx.cache.derived(k, key, () => sortedNames(ctx, list(k))));
  switch (kind) {
    case 'tracepoint': {
      const slash = targetText.indexOf(sep);
      if (slash < 0) return tracepointSystems(kernels, targetText, sep);
      const system = targetText.slice(0, slash);
      const event = targetText.slice(slash + sep.length);
      return targetList(ctx, kernels, 'tracepoint', event, names((k) => k.systems().get(system) ?? [], event), system);
    }
    case 'raw_tp': case 'tp_btf':
      return targetList(ctx, kernels, kind, targetText, derivedNames('tracepoint-names', (k) => tracepointHeads(k).map((t) => t.name)));
    case 'kprobe': case 'kretprobe': case 'fentry': case 'fexit': case 'fmod_ret': case 'fsession': case 'kprobe.session':
    case 'kprobe.multi': case 'kretprobe.multi':
      // Function names are the big list: each kernel searches its table by prefix.
      return targetList(ctx, kernels, kind === 'kprobe.multi' || kind === 'kretprobe.multi' ? 'kprobe' : kind, targetText,
        (k, limit) => functionNamesWithPrefix(ctx, k, targetText, limit));
    case 'ksyscall': case 'kretsyscall':
      return targetList(ctx, kernels, kind, targetText, derivedNames('syscall-names', (k) => k.syscalls().map((sc) => sc.name)));
    case 'lsm':
      return targetList(ctx, kernels, 'lsm', targetText, derivedNames('lsm-names', (k) => k.lsmHooks().map((h) => h.name)));
    default:
      return { isIncomplete: false, entries: [] };
  }
}

/** Lists kept per target kernels, kind and typed text: typing back and forth over a prefix, or
 *  asking again at the same place, costs a copy of the list. */
const LIST_CACHE_SIZE = 256;

/** The target list for `targetText` after a prefix of `kind`, computed once per target kernels,
 *  kind and text, each item given a text edit over `range`. */
function cachedTargets(ctx: FeatureContext, kernels: readonly KernelQuery[], kind: AttachKind, targetText: string, range: Range, sep = '/'): CompletionList {
  const key = `${ctx.cache.kernelsKey(ctx.atlas, ctx.targets)}|${kind}|${sep}|${targetText}`;
  const table = ctx.cache.table<TargetList>('completion-lists', LIST_CACHE_SIZE);
  let cached = table.get(key);
  if (!cached) {
    cached = targetCompletion(ctx, kernels, kind, targetText, sep);
    table.set(key, cached);
  }
  return list(cached.entries.map((e) => ({ ...e.item, textEdit: { range, newText: e.newText } })), cached.isIncomplete);
}

/** Names whose verdicts one warm-up step works out (~10 names over 30 targets: a few ms). */
const WARM_STEP_NAMES = 10;

/** Steps that build, while the server is idle, the list the first `SEC("kind/` of each of these
 *  function kinds shows (its names, targetItemLimit() of them, each judged on every target
 *  kernel: 50-90 ms for 100 names over 30 targets, which the keystroke after the `/` paid). The
 *  verdicts come in steps of a few names, so a request that arrives meanwhile waits for one step;
 *  the last step caches the list as cachedTargets would. Steps throw what the kernels throw. */
export function warmTargetListSteps(ctx: FeatureContext, kinds: readonly AttachKind[]): (() => void)[] {
  let names: string[] | undefined;
  const firstNames = (): string[] => {
    const limit = targetItemLimit(ctx.targets.length);
    names ??= unionMatches(targetKernels(ctx).kernels, (k) => functionNamesWithPrefix(ctx, k, '', limit + 1), limit).names;
    return names;
  };
  const origin = { line: 0, character: 0 };
  return kinds.flatMap((kind) => [
    ...Array.from({ length: Math.ceil(targetItemLimit(ctx.targets.length) / WARM_STEP_NAMES) }, (_, i) => () => {
      for (const name of firstNames().slice(i * WARM_STEP_NAMES, (i + 1) * WARM_STEP_NAMES)) attachVerdicts({ kind, name }, ctx);
    }),
    () => void cachedTargets(ctx, targetKernels(ctx).kernels, kind, '', replaceRange(origin, origin)),
  ]);
}

/** Function targets (kprobe, fentry, ...) for typed text; also bcc's attach_kprobe(event=...). */
export function functionTargets(ctx: FeatureContext, kind: AttachKind, kernels: readonly KernelQuery[], typed: string, range: Range): CompletionList {
  return cachedTargets(ctx, kernels, kind, typed, range);
}

/** Raw and BTF tracepoint targets for typed text; also bcc's attach_raw_tracepoint(tp=...). */
export function rawTracepointTargets(ctx: FeatureContext, kind: AttachKind, kernels: readonly KernelQuery[], typed: string, range: Range): CompletionList {
  return cachedTargets(ctx, kernels, kind, typed, range);
}

/** Tracepoint systems, then the events of the system before `sep` (`/` in a section, `:` in
 *  bcc's `attach_tracepoint(tp="sys:event")`, `__` in its `tracepoint__sys__event` names); the
 *  edit replaces the system (from `targetStart`) or, once `sep` is typed, the event. */
export function tracepointTargets(ctx: FeatureContext, kernels: readonly KernelQuery[], targetText: string, targetStart: Position, sep = '/'): CompletionList {
  const slash = targetText.indexOf(sep);
  const start = slash < 0 ? targetStart : { line: targetStart.line, character: targetStart.character + slash + sep.length };
  return cachedTargets(ctx, kernels, 'tracepoint', targetText, replaceRange(start, { line: start.line, character: targetStart.character + targetText.length }), sep);
}

function sectionCompletion(p: BpfProgram, pos: Position, ctx: FeatureContext): CompletionList {
  const start = p.sectionRange.start;
  const typed = p.section.slice(0, Math.max(0, pos.character - start.character));
  const slash = typed.indexOf('/');
  if (slash < 0) return prefixItems(ctx, typed, replaceRange(start, pos));
  const prefix = ctx.knowledge.sectionPrefix(typed);
  if (!prefix?.kind || !prefix.takesTarget || typed[prefix.prefix.length] !== '/') return EMPTY;
  const kind = prefix.kind;
  const targetText = typed.slice(prefix.prefix.length + 1);
  const { kernels } = targetKernels(ctx);
  if (!kernels.length) return EMPTY;
  // An item replaces the target up to the cursor (after `system/` once a system is typed).
  const from = start.character + prefix.prefix.length + 1 + (kind === 'tracepoint' ? targetText.indexOf('/') + 1 : 0);
  return cachedTargets(ctx, kernels, kind, targetText, replaceRange({ line: start.line, character: from }, pos));
}

// ---------------------------------------------------------------- handler snippets

function snippetEscape(s: string): string {
  return s.replace(/[\\$}]/g, (c) => `\\${c}`);
}

function argsList(params: readonly Param[]): string {
  return params.map((p, i) => snippetEscape(cDecl(p.type, p.name || `arg${i}`))).join(', ');
}

/** The handler signature snippet for a program's hook, or undefined when nothing is known. */
export function handlerSnippet(p: BpfProgram, ctx: FeatureContext): { label: string; snippet: string; doc: string } | undefined {
  const target = programTarget(p);
  if (!target || !p.kind) return undefined;
  // The first target kernel that gives arguments; sources without them (DepSurf has no syscall
  // metadata) give an empty list, so a non-empty one wins.
  const candidates = attachVerdicts(target, ctx).kernels.filter((v) => v.assessment.found)
    .map((v) => kernelOf(ctx, v.kernel)).filter((k): k is KernelQuery => !!k)
    .map((k) => ({ k, args: hookParams(k, target) }));
  const found = candidates.find((x) => x.args?.length) ?? candidates.find((x) => x.args) ?? candidates[0];
  const name = target.name.replace(/[^A-Za-z0-9_]/g, '_');
  const body = ' {\n\t$0\n\treturn 0;\n}';
  const on = found ? `Arguments as on ${found.k.meta.id}.` : 'The hook was not found on the target kernels.';
  const params = found?.args ?? [];
  const withArgs = (macro: string, extra: Param[] = []) => {
    const all = [...params, ...extra];
    const label = `int ${macro}(${name}${all.length ? ', ' + all.map((x) => cDecl(x.type, x.name)).join(', ') : ''})`;
    return { label, snippet: `int ${macro}(\${1:${name}}${all.length ? ', ' + argsList(all) : ''})${body}`, doc: on };
  };
  switch (p.kind) {
    case 'tp_btf': case 'raw_tp': case 'fentry':
      return withArgs('BPF_PROG');
    case 'lsm':
      // LSM programs also receive the return value of the previous program in the chain.
      return withArgs('BPF_PROG', [{ name: 'ret', type: 'int' }]);
    case 'fexit': case 'fmod_ret': {
      const fn = found ? found.k.fn(target.name) : undefined;
      const ret = fn?.proto?.ret && fn.proto.ret !== 'void' ? fn.proto.ret : p.kind === 'fmod_ret' ? 'int' : undefined;
      return withArgs('BPF_PROG', ret ? [{ name: 'ret', type: ret }] : []);
    }
    case 'kprobe':
      return withArgs('BPF_KPROBE');
    case 'ksyscall':
      return withArgs('BPF_KSYSCALL');
    case 'kretprobe': case 'kretsyscall': {
      const fn = found && p.kind === 'kretprobe' ? found.k.fn(target.name) : undefined;
      const ret = fn?.proto?.ret && fn.proto.ret !== 'void' ? fn.proto.ret : 'long';
      const label = `int BPF_KRETPROBE(${name}, ${cDecl(ret, 'ret')})`;
      return { label, snippet: `int BPF_KRETPROBE(\${1:${name}}, ${snippetEscape(cDecl(ret, 'ret'))})${body}`, doc: on };
    }
    case 'tracepoint': {
      const ctxType = expectedCtxType(p, ctx);
      if (!ctxType) return undefined;
      const fname = `handle_${name}`;
      return {
        label: `int ${fname}(${ctxType}ctx)`,
        snippet: `int \${1:${fname}}(${snippetEscape(ctxType)}ctx)${body}`,
        doc: `The tracepoint record type${found ? ` (as on ${found.k.meta.id})` : ''}.`,
      };
    }
    default:
      return undefined;
  }
}

/** The program whose handler is being written at `pos`: after its closed section and before its body. */
function programBeforeHandler(doc: AnalyzedDocument, pos: Position): BpfProgram | undefined {
  const programs = doc.c?.programs ?? [];
  let best: BpfProgram | undefined;
  for (const p of programs) {
    if (!p.sectionClosed || comparePositions(p.secRange.end, pos) > 0) continue;
    if (pos.line === p.secRange.end.line && pos.character <= p.secRange.end.character) continue;
    if (p.bodyRange && comparePositions(p.bodyRange.start, pos) < 0) continue;
    if (p.handler && p.handler.paramsClosed && comparePositions(p.handler.headerRange.end, pos) < 0) continue;
    if (pos.line - p.secRange.end.line > 2) continue;
    if (!best || comparePositions(best.secRange.end, p.secRange.end) < 0) best = p;
  }
  return best;
}

function snippetCompletion(doc: AnalyzedDocument, p: BpfProgram, pos: Position, ctx: FeatureContext): CompletionList {
  const s = handlerSnippet(p, ctx);
  if (!s) return EMPTY;
  const lineStart = doc.lines.offsetAt({ line: pos.line, character: 0 });
  const before = doc.text.slice(lineStart, doc.lines.offsetAt(pos));
  const indent = before.length - before.trimStart().length;
  const lineEnd = doc.text.indexOf('\n', lineStart);
  const lineText = doc.text.slice(lineStart, lineEnd < 0 ? doc.text.length : lineEnd);
  // Replace what was typed of the header on this line (e.g. `int BPF_`), up to the line end.
  const range = replaceRange({ line: pos.line, character: indent }, { line: pos.line, character: lineText.replace(/\r$/, '').length });
  return list([{
    label: s.label,
    kind: CompletionItemKind.Snippet,
    detail: `handler for SEC("${p.section}")`,
    documentation: { kind: MarkupKind.Markdown, value: s.doc },
    insertTextFormat: InsertTextFormat.Snippet,
    filterText: before.trimStart() || s.label,
    sortText: '0',
    preselect: true,
    textEdit: { range, newText: s.snippet },
  }]);
}

// ---------------------------------------------------------------- ctx-> fields

function ctxFieldCompletion(doc: AnalyzedDocument, p: BpfProgram, pos: Position, ctx: FeatureContext): CompletionList | undefined {
  const ctxName = p.handler?.ctx?.name;
  if (!ctxName || p.kind !== 'tracepoint') return undefined;
  const lineStart = doc.lines.offsetAt({ line: pos.line, character: 0 });
  const before = doc.text.slice(lineStart, doc.lines.offsetAt(pos));
  const m = /([A-Za-z_]\w*)\s*->\s*(\w*)$/.exec(before);
  if (!m || m[1] !== ctxName) return undefined;
  const typed = m[2];
  const range = replaceRange({ line: pos.line, character: pos.character - typed.length }, pos);
  const { kernels } = targetKernels(ctx);
  const byName = new Map<string, { kernel: string; decl: string; offset?: number }[]>();
  const order: string[] = [];
  for (const k of kernels) {
    const rec = ctxFieldsOn(p, k);
    for (const f of rec?.fields ?? []) {
      if (f.name.startsWith('common_')) continue;
      if (!byName.has(f.name)) { byName.set(f.name, []); order.push(f.name); }
      byName.get(f.name)!.push({ kernel: k.meta.id, decl: cDecl(f.type, f.name), offset: f.offset });
    }
  }
  const items: CompletionItem[] = order.filter((n) => n.startsWith(typed)).map((name, i) => {
    const on = byName.get(name)!;
    const everywhere = on.length === kernels.length;
    const variants = [...new Set(on.map((o) => `${o.decl}${o.offset !== undefined ? ` @${o.offset}` : ''}`))];
    return {
      label: name,
      kind: CompletionItemKind.Field,
      detail: variants.length === 1 ? variants[0] : `${variants.length} layouts across targets`,
      labelDetails: { description: everywhere ? '' : `missing on ${kernels.filter((k) => !on.some((o) => o.kernel === k.meta.id)).map((k) => k.meta.id).join(', ')}` },
      documentation: { kind: MarkupKind.Markdown, value: on.map((o) => `- ${o.kernel}: \`${o.decl}\`${o.offset !== undefined ? ` offset ${o.offset}` : ''}`).join('\n') },
      sortText: `${everywhere ? 0 : 1}${String(i).padStart(3, '0')}`,
      tags: everywhere ? undefined : [CompletionItemTag.Deprecated],
      textEdit: { range, newText: name },
    };
  });
  return list(items);
}

// ---------------------------------------------------------------- entry

export function completionC(doc: AnalyzedDocument, pos: Position, ctx: FeatureContext): CompletionList {
  const model = doc.c;
  if (!model) return EMPTY;
  for (const p of model.programs) {
    if (rangeContains(p.sectionRange, pos)) return sectionCompletion(p, pos, ctx);
  }
  for (const p of model.programs) {
    if (p.bodyRange && rangeContains(p.bodyRange, pos)) {
      return ctxFieldCompletion(doc, p, pos, ctx) ?? memberCompletion(doc, pos, ctx) ?? EMPTY;
    }
  }
  // Members in any other function (helpers called by the programs).
  const members = memberCompletion(doc, pos, ctx);
  if (members) return members;
  const p = programBeforeHandler(doc, pos);
  if (p) return snippetCompletion(doc, p, pos, ctx);
  return EMPTY;
}
