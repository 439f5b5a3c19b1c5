// KernelFeatures (loadability.ts) over an atlas kernel: its functions and BTF kfunc tags from the
// KernelQuery, its BPF enums from the atlas's type facts (`types().enumValue`: Debian, live and
// user atlases from BTF, the Ubuntu images from DepSurf's enums), or from an EnumSource given
// explicitly (btfEnums over a BTF, listedEnums over rows). Without either, every enum question is
// unknown: nothing is called absent without the kernel's own word.

import type { Btf } from '../kernel/btf';
import type { FunctionFacts, KernelMeta } from '../model/facts';
import type { KernelFeatures } from './loadability';

/** Enum membership of one kernel. */
export interface EnumSource {
  /** Value of `enumerator` in `enumName`; undefined when the enum lacks it; null when the kernel's
   *  data has no such enum at all (unknown). */
  enumValue(enumName: string, enumerator: string): number | undefined | null;
}

/** The atlas's answer for one enumerator (KernelTypesQuery.enumValue of model/facts). */
type EnumAnswer =
  | { status: 'present'; value: number | string }
  | { status: 'absent' }
  | { status: 'no-type' }
  | { status: 'unknown' };

/** What the adapter needs of a kernel (KernelIndex and the live kernel have it). */
export interface KernelLike {
  readonly meta: KernelMeta;
  fn(name: string): FunctionFacts | undefined;
  kfuncs?(): readonly string[];
  types?(): { enumValue(enumName: string | undefined, valueName: string): EnumAnswer } | undefined;
}

/** An EnumSource over the atlas's type facts: a BPF UAPI enum the kernel lacks altogether
 *  (`no-type`: bpf_link_type before 5.7) has none of its values. */
export function atlasEnums(kernel: KernelLike): EnumSource | undefined {
  const types = kernel.types?.();
  if (!types) return undefined;
  return {
    enumValue: (enumName, enumerator) => {
      const a = types.enumValue(enumName, enumerator);
      if (a.status === 'present') return Number(a.value);
      if (a.status === 'absent' || a.status === 'no-type') return undefined;
      return null;
    },
  };
}

export function kernelFeatures(kernel: KernelLike, given?: EnumSource): KernelFeatures {
  const meta = kernel.meta;
  const enums = given ?? atlasEnums(kernel);
  return {
    id: meta.id,
    version: meta.version,
    modulesCovered: meta.coverage.modules,
    enumValue: (e, n) => (enums ? enums.enumValue(e, n) : null),
    kfuncTags: () => {
      const tags = kernel.kfuncs?.() ?? [];
      return tags.length ? tags : undefined;
    },
    hasFunction: (name) => {
      const f = kernel.fn(name);
      if (f) return f.noData ? undefined : true;
      return false;
    },
  };
}

/** An EnumSource over a kernel's BTF (Debian images, /sys/kernel/btf/vmlinux). */
export function btfEnums(btf: Btf): EnumSource {
  const cache = new Map<string, Map<string, number> | null>();
  const enumOf = (enumName: string): Map<string, number> | null => {
    let m = cache.get(enumName);
    if (m === undefined) {
      const id = btf.findByName('ENUM', enumName) ?? btf.findByName('ENUM64', enumName);
      m = id === undefined ? null : new Map(btf.enumerators(id).map((e) => [e.name, Number(e.value)]));
      cache.set(enumName, m);
    }
    return m;
  };
  return {
    enumValue: (enumName, enumerator) => {
      const m = enumOf(enumName);
      return m === null ? null : m.get(enumerator);
    },
  };
}

/** An EnumSource over `{ enumName: [[enumerator, value], ...] }` (DepSurf's bpf-enums.json rows). */
export function listedEnums(enums: Record<string, [string, number][]>): EnumSource {
  const maps = new Map(Object.entries(enums).map(([k, v]) => [k, new Map(v)]));
  return {
    enumValue: (enumName, enumerator) => {
      const m = maps.get(enumName);
      return m ? m.get(enumerator) : null;
    },
  };
}
