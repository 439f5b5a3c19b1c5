// Will it load there, in the editor: hover on kfunc calls and the load diagnostics at the call, on
// real-style programs (test/fixtures/c/taskguard.bpf.c, execwatch.bpf.c) over the bundled Debian
// and Ubuntu kernels. Every expectation comes from the kernels' own data: the kfunc sets and
// program-type tables of Debian's linux-source packages and each kernel's functions.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Hover } from 'vscode-languageserver';
import { hover } from '../../server/src/features/hover';
import { featureContext, loadFixture, marker, openFixture } from './fixture';

const TARGETS = ['ubuntu-20.04', 'ubuntu-22.04', 'debian-11', 'debian-12', 'debian-13', 'debian-sid'];

function text(h: Hover | null): string {
  assert.ok(h, 'a hover');
  const c = h.contents;
  assert.ok(typeof c === 'object' && 'kind' in c && c.kind === 'markdown', 'markdown contents');
  return c.value;
}

/** The hover at a named marker (inside the name that follows it). */
async function hoverAt(fixture: string, label: string, targets = TARGETS): Promise<string> {
  const f = loadFixture(fixture);
  const doc = await openFixture(f);
  const at = marker(f, label);
  return text(hover(doc, { line: at.line, character: at.character + 2 }, featureContext(targets)));
}

/** The cell of a target's row in the per-target table of a hover. */
function cell(md: string, target: string): string {
  const row = md.split('\n').find((l) => l.startsWith(`| ${target} (`));
  assert.ok(row, `a row for ${target} in\n${md}`);
  return row.split(' | ')[1].replace(/ \|$/, '');
}

describe('hover on a kfunc call', () => {
  it('bpf_task_acquire in a kprobe: prototype from BTF, its set and flags, absent before 6.2, not registered for kprobes after', async () => {
    const md = await hoverAt('c/taskguard.bpf.c', 'acquire');
    assert.match(md, /```c\nstruct task_struct \*bpf_task_acquire\(struct task_struct \*p\)\n```/);
    assert.match(md, /\*\*kfunc\*\* in `generic_btf_ids` \(kernel\/bpf\/helpers\.c, Debian linux-source-[\d.]+ [^)]+\), flags [A-Z_ |]*KF_ACQUIRE/);
    assert.match(md, /registered for TRACING,/);
    for (const k of ['ubuntu-20.04', 'ubuntu-22.04', 'debian-11', 'debian-12']) assert.equal(cell(md, k), '✗ does not have it', k);
    for (const k of ['debian-13', 'debian-sid']) {
      assert.match(cell(md, k), /^✗ bpf_task_acquire is registered for BPF_PROG_TYPE_TRACING.*BPF_PROG_TYPE_KPROBE maps to kfunc hook BTF_KFUNC_HOOK_KPROBE/, k);
    }
  });

  it('bpf_task_from_pid in fentry: has it from 6.12 on, none before (its set registers TRACING)', async () => {
    const md = await hoverAt('c/taskguard.bpf.c', 'fromPid');
    assert.match(md, /^```c\nstruct task_struct \*bpf_task_from_pid\(s32 pid\)\n```/);
    for (const k of ['debian-13', 'debian-sid']) assert.equal(cell(md, k), 'has it', k);
    for (const k of ['ubuntu-22.04', 'debian-12']) assert.equal(cell(md, k), '✗ does not have it', k);
  });

  it('a kfunc of the common hook says every program type may call it', async () => {
    const f = loadFixture('c/execwatch.bpf.c');
    const doc = await openFixture(f);
    const line = f.text.split('\n').findIndex((l) => /^\t\tbpf_rcu_read_lock\(\)/.test(l));
    const md = text(hover(doc, { line, character: 4 }, featureContext(TARGETS)));
    assert.match(md, /\*\*kfunc\*\* in `common_btf_ids` .*registered for every program type \(the common hook\)\./);
    assert.equal(cell(md, 'debian-13'), 'has it');
    assert.equal(cell(md, 'debian-11'), '✗ does not have it');
  });

  it('a name that is neither a helper nor a kfunc has no kfunc hover', async () => {
    const f = loadFixture('c/taskguard.bpf.c');
    const doc = await openFixture(f);
    const line = f.text.split('\n').findIndex((l) => l.startsWith('static long count_one'));
    const h = hover(doc, { line, character: 'static long co'.length }, featureContext(TARGETS));
    assert.doesNotMatch(h ? text(h) : '', /\*\*kfunc\*\*/);
  });
});
