// Shared helpers of the native layer: argument conversion and errno -> SysError.
// The native layer decides nothing: each exported function is one syscall or one tight loop.
#pragma once
#include <napi.h>
#include <cerrno>
#include <cstdint>
#include <string>
#include <sys/types.h>

/*
 * Syscalls newer than some C libraries' lists (Debian 11's glibc 2.31: the addon is compiled
 * there, the prebuild needs glibc 2.33); the numbers are the same on every architecture from
 * close_range on. zdtm/lib/zdtm.h has the same list for the test programs, a build of its own.
 */
#include <sys/syscall.h>
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

namespace amber {

// Throws the JS SysError registered at start-up (see addon.cc), carrying errno, its name,
// the syscall and the pid/fd involved. Returns an empty value for the caller to return.
Napi::Value ThrowSys(Napi::Env env, int err, const char* syscall, long pid = -1, long fd = -1);

inline int64_t ArgInt(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsUndefined()) return 0;
  if (info[i].IsBigInt()) {
    bool lossless;
    return info[i].As<Napi::BigInt>().Int64Value(&lossless);
  }
  return info[i].As<Napi::Number>().Int64Value();
}

// A pid argument: a positive whole number (waitpid may also take -1, "any child"). Anything
// else, undefined first, is a RangeError: as 0, kill(2) would signal the caller's own group.
inline bool ArgPid(const Napi::CallbackInfo& info, size_t i, pid_t* out, bool anyChild = false) {
  if (i < info.Length() && (info[i].IsNumber() || info[i].IsBigInt())) {
    int64_t v = ArgInt(info, i);
    if (info[i].IsNumber() && static_cast<double>(v) != info[i].As<Napi::Number>().DoubleValue()) v = 0;
    if ((v > 0 && v <= 0x7fffffff) || (anyChild && v == -1)) {
      *out = static_cast<pid_t>(v);
      return true;
    }
  }
  Napi::RangeError::New(info.Env(), "a pid argument must be a positive integer").ThrowAsJavaScriptException();
  return false;
}
#define ARG_PID(var, i) \
  pid_t var;            \
  if (!::amber::ArgPid(info, i, &var)) return info.Env().Undefined()
#define ARG_PID_OR_ANY(var, i) \
  pid_t var;                   \
  if (!::amber::ArgPid(info, i, &var, true)) return info.Env().Undefined()

inline uint64_t ArgU64(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsUndefined()) return 0;
  if (info[i].IsBigInt()) {
    bool lossless;
    return info[i].As<Napi::BigInt>().Uint64Value(&lossless);
  }
  return static_cast<uint64_t>(info[i].As<Napi::Number>().Int64Value());
}

using NativeFn = Napi::Value (*)(const Napi::CallbackInfo&);

// Registers fn as exports[name], its arguments checked against `sig` before it runs, one
// letter per argument (a '?' after it: may be left out):
//   p pid (a number or bigint; its range is ArgPid's)   P pid or -1 (waitpid)
//   i integer (a whole number, or a bigint)              u 64-bit value (a bigint, or a whole number >= 0)
//   b boolean   B Buffer   N Buffer or null   s string   S string or null
//   a array     T BigUint64Array                          f function
// A wrong type is a TypeError, a fraction or a non-finite number a RangeError, naming the
// function and the argument: no native function ever sees a value of the wrong type.
void Define(Napi::Env env, Napi::Object exports, const char* name, const char* sig, NativeFn fn);

void InitPtrace(Napi::Env env, Napi::Object exports);
void InitProcess(Napi::Env env, Napi::Object exports);
void InitMemory(Napi::Env env, Napi::Object exports);
void InitFiles(Napi::Env env, Napi::Object exports);
void InitSockets(Napi::Env env, Napi::Object exports);
void InitNotify(Napi::Env env, Napi::Object exports);
void InitTty(Napi::Env env, Napi::Object exports);
void InitCheck(Napi::Env env, Napi::Object exports);
void InitPageCopy(Napi::Env env, Napi::Object exports);
void InitSignals(Napi::Env env, Napi::Object exports);

}  // namespace amber
