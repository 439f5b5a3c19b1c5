// The check output formats over a CheckResult built from real LSP diagnostics objects (as the
// diagnostics feature produces them): text lines a user can act on, JSON that round-trips, and a
// SARIF 2.1.0 log with the shape code-scanning services require.

import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { diagnosticCodes, codeDocsHref } from '../../../server/src/features/shared/diagnosticCodes';
import { findingForFailure, findingFromDiagnostic, hasErrors, sortFindings, type CheckResult } from '../../../server/src/check/findings';
import { formatJson, formatSarif, formatText } from '../../../server/src/check/format';

function diag(line: number, ch: number, severity: DiagnosticSeverity, code: string, message: string, related: string[] = []): Diagnostic {
  const range = { start: { line, character: ch }, end: { line, character: ch + 27 } };
  return {
    range, severity, code, message, source: 'bpf-atlas', codeDescription: { href: codeDocsHref(code) },
    relatedInformation: related.map((m) => ({ location: { uri: 'file:///x.bpf.c', range }, message: m })),
  };
}

function sample(): CheckResult {
  const findings = sortFindings([
    findingFromDiagnostic('tools/b.bpf.c', diag(9, 5, DiagnosticSeverity.Hint, 'prefer-fentry', 'fentry/vfs_read attaches on every target.')),
    findingFromDiagnostic('tools/a.bpf.c', diag(20, 5, DiagnosticSeverity.Error, 'fully-inlined',
      'kprobe/blk_account_io_start cannot attach on debian-12 (fully inlined, no symbol).',
      ['debian-12 (6.1): fully-inlined: ...', 'ubuntu-22.04 (5.15): partially-inlined: ...']), ['Use tp_btf/block_rq_issue instead (preferred)']),
    findingFromDiagnostic('tools/a.bpf.c', diag(3, 5, DiagnosticSeverity.Warning, 'renamed', 'only finish_task_switch.isra.0')),
    findingForFailure('broken/x.bpf.c', new Error('boom\nstack')),
  ]);
  return { kernels: ['ubuntu-22.04', 'debian-12'], files: ['tools/a.bpf.c', 'tools/b.bpf.c', 'broken/x.bpf.c'], findings };
}

describe('check findings', () => {
  it('turn 0-based LSP ranges into 1-based positions and keep per-kernel detail', () => {
    const r = sample();
    const f = r.findings.find((x) => x.code === 'fully-inlined')!;
    assert.equal(f.line, 21);
    assert.equal(f.column, 6);
    assert.equal(f.severity, 'error');
    assert.deepEqual(f.details, ['debian-12 (6.1): fully-inlined: ...', 'ubuntu-22.04 (5.15): partially-inlined: ...']);
    assert.ok(f.docs?.endsWith('#fully-inlined'));
    assert.ok(hasErrors(r));
  });

  it('sort by file then position', () => {
    const r = sample();
    assert.deepEqual(r.findings.map((f) => `${f.file}:${f.line}`), ['broken/x.bpf.c:1', 'tools/a.bpf.c:4', 'tools/a.bpf.c:21', 'tools/b.bpf.c:10']);
  });

  it('report a failed file on one line, without the stack', () => {
    const f = findingForFailure('broken/x.bpf.c', new Error('boom\nstack'));
    assert.equal(f.code, 'check-failed');
    assert.match(f.message, /boom$/);
  });
});

describe('text format', () => {
  it('prints file:line:col severity [code] message, the kernel lines, fixes and a summary', () => {
    const text = formatText(sample());
    const lines = text.split('\n');
    assert.ok(lines.includes('tools/a.bpf.c:21:6: error [fully-inlined] kprobe/blk_account_io_start cannot attach on debian-12 (fully inlined, no symbol).'), text);
    assert.ok(lines.includes('    debian-12 (6.1): fully-inlined: ...'));
    assert.ok(lines.includes('    fix: Use tp_btf/block_rq_issue instead (preferred)'));
    assert.match(lines[lines.length - 2], /^3 files checked against ubuntu-22\.04, debian-12: 2 errors, 1 warning, 1 note\.$/);
  });
});

describe('JSON format', () => {
  it('round-trips the findings with a summary', () => {
    const parsed = JSON.parse(formatJson(sample()));
    assert.deepEqual(parsed.kernels, ['ubuntu-22.04', 'debian-12']);
    assert.deepEqual(parsed.summary, { error: 2, warning: 1, information: 0, hint: 1 });
    assert.equal(parsed.findings.length, 4);
    assert.equal(parsed.findings[2].code, 'fully-inlined');
  });
});

