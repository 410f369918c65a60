// Kernel feature probes for `amber check`: a raw syscall, the address of a buffer (for structs that
// point at other buffers), and a forked child that runs a short list of raw syscalls (what the
// checking process must not do to itself: unshare, unmap its vDSO, install a seccomp filter...)
// and reports each result through a pipe, then either exits or stops itself to be traced.
#include "common.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

namespace amber {

// One syscall argument: a number or bigint is the value, a Buffer its address, null/undefined 0.
static long Word(Napi::Value v) {
  if (v.IsBuffer()) return reinterpret_cast<long>(v.As<Napi::Buffer<uint8_t>>().Data());
  if (v.IsBigInt()) {
    bool lossless;
    return static_cast<long>(v.As<Napi::BigInt>().Int64Value(&lossless));
  }
  if (v.IsNumber()) return static_cast<long>(v.As<Napi::Number>().Int64Value());
  return 0;
}

struct Call {
  long nr;
  long a[6];
};

static bool ReadCall(Napi::Value v, Call* c) {
  if (!v.IsArray()) return false;
  Napi::Array pair = v.As<Napi::Array>();
  c->nr = Word(pair.Get(0u));
  for (int i = 0; i < 6; i++) c->a[i] = 0;
  Napi::Value args = pair.Get(1u);
  if (args.IsArray()) {
    Napi::Array arr = args.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length() && i < 6; i++) c->a[i] = Word(arr.Get(i));
  }
  return true;
}

// rawSyscall(nr, args) -> [ret, errno]: ret as a Number (exact below 2^53: every user address).
static Napi::Value RawSyscall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array pair = Napi::Array::New(env, 2);
  pair.Set(0u, info[0]);
  pair.Set(1u, info.Length() > 1 ? info[1] : env.Undefined());
  Call c;
  ReadCall(pair, &c);
  errno = 0;
  long r = syscall(c.nr, c.a[0], c.a[1], c.a[2], c.a[3], c.a[4], c.a[5]);
  int e = r == -1 ? errno : 0;
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, static_cast<double>(r)));
  out.Set(1u, Napi::Number::New(env, e));
  return out;
}

static Napi::Value BufferAddress(const Napi::CallbackInfo& info) {
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(Word(info[0])));
}

// A child's own instructions for the hardware-breakpoint probe: the tracer puts an execute
// breakpoint here, and the child calls it once resumed.
extern "C" __attribute__((noinline, used)) void amber_check_breakpoint_target(void) { asm volatile("nop" ::: "memory"); }

static Napi::Value BreakpointTarget(const Napi::CallbackInfo& info) {
  return Napi::BigInt::New(info.Env(), reinterpret_cast<uint64_t>(&amber_check_breakpoint_target));
}

// Pseudo syscall numbers the child understands besides real ones.
static const long kIa32Getpid = -1;  // getpid through int $0x80 (the 32-bit entry); ret = that pid

struct Result {
  int64_t ret;
  int64_t err;
};

// forkProbe(calls, stop) -> { pid, results: [[ret, errno], ...] }. The child runs the calls in
// order and stops at the first that returns -1 (its errno reported); with stop, it then sends
// itself SIGSTOP, calls the breakpoint target once resumed, and exits 0; else it exits at once.
// Results shorter than calls: the child died (a signal) before it could report. The caller reaps.
static Napi::Value ForkProbe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<Call> calls;
  if (info[0].IsArray()) {
    Napi::Array arr = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++) {
      Call c;
      if (ReadCall(arr.Get(i), &c)) calls.push_back(c);
    }
  }
  bool stop = info.Length() > 1 && info[1].ToBoolean().Value();
  std::vector<Result> results(calls.size() + 1);
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return ThrowSys(env, errno, "pipe2");
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(p[0]);
    close(p[1]);
    return ThrowSys(env, e, "fork");
  }
  if (pid == 0) {
    // The child of a multithreaded process: raw syscalls only, nothing that allocates or locks.
    syscall(SYS_close, p[0]);
    size_t n = 0;
    for (; n < calls.size(); n++) {
      const Call& c = calls[n];
      long r;
      int e = 0;
      if (c.nr == kIa32Getpid) {
        long ax = 20;  // __NR_getpid of the i386 table
        asm volatile("int $0x80" : "+a"(ax) : : "memory", "r8", "r9", "r10", "r11");
        r = ax;
        if (r < 0 && r > -4096) { e = static_cast<int>(-r); r = -1; }
      } else {
        r = syscall(c.nr, c.a[0], c.a[1], c.a[2], c.a[3], c.a[4], c.a[5]);
        if (r == -1) e = errno;
      }
      results[n].ret = r;
      results[n].err = e;
      if (r == -1) { n++; break; }
    }
    syscall(SYS_write, p[1], results.data(), n * sizeof(Result));
    syscall(SYS_close, p[1]);
    if (stop) {
      syscall(SYS_kill, syscall(SYS_getpid), SIGSTOP);
      amber_check_breakpoint_target();
    }
    syscall(SYS_exit_group, 0);
  }
  close(p[1]);
  ssize_t got = 0;
  for (;;) {
    ssize_t r = read(p[0], reinterpret_cast<char*>(results.data()) + got, results.size() * sizeof(Result) - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += r;
  }
  close(p[0]);
  size_t n = static_cast<size_t>(got) / sizeof(Result);
  Napi::Array out = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; i++) {
    Napi::Array r = Napi::Array::New(env, 2);
    r.Set(0u, Napi::Number::New(env, static_cast<double>(results[i].ret)));
    r.Set(1u, Napi::Number::New(env, static_cast<double>(results[i].err)));
    out.Set(static_cast<uint32_t>(i), r);
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("pid", Napi::Number::New(env, pid));
  o.Set("results", out);
  return o;
}

void InitCheck(Napi::Env env, Napi::Object exports) {
  Define(env, exports, "rawSyscall", "ia?", RawSyscall);
  Define(env, exports, "bufferAddress", "B", BufferAddress);
  Define(env, exports, "breakpointTarget", "", BreakpointTarget);
  Define(env, exports, "forkProbe", "ab", ForkProbe);
}

}  // namespace amber
