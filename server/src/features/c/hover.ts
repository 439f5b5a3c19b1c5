// Hover for libbpf C: on a SEC() string, the hook on every target kernel (status and hazards,
// prototype or TP_PROTO arguments, record fields with offsets, print format, evidence, stable
// alternative); on handler arguments, their type per kernel; on ctx fields, type and offset per
// kernel; on BPF helpers, their documentation, first kernel, whether each target has them (and
// lets this program call them) and pitfalls. A SEC() hover ends with whether the program loads.
//
// Section hovers render the cross-kernel attach report (analysis/report.ts) with shared/render.ts.

import type { Hover, Position } from 'vscode-languageserver';
import { MarkupKind } from 'vscode-languageserver';
import { cDecl, renderProto, type Assessment, type AttachTarget, type KernelQuery, type Param, type TraceField } from '../../atlas/model';
import { attachReport } from '../../analysis/report';
import { programTarget } from '../../analysis/targets';
import { hookParams } from '../../analysis/hooks';
import { firstKernelWith, kernelOf, targetKernels } from '../../analysis/kernels';
import { attachVerdicts } from '../../analysis/verdicts';
import { fileLoadCheck, loadKnowledgeOf, programFacts, targetFeatures } from '../../analysis/loadCheck';
import { verdictSummary, type ProgramVerdict } from '../../analysis/loadVerdict';
import { sameCType } from '../../model/cTypes';
import type { AnalyzedDocument } from '../../syntax/documents';
import { rangeContains, type BpfProgram, type CtxAccess, type HandlerMacro, type HandlerParam, type Range } from '../../syntax/cModel';
import type { FeatureContext } from '../shared/context';
import { escapeMarkdownText, renderArgs, renderAttachPoint, renderFields } from '../shared/render';
import { memberHover } from './memberHover';

function markdown(value: string, range?: Range): Hover {
  return { contents: { kind: MarkupKind.Markdown, value }, range };
}

function sectionHover(doc: AnalyzedDocument, p: BpfProgram, ctx: FeatureContext): Hover {
  const hover = attachPointHover(p, ctx);
  const load = loadSummary(doc, p, ctx);
  if (!load) return hover;
  const value = (hover.contents as { value: string }).value;
  return markdown(`${value}\n\n${load}`, p.sectionRange);
}

/** "Will it load there": the program's verdict per target kernel with the reasons that decide. */
function loadSummary(doc: AnalyzedDocument, p: BpfProgram, ctx: FeatureContext): string | undefined {
  if (!ctx.targets.length) return undefined;
  let v: ProgramVerdict | undefined;
  try {
    v = fileLoadCheck(doc, ctx).byProgram.get(p);
  } catch {
    return undefined;
  }
  if (!v) return undefined;
  const lines = [`**Will it load:** ${escapeMarkdownText(verdictSummary(v))}`];
  const shown = v.reasons.filter((r) => r.kind !== 'hook').slice(0, 8);
  for (const r of shown) lines.push(`- ${r.effect === 'fails' ? '✗' : '?'} ${escapeMarkdownText(r.message)}`);
  if (v.reasons.length > shown.length + v.reasons.filter((r) => r.kind === 'hook').length) lines.push(`- … ${v.reasons.length - shown.length} more`);
  return lines.join('\n');
}

function attachPointHover(p: BpfProgram, ctx: FeatureContext): Hover {
  const prefix = ctx.knowledge.sectionPrefix(p.section);
  const summary = prefix?.summary;
  const target = programTarget(p);
  if (!target) {
    const lines = [`**SEC("${p.section}")**${summary ? ` — ${escapeMarkdownText(summary)}` : ''}`];
    if (prefix?.targetFormat) lines.push('', `Target format: \`${prefix.targetFormat}\``);
    if (prefix?.takesTarget && !p.target && prefix.kind) {
      lines.push('', 'No target in the section: it is set at load time (`bpf_program__set_attach_target`), so the atlas has nothing to check here.');
    }
    if (!prefix) lines.push('', 'Not a libbpf section prefix known to bpf-atlas.');
    if (prefix?.since) lines.push('', `Needs Linux ${prefix.since} or newer.`);
    return markdown(lines.join('\n'), p.sectionRange);
  }
  return targetHover(target, p.sectionRange, ctx, summary);
}

