// The load-check queries on the bundled kernels: helper, kfunc, map and program type presence from
// each kernel's own enums and functions, and which helpers a program type may call, from the kernel
// sources' *_func_proto functions. The per-source answers below were checked by hand against the
// Debian linux-source trees (file and function named in each case).

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { dataDir } from '../../../server/src/dataDir';
import { loadKnowledge } from '../../../server/src/knowledge/load';
import { LoadKnowledge, type ProgramFacts, compareKernelVersions } from '../../../server/src/knowledge/loadability';
import { bundledIds, kernel, ubuntuSkip, versionOf } from './kernels';

const knowledge = loadKnowledge(path.join(dataDir(), 'knowledge'));
const lk = new LoadKnowledge(knowledge.programTypes(), knowledge.kfuncData());

const kprobe: ProgramFacts = { progType: 'BPF_PROG_TYPE_KPROBE', attachType: null, sleepable: false, target: 'do_unlinkat' };
const tracepoint: ProgramFacts = { progType: 'BPF_PROG_TYPE_TRACEPOINT', attachType: null, sleepable: false };
const perfEvent: ProgramFacts = { progType: 'BPF_PROG_TYPE_PERF_EVENT', attachType: null, sleepable: false };
const rawTp: ProgramFacts = { progType: 'BPF_PROG_TYPE_RAW_TRACEPOINT', attachType: null, sleepable: false };
const fentry = (target: string, sleepable = false): ProgramFacts => ({ progType: 'BPF_PROG_TYPE_TRACING', attachType: 'BPF_TRACE_FENTRY', sleepable, target });
const tpBtf: ProgramFacts = { progType: 'BPF_PROG_TYPE_TRACING', attachType: 'BPF_TRACE_RAW_TP', sleepable: false, target: 'sched_switch' };
const lsm = (hook: string, sleepable = false): ProgramFacts => ({ progType: 'BPF_PROG_TYPE_LSM', attachType: 'BPF_LSM_MAC', sleepable, target: hook });
const xdp: ProgramFacts = { progType: 'BPF_PROG_TYPE_XDP', attachType: 'BPF_XDP', sleepable: false };
const socketFilter: ProgramFacts = { progType: 'BPF_PROG_TYPE_SOCKET_FILTER', attachType: null, sleepable: false };

function debian(id: string) {
  const k = kernel(id);
  assert.ok(k, `${id} has its enums`);
  return k;
}

