// Quick fix for a member that was renamed between the target kernels (member-missing with a name
// there): the read becomes libbpf's documented pattern for it, a `___new`/`___old` flavor pair
// declared after the includes and a bpf_core_field_exists() test that picks the one the running
// kernel has:
//
//   struct task_struct___new { unsigned int __state; } __attribute__((preserve_access_index));
//   struct task_struct___old { volatile long int state; } __attribute__((preserve_access_index));
//   ...
//   (bpf_core_field_exists(((struct task_struct___new *)(prev))->__state)
//     ? BPF_CORE_READ((struct task_struct___new *)(prev), __state)
//     : BPF_CORE_READ((struct task_struct___old *)(prev), state))
//
// Offered for plain reads (`p->a->m`) and BPF_CORE_READ(p, ..., m) whose last member is the one
// renamed; the member types come from the kernels that have each name. Pure.

import { CodeActionKind, type CodeAction, type Diagnostic, type TextEdit } from 'vscode-languageserver';
import { cDecl } from '../../atlas/model';
import { accessOnTargets } from '../../analysis/members';
import { kernelOf } from '../../analysis/kernels';
import { coreReadSourceIndex, splitArgs, type CoreAccess, type CoreModel } from '../../syntax/coreAccess';
import type { FeatureContext } from '../shared/context';
import type { CDocumentLike } from './diagnostics';
import { MEMBER_MISSING, type MemberDiagnosticData } from './memberDiagnostics';

interface Flavor {
  name: string;
  member: string;
  type: string;
}

/** The expression the renamed member is read from: `prev`, `t->mm`, `BPF_CORE_READ(t, mm)`. */
function baseExpression(text: string, access: CoreAccess): string | undefined {
  const last = access.steps.length - 1;
  if (access.via === 'core-read') {
    if (access.macro !== 'BPF_CORE_READ') return undefined;
    const inner = text.slice(access.start, access.end);
    const open = inner.indexOf('(');
    const args = splitArgs(inner.slice(open + 1, inner.lastIndexOf(')')), 0);
    const src = coreReadSourceIndex(access.macro);
    // The renamed member must be an accessor of its own (not `a.state`).
    if (args[args.length - 1].text !== access.steps[last].name) return undefined;
    const before = args.slice(src + 1, -1).map((a) => a.text);
    return before.length ? `BPF_CORE_READ(${[args[src].text, ...before].join(', ')})` : args[src].text;
  }
  if (access.via !== 'direct' || !access.steps[last].arrow) return undefined;
  const step = access.steps[last];
  // The text of the chain up to the `->` before the member.
  const chain = text.slice(access.start, access.end);
  const at = chain.lastIndexOf(step.name);
  const head = chain.slice(0, at).replace(/\s*->\s*$/, '');
  if (!head || head === chain.slice(0, at)) return undefined;
  // An address-of or an assignment target cannot become a conditional read.
  const prefix = text.slice(0, access.start).trimEnd();
  const suffix = text.slice(access.end).trimStart();
  if (prefix.endsWith('&') || /^=[^=]/.test(suffix) || /^(\+\+|--|[-+*/%&|^]=)/.test(suffix)) return undefined;
  return head;
}

/** The type of `member` of `struct` on the first target kernel that has it. */
function memberType(ctx: FeatureContext, struct: string, member: string): string | undefined {
  for (const id of ctx.targets) {
    const a = kernelOf(ctx, id)?.types?.()?.member(`struct ${struct}`, member);
    if (a?.status === 'present') return a.member.type;
  }
  return undefined;
}

function flavorDecl(f: Flavor): string {
  return `struct ${f.name} {\n\t${cDecl(f.type, f.member)};\n} __attribute__((preserve_access_index));\n`;
}

function rewrite(doc: CDocumentLike, model: CoreModel, d: Diagnostic, ctx: FeatureContext): CodeAction | undefined {
  const data = d.data as MemberDiagnosticData | undefined;
  if (data?.kind !== 'member' || !data.renamedTo) return undefined;
  const access = model.accesses.find((a) => a.start === data.start && a.end === data.end);
  if (!access || data.step !== access.steps.length - 1) return undefined;
  const base = baseExpression(doc.text, access);
  if (!base) return undefined;
  const v = accessOnTargets(access, ctx);
  const writtenType = v.kernels.find((k) => k.member)?.member?.type ?? memberType(ctx, data.struct, data.member);
  const renamedType = memberType(ctx, data.struct, data.renamedTo);
  if (!writtenType || !renamedType) return undefined;
  // The name the program reads is on the newer kernels unless the versions say it was the old one.
  const writtenIsNew = data.appeared !== false;
  const written: Flavor = { name: `${data.struct}___${writtenIsNew ? 'new' : 'old'}`, member: data.member, type: writtenType };
  const other: Flavor = { name: `${data.struct}___${writtenIsNew ? 'old' : 'new'}`, member: data.renamedTo, type: renamedType };
  const cast = (f: Flavor) => `(struct ${f.name} *)(${base})`;
  const expr = `(bpf_core_field_exists(((struct ${written.name} *)(${base}))->${written.member}) ? BPF_CORE_READ(${cast(written)}, ${written.member}) : BPF_CORE_READ(${cast(other)}, ${other.member}))`;
  const edits: TextEdit[] = [];
  const missingFlavors = [written, other].filter((f) => !model.localTypes.get(`struct ${f.name}`)?.members.includes(f.member));
  const clash = missingFlavors.find((f) => model.localTypes.has(`struct ${f.name}`));
  if (clash) return undefined; // a flavor of that name exists with other members: leave it to the author
  if (missingFlavors.length) {
    const comment = `/* ${data.struct}::${data.member} and ${data.renamedTo} differ between the target kernels (bpf-atlas) */\n`;
    edits.push({ range: { start: model.insertAt, end: model.insertAt }, newText: `\n${comment}${missingFlavors.map(flavorDecl).join('')}` });
  }
  edits.push({ range: { start: doc.lines!.positionAt(access.start), end: doc.lines!.positionAt(access.end) }, newText: expr });
  return {
    title: `Read ${data.member} where the kernel has it and ${data.renamedTo} elsewhere (libbpf ___new/___old flavors + bpf_core_field_exists)`,
    kind: CodeActionKind.QuickFix,
    diagnostics: [d],
    isPreferred: true,
    edit: { changes: { [doc.uri]: edits } },
  };
}

/** Quick fixes for the member-missing diagnostics among `diagnostics`. */
export function memberCodeActions(doc: CDocumentLike, diagnostics: readonly Diagnostic[], ctx: FeatureContext): CodeAction[] {
  const model = doc.core;
  if (!model || !doc.lines) return [];
  const out: CodeAction[] = [];
  for (const d of diagnostics) {
    if (d.code !== MEMBER_MISSING) continue;
    const fix = rewrite(doc, model, d, ctx);
    if (fix) out.push(fix);
    const line = d.range.start.line;
    const indent = /^[ \t]*/.exec(doc.text.split('\n')[line] ?? '')?.[0] ?? '';
    out.push({
      title: `Ignore ${MEMBER_MISSING} on this line (// bpf-atlas-ignore: ${MEMBER_MISSING})`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [d],
      edit: { changes: { [doc.uri]: [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: `${indent}// bpf-atlas-ignore: ${MEMBER_MISSING}\n` }] } },
    });
  }
  return out;
}
