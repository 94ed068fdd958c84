// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// The JS side of the addon: argument parsing and error objects shared by the sync and
// async entry points.
#ifndef STRUCT_OPS_NATIVE_JS_H_
#define STRUCT_OPS_NATIVE_JS_H_

#include <napi.h>

#include <cstdint>
#include <string>

#include "commands.h"

namespace structops {

// Parsed (cmd, attr, buffers) arguments. Spans view the JS Buffers' memory.
struct CallArgs {
  uint32_t cmd = 0;
  Napi::Uint8Array attr;
  Napi::Value buffers[kMaxBuffers];
  Span spans[kMaxBuffers];
  size_t nbufs = 0;
};

// Reads bpf(cmd, attr, buffers) arguments; on a type error throws a TypeError naming the
// argument and returns false.
bool ParseCallArgs(const Napi::CallbackInfo& info, CallArgs* out);

// A plain Error with errno, code ('EPERM', 524 -> 'ENOTSUPP'), syscall and command, in the
// shape of Node's system errors. `preflight` marks a call refused before the syscall.
// Empty when creating it threw (an exception is pending).
Napi::Value MakeSysError(Napi::Env env, int err, uint32_t cmd, const char* syscall,
                         const std::string& detail, bool preflight);

// Reads a JS number that is an integer in [0, max] into *out (defined in addon.cc); false
// for anything else (not a number, fractional, negative, NaN, too large).
bool ReadIndex(const Napi::Value& v, double max, double* out);

// errno name ("EPERM"), "ENOTSUPP" for the kernel-internal 524.
std::string ErrnoName(int err);

}  // namespace structops

#endif  // STRUCT_OPS_NATIVE_JS_H_
