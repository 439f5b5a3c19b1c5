// textDocument/definition and textDocument/typeDefinition: from a kernel function, tracepoint, LSM
// hook or syscall named by a program (the target of `SEC("kprobe/vfs_read")`, of a bpftrace probe),
// from a tracepoint program's ctx and its `ctx->field` reads, and from bpftrace's `args.field`, to
// the declaration in each target kernel: the generated headers of kernelHeader.ts (one per distinct
// declaration, so a kernel choice when the targets differ) and the place to land in each. Pure:
// server.ts writes the headers to the user's cache and answers with their locations.

import type { Position, Range } from 'vscode-languageserver';
import type { AttachTarget, KernelQuery } from '../atlas/model';
import { probeTargets, programTarget } from '../analysis/targets';
import { isFunctionKind } from '../model/programKinds';
import { offsetAt, probeAt, rangeContains as btContains } from '../syntax/bpftrace';
import { programAt, rangeContains } from '../syntax/cModel';
import type { AnalyzedDocument } from '../syntax/documents';
import { type HeaderAnchor, type HeaderSubject, type KernelHeader, kernelHeaders } from './kernelHeader';
import type { FeatureContext } from './shared/context';

/** Where in a header to land: the main declaration (prototype, or a tracepoint's record struct),
 *  the TP_PROTO typedef, a record field, or a parameter of the prototype or typedef. */
export type HeaderSpot = { at: 'main' } | { at: 'proto' } | { at: 'field'; name: string } | { at: 'param'; name: string; proto: boolean };

export interface DefinitionResult {
  subject: HeaderSubject;
  headers: KernelHeader[];
  spot: HeaderSpot;
  /** The span the request was made on (LocationLink's origin). */
  origin: Range;
}

/** The header subject an attach target's declaration is, and where its programs look. */
function subjectOf(target: AttachTarget): { subject: HeaderSubject; spot: HeaderSpot } | undefined {
  if (target.pattern) return undefined;
  if (target.kind === 'tracepoint') return { subject: { kind: 'tracepoint', name: target.name, system: target.system }, spot: { at: 'main' } };
  if (target.kind === 'raw_tp' || target.kind === 'tp_btf') return { subject: { kind: 'tracepoint', name: target.name }, spot: { at: 'proto' } };
  if (target.kind === 'lsm') return { subject: { kind: 'lsm', name: target.name }, spot: { at: 'main' } };
  if (target.kind === 'ksyscall' || target.kind === 'kretsyscall') return { subject: { kind: 'syscall', name: target.name }, spot: { at: 'main' } };
  if (isFunctionKind(target.kind)) return { subject: { kind: 'function', name: target.name }, spot: { at: 'main' } };
  return undefined;
}

function withSpot(found: { subject: HeaderSubject; spot: HeaderSpot } | undefined, spot: HeaderSpot): { subject: HeaderSubject; spot: HeaderSpot } | undefined {
  return found && { subject: found.subject, spot };
}

/** libbpf C: what the position names. */
function cSubject(doc: AnalyzedDocument, pos: Position, typeOnly: boolean): { subject: HeaderSubject; spot: HeaderSpot; origin: Range } | undefined {
  const program = doc.c && programAt(doc.c, pos);
  const target = program && programTarget(program);
  const found = target && subjectOf(target);
  if (!program || !found) return undefined;
  const t = program.target;
  if (!typeOnly) {
    if (t?.nameRange && rangeContains(t.nameRange, pos)) return { ...found, origin: t.nameRange };
    if (t?.systemRange && rangeContains(t.systemRange, pos)) return { ...found, origin: t.systemRange };
  }
  const tracepoint = program.kind === 'tracepoint';
  const ctx = program.handler?.ctx;
  if (tracepoint && ctx && ((ctx.typeRange && rangeContains(ctx.typeRange, pos)) || (ctx.nameRange && rangeContains(ctx.nameRange, pos)))) {
    return { ...found, origin: ctx.typeRange && rangeContains(ctx.typeRange, pos) ? ctx.typeRange : ctx.nameRange!, spot: { at: 'main' } };
  }
  const read = program.ctxAccesses.find((a) => rangeContains(a.fieldRange, pos));
  if (read && tracepoint) return { ...withSpot(found, typeOnly ? { at: 'main' } : { at: 'field', name: read.field })!, origin: read.fieldRange };
  if (!typeOnly && program.handler?.macro) {
    const param = program.handler.params.find((p) => p.nameRange && rangeContains(p.nameRange, pos));
    if (param) return { ...withSpot(found, { at: 'param', name: param.name, proto: found.spot.at === 'proto' })!, origin: param.nameRange! };
  }
  return undefined;
}

