// SPDX-License-Identifier: MIT
/*
 * Reference timings with libbpf, for comparison with struct-ops
 * (scripts/bench/ours.js). Built twice by scripts/bench.sh: against the system
 * libbpf (libbpf-dev 1.1, shared) and against sid's libbpf.a (1.7, static).
 * Each invocation measures one cold operation in a fresh process and prints
 * one JSON line:
 *
 *   libbpf-bench btf            {"mode":"btf","ms":...}
 *       btf__load_vmlinux_btf() + btf__find_by_name_kind("tcp_congestion_ops")
 *   libbpf-bench load FILE MAP  {"mode":"load","ms":...,"attach_ms":...,"close_ms":...}
 *       attach_ms: bpf_object__open_file + bpf_object__load + bpf_map__attach_struct_ops(MAP)
 *       close_ms:  bpf_link__destroy + bpf_object__close (for a legacy map the destroy is
 *                  BPF_MAP_DELETE_ELEM, which waits for an RCU grace period in the kernel)
 *       ms:        both together
 *
 *   libbpf-bench register FILE  what `bpftool struct_ops register FILE` does for a
 *       legacy (.struct_ops) map: open, load, attach every struct_ops map and leave it
 *       registered when the process exits (bpf_link__disconnect); for bpftool 7.8,
 *       which needs glibc 2.38 and does not run on bookworm (see bench.sh)
 *   libbpf-bench unregister NAME  what `bpftool struct_ops unregister name NAME` does:
 *       walk map ids, BPF_MAP_DELETE_ELEM key 0 of the struct_ops map of that name
 *   libbpf-bench version        {"mode":"version","version":"1.7"}
 *   libbpf-bench exec CMD ARGS...  {"mode":"exec","ms":...,"cpu_ms":...}: wall time of
 *       CMD as a child process (fork to exit) and its user+system CPU time, its output
 *       discarded; used for the CLI rows
 *
 * Exit status 1 (message on stderr) when any step fails. Needs root for load.
 * Build: gcc -O2 -o libbpf-bench libbpf-bench.c -lbpf   (see scripts/bench.sh)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
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

static int bench_register(const char *file)
{
	struct bpf_object *obj;
	struct bpf_link *link;
	struct bpf_map *map;
	int err, n = 0;

	obj = bpf_object__open_file(file, NULL);
	if (!obj)
		return fail("bpf_object__open_file", errno);
	err = bpf_object__load(obj);
	if (err) {
		bpf_object__close(obj);
		return fail("bpf_object__load", err);
	}
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		link = bpf_map__attach_struct_ops(map);
		if (!link) {
			err = errno;
			bpf_object__close(obj);
			return fail("bpf_map__attach_struct_ops", err);
		}
		/* keep the registration after exit, as bpftool does for a legacy map */
		bpf_link__disconnect(link);
		bpf_link__destroy(link);
		n++;
	}
	bpf_object__close(obj);
	printf("{\"mode\":\"register\",\"maps\":%d}\n", n);
	return 0;
}

static int bench_unregister(const char *name)
{
	struct bpf_map_info info;
	__u32 id = 0, len;
	int fd, zero = 0, found = 0;

	while (!bpf_map_get_next_id(id, &id)) {
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_MAP_TYPE_STRUCT_OPS &&
		    !strcmp(info.name, name)) {
			if (bpf_map_delete_elem(fd, &zero)) {
				close(fd);
				return fail("bpf_map_delete_elem", errno);
			}
			found++;
		}
		close(fd);
	}
	if (!found)
		return fail("unregister: no struct_ops map of that name", ENOENT);
	printf("{\"mode\":\"unregister\",\"maps\":%d}\n", found);
	return 0;
}

static int bench_exec(char **argv)
{
	struct rusage ru;
	double t0, t1;
	int status, null;
	pid_t pid;

	t0 = now_ms();
	pid = fork();
	if (pid < 0)
		return fail("fork", errno);
	if (pid == 0) {
		null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0)
		return fail("wait4", errno);
	t1 = now_ms();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "libbpf-bench: %s exited with status %d\n", argv[0],
			WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		return 1;
	}
	/* cpu_ms (user + system) is less disturbed than ms by other load on a shared machine */
	printf("{\"mode\":\"exec\",\"ms\":%.3f,\"cpu_ms\":%.3f}\n", t1 - t0,
	       (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "exec"))
		return bench_exec(argv + 2);
	libbpf_set_print(quiet_print);
	if (argc == 2 && !strcmp(argv[1], "version")) {
		printf("{\"mode\":\"version\",\"version\":\"%u.%u\"}\n", libbpf_major_version(),
		       libbpf_minor_version());
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "register"))
		return bench_register(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "unregister"))
		return bench_unregister(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "btf"))
		return bench_btf();
	if (argc == 4 && !strcmp(argv[1], "load"))
		return bench_load(argv[2], argv[3]);
	fprintf(stderr, "usage: %s btf | load FILE MAP | register FILE | unregister NAME | version | exec CMD...\n",
		argv[0]);
	return 2;
}
