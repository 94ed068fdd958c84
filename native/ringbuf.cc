// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// BPF_MAP_TYPE_RINGBUF consumer and BPF_MAP_TYPE_USER_RINGBUF producer over the map's
// mmapped pages.
//
//   ringbufOpen(mapHandle) -> reader      consumer page RW, producer page + data RO
//   ringbufRead(reader, out, maxRecords) -> bytes written to `out` (records as
//       [u32 len][u32 advance][data, padded to 8], `advance` = how far the record moves
//       the consumer position, discarded records before it included); -(bytes needed)
//       when the first pending record does not fit. Reads from the consumer position and
//       never moves it, except past records that were all discarded
//   ringbufCommit(reader, bytes)          releases `bytes` of consumed records to the kernel
//   ringbufWait(reader, callback)         calls callback(errno) once the fd is readable,
//       through uv_poll on the loop's epoll: no thread, no busy polling
//   ringbufClose(reader)                  stops the poll, unmaps, closes the private fd
//   userRingbufOpen(mapHandle) / userRingbufSubmit(writer, data) -> 0 | -errno /
//   userRingbufClose(writer)
//
// The kernel owns the producer position and record headers: every length read from the
// shared pages is checked against the ring size before it is used. The producer position
// is loaded with acquire semantics (record bytes are visible once it is), and the consumer
// position is stored with release only when JS asks for more records, so unread records
// keep their space in the ring (backpressure: the program's reserve fails instead).
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>

#include "abi_generated.h"
#include "attr_bytes.h"
#include "js.h"
#include "map_handle.h"

