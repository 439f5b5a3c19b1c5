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
import type { LoaderGuard } from '../syntax/loader';
import { kernelCheckAnswer } from './bccChecks';
import { targetKey } from './cache';
import type { AnalysisContext } from './context';
import { kernelOf } from './kernels';
import { programTarget } from './targets';
import { attachVerdicts, type KernelVerdict } from './verdicts';

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
  return attaches(attachVerdicts(target, ctx).kernels.find((k) => k.kernel === kernel));
}

/** A kernel's verdict lets the program attach; a kernel the facts cannot judge is not held
 *  against the program. */
function attaches(v: KernelVerdict | undefined): boolean {
  return !v || v.status !== 'error';
}

/** attachesOn for each target kernel, in ctx.targets order, from one lookup of the verdicts (a
 *  lookup per kernel made a 1,000-program file cost 30,000 of them per diagnostics run). */
function attachesOnEach(target: AttachTarget, ctx: AnalysisContext): boolean[] {
  const kernels = attachVerdicts(target, ctx).kernels;
  return ctx.targets.map((id, i) => attaches(kernels[i]?.kernel === id ? kernels[i] : kernels.find((k) => k.kernel === id)));
}

/** Per program (index) and target kernel: does it attach, and if not, is it covered. Memoised on
 *  all it reads (the programs' targets and retargets, the loader's choices, the target kernels as
 *  loaded): an edit inside a handler body changes none of them, and working them out again cost a
 *  1,000-program document ~20 ms a run. Shared between runs: do not modify. */
export function programStandings(programs: readonly BpfProgram[], intents: IntentModel, ctx: AnalysisContext): ProgramStandings[] {
  const targets = programs.map((p) => programTarget(p));
  const key = `${ctx.cache.kernelsKey(ctx.atlas, ctx.targets)}|${JSON.stringify([
    targets.map((t) => (t ? targetKey(t) : null)), intents.programs.map((p) => p?.retargets ?? null), intents.choices,
  ])}`;
  const memo = ctx.cache.table<{ v: ProgramStandings[] }>('program-standings', STANDINGS_ENTRIES);
  let hit = memo.get(key);
  if (!hit) {
    hit = { v: computeStandings(programs, targets, intents, ctx) };
    memo.set(key, hit);
  }
  return hit.v;
}

/** Whole-document entries: a few documents' current versions (an entry of a 1,000-program
 *  document over 30 kernels holds 30,000 standings; typing in a SEC("...") makes a new key on
 *  each keystroke). */
const STANDINGS_ENTRIES = 8;

function computeStandings(programs: readonly BpfProgram[], targets: readonly (AttachTarget | undefined)[], intents: IntentModel,
  ctx: AnalysisContext): ProgramStandings[] {
  const own: boolean[][] = targets.map((t) => t ? attachesOnEach(t, ctx) : ctx.targets.map(() => true));
  const via: (string | undefined)[][] = programs.map((p, i) => ctx.targets.map((k, ki) => {
    const t = targets[i];
    const names = intents.programs[i]?.retargets ?? [];
    if (!t || own[i][ki]) return undefined;
    return names.find((n) => attachesOn({ kind: t.kind, name: n }, k, ctx));
  }));
  const attaches = (i: number, ki: number) => own[i][ki] || via[i][ki] !== undefined;
  const paths = choicePaths(intents.choices);
  const offable = switchableOff(programs.length, paths, attaches);
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
      // The kernel's answers decide first; the message names what runs instead where it can.
      const decided = decidedOff(i, k, ki, intents.choices, attaches, ctx);
      const viable = coverOf(i, ki, paths, attaches, offable);
      const cover = [decided, viable].find((c) => c?.by.length) ?? decided ?? viable;
      if (cover) s.covered = cover;
    });
    return standings;
  });
}

/** A path the kernel's own answers to the loader's checks rule out (a check the facts cannot
 *  answer rules nothing out). */
function ruledOut(guards: readonly LoaderGuard[] | undefined, kernel: string, ctx: AnalysisContext): boolean {
  if (!guards?.length) return false;
  const k = kernelOf(ctx, kernel);
  if (!k) return false;
  return guards.some((g) => {
    const answer = ctx.cache.remember('loader-guard', `${ctx.cache.instanceId(k)}|${g.check}|${g.args.join('|')}`, () => ({ v: kernelCheckAnswer(k, { check: g.check, args: g.args, text: '', range: NO_RANGE }) })).v;
    return answer !== undefined && answer !== g.value;
  });
}

