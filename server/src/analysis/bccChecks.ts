// The answers one kernel gives to the checks BCC tools make before attaching (syntax/bcc records
// them as guards), computed from the kernel's facts the way bcc computes them at run time
// (src/python/bcc/__init__.py):
//   get_kprobe_functions(re)   text symbols fully matching re, with an ftrace site, not blacklisted,
//                              not .cold, not in .init.text
//   tracepoint_exists(s, e)    the trace event exists
//   support_kfunc()            x86_64, kernel BTF, bpf_trampoline_link_prog in kallsyms
//   support_lsm()              kernel BTF, bpf_lsm_bpf in kallsyms
//   support_raw_tracepoint()   bpf_find_raw_tracepoint or bpf_get_raw_tracepoint in kallsyms
//   support_fmod_ret()         BPF_MODIFY_RETURN in the kernel's BTF (5.7)
//   ksymname(name)             the symbol exists
//   #if LINUX_VERSION_CODE ... the kernel's version; arch macros from the kernel's architecture
// and the checks libbpf-tools' loaders make (trace_helpers.c), read by syntax/loader.ts:
//   fentry_can_attach(f, mod)  f is in BTF with an ftrace site (the kernel loads a trampoline)
//   kprobe_exists(f)           f is in available_filter_functions (or kallsyms): a kprobe attaches
//   probe_tp_btf(e)            BTF has btf_trace_<e>
//   ksyms__get_symbol(k, f)    the symbol exists in kallsyms
// `undefined` wherever the facts cannot tell (a module the atlas does not cover, a struct layout it
// does not hold, a CONFIG_ option): conditions.ts then claims nothing for that kernel.

import { assess } from '../atlas/assess';
import type { KernelQuery } from '../model/facts';
import { compilePythonRegex } from '../syntax/bcc/pyRegex';
import type { Tri } from '../syntax/bcc/conditions';
import type { BccGuard } from '../syntax/bcc/types';

const X86 = new Set(['x86_64', 'amd64']);

/** The answer of `kernel` to one check. */
export function kernelCheckAnswer(kernel: KernelQuery, g: BccGuard): Tri {
  const arg = g.args[0];
  switch (g.check) {
    case 'get_kprobe_functions':
      return arg === undefined ? undefined : kprobeFunctionsExist(kernel, arg);
    case 'tracepoint_exists': {
      const [system, event] = g.args;
      if (system === undefined || event === undefined) return undefined;
      return found(kernel, () => assess(kernel, { kind: 'tracepoint', system, name: event }));
    }
    case 'fentry_can_attach': {
      if (arg === undefined) return undefined;
      const a = assess(kernel, { kind: 'fentry', name: arg });
      if (a.attachable) return true;
      return a.hazards.some((h) => h.name === 'unknown') ? undefined : false;
    }
    case 'kprobe_exists':
      return arg === undefined ? undefined : kprobeFunctionsExist(kernel, arg);
    case 'probe_tp_btf':
      return arg === undefined ? undefined : found(kernel, () => assess(kernel, { kind: 'tp_btf', name: arg }));
    case 'ksyms__get_symbol':
      return arg === undefined ? undefined : symbolExists(kernel, arg);
    case 'support_kfunc':
      if (!X86.has(kernel.meta.arch) || !kernel.meta.coverage.btf) return false;
      return symbolExists(kernel, 'bpf_trampoline_link_prog');
    case 'support_lsm':
      if (!kernel.meta.coverage.btf) return false;
      return symbolExists(kernel, 'bpf_lsm_bpf');
    case 'support_fmod_ret': {
      // bcc asks BTF for enum bpf_attach_type's BPF_MODIFY_RETURN, which arrived in 5.7.
      if (!kernel.meta.coverage.btf) return false;
      const code = versionCode(kernel);
      return code === undefined ? undefined : code >= (5 << 16) + (7 << 8);
    }
    case 'support_raw_tracepoint': {
      const a = symbolExists(kernel, 'bpf_find_raw_tracepoint');
      const b = symbolExists(kernel, 'bpf_get_raw_tracepoint');
      return a === true || b === true ? true : a === false && b === false ? false : undefined;
    }
    case 'ksymname': case 'ksym': {
      if (arg === undefined) return undefined;
      if (g.syscallArg === 0) {
        const prefix = syscallPrefix(kernel);
        return prefix === undefined ? undefined : symbolExists(kernel, prefix + arg);
      }
      return symbolExists(kernel, arg);
    }
    case 'preprocessor':
      return arg === undefined ? undefined : preprocessorValue(kernel, arg);
    default:
      return undefined;
  }
}

