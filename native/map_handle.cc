// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// mapOpen(fd) -> {handle, type, keySize, valueSize, valueBytes, maxEntries, mapFlags,
// mapExtra, possibleCpus}; mapElem(handle, cmd, key, value, flags) -> 0 | -errno;
// mapBatch(handle, cmd, inBatch, outBatch, keys, values, count, elemFlags) -> [rc, count];
// mapClose(handle); pidfdOpen(pid) -> fd (TASK_STORAGE keys).
//
// The handle owns a private dup of the map fd, so the sizes learned at open describe the
// map every later call reaches, and each element operation costs one bpf() syscall. A miss
// (ENOENT) is the common answer of a lookup, so element calls return -errno instead of
// throwing; buffers that fail the bounds checks still throw before the syscall.
#include "map_handle.h"

#include "abi_generated.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <string>

#include "attr_bytes.h"
#include "checks.h"
#include "js.h"

namespace structops {
namespace {

// enum bpf_cmd (abi_generated.h).
enum : uint32_t {
  kLookupElem = abi::BPF_MAP_LOOKUP_ELEM, kUpdateElem = abi::BPF_MAP_UPDATE_ELEM,
  kDeleteElem = abi::BPF_MAP_DELETE_ELEM, kGetNextKey = abi::BPF_MAP_GET_NEXT_KEY,
  kObjGetInfoByFd = abi::BPF_OBJ_GET_INFO_BY_FD, kLookupAndDeleteElem = abi::BPF_MAP_LOOKUP_AND_DELETE_ELEM,
  kLookupBatch = abi::BPF_MAP_LOOKUP_BATCH, kLookupAndDeleteBatch = abi::BPF_MAP_LOOKUP_AND_DELETE_BATCH,
  kUpdateBatch = abi::BPF_MAP_UPDATE_BATCH, kDeleteBatch = abi::BPF_MAP_DELETE_BATCH,
};
namespace mi = abi::bpf_map_info;
namespace me = abi::map_elem;
namespace mb = abi::batch;

// Marks Externals made by mapOpen so no other External passes for a MapHandle.
constexpr napi_type_tag kTag = {0x5f7374727563746fULL, 0x70733a6d61704831ULL};

void Finalize(Napi::Env, MapHandle* h) {
  if (h->fd >= 0) close(h->fd);
  delete h;
}

bool Throw(Napi::Env env, int err, uint32_t cmd, const std::string& why) {
  Napi::Value e = MakeSysError(env, err, cmd, "bpf", why, true);
  if (!e.IsEmpty()) Napi::Error(env, e).ThrowAsJavaScriptException();
  return false;
}

// A Buffer argument or null/undefined (span.present false).
bool ReadSpan(Napi::Env env, const Napi::Value& v, const char* name, Span* out) {
  if (v.IsNull() || v.IsUndefined()) return true;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    Napi::TypeError::New(env, std::string(name) + " must be a Buffer or null").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Uint8Array b = v.As<Napi::Uint8Array>();
  *out = Span{b.Data(), b.ElementLength(), true};
  return true;
}

bool ReadU64(Napi::Env env, const Napi::Value& v, const char* name, uint64_t* out) {
  if (!v.IsNumber()) {
    Napi::TypeError::New(env, std::string(name) + " must be a number").ThrowAsJavaScriptException();
    return false;
  }
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 9007199254740991.0) || std::floor(d) != d) {
    Napi::TypeError::New(env, std::string(name) + " must be a non-negative integer").ThrowAsJavaScriptException();
    return false;
  }
  *out = static_cast<uint64_t>(d);
  return true;
}

// Checks that `s` holds at least `need` bytes; `required` refuses an absent Buffer.
bool Fits(Napi::Env env, uint32_t cmd, const Span& s, const char* name, uint64_t need, bool required) {
  if (!s.present) return required ? Throw(env, EINVAL, cmd, std::string(name) + " is required") : true;
  if (s.len < need) {
    return Throw(env, EINVAL, cmd, std::string(name) + " is " + std::to_string(s.len) +
                                       " bytes but the kernel would access " + std::to_string(need));
  }
  return true;
}