test('hand-checked helper/program-type pairs on the Debian kernels (their own sources)', () => {
  const cases: [string, ProgramFacts, string, 'yes' | 'no' | 'unknown', string?][] = [
    // kernel/trace/bpf_trace.c kprobe_prog_func_proto (6.1): get_func_ip for kprobes.
    ['debian-12', kprobe, 'bpf_get_func_ip', 'yes'],
    // 5.10 has no BPF_FUNC_get_func_ip in its enum at all.
    ['debian-11', kprobe, 'bpf_get_func_ip', 'no', 'helper-absent'],
    // bpf_d_path is returned by tracing_prog_func_proto only; the kprobe chain
    // (kprobe_prog_func_proto -> bpf_tracing_func_proto -> bpf_base_func_proto) has no case for it.
    ['debian-11', kprobe, 'bpf_d_path', 'no', 'not-for-prog-type'],
    ['debian-12', kprobe, 'bpf_d_path', 'no', 'not-for-prog-type'],
    ['debian-sid', kprobe, 'bpf_d_path', 'no', 'not-for-prog-type'],
    // tracing_prog_func_proto returns bpf_d_path_proto; .allowed = bpf_d_path_allowed checks
    // btf_allowlist_d_path (vfs_truncate is on it, do_unlinkat is not).
    ['debian-12', fentry('vfs_truncate'), 'bpf_d_path', 'yes'],
    ['debian-12', fentry('do_unlinkat'), 'bpf_d_path', 'no', 'allowed-callback'],
    ['debian-11', fentry('dentry_open'), 'bpf_d_path', 'yes'],
    // tp_prog_func_proto: bpf_get_stackid_proto_tp.
    ['debian-12', tracepoint, 'bpf_get_stackid', 'yes'],
    // 5.10 bpf_tracing_func_proto: `return prog->aux->sleepable ? &bpf_copy_from_user_proto : NULL`;
    // 6.1: returned always, but the proto has .might_sleep = true (kernel/bpf/helpers.c).
    ['debian-11', fentry('do_unlinkat'), 'bpf_copy_from_user', 'no', 'condition'],
    ['debian-11', fentry('do_unlinkat', true), 'bpf_copy_from_user', 'yes'],
    ['debian-12', kprobe, 'bpf_copy_from_user', 'no', 'sleepable-only'],
    ['debian-12', fentry('do_unlinkat', true), 'bpf_copy_from_user', 'yes'],
    // kprobe_prog_func_proto: `#ifdef CONFIG_BPF_KPROBE_OVERRIDE case BPF_FUNC_override_return`;
    // Debian builds without CONFIG_FUNCTION_ERROR_INJECTION, so without BPF_KPROBE_OVERRIDE.
    ['debian-12', kprobe, 'bpf_override_return', 'no', 'config'],
    ['debian-13', kprobe, 'bpf_override_return', 'no', 'config'],
    // tracing_prog_func_proto (#ifdef CONFIG_NET) has bpf_skb_output; the kprobe chain does not.
    ['debian-12', fentry('tcp_sendmsg'), 'bpf_skb_output', 'yes'],
    ['debian-12', kprobe, 'bpf_skb_output', 'no', 'not-for-prog-type'],
    // pe_prog_func_proto: bpf_read_branch_records; not for kprobes.
    ['debian-12', perfEvent, 'bpf_read_branch_records', 'yes'],
    ['debian-12', kprobe, 'bpf_read_branch_records', 'no', 'not-for-prog-type'],
    // tracing_prog_func_proto: seq_printf only `prog->expected_attach_type == BPF_TRACE_ITER`.
    ['debian-12', fentry('do_unlinkat'), 'bpf_seq_printf', 'no', 'condition'],
    ['debian-12', { progType: 'BPF_PROG_TYPE_TRACING', attachType: 'BPF_TRACE_ITER', sleepable: false, target: 'task' }, 'bpf_seq_printf', 'yes'],
    // bpf_get_func_arg: `bpf_prog_has_trampoline(prog)` (fentry/fexit/fmod_ret, LSM) in 6.1.
    ['debian-12', fentry('do_unlinkat'), 'bpf_get_func_arg', 'yes'],
    ['debian-12', tpBtf, 'bpf_get_func_arg', 'no', 'condition'],
    // get_current_pid_tgid for XDP: 6.1 has it only in net/core/filter.c sock-addr/cgroup protos;
    // 7.2 bpf_base_func_proto (kernel/bpf/helpers.c) has it for every type.
    ['debian-12', xdp, 'bpf_get_current_pid_tgid', 'no', 'not-for-prog-type'],
    ['debian-sid', xdp, 'bpf_get_current_pid_tgid', 'yes'],
    // bpf_base_func_proto (perfmon_capable section) gives socket filters probe_read_kernel.
    ['debian-12', socketFilter, 'bpf_probe_read_kernel', 'yes'],
    // raw_tp_prog_func_proto gets bpf_get_attach_cookie in 7.2, not in 6.1.
    ['debian-sid', rawTp, 'bpf_get_attach_cookie', 'yes'],
    ['debian-12', rawTp, 'bpf_get_attach_cookie', 'no', 'not-for-prog-type'],
    // bpf_lsm_func_proto: bpf_ima_inode_hash, .allowed = bpf_ima_inode_hash_allowed (sleepable_lsm_hooks has bprm_committed_creds, not task_kill).
    ['debian-12', lsm('bprm_committed_creds', true), 'bpf_ima_inode_hash', 'yes'],
    ['debian-12', lsm('task_kill'), 'bpf_ima_inode_hash', 'no', 'allowed-callback'],
    // Everyday helpers everywhere.
    ['debian-11', kprobe, 'bpf_ktime_get_ns', 'yes'],
    ['debian-sid', tpBtf, 'bpf_ringbuf_reserve', 'yes'],
  ];
  for (const [id, prog, helper, want, rule] of cases) {
    const got = lk.mayCallHelper(debian(id), prog, helper);
    assert.equal(got.value, want, `${id} ${prog.progType}/${prog.attachType ?? '-'} ${helper}: ${got.evidence}`);
    if (rule) assert.equal(got.rule, rule, `${id} ${helper}: ${got.evidence}`);
    assert.ok(got.evidence.length > 10);
    if (want !== 'no' || rule !== 'helper-absent') assert.match(got.evidence, /linux-source|enum/, got.evidence);
  }
});

