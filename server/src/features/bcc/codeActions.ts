// BCC quick fixes for the diagnostics of bcc/diagnostics.ts: the same advice as libbpf C (the one
// attach report: stable alternatives, rename advice, closest names; the shared fix records and
// ranks of shared/quickFixes.ts), written as bcc code:
//   kprobe → the stable tracepoint: `attach_kprobe(event="X", fn_name="f")` becomes
//            `attach_tracepoint(tp="sys:ev", fn_name="f")` with `f(struct tracepoint__sys__ev *args)`;
//            a `kprobe__X` (or KFUNC_PROBE) handler becomes `TRACEPOINT_PROBE(sys, ev)`; a raw
//            tracepoint where the event has no usable trace event (RAW_TRACEPOINT_PROBE,
//            attach_raw_tracepoint);
//   renamed / compiler clones → `event_re=r'^X$|^X\.isra\.\d+$'` built from the names the target
//            kernels have (bcc attaches every symbol it fully matches), or the exact symbol when
//            every target has it; a `kprobe__X` function is renamed and attached explicitly with
//            `attach_kprobe(event_re=...)` after the BPF object is made, since bcc's autoload
//            attaches `kprobe__` names by their exact text;
//   a misspelt name → the closest names on every target;
//   suppression (`# bpf-atlas-ignore: code` above a call, `// bpf-atlas-ignore: code` in the C).
// The C body is never rewritten: where it uses an argument the new hook does not pass, a marker
// comment is appended to the line. Edits land in the Python file through the model's position
// maps, and only where the C text is written there as it is (never inside text a `.replace()`
// puts elsewhere, never across an escape sequence). Pure.

import type { CodeAction, Diagnostic, Range, TextEdit } from 'vscode-languageserver';
import { cDecl, type AttachTarget } from '../../atlas/model';
import type { StableAlternative } from '../../analysis/alternatives';
import { missingEverywhere, suggestedNames, type AttachReport } from '../../analysis/report';
import type { RenameAdvice } from '../../analysis/rename';
import { baseName, isClone } from '../../model/symbols';
import { ATTACH_SIGNATURES } from '../../syntax/bcc/interp';
import type { BccAttachPoint, BccCallArg, BccFunction, BccModel, CSpan, EmbeddedC } from '../../syntax/bcc/types';
import { comparePositions, LineMap, rangeContains } from '../../syntax/cModel';
import { DIAGNOSTIC_SOURCE } from '../c/diagnostics';
import type { FeatureContext } from '../shared/context';
import { escapeRegex } from '../shared/phrases';
import { assembleActions, codeLines, RANK, renamedEverywhereItFails, staleNamesUsed, type Fix } from '../shared/quickFixes';
import { atlasTargets, bccReport, isJudgedKind, reachedKernels } from './diagnostics';

export interface BccFixDocument {
  uri: string;
  text: string;
  lines: LineMap;
  bcc?: BccModel;
}

function overlaps(a: Range, b: Range): boolean {
  return comparePositions(a.end, b.start) >= 0 && comparePositions(b.end, a.start) >= 0;
}

/** Diagnostic codes reported inside a handler body (`args->field` reads), not at the target. */
const BODY_CODES = new Set(['field-missing', 'fields-changed']);

/** The attach point a diagnostic belongs to: where its target is written, or (record fields)
 *  the body of its handler. */
function attachPointOf(model: BccModel, d: Diagnostic): BccAttachPoint | undefined {
  const judged = model.attachPoints.filter((ap) => ap.target && isJudgedKind(ap.kind));
  return judged.find((ap) => rangeContains(ap.targetRange ?? ap.range, d.range.start))
    ?? (BODY_CODES.has(String(d.code)) ? judged.find((ap) => ap.handlerFunction?.bodyRange && rangeContains(ap.handlerFunction.bodyRange, d.range.start)) : undefined);
}

/** Quick fixes for the bpf-atlas diagnostics of `range` in a BCC tool (or a C file it loads). */
export function codeActionsBcc(doc: BccFixDocument, range: Range, diagnostics: readonly Diagnostic[], ctx: FeatureContext): CodeAction[] {
  const model = doc.bcc;
  if (!model) return [];
  const byPoint = new Map<BccAttachPoint, Diagnostic[]>();
  for (const d of diagnostics) {
    if (d.source !== DIAGNOSTIC_SOURCE || !overlaps(d.range, range)) continue;
    const ap = attachPointOf(model, d);
    if (ap) byPoint.set(ap, [...(byPoint.get(ap) ?? []), d]);
  }
  const actions: CodeAction[] = [];
  for (const [ap, diags] of byPoint) {
    if (ctx.isCancelled?.()) break;
    const writer = new BccWriter(doc, model, ap);
    const fixes = diags.some((d) => !BODY_CODES.has(String(d.code))) ? fixesFor(writer, ap, ctx) : [];
    actions.push(...assembleActions(doc.uri, diags, fixes, (d) => writer.ignore(String(d.code ?? ''))));
  }
  return actions;
}

