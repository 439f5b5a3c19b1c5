// `bpf-atlas check` and the load verdicts: `--format json` programs[] (file, line, name, section,
// kernels, reasons, minKernel), the summary table in text output, and `--min-kernel` failing a run
// whose programs need a newer kernel, naming what dates them.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { run } from '../../../server/src/cli/check';
import { repoRoot } from '../../repoRoot';

const fixture = path.join(repoRoot(), 'test', 'fixtures', 'c', 'execwatch.bpf.c');
const kernels = ['--kernel', 'debian-11,debian-12,debian-13,debian-sid', '--no-live'];

async function check(argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await run(argv, { stdout: { write: (t: string) => { stdout += t; } }, stderr: { write: (t: string) => { stderr += t; } } });
  return { status, stdout, stderr };
}

describe('check: will it load', () => {
  it('--format json: one row per program with per-kernel verdicts, reasons and the minimum kernel', async () => {
    const { stdout } = await check([...kernels, '--format', 'json', fixture]);
    const out = JSON.parse(stdout) as { programs: { file: string; line: number; name: string; section: string; kernels: Record<string, string>; reasons: { kind: string; subject: string; effect: string }[]; minKernel?: string }[] };
    assert.deepEqual(out.programs.map((p) => [p.name, p.section, p.line]), [
      ['handle_exec', 'tp_btf/sched_process_exec', 55],
      ['vfs_unlink_entry', 'kprobe/vfs_unlink', 76],
      ['do_unlinkat_entry', 'fentry/do_unlinkat', 97],
    ]);
    const [exec, unlink] = out.programs;
    assert.match(exec.file, /execwatch\.bpf\.c$/);
    assert.deepEqual(Object.keys(exec.kernels), ['debian-11', 'debian-12', 'debian-13', 'debian-sid']);
    assert.equal(exec.kernels['debian-11'], 'fails');
    assert.equal(exec.kernels['debian-12'], 'fails');
    assert.ok(exec.reasons.some((r) => r.kind === 'kfuncs' && r.subject === 'bpf_task_acquire' && r.effect === 'fails'));
    assert.equal(exec.minKernel, '6.2');
    assert.equal(unlink.minKernel, '5.15');
    for (const k of Object.values(unlink.kernels)) assert.equal(k, 'fails', 'bpf_d_path in a kprobe fails everywhere');
  });

  it('text output ends with the per-program table', async () => {
    const { stdout } = await check([...kernels, fixture]);
    assert.match(stdout, /Will it load \(per program and target kernel\):\nprogram +debian-11 +debian-12 +debian-13 +debian-sid +needs\n/);
    assert.match(stdout, /execwatch\.bpf\.c:55 handle_exec +FAIL +FAIL +\S+ +\S+ +6\.2\+/);
  });

  it('--min-kernel: exit 1 when a program needs more, naming what dates it; a lower bar passes that check', async () => {
    const strict = await check([...kernels, '--min-kernel', '5.15', fixture]);
    assert.equal(strict.status, 1);
    assert.match(strict.stderr, /handle_exec needs Linux 6\.2, newer than --min-kernel 5\.15: .*bpf_loop \(5\.17\).*bpf_task_acquire \(6\.2\)/);
    assert.doesNotMatch(strict.stderr, /vfs_unlink_entry/, '5.15 is enough for bpf_get_func_ip');
    const usage = await check([...kernels, '--min-kernel', 'five', fixture]);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /--min-kernel wants an upstream version such as 5\.15/);
  });
});
