// Command-specific facts the descriptor table cannot express as plain offsets: what kind of
// object an fd is, a map's key/value sizes, how far fd_array reaches, BTF info pointers.
#ifndef STRUCT_OPS_NATIVE_CHECKS_H_
#define STRUCT_OPS_NATIVE_CHECKS_H_

#include <cstdint>
#include <string>

#include "commands.h"

namespace structops {

// fd_kind.cc: duplicates `fd` to a private close-on-exec descriptor.
bool DupPrivate(uint32_t fd, int* out, Failure* f);
// fd_kind.cc: the /proc/self/fd link text, e.g. "anon_inode:bpf-map"; false if unreadable.
bool FdKind(int fd, std::string* kind);

// map_sizes.cc: key_size and the value bytes the kernel copies for one element
// (round_up(value_size, 8) * possible CPUs for per-CPU maps). `fd` must be a map.
bool LearnMapSizes(int fd, uint32_t* keySize, uint64_t* valueBytes, Failure* f);

// map_sizes.cc: whether a map type's syscall value holds one slot per possible CPU, and
// how many CPUs are possible (read once per process).
bool IsPerCpu(uint32_t type);
bool PossibleCpus(uint64_t* count, Failure* f);

// prog_load.cc: bytes of fd_array the kernel may read for this PROG_LOAD attr, from
// fd_array_cnt and from every instruction that indexes fd_array.
bool FdArrayNeed(const uint8_t* attr, const Span& insns, const Span& fdArray, uint64_t* need,
                 Failure* f);

// obj_info.cc: after the info Buffer was zeroed, points bpf_btf_info.btf/.name at
// buffers[1]/[2] when given; the fd (already private) must then be a BTF object.
// Sets *ptrEnd to the info bytes holding addresses (0 when none were written).
bool PrepareBtfInfo(int fd, uint8_t* info, uint32_t infoLen, const Span* bufs, size_t nbufs,
                    size_t* ptrEnd, Failure* f);

// prog_test_run.cc: BPF_PROG_TEST_RUN buffers. Indices into the caller's buffers.
constexpr size_t kTestRunDataIn = 0;
constexpr size_t kTestRunDataOut = 1;
constexpr size_t kTestRunCtxIn = 2;
constexpr size_t kTestRunCtxOut = 3;
constexpr size_t kTestRunState = 4;
// Private struct_ops state area (struct bpf_dummy_ops_state is 4 bytes on 6.18).
constexpr size_t kTestRunStateArea = 4096;

// prog_test_run.cc: checks data_out sizing and, for struct_ops programs, builds the private
// ctx/state (attr's ctx_in then points at TestRunState::ctx). `progFd` is a private dup.
bool PrepareTestRun(uint8_t* attr, int progFd, const Span* bufs, size_t nbufs, TestRunState* st,
                    Failure* f);
// prog_test_run.cc: copies the private state back into the caller's Buffer (after the run).
void FinishTestRun(TestRunState* st);

// Formats a refusal.
bool Refuse(Failure* f, int err, const std::string& message);

}  // namespace structops

#endif  // STRUCT_OPS_NATIVE_CHECKS_H_
