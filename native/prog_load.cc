// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// How far into fd_array the kernel may read during BPF_PROG_LOAD.
//
// fd_array has no length of its own unless fd_array_cnt (6.14+) is set, and even then the
// verifier indexes it from instructions: ld_imm64 with BPF_PSEUDO_MAP_IDX(_VALUE) uses
// imm as the index, and a kfunc call (BPF_PSEUDO_KFUNC_CALL) uses insn.off (> 0) as the
// index of a module BTF fd. The Buffer must cover the largest index any instruction names.
#include <cerrno>
#include <cstring>

#include "abi_generated.h"
#include "attr_bytes.h"
#include "checks.h"

namespace structops {
namespace {

constexpr uint8_t kLdImm64 = 0x18;   // BPF_LD | BPF_IMM | BPF_DW
constexpr uint8_t kCall = 0x85;      // BPF_JMP | BPF_CALL
constexpr uint8_t kPseudoKfuncCall = 2;
constexpr uint8_t kPseudoMapIdx = 5;
constexpr uint8_t kPseudoMapIdxValue = 6;
constexpr size_t kInsnSize = abi::bpf_insn::kSize;
constexpr uint64_t kFdSize = 4;

}  // namespace

bool FdArrayNeed(const uint8_t* attr, const Span& insns, const Span& fdArray, uint64_t* need,
                 Failure* f) {
  uint64_t cnt = LoadU32(attr, abi::prog_load::fd_array_cnt);
  if (cnt == 0 && (fdArray.len == 0 || fdArray.len % kFdSize != 0)) {
    return Refuse(f, EINVAL, "fd_array without fd_array_cnt must be a non-empty multiple of 4 bytes");
  }
  uint64_t bytes = cnt * kFdSize;
  // insns was checked to hold insn_cnt instructions before this slot (slot order).
  uint64_t insnCnt = LoadU32(attr, abi::prog_load::insn_cnt);
  if (!insns.present || insns.len < insnCnt * kInsnSize) insnCnt = 0;
  for (uint64_t i = 0; i < insnCnt; i++) {
    const uint8_t* insn = insns.data + i * kInsnSize;
    // src_reg is the high nibble of byte 1 on little-endian hosts, the low one on big-endian.
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    uint8_t src = insn[1] & 0x0f;
#else
    uint8_t src = insn[1] >> 4;
#endif
    uint64_t index = 0;
    bool uses = false;
    if (insn[0] == kLdImm64 && (src == kPseudoMapIdx || src == kPseudoMapIdxValue)) {
      index = LoadU32(insn, abi::bpf_insn::imm);
      uses = true;
    } else if (insn[0] == kCall && src == kPseudoKfuncCall) {
      int16_t off = 0;
      std::memcpy(&off, insn + abi::bpf_insn::off, sizeof off);
      // off 0 is vmlinux; a negative off is rejected by the verifier before any read.
      if (off > 0) {
        index = static_cast<uint64_t>(off);
        uses = true;
      }
    }
    if (uses && (index + 1) * kFdSize > bytes) bytes = (index + 1) * kFdSize;
  }
  *need = bytes;
  return true;
}

}  // namespace structops
