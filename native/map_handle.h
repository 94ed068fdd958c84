// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// A map as the element, batch, ring buffer and mmap entry points see it: a private dup of
// the caller's map fd plus the layout facts the bounds checks need, learned once when the
// handle is opened. Every later element operation is then exactly one bpf() syscall, and
// the facts stay true because the private fd keeps that very map alive.
#ifndef STRUCT_OPS_NATIVE_MAP_HANDLE_H_
#define STRUCT_OPS_NATIVE_MAP_HANDLE_H_

#include <napi.h>

#include <cstdint>

namespace structops {

struct MapHandle {
  int fd = -1;
  uint32_t type = 0;
  uint32_t keySize = 0;
  uint32_t valueSize = 0;
  uint32_t maxEntries = 0;
  uint32_t mapFlags = 0;
  uint64_t mapExtra = 0;
  // Bytes of one element's value as the syscall copies it (per-CPU: round_up(size, 8) x CPUs).
  uint64_t valueBytes = 0;
};

// The open handle behind a JS map-handle External, or nullptr (TypeError thrown) when
// `v` is not one or it was closed.
MapHandle* UnwrapMapHandle(Napi::Env env, const Napi::Value& v);

// Registers mapOpen, mapElem, mapBatch and mapClose on `exports` (map_handle.cc).
bool InitMapHandle(Napi::Env env, Napi::Object exports);
// Registers ringbufOpen/Read/Commit/Wait/Close and userRingbufOpen/Submit/Close (ringbuf.cc).
bool InitRingbuf(Napi::Env env, Napi::Object exports);
// Registers mapMmap and mapUnmap (mapped.cc).
bool InitMapped(Napi::Env env, Napi::Object exports);
// native/file_map.cc: read-only file mappings copied out on demand (kernel BTF).
bool InitFileMap(Napi::Env env, Napi::Object exports);
// native/crc32.cc: zlib's CRC-32 without loading node:zlib.
bool InitCrc32(Napi::Env env, Napi::Object exports);
// native/gunzip.cc: gzip inflated with the zlib Node exports, without loading node:zlib.
bool InitGunzip(Napi::Env env, Napi::Object exports);

}  // namespace structops

#endif  // STRUCT_OPS_NATIVE_MAP_HANDLE_H_
