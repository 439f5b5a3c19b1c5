// Completion of struct members in libbpf C: after `p->`, `p->a.`, `((struct x *)p)->`, and inside
// `BPF_CORE_READ(p, ` (and its _INTO/_STR_INTO/_BITFIELD forms) with nesting (`BPF_CORE_READ(p,
// a, b.`): the members of the struct the expression points to, over the target kernels, each
// marked with the kernels that lack it. A flavor or a struct the program declares with
// preserve_access_index offers the members it declares, marked the same way. Works on code being
// typed: the expression is read from the text before the cursor, the variable's type from its
// declaration (syntax/coreAccess.ts). Pure.

import type { CompletionItem, CompletionList, Position } from 'vscode-languageserver';
import { CompletionItemKind, CompletionItemTag, MarkupKind } from 'vscode-languageserver';
import { cDecl } from '../../atlas/model';
import { memberChoices, type MemberChoice } from '../../analysis/members';
import { essentialName } from '../../model/coreTypes';
import { coreReadSourceIndex, isCoreReadMacro, parseChainText, splitArgs, type AccessStep, type CoreAccess, type WrittenType } from '../../syntax/coreAccess';
import type { AnalyzedDocument } from '../../syntax/documents';
import type { FeatureContext } from '../shared/context';

/** How far back the expression before the cursor is looked for. */
const LOOK_BACK = 4000;

interface Question {
  root: WrittenType;
  steps: AccessStep[];
  /** The typed name follows a `.` (an embedded member of the last step). */
  dot: boolean;
  typed: string;
}

/** Where the innermost open `(` before the end of `text` is, skipping closed groups. */
function openParen(text: string): number {
  let depth = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text[i];
    if (c === ')' || c === ']') depth++;
    else if (c === '(' || c === '[') {
      if (depth === 0) return c === '(' ? i : -1;
      depth--;
    } else if ((c === ';' || c === '{' || c === '}') && depth === 0) return -1;
  }
  return -1;
}

/** `BPF_CORE_READ(p, a, b.c` before the cursor. */
function coreReadQuestion(doc: AnalyzedDocument, before: string, base: number): Question | undefined {
  const open = openParen(before);
  if (open < 0) return undefined;
  const macro = /([A-Za-z_]\w*)\s*$/.exec(before.slice(0, open))?.[1];
  if (!macro || !isCoreReadMacro(macro)) return undefined;
  const args = splitArgs(before.slice(open + 1), base + open + 1);
  const src = coreReadSourceIndex(macro);
  if (args.length - 1 <= src) return undefined;
  const current = args[args.length - 1].text;
  const m = /^((?:[A-Za-z_]\w*(?:\[[^\]]*\])*\s*\.\s*)*)([A-Za-z_]\w*)?$/.exec(current);
  if (!m) return undefined;
  const accessorText = [...args.slice(src + 1, -1).map((a) => a.text), ...(m[1] ? [m[1].replace(/\.\s*$/, '')] : [])];
  // The source and the finished accessors as one chain: `p->a->b.c`.
  const chain = `${args[src].text}${accessorText.map((a) => `->${a}`).join('')}`;
  const parsed = parseChainText(chain, args[src].start, doc.core!, doc.text, doc.lines);
  if (!parsed) return undefined;
  return { root: parsed.root, steps: parsed.steps, dot: !!m[1], typed: m[2] ?? '' };
}

/** The start of the expression that ends at `end` in `text`: identifiers joined by `->`, `.`,
 *  `[...]`, led by an identifier, a call or a parenthesised cast. */
function chainStart(text: string, end: number): number {
  let i = end;
  const skipSpace = () => { while (i > 0 && /\s/.test(text[i - 1])) i--; };
  const group = (close: string, open: string) => {
    let depth = 0;
    for (let j = i - 1; j >= 0; j--) {
      if (text[j] === close) depth++;
      else if (text[j] === open && --depth === 0) return j;
    }
    return -1;
  };
  for (;;) {
    skipSpace();
    if (i > 0 && text[i - 1] === ']') {
      const j = group(']', '[');
      if (j < 0) return -1;
      i = j;
      continue;
    }
    if (i > 0 && text[i - 1] === ')') {
      const j = group(')', '(');
      if (j < 0) return -1;
      i = j;
      // A call: its name is part of the root.
      const name = /[A-Za-z_]\w*\s*$/.exec(text.slice(0, i));
      if (name) i -= name[0].length;
      return i;
    }
    const id = /[A-Za-z_]\w*$/.exec(text.slice(0, i));
    if (!id) return -1;
    i -= id[0].length;
    const save = i;
    skipSpace();
    if (text.slice(Math.max(0, i - 2), i) === '->') { i -= 2; continue; }
    if (i > 0 && text[i - 1] === '.' && !/[\d]/.test(text[i - 2] ?? '')) { i -= 1; continue; }
    return save;
  }
}

