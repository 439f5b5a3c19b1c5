// SPDX-License-Identifier: GPL-2.0
// Off-CPU time per task. The kprobe on finish_task_switch is the classic way; the compiler
// renamed that function (.isra.0) on most current kernels, and sched_switch is the stable hook.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} off_since SEC(".maps");

SEC("kprobe/finish_task_switch")
int BPF_KPROBE(on_switch, struct task_struct *prev)
{
	u32 pid = BPF_CORE_READ(prev, pid);
	u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&off_since, &pid, &now, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(on_wakeup, struct task_struct *p)
{
	u32 pid = BPF_CORE_READ(p, pid);

	bpf_map_delete_elem(&off_since, &pid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
