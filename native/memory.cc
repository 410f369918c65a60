// Cross-process memory copies: process_vm_readv/writev between a Buffer and another task.
#include "common.h"
#include <sys/uio.h>

namespace amber {

static Napi::Value VmCopy(const Napi::CallbackInfo& info, bool write) {
  pid_t pid = static_cast<pid_t>(ArgInt(info, 0));
  uint64_t remote = ArgU64(info, 1);
  auto buf = info[2].As<Napi::Buffer<uint8_t>>();
  size_t off = static_cast<size_t>(ArgInt(info, 3));
  size_t len = static_cast<size_t>(ArgInt(info, 4));
  if (off + len > buf.Length()) {
    Napi::RangeError::New(info.Env(), "process_vm copy out of buffer bounds").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  struct iovec local = {buf.Data() + off, len};
  struct iovec rem = {reinterpret_cast<void*>(remote), len};
  ssize_t n = write ? process_vm_writev(pid, &local, 1, &rem, 1, 0) : process_vm_readv(pid, &local, 1, &rem, 1, 0);
  if (n < 0) return ThrowSys(info.Env(), errno, write ? "process_vm_writev" : "process_vm_readv", pid);
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

static Napi::Value Readv(const Napi::CallbackInfo& info) { return VmCopy(info, false); }
static Napi::Value Writev(const Napi::CallbackInfo& info) { return VmCopy(info, true); }

void InitMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("processVmReadv", Napi::Function::New(env, Readv));
  exports.Set("processVmWritev", Napi::Function::New(env, Writev));
}

}  // namespace amber