/** The hover of one attach target over the target kernels (libbpf C sections, BCC attach points). */
export function targetHover(target: AttachTarget, range: Range, ctx: FeatureContext, summary?: string): Hover {
  const report = attachReport(target, ctx);
  const subject = target.kind === 'tracepoint' && target.system ? `${target.system}:${target.name}` : target.name;
  const evidence = [...ctx.knowledge.evidenceFor(target.name), ...(subject !== target.name ? ctx.knowledge.evidenceFor(subject) : [])];
  const alternatives = [...report.alternatives, ...report.partialAlternatives.map((alt) => ({
    target: alt.target,
    note: `only on ${alt.presentOn.join(', ')}`,
    since: alt.since,
    caveat: alt.caveat,
    evidence: alt.evidence,
  }))];
  const value = renderAttachPoint({ target, kernels: report.kernels, alternatives, evidence, summary, differences: report.differences });
  return markdown(value, range);
}

function paramHover(p: BpfProgram, param: HandlerParam, index: number, ctx: FeatureContext): Hover | null {
  const target = programTarget(p);
  const h = p.handler!;
  const lines = [`**${param.name || param.type}**: \`${param.type}\` (${h.macro ? `${h.macro} argument` : 'parameter'} ${index + 1})`];
  if (!target) return markdown(lines.join('\n'), param.range);
  if (!h.macro && (p.kind === 'tracepoint' || p.kind === 'raw_tp')) {
    if (p.kind === 'tracepoint') lines.push('', `The tracepoint record: \`${expectedCtxType(p, ctx) ?? 'struct trace_event_raw_<class> *'}\`.`);
    return markdown(lines.join('\n'), param.range);
  }
  const table = ['', '| kernel | hook argument |', '|---|---|'];
  for (const v of attachVerdicts(target, ctx).kernels) {
    const k = kernelOf(ctx, v.kernel);
    if (!k) continue;
    const a = v.assessment;
    const params = hookParams(k, target);
    let cell: string;
    if (!a.found) cell = 'hook absent';
    else if (!params) cell = 'unknown (no prototype)';
    else {
      const byName = params.findIndex((x) => x.name === param.name);
      const at = byName >= 0 ? byName : index;
      const hp = params[at];
      const mismatch = hp && param.type && !sameCType(hp.type, param.type) ? ` ⚠ the handler declares \`${param.type}\`` : '';
      cell = hp ? `\`${cDeclSafe(hp)}\` (argument ${at + 1}${byName < 0 ? ', by position' : ''})${mismatch}` : `no argument ${index + 1}`;
    }
    table.push(`| ${k.meta.id} | ${cell} |`);
  }
  return markdown([...lines, ...table].join('\n'), param.range);
}

function cDeclSafe(p: Param): string {
  return renderArgs([p]);
}

/** `struct trace_event_raw_<template> *` (or the syscall record) that a tracepoint handler takes. */
export function expectedCtxType(p: BpfProgram, ctx: FeatureContext): string | undefined {
  const t = p.target;
  if (!t?.name) return undefined;
  if (t.system === 'syscalls') {
    if (t.name.startsWith('sys_enter_')) return 'struct syscall_trace_enter *';
    if (t.name.startsWith('sys_exit_')) return 'struct syscall_trace_exit *';
  }
  const { kernels } = targetKernels(ctx);
  for (const k of kernels) {
    const tp = k.tracepoint(t.name, t.system);
    if (tp) return `struct trace_event_raw_${tp.template ?? tp.name} *`;
  }
  return undefined;
}

