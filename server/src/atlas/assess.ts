// Turns a kernel's facts into the public hazard taxonomy (model/hazards.ts): judge an attach
// target such as `kprobe:do_sys_open` or `tracepoint:sched:sched_switch` on one kernel. How the
// verdicts of several kernels compare is the analysis layer's (analysis/verdicts.ts, shapes.ts).
// Severities: `error` where attaching fails, `warning` where calls are silently missed or read
// wrongly, `info` otherwise; `unknown` (a fact the kernel's source cannot give) is always `info`
// and never a guess.

import { syscallWrapperPrefix } from '../kernel/syscallEvents';
import { kernelConfigHazard, withKernelConfig } from './kernelConfig';
import { renderProto, tracepointHeads } from './model';
import type {
  Assessment, AttachTarget, FunctionFacts, Hazard, HazardName, KernelQuery, Param, Proto,
  Severity, TraceField, TracepointFacts,
} from './model';
import { ownCopy } from '../model/ownStrings';
import { isKprobeKind, needsBtf } from '../model/programKinds';
import { baseName, hasCompilerSuffix, isClone, isFragment, preferredSymbol } from '../model/symbols';

// ---- assessment ----

class Verdict {
  readonly hazards: Hazard[] = [];
  readonly unknowns: string[] = [];
  add(name: HazardName, severity: Severity, message: string): void {
    // Flat: verdicts are kept by the ten thousand (model/ownStrings.ts).
    this.hazards.push({ name, severity, message: ownCopy(message) });
  }
  unknown(what: string): void {
    this.unknowns.push(what);
  }
  finish(a: Assessment, kernelId: string): Assessment {
    if (this.unknowns.length) {
      this.hazards.push({ name: 'unknown', severity: 'info', message: ownCopy(`Not known for ${kernelId}: ${this.unknowns.join('; ')}.`) });
    }
    // An exact-size copy: the list grew by push (room for 17), and verdicts are kept by the
    // thousand in the analysis cache (over 30 targets, tens of thousands).
    a.hazards = this.hazards.slice();
    return a;
  }
}

/** Judge one exact target on one kernel (globs: analysis/globs.ts). Never throws for a
 *  well-formed target. */
export function assess(kernel: KernelQuery, target: AttachTarget, memo: KernelMemo = fresh): Assessment {
  return withKernelConfig(assessHook(kernel, target, memo), kernel.meta, target);
}

/** What is derived once from a whole kernel (e.g. its trace systems), kept by the caller as long
 *  as the kernel (the analysis cache's derived()); without one, derived each time. */
export type KernelMemo = <T>(key: string, make: () => T) => T;

const fresh: KernelMemo = (_key, make) => make();

/** The verdict from the hook's own facts (assess() then applies the kernel's configuration). */
function assessHook(kernel: KernelQuery, target: AttachTarget, memo: KernelMemo): Assessment {
  switch (target.kind) {
    case 'tracepoint':
    case 'raw_tp':
    case 'tp_btf':
      return assessTracepoint(kernel, target, memo);
    case 'lsm':
      return assessLsm(kernel, target);
    case 'ksyscall':
    case 'kretsyscall':
      return assessSyscall(kernel, target);
    default:
      return assessFunction(kernel, target, target.name);
  }
}

/** The trace system an event would belong to, when this kernel builds that system into its
 *  vmlinux: the target's own system, or (tp_btf, raw_tp) the system `block` of a `block_*` name
 *  whose vmlinux events of that prefix all belong to `block`. A trace system's events are created
 *  by one compilation unit (CREATE_TRACE_POINTS over its header), so an event missing from a
 *  built-in system is missing from the kernel, modules or not (`block_io_start` before 6.5). */
function builtInSystem(kernel: KernelQuery, target: AttachTarget, memo: KernelMemo): { system: string; count: number; example: string } | undefined {
  const prefix = /^([a-z0-9]+)_/.exec(target.name)?.[1];
  const system = target.system ?? prefix;
  if (!system) return undefined;
  const systems = memo('trace-systems', () => traceSystems(kernel));
  const events = systems.vmlinux.get(system);
  if (!events) return undefined;
  // Without a written system, every vmlinux event of the name's prefix must be of that system
  // (`prefix` has no `_`: an event starts with `${prefix}_` exactly when its head is `prefix`).
  if (!target.system && [...systems.byHead.get(system) ?? []].some((s) => s !== system)) return undefined;
  return { system, count: events.count, example: events.example };
}