function fixesFor(w: BccWriter, ap: BccAttachPoint, ctx: FeatureContext): Fix[] {
  const t = ap.target!;
  // bcc's syscall names are one kprobe per prefix: the rewrites below are about plain names.
  if (t.regex || t.syscall) return [];
  const groups = atlasTargets(ap, reachedKernels(ap, ctx), ctx);
  if (groups.length !== 1) return [];
  const target = groups[0].target;
  const sub: FeatureContext = { ...ctx, targets: groups[0].kernels };
  const report = bccReport(target, sub);
  const fixes: Fix[] = [];
  const renamedOnly = renamedEverywhereItFails(target, report);
  if (report.rename) {
    const exact = report.rename.exact ? w.exactSymbol(report.rename.exact, sub.targets) : undefined;
    if (exact) fixes.push({ ...exact, rank: renamedOnly ? RANK.renameBest : RANK.rename });
    const regex = w.eventRegex(target, report.rename);
    if (regex) fixes.push({ ...regex, rank: renamedOnly && !exact ? RANK.renameBest : RANK.rename + 1 });
  }
  if (missingEverywhere(report)) {
    suggestedNames(report, sub).slice(0, 3).forEach((name, i) => {
      const fix = w.rename(name, sub.targets);
      if (fix) fixes.push({ ...fix, rank: RANK.typo + i });
    });
  }
  // `event_off=N` probes one instruction: no other hook attaches there.
  if (!w.probesOffset()) {
    let altRank: number = RANK.alternative;
    for (const alt of report.alternatives) {
      const fix = w.tracepoint(alt, target, sub.targets);
      if (!fix) continue;
      fixes.push({ ...fix, rank: alt.reason === 'related' ? altRank + 20 : altRank });
      altRank++;
    }
  }
  return fixes;
}

type Draft = Omit<Fix, 'rank'>;

/** A Python `re` pattern that fully matches the plain name and the compiler clones of it that
 *  the target kernels have, numbers generalised (`^f$|^f\.isra\.\d+$`), with the symbols it
 *  matches on each kernel; undefined when some target has none of them. */
export function cloneRegex(base: string, rename: RenameAdvice): { regex: string; matches: { kernel: string; symbols: string[] }[] } | undefined {
  const shapes = new Set<string>();
  const matches: { kernel: string; symbols: string[] }[] = [];
  for (const m of rename.patternMatches) {
    const own = m.symbols.filter((s) => baseName(s) === base && (s === base || isClone(s)));
    if (!own.length) return undefined;
    matches.push({ kernel: m.kernel, symbols: own });
    for (const s of own) shapes.add(`^${escapeRegex(base)}${escapeRegex(s.slice(base.length)).replace(/\d+/g, '\\d+')}$`);
  }
  if (!shapes.size) return undefined;
  // The plain name first, then the clones in a stable order.
  const plain = `^${escapeRegex(base)}$`;
  const ordered = [...shapes].sort((a, b) => Number(b === plain) - Number(a === plain) || a.localeCompare(b));
  return { regex: ordered.join('|'), matches };
}

/** Writes the bcc text of each fix for one attach point: Python call edits, C edits mapped into
 *  the document through the embedded C text, body markers. */
class BccWriter {
  private readonly emb: EmbeddedC | undefined;
  private readonly fn: BccFunction | undefined;

  constructor(private readonly doc: BccFixDocument, private readonly model: BccModel, private readonly ap: BccAttachPoint) {
    this.fn = ap.handlerFunction;
    this.emb = ap.program !== undefined ? model.embedded.find((e) => e.program === ap.program) : undefined;
  }

  // ---- mapping C text to document edits ----

  /** The document range of a C span written in the document exactly as it reads (no escape
   *  sequence, no text put there by a `.replace()` from elsewhere), else undefined. */
  private verbatim(span: CSpan): Range | undefined {
    const emb = this.emb;
    if (!emb || span.end < span.start) return undefined;
    const start = emb.toDocument(span.start);
    const end = span.end > span.start ? emb.toDocumentEnd(span.end - 1) : start;
    if (this.doc.text.slice(start, end) !== emb.text.slice(span.start, span.end)) return undefined;
    return this.doc.lines.range(start, end);
  }