/** Fields a tracepoint ctx offers on one kernel (the syscall records have their own layout). */
export function ctxFieldsOn(p: BpfProgram, kernel: KernelQuery): { fields: TraceField[]; struct: string } | undefined {
  const t = p.target;
  if (!t?.name) return undefined;
  const ctxType = p.handler?.ctx?.type ?? '';
  if (t.system === 'syscalls' && /syscall_trace_(enter|exit)/.test(ctxType)) {
    // Layouts of kernel/trace/trace.h, identical on every kernel the atlas covers.
    const enter = t.name.startsWith('sys_enter_');
    const fields: TraceField[] = enter
      ? [
        { name: 'nr', type: 'int', offset: 8, size: 4 },
        { name: 'args', type: `unsigned long %[6]`, offset: 16, size: 48 },
      ]
      : [{ name: 'nr', type: 'long', offset: 8, size: 8 }, { name: 'ret', type: 'long', offset: 16, size: 8 }];
    return { fields, struct: enter ? 'struct syscall_trace_enter' : 'struct syscall_trace_exit' };
  }
  const tp = kernel.tracepoint(t.name, t.system);
  if (!tp?.fields) return undefined;
  return { fields: tp.fields, struct: `struct trace_event_raw_${tp.template ?? tp.name}` };
}

function ctxFieldHover(p: BpfProgram, access: CtxAccess, ctx: FeatureContext): Hover {
  return recordFieldHover(access, ctx, (k) => ctxFieldsOn(p, k), syscallArgsNote(p, access, ctx));
}

/** On a syscall record's `args`: what `args[i]` is, from the first target with the syscall. */
function syscallArgsNote(p: BpfProgram, access: CtxAccess, ctx: FeatureContext): string | undefined {
  if (access.field !== 'args' || p.target?.system !== 'syscalls') return undefined;
  const syscall = (p.target.name ?? '').replace(/^sys_(enter|exit)_/, '');
  for (const k of targetKernels(ctx).kernels) {
    const args = ctxFieldsOn(p, k) && hookParams(k, { kind: 'ksyscall', name: syscall });
    if (args?.length) return `\`args[i]\` of ${syscall}() on ${k.meta.id}: ${args.map((a, i) => `\`[${i}]\` ${renderArgs([a])}`).join(', ')}`;
  }
  return undefined;
}

/** Hover on a read of a tracepoint record's field (`ctx->next_pid`, BCC's `args->filename`): the
 *  field's type, offset and size on each target kernel, from the tracepoint's record format. */
export function recordFieldHover(access: CtxAccess, ctx: FeatureContext,
  recordOn: (k: KernelQuery) => { fields: TraceField[]; struct: string } | undefined, note?: string): Hover {
  const lines = [`**${access.base}->${access.field}**`, '', '| kernel | field |', '|---|---|'];
  const { kernels } = targetKernels(ctx);
  for (const k of kernels) {
    const rec = recordOn(k);
    let cell: string;
    if (!rec) cell = 'tracepoint absent or record unknown';
    else {
      const f = rec.fields.find((x) => x.name === access.field || `__data_loc_${x.name}` === access.field);
      cell = f ? `\`${renderFields([f]).split('\n')[1].replace(/\s+\/\*.*$/, '')}\`${f.offset !== undefined ? ` offset ${f.offset}` : ''}${f.size !== undefined ? `, size ${f.size}` : ''}` : `**no field \`${access.field}\`** in \`${rec.struct}\``;
    }
    lines.push(`| ${k.meta.id} | ${cell.replace(/\|/g, '\\|')} |`);
  }
  if (note) lines.push('', note);
  return markdown(lines.join('\n'), access.fieldRange);
}

