// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// The descriptor table (one row per supported bpf() command) and the generic checks that
// apply it. Offsets are those of union bpf_attr, from abi_generated.h.
#include "commands.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "abi_generated.h"
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

namespace pl = abi::prog_load;
namespace me = abi::map_elem;
namespace lc = abi::link_create;
namespace tr = abi::test;

constexpr uint16_t End(uint16_t structSize, uint16_t from) { return structSize - from; }

// BPF_PROG_ASSOC_STRUCT_OPS (enum bpf_cmd 38, Linux 6.19+; see its row).
constexpr uint32_t kProgAssocStructOps = 38;

// {cmd, attrSize, async, retryEagain, mapAt0, infoAt0, nslots, {slots}, nzero, {zero}}
// Offsets and sizes come from abi_generated.h (scripts/gen-abi.js), never from here.
constexpr CommandDesc kCommands[] = {
    // map_type..map_token_fd carry no pointers; excl_prog_hash (6.18) is unsupported.
    {abi::BPF_MAP_CREATE, abi::map_create::kSize, false, false, false, false, 0, {}, 1,
     {{abi::map_create::excl_prog_hash, 8}}},
    // key and value (next_key): sizes come from the map itself.
    {abi::BPF_MAP_LOOKUP_ELEM, me::kSize, false, false, true, false, 2,
     {Rule(me::key, 0, R, LenRule::kMapKey), Rule(me::value, 1, W, LenRule::kMapValue)}, 0, {}},
    {abi::BPF_MAP_UPDATE_ELEM, me::kSize, false, false, true, false, 2,
     {Rule(me::key, 0, R, LenRule::kMapKey), Rule(me::value, 1, R, LenRule::kMapValue)}, 0, {}},
    {abi::BPF_MAP_DELETE_ELEM, me::kSize, false, false, true, false, 1,
     {Rule(me::key, 0, R, LenRule::kMapKey)}, 1, {{me::value, 8}}},
    {abi::BPF_MAP_GET_NEXT_KEY, me::kSize, false, false, true, false, 2,
     {Rule(me::key, 0, R, LenRule::kMapKey), Rule(me::next_key, 1, W, LenRule::kMapKey)}, 0, {}},
    // insns (insn_cnt x 8), license, log_buf (log_size), func_info (rec x cnt), line_info
    // (rec x cnt), fd_array (fd_array_cnt or the largest index an insn names).
    // core_relos and the 6.18 signature fields are unsupported.
    {abi::BPF_PROG_LOAD, pl::kSize, true, true, false, false, 6,
     {Field(pl::insns, 0, R, pl::insn_cnt, abi::bpf_insn::kSize), Rule(pl::license, 1, R, LenRule::kCString),
      Field(pl::log_buf, 2, W, pl::log_size, 1),
      Product(pl::func_info, 3, pl::func_info_rec_size, pl::func_info_cnt),
      Product(pl::line_info, 4, pl::line_info_rec_size, pl::line_info_cnt),
      Rule(pl::fd_array, 5, R, LenRule::kFdArray, pl::fd_array_cnt)},
     2, {{pl::core_relos, 8}, {pl::signature, End(pl::kSize, pl::signature)}}},
    // pathname (a C string), bpf_fd, file_flags, path_fd.
    {abi::BPF_OBJ_PIN, abi::obj::kSize, false, false, false, false, 1,
     {Rule(abi::obj::pathname, 0, R, LenRule::kCString)}, 0, {}},
    {abi::BPF_OBJ_GET, abi::obj::kSize, false, false, false, false, 1,
     {Rule(abi::obj::pathname, 0, R, LenRule::kCString)}, 0, {}},
    // start_id (or id), next_id (written back), open_flags, fd_by_id_token_fd.
    {abi::BPF_PROG_GET_NEXT_ID, abi::get_id::kSize, false, false, false, false, 0, {}, 0, {}},
    {abi::BPF_MAP_GET_NEXT_ID, abi::get_id::kSize, false, false, false, false, 0, {}, 0, {}},
    {abi::BPF_BTF_GET_NEXT_ID, abi::get_id::kSize, false, false, false, false, 0, {}, 0, {}},
    {abi::BPF_LINK_GET_NEXT_ID, abi::get_id::kSize, false, false, false, false, 0, {}, 0, {}},
    {abi::BPF_PROG_GET_FD_BY_ID, abi::get_id::kSize, false, false, false, false, 0, {}, 0, {}},
    {abi::BPF_MAP_GET_FD_BY_ID, abi::get_id::kSize, false, false, false, false, 0, {}, 0, {}},
    {abi::BPF_BTF_GET_FD_BY_ID, abi::get_id::kSize, false, false, false, false, 0, {}, 0, {}},
    {abi::BPF_LINK_GET_FD_BY_ID, abi::get_id::kSize, false, false, false, false, 0, {}, 0, {}},
    // bpf_fd, info_len, info.
    {abi::BPF_OBJ_GET_INFO_BY_FD, abi::info::kSize, false, false, false, true, 1,
     {Rule(abi::info::info, 0, W, LenRule::kInfo, abi::info::info_len)}, 0, {}},
    // btf (btf_size), btf_log_buf (btf_log_size).
    {abi::BPF_BTF_LOAD, abi::btf_load::kSize, true, false, false, false, 2,
     {Field(abi::btf_load::btf, 0, R, abi::btf_load::btf_size, 1),
      Field(abi::btf_load::btf_log_buf, 1, W, abi::btf_load::btf_log_size, 1)},
     0, {}},
    {abi::BPF_MAP_FREEZE, me::kSize, false, false, false, false, 0, {}, 0, {}},
    // Only prog_fd/map_fd, target_fd, attach_type and flags; the per-type tail (which
    // holds pointers for kprobe_multi, iter, ...) must stay zero.
    {abi::BPF_LINK_CREATE, lc::kSize, false, false, false, false, 0, {}, 1,
     {{lc::target_btf_id, End(lc::kSize, lc::target_btf_id)}}},
    {abi::BPF_LINK_UPDATE, abi::link_update::kSize, false, false, false, false, 0, {}, 0, {}},
    {abi::BPF_LINK_DETACH, abi::link_detach::kSize, false, false, false, false, 0, {}, 0, {}},
    {abi::BPF_PROG_BIND_MAP, abi::prog_bind_map::kSize, false, false, false, false, 0, {}, 0, {}},
    // name (a C string, buffers[0]), prog_fd; cookie (6.10+) is not used and stays zero.
    {abi::BPF_RAW_TRACEPOINT_OPEN, abi::raw_tracepoint::kSize, false, false, false, false, 1,
     {Rule(abi::raw_tracepoint::name, 0, R, LenRule::kCString)}, 1, {{abi::raw_tracepoint::cookie, 8}}},
    // map_fd@0, prog_fd@4, flags@8: no pointers. Linux 6.19+, so not in the 6.18 BTF the
    // ABI generator reads (abi_generated.h): the one command whose layout is written here.
    {kProgAssocStructOps, 12, false, false, false, false, 0, {}, 0, {}},
    // prog_fd, retval (out), data_size_in, data_size_out (in/out), data_in, data_out, repeat,
    // duration (out), ctx_size_in, ctx_size_out (out), ctx_in (syscall programs write it
    // back), ctx_out, flags, cpu, batch_size. buffers[4] is the struct_ops state
    // (prog_test_run.cc).
    {abi::BPF_PROG_TEST_RUN, tr::kSize, false, false, false, false, 4,
     {Field(tr::data_in, kTestRunDataIn, R, tr::data_size_in, 1),
      Field(tr::data_out, kTestRunDataOut, W, tr::data_size_out, 1),
      Field(tr::ctx_in, kTestRunCtxIn, W, tr::ctx_size_in, 1),
      Field(tr::ctx_out, kTestRunCtxOut, W, tr::ctx_size_out, 1)},
     0, {}},
};

