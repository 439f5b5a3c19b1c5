// BCC completion: kernel names inside the strings of attach calls and kernel checks
// (`attach_kprobe(event="blk_|`, `attach_tracepoint(tp="sched:|`, `attach_raw_tracepoint(tp=`,
// `get_kprobe_functions(b"tcp_|`), the hook in the C text (`int kprobe__tcp_|`,
// `tracepoint__sched__|`, `TRACEPOINT_PROBE(sched, sched_|`, `RAW_TRACEPOINT_PROBE(`,
// `KFUNC_PROBE(`), and record fields after `args->` in a TRACEPOINT_PROBE body, with the same
// items as libbpf C (features/c/completion.ts): each says on which target kernels it attaches.
// The slot comes from the text before the cursor (syntax/bcc/slots.ts): half-typed calls are not
// valid Python yet. The C text is that of a Python string or of a .c file a tool loads.

import type { CompletionItem, CompletionList, Position } from 'vscode-languageserver';
import { CompletionItemKind } from 'vscode-languageserver';
import type { KernelQuery } from '../../atlas/model';
import { targetKernels } from '../../analysis/kernels';
import { cSlotAt, pythonSlotAt, type CSlot } from '../../syntax/bcc/slots';
import type { BccModel } from '../../syntax/bcc/types';
import { rangeContains, type LineMap, type Position as Pos, type Range } from '../../syntax/cModel';
import { functionTargets, rawTracepointTargets, tracepointTargets } from '../c/completion';
import type { FeatureContext } from '../shared/context';

const EMPTY: CompletionList = { isIncomplete: false, items: [] };

export function completionBcc(doc: { text: string; lines: LineMap; bcc?: BccModel }, pos: Position, ctx: FeatureContext): CompletionList {
  const model = doc.bcc;
  if (!model) return EMPTY;
  const offset = doc.lines.offsetAt(pos);
  const kernels = targetKernels(ctx).kernels;
  const slot = pythonSlotAt(doc.text, offset);
  if (slot && !slot.prefix.includes('\n')) {
    const start = doc.lines.positionAt(slot.contentStart);
    const range = { start, end: pos };
    switch (`${slot.method}:${slot.param}`) {
      case 'attach_kprobe:event': case 'get_kprobe_functions:0':
        return functionTargets(ctx, 'kprobe', kernels, slot.prefix, range);
      case 'attach_kretprobe:event':
        return functionTargets(ctx, 'kretprobe', kernels, slot.prefix, range);
      case 'attach_tracepoint:tp':
        return tracepointTargets(ctx, kernels, slot.prefix, start, ':');
      case 'tracepoint_exists:0':
        return systemItems(ctx, kernels, slot.prefix, start);
      case 'tracepoint_exists:1':
        return eventItems(ctx, kernels, slot.before[0], slot.prefix, start);
      case 'attach_raw_tracepoint:tp':
        return rawTracepointTargets(ctx, 'raw_tp', kernels, slot.prefix, range);
      default:
        return EMPTY;
    }
  }
  return cHookCompletion(doc, model, offset, pos, ctx) ?? argsFieldCompletion(doc, model, offset, pos, ctx);
}

/** The hook a bcc C name or probe macro is typing: kernel functions after `kprobe__`, tracepoints
 *  after `tracepoint__` (`sys__event`) and in TRACEPOINT_PROBE's two arguments, raw tracepoints,
 *  kfunc hooks. Undefined when the cursor is in no such slot; only where the typed part is written
 *  in the document as it reads (not behind an escape or a `.replace()`). */
function cHookCompletion(doc: { text: string; lines: LineMap }, model: BccModel, offset: number, pos: Position, ctx: FeatureContext): CompletionList | undefined {
  for (const emb of model.embedded) {
    const c = emb.fromDocument(offset);
    if (c === undefined) continue;
    const slot = cSlotAt(emb.text.slice(Math.max(0, c - 300), c));
    if (!slot) continue;
    const start: Pos = { line: pos.line, character: pos.character - slot.prefix.length };
    if (start.character < 0 || doc.text.slice(offset - slot.prefix.length, offset) !== slot.prefix) return EMPTY;
    return hookItems(slot, start, { start, end: pos }, ctx);
  }
  return undefined;
}