bool Absent(Napi::Env env, uint32_t cmd, const Span& s, const char* name) {
  return s.present ? Throw(env, EINVAL, cmd, std::string(name) + " is not used by this command") : true;
}

Napi::Value MapOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t fd = 0;
  if (info.Length() < 1 || !ReadU64(env, info[0], "fd", &fd)) return env.Undefined();
  Failure f;
  int priv = -1;
  if (!DupPrivate(static_cast<uint32_t>(std::min<uint64_t>(fd, UINT32_MAX)), &priv, &f)) {
    Throw(env, f.err, kObjGetInfoByFd, f.message);
    return env.Undefined();
  }
  std::string kind;
  if (!FdKind(priv, &kind) || kind != "anon_inode:bpf-map") {
    close(priv);
    Throw(env, EBADF, kObjGetInfoByFd, "fd is not a BPF map (" + kind + ")");
    return env.Undefined();
  }
  // bpf_map_info up to map_extra.
  constexpr size_t kInfoLen = mi::map_extra + 8;
  alignas(8) uint8_t mapInfo[kInfoLen] = {};
  alignas(8) uint8_t attr[abi::info::kSize] = {};
  StoreU32(attr, abi::info::bpf_fd, static_cast<uint32_t>(priv));
  StoreU32(attr, abi::info::info_len, sizeof mapInfo);
  StorePtr(attr, abi::info::info, mapInfo);
  if (syscall(__NR_bpf, kObjGetInfoByFd, attr, sizeof attr) < 0) {
    int err = errno;
    close(priv);
    Throw(env, err, kObjGetInfoByFd, "cannot read map info");
    return env.Undefined();
  }
  auto* h = new MapHandle();
  h->fd = priv;
  h->type = LoadU32(mapInfo, mi::type);
  h->keySize = LoadU32(mapInfo, mi::key_size);
  h->valueSize = LoadU32(mapInfo, mi::value_size);
  h->maxEntries = LoadU32(mapInfo, mi::max_entries);
  h->mapFlags = LoadU32(mapInfo, mi::map_flags);
  // Kernels before 5.16 return a shorter info (info_len tells): map_extra then reads 0.
  h->mapExtra = LoadU32(attr, abi::info::info_len) >= kInfoLen ? LoadU64(mapInfo, mi::map_extra) : 0;
  uint64_t cpus = 1;
  if (!PossibleCpus(&cpus, &f)) {
    Finalize(env, h);
    Throw(env, f.err, kObjGetInfoByFd, f.message);
    return env.Undefined();
  }
  h->valueBytes = IsPerCpu(h->type) ? ((uint64_t{h->valueSize} + 7) & ~uint64_t{7}) * cpus : h->valueSize;
  Napi::External<MapHandle> ext = Napi::External<MapHandle>::New(env, h, Finalize);
  ext.TypeTag(&kTag);
  Napi::Object out = Napi::Object::New(env);
  if (out.Set("handle", ext).IsNothing() || out.Set("type", h->type).IsNothing() ||
      out.Set("keySize", h->keySize).IsNothing() || out.Set("valueSize", h->valueSize).IsNothing() ||
      out.Set("valueBytes", Napi::Number::New(env, static_cast<double>(h->valueBytes))).IsNothing() ||
      out.Set("maxEntries", h->maxEntries).IsNothing() || out.Set("mapFlags", h->mapFlags).IsNothing() ||
      out.Set("mapExtra", Napi::BigInt::New(env, h->mapExtra)).IsNothing() ||
      out.Set("possibleCpus", Napi::Number::New(env, static_cast<double>(cpus))).IsNothing() ||
      out.Set("pageSize", Napi::Number::New(env, static_cast<double>(sysconf(_SC_PAGESIZE)))).IsNothing()) {
    return env.Undefined();
  }
  return out;
}