// The attr buffer holds the largest union; every row fits in it.
static_assert(abi::kBpfAttrSize == kAttrMax, "kAttrMax must be sizeof(union bpf_attr)");

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
  if (cmd == abi::BPF_PROG_TEST_RUN) used |= size_t{1} << kTestRunState;
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

  // map_fd (MAP_*_ELEM), bpf_fd (OBJ_GET_INFO_BY_FD) and prog_fd (PROG_TEST_RUN) sit at offset 0.
  static_assert(me::map_fd == 0 && abi::info::bpf_fd == 0 && tr::prog_fd == 0, "fd member moved");
  if (desc_->mapAt0 || desc_->infoAt0 || cmd == abi::BPF_PROG_TEST_RUN) {
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
    if (!PrepareBtfInfo(privFd_, info, LoadU32(attr_, abi::info::info_len), bufs, nbufs, &infoPtrEnd_, f)) {
      return false;
    }
    if (infoPtrEnd_ != 0) info_ = info;
  }
  if (cmd == abi::BPF_PROG_TEST_RUN && !PrepareTestRun(attr_, privFd_, bufs, nbufs, &testRun_, f)) return false;
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
  if (cmd_ == abi::BPF_PROG_TEST_RUN) FinishTestRun(&testRun_);
  if (privFd_ >= 0) StoreU32(attr_, 0, callerFd_);
  // The kernel echoes bpf_btf_info.btf/.name back; addresses are nothing JS should see.
  if (info_ != nullptr) {
    StoreU64(info_, abi::bpf_btf_info::btf, 0);
    StoreU64(info_, abi::bpf_btf_info::name, 0);
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
