// Will it load there: for each program of a file and each target kernel, loads / fails / unknown,
// with the reasons, and the minimum kernel the file needs. The reasons come from a list of
// providers, one per kind (hook, members, helpers, kfuncs, maps, program type): each says, per
// kernel, what certainly fails there (`fails`) and what it cannot tell (`unknown`), and which
// upstream versions the program's needs first appeared in. A kernel fails when any provider says
// so, is unknown when none does but one cannot tell, and loads otherwise. New checks plug in as
// providers (struct members: issue 15; attach points: the hook verdicts).

import { ownCopy } from '../model/ownStrings';
import type { CallAnswer, KernelFeatures, LoadKnowledge, ProgramFacts } from '../knowledge/loadability';
import { compareKernelVersions } from '../knowledge/loadability';
import type { Knowledge } from '../knowledge/types';
import type { Range } from '../syntax/cModel';
import type { FileNeeds, FunctionNeed, KfuncNeed, ProgramNeeds } from './loadNeeds';

export type LoadState = 'loads' | 'fails' | 'unknown';
export type ReasonKind = 'hook' | 'members' | 'helpers' | 'kfuncs' | 'maps' | 'program-type';

export interface LoadReason {
  kind: ReasonKind;
  effect: 'fails' | 'unknown';
  /** Kernel ids it applies to. */
  kernels: string[];
  /** `bpf_loop`, `BPF_MAP_TYPE_RINGBUF`, `kprobe/do_unlinkat`. */
  subject: string;
  /** One sentence for a human, naming the kernels and the first version that has it. */
  message: string;
  /** Where in the file (the call, the map type, the section). */
  range?: Range;
  /** The source of the fact: file and function, enum, package. */
  evidence: string;
  /** First upstream version that has the subject, when known. */
  since?: string;
  /** Why it is refused (loadability.ts RefusalRule: helper-absent, not-for-prog-type, ...). */
  rule?: string;
}

/** A need with the upstream version it first appeared in (for the minimum kernel). */
export interface LoadRequirement {
  kind: ReasonKind;
  subject: string;
  since: string;
  /** How `since` is known ("bcc docs/kernel-versions.md", "not before 6.2: absent on 6.1"). */
  note: string;
}

/** The program as the providers see it. */
export interface ProgramUnderCheck {
  needs: ProgramNeeds;
  file: FileNeeds;
  /** Program type and attach type from its section; undefined when libbpf's table has no entry. */
  facts?: ProgramFacts;
}

export interface ReasonProvider {
  readonly kind: ReasonKind;
  reasons(program: ProgramUnderCheck, kernels: readonly KernelFeatures[]): LoadReason[];
  requirements?(program: ProgramUnderCheck): LoadRequirement[];
}

export interface ProgramVerdict {
  name: string;
  section: string;
  range: Range;
  kernels: Record<string, LoadState>;
  reasons: LoadReason[];
  requirements: LoadRequirement[];
  minKernel?: string;
}

export interface FileVerdict {
  programs: ProgramVerdict[];
  /** Worst state per kernel over the file's programs. */
  kernels: Record<string, LoadState>;
  minKernel?: string;
}

export function programVerdict(program: ProgramUnderCheck, kernels: readonly KernelFeatures[], providers: readonly ReasonProvider[]): ProgramVerdict {
  const reasons = providers.flatMap((p) => p.reasons(program, kernels));
  const requirements = providers.flatMap((p) => p.requirements?.(program) ?? []);
  const states: Record<string, LoadState> = {};
  for (const k of kernels) {
    const mine = reasons.filter((r) => r.kernels.includes(k.id));
    states[k.id] = mine.some((r) => r.effect === 'fails') ? 'fails' : mine.length ? 'unknown' : 'loads';
  }
  // An unknown on a kernel that fails anyway changes nothing there: keep the reasons that decide.
  // (A reason left whole stays the same object: file-wide reasons are shared by the programs.)
  const deciding = reasons
    .map((r) => {
      if (r.effect !== 'unknown' || !r.kernels.some((id) => states[id] === 'fails')) return r;
      return { ...r, kernels: r.kernels.filter((id) => states[id] !== 'fails') };
    })
    .filter((r) => r.kernels.length);
  const p = program.needs.program;
  return {
    name: p.handler?.name ?? p.section,
    section: p.section,
    range: p.secRange,
    kernels: states,
    reasons: flatSentences(deciding),
    requirements,
    minKernel: newest(requirements.map((r) => r.since)),
  };
}

