// What the libbpf C and BCC quick fixes share: the fix record and its families, which families
// answer which diagnostic code, when the rename advice is the preferred answer, the scan of a
// handler body for the names a rewrite leaves stale, and the assembly of fixes into LSP code
// actions (one action per fix, preferred where it is the best answer). The dialects decide only
// the text they write (features/c/codeActions.ts, features/bcc/codeActions.ts). Pure.

import { CodeActionKind, type CodeAction, type Diagnostic, type Range, type TextEdit } from 'vscode-languageserver';
import type { AttachTarget } from '../../atlas/model';
import type { AttachReport } from '../../analysis/report';
import { hasCompilerSuffix } from '../../model/symbols';

export type FixFamily = 'rename' | 'typo' | 'ksyscall' | 'tracepoint' | 'fentry' | 'ctx-type' | 'macro' | 'ignore';

export interface Fix {
  title: string;
  edits: TextEdit[];
  /** Lower is better; the best fix for a diagnostic is marked preferred. */
  rank: number;
  family: FixFamily;
}

/** The fixes that answer a diagnostic code; undefined: every rewrite of the attach point. */
export const FAMILIES_FOR_CODE: Record<string, FixFamily[] | undefined> = {
  'prefer-tracepoint': ['tracepoint'],
  'prefer-fentry': ['fentry'],
  'prefer-ksyscall': ['ksyscall'],
  'wrong-ctx-type': ['ctx-type'],
  'handler-macro': ['macro'],
  'renamed': ['rename', 'tracepoint', 'fentry'],
  'clone': ['rename', 'tracepoint'],
  'unknown': ['typo'],
  'field-missing': [],
  'fields-changed': [],
  'signature-changed': [],
  'args-changed': [],
  'handler-args': [],
};

/** Ranks of the fix kinds (lower first): the rename when only the name is wrong, then a misspelt
 *  name's closest names, the syscall entry, the stable alternatives, fentry, related tracepoints. */
export const RANK = { renameBest: 0, typo: 1, ksyscall: 5, alternative: 10, fentry: 15, rename: 20, related: 30, ignore: 1000 } as const;

/** The failure is only about the symbol's name wherever it fails: the plain name is gone
 *  (renamed), or an exact compiler-suffixed name that another build numbered differently. Then
 *  the rename advice is the preferred fix. */
export function renamedEverywhereItFails(target: AttachTarget, report: AttachReport): boolean {
  const suffixed = hasCompilerSuffix(target.name);
  return report.failing.length > 0
    && report.failing.every((f) => f.hazards.every((h) => h.name === 'renamed' || (suffixed && h.name === 'absent')));
}

/** Lines `from`..`to` of `text` (fewer past its end), without splitting the whole text: a quick
 *  fix in a large document reads only the lines it edits. */
export function linesOf(text: string, from: number, to: number): string[] {
  let start = 0;
  for (let l = 0; l < from; l++) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) return [];
    start = nl + 1;
  }
  const out: string[] = [];
  for (let l = from; l <= to && start <= text.length; l++) {
    const nl = text.indexOf('\n', start);
    out.push(text.slice(start, nl < 0 ? text.length : nl));
    if (nl < 0) break;
    start = nl + 1;
  }
  return out;
}

/** The lines of `body` (a range of `text`) with comments and string literals blanked, so
 *  identifier searches do not match inside them. Block comments spanning lines are handled. */
export function codeLines(text: string, body: Range): { line: number; code: string; raw: string }[] {
  // Indexed by line number; only the body's lines are read.
  const lines: string[] = [];
  linesOf(text, body.start.line, body.end.line).forEach((t, i) => { lines[body.start.line + i] = t; });
  const out: { line: number; code: string; raw: string }[] = [];
  let inBlock = false;
  for (let l = body.start.line; l <= body.end.line && l < lines.length; l++) {
    const raw = lines[l].replace(/\r$/, '');
    const from = l === body.start.line ? body.start.character : 0;
    const to = l === body.end.line ? body.end.character : raw.length;
    let code = '';
    for (let i = 0; i < raw.length; i++) {
      const inRange = i >= from && i < to;
      const ch = raw[i];
      if (inBlock) {
        if (ch === '*' && raw[i + 1] === '/') { inBlock = false; code += '  '; i++; } else code += ' ';
        continue;
      }
      if (!inRange) { code += ' '; continue; }
      if (ch === '/' && raw[i + 1] === '*') { inBlock = true; code += '  '; i++; continue; }
      if (ch === '/' && raw[i + 1] === '/') { code += ' '.repeat(raw.length - i); break; }
      if (ch === '"' || ch === '\'') {
        const quote = ch;
        code += ' ';
        i++;
        while (i < raw.length && raw[i] !== quote) { code += ' '; if (raw[i] === '\\') { i++; code += ' '; } i++; }
        code += ' ';
        continue;
      }
      code += ch;
    }
    out.push({ line: l, code, raw });
  }
  return out;
}

/** The names of `names` a line of code (from codeLines) uses as identifiers (not as a member
 *  after `.` or `->`), and `PT_REGS_*` when `ptRegs` and the line uses a PT_REGS accessor. */
export function staleNamesUsed(code: string, names: readonly string[], ptRegs: boolean): string[] {
  const used = names.filter((n) => new RegExp(`(^|[^\\w.>])${n.replace(/\$/g, '\\$')}\\b`).test(code));
  if (ptRegs && /\bPT_REGS_\w+/.test(code)) used.push('PT_REGS_*');
  return used;
}

/** Code actions from the fixes of one attach point and the diagnostics they answer: one action
 *  per fix, listing every diagnostic it answers, preferred when it is the best answer to one of
 *  them; `ignore(d)` is the suppression fix for a diagnostic (last, never preferred). Preferred
 *  fixes first, then by rank. */
export function assembleActions(uri: string, diags: readonly Diagnostic[], fixes: readonly Fix[], ignore: (d: Diagnostic) => Fix | undefined): CodeAction[] {
  const sorted = [...fixes].sort((a, b) => a.rank - b.rank);
  const byTitle = new Map<string, CodeAction>();
  for (const d of diags) {
    const families = FAMILIES_FOR_CODE[String(d.code)];
    const answers = sorted.filter((f) => !families || families.includes(f.family));
    const ignoreFix = ignore(d);
    if (ignoreFix) answers.push(ignoreFix);
    answers.forEach((fix, i) => {
      let action = byTitle.get(fix.title);
      if (!action) {
        action = { title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [], edit: { changes: { [uri]: fix.edits } } };
        byTitle.set(fix.title, action);
      }
      action.diagnostics!.push(d);
      if (i === 0 && fix.family !== 'ignore') action.isPreferred = true;
    });
  }
  const rankOf = new Map(sorted.map((f) => [f.title, f.rank]));
  return [...byTitle.values()].sort((a, b) => Number(!!b.isPreferred) - Number(!!a.isPreferred)
    || (rankOf.get(a.title) ?? RANK.ignore) - (rankOf.get(b.title) ?? RANK.ignore));
}
