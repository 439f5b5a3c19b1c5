// libbpf C quick fixes for the diagnostics of c/diagnostics.ts: rewrite a program to a hook that
// works on every target kernel. Each fix is a WorkspaceEdit over the section string and, when the
// attach type changes, the handler signature:
//   kprobe → equivalent tracepoint (tp_btf with BPF_PROG(TP_PROTO args) when every target has it,
//            else tracepoint with `struct trace_event_raw_<class> *ctx`);
//   kprobe → fentry (kretprobe → fexit) with BPF_PROG and the function's own parameters;
//   renamed → the real symbol (`kprobe/finish_task_switch.isra.0`) or a kprobe.multi glob;
//   kprobe on `__x64_sys_*` → ksyscall with BPF_KSYSCALL;
//   a misspelt target → the closest names that exist on every target.
// The body is never rewritten: where it uses an argument the new hook does not pass, a marker
// comment is appended to the line so the author sees what to change. Pure.

import type { CodeAction, Diagnostic, Range, TextEdit } from 'vscode-languageserver';
import { cDecl, type AttachTarget, type KernelQuery, type Param } from '../../atlas/model';
import { cTypeKey } from '../../model/cTypes';
import { sectionOf } from '../../model/targets';
import type { BpfProgram, Handler } from '../../syntax/cModel';
import type { StableAlternative } from '../../analysis/alternatives';
import { firstKernelWith } from '../../analysis/kernels';
import { attachReport, suggestedNames, type AttachReport } from '../../analysis/report';
import { programTarget } from '../../analysis/targets';
import type { FeatureContext } from '../shared/context';
import { assembleActions, codeLines, linesOf, RANK, renamedEverywhereItFails, staleNamesUsed, type Fix } from '../shared/quickFixes';
import { DIAGNOSTIC_SOURCE, macrosFor, versionAtLeast, type CDocumentLike } from './diagnostics';
import { memberCodeActions } from './memberCodeActions';
import { MEMBER_MISSING } from './memberDiagnostics';

function before(a: Range['start'], b: Range['start']): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}

function overlaps(a: Range, b: Range): boolean {
  return !before(a.end, b.start) && !before(b.end, a.start);
}

function contains(outer: Range, pos: Range['start']): boolean {
  return !before(pos, outer.start) && !before(outer.end, pos);
}

/** The program a diagnostic belongs to: its section string, handler header or body. */
function programOf(doc: CDocumentLike, d: Diagnostic): BpfProgram | undefined {
  const programs = doc.c?.programs ?? [];
  return programs.find((p) => contains(p.sectionRange, d.range.start))
    ?? programs.find((p) => p.handler && contains(p.handler.headerRange, d.range.start))
    ?? programs.find((p) => p.bodyRange && contains(p.bodyRange, d.range.start));
}

/** Every target kernel is at least the section prefix's minimum version (unknown versions pass). */
function prefixSupportedEverywhere(ctx: FeatureContext, prefix: string): boolean {
  let since: string | undefined;
  try {
    since = ctx.knowledge.sectionPrefix(`${prefix}/x`)?.since;
  } catch {
    return false;
  }
  if (!since) return true;
  const metas = ctx.atlas.list();
  return ctx.targets.every((id) => {
    const version = metas.find((m) => m.id === id)?.version;
    return !version || versionAtLeast(version, since);
  });
}

function declList(params: readonly Param[]): string {
  return params.map((p, i) => cDecl(p.type, p.name || `arg${i}`)).join(', ');
}

// ---- body markers ----

/** Appends `/* bpf-atlas: ... *\/` to every body line that uses one of `names` (or a PT_REGS
 *  accessor when `ptRegs`), explaining what the new hook passes instead. */
