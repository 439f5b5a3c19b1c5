// The member-missing finding, as the C and bpftrace diagnostics word it: at the member of a read
// that some target kernels lack, naming them, the member's name there when renamed, and between
// which target versions it changed; with the per-kernel lines (type and offset where present) as
// related information, and the data the C quick fix needs. Pure.

import type { Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity } from 'vscode-languageserver';
import { changeWindow, type AccessVerdict, type MemberOnKernel } from '../../analysis/members';
import { codeDocsHref } from './diagnosticCodes';
import { kernelList } from './phrases';

/** The house limit on a diagnostic message (one sentence). */
const MAX_MESSAGE = 200;

export const MEMBER_MISSING = 'member-missing';

/** The source of every bpf-atlas diagnostic. */
const SOURCE = 'bpf-atlas';

/** What a member diagnostic carries for its quick fix (LSP `data`). */
export interface MemberDiagnosticData {
  kind: 'member';
  /** The struct the missing member belongs to (`task_struct`), its tag, and the member names. */
  struct: string;
  member: string;
  /** The name on the kernels that lack `member`, when it was renamed there. */
  renamedTo?: string;
  /** The member exists on the newer targets (true) or the older ones (false), when versions say. */
  appeared?: boolean;
  /** Offsets of the whole read in the document, and its step index. */
  start: number;
  end: number;
  step: number;
}

function label(k: MemberOnKernel): string {
  return k.version ? `${k.kernel} (${k.version})` : k.kernel;
}

/** One diagnostic per missing step of a judged read. */
export function memberFindings(uri: string, v: AccessVerdict, severity: DiagnosticSeverity,
  opts: { consequence: string; libbpfAdvice: boolean }): Diagnostic[] {
  const out: Diagnostic[] = [];
  const absent = v.kernels.filter((k) => k.status === 'absent');
  if (!absent.length) return out;
  const present = v.kernels.filter((k) => k.status === 'present');
  const steps = [...new Set(absent.map((k) => k.missingStep!))].sort((a, b) => a - b);
  for (const step of steps) {
    const on = absent.filter((k) => k.missingStep === step);
    const s = v.access.steps[step];
    const within = on[0].within ?? v.rootType;
    const renamed = new Map<string, MemberOnKernel[]>();
    for (const k of on) if (k.renamedTo) renamed.set(k.renamedTo, [...(renamed.get(k.renamedTo) ?? []), k]);
    const everywhere = on.length === v.kernels.filter((k) => k.status !== 'unknown' && k.status !== 'no-type').length && !present.length;
    const window = changeWindow({ ...v, kernels: v.kernels.filter((k) => k.status !== 'absent' || k.missingStep === step) });
    const newName = renamed.size === 1 ? [...renamed.keys()][0] : undefined;
    // One sentence, each kernel named once (the per-kernel lines are the related information):
    // the versions say where it changed, the names only where it is missing.
    const there = renamed.size ? `; there it is ${[...renamed.keys()].map((n) => `\`${n}\``).join(' or ')}` : '';
    const when = window ? ` (${window.appeared ? (newName ? 'renamed' : 'added') : newName ? 'renamed' : 'removed'} between ${window.from.version} and ${window.to.version})` : '';
    const advice = present.length && opts.libbpfAdvice ? ' unless bpf_core_field_exists() guards it' : '';
    const head = (max: number, bare = false) => `\`${s.name}\` is not a member of ${within} on ${everywhere ? 'any target: ' : ''}${kernelList(on.map((k) => (bare ? k.kernel : label(k))), max)}`;
    // The most detailed form that fits; kernels are named in the head only.
    const message = [
      `${head(5)}${there}${when}, ${opts.consequence}${advice}.`,
      `${head(5)}${there}${when}, ${opts.consequence}.`,
      `${head(5, true)}${there}${when}, ${opts.consequence}.`,
      `${head(5, true)}${there}, ${opts.consequence}.`,
      `${head(2)}${there}${when}, ${opts.consequence}.`,
      `${head(2)}, ${opts.consequence}.`,
    ].find((m, i, all) => m.length <= MAX_MESSAGE || i === all.length - 1)!;
    const related: DiagnosticRelatedInformation[] = v.kernels.map((k) => ({
      location: { uri, range: s.range },
      message: k.status === 'present'
        ? `${label(k)}: ${k.member ? `${k.member.type.replace('%', '').trim()} ${s.name}` : s.name}${k.member?.bitOffset !== undefined && step === v.access.steps.length - 1 ? ` at offset ${Math.floor(k.member.bitOffset / 8)}` : ''}`
        : k.status === 'absent'
          ? `${label(k)}: no ${v.access.steps[k.missingStep!].name} in ${k.within ?? within}${k.renamedTo ? ` (it has ${k.renamedTo})` : ''}`
          : `${label(k)}: unknown${k.reason ? ` (${k.reason})` : ''}`,
    }));
    const data: MemberDiagnosticData = {
      kind: 'member', struct: essential(within), member: s.name, start: v.access.start, end: v.access.end, step,
      ...(newName ? { renamedTo: newName } : {}),
      ...(window ? { appeared: window.appeared } : {}),
    };
    out.push({
      range: s.range, severity, code: MEMBER_MISSING, codeDescription: { href: codeDocsHref(MEMBER_MISSING) }, source: SOURCE,
      message, relatedInformation: related, data,
    });
  }
  return out;
}

/** `struct task_struct` → `task_struct`. */
function essential(within: string): string {
  return within.replace(/^(struct|union)\s+/, '');
}