/** bpftrace: the probe's target, or an `args.field` read in a probe's action block. */
function btSubject(doc: AnalyzedDocument, pos: Position, typeOnly: boolean): { subject: HeaderSubject; spot: HeaderSpot; origin: Range } | undefined {
  const model = doc.bt;
  if (!model) return undefined;
  const probe = probeAt(model, pos);
  if (probe) {
    const found = probeTargets(probe).map(subjectOf).find((x) => x);
    if (!typeOnly && found && probe.nameRange && btContains(probe.nameRange, pos)) return { ...found, origin: probe.nameRange };
    if (!typeOnly && found && probe.systemRange && btContains(probe.systemRange, pos)) return { ...found, origin: probe.systemRange };
    return undefined;
  }
  const offset = offsetAt(model, pos);
  const block = model.blocks.find((b) => offset > b.bodyStart && offset <= b.bodyEnd);
  const use = block?.argsUses.find((u) => btContains(u.range, pos) && u.field);
  if (!block || !use) return undefined;
  for (const p of block.probes) {
    const found = probeTargets(p).map(subjectOf).find((x) => x);
    if (!found) continue;
    if (typeOnly) return { ...withSpot(found, { at: 'main' })!, origin: use.range };
    const spot: HeaderSpot = found.subject.kind === 'tracepoint' && found.spot.at === 'main'
      ? { at: 'field', name: use.field } : { at: 'param', name: use.field, proto: found.spot.at === 'proto' };
    return { subject: found.subject, spot, origin: use.range };
  }
  return undefined;
}

/** The declarations the position leads to on the target kernels; undefined when it names none
 *  (or no target kernel has it). `typeDefinition` lands on the type of what is named: a
 *  tracepoint's record from its ctx or a field read. */
export function definition(doc: AnalyzedDocument, pos: Position, ctx: FeatureContext, mode: 'definition' | 'typeDefinition' = 'definition'): DefinitionResult | undefined {
  const typeOnly = mode === 'typeDefinition';
  const found = doc.c ? cSubject(doc, pos, typeOnly) : doc.bt ? btSubject(doc, pos, typeOnly) : undefined;
  if (!found) return undefined;
  const kernels: KernelQuery[] = [];
  for (const id of ctx.targets) {
    try {
      kernels.push(ctx.atlas.get(id));
    } catch {
      // A kernel that cannot be loaded has no header to offer; the others still do.
    }
  }
  const headers = kernelHeaders(found.subject, kernels);
  return headers.length ? { ...found, headers } : undefined;
}

/** Where `spot` is in `header`: a field's or parameter's line and column, else the declaration. */
export function spotIn(header: KernelHeader, spot: HeaderSpot): HeaderAnchor {
  const lines = header.text.split('\n');
  if (spot.at === 'proto') return header.protoAnchor ?? header.anchor;
  if (spot.at === 'field') {
    const word = new RegExp(`\\b${spot.name}\\b(?=\\s*(\\[|;))`);
    for (let i = header.anchor.line + 1; i < lines.length && !lines[i].startsWith('}'); i++) {
      const m = word.exec(lines[i]);
      if (m) return { line: i, character: m.index };
    }
    return header.anchor;
  }
  if (spot.at === 'param') {
    const at = spot.proto ? header.protoAnchor ?? header.anchor : header.anchor;
    const m = new RegExp(`\\b${spot.name}\\b(?=\\s*[,)\\[])`).exec(lines[at.line] ?? '');
    return m ? { line: at.line, character: m.index } : at;
  }
  return header.anchor;
}