/** Verdicts are kept by the thousand: their sentences are made flat, not trees of pieces
 *  (model/ownStrings.ts). In place: a file-wide reason is one object shared by the programs. */
function flatSentences(reasons: LoadReason[]): LoadReason[] {
  for (const r of reasons) {
    r.message = ownCopy(r.message);
    r.evidence = ownCopy(r.evidence);
  }
  return reasons;
}

export function fileVerdict(programs: ProgramVerdict[], kernels: readonly KernelFeatures[]): FileVerdict {
  const rank: Record<LoadState, number> = { loads: 0, unknown: 1, fails: 2 };
  const states: Record<string, LoadState> = {};
  for (const k of kernels) {
    let worst: LoadState = 'loads';
    for (const p of programs) {
      if (rank[p.kernels[k.id]] > rank[worst]) worst = p.kernels[k.id];
      if (worst === 'fails') break;
    }
    states[k.id] = worst;
  }
  // Each distinct version compared once (a 1,000-program file names a few dozen).
  const versions = new Set<string>();
  for (const p of programs) if (p.minKernel) versions.add(p.minKernel);
  return { programs, kernels: states, minKernel: newest([...versions]) };
}

function newest(versions: string[]): string | undefined {
  return versions.reduce<string | undefined>((a, v) => (!a || compareKernelVersions(v, a) > 0 ? v : a), undefined);
}

/** `debian-11 (5.10), ubuntu-20.04 (5.4)` */
function kernelList(ks: readonly KernelFeatures[]): string {
  return ks.map((k) => (k.version ? `${k.id} (${k.version})` : k.id)).join(', ');
}

/** Per kernel answers grouped into reasons: one per effect and rule. */
function groupAnswers(
  kernels: readonly KernelFeatures[],
  answer: (k: KernelFeatures) => { value: 'yes' | 'no' | 'unknown'; rule?: string; evidence: string },
): { effect: 'fails' | 'unknown'; rule?: string; kernels: KernelFeatures[]; evidence: string }[] {
  const groups = new Map<string, { effect: 'fails' | 'unknown'; rule?: string; kernels: KernelFeatures[]; evidence: string }>();
  for (const k of kernels) {
    const a = answer(k);
    // A missing program type is the program-type provider's reason, not every call's.
    if (a.value === 'yes' || a.rule === 'prog-type-absent') continue;
    const effect = a.value === 'no' ? 'fails' : 'unknown';
    const key = `${effect}:${a.rule ?? ''}`;
    const g = groups.get(key);
    if (g) g.kernels.push(k);
    else groups.set(key, { effect, rule: a.rule, kernels: [k], evidence: a.evidence });
  }
  return [...groups.values()];
}

/** How the calls of one need stand on one kernel: `live` (some call reaches the kernel: judge it),
 *  `dead` (every call is ruled out by a check of a helper or kfunc the kernel lacks), or
 *  `unknown` (a call depends on a check the data cannot settle). The range is the call to report. */
function liveness(need: FunctionNeed, k: KernelFeatures, lk: LoadKnowledge): { state: 'live' | 'dead' | 'unknown'; range: Range; guard?: string } {
  let unknown: { range: Range; guard: string } | undefined;
  for (const site of need.sites) {
    let state: 'live' | 'dead' | 'unknown' = 'live';
    let why = '';
    for (const g of site.guards) {
      const v = g.kind === 'helper' ? lk.helper(k, g.name).value : g.kind === 'ksym' ? lk.kfunc(k, g.name).value : 'unknown';
      if (v === 'absent') {
        state = 'dead';
        break;
      }
      if (v === 'unknown') {
        state = 'unknown';
        why = g.text;
      }
    }
    if (state === 'live') return { state, range: site.range };
    if (state === 'unknown' && !unknown) unknown = { range: site.range, guard: why };
  }
  return unknown ? { state: 'unknown', range: unknown.range, guard: unknown.guard } : { state: 'dead', range: need.sites[0].range };
}

