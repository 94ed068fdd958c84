// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// BPF_PROG_TEST_RUN checks the descriptor table cannot express.
//
// 1. data_out: with data_size_out == 0 the kernel copies its whole output (no size hint,
//    net/bpf/test_run.c bpf_test_finish), so a data_out Buffer needs a non-zero size.
// 2. struct_ops programs (bpf_dummy_ops, net/bpf/bpf_dummy_struct_ops.c): the kernel reads
//    ctx_in as u64 arguments and treats args[0] as a *user pointer* to a struct
//    bpf_dummy_ops_state it copies in before the run and back after it. JS never supplies
//    addresses, so the caller's args[0] must be 0; when a state Buffer is given, ctx_in is
//    copied to a private buffer whose args[0] points at a private, page-sized state area
//    (the kernel struct is 4 bytes on 6.18; a page bounds any growth), copied back after.
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "abi_generated.h"
#include "attr_bytes.h"
#include "checks.h"

namespace structops {
namespace {

constexpr uint32_t kProgTypeStructOps = abi::BPF_PROG_TYPE_STRUCT_OPS;
// union bpf_attr.test offsets.
constexpr size_t kDataSizeOut = abi::test::data_size_out;
constexpr size_t kCtxSizeIn = abi::test::ctx_size_in;
constexpr size_t kCtxIn = abi::test::ctx_in;

bool ProgType(int fd, uint32_t* type, Failure* f) {
  // bpf_prog_info.type@0; a short info_len is fine (the kernel copies min(len, sizeof)).
  alignas(8) uint8_t info[8] = {};
  alignas(8) uint8_t attr[abi::info::kSize] = {};
  StoreU32(attr, abi::info::bpf_fd, static_cast<uint32_t>(fd));
  StoreU32(attr, abi::info::info_len, sizeof info);
  StorePtr(attr, abi::info::info, info);
  if (syscall(__NR_bpf, abi::BPF_OBJ_GET_INFO_BY_FD, attr, sizeof attr) < 0) {
    int err = errno;
    return Refuse(f, err, std::string("cannot read program info: ") + std::strerror(err));
  }
  *type = LoadU32(info, abi::bpf_prog_info::type);
  return true;
}

}  // namespace

bool PrepareTestRun(uint8_t* attr, int progFd, const Span* bufs, size_t nbufs, TestRunState* st,
                    Failure* f) {
  std::string kind;
  if (!FdKind(progFd, &kind)) return Refuse(f, errno, "cannot identify fd via /proc/self/fd");
  if (kind != "anon_inode:bpf-prog") return Refuse(f, EBADF, "fd is not a BPF program (" + kind + ")");

  const bool dataOut = nbufs > kTestRunDataOut && bufs[kTestRunDataOut].present;
  if (dataOut && LoadU32(attr, kDataSizeOut) == 0) {
    return Refuse(f, EINVAL, "data_size_out must be non-zero with a data_out buffer (the kernel would write its whole output)");
  }

  const bool state = nbufs > kTestRunState && bufs[kTestRunState].present;
  uint32_t type = 0;
  if (!ProgType(progFd, &type, f)) return false;
  if (type != kProgTypeStructOps) {
    if (state) return Refuse(f, EINVAL, "buffers[4] (struct_ops state) is only for struct_ops programs");
    return true;
  }

  const Span& ctx = bufs[kTestRunCtxIn];
  const uint32_t ctxLen = LoadU32(attr, kCtxSizeIn);
  const bool haveCtx = nbufs > kTestRunCtxIn && ctx.present && ctxLen >= 8;
  if (haveCtx && LoadU64(ctx.data, 0) != 0) {
    return Refuse(f, EINVAL, "ctx_in args[0] of a struct_ops program is a pointer: it must be 0 (pass the state in buffers[4])");
  }
  if (!state) return true;
  if (!haveCtx) return Refuse(f, EINVAL, "a struct_ops state needs ctx_in with at least one u64 argument");
  // CheckSlot already checked ctx.len >= ctxLen.
  st->ctx.assign(ctx.data, ctx.data + ctxLen);
  st->state.assign(kTestRunStateArea, 0);
  const Span& s = bufs[kTestRunState];
  std::memcpy(st->state.data(), s.data, s.len < kTestRunStateArea ? s.len : kTestRunStateArea);
  st->stateOut = s;
  StorePtr(st->ctx.data(), 0, st->state.data());
  StorePtr(attr, kCtxIn, st->ctx.data());
  return true;
}

void FinishTestRun(TestRunState* st) {
  if (st->state.empty()) return;
  size_t n = st->stateOut.len < st->state.size() ? st->stateOut.len : st->state.size();
  std::memcpy(st->stateOut.data, st->state.data(), n);
}

}  // namespace structops
