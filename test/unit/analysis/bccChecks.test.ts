// The answers of real kernels (the bundled atlases) to the checks BCC tools make before attaching.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import path from 'node:path';
import { Atlas } from '../../../server/src/atlas/atlas';
import { kernelCheckAnswer, syscallPrefix } from '../../../server/src/analysis/bccChecks';
import type { BccGuard } from '../../../server/src/syntax/bcc/types';
import { repoRoot } from '../../repoRoot';

const atlas = new Atlas({ dataDir: path.join(repoRoot(), 'data'), live: false });
const zero = { line: 0, character: 0 };
const guard = (check: string, args: (string | undefined)[], syscallArg?: number): BccGuard =>
  ({ check, args, syscallArg, text: check, range: { start: zero, end: zero } });

describe('bcc kernel checks on bundled kernels', () => {
  it('get_kprobe_functions: a plain name must be the exact symbol; a regex covers the clone', () => {
    const d12 = atlas.get('debian-12');
    // finish_task_switch is finish_task_switch.isra.0 on 6.1: bcc's exact check fails, the regex finds it.
    assert.equal(kernelCheckAnswer(d12, guard('get_kprobe_functions', ['finish_task_switch'])), false);
    assert.equal(kernelCheckAnswer(d12, guard('get_kprobe_functions', [String.raw`^finish_task_switch$|^finish_task_switch\.isra\.\d$`])), true);
    assert.equal(kernelCheckAnswer(d12, guard('get_kprobe_functions', ['vfs_read'])), true);
    // Fully inlined on 6.1.
    assert.equal(kernelCheckAnswer(d12, guard('get_kprobe_functions', ['blk_account_io_start'])), false);
  });

  it('tracepoint_exists, support_* and ksymname with the syscall prefix', () => {
    const d12 = atlas.get('debian-12');
    const u1804 = atlas.get('ubuntu-18.04');
    assert.equal(kernelCheckAnswer(d12, guard('tracepoint_exists', ['sched', 'sched_switch'])), true);
    assert.equal(kernelCheckAnswer(d12, guard('tracepoint_exists', ['block', 'block_io_start'])), false);
    assert.equal(kernelCheckAnswer(d12, guard('support_kfunc', [])), true);
    assert.equal(kernelCheckAnswer(u1804, guard('support_kfunc', [])), false);
    assert.equal(kernelCheckAnswer(d12, guard('support_raw_tracepoint', [])), true);
    assert.equal(syscallPrefix(d12), '__x64_sys_');
    assert.equal(kernelCheckAnswer(d12, guard('ksymname', ['openat2'], 0)), true);
    assert.equal(kernelCheckAnswer(atlas.get('debian-11'), guard('ksymname', ['no_such_call'], 0)), false);
    assert.equal(kernelCheckAnswer(d12, guard('kernel_struct_has_field', ['task_struct', '__state'])), undefined);
  });

  it('kernel #if conditions: the version and the architecture', () => {
    const d12 = atlas.get('debian-12');
    const pre = (text: string) => kernelCheckAnswer(d12, guard('preprocessor', [text]));
    assert.equal(pre('#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 11)'), false);
    assert.equal(pre('#else of #if LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 11)'), true);
    assert.equal(pre('#if LINUX_VERSION_CODE >= KERNEL_VERSION(6,1,0) && !defined(__s390x__)'), true);
    assert.equal(pre('#ifdef __aarch64__'), false);
    assert.equal(pre('#if defined(CONFIG_ARCH_HAS_SYSCALL_WRAPPER)'), undefined);
  });
});
