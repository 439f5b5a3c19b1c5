// Advice for a renamed function: where only compiler-suffixed symbols exist (`finish_task_switch
// .isra.0`), or clones sit beside the plain symbol, what to attach to instead: the exact symbol
// when every target has it, else a glob that catches the copies (kprobe.multi, bpftrace).

import type { AttachTarget } from '../atlas/model';
import { baseName, hasCompilerSuffix, preferredSymbol } from '../model/symbols';
import type { AnalysisContext } from './context';
import { matchFunctionGlob } from './globs';
import type { KernelVerdict } from './verdicts';

/** Where only compiler-suffixed symbols exist, or clones sit beside the plain symbol: what to
 *  attach to instead. */
export interface RenameAdvice {
  /** Kernels that need the suffixed name, with that name. */
  perKernel: { kernel: string; symbol: string }[];
  /** One exact symbol that every target has, when there is one. */
  exact?: string;
  /** A glob for kprobe.multi that catches the plain name and its clones on every target. */
  pattern: string;
  /** Symbols the pattern matches on each target (names, attachable ones only). */
  patternMatches: { kernel: string; symbols: string[] }[];
}

export function renameAdvice(target: AttachTarget, ctx: AnalysisContext, kernels: readonly KernelVerdict[]): RenameAdvice | undefined {
  if (!(target.kind === 'kprobe' || target.kind === 'kretprobe' || target.kind === 'kprobe.session')) return undefined;
  const suffixed = hasCompilerSuffix(target.name);
  const base = baseName(target.name);
  const perKernel: { kernel: string; symbol: string }[] = [];
  for (const k of kernels) {
    if (k.hazards.some((h) => h.name === 'renamed')) {
      perKernel.push({ kernel: k.kernel, symbol: k.assessment.attachAs ?? k.assessment.symbols?.[0] ?? target.name });
    } else if (suffixed && !k.assessment.found) {
      // `kprobe/name.isra.0` on a kernel whose compiler made another (or no) copy.
      let sym: string | undefined;
      try {
        sym = preferredSymbol(base, ctx.atlas.get(k.kernel).fn(base)?.symbols ?? []);
      } catch {
        sym = undefined;
      }
      if (sym) perKernel.push({ kernel: k.kernel, symbol: sym });
    }
  }
  // Plain symbol plus clones (`should_failslab` + `.constprop.0`): no single symbol covers both,
  // only a glob does.
  const clonedOn = kernels.filter((k) => k.hazards.some((h) => h.name === 'clone'));
  if (!perKernel.length && !clonedOn.length) return undefined;
  const candidates = [...new Set([...perKernel.map((p) => p.symbol), base])].filter((sym) => sym !== target.name);
  let exact: string | undefined;
  for (const sym of candidates) {
    const everywhere = ctx.targets.every((id) => {
      try {
        return ctx.atlas.get(id).hasSymbol(sym);
      } catch {
        return false;
      }
    });
    if (everywhere) { exact = sym; break; }
  }
  if (!perKernel.length) exact = undefined;
  const pattern = `${base}*`;
  const patternMatches = ctx.targets.map((id) => {
    try {
      return { kernel: id, symbols: matchFunctionGlob(ctx, ctx.atlas.get(id), pattern, 'libbpf', 20, { count: false }).symbols };
    } catch {
      return { kernel: id, symbols: [] };
    }
  });
  return { perKernel, exact, pattern, patternMatches };
}
