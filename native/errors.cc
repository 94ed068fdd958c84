// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// Error objects in the shape of Node's system errors, built here and wrapped in BpfError
// by lib/sys.
#include <cstring>
#include <string>

#include "js.h"

namespace structops {

std::string ErrnoName(int err) {
  // 524 is the kernel-internal ENOTSUPP (e.g. MAP_FREEZE on a struct_ops map); libc has
  // no name for it.
  if (err == 524) return "ENOTSUPP";
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "ERRNO_" + std::to_string(err);
}

Napi::Value MakeSysError(Napi::Env env, int err, uint32_t cmd, const char* syscall,
                         const std::string& detail, bool preflight) {
  std::string text = err == 524 ? "Operation not supported" : std::strerror(err);
  std::string message = std::string(syscall) + "(" + std::to_string(cmd) + "): " + text;
  if (!detail.empty()) message += " (" + detail + ")";
  Napi::Object obj = Napi::Error::New(env, message).Value();
  // Set returns Nothing only when a JS exception is already pending.
  if (obj.Set("errno", Napi::Number::New(env, err)).IsNothing() ||
      obj.Set("code", Napi::String::New(env, ErrnoName(err))).IsNothing() ||
      obj.Set("syscall", Napi::String::New(env, syscall)).IsNothing() ||
      obj.Set("command", Napi::Number::New(env, cmd)).IsNothing() ||
      obj.Set("preflight", Napi::Boolean::New(env, preflight)).IsNothing()) {
    return Napi::Value();
  }
  // The reason alone, so lib/sys can phrase its own message without parsing ours.
  if (!detail.empty() && obj.Set("detail", Napi::String::New(env, detail)).IsNothing()) {
    return Napi::Value();
  }
  return obj;
}

}  // namespace structops
