// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// fileMapOpen(path, length) -> handle | undefined; fileMapCopy(handle, dst, dstOffset,
// srcOffset, length); fileMapClose(handle).
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
           exports.Set("fileMapClose", Napi::Function::New(env, FileMapClose, "fileMapClose")).IsNothing());
}

}  // namespace structops
