// The words the features use for a verdict: a few words per hazard on one kernel ("fully inlined",
// "only finish_task_switch.isra.0 exists"), and kernel lists that name each kernel once, grouped
// by what happens there. Diagnostics, code lenses and hovers all speak through here, so a hazard
// is called the same everywhere.

import type { Hazard } from '../../atlas/model';
import { verdictLabel, verdictLine, verdictText, type AttachVerdicts, type KernelVerdict } from '../../analysis/verdicts';
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

/** The per-kernel lines of verdicts (verdictLine), kernels whose lines say the same thing once
 *  each one's own id is set aside made into one line that names every one of them:
 *  `debian-11 (5.10), ubuntu-16.04 (4.4) and live: unknown: Function x() is not in the vmlinux of
 *  each kernel; ...`. A kernel whose line is its own keeps it word for word; groups come in the
 *  order of their first kernel. Over 30 targets most kernels say the same thing, and a line per
 *  kernel made a 1,000-program file's diagnostics 7 MB (19,000 related lines). */
export function verdictLines(verdicts: readonly KernelVerdict[]): string[] {
  const groups = groupByPhrase(verdicts.map((v, i) => ({ v, i })), ({ v }) => withoutOwnId(verdictText(v), v.kernel), ({ i }) => String(i));
  return groups.map((g) => {
    const members = g.kernels.map((i) => verdicts[Number(i)]);
    return members.length === 1
      ? verdictLine(members[0])
      : `${kernelList(members.map(verdictLabel), Infinity)}: ${g.phrase.split(OWN_ID).join('each kernel')}`;
  });
}

/** Stands for the kernel's own id in a line being grouped (never in a message). */
const OWN_ID = '\u0000';

/** `text` with each whole-word mention of `id` as OWN_ID. A word that only looks like the id (the
 *  id `live` in "it may live in a module") is set aside too, but then that kernel's line matches
 *  no other kernel's (theirs keep the word) and stays its own. */
function withoutOwnId(text: string, id: string): string {
  return text.replace(new RegExp(`(?<![\\w.-])${escapeRegex(id)}(?![\\w-]|\\.\\w)`, 'g'), OWN_ID);
}