function bodyMarkers(doc: CDocumentLike, program: BpfProgram, names: readonly string[], ptRegs: boolean,
  explain: (used: string[]) => string): TextEdit[] {
  if (!program.bodyRange || (!names.length && !ptRegs)) return [];
  const edits: TextEdit[] = [];
  for (const { line, code, raw } of codeLines(doc.text, program.bodyRange)) {
    const used = staleNamesUsed(code, names, ptRegs);
    if (!used.length) continue;
    if (raw.trimEnd().endsWith('\\')) continue;
    const end = raw.length;
    edits.push({ range: { start: { line, character: end }, end: { line, character: end } }, newText: ` /* bpf-atlas: ${explain(used)} */` });
  }
  return edits;
}

// ---- handler rewrites ----

/** Replace the macro and its arguments after the program name: `BPF_KPROBE(n, a, b)` → `BPF_PROG(n, x, y)`. */
function rewriteMacroArgs(handler: Handler, macro: string, args: string): TextEdit[] {
  const edits: TextEdit[] = [];
  if (handler.macroRange) edits.push({ range: handler.macroRange, newText: macro });
  const params = handler.params;
  if (params.length && !args) {
    edits.push({ range: { start: handler.nameRange.end, end: params[params.length - 1].range.end }, newText: '' });
  } else if (params.length) {
    edits.push({ range: { start: params[0].range.start, end: params[params.length - 1].range.end }, newText: args });
  } else if (args) {
    edits.push({ range: { start: handler.nameRange.end, end: handler.nameRange.end }, newText: `, ${args}` });
  }
  return edits;
}

/** Turn any handler into `BPF_PROG(name, args)` (or another macro). */
function toMacroHandler(handler: Handler, macro: string, args: string): TextEdit[] {
  if (handler.macro) return rewriteMacroArgs(handler, macro, args);
  return [{ range: { start: handler.nameRange.start, end: handler.paramListRange.end }, newText: `${macro}(${handler.name}${args ? `, ${args}` : ''})` }];
}

/** Turn any handler into a plain function taking one ctx parameter. */
function toPlainHandler(handler: Handler, ctxDecl: string): TextEdit[] {
  if (handler.macro && handler.macroRange) {
    return [{ range: { start: handler.macroRange.start, end: handler.paramListRange.end }, newText: `${handler.name}(${ctxDecl})` }];
  }
  return [{ range: handler.paramListRange, newText: `(${ctxDecl})` }];
}

/** Argument names the old handler declared (macro arguments, or nothing for a plain ctx). */
function oldArgNames(handler: Handler | undefined): string[] {
  if (!handler?.macro) return [];
  return handler.params.map((p) => p.name).filter((n) => !!n);
}

function usesPtRegs(handler: Handler | undefined): boolean {
  return !handler?.macro || handler.macro === 'BPF_KPROBE' || handler.macro === 'BPF_KRETPROBE';
}

// ---- the fixes ----

function sectionEdit(program: BpfProgram, section: string): TextEdit {
  return { range: program.sectionRange, newText: section };
}

