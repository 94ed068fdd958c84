// SPDX-License-Identifier: GPL-2.0
/*
 * The congestion controller bundled with struct-ops for `struct-ops demo` (npm start).
 * Reno, built from the kernel's own kfuncs, instrumented so the demo can show what the
 * kernel asked it to do: a call counter per callback in .bss (read back through the
 * global-data map) and time-stamped cwnd samples streamed through a ring buffer
 * (cwnd_ring), which the demo reads while the transfer runs to draw its chart.
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

#define SAMPLE_EVERY_NS 2000000ULL
/* 256 KiB of 24-byte slots (16-byte record + 8-byte header): ~20 s of samples even if the
 * reader stalled; the demo reads continuously, so reserve failures mean it fell behind. */
#define RING_BYTES (256 * 1024)

/* One record of cwnd_ring. */
struct cwnd_sample {
	__u64 ns;
	__u32 cwnd;
	__u32 ssthresh;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RING_BYTES);
} cwnd_ring SEC(".maps");

__u64 init_calls;
__u64 ssthresh_calls;
__u64 cong_avoid_calls;
__u64 undo_cwnd_calls;
__u64 set_state_calls;
__u64 cwnd_event_calls;
/* Samples taken (records asked of cwnd_ring) and, of those, reserves that failed: the
 * demo's chart must hold exactly sample_count - sample_drops records. */
__u64 sample_count;
__u64 sample_drops;
__u64 last_sample_ns;

/*
 * Not inlined so that struct cwnd_sample is in the object's BTF (as this function's
 * parameter type): the reader decodes records by that name, with no global of the type.
 */
static __noinline void fill_sample(struct cwnd_sample *s, struct tcp_sock *tp, __u64 now)
{
	s->ns = now;
	s->cwnd = tp->snd_cwnd;
	s->ssthresh = tp->snd_ssthresh;
}

static __always_inline void record(struct sock *sk)
{
	struct cwnd_sample *s;
	__u64 now = bpf_ktime_get_ns();

	if (now - last_sample_ns < SAMPLE_EVERY_NS)
		return;
	last_sample_ns = now;
	__sync_fetch_and_add(&sample_count, 1);
	s = bpf_ringbuf_reserve(&cwnd_ring, sizeof(*s), 0);
	if (!s) {
		__sync_fetch_and_add(&sample_drops, 1);
		return;
	}
	fill_sample(s, (struct tcp_sock *)sk, now);
	bpf_ringbuf_submit(s, 0);
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
