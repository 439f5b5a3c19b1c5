// The `bpf-atlas` entry (dist/cli.js) runs `lookup` from a bundle of its own (dist/cli-lookup.js)
// and every other verb from dist/cli-main.js, each through V8's code cache: the lookup bundle must
// answer exactly as the bundle of every verb does (output, errors, exit status), with and without
// its cached code, and each bundle keeps its own cache file.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { HANG_GUARD_MS } from '../hangGuard';
import { ROOT } from './client';

const ENTRY = path.join(ROOT, 'dist/cli.js');
const ALL_VERBS = path.join(ROOT, 'dist/cli-main.js');

function run(script: string, args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: HANG_GUARD_MS, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Bundled kernels only (--no-live or --kernel): the same answer on every machine.
const LOOKUPS = [
  ['--kernel', 'debian-12', 'tracepoint:sched:sched_switch'],
  ['--kernel', 'debian-12', '--kernel', 'ubuntu-22.04', '--json', 'kprobe:vfs_read'],
  ['--no-live', 'fentry:tcp_v4_connect'],
  ['--kernel', '6.1', 'lsm:file_open'],
  ['--no-live', 'struct:task_struct.__state'],
  ['--kernel', 'debian-12', 'kprobe:no_such_function_xyz'],
  ['--kernel', 'nosuch', 'kprobe:vfs_read'],
  ['bogus:thing'],
  [],
  ['--help'],
];

test('bpf-atlas lookup from its own bundle answers as the bundle of every verb, cached or not', () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-bundles-'));
  try {
    for (const args of LOOKUPS) {
      const expected = run(ALL_VERBS, ['lookup', ...args], { BPF_ATLAS_CACHE: 'off' });
      // First run keeps the compiled code, the second runs from it.
      for (const pass of ['compiles', 'from the code cache']) {
        const got = run(ENTRY, ['lookup', ...args], { XDG_CACHE_HOME: cache, BPF_ATLAS_CACHE: '' });
        assert.deepEqual(got, expected, `lookup ${args.join(' ')} (${pass})`);
      }
    }
    const kernels = run(ENTRY, ['kernels', '--no-live'], { XDG_CACHE_HOME: cache, BPF_ATLAS_CACHE: '' });
    assert.equal(kernels.status, 0, kernels.stderr);
    const kept = fs.readdirSync(path.join(cache, 'bpf-atlas', 'v8')).sort();
    assert.equal(kept.length, 2, `one cache file per bundle: ${kept.join(', ')}`);
    assert.match(kept[0], /^cli-lookup-\d+-\d+-v[\d.]+-\w+\.cache$/);
    assert.match(kept[1], /^cli-main-\d+-\d+-v[\d.]+-\w+\.cache$/);
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

test('output through a pipe closed early ends the run quietly, whatever the bundle', () => {
  for (const verb of ['lookup --no-live --all --json kprobe:vfs_read', 'kernels --no-live --json']) {
    // `true` closes the pipe without reading (long before node has started); pipefail reports
    // bpf-atlas's own status.
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${ENTRY}" ${verb} | true`], {
      encoding: 'utf8', timeout: HANG_GUARD_MS, env: { ...process.env, BPF_ATLAS_CACHE: 'off' },
    });
    assert.equal(r.stderr, '', verb);
    assert.equal(r.status, 0, verb);
  }
});
