// Target resolution: the one rule for which attach target a program names. A libbpf program names
// one in its SEC() string, a bpftrace probe in its probe text; a program names none when its kind is
// not indexed by the atlas (uprobe, xdp, iter), when its target is set at load time
// (`SEC("fentry")`), while the name is still being typed, or (bpftrace) for a `{a,b}` group.

import type { AttachTarget } from '../atlas/model';
import { hasWildcard } from '../model/glob';
import { BT_ATTACH_KIND, libbpfExpandsGlob } from '../model/programKinds';
import type { BtProbe } from '../syntax/bpftrace';
import type { BpfProgram } from '../syntax/cModel';

/** The atlas target a libbpf program attaches to, or undefined when there is nothing to judge. */
export function programTarget(program: BpfProgram): AttachTarget | undefined {
  if (!program.kind || !program.target?.name) return undefined;
  const name = program.target.name.trim();
  if (!name || !/^[\w.*?$]+$/.test(name)) return undefined;
  if (program.kind === 'tracepoint' && !program.target.system) return undefined;
  if (program.kind === 'iter') return undefined;
  const target: AttachTarget = { kind: program.kind, name };
  if (program.target.system) target.system = program.target.system;
  // libbpf expands a glob only in the multi-attach sections; elsewhere `*` is part of the name.
  if (program.target.pattern) {
    if (libbpfExpandsGlob(program.kind)) target.pattern = true;
    else target.unexpandedGlob = true;
  }
  return target;
}

/** Names that libbpf-tools and similar loaders use for programs retargeted at load time with
 *  bpf_program__set_attach_target() (fsslower's `dummy_file_read`, `dummy_fentry`...) or attach by
 *  name (ksnoop's `kprobe/foo`). */
export function isPlaceholderName(name: string): boolean {
  return /(^|_)(dummy|placeholder|stub)(_|$)/i.test(name) || /^dummy/i.test(name) || /^(foo|bar|baz|qux|xxx)$/i.test(name);
}

/** The atlas target a bpftrace probe names (bpftrace has no brace expansion: its documentation
 *  lists `*` wildcards and comma lists only, so a `{a,b}` group names nothing to look up). */
export function probeTargets(probe: BtProbe): AttachTarget[] {
  const kind = BT_ATTACH_KIND[probe.kind];
  if (!kind) return [];
  const names = kind === 'tracepoint' ? [probe.system, probe.event] : [kind === 'raw_tp' ? probe.event : probe.function];
  if (names.some((n) => !n || /[{}]/.test(n))) return [];
  const pattern = names.some((n) => hasWildcard(n!, 'bpftrace')) || undefined;
  return kind === 'tracepoint'
    ? [{ kind, system: probe.system, name: probe.event!, pattern }]
    : [{ kind, name: names[0]!, pattern }];
}