// One element operation: checks key/value against the handle's sizes, one bpf() call.
Napi::Value MapElem(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5) {
    Napi::TypeError::New(env, "expected (handle, cmd, key, value, flags)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  MapHandle* h = UnwrapMapHandle(env, info[0]);
  uint64_t cmd64 = 0, flags = 0;
  Span key, value;
  if (h == nullptr || !ReadU64(env, info[1], "cmd", &cmd64) || !ReadSpan(env, info[2], "key", &key) ||
      !ReadSpan(env, info[3], "value", &value) || !ReadU64(env, info[4], "flags", &flags)) {
    return env.Undefined();
  }
  uint32_t cmd = static_cast<uint32_t>(cmd64);
  // Queue, stack and bloom filter maps have key_size 0: the kernel wants a NULL key there.
  bool keyless = h->keySize == 0;
  if (keyless && !Absent(env, cmd, key, "key")) return env.Undefined();
  switch (cmd) {
    case kLookupElem:
    case kLookupAndDeleteElem:
      if (!keyless && !Fits(env, cmd, key, "key", h->keySize, true)) return env.Undefined();
      if (!Fits(env, cmd, value, "value", h->valueBytes, true)) return env.Undefined();
      break;
    case kUpdateElem:
      if (!keyless && !Fits(env, cmd, key, "key", h->keySize, true)) return env.Undefined();
      if (!Fits(env, cmd, value, "value", h->valueBytes, true)) return env.Undefined();
      break;
    case kDeleteElem:
      if (!keyless && !Fits(env, cmd, key, "key", h->keySize, true)) return env.Undefined();
      if (!Absent(env, cmd, value, "value")) return env.Undefined();
      break;
    case kGetNextKey:
      // A NULL key asks for the first key.
      if (!Fits(env, cmd, key, "key", h->keySize, false)) return env.Undefined();
      if (!Fits(env, cmd, value, "next key", h->keySize, true)) return env.Undefined();
      break;
    default:
      Throw(env, EINVAL, cmd, "not an element command");
      return env.Undefined();
  }
  alignas(8) uint8_t attr[me::kSize] = {};
  StoreU32(attr, me::map_fd, static_cast<uint32_t>(h->fd));
  if (key.present) StorePtr(attr, me::key, key.data);
  if (value.present) StorePtr(attr, me::value, value.data);
  StoreU64(attr, me::flags, flags);
  long r = syscall(__NR_bpf, cmd, attr, sizeof attr);
  return Napi::Number::New(env, r < 0 ? -errno : 0);
}

// BPF_MAP_{LOOKUP,LOOKUP_AND_DELETE,UPDATE,DELETE}_BATCH over `count` elements.
Napi::Value MapBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 8) {
    Napi::TypeError::New(env, "expected (handle, cmd, inBatch, outBatch, keys, values, count, elemFlags)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  MapHandle* h = UnwrapMapHandle(env, info[0]);
  uint64_t cmd64 = 0, count = 0, elemFlags = 0;
  Span inBatch, outBatch, keys, values;
  if (h == nullptr || !ReadU64(env, info[1], "cmd", &cmd64) || !ReadSpan(env, info[2], "inBatch", &inBatch) ||
      !ReadSpan(env, info[3], "outBatch", &outBatch) || !ReadSpan(env, info[4], "keys", &keys) ||
      !ReadSpan(env, info[5], "values", &values) || !ReadU64(env, info[6], "count", &count) ||
      !ReadU64(env, info[7], "elemFlags", &elemFlags)) {
    return env.Undefined();
  }
  uint32_t cmd = static_cast<uint32_t>(cmd64);
  if (count > UINT32_MAX) {
    Throw(env, EINVAL, cmd, "count is larger than u32");
    return env.Undefined();
  }
  // The batch token is a u32 bucket for hash maps and a key for the generic (array) code.
  uint64_t token = std::max<uint64_t>(h->keySize, 4);
  uint64_t keyBytes = count * h->keySize, valueBytes = count * h->valueBytes;
  bool ok = true;
  switch (cmd) {
    case kLookupBatch:
    case kLookupAndDeleteBatch:
      ok = Fits(env, cmd, inBatch, "inBatch", token, false) && Fits(env, cmd, outBatch, "outBatch", token, true) &&
           Fits(env, cmd, keys, "keys", keyBytes, true) && Fits(env, cmd, values, "values", valueBytes, true);
      break;
    case kUpdateBatch:
      ok = Absent(env, cmd, inBatch, "inBatch") && Absent(env, cmd, outBatch, "outBatch") &&
           Fits(env, cmd, keys, "keys", keyBytes, true) && Fits(env, cmd, values, "values", valueBytes, true);
      break;
    case kDeleteBatch:
      ok = Absent(env, cmd, inBatch, "inBatch") && Absent(env, cmd, outBatch, "outBatch") &&
           Fits(env, cmd, keys, "keys", keyBytes, true) && Absent(env, cmd, values, "values");
      break;
    default:
      ok = Throw(env, EINVAL, cmd, "not a batch command");
  }
  if (!ok) return env.Undefined();
  alignas(8) uint8_t attr[mb::kSize] = {};
  if (inBatch.present) StorePtr(attr, mb::in_batch, inBatch.data);
  if (outBatch.present) StorePtr(attr, mb::out_batch, outBatch.data);
  StorePtr(attr, mb::keys, keys.data);
  if (values.present) StorePtr(attr, mb::values, values.data);
  StoreU32(attr, mb::count, static_cast<uint32_t>(count));
  StoreU32(attr, mb::map_fd, static_cast<uint32_t>(h->fd));
  StoreU64(attr, mb::elem_flags, elemFlags);
  long r = syscall(__NR_bpf, cmd, attr, sizeof attr);
  int err = r < 0 ? errno : 0;
  // The kernel reports how many elements it processed even when it fails part way.
  uint32_t done = std::min<uint32_t>(LoadU32(attr, mb::count), static_cast<uint32_t>(count));
  Napi::Array out = Napi::Array::New(env, 2);
  if (out.Set(0u, Napi::Number::New(env, -err)).IsNothing() || out.Set(1u, Napi::Number::New(env, done)).IsNothing()) {
    return env.Undefined();
  }
  return out;
}

Napi::Value MapClose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MapHandle* h = info.Length() > 0 ? UnwrapMapHandle(env, info[0]) : nullptr;
  if (h == nullptr) return env.Undefined();
  close(h->fd);
  h->fd = -1;
  return env.Undefined();
}

