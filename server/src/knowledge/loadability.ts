// Will it load there: does kernel K know helper / kfunc / map type / program type X, and may a
// program of type P call helper or kfunc X on K (yes / no with the rule / unknown). Pure queries
// over the data of program-types.json and kfuncs.json (Debian's 5.10, 6.1, 6.12 and 7.2 sources)
// and over what each kernel itself says (its enums, its functions, its BTF kfunc tags), given as a
// KernelFeatures. Nothing here reads files or keeps state beyond the indexes built in the
// constructor; build one LoadKnowledge per data set and pass it in.
//
// Per kernel, the facts come from, in order of trust:
//   * the kernel's own data: `enum bpf_func_id` / `bpf_map_type` / `bpf_prog_type` (BTF, or DepSurf's
//     enums for the Ubuntu images), BTF `bpf_kfunc` decl tags, its function list;
//   * the kernel source it was built from (the four Debian kernels): exact, with Debian's .config;
//   * for every other kernel, the two bundled sources around its version ("interpolated"): an answer
//     both give is taken, with config-dependent conditions settled by the kernel's own functions
//     (the helper's implementation is in its symbols: that code was built); anything else is
//     `unknown`. Below the oldest (5.10) and above the newest (7.2) source: `unknown`.
// Assumptions, written into every answer that relies on them: the loader has the privileges
// tracing needs (CAP_BPF + CAP_PERFMON, or root: `priv:` conditions hold) and the kernel is not in
// lockdown confidentiality mode (`locked:` conditions do not hold).

import { type Formula, evaluate, formulaText, or } from './formula';
import type {
  HelperRule, KfuncData, KfuncSetData, KfuncSource, ProgramTypeSource, ProgramTypesData, SectionProgType,
} from './types';

/** What the load checks need from one kernel. The atlas adapter (or a test) implements it. */
export interface KernelFeatures {
  readonly id: string;
  /** Upstream major.minor (`6.1`); empty when unknown. */
  readonly version: string;
  /** Value of `enumerator` in enum `enumName` (`bpf_func_id`, `BPF_FUNC_loop`); undefined when the
   *  kernel's enum lacks it; null when the kernel's types are not known. */
  enumValue(enumName: string, enumerator: string): number | undefined | null;
  /** Names with a BTF `bpf_kfunc` decl tag; undefined when the kernel has no such tags (older pahole). */
  kfuncTags(): readonly string[] | undefined;
  /** Whether the kernel has a function of this name: undefined when its data cannot tell. */
  hasFunction(name: string): boolean | undefined;
  /** Module functions are included in hasFunction. */
  readonly modulesCovered: boolean;
}

/** What a program is, as the verifier sees it. */
export interface ProgramFacts {
  progType: string;
  /** expected_attach_type (BPF_TRACE_FENTRY...); null for 0. */
  attachType: string | null;
  sleepable: boolean;
  /** Function, LSM hook (without bpf_lsm_) or event the program attaches to, when known. */
  target?: string;
  /** GPL-compatible license; undefined when the file declares none we can read. */
  gplCompatible?: boolean;
}

export type Presence = 'present' | 'absent' | 'unknown';

export interface PresenceAnswer {
  value: Presence;
  /** One line naming the evidence. */
  evidence: string;
}

export type CallVerdict = 'yes' | 'no' | 'unknown';

/** Why a call is refused. */
export type RefusalRule =
  | 'helper-absent' | 'kfunc-absent' | 'prog-type-absent'
  | 'not-for-prog-type' | 'condition' | 'config' | 'gpl-only' | 'sleepable-only' | 'allowed-callback'
  | 'kfunc-not-registered' | 'kfunc-sleepable' | 'no-kfunc-support';

export interface CallAnswer {
  value: CallVerdict;
  rule?: RefusalRule;
  /** One or two sentences: why, with the source file and function. */
  evidence: string;
  /** Assumptions the `yes` depends on (privileges, no lockdown). */
  assumptions?: string[];
}

const PRIV_ASSUMPTION = 'the loader has CAP_BPF and CAP_PERFMON (or root)';
const LOCKDOWN_ASSUMPTION = 'the kernel is not in lockdown confidentiality mode';

/** Dotted version order: negative when a < b. */
export function compareKernelVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/** The sources that speak for a kernel. */
interface Brackets<S> {
  /** The Debian build of this very source (config known). */
  exact?: S;
  /** Same upstream version, other build (config unknown). */
  same?: S;
  lo?: S;
  hi?: S;
}

