// What "go to definition" lands on: a generated, read-only C header per kernel (a slice of that
// kernel's vmlinux.h) declaring one function, tracepoint, LSM hook or syscall as that kernel has
// it, with a comment naming the kernel and where its facts come from. Kernels whose declaration
// is the same share one header; kernels that differ get one each, so an editor offers a choice
// (a kernel picker) exactly when the definition differs between targets. Pure: texts and the
// line to land on; writing the files is the server's (headerFiles.ts).

import { cDecl, type KernelMeta, type KernelQuery, renderProto, type TraceField } from '../model/facts';

/** What a header declares. Tracepoints: `system` narrows the lookup when given. */
export type HeaderSubject =
  | { kind: 'function'; name: string }
  | { kind: 'tracepoint'; name: string; system?: string }
  | { kind: 'lsm'; name: string }
  | { kind: 'syscall'; name: string };

/** Where to land in a header: the line of the declared name, and its column. */
export interface HeaderAnchor {
  line: number;
  character: number;
}

export interface KernelHeader {
  /** The kernels that declare the subject this way, in the order asked. */
  kernels: KernelMeta[];
  /** File name for the header: subject and kernels (`vfs_read@debian-12+ubuntu-22.04.h`; with
   *  more than three kernels `vfs_read@debian-12+4-more.h`). */
  fileName: string;
  text: string;
  /** The main declaration: the prototype, or a tracepoint's record struct. */
  anchor: HeaderAnchor;
  /** Tracepoints: the TP_PROTO typedef (`btf_trace_<name>`), what raw_tp / tp_btf receive. */
  protoAnchor?: HeaderAnchor;
}

/** The declaration body for one kernel, or undefined when the kernel does not have the subject. */
function declaration(subject: HeaderSubject, k: KernelQuery): string[] | undefined {
  switch (subject.kind) {
    case 'function': {
      const fn = k.fn(subject.name);
      if (!fn) return undefined;
      const lines: string[] = [];
      const symbols = fn.symbols.length ? fn.symbols.join(', ') : 'none';
      lines.push(`/* symbols in kallsyms: ${symbols}${fn.module ? `; module ${fn.module}` : ''} */`);
      if (fn.proto) lines.push(`extern ${renderProto(fn.name, fn.proto)};`);
      else lines.push(`/* no prototype: this kernel's BTF has no FUNC ${fn.name} */`, `extern void ${fn.name}(); /* declared without its parameters */`);
      return lines;
    }
    case 'lsm': {
      const hook = k.lsmHook(subject.name);
      if (!hook) return undefined;
      const name = `bpf_lsm_${hook.name}`;
      return hook.proto
        ? [`/* LSM hook ${hook.name}: what SEC("lsm/${hook.name}") programs receive */`, `extern ${renderProto(name, hook.proto)};`]
        : [`/* LSM hook ${hook.name}: no prototype in this kernel's BTF */`, `extern int ${name}();`];
    }
    case 'syscall': {
      const sc = k.syscall(subject.name);
      if (!sc) return undefined;
      const params = sc.args.map((a) => cDecl(a.type, a.name)).join(', ') || 'void';
      return [`/* system call ${sc.name}${sc.nr !== undefined ? ` (number ${sc.nr})` : ''}: its arguments as SYSCALL_DEFINE declares them */`, `long sys_${sc.name}(${params});`];
    }
    case 'tracepoint': {
      const tp = k.tracepoint(subject.name, subject.system);
      if (!tp) return undefined;
      const lines: string[] = [];
      const where = tp.system ? `${tp.system}/${tp.name}` : tp.name;
      lines.push(`/* tracepoint ${where}${tp.template && tp.template !== tp.name ? `, event class ${tp.template}` : ''}${tp.module ? `, module ${tp.module}` : ''} */`);
      if (tp.fields) {
        lines.push('', '/* The record SEC("tracepoint/…") programs read through ctx. */', `struct trace_event_raw_${tp.template ?? tp.name} {`, '\tstruct trace_entry ent;');
        for (const f of tp.fields) lines.push(`\t${cDecl(f.type, f.name)};${fieldPlace(f)}`);
        lines.push('\tchar __data[0];', '};');
      } else if (tp.event) {
        lines.push('', '/* the record fields of this event are not known for this kernel */');
      }
      if (tp.args) {
        const params = ['void *__data', ...tp.args.map((a) => cDecl(a.type, a.name))].join(', ');
        lines.push('', '/* TP_PROTO: what SEC("tp_btf/…") and SEC("raw_tp/…") programs receive. */', `typedef void (*btf_trace_${tp.name})(${params});`);
      }
      if (tp.fmt) lines.push('', `/* print fmt: ${tp.fmt.replace(/\*\//g, '*\\/')} */`);
      return lines;
    }
  }
}

