// The LSM hooks a kernel offers BPF LSM programs, from its BTF: one rule for every reader (the
// running kernel, packaged images, module-less BTF files), so `lsm/<hook>` gets the same verdict on
// every kernel. A hook is a member of `union security_list_options` (the LSM_HOOK list) that has
// its `bpf_lsm_<hook>` attach stub; kernels whose BTF lacks the union fall back to the stubs minus
// the functions that share the prefix without being hooks (model/symbols.ts isLsmHookName).

import { Btf, BtfKind } from './btf';
import type { LsmHookFacts } from '../model/facts';
import { LSM_STUB_PREFIX, isLsmHookName } from '../model/symbols';

/** Every BPF LSM hook of a BTF (its own FUNCs), with the prototype of its attach stub, by name. */
export function lsmHooksOf(btf: Btf): LsmHookFacts[] {
  const union = btf.findByName(BtfKind.UNION, 'security_list_options');
  const hooks = union !== undefined ? new Set(btf.members(union).map((m) => m.name)) : undefined;
  const seen = new Set<string>();
  const out: LsmHookFacts[] = [];
  for (const f of btf.funcs()) {
    if (!f.name.startsWith(LSM_STUB_PREFIX)) continue;
    const hook = f.name.slice(LSM_STUB_PREFIX.length);
    if (hooks ? !hooks.has(hook) : !isLsmHookName(hook)) continue;
    if (seen.has(hook)) continue;
    seen.add(hook);
    out.push(btf.kind(f.protoId) === BtfKind.FUNC_PROTO ? { name: hook, proto: btf.proto(f.protoId) } : { name: hook });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
