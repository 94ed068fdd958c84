// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// struct_ops.node exports: bpf(cmd, attr, buffers), bpfAsync(cmd, attr, buffers), close(fd),
// setsockopt/getsockopt limited to TCP_CONGESTION (sockopt.cc), perf_event_open for
// tracepoints only (perf_event.cc), map handles for one-syscall
// element operations (map_handle.cc), ring buffers (ringbuf.cc) and map mmaps (mapped.cc).
// Plain functions with no native state: everything a call needs is in its arguments.
#include <napi.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cmath>

#include "commands.h"
#include "js.h"
#include "map_handle.h"

namespace structops {

Napi::Value BpfAsync(const Napi::CallbackInfo& info);    // async.cc
Napi::Value SetSockopt(const Napi::CallbackInfo& info);  // sockopt.cc
Napi::Value GetSockopt(const Napi::CallbackInfo& info);  // sockopt.cc
Napi::Value PerfEventOpenTracepoint(const Napi::CallbackInfo& info);  // perf_event.cc

bool ReadIndex(const Napi::Value& v, double max, double* out) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= max) || std::floor(d) != d) return false;
  *out = d;
  return true;
}

namespace {

bool ThrowType(Napi::Env env, const char* message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return false;
}

// bpf(cmd, attr, buffers): runs one checked bpf() call on this thread; returns its result.
Napi::Value Bpf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CallArgs args;
  if (!ParseCallArgs(info, &args)) return env.Undefined();
  Call call;
  Failure refusal;
  if (!call.Prepare(args.cmd, args.attr.Data(), args.attr.ElementLength(), args.spans, args.nbufs,
                    &refusal)) {
    Napi::Value err = MakeSysError(env, refusal.err, args.cmd, "bpf", refusal.message, true);
    if (!err.IsEmpty()) Napi::Error(env, err).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  long r = call.Run();
  call.CopyOut(args.attr.Data(), args.attr.ElementLength());
  if (r < 0) {
    Napi::Value err = MakeSysError(env, static_cast<int>(-r), args.cmd, "bpf", "", false);
    if (!err.IsEmpty()) Napi::Error(env, err).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(r));
}

// close(fd): closes a descriptor this process owns.
Napi::Value Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double fd = 0;
  if (info.Length() < 1 || !ReadIndex(info[0], INT_MAX, &fd)) {
    ThrowType(env, "fd must be a non-negative integer");
    return env.Undefined();
  }
  // Linux releases the fd even when close() reports EINTR, so that is not an error.
  int rc = close(static_cast<int>(fd));
  int saved = errno;
  if (rc != 0 && saved != EINTR) {
    Napi::Value err = MakeSysError(env, saved, 0, "close", "", false);
    if (!err.IsEmpty()) Napi::Error(env, err).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

}  // namespace

bool ParseCallArgs(const Napi::CallbackInfo& info, CallArgs* out) {
  Napi::Env env = info.Env();
  double cmd = 0;
  if (info.Length() < 3) return ThrowType(env, "expected (cmd, attr, buffers)");
  if (!ReadIndex(info[0], UINT32_MAX, &cmd)) return ThrowType(env, "cmd must be a non-negative integer");
  out->cmd = static_cast<uint32_t>(cmd);
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    return ThrowType(env, "attr must be a Buffer");
  }
  out->attr = info[1].As<Napi::Uint8Array>();
  if (!info[2].IsArray()) return ThrowType(env, "buffers must be an array");
  Napi::Array list = info[2].As<Napi::Array>();
  if (list.Length() > kMaxBuffers) return ThrowType(env, "buffers has too many entries");
  out->nbufs = list.Length();
  for (uint32_t i = 0; i < out->nbufs; i++) {
    Napi::Value v;
    if (!list.Get(i).UnwrapTo(&v)) return false;  // a getter threw
    out->buffers[i] = v;
    if (v.IsNull() || v.IsUndefined()) continue;
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      return ThrowType(env, "buffers entries must be Buffers or null");
    }
    // Data() is already offset to the view: pooled small Buffers share one ArrayBuffer.
    Napi::Uint8Array b = v.As<Napi::Uint8Array>();
    out->spans[i] = Span{b.Data(), b.ElementLength(), true};
  }
  return true;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  if (exports.Set("bpf", Napi::Function::New(env, Bpf, "bpf")).IsNothing() ||
      exports.Set("bpfAsync", Napi::Function::New(env, BpfAsync, "bpfAsync")).IsNothing() ||
      exports.Set("close", Napi::Function::New(env, Close, "close")).IsNothing() ||
      exports.Set("setsockopt", Napi::Function::New(env, SetSockopt, "setsockopt")).IsNothing() ||
      exports.Set("getsockopt", Napi::Function::New(env, GetSockopt, "getsockopt")).IsNothing() ||
      exports.Set("perfEventOpenTracepoint",
                  Napi::Function::New(env, PerfEventOpenTracepoint, "perfEventOpenTracepoint")).IsNothing() ||
      !InitMapHandle(env, exports) || !InitRingbuf(env, exports) || !InitMapped(env, exports) ||
      !InitFileMap(env, exports) || !InitCrc32(env, exports) || !InitGunzip(env, exports)) {
    return exports;
  }
  return exports;
}

}  // namespace structops

// NODE_API_MODULE pastes the name into an identifier, so it needs an unqualified one.
static Napi::Object InitStructOps(Napi::Env env, Napi::Object exports) {
  return structops::Init(env, exports);
}

NODE_API_MODULE(struct_ops, InitStructOps)
