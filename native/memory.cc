// Cross-process memory copies: process_vm_readv/writev between a Buffer and another task;
// memfd_create for the shared memory files a restore makes.
#include "common.h"
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

namespace amber {

static Napi::Value VmCopy(const Napi::CallbackInfo& info, bool write) {
  ARG_PID(pid, 0);
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

// memfdCreate(name: string, flags) -> fd. The name (without "memfd:") must hold no NUL and fit
// the kernel's 249 bytes; flags: MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL | MFD_EXEC.
static Napi::Value MemfdCreate(const Napi::CallbackInfo& info) {
  const unsigned kAllowed = 0x1u | 0x2u | 0x8u | 0x10u;
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
    Napi::TypeError::New(info.Env(), "memfdCreate(name: string, flags: number)").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  int64_t flags = ArgInt(info, 1);
  if (name.find('\0') != std::string::npos || name.size() > 249) {
    Napi::RangeError::New(info.Env(), "memfdCreate: the name must hold no NUL and at most 249 bytes").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  if (flags < 0 || (static_cast<uint64_t>(flags) & ~static_cast<uint64_t>(kAllowed))) {
    Napi::RangeError::New(info.Env(), "memfdCreate: flags other than MFD_CLOEXEC|MFD_ALLOW_SEALING|MFD_NOEXEC_SEAL|MFD_EXEC").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  long fd = syscall(SYS_memfd_create, name.c_str(), static_cast<unsigned>(flags));
  if (fd < 0) return ThrowSys(info.Env(), errno, "memfd_create");
  return Napi::Number::New(info.Env(), static_cast<double>(fd));
}

void InitMemory(Napi::Env env, Napi::Object exports) {
  Define(env, exports, "processVmReadv", "puBii", Readv);
  Define(env, exports, "processVmWritev", "puBii", Writev);
  Define(env, exports, "memfdCreate", "si", MemfdCreate);
}

}  // namespace amber