// pidfdOpen(pid) -> fd: the key of a TASK_STORAGE map from user space is a pidfd (5.3+).
Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t pid = 0;
  if (info.Length() < 1 || !ReadU64(env, info[0], "pid", &pid)) return env.Undefined();
  if (pid == 0 || pid > INT_MAX) {
    Napi::TypeError::New(env, "pid must be a positive process id").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  long fd = syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0u);
  if (fd < 0) {
    int err = errno;
    Napi::Value e = MakeSysError(env, err, 0, "pidfd_open", "", false);
    if (!e.IsEmpty()) Napi::Error(env, e).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // pidfd_open sets O_CLOEXEC itself (the kernel always does for pidfds).
  return Napi::Number::New(env, static_cast<double>(fd));
}

}  // namespace

MapHandle* UnwrapMapHandle(Napi::Env env, const Napi::Value& v) {
  if (!v.IsExternal() || !v.As<Napi::External<MapHandle>>().CheckTypeTag(&kTag)) {
    Napi::TypeError::New(env, "handle must come from mapOpen()").ThrowAsJavaScriptException();
    return nullptr;
  }
  MapHandle* h = v.As<Napi::External<MapHandle>>().Data();
  if (h->fd < 0) {
    Napi::Value e = MakeSysError(env, EBADF, 0, "bpf", "map handle is closed", true);
    if (!e.IsEmpty()) Napi::Error(env, e).ThrowAsJavaScriptException();
    return nullptr;
  }
  return h;
}

bool InitMapHandle(Napi::Env env, Napi::Object exports) {
  return !(exports.Set("mapOpen", Napi::Function::New(env, MapOpen, "mapOpen")).IsNothing() ||
           exports.Set("mapElem", Napi::Function::New(env, MapElem, "mapElem")).IsNothing() ||
           exports.Set("mapBatch", Napi::Function::New(env, MapBatch, "mapBatch")).IsNothing() ||
           exports.Set("mapClose", Napi::Function::New(env, MapClose, "mapClose")).IsNothing() ||
           exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen")).IsNothing());
}

}  // namespace structops
