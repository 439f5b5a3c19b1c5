// One loaded kernel written back as a single-kernel atlas file: what `bpf-atlas index --live`,
// `index --btf` and the live cache write. The kernel is any KernelQuery (the running kernel's lazy
// reader, or a kernel of another atlas file); its facts are read out once, in name order, and
// encoded with the atlas format.

import type { KernelFacts, KernelMeta, KernelQuery } from './model';
import { writeAtlasFile, type EncodeOptions } from './format';

/** A kernel that can be written out: its queries plus the name lists atlas files keep. */
export type KernelSource = KernelQuery & {
  fnAll?(name: string): import('./model').FunctionFacts[];
  extraSymbols?(): readonly string[];
  kfuncs?(): readonly string[];
};

/** Every fact of a kernel as plain data, with `meta` overriding the kernel's own. */
export function factsOfKernel(kernel: KernelSource, meta: Partial<KernelMeta> = {}): KernelFacts {
  const names = [...new Set(kernel.functionNames())].sort();
  const functions = kernel.fnAll ? names.flatMap((n) => kernel.fnAll!(n)) : names.flatMap((n) => kernel.fn(n) ?? []);
  const facts: KernelFacts = {
    meta: { ...kernel.meta, ...meta },
    functions,
    tracepoints: [...kernel.tracepoints()],
    syscalls: [...kernel.syscalls()],
    lsmHooks: [...kernel.lsmHooks()],
  };
  const extra = kernel.extraSymbols?.() ?? [];
  if (extra.length) facts.extraSymbols = [...extra];
  const kfuncs = kernel.kfuncs?.() ?? [];
  if (kfuncs.length) facts.kfuncs = [...kfuncs];
  const types = kernel.types?.();
  if (types) {
    facts.types = types.all();
    facts.meta = { ...facts.meta, coverage: { ...facts.meta.coverage, types: types.coverage } };
  }
  // meta's counts, computed from what is written
  facts.meta = {
    ...facts.meta,
    counts: { functions: functions.length, tracepoints: facts.tracepoints.length, syscalls: facts.syscalls.length, lsmHooks: facts.lsmHooks.length },
  };
  return facts;
}

/** Write one kernel as an atlas file (atomically); returns the file's size in bytes. */
export function writeKernelAtlas(file: string, kernel: KernelSource, opts: EncodeOptions & { meta?: Partial<KernelMeta> } = {}): number {
  const { meta, ...encode } = opts;
  return writeAtlasFile(file, [factsOfKernel(kernel, meta)], { systems: false, ...encode });
}