test('helper presence follows each kernel\'s own enum: bpf_loop from 5.17, bpf_get_func_ip from 5.15, ringbuf from 5.8', (t) => {
  const skip = ubuntuSkip();
  for (const id of bundledIds()) {
    const k = kernel(id);
    if (!k) {
      t.diagnostic(`${id}: ${skip}`);
      continue;
    }
    const v = versionOf(id);
    for (const [helper, since] of [['bpf_loop', '5.17'], ['bpf_get_func_ip', '5.15'], ['bpf_ringbuf_reserve', '5.8'], ['bpf_ktime_get_ns', '4.1']]) {
      const want = compareKernelVersions(v, since) >= 0 ? 'present' : 'absent';
      assert.equal(lk.helper(k, helper).value, want, `${helper} on ${id} (${v})`);
    }
    const ringbuf = lk.mapType(k, 'BPF_MAP_TYPE_RINGBUF').value;
    assert.equal(ringbuf, compareKernelVersions(v, '5.8') >= 0 ? 'present' : 'absent', `ringbuf map on ${id}`);
  }
});

test('kfunc bpf_task_acquire: absent before 6.2, a TRACING kfunc from 6.12 on, not for kprobes there', (t) => {
  assert.equal(lk.kfunc(debian('debian-11'), 'bpf_task_acquire').value, 'absent');
  assert.equal(lk.kfunc(debian('debian-12'), 'bpf_task_acquire').value, 'absent');
  assert.equal(lk.kfunc(debian('debian-13'), 'bpf_task_acquire').value, 'present');
  assert.equal(lk.kfunc(debian('debian-sid'), 'bpf_task_acquire').value, 'present');
  assert.equal(lk.mayCallKfunc(debian('debian-13'), tpBtf, 'bpf_task_acquire').value, 'yes');
  // generic_kfunc_set (kernel/bpf/helpers.c kfunc_init) is registered for TRACING, SCHED_CLS, XDP,
  // STRUCT_OPS, SYSCALL, CGROUP_SKB: BPF_PROG_TYPE_KPROBE maps to its own hook (btf.c).
  const inKprobe = lk.mayCallKfunc(debian('debian-13'), kprobe, 'bpf_task_acquire');
  assert.equal(inKprobe.value, 'no', inKprobe.evidence);
  assert.equal(inKprobe.rule, 'kfunc-not-registered');
  assert.equal(lk.mayCallKfunc(debian('debian-12'), tpBtf, 'bpf_task_acquire').rule, 'kfunc-absent');
  const skip = ubuntuSkip();
  if (skip) {
    t.diagnostic(skip);
    return;
  }
  // The Ubuntu images have no kfunc tags; the function itself appears in 6.2.
  assert.equal(lk.kfunc(kernel('ubuntu-22.04')!, 'bpf_task_acquire').value, 'absent');
  assert.equal(lk.kfunc(kernel('ubuntu-22.10')!, 'bpf_task_acquire').value, 'absent');
  assert.equal(lk.kfunc(kernel('ubuntu-23.04')!, 'bpf_task_acquire').value, 'unknown');
});

