// The vocabulary of the BCC document model: what a Python tool that uses bcc asks the kernel for
// (attach points, with the conditions under which each is attached), the C text it compiles, and
// the C functions and probe macros of that text. Every range is in the document the user edits:
// the Python file for C text held in Python strings, the .c file for `BPF(src_file=...)`.

import type { AttachIntent } from '../intent';
import type { AttachKind } from '../../model/programKinds';
import type { CtxAccess, HandlerParam, Range, Suppression } from '../cModel';

/** A kernel check bcc offers (or a plain runtime check of the kernel) that a tool branches on. */
export interface BccGuard {
  /** The check's name: `get_kprobe_functions`, `tracepoint_exists`, `support_kfunc`,
   *  `support_raw_tracepoint`, `support_lsm`, `ksymname`, `kernel_struct_has_field`, ... */
  check: string;
  /** Its arguments where they are constants of the file (undefined otherwise). Bytes literals
   *  (`b"tcp_drop"`) are given as text. */
  args: (string | undefined)[];
  /** The argument at this index is a syscall name the tool prefixed with the kernel's syscall
   *  prefix (`ksymname(b.get_syscall_fnname("stat"))`): `args[k]` is the name without it. */
  syscallArg?: number;
  /** The check's source text. */
  text: string;
  range: Range;
}

/** A condition as a small boolean expression over kernel checks. `opaque` is anything else (a
 *  command-line option, a value read at run time), with the kernel checks it depends on, if any. */
export type GuardExpr =
  | { op: 'guard'; guard: BccGuard }
  | { op: 'not'; arg: GuardExpr }
  | { op: 'and' | 'or'; args: GuardExpr[] }
  | { op: 'opaque'; text: string; guards: BccGuard[] };

/** One condition on the way to an attach (or to a piece of C text). */
export interface BccCondition {
  /** `if`: a branch (elif/else branches carry the negations of the earlier tests); `exit`: the
   *  code after an `if` whose branch leaves the program (`exit()`, `raise`), so it runs only when
   *  that branch's test failed; `try`: inside a try block with an except clause (failure is
   *  tolerated); `except`: inside the except clause; `loop`: a loop body over values the file does
   *  not list (may run zero times); `preprocessor`: an `#if` of the C text (kernel-dependent when
   *  it tests LINUX_VERSION_CODE, a CONFIG_ option or the architecture). */
  kind: 'if' | 'exit' | 'try' | 'except' | 'loop' | 'preprocessor';
  expr: GuardExpr;
  /** The source text of the test (or of the try/for header). */
  text: string;
  range: Range;
}

/** Issue 12's intent values, shared by every dialect's attach points. */
/** The one intent vocabulary of every dialect (syntax/intent.ts). */
export type BccIntent = AttachIntent;

/** Attach kinds of bcc that the atlas does not index (user space, perf events). */
export type BccOtherKind = 'uprobe' | 'uretprobe' | 'usdt' | 'perf_event';

export interface BccTarget {
  /** Function, event, hook or syscall name; undefined for a regex. */
  name?: string;
  /** Tracepoint system (`sched` of `sched:sched_switch`). */
  system?: string;
  /** `event_re=` / `tp_re=`: a Python `re` pattern matched (fully, as bcc's get_kprobe_functions
   *  does since 2023) against each kernel's symbols or `system:event` names. */
  regex?: string;
  /** The name is a syscall name that bcc prefixes with the kernel's syscall prefix
   *  (`get_syscall_fnname("execve")`, `kprobe__sys_clone`): `__x64_sys_execve`, `sys_execve`. */
  syscall?: boolean;
  /** kfunc/kretfunc on a module function (`MODULE_KFUNC_PROBE(mod, fn)`). */
  module?: string;
  /** User-space binary or library (uprobes). */
  binary?: string;
}

/** How the attach is written. */
export type BccAttachVia =
  /** `b.attach_kprobe(event=...)` and the other attach_* methods. */
  | 'call'
  /** A C function that bcc attaches when the program is loaded: `kprobe__NAME`,
   *  `TRACEPOINT_PROBE(sys, ev)`, `KFUNC_PROBE(fn, ...)`, `LSM_PROBE(hook, ...)` ... */
  | 'auto';

export interface BccAttachPoint {
  kind: AttachKind | BccOtherKind;
  via: BccAttachVia;
  /** The Python method (`attach_kprobe`) or the C spelling (`kprobe__`, `TRACEPOINT_PROBE`). */
  method: string;
  /** Undefined when the name is not a constant of the file (command-line input, computed). */
  target?: BccTarget;
  /** Why the target is not known, when it is not. */
  unresolved?: string;
  /** The whole call or C header. */
  range: Range;
  /** Where the target is written (inside the string literal, or the C name); undefined when the
   *  text is not written in one place (concatenations, regex built at run time). */
  targetRange?: Range;
  /** The C function that runs (`fn_name=`, or the auto-attached function itself). */
  handler?: string;
  handlerFunction?: BccFunction;
  conditions: BccCondition[];
  intent: BccIntent;
  /** Index into BccModel.programs of the program the handler belongs to, when known. */
  program?: number;
  /** For `via: 'call'`: the arguments as written, by bcc's parameter name (quick fixes edit them). */
  args?: Record<string, BccCallArg>;
  /** For `via: 'call'`: the method's name in the call (`attach_kprobe` of `b.attach_kprobe(...)`). */
  methodRange?: Range;
  /** In the model of a C file a bcc tool loads (`BPF(src_file=...)`): the attach call of the
   *  Python file that attaches this handler (the call is reported there; here its target is shown
   *  on the handler's name). */
  loadedBy?: { uri: string; range: Range };
  suppression?: Suppression;
}

