// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// The descriptor table (one row per supported bpf() command) and the generic checks that
// apply it. Offsets are those of union bpf_attr in Linux 6.18 (shared/KERNEL-FACTS.md 1.3).
#include "commands.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "attr_bytes.h"
#include "checks.h"

namespace structops {
namespace {

constexpr Dir R = Dir::kKernelReads;
constexpr Dir W = Dir::kKernelWrites;

constexpr PtrSlot Field(uint16_t ptr, uint8_t buf, Dir dir, uint16_t lenOff, uint32_t scale) {
  return {ptr, buf, dir, LenRule::kField, lenOff, 0, scale};
}
constexpr PtrSlot Product(uint16_t ptr, uint8_t buf, uint16_t recOff, uint16_t cntOff) {
  return {ptr, buf, R, LenRule::kFieldProduct, recOff, cntOff, 1};
}
constexpr PtrSlot Rule(uint16_t ptr, uint8_t buf, Dir dir, LenRule rule, uint16_t lenOff = 0) {
  return {ptr, buf, dir, rule, lenOff, 0, 1};
}

// Command numbers from enum bpf_cmd.
enum : uint32_t {
  kMapCreate = 0, kMapLookupElem = 1, kMapUpdateElem = 2, kMapDeleteElem = 3,
  kMapGetNextKey = 4, kProgLoad = 5, kObjPin = 6, kObjGet = 7, kProgGetNextId = 11,
  kMapGetNextId = 12, kProgGetFdById = 13, kMapGetFdById = 14, kObjGetInfoByFd = 15,
  kBtfLoad = 18, kBtfGetFdById = 19, kMapFreeze = 22, kBtfGetNextId = 23, kLinkCreate = 28,
  kLinkUpdate = 29, kLinkGetFdById = 30, kLinkGetNextId = 31, kLinkDetach = 34,
  kProgBindMap = 35, kProgTestRun = 10,
};

// {cmd, attrSize, async, retryEagain, mapAt0, infoAt0, nslots, {slots}, nzero, {zero}}
constexpr CommandDesc kCommands[] = {
    // map_type..map_token_fd carry no pointers; excl_prog_hash@80 (6.18) is unsupported.
    {kMapCreate, 92, false, false, false, false, 0, {}, 1, {{80, 8}}},
    // key@8, value@16 (next_key@16): sizes come from the map itself.
    {kMapLookupElem, 32, false, false, true, false, 2,
     {Rule(8, 0, R, LenRule::kMapKey), Rule(16, 1, W, LenRule::kMapValue)}, 0, {}},
    {kMapUpdateElem, 32, false, false, true, false, 2,
     {Rule(8, 0, R, LenRule::kMapKey), Rule(16, 1, R, LenRule::kMapValue)}, 0, {}},
    {kMapDeleteElem, 32, false, false, true, false, 1, {Rule(8, 0, R, LenRule::kMapKey)}, 1,
     {{16, 8}}},
    {kMapGetNextKey, 32, false, false, true, false, 2,
     {Rule(8, 0, R, LenRule::kMapKey), Rule(16, 1, W, LenRule::kMapKey)}, 0, {}},
    // insns@8 (insn_cnt@4 x 8), license@16, log_buf@32 (log_size@28), func_info@80
    // (rec@76 x cnt@88), line_info@96 (rec@92 x cnt@104), fd_array@120 (cnt@148).
    // core_relos@128 and the 6.18 signature fields (152..168) are unsupported.
    {kProgLoad, 168, true, true, false, false, 6,
     {Field(8, 0, R, 4, 8), Rule(16, 1, R, LenRule::kCString), Field(32, 2, W, 28, 1),
      Product(80, 3, 76, 88), Product(96, 4, 92, 104), Rule(120, 5, R, LenRule::kFdArray, 148)},
     2, {{128, 8}, {152, 16}}},
    // pathname@0, bpf_fd@8, file_flags@12, path_fd@16.
    {kObjPin, 20, false, false, false, false, 1, {Rule(0, 0, R, LenRule::kCString)}, 0, {}},
    {kObjGet, 20, false, false, false, false, 1, {Rule(0, 0, R, LenRule::kCString)}, 0, {}},
    // start_id@0, next_id@4 (written back), open_flags@8.
    {kProgGetNextId, 12, false, false, false, false, 0, {}, 0, {}},
    {kMapGetNextId, 12, false, false, false, false, 0, {}, 0, {}},
    {kBtfGetNextId, 12, false, false, false, false, 0, {}, 0, {}},
    {kLinkGetNextId, 12, false, false, false, false, 0, {}, 0, {}},
    // id@0, next_id@4, open_flags@8, fd_by_id_token_fd@12.
    {kProgGetFdById, 16, false, false, false, false, 0, {}, 0, {}},
    {kMapGetFdById, 16, false, false, false, false, 0, {}, 0, {}},
    {kBtfGetFdById, 16, false, false, false, false, 0, {}, 0, {}},
    {kLinkGetFdById, 16, false, false, false, false, 0, {}, 0, {}},
    // bpf_fd@0, info_len@4, info@8.
    {kObjGetInfoByFd, 16, false, false, false, true, 1, {Rule(8, 0, W, LenRule::kInfo, 4)}, 0, {}},
    // btf@0 (btf_size@16), btf_log_buf@8 (btf_log_size@20).
    {kBtfLoad, 40, true, false, false, false, 2, {Field(0, 0, R, 16, 1), Field(8, 1, W, 20, 1)},
     0, {}},
    {kMapFreeze, 4, false, false, false, false, 0, {}, 0, {}},
    // Only prog_fd/map_fd, target_fd, attach_type and flags; the per-type tail (which
    // holds pointers for kprobe_multi, iter, ...) must stay zero.
    {kLinkCreate, 64, false, false, false, false, 0, {}, 1, {{16, 48}}},
    {kLinkUpdate, 16, false, false, false, false, 0, {}, 0, {}},
    {kLinkDetach, 4, false, false, false, false, 0, {}, 0, {}},
    {kProgBindMap, 12, false, false, false, false, 0, {}, 0, {}},
    // prog_fd@0, retval@4 (out), data_size_in@8, data_size_out@12 (in/out), data_in@16,
    // data_out@24, repeat@32, duration@36 (out), ctx_size_in@40, ctx_size_out@44 (out),
    // ctx_in@48 (syscall programs write it back), ctx_out@56, flags@64, cpu@68,
    // batch_size@72. buffers[4] is the struct_ops state (prog_test_run.cc).
    {kProgTestRun, 76, false, false, false, false, 4,
     {Field(16, kTestRunDataIn, R, 8, 1), Field(24, kTestRunDataOut, W, 12, 1),
      Field(48, kTestRunCtxIn, W, 40, 1), Field(56, kTestRunCtxOut, W, 44, 1)},
     0, {}},
};

bool AllZero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (p[i] != 0) return false;
  }
  return true;
}

}  // namespace