/** The call sites to judge on each kernel, grouped with their per-kernel answers. */
function judgeCalls(
  need: FunctionNeed, kernels: readonly KernelFeatures[], lk: LoadKnowledge,
  answer: (k: KernelFeatures) => { value: 'yes' | 'no' | 'unknown'; rule?: string; evidence: string },
): { effect: 'fails' | 'unknown'; rule?: string; kernels: KernelFeatures[]; evidence: string; range: Range; guard?: string }[] {
  const live = new Map<string, { range: Range; guard?: string; unknown: boolean }>();
  for (const k of kernels) {
    const l = liveness(need, k, lk);
    if (l.state !== 'dead') live.set(k.id, { range: l.range, guard: l.guard, unknown: l.state === 'unknown' });
  }
  const groups = groupAnswers(kernels.filter((k) => live.has(k.id)), (k) => {
    const a = answer(k);
    const l = live.get(k.id)!;
    // A call behind a check the data cannot settle is never an error.
    return l.unknown && a.value === 'no' ? { value: 'unknown', rule: `guarded:${a.rule ?? ''}`, evidence: a.evidence } : a;
  });
  return groups.map((g) => {
    const l = live.get(g.kernels[0].id)!;
    return { ...g, rule: g.rule?.replace(/^guarded:/, '') || undefined, range: l.range, guard: g.rule?.startsWith('guarded:') ? l.guard : undefined };
  });
}

const ARTICLE = (progType: string) => progType.replace(/^BPF_PROG_TYPE_/, '').toLowerCase();

/** Helpers: missing from the kernel, or not allowed for the program's type (with the rule). */
export function helperProvider(lk: LoadKnowledge, knowledge: Knowledge, memo: AnswerMemo = localMemo()): ReasonProvider {
  // Programs of one file call the same helpers from the same program types: each answer once.
  return {
    kind: 'helpers',
    reasons(program, kernels) {
      const out: LoadReason[] = [];
      const facts = program.facts && { ...program.facts, gplCompatible: program.file.gplCompatible };
      const factsKey = facts ? factsKeyOf(facts) : '?';
      for (const need of program.needs.helpers) {
        const since = knowledge.helper(need.name)?.since;
        const answer = (k: KernelFeatures) => remember(memo, k, `${factsKey}|${need.name}`,
          () => (facts ? lk.mayCallHelper(k, facts, need.name) : unknownType(lk, k, need.name)));
        for (const g of judgeCalls(need, kernels, lk, answer)) {
          const { effect, range } = g;
          let message: string;
          if (g.rule === 'helper-absent') {
            message = `${need.name} does not exist on ${kernelList(g.kernels)}${since ? ` (first in Linux ${since})` : ''}`;
          } else if (g.effect === 'fails') {
            message = `${facts ? ARTICLE(facts.progType) : 'this'} programs may not call ${need.name} on ${kernelList(g.kernels)}: ${ruleText(g.rule)}`;
          } else {
            message = `whether ${facts ? ARTICLE(facts.progType) : 'this'} programs may call ${need.name} on ${kernelList(g.kernels)} is not known`;
          }
          if (g.guard) message += ` (the call is under a check, ${g.guard}, that may rule it out there)`;
          out.push({ kind: 'helpers', effect, kernels: g.kernels.map((k) => k.id), subject: need.name, message, range, evidence: g.evidence, since, rule: g.rule });
        }
      }
      return out;
    },
    requirements(program) {
      return program.needs.helpers.filter(unguarded).flatMap((n) => {
        const h = knowledge.helper(n.name);
        const viaFallback = lk.fallbackOf(n.name);
        if (!h?.since || viaFallback) return [];
        return [{ kind: 'helpers' as const, subject: n.name, since: h.since, note: h.sinceSource ?? 'helpers.json' }];
      });
    },
  };
}

/** Everything of a program the load rules read (loadability.ts ProgramFacts). */
function factsKeyOf(f: ProgramFacts): string {
  return `${f.progType}|${f.attachType ?? ''}|${f.sleepable ? 's' : ''}|${f.target ?? ''}|${f.gplCompatible ?? '?'}`;
}

/** Where the helper and kfunc providers keep their answers, per kernel and question: a map of
 *  one run by default, the analysis cache's table across runs (loadCheck.ts). */
export interface AnswerMemo {
  get(kernel: KernelFeatures, key: string): CallAnswer | undefined;
  set(kernel: KernelFeatures, key: string, answer: CallAnswer): void;
}

function localMemo(): AnswerMemo {
  const byKernel = new Map<KernelFeatures, Map<string, CallAnswer>>();
  return {
    get: (k, key) => byKernel.get(k)?.get(key),
    set: (k, key, v) => {
      let m = byKernel.get(k);
      if (!m) byKernel.set(k, (m = new Map()));
      m.set(key, v);
    },
  };
}

