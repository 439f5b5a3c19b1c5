// The diagnostic codes bpf-atlas emits and their documentation: the public hazard names plus the
// handler and hint codes.

import { HAZARD_DOCS, HAZARD_SEVERITY, type HazardName } from '../../model/hazards';

// The codes bpf-atlas diagnostics emit: the public hazard names plus the handler and hint codes.
// They are stable: settings.severity, inline suppressions, `check --format json` and SARIF rule ids
// use them. docs/diagnostics.md has one section per code whose heading is the code itself, so
// `#<code>` is its anchor.

/** Base of every `codeDescription.href`. One constant so that a fork or mirror changes one line. */
export const DIAGNOSTICS_DOCS_URL = 'https://github.com/bpf-atlas/bpf-atlas/blob/main/docs/diagnostics.md';

export type CodeSeverity = 'error' | 'warning' | 'information' | 'hint';

export interface DiagnosticCodeDoc {
  code: string;
  defaultSeverity: CodeSeverity;
  summary: string;
}

/** Codes beyond the hazard taxonomy. */
const EXTRA_CODES: readonly DiagnosticCodeDoc[] = [
  { code: 'field-missing', defaultSeverity: 'warning', summary: 'The handler reads a tracepoint record field that some target kernel does not have.' },
  { code: 'member-missing', defaultSeverity: 'error', summary: 'A CO-RE read names a struct member that some target kernel does not have (renamed or removed): the relocation fails and the program does not load there.' },
  { code: 'wrong-ctx-type', defaultSeverity: 'warning', summary: 'The handler\'s ctx struct is not the record type of this tracepoint (trace_event_raw_<class>).' },
  { code: 'handler-args', defaultSeverity: 'warning', summary: 'The handler declares arguments that do not match the hook\'s parameters on some target kernel.' },
  { code: 'handler-macro', defaultSeverity: 'warning', summary: 'The handler macro reads another program type\'s context (BPF_PROG on a kprobe, BPF_KPROBE on fentry): every argument is garbage.' },
  { code: 'pattern-matches', defaultSeverity: 'information', summary: 'How many functions or events a wildcard (kprobe.multi/<pattern>, a bpftrace kprobe:vfs_*) matches on each target kernel.' },
  { code: 'probe-limit', defaultSeverity: 'warning', summary: 'A wildcard matches more than the loader attaches: bpftrace refuses more than 1024 probes (max_probes), the kernel more than 1,048,576 functions per kprobe.multi link.' },
  { code: 'kernel-too-old', defaultSeverity: 'error', summary: 'The program type needs a newer kernel than some target runs (kprobe.multi needs 5.18, fentry and tp_btf 5.5).' },
  { code: 'prefer-tracepoint', defaultSeverity: 'hint', summary: 'A tracepoint that real tools use instead of this function exists on every target kernel.' },
  { code: 'prefer-fentry', defaultSeverity: 'hint', summary: 'fentry/fexit can attach to this function on every target kernel, at lower cost and with typed arguments.' },
  { code: 'prefer-ksyscall', defaultSeverity: 'hint', summary: 'A kprobe on an architecture\'s syscall wrapper: ksyscall/<name> is portable across architectures.' },
  { code: 'helper-unavailable', defaultSeverity: 'error', summary: 'The program calls a BPF helper that some target kernel does not have (its enum bpf_func_id lacks it).' },
  { code: 'helper-not-allowed', defaultSeverity: 'error', summary: 'The program calls a BPF helper that the kernel does not offer to this program type, or only under a condition the program does not meet (sleepable, attach type, GPL license, the helper\'s .allowed check, a kernel config option).' },
  { code: 'kfunc-unavailable', defaultSeverity: 'error', summary: 'The program calls a kfunc that some target kernel does not have (and does not guard the call with bpf_ksym_exists()).' },
  { code: 'kfunc-not-allowed', defaultSeverity: 'error', summary: 'The program calls a kfunc that the kernel does not register for this program type (or only for sleepable programs).' },
  { code: 'map-type-unavailable', defaultSeverity: 'error', summary: 'The file defines a map of a type some target kernel does not have: libbpf creates every map of the object, so every program fails to load there.' },
  { code: 'prog-type-unavailable', defaultSeverity: 'error', summary: 'The section loads as a program type or expected attach type that some target kernel does not have.' },
  { code: 'check-failed', defaultSeverity: 'error', summary: 'bpf-atlas check could not read or analyse a file.' },
];

const SEVERITY_NAME: Record<string, CodeSeverity> = { error: 'error', warning: 'warning', info: 'information' };

/** Every code with its documentation, hazards first, in a stable order. */
export function diagnosticCodes(): readonly DiagnosticCodeDoc[] {
  const hazards = (Object.keys(HAZARD_DOCS) as HazardName[]).map((name) => ({
    code: name, defaultSeverity: SEVERITY_NAME[HAZARD_SEVERITY[name]], summary: HAZARD_DOCS[name],
  }));
  return [...hazards, ...EXTRA_CODES];
}

export function codeDocsHref(code: string): string {
  return `${DIAGNOSTICS_DOCS_URL}#${code}`;
}
