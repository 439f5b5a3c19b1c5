// `bpf-atlas lookup struct:task_struct.__state` (and `union:`, `enum:`, `typedef:`): what one type,
// member or enumerator is on each target kernel, as CO-RE would resolve it (model/coreTypes.ts):
// present with its type, offset and size where the source has a layout, absent, or unknown.
// JSON schema: docs/cli.md.

import type { IndexedKernel } from '../atlas/atlas';
import { cDecl, type KernelMeta } from '../atlas/model';

export type TypeTargetKind = 'struct' | 'union' | 'enum' | 'typedef';

export interface TypeTarget {
  kind: TypeTargetKind;
  name: string;
  /** Member path (struct/union) or enumerator (enum). */
  member?: string;
}

/** `struct:task_struct.__state` → a TypeTarget; undefined when the text is not a type target. */
export function parseTypeTarget(text: string): TypeTarget | undefined {
  const m = /^(struct|union|enum|typedef):([A-Za-z_][A-Za-z0-9_]*)(?:\.(.+))?$/.exec(text.trim());
  if (!m) return undefined;
  const t: TypeTarget = { kind: m[1] as TypeTargetKind, name: m[2] };
  if (m[3] !== undefined) {
    if (t.kind === 'typedef') return undefined;
    t.member = m[3];
  }
  return t;
}

export function formatTypeTarget(t: TypeTarget): string {
  return `${t.kind}:${t.name}${t.member !== undefined ? `.${t.member}` : ''}`;
}

/** One kernel's answer (the element of `results` in the JSON output). */
export interface TypeLookupResult {
  kernel: string;
  release?: string;
  status: 'present' | 'absent' | 'no-type' | 'unknown';
  /** The member's (or typedef's) type; the struct's kind for a bare struct. */
  type?: string;
  /** Bytes from the start of the struct (members), or the type's size in bytes. */
  offset?: number;
  size?: number;
  bitOffset?: number;
  bitSize?: number;
  /** The member is reached through an anonymous struct/union member. */
  viaAnonymous?: boolean;
  /** Struct: number of members (anonymous members flattened). */
  members?: number;
  /** Enumerator value (a decimal string beyond 2^53). */
  value?: number | string;
  /** Absent member: the path element not found and the type it was looked for in. */
  missing?: string;
  within?: string;
  reason?: string;
}

export interface TypeLookupJson {
  target: string;
  kind: TypeTargetKind;
  name: string;
  member?: string;
  results: TypeLookupResult[];
}

/** The answer of one kernel. */
export function lookupTypeOn(kernel: IndexedKernel, t: TypeTarget): Omit<TypeLookupResult, 'kernel' | 'release'> {
  const types = kernel.types?.();
  if (!types) return { status: 'unknown', reason: 'this kernel\'s atlas has no types (rebuild it with this version of bpf-atlas index)' };
  if (t.kind === 'typedef') {
    const td = types.typedef(t.name);
    if (td) return { status: 'present', type: td.type, ...(td.members ? { members: td.members.length } : {}) };
    return types.coverage.typedefs ? { status: 'no-type' } : { status: 'unknown', reason: 'the source of this kernel\'s types has no typedefs' };
  }
  if (t.kind === 'enum') {
    if (t.member === undefined) {
      const e = types.enumType(t.name);
      if (e) return { status: 'present', type: `enum ${e.name}`, members: e.values.length, ...(e.size !== undefined ? { size: e.size } : {}) };
      const probe = types.enumValue(t.name, '');
      return probe.status === 'unknown' ? { status: 'unknown', reason: probe.reason } : { status: 'no-type' };
    }
    const a = types.enumValue(t.name, t.member);
    if (a.status === 'present') return { status: 'present', value: a.value };
    if (a.status === 'unknown') return { status: 'unknown', reason: a.reason };
    return { status: a.status };
  }
  const spec = `${t.kind} ${t.name}`;
  if (t.member === undefined) {
    const s = types.struct(spec);
    if (s) return { status: 'present', type: `${s.union ? 'union' : 'struct'} ${s.name}`, members: s.members.length, ...(s.size !== undefined ? { size: s.size } : {}) };
    const holds = t.kind === 'struct' ? types.coverage.structs : types.coverage.unions;
    return holds ? { status: 'no-type' } : { status: 'unknown', reason: `the source of this kernel's types has no ${t.kind}s` };
  }
  const a = types.member(spec, t.member);
  if (a.status === 'present') {
    const m = a.member;
    const r: Omit<TypeLookupResult, 'kernel' | 'release'> = { status: 'present', type: m.type };
    if (m.bitOffset !== undefined) {
      r.bitOffset = m.bitOffset;
      r.offset = Math.floor(m.bitOffset / 8);
    }
    if (m.size !== undefined) r.size = m.size;
    if (m.bitSize !== undefined) r.bitSize = m.bitSize;
    if (m.viaAnon) r.viaAnonymous = true;
    return r;
  }
  if (a.status === 'absent') return { status: 'absent', missing: a.missing, within: a.within };
  if (a.status === 'unknown') return { status: 'unknown', reason: a.reason };
  return { status: 'no-type' };
}

export function typeLookupJson(t: TypeTarget, kernels: { id: string; kernel: IndexedKernel }[], metas: readonly KernelMeta[]): TypeLookupJson {
  const release = new Map(metas.map((m) => [m.id, m.release]));
  const out: TypeLookupJson = {
    target: formatTypeTarget(t), kind: t.kind, name: t.name,
    results: kernels.map(({ id, kernel }) => ({ kernel: id, release: release.get(id), ...lookupTypeOn(kernel, t) })),
  };
  if (t.member !== undefined) out.member = t.member;
  return out;
}

function describe(t: TypeTarget, r: TypeLookupResult): string[] {
  const what = t.member !== undefined ? (t.kind === 'enum' ? t.member : `${t.name}.${t.member}`) : `${t.kind} ${t.name}`;
  switch (r.status) {
    case 'present': {
      if (t.kind === 'enum' && t.member !== undefined) return [`present: ${t.member} = ${r.value}`];
      if (t.member === undefined) {
        if (t.kind === 'typedef') return [`present: typedef ${cDecl(r.type!, t.name)}`];
        return [`present: ${r.type}, ${r.members} ${t.kind === 'enum' ? 'values' : 'members'}${r.size !== undefined ? `, ${r.size} bytes` : ''}`];
      }
      const name = t.member.split('.').pop()!.replace(/\[.*$/, '');
      const where = r.offset !== undefined
        ? `offset ${r.offset}${r.bitSize !== undefined ? ` (bit ${r.bitOffset! % 8}, ${r.bitSize} bits)` : ''}${r.size !== undefined ? ` size ${r.size}` : ''}`
        : 'offset not known (the source has no layout)';
      return [`present: ${cDecl(r.type!, name)}; ${where}${r.viaAnonymous ? ', through an anonymous member' : ''}`];
    }
    case 'absent':
      return r.missing !== undefined ? [`absent: ${r.within} has no member ${r.missing}`] : [`absent: no ${what}`];
    case 'no-type':
      return [`no such ${t.kind} in this kernel's types${t.kind === 'enum' ? '' : ' (it may be defined in a module)'}`];
    default:
      return [`unknown: ${r.reason}`];
  }
}

export function typeLookupText(json: TypeLookupJson, t: TypeTarget): string {
  const lines = [json.target];
  for (const r of json.results) {
    lines.push('', `  ${r.kernel}${r.release ? ` (${r.release})` : ''}:`);
    for (const l of describe(t, r)) lines.push(`    ${l}`);
  }
  return `${lines.join('\n')}\n`;
}
