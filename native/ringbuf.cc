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
//   ringbufReadBatch(reader, data, offsets, lengths, maxRecords) -> count, or -(bytes
//       needed) when the first pending record does not fit `data`. Copies the submitted
//       records from the consumer position into `data`, each padded to 8 bytes, and writes
//       where each one lies: record i < count is data[offsets[i], + lengths[i]). At most
//       maxRecords and as many as offsets, lengths and data hold. Discarded records are
//       skipped. Never moves the consumer position (except past only-discarded records):
//       the position after the batch is kept in the reader until ringbufReleaseBatch
//   ringbufReleaseBatch(reader)           moves the consumer position past the last batch
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
#include <algorithm>
#include <cstdint>
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
  // Ring position after the records ringbufReadBatch handed out, 0 when none is pending.
  uint64_t batchEnd = 0;
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

bool IsTypedArrayOf(const Napi::Value& v, napi_typedarray_type type) {
  return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == type;
}

struct BatchWalk {
  enum Status { kDone, kCorrupt, kTooBig } status = kDone;
  uint64_t cursor = 0;     // ring position after the last record walked (discarded included)
  uint64_t count = 0;      // records copied
  uint64_t badLength = 0;  // kCorrupt: the header's length; kTooBig: the bytes needed
};

// Copies the submitted records in [cons, prodPos) into out[0, room) as whole 8-byte words,
// at most maxRecords, writing each one's offset and length; skips discarded records; stops
// at the first busy one. A function of its own, with nothing of N-API live, so the loop
// keeps its state in registers.
__attribute__((noinline)) BatchWalk WalkBatch(const uint8_t* ring, uint64_t mask, uint64_t cons, uint64_t prodPos, uint8_t* out, uint64_t room,
                    uint32_t* offs, uint32_t* lens, uint64_t maxRecords) {
  BatchWalk w;
  uint64_t cursor = cons;
  uint64_t written = 0;
  uint64_t count = 0;
  // The walk is a dependency chain (a header's length gives the next header's place) that
  // would wait a load latency per record. Records of one program mostly have one size: the
  // next header is taken at the last record's stride and the branch checking that guess is
  // predicted, so the CPU runs ahead on the guess instead of waiting for the load.
  uint64_t stride = 0;
  while (cursor < prodPos && count < maxRecords) {
    const uint8_t* hdr = ring + (cursor & mask);
    // The ring was just written by the producer, likely on another core: fetching a page
    // ahead hides the misses (measured: 4096 beat 256 and 1024 with 16-byte records). A
    // prefetch never faults, so running past the mapping's end is harmless.
    __builtin_prefetch(hdr + 4096);
    uint64_t next = cursor + stride;
    // Opaque to the compiler, which would otherwise prove next == cursor + total below and
    // step by the loaded length again.
    __asm__("" : "+r"(next));
    // Acquire: the record's bytes are visible once its header says it was submitted.
    uint32_t word = __atomic_load_n(reinterpret_cast<const uint32_t*>(hdr), __ATOMIC_ACQUIRE);
    if (word & kRingbufBusyBit) break;  // reserved, not yet submitted: later ones wait too
    uint64_t len = word & ~(kRingbufBusyBit | kRingbufDiscardBit);
    uint64_t total = (len + kRingbufHdrSz + 7) & ~uint64_t{7};
    if (__builtin_expect(total > prodPos - cursor, 0)) {
      w.status = BatchWalk::kCorrupt;
      w.badLength = len;
      break;
    }
    if (__builtin_expect(!(word & kRingbufDiscardBit), 1)) {
      // Whole 8-byte words, the padding included: it lies inside the record's space.
      uint64_t padded = total - kRingbufHdrSz;
      if (__builtin_expect(padded > room - written, 0)) {
        if (count == 0) {
          w.status = BatchWalk::kTooBig;
          w.badLength = padded;
        }
        break;
      }
      // The double mapping keeps a wrapped record contiguous.
      const uint8_t* src = hdr + kRingbufHdrSz;
      if (padded == 16) {
        std::memcpy(out + written, src, 16);  // the common small record, inlined
      } else {
        std::memcpy(out + written, src, padded);
      }
      offs[count] = static_cast<uint32_t>(written);
      lens[count] = static_cast<uint32_t>(len);
      written += padded;
      count++;
    }
    if (__builtin_expect(total != stride, 0)) {
      // A branch, not a conditional move (which would wait for the load): volatile asm
      // cannot be if-converted.
      __asm__ volatile("");
      next = cursor + total;
      stride = total;
    }
    cursor = next;
  }
  w.cursor = cursor;
  w.count = count;
  return w;
}