/** `s` matched literally inside a RegExp. */
export const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `a`, `a and b`, `a, b and c`; more than one past `max` names: `a, b and 3 more`. */
export function kernelList(kernels: readonly string[], max = 3): string {
  const shown = kernels.length > max + 1 ? [...kernels.slice(0, Math.max(1, max)), `${kernels.length - Math.max(1, max)} more`] : [...kernels];
  return shown.length <= 1 ? shown.join('') : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

/** `debian-12 (fully inlined)`, `debian-11 and debian-13 (absent)`: groups, each kernel once. */
export function groupedKernels(groups: readonly { phrase: string; kernels: string[] }[], max = 3): string {
  return groups.map((g) => (g.phrase ? `${kernelList(g.kernels, max)} (${g.phrase})` : kernelList(g.kernels, max))).join(', ');
}

// ---- availability over the targets ----

/** A kernel attaches when the program can attach there: not an error, and the atlas says so
 *  (a name the atlas cannot find but cannot rule out either is `unknown`, not attaching). */
function attaches(k: KernelVerdict): boolean {
  return k.status !== 'error' && k.assessment.attachable;
}

/** Why a kernel lands where it does, in a few words: its worst hazards of `severity`. */
function reasons(k: KernelVerdict, severity: 'error' | 'warning'): string | undefined {
  const hs = k.hazards.filter((h) => h.severity === severity);
  return hs.length ? hs.map((h) => hazardPhrase(h, k)).join(', ') : undefined;
}

const DIFFERENCE_PHRASE: Partial<Record<string, string>> = {
  'args-changed': 'arguments differ',
  'fields-changed': 'record fields differ',
  'signature-changed': 'the prototype differs',
};

/** Where a target attaches over the target kernels, in one line, each kernel named once: the
 *  code lens title and a resolved completion item's detail (`attaches on 2/4 targets · fails on
 *  debian-12 (fully inlined) · misses calls on ubuntu-22.04 (partially inlined)`). */
export function availabilityTitle(v: AttachVerdicts): string {
  const n = v.kernels.length;
  if (!n) return 'no target kernel';
  const ok = v.kernels.filter(attaches);
  const failing = v.kernels.filter((k) => k.status === 'error');
  const unknown = v.kernels.filter((k) => k.status !== 'error' && !k.assessment.attachable);
  const degraded = ok.filter((k) => k.status === 'warning');
  const failGroups = groupByPhrase(failing, (k) => reasons(k, 'error') ?? 'fails', (k) => k.kernel);
  let head: string;
  if (n === 1) {
    const only = v.kernels[0].kernel;
    head = ok.length ? `attaches on ${only}` : failing.length ? `does not attach on ${only} (${failGroups[0].phrase})` : `unknown on ${only}`;
  } else {
    head = ok.length === n ? `attaches on all ${n} targets` : `attaches on ${ok.length}/${n} targets`;
  }
  const parts = [head];
  if (n > 1 && failing.length) parts.push(`fails on ${groupedKernels(failGroups, 2)}`);
  if (degraded.length) parts.push(`misses calls on ${groupedKernels(groupByPhrase(degraded, (k) => reasons(k, 'warning') ?? '', (k) => k.kernel), 2)}`);
  const difference = v.differences[0];
  if (difference) parts.push(`${DIFFERENCE_PHRASE[difference.hazard] ?? 'the hook differs'} between targets`);
  if (n > 1 && unknown.length) parts.push(`unknown on ${groupedKernels([{ phrase: '', kernels: unknown.map((k) => k.kernel) }], 2)}`);
  return parts.join(' · ');
}

// ---- diagnostic messages ----

/** A diagnostic message is one plain sentence of at most this many characters; what does not fit
 *  (per-kernel detail, notes, reports) goes to related information and the hover. */
export const MAX_MESSAGE = 200;

/** Whether `message` names each of `kernels` at most once (as a whole id: `ubuntu-20.04` is not
 *  counted inside `ubuntu-20.04-arm64`). */
export function namesEachOnce(message: string, kernels: readonly string[]): boolean {
  return kernels.every((id) => (message.match(new RegExp(`(?<![\\w.-])${id.replace(/[.]/g, '\\.')}(?![\\w-]|\\.\\d)`, 'g')) ?? []).length <= 1);
}

/** Like fitMessage, for texts built elsewhere: the first variant that fits and names each of
 *  `kernels` at most once. */
export function fitMessageNaming(kernels: readonly string[], ...variants: string[]): string {
  return fitMessage(...variants.filter((v, i) => i === variants.length - 1 || namesEachOnce(v, kernels)));
}

/** The first variant that fits MAX_MESSAGE, the variants going from the most to the least detailed;
 *  the last one is cut at a word when even it is too long (a pathological name). */
export function fitMessage(...variants: string[]): string {
  for (const v of variants) if (v.length <= MAX_MESSAGE) return v;
  const last = variants[variants.length - 1] ?? '';
  const cut = last.slice(0, MAX_MESSAGE - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > MAX_MESSAGE / 2 ? cut.slice(0, space) : cut}…`;
}

/** What happens on some kernels, grouped by why: `cannot attach on` + [{phrase, kernels}]. */
export interface AttachClause {
  verb: string;
  groups: { phrase: string; kernels: string[] }[];
}

function joinClauses(parts: readonly string[]): string {
  return parts.length <= 1 ? parts.join('') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/**
 * One sentence on an attach point over the target kernels: `kprobe/x cannot attach on debian-12
 * (fully inlined) and misses calls on ubuntu-22.04 (partially inlined); tp_btf/y works on every
 * target.` Each kernel must be in one clause only (the caller puts it where its worst hazard is).
 * Shorter forms are used when it does not fit: fewer kernel names, no tail, then counts only.
 */
export function attachMessage(subject: string, clauses: readonly AttachClause[], total: number, tail?: string): string {
  const named = (max: number) => clauses.map((c) => `${c.verb} ${groupedKernels(c.groups, max)}`);
  const counted = clauses.map((c) => {
    const n = c.groups.reduce((sum, g) => sum + g.kernels.length, 0);
    return `${c.verb} ${n} of ${total} target${total === 1 ? '' : 's'}`;
  });
  const sentence = (parts: readonly string[], withTail: boolean) => `${subject} ${joinClauses(parts)}${withTail && tail ? `; ${tail}` : ''}.`;
  return fitMessage(
    sentence(named(3), true),
    sentence(named(3), false),
    sentence(named(1), true),
    sentence(named(1), false),
    sentence(counted, false),
  );
}