/** A kernel's trace systems as builtInSystem asks them, from one walk over its tracepoints (a
 *  walk per absent event cost ~0.5 ms a kernel, 47 ms for a tp_btf completion list over 30
 *  targets): per system, its vmlinux events (count, first in tracepointHeads() order); per head of
 *  an event name (`block` of `block_rq_issue`), the systems of the events with that head. */
function traceSystems(kernel: KernelQuery): { vmlinux: Map<string, { count: number; example: string }>; byHead: Map<string, Set<string | undefined>> } {
  const vmlinux = new Map<string, { count: number; example: string }>();
  const byHead = new Map<string, Set<string | undefined>>();
  for (const t of tracepointHeads(kernel)) {
    if (t.system !== undefined && !t.module) {
      const e = vmlinux.get(t.system);
      if (e) e.count++;
      else vmlinux.set(t.system, { count: 1, example: t.name });
    }
    const u = t.name.indexOf('_');
    if (u > 0) {
      const head = t.name.slice(0, u);
      let set = byHead.get(head);
      if (!set) byHead.set(head, (set = new Set()));
      set.add(t.system);
    }
  }
  return { vmlinux, byHead };
}

function moduleNote(kernel: KernelQuery): string {
  return kernel.meta.coverage.modules ? '' : ' (loadable modules are not covered for this kernel)';
}

/** Not found: definite `absent` when modules are covered, otherwise honest `unknown`. */
function notFound(kernel: KernelQuery, v: Verdict, what: string, a: Assessment, hint = ''): Assessment {
  const k = kernel.meta.id;
  if (kernel.meta.coverage.modules) {
    v.add('absent', 'error', `${what} does not exist on ${k}.${hint}`);
  } else {
    v.add('unknown', 'info', `${what} is not in the vmlinux of ${k}; it may live in a loadable module, which this atlas does not cover for ${k}.${hint}`);
  }
  return v.finish(a, k);
}

/** What one function question needs: the kernel, the kind's needs, the names and the facts. */
interface FunctionCase {
  kernel: KernelQuery;
  target: AttachTarget;
  k: string;
  a: Assessment;
  v: Verdict;
  kprobe: boolean;
  /** Function kinds and iterators reach here: of those, the BTF trampolines and iter need BTF. */
  btfKind: boolean;
  name: string;
  base: string;
  label: string;
}

function assessFunction(kernel: KernelQuery, target: AttachTarget, name: string, attachName = name): Assessment {
  const k = kernel.meta.id;
  const base = baseName(name);
  const c: FunctionCase = {
    kernel, target, k, name, base, label: `${base}()`,
    a: { kernel: k, found: false, attachable: false, hazards: [] }, v: new Verdict(),
    kprobe: isKprobeKind(target.kind), btfKind: needsBtf(target.kind),
  };
  const f: FunctionFacts | undefined = kernel.fn(base);
  if (f?.noData) {
    c.a.found = true;
    c.a.attachable = true;
    c.v.unknown(`the source has no facts about ${c.label} (its record was not available)`);
    return c.v.finish(c.a, k);
  }
  if (hasCompilerSuffix(name)) return assessSuffixed(c, f);
  if (!f) return assessWithoutFacts(c);
  const a = c.a;
  a.found = true;
  a.symbols = f.symbols;
  if (f.module) a.module = f.module;
  if (f.proto) a.proto = ownCopy(renderProto(base, f.proto));
  const plain = f.symbols.filter((s) => s === base).length;
  let attachable = plain > 0 ? judgeSymbols(c, f, plain) : judgeNoPlainSymbol(c, f);
  if (f.initOnly) {
    attachable = false;
    c.v.add('init-only', 'error', `${c.label} is in .init.text on ${k}: its code is freed after boot, so a probe cannot attach.`);
  }
  if (!judgeMechanism(c, f, plain)) attachable = false;
  a.attachable = attachable && (plain > 0);
  if (attachName !== name) a.attachAs = attachName;
  return c.v.finish(a, k);
}

/** An exact compiler-suffixed symbol: kprobes take it as is, BTF never names it. */
function assessSuffixed(c: FunctionCase, f: FunctionFacts | undefined): Assessment {
  const { kernel, k, a, v, name, base } = c;
  if (!kernel.hasSymbol(name)) {
    const others = f?.symbols.length ? ` Symbols for ${base}: ${f.symbols.join(', ')}.` : '';
    if (f) {
      v.add('absent', 'error', `${k} has no symbol ${name}.${others}`);
      return v.finish(a, k);
    }
    return notFound(kernel, v, `Symbol ${name}`, a);
  }
  a.found = true;
  a.symbols = f?.symbols;
  if (c.btfKind) {
    v.add('no-btf', 'error', `${name} is a compiler-made copy: BTF has no function of that name, so ${c.target.kind} cannot attach; use kprobe:${name} or ${c.target.kind}:${base} where BTF has it.`);
    return v.finish(a, k);
  }
  a.attachable = true;
  return v.finish(a, k);
}

