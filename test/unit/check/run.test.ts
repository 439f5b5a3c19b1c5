// `bpf-atlas check` end to end over test/fixtures/check with the bundled atlases: exit statuses,
// findings a user can act on, every output format, usage errors, and broken files that are reported
// instead of ending the run.

import { AnalysisCache } from '../../../server/src/analysis/cache';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Atlas } from '../../../server/src/atlas/atlas';
import { checkFiles, collectFiles, type DocumentAnalyzer } from '../../../server/src/check/run';
import { run } from '../../../server/src/cli/check';
import { loadKnowledge } from '../../../server/src/knowledge/load';
import { DEFAULT_SETTINGS } from '../../../server/src/settings';
import { repoRoot } from '../../repoRoot';


const root = repoRoot();
const fixtures = path.join(root, 'test', 'fixtures', 'check');

function bundledIds(): string[] {
  return new Atlas({ dataDir: path.join(root, 'data'), live: false }).list().map((m) => m.id);
}

/** The targets. */
function targets(): string[] {
  return ['ubuntu-22.04', 'debian-12'];
}

async function check(argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await run(argv, { stdout: { write: (t: string) => { stdout += t; } }, stderr: { write: (t: string) => { stderr += t; } } });
  return { status, stdout, stderr };
}

const kernelArgs = () => targets().flatMap((t) => ['--kernel', t]);
describe('check: the bundled atlases', () => {
  it('have the target kernels', () => {
    const ids = bundledIds();
    assert.deepEqual(targets().filter((t) => !ids.includes(t)), [], 'data/atlas lacks a target kernel: rebuild the bundled atlases');
  });
});

describe('check: collecting files', () => {
  it('finds *.bpf.c, *.c with SEC() and *.bt under folders, skipping other C', () => {
    const { files, missing } = collectFiles([fixtures]);
    assert.deepEqual(missing, []);
    const rel = files.map((f) => path.relative(fixtures, f));
    assert.ok(rel.includes(path.join('tools', 'biosnoop.bpf.c')));
    assert.ok(rel.includes(path.join('tools', 'biosnoop.bt')));
    assert.ok(rel.includes(path.join('broken', 'half_typed.bpf.c')));
    assert.ok(!rel.includes(path.join('userspace', 'loader.c')), 'a loader without SEC() is not a BPF program');
    assert.ok(!rel.some((f) => f.endsWith('.md')));
  });

  it('reports missing paths', () => {
    assert.deepEqual(collectFiles([path.join(fixtures, 'nope.bpf.c')]).missing, [path.join(fixtures, 'nope.bpf.c')]);
  });
});