describe('SARIF 2.1.0 format', () => {
  const log = JSON.parse(formatSarif(sample(), { toolVersion: '0.1.0', srcRoot: '/work/repo' }));

  it('has the top-level shape', () => {
    assert.equal(log.version, '2.1.0');
    assert.match(log.$schema, /sarif-2\.1\.0/);
    assert.equal(log.runs.length, 1);
    assert.equal(log.runs[0].tool.driver.name, 'bpf-atlas');
    assert.equal(log.runs[0].tool.driver.version, '0.1.0');
    assert.equal(log.runs[0].originalUriBaseIds['%SRCROOT%'].uri, 'file:///work/repo/');
  });

  it('lists every diagnostic code as a rule, ids unique, with descriptions and levels', () => {
    const rules = log.runs[0].tool.driver.rules as { id: string; shortDescription: { text: string }; defaultConfiguration: { level: string } }[];
    const ids = rules.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const c of diagnosticCodes()) assert.ok(ids.includes(c.code), `rule ${c.code}`);
    for (const r of rules) {
      assert.ok(r.shortDescription.text.length > 10, r.id);
      assert.ok(['error', 'warning', 'note', 'none'].includes(r.defaultConfiguration.level), r.id);
    }
    assert.equal(rules.find((r) => r.id === 'fully-inlined')!.defaultConfiguration.level, 'error');
    for (const r of rules as unknown as { id: string; helpUri: string }[]) assert.equal(r.helpUri, codeDocsHref(r.id));
    assert.equal(rules.find((r) => r.id === 'unknown')!.defaultConfiguration.level, 'note');
  });

  it('gives each result a rule, a level, a message and a 1-based region', () => {
    const rules = log.runs[0].tool.driver.rules as { id: string }[];
    const results = log.runs[0].results as {
      ruleId: string; ruleIndex: number; level: string; message: { text: string };
      locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: { startLine: number; startColumn: number; endLine: number; endColumn: number } } }[];
    }[];
    assert.equal(results.length, 4);
    for (const r of results) {
      assert.equal(rules[r.ruleIndex].id, r.ruleId);
      assert.ok(['error', 'warning', 'note'].includes(r.level));
      assert.ok(r.message.text.length > 0);
      const loc = r.locations[0].physicalLocation;
      assert.equal(loc.artifactLocation.uriBaseId, '%SRCROOT%');
      assert.ok(loc.region.startLine >= 1 && loc.region.startColumn >= 1);
      assert.ok(loc.region.endLine >= loc.region.startLine);
    }
    const inlined = results.find((r) => r.ruleId === 'fully-inlined')!;
    assert.equal(inlined.level, 'error');
    assert.equal(inlined.locations[0].physicalLocation.artifactLocation.uri, 'tools/a.bpf.c');
    assert.match(inlined.message.text, /ubuntu-22\.04 \(5\.15\): partially-inlined/);
    assert.equal(results.find((r) => r.ruleId === 'prefer-fentry')!.level, 'note');
  });
});

describe('SARIF artifact URIs', () => {
  it('a file named a#b?.bpf.c gets a valid URI, relative or absolute, that names the file again', () => {
    const finding = (file: string) => findingFromDiagnostic(file, {
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 4 } }, severity: DiagnosticSeverity.Error,
      code: 'absent', source: 'bpf-atlas', message: 'x',
    });
    const root = path.join(os.tmpdir(), 'src root');
    const files = [path.join('odd dir', 'a#b?.bpf.c'), path.join(root, 'odd dir', '100%', 'a#b?.bpf.c')];
    const log = JSON.parse(formatSarif({ kernels: ['debian-12'], files, findings: files.map(finding) }, { srcRoot: root }));
    const run = log.runs[0];
    const base = run.originalUriBaseIds['%SRCROOT%'].uri as string;
    assert.equal(fileURLToPath(base), `${root}${path.sep}`);
    const [relative, absolute] = run.results.map((r: { locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string } } }[] }) => r.locations[0].physicalLocation.artifactLocation);
    assert.equal(relative.uriBaseId, '%SRCROOT%');
    assert.equal(fileURLToPath(new URL(relative.uri, base)), path.join(root, files[0]));
    assert.equal(absolute.uriBaseId, undefined);
    assert.equal(fileURLToPath(absolute.uri), files[1]);
  });
});