/** A name the kernel has no function record for: a bare symbol, or nothing. */
function assessWithoutFacts(c: FunctionCase): Assessment {
  const { kernel, k, a, v, name, label } = c;
  if (kernel.hasSymbol(name)) {
    a.found = true;
    a.attachable = !c.btfKind;
    if (c.btfKind) v.add('no-btf', 'error', `${label} has a symbol but no BTF function on ${k}: ${c.target.kind} cannot attach.`);
    else v.unknown(`inline status, ftrace site and blacklist of ${label}`);
    return v.finish(a, k);
  }
  return notFound(kernel, v, `Function ${label}`, a);
}

/** No plain symbol: renamed, fully inlined, fragments only, or gone. Never attachable by name. */
function judgeNoPlainSymbol(c: FunctionCase, f: FunctionFacts): boolean {
  const { k, a, v, base, label } = c;
  const copies = f.symbols.filter((s) => s !== base && !isFragment(s));
  const renamedTo = preferredSymbol(base, f.symbols);
  if (renamedTo) {
    if (c.kprobe) a.attachAs = renamedTo;
    // A kprobe on the renamed symbol is the way out only where the kernel has kprobes.
    const kprobeRefusal = kernelConfigHazard(c.kernel.meta, { kind: 'kprobe', name: renamedTo });
    const how = c.kprobe
      ? `attach to ${renamedTo} instead (its arguments may differ from the source prototype)`
      : kprobeRefusal
        ? `${c.target.kind} by name fails, and so does kprobe:${renamedTo} (${kprobeRefusal.message.replace(/\.$/, '')})`
        : `${c.target.kind} by name fails; kprobe:${renamedTo} works`;
    v.add('renamed', 'error', `${k} has no symbol ${base}, only ${f.symbols.join(', ')}: ${how}.`);
    if (copies.length > 1) v.add('duplicate', 'warning', `${k} has ${copies.length} compiler copies of ${label} (${copies.join(', ')}): one probe misses calls to the others.`);
  } else if (f.inline === 'full') {
    const into = f.inlinedInto?.length ? ` Probe a caller instead: ${f.inlinedInto.slice(0, 5).join(', ')}.` : '';
    v.add('fully-inlined', 'error', `${label} is inlined into every caller on ${k}: there is no symbol to attach to.${into}`);
  } else if (f.symbols.length) {
    v.add('renamed', 'error', `${k} has only fragments of ${label} (${f.symbols.join(', ')}): nothing to attach to by name.`);
  } else if (f.exitOnly) {
    v.add('init-only', 'error', `${label} is built-in exit code (.exit.text) on ${k}: it never runs and its code is discarded after boot, so nothing can attach to it.`);
  } else if (f.inline === 'unknown') {
    v.add('absent', 'error', `${k} has no symbol ${base}${f.inBtf ? ' although BTF lists it' : ''}: it was inlined everywhere or is built-in exit code (.exit.text) discarded after boot, so nothing can attach to it.`);
  } else {
    v.add('fully-inlined', 'error', `${label} has no symbol on ${k}: every call was inlined, nothing to attach to.`);
  }
  return false;
}

