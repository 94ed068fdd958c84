// SPDX-License-Identifier: MIT
/*
 * Reference timings with the system libbpf (libbpf-dev 1.1), for comparison
 * with struct-ops (scripts/bench/ours.js). Each invocation measures one cold
 * operation in a fresh process and prints one JSON line:
 *
 *   libbpf-bench btf            {"mode":"btf","ms":...}
 *       btf__load_vmlinux_btf() + btf__find_by_name_kind("tcp_congestion_ops")
 *   libbpf-bench load FILE MAP  {"mode":"load","ms":...,"attach_ms":...,"close_ms":...}
 *       attach_ms: bpf_object__open_file + bpf_object__load + bpf_map__attach_struct_ops(MAP)
 *       close_ms:  bpf_link__destroy + bpf_object__close (for a legacy map the destroy is
 *                  BPF_MAP_DELETE_ELEM, which waits for an RCU grace period in the kernel)
 *       ms:        both together
 *
 * Exit status 1 (message on stderr) when any step fails. Needs root for load.
 * Build: gcc -O2 -o libbpf-bench libbpf-bench.c -lbpf   (see scripts/bench.sh)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level; (void)fmt; (void)ap;
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int fail(const char *what, int err)
{
	if (err < 0)
		err = -err;
	fprintf(stderr, "libbpf-bench: %s failed: %s\n", what, strerror(err ? err : EINVAL));
	return 1;
}

static int bench_btf(void)
{
	double t0, t1;
	struct btf *btf;
	int id;

	t0 = now_ms();
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return fail("btf__load_vmlinux_btf", errno);
	id = btf__find_by_name_kind(btf, "tcp_congestion_ops", BTF_KIND_STRUCT);
	t1 = now_ms();
	btf__free(btf);
	if (id < 0)
		return fail("btf__find_by_name_kind(tcp_congestion_ops)", id);
	printf("{\"mode\":\"btf\",\"ms\":%.3f}\n", t1 - t0);
	return 0;
}

static int bench_load(const char *file, const char *map_name)
{
	struct bpf_object *obj;
	struct bpf_link *link;
	struct bpf_map *map;
	double t0, t1, t2;
	int err;

	t0 = now_ms();
	obj = bpf_object__open_file(file, NULL);
	if (!obj)
		return fail("bpf_object__open_file", errno);
	err = bpf_object__load(obj);
	if (err) {
		bpf_object__close(obj);
		return fail("bpf_object__load", err);
	}
	map = bpf_object__find_map_by_name(obj, map_name);
	if (!map) {
		bpf_object__close(obj);
		return fail("bpf_object__find_map_by_name", ENOENT);
	}
	link = bpf_map__attach_struct_ops(map);
	if (!link) {
		err = errno;
		bpf_object__close(obj);
		return fail("bpf_map__attach_struct_ops", err);
	}
	t1 = now_ms();
	bpf_link__destroy(link);
	bpf_object__close(obj);
	t2 = now_ms();
	printf("{\"mode\":\"load\",\"ms\":%.3f,\"attach_ms\":%.3f,\"close_ms\":%.3f}\n",
	       t2 - t0, t1 - t0, t2 - t1);
	return 0;
}

int main(int argc, char **argv)
{
	libbpf_set_print(quiet_print);
	if (argc == 2 && !strcmp(argv[1], "btf"))
		return bench_btf();
	if (argc == 4 && !strcmp(argv[1], "load"))
		return bench_load(argv[2], argv[3]);
	fprintf(stderr, "usage: %s btf | %s load FILE MAP\n", argv[0], argv[0]);
	return 2;
}
