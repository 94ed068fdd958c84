// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// bpfAsync(cmd, attr, buffers): PROG_LOAD and BTF_LOAD on the libuv pool, returning a
// Promise. The verifier can take long; other bpf() commands are quick and stay sync.
//
// The worker copies attr and every Buffer into memory it owns before queuing, and the
// call is validated against those copies. While Execute runs, JS may mutate, detach or
// drop its Buffers without affecting what the kernel reads or where it writes. Buffers
// the kernel writes (the log) are copied back on the JS thread when the call ends.
#include <napi.h>

#include <algorithm>
#include <cstddef>
#include <vector>

#include "commands.h"
#include "js.h"

namespace structops {
namespace {

class BpfWorker : public Napi::AsyncWorker {
 public:
  BpfWorker(Napi::Env env, const CallArgs& args)
      : Napi::AsyncWorker(env, "struct_ops:bpf"), deferred_(Napi::Promise::Deferred::New(env)) {
    attrCopy_.assign(args.attr.Data(), args.attr.Data() + args.attr.ElementLength());
    attrRef_ = Napi::Persistent(args.attr.As<Napi::Object>());
    nbufs_ = args.nbufs;
    for (size_t i = 0; i < nbufs_; i++) {
      if (!args.spans[i].present) continue;
      copies_[i].assign(args.spans[i].data, args.spans[i].data + args.spans[i].len);
      spans_[i] = Span{copies_[i].data(), copies_[i].size(), true};
      refs_[i] = Napi::Persistent(args.buffers[i].As<Napi::Object>());
    }
  }

  // Validates against the copies; false (with *f) means reject without queuing.
  bool Prepare(uint32_t cmd, Failure* f) {
    return call_.Prepare(cmd, attrCopy_.data(), attrCopy_.size(), spans_, nbufs_, f);
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  // Worker thread: only native memory owned by this object.
  void Execute() override { result_ = call_.Run(); }

  void OnOK() override {
    Napi::Env env = Env();
    call_.CopyOut(attrCopy_.data(), attrCopy_.size());
    CopyBack(attrRef_, attrCopy_);
    for (size_t i = 0; i < nbufs_; i++) {
      if (spans_[i].present && call_.KernelWrites(i)) CopyBack(refs_[i], copies_[i]);
    }
    if (result_ >= 0) {
      deferred_.Resolve(Napi::Number::New(env, static_cast<double>(result_)));
      return;
    }
    Napi::Value err = MakeSysError(env, static_cast<int>(-result_), call_.cmd(), "bpf", "", false);
    if (err.IsEmpty()) err = env.Undefined();  // creation threw; still settle the promise
    deferred_.Reject(err);
  }

 private:
  // Copies bytes back into a JS Buffer, bounded by its current length (it may have been
  // detached or be a different view size by now).
  static void CopyBack(const Napi::ObjectReference& ref, const std::vector<uint8_t>& bytes) {
    Napi::Uint8Array view = ref.Value().As<Napi::Uint8Array>();
    size_t n = view.ElementLength() < bytes.size() ? view.ElementLength() : bytes.size();
    if (n != 0) std::copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n), view.Data());
  }

  Napi::Promise::Deferred deferred_;
  Call call_;
  long result_ = 0;
  std::vector<uint8_t> attrCopy_;
  Napi::ObjectReference attrRef_;
  size_t nbufs_ = 0;
  std::vector<uint8_t> copies_[kMaxBuffers];
  Span spans_[kMaxBuffers];
  Napi::ObjectReference refs_[kMaxBuffers];
};

}  // namespace

Napi::Value BpfAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CallArgs args;
  if (!ParseCallArgs(info, &args)) return env.Undefined();
  const CommandDesc* desc = FindCommand(args.cmd);
  Failure refusal;
  if (desc == nullptr || !desc->async) {
    refusal = Failure{EINVAL, "only BPF_PROG_LOAD and BPF_BTF_LOAD run asynchronously"};
  }
  // Queue() hands ownership to libuv; on refusal the worker is never queued, so free it.
  auto* worker = new BpfWorker(env, args);
  Napi::Promise promise = worker->Promise();
  if (refusal.err != 0 || !worker->Prepare(args.cmd, &refusal)) {
    Napi::Promise::Deferred early = Napi::Promise::Deferred::New(env);
    Napi::Value err = MakeSysError(env, refusal.err, args.cmd, "bpf", refusal.message, true);
    delete worker;
    if (err.IsEmpty()) return env.Undefined();
    early.Reject(err);
    return early.Promise();
  }
  worker->Queue();
  return promise;
}

}  // namespace structops
