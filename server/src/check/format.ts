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
  }, null, 2) + '\n';
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
