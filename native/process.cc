// Process-level syscalls: wait, signals, pidfds, prctl, and the clone3 stub a restore morphs.
#include "common.h"
#include <linux/sched.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <csignal>
#include <cstring>
#include <unistd.h>
#include <vector>
#include <cpuid.h>

namespace amber {

// waitpid(pid, &status, flags), retried on EINTR. Returns [pid, status]; [0, 0] under WNOHANG.
static Napi::Value WaitPid(const Napi::CallbackInfo& info) {
  ARG_PID_OR_ANY(pid, 0);
  int flags = static_cast<int>(ArgInt(info, 1));
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid, &status, flags);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return ThrowSys(info.Env(), errno, "waitpid", pid);
  auto out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::Number::New(info.Env(), r));
  out.Set(1u, Napi::Number::New(info.Env(), status));
  return out;
}

static Napi::Value Kill(const Napi::CallbackInfo& info) {
  ARG_PID(pid, 0);
  if (kill(pid, static_cast<int>(ArgInt(info, 1))) < 0) return ThrowSys(info.Env(), errno, "kill", pid);
  return info.Env().Undefined();
}

// execvp(file, argv): replaces amber with the command (restore --exec-cmd). Returns only on error.
static Napi::Value Execvp(const Napi::CallbackInfo& info) {
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsArray()) {
    Napi::TypeError::New(info.Env(), "execvp(file: string, argv: string[])").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  std::string file = info[0].As<Napi::String>().Utf8Value();
  auto arr = info[1].As<Napi::Array>();
  std::vector<std::string> args(arr.Length());
  std::vector<char*> argv(arr.Length() + 1, nullptr);
  for (uint32_t i = 0; i < arr.Length(); i++) {
    args[i] = arr.Get(i).As<Napi::String>().Utf8Value();
    argv[i] = args[i].data();
  }
  execvp(file.c_str(), argv.data());
  return ThrowSys(info.Env(), errno, "execvp");
}

static Napi::Value Tgkill(const Napi::CallbackInfo& info) {
  ARG_PID(tgid, 0);
  ARG_PID(tid, 1);
  if (syscall(SYS_tgkill, tgid, tid, static_cast<int>(ArgInt(info, 2))) < 0)
    return ThrowSys(info.Env(), errno, "tgkill", tid);
  return info.Env().Undefined();
}

static Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  ARG_PID(pid, 0);
  long fd = syscall(SYS_pidfd_open, pid, static_cast<unsigned>(ArgInt(info, 1)));
  if (fd < 0) return ThrowSys(info.Env(), errno, "pidfd_open", pid);
  return Napi::Number::New(info.Env(), static_cast<double>(fd));
}

static Napi::Value PidfdGetfd(const Napi::CallbackInfo& info) {
  int pidfd = static_cast<int>(ArgInt(info, 0));
  int target = static_cast<int>(ArgInt(info, 1));
  long fd = syscall(SYS_pidfd_getfd, pidfd, target, 0u);
  if (fd < 0) return ThrowSys(info.Env(), errno, "pidfd_getfd", -1, target);
  return Napi::Number::New(info.Env(), static_cast<double>(fd));
}

// prctl(option, a2, a3, a4, a5) in the calling process; returns its result.
static Napi::Value Prctl(const Napi::CallbackInfo& info) {
  long r = prctl(static_cast<int>(ArgInt(info, 0)), ArgU64(info, 1), ArgU64(info, 2), ArgU64(info, 3),
                 ArgU64(info, 4));
  if (r < 0) return ThrowSys(info.Env(), errno, "prctl");
  return Napi::Number::New(info.Env(), static_cast<double>(r));
}

