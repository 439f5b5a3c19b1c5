// Output formats of `bpf-atlas check`: text a person can act on, JSON for scripts, and SARIF 2.1.0
// for code-scanning services (typed with @types/sarif, the schema's own TypeScript definitions).
// Pure: a CheckResult in, a string out.

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Sarif from 'sarif';
import { codeDocsHref, diagnosticCodes } from '../features/shared/diagnosticCodes';
import type { CheckResult, Finding, FindingSeverity } from './findings';

export type OutputFormat = 'text' | 'json' | 'sarif';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['text', 'json', 'sarif'];

function counts(findings: readonly Finding[]): Record<FindingSeverity, number> {
  const c: Record<FindingSeverity, number> = { error: 0, warning: 0, information: 0, hint: 0 };
  for (const f of findings) c[f.severity]++;
  return c;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `file:line:col: severity [code] message`, then indented per-kernel detail and fixes, then a summary. */
export function formatText(result: CheckResult): string {
  const lines: string[] = [];
  for (const f of result.findings) {
    lines.push(`${f.file}:${f.line}:${f.column}: ${f.severity} [${f.code}] ${f.message}`);
    for (const d of f.details) lines.push(`    ${d}`);
    for (const fix of f.fixes ?? []) lines.push(`    fix: ${fix}`);
  }
  const table = programTable(result);
  if (table.length) {
    if (lines.length) lines.push('');
    lines.push(...table);
  }
  const c = counts(result.findings);
  if (lines.length) lines.push('');
  lines.push(`${plural(result.files.length, 'file')} checked against ${result.kernels.join(', ') || 'no kernels'}: `
    + `${plural(c.error, 'error')}, ${plural(c.warning, 'warning')}, ${plural(c.information + c.hint, 'note')}.`);
  return lines.join('\n') + '\n';
}

export function formatJson(result: CheckResult): string {
  return JSON.stringify({
    kernels: result.kernels,
    files: result.files,
    summary: counts(result.findings),
    findings: result.findings,
    attachPoints: result.attachPoints ?? [],
    programs: result.programs ?? [],
  }, null, 2) + '\n';
}

const STATE_MARK: Record<string, string> = { loads: 'ok', fails: 'FAIL', unknown: '?' };

/** Will each program load: one row per program, a column per target kernel when they fit (up to
 *  eight), else counts, and the minimum kernel. */
export function programTable(result: CheckResult): string[] {
  const programs = result.programs ?? [];
  if (!programs.length) return [];
  const perKernel = result.kernels.length <= 8;
  const header = ['program', ...(perKernel ? result.kernels : ['loads', 'fails', 'unknown']), 'needs'];
  const rows = programs.map((p) => {
    const states = result.kernels.map((k) => p.kernels[k] ?? 'unknown');
    const cells = perKernel
      ? states.map((s) => STATE_MARK[s])
      : (['loads', 'fails', 'unknown'] as const).map((s) => String(states.filter((x) => x === s).length));
    return [`${p.file}:${p.line} ${p.name}`, ...cells, p.minKernel ? `${p.minKernel}+` : '-'];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const out = ['Will it load (per program and target kernel):', line(header), ...rows.map(line)];
  const failing = programs.filter((p) => Object.values(p.kernels).includes('fails'));
  for (const p of failing.slice(0, 20)) {
    const first = p.reasons.find((r) => r.effect === 'fails');
    if (first) out.push(`  ${p.file}:${p.line} ${p.name}: ${first.message}`);
  }
  return out;
}

const SARIF_LEVEL: Record<FindingSeverity, 'error' | 'warning' | 'note'> = {
  error: 'error', warning: 'warning', information: 'note', hint: 'note',
};

/** A file path as a SARIF artifact location: relative paths stay relative references (resolved
 *  against %SRCROOT%, the working directory), absolute ones become file:// URIs. Built with
 *  url.pathToFileURL and per-segment encoding, so `#`, `?`, `%` and spaces in a file name give a
 *  valid URI (the hand-built encodeURI form left `a#b?.bpf.c` cut at the `#`). */
function artifactLocation(file: string): Sarif.ArtifactLocation {
  if (path.isAbsolute(file)) return { uri: pathToFileURL(file).href };
  return { uri: file.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}

export interface SarifOptions {
  toolVersion?: string;
  /** Working directory, recorded as %SRCROOT%. */
  srcRoot?: string;
}

export function formatSarif(result: CheckResult, options: SarifOptions = {}): string {
  const codes = diagnosticCodes();
  const ruleIds = codes.map((c) => c.code);
  for (const f of result.findings) if (!ruleIds.includes(f.code)) ruleIds.push(f.code);
  const rules = ruleIds.map((id): Sarif.ReportingDescriptor => {
    const doc = codes.find((c) => c.code === id);
    const docs = doc ? codeDocsHref(id) : result.findings.find((f) => f.code === id && f.docs)?.docs;
    return {
      id,
      name: id.replace(/(^|-)(\w)/g, (_m, _d, ch: string) => ch.toUpperCase()),
      shortDescription: { text: doc?.summary ?? id },
      ...(docs ? { helpUri: docs } : {}),
      defaultConfiguration: { level: SARIF_LEVEL[doc?.defaultSeverity ?? 'warning'] },
    };
  });
  const results = result.findings.map((f): Sarif.Result => ({
    ruleId: f.code,
    ruleIndex: ruleIds.indexOf(f.code),
    level: SARIF_LEVEL[f.severity],
    message: { text: f.details.length ? `${f.message}\n${f.details.join('\n')}` : f.message },
    locations: [{
      physicalLocation: {
        artifactLocation: artifactLocation(f.file),
        region: { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: Math.max(f.endColumn, f.line === f.endLine ? f.column : 1) },
      },
    }],
    ...(f.fixes ? { properties: { fixes: f.fixes } } : {}),
  }));
  const run: Sarif.Run = {
    tool: {
      driver: {
        name: 'bpf-atlas',
        ...(options.toolVersion ? { version: options.toolVersion } : {}),
        rules,
      },
    },
    columnKind: 'utf16CodeUnits',
    results,
    properties: { kernels: result.kernels },
  };
  if (options.srcRoot) {
    const root = pathToFileURL(options.srcRoot).href;
    run.originalUriBaseIds = { '%SRCROOT%': { uri: root.endsWith('/') ? root : `${root}/` } };
  }
  const log: Sarif.Log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [run],
  };
  return JSON.stringify(log, null, 2) + '\n';
}

export function formatResult(result: CheckResult, format: OutputFormat, options: SarifOptions = {}): string {
  switch (format) {
    case 'json': return formatJson(result);
    case 'sarif': return formatSarif(result, options);
    default: return formatText(result);
  }
}
