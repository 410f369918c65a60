// ptrace(2) requests, one function each. Every call must come from the thread that attached
// (Node's main thread): the kernel binds a tracee to one tracer thread.
#include "common.h"
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <csignal>
#include <cstring>
#include <vector>

#ifndef PTRACE_GET_RSEQ_CONFIGURATION
#define PTRACE_GET_RSEQ_CONFIGURATION 0x420f
#endif

namespace amber {

static long Req(int req, pid_t pid, void* addr, void* data) {
  errno = 0;
  return ptrace(static_cast<enum __ptrace_request>(req), pid, addr, data);
}

#define SIMPLE_REQ(NAME, REQ, LABEL)                                                  \
  static Napi::Value NAME(const Napi::CallbackInfo& info) {                           \
    ARG_PID(pid, 0);                                                                  \
    uintptr_t data = static_cast<uintptr_t>(ArgU64(info, 1));                         \
    if (Req(REQ, pid, nullptr, reinterpret_cast<void*>(data)) < 0)                    \
      return ThrowSys(info.Env(), errno, LABEL, pid);                                 \
    return info.Env().Undefined();                                                    \
  }

SIMPLE_REQ(Seize, PTRACE_SEIZE, "ptrace(PTRACE_SEIZE)")
SIMPLE_REQ(Interrupt, PTRACE_INTERRUPT, "ptrace(PTRACE_INTERRUPT)")
SIMPLE_REQ(Cont, PTRACE_CONT, "ptrace(PTRACE_CONT)")
SIMPLE_REQ(Syscall, PTRACE_SYSCALL, "ptrace(PTRACE_SYSCALL)")
SIMPLE_REQ(Detach, PTRACE_DETACH, "ptrace(PTRACE_DETACH)")
SIMPLE_REQ(SetOptions, PTRACE_SETOPTIONS, "ptrace(PTRACE_SETOPTIONS)")

// GETREGSET into a buffer of maxSize bytes; returns the bytes the kernel filled.
static Napi::Value GetRegset(const Napi::CallbackInfo& info) {
  ARG_PID(pid, 0);
  long nt = static_cast<long>(ArgInt(info, 1));
  size_t max = static_cast<size_t>(ArgInt(info, 2));
  std::vector<uint8_t> buf(max);
  struct iovec iov = {buf.data(), max};
  if (Req(PTRACE_GETREGSET, pid, reinterpret_cast<void*>(nt), &iov) < 0)
    return ThrowSys(info.Env(), errno, "ptrace(PTRACE_GETREGSET)", pid);
  return Napi::Buffer<uint8_t>::Copy(info.Env(), buf.data(), iov.iov_len);
}

static Napi::Value SetRegset(const Napi::CallbackInfo& info) {
  ARG_PID(pid, 0);
  long nt = static_cast<long>(ArgInt(info, 1));
  auto buf = info[2].As<Napi::Buffer<uint8_t>>();
  struct iovec iov = {buf.Data(), buf.Length()};
  if (Req(PTRACE_SETREGSET, pid, reinterpret_cast<void*>(nt), &iov) < 0)
    return ThrowSys(info.Env(), errno, "ptrace(PTRACE_SETREGSET)", pid);
  return info.Env().Undefined();
}

static Napi::Value GetSigmask(const Napi::CallbackInfo& info) {
  ARG_PID(pid, 0);
  uint64_t mask = 0;
  if (Req(PTRACE_GETSIGMASK, pid, reinterpret_cast<void*>(sizeof mask), &mask) < 0)
    return ThrowSys(info.Env(), errno, "ptrace(PTRACE_GETSIGMASK)", pid);
  return Napi::BigInt::New(info.Env(), mask);
}

static Napi::Value SetSigmask(const Napi::CallbackInfo& info) {
  ARG_PID(pid, 0);
  uint64_t mask = ArgU64(info, 1);
  if (Req(PTRACE_SETSIGMASK, pid, reinterpret_cast<void*>(sizeof mask), &mask) < 0)
    return ThrowSys(info.Env(), errno, "ptrace(PTRACE_SETSIGMASK)", pid);
  return info.Env().Undefined();
}

// struct ptrace_rseq_configuration, 32 bytes, returned raw for TS to decode.
static Napi::Value GetRseqConfig(const Napi::CallbackInfo& info) {
  ARG_PID(pid, 0);
  uint8_t conf[32];
  memset(conf, 0, sizeof conf);
  long n = Req(PTRACE_GET_RSEQ_CONFIGURATION, pid, reinterpret_cast<void*>(sizeof conf), conf);
  if (n < 0) return ThrowSys(info.Env(), errno, "ptrace(PTRACE_GET_RSEQ_CONFIGURATION)", pid);
  return Napi::Buffer<uint8_t>::Copy(info.Env(), conf, sizeof conf);
}

// PEEKSIGINFO: nr siginfos (128 bytes each) from offset off of the private or shared queue,
// without dequeuing them.
static Napi::Value PeekSiginfo(const Napi::CallbackInfo& info) {
  ARG_PID(pid, 0);
  struct {
    uint64_t off;
    uint32_t flags;
    int32_t nr;
  } args = {static_cast<uint64_t>(ArgInt(info, 1)), info[3].ToBoolean() ? 1u : 0u,
            static_cast<int32_t>(ArgInt(info, 2))};
  std::vector<uint8_t> buf(static_cast<size_t>(args.nr) * 128);
  long n = Req(PTRACE_PEEKSIGINFO, pid, &args, buf.data());
  if (n < 0) return ThrowSys(info.Env(), errno, "ptrace(PTRACE_PEEKSIGINFO)", pid);
  return Napi::Buffer<uint8_t>::Copy(info.Env(), buf.data(), static_cast<size_t>(n) * 128);
}

static Napi::Value GetSiginfo(const Napi::CallbackInfo& info) {
  ARG_PID(pid, 0);
  uint8_t si[128];
  if (Req(PTRACE_GETSIGINFO, pid, nullptr, si) < 0)
    return ThrowSys(info.Env(), errno, "ptrace(PTRACE_GETSIGINFO)", pid);
  return Napi::Buffer<uint8_t>::Copy(info.Env(), si, sizeof si);
}

static Napi::Value GetEventMsg(const Napi::CallbackInfo& info) {
  ARG_PID(pid, 0);
  unsigned long msg = 0;
  if (Req(PTRACE_GETEVENTMSG, pid, nullptr, &msg) < 0)
    return ThrowSys(info.Env(), errno, "ptrace(PTRACE_GETEVENTMSG)", pid);
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(msg));
}

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif

