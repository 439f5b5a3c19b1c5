// Tracepoints as a kernel's BTF describes them, for readers that have no trace event data of the
// kernel itself (the running kernel without tracefs, a bare BTF file): the TP_PROTO arguments of
// a raw tracepoint (`typedef btf_trace_<tp>`), named from its event class's `__bpf_trace_<class>`
// FUNC; which class an event belongs to; and the event record, which is the class's
// `struct trace_event_raw_<class>` with its offsets, its field types spelled as tracefs spells
// them where the evidence allows.

import { Btf, BtfKind } from './btf';
import type { Param, TraceField } from '../model/facts';
import { cTypeKey, normalizeCType } from '../model/cTypes';

/** Where a raw tracepoint's `btf_trace_<name>` typedef lives. */
export interface RawTracepointSource {
  btf: Btf;
  module?: string;
}

/** Name lookups a caller can answer faster than a Btf's general name index (the live reader
 *  does for vmlinux); each returns undefined to defer to the Btf. */
export interface TracepointLookups {
  traceArgs(btf: Btf, name: string): Param[] | undefined | null;
  hasFunc(btf: Btf, name: string): boolean | undefined;
  hasStruct(btf: Btf, name: string): boolean | undefined;
}

/**
 * Templates by TP_PROTO signature: `__bpf_trace_<template>` FUNCs (named params) keyed by their
 * parameter types after `void *__data`. Used to name the args of a DEFINE_EVENT instance when
 * exactly one template (or several agreeing on names) has its signature.
 */
function templatesBySignature(btf: Btf): Map<string, { template: string; names: string[] }[]> {
  const out = new Map<string, { template: string; names: string[] }[]>();
  for (const f of btf.funcs()) {
    if (!f.name.startsWith('__bpf_trace_')) continue;
    const params = btf.proto(f.protoId).params.slice(1);
    const key = params.map((p) => p.type).join(',');
    const entry = { template: f.name.slice('__bpf_trace_'.length), names: params.map((p) => p.name) };
    const list = out.get(key);
    if (list) list.push(entry);
    else out.set(key, [entry]);
  }
  return out;
}

/** Fields equal by name, offset and size (types are spelled differently by BTF and tracefs). */
function sameLayout(a: TraceField[], b: TraceField[]): boolean {
  return a.length === b.length && a.every((f, i) => f.name === b[i].name && f.offset === b[i].offset && f.size === b[i].size);
}

/**
 * Args and, when it can be proven, the template of a raw tracepoint: names from the given class's
 * (or the same-named) `__bpf_trace_<class>` FUNC, else from the templates sharing its TP_PROTO
 * signature (narrowed by the record layout when `fields` are known). The signature index is built
 * once per BTF, and only when a name needs it.
 */
export function tracepointArgsResolver(sourceOf: (name: string) => RawTracepointSource | undefined, lookups?: TracepointLookups):
  (name: string, fields?: TraceField[], knownClass?: string) => { args?: Param[]; template?: string } {
  const signatures = new Map<Btf, Map<string, { template: string; names: string[] }[]>>();
  const sigIndex = (b: Btf) => {
    let s = signatures.get(b);
    if (!s) signatures.set(b, (s = templatesBySignature(b)));
    return s;
  };

  return (name: string, fields?: TraceField[], knownClass?: string): { args?: Param[]; template?: string } => {
    const src = sourceOf(name);
    if (!src) return {};
    const fast = lookups?.traceArgs(src.btf, name);
    const args = fast === null ? undefined : fast ?? src.btf.btfTraceArgs(name);
    if (!args) return {};
    const hasFunc = (fn: string) => lookups?.hasFunc(src.btf, fn) ?? src.btf.findByName(BtfKind.FUNC, fn) !== undefined;
    const hasStruct = (st: string) => lookups?.hasStruct(src.btf, st) ?? src.btf.findByName(BtfKind.STRUCT, st) !== undefined;
    const sameName = hasFunc(`__bpf_trace_${name}`) && args.every((a, i) => a.name !== `arg${i}`);
    if (sameName) return { args, template: hasStruct(`trace_event_raw_${name}`) ? name : undefined };
    if (knownClass !== undefined) {
      const named = namesFromClass(src.btf, knownClass, args);
      if (named) return { args: named, template: knownClass };
    }
    const candidates = sigIndex(src.btf).get(args.map((a) => a.type).join(',')) ?? [];
    const byLayout = fields
      ? candidates.filter((c) => {
        const f = src.btf.structFields(`trace_event_raw_${c.template}`);
        return !!f && sameLayout(f, fields);
      })
      : [];
    const chosen = byLayout.length === 1 ? byLayout : candidates;
    const agree = chosen.length > 0 && chosen.every((c) => c.names.join(',') === chosen[0].names.join(','));
    const named = agree ? args.map((a, i) => ({ type: a.type, name: chosen[0].names[i] || a.name })) : args;
    return { args: named, template: byLayout.length === 1 ? byLayout[0].template : undefined };
  };
}

