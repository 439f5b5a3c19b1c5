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
        const needsCertainty = t.kind === 'fentry' || t.kind === 'fexit';
        if (check.ok && (!needsCertainty || check.perKernel.every((a) => !a.hazards.some((h) => h.name === 'unknown')))) {
          add({ target: t, reason: row.strength, perKernel: check.perKernel, note: `Real tools use ${alt.kind}/${alt.name} instead: ${row.evidence}.`,
            since: alt.since ?? row.since, caveat: row.caveat, evidence: row.evidence, source: row.source });
        }
      }
    }
  }
}

/** Stable alternatives of one target on every target kernel, and those present on some only. */
export function findAlternatives(target: AttachTarget, ctx: AnalysisContext): { alternatives: StableAlternative[]; partialAlternatives: PartialAlternative[] } {
  const alternatives: StableAlternative[] = [];
  const partialAlternatives: PartialAlternative[] = [];
  if (target.pattern) return { alternatives, partialAlternatives };
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
    const trustworthy = check.ok && check.perKernel.every((a) => !a.hazards.some((h) => h.name === 'unknown'));
    if (trustworthy) {
      add({
        target: t, reason: kind, perKernel: check.perKernel,
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
  return { alternatives, partialAlternatives };
}
