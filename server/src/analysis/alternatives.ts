// Stable alternatives for one attach target: hooks that attach without an error or warning on
// every target kernel (the equivalent tracepoints real tools use, from the knowledge tables;
// fentry/fexit instead of a kprobe; ksyscall instead of a syscall wrapper; tp_btf instead of a raw
// tracepoint), and equivalents that exist on some targets only.

import type { Assessment, AttachKind, AttachTarget } from '../atlas/model';
import type { Equivalent } from '../knowledge/types';
import { isFunctionKind } from '../model/programKinds';
import type { AnalysisContext } from './context';
import { assessOn, relevantHazards } from './verdicts';

export type AlternativeReason = 'equivalent' | 'related' | 'fentry' | 'fexit' | 'ksyscall' | 'btf-tracepoint';

/** A stable hook that can replace the target on every target kernel. */
export interface StableAlternative {
  target: AttachTarget;
  reason: AlternativeReason;
  /** Why it is offered, one line. */
  note: string;
  since?: string;
  caveat?: string;
  evidence?: string;
  source?: string;
  /** Its assessment on each target kernel, in target order. */
  perKernel: Assessment[];
}

/** An equivalent that exists on some targets only (e.g. `block:block_io_start` from 6.5). */
export interface PartialAlternative {
  target: AttachTarget;
  presentOn: string[];
  missingOn: string[];
  since?: string;
  caveat?: string;
  evidence?: string;
}

/** Attachable without an error or warning on every target (unknown facts do not disqualify). */
function onEveryTarget(ctx: AnalysisContext, target: AttachTarget): { ok: boolean; perKernel: Assessment[]; presentOn: string[]; missingOn: string[] } {
  const perKernel = ctx.targets.map((id) => assessOn(ctx, id, target));
  const presentOn: string[] = [];
  const missingOn: string[] = [];
  perKernel.forEach((a, i) => {
    const hazards = relevantHazards(target.kind, a.hazards);
    // A replacement that silently misses calls (partially inlined, clones) is no better.
    const fails = !a.found || !a.attachable || hazards.some((h) => h.severity === 'error' || h.severity === 'warning');
    (fails ? missingOn : presentOn).push(ctx.targets[i]);
  });
  return { ok: missingOn.length === 0 && perKernel.length > 0, perKernel, presentOn, missingOn };
}

/** Whether a BTF trampoline (fentry/fexit) can be promised on every target: the function is in
 *  each kernel's BTF with a prototype, and nothing the atlas cannot tell bears on BTF membership.
 *  A kernel whose ftrace sites are not readable (the running kernel for a normal user) leaves the
 *  site unknown: the alternative is still offered, with that caveat, because notrace functions are
 *  few and the fentry of the very function is the closest equivalent there is. */
function trampolinePromise(target: AttachTarget, perKernel: readonly Assessment[], kernels: readonly string[]): { ok: boolean; caveat?: string } {
  const unsure: string[] = [];
  for (let i = 0; i < perKernel.length; i++) {
    const a = perKernel[i];
    if (!a.proto) return { ok: false };
    const unknown = a.hazards.filter((h) => h.name === 'unknown').map((h) => h.message).join(' ');
    if (/\bBTF\b|inline status|no facts/.test(unknown)) return { ok: false };
    if (/ftrace site/.test(unknown)) unsure.push(kernels[i]);
  }
  return unsure.length
    ? { ok: true, caveat: `${target.kind} needs an ftrace site for ${target.name}, which ${unsure.join(', ')} does not let this user read (it is there unless the function is notrace).` }
    : { ok: true };
}

/** A syscall tracepoint of the other direction is no equivalent: `sys_exit_read` does not stand in
 *  for a probe on the entry of vfs_read. */
function wrongDirection(entry: boolean, name: string): boolean {
  return entry ? /^sys_exit_/.test(name) : /^sys_enter_/.test(name);
}

function sameTarget(a: AttachTarget, b: AttachTarget): boolean {
  return a.kind === b.kind && a.name === b.name && (a.system ?? '') === (b.system ?? '');
}

/** The tracepoint form that works on every target: tp_btf when all have BTF for it, else the
 *  classic trace event. */
function bestTracepointForm(ctx: AnalysisContext, name: string, system: string | undefined) {
  const btf = onEveryTarget(ctx, { kind: 'tp_btf', name });
  if (btf.ok) return { target: { kind: 'tp_btf' as AttachKind, name }, check: btf };
  const classic = onEveryTarget(ctx, { kind: 'tracepoint', name, system });
  if (classic.ok) return { target: { kind: 'tracepoint' as AttachKind, name, system: system ?? classic.perKernel.find((a) => a.system)?.system }, check: classic };
  return { target: undefined, check: classic };
}

/** Knowledge rows for a function; a broken knowledge file (reported by its loader elsewhere)
 *  leaves the report without them rather than failing it. */
function equivalentsOf(ctx: AnalysisContext, name: string): readonly Equivalent[] {
  try {
    return ctx.knowledge.equivalentsFor(name);
  } catch {
    return [];
  }
}

const SYSCALL_WRAPPER = /^__(?:x64|ia32|arm64|s390x|riscv|powerpc|se)_sys_(\w+)$/;

/** The syscall a kprobe on an arch wrapper (`__x64_sys_openat`) stands for. */
export function syscallOfWrapper(name: string): string | undefined {
  return SYSCALL_WRAPPER.exec(name)?.[1];
}

/** The knowledge rows' alternatives for a function: stable on every target (added), or present on
 *  some targets only (partial). */