function found(kernel: KernelQuery, assessment: () => ReturnType<typeof assess>): Tri {
  const a = assessment();
  if (a.found) return true;
  return a.hazards.some((h) => h.name === 'unknown') ? undefined : false;
}

/** A text symbol of exactly this name: true; none where the kernel's symbols are fully known
 *  (module coverage): false; otherwise unknown. */
function symbolExists(kernel: KernelQuery, name: string): Tri {
  if (kernel.hasSymbol(name)) return true;
  return kernel.meta.coverage.modules || isCoreSymbol(name) ? false : undefined;
}

/** Symbols that only vmlinux can have (BPF core, syscall entry points): their absence from the
 *  kernel's own symbols is an answer even where modules are not covered. */
function isCoreSymbol(name: string): boolean {
  return /^(bpf_|__(x64|ia32|arm64|riscv|s390x)_sys_|sys_|__se_sys_)/.test(name);
}

/** bcc's get_syscall_prefix(): the first of its prefixes under which `bpf` is a symbol. */
export function syscallPrefix(kernel: KernelQuery): string | undefined {
  for (const p of ['sys_', '__x64_sys_', '__x32_compat_sys_', '__ia32_compat_sys_', '__arm64_sys_', '__s390x_sys_', '__s390_sys_']) {
    if (kernel.hasSymbol(`${p}bpf`)) return p;
  }
  return undefined;
}

function kprobeFunctionsExist(kernel: KernelQuery, pattern: string): Tri {
  // A plain name (what tools write) is one function: its kprobe assessment says it all.
  if (/^\w+$/.test(pattern)) {
    const a = assess(kernel, { kind: 'kprobe', name: pattern });
    if (!a.found) return a.hazards.some((h) => h.name === 'unknown') ? undefined : false;
    const f = kernel.fn(pattern);
    if (!f || !f.symbols.includes(pattern)) return false;
    if (f.ftrace === false || f.kprobeBlacklisted === true || f.initOnly) return false;
    return true;
  }
  const compiled = compilePythonRegex(pattern);
  if (!compiled.ok) return undefined;
  for (const name of kernel.functionNames()) {
    const f = kernel.fn(name);
    if (!f || f.ftrace === false || f.kprobeBlacklisted === true || f.initOnly) continue;
    if (f.symbols.some((s) => !/\.cold(\.\d+)?$/.test(s) && compiled.pattern.test(s))) return true;
  }
  return kernel.meta.coverage.modules ? false : undefined;
}

// ---- preprocessor conditions ----

/** The value of a kernel `#if` (as syntax/bcc records it: `#if X`, `#else of #if X`). */
function preprocessorValue(kernel: KernelQuery, directive: string): Tri {
  const m = /^#(if|ifdef|ifndef|elif)\s+(.*)$/.exec(directive);
  const elseOf = /^#else of #(if|ifdef|ifndef)\s+(.*)$/.exec(directive);
  if (elseOf) {
    const v = preprocessorValue(kernel, `#${elseOf[1]} ${elseOf[2]}`);
    return v === undefined ? undefined : !v;
  }
  if (!m) return undefined;
  if (m[1] === 'ifdef') return macroDefined(kernel, m[2].trim());
  if (m[1] === 'ifndef') { const v = macroDefined(kernel, m[2].trim()); return v === undefined ? undefined : !v; }
  if (m[1] === 'elif') return undefined;
  return new PreprocessorExpr(m[2], kernel).value();
}

