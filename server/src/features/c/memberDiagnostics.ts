// libbpf C diagnostics for CO-RE member reads: a member that some target kernel does not have
// makes the relocation fail ("failed to resolve CO-RE relocation") and the program does not load
// there. One diagnostic at the member, naming those kernels, the member's name there when it was
// renamed (`state` for `__state`), and between which target versions it changed. Guarded reads
// (bpf_core_field_exists and friends, their else branches), reads through the program's own
// flavor structs, and reads the atlas cannot judge (no types, a struct from a module) say nothing;
// a read reached only under a `const volatile` loader setting is a warning naming the setting.
// Pure: the document's CO-RE model (syntax/coreAccess.ts) and analysis/members.ts in, LSP out.

import crypto from 'node:crypto';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { accessVerdict } from '../../analysis/members';
import type { Suppression } from '../../syntax/cModel';
import type { FeatureContext } from '../shared/context';
import { MEMBER_MISSING, memberFindings } from '../shared/memberFindings';
import { effectiveSeverity, type CDocumentLike } from './diagnostics';

export { MEMBER_MISSING, type MemberDiagnosticData } from '../shared/memberFindings';

/** libbpf poisons an unresolved field relocation: the load fails when the verifier reaches it. */
const C_CONSEQUENCE = 'so the CO-RE relocation fails and the program does not load there';

/** The same for a read that only runs when the loader sets a `const volatile` option. */
function optionConsequence(option: string): string {
  return `so the program does not load there when the loader sets \`${option}\``;
}

function suppressed(suppressions: readonly Suppression[] | undefined, line: number): boolean {
  return (suppressions ?? []).some((s) => (s.range.end.line === line || s.range.end.line === line - 1)
    && (s.codes.length === 0 || s.codes.includes('all') || s.codes.includes(MEMBER_MISSING)));
}

/** Member diagnostics of a C document, memoised per text, targets and severities. */
export function memberDiagnostics(doc: CDocumentLike, ctx: FeatureContext): Diagnostic[] {
  const severity = effectiveSeverity(MEMBER_MISSING, ctx);
  if (severity === undefined || !ctx.targets.length) return [];
  const key = `${doc.uri}|${ctx.targets.join(',')}|${severity}|${crypto.createHash('sha1').update(doc.text).digest('base64')}`;
  const memo = ctx.cache.table<Diagnostic[]>('c-member-diagnostics');
  const known = memo.get(key);
  if (known) return known;
  const found = computeMemberDiagnostics(doc, ctx, severity);
  // A cancelled run stopped part way: its list must not stand for the text (an undo back to it).
  if (!ctx.isCancelled?.()) memo.set(key, found);
  return found;
}

function computeMemberDiagnostics(doc: CDocumentLike, ctx: FeatureContext, severity: DiagnosticSeverity): Diagnostic[] {
  const model = doc.core;
  if (!model) return [];
  const out: Diagnostic[] = [];
  const suppressions = doc.c?.suppressions;
  const kernels = ctx.cache.kernelsKey(ctx.atlas, ctx.targets);
  for (const access of model.accesses) {
    if (access.guarded || suppressed(suppressions, access.range.start.line)) continue;
    if (ctx.isCancelled?.()) break;
    const v = accessVerdict(access, model, ctx, kernels);
    if (!v) continue;
    // A read only a loader setting reaches fails to load only with that setting: a warning.
    out.push(...(access.option
      ? memberFindings(doc.uri, v, Math.max(severity, DiagnosticSeverity.Warning) as DiagnosticSeverity, { consequence: optionConsequence(access.option), libbpfAdvice: true })
      : memberFindings(doc.uri, v, severity, { consequence: C_CONSEQUENCE, libbpfAdvice: true })));
  }
  return out;
}
