// SPDX-License-Identifier: GPL-2.0
// Block I/O latency, written the way many older tools were: kprobes on the block layer's
// accounting functions. bpf-atlas explains why these break and offers the stable hooks.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct request *);
	__type(value, u64);
} issued SEC(".maps");

SEC("kprobe/blk_account_io_start")
int BPF_KPROBE(io_start, struct request *rq)
{
	u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&issued, &rq, &now, BPF_ANY);
	return 0;
}

SEC("kprobe/blk_account_io_done")
int BPF_KPROBE(io_done, struct request *rq)
{
	u64 *start = bpf_map_lookup_elem(&issued, &rq);

	if (start)
		bpf_map_delete_elem(&issued, &rq);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
