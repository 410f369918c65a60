// SIGINT/SIGTERM while amber holds a frozen tree: the handler only records the signal, and the
// engine asks at its next fault point (src/interrupt.ts), then undoes what it did and exits,
// instead of dying with tasks still traced, infected or half-restored.
#include "common.h"
#include <atomic>
#include <csignal>
#include <cstring>

namespace amber {

static std::atomic<uint64_t> pendingMask{0};

static void Record(int sig) { pendingMask.fetch_or(1ull << sig); }

// installSignalGuard(signals: number[]): records each of these signals from now on (SA_RESTART:
// a waitpid or read it interrupts is restarted, never EINTR in the engine).
static Napi::Value InstallSignalGuard(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsArray()) {
    Napi::TypeError::New(info.Env(), "installSignalGuard(signals: number[])").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  auto list = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value v = list[i];
    int sig = v.IsNumber() ? v.As<Napi::Number>().Int32Value() : 0;
    if (sig <= 0 || sig >= 64 || sig == SIGKILL || sig == SIGSTOP) {
      Napi::RangeError::New(info.Env(), "installSignalGuard: a signal number 1..63 other than SIGKILL and SIGSTOP").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = Record;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, nullptr) < 0) return ThrowSys(info.Env(), errno, "sigaction");
  }
  return info.Env().Undefined();
}

// takeSignals() -> bigint: the signals recorded since the last call (bit N = signal N), cleared.
static Napi::Value TakeSignals(const Napi::CallbackInfo& info) {
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(pendingMask.exchange(0)));
}

void InitSignals(Napi::Env env, Napi::Object exports) {
  Define(env, exports, "installSignalGuard", "a", InstallSignalGuard);
  Define(env, exports, "takeSignals", "", TakeSignals);
}

}  // namespace amber
