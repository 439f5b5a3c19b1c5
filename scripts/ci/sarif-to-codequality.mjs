#!/usr/bin/env node
// Converts the SARIF report of `bpf-atlas check --format sarif` (stdin) into a GitLab Code Quality
// report (stdout), which merge requests show: GitLab has no SARIF report type. One entry per
// result: the message's first line (the per-kernel details follow it in the SARIF), the rule id as
// the check name, the severity, the file and line, and a fingerprint that stays the same while the
// finding does. Used by the GitLab CI job that "bpf-atlas: Add a CI Configuration" writes.
//
//   node scripts/ci/sarif-to-codequality.mjs < bpf-atlas.sarif > gl-code-quality-report.json
import { createHash } from 'node:crypto';

const SEVERITY = { error: 'critical', warning: 'major', note: 'minor', none: 'info' };

let text = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => (text += d));
process.stdin.on('end', () => {
  let sarif;
  try {
    sarif = JSON.parse(text);
  } catch (e) {
    console.error(`sarif-to-codequality: stdin is not JSON (${e.message}): expected bpf-atlas check --format sarif`);
    process.exit(2);
  }
  const report = (sarif.runs ?? []).flatMap((run) => run.results ?? []).map((result) => {
    const where = result.locations?.[0]?.physicalLocation ?? {};
    const file = where.artifactLocation?.uri ?? '';
    const line = where.region?.startLine ?? 1;
    const description = String(result.message?.text ?? '').split('\n')[0];
    return {
      description,
      check_name: result.ruleId,
      severity: SEVERITY[result.level] ?? 'info',
      fingerprint: createHash('sha1').update([file, line, result.ruleId, description].join(':')).digest('hex'),
      location: { path: file, lines: { begin: line } },
    };
  });
  process.stdout.write(JSON.stringify(report, null, 1) + '\n');
});