/** A plain symbol exists: duplicates, clones and inlined call sites make a probe miss calls. */
function judgeSymbols(c: FunctionCase, f: FunctionFacts, plain: number): boolean {
  const { k, a, v, base, label } = c;
  if (plain > 1) {
    v.add('duplicate', 'warning', `${k} has ${plain} static functions named ${base}: attaching by name is ambiguous (newer kernels refuse it) and a probe sees only one of them.`);
  }
  const clones = f.symbols.filter((s) => s !== base && isClone(s));
  if (clones.length) {
    v.add('clone', 'warning', `${k} also has ${clones.join(', ')}: calls that go to ${clones.length > 1 ? 'these copies' : 'this copy'} are missed by a probe on ${base}.`);
  }
  if (f.inline === 'partial' && f.inlinedSites === undefined && !f.inlinedInto?.length) {
    // DepSurf's "Selective Inline" label without a recorded caller (3,771 of 7,460 such functions
    // on Ubuntu 5.15): the inlined copies may all sit inside the function itself (recursion, local
    // helpers), so a missed call is not shown. What is known is information, not a warning.
    v.add('partially-inlined', 'info', `${k}'s inline data marks ${label} as selectively inlined but names no caller it is inlined into: a probe may miss calls (not confirmed).`);
  } else if (f.inline === 'partial') {
    a.inlinedSites = f.inlinedSites;
    const sites = f.inlinedSites !== undefined ? `${f.inlinedSites} call site${f.inlinedSites === 1 ? '' : 's'}` : 'some call sites';
    const into = f.inlinedInto?.length ? ` (inlined into ${f.inlinedInto.slice(0, 5).join(', ')}${f.inlinedInto.length > 5 ? ', ...' : ''})` : '';
    v.add('partially-inlined', 'warning', `${label} is inlined at ${sites} on ${k}${into}: the probe silently misses those calls.`);
  } else if (f.inline === 'unknown') {
    v.unknown(`whether ${label} is inlined at some call sites (no DWARF data)`);
  }
  return true;
}

/** What the kind's mechanism needs: kprobes a symbol off the blacklist; BTF trampolines the
 *  kernel's BTF, the function in it and an ftrace site. False when it cannot attach. */
function judgeMechanism(c: FunctionCase, f: FunctionFacts, plain: number): boolean {
  const { kernel, k, v, label } = c;
  let ok = true;
  if (c.kprobe && plain > 0) {
    if (f.kprobeBlacklisted === true) {
      ok = false;
      v.add('kprobe-blacklist', 'error', `${label} is on the kprobe blacklist of ${k}: the kernel refuses kprobes on it.`);
    } else if (f.kprobeBlacklisted === null) v.unknown('the kprobe blacklist');
  }
  if (!c.btfKind) return ok;
  const kind = c.target.kind;
  if (!kernel.meta.coverage.btf) {
    ok = false;
    v.add('no-btf', 'error', `${k} ships without BTF (no CONFIG_DEBUG_INFO_BTF): ${kind} programs cannot load there; use kprobes.`);
  } else if (f.inBtf === false) {
    ok = false;
    v.add('no-btf', 'error', `${label} is not in the BTF of ${k}: ${kind} cannot attach.`);
  } else if (f.inBtf === null) v.unknown(`whether ${label} is in the kernel BTF`);
  if (plain > 0) {
    if (f.ftrace === false) {
      ok = false;
      v.add('notrace', 'error', `${label} has no ftrace site on ${k} (notrace): ${kind} cannot attach; a kprobe still can.`);
    } else if (f.ftrace === null) v.unknown('ftrace sites (fentry-ability)');
  }
  return ok;
}

function assessTracepoint(kernel: KernelQuery, target: AttachTarget, memo: KernelMemo): Assessment {
  const k = kernel.meta.id;
  const a: Assessment = { kernel: k, found: false, attachable: false, hazards: [] };
  const v = new Verdict();
  const label = target.system ? `${target.system}:${target.name}` : target.name;
  let tp: TracepointFacts | undefined = kernel.tracepoint(target.name, target.system);
  if (!tp && target.system) {
    // The event exists but its system is not known for this kernel: take it, and say so.
    const unsystemed = kernel.tracepoint(target.name);
    if (unsystemed && unsystemed.system === undefined) {
      tp = unsystemed;
      v.unknown(`which trace system ${target.name} belongs to (assumed ${target.system})`);
    }
  }
  if (!tp) {
    const other = target.system ? kernel.tracepoint(target.name) : undefined;
    if (other?.system && target.kind === 'tracepoint') {
      v.add('absent', 'error', `${k} has no tracepoint ${label}; the event is ${other.system}:${other.name}.`);
      return v.finish(a, k);
    }
    if (other && target.kind !== 'tracepoint') return assessTracepoint(kernel, { ...target, system: undefined }, memo);
    const builtIn = kernel.meta.coverage.modules ? undefined : builtInSystem(kernel, target, memo);
    if (builtIn) {
      v.add('absent', 'error', `Tracepoint ${label} does not exist on ${k}: its system ${builtIn.system} is built into the vmlinux (${builtIn.count} events, e.g. ${builtIn.example}), events of one system are created together (one CREATE_TRACE_POINTS), so no module adds it.`);
      return v.finish(a, k);
    }
    return notFound(kernel, v, `Tracepoint ${label}`, a);
  }
  a.found = true;
  if (tp.system) a.system = tp.system;
  if (tp.template) a.template = tp.template;
  if (tp.module) a.module = tp.module;
  if (tp.args) a.args = tp.args;
  let attachable = true;
  if (target.kind === 'tracepoint') {
    if (tp.event === null) {
      v.unknown(`whether ${tp.name} has a trace event (tracefs is not readable and no other source settles it)`);
    } else if (!tp.event) {
      attachable = false;
      v.add('no-event', 'error', `${tp.name} on ${k} is a raw tracepoint without a trace event: use raw_tp or tp_btf, not tracepoint.`);
    } else {
      if (tp.fields) a.fields = tp.fields;
      else v.unknown(`the record fields of ${tp.name}`);
      if (tp.fmt !== undefined) a.fmt = tp.fmt;
      if (tp.fields && !kernel.meta.coverage.exactFieldOffsets && tp.fields.some((f) => f.offset === undefined)) {
        v.unknown('exact record field offsets (the source gives field types only)');
      }
    }
  } else if (target.kind === 'tp_btf') {
    if (!kernel.meta.coverage.btf) {
      attachable = false;
      v.add('no-btf', 'error', `${k} ships without BTF: tp_btf programs cannot load there; use raw_tp or tracepoint.`);
    } else if (tp.btf === false) {
      attachable = false;
      v.add('no-btf', 'error', `${k} has no BTF type btf_trace_${tp.name}: tp_btf cannot attach; use raw_tp.`);
    } else if (tp.btf === null) v.unknown(`whether BTF has btf_trace_${tp.name} (tp_btf)`);
  }
  a.attachable = attachable;
  return v.finish(a, k);
}

