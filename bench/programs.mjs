// libbpf C programs for the benchmark, in the style of real tools (libbpf-tools, libbpf-bootstrap):
// each program attaches to a different real kernel hook taken from a bundled atlas (bench/hooks.ts),
// so nothing the server memoises for one program answers for the next. Hooks cycle over the kinds
// real tools use, weighted towards kprobes and tracepoints.

const KIND_CYCLE = ['kprobe', 'tracepoint', 'kprobe', 'fentry', 'kretprobe', 'tp_btf', 'kprobe', 'tracepoint', 'fexit', 'raw_tp', 'kprobe', 'lsm'];

export const HEADER = `// SPDX-License-Identifier: GPL-2.0
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
`;

export const LICENSE = 'char LICENSE[] SEC("license") = "GPL";\n';

/** Position `i` of a walk over `n` items that visits each once, spread over the whole list. */
function strided(i, n) {
  const step = 7919; // a prime: coprime with n unless n is a multiple of it
  return n % step ? (i * step) % n : i % n;
}

/**
 * Hands out real hooks, each once: functions (shared by kprobe/kretprobe/fentry/fexit), trace
 * events, raw tracepoints, LSM hooks, each walked in a fixed stride over its sorted list, kinds in
 * KIND_CYCLE order. A kind whose list is used up starts over (`reused` counts those).
 */
export class HookAllocator {
  constructor(pool) {
    this.pool = pool;
    this.next = { fn: 0, ev: 0, raw: 0, lsm: 0 };
    this.kindAt = 0;
    this.reused = 0;
  }

  pick(list, key) {
    const i = this.next[key]++;
    if (i >= list.length) this.reused++;
    return list[strided(i, list.length)];
  }

  /** `count` function names not handed out before. */
  functions(count) {
    return Array.from({ length: count }, () => this.pick(this.pool.functions, 'fn'));
  }

  /** `count` hooks: { kind, name, section } with `section` what goes in SEC("..."). */
  take(count) {
    const out = [];
    for (let i = 0; i < count; i++) {
      const kind = KIND_CYCLE[this.kindAt++ % KIND_CYCLE.length];
      if (kind === 'tracepoint') {
        const e = this.pick(this.pool.events, 'ev');
        out.push({ kind, name: e.name, section: `tracepoint/${e.system}/${e.name}` });
      } else {
        const name = kind === 'lsm' ? this.pick(this.pool.lsmHooks, 'lsm')
          : kind === 'tp_btf' || kind === 'raw_tp' ? this.pick(this.pool.rawTracepoints, 'raw')
            : this.pick(this.pool.functions, 'fn');
        out.push({ kind, name, section: `${kind}/${name}` });
      }
    }
    return out;
  }
}

/** The handler line for a hook, as real tools write it. */
function handlerHead(hook, fn) {
  switch (hook.kind) {
    case 'kprobe': return `int BPF_KPROBE(${fn}, void *arg0)`;
    case 'kretprobe': return `int BPF_KRETPROBE(${fn}, long ret)`;
    case 'tracepoint': return `int ${fn}(void *ctx)`;
    case 'lsm': return `int BPF_PROG(${fn}, void *arg0)`;
    default: return `int BPF_PROG(${fn})`;
  }
}

/** Body statements in the proportions of real handlers (~24 bytes a line, as libbpf-tools). */
function bodyLine(k) {
  switch (k % 4) {
    case 0: return `\tif (pid == ${k})`;
    case 1: return `\t\tcount += ${k};`;
    case 2: return `\tcount ^= id >> ${k % 32};`;
    default: return `\tbpf_printk("step %d", ${k});`;
  }
}

/** One program: SEC line, handler, a body of `bodyLines` lines (at least 4). */
export function program(hook, fn, bodyLines = 6) {
  const lines = [`SEC("${hook.section}")`, handlerHead(hook, fn), '{', '\tu64 id = bpf_get_current_pid_tgid();', '\tu32 pid = id >> 32;', '\tu64 count = 0;'];
  for (let k = 0; lines.length < bodyLines + 2; k++) lines.push(bodyLine(k));
  lines.push(`\tbpf_printk("${hook.name} %u %llu", pid, count);`, '\treturn 0;', '}', '');
  return lines.join('\n');
}

/** A file of programs, one per hook. */
export function file(hooks, bodyLines = 6, prefix = 'handle') {
  return HEADER + '\n' + hooks.map((h, i) => program(h, `${prefix}_${i}`, bodyLines)).join('\n') + LICENSE;
}

/** What a user types for one new program (appended to a file), character by character. */
export function typedProgram(hook, fn) {
  const head = handlerHead(hook, fn).replace('void *arg0', 'struct file *file');
  return `\nSEC("${hook.section}")\n${head}\n{\n\tstruct task_struct *task = (struct task_struct *)bpf_get_current_task();\n\tu32 tgid = BPF_CORE_READ(task, tgid);\n\tbpf_printk("${hook.name} %u", tgid);\n\treturn 0;\n}\n`;
}
