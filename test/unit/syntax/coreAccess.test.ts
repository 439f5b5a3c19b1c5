// The CO-RE read model of libbpf C (syntax/coreAccess.ts) over the real tree-sitter parser: which
// reads it finds, the type each starts from, and which are guarded, on the shapes real tools use.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CoreAccess } from '../../../server/src/syntax/coreAccess';
import { btAccesses } from '../../../server/src/syntax/btAccess';
import { parseBpftrace } from '../../../server/src/syntax/bpftrace';
import { openFixture, stripMarkers } from '../../features/fixture';

async function core(source: string) {
  const doc = await openFixture(stripMarkers(source, 'core.bpf.c'));
  assert.ok(doc.core, 'a C document has a CO-RE model');
  return doc.core;
}

/** `struct task_struct * ->__state` (guarded) for each read, in order. */
function shapes(accesses: readonly CoreAccess[]): string[] {
  return accesses.map((a) => {
    const root = a.root.kind === 'type' ? `${a.root.type.tag} ${a.root.type.name}${'*'.repeat(a.root.type.pointers)}` : `(${shapes([a.root.access])[0]})`;
    return `${a.via} ${root} ${a.steps.map((s) => `${s.arrow ? '->' : '.'}${s.name}`).join('')}${a.guarded ? ' guarded' : ''}`;
  });
}

const HEAD = '#include "vmlinux.h"\n#include <bpf/bpf_core_read.h>\n';

