// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// perfEventOpenTracepoint(id, cpu): perf_event_open for one tracefs tracepoint, the event
// a BPF_PROG_TYPE_TRACEPOINT program is linked to (BPF_LINK_CREATE, BPF_PERF_EVENT).
// The perf_event_attr is built here, not taken from JS: its other types (hardware
// breakpoints, uprobes by path, ...) carry addresses and user pointers, and JS bytes must
// never steer kernel reads. Only the tracepoint id and the cpu come in, both range-checked.
#include <linux/perf_event.h>
#include <napi.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "js.h"

namespace structops {

// perfEventOpenTracepoint(id, cpu): the perf event fd (close-on-exec), counting every hit.
Napi::Value PerfEventOpenTracepoint(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double id = 0;
  double cpu = 0;
  // Tracepoint ids are the kernel's `int` event type numbers; cpus are ints too.
  if (info.Length() < 2 || !ReadIndex(info[0], INT_MAX, &id) || !ReadIndex(info[1], INT_MAX, &cpu)) {
    Napi::TypeError::New(env, "expected (tracepoint id, cpu) as non-negative integers").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.type = PERF_TYPE_TRACEPOINT;
  // The size of the struct this addon was built with: the kernel accepts any size it
  // knows, and checks the bytes past its own size are zero.
  attr.size = sizeof(attr);
  attr.config = static_cast<uint64_t>(id);
  // Every hit is a sample, so the BPF program runs on each one.
  attr.sample_period = 1;
  attr.wakeup_events = 1;
  // pid -1 with one cpu: every task, which is what a tracepoint program sees. For a
  // tracepoint the kernel runs the program wherever it fires, whatever the cpu.
  long fd = syscall(SYS_perf_event_open, &attr, -1, static_cast<int>(cpu), -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) {
    Napi::Value err = MakeSysError(env, errno, 0, "perf_event_open", "", false);
    if (!err.IsEmpty()) Napi::Error(env, err).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(fd));
}

}  // namespace structops