  private cEdit(span: CSpan, newText: string): TextEdit | undefined {
    const range = this.verbatim(span);
    return range && { range, newText };
  }

  /** A C function's edits, or nothing when one of them cannot be written. */
  private all(edits: (TextEdit | undefined)[]): TextEdit[] | undefined {
    return edits.every((e): e is TextEdit => !!e) ? edits : undefined;
  }

  /** Marker comments on the body lines of the handler that use one of `names`. A line gets its
   *  marker only where its end is written as C in the document (inside the string literal). */
  private markers(names: readonly string[], ptRegs: boolean, explain: (used: string[]) => string): TextEdit[] {
    const emb = this.emb;
    const body = this.fn?.cSpans.body;
    if (!emb || !body || (!names.length && !ptRegs)) return [];
    const cLines = new LineMap(emb.text);
    const edits: TextEdit[] = [];
    for (const { line, code, raw } of codeLines(emb.text, cLines.range(body.start, body.end))) {
      const used = staleNamesUsed(code, names, ptRegs);
      if (!used.length || raw.trimEnd().endsWith('\\')) continue;
      const lineStart = cLines.offsetAt({ line, character: 0 });
      const first = lineStart + (raw.length - raw.trimStart().length);
      const last = lineStart + raw.trimEnd().length - 1;
      if (last < first) continue;
      // The whole line is one run of the document's text on one line: the marker goes after its
      // last character, inside the literal.
      const start = emb.toDocument(first);
      const end = emb.toDocumentEnd(last);
      const a = this.doc.lines.positionAt(start);
      const b = this.doc.lines.positionAt(end);
      if (a.line !== b.line || end <= start) continue;
      edits.push({ range: { start: b, end: b }, newText: ` /* bpf-atlas: ${explain(used)} */` });
    }
    return edits;
  }

  /** The handler is used by this attach point alone: rewriting its signature breaks no other. */
  private handlerOwned(): boolean {
    const fn = this.fn;
    return !!fn && !this.model.attachPoints.some((o) => o !== this.ap && o.handlerFunction === fn
      && (o.range.start.line !== this.ap.range.start.line || o.range.start.character !== this.ap.range.start.character));
  }

  // ---- Python call edits ----

  /** Edits that turn the attach call into `method(...)` with the given arguments replaced
   *  (`null`: removed), every other argument passed by keyword. Undefined when an argument has
   *  no place in the new method. */
  private callEdits(method: string | undefined, replace: Record<string, string | null>): TextEdit[] | undefined {
    const ap = this.ap;
    if (ap.via !== 'call' || !ap.args) return undefined;
    const edits: TextEdit[] = [];
    if (method && method !== ap.method) {
      if (!ap.methodRange) return undefined;
      edits.push({ range: ap.methodRange, newText: method });
    }
    const signature = ATTACH_SIGNATURES[method ?? ap.method] ?? [];
    const entries = Object.entries(ap.args).sort((a, b) => comparePositions(a[1].range.start, b[1].range.start));
    for (const [name, arg] of entries) {
      if (name in replace) {
        const text = replace[name];
        edits.push({ range: text === null ? this.argWithComma(arg, entries.map((e) => e[1])) : arg.range, newText: text ?? '' });
      } else if (!signature.includes(name)) {
        return undefined;
      } else if (!arg.keyword) {
        edits.push({ range: { start: arg.range.start, end: arg.range.start }, newText: `${name}=` });
      }
    }
    return edits;
  }

  /** An argument with the comma that separates it from the next one (or the previous one). */
  private argWithComma(arg: BccCallArg, all: BccCallArg[]): Range {
    const i = all.indexOf(arg);
    if (i < all.length - 1) return { start: arg.range.start, end: all[i + 1].range.start };
    if (i > 0) return { start: all[i - 1].range.end, end: arg.range.end };
    return arg.range;
  }

  /** The event argument's string content, when it is one plain literal. */
  private eventLiteral(): Range | undefined {
    const arg = this.ap.args?.event ?? this.ap.args?.tp;
    return arg?.literal?.contentRange;
  }