Napi::Value RingbufReadBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !IsTypedArrayOf(info[1], napi_uint8_array) ||
      !IsTypedArrayOf(info[2], napi_uint32_array) || !IsTypedArrayOf(info[3], napi_uint32_array) ||
      !info[4].IsNumber()) {
    Napi::TypeError::New(env, "expected (reader, data: Buffer, offsets: Uint32Array, lengths: Uint32Array, maxRecords: number)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Reader* rd = Unwrap<Reader>(env, info[0], &kReaderTag, "reader");
  if (rd == nullptr) return env.Undefined();
  Napi::Uint8Array data = info[1].As<Napi::Uint8Array>();
  Napi::Uint32Array offsets = info[2].As<Napi::Uint32Array>();
  Napi::Uint32Array lengths = info[3].As<Napi::Uint32Array>();
  double maxd = info[4].As<Napi::Number>().DoubleValue();
  // Offsets are u32: a data buffer past 4 GiB is used up to 4 GiB.
  const uint64_t room = std::min<uint64_t>(data.ElementLength(), UINT32_MAX);
  uint64_t maxRecords = std::min<uint64_t>(offsets.ElementLength(), lengths.ElementLength());
  if (maxd < static_cast<double>(maxRecords)) maxRecords = maxd >= 1 ? static_cast<uint64_t>(maxd) : 1;
  if (maxRecords == 0) {
    ThrowSys(env, EINVAL, "offsets and lengths have no room for a record");
    return env.Undefined();
  }
  const Ring& r = rd->ring;
  const uint64_t mask = r.size - 1;
  // Only this reader moves the consumer position, so a plain load is current.
  const uint64_t cons = __atomic_load_n(r.consumerPos(), __ATOMIC_RELAXED);
  const uint64_t prodPos = __atomic_load_n(r.producerPos(), __ATOMIC_ACQUIRE);
  if (prodPos < cons || prodPos - cons > r.size) {
    ThrowSys(env, EIO, "producer position out of range");
    return env.Undefined();
  }
  BatchWalk walk = WalkBatch(r.data(), mask, cons, prodPos, data.Data(), room, offsets.Data(), lengths.Data(), maxRecords);
  const uint64_t cursor = walk.cursor;
  const uint64_t count = walk.count;
  if (walk.status == BatchWalk::kCorrupt) {
    ThrowSys(env, EIO, "record of " + std::to_string(walk.badLength) + " bytes runs past the producer position");
    return env.Undefined();
  }
  if (walk.status == BatchWalk::kTooBig) {
    // Even alone the first record does not fit: release the discarded records before it,
    // say the size.
    if (cursor != cons) __atomic_store_n(r.consumerPos(), cursor, __ATOMIC_RELEASE);
    rd->batchEnd = 0;
    return Napi::Number::New(env, -static_cast<double>(walk.badLength));
  }
  if (count == 0) {
    // Only discarded records: release them now (else the fd stays readable and a waiting
    // reader would wake for nothing, forever).
    if (cursor != cons) __atomic_store_n(r.consumerPos(), cursor, __ATOMIC_RELEASE);
    rd->batchEnd = 0;
    return Napi::Number::New(env, 0);
  }
  rd->batchEnd = cursor;
  return Napi::Number::New(env, static_cast<double>(count));
}

Napi::Value RingbufReleaseBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Reader* rd = info.Length() > 0 ? Unwrap<Reader>(env, info[0], &kReaderTag, "reader") : nullptr;
  if (rd == nullptr) {
    if (!env.IsExceptionPending()) Napi::TypeError::New(env, "expected (reader)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const Ring& r = rd->ring;
  uint64_t cons = __atomic_load_n(r.consumerPos(), __ATOMIC_RELAXED);
  // Only forward: a commit since the batch was read may already be past it.
  if (rd->batchEnd > cons) __atomic_store_n(r.consumerPos(), rd->batchEnd, __ATOMIC_RELEASE);
  rd->batchEnd = 0;
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
           exports.Set("ringbufReadBatch", Napi::Function::New(env, RingbufReadBatch, "ringbufReadBatch")).IsNothing() ||
           exports.Set("ringbufReleaseBatch", Napi::Function::New(env, RingbufReleaseBatch, "ringbufReleaseBatch")).IsNothing() ||
           exports.Set("ringbufCommit", Napi::Function::New(env, RingbufCommit, "ringbufCommit")).IsNothing() ||
           exports.Set("ringbufWait", Napi::Function::New(env, RingbufWait, "ringbufWait")).IsNothing() ||
           exports.Set("ringbufClose", Napi::Function::New(env, RingbufClose, "ringbufClose")).IsNothing() ||
           exports.Set("userRingbufOpen", Napi::Function::New(env, UserRingbufOpen, "userRingbufOpen")).IsNothing() ||
           exports.Set("userRingbufSubmit", Napi::Function::New(env, UserRingbufSubmit, "userRingbufSubmit")).IsNothing() ||
           exports.Set("userRingbufClose", Napi::Function::New(env, UserRingbufClose, "userRingbufClose")).IsNothing());
}

}  // namespace structops