function remember(memo: AnswerMemo, kernel: KernelFeatures, key: string, make: () => CallAnswer): CallAnswer {
  let v = memo.get(kernel, key);
  if (v === undefined) {
    const made = make();
    // Kept per kernel and name (thousands over 30 targets): its evidence flat (model/ownStrings.ts).
    v = { ...made, evidence: ownCopy(made.evidence) };
    memo.set(kernel, key, v);
  }
  return v;
}

/** Some call of the need sits under no check at all: its first version is a hard requirement. */
function unguarded(need: FunctionNeed): boolean {
  return need.sites.some((s) => !s.guards.length);
}

function unknownType(lk: LoadKnowledge, k: KernelFeatures, helper: string): CallAnswer {
  const present = lk.helper(k, helper);
  if (present.value === 'absent') return { value: 'no', rule: 'helper-absent', evidence: present.evidence };
  return { value: 'unknown', evidence: 'the section is not one libbpf knows: its program type is not known' };
}

function ruleText(rule: string | undefined): string {
  switch (rule) {
    case 'not-for-prog-type': return 'the kernel does not offer it to this program type';
    case 'condition': return 'the kernel offers it to this program type only under a condition the program does not meet';
    case 'config': return 'the kernel was built without the option that provides it';
    case 'gpl-only': return 'it is GPL-only and the program\'s license is not GPL-compatible';
    case 'sleepable-only': return 'it may sleep: only sleepable programs (.s sections) may call it';
    case 'allowed-callback': return 'its .allowed check refuses this attach point';
    case 'prog-type-absent': return 'the kernel has no such program type';
    default: return 'refused';
  }
}

/** kfuncs: missing (and not a guarded __weak declaration), or not registered for the program's type. */
export function kfuncProvider(lk: LoadKnowledge, kfuncSince: (name: string) => KfuncSince | undefined, memo: AnswerMemo = localMemo()): ReasonProvider {
  return {
    kind: 'kfuncs',
    reasons(program, kernels) {
      const out: LoadReason[] = [];
      const facts = program.facts;
      const factsKey = facts ? factsKeyOf(facts) : '?';
      for (const need of program.needs.kfuncs) {
        const since = kfuncSince(need.name);
        const answer = (k: KernelFeatures) => remember(memo, k, `${factsKey}|${need.name}`, (): CallAnswer => {
          if (facts) return lk.mayCallKfunc(k, facts, need.name);
          const has = lk.kfunc(k, need.name);
          return has.value === 'absent' ? { value: 'no', rule: 'kfunc-absent', evidence: has.evidence } : { value: 'unknown', evidence: 'program type not known' };
        });
        for (const g of judgeCalls(need, kernels, lk, answer)) {
          const { effect, range } = g;
          const what = need.weak ? `${need.name} (declared __ksym __weak, called without a bpf_ksym_exists() check)` : need.name;
          // The kernel the first version is inferred from is named once: when it is among the
          // kernels listed, `not before 6.2` alone (the message rule: each kernel named once).
          const sinceNote = since && (g.kernels.some((k) => k.id === since.absentOn) ? `not before ${since.since}` : since.note);
          const message = g.rule === 'kfunc-absent' || g.rule === 'no-kfunc-support'
            ? `kfunc ${what} does not exist on ${kernelList(g.kernels)}${sinceNote ? ` (${sinceNote})` : ''}`
            : g.effect === 'fails'
              ? `${program.facts ? ARTICLE(program.facts.progType) : 'this'} programs may not call kfunc ${need.name} on ${kernelList(g.kernels)}`
              : `whether kfunc ${need.name} can be called on ${kernelList(g.kernels)} is not known`;
          out.push({ kind: 'kfuncs', effect, kernels: g.kernels.map((k) => k.id), subject: need.name, message: g.guard ? `${message} (the call is under a check, ${g.guard}, that may rule it out there)` : message, range, evidence: g.evidence, since: since?.since, rule: g.rule });
        }
      }
      return out;
    },
    requirements(program) {
      return program.needs.kfuncs.filter(unguarded).flatMap((n) => {
        const s = kfuncSince(n.name);
        return s ? [{ kind: 'kfuncs' as const, subject: n.name, since: s.since, note: s.note }] : [];
      });
    },
  };
}

/** Map types: libbpf creates every map of the object, so one a kernel lacks fails every program.
 *  The answer is the file's, so it is worked out once per file and kernel list and shared by its
 *  programs: a failure per map (the diagnostic stands at each), an unknown per map type (no
 *  diagnostic; a file of hundreds of maps of one type says it once), a requirement per map type. */