/** `expr->typed` or `expr.typed` before the cursor. */
function arrowQuestion(doc: AnalyzedDocument, before: string, base: number): Question | undefined {
  const m = /(->|\.)\s*([A-Za-z_]\w*)?$/.exec(before);
  if (!m) return undefined;
  const op = m.index;
  const start = chainStart(before, op);
  if (start < 0) return undefined;
  const parsed = parseChainText(before.slice(start, op), base + start, doc.core!, doc.text, doc.lines);
  if (!parsed) return undefined;
  return { root: parsed.root, steps: parsed.steps, dot: m[1] === '.', typed: m[2] ?? '' };
}

function item(c: MemberChoice, judged: readonly string[], typedStart: Position, pos: Position, local: boolean): CompletionItem {
  const missing = c.missingOn;
  const everywhere = !missing.length;
  const decl = c.type ? cDecl(c.type, c.name) : c.name;
  const lines = [
    `\`${decl}\``,
    '',
    everywhere ? `On every target with types (${judged.join(', ')}).` : `Missing on ${missing.join(', ')}; present on ${c.presentOn.join(', ') || 'none'}.`,
  ];
  if (!everywhere) lines.push('', 'A CO-RE read of it fails to load where it is missing: test it with bpf_core_field_exists().');
  if (local) lines.push('', 'Declared by this program\'s flavor.');
  return {
    label: c.name,
    kind: CompletionItemKind.Field,
    detail: decl,
    labelDetails: { description: everywhere ? '' : `missing on ${missing.join(', ')}` },
    documentation: { kind: MarkupKind.Markdown, value: lines.join('\n') },
    sortText: `${everywhere ? 0 : 1}${c.name}`,
    tags: everywhere ? undefined : [CompletionItemTag.Deprecated],
    textEdit: { range: { start: typedStart, end: pos }, newText: c.name },
  };
}

/** Member completion at `pos`, or undefined when the cursor is not after a member access. */
/** Member lists kept (one per chain being typed; a struct's list over 30 kernels weighs ~100 KB). */
const MEMBER_CHOICES_KEPT = 16;

export function memberCompletion(doc: AnalyzedDocument, pos: Position, ctx: FeatureContext): CompletionList | undefined {
  if (!doc.core || !ctx.targets.length) return undefined;
  const offset = doc.lines.offsetAt(pos);
  const base = Math.max(0, offset - LOOK_BACK);
  const before = doc.text.slice(base, offset);
  const q = coreReadQuestion(doc, before, base) ?? arrowQuestion(doc, before, base);
  if (!q) return undefined;
  const local = doc.core.localTypes.get(`${q.root.tag} ${q.root.name}`);
  if (local && !local.preserveAccessIndex && !q.steps.length) return undefined;
  const prefix: CoreAccess | undefined = q.steps.length
    ? { root: { kind: 'type', type: q.root }, steps: q.steps, via: 'core-read', range: q.steps[0].range, guarded: false, start: offset, end: offset }
    : undefined;
  // The same for every keystroke of the member being typed (task_struct over 30 kernels: ~20 ms).
  const chainKey = `${q.root.tag} ${q.root.name}${'*'.repeat(q.root.pointers)}${q.steps.map((s) => `${s.arrow ? '->' : '.'}${s.name}`).join('')}${q.dot ? '.' : ''}`;
  const { found } = ctx.cache.remember('member-choices', `${ctx.cache.kernelsKey(ctx.atlas, ctx.targets)}|${chainKey}`,
    () => ({ found: memberChoices(q.root, prefix, ctx, q.dot) }), MEMBER_CHOICES_KEPT);
  if (!found) return undefined;
  let choices = found.choices;
  // A struct the program declares offers what it declares (the rest does not compile).
  const declared = !q.steps.length && local ? new Set(local.members) : undefined;
  if (declared) {
    choices = [...declared].map((name) => choices.find((c) => c.name === name) ?? { name, type: '', missingOn: found.judged, presentOn: [] });
  }
  const typedStart = { line: pos.line, character: pos.character - q.typed.length };
  const items = choices
    .filter((c) => c.name.startsWith(q.typed))
    .map((c) => item(c, found.judged, typedStart, pos, !!declared && essentialName(q.root.name) !== q.root.name));
  return { isIncomplete: false, items };
}