bool Refuse(Failure* f, int err, const std::string& message) {
  f->err = err;
  f->message = message;
  return false;
}

const CommandDesc* FindCommand(uint32_t cmd) {
  for (const CommandDesc& d : kCommands) {
    if (d.cmd == cmd) return &d;
  }
  return nullptr;
}

Call::~Call() {
  if (privFd_ >= 0) close(privFd_);
}

bool Call::Prepare(uint32_t cmd, const uint8_t* attr, size_t attrLen, const Span* bufs,
                   size_t nbufs, Failure* f) {
  cmd_ = cmd;
  desc_ = FindCommand(cmd);
  if (desc_ == nullptr) return Refuse(f, EINVAL, "bpf command " + std::to_string(cmd) + " is not supported");
  if (attrLen > desc_->attrSize) {
    return Refuse(f, E2BIG, "attr is " + std::to_string(attrLen) + " bytes, command takes at most " +
                                std::to_string(desc_->attrSize));
  }
  std::memset(attr_, 0, sizeof attr_);
  std::memcpy(attr_, attr, attrLen);

  // Buffers the command has no use for are refused rather than ignored.
  size_t used = 0;
  for (uint8_t i = 0; i < desc_->nslots; i++) used |= size_t{1} << desc_->slots[i].buffer;
  if (desc_->infoAt0) used |= 0x6;  // bpf_btf_info.btf and .name
  if (cmd == kProgTestRun) used |= size_t{1} << kTestRunState;
  if (nbufs > kMaxBuffers) return Refuse(f, EINVAL, "too many buffers");
  for (size_t i = 0; i < nbufs; i++) {
    if (bufs[i].present && !(used & (size_t{1} << i))) {
      return Refuse(f, EINVAL, "buffers[" + std::to_string(i) + "] is not used by this command");
    }
  }
  // JS leaves every pointer field 0; only this file writes addresses.
  for (uint8_t i = 0; i < desc_->nslots; i++) {
    if (LoadU64(attr_, desc_->slots[i].ptrOff) != 0) {
      return Refuse(f, EINVAL, "pointer field at attr offset " + std::to_string(desc_->slots[i].ptrOff) +
                                   " must be 0 (it is filled from buffers[])");
    }
  }
  for (uint8_t i = 0; i < desc_->nzero; i++) {
    const ZeroRange& z = desc_->zero[i];
    if (!AllZero(attr_ + z.off, z.len)) {
      return Refuse(f, EINVAL, "attr bytes " + std::to_string(z.off) + ".." + std::to_string(z.off + z.len) +
                                   " are not supported and must be 0");
    }
  }

  if (desc_->mapAt0 || desc_->infoAt0 || cmd == kProgTestRun) {
    callerFd_ = LoadU32(attr_, 0);
    if (!DupPrivate(callerFd_, &privFd_, f)) return false;
    StoreU32(attr_, 0, static_cast<uint32_t>(privFd_));
  }
  if (desc_->mapAt0 && !LearnMapSizes(privFd_, &keySize_, &valueBytes_, f)) return false;

  for (uint8_t i = 0; i < desc_->nslots; i++) {
    if (!CheckSlot(desc_->slots[i], bufs, f)) return false;
  }
  if (desc_->infoAt0) {
    uint8_t* info = bufs[0].present ? bufs[0].data : nullptr;
    if (!PrepareBtfInfo(privFd_, info, LoadU32(attr_, 4), bufs, nbufs, &infoPtrEnd_, f)) return false;
    if (infoPtrEnd_ != 0) info_ = info;
  }
  if (cmd == kProgTestRun && !PrepareTestRun(attr_, privFd_, bufs, nbufs, &testRun_, f)) return false;
  return true;
}