function tracepointFix(doc: CDocumentLike, program: BpfProgram, alt: StableAlternative, ctx: FeatureContext, rank: number): Fix | undefined {
  const handler = program.handler;
  const section = sectionOf(alt.target);
  const edits: TextEdit[] = [sectionEdit(program, section)];
  const oldNames = oldArgNames(handler);
  const where = alt.perKernel.length === ctx.targets.length ? 'every target' : ctx.targets.join(', ');
  if (alt.target.kind === 'tp_btf' || alt.target.kind === 'raw_tp') {
    const args = alt.perKernel.find((a) => a.args)?.args ?? firstKernelWith(ctx, (k) => k.tracepoint(alt.target.name)?.args);
    if (!args) return undefined;
    if (handler) {
      edits.push(...toMacroHandler(handler, 'BPF_PROG', declList(args)));
      const oldDecl = new Map(handler.params.map((p) => [p.name, p.type.trim() ? cTypeKey(p.type) : '']));
      const stale = oldNames.filter((n) => !args.some((a) => a.name === n && (oldDecl.get(n) ?? '') !== '' && cTypeKey(a.type) === oldDecl.get(n)));
      const passes = declList(args);
      edits.push(...bodyMarkers(doc, program, stale, usesPtRegs(handler), (used) =>
        `${used.join(', ')} came from ${program.section}; ${section} passes (${passes})`));
    }
  } else if (alt.target.kind === 'tracepoint') {
    const syscall = alt.target.system === 'syscalls' || /^sys_(enter|exit)_/.test(alt.target.name);
    const template = alt.perKernel.find((a) => a.template)?.template;
    const struct = syscall ? (alt.target.name.startsWith('sys_exit') ? 'syscall_trace_exit' : 'syscall_trace_enter')
      : template ? `trace_event_raw_${template}` : undefined;
    if (!struct) return undefined;
    if (handler) {
      const ctxName = handler.macro ? 'ctx' : handler.ctx?.name || 'ctx';
      edits.push(...toPlainHandler(handler, `struct ${struct} *${ctxName}`));
      const fields = alt.perKernel.find((a) => a.fields)?.fields ?? [];
      const fieldList = syscall ? `${ctxName}->args[0..5]` : fields.slice(0, 8).map((f) => `${ctxName}->${f.name}`).join(', ');
      edits.push(...bodyMarkers(doc, program, oldNames, usesPtRegs(handler), (used) =>
        `${used.join(', ')} came from ${program.section}; read the ${alt.target.system}:${alt.target.name} record instead${fieldList ? ` (${fieldList})` : ''}`));
    }
  } else {
    return undefined;
  }
  return { title: `Use ${section} instead (works on ${where})`, edits, rank, family: 'tracepoint' };
}

function fentryFix(doc: CDocumentLike, program: BpfProgram, alt: StableAlternative, ctx: FeatureContext, rank: number): Fix | undefined {
  const handler = program.handler;
  const section = sectionOf(alt.target);
  const proto = firstKernelWith(ctx, (k) => k.fn(alt.target.name)?.proto);
  if (!proto) return undefined;
  const edits: TextEdit[] = [sectionEdit(program, section)];
  if (handler) {
    const params = [...proto.params];
    if (alt.target.kind === 'fexit' && proto.ret !== 'void') {
      const retName = handler.macro === 'BPF_KRETPROBE' && handler.params[0]?.name ? handler.params[0].name : 'ret';
      params.push({ name: retName, type: proto.ret });
    }
    edits.push(...toMacroHandler(handler, 'BPF_PROG', declList(params)));
    const stale = oldArgNames(handler).filter((n) => !params.some((p) => p.name === n));
    edits.push(...bodyMarkers(doc, program, stale, usesPtRegs(handler), (used) =>
      `${used.join(', ')} came from ${program.section}; ${section} passes (${declList(params)})`));
  }
  return { title: `Use ${section} instead (BTF trampoline on every target, lower overhead)`, edits, rank, family: 'fentry' };
}

function ksyscallFix(doc: CDocumentLike, program: BpfProgram, alt: StableAlternative, ctx: FeatureContext, rank: number): Fix | undefined {
  const handler = program.handler;
  const section = sectionOf(alt.target);
  const edits: TextEdit[] = [sectionEdit(program, section)];
  if (handler && alt.target.kind === 'ksyscall') {
    const args = alt.perKernel.find((a) => a.args?.length)?.args
      ?? firstKernelWith(ctx, (k) => { const sc = k.syscall(alt.target.name); return sc?.args.length ? sc.args : undefined; });
    const name = alt.target.name;
    if (args) {
      edits.push(...toMacroHandler(handler, 'BPF_KSYSCALL', declList(args)));
    } else {
      // The atlas does not record this syscall's arguments: say where to find them.
      const note = ` /* bpf-atlas: add the arguments of ${name}(2) */`;
      if (handler.macro && handler.macroRange) {
        edits.push({ range: handler.macroRange, newText: 'BPF_KSYSCALL' });
        const last = handler.params[handler.params.length - 1];
        edits.push({ range: { start: handler.nameRange.end, end: last ? last.range.end : handler.nameRange.end }, newText: note });
      } else {
        edits.push({ range: { start: handler.nameRange.start, end: handler.paramListRange.end }, newText: `BPF_KSYSCALL(${handler.name}${note})` });
      }
    }
    const stale = oldArgNames(handler).filter((n) => !args?.some((a) => a.name === n));
    edits.push(...bodyMarkers(doc, program, stale, true, (used) =>
      `${used.join(', ')} came from ${program.section}; BPF_KSYSCALL passes the arguments of ${name}(2)${args ? ` (${declList(args)})` : ''} directly`));
  }
  return { title: `Use ${section} with BPF_KSYSCALL (portable syscall entry)`, edits, rank, family: 'ksyscall' };
}

