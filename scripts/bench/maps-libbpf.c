// libbpf side of the map benchmarks (scripts/bench.sh): loads s11_bench.bpf.o and prints
// one JSON line per measurement, the same ones scripts/bench/maps-ours.js prints.
//   lookups/s: bpf_map_lookup_elem() on an existing key of a hash map and a per-CPU array
//   records/s: ring_buffer__consume() of ROUNDS x RECORDS 16-byte records that the
//              test-run'd program s11b_emit put in the ring (consumption timed alone,
//              after one untimed warm-up round)
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t seen, last_seq = UINT64_MAX;
static int bad;

static int on_record(void *ctx, void *data, size_t len) {
  (void)ctx;
  uint64_t seq = *(uint64_t *)data;
  if (len != 16 || (last_seq != UINT64_MAX && seq != last_seq + 1)) bad = 1;
  last_seq = seq;
  seen++;
  return 0;
}

int main(int argc, char **argv) {
  const char *file = argc > 1 ? argv[1] : "test/fixtures/bpf/s11_bench.bpf.o";
  long lookups = argc > 2 ? atol(argv[2]) : 1000000;
  long records = argc > 3 ? atol(argv[3]) : 100000;
  long rounds = argc > 4 ? atol(argv[4]) : 10;
  struct bpf_object *obj = bpf_object__open_file(file, NULL);
  if (!obj || bpf_object__load(obj)) { fprintf(stderr, "load failed\n"); return 1; }
  int hash = bpf_object__find_map_fd_by_name(obj, "s11b_hash");
  int pcpu = bpf_object__find_map_fd_by_name(obj, "s11b_pcpu");
  int ring = bpf_object__find_map_fd_by_name(obj, "s11b_ring");
  int prog = bpf_program__fd(bpf_object__find_program_by_name(obj, "s11b_emit"));
  int ncpu = libbpf_num_possible_cpus();

  uint32_t key = 1;
  uint64_t value = 7, *pvalues = calloc(ncpu, sizeof(uint64_t));
  bpf_map_update_elem(hash, &key, &value, BPF_ANY);
  double t = now_s();
  for (long i = 0; i < lookups; i++) if (bpf_map_lookup_elem(hash, &key, &value)) return 1;
  printf("{\"row\":\"hash lookups/s\",\"rate\":%.0f}\n", lookups / (now_s() - t));
  key = 0;
  t = now_s();
  for (long i = 0; i < lookups; i++) if (bpf_map_lookup_elem(pcpu, &key, pvalues)) return 1;
  printf("{\"row\":\"per-CPU lookups/s\",\"rate\":%.0f}\n", lookups / (now_s() - t));

  struct ring_buffer *rb = ring_buffer__new(ring, on_record, NULL, NULL);
  if (!rb) { fprintf(stderr, "ring_buffer__new failed\n"); return 1; }
  struct { uint32_t count, pad; } args = { (uint32_t)records, 0 };
  LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &args, .ctx_size_in = sizeof args);
  double spent = 0;
  // Round 0 warms up and is not timed, as in maps-ours.js (where V8 compiles the consumer
  // during it): both sides then time the same steady state.
  for (long r = 0; r <= rounds; r++) {
    if (bpf_prog_test_run_opts(prog, &opts)) { fprintf(stderr, "test run failed\n"); return 1; }
    uint64_t want = seen + records;
    t = now_s();
    while (seen < want) if (ring_buffer__consume(rb) < 0) return 1;
    if (r > 0) spent += now_s() - t;
  }
  if (bad) { fprintf(stderr, "records out of order\n"); return 1; }
  printf("{\"row\":\"ring buffer records/s\",\"rate\":%.0f}\n", rounds * records / spent);
  ring_buffer__free(rb);
  bpf_object__close(obj);
  return 0;
}
