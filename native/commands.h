// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// Per-command descriptor table and the checked bpf() call built from it.
//
// JS hands us raw attr bytes plus Buffers. Before any byte reaches the kernel, a Call copies
// the attr into a zeroed local union, checks every pointer field against the command's
// table (which Buffer fills it, how many bytes the kernel will touch there), and writes the
// Buffer addresses itself. JS never supplies an address, so no JS input can make the
// kernel read or write outside a Buffer.
#ifndef STRUCT_OPS_NATIVE_COMMANDS_H_
#define STRUCT_OPS_NATIVE_COMMANDS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "abi_generated.h"

namespace structops {

// sizeof(union bpf_attr) (abi_generated.h); PROG_LOAD is the longest user.
constexpr size_t kAttrMax = abi::kBpfAttrSize;
// PROG_LOAD uses the most Buffers: insns, license, log, func_info, line_info, fd_array.
constexpr size_t kMaxBuffers = 6;

// One caller Buffer. `present` is false for null/undefined entries.
struct Span {
  uint8_t* data = nullptr;
  size_t len = 0;
  bool present = false;
};

// Why a call was refused (errno value plus a readable reason).
struct Failure {
  int err = 0;
  std::string message;
};

// Whether the kernel reads a Buffer or writes into it.
enum class Dir : uint8_t { kKernelReads, kKernelWrites };

// How many bytes the kernel touches behind a pointer field.
enum class LenRule : uint8_t {
  kField,         // u32 at lenOff, times `scale`
  kFieldProduct,  // u32 at lenOff times u32 at len2Off (record size x count)
  kCString,       // read up to a NUL, which must lie inside the Buffer
  kFdArray,       // PROG_LOAD fd_array (prog_load.cc)
  kMapKey,        // the map's key_size (map_sizes.cc)
  kMapValue,      // the map's value size, per-CPU aware (map_sizes.cc)
  kInfo,          // u32 at lenOff; the Buffer is zeroed before the call (obj_info.cc)
};

struct PtrSlot {
  uint16_t ptrOff;  // attr offset of the u64 user pointer
  uint8_t buffer;   // index into the caller's buffers
  Dir dir;
  LenRule rule;
  uint16_t lenOff;
  uint16_t len2Off;
  uint32_t scale;
};

// A pointer-bearing attr range this addon does not support: it must stay zero.
struct ZeroRange {
  uint16_t off;
  uint16_t len;
};

struct CommandDesc {
  uint32_t cmd;
  uint16_t attrSize;  // longest attr accepted; also the size passed to bpf()
  bool async;         // allowed through bpfAsync (slow verifier work only)
  bool retryEagain;   // PROG_LOAD can fail with EAGAIN transiently
  bool mapAt0;        // attr@0 is a map fd; key/value sizes come from the map
  bool infoAt0;       // OBJ_GET_INFO_BY_FD: attr@0 is any bpf fd
  uint8_t nslots;
  PtrSlot slots[kMaxBuffers];
  uint8_t nzero;
  ZeroRange zero[2];
};

// The table row for `cmd`, or nullptr when the addon does not support it.
const CommandDesc* FindCommand(uint32_t cmd);

// What a struct_ops test run keeps private for the call: ctx_in with args[0] pointing at
// `state`, and the caller's state Buffer to copy the kernel's result back into.
struct TestRunState {
  std::vector<uint8_t> ctx;
  std::vector<uint8_t> state;
  Span stateOut;
};

// A validated bpf() call. Prepare and CopyOut run on the JS thread; Run touches no JS value.
class Call {
 public:
  Call() = default;
  ~Call();
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  // Checks attr and buffers against the table and builds the kernel attr. On refusal
  // returns false with *f set; nothing has reached the kernel's target command then.
  bool Prepare(uint32_t cmd, const uint8_t* attr, size_t attrLen, const Span* bufs,
               size_t nbufs, Failure* f);
  // Issues bpf() (retrying EAGAIN where the table says so). Result, or -errno.
  long Run();
  // Copies the attr the kernel may have updated (next_id, info_len, log_true_size) back
  // to the caller, with pointer fields cleared and the caller's fd restored.
  void CopyOut(uint8_t* attr, size_t attrLen);
  // True when buffers[i] is one the kernel writes into (copied back by the async path).
  bool KernelWrites(size_t i) const;
  uint32_t cmd() const { return cmd_; }

 private:
  bool CheckSlot(const PtrSlot& s, const Span* bufs, Failure* f);

  const CommandDesc* desc_ = nullptr;
  uint32_t cmd_ = 0;
  alignas(8) uint8_t attr_[kAttrMax] = {};
  // Private dup of the caller's fd: the kind and sizes we checked stay true for the call
  // even if another thread closes and reuses the caller's fd number meanwhile.
  int privFd_ = -1;
  uint32_t callerFd_ = 0;
  uint32_t keySize_ = 0;
  uint64_t valueBytes_ = 0;
  uint8_t* info_ = nullptr;  // OBJ_GET_INFO_BY_FD info Buffer, when BTF pointers were set
  size_t infoPtrEnd_ = 0;
  // BPF_PROG_TEST_RUN of a struct_ops program: private ctx_in and state (prog_test_run.cc).
  TestRunState testRun_;
};

}  // namespace structops

#endif  // STRUCT_OPS_NATIVE_COMMANDS_H_