export function mapProvider(lk: LoadKnowledge, knowledge: Knowledge): ReasonProvider {
  const memo = new WeakMap<FileNeeds, { kernels: readonly KernelFeatures[]; reasons: LoadReason[] }>();
  const requirementsOf = new WeakMap<FileNeeds, LoadRequirement[]>();
  const fileReasons = (file: FileNeeds, kernels: readonly KernelFeatures[]): LoadReason[] => {
    const hit = memo.get(file);
    if (hit && hit.kernels === kernels) return hit.reasons;
    const fails: LoadReason[] = [];
    const unknown = new Map<string, { kernels: string[]; maps: string[]; reason: LoadReason }>();
    const byType = new Map<string, ReturnType<typeof groupAnswers>>();
    for (const map of file.maps) {
      let groups = byType.get(map.type);
      if (!groups) {
        groups = groupAnswers(kernels, (k) => {
          const a = lk.mapType(k, map.type);
          return { value: a.value === 'present' ? 'yes' : a.value === 'absent' ? 'no' : 'unknown', evidence: a.evidence };
        });
        byType.set(map.type, groups);
      }
      const since = knowledge.typeSince(map.type)?.since;
      for (const g of groups) {
        const ids = g.kernels.map((k) => k.id);
        if (g.effect === 'fails') {
          const message = `map ${map.name} is a ${map.type}, which ${kernelList(g.kernels)} do${g.kernels.length === 1 ? 'es' : ''} not have${since ? ` (first in Linux ${since})` : ''}`;
          fails.push({ kind: 'maps', effect: 'fails', kernels: ids, subject: map.type, message, range: map.range, evidence: g.evidence, since, rule: 'map-type-absent' });
          continue;
        }
        const key = `${map.type}|${ids.join(',')}`;
        const u = unknown.get(key);
        if (u) u.maps.push(map.name);
        else unknown.set(key, { kernels: ids, maps: [map.name], reason: { kind: 'maps', effect: 'unknown', kernels: ids, subject: map.type, message: '', range: map.range, evidence: g.evidence, since } });
      }
    }
    const unknowns = [...unknown.values()].map(({ kernels: ids, maps, reason }) => {
      const ks = kernels.filter((k) => ids.includes(k.id));
      const named = maps.length <= 3 ? maps.join(', ') : `${maps.slice(0, 3).join(', ')} and ${maps.length - 3} more`;
      return { ...reason, message: `whether ${kernelList(ks)} know${ks.length === 1 ? 's' : ''} ${reason.subject} (map${maps.length === 1 ? '' : 's'} ${named}) is not known` };
    });
    const reasons = [...fails, ...unknowns];
    memo.set(file, { kernels, reasons });
    return reasons;
  };
  return {
    kind: 'maps',
    reasons: (program, kernels) => fileReasons(program.file, kernels),
    requirements(program) {
      let out = requirementsOf.get(program.file);
      if (!out) {
        out = [...new Set(program.file.maps.map((m) => m.type))].flatMap((type) => {
          const t = knowledge.typeSince(type);
          return t ? [{ kind: 'maps' as const, subject: type, since: t.since, note: t.source }] : [];
        });
        requirementsOf.set(program.file, out);
      }
      return out;
    },
  };
}

/** Program types whose load refuses an expected attach type the kernel does not know
 *  (kernel/bpf/syscall.c bpf_prog_load_check_attach, and the verifier's attach-target check for
 *  tracing, LSM and extension programs). For the others the kernel ignores it at load
 *  (`default: return 0`): `SEC("tc/ingress")` (BPF_TCX_INGRESS, 6.6) loads on 6.1 and only a tcx
 *  attach fails there; libbpf also retries XDP without it. */
const CHECKS_ATTACH_TYPE_AT_LOAD: ReadonlySet<string> = new Set([
  'BPF_PROG_TYPE_CGROUP_SOCK', 'BPF_PROG_TYPE_CGROUP_SOCK_ADDR', 'BPF_PROG_TYPE_CGROUP_SKB', 'BPF_PROG_TYPE_CGROUP_SOCKOPT',
  'BPF_PROG_TYPE_SK_LOOKUP', 'BPF_PROG_TYPE_SK_REUSEPORT', 'BPF_PROG_TYPE_SYSCALL', 'BPF_PROG_TYPE_NETFILTER',
  'BPF_PROG_TYPE_TRACING', 'BPF_PROG_TYPE_LSM', 'BPF_PROG_TYPE_EXT',
]);