test('between two sources an answer both give holds; otherwise unknown', (t) => {
  const skip = ubuntuSkip();
  if (skip) return t.skip(skip);
  const u = (id: string) => kernel(id)!;
  // 5.10 and 6.1 agree: kprobes may call bpf_ktime_get_ns and may not call bpf_d_path.
  assert.equal(lk.mayCallHelper(u('ubuntu-22.04'), kprobe, 'bpf_ktime_get_ns').value, 'yes');
  assert.equal(lk.mayCallHelper(u('ubuntu-22.04'), kprobe, 'bpf_d_path').value, 'no');
  assert.equal(lk.mayCallHelper(u('ubuntu-24.04'), kprobe, 'bpf_d_path').value, 'no');
  // Before 5.10 bpf_d_path does not exist at all.
  assert.equal(lk.mayCallHelper(u('ubuntu-20.04'), kprobe, 'bpf_d_path').rule, 'helper-absent');
  // bpf_loop appeared in 5.17: 5.10 cannot say whether 5.19 allows it for kprobes.
  assert.equal(lk.mayCallHelper(u('ubuntu-22.10'), kprobe, 'bpf_loop').value, 'unknown');
  // Ubuntu builds with CONFIG_BPF_KPROBE_OVERRIDE (its bpf_override_return is in the image).
  assert.equal(lk.mayCallHelper(u('ubuntu-22.04'), kprobe, 'bpf_override_return').value, 'yes');
  // libbpf turns bpf_probe_read_kernel into bpf_probe_read where the kernel lacks it (5.4); the
  // answer is then the one for bpf_probe_read, which the sources cannot give below 5.10.
  const old = lk.mayCallHelper(u('ubuntu-20.04'), kprobe, 'bpf_probe_read_kernel');
  assert.notEqual(old.rule, 'helper-absent');
  assert.match(old.evidence, /libbpf loads it as bpf_probe_read/);
  // No source below 5.10: which helpers a 5.4 kprobe may call is not known.
  assert.equal(lk.mayCallHelper(u('ubuntu-20.04'), kprobe, 'bpf_ktime_get_ns').value, 'unknown');
});

test('every helper each program type may call, source by source, only grows (5.10 ⊆ 6.1 ⊆ 6.12 ⊆ 7.2)', () => {
  // Removals the sources make on purpose: lwt_seg6local_func_proto (net/core/filter.c) starts with
  // `case BPF_FUNC_skb_pull_data: return NULL;` in Debian's 6.1.192 (a stable backport) and 7.2.13,
  // while 6.12.107 does not have it yet.
  const removed = new Set(['BPF_PROG_TYPE_LWT_SEG6LOCAL bpf_skb_pull_data 6.1', 'BPF_PROG_TYPE_LWT_SEG6LOCAL bpf_skb_pull_data 7.2']);
  const { kernels } = knowledge.programTypes();
  assert.deepEqual(kernels.map((k) => k.version), ['5.10', '6.1', '6.12', '7.2']);
  const allowed = (k: (typeof kernels)[number], pt: string) => {
    const p = k.progTypes[pt];
    const table = p?.getFuncProto ? k.funcProtos[p.getFuncProto] : undefined;
    return table ? new Set(Object.entries(table).filter(([, rules]) => rules.some((r) => r[1] !== '?')).map(([h]) => h)) : undefined;
  };
  for (const pt of Object.keys(kernels[0].progTypes)) {
    let prev: Set<string> | undefined;
    for (const k of kernels) {
      const now = allowed(k, pt);
      if (!now) continue;
      if (prev) {
        for (const h of prev) assert.ok(now.has(h) || removed.has(`${pt} ${h} ${k.version}`), `${pt}: ${h} allowed before ${k.version} but not in it`);
      }
      prev = now;
    }
  }
  // And the tracing types gained helpers with every source.
  for (const pt of ['BPF_PROG_TYPE_KPROBE', 'BPF_PROG_TYPE_TRACING']) {
    const sizes = kernels.map((k) => allowed(k, pt)!.size);
    assert.ok(sizes.every((n, i) => i === 0 || n > sizes[i - 1]), `${pt}: ${sizes.join(' < ')}`);
  }
});

