// How a hook's shape differs between the target kernels: the prototype (function kinds, LSM hooks,
// syscalls), the trace record fields (tracepoints) or the TP_PROTO arguments (raw and BTF
// tracepoints). Types compare by model/cTypes.ts, so a spelling is never a change; the message
// says what changed in a few words. Stray reads, not attach failures: warnings.

import type { Assessment, AttachTarget, KernelQuery, Param, TraceField } from '../atlas/model';
import { cTypeKey } from '../model/cTypes';
import { isFunctionKind } from '../model/programKinds';
import type { AnalysisContext } from './context';
import { hookParams } from './hooks';

/** A difference of the hook's shape between target kernels (stray reads, not attach failures). */
export interface ShapeDifference {
  hazard: 'signature-changed' | 'fields-changed' | 'args-changed';
  /** One line: what changed, e.g. "parameter `flags` added; `rq` changed type". */
  message: string;
  /** Kernels grouped by the variant they carry, in target order. */
  variants: { kernels: string[]; text: string }[];
}

/** Parameter types only: a renamed parameter reads the same value, a retyped or moved one does not. */
function typesText(params: readonly Param[] | undefined): string {
  return (params ?? []).map((p) => cTypeKey(p.type)).join(', ');
}

/** Record fields by name and type; the common header and `__data_loc` spellings do not count. */
function fieldsText(fields: readonly TraceField[] | undefined): string {
  return (fields ?? []).filter((f) => !f.name.startsWith('common_'))
    .map((f) => {
      const dataLoc = f.name.startsWith('__data_loc_') || f.type.includes('__data_loc');
      return `${f.name.replace(/^__data_loc_/, '')}:${dataLoc ? '__data_loc' : cTypeKey(f.type)}`;
    }).join('; ');
}

function recordFields(fields: readonly TraceField[] | undefined): { name: string; type: string }[] {
  return (fields ?? []).filter((f) => !f.name.startsWith('common_'))
    .map((f) => ({ name: f.name.replace(/^__data_loc_/, ''), type: f.type.includes('__data_loc') || f.name.startsWith('__data_loc_') ? '__data_loc' : cTypeKey(f.type) }));
}

/** What changed from one list of named, typed items to another, in a few words. */
export function describeChange(
  before: readonly { name: string; type: string }[], after: readonly { name: string; type: string }[], noun: string,
): string {
  const parts: string[] = [];
  const beforeByName = new Map(before.map((p) => [p.name, p]));
  const afterByName = new Map(after.map((p) => [p.name, p]));
  for (const p of after) if (!beforeByName.has(p.name)) parts.push(`${noun} \`${p.name}\` added`);
  for (const p of before) if (!afterByName.has(p.name)) parts.push(`${noun} \`${p.name}\` removed`);
  for (const p of after) {
    const old = beforeByName.get(p.name);
    if (old && cTypeKey(old.type) !== cTypeKey(p.type)) parts.push(`\`${p.name}\` changed type (${old.type} → ${p.type})`);
  }
  if (!parts.length) {
    const orderBefore = before.map((p) => p.name).join(',');
    const orderAfter = after.map((p) => p.name).join(',');
    if (orderBefore !== orderAfter) parts.push(`${noun}s reordered`);
  }
  return parts.join('; ');
}

/** The parameters of a function-like target on one kernel, for signature comparison. */
function hookParamsOn(ctx: AnalysisContext, kernelId: string, target: AttachTarget, a: Assessment): Param[] | undefined {
  if (a.args) return a.args;
  let kernel: KernelQuery;
  try {
    kernel = ctx.atlas.get(kernelId);
  } catch {
    return undefined;
  }
  return target.kind === 'lsm' || isFunctionKind(target.kind) ? hookParams(kernel, target) : undefined;
}

export function shapeDifferences(target: AttachTarget, kernels: readonly { kernel: string; assessment: Assessment }[], ctx: AnalysisContext): ShapeDifference[] {
  const found = kernels.filter((k) => k.assessment.found);
  if (found.length < 2 || target.pattern) return [];
  // Kernels of one family mostly spell the same types: normalise each distinct spelling once.
  // Kernels of one atlas file share decoded prototypes, so most lists are the same object.
  const texts = new Map<string, string>();
  const byList = new Map<readonly Param[], string>();
  const paramsText = (params: readonly Param[] | undefined): string => {
    const list = params ?? [];
    const known = byList.get(list);
    if (known !== undefined) return known;
    const raw = list.map((p) => p.type).join('\u0000');
    let text = texts.get(raw);
    if (text === undefined) {
      text = typesText(params);
      texts.set(raw, text);
    }
    byList.set(list, text);
    return text;
  };
  const paramsByKernel = new Map<string, Param[]>();
  for (const k of found) {
    const params = hookParamsOn(ctx, k.kernel, target, k.assessment);
    if (params) paramsByKernel.set(k.kernel, params);
  }
  const out: ShapeDifference[] = [];
  const group = (key: (a: Assessment) => string | undefined) => {
    const variants: { kernels: string[]; text: string; a: Assessment }[] = [];
    for (const k of found) {
      const text = key(k.assessment);
      if (text === undefined) continue;
      const v = variants.find((x) => x.text === text);
      if (v) v.kernels.push(k.kernel);
      else variants.push({ kernels: [k.kernel], text, a: k.assessment });
    }
    return variants;
  };
  if (isFunctionKind(target.kind) || target.kind === 'lsm' || target.kind === 'ksyscall' || target.kind === 'kretsyscall') {
    const variants = group((a) => {
      const params = paramsByKernel.get(a.kernel);
      return params ? paramsText(params) : a.proto;
    });
    const argsOf = (a: Assessment) => paramsByKernel.get(a.kernel) ?? a.args ?? [];
    const d = difference('signature-changed', 'The prototype differs', 'parameter', variants, argsOf);
    if (d) out.push(d);
  }
  if (target.kind === 'tracepoint') {
    const d = difference('fields-changed', 'The record fields differ', 'field', group((a) => (a.fields ? fieldsText(a.fields) : undefined)), (a) => recordFields(a.fields));
    if (d) out.push(d);
  }
  if (target.kind === 'tp_btf' || target.kind === 'raw_tp') {
    const d = difference('args-changed', 'The tracepoint arguments differ', 'argument', group((a) => (a.args ? paramsText(a.args) : undefined)), (a) => a.args ?? []);
    if (d) out.push(d);
  }
  return out;
}

/** One difference: the variants after the first, each described against the first. Undefined
 *  when all kernels carry the same variant. */
function difference(hazard: ShapeDifference['hazard'], what: string, noun: string,
  variants: readonly { kernels: string[]; text: string; a: Assessment }[],
  itemsOf: (a: Assessment) => readonly { name: string; type: string }[]): ShapeDifference | undefined {
  if (variants.length < 2) return undefined;
  const first = variants[0];
  const changes = variants.slice(1).map((v) => {
    const change = describeChange(itemsOf(first.a), itemsOf(v.a), noun);
    return change ? `${change} on ${v.kernels.join(', ')}` : '';
  }).filter(Boolean);
  return {
    hazard,
    message: changes.length ? `${what} between targets: ${changes.join('; ')} (compared with ${first.kernels.join(', ')}).`
      : `${what} between targets.`,
    variants: variants.map(({ kernels, text }) => ({ kernels, text })),
  };
}
