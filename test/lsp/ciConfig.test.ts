// The CI configurations "bpf-atlas: Add a CI Configuration" writes, run for real: the GitHub
// Actions check step and the GitLab job's script, with the built CLI standing in for the clone the
// CI job makes, over a copy of examples/ (programs that cannot attach on debian-12). The SARIF must
// be valid and hold the findings, the job must fail as the check does, and GitLab's Code Quality
// report must list the same findings.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { ciConfig } from '../../client/src/ciTemplates';
import { HANG_GUARD_MS } from '../hangGuard';
import { ROOT } from './client';

let repo: string;

before(() => {
  repo = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-ci-'));
  fs.cpSync(path.join(ROOT, 'examples'), path.join(repo, 'src'), { recursive: true });
});

after(() => fs.rmSync(repo, { recursive: true, force: true }));

function sh(script: string): { status: number | null; stderr: string } {
  const r = spawnSync('sh', ['-c', script], { cwd: repo, encoding: 'utf8', timeout: HANG_GUARD_MS });
  return { status: r.status, stderr: r.stderr };
}

type Sarif = { version: string; runs: { results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };

function readSarif(): Sarif {
  const sarif = JSON.parse(fs.readFileSync(path.join(repo, 'bpf-atlas.sarif'), 'utf8')) as Sarif;
  assert.equal(sarif.version, '2.1.0');
  return sarif;
}

test('GitHub Actions: the check step writes SARIF with the findings and fails the job on an error', () => {
  const doc = parse(ciConfig('github', ['debian-12'])) as { jobs: { check: { steps: { run?: string }[] } } };
  const step = doc.jobs.check.steps.find((s) => s.run?.includes('dist/cli.js'))!;
  const run = step.run!.replace('"$RUNNER_TEMP/bpf-atlas/dist/cli.js"', JSON.stringify(path.join(ROOT, 'dist/cli.js')));
  const r = sh(run);
  assert.equal(r.status, 1, `exit 1 on an error; stderr: ${r.stderr}`);
  const results = readSarif().runs[0].results;
  assert.ok(results.some((x) => x.level === 'error' && x.ruleId === 'fully-inlined'), JSON.stringify(results.map((x) => x.ruleId)));
  assert.ok(results.every((x) => x.locations[0].physicalLocation.artifactLocation.uri.startsWith('src/')), 'paths relative to the repository');
});

test('GitLab CI: the job keeps SARIF, writes a Code Quality report of the same findings and fails as the check does', () => {
  const doc = parse(ciConfig('gitlab', ['debian-12'])) as { 'bpf-atlas': { script: string[] } };
  // GitLab runs the script lines in one shell and stops at the first failing line.
  const script = ['set -e', ...doc['bpf-atlas'].script.map((l) => l.replaceAll('/tmp/bpf-atlas/', `${ROOT}/`))].join('\n');
  const r = sh(script);
  assert.equal(r.status, 1, `the job fails as the check does; stderr: ${r.stderr}`);
  const results = readSarif().runs[0].results;
  const report = JSON.parse(fs.readFileSync(path.join(repo, 'gl-code-quality-report.json'), 'utf8')) as {
    description: string; check_name: string; fingerprint: string; severity: string; location: { path: string; lines: { begin: number } };
  }[];
  assert.equal(report.length, results.length, 'one Code Quality entry per SARIF result');
  assert.ok(report.some((e) => e.check_name === 'fully-inlined' && e.severity === 'critical'));
  for (const e of report) {
    assert.ok(e.description && !e.description.includes('\n'), `one-line description: ${e.description}`);
    assert.match(e.fingerprint, /^[0-9a-f]{40}$/);
    assert.ok(e.location.path.startsWith('src/') && e.location.lines.begin >= 1, JSON.stringify(e.location));
  }
  assert.equal(new Set(report.map((e) => e.fingerprint)).size, report.length, 'fingerprints are distinct');
});

test('GitLab CI: a clean repository passes and gets an empty Code Quality report', () => {
  const clean = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-ci-clean-'));
  try {
    fs.writeFileSync(path.join(clean, 'ok.bt'), 'tracepoint:sched:sched_switch { @[args.next_comm] = count(); }\n');
    const doc = parse(ciConfig('gitlab', ['debian-12'])) as { 'bpf-atlas': { script: string[] } };
    const script = ['set -e', ...doc['bpf-atlas'].script.map((l) => l.replaceAll('/tmp/bpf-atlas/', `${ROOT}/`))].join('\n');
    const r = spawnSync('sh', ['-c', script], { cwd: clean, encoding: 'utf8', timeout: HANG_GUARD_MS });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(clean, 'gl-code-quality-report.json'), 'utf8')), []);
  } finally {
    fs.rmSync(clean, { recursive: true, force: true });
  }
});
