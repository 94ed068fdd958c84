// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// mapMmap(mapHandle, length, addrHint: bigint) -> ArrayBuffer over a shared, writable
// mapping of the map (BPF_MAP_TYPE_ARENA, BPF_F_MMAPABLE arrays); mapUnmap(ArrayBuffer);
// mapAddress(ArrayBuffer) -> bigint, where the mapping is (an arena's user_vm_start, which
// the kernel picks when map_extra is 0 and every later mapping must reuse).
//
// The ArrayBuffer is external memory, the only way for JS to see what BPF programs write
// without a copy; that is why this file alone opts out of NODE_API_NO_EXTERNAL_BUFFERS_ALLOWED.
// Only read-write mappings are made, so no JS write can fault. mapUnmap detaches the
// ArrayBuffer (every view of it becomes empty) before munmap, and the mapping lives in a
// native record that the ArrayBuffer itself keeps alive: neither a closed map nor the
// garbage collector can unmap memory a live view still reaches.
#undef NODE_API_NO_EXTERNAL_BUFFERS_ALLOWED
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <string>

#include "js.h"
#include "map_handle.h"

namespace structops {
namespace {

constexpr napi_type_tag kMappingTag = {0x5f7374727563746fULL, 0x70733a6d6d617031ULL};

struct Mapping {
  void* addr = nullptr;
  size_t len = 0;
  int fd = -1;
};

void Unmap(Mapping* m) {
  if (m->addr != nullptr) munmap(m->addr, m->len);
  if (m->fd >= 0) close(m->fd);
  m->addr = nullptr;
  m->fd = -1;
}

bool ThrowSys(Napi::Env env, int err, const std::string& why) {
  Napi::Value e = MakeSysError(env, err, 0, "mmap", why, true);
  if (!e.IsEmpty()) Napi::Error(env, e).ThrowAsJavaScriptException();
  return false;
}

// The key under which an ArrayBuffer keeps its Mapping record alive.
Napi::Value MappingKey(Napi::Env env) { return Napi::String::New(env, "__struct_ops_mapping"); }

Napi::Value MapMmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[1].IsNumber() || !info[2].IsBigInt()) {
    Napi::TypeError::New(env, "expected (handle, length: number, addrHint: bigint)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  MapHandle* h = UnwrapMapHandle(env, info[0]);
  if (h == nullptr) return env.Undefined();
  double lend = info[1].As<Napi::Number>().DoubleValue();
  bool lossless = false;
  uint64_t hint = info[2].As<Napi::BigInt>().Uint64Value(&lossless);
  long page = sysconf(_SC_PAGESIZE);
  if (!lossless || !(lend > 0) || std::floor(lend) != lend || lend > 1099511627776.0 || page <= 0 ||
      static_cast<uint64_t>(lend) % static_cast<uint64_t>(page) != 0 || hint % static_cast<uint64_t>(page) != 0) {
    ThrowSys(env, EINVAL, "length must be a positive multiple of the page size and addrHint page aligned");
    return env.Undefined();
  }
  auto* m = new Mapping();
  m->len = static_cast<size_t>(lend);
  m->fd = fcntl(h->fd, F_DUPFD_CLOEXEC, 0);
  if (m->fd < 0) {
    int err = errno;
    delete m;
    ThrowSys(env, err, "cannot duplicate the map fd");
    return env.Undefined();
  }
  // An arena's address is fixed by map_extra (programs use the same addresses); never
  // replace a mapping Node already has there.
  int flags = MAP_SHARED | (hint != 0 ? MAP_FIXED_NOREPLACE : 0);
  void* addr = mmap(reinterpret_cast<void*>(hint), m->len, PROT_READ | PROT_WRITE, flags, m->fd, 0);
  if (addr == MAP_FAILED) {
    int err = errno;
    Unmap(m);
    delete m;
    ThrowSys(env, err, "cannot mmap the map read-write (frozen, not BPF_F_MMAPABLE, or address taken)");
    return env.Undefined();
  }
  m->addr = addr;
  Napi::External<Mapping> record = Napi::External<Mapping>::New(env, m, [](Napi::Env, Mapping* p) {
    Unmap(p);
    delete p;
  });
  record.TypeTag(&kMappingTag);
  // Memory is released by the Mapping record, never by the ArrayBuffer's finalizer.
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, addr, m->len, [](Napi::Env, void*) {});
  if (ab.Set(MappingKey(env), record).IsNothing()) return env.Undefined();
  return ab;
}

// The Mapping record of an ArrayBuffer from MapMmap, or nullptr with a TypeError pending.
Mapping* MappingOf(Napi::Env env, const Napi::Value& v) {
  if (!v.IsArrayBuffer()) {
    Napi::TypeError::New(env, "expected an ArrayBuffer from mapMmap()").ThrowAsJavaScriptException();
    return nullptr;
  }
  Napi::Value rec;
  if (!v.As<Napi::ArrayBuffer>().Get(MappingKey(env)).UnwrapTo(&rec)) return nullptr;
  if (!rec.IsExternal() || !rec.As<Napi::External<Mapping>>().CheckTypeTag(&kMappingTag)) {
    Napi::TypeError::New(env, "ArrayBuffer does not come from mapMmap()").ThrowAsJavaScriptException();
    return nullptr;
  }
  return rec.As<Napi::External<Mapping>>().Data();
}

Napi::Value MapAddress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Mapping* m = info.Length() < 1 ? MappingOf(env, env.Undefined()) : MappingOf(env, info[0]);
  if (m == nullptr) return env.Undefined();
  return Napi::BigInt::New(env, static_cast<uint64_t>(reinterpret_cast<uintptr_t>(m->addr)));
}

Napi::Value MapUnmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Mapping* m = info.Length() < 1 ? MappingOf(env, env.Undefined()) : MappingOf(env, info[0]);
  if (m == nullptr) return env.Undefined();
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  if (m->addr == nullptr) return env.Undefined();
  // Detach first: after this no JS view reaches the pages we unmap.
  if (napi_detach_arraybuffer(env, ab) != napi_ok) {
    ThrowSys(env, EINVAL, "cannot detach the ArrayBuffer");
    return env.Undefined();
  }
  Unmap(m);
  return env.Undefined();
}

}  // namespace

bool InitMapped(Napi::Env env, Napi::Object exports) {
  return !(exports.Set("mapMmap", Napi::Function::New(env, MapMmap, "mapMmap")).IsNothing() ||
           exports.Set("mapUnmap", Napi::Function::New(env, MapUnmap, "mapUnmap")).IsNothing() ||
           exports.Set("mapAddress", Napi::Function::New(env, MapAddress, "mapAddress")).IsNothing());
}

}  // namespace structops