function fixesFor(doc: CDocumentLike, program: BpfProgram, target: AttachTarget, report: AttachReport, ctx: FeatureContext): Fix[] {
  const fixes: Fix[] = [];
  const nameRange = program.target?.nameRange;
  const renamedOnly = renamedEverywhereItFails(target, report);
  const allAbsent = report.kernels.length > 0 && report.kernels.every((v) => !v.assessment.found);

  // Renamed: the exact symbol when every target has it, else a glob for kprobe.multi.
  if (report.rename && nameRange) {
    const rename = report.rename;
    if (rename.exact) {
      fixes.push({
        title: `Attach to ${rename.exact} (the symbol on ${ctx.targets.join(', ')})`,
        edits: [{ range: nameRange, newText: rename.exact }],
        rank: renamedOnly ? RANK.renameBest : RANK.rename,
        family: 'rename',
      });
    }
    const multi = target.kind === 'kretprobe' ? 'kretprobe.multi' : 'kprobe.multi';
    const everyTargetMatches = rename.patternMatches.every((m) => m.symbols.length > 0);
    if (!program.target?.offset && !program.target?.module && everyTargetMatches && prefixSupportedEverywhere(ctx, multi)) {
      const sample = rename.patternMatches.map((m) => `${m.kernel}: ${m.symbols.slice(0, 3).join(', ')}${m.symbols.length > 3 ? ', …' : ''}`).join('; ');
      fixes.push({
        title: `Use ${multi}/${rename.pattern} (matches ${sample})`,
        edits: [sectionEdit(program, `${multi}/${rename.pattern}`)],
        rank: renamedOnly && !rename.exact ? RANK.renameBest : RANK.rename + 1,
        family: 'rename',
      });
    }
  }

  // A misspelt name: the closest names present on every target.
  if (allAbsent && nameRange) {
    suggestedNames(report, ctx).slice(0, 3).forEach((name, i) => {
      fixes.push({ title: `Change to ${name} (exists on ${ctx.targets.join(', ')})`, edits: [{ range: nameRange, newText: name }], rank: RANK.typo + i, family: 'typo' });
    });
  }

  let altRank: number = RANK.alternative;
  // `kprobe/fn+0x10` probes one instruction: no other hook attaches there.
  const alternatives = program.target?.offset ? [] : report.alternatives;
  for (const alt of alternatives) {
    let fix: Fix | undefined;
    if (alt.target.kind === 'ksyscall' || alt.target.kind === 'kretsyscall') fix = ksyscallFix(doc, program, alt, ctx, alt.reason === 'ksyscall' ? RANK.ksyscall : altRank);
    else if (alt.target.kind === 'fentry' || alt.target.kind === 'fexit') fix = fentryFix(doc, program, alt, ctx, RANK.fentry);
    else if (alt.target.kind === 'tp_btf' || alt.target.kind === 'tracepoint' || alt.target.kind === 'raw_tp') {
      fix = tracepointFix(doc, program, alt, ctx, alt.reason === 'related' ? altRank + 20 : altRank);
    }
    if (fix) {
      fixes.push(fix);
      altRank++;
    }
  }
  return fixes;
}

