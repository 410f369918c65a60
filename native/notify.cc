// Filesystem notification and pidfd syscalls Node lacks: inotify_init1, inotify_add_watch,
// inotify_rm_watch, the inotify next-wd ioctl, open_by_handle_at, fanotify_init, fanotify_mark,
// the PIDFD_GET_INFO ioctl, and one short loop that makes a pidfd of an exited process.
#include "common.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <climits>
#include <cstring>
#include <vector>

#ifndef INOTIFY_IOC_SETNEXTWD
#define INOTIFY_IOC_SETNEXTWD _IOW('I', 0, int32_t)
#endif
#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

namespace amber {

// struct pidfd_info of kernel 6.13+ up to exit_code (PIDFD_INFO_SIZE_VER0).
static const size_t kPidfdInfoSize = 64;
#define AMBER_PIDFD_GET_INFO _IOWR(0xFF, 11, char[kPidfdInfoSize])

static Napi::Value Range(const Napi::CallbackInfo& info, const std::string& msg) {
  Napi::RangeError::New(info.Env(), msg).ThrowAsJavaScriptException();
  return info.Env().Undefined();
}

static bool IsFd(const Napi::CallbackInfo& info, size_t i, bool cwdOk, int* out) {
  if (i >= info.Length() || !info[i].IsNumber()) return false;
  int64_t v = info[i].As<Napi::Number>().Int64Value();
  if (cwdOk && v == AT_FDCWD) { *out = AT_FDCWD; return true; }
  if (v < 0 || v > INT_MAX) return false;
  *out = static_cast<int>(v);
  return true;
}

static bool IsU32(const Napi::CallbackInfo& info, size_t i, uint32_t* out) {
  if (i >= info.Length() || !info[i].IsNumber()) return false;
  int64_t v = info[i].As<Napi::Number>().Int64Value();
  if (v < 0 || v > UINT32_MAX) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

static Napi::Value InotifyInit1(const Napi::CallbackInfo& info) {
  uint32_t flags;
  if (!IsU32(info, 0, &flags) || (flags & ~static_cast<uint32_t>(IN_NONBLOCK | IN_CLOEXEC))) return Range(info, "inotifyInit1: flags other than IN_NONBLOCK|IN_CLOEXEC");
  int fd = inotify_init1(static_cast<int>(flags));
  if (fd < 0) return ThrowSys(info.Env(), errno, "inotify_init1");
  return Napi::Number::New(info.Env(), fd);
}

// inotifyAddWatch(fd, path, mask) -> wd.
static Napi::Value InotifyAddWatch(const Napi::CallbackInfo& info) {
  int fd;
  uint32_t mask;
  if (!IsFd(info, 0, false, &fd) || info.Length() < 2 || !info[1].IsString() || !IsU32(info, 2, &mask)) return Range(info, "inotifyAddWatch(fd, path, mask)");
  std::string path = info[1].As<Napi::String>().Utf8Value();
  int wd = inotify_add_watch(fd, path.c_str(), mask);
  if (wd < 0) return ThrowSys(info.Env(), errno, "inotify_add_watch", -1, fd);
  return Napi::Number::New(info.Env(), wd);
}

static Napi::Value InotifyRmWatch(const Napi::CallbackInfo& info) {
  int fd;
  uint32_t wd;
  if (!IsFd(info, 0, false, &fd) || !IsU32(info, 1, &wd) || wd > INT_MAX) return Range(info, "inotifyRmWatch(fd, wd)");
  if (inotify_rm_watch(fd, static_cast<int>(wd)) < 0) return ThrowSys(info.Env(), errno, "inotify_rm_watch", -1, fd);
  return info.Env().Undefined();
}

// INOTIFY_IOC_SETNEXTWD (CONFIG_CHECKPOINT_RESTORE): the next watch added gets wd (or the first free above it).
static Napi::Value InotifySetNextWd(const Napi::CallbackInfo& info) {
  int fd;
  uint32_t wd;
  if (!IsFd(info, 0, false, &fd) || !IsU32(info, 1, &wd) || wd < 1 || wd > INT_MAX) return Range(info, "inotifySetNextWd(fd, wd): wd in [1, INT_MAX]");
  if (ioctl(fd, INOTIFY_IOC_SETNEXTWD, static_cast<unsigned long>(wd)) < 0) return ThrowSys(info.Env(), errno, "ioctl(INOTIFY_IOC_SETNEXTWD)", -1, fd);
  return info.Env().Undefined();
}

// openByHandleAt(mountFd or AT_FDCWD, handleType, handle: Buffer, flags) -> fd.
static Napi::Value OpenByHandleAt(const Napi::CallbackInfo& info) {
  int mfd;
  uint32_t flags;
  if (!IsFd(info, 0, true, &mfd) || info.Length() < 3 || !info[1].IsNumber() || !info[2].IsBuffer() || !IsU32(info, 3, &flags)) {
    return Range(info, "openByHandleAt(mountFd, handleType, handle, flags)");
  }
  auto h = info[2].As<Napi::Buffer<uint8_t>>();
  if (h.Length() > MAX_HANDLE_SZ) return Range(info, "openByHandleAt: handle longer than MAX_HANDLE_SZ");
  std::vector<uint8_t> mem(sizeof(struct file_handle) + h.Length());
  auto* fh = reinterpret_cast<struct file_handle*>(mem.data());
  fh->handle_bytes = static_cast<unsigned>(h.Length());
  fh->handle_type = static_cast<int>(info[1].As<Napi::Number>().Int32Value());
  memcpy(fh->f_handle, h.Data(), h.Length());
  int fd = open_by_handle_at(mfd, fh, static_cast<int>(flags));
  if (fd < 0) return ThrowSys(info.Env(), errno, "open_by_handle_at", -1, mfd);
  return Napi::Number::New(info.Env(), fd);
}

static Napi::Value FanotifyInit(const Napi::CallbackInfo& info) {
  uint32_t flags, evflags;
  if (!IsU32(info, 0, &flags) || !IsU32(info, 1, &evflags)) return Range(info, "fanotifyInit(flags, eventFlags)");
  int fd = fanotify_init(flags, evflags);
  if (fd < 0) return ThrowSys(info.Env(), errno, "fanotify_init");
  return Napi::Number::New(info.Env(), fd);
}

// fanotifyMark(fd, flags, mask: bigint, dirfd or AT_FDCWD, path or null).
static Napi::Value FanotifyMark(const Napi::CallbackInfo& info) {
  int fd, dfd;
  uint32_t flags;
  if (!IsFd(info, 0, false, &fd) || !IsU32(info, 1, &flags) || info.Length() < 5 || !info[2].IsBigInt() || !IsFd(info, 3, true, &dfd) ||
      !(info[4].IsString() || info[4].IsNull())) {
    return Range(info, "fanotifyMark(fd, flags, mask: bigint, dirfd, path | null)");
  }
  bool lossless = false;
  uint64_t mask = info[2].As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) return Range(info, "fanotifyMark: mask must fit in 64 bits");
  std::string path;
  if (info[4].IsString()) path = info[4].As<Napi::String>().Utf8Value();
  if (fanotify_mark(fd, flags, mask, dfd, info[4].IsString() ? path.c_str() : nullptr) < 0) return ThrowSys(info.Env(), errno, "fanotify_mark", -1, fd);
  return info.Env().Undefined();
}

// pidfdGetInfo(pidfd, mask: bigint) -> the 64 bytes of struct pidfd_info the kernel filled (mask first).
static Napi::Value PidfdGetInfo(const Napi::CallbackInfo& info) {
  int fd;
  if (!IsFd(info, 0, false, &fd) || info.Length() < 2 || !info[1].IsBigInt()) return Range(info, "pidfdGetInfo(pidfd, mask: bigint)");
  bool lossless = false;
  uint64_t mask = info[1].As<Napi::BigInt>().Uint64Value(&lossless);
  auto out = Napi::Buffer<uint8_t>::New(info.Env(), kPidfdInfoSize);
  memset(out.Data(), 0, kPidfdInfoSize);
  memcpy(out.Data(), &mask, sizeof(mask));
  if (ioctl(fd, AMBER_PIDFD_GET_INFO, out.Data()) < 0) return ThrowSys(info.Env(), errno, "ioctl(PIDFD_GET_INFO)", -1, fd);
  return out;
}

// pidfdOfExited(flags, waitStatus) -> a pidfd of a process that has ended as waitStatus says and
// has been reaped: vfork a child that ends so at once, pidfd_open the zombie, reap it. The child
// only makes raw syscalls on its own stack. flags: PIDFD_NONBLOCK only. A core-dump bit is not
// reproduced (RLIMIT_CORE is 0 in the child).
static Napi::Value PidfdOfExited(const Napi::CallbackInfo& info) {
  uint32_t flags, status;
  if (!IsU32(info, 0, &flags) || (flags & ~static_cast<uint32_t>(PIDFD_NONBLOCK)) || !IsU32(info, 1, &status)) return Range(info, "pidfdOfExited(flags, waitStatus)");
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  if (!WIFEXITED(status) && !(sig > 0 && sig < 65)) return Range(info, "pidfdOfExited: waitStatus is neither an exit nor a death by signal");
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
  pid_t child = vfork();
  if (child < 0) return ThrowSys(info.Env(), errno, "vfork");
  if (child == 0) {
    if (sig) {
      struct rlimit none = {0, 0};
      syscall(SYS_prlimit64, 0, RLIMIT_CORE, &none, nullptr);
      struct { uintptr_t handler; unsigned long flags; uintptr_t restorer; uint64_t mask; } dfl = {0 /* SIG_DFL */, 0, 0, 0};
      syscall(SYS_rt_sigaction, sig, &dfl, nullptr, 8);
      uint64_t set = 1ull << (sig - 1);
      syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &set, nullptr, 8);
      syscall(SYS_kill, syscall(SYS_getpid), sig);
      code = 127;
    }
    syscall(SYS_exit_group, code);
  }
  long fd = syscall(SYS_pidfd_open, child, flags);
  int err = errno;
  int st;
  while (waitpid(child, &st, __WALL) < 0 && errno == EINTR) {}
  if (fd < 0) return ThrowSys(info.Env(), err, "pidfd_open", child);
  return Napi::Number::New(info.Env(), static_cast<double>(fd));
}

void InitNotify(Napi::Env env, Napi::Object exports) {
  Define(env, exports, "inotifyInit1", "i", InotifyInit1);
  Define(env, exports, "inotifyAddWatch", "isi", InotifyAddWatch);
  Define(env, exports, "inotifyRmWatch", "ii", InotifyRmWatch);
  Define(env, exports, "inotifySetNextWd", "ii", InotifySetNextWd);
  Define(env, exports, "openByHandleAt", "iiBi", OpenByHandleAt);
  Define(env, exports, "fanotifyInit", "ii", FanotifyInit);
  Define(env, exports, "fanotifyMark", "iiuiS", FanotifyMark);
  Define(env, exports, "pidfdGetInfo", "iu", PidfdGetInfo);
  Define(env, exports, "pidfdOfExited", "ii", PidfdOfExited);
}

}  // namespace amber
