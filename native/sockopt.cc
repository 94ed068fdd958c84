// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// setsockopt/getsockopt for TCP_CONGESTION only: selecting a registered BPF congestion
// controller on a socket. Other options are refused because some (SO_ATTACH_FILTER, ...)
// take structs holding user pointers, which would let JS bytes steer kernel reads.
#include <napi.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <vector>

#include "js.h"

namespace structops {
namespace {

constexpr int kTcpCongestion = 13;  // linux/tcp.h
constexpr size_t kMaxOptLen = 64;   // TCP_CA_NAME_MAX is 16

bool ReadInt(const Napi::Value& v, int* out) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= INT_MAX) || std::floor(d) != d) return false;
  *out = static_cast<int>(d);
  return true;
}

// Parses (fd, level, name) and checks the option is the one we allow.
bool ReadTarget(const Napi::CallbackInfo& info, int* fd, const char* syscall) {
  Napi::Env env = info.Env();
  int level = 0;
  int name = 0;
  if (info.Length() < 4 || !ReadInt(info[0], fd) || !ReadInt(info[1], &level) || !ReadInt(info[2], &name)) {
    Napi::TypeError::New(env, "expected (fd, level, optname, value) with non-negative integers").ThrowAsJavaScriptException();
    return false;
  }
  if (level != IPPROTO_TCP || name != kTcpCongestion) {
    Napi::Value err = MakeSysError(env, EINVAL, 0, syscall, "only IPPROTO_TCP/TCP_CONGESTION is supported", true);
    if (!err.IsEmpty()) Napi::Error(env, err).ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

void ThrowErrno(Napi::Env env, int err, const char* syscall) {
  Napi::Value e = MakeSysError(env, err, 0, syscall, "", false);
  if (!e.IsEmpty()) Napi::Error(env, e).ThrowAsJavaScriptException();
}

}  // namespace

// setsockopt(fd, level, optname, value: Buffer)
Napi::Value SetSockopt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  if (!ReadTarget(info, &fd, "setsockopt")) return env.Undefined();
  if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    Napi::TypeError::New(env, "value must be a Buffer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array value = info[3].As<Napi::Uint8Array>();
  size_t len = value.ElementLength() < kMaxOptLen ? value.ElementLength() : kMaxOptLen;
  if (setsockopt(fd, IPPROTO_TCP, kTcpCongestion, value.Data(), static_cast<socklen_t>(len)) != 0) {
    ThrowErrno(env, errno, "setsockopt");
  }
  return env.Undefined();
}

// getsockopt(fd, level, optname, size): Buffer of the bytes the kernel wrote
Napi::Value GetSockopt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  int size = 0;
  if (!ReadTarget(info, &fd, "getsockopt")) return env.Undefined();
  if (!ReadInt(info[3], &size) || static_cast<size_t>(size) > kMaxOptLen) {
    Napi::TypeError::New(env, "size must be an integer from 0 to 64").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<uint8_t> out(static_cast<size_t>(size));
  socklen_t len = static_cast<socklen_t>(out.size());
  if (getsockopt(fd, IPPROTO_TCP, kTcpCongestion, out.data(), &len) != 0) {
    ThrowErrno(env, errno, "getsockopt");
    return env.Undefined();
  }
  return Napi::Buffer<uint8_t>::Copy(env, out.data(), len < out.size() ? len : out.size());
}

}  // namespace structops
