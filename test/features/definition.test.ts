// Go to definition (features/definition.ts) on the positions a BPF developer asks from: the target
// of a section (function, tracepoint, raw tracepoint, LSM hook, syscall), a BPF_PROG argument, a
// tracepoint program's ctx (type definition) and ctx->field, bpftrace probes and args.field; and
// nothing for patterns or positions that name no kernel declaration.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { definition, spotIn } from '../../server/src/features/definition';
import { featureContext, marker, openFixture, stripMarkers } from './fixture';

const ctx = featureContext(['debian-12']);

async function landing(source: string, name: string, label: string, mode: 'definition' | 'typeDefinition' = 'definition'): Promise<string | undefined> {
  const f = stripMarkers(source, name);
  const doc = await openFixture(f);
  const result = definition(doc, marker(f, label), ctx, mode);
  if (!result) return undefined;
  const [header] = result.headers;
  const at = spotIn(header, result.spot);
  return header.text.split('\n')[at.line].slice(at.character);
}

const C = `SEC("tp_btf/sched_sw/*^tpbtf*/itch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *pr/*^param*/ev)
{ return 0; }
SEC("lsm/file_op/*^lsm*/en")
int BPF_PROG(on_open, struct file *file) { return 0; }
SEC("ksyscall/open/*^ksys*/at")
int BPF_KSYSCALL(on_openat, int dfd) { return 0; }
SEC("kprobe.multi/vfs_/*^multi*/*")
int on_vfs(void *ctx) { return 0; }
SEC("tracepoint/sched/sched_process_exec")
int on_exec(struct trace_event_raw_sched_process_exec *c/*^ctx*/tx)
{ return ctx->p/*^field*/id; }
`;

test('libbpf C: section targets, BPF_PROG arguments, ctx and ctx->field', async () => {
  assert.match((await landing(C, 'd.bpf.c', 'tpbtf'))!, /^btf_trace_sched_switch\)\(void \*__data, bool preempt/);
  assert.match((await landing(C, 'd.bpf.c', 'param'))!, /^prev, struct task_struct \*next/);
  assert.match((await landing(C, 'd.bpf.c', 'lsm'))!, /^bpf_lsm_file_open\(struct file \*file\);/);
  assert.match((await landing(C, 'd.bpf.c', 'ksys'))!, /^sys_openat\(int dfd/);
  assert.equal(await landing(C, 'd.bpf.c', 'multi'), undefined, 'a pattern names no single declaration');
  assert.match((await landing(C, 'd.bpf.c', 'ctx', 'typeDefinition'))!, /^trace_event_raw_sched_process_exec \{/);
  assert.match((await landing(C, 'd.bpf.c', 'field'))!, /^pid;\t\/\* offset \d+, size 4 \*\//);
  assert.equal(await landing(C, 'd.bpf.c', 'field', 'typeDefinition'), (await landing(C, 'd.bpf.c', 'ctx', 'typeDefinition')));
});

test('bpftrace: probe targets and args fields', async () => {
  const bt = 'kfunc:vfs_re/*^fn*/ad { @[comm] = count(); }\nrawtracepoint:sched_sw/*^raw*/itch { @s = count(); }\ntracepoint:sched:sched_process_exec { @[args.fil/*^field*/ename] = count(); }\n';
  assert.match((await landing(bt, 'd.bt', 'fn'))!, /^vfs_read\(struct file \*file/);
  assert.match((await landing(bt, 'd.bt', 'raw'))!, /^btf_trace_sched_switch\)/);
  assert.match((await landing(bt, 'd.bt', 'field'))!, /^filename\b/);
});
