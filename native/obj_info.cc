// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// BPF_OBJ_GET_INFO_BY_FD for BTF objects: the only info struct whose pointers we fill.
//
// Every bpf_*_info struct has pointer fields the kernel writes through (prog map_ids,
// link per-type names, map hash, ...). The info Buffer is zeroed before each call, so no
// such pointer is set; only for an fd that /proc says is a BTF object do we point
// bpf_btf_info.btf (length btf_size) and .name (length name_len) at caller Buffers.
#include <cerrno>
#include <climits>

#include "abi_generated.h"
#include "attr_bytes.h"
#include "checks.h"

namespace structops {
namespace {

namespace bi = abi::bpf_btf_info;
constexpr uint32_t kBtfInfoSize = bi::kSize;

uint32_t ClampU32(size_t n) { return n > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(n); }

}  // namespace

bool PrepareBtfInfo(int fd, uint8_t* info, uint32_t infoLen, const Span* bufs, size_t nbufs,
                    size_t* ptrEnd, Failure* f) {
  *ptrEnd = 0;
  const bool wantData = nbufs > 1 && bufs[1].present && bufs[1].len > 0;
  const bool wantName = nbufs > 2 && bufs[2].present && bufs[2].len > 0;
  if (!wantData && !wantName) return true;

  std::string kind;
  if (!FdKind(fd, &kind)) return Refuse(f, errno, "cannot identify fd via /proc/self/fd");
  if (kind != "anon_inode:btf") {
    return Refuse(f, EINVAL, "buffers[1]/[2] are only for BTF objects, fd is " + kind);
  }
  if (info == nullptr || infoLen < kBtfInfoSize) {
    return Refuse(f, EINVAL, "bpf_btf_info needs info_len >= " + std::to_string(kBtfInfoSize) + " when BTF data or name is requested");
  }
  // Lengths are what the Buffers hold; the kernel writes at most that much (and reports
  // the real size, or ENOSPC for a short name).
  if (wantData) {
    StorePtr(info, bi::btf, bufs[1].data);
    StoreU32(info, bi::btf_size, ClampU32(bufs[1].len));
  }
  if (wantName) {
    StorePtr(info, bi::name, bufs[2].data);
    StoreU32(info, bi::name_len, ClampU32(bufs[2].len));
  }
  *ptrEnd = kBtfInfoSize;
  return true;
}

}  // namespace structops
