// Module entry: registers the SysError constructor handed over by the TS loader, and every family.
#include "common.h"
#include <cstring>

namespace amber {

static Napi::FunctionReference* sysErrorCtor = nullptr;

Napi::Value ThrowSys(Napi::Env env, int err, const char* syscall, long pid, long fd) {
  if (sysErrorCtor == nullptr) {
    Napi::Error::New(env, std::string(syscall) + ": " + strerror(err)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Value e = sysErrorCtor->New({
      Napi::Number::New(env, err),
      Napi::String::New(env, syscall),
      pid >= 0 ? Napi::Number::New(env, pid) : env.Undefined(),
      fd >= 0 ? Napi::Number::New(env, fd) : env.Undefined(),
  });
  Napi::Error(env, e).ThrowAsJavaScriptException();
  return env.Undefined();
}

static Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  if (sysErrorCtor == nullptr) sysErrorCtor = new Napi::FunctionReference();
  *sysErrorCtor = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass));
  InitPtrace(env, exports);
  InitProcess(env, exports);
  InitMemory(env, exports);
  InitFiles(env, exports);
  InitSockets(env, exports);
  InitNotify(env, exports);
  InitTty(env, exports);
  InitCheck(env, exports);
  InitPageCopy(env, exports);
  InitSignals(env, exports);
  return exports;
}

}  // namespace amber

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return amber::Init(env, exports); }

NODE_API_MODULE(amber_native, InitModule)