/** A tracepoint handler whose ctx struct belongs to another event class: the event's own record. */
function ctxTypeFix(doc: CDocumentLike, program: BpfProgram, report: AttachReport): Fix | undefined {
  const param = program.handler?.ctx;
  const typeRange = param?.typeRange ?? param?.range;
  if (!param || !typeRange || report.target.kind !== 'tracepoint') return undefined;
  const syscall = report.target.system === 'syscalls' || /^sys_(enter|exit)_/.test(report.target.name);
  const templates = [...new Set(report.kernels.map((v) => v.assessment.template).filter((t): t is string => !!t))];
  const expected = syscall ? (report.target.name.startsWith('sys_exit') ? 'syscall_trace_exit' : 'syscall_trace_enter')
    : templates.length === 1 ? `trace_event_raw_${templates[0]}` : undefined;
  if (!expected) return undefined;
  if (typeRange.start.line !== typeRange.end.line) return undefined;
  const lineText = linesOf(doc.text, typeRange.start.line, typeRange.start.line)[0] ?? '';
  const typeText = lineText.slice(typeRange.start.character, typeRange.end.character);
  const m = /\bstruct\s+(\w+)/.exec(typeText);
  if (!m || m[1] === expected) return undefined;
  const at = typeRange.start.character + m.index + m[0].length - m[1].length;
  return {
    title: `Use struct ${expected} (the record of ${report.target.system}:${report.target.name})`,
    edits: [{ range: { start: { line: typeRange.start.line, character: at }, end: { line: typeRange.start.line, character: at + m[1].length } }, newText: expected }],
    rank: 0,
    family: 'ctx-type',
  };
}

/** Quick fixes for the bpf-atlas diagnostics of `range` in a C document. */
export function codeActionsC(doc: CDocumentLike, range: Range, diagnostics: readonly Diagnostic[], ctx: FeatureContext): CodeAction[] {
  const ours = diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE && overlaps(d.range, range) && d.code !== MEMBER_MISSING);
  const members = memberCodeActions(doc, diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE && overlaps(d.range, range) && d.code === MEMBER_MISSING), ctx);
  const byProgram = new Map<BpfProgram, Diagnostic[]>();
  for (const d of ours) {
    const program = programOf(doc, d);
    if (!program) continue;
    const list = byProgram.get(program) ?? [];
    list.push(d);
    byProgram.set(program, list);
  }
  const actions: CodeAction[] = [];
  for (const [program, diags] of byProgram) {
    if (ctx.isCancelled?.()) break;
    const target = programTarget(program);
    if (!target) continue;
    const report = attachReport(target, ctx);
    const fixes: Fix[] = [];
    const ctxFix = diags.some((d) => d.code === 'wrong-ctx-type') ? ctxTypeFix(doc, program, report) : undefined;
    if (ctxFix) fixes.push(ctxFix);
    const macro = program.handler?.macroRange && macrosFor(target.kind)?.[0];
    if (macro && diags.some((d) => d.code === 'handler-macro') && target.kind !== 'tracepoint') {
      fixes.push({ title: `Use ${macro} (the ${target.kind} handler macro)`, edits: [{ range: program.handler!.macroRange!, newText: macro }], rank: 0, family: 'macro' });
    }
    if (diags.some((d) => d.code !== 'wrong-ctx-type' && d.code !== 'handler-macro')) fixes.push(...fixesFor(doc, program, target, report, ctx));
    // Suppression comes last and is never preferred.
    const line = program.secRange.start.line;
    const indent = /^[ \t]*/.exec(linesOf(doc.text, line, line)[0] ?? '')?.[0] ?? '';
    actions.push(...assembleActions(doc.uri, diags, fixes, (d) => (program.suppression || d.code === undefined ? undefined : {
      title: `Ignore ${String(d.code)} for this program (// bpf-atlas-ignore: ${String(d.code)})`,
      edits: [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: `${indent}// bpf-atlas-ignore: ${String(d.code)}\n` }],
      rank: RANK.ignore,
      family: 'ignore',
    })));
  }
  return [...members, ...actions];
}
