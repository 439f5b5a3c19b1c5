// Whether a program that cannot attach on a kernel matters there, given how the tool uses it
// (syntax/intent.ts): a program the loader switches off, or one of several alternatives of which
// the loader attaches the one that works, is not an error on a kernel where some path through the
// loader attaches everything it loads; the message says which alternative covers which kernel. A
// tail-call program, or one the loader attaches itself by a computed name, is not judged by its
// section at all. Pure, over the verdict path (verdicts.ts), memoised through it.

import type { AttachTarget } from '../atlas/model';
import type { BpfProgram } from '../syntax/cModel';
import type { IntentModel, ProgramChoice } from '../syntax/intent';
import type { LoaderSite } from '../syntax/loader';
import type { AnalysisContext } from './context';
import { programTarget } from './targets';
import { attachVerdicts } from './verdicts';

/** A program's standing on one kernel. */
export interface KernelStanding {
  /** Attaches by its section, or by a name the loader retargets it to. */
  attaches: boolean;
  /** The retarget name that attaches, when the section's own target does not. */
  via?: string;
  /** It does not attach, and need not: the programs that run instead (indexes), possibly none
   *  (the loader switches it off), and where the loader decides. */
  covered?: { by: number[]; site?: LoaderSite };
}

export type ProgramStandings = Map<string, KernelStanding>;

function attachesOn(target: AttachTarget, kernel: string, ctx: AnalysisContext): boolean {
  const v = attachVerdicts(target, ctx).kernels.find((k) => k.kernel === kernel);
  // A kernel the facts cannot judge is not held against the program.
  return !v || v.status !== 'error';
}

/** Per program (index) and target kernel: does it attach, and if not, is it covered. */
export function programStandings(programs: readonly BpfProgram[], intents: IntentModel, ctx: AnalysisContext): ProgramStandings[] {
  const targets = programs.map((p) => programTarget(p));
  const own: boolean[][] = programs.map((p, i) => ctx.targets.map((k) => {
    const t = targets[i];
    return !t || attachesOn(t, k, ctx);
  }));
  const via: (string | undefined)[][] = programs.map((p, i) => ctx.targets.map((k, ki) => {
    const t = targets[i];
    const names = intents.programs[i]?.retargets ?? [];
    if (!t || own[i][ki]) return undefined;
    return names.find((n) => attachesOn({ kind: t.kind, name: n }, k, ctx));
  }));
  const attaches = (i: number, ki: number) => own[i][ki] || via[i][ki] !== undefined;
  return programs.map((_p, i) => {
    const out: ProgramStandings = new Map();
    ctx.targets.forEach((k, ki) => {
      const s: KernelStanding = { attaches: attaches(i, ki) };
      if (via[i][ki]) s.via = via[i][ki];
      out.set(k, s);
    });
    return out;
  }).map((standings, i) => {
    ctx.targets.forEach((k, ki) => {
      const s = standings.get(k)!;
      if (s.attaches) return;
      const cover = coverOf(i, ki, intents.choices, attaches);
      if (cover) s.covered = cover;
    });
    return standings;
  });
}

/** A path through one of the loader's choices that switches `i` off and loads only programs that
 *  attach on kernel `ki`; the programs it loads instead. */
function coverOf(i: number, ki: number, choices: readonly ProgramChoice[], attaches: (i: number, ki: number) => boolean): { by: number[]; site?: LoaderSite } | undefined {
  // Among the choices that can switch `i` off, a viable path that attaches something instead
  // (names the alternative), else one that only switches it off.
  let fallback: { by: number[]; site?: LoaderSite } | undefined;
  for (const c of choices) {
    if (!c.members.includes(i)) continue;
    for (const off of c.configs) {
      if (!off.includes(i)) continue;
      const loaded = c.members.filter((m) => !off.includes(m));
      // Other failures in the same path are excused only by another choice: judged on their own.
      if (loaded.every((m) => attaches(m, ki) || (m !== i && switchedOffSomewhere(m, ki, choices, attaches, new Set([i]))))) {
        const by = loaded.filter((m) => attaches(m, ki));
        if (by.length) return { by, site: c.site };
        fallback ??= { by, site: c.site };
      }
    }
  }
  return fallback;
}

/** `m` can be switched off on kernel `ki` by a choice not involving the programs in `seen`. */
function switchedOffSomewhere(m: number, ki: number, choices: readonly ProgramChoice[], attaches: (i: number, ki: number) => boolean, seen: Set<number>): boolean {
  if (seen.has(m)) return false;
  seen.add(m);
  for (const c of choices) {
    if (!c.members.includes(m)) continue;
    for (const off of c.configs) {
      if (!off.includes(m)) continue;
      const loaded = c.members.filter((x) => !off.includes(x));
      if (loaded.every((x) => attaches(x, ki) || switchedOffSomewhere(x, ki, choices, attaches, seen))) return true;
    }
  }
  return false;
}

/** `tp_btf/block_io_start (line 79)` for messages. */
export function programLabel(p: BpfProgram): string {
  return `${p.section.replace(/^\?/, '')} (line ${p.secRange.start.line + 1})`;
}
