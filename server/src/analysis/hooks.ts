// What a hook passes on one kernel: a function's or LSM hook's parameters, a tracepoint's TP_PROTO
// arguments, or a syscall's own arguments for ksyscall (not the pt_regs of its wrapper). The one
// lookup behind handler snippets, argument hovers, shape differences and handler checks.

import type { AttachTarget, KernelQuery, Param } from '../atlas/model';
import { baseName } from '../model/symbols';

/** The hook's arguments on one kernel: function or LSM hook parameters, TP_PROTO arguments, or
 *  the syscall's own arguments for ksyscall (not the pt_regs wrapper). */
export function hookParams(kernel: KernelQuery, target: AttachTarget): Param[] | undefined {
  switch (target.kind) {
    case 'tracepoint': case 'raw_tp': case 'tp_btf':
      return kernel.tracepoint(target.name, target.kind === 'tracepoint' ? target.system : undefined)?.args;
    case 'ksyscall': case 'kretsyscall': {
      // Syscall metadata when the source has it, else the prototype of the syscall's body.
      const args = kernel.syscall(target.name)?.args;
      if (args?.length) return args;
      return kernel.fn(`__do_sys_${target.name}`)?.proto?.params ?? kernel.fn(`__se_sys_${target.name}`)?.proto?.params ?? args;
    }
    case 'lsm':
      return kernel.lsmHook(target.name)?.proto?.params;
    default:
      return kernel.fn(baseName(target.name))?.proto?.params;
  }
}
