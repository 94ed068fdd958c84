// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// gunzip(data: Uint8Array, maxBytes: integer) -> Buffer: one gzip member inflated, at most
// maxBytes long.
//
// Why here: the running kernel's config is /proc/config.gz, read for every object with
// kconfig externs. node:zlib loads node:stream and about 20 modules with it, and its
// gunzipSync runs as cold JavaScript in a fresh process: some 4 ms of a first load of
// such an object (docs/startup.md). zlib itself is in the process already: Node
// re-exports its zlib symbols for addons (doc/api/addons.md), so nothing is linked here.
#include <napi.h>
#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

namespace structops {
namespace {

// Bigger than any caller may ask for: a decompressed kernel config is a few hundred KiB.
constexpr double kMaxOutput = 1 << 30;
// When the output is full it grows by its own size, and by this much at least.
constexpr size_t kMinStep = 64 * 1024;

Napi::Value Fail(Napi::Env env, const std::string& why) {
  Napi::Error::New(env, "gunzip: " + why).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value Gunzip(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      !info[1].IsNumber()) {
    Napi::TypeError::New(env, "gunzip: expected (data: Uint8Array, maxBytes: integer 1..2^30)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double max = info[1].As<Napi::Number>().DoubleValue();
  if (!(max >= 1 && max <= kMaxOutput) || static_cast<double>(static_cast<size_t>(max)) != max) {
    Napi::TypeError::New(env, "gunzip: maxBytes must be an integer 1..2^30").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const size_t maxBytes = static_cast<size_t>(max);
  // Data() is already offset to the view; ElementLength() is the view's own length.
  Napi::Uint8Array data = info[0].As<Napi::Uint8Array>();
  if (data.ElementLength() > UINT32_MAX) return Fail(env, "input over 4 GiB");

  z_stream zs{};
  // 16 + MAX_WBITS: a gzip header and trailer (CRC-32 and length checked), nothing else.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Fail(env, "zlib cannot start (out of memory)");
  zs.next_in = const_cast<Bytef*>(data.Data());
  zs.avail_in = static_cast<uInt>(data.ElementLength());

  // Room for one byte past maxBytes, so that "exactly maxBytes" and "more" differ.
  const size_t limit = maxBytes + 1;
  const std::string tooBig = "inflates to more than " + std::to_string(maxBytes) + " bytes";
  std::vector<uint8_t> out;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (out.size() == limit) {
      inflateEnd(&zs);
      return Fail(env, tooBig);
    }
    size_t used = out.size();
    size_t step = used < kMinStep ? kMinStep : used;
    out.resize(step > limit - used ? limit : used + step);
    zs.next_out = out.data() + used;
    zs.avail_out = static_cast<uInt>(out.size() - used);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(out.size() - zs.avail_out);
    if (rc == Z_STREAM_END) break;
    // Z_BUF_ERROR with input left means the output was full: go round and grow it.
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      inflateEnd(&zs);
      return Fail(env, "truncated gzip data");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      std::string why = zs.msg != nullptr ? zs.msg : "zlib error " + std::to_string(rc);
      inflateEnd(&zs);
      return Fail(env, why);
    }
  }
  size_t trailing = zs.avail_in;
  inflateEnd(&zs);
  if (out.size() > maxBytes) return Fail(env, tooBig);
  if (trailing != 0) return Fail(env, std::to_string(trailing) + " bytes after the gzip member");
  return Napi::Buffer<uint8_t>::Copy(env, out.data(), out.size());
}

}  // namespace

bool InitGunzip(Napi::Env env, Napi::Object exports) {
  return !exports.Set("gunzip", Napi::Function::New(env, Gunzip, "gunzip")).IsNothing();
}

}  // namespace structops