const ARCH_MACROS: Record<string, string[]> = {
  __x86_64__: ['x86_64', 'amd64'], __aarch64__: ['arm64', 'aarch64'], __s390x__: ['s390x'], __s390__: ['s390x', 's390'],
  __powerpc64__: ['ppc64el', 'ppc64le', 'ppc64'], __arm__: ['armhf', 'arm'], __i386__: ['i386'],
};

function macroDefined(kernel: KernelQuery, name: string): Tri {
  if (ARCH_MACROS[name]) return ARCH_MACROS[name].includes(kernel.meta.arch);
  if (/^__riscv/.test(name)) return kernel.meta.arch.startsWith('riscv');
  return undefined;
}

/** The kernel's version as LINUX_VERSION_CODE: a.b.c from the release (`6.1.0-56-amd64`). */
function versionCode(kernel: KernelQuery): number | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(kernel.meta.release) ?? /^(\d+)\.(\d+)/.exec(kernel.meta.version);
  if (!m) return undefined;
  return (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(255, Number(m[3] ?? 0));
}

/** A small three-valued evaluator for `#if` expressions: defined(), !, &&, ||, parentheses,
 *  comparisons, LINUX_VERSION_CODE and KERNEL_VERSION(a, b, c). Anything else is unknown. */
class PreprocessorExpr {
  private readonly toks: string[];
  private at = 0;
  constructor(text: string, private readonly kernel: KernelQuery) {
    this.toks = text.replace(/\/\*.*?\*\/|\/\/.*$/g, ' ').match(/\d+|\w+|&&|\|\||[<>=!]=|[()!<>,]/g) ?? [];
  }
  value(): Tri {
    const v = this.or();
    return this.at === this.toks.length && typeof v !== 'number' ? v : undefined;
  }
  private or(): Tri | number {
    let v = this.and();
    while (this.toks[this.at] === '||') { this.at++; v = or3(v, this.and()); }
    return v;
  }
  private and(): Tri | number {
    let v = this.cmp();
    while (this.toks[this.at] === '&&') { this.at++; v = and3(v, this.cmp()); }
    return v;
  }
  private cmp(): Tri | number {
    const a = this.unary();
    const op = this.toks[this.at];
    if (!['<', '>', '<=', '>=', '==', '!='].includes(op)) return a;
    this.at++;
    const b = this.unary();
    if (typeof a !== 'number' || typeof b !== 'number') return undefined;
    switch (op) {
      case '<': return a < b;
      case '>': return a > b;
      case '<=': return a <= b;
      case '>=': return a >= b;
      case '==': return a === b;
      default: return a !== b;
    }
  }
  private unary(): Tri | number {
    const t = this.toks[this.at++];
    if (t === '!') { const v = this.unary(); return typeof v === 'boolean' ? !v : undefined; }
    if (t === '(') { const v = this.or(); if (this.toks[this.at] === ')') this.at++; return v; }
    if (t === 'defined') {
      const paren = this.toks[this.at] === '(';
      if (paren) this.at++;
      const name = this.toks[this.at++];
      if (paren && this.toks[this.at] === ')') this.at++;
      return name ? macroDefined(this.kernel, name) : undefined;
    }
    if (t === 'LINUX_VERSION_CODE') return versionCode(this.kernel);
    if (t === 'KERNEL_VERSION' && this.toks[this.at] === '(') {
      const [a, , b, , c] = this.toks.slice(this.at + 1, this.at + 6);
      this.at += 7;
      return (Number(a) << 16) + (Number(b) << 8) + Number(c);
    }
    if (t !== undefined && /^\d+$/.test(t)) return Number(t);
    return undefined;
  }
}

function and3(a: Tri | number, b: Tri | number): Tri {
  const x = typeof a === 'number' ? a !== 0 : a;
  const y = typeof b === 'number' ? b !== 0 : b;
  if (x === false || y === false) return false;
  return x === true && y === true ? true : undefined;
}

function or3(a: Tri | number, b: Tri | number): Tri {
  const x = typeof a === 'number' ? a !== 0 : a;
  const y = typeof b === 'number' ? b !== 0 : b;
  if (x === true || y === true) return true;
  return x === false && y === false ? false : undefined;
}