bool Call::CheckSlot(const PtrSlot& s, const Span* bufs, Failure* f) {
  const Span& b = bufs[s.buffer];
  // An absent Buffer leaves the pointer NULL: the kernel then fails with EFAULT/EINVAL.
  if (!b.present) return true;
  uint64_t need = 0;
  switch (s.rule) {
    case LenRule::kField:
    case LenRule::kInfo:
      need = uint64_t{LoadU32(attr_, s.lenOff)} * s.scale;
      break;
    case LenRule::kFieldProduct:
      need = uint64_t{LoadU32(attr_, s.lenOff)} * LoadU32(attr_, s.len2Off);
      break;
    case LenRule::kCString:
      if (b.len == 0 || std::memchr(b.data, 0, b.len) == nullptr) {
        return Refuse(f, EINVAL, "buffers[" + std::to_string(s.buffer) + "] must contain a NUL terminator");
      }
      break;
    case LenRule::kFdArray:
      if (!FdArrayNeed(attr_, bufs[0], b, &need, f)) return false;
      break;
    case LenRule::kMapKey:
      need = keySize_;
      break;
    case LenRule::kMapValue:
      need = valueBytes_;
      break;
  }
  if (b.len < need) {
    return Refuse(f, EINVAL, "buffers[" + std::to_string(s.buffer) + "] is " + std::to_string(b.len) +
                                 " bytes but the kernel would " + (s.dir == Dir::kKernelWrites ? "write " : "read ") +
                                 std::to_string(need));
  }
  if (s.rule == LenRule::kInfo && need != 0) std::memset(b.data, 0, need);
  StorePtr(attr_, s.ptrOff, b.data);
  return true;
}

long Call::Run() {
  int attempts = desc_->retryEagain ? 5 : 1;
  for (;;) {
    long r = syscall(__NR_bpf, cmd_, attr_, desc_->attrSize);
    if (r >= 0) return r;
    int err = errno;
    // PROG_LOAD may hit EAGAIN when the verifier is interrupted; libbpf retries 5 times.
    if (err != EAGAIN || --attempts == 0) return -err;
  }
}

void Call::CopyOut(uint8_t* attr, size_t attrLen) {
  for (uint8_t i = 0; i < desc_->nslots; i++) StoreU64(attr_, desc_->slots[i].ptrOff, 0);
  if (cmd_ == kProgTestRun) FinishTestRun(&testRun_);
  if (privFd_ >= 0) StoreU32(attr_, 0, callerFd_);
  // The kernel echoes bpf_btf_info.btf/.name back; addresses are nothing JS should see.
  if (info_ != nullptr) {
    StoreU64(info_, 0, 0);
    StoreU64(info_, 16, 0);
  }
  std::memcpy(attr, attr_, attrLen < desc_->attrSize ? attrLen : desc_->attrSize);
}

bool Call::KernelWrites(size_t i) const {
  for (uint8_t s = 0; s < desc_->nslots; s++) {
    if (desc_->slots[s].buffer == i) return desc_->slots[s].dir == Dir::kKernelWrites;
  }
  return false;
}

}  // namespace structops