function helperHover(name: string, range: Range, ctx: FeatureContext, program?: BpfProgram): Hover | null {
  const doc = ctx.knowledge.helper(name);
  if (!doc) return kfuncHover(name, range, ctx, program);
  const lines = ['```c', doc.proto, '```', '', doc.description];
  if (doc.returns) lines.push('', `**Returns** ${doc.returns}`);
  if (doc.since) lines.push('', `First in Linux ${doc.since}${doc.id !== undefined ? ` (helper #${doc.id})` : ''}; ${escapeMarkdownText(doc.sinceSource ?? '')}.`);
  const targets = helperOnTargets(name, ctx, program);
  if (targets) lines.push('', targets);
  if (doc.pitfalls?.length) {
    lines.push('', '**Pitfalls**', '');
    for (const p of doc.pitfalls) lines.push(`- ${p.text} (${p.source})`);
  }
  return markdown(lines.join('\n'), range);
}

/** A kfunc call: its prototype (from a target kernel's BTF or DepSurf's), the kernel sets that
 *  declare it, and per target whether it exists and this program may call it. */
function kfuncHover(name: string, range: Range, ctx: FeatureContext, program?: BpfProgram): Hover | null {
  const lk = loadKnowledgeOf(ctx);
  const sets = ctx.knowledge.kfuncData().kernels.flatMap((k) => k.sets.filter((s) => s.members.some((m) => m.name === name)).map((s) => ({ k, s })));
  if (!sets.length) return null;
  const lines: string[] = [];
  const proto = firstKernelWith(ctx, (k) => k.fn(name)?.proto);
  if (proto) lines.push('```c', renderProto(name, proto), '```', '');
  const newest = sets[sets.length - 1];
  const flags = newest.s.members.find((m) => m.name === name)?.flags ?? [];
  lines.push(`**kfunc** in \`${newest.s.name}\` (${newest.s.file}, ${newest.k.source})${flags.length ? `, flags ${flags.join(' | ')}` : ''}; registered for ${registeredFor(newest.s.registrations)}.`);
  const facts = program && programFacts(lk, program);
  const rows = ['| target | |', '|---|---|'];
  for (const k of targetFeatures(ctx)) {
    const has = lk.kfunc(k, name);
    let cell = has.value === 'present' ? 'has it' : has.value === 'absent' ? '✗ does not have it' : 'not known';
    if (facts && has.value !== 'absent') {
      const may = lk.mayCallKfunc(k, facts, name);
      if (may.value === 'no') cell = `✗ ${escapeMarkdownText(may.evidence)}`;
    }
    rows.push(`| ${k.id}${k.version ? ` (${k.version})` : ''} | ${cell} |`);
  }
  if (rows.length > 2) lines.push('', ...rows);
  return markdown(lines.join('\n'), range);
}

/** The program types a kfunc set is registered for; BPF_PROG_TYPE_UNSPEC is the common hook
 *  (register_btf_kfunc_id_set: BTF_KFUNC_HOOK_COMMON), open to every program type. */
function registeredFor(registrations: readonly { progType: string }[]): string {
  const types = [...new Set(registrations.map((r) => r.progType))];
  if (types.includes('BPF_PROG_TYPE_UNSPEC')) return 'every program type (the common hook)';
  return types.map((t) => t.replace(/^BPF_PROG_TYPE_/, '')).join(', ') || 'no program type';
}

/** Per target kernel: whether it has the helper (its own enum), and whether the program this call
 *  sits in may call it there. */
function helperOnTargets(name: string, ctx: FeatureContext, program?: BpfProgram): string | undefined {
  if (!ctx.targets.length) return undefined;
  const lk = loadKnowledgeOf(ctx);
  const facts = program && programFacts(lk, program);
  const rows = ['| target | |', '|---|---|'];
  for (const k of targetFeatures(ctx)) {
    const has = lk.helper(k, name);
    let cell = has.value === 'present' ? 'has it' : has.value === 'absent' ? '✗ does not have it' : 'not known';
    if (facts && has.value !== 'absent') {
      const may = lk.mayCallHelper(k, facts, name);
      if (may.value === 'no') cell = `✗ ${escapeMarkdownText(may.evidence)}`;
      else if (may.value === 'unknown' && has.value === 'present') cell = 'has it; whether this program type may call it is not known';
    }
    rows.push(`| ${k.id}${k.version ? ` (${k.version})` : ''} | ${cell} |`);
  }
  return rows.length > 2 ? rows.join('\n') : undefined;
}

/** What each handler macro does (libbpf src/bpf_tracing.h and usdt.bpf.h; FIELD-NOTES §4.2). */
const MACRO_DOCS: Record<HandlerMacro, { doc: string; sameAs: HandlerMacro }> = {
  BPF_PROG: { doc: 'Unpacks the `u64 *ctx` array of a BTF-typed program (tp_btf, fentry/fexit, raw_tp, lsm, iter) into typed, named arguments; `ctx` stays available.', sameAs: 'BPF_PROG' },
  BPF_PROG2: { doc: 'Like BPF_PROG, and also handles arguments that are not u64-sized, such as structs passed by value.', sameAs: 'BPF_PROG' },
  BPF_KPROBE: { doc: 'Reads the arguments from `struct pt_regs` (PT_REGS_PARMn) portably across architectures; `ctx` is the pt_regs.', sameAs: 'BPF_KPROBE' },
  BPF_UPROBE: { doc: 'Alias of BPF_KPROBE for uprobes.', sameAs: 'BPF_KPROBE' },
  BPF_KRETPROBE: { doc: 'Gives the return value only: the input arguments are clobbered by the time a return probe runs.', sameAs: 'BPF_KRETPROBE' },
  BPF_URETPROBE: { doc: 'Alias of BPF_KRETPROBE for uretprobes.', sameAs: 'BPF_KRETPROBE' },
  BPF_KSYSCALL: { doc: 'For ksyscall: reads the syscall arguments from the inner pt_regs when the architecture wraps syscalls (LINUX_HAS_SYSCALL_WRAPPER), with CO-RE.', sameAs: 'BPF_KSYSCALL' },
  BPF_KPROBE_SYSCALL: { doc: 'Older name of BPF_KSYSCALL.', sameAs: 'BPF_KSYSCALL' },
  BPF_USDT: { doc: 'Fetches USDT probe arguments by their position as described by the probe note (usdt.bpf.h).', sameAs: 'BPF_USDT' },
};

function macroHover(p: BpfProgram, ctx: FeatureContext): Hover | null {
  const h = p.handler!;
  const macro = h.macro!;
  const lines = [`**${macro}** — ${MACRO_DOCS[macro].doc}`];
  const expected = ctx.knowledge.sectionPrefix(p.section)?.macro as HandlerMacro | undefined;
  if (expected && MACRO_DOCS[expected] && MACRO_DOCS[expected].sameAs !== MACRO_DOCS[macro].sameAs) {
    lines.push('', `⚠ \`SEC("${p.section}")\` programs use \`${expected}\`: ${MACRO_DOCS[expected].doc}`);
  }
  return markdown(lines.join('\n'), h.macroRange);
}

export function hoverC(doc: AnalyzedDocument, pos: Position, ctx: FeatureContext): Hover | null {
  const model = doc.c;
  if (!model) return null;
  for (const p of model.programs) {
    if (rangeContains(p.sectionRange, pos)) return sectionHover(doc, p, ctx);
  }
  for (const p of model.programs) {
    const h = p.handler;
    if (!h) continue;
    if (h.macro && h.macroRange && rangeContains(h.macroRange, pos)) return macroHover(p, ctx);
    const idx = h.params.findIndex((x) => rangeContains(x.range, pos));
    if (idx >= 0) return paramHover(p, h.params[idx], idx, ctx);
    const access = p.ctxAccesses.find((a) => rangeContains(a.fieldRange, pos));
    if (access) return ctxFieldHover(p, access, ctx);
  }
  const call = model.helperCalls.find((c) => rangeContains(c.range, pos));
  if (call) return helperHover(call.name, call.range, ctx, model.programs.find((p) => p.bodyRange && rangeContains(p.bodyRange, pos)));
  return memberHover(doc, pos, ctx);
}