function assessLsm(kernel: KernelQuery, target: AttachTarget): Assessment {
  const k = kernel.meta.id;
  const a: Assessment = { kernel: k, found: false, attachable: false, hazards: [] };
  const v = new Verdict();
  const hook = kernel.lsmHook(target.name);
  if (!hook) {
    if (kernel.lsmHooks().length === 0) {
      v.unknown('the LSM hooks (the source lists none)');
      return v.finish(a, k);
    }
    v.add('absent', 'error', `${k} has no LSM hook ${target.name}.`);
    return v.finish(a, k);
  }
  a.found = true;
  a.attachable = true;
  if (hook.proto) {
    a.proto = ownCopy(renderProto(`security_${hook.name}`, hook.proto));
  }
  if (!kernel.meta.coverage.btf) {
    a.attachable = false;
    v.add('no-btf', 'error', `${k} ships without BTF: BPF LSM programs cannot load there.`);
  }
  return v.finish(a, k);
}

/** Symbols a ksyscall program may attach to, most specific first, per architecture. */
function syscallSymbols(name: string, arch: string): string[] {
  const prefix = syscallWrapperPrefix(arch);
  const out: string[] = [];
  if (prefix !== 'sys_') out.push(prefix + name);
  out.push(`__se_sys_${name}`, `sys_${name}`);
  return out;
}

function assessSyscall(kernel: KernelQuery, target: AttachTarget): Assessment {
  const k = kernel.meta.id;
  const name = target.name.replace(/^(__x64_|__arm64_|__riscv_|__s390x_)?sys_/, '');
  const sc = kernel.syscall(name);
  // ksyscall attaches a kprobe to the syscall's entry wrapper: it is that symbol that decides.
  const symbol = syscallSymbols(name, kernel.meta.arch).find((s) => {
    const f = kernel.fn(s);
    return f ? f.symbols.includes(s) : kernel.hasSymbol(s);
  });
  if (!symbol) {
    const v = new Verdict();
    const a: Assessment = { kernel: k, found: !!sc, attachable: false, hazards: [] };
    if (!sc && kernel.syscalls().length > 0) {
      v.add('absent', 'error', `${k} has no system call ${name}: neither its syscall table nor a symbol ${syscallSymbols(name, kernel.meta.arch).join(', ')} has it.`);
    } else if (sc) v.unknown(`which symbol implements ${name} (none of ${syscallSymbols(name, kernel.meta.arch).join(', ')} is listed)`);
    else v.unknown(`the syscall table (not recorded) and a symbol for ${name}`);
    return v.finish(a, k);
  }
  const a = assessFunction(kernel, { kind: 'kprobe', name: symbol }, symbol);
  a.attachAs = symbol;
  const args = sc?.args.length ? sc.args : kernel.fn(`__do_sys_${name}`)?.proto?.params ?? kernel.fn(`__se_sys_${name}`)?.proto?.params;
  if (args?.length) a.args = args;
  return a;
}