namespace structops {
namespace {

// include/uapi/linux/bpf.h
constexpr uint32_t kRingbufBusyBit = 1u << 31;
constexpr uint32_t kRingbufDiscardBit = 1u << 30;
constexpr uint32_t kRingbufHdrSz = 8;
constexpr uint32_t kMapTypeRingbuf = abi::BPF_MAP_TYPE_RINGBUF;
constexpr uint32_t kMapTypeUserRingbuf = abi::BPF_MAP_TYPE_USER_RINGBUF;

constexpr napi_type_tag kReaderTag = {0x5f7374727563746fULL, 0x70733a7262526431ULL};
constexpr napi_type_tag kWriterTag = {0x5f7374727563746fULL, 0x70733a7262577231ULL};

// The two mappings of one ring: a control page, and a page + the data area mapped twice
// (the kernel maps it so that a record that wraps is contiguous in user space).
struct Ring {
  int fd = -1;
  uint8_t* ctrl = nullptr;  // consumer page (reader: RW; writer: RO)
  uint8_t* prod = nullptr;  // producer page, then data twice
  size_t page = 0;
  uint64_t size = 0;  // data bytes (max_entries, a power of 2 and page multiple)
  uint8_t* data() const { return prod + page; }
  uint64_t* consumerPos() const { return reinterpret_cast<uint64_t*>(ctrl); }
  uint64_t* producerPos() const { return reinterpret_cast<uint64_t*>(prod); }
};

struct Reader {
  Ring ring;
  uv_poll_t* poll = nullptr;
  napi_env env = nullptr;
  Napi::FunctionReference callback;  // set only while waiting
  Napi::AsyncContext* async = nullptr;
  bool closed = false;
};

struct Writer {
  Ring ring;
  bool closed = false;
};

bool ThrowSys(Napi::Env env, int err, const std::string& why) {
  Napi::Value e = MakeSysError(env, err, 0, "ringbuf", why, true);
  if (!e.IsEmpty()) Napi::Error(env, e).ThrowAsJavaScriptException();
  return false;
}

void UnmapRing(Ring* r) {
  if (r->ctrl != nullptr) munmap(r->ctrl, r->page);
  if (r->prod != nullptr) munmap(r->prod, r->page + 2 * r->size);
  if (r->fd >= 0) close(r->fd);
  r->ctrl = r->prod = nullptr;
  r->fd = -1;
}

// Maps `h`'s ring: consumer page at offset 0, producer page + data at offset page_size.
bool MapRing(Napi::Env env, const MapHandle* h, bool userRing, Ring* r) {
  uint32_t want = userRing ? kMapTypeUserRingbuf : kMapTypeRingbuf;
  if (h->type != want) {
    return ThrowSys(env, EINVAL, std::string("map type ") + std::to_string(h->type) + " is not " +
                                     (userRing ? "BPF_MAP_TYPE_USER_RINGBUF" : "BPF_MAP_TYPE_RINGBUF"));
  }
  long page = sysconf(_SC_PAGESIZE);
  uint64_t size = h->maxEntries;
  // The kernel enforces this at create; a different answer means the map is not a ring.
  if (page <= 0 || size == 0 || (size & (size - 1)) != 0 || size % static_cast<uint64_t>(page) != 0) {
    return ThrowSys(env, EINVAL, "ring size " + std::to_string(size) + " is not a power-of-2 multiple of the page size");
  }
  r->page = static_cast<size_t>(page);
  r->size = size;
  r->fd = fcntl(h->fd, F_DUPFD_CLOEXEC, 0);
  if (r->fd < 0) return ThrowSys(env, errno, "cannot duplicate the map fd");
  void* ctrl = mmap(nullptr, r->page, userRing ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
  if (ctrl == MAP_FAILED) {
    int err = errno;
    UnmapRing(r);
    return ThrowSys(env, err, "cannot mmap the consumer page");
  }
  r->ctrl = static_cast<uint8_t*>(ctrl);
  void* prod = mmap(nullptr, r->page + 2 * size, userRing ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, r->fd,
                    static_cast<off_t>(r->page));
  if (prod == MAP_FAILED) {
    int err = errno;
    UnmapRing(r);
    return ThrowSys(env, err, "cannot mmap the producer page and data");
  }
  r->prod = static_cast<uint8_t*>(prod);
  return true;
}

void StopPoll(Reader* rd) {
  if (rd->poll == nullptr) return;
  uv_poll_stop(rd->poll);
  rd->poll->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(rd->poll), [](uv_handle_t* handle) {
    delete reinterpret_cast<uv_poll_t*>(handle);
  });
  rd->poll = nullptr;
}

void CloseReader(Reader* rd) {
  if (rd->closed) return;
  rd->closed = true;
  StopPoll(rd);
  rd->callback.Reset();
  UnmapRing(&rd->ring);
}

void FinalizeReader(Napi::Env, Reader* rd) {
  CloseReader(rd);
  delete rd->async;
  delete rd;
}

void FinalizeWriter(Napi::Env, Writer* w) {
  UnmapRing(&w->ring);
  delete w;
}

template <typename T>
T* Unwrap(Napi::Env env, const Napi::Value& v, const napi_type_tag* tag, const char* what) {
  if (!v.IsExternal() || !v.As<Napi::External<T>>().CheckTypeTag(tag)) {
    Napi::TypeError::New(env, std::string(what) + " must come from its open function").ThrowAsJavaScriptException();
    return nullptr;
  }
  T* p = v.As<Napi::External<T>>().Data();
  if (p->closed) {
    ThrowSys(env, EBADF, std::string(what) + " is closed");
    return nullptr;
  }
  return p;
}

Napi::Value RingbufOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MapHandle* h = info.Length() > 0 ? UnwrapMapHandle(env, info[0]) : nullptr;
  if (h == nullptr) return env.Undefined();
  auto* rd = new Reader();
  if (!MapRing(env, h, false, &rd->ring)) {
    delete rd;
    return env.Undefined();
  }
  rd->env = env;
  rd->async = new Napi::AsyncContext(env, "struct_ops:ringbuf");
  Napi::External<Reader> ext = Napi::External<Reader>::New(env, rd, FinalizeReader);
  ext.TypeTag(&kReaderTag);
  return ext;
}

Napi::Value RingbufRead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "expected (reader, out: Buffer, maxRecords: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Reader* rd = Unwrap<Reader>(env, info[0], &kReaderTag, "reader");
  if (rd == nullptr) return env.Undefined();
  Napi::Uint8Array out = info[1].As<Napi::Uint8Array>();
  double maxd = info[2].As<Napi::Number>().DoubleValue();
  uint64_t maxRecords = maxd >= 1 ? static_cast<uint64_t>(maxd) : 1;
  const Ring& r = rd->ring;
  const uint64_t mask = r.size - 1;
  // Only this reader moves the consumer position, so a plain load is current.
  const uint64_t cons = __atomic_load_n(r.consumerPos(), __ATOMIC_RELAXED);
  uint64_t prodPos = __atomic_load_n(r.producerPos(), __ATOMIC_ACQUIRE);
  // A producer position behind us or more than a ring ahead is no state the kernel makes.
  if (prodPos < cons || prodPos - cons > r.size) {
    ThrowSys(env, EIO, "producer position out of range");
    return env.Undefined();
  }
  uint64_t cursor = cons;
  uint64_t recordStart = cons;  // where the advance of the next copied record starts
  size_t written = 0;
  uint64_t records = 0;
  while (cursor < prodPos && records < maxRecords) {
    const uint8_t* hdr = r.data() + (cursor & mask);
    uint32_t word = __atomic_load_n(reinterpret_cast<const uint32_t*>(hdr), __ATOMIC_ACQUIRE);
    if (word & kRingbufBusyBit) break;  // reserved, not yet submitted
    uint64_t len = word & ~(kRingbufBusyBit | kRingbufDiscardBit);
    uint64_t total = (len + kRingbufHdrSz + 7) & ~uint64_t{7};
    if (total > prodPos - cursor) {
      ThrowSys(env, EIO, "record of " + std::to_string(len) + " bytes runs past the producer position");
      return env.Undefined();
    }
    if (!(word & kRingbufDiscardBit)) {
      size_t need = kRingbufHdrSz + ((len + 7) & ~uint64_t{7});
      if (written + need > out.ElementLength()) {
        if (written == 0) return Napi::Number::New(env, -static_cast<double>(need));
        break;
      }
      uint8_t* dst = out.Data() + written;
      StoreU32(dst, 0, static_cast<uint32_t>(len));
      StoreU32(dst, 4, static_cast<uint32_t>(cursor + total - recordStart));
      // Data follows the header; the double mapping keeps a wrapped record contiguous.
      std::memcpy(dst + kRingbufHdrSz, hdr + kRingbufHdrSz, len);
      std::memset(dst + kRingbufHdrSz + len, 0, need - kRingbufHdrSz - len);
      written += need;
      records++;
      recordStart = cursor + total;
    }
    cursor += total;
  }
  // Only discarded records: nothing to hand out, so release them now (else the fd stays
  // readable and a waiting reader would wake for nothing, forever).
  if (records == 0 && cursor != cons) __atomic_store_n(r.consumerPos(), cursor, __ATOMIC_RELEASE);
  return Napi::Number::New(env, static_cast<double>(written));
}

