// The plain result of `bpf-atlas check`: findings with 1-based positions, independent of LSP and of
// the output format. Built from the same LSP diagnostics the editor shows (so the CLI and the editor
// never disagree), and from per-file failures (unreadable file, parser crash) so that one broken
// file is reported rather than ending the run.

import type { Diagnostic, DiagnosticRelatedInformation } from 'vscode-languageserver';
import type { AttachPointEntry } from '../features/attachPoints';

export type FindingSeverity = 'error' | 'warning' | 'information' | 'hint';

export interface Finding {
  /** Path as the user gave it or as found under a folder (relative to the working directory when possible). */
  file: string;
  /** 1-based line and column (columns in UTF-16 code units, as LSP and SARIF's default). */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: FindingSeverity;
  /** Diagnostic code: a hazard name (`fully-inlined`) or a check code (`check-failed`). */
  code: string;
  message: string;
  /** One line per target kernel or related fact. */
  details: string[];
  /** Titles of the quick fixes the editor offers for it. */
  fixes?: string[];
  /** Link to the code's documentation. */
  docs?: string;
}

/** One BPF program's load verdict (`check --format json` programs[]). */
export interface ProgramRow {
  file: string;
  /** 1-based line of its SEC(). */
  line: number;
  name: string;
  section: string;
  kernels: Record<string, 'loads' | 'fails' | 'unknown'>;
  reasons: { kind: string; effect: 'fails' | 'unknown'; subject: string; kernels: string[]; message: string; line?: number; evidence: string; since?: string }[];
  /** The oldest upstream kernel that has everything the program needs; absent when nothing dates it. */
  minKernel?: string;
  /** What dates it: each need with its first upstream kernel and where that comes from. */
  needs: { kind: string; subject: string; since: string; note: string }[];
}

export interface CheckResult {
  /** Kernel ids checked against, in order. */
  kernels: string[];
  /** Files that were read (with or without findings). */
  files: string[];
  findings: Finding[];
  /** Every attach point found, in every dialect, with its per-kernel verdict. */
  attachPoints?: AttachPointEntry[];
  /** Load verdicts of the libbpf C programs, in file and line order (none for bpftrace). */
  programs?: ProgramRow[];
}

const SEVERITY_BY_LSP: Record<number, FindingSeverity> = { 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' };

function relatedLine(r: DiagnosticRelatedInformation): string {
  return r.message;
}

/** An LSP diagnostic of `file` as a finding. */
export function findingFromDiagnostic(file: string, d: Diagnostic, fixes?: string[]): Finding {
  return {
    file,
    line: d.range.start.line + 1,
    column: d.range.start.character + 1,
    endLine: d.range.end.line + 1,
    endColumn: d.range.end.character + 1,
    severity: SEVERITY_BY_LSP[d.severity ?? 1] ?? 'error',
    code: d.code === undefined ? 'bpf-atlas' : String(d.code),
    message: d.message,
    details: (d.relatedInformation ?? []).map(relatedLine),
    fixes: fixes && fixes.length ? fixes : undefined,
    docs: d.codeDescription?.href,
  };
}

/** A file that could not be checked at all (unreadable, or the analysis threw). */
export function findingForFailure(file: string, err: unknown): Finding {
  const message = err instanceof Error ? err.message : String(err);
  return {
    file, line: 1, column: 1, endLine: 1, endColumn: 1,
    severity: 'error', code: 'check-failed',
    message: `bpf-atlas could not check this file: ${message.split('\n')[0]}`,
    details: [],
  };
}

/** Order findings by file, then position, then severity. */
export function sortFindings(findings: Finding[]): Finding[] {
  const rank: Record<FindingSeverity, number> = { error: 0, warning: 1, information: 2, hint: 3 };
  return findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column
    || rank[a.severity] - rank[b.severity] || a.code.localeCompare(b.code));
}

/** Programs that need a newer kernel than `floor` (`check --min-kernel`), with what dates them. */
export function programsAbove(result: CheckResult, floor: string, newer: (a: string, b: string) => boolean): ProgramRow[] {
  return (result.programs ?? []).filter((p) => p.minKernel !== undefined && newer(p.minKernel, floor));
}

export function hasErrors(result: CheckResult): boolean {
  return result.findings.some((f) => f.severity === 'error');
}