  /** `event_off=` other than 0 (bcc's default): the kprobe is at an instruction in the function. */
  probesOffset(): boolean {
    const off = this.ap.args?.event_off;
    if (!off) return false;
    const lines = this.doc.lines;
    return this.doc.text.slice(lines.offsetAt(off.valueRange.start), lines.offsetAt(off.valueRange.end)).trim() !== '0';
  }

  // ---- the fixes ----

  exactSymbol(symbol: string, kernels: readonly string[]): Draft | undefined {
    const content = this.ap.via === 'call' ? this.eventLiteral() : undefined;
    if (!content) return undefined;
    return { title: `Attach to ${symbol} (the symbol on ${kernels.join(', ')})`, edits: [{ range: content, newText: symbol }], family: 'rename' };
  }

  /** A misspelt name → `name`, where the target is written as it reads. */
  rename(name: string, kernels: readonly string[]): Draft | undefined {
    const ap = this.ap;
    const range = ap.via === 'call' ? this.eventLiteral() : ap.targetRange;
    if (!range) return undefined;
    const lines = this.doc.lines;
    if (this.doc.text.slice(lines.offsetAt(range.start), lines.offsetAt(range.end)) !== ap.target?.name) return undefined;
    return { title: `Change to ${name} (exists on ${kernels.join(', ')})`, edits: [{ range, newText: name }], family: 'typo' };
  }

  /** `event_re` over the plain name and its clones: on the call, or (a `kprobe__X` function) an
   *  explicit attach of the renamed function after the BPF object is made. */
  eventRegex(target: AttachTarget, rename: RenameAdvice): Draft | undefined {
    const ap = this.ap;
    const built = cloneRegex(baseName(target.name), rename);
    if (!built) return undefined;
    const literal = `r'${built.regex}'`;
    const sample = built.matches.map((m) => `${m.kernel}: ${m.symbols.slice(0, 3).join(', ')}${m.symbols.length > 3 ? ', …' : ''}`).join('; ');
    if (ap.via === 'call') {
      if (!ap.args?.event) return undefined;
      const edits = this.callEdits(undefined, { event: `event_re=${literal}` });
      return edits && { title: `Use event_re=${literal} (matches ${sample})`, edits, family: 'rename' };
    }
    const fn = this.fn;
    const prefix = ap.method === 'kprobe__' ? 'kprobe__' : ap.method === 'kretprobe__' ? 'kretprobe__' : undefined;
    if (!fn || !prefix || fn.macro) return undefined;
    const program = this.model.programs[ap.program ?? -1];
    if (!program?.binding || !program.statementRange) return undefined;
    const taken = new Set(program.functions.map((f) => f.name));
    let name = `trace_${fn.name.slice(prefix.length)}${prefix === 'kretprobe__' ? '_return' : ''}`;
    for (let n = 2; taken.has(name); n++) name = `trace_${fn.name.slice(prefix.length)}_${n}`;
    const renameFn = this.cEdit(fn.cSpans.name, name);
    if (!renameFn) return undefined;
    const method = prefix === 'kprobe__' ? 'attach_kprobe' : 'attach_kretprobe';
    const at = program.statementRange;
    const indent = /^[ \t]*/.exec(this.doc.text.slice(this.doc.lines.offsetAt({ line: at.start.line, character: 0 })))![0];
    const call = `\n${indent}${program.binding}.${method}(event_re=${literal}, fn_name="${name}")`;
    return {
      title: `Attach ${name} with ${method}(event_re=${literal}) (matches ${sample})`,
      edits: [renameFn, { range: { start: at.end, end: at.end }, newText: call }],
      family: 'rename',
    };
  }