function knowledgeAlternatives(target: AttachTarget, ctx: AnalysisContext, add: (alt: StableAlternative) => void,
  partialAlternatives: PartialAlternative[]): void {
  for (const row of equivalentsOf(ctx, target.name)) {
    for (const alt of row.alternative) {
      // Asked for function entries only (findAlternatives).
      if (wrongDirection(true, alt.name)) continue;
      if (alt.kind === 'tracepoint' || alt.kind === 'tp_btf' || alt.kind === 'raw_tp') {
        const best = bestTracepointForm(ctx, alt.name, alt.system);
        if (best.target) {
          add({
            target: best.target, reason: row.strength, perKernel: best.check.perKernel,
            note: row.strength === 'equivalent'
              ? `Real tools use the ${alt.system ? `${alt.system}:` : ''}${alt.name} tracepoint instead: ${row.evidence}.`
              : `Related tracepoint ${alt.system ? `${alt.system}:` : ''}${alt.name} (approximate semantics).`,
            since: alt.since ?? row.since, caveat: row.caveat, evidence: row.evidence, source: row.source,
          });
        } else if (best.check.presentOn.length && !partialAlternatives.some((p) => p.target.name === alt.name && p.target.system === alt.system)) {
          partialAlternatives.push({
            target: { kind: 'tracepoint', name: alt.name, system: alt.system },
            presentOn: best.check.presentOn, missingOn: best.check.missingOn,
            since: alt.since ?? row.since, caveat: row.caveat, evidence: row.evidence,
          });
        }
      } else {
        const t: AttachTarget = { kind: alt.kind, name: alt.name, system: alt.system };
        const check = onEveryTarget(ctx, t);
        // A BTF trampoline is only promised where the atlas knows the ftrace site and BTF.
        const promise = t.kind === 'fentry' || t.kind === 'fexit' ? trampolinePromise(t, check.perKernel, ctx.targets) : { ok: true };
        if (check.ok && promise.ok) {
          add({ target: t, reason: row.strength, perKernel: check.perKernel, note: `Real tools use ${alt.kind}/${alt.name} instead: ${row.evidence}.`,
            since: alt.since ?? row.since, caveat: [row.caveat, promise.caveat].filter(Boolean).join(' ') || undefined, evidence: row.evidence, source: row.source });
        }
      }
    }
  }
}

/** Stable alternatives of one target on every target kernel, and those present on some only. */
export function findAlternatives(target: AttachTarget, ctx: AnalysisContext): { alternatives: StableAlternative[]; partialAlternatives: PartialAlternative[] } {
  const alternatives: StableAlternative[] = [];
  const partialAlternatives: PartialAlternative[] = [];
  if (target.pattern || target.unexpandedGlob) return { alternatives, partialAlternatives };
  const add = (alt: StableAlternative) => {
    if (sameTarget(alt.target, target)) return;
    if (!alternatives.some((a) => sameTarget(a.target, alt.target))) alternatives.push(alt);
  };
  const isEntry = target.kind === 'kprobe' || target.kind === 'fentry' || target.kind === 'kprobe.session';

  // A kprobe on a syscall's arch wrapper: libbpf's ksyscall resolves the wrapper itself.
  const syscall = (target.kind === 'kprobe' || target.kind === 'kretprobe') ? syscallOfWrapper(target.name) : undefined;
  if (syscall) {
    const ks: AttachTarget = { kind: target.kind === 'kprobe' ? 'ksyscall' : 'kretsyscall', name: syscall };
    const check = onEveryTarget(ctx, ks);
    if (check.ok) {
      add({
        target: ks, reason: 'ksyscall', perKernel: check.perKernel,
        note: `libbpf resolves the architecture's syscall wrapper (${target.name} on x86-64) and reads the arguments portably with BPF_KSYSCALL.`,
      });
    }
  }

  // Knowledge rows: tracepoints that real tools use instead of this function.
  if (isEntry && isFunctionKind(target.kind)) knowledgeAlternatives(target, ctx, add, partialAlternatives);

  // fentry/fexit instead of kprobe/kretprobe where every target has BTF and an ftrace site.
  if ((target.kind === 'kprobe' || target.kind === 'kretprobe') && !syscall) {
    const kind: AttachKind = target.kind === 'kprobe' ? 'fentry' : 'fexit';
    const t: AttachTarget = { kind, name: target.name };
    const check = onEveryTarget(ctx, t);
    const promise = trampolinePromise(t, check.perKernel, ctx.targets);
    if (check.ok && promise.ok) {
      add({
        target: t, reason: kind, perKernel: check.perKernel, caveat: promise.caveat,
        note: `${kind} attaches through BTF on every target, costs about 2-5x less than a kprobe and gives typed arguments.`,
      });
    }
  }

  // raw_tp → tp_btf where BTF is everywhere (typed arguments, same cost).
  if (target.kind === 'raw_tp') {
    const check = onEveryTarget(ctx, { kind: 'tp_btf', name: target.name });
    if (check.ok) {
      add({ target: { kind: 'tp_btf', name: target.name }, reason: 'btf-tracepoint', perKernel: check.perKernel,
        note: 'tp_btf gives the same arguments typed through BTF, and direct pointer access.' });
    }
  }
  // Same-function equivalents before related hooks with other semantics (a syscall tracepoint
  // for vfs_read sees read(2) only): the fentry of the very function comes first.
  const order = (a: StableAlternative) => (a.reason === 'equivalent' ? 0 : a.reason === 'related' ? 2 : 1);
  alternatives.sort((a, b) => order(a) - order(b));
  return { alternatives, partialAlternatives };
}