function hookItems(slot: CSlot, start: Pos, range: Range, ctx: FeatureContext): CompletionList {
  const kernels = targetKernels(ctx).kernels;
  if (!kernels.length) return EMPTY;
  switch (slot.kind === 'name' ? slot.head : `${slot.head}:${slot.arg}`) {
    case 'kprobe__': return functionTargets(ctx, 'kprobe', kernels, slot.prefix, range);
    case 'kretprobe__': return functionTargets(ctx, 'kretprobe', kernels, slot.prefix, range);
    case 'KFUNC_PROBE:0': return functionTargets(ctx, 'fentry', kernels, slot.prefix, range);
    case 'KRETFUNC_PROBE:0': return functionTargets(ctx, 'fexit', kernels, slot.prefix, range);
    case 'raw_tracepoint__': case 'RAW_TRACEPOINT_PROBE:0':
      return rawTracepointTargets(ctx, 'raw_tp', kernels, slot.prefix, range);
    case 'tracepoint__': return tracepointTargets(ctx, kernels, slot.prefix, start, '__');
    case 'TRACEPOINT_PROBE:0': return systemItems(ctx, kernels, slot.prefix, start);
    case 'TRACEPOINT_PROBE:1': return eventItems(ctx, kernels, slot.before[0], slot.prefix, start);
    default:
      return EMPTY;
  }
}

/** Tracepoint systems where the event is a separate argument (`tracepoint_exists("sys", ...)`,
 *  `TRACEPOINT_PROBE(sys, ...)`): the name alone. */
function systemItems(ctx: FeatureContext, kernels: readonly KernelQuery[], typed: string, start: Pos): CompletionList {
  const list = tracepointTargets(ctx, kernels, typed, start, '\u0000');
  for (const item of list.items) {
    if (item.textEdit && 'range' in item.textEdit) item.textEdit = { ...item.textEdit, newText: item.label };
    delete item.command;
  }
  return list;
}

/** The events of the system named by the argument before: the shared list with a system prefix
 *  that the edit does not include. */
function eventItems(ctx: FeatureContext, kernels: readonly KernelQuery[], sys: string | undefined, typed: string, start: Pos): CompletionList {
  if (!sys) return EMPTY;
  return tracepointTargets(ctx, kernels, `${sys}:${typed}`, { line: start.line, character: start.character - sys.length - 1 }, ':');
}

/** `args->` in the body of a TRACEPOINT_PROBE: the event's record fields on the target kernels. */
function argsFieldCompletion(doc: { text: string }, model: BccModel, offset: number, pos: Position, ctx: FeatureContext): CompletionList {
  for (const emb of model.embedded) {
    const c = emb.fromDocument(offset);
    if (c === undefined) continue;
    const typed = /\bargs->(\w*)$/.exec(emb.text.slice(Math.max(0, c - 200), c));
    if (!typed) continue;
    const fn = model.programs[emb.program]?.functions.find((f) => f.macro === 'TRACEPOINT_PROBE' && f.bodyRange && rangeContains(f.bodyRange, pos));
    if (!fn?.macroArgs) continue;
    const [system, event] = fn.macroArgs;
    const seen = new Map<string, { type: string; kernels: string[] }>();
    const { kernels } = targetKernels(ctx);
    for (const k of kernels) {
      for (const f of k.tracepoint(event, system)?.fields ?? []) {
        const e = seen.get(f.name) ?? { type: f.type, kernels: [] };
        e.kernels.push(k.meta.id);
        seen.set(f.name, e);
      }
    }
    const start = { line: pos.line, character: pos.character - typed[1].length };
    const items: CompletionItem[] = [...seen].filter(([name]) => name.startsWith(typed[1])).map(([name, e]) => ({
      label: name,
      kind: CompletionItemKind.Field,
      detail: `${e.type}${e.kernels.length < kernels.length ? ` · on ${e.kernels.join(', ')}` : ''}`,
      textEdit: { range: { start, end: pos }, newText: name },
    }));
    return { isIncomplete: false, items };
  }
  void doc;
  return EMPTY;
}