  /** The stable tracepoint (or raw tracepoint) instead of the kprobe: the attach and the handler's
   *  header rewritten, markers where the body reads what the new hook does not pass. */
  tracepoint(alt: StableAlternative, from: AttachTarget, kernels: readonly string[]): Draft | undefined {
    const ap = this.ap;
    const fn = this.fn;
    const alternative = alt.target;
    if ((alternative.kind !== 'tracepoint' && alternative.kind !== 'raw_tp') || !fn || !this.handlerOwned()) return undefined;
    if (ap.via === 'call' && fn.macro) return undefined;
    const where = kernels.length > 1 ? 'every target' : kernels.join(', ');
    const oldHook = `${from.kind} ${from.name}`;
    const oldNames = fn.params.map((p) => p.name).filter((n): n is string => !!n);
    const ptRegs = from.kind === 'kprobe' || from.kind === 'kretprobe';
    if (alternative.kind === 'tracepoint') {
      const sys = alternative.system;
      if (!sys) return undefined;
      const fields = alt.perKernel.find((a) => a.fields)?.fields ?? [];
      const fieldList = fields.slice(0, 8).map((f) => `args->${f.name}`).join(', ');
      const explain = (used: string[]) => `${used.join(', ')} came from ${oldHook}; the tracepoint passes args, the ${sys}:${alternative.name} record${fieldList ? ` (${fieldList})` : ''}`;
      const stale = oldNames.filter((n) => n !== 'args');
      if (ap.via === 'call') {
        const edits = this.all([
          ...(this.callEdits('attach_tracepoint', { event: `tp="${sys}:${alternative.name}"`, event_off: null }) ?? [undefined]),
          this.cEdit(fn.cSpans.params, `struct tracepoint__${sys}__${alternative.name} *args`),
        ]);
        return edits && { title: `Use attach_tracepoint(tp="${sys}:${alternative.name}") instead (works on ${where})`, edits: [...edits, ...this.markers(stale, ptRegs, explain)], family: 'tracepoint' };
      }
      const header = this.cEdit(fn.cSpans.header, `TRACEPOINT_PROBE(${sys}, ${alternative.name})`);
      return header && { title: `Use TRACEPOINT_PROBE(${sys}, ${alternative.name}) instead (works on ${where})`, edits: [header, ...this.markers(stale, ptRegs, explain)], family: 'tracepoint' };
    }
    const args = alt.perKernel.find((a) => a.args)?.args;
    const passes = args ? ` (${args.map((p, i) => `ctx->args[${i}]: ${cDecl(p.type, p.name || `arg${i}`)}`).join(', ')})` : '';
    const explain = (used: string[]) => `${used.join(', ')} came from ${oldHook}; raw tracepoint ${alternative.name} passes ctx->args[]${passes}`;
    // The new ctx is a struct bpf_raw_tracepoint_args: passing it on (perf_submit) still works.
    const stale = oldNames.filter((n) => n !== 'ctx');
    if (ap.via === 'call') {
      const edits = this.all([
        ...(this.callEdits('attach_raw_tracepoint', { event: `tp="${alternative.name}"`, event_off: null }) ?? [undefined]),
        this.cEdit(fn.cSpans.params, 'struct bpf_raw_tracepoint_args *ctx'),
      ]);
      return edits && { title: `Use attach_raw_tracepoint(tp="${alternative.name}") instead (works on ${where})`, edits: [...edits, ...this.markers(stale, ptRegs, explain)], family: 'tracepoint' };
    }
    const header = this.cEdit(fn.cSpans.header, `RAW_TRACEPOINT_PROBE(${alternative.name})`);
    return header && { title: `Use RAW_TRACEPOINT_PROBE(${alternative.name}) instead (works on ${where})`, edits: [header, ...this.markers(stale, ptRegs, explain)], family: 'tracepoint' };
  }

  /** `# bpf-atlas-ignore: code` above an attach call; `// bpf-atlas-ignore: code` above a C
   *  header, where the line before it is C text written in the document. */
  ignore(code: string): Fix | undefined {
    const ap = this.ap;
    if (!code || ap.suppression) return undefined;
    const lines = this.doc.lines;
    const fix = (at: number, newText: string, comment: string): Fix => {
      const pos = lines.positionAt(at);
      return { title: `Ignore ${code} for this attach (${comment}: ${code})`, edits: [{ range: { start: pos, end: pos }, newText }], rank: RANK.ignore, family: 'ignore' };
    };
    if (ap.via === 'call') {
      const lineStart = lines.offsetAt({ line: ap.range.start.line, character: 0 });
      const indent = /^[ \t]*/.exec(this.doc.text.slice(lineStart))![0];
      return fix(lineStart, `${indent}# bpf-atlas-ignore: ${code}\n`, '# bpf-atlas-ignore');
    }
    const emb = this.emb;
    const fn = this.fn;
    if (!emb || !fn) return undefined;
    const header = fn.cSpans.header.start;
    const lineStart = emb.text.lastIndexOf('\n', header - 1) + 1;
    // The newline before the header's line and its indentation are written as they are.
    if (lineStart > 0 ? !this.verbatim({ start: lineStart - 1, end: header }) : emb.toDocument(0) !== 0) return undefined;
    const indent = emb.text.slice(lineStart, header).replace(/\S.*$/s, '');
    return fix(emb.toDocument(lineStart), `${indent}// bpf-atlas-ignore: ${code}\n`, '// bpf-atlas-ignore');
  }
}