describe('coreAccess', () => {
  it('reads from handler arguments, locals, casts and helpers', async () => {
    const m = await core(`${HEAD}
SEC("tp_btf/sched_switch")
int BPF_PROG(sw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task(), *u = next;
	u32 a = BPF_CORE_READ(prev, real_parent, tgid);
	u32 b = next->se.on_rq;
	u64 c = BPF_CORE_READ(bpf_get_current_task_btf(), mm, arg_start);
	u32 d = container_of(t, struct task_struct, se)->pid;
	u32 e = BPF_CORE_READ(BPF_CORE_READ(t, mm), map_count);
	bpf_core_read(&a, sizeof(a), &t->tgid);
	BPF_CORE_READ_INTO(&b, u, pid);
	return ((struct task_struct *)bpf_get_current_task())->pid;
}`);
    assert.deepEqual(shapes(m.accesses), [
      'core-read struct task_struct* ->real_parent->tgid',
      'direct struct task_struct* ->se.on_rq',
      'core-read struct task_struct* ->mm->arg_start',
      'direct struct task_struct* ->pid',
      'core-read (core-read struct task_struct* ->mm) ->map_count',
      'core-read struct task_struct* ->mm',
      'core-builtin struct task_struct* ->tgid',
      'core-read struct task_struct* ->pid',
      'direct struct task_struct* ->pid',
    ]);
    assert.equal(m.includesVmlinux, true);
  });

  it('guards: the branches of a bpf_core_*_exists test, its else, after an early return, and a kept test', async () => {
    const m = await core(`${HEAD}
struct task_struct___o { long state; } __attribute__((preserve_access_index));
static long get(struct task_struct *t, struct inode *i, struct bio *b)
{
	long s;
	if (bpf_core_field_exists(t->__state))
		s = BPF_CORE_READ(t, __state);
	else
		s = BPF_CORE_READ((struct task_struct___o *)t, state);
	s += bpf_core_field_exists(i->i_atime_sec) ? BPF_CORE_READ(i, i_atime_sec) : 0;
	bool has = bpf_core_field_exists(struct bio, bi_bdev);
	if (has)
		s += (long)BPF_CORE_READ(b, bi_bdev);
	if (!bpf_core_type_exists(struct trace_event_raw_block_rq_completion))
		return s;
	s += t->pid;
	return s;
}
static long plain(struct task_struct *t)
{
	if (t->pid > 1)
		return t->tgid;
	return t->__state;
}`);
    assert.deepEqual(shapes(m.accesses), [
      'core-read struct task_struct* ->__state guarded',
      'core-read struct task_struct___o* ->state guarded',
      'core-read struct inode* ->i_atime_sec guarded',
      'core-read struct bio* ->bi_bdev guarded',
      'direct struct task_struct* ->pid guarded',
      'direct struct task_struct* ->pid',
      'direct struct task_struct* ->tgid',
      'direct struct task_struct* ->__state',
    ]);
    const flavor = m.localTypes.get('struct task_struct___o');
    assert.deepEqual(flavor && { members: flavor.members, pai: flavor.preserveAccessIndex }, { members: ['state'], pai: true });
  });

  it('helpers called only from a guard\'s branch are guarded; only from an option\'s branch, under that option', async () => {
    const m = await core(`${HEAD}
const volatile bool targ_by_parent = false;
const volatile bool targ_on = true;

static __always_inline long new_state(struct task_struct *t)
{
	return BPF_CORE_READ(t, __state);
}

static __always_inline u32 parent_of(struct task_struct *t)
{
	return BPF_CORE_READ(t, real_parent, tgid);
}

static __always_inline u32 both(struct task_struct *t)
{
	return t->pid;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(w, struct task_struct *p)
{
	long s = 0;
	u32 k = 0;

	if (bpf_core_field_exists(p->__state))
		s = new_state(p);
	if (targ_by_parent && p->pid)
		k = parent_of(p);
	if (targ_on)
		k = p->tgid;
	k += both(p);
	if (targ_by_parent)
		k += both(p);
	return s + k;
}
`);
    const row = (a: CoreAccess) => `${a.steps.map((s) => s.name).join('.')}${a.guarded ? ' guarded' : ''}${a.option ? ` option ${a.option}` : ''}`;
    // both() is also called outside any branch; the && operand is in the condition, not a branch;
    // targ_on is on by default, so its branch is the default path.
    assert.deepEqual(m.accesses.map(row), ['__state guarded', 'real_parent.tgid option targ_by_parent', 'pid', 'pid', 'tgid']);
  });

  it('struct definitions: preserve_access_index by attribute or pragma, plain ones without', async () => {
    const m = await core(`struct event { int pid; };
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
struct task_struct { int pid; };
#pragma clang attribute pop
struct sock___x { int sk_rcvbuf; } __attribute__((preserve_access_index));`);
    assert.equal(m.localTypes.get('struct event')?.preserveAccessIndex, false);
    assert.equal(m.localTypes.get('struct task_struct')?.preserveAccessIndex, true);
    assert.equal(m.localTypes.get('struct sock___x')?.preserveAccessIndex, true);
    assert.equal(m.includesVmlinux, false);
  });

  it('half-typed code: no throw, the reads that parse are kept', async () => {
    const m = await core(`${HEAD}
int BPF_PROG(x, struct task_struct *p)
{
	u32 b = p->pid;
	u32 a = BPF_CORE_READ(p, real_parent,
	p->`);
    assert.ok(m.accesses.some((a) => a.steps[0]?.name === 'pid'));
  });
});

describe('btAccess', () => {
  it('bpftrace chains from curtask, args, casts and typed variables; `.` reads through pointers', () => {
    const model = parseBpftrace(`kfunc:vmlinux:schedule
{
	@a[curtask->__state] = count();
	@b[args.prev.__state] = count();
	$t = (struct task_struct *)curtask;
	@c[$t->real_parent->tgid] = count();
	@d[((struct request *)arg0).rq_disk.disk_name] = count();
	@e[args.field] = count(); // "a->b" in a comment
	@f[$unknown->x] = count();
}`);
    const got = btAccesses(model).map((a) => `${a.root.kind === 'type' ? a.root.type.name : `args.${a.root.name}`} ${a.steps.map((s) => s.name).join('.')}`);
    assert.deepEqual(got, ['task_struct __state', 'args.prev __state', 'task_struct real_parent.tgid', 'request rq_disk.disk_name']);
  });
});
