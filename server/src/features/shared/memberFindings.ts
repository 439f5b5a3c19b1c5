// The member-missing finding, as the C and bpftrace diagnostics word it: at the member of a read
// that some target kernels lack, naming them, the member's name there when renamed, and between
// which target versions it changed; with the per-kernel lines (type and offset where present) as
// related information, and the data the C quick fix needs. Pure.

import type { Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity } from 'vscode-languageserver';
import { changeWindow, type AccessVerdict, type MemberOnKernel } from '../../analysis/members';
import { codeDocsHref } from './diagnosticCodes';

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
    const parts: string[] = [];
    const everywhere = on.length === v.kernels.filter((k) => k.status !== 'unknown' && k.status !== 'no-type').length && !present.length;
    parts.push(`\`${s.name}\` is not a member of ${within} on ${everywhere ? 'any target: ' : ''}${on.map(label).join(', ')}`);
    if (renamed.size) parts.push(`; there it is ${[...renamed].map(([name, ks]) => `\`${name}\`${renamed.size > 1 ? ` (${ks.map((k) => k.kernel).join(', ')})` : ''}`).join(', ')}`);
    parts.push(`. ${opts.consequence}`);
    const window = changeWindow({ ...v, kernels: v.kernels.filter((k) => k.status !== 'absent' || k.missingStep === step) });
    const newName = renamed.size === 1 ? [...renamed.keys()][0] : undefined;
    if (window) {
      const between = `between ${label(window.from)} and ${label(window.to)}`;
      parts.push(window.appeared
        ? newName ? ` (renamed from \`${newName}\` ${between})` : ` (added ${between})`
        : newName ? ` (renamed \`${newName}\` ${between})` : ` (removed ${between})`);
    }
    if (present.length && opts.libbpfAdvice) {
      // The kernels lacking it are the older ones when it appeared later: their flavor is ___old.
      const flavor = `struct ${essential(within)}___${window && !window.appeared ? 'new' : 'old'}`;
      parts.push(`. Test it with bpf_core_field_exists()${newName ? ` and read \`${newName}\` through a \`${flavor}\` flavor where it is missing` : ' and skip the read where it is missing'}.`);
    } else {
      parts.push('.');
    }
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
      message: parts.join(''), relatedInformation: related, data,
    });
  }
  return out;
}

/** `struct task_struct` → `task_struct`. */
function essential(within: string): string {
  return within.replace(/^(struct|union)\s+/, '');
}

