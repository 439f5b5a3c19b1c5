// BCC completion: kernel names inside the strings of attach calls and kernel checks
// (`attach_kprobe(event="blk_|`, `attach_tracepoint(tp="sched:|`, `attach_raw_tracepoint(tp=`,
// `get_kprobe_functions(b"tcp_|`), and record fields after `args->` in a TRACEPOINT_PROBE body,
// with the same items as libbpf C (features/c/completion.ts). The slot comes from the text before
// the cursor (syntax/bcc/slots.ts): half-typed calls are not valid Python yet.

import type { CompletionItem, CompletionList, Position } from 'vscode-languageserver';
import { CompletionItemKind } from 'vscode-languageserver';
import { targetKernels } from '../../analysis/kernels';
import { pythonSlotAt } from '../../syntax/bcc/slots';
import type { BccModel } from '../../syntax/bcc/types';
import { rangeContains, type LineMap } from '../../syntax/cModel';
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
      case 'tracepoint_exists:0': {
        // Systems only: the event is the next argument.
        const list = tracepointTargets(ctx, kernels, slot.prefix, start, '\u0000');
        for (const item of list.items) {
          if (item.textEdit && 'range' in item.textEdit) item.textEdit = { ...item.textEdit, newText: item.label };
          delete item.command;
        }
        return list;
      }
      case 'tracepoint_exists:1': {
        if (!slot.before[0]) return EMPTY;
        // The events of the system named by the first argument: the shared list with a system
        // prefix that the edit does not include.
        const sys = slot.before[0];
        const list = tracepointTargets(ctx, kernels, `${sys}:${slot.prefix}`, { line: start.line, character: start.character - sys.length - 1 }, ':');
        return list;
      }
      case 'attach_raw_tracepoint:tp':
        return rawTracepointTargets(ctx, 'raw_tp', kernels, slot.prefix, range);
      default:
        return EMPTY;
    }
  }
  return argsFieldCompletion(doc, model, offset, pos, ctx);
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
