// The syscalls:sys_enter_<name> / sys_exit_<name> trace events, which the kernel makes from its
// syscall metadata (kernel/trace/trace_syscalls.c) rather than from a TRACE_EVENT class: the same
// record layout for every syscall, so it is written here once for every reader (packaged images
// read the metadata, the running kernel without tracefs takes the arguments from elsewhere).

import type { Param, TraceField } from '../model/facts';
import { normalizeCType } from '../model/cTypes';

/** Record fields and print format of a syscall event: `__syscall_nr`, then each argument in an
 *  8-byte slot (sys_enter, types spelled as tracefs format files print them), or the return value (sys_exit). The enter format is the one
 *  __set_enter_print_fmt() writes at boot. */
export function syscallEventRecord(kind: 'enter' | 'exit', args: readonly Param[]): { fields: TraceField[]; fmt: string } {
  const nr: TraceField = { name: '__syscall_nr', type: 'int', offset: 8, size: 4, signed: true };
  if (kind === 'exit') return { fields: [nr, { name: 'ret', type: 'long', offset: 16, size: 8, signed: true }], fmt: '"0x%lx", REC->ret' };
  const names = args.map((x) => x.name);
  return {
    fields: [nr, ...args.map((x, j): TraceField => ({ name: x.name, type: normalizeCType(x.type), offset: 16 + 8 * j, size: 8, signed: false }))],
    fmt: `"${names.map((x) => `${x}: 0x%08lx`).join(', ')}"${names.map((x) => `, ((unsigned long)(REC->${x}))`).join('')}`,
  };
}

/** The prefix of the syscall entry wrappers (`__x64_sys_openat`) per architecture, as the
 *  bundled atlases name architectures; `sys_` where the kernel has no wrappers. */
export function syscallWrapperPrefix(arch: string): string {
  const prefix: Record<string, string> = {
    amd64: '__x64_sys_', x86_64: '__x64_sys_', arm64: '__arm64_sys_', riscv64: '__riscv_sys_', s390x: '__s390x_sys_',
  };
  return prefix[arch] ?? 'sys_';
}

/** `sys_enter_openat` → { kind: enter, syscall: openat }; undefined for other names. */
export function syscallEventName(event: string): { kind: 'enter' | 'exit'; syscall: string } | undefined {
  if (event.startsWith('sys_enter_')) return { kind: 'enter', syscall: event.slice('sys_enter_'.length) };
  if (event.startsWith('sys_exit_')) return { kind: 'exit', syscall: event.slice('sys_exit_'.length) };
  return undefined;
}
