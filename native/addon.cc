// Module entry: registers the SysError constructor handed over by the TS loader, and every family.
#include "common.h"
#include <cmath>
#include <cstring>

namespace amber {

static Napi::FunctionReference* sysErrorCtor = nullptr;

Napi::Value ThrowSys(Napi::Env env, int err, const char* syscall, long pid, long fd) {
  // A second throw while one is pending is fatal to Node: the first error stands.
  if (env.IsExceptionPending()) return env.Undefined();
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

namespace {

struct Definition {
  const char* name;
  const char* sig;
  NativeFn fn;
};

const char* TypeOf(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsBoolean()) return "a boolean";
  if (v.IsNumber()) return "a number";
  if (v.IsBigInt()) return "a bigint";
  if (v.IsString()) return "a string";
  if (v.IsBuffer()) return "a Buffer";
  if (v.IsTypedArray()) return "a typed array";
  if (v.IsArray()) return "an array";
  if (v.IsFunction()) return "a function";
  return "an object";
}

// 0: fine; 1: wrong type; 2: a number that is no whole finite value.
int CheckOne(char c, const Napi::Value& v) {
  auto whole = [&](bool nonNegative) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > 9.2e18) return 2;
    return nonNegative && d < 0 ? 2 : 0;
  };
  switch (c) {
    case 'p': case 'P': case 'i':
      if (v.IsBigInt()) return 0;
      return v.IsNumber() ? whole(false) : 1;
    case 'u':
      if (v.IsBigInt()) return 0;
      return v.IsNumber() ? whole(true) : 1;
    case 'b': return v.IsBoolean() ? 0 : 1;
    case 'B': return v.IsBuffer() || (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) ? 0 : 1;
    case 'N': return v.IsNull() || v.IsBuffer() ? 0 : 1;
    case 's': return v.IsString() ? 0 : 1;
    case 'S': return v.IsNull() || v.IsString() ? 0 : 1;
    case 'a': return v.IsArray() ? 0 : 1;
    case 'T': return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_biguint64_array ? 0 : 1;
    case 'f': return v.IsFunction() ? 0 : 1;
  }
  return 1;
}

const char* Wanted(char c) {
  switch (c) {
    case 'p': case 'P': return "a pid (a whole number)";
    case 'i': return "a whole number or a bigint";
    case 'u': return "a bigint or a whole number >= 0";
    case 'b': return "a boolean";
    case 'B': return "a Buffer";
    case 'N': return "a Buffer or null";
    case 's': return "a string";
    case 'S': return "a string or null";
    case 'a': return "an array";
    case 'T': return "a BigUint64Array";
    case 'f': return "a function";
  }
  return "?";
}

Napi::Value Dispatch(const Napi::CallbackInfo& info) {
  const auto* d = static_cast<const Definition*>(info.Data());
  Napi::Env env = info.Env();
  size_t k = 0;
  for (const char* c = d->sig; *c; c++, k++) {
    bool optional = c[1] == '?';
    Napi::Value v = k < info.Length() ? info[k] : env.Undefined();
    int bad = optional && v.IsUndefined() ? 0 : CheckOne(*c, v);
    if (bad) {
      std::string msg = std::string(d->name) + ": argument " + std::to_string(k + 1) + " must be " + Wanted(*c) + ", not " + (bad == 2 ? "that number" : TypeOf(v));
      if (bad == 2) Napi::RangeError::New(env, msg).ThrowAsJavaScriptException();
      else Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (optional) c++;
  }
  return d->fn(info);
}

}  // namespace

void Define(Napi::Env env, Napi::Object exports, const char* name, const char* sig, NativeFn fn) {
  // Lives as long as the addon: one per function, made once.
  auto* d = new Definition{name, sig, fn};
  exports.Set(name, Napi::Function::New(env, Dispatch, name, d));
}

static Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  if (sysErrorCtor == nullptr) sysErrorCtor = new Napi::FunctionReference();
  *sysErrorCtor = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Define(env, exports, "setErrorClass", "f", SetErrorClass);
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