describe('check: the CLI verb over the fixtures', () => {
  it('exits 1 with actionable text findings, and survives the broken files', async () => {
    const { status, stdout, stderr } = await check([...kernelArgs(), '--no-live', fixtures]);
    assert.equal(status, 1, stderr);
    const lines = stdout.split('\n');
    const blk = lines.find((l) => /biosnoop\.bpf\.c:22:6: error \[fully-inlined\] kprobe\/blk_account_io_start cannot attach on /.test(l));
    assert.ok(blk, stdout);
    const at = lines.indexOf(blk);
    assert.match(lines[at + 1], /^ {4}ubuntu-22\.04 \(5\.15\): partially-inlined/);
    assert.ok(lines.slice(at + 1, at + 8).some((l) => /^ {4}fix: Use (tp_btf|tracepoint)\/(block\/)?block_rq_\w+ instead .*\(preferred\)$/.test(l)), stdout);
    assert.ok(lines.some((l) => /offcputime\.bpf\.c:\d+:\d+: error \[renamed\]/.test(l)));
    // Broken code: no crash, no check-failed for files the parser can read (half-typed is normal input).
    assert.ok(!stdout.includes('half_typed.bpf.c:1:1: error [check-failed]'), stdout);
    // Findings only (the load table after them lists every program, these included, without errors).
    const findings = lines.filter((l) => /^\S+:\d+:\d+: /.test(l));
    assert.ok(!findings.some((l) => l.includes('fsslower.bpf.c')), 'placeholders and SEC("fentry") are not reported');
    assert.ok(!findings.some((l) => l.includes('xdp_counter.bpf.c')));
    assert.match(lines[lines.length - 2], /^\d+ files checked against .+: \d+ errors?, \d+ warnings?, \d+ notes?\.$/);
  });

  it('exits 0 on a clean program', async () => {
    const { status, stdout } = await check([`--kernel=${targets().join(',')}`, '--no-live', path.join(fixtures, 'tools', 'runqlat.bpf.c')]);
    assert.equal(status, 0, stdout);
    assert.match(stdout, new RegExp(`^1 file checked against ${targets().join(', ')}: 0 errors`, 'm'));
  });

  it('prints JSON findings with 1-based positions and per-kernel details', async () => {
    const { status, stdout } = await check([...kernelArgs(), '--no-live', '--format', 'json', path.join(fixtures, 'tools', 'offcputime.bpf.c')]);
    assert.equal(status, 1);
    const out = JSON.parse(stdout);
    assert.deepEqual(out.kernels, targets());
    const f = out.findings.find((x: { code: string }) => x.code === 'renamed');
    assert.equal(f.line, 15);
    assert.equal(f.column, 6);
    assert.equal(f.details.length >= 2, true);
    assert.ok(f.fixes.some((t: string) => /^Attach to finish_task_switch\.isra\.\d+ .*\(preferred\)$/.test(t)));
  });

  it('prints SARIF 2.1.0 with rules and located results', async () => {
    const { stdout } = await check([...kernelArgs(), '--no-live', '--format=sarif', path.join(fixtures, 'tools')]);
    const log = JSON.parse(stdout);
    assert.equal(log.version, '2.1.0');
    const run0 = log.runs[0];
    const ruleIds = run0.tool.driver.rules.map((r: { id: string }) => r.id);
    assert.ok(run0.results.length > 3);
    for (const r of run0.results) {
      assert.equal(ruleIds[r.ruleIndex], r.ruleId);
      assert.match(r.locations[0].physicalLocation.artifactLocation.uri, /\.(bpf\.c|bt)$/);
      assert.ok(r.locations[0].physicalLocation.region.startLine >= 1);
    }
  });

  it('checks bpftrace scripts through the bpftrace diagnostics', async () => {
    const { stdout } = await check([...kernelArgs(), '--no-live', '--format', 'json', path.join(fixtures, 'tools', 'biosnoop.bt')]);
    const out = JSON.parse(stdout);
    assert.deepEqual(out.files.map((f: string) => path.basename(f)), ['biosnoop.bt']);
    assert.ok(!out.findings.some((f: { code: string }) => f.code === 'check-failed'), stdout);
  });
});

describe('check: usage errors exit 2', () => {
  it('unknown option, bad format, no path, missing path, unknown kernel', async () => {
    for (const argv of [['--frobnicate', fixtures], ['--format', 'xml', fixtures], [], [path.join(fixtures, 'missing.bpf.c')], ['--kernel', 'no-such-kernel-9', '--no-live', fixtures]]) {
      const { status, stderr } = await check(argv);
      assert.equal(status, 2, `${argv.join(' ')}: ${stderr}`);
      assert.match(stderr, /^bpf-atlas check: /);
    }
  });

  it('--help prints the usage and exits 0', async () => {
    const { status, stdout } = await check(['--help']);
    assert.equal(status, 0);
    assert.match(stdout, /^usage: bpf-atlas check/);
  });
});

describe('check: a file that cannot be analysed is a finding, not a crash', () => {
  it('reports unreadable paths and analyser failures per file and goes on', () => {
    const dataDir = path.join(root, 'data');
    const ctx = {
      atlas: new Atlas({ dataDir, live: false }), targets: targets(), settings: DEFAULT_SETTINGS,
      knowledge: loadKnowledge(path.join(dataDir, 'knowledge')), cache: new AnalysisCache(),
    };
    // An analyser that fails on one file, as a parser crash would.
    const analyzer: DocumentAnalyzer = {
      analyze: (uri) => { throw new Error(`parser gave up on ${uri}`); },
      release: () => undefined,
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-check-'));
    const folderNamedLikeAFile = path.join(dir, 'odd.bpf.c');
    fs.mkdirSync(folderNamedLikeAFile);
    try {
      const result = checkFiles([path.join(fixtures, 'tools', 'runqlat.bpf.c'), folderNamedLikeAFile], ctx, analyzer, { cwd: fixtures });
      assert.equal(result.findings.length, 2);
      for (const f of result.findings) {
        assert.equal(f.code, 'check-failed');
        assert.equal(f.severity, 'error');
      }
      assert.match(result.findings.find((f) => f.file.includes('runqlat'))!.message, /parser gave up/);
      assert.match(result.findings.find((f) => f.file.includes('odd'))!.message, /cannot read .*EISDIR/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