Napi::Value RingbufCommit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "expected (reader, bytes: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Reader* rd = Unwrap<Reader>(env, info[0], &kReaderTag, "reader");
  if (rd == nullptr) return env.Undefined();
  double bytesd = info[1].As<Napi::Number>().DoubleValue();
  const Ring& r = rd->ring;
  uint64_t cons = __atomic_load_n(r.consumerPos(), __ATOMIC_RELAXED);
  uint64_t prod = __atomic_load_n(r.producerPos(), __ATOMIC_ACQUIRE);
  // Never past what the producer published, never by a count that is not 8-byte records.
  if (!(bytesd >= 0) || bytesd > static_cast<double>(prod - cons) || std::fmod(bytesd, 8) != 0) {
    ThrowSys(env, EINVAL, "commit of " + std::to_string(bytesd) + " bytes is not within the published records");
    return env.Undefined();
  }
  // Release: our reads of the records happen before the kernel may reuse their space.
  __atomic_store_n(r.consumerPos(), cons + static_cast<uint64_t>(bytesd), __ATOMIC_RELEASE);
  return env.Undefined();
}

void OnReadable(uv_poll_t* handle, int status, int) {
  auto* rd = static_cast<Reader*>(handle->data);
  if (rd == nullptr) return;
  // One wake-up per wait: the fd stays readable until records are consumed, and a
  // level-triggered poll left running would spin the loop.
  uv_poll_stop(handle);
  Napi::Env env(rd->env);
  Napi::HandleScope scope(env);
  Napi::Function fn = rd->callback.Value();
  rd->callback.Reset();
  if (fn.IsEmpty()) return;
  int err = status < 0 ? -status : 0;
  fn.MakeCallback(env.Global(), {Napi::Number::New(env, err)}, *rd->async);
}

Napi::Value RingbufWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "expected (reader, callback)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Reader* rd = Unwrap<Reader>(env, info[0], &kReaderTag, "reader");
  if (rd == nullptr) return env.Undefined();
  if (!rd->callback.IsEmpty()) {
    ThrowSys(env, EBUSY, "a wait is already pending on this reader");
    return env.Undefined();
  }
  if (rd->poll == nullptr) {
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      ThrowSys(env, EINVAL, "no event loop");
      return env.Undefined();
    }
    auto* poll = new uv_poll_t();
    int rc = uv_poll_init(loop, poll, rd->ring.fd);
    if (rc != 0) {
      delete poll;
      ThrowSys(env, -rc, "uv_poll_init failed");
      return env.Undefined();
    }
    poll->data = rd;
    rd->poll = poll;
  }
  int rc = uv_poll_start(rd->poll, UV_READABLE, OnReadable);
  if (rc != 0) {
    ThrowSys(env, -rc, "uv_poll_start failed");
    return env.Undefined();
  }
  rd->callback = Napi::Persistent(info[1].As<Napi::Function>());
  return env.Undefined();
}