// clone3 with set_tid: the child is a stub for a restore to morph. Before it stops itself it
// maps a scratch area at a fixed address and copies code there (the syscall gadget), then asks
// to be traced by this thread. Only raw syscalls run in the child: it is a copy of a
// multi-threaded process, where locks may be held by threads that do not exist in it.
// Exit codes 100/101 tell the parent which step failed.
// sibling (5th argument, optional): the stub is made with CLONE_PARENT, a child of this
// process's parent (CRIU's --restore-sibling, RPC rst_sibling). TRACEME would then make that
// parent its tracer, so the stub waits on a pipe until this thread has seized it instead, and
// only then maps its scratch area and stops.
static Napi::Value CloneStub(const Napi::CallbackInfo& info) {
  auto tidsArr = info[0].As<Napi::Array>();
  std::vector<pid_t> tids(tidsArr.Length());
  for (uint32_t i = 0; i < tidsArr.Length(); i++) tids[i] = tidsArr.Get(i).As<Napi::Number>().Int32Value();
  uint64_t scratch = ArgU64(info, 1);
  size_t scratchLen = static_cast<size_t>(ArgInt(info, 2));
  auto code = info[3].As<Napi::Buffer<uint8_t>>();
  const uint8_t* codeData = code.Data();
  size_t codeLen = code.Length();
  bool sibling = info.Length() > 4 && info[4].IsBoolean() && info[4].As<Napi::Boolean>().Value();
  int gate[2] = {-1, -1};
  if (sibling && pipe2(gate, O_CLOEXEC) < 0) return ThrowSys(info.Env(), errno, "pipe2");

  struct clone_args ca;
  memset(&ca, 0, sizeof ca);
  ca.exit_signal = SIGCHLD;
  // clone3 wants no exit signal with CLONE_PARENT: the child gets the one amber has (SIGCHLD).
  if (sibling) ca.flags = CLONE_PARENT, ca.exit_signal = 0;
  ca.set_tid = reinterpret_cast<uint64_t>(tids.data());
  ca.set_tid_size = tids.size();
  long r = syscall(SYS_clone3, &ca, sizeof ca);
  if (r < 0) {
    int e = errno;
    if (sibling) { close(gate[0]); close(gate[1]); }
    return ThrowSys(info.Env(), e, "clone3", tids.empty() ? -1 : tids[0]);
  }
  if (r == 0) {
    char go;
    if (sibling && syscall(SYS_read, gate[0], &go, 1) != 1) syscall(SYS_exit_group, 103);
    long a = syscall(SYS_mmap, scratch, scratchLen, PROT_READ | PROT_WRITE | PROT_EXEC,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (a != static_cast<long>(scratch)) syscall(SYS_exit_group, 100);
    volatile uint8_t* dst = reinterpret_cast<volatile uint8_t*>(scratch);
    for (size_t i = 0; i < codeLen; i++) dst[i] = codeData[i];
    if (!sibling && syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0) < 0) syscall(SYS_exit_group, 101);
    syscall(SYS_kill, syscall(SYS_getpid), SIGSTOP);
    for (;;) syscall(SYS_exit_group, 102);
  }
  if (sibling) {
    long s = ptrace(PTRACE_SEIZE, r, 0, 0);
    int e = errno;
    if (s == 0 && write(gate[1], "g", 1) != 1) s = -1, e = errno;
    close(gate[0]);
    close(gate[1]);
    if (s < 0) {
      kill(static_cast<pid_t>(r), SIGKILL);
      return ThrowSys(info.Env(), e, "ptrace(PTRACE_SEIZE)", static_cast<int>(r));
    }
  }
  return Napi::Number::New(info.Env(), static_cast<double>(r));
}

// kcmp(pid1, pid2, type, idx1, idx2): 0 equal, 1/2 ordered, 3 not equal (kernel object order).
static Napi::Value Kcmp(const Napi::CallbackInfo& info) {
  ARG_PID(p1, 0);
  ARG_PID(p2, 1);
  long r = syscall(SYS_kcmp, p1, p2, static_cast<int>(ArgInt(info, 2)),
                   static_cast<unsigned long>(ArgInt(info, 3)), static_cast<unsigned long>(ArgInt(info, 4)));
  if (r < 0) return ThrowSys(info.Env(), errno, "kcmp", p1);
  return Napi::Number::New(info.Env(), static_cast<double>(r));
}

// kcmpEpollTfd(pid1, fd1, pid2, efd, tfd, toff): kcmp(KCMP_EPOLL_TFD) of pid1's fd1 against the
// toff-th target registered as fd tfd in pid2's epoll efd: 0 when they are the same file.
static Napi::Value KcmpEpollTfd(const Napi::CallbackInfo& info) {
  struct { uint32_t efd, tfd, toff; } slot = {
      static_cast<uint32_t>(ArgInt(info, 3)), static_cast<uint32_t>(ArgInt(info, 4)), static_cast<uint32_t>(ArgInt(info, 5))};
  ARG_PID(p1, 0);
  ARG_PID(p2, 2);
  long r = syscall(SYS_kcmp, p1, p2, 7 /* KCMP_EPOLL_TFD */,
                   static_cast<unsigned long>(ArgInt(info, 1)), reinterpret_cast<unsigned long>(&slot));
  if (r < 0) return ThrowSys(info.Env(), errno, "kcmp(KCMP_EPOLL_TFD)", p1);
  return Napi::Number::New(info.Env(), static_cast<double>(r));
}

// cpuid(leaf, subleaf) on this CPU: [eax, ebx, ecx, edx] (x86 only; xsave layout, CPUID leaf 0xD).
static Napi::Value Cpuid(const Napi::CallbackInfo& info) {
  Napi::Array out = Napi::Array::New(info.Env(), 4);
#if defined(__x86_64__) || defined(__i386__)
  unsigned int r[4] = {0, 0, 0, 0};
  __cpuid_count(static_cast<unsigned int>(ArgInt(info, 0)), static_cast<unsigned int>(ArgInt(info, 1)), r[0], r[1], r[2], r[3]);
  for (uint32_t i = 0; i < 4; i++) out.Set(i, Napi::Number::New(info.Env(), r[i]));
#else
  for (uint32_t i = 0; i < 4; i++) out.Set(i, Napi::Number::New(info.Env(), 0));
#endif
  return out;
}

void InitProcess(Napi::Env env, Napi::Object exports) {
  Define(env, exports, "cpuid", "ii", Cpuid);
  Define(env, exports, "waitpid", "Pi", WaitPid);
  Define(env, exports, "kill", "pi", Kill);
  Define(env, exports, "execvp", "sa", Execvp);
  Define(env, exports, "tgkill", "ppi", Tgkill);
  Define(env, exports, "pidfdOpen", "pi", PidfdOpen);
  Define(env, exports, "pidfdGetfd", "ii", PidfdGetfd);
  Define(env, exports, "prctl", "ii?i?i?i?", Prctl);
  Define(env, exports, "cloneStub", "auiBb?", CloneStub);
  Define(env, exports, "kcmp", "ppiii", Kcmp);
  Define(env, exports, "kcmpEpollTfd", "pipiii", KcmpEpollTfd);
}

}  // namespace amber
