// The CI configurations "bpf-atlas: Add a CI Configuration" writes: which target kernels carry
// over to CI, that both files are valid YAML with the parts the CI services need (permission to
// upload SARIF, the upload itself; GitLab's artifacts and Code Quality report), and that the
// walkthrough page shows exactly what the command writes. test/lsp/ciConfig.test.ts runs them.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { CI_FILES, checkArgs, ciConfig, ciKernels } from '../../../client/src/ciTemplates';
import { repoRoot } from '../../repoRoot';

const inRepo = (root: string) => (file: string) => {
  const rel = path.relative(root, path.resolve(root, file));
  return rel.startsWith('..') ? undefined : rel;
};

test('CI kernels: bundled ids and atlas files in the repository carry over; live and outside files do not', () => {
  const { kernels, dropped } = ciKernels(
    ['debian-12', 'live', '/repo/atlases/prod.atlas', '/home/me/laptop.atlas', 'ubuntu-22.04', 'debian-12', 'atlases/edge.atlas'],
    inRepo('/repo'),
  );
  assert.deepEqual(kernels, ['debian-12', 'atlases/prod.atlas', 'ubuntu-22.04', 'atlases/edge.atlas']);
  assert.deepEqual(dropped, ['live', '/home/me/laptop.atlas']);
});

test('check arguments: no live kernel, each kernel once, SARIF, the whole tree; odd paths quoted for the shell', () => {
  assert.equal(checkArgs([]), 'check --no-live --format sarif .');
  assert.equal(checkArgs(['debian-12', 'my hosts/prod.atlas']), "check --no-live --kernel debian-12 --kernel 'my hosts/prod.atlas' --format sarif .");
});

test('GitHub Actions workflow: valid YAML that checks, may upload SARIF, and uploads it even when the check fails', () => {
  const doc = parse(ciConfig('github', ['debian-12'])) as {
    permissions: Record<string, string>;
    jobs: { check: { steps: { uses?: string; run?: string; if?: string; with?: Record<string, unknown> }[] } };
  };
  assert.equal(doc.permissions['security-events'], 'write');
  const steps = doc.jobs.check.steps;
  const check = steps.find((s) => s.run?.includes('dist/cli.js'));
  assert.match(check?.run ?? '', /check --no-live --kernel debian-12 --format sarif \. > bpf-atlas\.sarif$/);
  const upload = steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
  assert.equal(upload?.with?.sarif_file, 'bpf-atlas.sarif');
  assert.match(upload?.if ?? '', /!cancelled\(\)/);
  assert.ok(steps.indexOf(check!) < steps.indexOf(upload!));
});

test('GitLab CI job: valid YAML; SARIF and Code Quality kept when the check fails; the check\'s status decides the job', () => {
  const doc = parse(ciConfig('gitlab', ['debian-12'])) as {
    'bpf-atlas': { script: string[]; artifacts: { when: string; paths: string[]; reports: { codequality: string } } };
  };
  const job = doc['bpf-atlas'];
  assert.equal(job.artifacts.when, 'always');
  assert.deepEqual(job.artifacts.paths, ['bpf-atlas.sarif']);
  assert.equal(job.artifacts.reports.codequality, 'gl-code-quality-report.json');
  assert.match(job.script[0], /check --no-live --kernel debian-12 --format sarif \. > bpf-atlas\.sarif \|\| status=\$\?$/);
  assert.match(job.script[1], /sarif-to-codequality\.mjs < bpf-atlas\.sarif > gl-code-quality-report\.json$/);
  assert.equal(job.script.at(-1), 'exit ${status:-0}');
});

test('the walkthrough\'s CI page shows exactly what the command writes', () => {
  const page = fs.readFileSync(path.join(repoRoot(), 'docs/walkthrough/ci.md'), 'utf8');
  for (const system of ['github', 'gitlab'] as const) {
    assert.ok(page.includes(`\`${CI_FILES[system]}\``), `${system}: names ${CI_FILES[system]}`);
    assert.ok(page.includes('```yaml\n' + ciConfig(system, ['debian-12', 'ubuntu-22.04']) + '```'),
      `${system}: docs/walkthrough/ci.md is out of step with client/src/ciTemplates.ts (kernels debian-12, ubuntu-22.04)`);
  }
});