const NO_RANGE = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** `i` is switched off on kernel `ki` by a choice whose every path the kernel's answers leave open
 *  switches it off (biosnoop's `tracepoint_exists("block", "block_io_start")` is false on 6.1, so
 *  its tp_btf program is off there): it need not attach, whatever the programs loaded instead do
 *  (their own failures are reported on them). */
function decidedOff(i: number, kernel: string, ki: number, choices: readonly ProgramChoice[], attaches: (i: number, ki: number) => boolean,
  ctx: AnalysisContext): { by: number[]; site?: LoaderSite } | undefined {
  let off: { by: number[]; site?: LoaderSite } | undefined;
  for (const c of choices) {
    if (!c.members.includes(i) || !c.guards) continue;
    const open = c.configs.map((cfg, n) => ({ cfg, n })).filter(({ n }) => !ruledOut(c.guards![n], kernel, ctx));
    // Only a choice the kernel's answers narrowed decides; otherwise coverOf judges the paths.
    if (!open.length || open.length === c.configs.length) continue;
    if (open.every(({ cfg }) => cfg.includes(i))) {
      const loaded = c.members.filter((m) => open.some(({ cfg }) => !cfg.includes(m)));
      const by = loaded.filter((m) => attaches(m, ki));
      if (by.length) return { by, site: c.site };
      off ??= { by, site: c.site };
    }
  }
  return off;
}

/** One path through one of the loader's choices: the programs it switches off and those it loads. */
interface ChoicePath { choice: ProgramChoice; off: Set<number>; loaded: number[] }

function choicePaths(choices: readonly ProgramChoice[]): ChoicePath[] {
  return choices.flatMap((choice) => choice.configs.map((cfg) => {
    const off = new Set(cfg.filter((m) => choice.members.includes(m)));
    return { choice, off, loaded: choice.members.filter((m) => !off.has(m)) };
  }));
}

/** A path through one of the loader's choices that switches `i` off and loads only programs that
 *  attach on kernel `ki`; the programs it loads instead. */
function coverOf(i: number, ki: number, paths: readonly ChoicePath[], attaches: (i: number, ki: number) => boolean,
  offable: (m: number, ki: number) => boolean): { by: number[]; site?: LoaderSite } | undefined {
  // Among the paths that switch `i` off, a viable one that attaches something instead (names the
  // alternative), else one that only switches it off.
  let fallback: { by: number[]; site?: LoaderSite } | undefined;
  for (const { choice, off, loaded } of paths) {
    if (!off.has(i)) continue;
    // Other failures in the same path are excused only by another choice: judged on their own.
    if (loaded.every((m) => attaches(m, ki) || (m !== i && offable(m, ki)))) {
      const by = loaded.filter((m) => attaches(m, ki));
      if (by.length) return { by, site: choice.site };
      fallback ??= { by, site: choice.site };
    }
  }
  return fallback;
}

/** Which programs some choice of the loader can switch off on kernel `ki` along a path whose
 *  loaded programs all attach there or are switched off in turn: the least fixed point, computed
 *  once per kernel (a program is added only when its path is settled without it, so no path
 *  excuses itself). Linear passes over the paths, never a search per program: a document of
 *  hundreds of same-hook programs (copies of a tool) stays fast. */
function switchableOff(count: number, paths: readonly ChoicePath[], attaches: (i: number, ki: number) => boolean): (m: number, ki: number) => boolean {
  const perKernel = new Map<number, Uint8Array>();
  return (m, ki) => {
    let set = perKernel.get(ki);
    if (!set) {
      const s = new Uint8Array(count);
      for (let changed = true; changed;) {
        changed = false;
        for (const p of paths) {
          if ([...p.off].every((x) => s[x]) || !p.loaded.every((x) => attaches(x, ki) || s[x])) continue;
          for (const x of p.off) if (!s[x]) { s[x] = 1; changed = true; }
        }
      }
      perKernel.set(ki, set = s);
    }
    return set[m] === 1;
  };
}

/** `tp_btf/block_io_start (line 79)` for messages. */
export function programLabel(p: BpfProgram): string {
  return `${p.section.replace(/^\?/, '')} (line ${p.secRange.start.line + 1})`;
}
