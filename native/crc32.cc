// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// crc32(data: Uint8Array, value?: uint32) -> uint32: the CRC-32 of zlib and gzip (IEEE
// 802.3, reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF), continuing
// from `value` as zlib's crc32(value, data) does.
//
// Why here: the kernel BTF index cache (lib/btf/index-cache.ts, vmlinux-index.ts) checks
// its file with it, and node:zlib, the other source of it, loads node:stream and about 20
// modules with it: some 2 ms of every command that reads kernel BTF (docs/startup.md).
// Eight tables of 256 entries let the loop take 8 bytes a step ("slicing by 8").
#include <napi.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace structops {
namespace {

using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[0][n] = c;
  }
  // t[s][n]: the CRC of byte n followed by s zero bytes.
  for (uint32_t n = 0; n < 256; n++) {
    for (int s = 1; s < 8; s++) t[s][n] = (t[s - 1][n] >> 8) ^ t[0][t[s - 1][n] & 0xff];
  }
  return t;
}

constexpr Tables kTables = MakeTables();

uint32_t Update(uint32_t crc, const uint8_t* p, size_t n) {
  uint32_t c = ~crc;
  while (n >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);  // little-endian hosts only (x86-64, arm64): the words as bytes
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = kTables[7][lo & 0xff] ^ kTables[6][(lo >> 8) & 0xff] ^ kTables[5][(lo >> 16) & 0xff] ^ kTables[4][lo >> 24] ^
        kTables[3][hi & 0xff] ^ kTables[2][(hi >> 8) & 0xff] ^ kTables[1][(hi >> 16) & 0xff] ^ kTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xff];
  return ~c;
}

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "crc32.cc reads words as little-endian bytes");

Napi::Value Crc32(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    Napi::TypeError::New(env, "crc32: expected (data: Uint8Array, value?: integer 0..2^32-1)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint32_t start = 0;
  if (info.Length() >= 2 && !info[1].IsUndefined()) {
    double v = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1;
    if (!(v >= 0 && v <= 4294967295.0) || static_cast<double>(static_cast<uint32_t>(v)) != v) {
      Napi::TypeError::New(env, "crc32: value must be an integer 0..2^32-1").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    start = static_cast<uint32_t>(v);
  }
  // Data() is already offset to the view; ElementLength() is the view's own length.
  Napi::Uint8Array data = info[0].As<Napi::Uint8Array>();
  return Napi::Number::New(env, Update(start, data.Data(), data.ElementLength()));
}

}  // namespace

bool InitCrc32(Napi::Env env, Napi::Object exports) {
  return !exports.Set("crc32", Napi::Function::New(env, Crc32, "crc32")).IsNothing();
}

}  // namespace structops
