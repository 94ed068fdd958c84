// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// Unaligned little-endian-agnostic access to attr and info bytes (host byte order, as the
// kernel expects). memcpy keeps it free of aliasing and alignment problems.
#ifndef STRUCT_OPS_NATIVE_ATTR_BYTES_H_
#define STRUCT_OPS_NATIVE_ATTR_BYTES_H_

#include <cstdint>
#include <cstring>

namespace structops {

inline uint32_t LoadU32(const uint8_t* p, size_t off) {
  uint32_t v;
  std::memcpy(&v, p + off, sizeof v);
  return v;
}

inline uint64_t LoadU64(const uint8_t* p, size_t off) {
  uint64_t v;
  std::memcpy(&v, p + off, sizeof v);
  return v;
}

inline void StoreU32(uint8_t* p, size_t off, uint32_t v) { std::memcpy(p + off, &v, sizeof v); }

inline void StoreU64(uint8_t* p, size_t off, uint64_t v) { std::memcpy(p + off, &v, sizeof v); }

// The kernel takes user pointers as u64 (union bpf_attr uses __aligned_u64).
inline void StorePtr(uint8_t* p, size_t off, const void* ptr) {
  StoreU64(p, off, static_cast<uint64_t>(reinterpret_cast<uintptr_t>(ptr)));
}

}  // namespace structops

#endif  // STRUCT_OPS_NATIVE_ATTR_BYTES_H_
