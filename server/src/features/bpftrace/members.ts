// bpftrace member reads against the target kernels: `curtask->__state`, `args.prev->__state` in a
// kfunc/fentry or rawtracepoint probe, `((struct request *)arg0)->rq_disk`, `$t->real_parent`.
// bpftrace resolves each member in the running kernel's BTF when it compiles the script, so a
// member some target lacks is an error naming those kernels (the same finding as libbpf C's,
// features/shared/memberFindings.ts). Structs the script defines itself are its own: not checked.
// Pure.

import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { accessOnTargets } from '../../analysis/members';
import type { BtModel } from '../../syntax/bpftrace';
import { btAccesses, type BtAccess } from '../../syntax/btAccess';
import { parseWrittenType, type CoreAccess, type WrittenType } from '../../syntax/coreAccess';
import type { FeatureContext } from '../shared/context';
import { memberFindings } from '../shared/memberFindings';
import { argsOn, kernelOf } from './common';

const CONSEQUENCE = 'so bpftrace cannot resolve it there and the script does not compile';

/** The type of a probe argument on the first target kernel that knows it. */
function argType(model: BtModel, a: BtAccess, name: string, ctx: FeatureContext): WrittenType | undefined {
  const probe = model.blocks[a.block]?.probes[0];
  if (!probe || probe.wildcard) return undefined;
  for (const id of ctx.targets) {
    const kernel = kernelOf(ctx, id);
    const arg = kernel && argsOn(kernel, probe)?.find((x) => x.name === name);
    if (arg) return parseWrittenType(arg.type);
  }
  return undefined;
}

/** Struct names the script defines (`struct foo { ... }`): its own, not the kernel's. */
function ownStructs(model: BtModel): Set<string> {
  const out = new Set<string>();
  for (const m of model.text.matchAll(/^\s*(struct|union)\s+(\w+)\s*\{/gm)) out.add(`${m[1]} ${m[2]}`);
  return out;
}

export function btMemberFindings(model: BtModel, uri: string, ctx: FeatureContext): Diagnostic[] {
  if (!ctx.targets.length) return [];
  const own = ownStructs(model);
  const out: Diagnostic[] = [];
  for (const a of btAccesses(model)) {
    const type = a.root.kind === 'type' ? a.root.type : argType(model, a, a.root.name, ctx);
    if (!type || own.has(`${type.tag} ${type.name}`)) continue;
    // `args.prev->x`: the first step after the argument is the first member read.
    const access: CoreAccess = { root: { kind: 'type', type }, steps: a.steps, via: 'direct', range: a.range, guarded: false, start: a.start, end: a.end, autoDeref: true };
    out.push(...memberFindings(uri, accessOnTargets(access, ctx), DiagnosticSeverity.Error, { consequence: CONSEQUENCE, libbpfAdvice: false }));
  }
  return out;
}
