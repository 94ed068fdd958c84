// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// Element sizes of a map, learned from the kernel, so MAP_*_ELEM Buffers can be checked
// against exactly what the kernel will copy.
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "abi_generated.h"
#include "attr_bytes.h"
#include "checks.h"

namespace structops {
namespace {

bool ReadPossibleCpus(uint64_t* count, Failure* f);

}  // namespace

// enum bpf_map_type values whose syscall-side value holds one slot per possible CPU
// (kernel bpf_map_value_size()).
bool IsPerCpu(uint32_t type) {
  switch (type) {
    case abi::BPF_MAP_TYPE_PERCPU_HASH:
    case abi::BPF_MAP_TYPE_PERCPU_ARRAY:
    case abi::BPF_MAP_TYPE_LRU_PERCPU_HASH:
    case abi::BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
      return true;
    default:
      return false;
  }
}

// num_possible_cpus(): the number of CPUs in /sys/devices/system/cpu/possible ("0-3,8").
bool PossibleCpus(uint64_t* count, Failure* f) {
  // Fixed at boot: read once per process (a function-local static is initialised once,
  // thread-safely, so it is no shared mutable state).
  static const uint64_t cached = [] {
    uint64_t n = 0;
    Failure ignored;
    return ReadPossibleCpus(&n, &ignored) ? n : 0;
  }();
  if (cached == 0) return ReadPossibleCpus(count, f);
  *count = cached;
  return true;
}

namespace {

bool ReadPossibleCpus(uint64_t* count, Failure* f) {
  FILE* file = std::fopen("/sys/devices/system/cpu/possible", "re");
  if (file == nullptr) return Refuse(f, errno, "cannot read /sys/devices/system/cpu/possible");
  char text[256] = {};
  size_t n = std::fread(text, 1, sizeof text - 1, file);
  std::fclose(file);
  text[n] = '\0';
  uint64_t total = 0;
  const char* p = text;
  while (*p >= '0' && *p <= '9') {
    char* end = nullptr;
    unsigned long lo = std::strtoul(p, &end, 10);
    unsigned long hi = lo;
    if (*end == '-') hi = std::strtoul(end + 1, &end, 10);
    if (hi < lo) break;
    total += hi - lo + 1;
    p = *end == ',' ? end + 1 : end;
  }
  if (total == 0) return Refuse(f, EINVAL, "cannot parse /sys/devices/system/cpu/possible");
  *count = total;
  return true;
}

}  // namespace

bool LearnMapSizes(int fd, uint32_t* keySize, uint64_t* valueBytes, Failure* f) {
  std::string kind;
  if (!FdKind(fd, &kind)) return Refuse(f, errno, "cannot identify fd via /proc/self/fd");
  if (kind != "anon_inode:bpf-map") return Refuse(f, EBADF, "fd is not a BPF map (" + kind + ")");

  // Only bpf_map_info up to value_size is read. A short info_len is fine: the kernel
  // copies min(info_len, sizeof info).
  namespace mi = abi::bpf_map_info;
  constexpr size_t kInfoLen = mi::value_size + 4;
  static_assert(mi::type < kInfoLen && mi::key_size < kInfoLen, "bpf_map_info prefix too short");
  alignas(8) uint8_t info[(kInfoLen + 7) & ~size_t{7}] = {};
  alignas(8) uint8_t attr[abi::info::kSize] = {};
  StoreU32(attr, abi::info::bpf_fd, static_cast<uint32_t>(fd));
  StoreU32(attr, abi::info::info_len, sizeof info);
  StorePtr(attr, abi::info::info, info);
  if (syscall(__NR_bpf, abi::BPF_OBJ_GET_INFO_BY_FD, attr, sizeof attr) < 0) {
    int err = errno;
    return Refuse(f, err, std::string("cannot read map info: ") + std::strerror(err));
  }
  uint32_t type = LoadU32(info, mi::type);
  *keySize = LoadU32(info, mi::key_size);
  uint64_t value = LoadU32(info, mi::value_size);
  if (IsPerCpu(type)) {
    uint64_t cpus = 0;
    if (!PossibleCpus(&cpus, f)) return false;
    value = ((value + 7) & ~uint64_t{7}) * cpus;
  }
  *valueBytes = value;
  return true;
}

}  // namespace structops