function brackets<S extends { version: string; kernel: string }>(sources: readonly S[], kernel: KernelFeatures): Brackets<S> {
  const exact = sources.find((s) => s.kernel === kernel.id && s.version === kernel.version);
  if (exact) return { exact };
  if (!/^\d+\.\d+/.test(kernel.version)) return {};
  const same = sources.find((s) => compareKernelVersions(s.version, kernel.version) === 0);
  if (same) return { same };
  let lo: S | undefined;
  let hi: S | undefined;
  for (const s of sources) {
    const c = compareKernelVersions(s.version, kernel.version);
    if (c < 0 && (!lo || compareKernelVersions(s.version, lo.version) > 0)) lo = s;
    if (c > 0 && (!hi || compareKernelVersions(s.version, hi.version) < 0)) hi = s;
  }
  return { lo, hi };
}

/** One source's answer before interpolation. */
interface SourceAnswer extends CallAnswer {
  /** The helper / kfunc is not in this source at all. */
  notInSource?: boolean;
}

export class LoadKnowledge {
  private readonly sectionsLongestFirst: SectionProgType[];

  /** `firstVersion`: the first upstream kernel of a helper (by name) or a map / program / attach
   *  type (by enumerator), from the knowledge tables; it lets a kernel the atlas has no enums for
   *  be called present (never absent) when it is at least that new. */
  constructor(private readonly programTypes: ProgramTypesData, private readonly kfuncs: KfuncData,
    private readonly firstVersion?: (name: string) => { since: string; source: string } | undefined) {
    this.sectionsLongestFirst = [...programTypes.sections].sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** The program type a libbpf SEC() name loads as (libbpf's matching: exact, or `prefix/...`
   *  for prefixes that take a target; `+` prefixes also match `prefix.` forms libbpf accepts). */
  sectionProgram(section: string): SectionProgType | undefined {
    for (const s of this.sectionsLongestFirst) {
      if (section === s.prefix) return s;
      if (s.takesTarget && section.startsWith(s.prefix + '/')) return s;
    }
    return undefined;
  }

  /** The helper libbpf loads `name` as on kernels without it (bpf_probe_read_kernel → bpf_probe_read). */
  fallbackOf(name: string): string | undefined {
    return this.programTypes.libbpfFallbacks.find((f) => f.helper === name)?.fallback;
  }

  // ---- presence on a kernel ----

  helper(kernel: KernelFeatures, name: string): PresenceAnswer {
    return this.enumPresence(kernel, 'bpf_func_id', `BPF_FUNC_${name.replace(/^bpf_/, '')}`, name);
  }

  mapType(kernel: KernelFeatures, name: string): PresenceAnswer {
    return this.enumPresence(kernel, 'bpf_map_type', name, name);
  }

  progType(kernel: KernelFeatures, name: string): PresenceAnswer {
    return this.enumPresence(kernel, 'bpf_prog_type', name, name);
  }

  attachType(kernel: KernelFeatures, name: string): PresenceAnswer {
    return this.enumPresence(kernel, 'bpf_attach_type', name, name);
  }

  private enumPresence(kernel: KernelFeatures, enumName: string, enumerator: string, label: string): PresenceAnswer {
    const v = kernel.enumValue(enumName, enumerator);
    if (v === null) return this.presenceWithoutEnum(kernel, enumName, enumerator, label) ?? { value: 'unknown', evidence: `the atlas has no enum ${enumName} for ${kernel.id}` };
    if (v === undefined) return { value: 'absent', evidence: `enum ${enumName} of ${kernel.id} has no ${enumerator}` };
    return { value: 'present', evidence: `${label} is ${enumerator} = ${v} in enum ${enumName} of ${kernel.id}` };
  }

  /** When the atlas carries no enum for a kernel: the enum bpf_func_id of its own Debian source
   *  (the build it is) says present or absent; a kernel at least as new as the first upstream
   *  version of the value, or as a bundled source that has the helper, has it too (UAPI enum values
   *  are never removed). Nothing is called absent from another build's data. */
  private presenceWithoutEnum(kernel: KernelFeatures, enumName: string, enumerator: string, label: string): PresenceAnswer | undefined {
    const sources = this.programTypes.kernels;
    const helper = enumName === 'bpf_func_id' ? label : undefined;
    const exact = helper ? sources.find((s) => s.kernel === kernel.id && s.version === kernel.version) : undefined;
    if (helper && exact) {
      return exact.helperIds[helper] === undefined
        ? { value: 'absent', evidence: `enum bpf_func_id of ${exact.source} (${kernel.id} is that build) has no ${enumerator}` }
        : { value: 'present', evidence: `${helper} is ${enumerator} = ${exact.helperIds[helper]} in enum bpf_func_id of ${exact.source} (${kernel.id} is that build)` };
    }
    if (!/^\d+\.\d+/.test(kernel.version)) return undefined;
    const first = this.firstVersion?.(label);
    if (first && compareKernelVersions(first.since, kernel.version) <= 0) {
      return { value: 'present', evidence: `${enumerator} is in Linux ${first.since} (${first.source}), and ${kernel.id} (${kernel.version}) is not older: UAPI enum values are never removed` };
    }
    const older = helper ? sources.find((s) => s.helperIds[helper] !== undefined && compareKernelVersions(s.version, kernel.version) <= 0) : undefined;
    return older && { value: 'present', evidence: `${enumerator} is in enum bpf_func_id of ${older.source}, and ${kernel.id} (${kernel.version}) is not older: UAPI enum values are never removed` };
  }

  /** Is `name` a kfunc on this kernel. */
  kfunc(kernel: KernelFeatures, name: string): PresenceAnswer {
    // A kfunc of a module (netfilter, xfrm...) is invisible to a kernel whose modules are not covered.
    const seesIt = kernel.modulesCovered || !this.kfuncSetsNamed(name).some((s) => s.built === 'm');
    const fnState = kernel.hasFunction(name);
    const tags = kernel.kfuncTags();
    if (tags && tags.length) {
      if (tags.includes(name)) return { value: 'present', evidence: `${name} has the bpf_kfunc BTF decl tag on ${kernel.id}` };
      return seesIt
        ? { value: 'absent', evidence: `${kernel.id}'s BTF has no bpf_kfunc decl tag for ${name}` }
        : { value: 'unknown', evidence: `${name} is a module kfunc and ${kernel.id}'s modules are not covered` };
    }
    if (fnState === false && seesIt) return { value: 'absent', evidence: `${kernel.id} has no function ${name}` };
    const b = brackets(this.kfuncs.kernels, kernel);
    if (b.exact) {
      const config = configLookup(b.exact.configValues);
      const on = this.kfuncMembers(b.exact, name).some(({ set, member }) =>
        evaluate(['and', set.guard, member.guard], config) !== false && set.registrations.some((r) => evaluate(r.guard, config) !== false));
      return on
        ? { value: 'present', evidence: `a kfunc of ${b.exact.source} (${kernel.id} is that build)` }
        : { value: 'absent', evidence: `${name} is in no kfunc set of ${b.exact.source} (${kernel.id} is that build)` };
    }
    const inSource = (src: KfuncSource) => this.kfuncMembers(src, name).length > 0;
    if (b.same) {
      if (inSource(b.same) && fnState === true) return { value: 'present', evidence: `a kfunc in ${b.same.source}, and ${kernel.id} has the function` };
      return { value: 'unknown', evidence: `${name} is ${inSource(b.same) ? '' : 'not '}a kfunc in ${b.same.source}; ${kernel.id} is another build` };
    }
    if (!b.lo && b.hi?.mechanism === 'none') return { value: 'absent', evidence: `kernels up to ${b.hi.version} have no kfuncs (${b.hi.source})` };
    if (b.lo && b.hi && inSource(b.lo) && inSource(b.hi) && fnState === true) {
      return { value: 'present', evidence: `a kfunc in ${b.lo.source} and ${b.hi.source}, and ${kernel.id} has the function` };
    }
    if (!b.lo || !b.hi) return { value: 'unknown', evidence: outsideSources(this.kfuncs.kernels, kernel, `whether ${name} is a kfunc`) };
    return {
      value: 'unknown',
      evidence: `${name} is ${inSource(b.lo) ? '' : 'not '}a kfunc in ${b.lo.version} and ${inSource(b.hi) ? '' : 'not '}in ${b.hi.version}; ` +
        `${kernel.id} ${fnState ? 'has the function' : 'cannot tell'}`,
    };
  }

  private kfuncSetsNamed(name: string): KfuncSetData[] {
    return this.kfuncs.kernels.flatMap((k) => k.sets.filter((s) => s.members.some((m) => m.name === name)));
  }

  private kfuncMembers(src: KfuncSource, name: string): { set: KfuncSetData; member: KfuncSetData['members'][number] }[] {
    const out: { set: KfuncSetData; member: KfuncSetData['members'][number] }[] = [];
    for (const set of src.sets) for (const member of set.members) if (member.name === name) out.push({ set, member });
    return out;
  }

  // ---- may a program call it ----

  /** May `program` call helper `name` on `kernel`. */
  mayCallHelper(kernel: KernelFeatures, program: ProgramFacts, name: string): CallAnswer {
    const present = this.helper(kernel, name);
    if (present.value === 'absent') {
      // libbpf swaps some helpers for older ones on kernels that lack them.
      const fb = this.programTypes.libbpfFallbacks.find((f) => f.helper === name);
      if (fb) {
        const via = this.mayCallHelper(kernel, program, fb.fallback);
        return { ...via, evidence: `${present.evidence}; libbpf loads it as ${fb.fallback} there (${fb.source}): ${via.evidence}` };
      }
      return { value: 'no', rule: 'helper-absent', evidence: present.evidence };
    }
    const pt = this.progType(kernel, program.progType);
    if (pt.value === 'absent') return { value: 'no', rule: 'prog-type-absent', evidence: pt.evidence };
    const b = brackets(this.programTypes.kernels, kernel);
    const ask = (src: ProgramTypeSource, exact: boolean) => this.helperInSource(src, exact, kernel, program, name);
    if (b.exact) return ask(b.exact, true);
    if (b.same) return ask(b.same, false);
    if (!b.lo || !b.hi) return { value: 'unknown', evidence: outsideSources(this.programTypes.kernels, kernel, `which helpers ${program.progType} may call`) };
    return combine(ask(b.lo, false), ask(b.hi, false), b.lo, b.hi, kernel);
  }

  private helperInSource(src: ProgramTypeSource, exact: boolean, kernel: KernelFeatures, program: ProgramFacts, name: string): SourceAnswer {
    if (src.helperIds[name] === undefined) return { value: 'unknown', notInSource: true, evidence: `${name} is not in ${src.source}` };
    const pt = src.progTypes[program.progType];
    if (!pt) return { value: 'unknown', notInSource: true, evidence: `${program.progType} is not in ${src.source}` };
    const rules: HelperRule[] = pt.getFuncProto ? src.funcProtos[pt.getFuncProto]?.[name] ?? [] : [];
    const assumptions = new Set<string>();
    const atom = (witness?: string) => (a: string): boolean | undefined => {
      const v = this.atomValue(a, src, exact, kernel, program, witness);
      if (v !== undefined && a.startsWith('priv:')) assumptions.add(PRIV_ASSUMPTION);
      if (v !== undefined && a.startsWith('locked:')) assumptions.add(LOCKDOWN_ASSUMPTION);
      return v;
    };
    const fn = pt.getFuncProto ?? `${pt.ops} (no get_func_proto)`;
    let unknownWhy: string | undefined;
    let chosen: HelperRule | undefined;
    let configRefused: string | undefined;
    for (const rule of rules) {
      const witness = rule[1] !== '?' ? src.protos[rule[1]]?.func : undefined;
      const v = evaluate(rule[0], atom(witness));
      if (v === true) {
        chosen = rule;
        break;
      }
      if (v === undefined) unknownWhy = `it is returned only if ${formulaText(rule[0])}`;
      else if (typeof rule[0] !== 'boolean') {
        const cfg = [...configAtomsOf(rule[0])].filter((c) => atom(witness)(c) === false);
        if (cfg.length && evaluate(rule[0], (a) => (/^configm?:/.test(a) ? true : atom(witness)(a))) === true) configRefused = cfg.join(', ');
      }
    }
    if (!chosen) {
      // No rule is certain, but together the rules cover every case and each that may apply gives
      // a proto: the helper is given through one of them (task_storage_get: the _recur proto or
      // the plain one, on bpf_prog_check_recur(prog)).
      const possible = rules.filter((r) => evaluate(r[0], atom(r[1] !== '?' ? src.protos[r[1]]?.func : undefined)) !== false);
      const covered = evaluate(or(...possible.map((r) => r[0])), atom()) === true;
      if (unknownWhy && covered && possible.length && possible.every((r) => r[1] !== '?')) {
        const answers = possible.map((r) => this.protoChecks(r, src, program, name, atom, assumptions));
        if (answers.every((a) => a.value === 'yes')) return answers[0];
        if (answers.every((a) => a.value === 'no')) return answers[0];
      }
      if (unknownWhy) return { value: 'unknown', evidence: `${fn} (${src.source}): ${unknownWhy}` };
      if (configRefused) {
        return { value: 'no', rule: 'config', evidence: `${fn} (${src.source}) returns ${name} only with ${configRefused.replace(/configm?:/g, '')}, which ${src.config} does not set` };
      }
      if (rules.length) {
        return { value: 'no', rule: 'condition', evidence: `${fn} (${src.source}) returns ${name} only if ${rules.map((r) => formulaText(r[0])).join(' or ')}` };
      }
      return { value: 'no', rule: 'not-for-prog-type', evidence: `${fn} (${src.source}) does not return ${name} for ${program.progType}` };
    }
    if (chosen[1] === '?') return { value: 'unknown', evidence: `${fn} (${src.source}): a path the extraction could not follow (${formulaText(chosen[0])})` };
    return this.protoChecks(chosen, src, program, name, atom, assumptions);
  }

  /** The checks check_helper_call() makes on the proto the program gets: gpl_only, then .allowed,
   *  then might_sleep (the verifier's order). */
  private protoChecks(rule: HelperRule, src: ProgramTypeSource, program: ProgramFacts, name: string,
    atom: (witness?: string) => (a: string) => boolean | undefined, assumptions: Set<string>): SourceAnswer {
    const proto = src.protos[rule[1]];
    const where = `${rule[2]} (${src.source})`;
    if (proto?.gplOnly && program.gplCompatible === false) {
      return { value: 'no', rule: 'gpl-only', evidence: `${rule[1]} is gpl_only (${proto.where}, ${src.source}): the program's license is not GPL-compatible` };
    }
    if (proto?.allowed !== undefined) {
      const v = evaluate(proto.allowed, atom(proto.func));
      if (v === false) {
        return { value: 'no', rule: 'allowed-callback', evidence: `${proto.allowedFn}() (${proto.where.split(':')[0]}, ${src.source}) refuses it: ${describeAllowed(proto.allowed, src)}` };
      }
      if (v === undefined) return { value: 'unknown', evidence: `${proto.allowedFn}() decides at load time: ${describeAllowed(proto.allowed, src)}` };
    }
    if (proto?.mightSleep && !program.sleepable) {
      return { value: 'no', rule: 'sleepable-only', evidence: `${rule[1]} has might_sleep (${proto.where}, ${src.source}): only sleepable programs (a .s section such as fentry.s/) may call ${name}` };
    }
    const extra = [...assumptions];
    return { value: 'yes', evidence: `returned by ${where}`, assumptions: extra.length ? extra : undefined };
  }

  /** The value of one condition atom for a program on a kernel, judged from source `src`. */
  private atomValue(a: string, src: ProgramTypeSource, exact: boolean, kernel: KernelFeatures, program: ProgramFacts, witness?: string): boolean | undefined {
    const [kind, ...rest] = a.split(':');
    const arg = rest.join(':');
    switch (kind) {
      case 'attach': return program.attachType === arg;
      case 'type': return program.progType === arg;
      case 'sleepable': return program.sleepable;
      case 'priv': return true;
      case 'locked': return false;
      case 'dstProg': return false;
      case 'config': case 'configm': {
        if (exact) {
          const v = src.configValues[arg];
          return v === undefined ? undefined : kind === 'config' ? v === 'y' : v === 'y' || v === 'm';
        }
        // Another build: the helper's implementation in its functions shows that code was built.
        return witness && kernel.hasFunction(witness) === true ? true : undefined;
      }
      case 'inSet': {
        const set = src.sets[arg];
        if (!set || program.target === undefined) return undefined;
        const names = program.progType === 'BPF_PROG_TYPE_LSM' ? [program.target, `bpf_lsm_${program.target}`] : [program.target];
        const member = set.members.find(([m]) => names.includes(m));
        if (!member) return exact ? false : undefined;
        return exact ? evaluate(member[1], configLookup(src.configValues)) : member[1] === true ? true : undefined;
      }
      default: return undefined;
    }
  }

  /** bpf_override_return attaches only to functions on the error-injection list
   *  (perf_event_attach_bpf_prog: trace_kprobe_error_injectable); is `fn` on it for `kernel`. */
  errorInjectable(kernel: KernelFeatures, fn: string): CallAnswer {
    const b = brackets(this.programTypes.kernels, kernel);
    const on = (src: ProgramTypeSource) => src.errorInjection.functions.includes(fn) ||
      src.errorInjection.syscallPrefixes.some((p) => fn.startsWith(p));
    const say = (src: ProgramTypeSource, yes: boolean): SourceAnswer => (yes
      ? { value: 'yes', evidence: `${fn} is marked ALLOW_ERROR_INJECTION in ${src.source}` }
      : { value: 'no', rule: 'condition', evidence: `${fn} is not on the error-injection list of ${src.source}: bpf_override_return cannot attach to it` });
    const one = b.exact ?? b.same;
    if (one) return say(one, on(one));
    if (!b.lo || !b.hi) return { value: 'unknown', evidence: outsideSources(this.programTypes.kernels, kernel, `whether ${fn} allows error injection`) };
    return combine(say(b.lo, on(b.lo)), say(b.hi, on(b.hi)), b.lo, b.hi, kernel);
  }

  /** May `program` call kfunc `name` on `kernel`. */
  mayCallKfunc(kernel: KernelFeatures, program: ProgramFacts, name: string): CallAnswer {
    const present = this.kfunc(kernel, name);
    if (present.value === 'absent') return { value: 'no', rule: 'kfunc-absent', evidence: present.evidence };
    const b = brackets(this.kfuncs.kernels, kernel);
    const ask = (src: KfuncSource, exact: boolean): SourceAnswer => this.kfuncInSource(src, exact, kernel, program, name);
    if (b.exact) return ask(b.exact, true);
    if (b.same) return ask(b.same, false);
    if (!b.lo || !b.hi) {
      if (present.value === 'present' && b.lo) {
        return { value: 'unknown', evidence: `${name} is a kfunc on ${kernel.id}; which program types may call it is known only up to ${b.lo.version}` };
      }
      return { value: 'unknown', evidence: outsideSources(this.kfuncs.kernels, kernel, `which program types may call ${name}`) };
    }
    return combine(ask(b.lo, false), ask(b.hi, false), b.lo, b.hi, kernel);
  }

  private kfuncInSource(src: KfuncSource, exact: boolean, kernel: KernelFeatures, program: ProgramFacts, name: string): SourceAnswer {
    if (src.mechanism === 'none') return { value: 'no', rule: 'no-kfunc-support', evidence: `${src.source} has no kfunc calls` };
    const members = this.kfuncMembers(src, name);
    if (!members.length) return { value: 'unknown', notInSource: true, evidence: `${name} is in no kfunc set of ${src.source}` };
    const config = exact ? configLookup(src.configValues) : (a: string) => (/^configm?:/.test(a) && kernel.hasFunction(name) === true ? true : undefined);
    const hookOf = (progType: string): string | undefined => {
      const row = src.hooks.find((h) => h.progType === progType && evaluate(h.when, config) !== false) ?? src.hooks.find((h) => h.progType === 'default');
      return row?.hook;
    };
    const mine = hookOf(program.progType);
    const common = src.hooks.find((h) => h.progType === 'BPF_PROG_TYPE_UNSPEC')?.hook;
    let unknown: string | undefined;
    for (const { set, member } of members) {
      for (const r of set.registrations) {
        const hook = r.progType === 'BPF_PROG_TYPE_UNSPEC' ? common : hookOf(r.progType);
        if (!hook || (hook !== mine && hook !== common)) continue;
        const on = evaluate(['and', set.guard, member.guard, r.guard], config);
        if (on === false) continue;
        if (on === undefined) {
          unknown = `${set.name} (${set.file}) is registered for ${r.progType} only under ${formulaText(['and', set.guard, member.guard, r.guard] as Formula)}`;
          continue;
        }
        if (set.filter) {
          unknown = `${set.name} has a filter, ${set.filter}(), that decides per program (${src.source})`;
          continue;
        }
        if (member.flags.includes('KF_SLEEPABLE') && !program.sleepable) {
          return { value: 'no', rule: 'kfunc-sleepable', evidence: `${name} is KF_SLEEPABLE in ${set.name} (${set.file}, ${src.source}): only sleepable programs may call it` };
        }
        return { value: 'yes', evidence: `in ${set.name} (${set.file}), registered for ${r.progType} by ${r.via} (${src.source})` };
      }
    }
    if (unknown) return { value: 'unknown', evidence: unknown };
    const regs = [...new Set(members.flatMap(({ set }) => set.registrations.map((r) => r.progType)))].join(', ');
    return {
      value: 'no', rule: 'kfunc-not-registered',
      evidence: `${name} is registered for ${regs || 'no program type'} in ${src.source}; ${program.progType} maps to kfunc hook ${mine ?? 'none'}`,
    };
  }
}

/** Why a kernel outside the bundled sources' versions gets `unknown`. */
function outsideSources(sources: readonly { version: string }[], kernel: KernelFeatures, what: string): string {
  if (!sources.length) return `no kernel source is bundled to say ${what}`;
  const oldest = sources[0].version;
  const newest = sources[sources.length - 1].version;
  return `the bundled kernel sources span ${oldest} to ${newest}; ${what} on ${kernel.id}${kernel.version ? ` (${kernel.version})` : ''} is not known`;
}

/** Two bracketing sources' answers into one: kept where they agree, else unknown. */
function combine(lo: SourceAnswer, hi: SourceAnswer, loSrc: { version: string }, hiSrc: { version: string }, kernel: KernelFeatures): CallAnswer {
  if (lo.notInSource || hi.notInSource) {
    return { value: 'unknown', evidence: `${lo.notInSource ? lo.evidence : hi.evidence}: between ${loSrc.version} and ${hiSrc.version} the answer for ${kernel.id} is not known` };
  }
  if (lo.value === hi.value && lo.value !== 'unknown') {
    // Both refuse (possibly by different mechanisms, e.g. a sleepable-only check that moved from
    // the func_proto into might_sleep), or both allow.
    const assumptions = [...new Set([...(lo.assumptions ?? []), ...(hi.assumptions ?? [])])];
    return {
      value: lo.value, rule: lo.rule ?? hi.rule,
      evidence: lo.rule === hi.rule && lo.value === 'yes'
        ? `${lo.evidence}; the same in ${hiSrc.version} (${kernel.id} lies between)`
        : `${loSrc.version}: ${lo.evidence}; ${hiSrc.version}: ${hi.evidence} (${kernel.id} lies between)`,
      assumptions: assumptions.length ? assumptions : undefined,
    };
  }
  if (lo.value === 'unknown' || hi.value === 'unknown') return { value: 'unknown', evidence: lo.value === 'unknown' ? lo.evidence : hi.evidence };
  return { value: 'unknown', evidence: `${loSrc.version}: ${lo.value}; ${hiSrc.version}: ${hi.value} (${kernel.id} lies between)` };
}

function configLookup(values: Record<string, string>): (a: string) => boolean | undefined {
  return (a) => {
    const m = /^(configm?):(.*)$/.exec(a);
    if (!m) return undefined;
    const v = values[m[2]];
    if (v === undefined) return undefined;
    return m[1] === 'config' ? v === 'y' : v === 'y' || v === 'm';
  };
}

function configAtomsOf(f: Formula, out = new Set<string>()): Set<string> {
  if (typeof f === 'string') {
    if (/^configm?:/.test(f)) out.add(f);
  } else if (Array.isArray(f)) {
    for (const x of f.slice(1) as Formula[]) configAtomsOf(x, out);
  }
  return out;
}

/** `.allowed` conditions for a message: sets named with a few members. */
function describeAllowed(f: Formula, src: ProgramTypeSource): string {
  const text = formulaText(f);
  const sets = [...text.matchAll(/inSet:(\w+)/g)].map((m) => m[1]);
  const lists = [...new Set(sets)].map((s) => {
    const members = src.sets[s]?.members.map(([n]) => n) ?? [];
    return `${s} = {${members.slice(0, 6).join(', ')}${members.length > 6 ? `, ... ${members.length - 6} more` : ''}}`;
  });
  return `the program must satisfy ${text}${lists.length ? ` where ${lists.join('; ')}` : ''}`;
}
