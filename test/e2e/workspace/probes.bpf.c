// SPDX-License-Identifier: GPL-2.0
/* Counts context switches per pid and logs freed socket buffers: the libbpf program the editor
 * tests open. The kprobe on kfree_skb is the classic breakage: kfree_skb became an inline wrapper
 * of kfree_skb_reason (5.19+), so the kprobe no longer attaches; the skb:kfree_skb tracepoint is
 * the stable hook. Written for bpf-atlas's e2e tests; compiles with clang -target bpf against a
 * vmlinux.h. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} switches SEC(".maps");

SEC("tracepoint/sched/sched_switch")
int handle_sched_switch(struct trace_event_raw_sched_switch *ctx)
{
	u32 pid = ctx->next_pid;
	u64 one = 1, *count;

	count = bpf_map_lookup_elem(&switches, &pid);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&switches, &pid, &one, BPF_ANY);
	return 0;
}

SEC("kprobe/kfree_skb")
int BPF_KPROBE(trace_kfree_skb, struct sk_buff *skb)
{
	bpf_printk("skb %p freed", skb);
	return 0;
}
