// libbpf C hover on fixtures, over the bundled atlases (ubuntu-22.04 from DepSurf, debian-12 from
// the Debian image) and the knowledge tables.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Hover } from 'vscode-languageserver';
import { hover } from '../../server/src/features/hover';
import { featureContext, loadFixture, marker, openFixture } from './fixture';

const TARGETS = ['ubuntu-22.04', 'debian-12'];

async function hoverAt(fixture: string, label?: string, targets = TARGETS): Promise<Hover | null> {
  const f = loadFixture(fixture);
  const doc = await openFixture(f);
  return hover(doc, marker(f, label), featureContext(targets));
}

/** Hover on the first handler macro of a fixture. */
async function hoverAtMacro(fixture: string): Promise<Hover | null> {
  const f = loadFixture(fixture);
  const doc = await openFixture(f);
  const p = doc.c!.programs.find((x) => x.handler?.macroRange)!;
  return hover(doc, p.handler!.macroRange!.start, featureContext(TARGETS));
}

function text(h: Hover | null): string {
  assert.ok(h, 'a hover');
  const c = h.contents;
  assert.ok(typeof c === 'object' && 'kind' in c && c.kind === 'markdown', 'markdown contents');
  return c.value;
}

/** The lines of `md` between a heading that matches `heading` and the next bold heading. */
function sectionOf(md: string, heading: RegExp): string {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => heading.test(l));
  assert.ok(start >= 0, `heading ${heading} in hover`);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => /^\*\*[A-Z]/.test(l));
  return rest.slice(0, end < 0 ? undefined : end).join('\n');
}

describe('hover on sections', () => {
  it('tracepoint/sched/sched_switch shows the record fields of each target', async () => {
    const md = text(await hoverAt('c/hover-sections.bpf.c', 'tracepoint'));
    assert.match(md, /^\*\*tracepoint\*\* `sched\/sched_switch` — /);
    assert.match(md, /\| ubuntu-22.04 \(5\.15\.0-25-generic\) \| ℹ️ attachable \|/);
    assert.match(md, /\| debian-12 \(6\.1\.0-56-amd64\) \| ✅ attachable \|/);
    // Exact offsets where the source has them (the Debian image walk), types only elsewhere.
    const debian = sectionOf(md, /^\*\*Record fields\*\* \(debian-12\)/);
    assert.match(debian, /struct trace_event_raw_sched_switch/);
    assert.match(debian, /pid_t prev_pid; +\/\* offset 24, size 4 \*\//);
    assert.match(debian, /char next_comm\[16\]; +\/\* offset 40, size 16 \*\//);
    const ubuntu = sectionOf(md, /^\*\*Record fields\*\* \(ubuntu-22.04\)/);
    assert.match(ubuntu, /^pid_t prev_pid;$/m);
    assert.match(md, /\*\*TP_PROTO arguments\*\* \(debian-12\):\n\n`bool preempt, struct task_struct \*prev, struct task_struct \*next, unsigned int prev_state`/);
    assert.match(md, /\*\*Print format\*\*/);
    assert.match(md, /prev_comm=%s prev_pid=%d/);
  });

  it('kprobe/blk_account_io_start: status per kernel, evidence and the stable alternative', async () => {
    const md = text(await hoverAt('c/hover-sections.bpf.c', 'kprobe'));
    // DepSurf labels it selectively inlined without naming a caller: information, not a hazard.
    assert.match(md, /\| ubuntu-22.04 [^|]*\| ℹ️ attachable \| `partially-inlined`: .*not confirmed/);
    assert.match(md, /\| debian-12 [^|]*\| ❌ cannot attach \| `fully-inlined`/);
    assert.match(md, /```c\nvoid blk_account_io_start\(struct request \*rq\)\n```/);
    assert.match(sectionOf(md, /^\*\*Seen in the wild\*\*/), /iovisor\/bcc#4261/);
    const alt = sectionOf(md, /^\*\*Stable alternative\*\*/);
    assert.match(alt, /SEC\("tp_btf\/block_rq_issue"\)/);
  });

  it('a section without target says the target is set at load time', async () => {
    const md = text(await hoverAt('c/hover-sections.bpf.c', 'fentry_bare'));
    assert.match(md, /^\*\*SEC\("fentry"\)\*\* — /);
    assert.match(md, /set at load time/);
  });
});

describe('hover on handlers, ctx fields and helpers', () => {
  it('a BPF_PROG argument: the hook argument on each kernel', async () => {
    const md = text(await hoverAt('c/runqlat.bpf.c', 'next'));
    assert.match(md, /^\*\*next\*\*: `struct task_struct \*` \(BPF_PROG argument 3\)/);
    assert.match(md, /\| ubuntu-22.04 \| `struct task_struct \*next` \(argument 3\) \|/);
    assert.match(md, /\| debian-12 \| `struct task_struct \*next` \(argument 3\) \|/);
  });

  it('a BPF_KPROBE argument that matches the function prototype', async () => {
    const md = text(await hoverAt('c/tcpconnect.bpf.c', 'sk'));
    assert.match(md, /\| debian-12 \| `struct sock \*sk` \(argument 1\) \|/);
    assert.doesNotMatch(md, /⚠/);
  });

  it('ctx->field: type per kernel and the exact offset where known', async () => {
    const md = text(await hoverAt('c/offcputime.bpf.c', 'prev_pid'));
    assert.match(md, /^\*\*ctx->prev_pid\*\*/);
    assert.match(md, /\| debian-12 \| `pid_t prev_pid;` offset 24, size 4 \|/);
    assert.match(md, /\| ubuntu-22.04 \| `pid_t prev_pid;` \|/);
  });

  it('ctx->args of a syscall record maps the slots to the syscall arguments', async () => {
    const md = text(await hoverAt('c/opensnoop.bpf.c', 'open_args'));
    assert.match(md, /`unsigned long args\[6\];` offset 16, size 48/);
    assert.match(md, /`args\[i\]` of open\(\) on debian-12: `\[0\]` const char \*filename, `\[1\]` int flags, `\[2\]` umode_t mode/);
  });

  it('a BPF helper: prototype, documentation and pitfalls', async () => {
    const md = text(await hoverAt('c/hover-sections.bpf.c', 'helper'));
    assert.match(md, /```c\nlong bpf_probe_read\(void \*dst, u32 size, const void \*unsafe_ptr\)\n```/);
    assert.match(md, /\*\*Pitfalls\*\*/);
    assert.match(md, /bpf_probe_read_kernel/);
  });

  it('a handler macro: what it does, and the macro the section expects when it differs', async () => {
    const md = text(await hoverAt('c/hover-sections.bpf.c', 'wrong_macro'));
    assert.match(md, /^\*\*BPF_KPROBE\*\* — Reads the arguments from `struct pt_regs`/);
    assert.match(md, /⚠ `SEC\("tp_btf\/sched_wakeup"\)` programs use `BPF_PROG`/);
    const ok = text(await hoverAtMacro('c/runqlat.bpf.c'));
    assert.doesNotMatch(ok, /⚠/);
  });

  it('nothing to say outside programs and known helpers', async () => {
    const f = loadFixture('c/opensnoop.bpf.c');
    const doc = await openFixture(f);
    assert.equal(hover(doc, { line: 0, character: 3 }, featureContext(TARGETS)), null);
  });
});