function fieldPlace(f: TraceField): string {
  if (f.offset === undefined) return '';
  return `\t/* offset ${f.offset}${f.size !== undefined ? `, size ${f.size}` : ''} */`;
}

function describeKernel(m: KernelMeta): string {
  return `${m.id} (${m.release})`;
}

/** Finds the first line whose text contains `needle` at or after `from`; its line and column. */
function anchorOf(lines: readonly string[], needle: string | RegExp, from = 0): HeaderAnchor | undefined {
  for (let i = from; i < lines.length; i++) {
    const m = typeof needle === 'string' ? lines[i].indexOf(needle) : lines[i].search(needle);
    if (m >= 0) return { line: i, character: m };
  }
  return undefined;
}

function fileSafe(s: string): string {
  return s.replace(/[^\w.+-]+/g, '_');
}

/**
 * The headers for `subject` over `kernels` (the target kernels, in order): one per distinct
 * declaration. Kernels that do not have the subject get none; an empty list means no target has it.
 */
export function kernelHeaders(subject: HeaderSubject, kernels: readonly KernelQuery[]): KernelHeader[] {
  const groups = new Map<string, { kernels: KernelMeta[]; body: string[] }>();
  for (const k of kernels) {
    const body = declaration(subject, k);
    if (!body) continue;
    const key = body.join('\n');
    const group = groups.get(key);
    if (group) group.kernels.push(k.meta);
    else groups.set(key, { kernels: [k.meta], body });
  }
  const what = subject.kind === 'tracepoint' && subject.system ? `${subject.system}/${subject.name}` : subject.name;
  return [...groups.values()].map(({ kernels: metas, body }) => {
    const head = [
      `/* bpf-atlas: ${subject.kind} ${what} as declared on ${metas.map(describeKernel).join(', ')}.`,
      ' * Generated from the kernel facts, read-only; the kernels\' facts come from:',
      ...metas.map((m) => ` *   ${m.id}: ${m.provenance.replace(/\*\//g, '*\\/')}`),
      ' */',
      '#pragma once',
      '',
    ];
    const lines = [...head, ...body, ''];
    const name = subject.kind === 'tracepoint' ? subject.name : subject.kind === 'lsm' ? `bpf_lsm_${subject.name}` : subject.kind === 'syscall' ? `sys_${subject.name}` : subject.name;
    const start = head.length;
    const record = subject.kind === 'tracepoint' ? anchorOf(lines, /struct trace_event_raw_\w+ \{/, start) : undefined;
    const proto = subject.kind === 'tracepoint' ? anchorOf(lines, `btf_trace_${subject.name}`, start) : undefined;
    const decl = anchorOf(lines, new RegExp(`\\b${name.replace(/[.$]/g, '\\$&')}\\(`), start);
    const anchor = record ? { line: record.line, character: record.character + 'struct '.length }
      : proto ?? decl ?? { line: start, character: 0 };
    // Each kernel is in one group only, so the first kernel's id tells the groups apart.
    const ids = metas.length <= 3 ? metas.map((m) => fileSafe(m.id)).join('+') : `${fileSafe(metas[0].id)}+${metas.length - 1}-more`;
    return {
      kernels: metas,
      fileName: `${fileSafe(subject.name)}@${ids}.h`,
      text: lines.join('\n'),
      anchor,
      protoAnchor: proto,
    };
  });
}