// PTRACE_SECCOMP_GET_FILTER: the BPF program of the thread's index-th filter (0 = newest), as
// raw struct sock_filter bytes; null when there is no such filter (ENOENT).
static Napi::Value SeccompGetFilter(const Napi::CallbackInfo& info) {
  ARG_PID(pid, 0);
  unsigned long index = static_cast<unsigned long>(ArgInt(info, 1));
  long n = Req(PTRACE_SECCOMP_GET_FILTER, pid, reinterpret_cast<void*>(index), nullptr);
  if (n < 0) {
    if (errno == ENOENT) return info.Env().Null();
    return ThrowSys(info.Env(), errno, "ptrace(PTRACE_SECCOMP_GET_FILTER)", pid);
  }
  std::vector<uint8_t> buf(static_cast<size_t>(n) * 8);
  n = Req(PTRACE_SECCOMP_GET_FILTER, pid, reinterpret_cast<void*>(index), buf.data());
  if (n < 0) return ThrowSys(info.Env(), errno, "ptrace(PTRACE_SECCOMP_GET_FILTER)", pid);
  return Napi::Buffer<uint8_t>::Copy(info.Env(), buf.data(), static_cast<size_t>(n) * 8);
}

void InitPtrace(Napi::Env env, Napi::Object exports) {
  Define(env, exports, "ptraceSeize", "pi", Seize);
  Define(env, exports, "ptraceInterrupt", "p", Interrupt);
  Define(env, exports, "ptraceCont", "pi", Cont);
  Define(env, exports, "ptraceSyscall", "pi", Syscall);
  Define(env, exports, "ptraceDetach", "pi", Detach);
  Define(env, exports, "ptraceSetOptions", "pi", SetOptions);
  Define(env, exports, "ptraceGetRegset", "pii", GetRegset);
  Define(env, exports, "ptraceSetRegset", "piB", SetRegset);
  Define(env, exports, "ptraceGetSigmask", "p", GetSigmask);
  Define(env, exports, "ptraceSetSigmask", "pu", SetSigmask);
  Define(env, exports, "ptraceGetRseqConfig", "p", GetRseqConfig);
  Define(env, exports, "ptracePeekSiginfo", "piib", PeekSiginfo);
  Define(env, exports, "ptraceGetSiginfo", "p", GetSiginfo);
  Define(env, exports, "ptraceGetEventMsg", "p", GetEventMsg);
  Define(env, exports, "ptraceSeccompGetFilter", "pi", SeccompGetFilter);
}

}  // namespace amber
