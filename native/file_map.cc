// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// fileMapOpen(path, length) -> handle | undefined; fileMapCopy(handle, dst, dstOffset,
// srcOffset, length); fileMapCheckBlocks(...) (below); fileMapClose(handle).
//
// Why: sysfs serves /sys/kernel/btf/vmlinux one 4 KiB page per read(2), so walking the
// kernel's BTF (5+ MB) costs over a thousand syscalls; since Linux 6.16 the file can be
// mmapped (read-only, private), and one memcpy replaces them. The mapping is read-only, so
// it never reaches JS: callers copy what they need into their own, writable Buffer, and
// no JS write can fault. undefined (not an error) when the kernel cannot map the file:
// callers then read it as before.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "js.h"
#include "map_handle.h"

namespace structops {
namespace {

constexpr napi_type_tag kFileMapTag = {0x5f7374727563746fULL, 0x70733a666d617031ULL};

struct FileMap {
  void* addr = nullptr;
  size_t len = 0;
};

void Release(FileMap* m) {
  if (m->addr != nullptr) munmap(m->addr, m->len);
  m->addr = nullptr;
  m->len = 0;
}

// A non-negative integer below 2^40 (every length and offset here), or -1.
double Size(const Napi::Value& v) {
  if (!v.IsNumber()) return -1;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 1099511627776.0 || std::floor(d) != d) return -1;
  return d;
}

FileMap* Unwrap(Napi::Env env, const Napi::Value& v) {
  if (!v.IsExternal() || !v.As<Napi::External<FileMap>>().CheckTypeTag(&kFileMapTag)) {
    Napi::TypeError::New(env, "expected a handle from fileMapOpen()").ThrowAsJavaScriptException();
    return nullptr;
  }
  return v.As<Napi::External<FileMap>>().Data();
}

Napi::Value FileMapOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double len = info.Length() >= 2 ? Size(info[1]) : -1;
  if (info.Length() < 2 || !info[0].IsString() || !(len > 0)) {
    Napi::TypeError::New(env, "expected (path: string, length: positive integer)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  // O_NONBLOCK: opening a FIFO must not wait for a writer (fstat then turns it away).
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return env.Undefined();
  // The caller's length must be the file's: a mapping past the end would fault on access.
  // statx, not fstat: glibc has fstat as a symbol only since 2.33 (the addon needs <= 2.28).
  struct statx st;
  bool sized = statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE, &st) == 0 && S_ISREG(st.stx_mode) &&
               static_cast<double>(st.stx_size) == len;
  void* addr = sized ? mmap(nullptr, static_cast<size_t>(len), PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
  close(fd);
  if (addr == MAP_FAILED) return env.Undefined();
  auto* m = new FileMap();
  m->addr = addr;
  m->len = static_cast<size_t>(len);
  Napi::External<FileMap> handle = Napi::External<FileMap>::New(env, m, [](Napi::Env, FileMap* p) {
    Release(p);
    delete p;
  });
  handle.TypeTag(&kFileMapTag);
  return handle;
}

Napi::Value FileMapCopy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[1].IsTypedArray()) {
    Napi::TypeError::New(env, "expected (handle, dst: Uint8Array, dstOffset, srcOffset, length)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  FileMap* m = Unwrap(env, info[0]);
  if (m == nullptr) return env.Undefined();
  Napi::TypedArray ta = info[1].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_uint8_array) {
    Napi::TypeError::New(env, "dst must be a Uint8Array or Buffer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array dst = info[1].As<Napi::Uint8Array>();
  double dstOff = Size(info[2]), srcOff = Size(info[3]), n = Size(info[4]);
  if (m->addr == nullptr) {
    Napi::Error::New(env, "fileMapCopy: the mapping is closed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (dstOff < 0 || srcOff < 0 || n < 0 || srcOff + n > static_cast<double>(m->len) ||
      dstOff + n > static_cast<double>(dst.ByteLength())) {
    Napi::RangeError::New(env, "fileMapCopy: range outside the mapping or the destination").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::memcpy(dst.Data() + static_cast<size_t>(dstOff), static_cast<const uint8_t*>(m->addr) + static_cast<size_t>(srcOff),
              static_cast<size_t>(n));
  return env.Undefined();
}

// fileMapCheckBlocks(handle, sectionStart, sectionLength, allowedInfo, fixedWords,
//   wordsPerVlen, blockStarts, stride, count, fromBlock, toBlock) -> first bad block or -1.
//
// Why: a cached index of the kernel's BTF is trusted for a type id only once every block
// before it has been walked record by record and found to end exactly where the next one
// starts (lib/btf/indexed.ts). For a kfunc id (~114,000 on 6.18) that is a walk over 3 MB;
// done here on the mapping, it needs no copy into JavaScript and no interpreter. The record
// sizes come from JS (lib/btf/type-table.ts owns the BTF layout); this only applies them.
// Block k covers records [k*stride, min(count, (k+1)*stride)), starts at word
// blockStarts[k] of the section and must end at blockStarts[k+1] (the section's end for the
// last block); block 0 must start at 0. Same rules as IndexedTable.walk().
Napi::Value FileMapCheckBlocks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto isU32 = [&](size_t i) {
    return info.Length() > i && info[i].IsTypedArray() &&
           info[i].As<Napi::TypedArray>().TypedArrayType() == napi_uint32_array;
  };
  auto isU8 = [&](size_t i) {
    return info.Length() > i && info[i].IsTypedArray() &&
           info[i].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array;
  };
  if (info.Length() < 11 || !isU32(3) || !isU8(4) || !isU8(5) || !isU32(6)) {
    Napi::TypeError::New(env,
                         "expected (handle, sectionStart, sectionLength, allowedInfo: Uint32Array, fixedWords: "
                         "Uint8Array, wordsPerVlen: Uint8Array, blockStarts: Uint32Array, stride, count, fromBlock, "
                         "toBlock)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  FileMap* m = Unwrap(env, info[0]);
  if (m == nullptr) return env.Undefined();
  if (m->addr == nullptr) {
    Napi::Error::New(env, "fileMapCheckBlocks: the mapping is closed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint32Array allowed = info[3].As<Napi::Uint32Array>();
  Napi::Uint8Array fixed = info[4].As<Napi::Uint8Array>();
  Napi::Uint8Array perVlen = info[5].As<Napi::Uint8Array>();
  Napi::Uint32Array starts = info[6].As<Napi::Uint32Array>();
  double secStart = Size(info[1]), secLen = Size(info[2]), stride = Size(info[7]), count = Size(info[8]);
  double from = Size(info[9]), to = Size(info[10]);
  const size_t blocks = starts.ElementLength();
  // One table entry per 5-bit BTF kind; the section must lie in the mapping, word-aligned.
  if (allowed.ElementLength() != 32 || fixed.ElementLength() != 32 || perVlen.ElementLength() != 32 ||
      secStart < 0 || secLen < 0 || secStart + secLen > static_cast<double>(m->len) ||
      std::fmod(secStart, 4) != 0 || std::fmod(secLen, 4) != 0 || !(stride >= 1) || stride > 65536 ||
      count < 0 || count > secLen / 12 || std::ceil(count / stride) != static_cast<double>(blocks) ||
      from < 0 || to < from || to >= static_cast<double>(blocks)) {
    Napi::RangeError::New(env, "fileMapCheckBlocks: tables, section or block range out of bounds")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const uint8_t* sec = static_cast<const uint8_t*>(m->addr) + static_cast<size_t>(secStart);
  const uint64_t words = static_cast<uint64_t>(secLen) / 4;
  const uint64_t step = static_cast<uint64_t>(stride), total = static_cast<uint64_t>(count);
  auto word = [&](uint64_t i) {
    uint32_t w;
    std::memcpy(&w, sec + i * 4, 4);  // the mapping's alignment is the section's: copy, don't cast
    return w;
  };
  for (uint64_t k = static_cast<uint64_t>(from); k <= static_cast<uint64_t>(to); k++) {
    uint64_t pos = starts[k];
    const uint64_t end = k + 1 == blocks ? words : starts[k + 1];
    if ((k == 0 && pos != 0) || end < pos || end > words) return Napi::Number::New(env, static_cast<double>(k));
    const uint64_t past = std::min(total, (k + 1) * step);
    for (uint64_t i = k * step; i < past; i++) {
      if (pos + 3 > end) return Napi::Number::New(env, static_cast<double>(k));
      const uint32_t infoWord = word(pos + 1);
      const uint32_t kind = (infoWord >> 24) & 0x1f;
      const uint32_t ok = allowed[kind];
      if (ok == 0 || (infoWord & ~ok) != 0) return Napi::Number::New(env, static_cast<double>(k));
      pos += fixed[kind] + static_cast<uint64_t>(perVlen[kind]) * (infoWord & 0xffff);
    }
    if (pos != end) return Napi::Number::New(env, static_cast<double>(k));
  }
  return Napi::Number::New(env, -1);
}

Napi::Value FileMapClose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FileMap* m = info.Length() < 1 ? Unwrap(env, env.Undefined()) : Unwrap(env, info[0]);
  if (m != nullptr) Release(m);
  return env.Undefined();
}

}  // namespace

bool InitFileMap(Napi::Env env, Napi::Object exports) {
  return !(exports.Set("fileMapOpen", Napi::Function::New(env, FileMapOpen, "fileMapOpen")).IsNothing() ||
           exports.Set("fileMapCopy", Napi::Function::New(env, FileMapCopy, "fileMapCopy")).IsNothing() ||
           exports.Set("fileMapCheckBlocks", Napi::Function::New(env, FileMapCheckBlocks, "fileMapCheckBlocks")).IsNothing() ||
           exports.Set("fileMapClose", Napi::Function::New(env, FileMapClose, "fileMapClose")).IsNothing());
}

}  // namespace structops