/** `args` named from `__bpf_trace_<cls>` when that FUNC's parameters have exactly their types
 *  (the class of a DEFINE_EVENT instance has the instance's TP_PROTO). */
export function namesFromClass(btf: Btf, cls: string, args: Param[]): Param[] | undefined {
  const p = btf.funcProto(`__bpf_trace_${cls}`);
  if (!p) return undefined;
  const params = p.params.slice(1);
  if (params.length !== args.length || params.some((x, i) => x.type !== args[i].type)) return undefined;
  return args.map((a, i) => ({ type: a.type, name: params[i].name || a.name }));
}

/** A BTF type rendering in the spelling tracefs format files use for the same C type: integer
 *  words as sources write them (`long unsigned int` → `unsigned long`), `_Bool` as `bool`. */
export function tracefsSpelling(btfType: string): string {
  return normalizeCType(btfType.replace(/\b_Bool\b/g, 'bool'), { integers: 'canonical' });
}

/** Two spellings of one C type? x86's per-CPU address space shows in tracefs (`void __seg_gs *`)
 *  and not in BTF, so it does not count. */
function sameSpelledType(a: string, b: string): boolean {
  const key = (t: string) => cTypeKey(tracefsSpelling(t.replace(/\b__seg_[gf]s\b/g, '')));
  return key(a) === key(b);
}

/**
 * The record of an event of class `cls`: the fields of `struct trace_event_raw_<cls>` with their
 * BTF offsets and sizes (the struct is the record's layout) and their types, which BTF keeps as
 * the source wrote them (typedef names included), in the spelling tracefs uses. Where the
 * reference record (the same event on a bundled kernel, from its format data) has the field with
 * the same C type, its exact text is kept (`unsigned` rather than `unsigned int`); a different
 * type there is another version's and is ignored. A `__data_loc`/`__rel_loc` field's element type
 * is not in BTF (only its u32 locator is): it comes from the reference (or `locReference`, a
 * record whose other types are not tracefs's text), and without one the whole record is undefined
 * (unknown), not guessed.
 */
export function classRecord(btf: Btf, cls: string, reference?: readonly TraceField[], locReference = reference): TraceField[] | undefined {
  const fields = btf.structFields(`trace_event_raw_${cls}`);
  if (!fields) return undefined;
  const refByName = new Map((reference ?? []).map((f) => [f.name, f]));
  const locByName = new Map((locReference ?? []).map((f) => [f.name, f]));
  const out: TraceField[] = [];
  for (const f of fields) {
    const ref = refByName.get(f.name);
    const loc = /^__(data|rel)_loc\b/.exec(f.type);
    if (loc) {
      const ref = locByName.get(f.name);
      if (!ref || (ref.size !== undefined && ref.size !== f.size) || !ref.type.startsWith(`__${loc[1]}_loc`)) return undefined;
      out.push({ ...f, type: ref.type });
      continue;
    }
    const type = tracefsSpelling(f.type);
    const sameType = ref && (ref.size === undefined || ref.size === f.size) && sameSpelledType(ref.type, type);
    out.push({ ...f, type: sameType ? normalizeCType(ref!.type) : type });
  }
  return out;
}