test('bpf_override_return attaches only to functions that allow error injection', () => {
  // mm/page_alloc.c ALLOW_ERROR_INJECTION(should_fail_alloc_page, TRUE); syscall stubs through
  // arch/x86/include/asm/syscall_wrapper.h; do_unlinkat has no such mark.
  assert.equal(lk.errorInjectable(debian('debian-12'), 'should_fail_alloc_page').value, 'yes');
  assert.equal(lk.errorInjectable(debian('debian-12'), '__x64_sys_openat').value, 'yes');
  assert.equal(lk.errorInjectable(debian('debian-12'), 'do_unlinkat').value, 'no');
});

test('libbpf sections load as the program types libbpf gives them', () => {
  assert.deepEqual(pick(lk.sectionProgram('kprobe/do_unlinkat')), ['BPF_PROG_TYPE_KPROBE', null, false]);
  assert.deepEqual(pick(lk.sectionProgram('kprobe.multi/vfs_*')), ['BPF_PROG_TYPE_KPROBE', 'BPF_TRACE_KPROBE_MULTI', false]);
  assert.deepEqual(pick(lk.sectionProgram('fentry.s/do_unlinkat')), ['BPF_PROG_TYPE_TRACING', 'BPF_TRACE_FENTRY', true]);
  assert.deepEqual(pick(lk.sectionProgram('tp_btf/sched_switch')), ['BPF_PROG_TYPE_TRACING', 'BPF_TRACE_RAW_TP', false]);
  assert.deepEqual(pick(lk.sectionProgram('tracepoint/sched/sched_switch')), ['BPF_PROG_TYPE_TRACEPOINT', null, false]);
  assert.deepEqual(pick(lk.sectionProgram('lsm/file_open')), ['BPF_PROG_TYPE_LSM', 'BPF_LSM_MAC', false]);
  assert.deepEqual(pick(lk.sectionProgram('xdp')), ['BPF_PROG_TYPE_XDP', 'BPF_XDP', false]);
  assert.equal(lk.sectionProgram('no_such_section/x'), undefined);
  // Every prefix the editor knows (sections.json) is one libbpf's table has.
  for (const p of knowledge.sectionPrefixes()) {
    assert.ok(lk.sectionProgram(p.takesTarget ? `${p.prefix}/x` : p.prefix), `sections.json prefix ${p.prefix} has no program type`);
  }
});

function pick(s: ReturnType<LoadKnowledge['sectionProgram']>) {
  return s && [s.progType, s.attachType, s.sleepable];
}

test('without an enum in the atlas: a Debian kernel answers from its own source, others only "present" from an older source', () => {
  const noEnums = (id: string, version: string) => ({
    id, version, modulesCovered: false, enumValue: () => null, kfuncTags: () => undefined, hasFunction: () => undefined,
  });
  const d11 = noEnums('debian-11', '5.10');
  assert.equal(lk.helper(d11, 'bpf_loop').value, 'absent', 'enum bpf_func_id of linux-source-5.10 has no BPF_FUNC_loop');
  assert.match(lk.helper(d11, 'bpf_loop').evidence, /Debian linux-source-5\.10 .*debian-11 is that build/);
  assert.equal(lk.helper(d11, 'bpf_d_path').value, 'present');
  // Another build of 5.15: BPF_FUNC_d_path is in 5.10's enum, and UAPI enum values stay.
  const u2204 = noEnums('ubuntu-22.04', '5.15');
  assert.equal(lk.helper(u2204, 'bpf_d_path').value, 'present');
  // No source says 5.15 lacks bpf_loop (6.1 has it, 5.10 does not): not known, never absent.
  assert.equal(lk.helper(u2204, 'bpf_loop').value, 'unknown');
  assert.equal(lk.helper(noEnums('ubuntu-20.04', '5.4'), 'bpf_d_path').value, 'unknown');
});
