// KernelFeatures (loadability.ts) over an atlas kernel: its functions and BTF kfunc tags from the
// KernelQuery, its BPF enums from an EnumSource. The enums come from the atlas's type facts
// (issue 15 adds them: Debian, live and user atlases from BTF, the Ubuntu images from DepSurf's
// enums); until a kernel has them, an EnumSource built from its BTF (btfEnums) or none (then every
// enum question is unknown) is passed in.

import type { Btf } from '../kernel/btf';
import type { FunctionFacts, KernelMeta } from '../model/facts';
import type { KernelFeatures } from './loadability';

/** Enum membership of one kernel. */
export interface EnumSource {
  /** Value of `enumerator` in `enumName`; undefined when the enum lacks it; null when the kernel's
   *  data has no such enum at all (unknown). */
  enumValue(enumName: string, enumerator: string): number | undefined | null;
}

/** What the adapter needs of a kernel (KernelIndex and the live kernel have it). */
export interface KernelLike {
  readonly meta: KernelMeta;
  fn(name: string): FunctionFacts | undefined;
  kfuncs?(): readonly string[];
}

export function kernelFeatures(kernel: KernelLike, enums?: EnumSource): KernelFeatures {
  const meta = kernel.meta;
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
