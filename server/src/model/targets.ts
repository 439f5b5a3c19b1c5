// Attach targets as text: reading what a user types (`kprobe:do_sys_open`, `kprobe/vfs_read+0x10`,
// `tracepoint:sched:sched_switch`, `t:sched:sched_switch`, `rt:sched_switch`, `SEC("tp_btf/x")`)
// through the one alias table of programKinds.ts, and writing a target back as a lookup string or
// a libbpf section. The CLI reads strictly; the editor's lookup box also takes a bare function name
// and a kind-less `system/event`. Imports nothing of ours but the model.

import { kindOfSpelling, type AttachKind, type AttachTarget } from './programKinds';

const TARGET_FORMS = 'kprobe:FN, kretprobe:FN, fentry:FN, fexit:FN, tracepoint:SYSTEM:EVENT, raw_tp:EVENT, tp_btf:EVENT, lsm:HOOK, ksyscall:NAME';

export interface ParseTargetOptions {
  /** Also read a bare name as a kprobe function and `system/event` as a tracepoint. */
  lenient?: boolean;
}

/** Parse `kind:name` (also libbpf's `kind/name`, `tracepoint:SYSTEM/EVENT`, bpftrace's
 *  `kind:module:name` and short kinds, a `SEC("...")` wrapper). Throws an Error saying which forms
 *  are accepted. */
export function parseTarget(text: string, options: ParseTargetOptions = {}): AttachTarget {
  let t = text.trim();
  const sec = /^SEC\(\s*"(.*)"\s*\)$/.exec(t);
  if (sec) t = sec[1].trim();
  if (!t) throw new Error(`cannot read target "${text}": expected one of ${TARGET_FORMS}`);
  const m = /^([A-Za-z_.]+?)[:/](.*)$/.exec(t);
  let kind: AttachKind | undefined = m ? kindOfSpelling(m[1]) : undefined;
  let rest = kind ? m![2].trim() : t;
  if (!kind) {
    if (options.lenient && !m) kind = 'kprobe';
    else if (options.lenient && /^\w+[:/][\w*?]+$/.test(t)) kind = 'tracepoint';
    else if (!m) throw new Error(`cannot read target "${text}": expected one of ${TARGET_FORMS}`);
    else throw new Error(`unknown attach kind "${m[1]}" in "${text}": expected one of ${TARGET_FORMS}`);
  }
  if (!rest) throw new Error(`target "${text}" names no ${kind === 'tracepoint' ? 'event' : 'function'}`);
  const target: AttachTarget = { kind, name: rest };
  if (kind === 'tracepoint') {
    const parts = rest.split(/[:/]/).filter(Boolean);
    if (parts.length > 2) throw new Error(`cannot read tracepoint "${text}": expected tracepoint:SYSTEM:EVENT`);
    if (parts.length === 2) {
      target.system = parts[0];
      target.name = parts[1];
    } else target.name = parts[0] ?? '';
  } else {
    // bpftrace `kprobe:module:function`; libbpf `kprobe/function+offset`.
    const parts = rest.split(':');
    rest = parts[parts.length - 1];
    target.name = rest.replace(/\+(0x[0-9a-fA-F]+|\d+)$/, '');
  }
  if (!target.name) throw new Error(`target "${text}" names no function or event`);
  if (/[*?]/.test(target.name) || /[*?]/.test(target.system ?? '')) target.pattern = true;
  else if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(target.name)) {
    throw new Error(`target "${text}": "${target.name}" is not a kernel symbol name`);
  }
  return target;
}

/** `tracepoint:sched:sched_switch`, the canonical spelling of a target. */
export function formatTarget(t: AttachTarget): string {
  return t.kind === 'tracepoint' && t.system ? `tracepoint:${t.system}:${t.name}` : `${t.kind}:${t.name}`;
}

/** The libbpf SEC() string for a target: `tp_btf/block_rq_issue`, `tracepoint/block/block_rq_issue`. */
export function sectionOf(target: AttachTarget): string {
  if (target.kind === 'tracepoint') return `tracepoint/${target.system ?? '?'}/${target.name}`;
  return `${target.kind}/${target.name}`;
}