/** The program type and expected attach type its section loads as. */
export function progTypeProvider(lk: LoadKnowledge, knowledge: Knowledge): ReasonProvider {
  return {
    kind: 'program-type',
    reasons(program, kernels) {
      const facts = program.facts;
      if (!facts) return [];
      const out: LoadReason[] = [];
      const range = program.needs.program.sectionRange;
      const checks: [string, (k: KernelFeatures) => ReturnType<LoadKnowledge['progType']>][] = [[facts.progType, (k) => lk.progType(k, facts.progType)]];
      if (facts.attachType && CHECKS_ATTACH_TYPE_AT_LOAD.has(facts.progType)) checks.push([facts.attachType, (k) => lk.attachType(k, facts.attachType!)]);
      for (const [subject, ask] of checks) {
        const since = knowledge.typeSince(subject)?.since;
        for (const g of groupAnswers(kernels, (k) => {
          const a = ask(k);
          return { value: a.value === 'present' ? 'yes' : a.value === 'absent' ? 'no' : 'unknown', evidence: a.evidence };
        })) {
          if (g.effect === 'unknown') continue; // unknown enums say nothing the other checks do not
          const message = `SEC("${program.needs.program.section}") loads as ${subject}, which ${kernelList(g.kernels)} do${g.kernels.length === 1 ? 'es' : ''} not have${since ? ` (first in Linux ${since})` : ''}`;
          out.push({ kind: 'program-type', effect: 'fails', kernels: g.kernels.map((k) => k.id), subject, message, range, evidence: g.evidence, since, rule: 'prog-type-absent' });
        }
      }
      return out;
    },
    requirements(program) {
      const facts = program.facts;
      if (!facts) return [];
      const t = knowledge.typeSince(facts.progType);
      return t ? [{ kind: 'program-type' as const, subject: facts.progType, since: t.since, note: t.source }] : [];
    },
  };
}

/** A kfunc's first version as a lower bound, and the bundled kernel it is inferred from. */
export interface KfuncSince {
  since: string;
  note: string;
  absentOn: string;
}

/** First kernel of a kfunc from the bundled kernels: the one after the newest kernel that lacks it
 *  (`not before 6.2: absent on debian-12 (6.1)`); undefined when no bundled kernel lacks it. */
export function kfuncSinceFrom(lk: LoadKnowledge, bundled: readonly KernelFeatures[]): (name: string) => KfuncSince | undefined {
  const sorted = [...bundled].filter((k) => /^\d+\.\d+/.test(k.version)).sort((a, b) => compareKernelVersions(a.version, b.version));
  const memo = new Map<string, KfuncSince | undefined>();
  return (name) => {
    if (memo.has(name)) return memo.get(name);
    let lastAbsent: KernelFeatures | undefined;
    for (const k of sorted) if (lk.kfunc(k, name).value === 'absent') lastAbsent = k;
    const next = lastAbsent && sorted.find((k) => compareKernelVersions(k.version, lastAbsent!.version) > 0);
    const res = lastAbsent && next ? { since: next.version, note: `not before ${next.version}: absent on ${lastAbsent.id} (${lastAbsent.version})`, absentOn: lastAbsent.id } : undefined;
    memo.set(name, res);
    return res;
  };
}

export type { KfuncNeed };

/** One line for a program or file: `loads on 27/30 targets · fails on debian-11, ubuntu-20.04 ·
 *  needs 5.8+` (what a code lens, a hover and the CLI table show). */
export function verdictSummary(v: { kernels: Record<string, LoadState>; minKernel?: string }): string {
  const ids = Object.keys(v.kernels);
  const by = (s: LoadState) => ids.filter((id) => v.kernels[id] === s);
  const parts = [`loads on ${by('loads').length}/${ids.length} target${ids.length === 1 ? '' : 's'}`];
  const fails = by('fails');
  const unknown = by('unknown');
  if (fails.length) parts.push(`fails on ${shortList(fails)}`);
  if (unknown.length) parts.push(`unknown on ${shortList(unknown)}`);
  if (v.minKernel) parts.push(`needs ${v.minKernel}+`);
  return parts.join(' · ');
}

function shortList(ids: string[]): string {
  return ids.length <= 4 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more`;
}
