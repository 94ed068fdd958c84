// SPDX-License-Identifier: GPL-2.0
/*
 * The congestion controller bundled with struct-ops for `struct-ops demo` (npm start).
 * Reno, built from the kernel's own kfuncs, instrumented so the demo can show what the
 * kernel asked it to do: a call counter per callback and a time-stamped ring of cwnd
 * samples in .bss, read back from user space through the global-data map.
 *
 * Registered through a BPF link (SEC(".struct_ops.link")), so it disappears when the
 * demo process exits, even if it is killed.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

extern __u32 tcp_reno_ssthresh(struct sock *sk) __ksym;
extern void tcp_reno_cong_avoid(struct sock *sk, __u32 ack, __u32 acked) __ksym;
extern __u32 tcp_reno_undo_cwnd(struct sock *sk) __ksym;

#define SAMPLES 1024 /* power of two: the ring index is masked */
#define SAMPLE_EVERY_NS 2000000ULL

struct cwnd_sample {
	__u64 ns;
	__u32 cwnd;
	__u32 ssthresh;
};

__u64 init_calls;
__u64 ssthresh_calls;
__u64 cong_avoid_calls;
__u64 undo_cwnd_calls;
__u64 set_state_calls;
__u64 cwnd_event_calls;
__u64 sample_count;
__u64 last_sample_ns;
struct cwnd_sample samples[SAMPLES];

static __always_inline void record(struct sock *sk)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	__u64 now = bpf_ktime_get_ns();
	__u64 i;

	if (now - last_sample_ns < SAMPLE_EVERY_NS)
		return;
	last_sample_ns = now;
	i = __sync_fetch_and_add(&sample_count, 1) & (SAMPLES - 1);
	samples[i].ns = now;
	samples[i].cwnd = tp->snd_cwnd;
	samples[i].ssthresh = tp->snd_ssthresh;
}

SEC("struct_ops/init")
void BPF_PROG(demo_init, struct sock *sk)
{
	__sync_fetch_and_add(&init_calls, 1);
}

SEC("struct_ops/ssthresh")
__u32 BPF_PROG(demo_ssthresh, struct sock *sk)
{
	__sync_fetch_and_add(&ssthresh_calls, 1);
	return tcp_reno_ssthresh(sk);
}

SEC("struct_ops/cong_avoid")
void BPF_PROG(demo_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	__sync_fetch_and_add(&cong_avoid_calls, 1);
	tcp_reno_cong_avoid(sk, ack, acked);
	record(sk);
}

SEC("struct_ops/undo_cwnd")
__u32 BPF_PROG(demo_undo_cwnd, struct sock *sk)
{
	__sync_fetch_and_add(&undo_cwnd_calls, 1);
	return tcp_reno_undo_cwnd(sk);
}

SEC("struct_ops/set_state")
void BPF_PROG(demo_set_state, struct sock *sk, __u8 new_state)
{
	__sync_fetch_and_add(&set_state_calls, 1);
}

SEC("struct_ops/cwnd_event")
void BPF_PROG(demo_cwnd_event, struct sock *sk, enum tcp_ca_event ev)
{
	__sync_fetch_and_add(&cwnd_event_calls, 1);
}

SEC(".struct_ops.link")
struct tcp_congestion_ops so_demo = {
	.init		= (void *)demo_init,
	.ssthresh	= (void *)demo_ssthresh,
	.cong_avoid	= (void *)demo_cong_avoid,
	.undo_cwnd	= (void *)demo_undo_cwnd,
	.set_state	= (void *)demo_set_state,
	.cwnd_event	= (void *)demo_cwnd_event,
	.name		= "so_demo",
};

char _license[] SEC("license") = "GPL";
