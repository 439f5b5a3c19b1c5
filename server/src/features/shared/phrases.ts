// The words the features use for a verdict: a few words per hazard on one kernel ("fully inlined",
// "only finish_task_switch.isra.0 exists"), and kernel lists that name each kernel once, grouped
// by what happens there. Diagnostics, code lenses and hovers all speak through here, so a hazard
// is called the same everywhere.

import type { Hazard } from '../../atlas/model';
import type { KernelVerdict } from '../../analysis/verdicts';
import { hasCompilerSuffix } from '../../model/symbols';

/** A few words for a hazard on one kernel. */
export function hazardPhrase(h: Hazard, v: KernelVerdict): string {
  const a = v.assessment;
  switch (h.name) {
    case 'absent': return 'absent';
    case 'fully-inlined': return 'fully inlined';
    case 'renamed': return a.attachAs ? `only ${a.attachAs} exists` : 'only a compiler-suffixed symbol exists';
    case 'kprobe-blacklist': return 'on the kprobe blacklist';
    case 'no-btf': return 'no BTF';
    case 'notrace': return 'notrace';
    case 'no-event': return 'raw tracepoint only';
    case 'init-only': return 'freed after boot';
    case 'kernel-config': return h.message.replace(/^.*?: /, '').replace(/\.$/, '');
    case 'partially-inlined':
      return a.inlinedSites !== undefined ? `partially inlined, ${a.inlinedSites} call site${a.inlinedSites === 1 ? '' : 's'} missed` : 'partially inlined';
    case 'clone': {
      const clones = (a.symbols ?? []).filter((s) => s !== a.attachAs && hasCompilerSuffix(s));
      return clones.length ? `clone ${clones[0]} missed` : 'a compiler clone missed';
    }
    case 'duplicate': return `${a.symbols?.length ?? 'several'} static functions share the name`;
    case 'unknown': return 'unknown';
    default: return h.name;
  }
}

/** Kernels grouped by phrase, in the order first met: [{phrase, kernels}]. */
export function groupByPhrase<T>(items: readonly T[], phraseOf: (item: T) => string | undefined, kernelOf: (item: T) => string): { phrase: string; kernels: string[] }[] {
  const groups: { phrase: string; kernels: string[] }[] = [];
  for (const item of items) {
    const phrase = phraseOf(item);
    if (phrase === undefined) continue;
    const g = groups.find((x) => x.phrase === phrase);
    if (g) g.kernels.push(kernelOf(item));
    else groups.push({ phrase, kernels: [kernelOf(item)] });
  }
  return groups;
}

/** `a`, `a and b`, `a, b and c`; past `max` names, `a, b and 3 more`. */
export function kernelList(kernels: readonly string[], max = 3): string {
  const shown = kernels.length > max ? [...kernels.slice(0, max - 1), `${kernels.length - (max - 1)} more`] : [...kernels];
  return shown.length <= 1 ? shown.join('') : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

/** `debian-12 (fully inlined)`, `debian-11 and debian-13 (absent)`: groups, each kernel once. */
export function groupedKernels(groups: readonly { phrase: string; kernels: string[] }[], max = 3): string {
  return groups.map((g) => (g.phrase ? `${kernelList(g.kernels, max)} (${g.phrase})` : kernelList(g.kernels, max))).join(', ');
}
