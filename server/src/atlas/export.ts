// A loaded kernel written back as an atlas file: what "build an atlas of this machine's kernel"
// stores, from the running kernel's lazy index or any KernelIndex.

import type { IndexedKernel } from './atlas';
import { writeAtlasFile } from './format';
import type { KernelFacts } from './model';

/** All facts of a loaded kernel, back as plain data (to write it as an atlas file). */
function factsOf(index: IndexedKernel): KernelFacts {
  const names = [...new Set(index.functionNames())];
  return {
    meta: index.meta,
    functions: names.flatMap((n) => index.fnAll(n)),
    tracepoints: [...index.tracepoints()],
    syscalls: [...index.syscalls()],
    lsmHooks: [...index.lsmHooks()],
    extraSymbols: [...index.extraSymbols()],
    kfuncs: [...index.kfuncs()],
  };
}

/** Writes one kernel as an atlas file. */
export function writeKernelAtlas(file: string, index: IndexedKernel): void {
  writeAtlasFile(file, [factsOf(index)]);
}
