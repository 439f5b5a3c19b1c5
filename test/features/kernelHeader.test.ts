// The generated per-kernel headers "go to definition" lands in, rendered from the bundled atlases:
// a function's prototype, a tracepoint's record struct with offsets and its TP_PROTO typedef, LSM
// hooks and syscalls; kernels with the same declaration share a header, kernels that differ get
// one each; a kernel without the subject gets none.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KernelQuery } from '../../server/src/model/facts';
import { kernelHeaders } from '../../server/src/features/kernelHeader';
import { featureContext } from './fixture';

function kernels(...ids: string[]): KernelQuery[] {
  const ctx = featureContext(ids);
  return ids.map((id) => ctx.atlas.get(id));
}

function lineAt(text: string, line: number): string {
  return text.split('\n')[line];
}

test('a function: the prototype from BTF, one header for kernels that agree, the anchor on the name', () => {
  const headers = kernelHeaders({ kind: 'function', name: 'vfs_read' }, kernels('debian-12', 'debian-13'));
  assert.equal(headers.length, 1, headers.map((h) => h.fileName).join(', '));
  const [h] = headers;
  assert.deepEqual(h.kernels.map((k) => k.id), ['debian-12', 'debian-13']);
  assert.equal(h.fileName, 'vfs_read@debian-12+debian-13.h');
  assert.match(h.text, /^\/\* bpf-atlas: function vfs_read as declared on debian-12 \(6\.1\.0-56-amd64\), debian-13 \(/);
  assert.match(h.text, /extern ssize_t vfs_read\(struct file \*file, char \*buf, size_t count, loff_t \*pos\);/);
  assert.match(lineAt(h.text, h.anchor.line).slice(h.anchor.character), /^vfs_read\(/);
});

test('a function renamed by the compiler on one kernel: the headers differ, one per kernel', () => {
  const headers = kernelHeaders({ kind: 'function', name: 'finish_task_switch' }, kernels('debian-11', 'debian-13'));
  assert.deepEqual(headers.map((h) => h.kernels.map((k) => k.id)), [['debian-11'], ['debian-13']]);
  assert.match(headers[0].text, /symbols in kallsyms: finish_task_switch \*\//);
  assert.match(headers[1].text, /symbols in kallsyms: finish_task_switch\.isra\.0 \*\//);
  for (const h of headers) assert.match(h.text, /extern struct rq \*finish_task_switch\(struct task_struct \*prev\);/);
});

test('a tracepoint: the record struct with offsets (the anchor) and the TP_PROTO typedef', () => {
  const [h] = kernelHeaders({ kind: 'tracepoint', name: 'sched_switch', system: 'sched' }, kernels('debian-12'));
  assert.match(h.text, /struct trace_event_raw_sched_switch \{\n\tstruct trace_entry ent;\n\tchar prev_comm\[16\];\t\/\* offset 8, size 16 \*\//);
  assert.match(h.text, /\tpid_t next_pid;\t\/\* offset 56, size 4 \*\//);
  assert.match(h.text, /typedef void \(\*btf_trace_sched_switch\)\(void \*__data, bool preempt, struct task_struct \*prev, struct task_struct \*next, unsigned int prev_state\);/);
  assert.match(lineAt(h.text, h.anchor.line).slice(h.anchor.character), /^trace_event_raw_sched_switch \{/);
  assert.match(lineAt(h.text, h.protoAnchor!.line), /btf_trace_sched_switch/);
});

test('LSM hooks and syscalls', () => {
  const [lsm] = kernelHeaders({ kind: 'lsm', name: 'file_open' }, kernels('debian-12'));
  assert.match(lsm.text, /extern int bpf_lsm_file_open\(struct file \*file\);/);
  const [sc] = kernelHeaders({ kind: 'syscall', name: 'openat' }, kernels('debian-12'));
  assert.match(sc.text, /long sys_openat\(int dfd, const char \*filename, int flags, umode_t mode\);/);
});

test('no header for a kernel without the subject, none at all when no target has it', () => {
  assert.deepEqual(kernelHeaders({ kind: 'function', name: 'no_such_function_anywhere' }, kernels('debian-12')), []);
  const headers = kernelHeaders({ kind: 'tracepoint', name: 'sched_prepare_exec' }, kernels('debian-11', 'debian-sid'));
  assert.deepEqual(headers.flatMap((h) => h.kernels.map((k) => k.id)), ['debian-sid']);
});