export interface BccCallArg {
  /** The whole argument: `event="tcp_drop"`, or the positional value. */
  range: Range;
  valueRange: Range;
  keyword: boolean;
  /** The value is one plain string literal: where its content is and what it says. */
  literal?: { contentRange: Range; text: string; prefix: string; quote: string };
}

/** BCC's probe macros (src/cc/export/helpers.h). */
export type BccProbeMacro =
  | 'TRACEPOINT_PROBE' | 'RAW_TRACEPOINT_PROBE' | 'RAW_TRACEPOINT_PROBE_WRITABLE' | 'KFUNC_PROBE'
  | 'KRETFUNC_PROBE' | 'MODULE_KFUNC_PROBE' | 'MODULE_KRETFUNC_PROBE' | 'KMOD_RET' | 'LSM_PROBE'
  | 'BPF_ITER';

/** A C function of the program text (plain, or declared through a probe macro). */
export interface BccFunction {
  /** The C name after macro expansion (`tracepoint__sched__sched_switch`, `kfunc__vmlinux__vfs_read`). */
  name: string;
  macro?: BccProbeMacro;
  /** The macro's leading arguments that name the hook (`sched`, `sched_switch`). */
  macroArgs?: string[];
  /** Range of the name as written (the macro's hook arguments for a macro). Text put there by a
   *  `.replace()` maps to where the replacement is written. */
  nameRange: Range;
  /** The probe macro's own name (`TRACEPOINT_PROBE`), where the header is written. */
  macroRange?: Range;
  /** Parameters: the C parameters, or the macro arguments after the hook name. */
  params: HandlerParam[];
  /** From the return type (or macro) to the closing parenthesis. */
  headerRange: Range;
  bodyRange?: Range;
  /** `args->field` reads (tracepoint handlers) and reads through the first parameter. */
  argAccesses: CtxAccess[];
  /** The name or a hook argument is (partly) text the file does not fix. */
  unknownName?: boolean;
  /** Preprocessor conditions around the definition (`#if defined(CONFIG_ARCH_HAS_SYSCALL_WRAPPER)`). */
  preprocessor: string[];
  /** The C text holding the definition is present only under these conditions. */
  conditions: BccCondition[];
  /** Alternative spellings of the hook arguments where the text is chosen at run time, each with
   *  its conditions (`TRACEPOINT_PROBE(block, START_TP)` with START_TP replaced by one of two names). */
  alternatives?: { macroArgs: string[]; name: string; syscall?: boolean; conditions: BccCondition[]; range?: Range }[];
  /** Part of the name is the kernel's syscall prefix (`KRETFUNC_PROBE(FNNAME)` with FNNAME replaced
   *  by `get_syscall_prefix() + "open"`). */
  syscall?: boolean;
  /** Offsets in the program's C text (EmbeddedC.text): from the return type (or macro) to the
   *  closing parenthesis, the name (a macro's hook arguments), inside the parentheses, and the
   *  body with its braces. Quick fixes rewrite the C there and map their edits to the document. */
  cSpans: { header: CSpan; name: CSpan; params: CSpan; body?: CSpan };
}

/** A span of C text offsets, end exclusive. */
export interface CSpan { start: number; end: number }

/** A BPF(...) call: one compiled C program. */
export interface BccProgram {
  /** The BPF(...) call. */
  range: Range;
  conditions: BccCondition[];
  /** `BPF(src_file="x.c")`: the path as written. */
  srcFile?: string;
  /** The C text as the model rebuilt it (text=...): every literal that can flow into it, in
   *  order, placeholders kept as written. */
  cText?: string;
  functions: BccFunction[];
  /** What the BPF object is assigned to (`b`, `self.bpf`), when it is. */
  binding?: string;
  /** The statement holding the BPF(...) call (`b = BPF(text=bpf_text)`): attach calls a quick fix
   *  adds go on the line after it, at its indentation. */
  statementRange?: Range;
}

export interface BccModel {
  /** The file imports bcc. */
  usesBcc: boolean;
  programs: BccProgram[];
  attachPoints: BccAttachPoint[];
  /** `# bpf-atlas-ignore` comments of the Python file and `// bpf-atlas-ignore` of its C text. */
  suppressions: Suppression[];
  /** Maps a Python offset inside a C literal to the C text and back (hover, completion). */
  embedded: EmbeddedC[];
  /** A C file's model: the Python file that loads it, when found (else its conditions and attach
   *  calls are not known). */
  loader?: { uri: string; program: number };
}

/** One rebuilt C text with its position maps. */
export interface EmbeddedC {
  program: number;
  text: string;
  /** Document offset of each C character (length text.length + 1). */
  toDocument(cOffset: number): number;
  /** Document offset just after the text C character `cOffset` comes from (past an escape
   *  sequence such as `\\n`). */
  toDocumentEnd(cOffset: number): number;
  /** C offset of a document offset inside one of the C literals (the first use of it). */
  fromDocument(docOffset: number): number | undefined;
}
