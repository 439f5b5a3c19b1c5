// Kernel symbol names: the one rule for compiler suffixes. GCC and Clang give a function's
// specialised, split or promoted copies a dotted suffix (`finish_task_switch.isra.0`,
// `foo.constprop.0.isra.0`, `foo.part.0`, `foo.cold`, `foo.llvm.1234`, `memcpy.specialized.1`,
// `foo.localalias`, `foo.lto_priv.0`, and chains of them). Every layer (the kernel readers that
// group symbols by function, the atlas that looks symbols up, the verdicts that tell a clone from a
// fragment, the knowledge lookups) asks here, so a name has one base name everywhere.
// Imports nothing of ours.

/** Suffix kinds GCC and Clang append, each optionally followed by `.N` (or `.<hash>` for llvm). */
export const SUFFIX_KINDS = ['isra', 'constprop', 'part', 'cold', 'lto_priv', 'llvm', 'localalias', 'specialized'] as const;
export type SuffixKind = (typeof SUFFIX_KINDS)[number];

/** A suffix starts at a `.` followed by a known kind and then `.` or the end of the name. */
const SUFFIX = /\.(isra|constprop|part|cold|lto_priv|llvm|localalias|specialized)(?=\.|$)/g;

/** Kinds that make a separately callable copy of the function (calls to it are calls to the
 *  function); `.cold` is a fragment, `.localalias` and `.lto_priv` are the function itself under
 *  another name. */
const CLONE_KINDS: ReadonlySet<SuffixKind> = new Set<SuffixKind>(['isra', 'constprop', 'part', 'llvm', 'specialized']);

function firstSuffix(name: string): number {
  SUFFIX.lastIndex = 0;
  for (let m = SUFFIX.exec(name); m; m = SUFFIX.exec(name)) if (m.index > 0) return m.index;
  return -1;
}

/** Whether a name with a compiler suffix can end with `tail` (text without wildcards). Such a
 *  name ends in `.<kind>` or `.<kind>.<N>` (a number, or llvm's hash), so a tail without a `.`
 *  must end one of those: `_read` ends none, so `*_read` matches no suffixed copy of any name
 *  and a glob walk need not decode records to look for one. Never false when one can. */
export function suffixedNameMayEndWith(tail: string): boolean {
  if (tail === '' || tail.includes('.')) return true;
  return /^[0-9a-f]+$/i.test(tail) || SUFFIX_KINDS.some((k) => k.endsWith(tail));
}

/** `finish_task_switch.isra.0` → `finish_task_switch`; a name without a compiler suffix (or one
 *  that starts with a dot, such as the asm label `.E_copy`) is its own base. */
export function baseName(name: string): string {
  const at = firstSuffix(name);
  return at > 0 ? name.slice(0, at) : name;
}

export function hasCompilerSuffix(name: string): boolean {
  return firstSuffix(name) > 0;
}

/** The suffix kinds in a name, in order: `a.constprop.0.isra.0` → ['constprop', 'isra']. */
export function suffixKinds(name: string): SuffixKind[] {
  const out: SuffixKind[] = [];
  SUFFIX.lastIndex = 0;
  for (let m = SUFFIX.exec(name); m; m = SUFFIX.exec(name)) if (m.index > 0) out.push(m[1] as SuffixKind);
  return out;
}

/** A `.cold` part split off a function: not a function of its own (no ftrace site, no BTF). */
export function isFragment(symbol: string): boolean {
  return suffixKinds(symbol).includes('cold');
}

/** A callable compiler copy (`.isra`, `.constprop`, `.part`, `.llvm`, `.specialized`) that is not a
 *  fragment: a probe on the plain name misses the calls that go to it. */
export function isClone(symbol: string): boolean {
  const kinds = suffixKinds(symbol);
  return !kinds.includes('cold') && kinds.some((k) => CLONE_KINDS.has(k));
}

/** The symbol a probe on `base` should attach to among its symbols: the plain name when it exists,
 *  else the callable copy with the fewest suffixes (`.isra`/`.constprop` before `.part`, then the
 *  first in the given order, which is address order); never a `.cold` fragment. Undefined when
 *  there is none. */
export function preferredSymbol(base: string, symbols: readonly string[]): string | undefined {
  if (symbols.includes(base)) return base;
  let best: string | undefined;
  let bestRank = Infinity;
  for (const s of symbols) {
    if (isFragment(s)) continue;
    const kinds = suffixKinds(s);
    const rank = kinds.length * 10 + (kinds.includes('part') ? 1 : 0);
    if (rank < bestRank) {
      best = s;
      bestRank = rank;
    }
  }
  return best;
}

/** Labels that CONFIG_CALL_PADDING / CFI put before every function (6.2+): not functions. */
export function isPaddingLabel(name: string): boolean {
  return name.startsWith('__pfx_') || name.startsWith('__cfi_');
}

/** `bpf_lsm_<hook>` is the BPF attach stub of an LSM hook; security/bpf/hooks.c and
 *  kernel/bpf/bpf_lsm.c also define functions with that prefix that are not hooks (the LSM's own
 *  `bpf_lsm_init`, the verifier's helpers). The hook list proper is the member list of BTF's
 *  `union security_list_options` where a kernel has it; this list is the rule where it does not,
 *  and for atlases built before the rule, so `lsm:init` gets one verdict on every kernel. */
const LSM_NON_HOOKS: ReadonlySet<string> = new Set([
  'init', 'verify_prog', 'find_cgroup_shim', 'is_sleepable_hook', 'is_trusted', 'get_retval_range', 'func_proto',
  'hook_returns_errno', 'has_d_inode_locked',
]);

export const LSM_STUB_PREFIX = 'bpf_lsm_';

/** The LSM hook a `bpf_lsm_*` function is the stub of, or undefined when it is a helper. */
export function lsmHookOfStub(functionName: string): string | undefined {
  if (!functionName.startsWith(LSM_STUB_PREFIX)) return undefined;
  const hook = functionName.slice(LSM_STUB_PREFIX.length);
  return isLsmHookName(hook) ? hook : undefined;
}

/** False for the names of `bpf_lsm_*` helpers that are not LSM hooks. */
export function isLsmHookName(hook: string): boolean {
  return hook.length > 0 && !LSM_NON_HOOKS.has(hook);
}