Napi::Value RingbufClose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsExternal() ||
      !info[0].As<Napi::External<Reader>>().CheckTypeTag(&kReaderTag)) {
    Napi::TypeError::New(env, "reader must come from ringbufOpen()").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  CloseReader(info[0].As<Napi::External<Reader>>().Data());
  return env.Undefined();
}

Napi::Value UserRingbufOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MapHandle* h = info.Length() > 0 ? UnwrapMapHandle(env, info[0]) : nullptr;
  if (h == nullptr) return env.Undefined();
  auto* w = new Writer();
  if (!MapRing(env, h, true, &w->ring)) {
    delete w;
    return env.Undefined();
  }
  Napi::External<Writer> ext = Napi::External<Writer>::New(env, w, FinalizeWriter);
  ext.TypeTag(&kWriterTag);
  return ext;
}

// Reserves, fills and submits one record: 0, or -ENOSPC when the ring is full.
Napi::Value UserRingbufSubmit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    Napi::TypeError::New(env, "expected (writer, data: Buffer)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Writer* w = Unwrap<Writer>(env, info[0], &kWriterTag, "writer");
  if (w == nullptr) return env.Undefined();
  Napi::Uint8Array data = info[1].As<Napi::Uint8Array>();
  const Ring& r = w->ring;
  uint64_t len = data.ElementLength();
  uint64_t total = (len + kRingbufHdrSz + 7) & ~uint64_t{7};
  // The kernel refuses samples with the busy/discard bits or larger than the ring.
  if (len >= kRingbufDiscardBit || total > r.size) return Napi::Number::New(env, -E2BIG);
  uint64_t cons = __atomic_load_n(r.consumerPos(), __ATOMIC_ACQUIRE);
  uint64_t prod = __atomic_load_n(r.producerPos(), __ATOMIC_ACQUIRE);
  if (prod < cons || prod - cons > r.size) {
    ThrowSys(env, EIO, "consumer position out of range");
    return env.Undefined();
  }
  if (prod - cons + total > r.size) return Napi::Number::New(env, -ENOSPC);
  uint8_t* hdr = r.data() + (prod & (r.size - 1));
  std::memcpy(hdr + kRingbufHdrSz, data.Data(), len);
  StoreU32(hdr, 4, 0);
  // Header, then producer position, each with release: the kernel loads both with acquire.
  __atomic_store_n(reinterpret_cast<uint32_t*>(hdr), static_cast<uint32_t>(len), __ATOMIC_RELEASE);
  __atomic_store_n(r.producerPos(), prod + total, __ATOMIC_RELEASE);
  return Napi::Number::New(env, 0);
}

Napi::Value UserRingbufClose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsExternal() ||
      !info[0].As<Napi::External<Writer>>().CheckTypeTag(&kWriterTag)) {
    Napi::TypeError::New(env, "writer must come from userRingbufOpen()").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Writer* w = info[0].As<Napi::External<Writer>>().Data();
  w->closed = true;
  UnmapRing(&w->ring);
  return env.Undefined();
}

}  // namespace

bool InitRingbuf(Napi::Env env, Napi::Object exports) {
  return !(exports.Set("ringbufOpen", Napi::Function::New(env, RingbufOpen, "ringbufOpen")).IsNothing() ||
           exports.Set("ringbufRead", Napi::Function::New(env, RingbufRead, "ringbufRead")).IsNothing() ||
           exports.Set("ringbufCommit", Napi::Function::New(env, RingbufCommit, "ringbufCommit")).IsNothing() ||
           exports.Set("ringbufWait", Napi::Function::New(env, RingbufWait, "ringbufWait")).IsNothing() ||
           exports.Set("ringbufClose", Napi::Function::New(env, RingbufClose, "ringbufClose")).IsNothing() ||
           exports.Set("userRingbufOpen", Napi::Function::New(env, UserRingbufOpen, "userRingbufOpen")).IsNothing() ||
           exports.Set("userRingbufSubmit", Napi::Function::New(env, UserRingbufSubmit, "userRingbufSubmit")).IsNothing() ||
           exports.Set("userRingbufClose", Napi::Function::New(env, UserRingbufClose, "userRingbufClose")).IsNothing());
}

}  // namespace structops
